//! Reports: the summary on stdout, and the files of an output folder (payouts, statements,
//! reconciliation, manifest).
//!
//! Invariants: stdout carries data only; every file is written atomically; the manifest is written
//! last and lists the SHA-256 of every other file, so a folder with a manifest is a complete run.

pub mod explain;
pub mod format;
pub mod fs;
pub mod manifest;
pub mod statement;
pub mod summary;

use std::collections::BTreeMap;
use std::path::Path;

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
    for (status, currency, t) in input.chain(statuses) {
        w.write_record([
            status.as_str(),
            fs::csv_text(currency).as_ref(),
            &t.rows.to_string(),
            &amount(t.amount, 2),
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
    format!("{} deal rows: {}", rec.input_rows(), parts.join(", "))
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

    let mut by_statement: BTreeMap<(String, &str), Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_statement
            .entry((r.result.payout_period.to_string(), r.rep_id))
            .or_default()
            .push(r);
    }
    for ((period, rep), rows) in &by_statement {
        let base = format!(
            "statements/{}/{}",
            fs::safe_name(period),
            fs::safe_name(rep)
        );
        put(format!("{base}.csv"), &statement::render_csv(inputs, rows)?)?;
        put(
            format!("{base}.md"),
            statement::render_markdown(inputs, rows).as_bytes(),
        )?;
    }
    manifest.outputs = outputs;
    let mut json = serde_json::to_vec_pretty(&manifest)?;
    json.push(b'\n');
    fs::write_atomic(&dir.join("manifest.json"), &json)?;
    Ok(())
}
