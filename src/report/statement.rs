//! Statements: for each rep and payout period, every line that makes up the payable, as CSV (for
//! machines and spreadsheets) and Markdown (for the rep and the auditor).
//!
//! Invariants: the lines of a component sum exactly to its payable (checked by the engine's
//! invariants; amounts are printed unrounded, so the printed sum holds too); deal lines name the deal
//! id and its source `file:line`.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use super::format::{amount, attainment_pct, formula, grouped, rate, tier};
use super::fs::csv_text;
use super::summary::Row;
use crate::data::Inputs;
use crate::engine::{Line, LineKind};

#[derive(Serialize)]
struct CsvLine<'a> {
    rep_id: std::borrow::Cow<'a, str>,
    payout_period: String,
    component: &'a str,
    line: &'static str,
    deal_id: String,
    source: String,
    date: String,
    deal_value: String,
    currency: String,
    fx_rate: String,
    credited: String,
    cumulative_from: String,
    cumulative_to: String,
    tier: String,
    rate: String,
    formula: String,
    amount: String,
}

fn kind(line: &Line) -> &'static str {
    match line.kind {
        LineKind::Deal => "deal",
        LineKind::Retro => "retro",
        LineKind::Rounding => "rounding",
    }
}

/// The statement of one rep for one payout period (all its components), as CSV.
pub fn render_csv(inputs: &Inputs, rows: &[&Row]) -> anyhow::Result<Vec<u8>> {
    let deals = &inputs.deals;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut any = false;
    for r in rows {
        let places = r.plan.rounding.places;
        for line in &r.result.lines {
            any = true;
            let credit = line.credit;
            let d = credit.map(|c| c.deal as usize);
            let is_rounding = line.kind == LineKind::Rounding;
            w.serialize(CsvLine {
                rep_id: csv_text(r.rep_id),
                payout_period: r.result.payout_period.to_string(),
                component: &r.component.id,
                line: kind(line),
                deal_id: d
                    .map(|d| csv_text(&deals.ids[d]).into_owned())
                    .unwrap_or_default(),
                source: d
                    .map(|d| format!("{}:{}", deals.file, deals.lines[d]))
                    .unwrap_or_default(),
                date: d
                    .map(|d| deals.close_date(d).to_string())
                    .unwrap_or_default(),
                deal_value: credit
                    .map(|c| amount(c.source_value, 0))
                    .unwrap_or_default(),
                currency: d
                    .map(|d| csv_text(&deals.currency(d)).into_owned())
                    .unwrap_or_default(),
                fx_rate: credit
                    .and_then(|c| c.fx_rate)
                    .map(|f| amount(f, 0))
                    .unwrap_or_default(),
                credited: credit.map(|c| amount(c.credited, 0)).unwrap_or_default(),
                cumulative_from: if is_rounding {
                    String::new()
                } else {
                    amount(line.from, 0)
                },
                cumulative_to: if is_rounding {
                    String::new()
                } else {
                    amount(line.to, 0)
                },
                tier: if is_rounding {
                    String::new()
                } else {
                    tier(r.component, line.tier)
                },
                rate: if is_rounding {
                    String::new()
                } else {
                    rate(r.plan, r.component, line.rate)
                },
                formula: formula(r.plan, r.component, line),
                amount: amount(line.amount, places),
            })?;
        }
    }
    if !any {
        w.write_record([
            "rep_id",
            "payout_period",
            "component",
            "line",
            "deal_id",
            "source",
            "date",
            "deal_value",
            "currency",
            "fx_rate",
            "credited",
            "cumulative_from",
            "cumulative_to",
            "tier",
            "rate",
            "formula",
            "amount",
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Escape text for a Markdown table cell.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The statement of one rep for one payout period, as Markdown.
pub fn render_markdown(inputs: &Inputs, rows: &[&Row]) -> String {
    let deals = &inputs.deals;
    let mut s = String::new();
    let Some(first) = rows.first() else { return s };
    let period = first.result.payout_period;
    let _ = writeln!(
        s,
        "# Commission statement: {} ({}), {period}\n",
        md(first.rep_name),
        md(first.rep_id)
    );
    let _ = writeln!(
        s,
        "Plan **{}** ({}), amounts in {}.\n",
        md(&first.plan.name),
        md(&first.plan.id),
        first.plan.currency
    );
    let mut totals: std::collections::BTreeMap<&str, Decimal> = std::collections::BTreeMap::new();
    for r in rows {
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
            let _ = writeln!(s, "| Quota | {} |", grouped(q.amount, r.measure_places()));
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
        let _ = writeln!(s, "| **Payable** | **{}** |\n", grouped(p.payable, places));
        *totals.entry(r.plan.currency.as_str()).or_default() += p.payable;
        if p.lines.is_empty() {
            let _ = writeln!(s, "No lines this period.\n");
            continue;
        }
        let _ = writeln!(s, "| Line | Deal | Date | Credited | Tier | Formula | Amount |\n|---|---|---|---:|---|---|---:|");
        for line in &p.lines {
            let d = line.credit.map(|c| c.deal as usize);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                kind(line),
                d.map(|d| md(&deals.ids[d])).unwrap_or_default(),
                d.map(|d| deals.close_date(d).to_string())
                    .unwrap_or_default(),
                line.credit
                    .map(|c| grouped(c.credited, places))
                    .unwrap_or_default(),
                if line.kind == LineKind::Rounding {
                    String::new()
                } else {
                    tier(r.component, line.tier)
                },
                md(&formula(r.plan, r.component, line)),
                grouped(line.amount, places),
            );
        }
        let _ = writeln!(
            s,
            "| **Total** | | | | | | **{}** |\n",
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
