//! `payout capacity`: the headcount a target needs, from last year's productivity, the ramp and
//! attrition; and the months new hires must start.

use clap::Args;

use super::quotas::{parse_amount, parse_pct};
use super::{stdout_write, Global};
use crate::period::Granularity;

#[derive(Args, Debug)]
pub struct CapacityArgs {
    /// The plan year (a year label of the workspace calendar).
    #[arg(long, value_name = "YEAR")]
    pub year: String,
    /// The company target for the year.
    #[arg(long, value_name = "AMOUNT")]
    pub target: String,
    /// The measure (productivity is measured on it last year).
    #[arg(long, value_name = "NAME", default_value = "bookings")]
    pub measure: String,
    /// Annual attrition rate [default: measured: reps who left last year ÷ reps employed on its first day].
    #[arg(long, value_name = "PCT")]
    pub attrition: Option<String>,
    /// Ramp of a new hire, e.g. 25%,50%,75% [default: the plan's `[ramp] schedule` of the first rep with one].
    #[arg(long, value_name = "LIST")]
    pub ramp: Option<String>,
}

pub fn run(global: &Global, args: &CapacityArgs) -> anyhow::Result<i32> {
    let (ws, inputs) = global.load(false)?;
    let year = ws
        .calendar
        .parse(&args.year)
        .map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    if year.granularity() != Granularity::Year {
        anyhow::bail!("--year: {} is not a year (e.g. 2027)", args.year);
    }
    let target = parse_amount("--target", &args.target)?;
    let last_year = ws
        .calendar
        .period_of(Granularity::Year, year.start() - chrono::Duration::days(1));
    super::planning::one_quota_currency(&inputs, &args.measure, year)?;
    let settings = crate::engine::Settings {
        period: last_year,
        lines: false,
        credits: false,
        reconcile: true,
        lenient: global.lenient,
    };
    let run = crate::engine::compute_run(&inputs, settings).map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "productivity is measured by running {last_year}, which failed"
        ))
    })?;
    let (reps, _) =
        crate::planning::gather::population(&inputs, &args.measure, year, Some((&run, last_year)));
    let ramp = match &args.ramp {
        Some(list) => list
            .split(',')
            .map(|p| parse_pct("--ramp", p.trim()))
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => reps
            .iter()
            .find(|c| !c.tenure.ramp.is_empty())
            .map(|c| c.tenure.ramp.clone())
            .unwrap_or_default(),
    };
    let attrition = match &args.attrition {
        Some(a) => parse_pct("--attrition", a)?,
        None => crate::planning::capacity::measured_attrition(&reps, last_year),
    };
    let plan = crate::planning::capacity::compute_capacity(&reps, target, year, &ramp, attrition)?;
    stdout_write(|out| crate::report::planning::render_capacity(&plan, &ramp, out))?;
    Ok(0)
}
