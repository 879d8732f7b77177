//! `payout quotas`: allocate a company target to reps (and teams) for a year, write the quotas file
//! `payout run` reads, and print how each quota was derived.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use rust_decimal::Decimal;

use super::{stdout_write, Global};
use crate::period::{Granularity, Period};
use crate::planning::quotas::{compute_quotas, Method, Settings};
use crate::workspace::Workspace;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodArg {
    History,
    Equal,
    Capacity,
    Potential,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByArg {
    Team,
}

#[derive(Args, Debug)]
pub struct QuotasArgs {
    /// The plan year (a year label of the workspace calendar: 2027, or FY2027 for a fiscal year).
    #[arg(long, value_name = "YEAR", required_unless_present = "compare")]
    pub year: Option<String>,
    /// The company target for the year, in the plan currency (24000000 or 24,000,000).
    #[arg(long, value_name = "AMOUNT", required_unless_present = "compare")]
    pub target: Option<String>,
    /// The measure the quotas are for (the quotas file's `measure`).
    #[arg(long, value_name = "NAME", default_value = "bookings")]
    pub measure: String,
    /// How a level's total is shared among its reps (and teams).
    #[arg(long, value_enum, default_value_t = MethodArg::History)]
    pub method: MethodArg,
    /// Over-assignment per level: one value for every level, or company→team,team→rep with --by team.
    #[arg(long, value_name = "PCT[,PCT]", default_value = "0%")]
    pub over_assign: String,
    /// Seasonality: 4 quarter weights or 12 month weights, in percent, summing to 100.
    #[arg(long, value_name = "W,W,W,W", default_value = "25,25,25,25")]
    pub seasonality: String,
    /// Split the target across teams (direct managers) first, then reps.
    #[arg(long, value_enum, value_name = "team")]
    pub by: Option<ByArg>,
    /// Quotas are rounded to multiples of this step (the leftover by the largest remainder).
    #[arg(long, value_name = "AMOUNT", default_value = "1000")]
    pub step: String,
    /// History method: a rep's share is at least this share of their capacity share.
    #[arg(long, value_name = "PCT", default_value = "50%")]
    pub floor: String,
    /// History method: a rep's share is at most this share of their capacity share.
    #[arg(long, value_name = "PCT", default_value = "150%")]
    pub cap: String,
    /// The accounts file (potential method: each rep's weight is the potential of the accounts they own).
    #[arg(long, value_name = "FILE")]
    pub accounts: Option<PathBuf>,
    /// Write the quotas file here (the format `payout run` reads).
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compare two quotas files per rep and in total instead: OLD NEW.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with_all = ["year", "target"])]
    pub compare: Option<Vec<PathBuf>>,
}

pub fn run(global: &Global, args: &QuotasArgs) -> anyhow::Result<i32> {
    if let Some(files) = &args.compare {
        return super::planning::compare_quotas(global, &files[0], &files[1]);
    }
    let (ws, inputs) = global.load(false)?;
    let settings = settings(&ws, args)?;
    super::planning::one_quota_currency(&inputs, &args.measure, settings.year)?;
    let last_year = previous_year(&ws, settings.year);
    let needs_history = matches!(args.method, MethodArg::History | MethodArg::Capacity);
    let run = last_year_run(global, &inputs, last_year, needs_history)?;
    let (mut reps, managers) = crate::planning::gather::population(
        &inputs,
        &args.measure,
        settings.year,
        run.as_ref().map(|r| (r, last_year)),
    );
    if let Some(path) = &args.accounts {
        let accounts = super::planning::read_accounts(path, &inputs)?;
        for r in &mut reps {
            r.potential = accounts
                .rows
                .iter()
                .filter(|a| {
                    a.owner
                        .is_some_and(|o| inputs.roster.reps[o as usize].id == r.id)
                })
                .map(|a| a.potential)
                .sum();
        }
    } else if args.method == MethodArg::Potential {
        anyhow::bail!("--method potential needs --accounts FILE (the accounts with their potential and owner)");
    }
    let plan = compute_quotas(&reps, &managers, &settings)?;
    if let Some(path) = &args.out {
        let bytes = crate::report::planning::render_quota_file(&plan)?;
        crate::report::fs::write_atomic(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    stdout_write(|out| crate::report::planning::render_quota_report(&plan, out))?;
    if let Some(path) = &args.out {
        global.message(format!(
            "wrote {} ({} reps, {} managers)",
            path.display(),
            plan.reps.len(),
            plan.managers.len()
        ));
    }
    Ok(0)
}

/// The run of last year, which measures history; `None` (with a message) when it cannot be
/// computed and the method does not need it.
fn last_year_run(
    global: &Global,
    inputs: &crate::data::Inputs,
    period: Period,
    needed: bool,
) -> anyhow::Result<Option<crate::engine::RunResult>> {
    let settings = crate::engine::Settings {
        period,
        lines: false,
        credits: false,
        reconcile: true,
        lenient: global.lenient,
    };
    match crate::engine::compute_run(inputs, settings) {
        Ok(run) => Ok(Some(run)),
        Err(e) if needed => Err(anyhow::Error::new(e).context(format!(
            "history is measured by running {period}, which failed"
        ))),
        Err(_) => {
            global.message(format!(
                "{period} cannot be computed (payout check --period {period} says why): no history in the report"
            ));
            Ok(None)
        }
    }
}

fn previous_year(ws: &Workspace, year: Period) -> Period {
    let day_before = year.start() - chrono::Duration::days(1);
    ws.calendar.period_of(Granularity::Year, day_before)
}

fn settings(ws: &Workspace, args: &QuotasArgs) -> anyhow::Result<Settings> {
    let label = args.year.as_deref().unwrap_or_default();
    let year = ws
        .calendar
        .parse(label)
        .map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    if year.granularity() != Granularity::Year {
        anyhow::bail!("--year: {label} is not a year (e.g. 2027)");
    }
    Ok(Settings {
        year,
        seasons: seasons(year, &args.seasonality)?,
        method: match args.method {
            MethodArg::History => Method::History,
            MethodArg::Equal => Method::Equal,
            MethodArg::Capacity => Method::Capacity,
            MethodArg::Potential => Method::Potential,
        },
        target: parse_amount("--target", args.target.as_deref().unwrap_or_default())?,
        over_assign: parse_list("--over-assign", &args.over_assign)?,
        by_team: args.by == Some(ByArg::Team),
        step: positive(parse_amount("--step", &args.step)?, "--step")?,
        floor: parse_pct("--floor", &args.floor)?,
        cap: parse_pct("--cap", &args.cap)?,
        measure: args.measure.clone(),
    })
}

fn positive(d: Decimal, flag: &str) -> anyhow::Result<Decimal> {
    if d <= Decimal::ZERO {
        anyhow::bail!("{flag}: must be greater than zero");
    }
    Ok(d)
}

/// An amount: digits with optional thousands commas or underscores.
pub(crate) fn parse_amount(flag: &str, text: &str) -> anyhow::Result<Decimal> {
    let clean: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
    match Decimal::from_str_exact(clean.trim()) {
        Ok(d) if !d.is_sign_negative() => Ok(d),
        _ => anyhow::bail!("{flag}: {text:?} is not an amount ≥ 0 (e.g. 24000000 or 24,000,000)"),
    }
}

/// A percentage (`10%`) or a ratio (`0.1`).
pub(crate) fn parse_pct(flag: &str, text: &str) -> anyhow::Result<Decimal> {
    match crate::money::parse_ratio(text) {
        Some(d) if !d.is_sign_negative() => Ok(d),
        _ => anyhow::bail!("{flag}: {text:?} is not a percentage (e.g. 10%)"),
    }
}

fn parse_list(flag: &str, text: &str) -> anyhow::Result<Vec<Decimal>> {
    text.split(',').map(|p| parse_pct(flag, p.trim())).collect()
}

/// Seasonality weights (percent numbers, `%` optional) over the year's quarters or months.
fn seasons(year: Period, text: &str) -> anyhow::Result<Vec<(Period, Decimal)>> {
    let weights: Vec<Decimal> = text
        .split(',')
        .map(|w| {
            let w = w.trim().trim_end_matches('%');
            Decimal::from_str_exact(w)
                .ok()
                .filter(|d| !d.is_sign_negative())
                .ok_or_else(|| anyhow::anyhow!("--seasonality: {w:?} is not a percentage"))
        })
        .collect::<anyhow::Result<_>>()?;
    let granularity = match weights.len() {
        4 => Granularity::Quarter,
        12 => Granularity::Month,
        n => anyhow::bail!("--seasonality: {n} weights; give 4 (quarters) or 12 (months)"),
    };
    let sum: Decimal = weights.iter().copied().sum();
    if sum != Decimal::ONE_HUNDRED {
        anyhow::bail!("--seasonality: the weights sum to {sum}, not 100");
    }
    Ok(year
        .periods_of(granularity)
        .into_iter()
        .zip(weights)
        .map(|(p, w)| (p, w / Decimal::ONE_HUNDRED))
        .collect())
}
