//! `explain`: the whole trace of one rep's payout for a period, in a form an auditor reads top to
//! bottom: plan and settings; per component its rules (tiers, curve, levels, modifiers); per
//! measurement period the quota and the tiers in amounts; per payout period the deals credited
//! (file:line, FX, credited value, cumulative), every line with its arithmetic, attainment, rounding,
//! true-up and payable.
//!
//! Invariants: every number shown is taken from the engine's result (nothing is recomputed here
//! except sums that are shown with their terms); deals not credited are listed with the reason.

use std::fmt::Write as _;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::Decimal;

use super::format::{
    amount, attainment_pct, formula, grouped, table_rate, table_tier, term_lines, term_row, tier,
};
use crate::data::Inputs;
use crate::engine::{RepResult, RunResult, Status};
use crate::money::fmt_percent;
use crate::plan::{
    Basis, BonusAmount, Component, ComponentKind, Condition, Curve, Interpolation, MeasureValue,
    Method, Plan, RateTable, Scope, Test,
};

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

fn conditions(cs: &[Condition]) -> String {
    if cs.is_empty() {
        return "(all)".into();
    }
    cs.iter()
        .map(|f| match &f.test {
            Test::In(v) => format!("{} in [{}]", f.column, v.join(", ")),
            Test::NotIn(v) => format!("{} not in [{}]", f.column, v.join(", ")),
            Test::Compare(op, v) => format!("{} {} {v}", f.column, op.symbol()),
            Test::Empty(b) => format!("{} is {}empty", f.column, if *b { "" } else { "not " }),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn describe_table(t: &RateTable) -> String {
    let method = match t.method {
        Method::Flat => "flat",
        Method::Marginal => "marginal (each slice at its tier's rate)",
        Method::Retroactive => "retroactive (everything at the highest tier reached)",
    };
    let scope = match t.scope {
        Scope::Cumulative => "on the cumulative measure of the measurement period",
        Scope::Transaction => "on each deal on its own",
    };
    format!("{method}, {scope}")
}

/// The tiers of a table in measure units for a measurement period.
fn tiers_table(plan: &Plan, t: &RateTable, quota: Option<Decimal>, places: u32) -> String {
    let mut tt = table(
        &["Tier", "Rate", "From (measure)", "To (measure)"],
        &[1, 2, 3],
    );
    let scale = match (t.basis, quota) {
        (Basis::Attainment, Some(q)) => q,
        _ => Decimal::ONE,
    };
    for (i, tier) in t.tiers.iter().enumerate() {
        tt.add_row(term_row(vec![
            table_tier(t, Some(i)),
            tier.amount.map_or_else(
                || table_rate(plan, t, tier.rate),
                |a| format!("{} for the tier, prorated", grouped(a, places)),
            ),
            grouped(tier.from * scale, places),
            tier.to
                .map(|to| grouped(to * scale, places))
                .unwrap_or_else(|| "∞".into()),
        ]));
    }
    indent(&tt.to_string(), "  ")
}

/// A curve's continuation past its last point, if it has one: ", then +2% per point of attainment
/// (at most 300%)".
fn describe_curve_after(c: &Curve) -> String {
    let Some(after) = c.after else {
        return String::new();
    };
    format!(
        ", then +{} per point of attainment{}",
        fmt_percent(after.slope),
        after
            .max
            .map_or(String::new(), |m| format!(" (at most {})", fmt_percent(m)))
    )
}

/// A curve's or bonus's weighted attainment, if it has one: "Attainment: the weighted sum of
/// `bookings` (quota `bookings`) × 60% + `new_logos` (quota `new_logos`) × 40%".
fn describe_weights(s: &mut String, plan: &Plan, comp: &Component) {
    if comp.weights().is_empty() {
        return;
    }
    let terms: Vec<String> = comp
        .weights()
        .iter()
        .map(|w| {
            format!(
                "`{}` (quota `{}`) × {}",
                plan.measures[w.measure].name,
                w.quota_measure,
                fmt_percent(w.weight)
            )
        })
        .collect();
    let _ = writeln!(s, "Attainment: the weighted sum of {}", terms.join(" + "));
}

/// The deal's values that chose a deal line's rule or tier (the rule's columns and derived values,
/// the `tier_on` value), as " (margin_pct = 0.7536)"; the engine keeps them on the line. Empty for
/// other lines.
fn tier_key_note(line: &crate::engine::Line) -> String {
    match (line.kind, line.detail.as_deref()) {
        (crate::engine::LineKind::Deal | crate::engine::LineKind::Retro, Some(d)) => {
            format!(" ({d})")
        }
        _ => String::new(),
    }
}

/// The blended rate of a commission on a money measure: "effective rate: earned to date 6,064.68 ÷
/// measure to date 97,589.00 = 6.2145%"; `None` for other components or an empty measure.
fn effective_rate(
    inputs: &Inputs,
    plan: &Plan,
    comp: &Component,
    p: &crate::engine::PeriodResult,
    value_places: u32,
) -> Option<String> {
    if !matches!(comp.kind, ComponentKind::Commission(_))
        || !super::format::measure_is_money(inputs, plan, comp)
        || p.measure_to_date.is_zero()
    {
        return None;
    }
    let rate = p.earned_to_date.checked_div(p.measure_to_date)?;
    Some(format!(
        "effective rate: earned to date {} ÷ measure to date {} = {}",
        grouped(p.earned_to_date, plan.rounding.places),
        grouped(p.measure_to_date, value_places),
        fmt_percent(rate.round_dp(6))
    ))
}

/// What the component is, in words.
fn describe_component(s: &mut String, plan: &Plan, comp: &Component, places: u32) {
    match &comp.kind {
        ComponentKind::Commission(c) => {
            if !c.table.tiers.is_empty() {
                let _ = writeln!(s, "Commission: {}", describe_table(&c.table));
            }
            for (i, r) in c.rules.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "Rule {} ({}:{}): when {}: {}",
                    i + 1,
                    plan.file,
                    r.line,
                    conditions(&r.when),
                    r.per_deal.map_or_else(
                        || describe_table(&r.table),
                        |a| format!("{} per deal (× the credited share)", grouped(a, places))
                    )
                );
            }
            if !c.rules.is_empty() {
                let _ = writeln!(
                    s,
                    "The most specific matching rule{} prices a deal{}",
                    if c.precedence.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (by column: {}, then by number of conditions)",
                            c.precedence.join(" > ")
                        )
                    },
                    if c.table.tiers.is_empty() {
                        "; a deal no rule matches earns nothing"
                    } else {
                        "; otherwise the default table"
                    }
                );
            }
            if let Some(t) = &c.tier_on {
                let _ = writeln!(s, "Each deal's tier is chosen by its own `{t}`; the rate applies to its credited value");
            }
            if let Some(t) = c.threshold {
                let _ = writeln!(
                    s,
                    "Threshold: nothing is earned below {}{}",
                    match c.table.basis {
                        Basis::Attainment => format!("{} attainment", fmt_percent(t.at)),
                        Basis::Amount => amount(t.at, places),
                    },
                    if t.catch_up {
                        "; once reached, everything to date is paid (catch-up)"
                    } else {
                        "; the part below is never paid"
                    }
                );
            }
            if let Some(x) = c.deal_cap {
                let _ = writeln!(s, "Per-deal cap: {}", grouped(x, places));
            }
            if let Some(x) = c.deal_floor {
                let _ = writeln!(s, "Per-deal minimum: {}", grouped(x, places));
            }
            if let Some(x) = &c.cap_by {
                let _ = writeln!(
                    s,
                    "Cap per `{}`: the deals sharing a value earn at most {} together per measurement period",
                    x.column,
                    grouped(x.amount, places)
                );
            }
        }
        ComponentKind::Curve(c) => {
            let points: Vec<String> = c
                .points
                .iter()
                .map(|(a, p)| format!("{} → {}", fmt_percent(*a), fmt_percent(*p)))
                .collect();
            let _ = writeln!(
                s,
                "Curve ({}): {}{}; weight {}; target incentive {}",
                match c.interpolation {
                    Interpolation::Linear => "linear between points",
                    Interpolation::Step => "steps",
                },
                points.join(", "),
                describe_curve_after(c),
                fmt_percent(c.weight),
                c.target_incentive
                    .map_or("from the roster (annual)".to_string(), |t| format!(
                        "{} (annual, from the plan)",
                        grouped(t, places)
                    ))
            );
        }
        ComponentKind::Bonus(b) => {
            let levels: Vec<String> = b
                .levels
                .iter()
                .map(|l| {
                    format!(
                        "{} → {}",
                        fmt_percent(l.attainment),
                        match l.amount {
                            BonusAmount::Fixed(a) => grouped(a, places),
                            BonusAmount::PercentOfTi(p) =>
                                format!("{} of target incentive", fmt_percent(p)),
                        }
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "Bonus levels ({}), each paid once when first reached: {}",
                if b.stacking {
                    "stacking: every level reached pays"
                } else {
                    "not stacking: the highest level reached pays"
                },
                levels.join(", ")
            );
        }
        ComponentKind::Spiff(sp) => {
            let _ = writeln!(
                s,
                "SPIFF: {} per unit of the measure, for deals dated {} to {}",
                grouped(sp.amount, places),
                sp.from.map_or("any time".into(), |d| d.to_string()),
                sp.to.map_or("any time".into(), |d| d.to_string())
            );
        }
        ComponentKind::PlanCap(pc) => {
            let _ = writeln!(
                s,
                "Plan cap: the plan's payables in each {} are capped at {}",
                pc.period,
                grouped(pc.amount, places)
            );
        }
    }
    describe_weights(s, plan, comp);
    if let Some(g) = &comp.gate {
        let _ = writeln!(
            s,
            "Gate: payable only while `{}` attainment ≥ {}{}",
            plan.measures[g.measure].name,
            fmt_percent(g.attainment),
            if g.catch_up {
                " (catch-up: held amounts are paid when it opens)"
            } else {
                " (no catch-up: what is earned while closed is forfeited)"
            }
        );
    }
    if let Some(m) = &comp.multiplier {
        let steps: Vec<String> = m
            .steps
            .iter()
            .map(|(a, f)| format!("≥{} ×{}", fmt_percent(*a), f.normalize()))
            .collect();
        let _ = writeln!(
            s,
            "Multiplier by `{}` attainment: {}",
            plan.measures[m.measure].name,
            steps.join(", ")
        );
    }
    if let Some(cap) = comp.cap {
        let _ = writeln!(
            s,
            "Cap: {} per {}",
            grouped(cap, places),
            comp.measurement_period
        );
    }
    if let Some(life) = comp.lifetime_cap {
        let _ = writeln!(
            s,
            "Lifetime cap: {} over the plan assignment{}",
            grouped(life.amount, places),
            comp.cap.map_or(String::new(), |_| format!(
                " (after the cap per {})",
                comp.measurement_period
            ))
        );
    }
}

/// Render the explanation of rep result `r` (the rep on one plan) in `run`, ending with what it makes
/// payable: the rep's total, or, when the rep is on `several` plans in the run, this plan's part.
pub fn render(inputs: &Inputs, run: &RunResult, r: &RepResult, several: bool) -> Explained {
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
    if let Some((from, to)) = r.assignment {
        let _ = writeln!(
            s,
            "  assigned from {from}{} ({})",
            to.map_or(String::new(), |t| format!(" to {t}")),
            inputs.assignments.file
        );
    }
    let _ = writeln!(s, "Run period {}", run.period);
    let mut grand = Decimal::ZERO;

    for c in &r.components {
        let comp = &plan.components[c.component];
        let measure = &plan.measures[comp.measure];
        let is_cap = matches!(comp.kind, ComponentKind::PlanCap(_));
        let value_places = if super::format::measure_is_money(inputs, plan, comp) {
            places
        } else {
            0
        };
        let _ = writeln!(
            s,
            "\n== Component `{}`, {} ({}:{}) ==",
            comp.id,
            comp.kind.name(),
            plan.file,
            comp.line
        );
        if !is_cap {
            let what = match &measure.value {
                MeasureValue::Count => "count".to_string(),
                MeasureValue::Sum(col) => format!("sum of {col}"),
            };
            let base = &inputs.fx.base;
            let conversion = match (value_places > 0, &plan.currency == base) {
                (false, _) => String::new(),
                (true, true) => {
                    format!(", converted to {} at the rate on that date", plan.currency)
                }
                (true, false) => format!(
                    ", converted to {} at the rate on that date: a cross rate through {base}, the \
                     deal currency's {base} rate ÷ {}'s {base} rate{}, rounded to {} decimals half \
                     away from zero",
                    plan.currency,
                    plan.currency,
                    match inputs.fx.file.is_empty() {
                        true => String::new(),
                        false => format!(" in {}", inputs.fx.file),
                    },
                    crate::data::fx::CROSS_PLACES
                ),
            };
            let _ = writeln!(
                s,
                "Measure `{}`: {what} of deals where {}, dated by {}{conversion}",
                measure.name,
                conditions(&measure.filter),
                measure.date_column
            );
            let _ = writeln!(
                s,
                "Measured per {}, paid per {}",
                comp.measurement_period, comp.payout_period
            );
        }
        describe_component(&mut s, plan, comp, places);

        let mut current = None;
        for p in &c.periods {
            if current != Some(p.measurement_period) {
                current = Some(p.measurement_period);
                let _ = writeln!(
                    s,
                    "\n-- {} {} ({} to {}) --",
                    if is_cap {
                        "Cap period"
                    } else {
                        "Measurement period"
                    },
                    p.measurement_period,
                    p.measurement_period.start(),
                    p.measurement_period.end()
                );
                if !is_cap {
                    match p.quota() {
                        Some(q) => {
                            let scaled = match p.quota_scale() {
                                Some((full, scale)) => format!(
                                    "{} {} = {} ({}{})",
                                    grouped(*full, value_places),
                                    scale.describe(),
                                    grouped(q.amount, plan.rounding.places),
                                    plan.rounding,
                                    scale
                                        .breakdown()
                                        .map_or(String::new(), |b| format!("; {b}"))
                                ),
                                None => grouped(q.amount, value_places),
                            };
                            let _ = writeln!(
                                s,
                                "Quota `{}`: {} ({}:{}{})",
                                comp.quota_measure,
                                scaled,
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
                }
                if let ComponentKind::Commission(cm) = &comp.kind {
                    let quota = p.quota().map(|q| q.amount);
                    if !cm.table.tiers.is_empty() {
                        s.push_str(&tiers_table(plan, &cm.table, quota, value_places));
                    }
                    for (i, rule) in cm.rules.iter().enumerate() {
                        let _ = writeln!(s, "  rule {}:", i + 1);
                        s.push_str(&tiers_table(plan, &rule.table, quota, value_places));
                    }
                }
            }
            let marker = if p.in_run {
                ""
            } else if run.period.contains(p.payout_period.end()) {
                " (the rep is not employed or not on this plan then: shown for the true-up)"
            } else {
                " (before the run period: shown for the true-up)"
            };
            let _ = writeln!(s, "\nPayout period {}{marker}", p.payout_period);
            if !p.credits().is_empty() {
                let mut dt = table(
                    &[
                        "Deal",
                        "Source",
                        "Date",
                        "Value",
                        "FX",
                        "Credit",
                        "Share",
                        "Credited",
                        "Measure to date",
                    ],
                    &[3, 4, 6, 7, 8],
                );
                let mut cum =
                    p.measure_to_date - p.credits().iter().map(|c| c.credited).sum::<Decimal>();
                for cr in p.credits() {
                    let d = cr.deal as usize;
                    cum += cr.credited;
                    dt.add_row(term_row(vec![
                        deals.id(d).to_string(),
                        format!("{}:{}", deals.file, deals.line(d)),
                        cr.date.to_string(),
                        if value_places > 0 {
                            with_currency(grouped(cr.source_value, value_places), deals.currency(d))
                        } else {
                            grouped(cr.source_value, 0)
                        },
                        cr.fx_rate.map(|f| amount(f, 0)).unwrap_or_default(),
                        super::statement::credit_kind(inputs, run, cr),
                        crate::money::fmt_percent(cr.share),
                        grouped(cr.credited, value_places),
                        grouped(cum, value_places),
                    ]));
                }
                let _ = writeln!(s, "  deals credited:");
                s.push_str(&indent(&dt.to_string(), "  "));
            } else if !is_cap {
                let _ = writeln!(s, "  no deals credited in this payout period");
            }
            if !p.lines().is_empty() {
                let mut lt = table(&["Line", "Deal", "Tier", "Formula", "Amount"], &[4]);
                for line in p.lines() {
                    lt.add_row(term_row(vec![
                        line.kind.name().to_string(),
                        line.credit
                            .map(|c| deals.id(c.deal as usize).to_string())
                            .unwrap_or_default(),
                        tier(comp, line),
                        formula(plan, comp, line) + &tier_key_note(line),
                        grouped(line.amount, places),
                    ]));
                }
                let _ = writeln!(s, "  lines:");
                s.push_str(&indent(&lt.to_string(), "  "));
            }
            if !is_cap {
                let _ = writeln!(
                    s,
                    "  measure to date: {} ({} deal(s) since {})",
                    grouped(p.measure_to_date, value_places),
                    p.deals_to_date,
                    p.measurement_period.start()
                );
                if let (Some(q), Some(a)) = (p.quota(), p.attainment()) {
                    let note = if matches!(comp.kind, ComponentKind::Commission(_)) {
                        "; tiers compare amounts, not this ratio"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        s,
                        "  attainment: {} ÷ {} = {} (shown to 0.01%{note})",
                        grouped(p.measure_to_date, value_places),
                        grouped(q.amount, value_places),
                        attainment_pct(Some(a))
                    );
                }
            }
            let _ = writeln!(
                s,
                "  earned to date: {} exact → {} ({})",
                amount(p.earned_exact, places),
                grouped(p.earned_to_date, places),
                plan.rounding
            );
            if let Some(text) = effective_rate(inputs, plan, comp, p, value_places) {
                let _ = writeln!(s, "  {text}");
            }
            if !p.capped_off().is_zero() {
                let _ = writeln!(
                    s,
                    "  capped off this period: {}",
                    grouped(p.capped_off(), places)
                );
            }
            // Payment lines (closing periods: draws, adjustments, clawbacks, holds, prior periods).
            let payment: rust_decimal::Decimal = p
                .lines()
                .iter()
                .filter(|l| l.kind.is_payment())
                .map(|l| l.amount)
                .sum();
            let has_payment = p.lines().iter().any(|l| l.kind.is_payment());
            let _ = writeln!(
                s,
                "  true-up: payable = earned to date {} − paid before {}{} = {}",
                grouped(p.earned_to_date, places),
                grouped(p.paid_to_date, places),
                if has_payment {
                    format!(" + payment lines {}", grouped(payment, places))
                } else {
                    String::new()
                },
                grouped(p.payable, places)
            );
            if p.in_run {
                grand += p.payable;
            }
        }
    }
    if !r
        .components
        .iter()
        .any(|c| c.periods.iter().any(|p| p.in_run))
    {
        let _ = writeln!(
            s,
            "\nNo payout period of this plan falls in {}{}.",
            run.period,
            outside_assignment(r.assignment, run.period)
        );
    }
    let _ = writeln!(
        s,
        "\n{} for {}: {} {}",
        if several {
            format!("Payable under plan {}", plan.id)
        } else {
            "Total payable".to_string()
        },
        run.period,
        grouped(grand, places),
        plan.currency
    );
    Explained {
        text: terminal_text(s),
        payable: grand,
        currency: plan.currency.clone(),
        places,
    }
}

/// One plan's block of a rep's explanation, and what it makes payable in the run's period.
pub struct Explained {
    pub text: String,
    pub payable: Decimal,
    pub currency: String,
    pub places: u32,
}

/// Why a plan has no payout period in `period`: its assignment ends before or starts after it.
fn outside_assignment(
    assignment: Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)>,
    period: crate::period::Period,
) -> String {
    match assignment {
        Some((_, Some(to))) if to < period.start() => format!(" (the assignment ended on {to})"),
        Some((from, _)) if from > period.end() => format!(" (the assignment starts on {from})"),
        _ => String::new(),
    }
}

/// The total a rep is paid for `period` across the plans of `blocks`, a line per currency.
pub fn render_total(period: crate::period::Period, blocks: &[Explained]) -> String {
    let mut totals: std::collections::BTreeMap<&str, (Decimal, u32)> = Default::default();
    for b in blocks {
        let total = totals.entry(&b.currency).or_default();
        total.0 += b.payable;
        total.1 = total.1.max(b.places);
    }
    let mut s = String::new();
    for (currency, (amount, places)) in totals {
        let _ = writeln!(
            s,
            "\nTotal payable for {period}: {} {currency}",
            grouped(amount, places)
        );
    }
    s
}

/// The rep's deals no plan credits in the run, each with its reason.
pub fn render_not_credited(inputs: &Inputs, not_credited: &[(u32, Status)]) -> String {
    let deals = &inputs.deals;
    let mut s = String::new();
    if !not_credited.is_empty() {
        let _ = writeln!(s, "\nDeals of this rep not credited in this run:");
        let mut t = table(&["Deal", "Source", "Date", "Amount", "Reason"], &[3]);
        for (row, status) in not_credited {
            let d = *row as usize;
            t.add_row(term_row(vec![
                deals.id(d).to_string(),
                format!("{}:{}", deals.file, deals.line(d)),
                deals.close_date(d).to_string(),
                with_currency(grouped(deals.amount(d), 2), deals.currency(d)),
                status.describe(),
            ]));
        }
        s.push_str(&indent(&t.to_string(), "  "));
    }
    terminal_text(s)
}

/// User text (names, ids, columns) reaches the terminal with its control characters escaped.
fn terminal_text(s: String) -> String {
    match term_lines(&s) {
        std::borrow::Cow::Owned(escaped) => escaped,
        std::borrow::Cow::Borrowed(_) => s,
    }
}
