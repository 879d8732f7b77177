//! `payout estimate`: what a rep earns if hypothetical deals close (nothing is written).

use std::path::PathBuf;

use clap::Args;

use super::payments::Payments;
use super::{resolve_period, stdout_write, Format, Global};
use crate::data::Inputs;
use crate::diag::InvalidInput;
use crate::engine::{RunResult, Settings, Tracer};
use crate::report::whatif::estimate::{csv_grid, grids, headline};
use crate::report::whatif::{render_csv, render_tables};
use crate::scenario::deals::{parse_deal_arg, DealText, Defaults};
use crate::scenario::estimate::estimate;
use crate::scenario::Runner;

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// The rep whose payout is estimated (an id of the roster).
    #[arg(long, value_name = "ID")]
    pub rep: String,
    /// Period: a month, quarter, half or year [default: the workspace's `period`].
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// A hypothetical deal, as `column=value,...` (canonical column names or the export's headers;
    /// `amount` is required). Repeatable.
    #[arg(long, value_name = "COLUMN=VALUE,...")]
    pub deal: Vec<String>,
    /// Hypothetical deals in a CSV file with the deals file's columns (any subset).
    #[arg(long, value_name = "FILE")]
    pub deals_file: Option<PathBuf>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The payment step of `payout run` as the estimator's runner.
impl Runner for Payments {
    fn run<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput> {
        self.compute_traced(inputs, settings)
    }
}

pub fn run(global: &Global, args: &EstimateArgs) -> anyhow::Result<i32> {
    let mut deals = Vec::new();
    for (i, text) in args.deal.iter().enumerate() {
        deals.push(parse_deal_arg(text, format!("--deal #{}", i + 1)).map_err(anyhow::Error::msg)?);
    }
    if let Some(file) = &args.deals_file {
        deals.extend(read_deals_file(file)?);
    }
    if deals.is_empty() {
        anyhow::bail!(
            "no hypothetical deal: pass --deal 'amount=...,close_date=...' or --deals-file FILE"
        );
    }
    let (ws, mut inputs, payments) = global.load_payments(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let rep = inputs
        .roster
        .lookup(&args.rep)
        .map_err(|e| anyhow::anyhow!("--rep: {e}"))?;
    let settings = Settings {
        period,
        lines: false,
        credits: false,
        reconcile: true,
        lenient: global.lenient,
    };
    let defaults = Defaults {
        rep,
        currency: &ws.currency,
        period,
        spec: &ws.deals,
    };
    let (est, warnings) = estimate(&mut inputs, &payments, settings, rep, &deals, &defaults)?;
    global.warnings_pass(&inputs, &warnings)?;
    for n in &est.not_counted {
        let why = match n.reason.as_str() {
            "" => "no measure of the rep's plan on its date counts it".to_string(),
            reason => format!("no measure counts it: {reason}"),
        };
        global.message(format!(
            "{} changes nothing: {why}; give the deal the values its measures filter on",
            n.deal_id
        ));
    }
    for id in &est.outside_period {
        global.message(format!(
            "{id} closes outside {period}: it changes nothing in this period (pass --period, or a close_date in it)"
        ));
    }
    let places = ws.rounding.places;
    stdout_write(|out| match args.format {
        Format::Table => {
            writeln!(out, "{}", headline(&est, places))?;
            writeln!(out)?;
            render_tables(&grids(&est, places), out)
        }
        Format::Csv => render_csv(&csv_grid(&est, places), out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &est)?;
            writeln!(out)?;
            Ok(())
        }
    })?;
    Ok(0)
}

/// The deals of a what-if CSV file: each row's non-empty cells under their headers.
fn read_deals_file(file: &PathBuf) -> anyhow::Result<Vec<DealText>> {
    use anyhow::Context;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers()?.clone();
    let mut deals = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("reading {}", file.display()))?;
        let pairs = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(h, v)| (h.trim().to_string(), v.to_string()))
            .collect();
        deals.push(DealText {
            origin: format!("{}:{}", file.display(), i + 2),
            pairs,
        });
    }
    Ok(deals)
}
