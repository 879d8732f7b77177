//! The planning population, read from the data tables and last year's run: who carries a quota on
//! the measure (reps on a plan with a component quota'd on it, credited with their own deals), who
//! is credited with reports' (managers on a roll-up plan), and what each sold last year.
//!
//! A rep's plan is the assignment in force on the plan year's first day (else the latest one
//! before), else the roster's `plan`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::months::Tenure;
use super::quotas::{Candidate, Manager};
use crate::data::Inputs;
use crate::engine::RunResult;
use crate::period::Period;
use crate::plan::{MeasureCredit, Plan, Rollup};

/// The plan a rep is on at `date`.
pub fn plan_on(inputs: &Inputs, rep: u32, date: NaiveDate) -> Option<usize> {
    let rows = inputs.assignments.rows_of(rep);
    if !rows.is_empty() {
        return rows
            .iter()
            .rev()
            .find(|a| a.from <= date)
            .or(rows.first())
            .map(|a| a.value.plan);
    }
    inputs.roster.reps.get(rep as usize)?.plan
}

/// Whether the plan has a component quota'd on `measure`, and the credit its measure reads.
fn quota_credit(plan: &Plan, measure: &str) -> Option<MeasureCredit> {
    plan.components
        .iter()
        .find(|c| c.quota_measure == measure && c.needs_quota())
        .and_then(|c| plan.measures.get(c.measure))
        .map(|m| m.credit)
}

/// The currencies of the plans that carry a quota on `measure` in `year`, each with the ids of
/// the reps on them (roster order): a target is allocated in one currency.
pub fn plan_currencies(
    inputs: &Inputs,
    measure: &str,
    year: Period,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (i, rep) in inputs.roster.reps.iter().enumerate() {
        let plan = plan_on(inputs, i as u32, year.start()).and_then(|p| inputs.plans.get(p));
        if let Some(plan) = plan.filter(|p| quota_credit(p, measure).is_some()) {
            out.entry(plan.currency.clone())
                .or_default()
                .push(rep.id.clone());
        }
    }
    out
}

/// Reps who carry a quota on `measure` (own credit) and managers credited with reports' credit.
pub fn population(
    inputs: &Inputs,
    measure: &str,
    year: Period,
    last_year: Option<(&RunResult, Period)>,
) -> (Vec<Candidate>, Vec<Manager>) {
    let mut reps = Vec::new();
    let mut managers = Vec::new();
    for (i, rep) in inputs.roster.reps.iter().enumerate() {
        let Some(plan) = plan_on(inputs, i as u32, year.start()).and_then(|p| inputs.plans.get(p))
        else {
            continue;
        };
        match quota_credit(plan, measure) {
            Some(MeasureCredit::Team) => managers.push(Manager {
                id: rep.id.clone(),
                name: rep.name.clone(),
                reports: reports(inputs, i as u32, plan.crediting.rollup),
            }),
            Some(MeasureCredit::Own) => {
                let tenure = Tenure {
                    start: rep.start_date,
                    end: rep.end_date,
                    ramp: plan
                        .ramp
                        .as_ref()
                        .map(|r| r.schedule.clone())
                        .unwrap_or_default(),
                };
                let (history, history_months) = match last_year {
                    Some((run, ly)) => history_of(inputs, run, i as u32, measure, ly),
                    None => (Decimal::ZERO, Decimal::ZERO),
                };
                reps.push(Candidate {
                    id: rep.id.clone(),
                    name: rep.name.clone(),
                    team: rep.manager_id.clone(),
                    tenure,
                    history,
                    history_months,
                    potential: Decimal::ZERO,
                });
            }
            None => {}
        }
    }
    (reps, managers)
}

/// The ids of the reps whose credits reach the manager: direct reports, or everyone below.
fn reports(inputs: &Inputs, manager: u32, rollup: Option<Rollup>) -> Vec<String> {
    let reps = &inputs.roster.reps;
    let under = |r: u32| -> bool {
        let mut at = reps[r as usize].manager;
        let mut depth = 0;
        while let Some(m) = at {
            if m == manager {
                return true;
            }
            if rollup != Some(Rollup::Subtree) || depth > reps.len() {
                return false;
            }
            at = reps[m as usize].manager;
            depth += 1;
        }
        false
    };
    (0..reps.len() as u32)
        .filter(|&r| under(r))
        .map(|r| reps[r as usize].id.clone())
        .collect()
}

/// Last year's measure credited to the rep and the productive months they were on a plan with it.
fn history_of(
    inputs: &Inputs,
    run: &RunResult,
    rep: u32,
    measure: &str,
    last_year: Period,
) -> (Decimal, Decimal) {
    let mut total = Decimal::ZERO;
    let mut months = Decimal::ZERO;
    let r = &inputs.roster.reps[rep as usize];
    for result in run.reps.iter().filter(|x| x.rep == rep) {
        let Some(plan) = inputs.plans.get(result.plan) else {
            continue;
        };
        let Some(comp) = result.components.iter().find(|c| {
            plan.components
                .get(c.component)
                .and_then(|pc| plan.measures.get(pc.measure))
                .is_some_and(|m| m.name == measure)
        }) else {
            continue;
        };
        // measure_to_date accumulates within a measurement period: its last payout period holds it.
        let mut by_period: std::collections::BTreeMap<Period, Decimal> = Default::default();
        for p in &comp.periods {
            by_period.insert(p.measurement_period, p.measure_to_date);
        }
        total += by_period.values().copied().sum::<Decimal>();
        let (from, to) = result.assignment.unwrap_or((last_year.start(), None));
        let tenure = Tenure {
            start: Some(r.start_date.map_or(from, |s| s.max(from))),
            end: match (r.end_date, to) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            ramp: plan
                .ramp
                .as_ref()
                .map(|x| x.schedule.clone())
                .unwrap_or_default(),
        };
        let ramped = Tenure {
            start: r.start_date,
            ..tenure.clone()
        };
        // Ramp counts from the hire date; the window from the plan assignment.
        months += window_productive(&ramped, &tenure, last_year);
    }
    (total, months)
}

/// Productive months of `window`'s days, with the ramp of `ramped` (counted from the hire date).
fn window_productive(ramped: &Tenure, window: &Tenure, year: Period) -> Decimal {
    ramped
        .months(year)
        .iter()
        .zip(window.months(year))
        .map(|(r, w)| w.active() * r.ramp)
        .sum()
}
