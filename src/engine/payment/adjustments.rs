//! Adjustments not yet in the ledger: each is paid on the component it names (default: the plan's
//! first) in the payout period containing the end of its period; one whose payout period is closed
//! is paid late, in the first open payout period after it, saying so.
//!
//! Invariant: an adjustment is placed once (its line joins `placed`), on the first component of the
//! rep that takes it.

use std::collections::{BTreeMap, BTreeSet};

use super::{entry, Entry};
use crate::data::adjustments::Adjustment;
use crate::engine::LineKind;
use crate::period::{Granularity, Period};

/// One component's adjustments by the open payout period they are paid in, and the late ones with
/// the closed payout period they are for.
#[derive(Debug, Default)]
pub(super) struct Due<'a> {
    on_time: BTreeMap<Period, Vec<&'a Adjustment>>,
    late: Vec<(Period, &'a Adjustment)>,
}

impl<'a> Due<'a> {
    /// The adjustments of `pending` that component `id` (at `index` in its plan, paid by `payout`
    /// periods) takes.
    pub fn split(
        pending: impl Iterator<Item = &'a Adjustment>,
        id: &str,
        index: usize,
        payout: Granularity,
        closed: &dyn Fn(Period) -> bool,
    ) -> Due<'a> {
        let mut due = Due::default();
        for a in pending {
            let wanted = match &a.component {
                Some(named) => named == id,
                None => index == 0,
            };
            if !wanted {
                continue;
            }
            let q = a.period.calendar().period_of(payout, a.period.end());
            if closed(q) {
                due.late.push((q, a));
            } else {
                due.on_time.entry(q).or_default().push(a);
            }
        }
        due
    }

    /// The lines of the late adjustments still waiting for an open payout period, as that period
    /// will pay them.
    pub fn late_lines(self) -> Vec<Entry> {
        self.late
            .into_iter()
            .map(|(q, a)| adjustment_line(q, true, a))
            .collect()
    }

    /// The adjustment lines of the open payout period `period`: late ones of periods that ended
    /// before it, then its own; each joins `placed`.
    pub fn due_lines(&mut self, period: Period, placed: &mut BTreeSet<u64>) -> Vec<Entry> {
        let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.late)
            .into_iter()
            .partition(|(q, _)| q.end() < period.start());
        self.late = wait;
        let own = self.on_time.remove(&period).unwrap_or_default();
        due.into_iter()
            .chain(own.into_iter().map(|a| (period, a)))
            .map(|(q, a)| {
                placed.insert(a.line);
                adjustment_line(q, q != period, a)
            })
            .collect()
    }
}

/// The line of adjustment `a` for payout period `q`: its reason, then (when `late`, paid in a later
/// period because `q` was closed) the closed period it is for, the approver and the note.
fn adjustment_line(q: Period, late: bool, a: &Adjustment) -> Entry {
    let mut note = a.reason.clone();
    if late {
        note.push_str(&format!(" (for {q}, closed before it arrived)"));
    }
    if !a.approved_by.is_empty() {
        note.push_str(&format!("; approved by {}", a.approved_by));
    }
    if !a.note.is_empty() {
        note.push_str(&format!("; {}", a.note));
    }
    let mut e = entry(LineKind::Adjustment, q, a.amount, note);
    e.reason = a.reason.clone();
    e
}

#[cfg(test)]
mod tests {
    use super::super::tests::{adjustment, dec, period};
    use super::*;

    #[test]
    fn adjustments_are_paid_on_their_component_in_their_period_or_late() {
        // January is closed. R1: 250 for January (late), −100 for February, 40 named for `bonus`.
        let closed = |p: Period| p == period("2026-01");
        let jan = adjustment(0, "2026-01", 250);
        let mut feb = adjustment(0, "2026-02", -100);
        feb.approved_by = "Dana".into();
        feb.note = "travel".into();
        feb.line = 3;
        let mut bonus = adjustment(0, "2026-02", 40);
        bonus.component = Some("bonus".into());
        let all = [&jan, &feb, &bonus];
        let mut due = Due::split(
            all.iter().copied(),
            "commission",
            0,
            Granularity::Month,
            &closed,
        );
        assert_eq!(due.late.len(), 1);
        let mut placed = BTreeSet::new();
        let lines = due.due_lines(period("2026-02"), &mut placed);
        let shown: Vec<(Period, rust_decimal::Decimal, &str)> = lines
            .iter()
            .map(|e| (e.for_period, e.amount, e.note.as_str()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    period("2026-01"),
                    dec("250"),
                    "SPIFF (for 2026-01, closed before it arrived)"
                ),
                (
                    period("2026-02"),
                    dec("-100"),
                    "SPIFF; approved by Dana; travel"
                ),
            ]
        );
        assert_eq!(placed, BTreeSet::from([2, 3]));
        assert_eq!(due.late.len(), 0);
        // The `bonus` component (second in its plan) takes only the one naming it.
        let due = Due::split(all.iter().copied(), "bonus", 1, Granularity::Month, &closed);
        assert_eq!(due.on_time[&period("2026-02")].len(), 1);
    }

    #[test]
    fn a_quarterly_component_takes_a_months_adjustment_in_its_quarter() {
        let march = adjustment(0, "2026-03", 75);
        let mut due = Due::split(
            [&march].into_iter(),
            "commission",
            0,
            Granularity::Quarter,
            &|_| false,
        );
        let mut placed = BTreeSet::new();
        assert!(due.due_lines(period("2026-02"), &mut placed).is_empty());
        let lines = due.due_lines(period("2026-Q1"), &mut placed);
        assert_eq!(lines[0].for_period, period("2026-Q1"));
        assert_eq!(lines[0].reason, "SPIFF");
    }
}
