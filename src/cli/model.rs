//! `payout model`: the current plans and proposed plan sets on the same data, side by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::{resolve_period, stdout_write, Global};
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
    /// `html`: one self-contained page (tables and a chart of the payout per plan set).
    #[arg(short, long, value_enum, default_value_t = ModelFormat::Table)]
    pub format: ModelFormat,
    /// Write the output to this file instead of stdout (the usual way with `--format html`).
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    Table,
    Csv,
    Json,
    Html,
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
        reconcile: true,
        lenient: global.lenient,
    };
    let (m, warnings) = model(&mut inputs, settings, &ws.currency, proposals, &assign)?;
    global.warnings_pass(&inputs, &warnings)?;
    let places = ws.rounding.places;
    let write = |out: &mut dyn std::io::Write| match args.format {
        ModelFormat::Table => render_tables(&grids(&m, places, &ws.currency), out),
        ModelFormat::Csv => render_csv(&csv_grid(&m, places), out),
        ModelFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &m)?;
            writeln!(out)?;
            Ok(())
        }
        ModelFormat::Html => {
            out.write_all(html_page(&m, places, &ws.currency)?.as_bytes())?;
            Ok(())
        }
    };
    match &args.out {
        Some(path) => {
            let mut bytes = Vec::new();
            write(&mut bytes)?;
            crate::report::fs::write_atomic(path, &bytes)?;
            global.message(format!("wrote {}", path.display()));
        }
        None => stdout_write(write)?,
    }
    Ok(0)
}

/// The model as a page: the payout of each plan set as columns, then the terminal's tables.
fn html_page(
    m: &crate::scenario::model::Model,
    places: u32,
    currency: &str,
) -> anyhow::Result<String> {
    use crate::report::html::{grids::Chart, svg};
    let scenarios = std::iter::once(&m.current).chain(m.proposals.iter().map(|p| &p.scenario));
    let bars: Vec<svg::Bar> = scenarios
        .map(|s| svg::Bar {
            // A proposal's folder or file name: its path would not fit under a column.
            label: Path::new(&s.name)
                .file_name()
                .map_or(s.name.clone(), |n| n.to_string_lossy().into_owned()),
            value: Some(s.payout),
            text: crate::report::whatif::money(s.payout, places),
        })
        .collect();
    let chart = Chart {
        title: "Payout by plan set".into(),
        svg: svg::columns(&bars),
    };
    let subtitle = format!(
        "Period {} · bookings {} {currency} · the current plans and each proposal on the same deals",
        m.period,
        crate::report::whatif::money(m.bookings, places)
    );
    crate::report::html::grids::render_grids_page(
        "Plan modelling",
        &subtitle,
        &[chart],
        &grids(m, places, currency),
    )
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
