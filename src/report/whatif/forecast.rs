//! `payout forecast` laid out: by payout period, by rep with the accrual, by component, the open deals.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{heads, money, Grid};
use crate::money::{fmt_amount, fmt_percent};
use crate::scenario::forecast::{ForecastResult, Row};

/// Rows summed by `key`: (earned, pipeline, expected).
fn by<K: Ord>(rows: &[Row], key: impl Fn(&Row) -> K) -> BTreeMap<K, [Decimal; 3]> {
    let mut out: BTreeMap<K, [Decimal; 3]> = BTreeMap::new();
    for r in rows {
        let e = out.entry(key(r)).or_default();
        e[0] += r.earned;
        e[1] += r.pipeline;
        e[2] += r.expected;
    }
    out
}

fn sums(label: String, s: &[Decimal; 3], places: u32) -> Vec<String> {
    let mut row = vec![label];
    row.extend(s.iter().map(|v| money(*v, places)));
    row
}

/// The tables of `payout forecast`; `name` gives a rep id's name in the roster.
pub fn grids(f: &ForecastResult, places: u32, name: impl Fn(&str) -> String) -> Vec<Grid> {
    let month = by(&f.rows, |r| r.payout_period)
        .iter()
        .map(|(p, s)| sums(p.to_string(), s, places))
        .collect();
    let accrual: BTreeMap<&str, _> = f.accrual.iter().map(|a| (a.rep_id.as_str(), a)).collect();
    let rep = by(&f.rows, |r| r.rep_id.clone())
        .iter()
        .map(|(id, s)| {
            let mut row = sums(id.clone(), s, places);
            row.insert(1, name(id));
            let a = accrual.get(id.as_str());
            row.push(money(a.map_or(Decimal::ZERO, |a| a.held), places));
            row.push(money(
                a.map_or(Decimal::ZERO, |a| a.carried_balance),
                places,
            ));
            row.push(money(a.map_or(Decimal::ZERO, |a| a.draw_balance), places));
            row
        })
        .collect();
    let component = by(&f.rows, |r| format!("{} / {}", r.plan, r.component))
        .iter()
        .map(|(c, s)| sums(c.clone(), s, places))
        .collect();
    let deals = f
        .open_deals
        .iter()
        .map(|d| {
            vec![
                d.deal_id.clone(),
                d.rep_id.clone(),
                d.stage.clone(),
                d.close_date.to_string(),
                money(d.amount, places),
                d.currency.clone(),
                fmt_percent(d.probability),
                money(d.expected, places),
            ]
        })
        .collect();
    let three = ["Earned", "Pipeline", "Expected"];
    let with = |first: &str| {
        let mut h = vec![first];
        h.extend(three);
        heads(&h)
    };
    let mut rep_headers = with("Rep");
    rep_headers.insert(1, "Name".to_string());
    rep_headers.extend(heads(&["Held", "Carried balance", "Draw balance"]));
    vec![
        Grid {
            title: "By payout period".into(),
            headers: with("Payout period"),
            right: vec![1, 2, 3],
            rows: month,
        },
        Grid {
            title: "By rep, with the accrual (earned, not yet paid)".into(),
            headers: rep_headers,
            right: vec![2, 3, 4, 5, 6, 7],
            rows: rep,
        },
        Grid {
            title: "By component".into(),
            headers: with("Plan / component"),
            right: vec![1, 2, 3],
            rows: component,
        },
        Grid {
            title: "Open deals, weighted".into(),
            headers: heads(&[
                "Deal",
                "Rep",
                "Stage",
                "Close date",
                "Amount",
                "Currency",
                "Probability",
                "Expected",
            ]),
            right: vec![4, 6, 7],
            rows: deals,
        }
        // A deals file without currencies is in the plans' currency.
        .without_empty(5),
    ]
}

/// One row per rep, component and payout period.
pub fn csv_grid(f: &ForecastResult, places: u32) -> Grid {
    let rows = f
        .rows
        .iter()
        .map(|r| {
            vec![
                r.rep_id.clone(),
                r.plan.clone(),
                r.component.clone(),
                r.payout_period.to_string(),
                fmt_amount(r.earned, places),
                fmt_amount(r.pipeline, places),
                fmt_amount(r.expected, places),
            ]
        })
        .collect();
    Grid {
        title: String::new(),
        headers: heads(&[
            "rep_id",
            "plan",
            "component",
            "payout_period",
            "earned",
            "pipeline",
            "expected",
        ]),
        right: vec![],
        rows,
    }
}

/// The forecast in one line; `currency`: the workspace's, in which every amount is.
pub fn headline(f: &ForecastResult, places: u32, currency: &str) -> String {
    let open = f.open_deals.len();
    let left_out: usize = f.unweighted.iter().map(|u| u.deals).sum();
    format!(
        "{}: earned {} + pipeline {} = expected {} {currency} ({open} open deal{}, weighted by {}{})",
        f.period,
        money(f.earned, places),
        money(f.pipeline, places),
        money(f.expected, places),
        if open == 1 { "" } else { "s" },
        f.weighting,
        match left_out {
            0 => String::new(),
            n => format!("; {n} left out, at a stage with no probability"),
        }
    )
}
