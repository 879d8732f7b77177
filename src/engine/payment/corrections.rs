//! Closed payout periods and their corrections. A closed period pays what the ledger recorded: its
//! payment lines replayed, and a `recorded` line (recorded − computed now) when the data now compute
//! a different commission. The difference is paid once, in the first open payout period after the
//! closed one: a `true-up` when both belong to the same measurement period, else `prior-period`.
//!
//! Invariant: what was paid for a period is the sum of its `earned`, `true-up` and `prior-period` rows
//! (a correction is recorded against the period it corrects), so a correction is never paid twice.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::{entry, Entry};
use crate::engine::LineKind;
use crate::ledger::LedgerRow;
use crate::money::fmt_amount;
use crate::period::Period;
use crate::plan::Plan;

/// A closed payout period that computes differently now.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Correction {
    pub period: Period,
    /// What was paid for it (its `earned`, `true-up` and `prior-period` rows).
    pub paid: Decimal,
    /// What it computes now.
    pub now: Decimal,
}

/// Whether a ledger row of this kind is paid for its `for_period`: the commission (`earned`) and its
/// corrections.
pub(super) fn paid_for_kind(kind: Option<LineKind>) -> bool {
    matches!(
        kind,
        None | Some(LineKind::TrueUp) | Some(LineKind::PriorPeriod)
    )
}

/// The closed payout periods of one component (paid for in `rows`, or computed now) whose payable
/// now differs from what was paid for them, in period order.
pub(super) fn corrections(
    rows: &[&LedgerRow],
    now: Option<&BTreeMap<Period, Decimal>>,
    closed: &dyn Fn(Period) -> bool,
) -> Vec<Correction> {
    let mut paid_for: BTreeMap<Period, Decimal> = BTreeMap::new();
    for row in rows.iter().filter(|row| paid_for_kind(row.kind)) {
        *paid_for.entry(row.for_period).or_default() += row.amount;
    }
    let mut periods: BTreeSet<Period> = paid_for.keys().copied().collect();
    periods.extend(now.iter().flat_map(|m| m.keys().copied()));
    periods
        .into_iter()
        .filter(|q| closed(*q))
        .filter_map(|q| {
            let paid = paid_for.get(&q).copied().unwrap_or_default();
            let now = now.and_then(|m| m.get(&q)).copied().unwrap_or_default();
            (now != paid).then_some(Correction {
                period: q,
                paid,
                now,
            })
        })
        .collect()
}

/// The correction lines due in the open payout period `period` (of `measurement`): those of closed
/// periods that ended before it starts, taken out of `waiting`. `was(q)` says under which former id
/// `q` was recorded, `clawed(q)` which cancelled deals explain it (both may be empty).
pub(super) fn due_lines(
    waiting: &mut Vec<Correction>,
    period: Period,
    measurement: Period,
    money: &dyn Fn(Decimal) -> String,
    was: &dyn Fn(Period) -> String,
    clawed: &dyn Fn(Period) -> String,
) -> Vec<Entry> {
    let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(waiting)
        .into_iter()
        .partition(|c| c.period.end() < period.start());
    *waiting = wait;
    due.into_iter()
        .map(|c| {
            let kind = if c.period.within(measurement.granularity()) == measurement {
                LineKind::TrueUp
            } else {
                LineKind::PriorPeriod
            };
            correction_line(c, kind, money, was, clawed)
        })
        .collect()
}

/// The line paying correction `c` as a `kind` line (a true-up or a prior-period correction).
pub(super) fn correction_line(
    c: Correction,
    kind: LineKind,
    money: &dyn Fn(Decimal) -> String,
    was: &dyn Fn(Period) -> String,
    clawed: &dyn Fn(Period) -> String,
) -> Entry {
    let q = c.period;
    entry(
        kind,
        q,
        c.now - c.paid,
        format!(
            "{q}: paid {}{}, computed now {}{}",
            money(c.paid),
            was(q),
            money(c.now),
            clawed(q)
        ),
    )
}

/// The lines of a closed payout period: its recorded payment lines replayed, then a `recorded` line
/// (recorded − computed now) when the commission recorded differs from what the period computes now
/// or was recorded under a former id.
pub(super) fn closed_period_lines(
    rows: &[&LedgerRow],
    period: Period,
    computed: Decimal,
    plan: &Plan,
    component: usize,
    deal_rows: &BTreeMap<&str, u32>,
) -> Vec<Entry> {
    let money = |d: Decimal| fmt_amount(d, plan.rounding.places);
    let recorded: Vec<&LedgerRow> = rows
        .iter()
        .copied()
        .filter(|row| row.period == period)
        .collect();
    let earned: Decimal = recorded
        .iter()
        .filter(|row| row.kind.is_none())
        .map(|row| row.amount)
        .sum();
    let mut entries: Vec<Entry> = recorded
        .iter()
        .filter_map(|row| {
            let kind = row.kind?;
            let mut e = replayed(row, kind);
            e.deal = deal_rows.get(row.deal_id.as_str()).copied();
            Some(e)
        })
        .collect();
    // Rows recorded under a former id say so, even when nothing differs.
    let was = recorded_as(recorded.iter().copied(), plan, component);
    if earned != computed || !was.is_empty() {
        let then = if earned == computed {
            ""
        } else {
            "; the difference is paid in the next open period"
        };
        entries.push(entry(
            LineKind::Recorded,
            period,
            earned - computed,
            format!(
                "closed: commission recorded {}{was}, computed now {}{then}",
                money(earned),
                money(computed)
            ),
        ));
    }
    entries
}

/// A payment line read back from the ledger.
fn replayed(row: &LedgerRow, kind: LineKind) -> Entry {
    Entry {
        kind,
        for_period: row.for_period,
        amount: row.amount,
        balance: row.balance,
        reason: row.reason.clone(),
        deal_id: row.deal_id.clone(),
        deal: None,
        note: row.note.clone(),
    }
}

/// " under component `x`" when some of `rows` were recorded under a former id of the component or of
/// its plan (a rename declared with `formerly`); empty otherwise.
pub(super) fn recorded_as<'r>(
    rows: impl IntoIterator<Item = &'r LedgerRow>,
    plan: &Plan,
    component: usize,
) -> String {
    let names: BTreeSet<String> = rows
        .into_iter()
        .filter_map(|row| crate::ledger::renames::former_name(row, plan, component))
        .collect();
    if names.is_empty() {
        return String::new();
    }
    let names: Vec<String> = names.into_iter().collect();
    format!(" under {}", names.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dec, ledger_row, period, plan};
    use super::*;

    fn money(d: Decimal) -> String {
        fmt_amount(d, 2)
    }

    fn closed_to_march(p: Period) -> bool {
        p.end() <= period("2026-03").end()
    }

    #[test]
    fn a_closed_period_that_computes_differently_is_corrected_by_the_difference() {
        // January: earned 100 + a true-up of 20 paid for it later = 120 paid; computes 150 now.
        // February: paid 80, computes 80: no correction. April is open: never a correction.
        let jan = ledger_row("2026-01", None, 100);
        let mut jan_true_up = ledger_row("2026-02", Some(LineKind::TrueUp), 20);
        jan_true_up.for_period = period("2026-01");
        let feb = ledger_row("2026-02", None, 80);
        let adjustment = ledger_row("2026-02", Some(LineKind::Adjustment), 999);
        let rows = [&jan, &jan_true_up, &feb, &adjustment];
        let now = BTreeMap::from([
            (period("2026-01"), dec("150")),
            (period("2026-02"), dec("80")),
            (period("2026-04"), dec("70")),
        ]);
        assert_eq!(
            corrections(&rows, Some(&now), &closed_to_march),
            vec![Correction {
                period: period("2026-01"),
                paid: dec("120"),
                now: dec("150")
            }]
        );
        // Nothing computed now for a closed period that was paid: it is reversed (now 0).
        assert_eq!(corrections(&rows, None, &closed_to_march).len(), 2);
    }

    #[test]
    fn a_correction_is_due_after_its_period_and_names_its_kind() {
        let fix = |p: &str| Correction {
            period: period(p),
            paid: dec("120"),
            now: dec("150"),
        };
        let mut waiting = vec![fix("2026-01"), fix("2026-04")];
        let none = |_: Period| String::new();
        // In February of a quarterly measurement: January is the same quarter (true-up, +30); April
        // has not ended yet: it waits.
        let lines = due_lines(
            &mut waiting,
            period("2026-02"),
            period("2026-Q1"),
            &money,
            &none,
            &none,
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].kind, LineKind::TrueUp);
        assert_eq!(lines[0].for_period, period("2026-01"));
        assert_eq!(lines[0].amount, dec("30"));
        assert_eq!(lines[0].note, "2026-01: paid 120.00, computed now 150.00");
        assert_eq!(waiting, vec![fix("2026-04")]);
        // In May of Q2's measurement: April belongs to Q2 too; a monthly measurement makes it prior.
        let lines = due_lines(
            &mut waiting,
            period("2026-05"),
            period("2026-05"),
            &money,
            &none,
            &|_| " (clawback: deal D1 cancelled 2026-04-20)".into(),
        );
        assert_eq!(lines[0].kind, LineKind::PriorPeriod);
        assert_eq!(
            lines[0].note,
            "2026-04: paid 120.00, computed now 150.00 (clawback: deal D1 cancelled 2026-04-20)"
        );
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_closed_period_replays_its_lines_and_says_what_it_computes_now() {
        // January recorded: earned 100 and an adjustment of 20; it computes 90 now.
        let earned = ledger_row("2026-01", None, 100);
        let mut adjustment = ledger_row("2026-01", Some(LineKind::Adjustment), 20);
        adjustment.note = "SPIFF".into();
        let february = ledger_row("2026-02", None, 50);
        let rows = [&earned, &adjustment, &february];
        let plan = plan("");
        let lines = closed_period_lines(
            &rows,
            period("2026-01"),
            dec("90"),
            &plan,
            0,
            &BTreeMap::new(),
        );
        let shown: Vec<(LineKind, Decimal, &str)> = lines
            .iter()
            .map(|e| (e.kind, e.amount, e.note.as_str()))
            .collect();
        // recorded − computed now = 100 − 90 = 10.
        assert_eq!(
            shown,
            vec![
                (LineKind::Adjustment, dec("20"), "SPIFF"),
                (
                    LineKind::Recorded,
                    dec("10"),
                    "closed: commission recorded 100.00, computed now 90.00; the difference is paid in the next open period"
                ),
            ]
        );
        // Computing what was recorded: only the replayed line.
        let lines = closed_period_lines(
            &rows,
            period("2026-01"),
            dec("100"),
            &plan,
            0,
            &BTreeMap::new(),
        );
        assert_eq!(lines.len(), 1);
        // Recorded under the component's former id: said even when nothing differs.
        let mut renamed = earned.clone();
        renamed.component = "old".into();
        let lines = closed_period_lines(
            &[&renamed],
            period("2026-01"),
            dec("100"),
            &plan,
            0,
            &BTreeMap::new(),
        );
        assert_eq!(
            lines[0].note,
            "closed: commission recorded 100.00 under component `old`, computed now 100.00"
        );
    }
}
