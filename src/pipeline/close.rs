//! Closing a run period: the run computed as `close` computes it, and its rows appended to the ledger.
//! Which periods may be closed is the ledger's policy ([`crate::ledger::closing`]); the rows are
//! [`crate::engine::recorded::ledger_rows`], the same rows the pipeline settles open months against.
//!
//! Invariant: what is appended is exactly what a later run reads back as the closed period's payables
//! (the rows of a period sum to its settled payable).

use crate::data::Inputs;
use crate::engine::recorded::{ledger_rows, Stamp};
use crate::engine::{RunResult, Settings};
use crate::ledger::{append_rows, Ledger, Written};
use crate::period::Period;

/// The settings of the run a close records: the payables only (no credits, no statement lines).
pub fn settings(period: Period, lenient: bool) -> Settings {
    Settings {
        period,
        credits: false,
        reconcile: true,
        lines: false,
        lenient,
    }
}

/// What a close appended.
pub struct Closed {
    /// Rows appended.
    pub rows: usize,
    pub written: Written,
}

/// Append the rows of the settled `run`, stamped, to the ledger (atomically: see
/// [`crate::ledger::append_rows`]; the caller holds the ledger's lock).
pub fn record(
    ledger: &Ledger,
    inputs: &Inputs,
    run: &RunResult,
    stamp: &Stamp,
) -> anyhow::Result<Closed> {
    let rows = ledger_rows(inputs, run, stamp);
    let written = append_rows(ledger, &rows)?;
    Ok(Closed {
        rows: rows.len(),
        written,
    })
}
