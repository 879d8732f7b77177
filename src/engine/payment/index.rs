//! What settlement looks up, built once per run before any payout period is settled: the closed
//! months, what every payout period computes now, each deal's commission per payout period, the
//! cancelled deals by rep, the ledger's rows by owner, the deals the ledger names, who closed each
//! period, and the adjustments not yet in the ledger.
//!
//! Invariants: the run being settled wins over the closed periods' runs (it is the same computation);
//! an adjustment the ledger recorded (same rep, a period containing the adjustment's end, amount and
//! reason, whatever plan or component) is matched once and never pending again.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::{Closure, DealCommissions, PaymentInputs};
use crate::data::adjustments::Adjustment;
use crate::data::Inputs;
use crate::engine::{LineKind, RepIx, RunResult};
use crate::ledger::{Ledger, LedgerRow};
use crate::period::Period;
use crate::plan::Plan;

/// A rep's component on one plan: what settlement keys its state by.
pub(super) type Owner = crate::engine::Owner;

pub(super) struct Index<'a> {
    ledger: &'a Ledger,
    months: BTreeSet<Period>,
    /// What every payout period computes now (the engine's payable), by owner.
    pub computed: BTreeMap<Owner, BTreeMap<Period, Decimal>>,
    /// Each deal's commission per payout period, for plans that need it ([`super::needs_lines`]).
    pub deal_commission: BTreeMap<Owner, DealCommissions>,
    /// Deals with a cancel date by rep (owner or credited), when a plan's clawback reduces attainment.
    pub cancelled_by_rep: BTreeMap<RepIx, Vec<usize>>,
    /// The ledger's rows by owner, renames (`formerly`) followed.
    rows: BTreeMap<Owner, Vec<&'a LedgerRow>>,
    /// Deals the ledger names (clawbacks, holds, releases): id → deal row.
    pub deal_rows: BTreeMap<&'a str, u32>,
    /// Who closed each payout period.
    pub closures: BTreeMap<Period, Closure>,
    /// Adjustments not yet in the ledger, by rep.
    pub pending: BTreeMap<RepIx, Vec<&'a Adjustment>>,
}

impl<'a> Index<'a> {
    pub fn build(inputs: &Inputs, run: &RunResult, pay: &PaymentInputs<'a>) -> Index<'a> {
        let ledger = pay.ledger;
        let resolution = crate::ledger::renames::resolve(ledger, &inputs.plans, &inputs.roster);
        Index {
            ledger,
            months: ledger.closed_months(),
            computed: computed_now(pay.history, run, !ledger.rows.is_empty()),
            deal_commission: deal_commissions(&inputs.plans, pay.history, run),
            cancelled_by_rep: cancelled_by_rep(inputs),
            rows: resolution.rows,
            deal_rows: deals_named(ledger, inputs),
            closures: closures(ledger),
            pending: pending_adjustments(ledger, pay.adjustments, &|rep| {
                inputs.roster.get(rep).id.as_str()
            }),
        }
    }

    /// Whether a payout period is closed: the month it ends in belongs to a closed run period.
    pub fn closed(&self, p: Period) -> bool {
        self.ledger.is_closed(&self.months, p)
    }

    /// The ledger's rows of a rep's component on a plan (under its former ids too, and rows without
    /// a plan), in file order.
    pub fn rows_of(&self, owner: Owner) -> &[&'a LedgerRow] {
        self.rows.get(&owner).map_or(&[], |v| v.as_slice())
    }

    /// Whether a rep's result on `plan` has anything to settle: a ledger, an adjustment of the rep or
    /// a payment rule. Otherwise the engine's payables stand (negative ones are still carried).
    pub fn settles(&self, rep: u32, plan: &Plan) -> bool {
        !self.ledger.rows.is_empty()
            || self.pending.contains_key(&RepIx(rep))
            || plan.payment.draw.is_some()
            || plan.payment.clawback.is_some()
            || plan.payment.hold.is_some()
            || plan.components.iter().any(|c| c.lifetime_cap.is_some())
    }
}

/// What every payout period computes now (the engine's payable), from the closed periods' runs and
/// this run, which wins; nothing when nothing is closed (no correction to compute).
pub(super) fn computed_now(
    history: &[RunResult],
    run: &RunResult,
    anything_closed: bool,
) -> BTreeMap<Owner, BTreeMap<Period, Decimal>> {
    let mut computed: BTreeMap<Owner, BTreeMap<Period, Decimal>> = BTreeMap::new();
    if !anything_closed {
        return computed;
    }
    for res in history.iter().chain(std::iter::once(run)) {
        for r in &res.reps {
            for c in &r.components {
                let m = computed.entry(r.owner(c)).or_default();
                for p in &c.periods {
                    m.insert(p.payout_period, p.payable);
                }
            }
        }
    }
    computed
}

/// Each deal's commission (its own lines) per payout period, for plans that claw back without
/// reducing attainment or hold commission until payment; the run wins over the closed periods' runs.
fn deal_commissions(
    plans: &[Plan],
    history: &[RunResult],
    run: &RunResult,
) -> BTreeMap<Owner, DealCommissions> {
    let mut out: BTreeMap<Owner, DealCommissions> = BTreeMap::new();
    for res in history.iter().chain(std::iter::once(run)) {
        for r in res
            .reps
            .iter()
            .filter(|r| super::needs_lines(&plans[r.plan]))
        {
            for c in &r.components {
                let m = out.entry(r.owner(c)).or_default();
                for p in &c.periods {
                    let mut here: BTreeMap<u32, Decimal> = BTreeMap::new();
                    for l in p.lines().iter().filter(|l| l.kind.is_deal_line()) {
                        if let Some(credit) = l.credit {
                            *here.entry(credit.deal).or_default() += l.amount;
                        }
                    }
                    for (deal, amount) in here {
                        m.insert(deal, (p.payout_period, amount));
                    }
                }
            }
        }
    }
    out
}

/// Deals with a cancel date, by rep: the owner (unless split rows replace them) and every rep of the
/// credits file. Only when some plan's clawback reduces attainment: it took them out of the measures,
/// and the corrections of the periods they were paid in name them.
fn cancelled_by_rep(inputs: &Inputs) -> BTreeMap<RepIx, Vec<usize>> {
    let mut out: BTreeMap<RepIx, Vec<usize>> = BTreeMap::new();
    let reduces = |p: &Plan| {
        p.payment
            .clawback
            .as_ref()
            .is_some_and(|c| c.reduce_attainment)
    };
    if !inputs.plans.iter().any(reduces) {
        return out;
    }
    let deals = &inputs.deals;
    let Some(c) = deals.column("cancel_date") else {
        return out;
    };
    for (row, rep) in deals.owners().enumerate() {
        if deals.columns[c].date(row).is_some() {
            if !inputs.credits.is_split(row as u32) {
                out.entry(RepIx(rep)).or_default().push(row);
            }
            for credit in inputs.credits.of_deal(row as u32) {
                out.entry(RepIx(credit.rep)).or_default().push(row);
            }
        }
    }
    out
}

/// The deals the ledger names (clawbacks, holds, releases), by id: replayed lines show them.
fn deals_named<'a>(ledger: &'a Ledger, inputs: &Inputs) -> BTreeMap<&'a str, u32> {
    let named: BTreeSet<&str> = ledger
        .rows
        .iter()
        .filter(|r| !r.deal_id.is_empty())
        .map(|r| r.deal_id.as_str())
        .collect();
    let mut out: BTreeMap<&str, u32> = BTreeMap::new();
    if named.is_empty() {
        return out;
    }
    for row in 0..inputs.deals.len() {
        if let Some(id) = named.get(inputs.deals.id(row)) {
            out.insert(id, row as u32);
        }
    }
    out
}

/// Who closed each payout period: the first row recorded for it.
pub(super) fn closures(ledger: &Ledger) -> BTreeMap<Period, Closure> {
    let mut out: BTreeMap<Period, Closure> = BTreeMap::new();
    for row in &ledger.rows {
        out.entry(row.period).or_insert_with(|| Closure {
            closed_period: row.closed_period,
            closed_at: row.closed_at.clone(),
            approved_by: row.approved_by.clone(),
            run_id: row.run_id.clone(),
        });
    }
    out
}

/// The adjustments not yet in the ledger, by rep: each recorded `adjustment` row (matched by rep id,
/// a `for_period` containing the end of the adjustment's period, amount and reason, whatever plan or
/// component recorded it) takes out one adjustment.
pub(super) fn pending_adjustments<'a, 'r>(
    ledger: &'r Ledger,
    adjustments: &'a [Adjustment],
    rep_id: &dyn Fn(u32) -> &'r str,
) -> BTreeMap<RepIx, Vec<&'a Adjustment>> {
    let mut recorded: BTreeMap<&str, Vec<&LedgerRow>> = BTreeMap::new();
    for row in ledger
        .rows
        .iter()
        .filter(|r| r.kind == Some(LineKind::Adjustment))
    {
        recorded.entry(row.rep_id.as_str()).or_default().push(row);
    }
    let mut pending: BTreeMap<RepIx, Vec<&Adjustment>> = BTreeMap::new();
    for a in adjustments {
        let list = recorded.entry(rep_id(a.rep)).or_default();
        match list.iter().position(|row| {
            row.for_period.contains(a.period.end())
                && row.amount == a.amount
                && row.reason == a.reason
        }) {
            Some(i) => {
                list.remove(i);
            }
            None => pending.entry(RepIx(a.rep)).or_default().push(a),
        }
    }
    pending
}

#[cfg(test)]
mod tests {
    use super::super::tests::{adjustment, ledger_row, period, period_result, run_of};
    use super::*;

    #[test]
    fn the_run_wins_over_the_closed_periods_runs() {
        // History: January computed 100; the run recomputes January as 120 and adds February 50.
        let history = [run_of(vec![period_result("2026-01", 100)])];
        let run = run_of(vec![
            period_result("2026-01", 120),
            period_result("2026-02", 50),
        ]);
        let computed = computed_now(&history, &run, true);
        let now = &computed[&Owner::new(0, 0, 0)];
        assert_eq!(now[&period("2026-01")], Decimal::from(120));
        assert_eq!(now[&period("2026-02")], Decimal::from(50));
        // Nothing closed: nothing to correct, nothing kept.
        assert!(computed_now(&history, &run, false).is_empty());
    }

    #[test]
    fn a_recorded_adjustment_is_matched_once() {
        // Two identical adjustments of R1 in 2026-02, one recorded (in the quarter's row): one pending.
        let mut recorded = ledger_row("2026-02", Some(LineKind::Adjustment), 250);
        recorded.for_period = period("2026-Q1");
        recorded.reason = "SPIFF".into();
        let ledger = Ledger {
            rows: vec![recorded],
            ..Ledger::default()
        };
        let adjustments = [adjustment(0, "2026-02", 250), adjustment(0, "2026-02", 250)];
        let pending = pending_adjustments(&ledger, &adjustments, &|_| "R1");
        assert_eq!(pending[&RepIx(0)].len(), 1);
        // Another amount is not the recorded one.
        let other = [adjustment(0, "2026-02", 300)];
        assert_eq!(
            pending_adjustments(&ledger, &other, &|_| "R1")[&RepIx(0)].len(),
            1
        );
    }

    #[test]
    fn a_period_is_closed_by_its_first_row() {
        let mut first = ledger_row("2026-01", None, 10);
        first.approved_by = "Dana".into();
        let mut second = ledger_row("2026-01", None, 20);
        second.approved_by = "Kim".into();
        let ledger = Ledger {
            rows: vec![first, second],
            ..Ledger::default()
        };
        assert_eq!(closures(&ledger)[&period("2026-01")].approved_by, "Dana");
    }
}
