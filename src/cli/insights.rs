//! `payout insights`: the metrics of sales performance for a period, grouped, from the same
//! workspace, reader and run as `payout run`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::{resolve_period, stdout_write, Global};
use crate::data::snapshots::read_insight_files;
use crate::engine::RunResult;
use crate::engine::Settings;
use crate::insights::{
    complete, compute_insights, deal_figures, groups::parse_dim, Insights, Metric, Sources,
};
use crate::report::insights as render;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsightsFormat {
    Table,
    Csv,
    Json,
    /// One self-contained HTML page with charts (no script, no network).
    Html,
}

#[derive(Args, Debug)]
pub struct InsightsArgs {
    /// Period: a month (2026-03), quarter (2026-Q1), half (2026-H1) or year (2026). Default: the
    /// workspace's `period`.
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Group by rep, manager (direct), team (manager subtree), month, a deals column (product,
    /// segment, territory, ...) or a roster column (reps.team, reps.plan, ...); repeat or separate
    /// with commas for several. Default: totals only.
    #[arg(long, value_name = "GROUPING", value_delimiter = ',')]
    pub by: Vec<String>,
    /// Open deals whose close date is before this date are stale (win rate with
    /// `stale_as_lost`). Default: the day after the period ends. A date before the newest
    /// pipeline snapshot also takes pipeline coverage as it was then: the open deals of the
    /// snapshot taken at or before it, over the quota still to reach at that date.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<chrono::NaiveDate>,
    #[arg(short, long, value_enum, default_value_t = InsightsFormat::Table)]
    pub format: InsightsFormat,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --format html: a minijinja template instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

pub fn run(global: &Global, args: &InsightsArgs) -> anyhow::Result<i32> {
    let mut timer = super::run::Timer::new(global.timings);
    let (ws, inputs, payments) = global.load_payments(false)?;
    timer.lap("read workspace, plans and data");
    let period = resolve_period(&ws, args.period.as_deref())?;
    let dims = args
        .by
        .iter()
        .map(|b| parse_dim(b.trim(), &inputs.deals))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let (snapshots, leads, warnings) = read_insight_files(&ws, &inputs.roster)?;
    // Before the newest snapshot, a snapshot holds the pipeline nearest the date; from it on, the
    // deals file (the pipeline now) does. Never the clock: the same files give the same figures.
    let past_as_of = args
        .as_of
        .filter(|d| snapshots.last().is_some_and(|s| *d < s.as_of));
    let settings = Settings {
        period,
        // Coverage at a past date counts the measure credited by then, deal by deal.
        credits: past_as_of.is_some() && !snapshots.is_empty(),
        lines: false,
        lenient: global.lenient,
        // Insights print no reconciliation.
        reconcile: false,
    };
    let sources = Sources {
        inputs: &inputs,
        stages: &ws.stages,
        settings: ws.insights,
        snapshots: &snapshots,
        leads: leads.as_ref(),
        working_hours: ws.working_hours.as_ref(),
        period,
        as_of: args
            .as_of
            .unwrap_or_else(|| period.end() + chrono::Days::new(1)),
        past_as_of,
        currency: &ws.currency,
    };
    // The deals pass needs no run: both are computed at once (each in parallel), so the cores
    // the run leaves idle between its steps work on the deals. The HTML report groups its own way.
    let html = args.format == InsightsFormat::Html;
    let (run, figures) = rayon::join(
        || payments.compute(&inputs, settings),
        || (!html).then(|| deal_figures(&sources, &dims)),
    );
    let run = run?;
    timer.lap("compute the run and the deals pass");
    let warnings = [&run.warnings[..], &warnings].concat();
    global.warnings_pass(&inputs, &warnings)?;
    let Some(figures) = figures else {
        return write_html(global, &sources, &run, args);
    };
    let insights = complete(figures?, &sources, &run, &dims)?;
    timer.lap("compute the insights");
    for need in &insights.needs {
        global.message(need);
    }
    // Freeing the run and the deals takes a core a while: done beside the writing.
    let (written, ()) = rayon::join(|| write(insights, args), || drop((run, inputs, payments)));
    written?;
    timer.lap("write the insights");
    Ok(0)
}

/// The HTML report: the totals and the metrics by rep, by team and by plan and rep.
fn write_html(
    global: &Global,
    sources: &Sources,
    run: &RunResult,
    args: &InsightsArgs,
) -> anyhow::Result<i32> {
    use crate::insights::groups::{Dim, RosterField};
    if !args.by.is_empty() {
        anyhow::bail!("--by does not apply to --format html (the report has its own sections: by rep, by team, by plan)");
    }
    let template = match &args.template {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the template {}", path.display()))?,
        ),
        None => None,
    };
    let total = compute_insights(sources, run, &[])?;
    let by_rep = compute_insights(sources, run, &[Dim::Rep])?;
    let by_team = compute_insights(sources, run, &[Dim::Team])?;
    let by_plan_rep = compute_insights(sources, run, &[Dim::Roster(RosterField::Plan), Dim::Rep])?;
    for need in &total.needs {
        global.message(need);
    }
    let report = crate::report::html::Report {
        total: &total,
        by_rep: &by_rep,
        by_team: &by_team,
        by_plan_rep: &by_plan_rep,
        curves: &crate::insights::curves::plan_curves(sources, run),
    };
    let page = crate::report::html::render_insights_html(&report, template.as_deref())?;
    match &args.out {
        Some(path) => {
            crate::report::fs::write_atomic(path, page.as_bytes())?;
            global.message(format!("wrote {}", path.display()));
        }
        None => stdout_write(|out| Ok(out.write_all(page.as_bytes())?))?,
    }
    Ok(0)
}

fn write(insights: Insights, args: &InsightsArgs) -> anyhow::Result<()> {
    if args.format == InsightsFormat::Csv {
        let blocks = csv_blocks(insights)?;
        return match &args.out {
            Some(path) => {
                crate::report::fs::write_atomic(path, &blocks.concat())?;
                Ok(())
            }
            None => stdout_write(|out| {
                for block in &blocks {
                    out.write_all(block)?;
                }
                Ok(())
            }),
        };
    }
    let render = |out: &mut dyn std::io::Write| match args.format {
        InsightsFormat::Table => render::render_table(&insights, out),
        InsightsFormat::Json => render::render_json(&insights, out),
        InsightsFormat::Csv | InsightsFormat::Html => Err(anyhow::anyhow!(
            "the CSV and the HTML report are written apart"
        )),
    };
    match &args.out {
        Some(path) => {
            let mut bytes = Vec::new();
            render(&mut bytes)?;
            crate::report::fs::write_atomic(path, &bytes)?;
            Ok(())
        }
        None => stdout_write(render),
    }
}

/// Metric rows per block of the CSV.
const CSV_BLOCK_ROWS: usize = 1 << 15;

/// The CSV in blocks of rows, each rendered into its own buffer in parallel (hundreds of thousands
/// of rows by rep); the header is kept in the first block only.
fn csv_blocks(insights: Insights) -> anyhow::Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    let Insights {
        period,
        currency,
        by,
        rows,
        ..
    } = insights;
    let part = |rows: Vec<Metric>| Insights {
        period,
        currency: currency.clone(),
        by: by.clone(),
        rows,
        needs: Vec::new(),
    };
    let mut header = Vec::new();
    render::render_csv(&part(Vec::new()), &mut header)?;
    if rows.is_empty() {
        return Ok(vec![header]);
    }
    rows.into_par_iter()
        .chunks(CSV_BLOCK_ROWS)
        .enumerate()
        .map(|(i, rows)| {
            let mut bytes = Vec::new();
            render::render_csv(&part(rows), &mut bytes)?;
            if i > 0 {
                bytes.drain(..header.len());
            }
            Ok(bytes)
        })
        .collect()
}
