//! The guards of a payroll pipeline, on a computed run: a lenient run whose deal rows went to the
//! exceptions past the workspace's limit fails, and a close refuses exceptions nobody accepted and a
//! run that pays no commission from deals (an empty or stale export) unless it is told to.
//!
//! Invariants: exceptions are counted in deal rows (a row with several problems is one row), over
//! the deals file's data rows, loaded or not; the exceptions file a close accepts is identified by
//! the SHA-256 of the `exceptions.csv` that `run --out` writes for the same inputs (the rendering is
//! deterministic), so the ledger names exactly what was accepted.

use crate::data::Inputs;
use crate::diag::Diagnostic;
use crate::engine::{RunResult, Status};
use crate::workspace::{ExceptionLimit, Workspace};

/// Deal rows of the run sent to the exceptions: not loaded, or loaded and unusable.
pub fn exception_rows(run: &RunResult) -> u64 {
    let rec = &run.reconciliation;
    rec.not_loaded + rec.rows_with(&Status::Exception)
}

/// `exceptions-over-limit` when more deal rows went to the exceptions than `limit` allows.
pub fn check_exception_limit(
    ws: &Workspace,
    run: &RunResult,
    limit: ExceptionLimit,
) -> Option<Diagnostic> {
    let rows = run.reconciliation.file_rows;
    let excepted = exception_rows(run);
    let allowed = limit.rows_allowed(rows);
    if excepted <= allowed {
        return None;
    }
    let limit_text = match limit {
        ExceptionLimit::Rows(n) => format!("{n} row(s)"),
        ExceptionLimit::Percent(_) => format!("{limit} of the rows ({allowed})"),
    };
    Some(
        Diagnostic::error(
            "exceptions-over-limit",
            ws.deals.path.display().to_string(),
            format!(
                "{excepted} of {rows} deal rows went to the exceptions, more than the limit of {limit_text}; nothing is paid on such a run"
            ),
        )
        .hint(format!(
            "read why in exceptions.csv (run --lenient --out DIR writes it) and fix the data or the workspace's formats, or raise the limit: --max-exceptions N or N% (now {limit}), or `max_exceptions` in {}",
            ws.file.display()
        )),
    )
}

/// The SHA-256 of the run's `exceptions.csv`, as `run --out` writes it.
pub fn exceptions_sha256(run: &RunResult) -> anyhow::Result<String> {
    Ok(super::fs::sha256_hex(&super::render_exceptions(run)?))
}

/// `exceptions-pending` when the run sent deal rows to the exceptions: a close records what is
/// paid, and rows left out of it are reviewed (and accepted, see [`acceptance_note`]) first.
pub fn pending_exceptions(ws: &Workspace, run: &RunResult) -> Option<Diagnostic> {
    let rows = exception_rows(run);
    (rows > 0).then(|| {
        Diagnostic::error(
            "exceptions-pending",
            ws.deals.path.display().to_string(),
            format!(
                "{rows} deal row(s) went to the exceptions and are not paid; a close records what is paid, so they are reviewed first"
            ),
        )
        .hint("read them in exceptions.csv (run --lenient --out DIR writes it) and fix them, or close without them with --accept-exceptions (their count and the file's SHA-256 are recorded in the ledger rows' note)")
    })
}

/// What a close records when it accepts the run's exceptions: how many deal rows, and the SHA-256
/// of their exceptions file. `None` when there are none.
pub fn acceptance_note(run: &RunResult) -> anyhow::Result<Option<String>> {
    let rows = exception_rows(run);
    if rows == 0 {
        return Ok(None);
    }
    Ok(Some(format!(
        "accepted {rows} exception row(s) (exceptions.csv sha256 {})",
        exceptions_sha256(run)?
    )))
}

/// The warnings that say a run pays no commission from deals: an export without rows, an export of
/// other periods, a period nobody is on a plan in.
const NO_DEALS: [&str; 3] = ["deals-empty", "deals-outside-period", "run-empty"];

/// `close-without-deals` when the run raised one of [`NO_DEALS`] and pays nothing at all (no draw
/// or adjustment either): a close is final, and on such a run it would record a zero payroll (what
/// an unattended close of an empty or stale export would do). A month without sales or draws is
/// closed with `--allow-no-deals`, which the ledger records ([`no_deals_note`]).
pub fn close_without_deals(ws: &Workspace, inputs: &Inputs, run: &RunResult) -> Option<Diagnostic> {
    let code = zero_payroll_without_deals(inputs, run)?;
    Some(
        Diagnostic::error(
            "close-without-deals",
            ws.deals.path.display().to_string(),
            format!(
                "the run pays no commission from deals (warning {code}) and nothing else: a close is final, so this one would record a zero payroll"
            ),
        )
        .hint("check that the deals export is this period's; to close a month without sales, pass --allow-no-deals (recorded in the ledger rows' note)"),
    )
}

/// What a close records when it was told to close a run that pays nothing from deals.
pub fn no_deals_note(inputs: &Inputs, run: &RunResult) -> Option<String> {
    zero_payroll_without_deals(inputs, run).map(|code| format!("closed without deals ({code})"))
}

/// The [`NO_DEALS`] warning of a run that pays nothing at all, if it is one.
fn zero_payroll_without_deals(inputs: &Inputs, run: &RunResult) -> Option<&'static str> {
    let code = inputs
        .warnings
        .iter()
        .chain(&run.warnings)
        .map(|w| w.code)
        .find(|code| NO_DEALS.contains(code))?;
    let pays_nothing = run
        .reps
        .iter()
        .flat_map(|r| &r.components)
        .flat_map(|c| &c.periods)
        .filter(|p| p.in_run)
        .all(|p| p.payable.is_zero());
    pays_nothing.then_some(code)
}
