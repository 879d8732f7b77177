//! Reports: the summary on stdout, and the files of an output folder (payouts, statements,
//! reconciliation, manifest).
//!
//! Invariants: stdout carries data only; every file is written atomically; the manifest is written
//! last and lists the SHA-256 of every other file, so a folder with a manifest is a complete run.

pub mod csv_out;
pub mod explain;
pub mod format;
pub mod fs;
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
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["status", "currency", "rows", "amount"])?;
    let input = rec.input.iter().map(|(c, t)| ("input".to_string(), c, t));
    let statuses = rec
        .by_status
        .iter()
        .flat_map(|(s, m)| m.iter().map(move |(c, t)| (s.describe(), c, t)));
    let not_loaded = (rec.not_loaded > 0).then(|| {
        (
            "not loaded (sent to exceptions)".to_string(),
            rec.not_loaded,
        )
    });
    for (status, currency, t) in input.chain(statuses) {
        w.write_record([
            status.as_str(),
            fs::csv_text(currency).as_ref(),
            &t.rows.to_string(),
            &amount(t.amount, 2),
        ])?;
    }
    if let Some((status, rows)) = not_loaded {
        w.write_record([status.as_str(), "", &rows.to_string(), ""])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The exceptions of a lenient run as CSV: file, line, code, column, value, reason.
pub fn render_exceptions(run: &RunResult) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["file", "line", "code", "column", "value", "reason"])?;
    for d in &run.exceptions {
        let column = match &d.column {
            Some(crate::diag::Column::Name(n)) => n.clone(),
            Some(crate::diag::Column::Number(n)) => n.to_string(),
            None => String::new(),
        };
        w.write_record([
            fs::csv_text(&d.file).as_ref(),
            &d.line.map(|l| l.to_string()).unwrap_or_default(),
            d.code,
            fs::csv_text(&column).as_ref(),
            fs::csv_text(d.value.as_deref().unwrap_or("")).as_ref(),
            fs::csv_text(&d.message).as_ref(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// One line for stderr: "428 deal rows: 64 credited, 332 outside the run's periods, ...".
pub fn reconciliation_summary(run: &RunResult) -> String {
    let rec = &run.reconciliation;
    let parts: Vec<String> = rec
        .by_status
        .keys()
        .map(|s| format!("{} {}", rec.rows_with(s), s.describe()))
        .collect();
    let mut parts = parts;
    if rec.not_loaded > 0 {
        parts.push(format!(
            "{} not loaded (sent to exceptions)",
            rec.not_loaded
        ));
    }
    format!("{} deal rows: {}", rec.file_rows, parts.join(", "))
}

/// The statements of a run: each a rep's rows for one payout period (a run of `rows`, which are
/// ordered by rep then payout period), listed by the payout period's text then the rep id (the
/// order of their paths), each with the index of its period's folder name in the first list.
/// (Distinct payout periods of one run have distinct texts.)
#[allow(clippy::type_complexity)]
fn statements<'r, 'a>(rows: &'r [Row<'a>]) -> (Vec<String>, Vec<(usize, &'r [Row<'a>])>) {
    let mut periods: Vec<(crate::period::Period, String)> = Vec::new();
    let mut statements = Vec::new();
    let same =
        |a: &Row, b: &Row| a.rep_id == b.rep_id && a.result.payout_period == b.result.payout_period;
    for run in rows.chunk_by(same) {
        let p = run[0].result.payout_period;
        let i = match periods.iter().position(|(q, _)| *q == p) {
            Some(i) => i,
            None => {
                periods.push((p, p.to_string()));
                periods.len() - 1
            }
        };
        statements.push((i, run));
    }
    let mut order: Vec<usize> = (0..periods.len()).collect();
    order.sort_by(|&a, &b| periods[a].1.cmp(&periods[b].1));
    let mut rank = vec![0; periods.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    // Stable: reps stay in id order within a period.
    statements.sort_by_key(|&(i, _)| rank[i]);
    let statements = statements
        .into_iter()
        .map(|(i, run)| (rank[i], run))
        .collect();
    let folders = order
        .iter()
        .map(|&i| fs::safe_name(&periods[i].1))
        .collect();
    (folders, statements)
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

/// Write payouts.csv, statements, reconciliation.csv and manifest.json into `dir`.
pub fn write_outputs(
    dir: &Path,
    inputs: &Inputs,
    run: &RunResult,
    rows: &[Row],
    mut manifest: Manifest,
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

    let (folders, statements) = statements(rows);
    // Statements are rendered and written in parallel into a staging folder, which is renamed to
    // `statements/` once every file is complete: a reader (or a crash) never sees a half-written
    // statement, without a temporary file and a rename per statement (four times the system calls
    // on tens of thousands of files). The manifest lists them in path order.
    let staging = dir.join(format!(".statements-{}.partial", manifest.run_id));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create the folder {}", staging.display()))?;
    for folder in &folders {
        let folder = staging.join(folder);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    }
    let written: Vec<anyhow::Result<[OutputFile; 2]>> = statements
        .par_iter()
        .map_init(statement::Renderer::default, |renderer, &(period, rows)| {
            renderer.render(inputs, run, rows)?;
            let base = format!("{}/{}", folders[period], fs::safe_name(rows[0].rep_id));
            let csv = write_statement(&staging, format!("{base}.csv"), &renderer.csv)?;
            let md = write_statement(&staging, format!("{base}.md"), renderer.md.as_bytes())?;
            Ok([csv, md])
        })
        .collect();
    outputs.reserve(written.len() * 2);
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
