//! What `payout close` records for a settled run: one `earned` row per rep, component and payout
//! period of the run (the payable less its payment lines) followed by a row per payment line, in
//! ledger order (rep id, payout period, plan, then the component's place in its plan). The same rows,
//! unstamped, are the provisional ledger of the open months a run settles before its own period, so a
//! month is settled against exactly what closing it would record.
//!
//! Invariants: a period's rows sum to its payable; amounts carry at least the plan's places (100 is
//! written 100.00, as payroll reads it); the order depends on the run only.

use rust_decimal::Decimal;

use super::RunResult;
use crate::data::Inputs;
use crate::ledger::LedgerRow;

/// Who closed and when: empty for provisional rows.
#[derive(Debug, Clone, Default)]
pub struct Stamp {
    pub closed_at: String,
    pub run_id: String,
    pub approved_by: String,
    /// Recorded on each `earned` row (e.g. an earlier open month closed anyway, exceptions accepted).
    pub note: String,
}

/// The ledger rows of `run`'s payout periods.
pub fn ledger_rows(inputs: &Inputs, run: &RunResult, stamp: &Stamp) -> Vec<LedgerRow> {
    let mut rows: Vec<(String, usize, LedgerRow)> = Vec::new();
    for r in &run.reps {
        let rep = inputs.roster.get(r.rep);
        let plan = &inputs.plans[r.plan];
        let places = plan.rounding.places;
        let scaled = |d: Decimal| {
            let mut d = d.normalize();
            if d.scale() < places {
                d.rescale(places);
            }
            d
        };
        for c in &r.components {
            let comp = &plan.components[c.component];
            for p in c.periods.iter().filter(|p| p.in_run) {
                let entries = run
                    .payment
                    .entries
                    .get(&(r.owner(c), p.payout_period))
                    .map_or(&[][..], |v| v.as_slice());
                let extra: Decimal = entries.iter().map(|e| e.amount).sum();
                let row = |kind, for_period, amount, balance: Option<Decimal>| LedgerRow {
                    rep_id: rep.id.clone(),
                    period: p.payout_period,
                    plan: plan.id.clone(),
                    component: comp.id.clone(),
                    kind,
                    for_period,
                    deal_id: String::new(),
                    amount: scaled(amount),
                    balance: balance.map(scaled),
                    reason: String::new(),
                    closed_period: run.period,
                    closed_at: stamp.closed_at.clone(),
                    run_id: stamp.run_id.clone(),
                    approved_by: stamp.approved_by.clone(),
                    note: String::new(),
                    line: 0,
                };
                let key = |row: LedgerRow| (rep.id.clone(), comp.line as usize, row);
                let mut earned = row(None, p.payout_period, p.payable - extra, None);
                earned.note = stamp.note.clone();
                rows.push(key(earned));
                for e in entries {
                    let mut line = row(Some(e.kind), e.for_period, e.amount, e.balance);
                    line.reason = e.reason.clone();
                    line.deal_id = e.deal_id.clone();
                    line.note = e.note.clone();
                    rows.push(key(line));
                }
            }
        }
    }
    // Ledger order: rep, payout period, component order in the plan; a period's lines in their order.
    rows.sort_by(|a, b| {
        (&a.0, a.2.period, &a.2.plan, a.1).cmp(&(&b.0, b.2.period, &b.2.plan, b.1))
    });
    rows.into_iter().map(|(_, _, r)| r).collect()
}
