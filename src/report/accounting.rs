//! Finance files: the amortisation schedule, journal entries and roll-forward (`payout amortize`),
//! the payroll import file (`run --out`, `close`) and outstanding balances (`payout balances`).
//! Every CSV through the neutralising writer ([`crate::csv_cell::Fields`]).

use std::io::Write;

use rust_decimal::Decimal;

use crate::accounting::amortise::{JournalLine, RollForward, Schedule};
use crate::accounting::balances::Balance;
use crate::accounting::payroll::PayrollRow;
use crate::csv_cell::Fields;
use crate::finance_settings::PayrollSettings;
use crate::period::Period;

fn fields() -> Fields<Vec<u8>> {
    Fields::new(csv::Writer::from_writer(Vec::new()))
}

/// schedule.csv: one row per cost and month.
pub fn render_schedule(schedules: &[Schedule]) -> anyhow::Result<Vec<u8>> {
    let mut w = fields();
    w.record([
        "rep_id",
        "plan",
        "component",
        "deal_id",
        "cost_centre",
        "incurred",
        "months",
        "treatment",
        "month",
        "capitalised",
        "expensed",
        "amortised",
        "impaired",
        "recovered",
        "balance",
        "currency",
    ])?;
    for s in schedules {
        let i = &s.item;
        for m in &s.months {
            w.text(&i.rep_id)?;
            w.text(&i.plan_id)?;
            w.text(&i.component_id)?;
            w.text(&i.deal_id)?;
            w.text(&i.cost_centre)?;
            w.display(i.cost.month)?;
            w.display(i.cost.months)?;
            w.text(if i.expensed {
                "expensed"
            } else {
                "capitalised"
            })?;
            match m.month {
                Some(p) => w.display(p)?,
                None => "",
            };
            for a in [
                m.capitalised,
                m.expensed,
                m.amortised,
                m.impaired,
                m.recovered,
                m.balance,
            ] {
                w.amount(a, i.places)?;
            }
            w.text(&i.currency)?;
            w.end()?;
        }
    }
    w.into_inner()
}

/// journal.csv: two lines per entry (debit, credit).
pub fn render_journal(lines: &[JournalLine], places: u32) -> anyhow::Result<Vec<u8>> {
    let mut w = fields();
    w.record([
        "month",
        "cost_centre",
        "entry",
        "account",
        "debit",
        "credit",
        "currency",
    ])?;
    for l in lines {
        w.display(l.month)?;
        w.text(&l.cost_centre)?;
        w.text(l.entry)?;
        w.text(&l.account)?;
        w.amount(l.debit, places)?;
        w.amount(l.credit, places)?;
        w.text(&l.currency)?;
        w.end()?;
    }
    w.into_inner()
}

/// rollforward.csv: per month and currency, opening + capitalised − amortised − impaired = closing.
pub fn render_roll_forward(
    rows: &std::collections::BTreeMap<(String, Period), RollForward>,
    places: u32,
) -> anyhow::Result<Vec<u8>> {
    let mut w = fields();
    w.record([
        "month",
        "currency",
        "opening",
        "capitalised",
        "amortised",
        "impaired",
        "closing",
    ])?;
    let mut ordered: Vec<_> = rows.iter().collect();
    ordered.sort_by(|a, b| (a.0 .1, &a.0 .0).cmp(&(b.0 .1, &b.0 .0)));
    for ((currency, month), r) in ordered {
        w.display(month)?;
        w.text(currency)?;
        for a in [r.opening, r.capitalised, r.amortised, r.impaired, r.closing] {
            w.amount(a, places)?;
        }
        w.end()?;
    }
    w.into_inner()
}

/// The roll-forward as an aligned text table (stdout of `payout amortize`).
pub fn render_roll_forward_table(
    rows: &std::collections::BTreeMap<(String, Period), RollForward>,
    places: u32,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let amount = |d: Decimal| crate::money::fmt_amount(d, places);
    writeln!(
        out,
        "{:<8} {:<4} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "Month", "Cur", "Opening", "Capitalised", "Amortised", "Impaired", "Closing"
    )?;
    let mut ordered: Vec<_> = rows.iter().collect();
    ordered.sort_by(|a, b| (a.0 .1, &a.0 .0).cmp(&(b.0 .1, &b.0 .0)));
    for ((currency, month), r) in ordered {
        writeln!(
            out,
            "{:<8} {:<4} {:>12} {:>12} {:>12} {:>12} {:>12}",
            month.to_string(),
            crate::report::format::term(currency),
            amount(r.opening),
            amount(r.capitalised),
            amount(r.amortised),
            amount(r.impaired),
            amount(r.closing)
        )?;
    }
    Ok(())
}

/// payroll.csv in the layout's columns.
pub fn render_payroll(settings: &PayrollSettings, rows: &[PayrollRow]) -> anyhow::Result<Vec<u8>> {
    let columns = settings
        .columns()
        .map_err(|e| anyhow::anyhow!("[payroll] {e}"))?;
    let mut w = fields();
    w.record(columns.iter().map(|(h, _)| h.as_str()))?;
    for r in rows {
        for (_, field) in &columns {
            match field.as_str() {
                "employee_id" => w.text(&r.employee_id)?,
                "rep_id" => w.text(&r.rep_id)?,
                "name" => w.text(&r.name)?,
                "pay_date" => w.display(r.pay_date).map(|_| ())?,
                "period" => w.text(&r.period)?,
                "earnings_code" => w.text(&r.earnings_code)?,
                "component" => w.text(&r.component)?,
                "amount" => w.amount(r.amount, r.places).map(|_| ())?,
                "currency" => w.text(&r.currency)?,
                fixed => w.text(fixed.strip_prefix("text:").unwrap_or(""))?,
            }
        }
        w.end()?;
    }
    w.into_inner()
}

/// Outstanding balances as CSV.
pub fn render_balances_csv(rows: &[Balance], mut out: impl Write) -> anyhow::Result<()> {
    let mut w = Fields::new(csv::Writer::from_writer(&mut out));
    w.record([
        "rep_id",
        "plan",
        "component",
        "kind",
        "period",
        "deal_id",
        "amount",
    ])?;
    for b in rows {
        w.text(&b.rep_id)?;
        w.text(&b.plan)?;
        w.text(&b.component)?;
        w.text(b.kind.name())?;
        w.display(b.period)?;
        w.text(&b.deal_id)?;
        w.display(b.amount)?;
        w.end()?;
    }
    w.flush()?;
    Ok(())
}

/// Outstanding balances as an aligned text table.
pub fn render_balances_table(rows: &[Balance], mut out: impl Write) -> anyhow::Result<()> {
    let s = crate::report::format::term;
    writeln!(
        out,
        "{:<10} {:<16} {:<16} {:<10} {:<8} {:>12}",
        "Rep", "Component", "Outstanding", "Period", "Deal", "Amount"
    )?;
    for b in rows {
        writeln!(
            out,
            "{:<10} {:<16} {:<16} {:<10} {:<8} {:>12}",
            s(&b.rep_id),
            s(&b.component),
            b.kind.name(),
            b.period.to_string(),
            s(&b.deal_id),
            b.amount.to_string()
        )?;
    }
    Ok(())
}
