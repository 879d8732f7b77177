//! Input data: CSV exports read through the workspace's column mapping into typed tables.
//!
//! Invariants: every data row of every file is either loaded or reported as a diagnostic naming file,
//! line, column and value; values are parsed exactly (dates with the file's format, amounts with its
//! number format, never through f64); ids are unique per file; row counts and SHA-256 of each file are
//! kept for the manifest. This module and `cli`/`report` are the only ones that touch files.

pub mod accounts;
pub mod adjustments;
pub mod assignments;
mod cells;
pub mod credits;
pub(crate) mod csv_input;
pub mod dated;
pub mod deals;
mod delimiters;
pub mod encoding;
pub mod fx;
pub mod leads;
mod lines;
pub mod quotas;
mod quotes;
pub mod rep_columns;
pub mod reps;
pub mod snapshots;
pub mod territories;

use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;

pub use crate::schema::{ColumnType, FileInfo};
pub use assignments::{Assignment, Assignments};
pub use credits::{CreditKind, CreditRow, Credits};
pub use dated::Dated;
pub use deals::{Codes, ColumnValues, DealColumn, DealTable};
pub use fx::FxRates;
pub use quotas::Quotas;
pub(crate) use quotes::delimiter_name;
pub use reps::{Rep, Roster};
pub use territories::Territories;

use crate::date_format::DateFormats;
use crate::diag::{Diagnostic, Diagnostics, InvalidInput};
use crate::plan::{parse_plan, Plan, PlanDefaults};
use crate::workspace::{PlanSource, Workspace};

/// Everything a batch computes from, with what the manifest needs to know about each file.
#[derive(Debug)]
pub struct Inputs {
    pub plans: Vec<Plan>,
    pub plan_files: Vec<FileInfo>,
    pub roster: Roster,
    pub deals: DealTable,
    pub quotas: Quotas,
    pub fx: FxRates,
    pub credits: Credits,
    pub assignments: Assignments,
    pub territories: Territories,
    pub files: Vec<FileInfo>,
    pub warnings: Vec<Diagnostic>,
}

/// Whether a component's measure is money (a sum of a money column), as opposed to units or a count.
pub fn measure_is_money(
    inputs: &Inputs,
    plan: &crate::plan::Plan,
    comp: &crate::plan::Component,
) -> bool {
    match &plan.measures[comp.measure].value {
        crate::plan::MeasureValue::Count => false,
        crate::plan::MeasureValue::Sum(col) => match plan.values.iter().find(|v| &v.name == col) {
            Some(v) => v.money,
            None => inputs
                .deals
                .column(col)
                .is_some_and(|i| inputs.deals.columns[i].ty == ColumnType::Money),
        },
    }
}

/// A data file opened for reading: standard input when its path is `-` (one file of a run may be
/// piped in), else the file; decoded into UTF-8 when its spec declares another encoding.
pub(crate) struct Opened {
    pub reader: Box<dyn std::io::Read + Send>,
    /// The file's length when known (for progress).
    pub len: u64,
    /// For a decoded file: its own bytes' hash and size, and what did not decode.
    pub raw: Option<std::sync::Arc<std::sync::Mutex<encoding::RawSide>>>,
}

pub(crate) fn open_input(spec: &crate::workspace::InputSpec) -> std::io::Result<Opened> {
    let (reader, len): (Box<dyn std::io::Read + Send>, u64) = match spec.path.as_os_str() == "-" {
        true => (Box::new(std::io::stdin()), 0),
        false => {
            let file = std::fs::File::open(&spec.path)?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            (Box::new(file), len)
        }
    };
    Ok(match spec.encoding {
        None => Opened {
            reader,
            len,
            raw: None,
        },
        Some(e) => {
            let (decoding, raw) = encoding::Decoding::new(reader, e);
            Opened {
                reader: Box::new(decoding),
                len,
                raw: Some(raw),
            }
        }
    })
}

/// Parse a date with the file's formats, with a message saying what was expected.
pub(crate) fn parse_date(text: &str, formats: &DateFormats) -> Result<NaiveDate, String> {
    formats.parse(text)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

/// The plan files of the workspace, sorted by path so the run is independent of directory order.
fn plan_paths(source: &PlanSource) -> anyhow::Result<Vec<std::path::PathBuf>> {
    match source {
        PlanSource::Files(files) => Ok(files.clone()),
        PlanSource::Dir(dir) => {
            let mut paths = Vec::new();
            for entry in std::fs::read_dir(dir)
                .with_context(|| format!("cannot read the plans folder {}", dir.display()))?
            {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    paths.push(path);
                }
            }
            paths.sort();
            if paths.is_empty() {
                anyhow::bail!(
                    "the plans folder {} has no *.toml plan files",
                    dir.display()
                );
            }
            Ok(paths)
        }
    }
}

fn read_plans(
    ws: &Workspace,
    diags: &mut Diagnostics,
) -> anyhow::Result<(Vec<Plan>, Vec<FileInfo>)> {
    let defaults = PlanDefaults {
        currency: ws.currency.clone(),
        rounding: ws.rounding,
    };
    let mut plans: Vec<Plan> = Vec::new();
    let mut infos = Vec::new();
    for path in plan_paths(&ws.plan_source)? {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the plan file {}", path.display()))?;
        let name = path.display().to_string();
        infos.push(FileInfo {
            path: name.clone(),
            sha256: sha256_hex(text.as_bytes()),
            bytes: text.len() as u64,
            rows: None,
        });
        match parse_plan(&name, &text, &defaults) {
            Ok(mut plan) => {
                let folder = ws.file.parent().unwrap_or(std::path::Path::new(""));
                plan.file_name = crate::workspace::name_in(folder, &path);
                diags.extend(std::mem::take(&mut plan.warnings));
                if let Some(other) = plans.iter().find(|p| p.id == plan.id) {
                    diags.push(
                        Diagnostic::error(
                            "plan-id-duplicate",
                            &name,
                            format!(
                                "plan id `{}` is also defined in {}:{}",
                                plan.id, other.file, other.id_line
                            ),
                        )
                        .line(plan.id_line)
                        .hint("give each plan file its own id"),
                    );
                }
                plans.push(plan);
            }
            Err(ds) => diags.extend(ds),
        }
    }
    diags.extend(crate::plan::validate_plan_renames(&plans));
    plans.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((plans, infos))
}

/// Read plans and data. `Err` is either [`InvalidInput`] (exit 1) or an I/O failure (exit 2).
pub fn read_inputs(ws: &Workspace) -> anyhow::Result<Inputs> {
    read_inputs_reporting(ws, &|_, _| {})
}

/// [`read_inputs`], calling `progress(bytes read, bytes in all)` while the deals file is read.
pub fn read_inputs_reporting(
    ws: &Workspace,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<Inputs> {
    let mut diags = Diagnostics::new();
    let (plans, plan_files) = read_plans(ws, &mut diags)?;
    // When a plan file failed to load, reps on its plan are not reported again as "unknown plan".
    let plans_complete = !diags.has_errors();
    let mut files = Vec::new();
    let roster = reps::read_roster(&ws.reps, &plans, plans_complete, &mut diags)?;
    if roster.info.is_none() && diags.has_errors() {
        // The roster could not be read (its header): every file naming a rep would report each
        // of them unknown. Its own errors are the ones to fix first.
        return Err(anyhow::Error::new(InvalidInput(diags.into_sorted())));
    }
    files.extend(roster.info.clone());
    let assignments = match &ws.assignments {
        Some(spec) => assignments::read_assignments(spec, &roster, &plans, &mut diags)?,
        None => Assignments::default(),
    };
    files.extend(assignments.info.clone());
    // A plan no rep is on is most often a typo in the roster's `plan` column or a stale file.
    if plans_complete && !roster.is_empty() {
        for (i, plan) in plans.iter().enumerate() {
            let assigned = assignments
                .by_rep
                .iter()
                .flatten()
                .any(|a| a.value.plan == i);
            if !assigned && !roster.reps.iter().any(|r| r.plan == Some(i)) {
                diags.push(
                    Diagnostic::warning("plan-unused", &plan.file, format!("no rep of {} is on plan `{}`", roster.file, plan.id))
                        .hint("put reps on it in the roster's `plan` column, or remove the file from the workspace's plans"),
                );
            }
        }
    }
    // The deals file is read on the pool while, beside it, the small files that do not need it.
    let mut side = Diagnostics::new();
    let (deals, small) = rayon::join(
        || {
            let read = deals::ReadOptions {
                lenient: ws.lenient,
                hash: ws.hash_deals,
            };
            deals::read_deals(&ws.deals, &roster, read, &mut diags, progress)
        },
        || -> anyhow::Result<(Quotas, FxRates, Territories)> {
            let quotas = match &ws.quotas {
                Some(spec) => quotas::read_quotas(spec, &roster, &ws.calendar, &mut side)?,
                None => Quotas::default(),
            };
            let fx = match &ws.fx {
                Some(spec) => fx::read_fx(spec, &ws.currency, &mut side)?,
                None => FxRates::none(&ws.currency),
            };
            let territories = match &ws.territories {
                Some(spec) => territories::read_territories(spec, &roster, &mut side)?,
                None => Territories::default(),
            };
            Ok((quotas, fx, territories))
        },
    );
    let deals = deals?;
    let (quotas, fx, territories) = small?;
    diags.extend(side.into_sorted());
    files.extend(deals.info.clone());
    files.extend(quotas.info.clone());
    files.extend(fx.info.clone());
    let credits = match &ws.credits {
        // A deals file that could not be read (its header) would make every credit's deal unknown.
        Some(spec) if deals.info.is_some() => {
            credits::read_credits(spec, &roster, &deals, &mut diags)?
        }
        _ => Credits::default(),
    };
    files.extend(credits.info.clone());
    files.extend(territories.info.clone());
    let warnings = diags.finish().map_err(anyhow::Error::new)?;
    Ok(Inputs {
        plans,
        plan_files,
        roster,
        deals,
        quotas,
        fx,
        credits,
        assignments,
        territories,
        files,
        warnings,
    })
}

/// Read the workspace file itself.
pub fn read_workspace(
    path: &Path,
    overrides: &crate::workspace::Overrides,
) -> anyhow::Result<Workspace> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read the workspace file {} (run from a folder with a payout.toml, or pass --workspace FILE)", path.display())
    })?;
    crate::workspace::parse_workspace(path, &text, overrides)
        .map_err(|e: InvalidInput| anyhow::Error::new(e))
}

/// The plans of another plan source (a proposed plan set), read and validated like the
/// workspace's, with their warnings.
pub fn read_plan_set(
    ws: &Workspace,
    source: PlanSource,
) -> anyhow::Result<(Vec<Plan>, Vec<Diagnostic>)> {
    let ws = Workspace {
        plan_source: source,
        ..ws.clone()
    };
    let mut diags = Diagnostics::new();
    let (plans, _) = read_plans(&ws, &mut diags)?;
    let warnings = diags.finish().map_err(anyhow::Error::new)?;
    Ok((plans, warnings))
}
