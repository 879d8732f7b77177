//! The expense forecast: what the open pipeline is expected to add to commission expense in a
//! period, on top of what is earned, and the accrual (earned, not yet paid).
//!
//! How weighting enters the engine: every open deal (its stage neither the won stage nor a lost one)
//! that is expected to close in the period (its `close_date`) with a probability above zero becomes
//! a hypothetical deal: a copy of its row with `amount`, `margin` and `quantity` multiplied by the
//! probability, the won stage, and the id `<id>~forecast`. The real plans are then run on the data
//! with these deals added (the same run path as `payout run`), so tiers, accelerators and caps price
//! the expected deals; the pipeline's expense is that run's payables minus the actual data's.
//!
//! Invariants: the probability is the stage's (`[forecast] stages`; a stage not listed is 0) or the
//! owner's historical win rate (won ÷ (won + lost) deals closed before the period; 0 without any);
//! for every row `expected = earned + pipeline`; nothing is written.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Runner;
use crate::data::deals::{Cell, NO_OWNER};
use crate::data::{ColumnValues, DealTable, Inputs};
use crate::engine::{LineKind, RunResult, Settings};
use crate::period::Period;
use crate::workspace::Forecast;

/// An open deal and its weight.
#[derive(Debug, Clone, Serialize)]
pub struct Weighted {
    pub deal_id: String,
    pub rep_id: String,
    pub stage: String,
    pub close_date: NaiveDate,
    pub amount: Decimal,
    pub probability: Decimal,
    /// amount × probability: the amount of the hypothetical deal.
    pub expected: Decimal,
}

/// A rep's component in a payout period: earned on the data, added by the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub rep_id: String,
    pub plan: String,
    pub component: String,
    pub payout_period: Period,
    pub earned: Decimal,
    pub pipeline: Decimal,
    pub expected: Decimal,
}

/// Earned but not yet paid, per rep, at the end of the run (from the payment step's lines).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Accrual {
    pub rep_id: String,
    /// Commission held until deals are paid, not yet released (positive).
    pub held: Decimal,
    /// The balance carried forward (a negative payable not yet recovered), as the last line left it.
    pub carried_balance: Decimal,
    /// The recoverable draw balance outstanding, as the last line left it.
    pub draw_balance: Decimal,
}

#[derive(Debug, Serialize)]
pub struct ForecastResult {
    pub period: Period,
    pub weighting: &'static str,
    pub open_deals: Vec<Weighted>,
    pub earned: Decimal,
    pub pipeline: Decimal,
    pub expected: Decimal,
    pub rows: Vec<Row>,
    pub accrual: Vec<Accrual>,
}

/// Forecast `settings.period`.
pub fn forecast(
    inputs: &mut Inputs,
    runner: &dyn Runner,
    settings: Settings,
    f: &Forecast,
) -> anyhow::Result<ForecastResult> {
    let (run, _) = runner.run(inputs, settings)?;
    let earned = payables(inputs, &run);
    let accrual = accrual(inputs, &run);
    drop(run);
    let open = open_deals(inputs, settings.period, f);
    let weighted = add_expected(inputs, &open, f)?;
    let (run, _) = runner.run(inputs, settings)?;
    let expected = payables(inputs, &run);
    let mut rows = Vec::new();
    for (key, after) in &expected {
        let before = earned.get(key).copied().unwrap_or_default();
        rows.push(Row {
            rep_id: key.0.clone(),
            plan: key.1.clone(),
            component: key.2.clone(),
            payout_period: key.3,
            earned: before,
            pipeline: after - before,
            expected: *after,
        });
    }
    Ok(ForecastResult {
        period: settings.period,
        weighting: if f.by_win_rate { "win-rate" } else { "stage" },
        earned: rows.iter().map(|r| r.earned).sum(),
        pipeline: rows.iter().map(|r| r.pipeline).sum(),
        expected: rows.iter().map(|r| r.expected).sum(),
        open_deals: weighted,
        rows,
        accrual,
    })
}

type Key = (String, String, String, Period);

/// The run's payables by (rep id, plan id, component id, payout period), in-run periods only.
fn payables(inputs: &Inputs, run: &RunResult) -> BTreeMap<Key, Decimal> {
    let mut out = BTreeMap::new();
    for r in &run.reps {
        let plan = &inputs.plans[r.plan];
        let rep = &inputs.roster.get(r.rep).id;
        for c in &r.components {
            for p in c.periods.iter().filter(|p| p.in_run) {
                let key = (
                    rep.clone(),
                    plan.id.clone(),
                    plan.components[c.component].id.clone(),
                    p.payout_period,
                );
                *out.entry(key).or_default() += p.payable;
            }
        }
    }
    out
}

/// Per rep with a payment line: held, carried and draw balances (see [`Accrual`]).
fn accrual(inputs: &Inputs, run: &RunResult) -> Vec<Accrual> {
    let mut by_rep: BTreeMap<String, Accrual> = BTreeMap::new();
    for ((owner, _), entries) in &run.payment.entries {
        let id = inputs.roster.get(owner.rep.0).id.clone();
        let a = by_rep.entry(id.clone()).or_insert_with(|| Accrual {
            rep_id: id,
            ..Accrual::default()
        });
        for e in entries {
            match e.kind {
                LineKind::Hold | LineKind::Release => a.held -= e.amount,
                LineKind::CarryForward | LineKind::CarryIn => {
                    a.carried_balance = e.balance.unwrap_or(a.carried_balance)
                }
                LineKind::Draw | LineKind::Recovery | LineKind::DrawForgiven => {
                    a.draw_balance = e.balance.unwrap_or(a.draw_balance)
                }
                _ => {}
            }
        }
    }
    by_rep
        .into_values()
        .filter(|a| !(a.held.is_zero() && a.carried_balance.is_zero() && a.draw_balance.is_zero()))
        .collect()
}

/// Open deals closing in `period`, with their probability (rows, probability > 0).
fn open_deals(inputs: &Inputs, period: Period, f: &Forecast) -> Vec<(usize, Decimal)> {
    let deals = &inputs.deals;
    let Some(stage_col) = deals.column("stage") else {
        return Vec::new();
    };
    let stage = |row: usize| deals.columns[stage_col].display(row);
    let is_open = |s: &str| s != f.won && !f.lost.iter().any(|l| l == s);
    let rates = if f.by_win_rate {
        win_rates(inputs, period.start(), stage_col, f)
    } else {
        Vec::new()
    };
    (0..deals.len())
        .filter(|&row| deals.owner(row) != NO_OWNER && period.contains(deals.close_date(row)))
        .filter_map(|row| {
            let s = stage(row);
            if !is_open(&s) {
                return None;
            }
            let p = if f.by_win_rate {
                rates[deals.owner(row) as usize]
            } else {
                f.stages.get(&s).copied().unwrap_or_default()
            };
            (p > Decimal::ZERO).then_some((row, p))
        })
        .collect()
}

/// Per rep: won ÷ (won + lost) of the deals it owns that closed before `before` (0 without any).
fn win_rates(inputs: &Inputs, before: NaiveDate, stage_col: usize, f: &Forecast) -> Vec<Decimal> {
    let deals = &inputs.deals;
    let mut counts = vec![(0u64, 0u64); inputs.roster.len()];
    for row in 0..deals.len() {
        let rep = deals.owner(row);
        if rep == NO_OWNER
            || deals.columns[deals.close_date]
                .date(row)
                .is_none_or(|d| d >= before)
        {
            continue;
        }
        let s = deals.columns[stage_col].display(row);
        if s == f.won {
            counts[rep as usize].0 += 1;
        } else if f.lost.contains(&s) {
            counts[rep as usize].1 += 1;
        }
    }
    counts
        .into_iter()
        .map(|(won, lost)| {
            Decimal::from(won)
                .checked_div(Decimal::from(won + lost))
                .unwrap_or_default()
        })
        .collect()
}

/// Append the expected deals (see the module's docs); returns what was weighted.
fn add_expected(
    inputs: &mut Inputs,
    open: &[(usize, Decimal)],
    f: &Forecast,
) -> anyhow::Result<Vec<Weighted>> {
    let mut rows = Vec::new();
    let mut weighted = Vec::new();
    let deals = &inputs.deals;
    for &(row, p) in open {
        let cells = weighted_cells(deals, row, p, &f.won);
        let amount = deals.amount(row);
        weighted.push(Weighted {
            deal_id: deals.id(row).to_string(),
            rep_id: inputs.roster.get(deals.owner(row)).id.clone(),
            stage: deals
                .column("stage")
                .map(|c| deals.columns[c].display(row))
                .unwrap_or_default(),
            close_date: deals.close_date(row),
            amount,
            probability: p,
            expected: amount * p,
        });
        rows.push((
            format!("{}~forecast", deals.id(row)),
            deals.owner(row),
            cells,
        ));
    }
    for (id, rep, cells) in rows {
        inputs
            .deals
            .push_row(&id, rep, cells)
            .map_err(anyhow::Error::msg)?;
    }
    Ok(weighted)
}

/// The row's cells, weighted by `p`, at stage `won`.
fn weighted_cells(deals: &DealTable, row: usize, p: Decimal, won: &str) -> Vec<Cell> {
    deals
        .columns
        .iter()
        .map(|c| match (&c.values, c.name.as_str()) {
            (ColumnValues::Text { .. }, "stage") => Cell::Text(won.to_string()),
            (ColumnValues::Text { .. }, _) => Cell::Text(c.display(row)),
            (ColumnValues::Decimal(_), "amount" | "margin" | "quantity") => {
                Cell::Decimal(c.decimal(row).map(|v| v * p))
            }
            (ColumnValues::Decimal(_), _) => Cell::Decimal(c.decimal(row)),
            (ColumnValues::Date(_), _) => Cell::Date(c.date(row)),
        })
        .collect()
}
