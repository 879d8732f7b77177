//! `payout diff A B`: what changed between two runs' output folders (or between the ledger and a run):
//! per rep, component and payout period the old and new payable and the difference, and which inputs
//! changed, by their SHA-256 in the manifests.
//!
//! Invariants: only rows whose payable differs are listed (a row on one side only counts as 0 on the
//! other), in (rep, component, period) order; amounts are compared exactly. Inputs are compared only
//! between two runs (a ledger has no manifest).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::Decimal;

use super::{stdout_write, Format, Global};

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old side: a run's output folder (written by `run --out`), or a ledger file.
    pub old: PathBuf,
    /// The new side: a run's output folder, or a ledger file.
    pub new: PathBuf,
    /// Output format on stdout.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

type Key = (String, String, String);

/// One side: payables by (rep, component, payout period), and input hashes by path.
struct Side {
    payables: BTreeMap<Key, Decimal>,
    inputs: BTreeMap<String, String>,
}

fn read_csv(path: &Path) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = r.headers()?.clone();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("cannot read {}", path.display()))?;
        out.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

fn amount(rec: &BTreeMap<String, String>, column: &str, path: &Path) -> anyhow::Result<Decimal> {
    let text = rec.get(column).map(String::as_str).unwrap_or("");
    crate::money::parse_decimal(text.trim())
        .with_context(|| format!("{}: `{column}` {text:?} is not an amount", path.display()))
}

fn field(rec: &BTreeMap<String, String>, column: &str) -> String {
    rec.get(column).cloned().unwrap_or_default()
}

fn read_side(path: &Path) -> anyhow::Result<Side> {
    let mut payables = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    if path.is_dir() {
        let payouts = path.join("payouts.csv");
        for rec in read_csv(&payouts)? {
            let key = (
                field(&rec, "rep_id"),
                field(&rec, "component"),
                field(&rec, "payout_period"),
            );
            payables.insert(key, amount(&rec, "payable", &payouts)?);
        }
        let manifest = path.join("manifest.json");
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a manifest", manifest.display()))?;
        let files = doc["workspace"]
            .as_object()
            .into_iter()
            .map(|o| serde_json::Value::Object(o.clone()))
            .chain(doc["plans"].as_array().cloned().unwrap_or_default())
            .chain(doc["inputs"].as_array().cloned().unwrap_or_default());
        for f in files {
            if let (Some(p), Some(h)) = (f["path"].as_str(), f["sha256"].as_str()) {
                inputs.insert(p.to_string(), h.to_string());
            }
        }
    } else {
        // A ledger: what was paid per payout period, all its rows summed, once its chain is intact.
        if let Err(t) = crate::ledger::read_checked(path)?.chain {
            let file = path.display().to_string();
            let d = crate::ledger::tampered_diagnostic(&file, &t);
            return Err(crate::diag::InvalidInput(vec![d]).into());
        }
        for rec in read_csv(path)? {
            let key = (
                field(&rec, "rep_id"),
                field(&rec, "component"),
                field(&rec, "period"),
            );
            *payables.entry(key).or_default() += amount(&rec, "amount", path)?;
        }
        use sha2::Digest;
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        inputs.insert(
            path.display().to_string(),
            format!("{:x}", sha2::Sha256::digest(&bytes)),
        );
    }
    Ok(Side { payables, inputs })
}

pub fn run(global: &Global, args: &DiffArgs) -> anyhow::Result<i32> {
    let old = read_side(&args.old)?;
    let new = read_side(&args.new)?;
    // A ledger holds every closed period: compare it on the periods the run pays only.
    let ledger_vs_run = !args.old.is_dir() && args.new.is_dir();
    let run_periods: std::collections::BTreeSet<&String> =
        new.payables.keys().map(|k| &k.2).collect();
    let mut keys: std::collections::BTreeSet<&Key> = new.payables.keys().collect();
    keys.extend(
        old.payables
            .keys()
            .filter(|k| !ledger_vs_run || run_periods.contains(&k.2)),
    );
    let mut rows: Vec<(&Key, Option<Decimal>, Option<Decimal>)> = Vec::new();
    for k in keys {
        let (o, n) = (old.payables.get(k).copied(), new.payables.get(k).copied());
        // A row on one side only differs when its amount is not zero.
        if o.unwrap_or_default() != n.unwrap_or_default() {
            rows.push((k, o, n));
        }
    }
    let show = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    let difference = |o: Option<Decimal>, n: Option<Decimal>| {
        (n.unwrap_or_default() - o.unwrap_or_default()).to_string()
    };
    // Inputs are compared between two runs' manifests; a ledger has none (only its own hash).
    let mut changed: Vec<(String, &str)> = Vec::new();
    let both_runs = args.old.is_dir() && args.new.is_dir();
    for (path, hash) in new.inputs.iter().filter(|_| both_runs) {
        match old.inputs.get(path) {
            None => changed.push((path.clone(), "added")),
            Some(h) if h != hash => changed.push((path.clone(), "changed")),
            _ => {}
        }
    }
    for path in old.inputs.keys().filter(|_| both_runs) {
        if !new.inputs.contains_key(path) {
            changed.push((path.clone(), "removed"));
        }
    }
    stdout_write(|out| {
        match args.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record([
                    "rep_id",
                    "component",
                    "payout_period",
                    "old",
                    "new",
                    "difference",
                ])?;
                for (k, o, n) in &rows {
                    w.write_record([&k.0, &k.1, &k.2, &show(*o), &show(*n), &difference(*o, *n)])?;
                }
                w.flush()?;
            }
            Format::Json => {
                let doc = serde_json::json!({
                    "rows": rows.iter().map(|(k, o, n)| serde_json::json!({
                        "rep_id": k.0, "component": k.1, "payout_period": k.2,
                        "old": o.map(|d| d.to_string()), "new": n.map(|d| d.to_string()),
                        "difference": difference(*o, *n),
                    })).collect::<Vec<_>>(),
                    "inputs_changed": changed.iter().map(|(p, how)| serde_json::json!({"path": p, "change": how})).collect::<Vec<_>>(),
                });
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)?;
            }
            Format::Table => {
                let mut t = Table::new();
                t.load_preset(presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Disabled);
                t.set_header(vec![
                    "Rep",
                    "Component",
                    "Period",
                    "Old",
                    "New",
                    "Difference",
                ]);
                for (k, o, n) in &rows {
                    t.add_row(vec![
                        k.0.clone(),
                        k.1.clone(),
                        k.2.clone(),
                        show(*o),
                        show(*n),
                        difference(*o, *n),
                    ]);
                }
                for i in [3, 4, 5] {
                    if let Some(c) = t.column_mut(i) {
                        c.set_cell_alignment(CellAlignment::Right);
                    }
                }
                writeln!(out, "{t}")?;
                for (p, how) in &changed {
                    writeln!(out, "input {how}: {p}")?;
                }
            }
        }
        Ok(())
    })?;
    global.message(format!(
        "{} payout row(s) differ; {} input file(s) changed",
        rows.len(),
        changed.len()
    ));
    Ok(0)
}
