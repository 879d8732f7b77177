//! `payout explain --deal ID`: one deal across every rep and plan of a run: who is credited with it
//! and how (owner, split, overlay, territory, roll-up), every statement line it makes with its
//! formula, and, when nobody is paid for it, why (the filter condition that left it out, the rep
//! not active, the period ...).
//!
//! Invariants: reads the run only (no computation of its own); the lines listed are exactly the
//! run's lines whose credit names the deal, in the run's rep, component and period order, so their
//! sum per component is what the deal adds to that component's statement.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::format::{formula, grouped, term, tier};
use super::statement::credit_kind;
use crate::data::Inputs;
use crate::engine::{RunResult, Status};
use crate::period::Granularity;

/// The explanation of the deal at `row` of the deals table.
pub fn render_deal(inputs: &Inputs, run: &RunResult, row: u32) -> String {
    let deals = &inputs.deals;
    let mut s = String::new();
    let closed = deals
        .columns
        .get(deals.close_date)
        .and_then(|c| c.date(row as usize));
    let _ = writeln!(
        s,
        "Deal {} ({}:{}), owner {}, closed {}",
        term(deals.id(row as usize)),
        deals.file,
        deals.line(row as usize),
        term(owner(inputs, row)),
        closed.map_or("on no date (close_date is empty)".to_string(), |d| d
            .to_string()),
    );
    let _ = writeln!(s, "Run period {}", run.period);
    let mut credited = false;
    for r in &run.reps {
        let plan = &inputs.plans[r.plan];
        let rep = inputs.roster.get(r.rep);
        for c in &r.components {
            let comp = &plan.components[c.component];
            for p in c.periods.iter().filter(|p| p.in_run) {
                let lines: Vec<_> = p
                    .lines()
                    .iter()
                    .filter(|l| l.credit.as_ref().is_some_and(|cr| cr.deal == row))
                    .collect();
                let Some(first) = lines.first().and_then(|l| l.credit.as_ref()) else {
                    continue;
                };
                credited = true;
                let total: Decimal = lines.iter().map(|l| l.amount).sum();
                let _ = writeln!(
                    s,
                    "\n{} ({}), plan {}, component `{}`, payout period {}: {}, share {}, credited {} {}",
                    term(&rep.id),
                    term(&rep.name),
                    term(&plan.id),
                    term(&comp.id),
                    p.payout_period,
                    credit_kind(inputs, run, first),
                    crate::money::fmt_percent(first.share),
                    grouped(first.credited, plan.rounding.places),
                    plan.currency,
                );
                for l in &lines {
                    let _ = writeln!(
                        s,
                        "  {:<10} {:<18} {:<48} {:>14}",
                        l.kind.name(),
                        tier(comp, l),
                        formula(plan, comp, l),
                        grouped(l.amount, plan.rounding.places)
                    );
                }
                let _ = writeln!(
                    s,
                    "  {:<78} {:>14}",
                    "the deal's lines",
                    grouped(total, plan.rounding.places)
                );
            }
        }
    }
    let why = run.not_credited.iter().find(|(r, _)| *r == row);
    match (credited, why) {
        (_, Some((_, status))) => {
            let _ = writeln!(s, "\nNot paid in {}: {}", run.period, status.describe());
            // A deal dated outside the run: name the month that computes it.
            if let (Status::OutOfPeriod, Some(date)) =
                (status, closed.filter(|d| !run.period.contains(*d)))
            {
                let month = run.period.calendar().period_of(Granularity::Month, date);
                let _ = writeln!(
                    s,
                    "  it closed in {month}: payout explain --deal {} --period {month}",
                    term(deals.id(row as usize))
                );
            }
        }
        (false, None) => {
            let _ = writeln!(s, "\nNo line of {} names this deal", run.period);
        }
        (true, None) => {}
    }
    s
}

/// The deal's owner as the file names it, or a dash for an unassigned deal.
fn owner(inputs: &Inputs, row: u32) -> &str {
    let rep = inputs.deals.owner(row as usize);
    if rep == crate::data::deals::NO_OWNER {
        "-"
    } else {
        &inputs.roster.get(rep).id
    }
}
