//! `payout run`: the payout batch.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{resolve_period, stdout_write, Format, Global};
use crate::engine::{check_invariants, Settings};
use crate::report::{self, fs, manifest, summary};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Period to pay: a month (2026-03), quarter (2026-Q1), half (2026-H1) or year (2026); every
    /// payout period ending in it is computed. Default: the workspace's `period`.
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Summary format on stdout.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write payouts.csv, statements/, reconciliation.csv and manifest.json into this folder.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an --out folder that holds a different run.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Statement files in --out: a CSV and a Markdown per rep and payout period (per-rep), one CSV
    /// per payout period with every rep's lines (per-period), or none. Default: the workspace's
    /// `[outputs] statements`, else per-rep.
    #[arg(long, value_enum, value_name = "LAYOUT", requires = "out")]
    pub statements: Option<crate::workspace::StatementLayout>,
    /// Start every CSV file in --out with a UTF-8 byte-order mark (Excel on Windows then reads
    /// names like Lefèvre right). Default: the workspace's `[outputs] csv_bom`.
    #[arg(long, requires = "out")]
    pub csv_bom: bool,
    /// Also write workbook.xlsx into --out (payouts, reconciliation, statement lines; numbers as
    /// numbers). Default: the workspace's `[outputs] xlsx`.
    #[arg(long, requires = "out")]
    pub xlsx: bool,
    /// Also write an HTML statement per rep and payout period into --out
    /// (statements/<period>/<rep>.html: self-contained, printable, amounts rounded to the plan's
    /// decimals). Default: the workspace's `[outputs] statements_html`.
    #[arg(long, requires = "out")]
    pub statements_html: bool,
    /// The minijinja template of the HTML statements instead of the built-in one.
    #[arg(long, value_name = "FILE", requires = "out")]
    pub statements_template: Option<PathBuf>,
}

impl RunArgs {
    /// The workspace's `[outputs]` with this command's flags applied.
    fn outputs(&self, ws: &crate::workspace::Workspace) -> crate::workspace::Outputs {
        let mut o = ws.outputs;
        if let Some(layout) = self.statements {
            o.statements = layout;
        }
        o.csv_bom |= self.csv_bom;
        o.xlsx |= self.xlsx;
        o.statements_html |= self.statements_html || self.statements_template.is_some();
        o
    }
}

pub fn run(global: &Global, args: &RunArgs) -> anyhow::Result<i32> {
    let mut timer = Timer::new(global.timings);
    // A run is identified (its inputs hashed into a run id) when it is recorded: the output
    // folder's manifest, or the JSON summary. Hashing a large deals file costs a core for a third
    // of a second per 700 MB, so a summary on stdout alone skips it.
    let recorded = args.out.is_some() || args.format == Format::Json;
    let (ws, mut inputs, payments) = global.load_payments(recorded)?;
    timer.lap("read workspace, plans and data");
    let period = resolve_period(&ws, args.period.as_deref())?;
    let manifest = if recorded {
        let mut m = manifest::build(&ws, &inputs, &period.to_string())?;
        m.ledger_head = payments.ledger.head.clone();
        Some(m)
    } else {
        None
    };
    let run_id = manifest.as_ref().map(|m| m.run_id.clone());
    if let (Some(dir), Some(id)) = (&args.out, &run_id) {
        fs::claim_output_dir(dir, id, args.force)?;
    }
    // Statements read their lines from the engine one rep at a time while they are written (see
    // engine::Tracer): the run itself keeps none unless the payment step needs them. Per-period
    // statements are written from the run as it computes each rep, when nothing known ahead adds
    // lines after it (see report::statements::Streamed).
    let settings = Settings {
        period,
        credits: false,
        reconcile: true,
        lines: false,
        lenient: global.lenient,
    };
    let outputs = args.outputs(&ws);
    if args.out.is_some() && writes_statements(&outputs) {
        // Statements read the ids of one rep's deals after another's.
        inputs.deals.ids_in_row_order();
    }
    let streamed = match (&args.out, &run_id) {
        (Some(dir), Some(id)) if streams_statements(&outputs, &inputs, &payments) => Some(
            report::statements::Streamed::new(dir, id, &inputs, period, outputs.csv_bom)?,
        ),
        _ => None,
    };
    let (result, tracer) = match &streamed {
        Some(s) => s.with_stream(|stream| payments.compute_streamed(&inputs, settings, stream))?,
        None => payments.compute_traced(&inputs, settings)?,
    };
    timer.lap("compute");
    global.warn(&inputs, &result);
    // No tracer: the run kept every line, and they must sum to the payables.
    check_invariants(&inputs, &result, tracer.is_none())?;
    if let Err(refused) = global.guards_pass(&ws, &inputs, &result, []) {
        refuse(args, &result)?;
        return Err(refused.into());
    }
    // Without --out nothing is traced: the engine's tables go before the summary is built, and
    // so do the deals' cells (the summary reads the run's results, not the deals).
    let (tracer, streamed) = match &args.out {
        Some(_) => (tracer, streamed),
        None => {
            drop(tracer);
            drop(streamed);
            inputs.deals.release_rows();
            (None, None)
        }
    };
    timer.lap("check invariants");
    let rows = summary::rows(&inputs, &result);
    // Pay-currency conversions, then the payroll file (a `[payroll]` section), before anything is
    // printed: a missing rate, or a roster column the payroll names and the file lacks, stops the
    // run here.
    let pay = report::pay::conversions(&ws, &inputs, &result, &rows)?;
    let payroll = match &args.out {
        Some(_) => super::payroll::render(&ws, &inputs, &result)?,
        None => None,
    };
    let prewritten = streamed.and_then(|s| s.finish(&rows, &pay));
    timer.lap("order the rows");
    // payouts.csv, rendered once: the folder's file and, with `--format csv`, the summary on stdout.
    let payouts_csv = match &args.out {
        Some(_) => Some(summary::csv_parts(&rows)?),
        None => None,
    };
    stdout_write(|out| match args.format {
        Format::Table => summary::render_table(&rows, out),
        Format::Csv => match &payouts_csv {
            Some(parts) => Ok(parts.iter().try_for_each(|p| out.write_all(p))?),
            None => summary::render_csv(&rows, out),
        },
        Format::Json => summary::render_json(
            run_id.as_deref().unwrap_or(""),
            &period.to_string(),
            &rows,
            out,
        ),
    })?;
    let run = run_id.map_or(String::new(), |id| format!("run {id}, "));
    global.message(format!(
        "{run}period {period}: {} payout rows for {} reps",
        rows.len(),
        // Rows come grouped by rep (see summary::rows).
        rows.chunk_by(|a, b| a.rep_id == b.rep_id).count()
    ));
    global.message(report::reconciliation_summary(&result));
    super::payments::report_status(global, &result, &payments);
    if !result.exceptions.is_empty() {
        global.message(format!(
            "{} problem(s) sent rows to the exceptions{}",
            result.exceptions.len(),
            if args.out.is_some() {
                " (exceptions.csv)"
            } else {
                "; pass --out DIR to write exceptions.csv"
            }
        ));
    }
    timer.lap("write the summary");
    if let (Some(dir), Some(mut manifest), Some(payouts_csv)) = (&args.out, manifest, payouts_csv) {
        if let Some(payroll) = payroll {
            manifest.extra_outputs.push(("payroll.csv".into(), payroll));
        }
        let template = match &args.statements_template {
            Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the statement template {}", path.display())
            })?),
            None => None,
        };
        let bar =
            global.progress_bar("payout: writing statements {bar:30} {pos}/{len} reps ({eta})");
        let written = report::write_outputs(
            dir,
            &inputs,
            &result,
            &rows,
            payouts_csv,
            tracer.as_ref(),
            manifest,
            &outputs,
            template.as_deref(),
            &pay,
            &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            },
            prewritten,
        );
        bar.finish_and_clear();
        written?;
        timer.lap("write the output folder");
        global.message(format!("wrote {}", dir.display()));
    }
    Ok(0)
}

/// Whether the output folder gets statement lines: statement files or the workbook's sheet.
fn writes_statements(outputs: &crate::workspace::Outputs) -> bool {
    outputs.statements != crate::workspace::StatementLayout::None
        || outputs.statements_html
        || outputs.xlsx
}

/// Whether per-period statements are written while the run computes (see
/// [`report::statements::Streamed`]): nothing known before the run adds lines after it (a ledger,
/// adjustments, payment rules, a rep paid in another currency). What the payment step still adds
/// (a negative month carried, say) is found after it, and the statements are then written as usual.
fn streams_statements(
    outputs: &crate::workspace::Outputs,
    inputs: &crate::data::Inputs,
    payments: &crate::pipeline::Payments,
) -> bool {
    outputs.statements == crate::workspace::StatementLayout::PerPeriod
        && payments.ledger.rows.is_empty()
        && payments.adjustments.rows.is_empty()
        && report::pay::paid_in_plan_currency(inputs)
        && inputs.plans.iter().all(|p| {
            let pay = &p.payment;
            pay.draw.is_none()
                && pay.clawback.is_none()
                && pay.hold.is_none()
                && p.components.iter().all(|c| c.lifetime_cap.is_none())
        })
}

/// A run that failed its guards pays nothing: no summary and no output files, but the exceptions
/// (when there are any and `--out` is given), so that the user can see why.
fn refuse(args: &RunArgs, result: &crate::engine::RunResult) -> anyhow::Result<()> {
    match &args.out {
        Some(dir) if !result.exceptions.is_empty() => {
            fs::write_atomic(
                &dir.join("exceptions.csv"),
                &report::render_exceptions(result)?,
            )?;
            eprintln!(
                "payout: nothing was paid; {} holds the exceptions",
                dir.join("exceptions.csv").display()
            );
        }
        _ => eprintln!("payout: nothing was paid or written"),
    }
    Ok(())
}

/// Phase timings on stderr with `--timings` (for profiling large batches; never in data outputs):
/// wall seconds, and CPU seconds of all threads and memory where the system tells them (Linux).
pub(crate) struct Timer {
    on: bool,
    last: std::time::Instant,
    last_cpu: Option<f64>,
}

impl Timer {
    pub(crate) fn new(on: bool) -> Timer {
        Timer {
            on,
            last: std::time::Instant::now(),
            last_cpu: if on { super::cpu_seconds() } else { None },
        }
    }

    pub(crate) fn lap(&mut self, what: &str) {
        if self.on {
            let now = std::time::Instant::now();
            let cpu = super::cpu_seconds();
            let used = match (cpu, self.last_cpu) {
                (Some(now), Some(then)) => format!(", {:.2} CPU-s", now - then),
                _ => String::new(),
            };
            eprintln!(
                "payout: timing: {what}: {:.3} s{used}{}",
                (now - self.last).as_secs_f64(),
                super::memory_now().unwrap_or_default()
            );
            self.last = now;
            self.last_cpu = cpu;
        }
    }
}
