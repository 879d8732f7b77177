//! `payout forecast`: commission expense expected from the open pipeline, on top of what is earned.

use clap::Args;

use super::{resolve_period, stdout_write, Format, Global};
use crate::engine::Settings;
use crate::report::whatif::forecast::{csv_grid, grids, headline};
use crate::report::whatif::{render_csv, render_tables};
use crate::scenario::forecast::forecast;

#[derive(Args, Debug)]
pub struct ForecastArgs {
    /// Period to forecast: a month, quarter, half or year [default: the workspace's `period`].
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(global: &Global, args: &ForecastArgs) -> anyhow::Result<i32> {
    let (ws, mut inputs, payments) = global.load_payments(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let settings = Settings {
        period,
        lines: false,
        credits: false,
        reconcile: true,
        lenient: global.lenient,
    };
    let f = forecast(&mut inputs, &payments, settings, &ws.forecast)?;
    let places = ws.rounding.places;
    stdout_write(|out| match args.format {
        Format::Table => {
            writeln!(out, "{}", headline(&f, places))?;
            writeln!(out)?;
            render_tables(&grids(&f, places), out)
        }
        Format::Csv => render_csv(&csv_grid(&f, places), out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &f)?;
            writeln!(out)?;
            Ok(())
        }
    })?;
    Ok(0)
}
