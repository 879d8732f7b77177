//! `explain`: the whole trace of one rep's payout for a period, in a form an auditor reads top to
//! bottom: plan and settings, each measure with its deals (file:line), quota and attainment
//! arithmetic, tiers, every tier slice with its rate, rounding, true-up and payable.
//!
//! Invariants: every number shown is taken from the engine's result (nothing is recomputed here
//! except sums that are shown with their terms); deals not credited are listed with the reason.

use std::fmt::Write as _;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::Decimal;

use super::format::{amount, attainment_pct, formula, grouped, rate, tier};
use crate::data::Inputs;
use crate::engine::{LineKind, RepResult, RunResult, Status};
use crate::plan::{ComponentKind, MeasureValue, Method, Scope, Test};

fn table(headers: &[&str], right: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(headers.to_vec());
    for &i in right {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// "1,234.00 EUR", or just the amount when the row has no currency.
fn with_currency(amount: String, currency: &str) -> String {
    if currency.is_empty() {
        amount
    } else {
        format!("{amount} {currency}")
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// Render the explanation of `rep` in `run`. `deal_status` lists the rep's deals not credited.
pub fn render(
    inputs: &Inputs,
    run: &RunResult,
    r: &RepResult,
    not_credited: &[(u32, Status)],
) -> String {
    let deals = &inputs.deals;
    let rep = inputs.roster.get(r.rep);
    let plan = &inputs.plans[r.plan];
    let places = plan.rounding.places;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Rep {} ({}), roster {}:{}",
        rep.id, rep.name, inputs.roster.file, rep.line
    );
    let _ = writeln!(
        s,
        "Plan {} \"{}\" ({}), currency {}, rounding {}",
        plan.id, plan.name, plan.file, plan.currency, plan.rounding
    );
    let _ = writeln!(s, "Run period {}", run.period);
    let mut grand = Decimal::ZERO;

    for c in &r.components {
        let comp = &plan.components[c.component];
        let measure = &plan.measures[comp.measure];
        let ComponentKind::Commission(rt) = &comp.kind;
        let value_places = if super::format::measure_is_money(inputs, plan, comp) {
            places
        } else {
            0
        };
        let _ = writeln!(
            s,
            "\n== Component `{}` ({}:{}) ==",
            comp.id, plan.file, comp.line
        );
        let what = match &measure.value {
            MeasureValue::Count => "count".to_string(),
            MeasureValue::Sum(col) => format!("sum of {col}"),
        };
        let filter: Vec<String> = measure
            .filter
            .iter()
            .map(|f| match &f.test {
                Test::In(v) => format!("{} in [{}]", f.column, v.join(", ")),
                Test::NotIn(v) => format!("{} not in [{}]", f.column, v.join(", ")),
                Test::Compare(op, v) => format!("{} {} {v}", f.column, op.symbol()),
                Test::Empty(b) => format!("{} is {}empty", f.column, if *b { "" } else { "not " }),
            })
            .collect();
        let conversion = if value_places > 0 {
            format!(", converted to {} at the rate on that date", plan.currency)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "Measure `{}`: {what} of deals where {}, dated by {}{conversion}",
            measure.name,
            if filter.is_empty() {
                "(all)".into()
            } else {
                filter.join(" and ")
            },
            measure.date_column
        );
        let method = match rt.method {
            Method::Flat => "flat",
            Method::Marginal => "marginal (each slice at its tier's rate)",
            Method::Retroactive => "retroactive (everything at the highest tier reached)",
        };
        let scope = match rt.scope {
            Scope::Cumulative => "on the cumulative measure of the measurement period",
            Scope::Transaction => "on each deal on its own",
        };
        let _ = writeln!(
            s,
            "Rate table: {method}, {scope}; measured per {}, paid per {}",
            comp.measurement_period, comp.payout_period
        );

        let mut current_measurement = None;
        for p in &c.periods {
            if current_measurement != Some(p.measurement_period) {
                current_measurement = Some(p.measurement_period);
                let _ = writeln!(
                    s,
                    "\n-- Measurement period {} ({} to {}) --",
                    p.measurement_period,
                    p.measurement_period.start(),
                    p.measurement_period.end()
                );
                match p.quota {
                    Some(q) => {
                        let _ = writeln!(
                            s,
                            "Quota `{}`: {} ({}:{}{})",
                            comp.quota_measure,
                            grouped(q.amount, value_places),
                            inputs.quotas.file,
                            q.line,
                            if q.rows > 1 {
                                format!(", sum of {} rows", q.rows)
                            } else {
                                String::new()
                            }
                        );
                    }
                    None => {
                        let _ = writeln!(s, "Quota: none");
                    }
                }
                let mut tt = table(
                    &["Tier", "Rate", "From (measure)", "To (measure)"],
                    &[1, 2, 3],
                );
                for (i, t) in rt.tiers.iter().enumerate() {
                    let scale = match (rt.basis, p.quota) {
                        (crate::plan::Basis::Attainment, Some(q)) => q.amount,
                        _ => Decimal::ONE,
                    };
                    tt.add_row(vec![
                        tier(comp, Some(i)),
                        rate(plan, comp, t.rate),
                        grouped(t.from * scale, value_places),
                        t.to.map(|to| grouped(to * scale, value_places))
                            .unwrap_or_else(|| "∞".into()),
                    ]);
                }
                s.push_str(&indent(&tt.to_string(), "  "));
            }
            let marker = if p.in_run {
                ""
            } else {
                " (before the run period: shown for the true-up)"
            };
            let _ = writeln!(s, "\nPayout period {}{marker}", p.payout_period);
            if p.lines.is_empty() {
                let _ = writeln!(s, "  no deals in this payout period");
            } else {
                let mut lt = table(
                    &[
                        "Deal",
                        "Source",
                        "Date",
                        "Value",
                        "FX",
                        "Credited",
                        "Cumulative",
                        "Tier",
                        "Formula",
                        "Amount",
                    ],
                    &[3, 4, 5, 6, 9],
                );
                for line in &p.lines {
                    let d = line.credit.map(|c| c.deal as usize);
                    let value = match (line.credit, d) {
                        (Some(c), Some(d)) if line.kind == LineKind::Deal => {
                            if value_places > 0 {
                                with_currency(
                                    grouped(c.source_value, value_places),
                                    &deals.currency(d),
                                )
                            } else {
                                grouped(c.source_value, 0)
                            }
                        }
                        _ => String::new(),
                    };
                    lt.add_row(vec![
                        d.map(|d| deals.ids[d].to_string())
                            .unwrap_or_else(|| "rounding".into()),
                        d.map(|d| format!("{}:{}", deals.file, deals.lines[d]))
                            .unwrap_or_default(),
                        d.map(|d| deals.close_date(d).to_string())
                            .unwrap_or_default(),
                        value,
                        line.credit
                            .and_then(|c| c.fx_rate)
                            .filter(|_| line.kind == LineKind::Deal)
                            .map(|f| amount(f, 0))
                            .unwrap_or_default(),
                        line.credit
                            .filter(|_| line.kind == LineKind::Deal)
                            .map(|c| grouped(c.credited, value_places))
                            .unwrap_or_default(),
                        if line.kind == LineKind::Rounding {
                            String::new()
                        } else {
                            format!(
                                "{} → {}",
                                grouped(line.from, value_places),
                                grouped(line.to, value_places)
                            )
                        },
                        if line.kind == LineKind::Rounding {
                            String::new()
                        } else {
                            tier(comp, line.tier)
                        },
                        formula(plan, comp, line),
                        grouped(line.amount, places),
                    ]);
                }
                s.push_str(&indent(&lt.to_string(), "  "));
            }
            let _ = writeln!(
                s,
                "  measure to date: {} ({} deal(s) since {})",
                grouped(p.measure_to_date, value_places),
                p.deals_to_date,
                p.measurement_period.start()
            );
            if let (Some(q), Some(a)) = (p.quota, p.attainment) {
                let _ = writeln!(s, "  attainment: {} ÷ {} = {} (shown to 0.01%; tiers compare amounts, not this ratio)",
                    grouped(p.measure_to_date, value_places), grouped(q.amount, value_places), attainment_pct(Some(a)));
            }
            let _ = writeln!(
                s,
                "  earned to date: {} exact → {} ({})",
                amount(p.earned_exact, places),
                grouped(p.earned_to_date, places),
                plan.rounding
            );
            let _ = writeln!(
                s,
                "  true-up: payable = earned to date {} − paid before {} = {}",
                grouped(p.earned_to_date, places),
                grouped(p.paid_to_date, places),
                grouped(p.payable, places)
            );
            if p.in_run {
                grand += p.payable;
            }
        }
    }
    let _ = writeln!(
        s,
        "\nTotal payable for {}: {} {}",
        run.period,
        grouped(grand, places),
        plan.currency
    );
    if !not_credited.is_empty() {
        let _ = writeln!(s, "\nDeals of this rep not credited in this run:");
        let mut t = table(&["Deal", "Source", "Date", "Amount", "Reason"], &[3]);
        for (row, status) in not_credited {
            let d = *row as usize;
            t.add_row(vec![
                deals.ids[d].to_string(),
                format!("{}:{}", deals.file, deals.lines[d]),
                deals.close_date(d).to_string(),
                with_currency(grouped(deals.amount(d), 2), &deals.currency(d)),
                status.describe(),
            ]);
        }
        s.push_str(&indent(&t.to_string(), "  "));
    }
    s
}
