//! `payout check`: validate everything a run would read, without writing anything.

use clap::Args;

use super::{print_diagnostics, resolve_period, stdout_write, Global};
use crate::diag::{InvalidInput, Severity};
use crate::engine::Settings;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Also check what a run of this period needs (quotas, FX rates). Default: the workspace's `period`.
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// `json` prints the diagnostics as JSON on stdout; `text` prints them on stderr.
    #[arg(short, long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

pub fn run(global: &Global, args: &CheckArgs) -> anyhow::Result<i32> {
    let outcome = (|| -> anyhow::Result<(Vec<crate::diag::Diagnostic>, String)> {
        let (ws, inputs, payments) = global.load_payments(false)?;
        let period = resolve_period(&ws, args.period.as_deref())?;
        let result = payments.compute(
            &inputs,
            Settings {
                period,
                lines: false,
                credits: false,
                reconcile: true,
                lenient: global.lenient,
            },
        )?;
        // A run's guards: the exceptions limit (lenient), and warnings when they are denied.
        let over = crate::report::guards::check_exception_limit(&ws, &result, ws.max_exceptions);
        let checked = format!(
            "{} plan(s), {} rep(s), {} deal row(s); {period} computes {} payout row(s) (nothing written)",
            inputs.plans.len(),
            inputs.roster.len(),
            inputs.deals.len(),
            payout_rows(&result)
        );
        let mut warnings = inputs.warnings;
        warnings.extend(result.warnings);
        warnings.extend(over);
        Ok((warnings, checked))
    })();
    let (diags, checked, code) = match outcome {
        Ok((diags, checked)) => {
            let denied = global.deny_warnings && !diags.is_empty();
            let failed = denied || diags.iter().any(|d| d.severity == Severity::Error);
            (diags, checked, failed as i32)
        }
        Err(e) => match e.downcast::<InvalidInput>() {
            Ok(invalid) => (invalid.0, String::new(), 1),
            Err(other) => return Err(other),
        },
    };
    if args.format == CheckFormat::Json {
        stdout_write(|out| {
            serde_json::to_writer_pretty(&mut *out, &diags)?;
            writeln!(out)?;
            Ok(())
        })?;
    } else {
        print_diagnostics(&diags);
        let errors = diags.iter().any(|d| d.severity == Severity::Error);
        if code == 0 {
            let with = match diags.len() {
                0 => String::new(),
                n => format!(" with {n} warning(s)"),
            };
            global.message(format!("check passed{with}: {checked}"));
        } else if !errors {
            eprintln!(
                "payout: error: {} warning(s), and --deny-warnings fails on any",
                diags.len()
            );
        }
    }
    Ok(code)
}

/// How many payout rows the run has: a row per rep, component and payout period in the run, as
/// `payout run` prints them.
fn payout_rows(run: &crate::engine::RunResult) -> usize {
    run.reps
        .iter()
        .flat_map(|r| &r.components)
        .flat_map(|c| &c.periods)
        .filter(|p| p.in_run)
        .count()
}
