//! `payout diff OLD NEW`: flags, the comparison ([`crate::report::diff`]), printing, and diff(1)'s
//! exit codes: 0 when the two sides are the same, 1 when anything differs (a payout row, a statement
//! line, a deal, an input, or an output file that no longer matches its manifest), 2 on a usage or
//! I/O error.

use std::path::PathBuf;

use clap::Args;

use super::{stdout_write, Format, Global};
use crate::report::diff::{self, render};

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old side: a run's output folder (written by `run --out`), or a ledger file.
    pub old: PathBuf,
    /// The new side: a run's output folder, or a ledger file.
    pub new: PathBuf,
    /// Output format on stdout.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(global: &Global, args: &DiffArgs) -> anyhow::Result<i32> {
    let d = diff::compare(&args.old, &args.new)?;
    stdout_write(|out| match args.format {
        Format::Table => render::render_table(&d, out),
        Format::Csv => render::render_csv(&d, out),
        Format::Json => render::render_json(&d, out),
    })?;
    for (path, problem) in &d.outputs {
        global.message(format!("warning: {path}: {}", problem.describe()));
    }
    if d.differs() {
        global.message(format!(
            "{} payout row(s), {} statement line(s) and {} deal(s) differ; {} input file(s) changed; {} output file(s) do not match their manifest",
            d.rows.len(),
            d.lines.len(),
            d.deals.len(),
            d.inputs.len(),
            d.outputs.len(),
        ));
    } else {
        global.message("no differences");
    }
    Ok(if d.differs() { 1 } else { 0 })
}
