//! `payout close`: record a run's payables in the ledger. The only command that reads the clock.
//!
//! Invariants: a run period is closed once; a period is closed only when every month between the
//! first closed one and it is closed (unless `--allow-open-earlier`, which the ledger records), and
//! never at a zero payroll from an empty or stale export (unless `--allow-no-deals`, recorded too); the
//! ledger is appended atomically (see [`crate::ledger::append_rows`]), its rows chained, under the
//! ledger's exclusive lock from before the ledger is read until its head record is renamed: a second
//! close waits (`--wait`) and then reads what the first wrote, or is refused with nothing written.

use clap::Args;
use rust_decimal::Decimal;

use super::{resolve_period, stdout_write, Format, Global};
use crate::engine::check_invariants;
use crate::engine::recorded::Stamp;
use crate::ledger::closing::{closing_note, join_notes};
use crate::ledger::file;
use crate::pipeline::close;
use crate::report::{guards, manifest, summary};

#[derive(Args, Debug)]
pub struct CloseArgs {
    /// The run period to close (default: the workspace's `period`).
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Who approved the payables (recorded on every ledger row).
    #[arg(long, value_name = "NAME")]
    pub approved_by: String,
    /// Close even though an earlier payout period is still open (recorded in the ledger's `note`).
    #[arg(long)]
    pub allow_open_earlier: bool,
    /// Close although deal rows went to the exceptions (with --lenient): their count and the
    /// SHA-256 of their exceptions.csv are recorded in the `note` of the close's ledger rows.
    #[arg(long)]
    pub accept_exceptions: bool,
    /// Close although the run pays nothing and no commission from deals (an empty deals export,
    /// one of other periods, nobody on a plan): a month without sales. Recorded in the ledger's
    /// `note`.
    #[arg(long)]
    pub allow_no_deals: bool,
    /// Record this time instead of the clock's (e.g. `2026-04-03T09:00:00Z`, when replaying closes).
    #[arg(long, value_name = "TIME")]
    pub closed_at: Option<String>,
    /// Format of the summary of what was closed, on stdout.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// How long to wait for another close of the same ledger to finish before giving up (exit 2,
    /// nothing written).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub wait: f64,
}

/// The approver's name, trimmed: not empty, and on one line without control characters (it is a
/// cell of every row and of the close message).
fn approver(given: &str) -> anyhow::Result<&str> {
    let name = given.trim();
    if name.is_empty() {
        anyhow::bail!("--approved-by: name who approved the payables");
    }
    if let Some(c) = given.chars().find(|c| c.is_control()) {
        anyhow::bail!(
            "--approved-by {given:?}: a name holds no line break or control character (found {c:?})"
        );
    }
    Ok(name)
}

/// Take the ledger's lock for the whole close, and finish or remove what an interrupted close left
/// behind.
pub(crate) fn lock_ledger(
    global: &Global,
    path: &std::path::Path,
    wait: f64,
) -> anyhow::Result<file::Lock> {
    if !(wait.is_finite() && wait >= 0.0) {
        anyhow::bail!("--wait {wait}: a number of seconds, 0 or more");
    }
    let files = file::LedgerFiles::of(path);
    let lock = file::lock_exclusive(&files, std::time::Duration::from_secs_f64(wait.min(1e9)))?;
    for done in crate::ledger::recover_interrupted(&files)? {
        global.message(done);
    }
    Ok(lock)
}

/// `--closed-at` as given (checked to be an RFC 3339 time), else the clock's time.
fn closed_at(given: Option<&str>) -> anyhow::Result<String> {
    match given {
        Some(t) => {
            chrono::DateTime::parse_from_rfc3339(t).map_err(|e| {
                anyhow::anyhow!("--closed-at {t:?}: not a time like 2026-04-03T09:00:00Z ({e})")
            })?;
            Ok(t.to_string())
        }
        None => Ok(now_utc()),
    }
}

fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub fn run(global: &Global, args: &CloseArgs) -> anyhow::Result<i32> {
    let approved_by = approver(&args.approved_by)?;
    let (ws, inputs) = global.load(true)?;
    // Held from the first read of the ledger to the rename of its head record.
    let _lock = lock_ledger(global, &ws.ledger, args.wait)?;
    let (ws, inputs, payments) = global.read_payments(ws, inputs)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let ledger = &payments.ledger;
    let note = closing_note(ledger, period, args.allow_open_earlier)?;
    let manifest = manifest::build(&ws, &inputs, &period.to_string())?;
    let run_id = manifest.run_id.clone();
    let result = payments.compute(&inputs, close::settings(period, global.lenient))?;
    global.warn(&inputs, &result);
    check_invariants(&inputs, &result, false)?;
    let pending = guards::pending_exceptions(&ws, &result).filter(|_| !args.accept_exceptions);
    let no_deals =
        guards::close_without_deals(&ws, &inputs, &result).filter(|_| !args.allow_no_deals);
    if let Err(refused) =
        global.guards_pass(&ws, &inputs, &result, pending.into_iter().chain(no_deals))
    {
        eprintln!("payout: nothing was closed; {} is unchanged", ledger.file);
        return Err(refused.into());
    }
    // Exceptions accepted with --accept-exceptions: recorded in the note of every row of the close.
    let note = join_notes(note, guards::acceptance_note(&result)?);
    let note = join_notes(note, guards::no_deals_note(&inputs, &result));
    let stamp = Stamp {
        closed_at: closed_at(args.closed_at.as_deref())?,
        run_id: run_id.clone(),
        approved_by: approved_by.to_string(),
        note,
    };
    let closed = close::record(ledger, &inputs, &result, &stamp)?;
    let written = closed.written;
    if let Some(n) = written.sealed {
        global.message(format!(
            "{} had no `row_hash` column: its {n} row(s) were chained first, every cell kept",
            ledger.file
        ));
    }

    let mut summary_rows = summary::rows(&inputs, &result);
    // What was just recorded is closed.
    for r in &mut summary_rows {
        r.closed = true;
    }
    stdout_write(|out| match args.format {
        Format::Table => summary::render_table(&summary_rows, out),
        Format::Csv => summary::render_csv(&summary_rows, out),
        Format::Json => summary::render_json(&run_id, &period.to_string(), &summary_rows, out),
    })?;
    let mut totals: std::collections::BTreeMap<&str, Decimal> = std::collections::BTreeMap::new();
    for r in &summary_rows {
        *totals.entry(r.plan.currency.as_str()).or_default() += r.result.payable;
    }
    let totals: Vec<String> = totals.iter().map(|(c, t)| format!("{t} {c}")).collect();
    global.message(format!(
        "closed {period} (run {run_id}, approved by {approved_by}): {} ledger rows appended to {}, payable {}; ledger head {} ({} rows)",
        closed.rows,
        ledger.file,
        totals.join(", "),
        written.head.row_hash,
        written.head.rows
    ));
    if !stamp.note.is_empty() {
        global.message(&stamp.note);
    }
    if let Some(path) = super::payroll::close_path(&ws, &period.to_string()) {
        super::payroll::write(&ws, &inputs, &result, &path)?;
        global.message(format!("wrote {}", path.display()));
    }
    Ok(0)
}
