//! Plan modelling: the same data under the current plans and under proposed plan sets, per rep and
//! in total: payout, incentive cost of sales (payout ÷ bookings), payout by attainment band, and
//! the reps who gain and lose most.
//!
//! Invariants: every payout is the engine's (the sum of a rep's payables over the run's payout
//! periods, before the payment step: a model compares what plans earn, not what the ledger paid);
//! a proposal replaces the plans only — roster, quotas, deals and crediting stay — and the
//! workspace's plans are restored after each proposal; a rep moves to the proposed plan of the
//! same id, or to the one `assign` names. Bookings do not depend on the plans: the amount of the
//! deals a rep owns that close in the period, at the stage the rep's current plan counts (when it
//! selects by stage), in the workspace currency (converted at the FX rate of the close date); a
//! payout of a plan in another currency is converted into it at the mid rate of the period's end.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::data::deals::NO_OWNER;
use crate::data::Inputs;
use crate::engine::{compute_run, RunResult, Settings};
use crate::period::Period;
use crate::plan::Plan;

/// A proposed plan set, named for the output (its folder or file).
pub struct Proposal {
    pub name: String,
    pub plans: Vec<Plan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepPayout {
    pub rep_id: String,
    pub rep_name: String,
    pub plan: String,
    pub bookings: Decimal,
    pub payout: Decimal,
    /// payout ÷ bookings (None without bookings).
    pub cost_of_sales: Option<Decimal>,
    /// Attainment of the plan's first component with a quota, at the end of the run.
    pub attainment: Option<Decimal>,
    pub band: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Band {
    pub band: &'static str,
    pub reps: usize,
    pub payout: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub payout: Decimal,
    pub cost_of_sales: Option<Decimal>,
    /// Payout of the top decile: the tenth of the reps (rounded up) with the highest current
    /// attainment.
    pub top_decile_payout: Decimal,
    pub bands: Vec<Band>,
    pub reps: Vec<RepPayout>,
}

/// A rep's payout now and under a proposal.
#[derive(Debug, Clone, Serialize)]
pub struct Mover {
    pub rep_id: String,
    pub current: Decimal,
    pub proposed: Decimal,
    pub change: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    #[serde(flatten)]
    pub scenario: Scenario,
    pub change: Decimal,
    /// The reps who gain most (largest increase first), then those who lose most.
    pub gainers: Vec<Mover>,
    pub losers: Vec<Mover>,
}

#[derive(Debug, Serialize)]
pub struct Model {
    pub period: Period,
    pub bookings: Decimal,
    pub current: Scenario,
    pub proposals: Vec<Compared>,
}

/// How many gainers and losers are listed per proposal.
pub const MOVERS: usize = 5;

/// Attainment bands, by their lower bound (the last one open-ended).
const BANDS: [(&str, Decimal); 6] = [
    ("below 50%", Decimal::ZERO),
    ("50-75%", Decimal::from_parts(50, 0, 0, false, 2)),
    ("75-100%", Decimal::from_parts(75, 0, 0, false, 2)),
    ("100-125%", Decimal::ONE),
    ("125-150%", Decimal::from_parts(125, 0, 0, false, 2)),
    ("150% and up", Decimal::from_parts(150, 0, 0, false, 2)),
];
const NO_QUOTA: &str = "no quota";

fn band_of(attainment: Option<Decimal>) -> &'static str {
    match attainment {
        None => NO_QUOTA,
        Some(a) => BANDS
            .iter()
            .rev()
            .find(|(_, lo)| a >= *lo)
            .map_or(BANDS[0].0, |(name, _)| name),
    }
}

/// Run the current plans and every proposal on `inputs` (`assign`: rep id → proposed plan id);
/// with the current plans' run warnings.
pub fn model(
    inputs: &mut Inputs,
    settings: Settings,
    currency: &str,
    proposals: Vec<Proposal>,
    assign: &BTreeMap<String, String>,
) -> anyhow::Result<(Model, Vec<crate::diag::Diagnostic>)> {
    let bookings = bookings(inputs, settings.period, currency);
    let run = compute_run(inputs, settings)?;
    let current = scenario("current".into(), inputs, &run, &bookings, None)?;
    let warnings = run.warnings;
    let ranks = top_decile(&current);
    let current = Scenario {
        top_decile_payout: decile_payout(&current, &ranks),
        ..current
    };
    let mut compared = Vec::new();
    for proposal in proposals {
        let name = proposal.name.clone();
        let saved = swap_plans(inputs, proposal.plans, assign)?;
        let run = compute_run(inputs, settings);
        let labels: Vec<String> = current.reps.iter().map(|r| r.band.to_string()).collect();
        let result = run.map(|run| scenario(name, inputs, &run, &bookings, Some(&labels)));
        restore_plans(inputs, saved);
        let s = result??;
        let s = Scenario {
            top_decile_payout: decile_payout(&s, &ranks),
            ..s
        };
        compared.push(compare(&current, s));
    }
    let model = Model {
        period: settings.period,
        bookings: bookings.iter().sum(),
        current,
        proposals: compared,
    };
    Ok((model, warnings))
}

/// Per rep (roster order): the payout of the run and its attainment; the bands are the current
/// plans' (`bands`) so that a band holds the same reps in every scenario.
fn scenario(
    name: String,
    inputs: &Inputs,
    run: &RunResult,
    bookings: &[Decimal],
    bands: Option<&[String]>,
) -> Result<Scenario, crate::diag::InvalidInput> {
    let n = inputs.roster.len();
    let used = run.reps.iter().map(|r| r.plan);
    let rates = crate::data::fx::plans_to_base(
        &inputs.fx,
        &inputs.plans,
        used,
        run.period.end(),
        "to add up",
    )
    .map_err(crate::diag::InvalidInput)?;
    let mut payout = vec![Decimal::ZERO; n];
    let mut attainment: Vec<Option<Decimal>> = vec![None; n];
    let mut plan: Vec<String> = vec![String::new(); n];
    for r in &run.reps {
        let i = r.rep as usize;
        plan[i] = inputs.plans[r.plan].id.clone();
        for c in &r.components {
            let last = c.periods.iter().rev().find(|p| p.in_run);
            payout[i] += rates[r.plan]
                * c.periods
                    .iter()
                    .filter(|p| p.in_run)
                    .map(|p| p.payable)
                    .sum::<Decimal>();
            if attainment[i].is_none() {
                attainment[i] = last.and_then(|p| p.attainment());
            }
        }
    }
    let reps: Vec<RepPayout> = (0..n)
        .map(|i| {
            let rep = inputs.roster.get(i as u32);
            RepPayout {
                rep_id: rep.id.clone(),
                rep_name: rep.name.clone(),
                plan: plan[i].clone(),
                bookings: bookings[i],
                payout: payout[i],
                cost_of_sales: ratio(payout[i], bookings[i]),
                attainment: attainment[i],
                band: match bands {
                    Some(b) => band_named(&b[i]),
                    None => band_of(attainment[i]),
                },
            }
        })
        .collect();
    let total: Decimal = payout.iter().sum();
    let bands = BANDS
        .iter()
        .map(|(b, _)| *b)
        .chain([NO_QUOTA])
        .map(|band| Band {
            band,
            reps: reps.iter().filter(|r| r.band == band).count(),
            payout: reps
                .iter()
                .filter(|r| r.band == band)
                .map(|r| r.payout)
                .sum(),
        })
        .collect();
    Ok(Scenario {
        name,
        payout: total,
        cost_of_sales: ratio(total, bookings.iter().sum()),
        top_decile_payout: Decimal::ZERO,
        bands,
        reps,
    })
}

fn band_named(name: &str) -> &'static str {
    BANDS
        .iter()
        .map(|(b, _)| *b)
        .find(|b| *b == name)
        .unwrap_or(NO_QUOTA)
}

fn ratio(a: Decimal, b: Decimal) -> Option<Decimal> {
    (!b.is_zero()).then(|| a.checked_div(b)).flatten()
}

/// Roster indices of the top decile by current attainment (ties: rep id).
fn top_decile(current: &Scenario) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..current.reps.len())
        .filter(|&i| current.reps[i].attainment.is_some())
        .collect();
    ranked.sort_by(|&a, &b| {
        let (ra, rb) = (&current.reps[a], &current.reps[b]);
        rb.attainment
            .cmp(&ra.attainment)
            .then(ra.rep_id.cmp(&rb.rep_id))
    });
    ranked.truncate(ranked.len().div_ceil(10));
    ranked
}

fn decile_payout(s: &Scenario, ranks: &[usize]) -> Decimal {
    ranks.iter().map(|&i| s.reps[i].payout).sum()
}

fn compare(current: &Scenario, proposed: Scenario) -> Compared {
    let mut movers: Vec<Mover> = current
        .reps
        .iter()
        .zip(&proposed.reps)
        .map(|(c, p)| Mover {
            rep_id: c.rep_id.clone(),
            current: c.payout,
            proposed: p.payout,
            change: p.payout - c.payout,
        })
        .collect();
    movers.sort_by(|a, b| b.change.cmp(&a.change).then(a.rep_id.cmp(&b.rep_id)));
    let gainers = movers
        .iter()
        .filter(|m| m.change > Decimal::ZERO)
        .take(MOVERS)
        .cloned()
        .collect();
    let losers = movers
        .iter()
        .rev()
        .filter(|m| m.change < Decimal::ZERO)
        .take(MOVERS)
        .cloned()
        .collect();
    Compared {
        change: proposed.payout - current.payout,
        scenario: proposed,
        gainers,
        losers,
    }
}

/// What a swap replaced, to put back.
struct Saved {
    plans: Vec<Plan>,
    roster: Vec<(Option<usize>, String)>,
    assignments: Vec<Vec<usize>>,
}

/// Put the proposal's plans in place, every rep on the proposed plan of its current plan's id (or
/// the one `assign` names).
fn swap_plans(
    inputs: &mut Inputs,
    mut proposed: Vec<Plan>,
    assign: &BTreeMap<String, String>,
) -> anyhow::Result<Saved> {
    proposed.sort_by(|a, b| a.id.cmp(&b.id));
    let index_of = |id: &str| proposed.iter().position(|p| p.id == id);
    let mut roster = Vec::new();
    let mut assignments = Vec::new();
    let mut moved = Vec::new();
    for (i, rep) in inputs.roster.reps.iter().enumerate() {
        let target = |current: Option<usize>| -> anyhow::Result<Option<usize>> {
            let id = match (assign.get(&rep.id), current) {
                (Some(id), _) => id.clone(),
                (None, Some(p)) => inputs.plans[p].id.clone(),
                (None, None) => return Ok(None),
            };
            index_of(&id).map(Some).ok_or_else(|| {
                anyhow::anyhow!(
                    "rep {} would be on plan `{id}`, which the proposed plans do not have; map the rep to a proposed plan with --assign",
                    rep.id
                )
            })
        };
        let plan = target(rep.plan)?;
        let rows = inputs.assignments.rows_of(i as u32);
        let mut new_rows = Vec::new();
        for a in rows {
            new_rows.push(target(Some(a.value.plan))?.unwrap_or(a.value.plan));
        }
        moved.push((plan, new_rows));
    }
    for (i, (plan, rows)) in moved.into_iter().enumerate() {
        let rep = &mut inputs.roster.reps[i];
        roster.push((rep.plan, rep.plan_id.clone()));
        rep.plan = plan;
        if let Some(p) = plan {
            rep.plan_id = proposed[p].id.clone();
        }
        if let Some(by_rep) = inputs.assignments.by_rep.get_mut(i) {
            assignments.push(by_rep.iter().map(|a| a.value.plan).collect());
            for (a, p) in by_rep.iter_mut().zip(rows) {
                a.value.plan = p;
            }
        } else {
            assignments.push(Vec::new());
        }
    }
    let plans = std::mem::replace(&mut inputs.plans, proposed);
    Ok(Saved {
        plans,
        roster,
        assignments,
    })
}

fn restore_plans(inputs: &mut Inputs, saved: Saved) {
    inputs.plans = saved.plans;
    for (rep, (plan, id)) in inputs.roster.reps.iter_mut().zip(saved.roster) {
        rep.plan = plan;
        rep.plan_id = id;
    }
    for (rows, plans) in inputs.assignments.by_rep.iter_mut().zip(saved.assignments) {
        for (a, p) in rows.iter_mut().zip(plans) {
            a.value.plan = p;
        }
    }
}

/// Per rep (roster index): the amount of the deals it owns that close in `period`, at the stage its
/// current plan counts, in `currency` (see the module's invariants).
fn bookings(inputs: &Inputs, period: Period, currency: &str) -> Vec<Decimal> {
    let deals = &inputs.deals;
    let stage_col = deals.column("stage");
    let stage_code: Vec<Option<Option<u32>>> = (0..inputs.roster.len() as u32)
        .map(|rep| {
            let stage = super::deals::counted_stage(inputs, rep)?;
            Some(stage_col.and_then(|c| deals.columns[c].text_code(&stage)))
        })
        .collect();
    let n = inputs.roster.len();
    (0..deals.len())
        .into_par_iter()
        .fold(
            || vec![Decimal::ZERO; n],
            |mut acc, row| {
                let rep = deals.owner(row);
                if rep == NO_OWNER {
                    return acc;
                }
                let date = deals.close_date(row);
                if !period.contains(date) {
                    return acc;
                }
                if let Some(want) = stage_code[rep as usize] {
                    let have = stage_col.and_then(|c| deals.columns[c].text_code_at(row));
                    if want.is_none() || have != want {
                        return acc;
                    }
                }
                let amount = deals.amount(row);
                let code = deals.currency(row);
                acc[rep as usize] += if code.is_empty() || code == currency {
                    amount
                } else {
                    inputs
                        .fx
                        .rate_on(code, date)
                        .map_or(amount, |r| amount * r.rate)
                };
                acc
            },
        )
        .reduce(
            || vec![Decimal::ZERO; n],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn a_band_holds_its_lower_bound() {
        assert_eq!(band_of(None), "no quota");
        assert_eq!(band_of(Some(d("-0.1"))), "below 50%");
        assert_eq!(band_of(Some(d("0.4999"))), "below 50%");
        assert_eq!(band_of(Some(d("0.5"))), "50-75%");
        assert_eq!(band_of(Some(d("1"))), "100-125%");
        assert_eq!(band_of(Some(d("1.4999"))), "125-150%");
        assert_eq!(band_of(Some(d("1.5"))), "150% and up");
    }
}
