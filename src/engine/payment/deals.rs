//! Payment lines about one deal: clawbacks and holds.
//!
//! - A clawback that keeps attainment reverses a cancelled deal's own commission (× the cancelled
//!   share × `percent_of_paid`) once, in the first open payout period on or after the cancellation;
//!   only what was paid is reversed (what is still held stays unpaid).
//! - A hold keeps back the commission of a deal credited in a payout period and not paid by its end
//!   (all but `at_booking`), and releases it in the payout period of the deal's paid date.
//! - A clawback that reduces attainment corrects the periods the deal was paid in (see
//!   [`super::corrections`]); what is still held of the deal is released against that correction.
//!
//! Invariants: the ledger names the deal of every clawback, hold and release, so a deal is clawed back
//! once and a hold released once; held amounts are rounded like earned-to-date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{entry, DealCommissions, Entry};
use crate::data::{DealTable, Inputs};
use crate::engine::LineKind;
use crate::ledger::LedgerRow;
use crate::money::fmt_amount;
use crate::period::Period;
use crate::plan::payment_terms::Clawback as ClawbackRule;
use crate::plan::Plan;

/// What the lines about a deal show of it.
pub(super) trait DealFacts {
    fn id(&self, deal: u32) -> &str;
    fn close_date(&self, deal: u32) -> NaiveDate;
    fn paid_date(&self, deal: u32) -> Option<NaiveDate>;
}

impl DealFacts for DealTable {
    fn id(&self, deal: u32) -> &str {
        DealTable::id(self, deal as usize)
    }
    fn close_date(&self, deal: u32) -> NaiveDate {
        DealTable::close_date(self, deal as usize)
    }
    fn paid_date(&self, deal: u32) -> Option<NaiveDate> {
        let c = self.column("paid_date")?;
        self.columns[c].date(deal as usize)
    }
}

/// A deal's cancellation under a plan's clawback: its cancel date and the cancelled share (0 to 1:
/// `cancelled_amount` ÷ `amount`, or all of it), when the cancel date is at most `window_days` after
/// the deal's close date. `None`: not cancelled, or cancelled too late to claw back.
pub(crate) fn cancellation(
    deals: &DealTable,
    clawback: &ClawbackRule,
    row: usize,
) -> Option<(NaiveDate, Decimal)> {
    let c = deals.column("cancel_date")?;
    let date = deals.columns[c].date(row)?;
    if (date - deals.close_date(row)).num_days() > i64::from(clawback.window_days) {
        return None;
    }
    let amount = deals.amount(row);
    let share = match deals
        .column("cancelled_amount")
        .and_then(|i| deals.columns[i].decimal(row))
    {
        Some(part) if !amount.is_zero() => (part / amount).abs().min(Decimal::ONE),
        _ => Decimal::ONE,
    };
    Some((date, share))
}

/// The share of a deal that stays in the measures: `Some` only for a deal the plan's clawback
/// cancels and whose cancellation reduces attainment.
pub(crate) fn kept_share(deals: &DealTable, plan: &Plan, row: usize) -> Option<Decimal> {
    let clawback = plan
        .payment
        .clawback
        .as_ref()
        .filter(|c| c.reduce_attainment)?;
    cancellation(deals, clawback, row).map(|(_, share)| Decimal::ONE - share)
}

/// Whether a plan needs every deal's commission per payout period (clawbacks that keep attainment,
/// holds): the engine must then keep the statement lines.
pub fn needs_lines(plan: &Plan) -> bool {
    plan.payment.hold.is_some()
        || plan
            .payment
            .clawback
            .as_ref()
            .is_some_and(|c| !c.reduce_attainment)
}

/// What is still held of a deal in the ledger's rows: −(its holds + releases).
fn held_in_ledger(rows: &[&LedgerRow], id: &str) -> Decimal {
    -rows
        .iter()
        .filter(|row| row.deal_id == id && is_hold_or_release(row))
        .map(|row| row.amount)
        .sum::<Decimal>()
}

fn is_hold_or_release(row: &LedgerRow) -> bool {
    matches!(row.kind, Some(LineKind::Hold | LineKind::Release))
}

/// A cancelled deal to claw back (a clawback that keeps attainment).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Clawback {
    pub deal: u32,
    /// The payout period its commission was paid in.
    pub paid_in: Period,
    pub cancelled: NaiveDate,
    /// Its commission less what the ledger still holds of it.
    pub paid: Decimal,
    /// The share reversed: cancelled share × `percent_of_paid`.
    pub share: Decimal,
}

/// The deals of `commissions` to claw back under the plan's clawback that keeps attainment: cancelled
/// within the window and not yet clawed back in the ledger.
pub(super) fn clawbacks(
    inputs: &Inputs,
    plan: &Plan,
    rows: &[&LedgerRow],
    commissions: &DealCommissions,
) -> Vec<Clawback> {
    let Some(cb) = plan
        .payment
        .clawback
        .as_ref()
        .filter(|c| !c.reduce_attainment)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (&deal, &(paid_in, commission)) in commissions {
        let id = inputs.deals.id(deal as usize);
        if rows
            .iter()
            .any(|row| row.kind == Some(LineKind::Clawback) && row.deal_id == id)
        {
            continue;
        }
        if let Some((cancelled, share)) = cancellation(&inputs.deals, cb, deal as usize) {
            out.push(Clawback {
                deal,
                paid_in,
                cancelled,
                // Only what was paid is reversed: a hold not yet released stays unpaid.
                paid: commission - held_in_ledger(rows, id),
                share: cb.reversed_share(share),
            });
        }
    }
    // In deal id order, whatever the order of the deals file.
    out.sort_by(|a, b| {
        inputs
            .deals
            .id(a.deal as usize)
            .cmp(inputs.deals.id(b.deal as usize))
    });
    out
}

/// The clawback lines due in the open payout period `period` (paid in or before it, cancelled by its
/// end), taken out of `waiting`: −(paid + this run's holds and releases of the deal) × share, rounded.
pub(super) fn clawback_lines(
    waiting: &mut Vec<Clawback>,
    period: Period,
    hold_moves: &BTreeMap<u32, Decimal>,
    plan: &Plan,
    deals: &dyn DealFacts,
) -> Vec<Entry> {
    let due = |c: &Clawback| c.paid_in.start() <= period.start() && c.cancelled <= period.end();
    let (now, wait): (Vec<_>, Vec<_>) = std::mem::take(waiting).into_iter().partition(due);
    *waiting = wait;
    now.into_iter()
        .map(|c| {
            let moved = hold_moves.get(&c.deal).copied().unwrap_or_default();
            clawback_line(c, moved, plan, deals)
        })
        .collect()
}

/// The line of clawback `c`: −(paid + `moved`, this run's holds and releases of the deal) × share,
/// rounded.
pub(super) fn clawback_line(
    c: Clawback,
    moved: Decimal,
    plan: &Plan,
    deals: &dyn DealFacts,
) -> Entry {
    let percent = plan
        .payment
        .clawback
        .as_ref()
        .map_or(String::new(), |c| c.percent_note());
    let amount = -plan.rounding.apply((c.paid + moved) * c.share);
    let id = deals.id(c.deal);
    let mut e = entry(
        LineKind::Clawback,
        c.paid_in,
        amount,
        format!(
            "deal {id} (closed {}, paid in {}) cancelled {}: commission reversed{percent}",
            deals.close_date(c.deal),
            c.paid_in,
            c.cancelled
        ),
    );
    e.deal_id = id.to_string();
    e.deal = Some(c.deal);
    e
}

/// What is still held of a deal a clawback that reduces attainment took out, to release against the
/// correction of the period it was held in.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CancelledHold {
    pub deal_id: String,
    pub held_in: Period,
    pub cancelled: NaiveDate,
    pub released: Decimal,
}

/// The holds outstanding in the ledger of deals the plan's clawback (reducing attainment) cancels:
/// what is held × the cancelled share, rounded.
pub(super) fn cancelled_holds(
    inputs: &Inputs,
    plan: &Plan,
    rows: &[&LedgerRow],
    deal_rows: &BTreeMap<&str, u32>,
) -> Vec<CancelledHold> {
    let Some(cb) = plan
        .payment
        .clawback
        .as_ref()
        .filter(|c| c.reduce_attainment)
    else {
        return Vec::new();
    };
    let mut outstanding: BTreeMap<&str, (Period, Decimal)> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| !r.deal_id.is_empty() && is_hold_or_release(r))
    {
        let e = outstanding
            .entry(row.deal_id.as_str())
            .or_insert((row.for_period, Decimal::ZERO));
        e.1 -= row.amount;
    }
    let mut out = Vec::new();
    for (id, (held_in, held)) in outstanding {
        let Some(&d) = deal_rows.get(id) else {
            continue;
        };
        if held.is_zero() {
            continue;
        }
        if let Some((cancelled, share)) = cancellation(&inputs.deals, cb, d as usize) {
            out.push(CancelledHold {
                deal_id: id.to_string(),
                held_in,
                cancelled,
                released: plan.rounding.apply(held * share),
            });
        }
    }
    out
}

/// The releases due in the open payout period `period` (held in a period that ended before it,
/// cancelled by its end), taken out of `waiting`.
pub(super) fn cancelled_hold_releases(
    waiting: &mut Vec<CancelledHold>,
    period: Period,
    deal_rows: &BTreeMap<&str, u32>,
) -> Vec<Entry> {
    let due = |h: &CancelledHold| h.held_in.end() < period.start() && h.cancelled <= period.end();
    let (now, wait): (Vec<_>, Vec<_>) = std::mem::take(waiting).into_iter().partition(due);
    *waiting = wait;
    now.into_iter()
        .map(|h| release_line(h, deal_rows))
        .collect()
}

/// The line releasing cancelled hold `h` against its clawback.
pub(super) fn release_line(h: CancelledHold, deal_rows: &BTreeMap<&str, u32>) -> Entry {
    let q = h.held_in;
    let mut e = entry(
        LineKind::Release,
        q,
        h.released,
        format!(
            "deal {} cancelled {}: commission held in {q} released against the clawback",
            h.deal_id, h.cancelled
        ),
    );
    e.deal = deal_rows.get(h.deal_id.as_str()).copied();
    e.deal_id = h.deal_id;
    e
}

/// This run's holds of one component, walked through its payout periods.
#[derive(Debug, Default)]
pub(super) struct Holds {
    /// Per deal, what this run held of it.
    held_in_run: BTreeMap<u32, Decimal>,
    /// Per deal, this run's holds (negative) and releases so far.
    pub moves: BTreeMap<u32, Decimal>,
}

impl Holds {
    /// The hold and release lines of open payout period `period` under the plan's hold (none
    /// without one); their amounts join `moves`.
    pub fn lines(
        &mut self,
        inputs: &Inputs,
        plan: &Plan,
        period: Period,
        commissions: &DealCommissions,
        rows: &[&LedgerRow],
        closed: &dyn Fn(Period) -> bool,
    ) -> Vec<Entry> {
        let Some(hold) = &plan.payment.hold else {
            return Vec::new();
        };
        let rule = HoldRule {
            held_share: Decimal::ONE - hold.at_booking,
            rounding: &plan.rounding,
            places: plan.rounding.places,
        };
        let mut lines = rule.lines(
            &inputs.deals,
            period,
            commissions,
            rows,
            &mut self.held_in_run,
            closed,
        );
        // In deal id order, whatever the order of the deals file (a deal's own lines keep theirs).
        lines.sort_by(|a, b| a.deal_id.cmp(&b.deal_id));
        for e in &lines {
            if let Some(d) = e.deal {
                *self.moves.entry(d).or_default() += e.amount;
            }
        }
        lines
    }
}

/// A plan's hold: the share held and how held amounts round.
struct HoldRule<'p> {
    held_share: Decimal,
    rounding: &'p crate::money::Rounding,
    places: u32,
}

impl HoldRule<'_> {
    /// Holds and releases of one open payout period: the commission of a deal credited in it and not
    /// paid by its end is held (all but `at_booking`); a deal paid in it has what was held released.
    fn lines(
        &self,
        deals: &dyn DealFacts,
        period: Period,
        commissions: &DealCommissions,
        rows: &[&LedgerRow],
        held_in_run: &mut BTreeMap<u32, Decimal>,
        closed: &dyn Fn(Period) -> bool,
    ) -> Vec<Entry> {
        let money = |d: Decimal| fmt_amount(d, self.places);
        let mut entries = Vec::new();
        for (&deal, &(q, commission)) in commissions {
            let id = deals.id(deal);
            let paid_on = deals.paid_date(deal);
            if q == period && paid_on.is_none_or(|d| d > period.end()) && !commission.is_zero() {
                // Rounded like earned-to-date: payroll pays what the statement shows.
                let held = self.rounding.apply(commission * self.held_share);
                held_in_run.insert(deal, held);
                let mut e = entry(
                    LineKind::Hold,
                    period,
                    -held,
                    format!(
                        "deal {id}: {} of {} held until the deal is paid",
                        crate::money::fmt_percent(self.held_share),
                        money(commission)
                    ),
                );
                e.deal_id = id.to_string();
                e.deal = Some(deal);
                entries.push(e);
            } else if q < period && paid_on.is_some_and(|d| period.contains(d)) {
                // What was held: the ledger's hold rows for the deal (less releases), else this
                // run's hold, else (an earlier period without a ledger) what its run held.
                let recorded = rows
                    .iter()
                    .any(|r| r.deal_id == id && r.kind == Some(LineKind::Hold));
                let held = if recorded {
                    held_in_ledger(rows, id)
                } else if let Some(h) = held_in_run.get(&deal) {
                    *h
                } else if !closed(q) {
                    self.rounding.apply(commission * self.held_share)
                } else {
                    Decimal::ZERO
                };
                if held.is_zero() {
                    continue;
                }
                let mut e = entry(
                    LineKind::Release,
                    q,
                    held,
                    format!(
                        "deal {id} paid {}: commission held in {q} released",
                        paid_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                );
                e.deal_id = id.to_string();
                e.deal = Some(deal);
                entries.push(e);
            }
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dec, ledger_row, period, plan};
    use super::*;

    /// Deals D0, D1, ... closed 2026-01-10, paid on the given dates.
    struct Deals(Vec<Option<NaiveDate>>, Vec<String>);

    impl Deals {
        fn new(paid: &[Option<&str>]) -> Deals {
            let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
            Deals(
                paid.iter().map(|p| p.map(day)).collect(),
                (0..paid.len()).map(|i| format!("D{i}")).collect(),
            )
        }
    }

    impl DealFacts for Deals {
        fn id(&self, deal: u32) -> &str {
            &self.1[deal as usize]
        }
        fn close_date(&self, _: u32) -> NaiveDate {
            NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()
        }
        fn paid_date(&self, deal: u32) -> Option<NaiveDate> {
            self.0[deal as usize]
        }
    }

    fn rounding() -> crate::money::Rounding {
        crate::money::Rounding {
            places: 2,
            ..crate::money::Rounding::default()
        }
    }

    #[test]
    fn a_deal_not_paid_is_held_and_released_in_the_month_it_is_paid() {
        // 25% at booking: 75% held. D0 (commission 333.33, paid 2026-02-14) and D1 (100, never paid)
        // credited in January; D2 (50) paid by the end of January: nothing held.
        let deals = Deals::new(&[Some("2026-02-14"), None, Some("2026-01-30")]);
        let commissions: DealCommissions = BTreeMap::from([
            (0, (period("2026-01"), dec("333.33"))),
            (1, (period("2026-01"), dec("100"))),
            (2, (period("2026-01"), dec("50"))),
        ]);
        let r = rounding();
        let rule = HoldRule {
            held_share: dec("0.75"),
            rounding: &r,
            places: 2,
        };
        let mut held = BTreeMap::new();
        let jan = rule.lines(
            &deals,
            period("2026-01"),
            &commissions,
            &[],
            &mut held,
            &|_| false,
        );
        // 333.33 × 0.75 = 249.9975 → 250.00; 100 × 0.75 = 75.
        let shown: Vec<(LineKind, Decimal, &str)> = jan
            .iter()
            .map(|e| (e.kind, e.amount, e.deal_id.as_str()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (LineKind::Hold, dec("-250.00"), "D0"),
                (LineKind::Hold, dec("-75.00"), "D1")
            ]
        );
        assert_eq!(
            jan[0].note,
            "deal D0: 75% of 333.33 held until the deal is paid"
        );
        // February: D0 is paid: this run's 250.00 released, for January.
        let feb = rule.lines(
            &deals,
            period("2026-02"),
            &commissions,
            &[],
            &mut held,
            &|_| false,
        );
        assert_eq!(feb.len(), 1);
        assert_eq!(
            (feb[0].kind, feb[0].amount),
            (LineKind::Release, dec("250.00"))
        );
        assert_eq!(feb[0].for_period, period("2026-01"));
        assert_eq!(
            feb[0].note,
            "deal D0 paid 2026-02-14: commission held in 2026-01 released"
        );
        // With January closed and its hold recorded (−240: the ledger's figure wins): 240 released.
        let mut row = ledger_row("2026-01", Some(LineKind::Hold), -240);
        row.deal_id = "D0".into();
        let feb = rule.lines(
            &deals,
            period("2026-02"),
            &commissions,
            &[&row],
            &mut BTreeMap::new(),
            &|p| p == period("2026-01"),
        );
        assert_eq!(feb[0].amount, dec("240"));
    }

    #[test]
    fn a_clawback_reverses_what_was_paid_once_due() {
        // D0 paid 400 in January, 100 of it still held by this run (hold −100 then nothing
        // released): 300 paid. Cancelled 2026-02-20, all of it (share 1).
        let deals = Deals::new(&[None]);
        let plan = plan("[payment.clawback]\nwindow_days = 90\nreduce_attainment = false\n");
        let claw = Clawback {
            deal: 0,
            paid_in: period("2026-01"),
            cancelled: NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
            paid: dec("400"),
            share: Decimal::ONE,
        };
        let mut waiting = vec![claw.clone()];
        let moves = BTreeMap::from([(0, dec("-100"))]);
        // January: not cancelled yet.
        assert!(clawback_lines(&mut waiting, period("2026-01"), &moves, &plan, &deals).is_empty());
        let feb = clawback_lines(&mut waiting, period("2026-02"), &moves, &plan, &deals);
        // −(400 − 100) × 1 = −300, for January.
        assert_eq!(
            (feb[0].amount, feb[0].for_period),
            (dec("-300"), period("2026-01"))
        );
        assert_eq!(
            feb[0].note,
            "deal D0 (closed 2026-01-10, paid in 2026-01) cancelled 2026-02-20: commission reversed"
        );
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_cancelled_hold_is_released_after_the_period_it_was_held_in() {
        let hold = CancelledHold {
            deal_id: "D7".into(),
            held_in: period("2026-01"),
            cancelled: NaiveDate::from_ymd_opt(2026, 1, 25).unwrap(),
            released: dec("75"),
        };
        let mut waiting = vec![hold];
        let rows = BTreeMap::from([("D7", 7u32)]);
        assert!(cancelled_hold_releases(&mut waiting, period("2026-01"), &rows).is_empty());
        let feb = cancelled_hold_releases(&mut waiting, period("2026-02"), &rows);
        assert_eq!(
            (feb[0].kind, feb[0].amount, feb[0].deal),
            (LineKind::Release, dec("75"), Some(7))
        );
        assert_eq!(
            feb[0].note,
            "deal D7 cancelled 2026-01-25: commission held in 2026-01 released against the clawback"
        );
    }
}
