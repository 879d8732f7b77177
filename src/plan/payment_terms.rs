//! The validated payment settings of a plan (`[payment]`, parsed by [`super::payment`]): what the
//! engine's payment step reads. A negative payable is carried forward as a balance (default),
//! deducted now or floored; a draw guarantees a minimum per payout period, recoverable or not; a
//! clawback reverses cancelled deals; a hold pays commission when the deal is paid.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// What a payout period does with a negative payable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NegativePayable {
    /// Pay nothing; the amount becomes a balance deducted from the next payables (default).
    #[default]
    CarryForward,
    /// Pay the negative amount: payroll deducts it now.
    Deduct,
    /// Pay nothing and forget it: the month's total is floored at zero, with no balance carried.
    Floor,
}

/// A guaranteed minimum per payout period of one component.
#[derive(Debug, Clone, Serialize)]
pub struct Draw {
    pub amount: Decimal,
    pub recoverable: bool,
    /// Index into the plan's components.
    pub component: usize,
    /// The draw applies to payout periods that end on or after `from`...
    pub from: NaiveDate,
    /// ... and on or before `to` (when given) ...
    pub to: Option<NaiveDate>,
    /// ... and, when given, to this many payout periods only, starting with the one containing `from`.
    pub periods: Option<u32>,
    /// The most recovered in one payout period (None: no limit).
    pub max_recovery: Option<Decimal>,
    /// From the payout period that ends on or after this date, the open balance is forgiven.
    pub forgive_on: Option<NaiveDate>,
    /// A recoverable balance is recovered only in payout periods that end on or after this date
    /// (None: from the first period with an excess).
    pub recover_from: Option<NaiveDate>,
    pub line: u64,
}

impl Draw {
    /// Whether a payout period ending on `end` may recover the balance (`recover_from`).
    pub fn recovers_by(&self, end: NaiveDate) -> bool {
        self.recover_from.is_none_or(|from| end >= from)
    }
}

/// Cancelled deals (`cancel_date`, and `cancelled_amount` for a partial cancellation) within
/// `window_days` of their close date have their commission reversed.
#[derive(Debug, Clone, Serialize)]
pub struct Clawback {
    pub window_days: u32,
    /// The cancelled deal (or the cancelled part) leaves the measures too (default), and the true-up
    /// of the periods it was paid in reverses it; otherwise attainment stands and a `clawback` line
    /// reverses the deal's own commission.
    pub reduce_attainment: bool,
    /// The share of what was paid for a cancelled deal that is taken back (default 100%); only with
    /// `reduce_attainment = false`.
    pub percent_of_paid: Decimal,
    pub line: u64,
}

impl Clawback {
    /// The part of a deal's paid commission reversed: the cancelled share × `percent_of_paid`.
    pub fn reversed_share(&self, cancelled: Decimal) -> Decimal {
        cancelled * self.percent_of_paid
    }

    /// What a `clawback` line adds to its note: "" at 100%, else " (50% of what was paid)".
    pub fn percent_note(&self) -> String {
        if self.percent_of_paid == Decimal::ONE {
            String::new()
        } else {
            format!(
                " ({} of what was paid)",
                crate::money::fmt_percent(self.percent_of_paid)
            )
        }
    }
}

/// Commission on a deal is earned at booking but payable when the deal is paid (`paid_date`):
/// `at_booking` (a fraction, default 0) is paid at once, the rest is held until the payout period
/// that contains the paid date.
#[derive(Debug, Clone, Serialize)]
pub struct Hold {
    pub at_booking: Decimal,
    pub line: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Payment {
    pub negative_payable: NegativePayable,
    pub draw: Option<Draw>,
    pub clawback: Option<Clawback>,
    pub hold: Option<Hold>,
}
