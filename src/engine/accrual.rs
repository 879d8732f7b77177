//! The accrual view: what each component has earned on its measurement period so far, at the tier
//! reached, beside what its payout periods have made payable of it — for finance's monthly accrual
//! of components paid less often than monthly (a quarterly commission in the second month of its
//! quarter: bookings to date at the tier reached to date, nothing payable yet).
//!
//! Computed by the engine itself, not estimated: the run period is computed with every component
//! paid monthly (same measurement periods, tiers, modifiers and rounding), so earned-to-date at the
//! run period's end is exactly what the component would pay if its payout period ended then.
//!
//! Invariants: accrued = earned to date − payable to date; a component paid monthly (or whose
//! payout period ends with the run period) accrues nothing beyond its payable; no payment step
//! (ledger, draws, holds) applies: the view is of earnings.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::tiers::Schedule;
use super::{compute_run, RunResult, Settings};
use crate::data::Inputs;
use crate::diag::InvalidInput;
use crate::period::{Granularity, Period};
use crate::plan::{ComponentKind, Plan};

/// One rep's component on the measurement period that contains the run period's end.
#[derive(Debug, Clone, Serialize)]
pub struct Accrual {
    pub rep: u32,
    pub plan: usize,
    pub component: usize,
    pub measurement_period: Period,
    /// The last day counted: the run period's end.
    pub as_of: NaiveDate,
    pub measure_to_date: Decimal,
    pub quota: Option<Decimal>,
    pub attainment: Option<Decimal>,
    /// The tier of the commission's table the measure to date reached (a commission without rules
    /// or per-deal tiers), 0-based.
    pub tier: Option<usize>,
    /// Earned on the measurement period through `as_of`, rounded like earned-to-date.
    pub earned_to_date: Decimal,
    /// What the component's payout periods ended by `as_of` made payable of it.
    pub payable_to_date: Decimal,
    /// Earned, not yet payable: `earned_to_date − payable_to_date`.
    pub accrued: Decimal,
}

/// The accruals of run period `period`. `inputs.plans` is changed for the computation and restored.
pub fn accruals(
    inputs: &mut Inputs,
    period: Period,
    lenient: bool,
) -> Result<(Vec<Accrual>, Vec<crate::diag::Diagnostic>), InvalidInput> {
    let paid: Vec<Vec<Granularity>> = inputs
        .plans
        .iter()
        .map(|p| p.components.iter().map(|c| c.payout_period).collect())
        .collect();
    for plan in &mut inputs.plans {
        for c in &mut plan.components {
            c.payout_period = Granularity::Month;
        }
    }
    let run = compute_run(
        inputs,
        Settings {
            period,
            lines: false,
            credits: false,
            reconcile: true,
            lenient,
        },
    );
    for (plan, grains) in inputs.plans.iter_mut().zip(&paid) {
        for (c, g) in plan.components.iter_mut().zip(grains) {
            c.payout_period = *g;
        }
    }
    let run = run?;
    Ok((collect(inputs, &run, period.end()), run.warnings))
}

fn collect(inputs: &Inputs, run: &RunResult, as_of: NaiveDate) -> Vec<Accrual> {
    let mut out = Vec::new();
    for r in &run.reps {
        let plan = &inputs.plans[r.plan];
        for c in &r.components {
            let comp = &plan.components[c.component];
            if matches!(comp.kind, ComponentKind::PlanCap(_)) {
                continue;
            }
            let Some(now) = c.periods.iter().find(|p| p.payout_period.end() == as_of) else {
                continue;
            };
            let m = now.measurement_period;
            let paid_through = last_payout_end(comp.payout_period, m, as_of);
            let payable_to_date = paid_through
                .and_then(|end| c.periods.iter().find(|p| p.payout_period.end() == end))
                .map_or(Decimal::ZERO, |p| p.earned_to_date);
            out.push(Accrual {
                rep: r.rep,
                plan: r.plan,
                component: c.component,
                measurement_period: m,
                as_of,
                measure_to_date: now.measure_to_date,
                quota: now.quota().map(|q| q.amount),
                attainment: now.attainment(),
                tier: tier_reached(
                    plan,
                    c.component,
                    now.quota().map(|q| q.amount),
                    now.measure_to_date,
                ),
                earned_to_date: now.earned_to_date,
                payable_to_date,
                accrued: now.earned_to_date - payable_to_date,
            });
        }
    }
    out
}

/// The end of the last payout period of granularity `g` within measurement period `m` that ends on
/// or before `as_of`; `None` when none has ended yet.
fn last_payout_end(g: Granularity, m: Period, as_of: NaiveDate) -> Option<NaiveDate> {
    let q = m.calendar().period_of(g, as_of);
    if q.end() == as_of {
        return Some(as_of);
    }
    let before = q.start().pred_opt()?;
    (before >= m.start()).then_some(before)
}

/// The tier of a commission's own table that `measure` reaches: only for a cumulative table that
/// prices every deal alike (no rules, no per-deal tier value).
fn tier_reached(plan: &Plan, ci: usize, quota: Option<Decimal>, measure: Decimal) -> Option<usize> {
    let ComponentKind::Commission(c) = &plan.components[ci].kind else {
        return None;
    };
    if !c.rules.is_empty()
        || c.tier_on.is_some()
        || c.table.tiers.is_empty()
        || c.table.scope != crate::plan::Scope::Cumulative
    {
        return None;
    }
    let schedule = Schedule::resolve(&c.table, quota)?;
    schedule.tier_of(measure).map(|b| b.tier)
}
