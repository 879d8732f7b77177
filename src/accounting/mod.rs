//! Finance from a run's results (pure, like the engine: no I/O, no clock): commission costs
//! capitalised and amortised (ASC 340-40 / IFRS 15, see docs/accounting.md), payroll rows, and the
//! balances a rep still has outstanding. The CLI computes the runs (the engine's run path, the
//! ledger's closed periods included); `report/` writes what these functions return.

pub mod amortise;
pub mod balances;
pub mod costs;
pub mod payroll;

use crate::period::{Granularity, Period};

/// The calendar month a payout period is paid in (the month of its last day).
pub fn month_of(p: Period) -> Period {
    p.calendar().period_of(Granularity::Month, p.end())
}
