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
//! What a stage means comes from `[forecast]` where it says, else from the workspace's `[stages]`
//! (the insights' stage categories), else the defaults `Closed Won` and `Closed Lost`
//! ([`StageRules`]).
//!
//! Invariants: the probability is the stage's (`[forecast] stages`, else an open stage's probability
//! in `[stages]`; any other stage is 0) or the owner's historical win rate (won ÷ (won + lost) deals
//! closed before the period; 0 without any); an open deal closing in the period with probability 0
//! is counted in [`ForecastResult::unweighted`], never dropped unsaid; for every row
//! `expected = earned + pipeline`; amounts are in the workspace currency (a plan in another
//! currency converted at the mid rate of each payout period's last day, exact); nothing is written.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Runner;
use crate::data::deals::{Cell, NO_OWNER};
use crate::data::{ColumnValues, DealTable, Inputs};
use crate::diag::{Diagnostic, InvalidInput};
use crate::engine::{LineKind, RunResult, Settings};
use crate::period::Period;
use crate::stages::{StageCategory, Stages};
use crate::workspace::Forecast;

/// What each stage value means to the forecast: `[forecast]`'s `won`, `lost` and `stages` where
/// given, else the categories and probabilities of `[stages]`, else `Closed Won` and `Closed Lost`.
#[derive(Debug, Clone)]
pub struct StageRules {
    pub by_win_rate: bool,
    /// The stage expected deals take (a stage the plans' measures count as won).
    pub won: String,
    /// The stages counted as lost in a win rate.
    lost: Vec<String>,
    /// Stages that are not open (won, lost, no decision, ignored): never weighted.
    closed: BTreeSet<String>,
    /// Each open stage's probability.
    probability: BTreeMap<String, Decimal>,
}

impl StageRules {
    /// The rules of `f` over `stages`; an error when `[stages]` names several won stages and
    /// `[forecast] won` does not say which one expected deals take.
    pub fn new(f: &Forecast, stages: &Stages) -> Result<StageRules, String> {
        let of = |category: fn(&StageCategory) -> bool| -> Vec<String> {
            (stages.iter().filter(|(_, c)| category(c)))
                .map(|(s, _)| s.clone())
                .collect()
        };
        let won_stages = of(|c| *c == StageCategory::Won);
        let won = match (&f.won, won_stages.as_slice()) {
            (Some(won), _) => won.clone(),
            (None, []) => "Closed Won".to_string(),
            (None, [won]) => won.clone(),
            (None, several) => {
                return Err(format!(
                    "[stages] names several won stages ({}): say which one the forecast's expected deals take, e.g. [forecast] won = \"{}\"",
                    several.join(", "),
                    several[0]
                ))
            }
        };
        let lost = f.lost.clone().unwrap_or_else(|| {
            let lost = of(|c| *c == StageCategory::Lost);
            match lost.is_empty() {
                true => vec!["Closed Lost".to_string()],
                false => lost,
            }
        });
        let mut closed: BTreeSet<String> = of(|c| !matches!(c, StageCategory::Open(_)))
            .into_iter()
            .chain(lost.iter().cloned())
            .collect();
        closed.insert(won.clone());
        let mut probability: BTreeMap<String, Decimal> = (stages.iter())
            .filter_map(|(s, c)| match c {
                StageCategory::Open(p) => Some((s.clone(), *p)),
                _ => None,
            })
            .collect();
        probability.extend(f.stages.iter().map(|(s, p)| (s.clone(), *p)));
        Ok(StageRules {
            by_win_rate: f.by_win_rate,
            won,
            lost,
            closed,
            probability,
        })
    }

    fn is_open(&self, stage: &str) -> bool {
        !self.closed.contains(stage)
    }
}

/// An open deal and its weight.
#[derive(Debug, Clone, Serialize)]
pub struct Weighted {
    pub deal_id: String,
    pub rep_id: String,
    pub stage: String,
    pub close_date: NaiveDate,
    /// In the deal's currency (empty when the deals file has none: the plan's).
    pub amount: Decimal,
    pub currency: String,
    pub probability: Decimal,
    /// amount × probability: the amount of the hypothetical deal.
    pub expected: Decimal,
}

/// Open deals at a stage without a probability: left out of the pipeline, and said.
#[derive(Debug, Clone, Serialize)]
pub struct Unweighted {
    pub stage: String,
    pub deals: usize,
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
    /// Open deals closing in the period at a stage without a probability (left out), by stage.
    pub unweighted: Vec<Unweighted>,
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
    f: &StageRules,
) -> anyhow::Result<(ForecastResult, Vec<Diagnostic>)> {
    let (run, _) = runner.run(inputs, settings)?;
    let earned = payables(inputs, &run)?;
    let accrual = accrual(inputs, &run)?;
    let warnings = run.warnings;
    let (open, unweighted) = open_deals(inputs, settings.period, f);
    let weighted = add_expected(inputs, &open, f)?;
    let (run, _) = runner.run(inputs, settings)?;
    let expected = payables(inputs, &run)?;
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
    let result = ForecastResult {
        period: settings.period,
        weighting: if f.by_win_rate { "win-rate" } else { "stage" },
        earned: rows.iter().map(|r| r.earned).sum(),
        pipeline: rows.iter().map(|r| r.pipeline).sum(),
        expected: rows.iter().map(|r| r.expected).sum(),
        open_deals: weighted,
        unweighted,
        rows,
        accrual,
    };
    Ok((result, warnings))
}

type Key = (String, String, String, Period);

/// `plan`'s amounts of payout period `period` in the workspace currency (see the module's
/// invariants).
fn to_base(inputs: &Inputs, plan: usize, period: Period) -> Result<Decimal, InvalidInput> {
    crate::data::fx::plan_to_base(&inputs.fx, &inputs.plans[plan], period.end(), "to add up")
        .map_err(|d| InvalidInput(vec![d]))
}

/// The run's payables by (rep id, plan id, component id, payout period), in-run periods only, in
/// the workspace currency.
fn payables(inputs: &Inputs, run: &RunResult) -> Result<BTreeMap<Key, Decimal>, InvalidInput> {
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
                *out.entry(key).or_default() +=
                    p.payable * to_base(inputs, r.plan, p.payout_period)?;
            }
        }
    }
    Ok(out)
}

/// Per rep with a payment line: held, carried and draw balances (see [`Accrual`]), in the
/// workspace currency.
fn accrual(inputs: &Inputs, run: &RunResult) -> Result<Vec<Accrual>, InvalidInput> {
    let mut by_rep: BTreeMap<String, Accrual> = BTreeMap::new();
    for ((owner, period), entries) in &run.payment.entries {
        let rate = to_base(inputs, owner.plan.0, *period)?;
        let id = inputs.roster.get(owner.rep.0).id.clone();
        let a = by_rep.entry(id.clone()).or_insert_with(|| Accrual {
            rep_id: id,
            ..Accrual::default()
        });
        for e in entries {
            match e.kind {
                LineKind::Hold | LineKind::Release => a.held -= e.amount * rate,
                LineKind::CarryForward | LineKind::CarryIn => {
                    a.carried_balance = e.balance.map_or(a.carried_balance, |b| b * rate)
                }
                LineKind::Draw | LineKind::Recovery | LineKind::DrawForgiven => {
                    a.draw_balance = e.balance.map_or(a.draw_balance, |b| b * rate)
                }
                _ => {}
            }
        }
    }
    Ok(by_rep
        .into_values()
        .filter(|a| !(a.held.is_zero() && a.carried_balance.is_zero() && a.draw_balance.is_zero()))
        .collect())
}

/// Open deals closing in `period` with an owner: those with a probability above 0 (row,
/// probability), and the count by stage of those whose stage has none (weighting by stage).
fn open_deals(
    inputs: &Inputs,
    period: Period,
    f: &StageRules,
) -> (Vec<(usize, Decimal)>, Vec<Unweighted>) {
    let deals = &inputs.deals;
    let Some(stage_col) = deals.column("stage") else {
        return (Vec::new(), Vec::new());
    };
    let stage = |row: usize| deals.columns[stage_col].display(row);
    let rates = if f.by_win_rate {
        win_rates(inputs, period.start(), stage_col, f)
    } else {
        Vec::new()
    };
    let mut unweighted: BTreeMap<String, usize> = BTreeMap::new();
    let weighted = (0..deals.len())
        .filter(|&row| deals.owner(row) != NO_OWNER && period.contains(deals.close_date(row)))
        .filter_map(|row| {
            let s = stage(row);
            if !f.is_open(&s) {
                return None;
            }
            let p = if f.by_win_rate {
                rates[deals.owner(row) as usize]
            } else {
                f.probability.get(&s).copied().unwrap_or_default()
            };
            if p.is_zero() && !f.by_win_rate {
                *unweighted.entry(s).or_default() += 1;
            }
            (p > Decimal::ZERO).then_some((row, p))
        })
        .collect();
    let unweighted = (unweighted.into_iter())
        .map(|(stage, deals)| Unweighted { stage, deals })
        .collect();
    (weighted, unweighted)
}

/// Per rep: won ÷ (won + lost) of the deals it owns that closed before `before` (0 without any).
fn win_rates(inputs: &Inputs, before: NaiveDate, stage_col: usize, f: &StageRules) -> Vec<Decimal> {
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
    f: &StageRules,
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
            currency: deals.currency(row).to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(pairs: &[(&str, StageCategory)]) -> Stages {
        pairs.iter().map(|(s, c)| (s.to_string(), *c)).collect()
    }

    #[test]
    fn stage_rules_come_from_forecast_then_stages_then_the_defaults() {
        let p = |s: &str| s.parse::<Decimal>().unwrap();
        let ws = stages(&[
            ("Won", StageCategory::Won),
            ("Lost", StageCategory::Lost),
            ("Dupe", StageCategory::Ignored),
            ("Demo", StageCategory::Open(p("0.2"))),
        ]);
        let rules = StageRules::new(&Forecast::default(), &ws).unwrap();
        assert_eq!(rules.won, "Won");
        assert_eq!(rules.lost, ["Lost"]);
        assert!(!rules.is_open("Dupe") && !rules.is_open("Won") && rules.is_open("Demo"));
        assert_eq!(rules.probability.get("Demo"), Some(&p("0.2")));
        let f = Forecast {
            won: Some("Signed".into()),
            stages: [("Demo".to_string(), p("0.5"))].into(),
            ..Forecast::default()
        };
        let rules = StageRules::new(&f, &ws).unwrap();
        assert_eq!(rules.won, "Signed");
        assert!(!rules.is_open("Signed") && !rules.is_open("Won"));
        assert_eq!(rules.probability.get("Demo"), Some(&p("0.5")));
        let rules = StageRules::new(&Forecast::default(), &Stages::new()).unwrap();
        assert_eq!(
            (rules.won.as_str(), rules.lost.as_slice()),
            ("Closed Won", &["Closed Lost".to_string()][..])
        );
    }

    #[test]
    fn two_won_stages_need_forecast_won() {
        let ws = stages(&[("Won", StageCategory::Won), ("Booked", StageCategory::Won)]);
        let e = StageRules::new(&Forecast::default(), &ws).unwrap_err();
        assert!(e.contains("several won stages (Booked, Won)"), "{e}");
        let f = Forecast {
            won: Some("Won".into()),
            ..Forecast::default()
        };
        assert_eq!(StageRules::new(&f, &ws).unwrap().won, "Won");
    }
}
