//! `payout forecast`: commission expense expected from the open pipeline, on top of what is earned.

use clap::Args;

use super::{resolve_period, stdout_write, Format, Global};
use crate::diag::Diagnostic;
use crate::engine::Settings;
use crate::report::whatif::forecast::{csv_grid, grids, headline};
use crate::report::whatif::{render_csv, render_tables};
use crate::scenario::forecast::{forecast, StageRules, Unweighted};

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
    let rules = StageRules::new(&ws.forecast, &ws.stages).map_err(|message| {
        crate::diag::InvalidInput(vec![Diagnostic::error(
            "workspace-value-invalid",
            ws.file.display().to_string(),
            message,
        )])
    })?;
    let (f, mut warnings) = forecast(&mut inputs, &payments, settings, &rules)?;
    warnings.extend(unweighted(&inputs.deals.file, &f));
    global.warnings_pass(&inputs, &warnings)?;
    let places = ws.rounding.places;
    stdout_write(|out| match args.format {
        Format::Table => {
            writeln!(out, "{}", headline(&f, places, &ws.currency))?;
            writeln!(out)?;
            let name = |id: &str| match inputs.roster.lookup(id) {
                Ok(i) => inputs.roster.get(i).name.clone(),
                Err(_) => String::new(),
            };
            render_tables(&grids(&f, places, name), out)
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

/// `forecast-stage-unweighted`: open deals closing in the period whose stage has no probability
/// are left out of the pipeline, which then reads lower than the sales team's.
fn unweighted(
    deals_file: &str,
    f: &crate::scenario::forecast::ForecastResult,
) -> Option<Diagnostic> {
    let deals: usize = f.unweighted.iter().map(|u| u.deals).sum();
    let first = f.unweighted.first()?;
    let stages: Vec<String> = (f.unweighted.iter())
        .map(|Unweighted { stage, deals }| format!("{stage:?} ({deals})"))
        .collect();
    Some(
        Diagnostic::warning(
            "forecast-stage-unweighted",
            deals_file,
            format!(
                "{deals} open deal(s) closing in {} are at a stage with no probability and are left out of the pipeline: {}",
                f.period,
                stages.join(", ")
            ),
        )
        .hint(format!(
            "give each stage its category in the workspace's [stages], e.g. {:?} = {{ category = \"open\", probability = \"20%\" }} (or \"lost\", \"ignored\"), or a probability in [forecast] stages",
            first.stage
        )),
    )
}
