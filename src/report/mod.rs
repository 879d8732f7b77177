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

/// Reconciliation as CSV: status, rows, currency, amount.
pub fn render_reconciliation(run: &RunResult) -> anyhow::Result<Vec<u8>> {
    let rec = &run.reconciliation;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["status", "rows", "currency", "amount"])?;
    let currencies: Vec<&String> = rec.input_amount.keys().collect();
    for cur in &currencies {
        w.write_record([
            "input",
            &rec.input_rows.to_string(),
            cur,
            &amount(rec.input_amount[*cur], 2),
        ])?;
    }
    for (status, (rows, amounts)) in &rec.by_status {
        for (cur, a) in amounts {
            w.write_record([
                status.describe().as_str(),
                &rows.to_string(),
                cur,
                &amount(*a, 2),
            ])?;
        }
    }
    Ok(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
}

/// One line per status for stderr: "428 deal rows: 290 credited, 12 outside the run's periods, ...".
pub fn reconciliation_summary(run: &RunResult) -> String {
    let rec = &run.reconciliation;
    let parts: Vec<String> = rec
        .by_status
        .iter()
        .map(|(s, (n, _))| format!("{n} {}", s.describe()))
        .collect();
    format!("{} deal rows: {}", rec.input_rows, parts.join(", "))
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
