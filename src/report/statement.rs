//! Statements: for each rep and payout period, every line that makes up the payable, as CSV (for
//! machines and spreadsheets) and Markdown (for the rep and the auditor).
//!
//! Invariants: the lines of a component sum exactly to its payable (checked by the engine's
//! invariants; amounts are printed unrounded, so the printed sum holds too); deal lines name the deal
//! id and its source `file:line`.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::format::{amount, attainment_pct, grouped, LineTexts};
use super::fs::csv_text;
use super::summary::Row;
use crate::data::CreditKind;
use crate::data::Inputs;
use crate::engine::{Credit, Line, LineKind, RunResult, NO_VIA, SEVERAL};

const CSV_HEADER: [&str; 21] = [
    "rep_id",
    "payout_period",
    "plan",
    "component",
    "line",
    "deal_id",
    "source",
    "date",
    "deal_value",
    "currency",
    "fx_rate",
    "credit",
    "share",
    "credited",
    "cumulative_from",
    "cumulative_to",
    "tier",
    "base",
    "rate",
    "formula",
    "amount",
];

fn kind(line: &Line) -> &'static str {
    line.kind.name()
}

/// A share as a percentage (`60%`).
fn share_text(s: Decimal) -> String {
    crate::money::fmt_percent(s)
}

/// How the rep came to be credited: `owner`, `split`, `overlay`, `territory`, `roll-up via A001`,
/// or `roll-up via A001 60% + A002 40%` when several reports share the deal.
pub(crate) fn credit_kind(inputs: &Inputs, run: &RunResult, c: &Credit) -> String {
    match c.kind {
        CreditKind::Rollup if c.via == NO_VIA => "roll-up".to_string(),
        CreditKind::Rollup if c.via & SEVERAL != 0 => {
            let parts: Vec<String> = run
                .rollup_sources
                .get((c.via & !SEVERAL) as usize)
                .into_iter()
                .flatten()
                .map(|&(rep, share)| format!("{} {}", inputs.roster.get(rep).id, share_text(share)))
                .collect();
            format!("roll-up via {}", parts.join(" + "))
        }
        CreditKind::Rollup => format!("roll-up via {}", inputs.roster.get(c.via).id),
        k => k.name().to_string(),
    }
}

/// The heading of a plan block: the plan, and the dates it applied when it came from an assignment.
pub(crate) fn plan_heading(r: &Row) -> String {
    let dates = match r.assignment {
        Some((from, Some(to))) => format!(", from {from} to {to}"),
        Some((from, None)) => format!(", from {from}"),
        None => String::new(),
    };
    format!(
        "Plan **{}** ({}){dates}, amounts in {}.",
        md(&r.plan.name),
        md(&r.plan.id),
        r.plan.currency
    )
}

/// For each line, whether it is the first line of its deal (a deal crossing tiers has several slice
/// lines; its value and credit are printed once, so a column sum never counts a deal twice).
fn first_of_deal(lines: &[Line]) -> Vec<bool> {
    let mut previous = None;
    lines
        .iter()
        .map(|l| {
            let deal = l
                .credit
                .map(|c| c.deal)
                .filter(|_| l.kind == LineKind::Deal);
            let first = deal.is_some() && deal != previous;
            if deal.is_some() {
                previous = deal;
            }
            first
        })
        .collect()
}

/// The statement of one rep for one payout period (all its components), as CSV.
pub fn render_csv(inputs: &Inputs, run: &RunResult, rows: &[&Row]) -> anyhow::Result<Vec<u8>> {
    let deals = &inputs.deals;
    let mut texts = LineTexts::default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in rows {
        let places = r.plan.rounding.places;
        let value_places = if r.money_measure { places } else { 0 };
        let firsts = first_of_deal(&r.result.lines);
        for (line, first) in r.result.lines.iter().zip(firsts) {
            let d = line.credit.map(|c| c.deal as usize);
            let credit = line.credit.filter(|_| first);
            let rounding = line.kind == LineKind::Rounding || line.kind.is_settlement();
            let unless_rounding = |text: String| if rounding { String::new() } else { text };
            let record = [
                csv_text(r.rep_id).into_owned(),
                r.result.payout_period.to_string(),
                csv_text(&r.plan.id).into_owned(),
                r.component.id.clone(),
                kind(line).to_string(),
                d.map(|d| csv_text(deals.id(d)).into_owned())
                    .unwrap_or_default(),
                d.map(|d| format!("{}:{}", deals.file, deals.line(d)))
                    .unwrap_or_default(),
                line.credit.map(|c| c.date.to_string()).unwrap_or_default(),
                credit
                    .map(|c| amount(c.source_value, value_places))
                    .unwrap_or_default(),
                d.map(|d| csv_text(deals.currency(d)).into_owned())
                    .unwrap_or_default(),
                credit
                    .and_then(|c| c.fx_rate)
                    .map(|f| amount(f, 0))
                    .unwrap_or_default(),
                credit
                    .map(|c| credit_kind(inputs, run, &c))
                    .unwrap_or_default(),
                credit.map(|c| share_text(c.share)).unwrap_or_default(),
                credit
                    .map(|c| amount(c.credited, value_places))
                    .unwrap_or_default(),
                unless_rounding(amount(line.from, value_places)),
                unless_rounding(amount(line.to, value_places)),
                texts.tier(r.component, line),
                unless_rounding(amount(line.base, value_places)),
                texts.rate(r.plan, r.component, line),
                texts.formula(r.plan, r.component, line),
                amount(line.amount, places),
            ];
            w.write_record(&record)?;
        }
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Escape text for a Markdown table cell.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The statement of one rep for one payout period, as Markdown.
pub fn render_markdown(inputs: &Inputs, run: &RunResult, rows: &[&Row]) -> String {
    let deals = &inputs.deals;
    let mut texts = LineTexts::default();
    let mut s = String::new();
    let Some(first) = rows.first() else { return s };
    let period = first.result.payout_period;
    let _ = writeln!(
        s,
        "# Commission statement: {} ({}), {period}\n",
        md(first.rep_name),
        md(first.rep_id)
    );
    let mut totals: std::collections::BTreeMap<&str, Decimal> = std::collections::BTreeMap::new();
    let mut block = None;
    for r in rows {
        if block != Some((&r.plan.id, r.assignment)) {
            block = Some((&r.plan.id, r.assignment));
            let _ = writeln!(s, "{}\n", plan_heading(r));
        }
        let p = r.result;
        let places = r.plan.rounding.places;
        let _ = writeln!(s, "## {}\n", md(&r.component.id));
        let _ = writeln!(s, "| | |\n|---|---:|");
        let _ = writeln!(s, "| Measurement period | {} |", p.measurement_period);
        let _ = writeln!(
            s,
            "| Measure `{}` to date | {} |",
            md(r.measure_name()),
            grouped(p.measure_to_date, r.measure_places())
        );
        if let Some(q) = p.quota {
            match p.quota_scale.as_deref() {
                Some((full, scale)) => {
                    let _ = writeln!(
                        s,
                        "| Quota | {} {} = {} |",
                        grouped(*full, r.measure_places()),
                        scale.describe(),
                        grouped(q.amount, r.measure_places())
                    );
                }
                None => {
                    let _ = writeln!(s, "| Quota | {} |", grouped(q.amount, r.measure_places()));
                }
            }
            let _ = writeln!(s, "| Attainment | {} |", attainment_pct(p.attainment));
        }
        let _ = writeln!(
            s,
            "| Earned to date | {} |",
            grouped(p.earned_to_date, places)
        );
        let _ = writeln!(
            s,
            "| Paid before this period | {} |",
            grouped(p.paid_to_date, places)
        );
        if r.closed {
            let _ = writeln!(s, "| Status | closed: the payable recorded in the ledger |");
        }
        let _ = writeln!(s, "| **Payable** | **{}** |\n", grouped(p.payable, places));
        *totals.entry(r.plan.currency.as_str()).or_default() += p.payable;
        if p.lines.is_empty() {
            let _ = writeln!(s, "No lines this period.\n");
            continue;
        }
        let _ = writeln!(s, "| Line | Deal | Date | Deal value | Credit | Share | Credited | Tier | Formula | Amount |\n|---|---|---|---:|---|---:|---:|---|---|---:|");
        let value_places = if r.money_measure { places } else { 0 };
        for (line, first) in p.lines.iter().zip(first_of_deal(&p.lines)) {
            let d = line.credit.map(|c| c.deal as usize);
            let shown = line.credit.filter(|_| first);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                kind(line),
                d.map(|d| md(deals.id(d))).unwrap_or_default(),
                line.credit.map(|c| c.date.to_string()).unwrap_or_default(),
                shown
                    .map(|c| {
                        let cur = deals.currency(c.deal as usize);
                        let v = grouped(c.source_value, value_places);
                        if cur.is_empty() || !r.money_measure {
                            v
                        } else {
                            format!("{v} {}", md(cur))
                        }
                    })
                    .unwrap_or_default(),
                shown
                    .map(|c| md(&credit_kind(inputs, run, &c)))
                    .unwrap_or_default(),
                shown.map(|c| share_text(c.share)).unwrap_or_default(),
                shown
                    .map(|c| grouped(c.credited, value_places))
                    .unwrap_or_default(),
                if line.kind == LineKind::Rounding {
                    String::new()
                } else {
                    texts.tier(r.component, line)
                },
                md(&texts.formula(r.plan, r.component, line)),
                grouped(line.amount, places),
            );
        }
        let _ = writeln!(
            s,
            "| **Total** | | | | | | | | | **{}** |\n",
            grouped(p.payable, places)
        );
    }
    for (currency, total) in totals {
        let _ = writeln!(
            s,
            "**Total payable for {period}: {} {currency}**",
            grouped(total, first.plan.rounding.places)
        );
    }
    s
}
