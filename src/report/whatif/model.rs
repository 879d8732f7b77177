//! `payout model` laid out: totals side by side, attainment bands, reps, gainers and losers.

use rust_decimal::Decimal;

use super::{heads, money, signed, Grid};
use crate::money::{fmt_amount, fmt_percent};
use crate::report::format::attainment_pct;
use crate::scenario::model::{Model, Scenario};

fn pct(r: Option<Decimal>) -> String {
    r.map(|r| fmt_percent(r.round_dp(4))).unwrap_or_default()
}

pub fn grids(m: &Model, places: u32, currency: &str) -> Vec<Grid> {
    let names: Vec<&str> = std::iter::once("current")
        .chain(m.proposals.iter().map(|p| p.scenario.name.as_str()))
        .collect();
    let scenarios: Vec<&Scenario> = std::iter::once(&m.current)
        .chain(m.proposals.iter().map(|p| &p.scenario))
        .collect();
    let mut totals = vec![
        vec!["payout".to_string()],
        vec!["change".to_string()],
        vec!["cost of sales".to_string()],
        vec!["top decile payout".to_string()],
    ];
    for s in &scenarios {
        totals[0].push(money(s.payout, places));
        totals[1].push(signed(s.payout - m.current.payout, places));
        totals[2].push(pct(s.cost_of_sales));
        totals[3].push(money(s.top_decile_payout, places));
    }
    let mut headers: Vec<String> = vec![String::new()];
    headers.extend(names.iter().map(|n| n.to_string()));
    let right: Vec<usize> = (1..=names.len()).collect();
    let mut grids = vec![Grid {
        title: format!(
            "Period {}: bookings {} {currency}",
            m.period,
            money(m.bookings, places)
        ),
        headers: headers.clone(),
        right: right.clone(),
        rows: totals,
    }];
    let bands = m
        .current
        .bands
        .iter()
        .enumerate()
        .filter(|(_, b)| b.reps > 0)
        .map(|(i, b)| {
            let reps = if b.reps == 1 { "rep" } else { "reps" };
            let mut row = vec![format!("{} ({} {reps})", b.band, b.reps)];
            row.extend(scenarios.iter().map(|s| money(s.bands[i].payout, places)));
            row
        })
        .collect();
    grids.push(Grid {
        title: "Payout by attainment band (current attainment)".into(),
        headers: headers.clone(),
        right: right.clone(),
        rows: bands,
    });
    let mut rep_headers = heads(&["Rep", "Own bookings", "Attainment"]);
    rep_headers.extend(names.iter().map(|n| n.to_string()));
    let reps = (0..m.current.reps.len())
        .map(|i| {
            let c = &m.current.reps[i];
            let mut row = vec![
                c.rep_id.clone(),
                money(c.bookings, places),
                attainment_pct(c.attainment),
            ];
            row.extend(scenarios.iter().map(|s| money(s.reps[i].payout, places)));
            row
        })
        .collect();
    grids.push(Grid {
        title: "Payout by rep".into(),
        headers: rep_headers,
        right: (1..3 + names.len()).collect(),
        rows: reps,
    });
    for p in &m.proposals {
        let rows = p
            .gainers
            .iter()
            .chain(&p.losers)
            .map(|mv| {
                vec![
                    mv.rep_id.clone(),
                    money(mv.current, places),
                    money(mv.proposed, places),
                    signed(mv.change, places),
                ]
            })
            .collect();
        grids.push(Grid {
            title: format!("Who gains and loses most under {}", p.scenario.name),
            headers: heads(&["Rep", "Current", "Proposed", "Change"]),
            right: vec![1, 2, 3],
            rows,
        });
    }
    grids
}

/// One row per scenario and rep, then one per scenario for the total (rep_id `(total)`).
pub fn csv_grid(m: &Model, places: u32) -> Grid {
    let mut rows = Vec::new();
    let scenarios = std::iter::once(&m.current).chain(m.proposals.iter().map(|p| &p.scenario));
    for s in scenarios {
        for (r, c) in s.reps.iter().zip(&m.current.reps) {
            rows.push(vec![
                s.name.clone(),
                r.rep_id.clone(),
                r.plan.clone(),
                fmt_amount(r.bookings, places),
                r.attainment.map(|a| a.to_string()).unwrap_or_default(),
                r.band.to_string(),
                fmt_amount(r.payout, places),
                fmt_amount(r.payout - c.payout, places),
                r.cost_of_sales
                    .map(|x| x.round_dp(6).to_string())
                    .unwrap_or_default(),
            ]);
        }
        rows.push(vec![
            s.name.clone(),
            "(total)".into(),
            String::new(),
            fmt_amount(m.bookings, places),
            String::new(),
            String::new(),
            fmt_amount(s.payout, places),
            fmt_amount(s.payout - m.current.payout, places),
            s.cost_of_sales
                .map(|x| x.round_dp(6).to_string())
                .unwrap_or_default(),
        ]);
    }
    Grid {
        title: String::new(),
        headers: heads(&[
            "scenario",
            "rep_id",
            "plan",
            "bookings",
            "attainment",
            "band",
            "payout",
            "change",
            "cost_of_sales",
        ]),
        right: vec![],
        rows,
    }
}
