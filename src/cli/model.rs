//! `payout model`: the current plans and proposed plan sets on the same data, side by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::{resolve_period, stdout_write, Format, Global};
use crate::data::read_plan_set;
use crate::engine::Settings;
use crate::report::whatif::model::{csv_grid, grids};
use crate::report::whatif::{render_csv, render_tables};
use crate::scenario::model::{model, Proposal};
use crate::workspace::PlanSource;

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Period to model: a month, quarter, half or year [default: the workspace's `period`].
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Reps on proposed plans: a CSV with `rep_id` and `plan` columns [default: each rep on the
    /// proposed plan with its current plan's id].
    #[arg(long, value_name = "FILE")]
    pub assign: Option<PathBuf>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(global: &Global, args: &ModelArgs) -> anyhow::Result<i32> {
    if global.plans.is_empty() {
        anyhow::bail!(
            "no proposed plans: pass --plans DIR (or FILE, or FILE,FILE), once per proposal"
        );
    }
    // The workspace's plans are the current ones: --plans names the proposals here.
    let current = Global {
        plans: Vec::new(),
        ..global.clone()
    };
    let (ws, mut inputs) = current.load(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let mut proposals = Vec::new();
    for path in &global.plans {
        let (plans, warnings) = read_plan_set(&ws, plan_source(path))?;
        if !global.quiet {
            super::print_diagnostics(&warnings);
        }
        proposals.push(Proposal {
            name: path.display().to_string(),
            plans,
        });
    }
    let assign = match &args.assign {
        Some(file) => read_assign(file)?,
        None => BTreeMap::new(),
    };
    let settings = Settings {
        period,
        lines: false,
        credits: false,
        lenient: global.lenient,
    };
    let m = model(&mut inputs, settings, &ws.currency, proposals, &assign)?;
    let places = ws.rounding.places;
    stdout_write(|out| match args.format {
        Format::Table => render_tables(&grids(&m, places), out),
        Format::Csv => render_csv(&csv_grid(&m, places), out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &m)?;
            writeln!(out)?;
            Ok(())
        }
    })?;
    Ok(0)
}

/// A folder, a file, or files separated by commas.
fn plan_source(path: &Path) -> PlanSource {
    let text = path.to_string_lossy();
    if path.is_dir() {
        PlanSource::Dir(path.to_path_buf())
    } else {
        PlanSource::Files(text.split(',').map(PathBuf::from).collect())
    }
}

/// rep id → plan id, from a CSV with `rep_id` and `plan` columns.
fn read_assign(file: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(file).with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: no `{name}` column (rep_id, plan are needed)",
                    file.display()
                )
            })
    };
    let (rep, plan) = (col("rep_id")?, col("plan")?);
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", file.display()))?;
        out.insert(
            record.get(rep).unwrap_or_default().trim().to_string(),
            record.get(plan).unwrap_or_default().trim().to_string(),
        );
    }
    Ok(out)
}
