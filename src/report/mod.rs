//! Reports: the summary on stdout, and the files of an output folder (payouts, statements,
//! reconciliation, manifest).
//!
//! Invariants: stdout carries data only; every file is written atomically; the manifest is written
//! last and lists the SHA-256 of every other file, so a folder with a manifest is a complete run.

pub mod accounting;
pub mod accrual;
pub mod csv_out;
pub mod diff;
pub mod explain;
pub mod explain_deal;
pub mod format;
pub mod fs;
pub mod guards;
pub mod html;
pub mod insights;
pub mod manifest;
pub mod pay;
pub mod planning;
pub mod statement;
pub mod statements;
pub mod summary;
pub mod whatif;
pub mod xlsx;

use std::path::Path;

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
    let mut line = match parts.is_empty() {
        true => format!("{} deal rows", rec.file_rows),
        false => format!("{} deal rows: {}", rec.file_rows, parts.join(", ")),
    };
    if !rec.shares_not_credited.is_empty() {
        line.push_str(&format!(
            "; {} split or overlay share(s) not credited (their rep had left)",
            rec.shares_not_credited.len()
        ));
    }
    line
}

/// The payouts, reconciliation, exceptions and `extra` files of an output folder, written (CSV files
/// with a byte-order mark when `bom`): their manifest entries, and the payouts', reconciliation's
/// and exceptions' CSV for the workbook (the payouts' only when `keep_payouts`: tens of MB at
/// scale).
#[allow(clippy::type_complexity)]
fn write_small_files(
    dir: &Path,
    run: &RunResult,
    payouts: Vec<Vec<u8>>,
    bom: bool,
    extra: &[(String, Vec<u8>)],
    keep_payouts: bool,
) -> anyhow::Result<(Vec<OutputFile>, Vec<u8>, Vec<u8>, Option<Vec<u8>>)> {
    let mut outputs = Vec::new();
    let bom: &[u8] = if bom { statements::BOM } else { b"" };
    let mut put_parts = |name: String, parts: &[&[u8]]| -> anyhow::Result<()> {
        let bom = if name.ends_with(".csv") { bom } else { b"" };
        let parts: Vec<&[u8]> = std::iter::once(bom).chain(parts.iter().copied()).collect();
        let sha256 = fs::write_atomic_parts(&dir.join(&name), &parts)?;
        outputs.push(OutputFile { path: name, sha256 });
        Ok(())
    };
    let parts: Vec<&[u8]> = payouts.iter().map(Vec::as_slice).collect();
    put_parts("payouts.csv".into(), &parts)?;
    let payouts = match keep_payouts {
        true => payouts.concat(),
        false => Vec::new(),
    };
    let mut put = |name: String, bytes: &[u8]| put_parts(name, &[bytes]);
    let reconciliation = render_reconciliation(run)?;
    put("reconciliation.csv".into(), &reconciliation)?;
    let exceptions = match run.exceptions.is_empty() {
        true => None,
        false => Some(render_exceptions(run)?),
    };
    if let Some(exceptions) = &exceptions {
        put("exceptions.csv".into(), exceptions)?;
    }
    for (name, bytes) in extra {
        put(name.clone(), bytes)?;
    }
    Ok((outputs, payouts, reconciliation, exceptions))
}

/// Write payouts.csv (`payouts_csv`: the summary's CSV, [`summary::csv_parts`] of `rows`, rendered
/// once for stdout too), statements (in the layout of `options`), reconciliation.csv and
/// manifest.json into `dir`, CSV files with a byte-order mark when `options` asks. `tracer`
/// recomputes each rep's statement lines when the run did not keep them (see
/// [`crate::engine::Tracer`]); `progress(reps written, reps)` is called as statements are written.
/// HTML statements, when `options` asks for them, come from `statement_template` (else the
/// built-in template). Per-period statements written while the run computed are `prewritten`.
#[allow(clippy::too_many_arguments)]
pub fn write_outputs(
    dir: &Path,
    inputs: &Inputs,
    run: &RunResult,
    rows: &[Row],
    payouts_csv: Vec<Vec<u8>>,
    tracer: Option<&crate::engine::Tracer>,
    mut manifest: Manifest,
    options: &crate::workspace::Outputs,
    statement_template: Option<&str>,
    pay: &pay::PayLines,
    progress: &(dyn Fn(u64, u64) + Sync),
    prewritten: Option<statements::Prewritten>,
) -> anyhow::Result<()> {
    let pages = match options.statements_html {
        true => Some(html::statement::Pages::new(statement_template)?),
        false => None,
    };
    let job = statements::Job {
        inputs,
        run,
        rows,
        tracer,
        bom: options.csv_bom,
        pay,
        progress,
        html: pages.as_ref(),
    };
    let extra = std::mem::take(&mut manifest.extra_outputs);
    // The small files are rendered and written while the statements are: on a thread of their own
    // they would leave the other cores idle.
    let (small, written) = rayon::join(
        || write_small_files(dir, run, payouts_csv, options.csv_bom, &extra, options.xlsx),
        || statements::write(dir, &manifest.run_id, options.statements, &job, prewritten),
    );
    let (mut outputs, payouts, reconciliation, exceptions) = small?;
    outputs.extend(written?);
    let mut sheets = vec![
        xlsx::Sheet {
            name: "payouts",
            csv: &payouts,
        },
        xlsx::Sheet {
            name: "reconciliation",
            csv: &reconciliation,
        },
    ];
    let lines = match options.xlsx {
        true => statements::all_lines(&job)?,
        false => Vec::new(),
    };
    sheets.push(xlsx::Sheet {
        name: "statement lines",
        csv: &lines,
    });
    if let Some(exceptions) = &exceptions {
        sheets.push(xlsx::Sheet {
            name: "exceptions",
            csv: exceptions,
        });
    }
    // The other CSV files (payroll.csv), each a sheet named as the file.
    for (name, bytes) in &extra {
        if let Some(stem) = name.strip_suffix(".csv") {
            sheets.push(xlsx::Sheet {
                name: stem,
                csv: bytes,
            });
        }
    }
    outputs.extend(xlsx::write(dir, options.xlsx, &sheets)?);
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.outputs = outputs;
    fs::write_atomic_with(&dir.join("manifest.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)?;
        w.write_all(b"\n")
    })?;
    fs::sync_file(&dir.join("manifest.json"))?;
    Ok(())
}
