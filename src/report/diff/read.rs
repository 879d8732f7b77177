//! One side of `payout diff`: a run's output folder (its payouts rows, its manifest's inputs and
//! outputs, and the SHA-256 of every output file as it is on disk now) or a ledger file.
//!
//! Invariants: text cells are read back through [`crate::csv_cell::restore`], so ids compare as the
//! run wrote them whatever their neutralisation; an output file is checked against the hash its own
//! manifest lists, never against the other side's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::{OutputProblem, Record, RowKey};
use crate::csv_cell::restore;
use crate::report::fs::sha256_hex;

/// A run's output folder or a ledger, read.
pub struct Side {
    pub path: PathBuf,
    /// Whether this side is a ledger file rather than a run's folder.
    pub ledger: bool,
    /// payouts.csv rows (a ledger: one `payable` per key, its rows summed).
    pub rows: BTreeMap<RowKey, Record>,
    /// Workspace, plan and input files by path, with their SHA-256 (a run's manifest).
    pub inputs: BTreeMap<String, String>,
    /// The SHA-256 of every output file listed by the manifest, as the file is now (None: missing).
    pub outputs: BTreeMap<String, Option<String>>,
    /// Output files that do not match the manifest (edited, missing, or not listed).
    pub problems: Vec<(String, OutputProblem)>,
}

/// Read a CSV file into records by header, text cells restored.
pub fn read_records(path: &Path) -> anyhow::Result<Vec<Record>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = r
        .headers()
        .with_context(|| format!("cannot read {}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("cannot read {}", path.display()))?;
        out.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.clone(), restore(v).to_string()))
                .collect(),
        );
    }
    Ok(out)
}

pub fn field<'a>(rec: &'a Record, column: &str) -> &'a str {
    rec.get(column).map(String::as_str).unwrap_or("")
}

/// An amount column of a record.
pub fn amount(rec: &Record, column: &str, path: &Path) -> anyhow::Result<Decimal> {
    let text = field(rec, column);
    crate::money::parse_decimal(text.trim())
        .with_context(|| format!("{}: `{column}` {text:?} is not an amount", path.display()))
}

/// Read a side: a folder is a run's output folder, anything else a ledger file.
pub fn read_side(path: &Path) -> anyhow::Result<Side> {
    if path.is_dir() {
        read_run(path)
    } else {
        read_ledger(path)
    }
}

fn read_run(dir: &Path) -> anyhow::Result<Side> {
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a manifest", manifest.display()))?;
    let mut inputs = BTreeMap::new();
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
    let listed: BTreeMap<String, String> = doc["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["path"].as_str()?.to_string(),
                f["sha256"].as_str()?.to_string(),
            ))
        })
        .collect();
    let (outputs, problems) = verify_outputs(dir, &listed)?;
    let mut rows = BTreeMap::new();
    let payouts = dir.join("payouts.csv");
    for rec in read_records(&payouts)? {
        let key = RowKey {
            rep: field(&rec, "rep_id").to_string(),
            plan: field(&rec, "plan").to_string(),
            component: field(&rec, "component").to_string(),
            period: field(&rec, "payout_period").to_string(),
        };
        amount(&rec, "payable", &payouts)?;
        rows.insert(key, rec);
    }
    Ok(Side {
        path: dir.to_path_buf(),
        ledger: false,
        rows,
        inputs,
        outputs,
        problems,
    })
}

/// The SHA-256 of every listed output as it is now, and the files that do not match the manifest:
/// edited since the run, missing, or present without being listed (hidden names aside).
#[allow(clippy::type_complexity)]
fn verify_outputs(
    dir: &Path,
    listed: &BTreeMap<String, String>,
) -> anyhow::Result<(
    BTreeMap<String, Option<String>>,
    Vec<(String, OutputProblem)>,
)> {
    let hashed: Vec<(String, Option<String>)> = listed
        .par_iter()
        .map(|(path, _)| {
            let full = dir.join(path);
            match std::fs::read(&full) {
                Ok(bytes) => Ok((path.clone(), Some(sha256_hex(&bytes)))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((path.clone(), None)),
                Err(e) => {
                    Err(anyhow::Error::new(e).context(format!("cannot read {}", full.display())))
                }
            }
        })
        .collect::<anyhow::Result<_>>()?;
    let mut problems = Vec::new();
    for (path, now) in &hashed {
        match now {
            None => problems.push((path.clone(), OutputProblem::Missing)),
            Some(h) if Some(h) != listed.get(path) => {
                problems.push((path.clone(), OutputProblem::Edited))
            }
            Some(_) => {}
        }
    }
    let mut present = Vec::new();
    list_files(dir, "", &mut present)?;
    for path in present {
        if path != "manifest.json" && !listed.contains_key(&path) {
            problems.push((path, OutputProblem::Unlisted));
        }
    }
    problems.sort();
    Ok((hashed.into_iter().collect(), problems))
}

/// The files under `dir` (relative paths with `/`), hidden names (temporary files) skipped.
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let relative = format!("{prefix}{name}");
        if entry.path().is_dir() {
            list_files(&entry.path(), &format!("{relative}/"), out)?;
        } else {
            out.push(relative);
        }
    }
    Ok(())
}

/// A ledger: what was paid per rep, plan, component and payout period, its rows summed.
fn read_ledger(path: &Path) -> anyhow::Result<Side> {
    // Only an intact chain is compared: a tampered ledger is an error at its first bad line.
    if let Err(t) = crate::ledger::read_checked(path)?.chain {
        let d = crate::ledger::tampered_diagnostic(&path.display().to_string(), &t);
        return Err(crate::diag::InvalidInput(vec![d]).into());
    }
    let mut sums: BTreeMap<RowKey, Decimal> = BTreeMap::new();
    for rec in read_records(path)? {
        let key = RowKey {
            rep: field(&rec, "rep_id").to_string(),
            plan: field(&rec, "plan").to_string(),
            component: field(&rec, "component").to_string(),
            period: field(&rec, "period").to_string(),
        };
        *sums.entry(key).or_default() += amount(&rec, "amount", path)?;
    }
    let rows = sums
        .into_iter()
        .map(|(k, sum)| (k, Record::from([("payable".to_string(), sum.to_string())])))
        .collect();
    Ok(Side {
        path: path.to_path_buf(),
        ledger: true,
        rows,
        inputs: BTreeMap::new(),
        outputs: BTreeMap::new(),
        problems: Vec::new(),
    })
}
