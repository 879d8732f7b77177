//! Negative months, per rep over every plan they are on in the run: the total of a month's open
//! payout periods (every component, the plan cap's row included) below zero is carried forward as a
//! balance (`carry-forward` on the month's first row, the plan's default) and deducted from the next
//! month (`carry-in`); with `negative_payable = "floor"` it is floored (`floored`: the month pays
//! 0.00, nothing carried); with `"deduct"` it is paid (deducted) as is.
//!
//! Invariant: the lines go on the month's first row (plan, then component order), so the month's
//! total is what the rep is paid; the balance carried is on each line, the next run starts from the
//! ledger's last `carry-forward` or `carry-in` row of the rep.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{entry, Entry, Settlement};
use crate::data::Inputs;
use crate::engine::{Line, LineKind, RepResult};
use crate::ledger::Ledger;
use crate::money::fmt_amount;
use crate::period::{Granularity, Period};
use crate::plan::payment_terms::NegativePayable;

/// (result, component, period) indices of a payout period within the run's results.
type Slot = (usize, usize, usize);

/// Carry or floor every rep's negative months.
pub(super) fn settle_negative_months(
    inputs: &Inputs,
    ledger: &Ledger,
    closed: &dyn Fn(Period) -> bool,
    reps: &mut [RepResult],
    settlement: &mut Settlement,
) {
    let mut by_rep: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, r) in reps.iter().enumerate() {
        by_rep.entry(r.rep).or_default().push(i);
    }
    for (rep, results) in by_rep {
        carry_forward(inputs, ledger, closed, rep, &results, reps, settlement);
        floor_negative_months(inputs, closed, &results, reps, settlement);
    }
}

/// The carried balance a rep starts from: the balance of their last `carry-forward` or `carry-in`
/// row in the ledger.
fn carried_balance(ledger: &Ledger, rep_id: &str) -> Decimal {
    ledger
        .rows
        .iter()
        .rev()
        .find(|row| {
            row.rep_id == rep_id
                && matches!(row.kind, Some(LineKind::CarryForward | LineKind::CarryIn))
        })
        .and_then(|row| row.balance)
        .unwrap_or_default()
}

/// A negative payable carried forward as a balance (see the module's documentation).
fn carry_forward(
    inputs: &Inputs,
    ledger: &Ledger,
    closed: &dyn Fn(Period) -> bool,
    rep: u32,
    results: &[usize],
    reps: &mut [RepResult],
    settlement: &mut Settlement,
) {
    let mut carry = carried_balance(ledger, &inputs.roster.get(rep).id);
    let carries = |reps: &[RepResult], ri: usize| {
        inputs.plans[reps[ri].plan].payment.negative_payable == NegativePayable::CarryForward
    };
    if carry.is_zero() && !results.iter().any(|&ri| carries(reps, ri)) {
        return;
    }
    // A month's total is negative only if some payable is: nothing to carry otherwise.
    let any_negative = results.iter().any(|&ri| {
        reps[ri]
            .components
            .iter()
            .flat_map(|c| &c.periods)
            .any(|p| p.in_run && p.payable.is_sign_negative() && !p.payable.is_zero())
    });
    if carry.is_zero() && !any_negative {
        return;
    }
    for (month, slots) in open_periods_by_month(reps, results, closed) {
        let Some(&(ri, ..)) = slots.first() else {
            continue;
        };
        let places = inputs.plans[reps[ri].plan].rounding.places;
        let total = month_total(reps, &slots);
        let (added, carried) = carry_month(month, total, carry, carries(reps, ri), places);
        carry = carried;
        add_to_first_row(reps, &slots, added, settlement);
    }
}

/// A month's lines with `carry` carried in and the open payout periods totalling `total`: a
/// `carry-in` of the balance (balance after 0), then, when the total after it is negative and the
/// plan carries, a `carry-forward` of it; and the balance carried out of the month.
fn carry_month(
    month: Period,
    total: Decimal,
    carry: Decimal,
    carries: bool,
    places: u32,
) -> (Vec<Entry>, Decimal) {
    let mut added = Vec::new();
    let mut out = Decimal::ZERO;
    if !carry.is_zero() {
        let mut e = entry(
            LineKind::CarryIn,
            month,
            -carry,
            format!(
                "balance {} carried forward from earlier periods",
                fmt_amount(carry, places)
            ),
        );
        e.balance = Some(Decimal::ZERO);
        added.push(e);
    }
    let total = total + added.iter().map(|e| e.amount).sum::<Decimal>();
    if total < Decimal::ZERO && carries {
        out = -total;
        let mut e = entry(
            LineKind::CarryForward,
            month,
            out,
            format!(
                "payable {} for {month} is negative: carried forward as a balance",
                fmt_amount(total, places)
            ),
        );
        e.balance = Some(out);
        added.push(e);
    }
    (added, out)
}

/// `negative_payable = "floor"`: a month whose open payout periods total below zero gets a `floored`
/// line of −total on its first row. A month whose first row's plan does not floor is left to
/// [`carry_forward`].
fn floor_negative_months(
    inputs: &Inputs,
    closed: &dyn Fn(Period) -> bool,
    results: &[usize],
    reps: &mut [RepResult],
    settlement: &mut Settlement,
) {
    let floors = |reps: &[RepResult], ri: usize| {
        inputs.plans[reps[ri].plan].payment.negative_payable == NegativePayable::Floor
    };
    if !results.iter().any(|&ri| floors(reps, ri)) {
        return;
    }
    for (month, slots) in open_periods_by_month(reps, results, closed) {
        let Some(&(ri, ..)) = slots.first() else {
            continue;
        };
        if !floors(reps, ri) {
            continue;
        }
        let places = inputs.plans[reps[ri].plan].rounding.places;
        if let Some(e) = floor_month(month, month_total(reps, &slots), places) {
            add_to_first_row(reps, &slots, vec![e], settlement);
        }
    }
}

/// The `floored` line of a month totalling `total`, when it is negative.
fn floor_month(month: Period, total: Decimal, places: u32) -> Option<Entry> {
    (total < Decimal::ZERO).then(|| {
        entry(
            LineKind::Floored,
            month,
            -total,
            format!(
                "payable {} for {month} is negative: floored at 0.00, not carried",
                fmt_amount(total, places)
            ),
        )
    })
}

fn month_total(reps: &[RepResult], slots: &[Slot]) -> Decimal {
    slots
        .iter()
        .map(|&(r, c, p)| reps[r].components[c].periods[p].payable)
        .sum()
}

/// Put a month's lines on its first row: for that payout period, added to its payable and lines and
/// to the settlement's entries.
fn add_to_first_row(
    reps: &mut [RepResult],
    slots: &[Slot],
    mut added: Vec<Entry>,
    settlement: &mut Settlement,
) {
    let Some(&(ri, ci, pi)) = slots.first() else {
        return;
    };
    if added.is_empty() {
        return;
    }
    let r = &mut reps[ri];
    let owner = r.owner(&r.components[ci]);
    let p = &mut r.components[ci].periods[pi];
    for e in &mut added {
        e.for_period = p.payout_period;
        p.payable += e.amount;
        p.push_line(Line::note(e.kind, None, e.amount, e.note.clone()));
    }
    settlement
        .entries
        .entry((owner, p.payout_period))
        .or_default()
        .extend(added);
}

/// The rep's open payout periods of the run, by the month they are paid in (the month their payout
/// period ends), each as (result, component, period) indices in plan and component order.
fn open_periods_by_month(
    reps: &[RepResult],
    results: &[usize],
    closed: &dyn Fn(Period) -> bool,
) -> BTreeMap<Period, Vec<Slot>> {
    let mut by_month: BTreeMap<Period, Vec<Slot>> = BTreeMap::new();
    for &ri in results {
        for (ci, c) in reps[ri].components.iter().enumerate() {
            for (pi, p) in c.periods.iter().enumerate() {
                if p.in_run && !closed(p.payout_period) {
                    let month = p
                        .payout_period
                        .calendar()
                        .period_of(Granularity::Month, p.payout_period.end());
                    by_month.entry(month).or_default().push((ri, ci, pi));
                }
            }
        }
    }
    by_month
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dec, period, period_result, run_of, shown};
    use super::*;

    #[test]
    fn a_negative_month_is_carried_and_deducted_from_the_next() {
        let jan = period("2026-01");
        // January totals −300: carried forward, balance 300.
        let (lines, carry) = carry_month(jan, dec("-300"), Decimal::ZERO, true, 2);
        assert_eq!(
            shown(&lines),
            vec![(LineKind::CarryForward, dec("300"), Some(dec("300")))]
        );
        assert_eq!(
            lines[0].note,
            "payable -300.00 for 2026-01 is negative: carried forward as a balance"
        );
        // February totals 200: 300 carried in leaves −100, carried again.
        let (lines, carry) = carry_month(period("2026-02"), dec("200"), carry, true, 2);
        assert_eq!(
            shown(&lines),
            vec![
                (LineKind::CarryIn, dec("-300"), Some(dec("0"))),
                (LineKind::CarryForward, dec("100"), Some(dec("100")))
            ]
        );
        // March totals 500: 100 carried in, 400 paid, nothing carried.
        let (lines, carry) = carry_month(period("2026-03"), dec("500"), carry, true, 2);
        assert_eq!(
            shown(&lines),
            vec![(LineKind::CarryIn, dec("-100"), Some(dec("0")))]
        );
        assert_eq!(carry, Decimal::ZERO);
        // A plan that deducts carries nothing out (a balance from earlier still comes in).
        let (lines, carry) = carry_month(jan, dec("-300"), Decimal::ZERO, false, 2);
        assert!(lines.is_empty() && carry.is_zero());
    }

    #[test]
    fn a_negative_month_is_floored_at_zero() {
        let e = floor_month(period("2026-01"), dec("-42.5"), 2).unwrap();
        assert_eq!((e.kind, e.amount), (LineKind::Floored, dec("42.5")));
        assert_eq!(
            e.note,
            "payable -42.50 for 2026-01 is negative: floored at 0.00, not carried"
        );
        assert!(floor_month(period("2026-01"), Decimal::ZERO, 2).is_none());
    }

    #[test]
    fn open_periods_group_by_the_month_they_are_paid_in() {
        // January and February of one component; January closed.
        let run = run_of(vec![
            period_result("2026-01", -5),
            period_result("2026-02", 7),
        ]);
        let months = open_periods_by_month(&run.reps, &[0], &|p| p == period("2026-01"));
        assert_eq!(months.len(), 1);
        assert_eq!(months[&period("2026-02")], vec![(0, 0, 1)]);
        assert_eq!(
            month_total(&run.reps, &months[&period("2026-02")]),
            dec("7")
        );
    }
}
