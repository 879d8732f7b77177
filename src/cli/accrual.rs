//! `payout accrual`: what each component has earned on its measurement period through the end of
//! the run period, at the tier reached, beside what is payable of it (see [`crate::engine::accrual`]).

use clap::Args;

use super::{resolve_period, stdout_write, Format, Global};
use crate::report::accrual as out;

#[derive(Args, Debug)]
pub struct AccrualArgs {
    /// The period whose end the accrual is taken at (default: the workspace's `period`), e.g. a
    /// month of a quarterly-paid component.
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Output format on stdout (table, csv or json).
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(global: &Global, args: &AccrualArgs) -> anyhow::Result<i32> {
    let (ws, mut inputs) = global.load(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let (rows, warnings) = crate::engine::accrual::accruals(&mut inputs, period, global.lenient)?;
    global.warnings_pass(&inputs, &warnings)?;
    stdout_write(|o| match args.format {
        Format::Csv => out::render_csv(&inputs, &rows, o),
        Format::Json => out::render_json(&inputs, &rows, o),
        Format::Table => out::render_table(&inputs, &rows, o),
    })?;
    global.message(format!(
        "accrual at {}: {} row(s); earned on each measurement period to date at the tier reached, less what is payable",
        period.end(),
        rows.len()
    ));
    Ok(0)
}
