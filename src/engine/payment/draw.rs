//! The draw: a guaranteed amount per payout period while the draw is active, on one component. A
//! payable below it is topped up (`draw`; a recoverable draw adds the top-up to the balance); a
//! payable above the guarantee repays the recoverable balance from the excess (`recovery`, at most
//! `max_recovery` a period, from `recover_from` on); on `forgive_on` the balance is written off
//! (`draw-forgiven`, 0.00).
//!
//! Invariant: the balance after each line is on the line (`balance`), so the next run starts from the
//! ledger's last draw, recovery or forgiven row.

use rust_decimal::Decimal;

use super::{entry, Entry};
use crate::engine::LineKind;
use crate::ledger::LedgerRow;
use crate::period::Period;
use crate::plan::payment_terms::Draw;
use crate::plan::Plan;

/// The draw of one component and its balance, walked through the component's payout periods.
pub(super) struct Draws<'p> {
    draw: Option<&'p Draw>,
    balance: Decimal,
}

impl<'p> Draws<'p> {
    /// The plan's draw when it is on `component`, from the balance of the last draw row of `rows`.
    pub fn new(plan: &'p Plan, component: usize, rows: &[&LedgerRow]) -> Draws<'p> {
        let balance = rows
            .iter()
            .rev()
            .find(|row| {
                matches!(
                    row.kind,
                    Some(LineKind::Draw | LineKind::Recovery | LineKind::DrawForgiven)
                )
            })
            .and_then(|row| row.balance)
            .unwrap_or_default();
        Draws {
            draw: plan
                .payment
                .draw
                .as_ref()
                .filter(|d| d.component == component),
            balance,
        }
    }

    /// The draw lines of payout period `period` whose payable before them is `total`.
    pub fn lines(
        &mut self,
        period: Period,
        total: Decimal,
        money: &dyn Fn(Decimal) -> String,
    ) -> Vec<Entry> {
        match self.draw {
            Some(d) => draw_lines(d, period, total, &mut self.balance, money),
            None => Vec::new(),
        }
    }
}

/// Whether the draw applies to a payout period: its end within `from`..`to`, and among the first
/// `periods` payout periods counted from the one containing `from`.
pub(super) fn draw_active(d: &Draw, p: Period) -> bool {
    let end = p.end();
    if end < d.from || d.to.is_some_and(|t| end > t) {
        return false;
    }
    if let Some(n) = d.periods {
        let mut q = p.calendar().period_of(p.granularity(), d.from);
        let mut i = 0u32;
        while q < p && i <= n {
            q = q.next();
            i += 1;
        }
        return i < n;
    }
    true
}

/// The draw's lines for `period` with payable `total` before them: forgiveness first, then a top-up
/// to the guarantee or a recovery from the excess; `balance` is updated.
fn draw_lines(
    d: &Draw,
    period: Period,
    total: Decimal,
    balance: &mut Decimal,
    money: &dyn Fn(Decimal) -> String,
) -> Vec<Entry> {
    let mut out = Vec::new();
    if d.forgive_on.is_some_and(|f| f <= period.end()) && *balance > Decimal::ZERO {
        let mut e = entry(
            LineKind::DrawForgiven,
            period,
            Decimal::ZERO,
            format!("draw balance {} forgiven", money(*balance)),
        );
        *balance = Decimal::ZERO;
        e.balance = Some(*balance);
        out.push(e);
    }
    let active = draw_active(d, period);
    let guaranteed = if active { d.amount } else { Decimal::ZERO };
    if active && total < d.amount {
        let top = d.amount - total;
        if d.recoverable {
            *balance += top;
        }
        let note = if d.recoverable {
            format!(
                "recoverable draw {} − payable {}; balance {}",
                money(d.amount),
                money(total),
                money(*balance)
            )
        } else {
            format!(
                "draw {} − payable {} (non-recoverable)",
                money(d.amount),
                money(total)
            )
        };
        let mut e = entry(LineKind::Draw, period, top, note);
        e.balance = Some(*balance);
        out.push(e);
    } else if *balance > Decimal::ZERO && total > guaranteed && d.recovers_by(period.end()) {
        let excess = total - guaranteed;
        let mut recovered = excess.min(*balance);
        if let Some(m) = d.max_recovery {
            recovered = recovered.min(m);
        }
        *balance -= recovered;
        let mut e = entry(
            LineKind::Recovery,
            period,
            -recovered,
            format!(
                "draw balance recovered from {} above the draw{}; balance {}",
                money(excess),
                d.max_recovery
                    .map(|m| format!(" (at most {} a period)", money(m)))
                    .unwrap_or_default(),
                money(*balance)
            ),
        );
        e.balance = Some(*balance);
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dec, period, shown};
    use super::*;
    use crate::money::fmt_amount;

    fn draw(from: &str, to: Option<&str>, periods: Option<u32>) -> Draw {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Draw {
            amount: Decimal::from(1000),
            recoverable: true,
            component: 0,
            from: d(from),
            to: to.map(d),
            periods,
            max_recovery: None,
            recover_from: None,
            forgive_on: None,
            line: 1,
        }
    }

    fn money(d: Decimal) -> String {
        fmt_amount(d, 2)
    }

    #[test]
    fn draw_periods_count_from_the_period_containing_from() {
        let p = period;
        let d = draw("2026-01-15", None, Some(3));
        assert!(!draw_active(&d, p("2025-12")));
        assert!(draw_active(&d, p("2026-01")));
        assert!(draw_active(&d, p("2026-03")));
        assert!(!draw_active(&d, p("2026-04")));
        let d = draw("2026-01-01", Some("2026-02-28"), None);
        assert!(draw_active(&d, p("2026-02")));
        assert!(!draw_active(&d, p("2026-03")));
    }

    #[test]
    fn a_recoverable_draw_tops_up_then_is_recovered_from_the_excess() {
        // Draw 1,000 in January and February. January pays 400: topped up by 600, balance 600.
        let d = draw("2026-01-01", Some("2026-02-28"), None);
        let mut balance = Decimal::ZERO;
        let jan = draw_lines(&d, period("2026-01"), dec("400"), &mut balance, &money);
        assert_eq!(
            shown(&jan),
            vec![(LineKind::Draw, dec("600"), Some(dec("600")))]
        );
        assert_eq!(
            jan[0].note,
            "recoverable draw 1000.00 − payable 400.00; balance 600.00"
        );
        // February pays 1,250: 250 above the guarantee recovers 250, balance 350.
        let feb = draw_lines(&d, period("2026-02"), dec("1250"), &mut balance, &money);
        assert_eq!(
            shown(&feb),
            vec![(LineKind::Recovery, dec("-250"), Some(dec("350")))]
        );
        // March (draw ended, guarantee 0) pays 2,000: recovers the 350 left, at most 100 with a cap.
        let mut capped = d.clone();
        capped.max_recovery = Some(dec("100"));
        let mut b = balance;
        let mar = draw_lines(&capped, period("2026-03"), dec("2000"), &mut b, &money);
        assert_eq!(
            shown(&mar),
            vec![(LineKind::Recovery, dec("-100"), Some(dec("250")))]
        );
        assert_eq!(
            mar[0].note,
            "draw balance recovered from 2000.00 above the draw (at most 100.00 a period); balance 250.00"
        );
        let mar = draw_lines(&d, period("2026-03"), dec("2000"), &mut balance, &money);
        assert_eq!(
            shown(&mar),
            vec![(LineKind::Recovery, dec("-350"), Some(dec("0")))]
        );
    }

    #[test]
    fn a_non_recoverable_draw_keeps_no_balance_and_forgiveness_writes_it_off() {
        let mut d = draw("2026-01-01", None, None);
        d.recoverable = false;
        let mut balance = Decimal::ZERO;
        // A negative payable −200 is topped up by 1,200.
        let lines = draw_lines(&d, period("2026-01"), dec("-200"), &mut balance, &money);
        assert_eq!(
            shown(&lines),
            vec![(LineKind::Draw, dec("1200"), Some(dec("0")))]
        );
        assert_eq!(
            lines[0].note,
            "draw 1000.00 − payable -200.00 (non-recoverable)"
        );
        // Forgiven on 2026-02-15 with a balance of 500: a 0.00 line, then the period as usual.
        let mut d = draw("2026-01-01", Some("2026-01-31"), None);
        d.forgive_on = chrono::NaiveDate::from_ymd_opt(2026, 2, 15);
        let mut balance = dec("500");
        let lines = draw_lines(&d, period("2026-02"), dec("800"), &mut balance, &money);
        assert_eq!(
            shown(&lines),
            vec![(LineKind::DrawForgiven, dec("0"), Some(dec("0")))]
        );
        assert_eq!(lines[0].note, "draw balance 500.00 forgiven");
    }
}
