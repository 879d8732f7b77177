//! Insights: the metrics of sales performance (attainment and its distribution, win rate, deal
//! size, sales cycle, pipeline coverage, slip rate, lead response time, sales velocity,
//! productivity, incentive cost of sales) from the data tables and a run's results, for a period
//! and a grouping. Pure: files are read by `data/`, output written by `report/`.
//!
//! Invariants: money is exact (rust_decimal; FX as the batch converts); every metric row carries
//! its numerator and denominator where it is a ratio or a mean; a metric without data has no value
//! and says why (never 0, NaN or infinity); attainment and payables are the run's own numbers; a
//! deal reaches a group once (see [`collect`]).

mod collect;
pub mod curves;
mod deal_pass;
pub mod groups;
mod keys;
mod metrics;
pub mod stats;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use groups::Dim;

use crate::data::leads::Leads;
use crate::data::snapshots::Snapshot;
use crate::data::Inputs;
use crate::diag::{Diagnostic, InvalidInput};
use crate::engine::RunResult;
use crate::period::Period;
use crate::stages::{InsightSettings, StageCategory, Stages};

/// What the insights are computed from.
pub struct Sources<'a> {
    pub inputs: &'a Inputs,
    pub stages: &'a Stages,
    pub settings: InsightSettings,
    pub snapshots: &'a [Snapshot],
    /// `None` when the workspace has no leads file.
    pub leads: Option<&'a Leads>,
    /// Lead response in business hours of this calendar; `None`: calendar time.
    pub working_hours: Option<&'a crate::stages::WorkingHours>,
    pub period: Period,
    /// Open deals closing before this date are stale (win rate with `stale_as_lost`).
    pub as_of: NaiveDate,
    /// An as-of date before the newest snapshot (`--as-of`): pipeline coverage then takes the open deals of the
    /// snapshot taken at or before it and the quota still to reach at that date. The run must
    /// keep its credits (`Settings::credits`).
    pub past_as_of: Option<NaiveDate>,
    /// The workspace currency.
    pub currency: &'a str,
}

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A fraction, shown as a percentage.
    Ratio,
    /// Money in the workspace currency.
    Money,
    /// Money per day.
    MoneyPerDay,
    Days,
    Hours,
    Count,
}

/// One metric of one group.
#[derive(Debug, Clone)]
pub struct Metric {
    /// One label per `--by` dimension; `(all)` in every one for the total.
    pub group: std::sync::Arc<[String]>,
    /// Stable name, e.g. `win_rate_count`, `attainment:new_business`.
    pub metric: std::borrow::Cow<'static, str>,
    pub unit: Unit,
    pub value: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// Why there is no value (or, for a value, what it is made of when that needs saying).
    pub reason: Option<String>,
}

/// The insights of a period.
#[derive(Debug)]
pub struct Insights {
    pub period: Period,
    pub currency: String,
    /// The `--by` headers.
    pub by: Vec<String>,
    pub rows: Vec<Metric>,
    /// Metrics that need a file or setting the workspace does not have, with what to add.
    pub needs: Vec<String>,
}

/// The total's label.
pub const ALL: &str = "(all)";

/// Compute the insights from the run of the same period (`payout run`'s numbers). `Err` when
/// stage values are not mapped (`stage-unmapped`) or a deal's amount has no FX rate
/// (`fx-rate-missing`).
pub fn compute_insights(
    sources: &Sources,
    run: &RunResult,
    dims: &[Dim],
) -> Result<Insights, InvalidInput> {
    complete(deal_figures(sources, dims)?, sources, run, dims)
}

/// The groups with their deal figures: what the deals alone give, before the run is needed (so a
/// caller can compute it beside the run).
pub struct DealFigures {
    groups: collect::Groups,
    deal_state: Result<usize, String>,
    needs: Vec<String>,
}

/// The deals pass over the groups of `dims` (see [`compute_insights`] for the errors).
pub fn deal_figures(sources: &Sources, dims: &[Dim]) -> Result<DealFigures, InvalidInput> {
    let mut groups = collect::Groups::new(dims, sources);
    let mut needs = Vec::new();
    let deals = &sources.inputs.deals;
    let stage_column = deals.column("stage");
    let deal_state = match (sources.stages.is_empty(), stage_column) {
        (true, _) => {
            needs.push("win rate, deal size, sales cycle, pipeline coverage, slip rate, sales velocity, productivity and cost of sales need [stages] in the workspace (each stage value's category)".to_string());
            Err("needs [stages] in the workspace".to_string())
        }
        (false, None) => Err("needs a stage column in the deals file".to_string()),
        (false, Some(c)) => Ok(c),
    };
    if let Ok(c) = deal_state {
        let categories = categorize(sources, deals, c)?;
        let errors = collect::add_deals(&mut groups, dims, sources, &categories, c);
        if !errors.is_empty() {
            return Err(InvalidInput(errors));
        }
    }
    Ok(DealFigures {
        groups,
        deal_state,
        needs,
    })
}

/// The insights from the deal figures and the run: rep metrics, leads, slips, coverage, the rows.
pub fn complete(
    figures: DealFigures,
    sources: &Sources,
    run: &RunResult,
    dims: &[Dim],
) -> Result<Insights, InvalidInput> {
    let DealFigures {
        mut groups,
        deal_state,
        mut needs,
    } = figures;
    let missing = collect::plan_rates_missing(sources, run);
    if !missing.is_empty() {
        return Err(InvalidInput(missing));
    }
    let rep_dims = dims.iter().all(Dim::of_rep);
    if rep_dims {
        collect::add_reps(&mut groups, dims, sources, run);
    }
    let lead_state = lead_state(sources, dims, &mut needs);
    if let (Ok(()), Some(leads)) = (&lead_state, sources.leads) {
        collect::add_leads(&mut groups, dims, sources, leads);
    }
    let slip_state = slip_state(sources, &deal_state, &mut needs);
    let mut missing_snapshots = Vec::new();
    if slip_state.is_ok() {
        for s in sources.snapshots {
            if let Some(c) = s.deals.column("stage") {
                categorize(sources, &s.deals, c)?;
            }
        }
        let stage_of = |v: &str| sources.stages.get(v.trim()).copied();
        missing_snapshots = collect::add_slips(&mut groups, dims, sources, &stage_of);
    }
    let coverage = coverage_from(sources, dims, &deal_state, &mut groups)?;
    let not_per_rep = dims
        .iter()
        .find(|d| !d.of_rep())
        .map(|d| format!("defined per rep, not per {}", d.header()));
    let context = metrics::Context {
        settings: sources.settings,
        deal_state,
        rep_state: not_per_rep.clone().map_or(Ok(()), Err),
        lead_state,
        slip_state,
        missing_snapshots,
        coverage,
        has_created: sources.inputs.deals.column("created_date").is_some(),
        measures: groups
            .total
            .components
            .iter()
            .map(|c| c.0.clone())
            .collect(),
    };
    let rows = metrics::rows(&groups, dims.len(), &context);
    Ok(Insights {
        period: sources.period,
        currency: sources.currency.to_string(),
        by: dims.iter().map(Dim::header).collect(),
        rows,
        needs,
    })
}

/// The category of each value of the stage column (by dictionary code); every value must be mapped
/// (`stage-unmapped` lists those that are not, with how many rows have each).
fn categorize(
    sources: &Sources,
    table: &crate::data::DealTable,
    column: usize,
) -> Result<Vec<Option<StageCategory>>, InvalidInput> {
    let crate::data::ColumnValues::Text { dict, codes } = &table.columns[column].values else {
        return Ok(Vec::new());
    };
    let categories: Vec<Option<StageCategory>> = dict
        .iter()
        .map(|v| sources.stages.get(v.trim()).copied())
        .collect();
    // Every value mapped: no row to report (the usual case; the rows are not read).
    if categories.iter().all(Option::is_some) {
        return Ok(categories);
    }
    let mut unmapped: Vec<(usize, u64, u64)> = Vec::new();
    for row in 0..table.len() {
        let code = codes.get(row) as usize;
        if categories[code].is_none() {
            // The first line in the file, whatever the table's row order.
            let line = table.line(row);
            match unmapped.iter_mut().find(|u| u.0 == code) {
                Some(u) => {
                    u.1 += 1;
                    u.2 = u.2.min(line);
                }
                None => unmapped.push((code, 1, line)),
            }
        }
    }
    if unmapped.is_empty() {
        return Ok(categories);
    }
    unmapped.sort_by_key(|u| u.2);
    let diags = unmapped
        .into_iter()
        .map(|(code, rows, line)| {
            let value = dict[code].to_string();
            Diagnostic::error(
                "stage-unmapped",
                &table.file,
                format!("the stage {value:?} of {rows} row(s) has no category in [stages]"),
            )
            .line(line)
            .col_name(table.columns[column].header.clone())
            .value(value.clone())
            .hint(format!(
                "add \"{value}\" = {{ category = \"open\", probability = \"40%\" }} (its chance of being won), or \"won\", \"lost\", \"no_decision\" or \"ignored\", under [stages] in the workspace"
            ))
        })
        .collect();
    Err(InvalidInput(diags))
}

/// Where pipeline coverage comes from: the deals file (the current pipeline), or, at a past as-of
/// date, the snapshot taken at or before it (its pipeline added to the groups here).
fn coverage_from(
    sources: &Sources,
    dims: &[Dim],
    deal_state: &Result<usize, String>,
    groups: &mut collect::Groups,
) -> Result<metrics::CoverageFrom, InvalidInput> {
    let Some(as_of) = sources.past_as_of else {
        return Ok(metrics::CoverageFrom::Current);
    };
    let Some(snapshot) = sources.snapshots.iter().rev().find(|s| s.as_of <= as_of) else {
        return Ok(metrics::CoverageFrom::Missing(as_of));
    };
    if deal_state.is_ok() && dims.iter().all(Dim::of_rep) {
        if let Some(c) = snapshot.deals.column("stage") {
            categorize(sources, &snapshot.deals, c)?;
        }
        let stage_of = |v: &str| sources.stages.get(v.trim()).copied();
        let errors = collect::add_snapshot_pipeline(groups, dims, sources, snapshot, &stage_of);
        if !errors.is_empty() {
            return Err(InvalidInput(errors));
        }
    }
    Ok(metrics::CoverageFrom::Snapshot {
        as_of,
        taken: snapshot.as_of,
    })
}

fn lead_state(sources: &Sources, dims: &[Dim], needs: &mut Vec<String>) -> Result<(), String> {
    if sources.leads.is_none() {
        needs.push("lead response time needs a leads file: [leads] file = \"leads.csv\" (lead_id, rep_id, created, first_response)".into());
        return Err("needs a leads file ([leads])".into());
    }
    match dims.iter().find(|d| !d.of_rep() && **d != Dim::Month) {
        Some(d) => Err(format!("leads have no {}", d.header())),
        None => Ok(()),
    }
}

fn slip_state(
    sources: &Sources,
    deal_state: &Result<usize, String>,
    needs: &mut Vec<String>,
) -> Result<(), String> {
    if sources.snapshots.is_empty() {
        needs.push("slip rate needs pipeline snapshots: [snapshots] files = [\"pipeline-2026-01-01.csv\", ...]".into());
        return Err("needs pipeline snapshots ([snapshots])".into());
    }
    deal_state.as_ref().map(|_| ()).map_err(Clone::clone)
}
