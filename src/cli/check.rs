//! `payout check`: validate everything a run would read, without writing anything.

use clap::Args;

use super::{print_diagnostics, resolve_period, stdout_write, Global};
use crate::diag::InvalidInput;
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
    let outcome = (|| -> anyhow::Result<Vec<crate::diag::Diagnostic>> {
        let (ws, inputs, payments) = global.load_payments(false)?;
        let period = resolve_period(&ws, args.period.as_deref())?;
        let result = payments.compute(
            &inputs,
            Settings {
                period,
                lines: false,
                credits: false,
                lenient: global.lenient,
            },
        )?;
        let mut warnings = inputs.warnings;
        warnings.extend(result.warnings);
        Ok(warnings)
    })();
    let (diags, code) = match outcome {
        Ok(warnings) => (warnings, 0),
        Err(e) => match e.downcast::<InvalidInput>() {
            Ok(invalid) => (invalid.0, 1),
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
        if code == 0 {
            global.message("check passed");
        }
    }
    Ok(code)
}
