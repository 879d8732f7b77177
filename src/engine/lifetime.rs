//! A component's lifetime cap (`lifetime_cap`): what the component pays over the life of the rep's
//! plan assignment never exceeds the cap. Applied in the payment step, to each open payout period's
//! payable after the corrections of closed periods (true-up, prior-period) and before adjustments,
//! clawbacks, holds and draws; the cut is a `lifetime-cap` line.
//!
//! What the assignment paid before a payout period: the ledger's rows of the rep, plan and component
//! paid in payout periods of the assignment before it — `earned`, `true-up`, `prior-period`,
//! `clawback` and earlier `lifetime-cap` rows; closed periods as recorded, the open periods settled
//! before the run as their provisional rows — plus what the run's own earlier open payout periods
//! paid. Adjustments, holds, releases, draws and carried balances are not commission earned and do
//! not count.
//!
//! Invariants: a cut is never negative and never more than the period's payable so far (a lifetime
//! cap never takes back what was paid); the assignment is the result's (a rep put on the plan again
//! starts a new lifetime); on the roster's plan it starts with the rep.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::payment::Entry;
use super::LineKind;
use crate::ledger::LedgerRow;
use crate::period::Period;
use crate::plan::Component;

/// The lifetime cap of one component for one assignment, and what it paid so far in the run.
pub(crate) struct Lifetime<'a> {
    amount: Decimal,
    /// First and last day of the assignment (`None`: open).
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    rows: &'a [&'a LedgerRow],
    /// Paid in the run's open payout periods so far.
    in_run: Decimal,
}

/// Whether a ledger row counts as commission the component paid.
fn counts(kind: Option<LineKind>) -> bool {
    matches!(
        kind,
        None | Some(LineKind::TrueUp)
            | Some(LineKind::PriorPeriod)
            | Some(LineKind::Clawback)
            | Some(LineKind::LifetimeCap)
    )
}

impl<'a> Lifetime<'a> {
    /// The component's lifetime cap over `assignment` (the rep's start date on the roster's plan);
    /// `None` when it has none.
    pub fn new(
        comp: &Component,
        assignment: Option<(NaiveDate, Option<NaiveDate>)>,
        rep_start: Option<NaiveDate>,
        rows: &'a [&'a LedgerRow],
    ) -> Option<Lifetime<'a>> {
        let cap = comp.lifetime_cap?;
        let (from, to) = match assignment {
            Some((from, to)) => (Some(from), to),
            None => (rep_start, None),
        };
        Some(Lifetime {
            amount: cap.amount,
            from,
            to,
            rows,
            in_run: Decimal::ZERO,
        })
    }

    fn within(&self, p: Period) -> bool {
        self.from.is_none_or(|f| p.end() >= f) && self.to.is_none_or(|t| p.start() <= t)
    }

    /// What the assignment paid before payout period `p`.
    fn paid_before(&self, p: Period) -> Decimal {
        let recorded: Decimal = self
            .rows
            .iter()
            .filter(|row| counts(row.kind) && row.period < p && self.within(row.period))
            .map(|row| row.amount)
            .sum();
        recorded + self.in_run
    }

    /// The cut of open payout period `p`, whose payable so far is `due`: a `lifetime-cap` entry when
    /// what the assignment paid before + `due` exceeds the cap. Counts what `p` pays for the next.
    pub fn cut(
        &mut self,
        p: Period,
        due: Decimal,
        money: &dyn Fn(Decimal) -> String,
    ) -> Option<Entry> {
        let before = self.paid_before(p);
        let cut = (before + due - self.amount).min(due).max(Decimal::ZERO);
        self.in_run += due - cut;
        if cut.is_zero() {
            return None;
        }
        let since = self.from.map_or(String::new(), |f| format!(" since {f}"));
        Some(Entry {
            kind: LineKind::LifetimeCap,
            for_period: p,
            amount: -cut,
            balance: None,
            reason: String::new(),
            deal_id: String::new(),
            deal: None,
            note: format!(
                "paid {} over the assignment{since} + {} now = {}, lifetime cap {}: {} cut",
                money(before),
                money(due),
                money(before + due),
                money(self.amount),
                money(cut)
            ),
        })
    }
}

/// `lifetime-cap-undated`: reps on a plan with a lifetime cap whose lifetime has no start — on the
/// roster's plan (no assignments) without a `start_date` — so it counts from whatever the ledger and
/// the run hold. One warning per plan, naming the first reps.
pub(crate) fn undated(inputs: &crate::data::Inputs) -> Vec<crate::diag::Diagnostic> {
    let mut out = Vec::new();
    for (pi, plan) in inputs.plans.iter().enumerate() {
        let Some(comp) = plan.components.iter().find(|c| c.lifetime_cap.is_some()) else {
            continue;
        };
        let reps: Vec<&crate::data::Rep> = (0..inputs.roster.len() as u32)
            .filter(|&i| inputs.assignments.rows_of(i).is_empty())
            .map(|i| inputs.roster.get(i))
            .filter(|r| r.plan == Some(pi) && r.start_date.is_none())
            .collect();
        let Some(first) = reps.first() else { continue };
        let ids: Vec<&str> = reps.iter().take(5).map(|r| r.id.as_str()).collect();
        let more = if reps.len() > 5 { ", ..." } else { "" };
        out.push(
            crate::diag::Diagnostic::warning(
                "lifetime-cap-undated",
                &inputs.roster.file,
                format!(
                    "{} rep(s) on plan `{}` have no start date ({}{more}): the lifetime cap of component `{}` counts from the earliest period the ledger and the run hold",
                    reps.len(),
                    plan.id,
                    ids.join(", "),
                    comp.id
                ),
            )
            .line(first.line)
            .hint("fill the roster's start_date, or put the reps on the plan through the assignments file (its `from` starts the lifetime)"),
        );
    }
    out
}

/// The earliest day a lifetime cap of the workspace counts from: the first `from` of an assignment
/// to a plan with a lifetime cap, or the `start_date` of a rep on such a plan from the roster.
/// `None` without lifetime caps (or without dates). The payment step settles the open periods from
/// there, so what they paid counts.
pub fn earliest_start(inputs: &crate::data::Inputs) -> Option<NaiveDate> {
    let capped = |plan: usize| {
        inputs.plans[plan]
            .components
            .iter()
            .any(|c| c.lifetime_cap.is_some())
    };
    if !(0..inputs.plans.len()).any(capped) {
        return None;
    }
    (0..inputs.roster.len() as u32)
        .flat_map(|i| {
            let rows = inputs.assignments.rows_of(i);
            let rep = inputs.roster.get(i);
            let roster = rows
                .is_empty()
                .then_some(())
                .and(rep.plan.filter(|&p| capped(p)))
                .and(rep.start_date);
            rows.iter()
                .filter(|a| capped(a.value.plan))
                .map(|a| a.from)
                .chain(roster)
        })
        .min()
}
