//! Finance files: the amortisation schedule, journal entries and roll-forward (`payout amortize`),
//! the payroll import file (`run --out`, `close`) and outstanding balances (`payout balances`).
//! Every CSV through the neutralising writer ([`crate::csv_cell::Fields`]).

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::Decimal;

use super::format::{grouped, term};

use crate::accounting::amortise::{JournalLine, RollForward, Schedule};
use crate::accounting::balances::Balance;
use crate::accounting::payroll::PayrollRow;
use crate::csv_cell::Fields;
use crate::data::Inputs;
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

/// The roll-forward for people (stdout of `payout amortize`; nothing when nothing was capitalised
/// or carried): a row per month and currency, amounts grouped, then per currency the span's line:
/// the first month's opening, the sums of what was capitalised, amortised and impaired, the last
/// month's closing (opening + capitalised − amortised − impaired = closing, as in every month).
pub fn render_roll_forward_table(
    rows: &std::collections::BTreeMap<(String, Period), RollForward>,
    places: u32,
    mut out: impl Write,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut t = people_table(&[
        "Month",
        "Currency",
        "Opening",
        "Capitalised",
        "Amortised",
        "Impaired",
        "Closing",
    ]);
    let cells = |r: &RollForward| {
        [r.opening, r.capitalised, r.amortised, r.impaired, r.closing].map(|d| grouped(d, places))
    };
    let mut ordered: Vec<_> = rows.iter().collect();
    ordered.sort_by(|a, b| (a.0 .1, &a.0 .0).cmp(&(b.0 .1, &b.0 .0)));
    for ((currency, month), r) in ordered {
        let mut row = vec![month.to_string(), term(currency).into_owned()];
        row.extend(cells(r));
        t.add_row(row);
    }
    // Rows are keyed (currency, month): each currency's months in order.
    let mut spans: std::collections::BTreeMap<&str, RollForward> = Default::default();
    for ((currency, _), r) in rows {
        spans
            .entry(currency)
            .and_modify(|span| {
                span.capitalised += r.capitalised;
                span.amortised += r.amortised;
                span.impaired += r.impaired;
                span.closing = r.closing;
            })
            .or_insert_with(|| r.clone());
    }
    for (currency, span) in spans {
        let mut row = vec!["Total".to_string(), term(currency).into_owned()];
        row.extend(cells(&span));
        t.add_row(row);
    }
    right_align(&mut t, 2..7);
    writeln!(out, "{t}")?;
    Ok(())
}

/// A table people read: the product's borders, never wrapped.
fn people_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
}

fn right_align(t: &mut Table, columns: std::ops::Range<usize>) {
    for i in columns {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
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

/// The columns of `payout balances --format csv` (and the keys of `--format json`).
const BALANCE_HEADER: [&str; 8] = [
    "rep_id",
    "plan",
    "component",
    "kind",
    "period",
    "deal_id",
    "amount",
    "currency",
];

/// One balance's cells, in [`BALANCE_HEADER`]'s order: the amount exact, with at least the plan's
/// places, the plan's currency.
fn balance_record(inputs: &Inputs, b: &Balance) -> [String; 8] {
    let (currency, places) = plan_money(inputs, &b.plan);
    [
        b.rep_id.clone(),
        b.plan.clone(),
        b.component.clone(),
        b.kind.name().to_string(),
        b.period.to_string(),
        b.deal_id.clone(),
        crate::money::fmt_amount(b.amount, places),
        currency.to_string(),
    ]
}

/// `payout balances --format csv`: one row per outstanding amount, no totals.
pub fn render_balances_csv(
    inputs: &Inputs,
    rows: &[Balance],
    mut out: impl Write,
) -> anyhow::Result<()> {
    let mut w = Fields::new(csv::Writer::from_writer(&mut out));
    w.record(BALANCE_HEADER)?;
    for b in rows {
        for cell in balance_record(inputs, b) {
            w.text(&cell)?;
        }
        w.end()?;
    }
    w.flush()?;
    Ok(())
}

/// `payout balances --format json`: an array of objects keyed as the CSV's columns, every value a
/// string (amounts exact, as in the CSV).
pub fn render_balances_json(
    inputs: &Inputs,
    rows: &[Balance],
    out: impl Write,
) -> anyhow::Result<()> {
    super::csv_out::render_json_records(
        &BALANCE_HEADER,
        rows.iter().map(|b| balance_record(inputs, b)),
        out,
    )
}

/// A plan's currency and rounding places, by id (a balance names its plan by id).
fn plan_money<'a>(inputs: &'a Inputs, plan: &str) -> (&'a str, u32) {
    inputs
        .plans
        .iter()
        .find(|p| p.id == plan)
        .map_or(("", 2), |p| (p.currency.as_str(), p.rounding.places))
}

/// Outstanding balances for people: a row per rep, kind, payout period (and deal for held
/// commission), the amount grouped in the plan's places and currency, then a total per kind and
/// currency (a draw and a carried negative are owed by the rep, held commission to the rep: they
/// are never added together). An empty list prints nothing (the command says how many there are).
pub fn render_balances_table(
    inputs: &Inputs,
    rows: &[Balance],
    mut out: impl Write,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut t = people_table(&[
        "Rep",
        "Name",
        "Plan",
        "Component",
        "Outstanding",
        "Period",
        "Deal",
        "Amount",
        "Currency",
    ]);
    let mut totals: std::collections::BTreeMap<(&str, &str), (Decimal, u32)> = Default::default();
    for b in rows {
        let (currency, places) = plan_money(inputs, &b.plan);
        let name = inputs
            .roster
            .find(&b.rep_id)
            .map_or("", |i| inputs.roster.get(i).name.as_str());
        let total = totals.entry((b.kind.name(), currency)).or_default();
        total.0 += b.amount;
        total.1 = total.1.max(places);
        t.add_row(vec![
            term(&b.rep_id).into_owned(),
            term(name).into_owned(),
            term(&b.plan).into_owned(),
            term(&b.component).into_owned(),
            b.kind.name().to_string(),
            b.period.to_string(),
            term(&b.deal_id).into_owned(),
            grouped(b.amount, places),
            term(currency).into_owned(),
        ]);
    }
    for ((kind, currency), (amount, places)) in totals {
        let mut row = vec!["Total".to_string()];
        row.extend(std::iter::repeat_n(String::new(), 3));
        row.extend([kind.to_string(), String::new(), String::new()]);
        row.extend([grouped(amount, places), term(currency).into_owned()]);
        t.add_row(row);
    }
    right_align(&mut t, 7..8);
    writeln!(out, "{t}")?;
    Ok(())
}
