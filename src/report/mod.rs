//! Reports: the summary on stdout, and the files of an output folder (payouts, statements,
//! reconciliation, manifest).
//!
//! Invariants: stdout carries data only; every file is written atomically; the manifest is written
//! last and lists the SHA-256 of every other file, so a folder with a manifest is a complete run.

pub mod csv_out;
pub mod diff;
pub mod explain;
pub mod format;
pub mod fs;
pub mod guards;
pub mod html;
pub mod insights;
pub mod manifest;
pub mod statement;
pub mod summary;

use std::path::Path;

use anyhow::Context;

use rayon::prelude::*;

use crate::data::Inputs;
use crate::engine::RunResult;
use format::amount;
use manifest::{Manifest, OutputFile};
use summary::Row;

/// Reconciliation as CSV: one row per status and currency, after the input rows per currency.
pub fn render_reconciliation(run: &RunResult) -> anyhow::Result<Vec<u8>> {
    let rec = &run.reconciliation;
    let mut w = csv_out::Fields::new(csv::Writer::from_writer(Vec::new()));
    w.record(["status", "currency", "rows", "amount"])?;
    let input = rec.input.iter().map(|(c, t)| ("input".to_string(), c, t));
    let statuses = rec
        .by_status
        .iter()
        .flat_map(|(s, m)| m.iter().map(move |(c, t)| (s.describe(), c, t)));
    for (status, currency, t) in input.chain(statuses) {
        w.record([
            status.as_str(),
            currency.as_str(),
            &t.rows.to_string(),
            &amount(t.amount, 2),
        ])?;
    }
    w.into_inner()
}

/// The exceptions of a lenient run as CSV: file, line, code, column, value, reason.
pub fn render_exceptions(run: &RunResult) -> anyhow::Result<Vec<u8>> {
    let mut w = csv_out::Fields::new(csv::Writer::from_writer(Vec::new()));
    w.record(["file", "line", "code", "column", "value", "reason"])?;
    for d in &run.exceptions {
        let column = match &d.column {
            Some(crate::diag::Column::Name(n)) => n.clone(),
            Some(crate::diag::Column::Number(n)) => n.to_string(),
            None => String::new(),
        };
        w.record([
            d.file.as_str(),
            &d.line.map(|l| l.to_string()).unwrap_or_default(),
            d.code,
            &column,
            d.value.as_deref().unwrap_or(""),
            &d.message,
        ])?;
    }
    w.into_inner()
}

/// One line for stderr: "428 deal rows: 64 credited, 332 outside the run's periods, ...".
pub fn reconciliation_summary(run: &RunResult) -> String {
    let rec = &run.reconciliation;
    // Rows left out by filters in one count: reconciliation.csv names each filter.
    let mut counts: Vec<(u64, String)> = Vec::new();
    for s in rec.by_status.keys() {
        let name = match s {
            crate::engine::Status::Filtered(_) => "not selected by any measure".to_string(),
            other => other.describe(),
        };
        match counts.last_mut() {
            Some((n, last)) if *last == name => *n += rec.rows_with(s),
            _ => counts.push((rec.rows_with(s), name)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(n, s)| format!("{n} {s}")).collect();
    format!("{} deal rows: {}", rec.file_rows, parts.join(", "))
}

/// The folder of each payout period of `rows` under `statements/` (distinct payout periods of one
/// run have distinct texts).
fn period_folders(rows: &[Row]) -> Vec<String> {
    let mut periods: Vec<crate::period::Period> =
        rows.iter().map(|r| r.result.payout_period).collect();
    periods.sort_unstable();
    periods.dedup();
    periods
        .into_iter()
        .map(|p| fs::safe_name(&p.to_string()))
        .collect()
}

/// The lines of each row of one rep's statements: the run's own when it kept them; else the
/// engine's lines of the rep recomputed by the tracer (`traced`, the rep's results in the order of
/// the run's, which start at `run.reps[first]`) followed by the run's payment lines. Recomputed
/// lines must sum to the row's payable, as the run's invariants require of kept lines.
fn block_lines<'a>(
    run: &RunResult,
    traced: Option<(&'a [crate::engine::RepResult], usize)>,
    r: &Row<'a>,
) -> Result<statement::BlockLines<'a>, crate::engine::InternalError> {
    let Some((traced, first)) = traced else {
        return Ok(statement::BlockLines([&r.result.lines, &[]]));
    };
    let [result, component, period] = r.at;
    let who = || {
        format!(
            "rep {} component {} period {}",
            r.rep_id, r.component.id, r.result.payout_period
        )
    };
    let p = result
        .checked_sub(first)
        .and_then(|t| traced.get(t))
        .filter(|t| t.rep == run.reps[result].rep && t.plan == run.reps[result].plan)
        .and_then(|t| t.components.get(component))
        .and_then(|c| c.periods.get(period))
        .filter(|p| {
            p.payout_period == r.result.payout_period && p.earned_to_date == r.result.earned_to_date
        })
        .ok_or_else(|| {
            crate::engine::InternalError(format!(
                "recomputing the statement lines of {} gave another result than the run",
                who()
            ))
        })?;
    let lines = statement::BlockLines([&p.lines, &r.result.lines]);
    if lines.sum() != r.result.payable {
        return Err(crate::engine::InternalError(format!(
            "statement lines do not sum to the payable for {}",
            who()
        )));
    }
    Ok(lines)
}

/// Write one statement file into the staging folder; its manifest entry.
fn write_statement(staging: &Path, name: String, bytes: &[u8]) -> anyhow::Result<OutputFile> {
    let path = staging.join(&name);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(OutputFile {
        path: format!("statements/{name}"),
        sha256: fs::sha256_hex(bytes),
    })
}

/// Write payouts.csv, statements, reconciliation.csv and manifest.json into `dir`. `tracer`
/// recomputes each rep's statement lines when the run did not keep them (see
/// [`crate::engine::Tracer`]); `progress(reps written, reps)` is called as each rep's statements
/// are written.
pub fn write_outputs(
    dir: &Path,
    inputs: &Inputs,
    run: &RunResult,
    rows: &[Row],
    tracer: Option<&crate::engine::Tracer>,
    mut manifest: Manifest,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<()> {
    let mut outputs = Vec::new();
    let mut put = |name: String, bytes: &[u8]| -> anyhow::Result<()> {
        let sha256 = fs::write_atomic(&dir.join(&name), bytes)?;
        outputs.push(OutputFile { path: name, sha256 });
        Ok(())
    };
    let mut payouts = Vec::new();
    summary::render_csv(rows, &mut payouts)?;
    put("payouts.csv".into(), &payouts)?;
    put("reconciliation.csv".into(), &render_reconciliation(run)?)?;
    if !run.exceptions.is_empty() {
        put("exceptions.csv".into(), &render_exceptions(run)?)?;
    }

    // Statements are rendered and written in parallel into a staging folder, which is renamed to
    // `statements/` once every file is complete: a reader (or a crash) never sees a half-written
    // statement, without a temporary file and a rename per statement (four times the system calls
    // on tens of thousands of files). The manifest lists them in path order. A rep at a time: when
    // the run kept no lines, the rep is recomputed with them, rendered, and its lines dropped, so
    // the batch never holds every line at once.
    let staging = dir.join(format!(".statements-{}.partial", manifest.run_id));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create the folder {}", staging.display()))?;
    for folder in period_folders(rows) {
        let folder = staging.join(folder);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    }
    let reps: Vec<&[Row]> = rows.chunk_by(|a, b| a.rep_id == b.rep_id).collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let written: Vec<anyhow::Result<Vec<OutputFile>>> = reps
        .par_iter()
        .map_init(statement::Renderer::default, |renderer, &rows| {
            let rep = run.reps[rows[0].at[0]].rep;
            let traced = tracer.map(|t| t.trace(rep)).transpose()?;
            // The run's results are in rep order; the rep's start here.
            let first = run.reps.partition_point(|r| r.rep < rep);
            let traced = traced.as_deref().map(|t| (t, first));
            let mut files = Vec::new();
            for statement in rows.chunk_by(|a, b| a.result.payout_period == b.result.payout_period)
            {
                let lines = statement
                    .iter()
                    .map(|r| block_lines(run, traced, r))
                    .collect::<Result<Vec<_>, _>>()?;
                renderer.render(inputs, run, statement, &lines)?;
                let base = format!(
                    "{}/{}",
                    fs::safe_name(&statement[0].result.payout_period.to_string()),
                    fs::safe_name(statement[0].rep_id)
                );
                files.push(write_statement(
                    &staging,
                    format!("{base}.csv"),
                    &renderer.csv,
                )?);
                files.push(write_statement(
                    &staging,
                    format!("{base}.md"),
                    renderer.md.as_bytes(),
                )?);
            }
            let reps_done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(reps_done, reps.len() as u64);
            Ok(files)
        })
        .collect();
    outputs.reserve(rows.len() * 2);
    for files in written {
        outputs.extend(files?);
    }
    fs::replace_dir(&staging, &dir.join("statements"))?;
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.outputs = outputs;
    fs::write_atomic_with(&dir.join("manifest.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)?;
        w.write_all(b"\n")
    })?;
    fs::sync_file(&dir.join("manifest.json"))?;
    Ok(())
}
