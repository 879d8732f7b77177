//! `payout estimate` laid out: the headline, the payable rows, the changed lines, the next tiers.

use rust_decimal::Decimal;

use super::{heads, money, signed, Grid};
use crate::money::{fmt_amount, fmt_percent};
use crate::report::format::attainment_pct;
use crate::scenario::estimate::{Change, Estimate, LineKey, LineValues};

fn opt(value: Option<Decimal>, places: u32) -> String {
    value.map(|v| money(v, places)).unwrap_or_default()
}

/// The changed lines whose change shows at the plan's places (a rounding line moving by a fraction
/// of a cent, or appearing or going at less than half a cent, is left out of tables and CSV; the
/// JSON has it).
fn shown_lines(e: &Estimate, places: u32) -> impl Iterator<Item = &Change<LineKey, LineValues>> {
    e.lines.iter().filter(move |c| {
        // A rounding line that is not there is one of 0.
        let absent = (c.key.kind == "rounding").then(LineValues::default);
        let shown = |v: &Option<LineValues>| {
            v.as_ref()
                .or(absent.as_ref())
                .map(|v| money(v.amount, places))
        };
        shown(&c.before) != shown(&c.after)
    })
}

pub fn headline(e: &Estimate, places: u32) -> String {
    format!(
        "{} ({}), {}, with {}: payable {} -> {} ({})",
        e.rep_id,
        e.rep_name,
        e.period,
        e.deals.join(", "),
        money(e.payable_before, places),
        money(e.payable_after, places),
        signed(e.payable_after - e.payable_before, places)
    )
}

pub fn grids(e: &Estimate, places: u32) -> Vec<Grid> {
    let rows = e
        .rows
        .iter()
        .map(|c| {
            let b = c.before.clone().unwrap_or_default();
            let a = c.after.clone().unwrap_or_default();
            vec![
                c.key.component.clone(),
                c.key.payout_period.to_string(),
                money(b.measure_to_date, places),
                money(a.measure_to_date, places),
                attainment_pct(a.attainment),
                money(b.payable, places),
                money(a.payable, places),
                signed(a.payable - b.payable, places),
            ]
        })
        .collect();
    let lines = shown_lines(e, places)
        .map(|c| {
            let amount = |v: &Option<LineValues>| v.as_ref().map(|v| v.amount);
            let after = c.after.as_ref().or(c.before.as_ref());
            vec![
                c.key.component.clone(),
                c.key.payout_period.to_string(),
                c.key.kind.to_string(),
                c.key.deal_id.clone(),
                // As statements name tiers: T1, T2...
                c.key.tier.map(|t| format!("T{t}")).unwrap_or_default(),
                after
                    .map(|v| fmt_percent(v.rate))
                    .filter(|_| after.is_some_and(|v| !v.rate.is_zero()))
                    .unwrap_or_default(),
                opt(amount(&c.before), places),
                opt(amount(&c.after), places),
                signed(
                    amount(&c.after).unwrap_or_default() - amount(&c.before).unwrap_or_default(),
                    places,
                ),
            ]
        })
        .collect();
    let next = e
        .next_tiers
        .iter()
        .map(|n| {
            vec![
                n.component.clone(),
                n.measurement_period.to_string(),
                money(n.measure_to_date, places),
                format!("T{} ({})", n.next_tier, fmt_percent(n.next_rate)),
                money(n.starts_at, places),
                format!(
                    "{}{}",
                    money(n.more_needed, places),
                    if n.inclusive { "" } else { " and more" }
                ),
            ]
        })
        .collect();
    vec![
        Grid {
            title: "Payable by component and payout period".into(),
            headers: heads(&[
                "Component",
                "Payout period",
                "Measure before",
                "Measure after",
                "Attainment after",
                "Payable before",
                "Payable after",
                "Change",
            ]),
            right: vec![2, 3, 4, 5, 6, 7],
            rows,
        },
        Grid {
            title: "Lines the deals add or change".into(),
            headers: heads(&[
                "Component",
                "Payout period",
                "Kind",
                "Deal",
                "Tier",
                "Rate",
                "Before",
                "After",
                "Change",
            ]),
            right: vec![5, 6, 7, 8],
            rows: lines,
        },
        Grid {
            title: "Next tier".into(),
            headers: heads(&[
                "Component",
                "Measurement period",
                "Measure",
                "Next tier",
                "Starts at",
                "More needed",
            ]),
            right: vec![2, 4, 5],
            rows: next,
        },
    ]
}

/// Every row, line and next tier as one CSV (`section`: payable, line or next-tier).
pub fn csv_grid(e: &Estimate, places: u32) -> Grid {
    let mut rows = Vec::new();
    for c in &e.rows {
        let b = c.before.as_ref().map(|v| v.payable);
        let a = c.after.as_ref().map(|v| v.payable);
        rows.push(csv_row(
            "payable",
            &c.key.component,
            &c.key.payout_period.to_string(),
            "",
            "",
            "",
            b,
            a,
            places,
        ));
    }
    for c in shown_lines(e, places) {
        let b = c.before.as_ref().map(|v| v.amount);
        let a = c.after.as_ref().map(|v| v.amount);
        let tier = c.key.tier.map(|t| t.to_string()).unwrap_or_default();
        rows.push(csv_row(
            "line",
            &c.key.component,
            &c.key.payout_period.to_string(),
            c.key.kind,
            &c.key.deal_id,
            &tier,
            b,
            a,
            places,
        ));
    }
    for n in &e.next_tiers {
        let mut row = csv_row(
            "next-tier",
            &n.component,
            &n.measurement_period.to_string(),
            "",
            "",
            &n.next_tier.to_string(),
            Some(n.measure_to_date),
            Some(n.starts_at),
            places,
        );
        row[8] = fmt_amount(n.more_needed, places);
        rows.push(row);
    }
    Grid {
        title: String::new(),
        headers: heads(&[
            "section",
            "component",
            "period",
            "kind",
            "deal_id",
            "tier",
            "before",
            "after",
            "change",
        ]),
        right: vec![],
        rows,
    }
}

#[allow(clippy::too_many_arguments)]
fn csv_row(
    section: &str,
    component: &str,
    period: &str,
    kind: &str,
    deal: &str,
    tier: &str,
    before: Option<Decimal>,
    after: Option<Decimal>,
    places: u32,
) -> Vec<String> {
    let cell = |v: Option<Decimal>| v.map(|v| fmt_amount(v, places)).unwrap_or_default();
    vec![
        section.into(),
        component.into(),
        period.into(),
        kind.into(),
        deal.into(),
        tier.into(),
        cell(before),
        cell(after),
        fmt_amount(
            after.unwrap_or_default() - before.unwrap_or_default(),
            places,
        ),
    ]
}
