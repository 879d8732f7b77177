//! Deals without an owner (an empty `rep_id`, see [`crate::data::deals::NO_OWNER`]): an open deal
//! nobody is assigned yet is no problem, but a deal that a measure of the run would take, had it an
//! owner, is money paid to no one.
//!
//! Invariant: an unassigned deal is `value-missing` (in lenient mode, an exception) exactly when a
//! measure of a plan that credits owners (and that some rep is on) selects it and its measure date
//! lies in the dates the run computes for that plan ([`super::rep::run_window`]); otherwise it is reconciled as having no owner.

use super::bind::BoundPlan;
use crate::data::deals::NO_OWNER;
use crate::data::Inputs;
use crate::diag::Diagnostic;
use crate::period::Period;
use crate::plan::MeasureCredit;

/// The unassigned deal rows a measure of the run would take, each with its diagnostic.
pub(crate) fn needed(inputs: &Inputs, plans: &[BoundPlan], run: Period) -> Vec<(u32, Diagnostic)> {
    let deals = &inputs.deals;
    let unassigned: Vec<usize> = deals
        .owners()
        .enumerate()
        .filter(|&(_, owner)| owner == NO_OWNER)
        .map(|(row, _)| row)
        .collect();
    if unassigned.is_empty() {
        return Vec::new();
    }
    // The dates the run computes for each plan some rep is on (`None`: none).
    let windows: Vec<_> = (0..inputs.plans.len())
        .map(|p| {
            let on_it = (0..inputs.roster.len() as u32)
                .any(|r| inputs.assignments.plans_of(&inputs.roster, r).contains(&p));
            on_it
                .then(|| super::rep::run_window(&inputs.plans[p], run))
                .flatten()
        })
        .collect();
    let mut out = Vec::new();
    for row in unassigned {
        let taken = inputs.plans.iter().enumerate().find_map(|(p, plan)| {
            let (from, to) = windows[p]?;
            if plan.crediting.holder_of.is_some() {
                return None;
            }
            (0..plans[p].measures.len()).find_map(|m| {
                let measure = &plans[p].measures[m];
                // An empty close date cannot be placed: a selected deal without one is needed.
                let in_run = match deals.columns[measure.date_column].date(row) {
                    Some(date) => (from..=to).contains(&date),
                    None => measure.date_column == deals.close_date,
                };
                let selects = plan.measures[m].credit == MeasureCredit::Own
                    && in_run
                    && plans[p].selects(deals, m, row);
                selects.then(|| (plan, &plan.measures[m].name))
            })
        });
        if let Some((plan, measure)) = taken {
            let header = deals.rep_header.clone();
            out.push((
                row as u32,
                Diagnostic::error(
                    "value-missing",
                    &deals.file,
                    format!(
                        "deal `{}` has no owner, and measure `{measure}` of plan `{}` would credit it in this run",
                        deals.id(row),
                        plan.id
                    ),
                )
                .line(deals.line(row))
                .col_name(header)
                .hint("write the rep who owns the deal"),
            ));
        }
    }
    out
}
