//! `payout amortize`: commission costs capitalised and amortised (ASC 340-40 / IFRS 15) through a
//! month: the roll-forward on stdout; schedule.csv, journal.csv and rollforward.csv with --out.
//!
//! The costs come from the run path (`Payments::compute`, statement lines kept), one run per
//! fiscal year from the year of `--from` (default: the ledger's first closed month, else the year of
//! `--through`) to the month asked for: closed payout periods are what the ledger recorded, open
//! ones what the engine computes now. Costs before `--from` are not in the schedule.

use std::path::PathBuf;

use clap::Args;

use super::{stdout_write, Global};
use crate::accounting::amortise::{self, Accounts};
use crate::accounting::costs;
use crate::engine::{check_invariants, Settings};
use crate::period::{Granularity, Period};
use crate::report::{accounting as out, fs};

#[derive(Args, Debug)]
pub struct AmortizeArgs {
    /// The last month of the schedule (e.g. 2026-12; a quarter or year means its last month).
    #[arg(long, value_name = "PERIOD")]
    pub through: String,
    /// The first month of costs (default: the ledger's first closed month, else the first month of
    /// the fiscal year of --through).
    #[arg(long, value_name = "PERIOD")]
    pub from: Option<String>,
    /// Write schedule.csv, journal.csv and rollforward.csv into this folder.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(global: &Global, args: &AmortizeArgs) -> anyhow::Result<i32> {
    let (ws, inputs, payments) = global.load_payments(false)?;
    let Some(settings) = ws.accounting.clone() else {
        anyhow::bail!(
            "{} has no [accounting] section: name the capitalised components and the amortisation months (see docs/accounting.md)",
            ws.file.display()
        );
    };
    for column in [&settings.type_column, &settings.term_column]
        .into_iter()
        .flatten()
    {
        if inputs.deals.column(column).is_none() {
            anyhow::bail!(
                "[accounting] names deals column `{column}`, which {} does not have",
                ws.deals.path.display()
            );
        }
    }
    let through = ws
        .calendar
        .parse(&args.through)
        .map_err(|e| anyhow::anyhow!("--through: {e}"))?;
    let through = ws.calendar.period_of(Granularity::Month, through.end());
    let from = match &args.from {
        Some(f) => ws
            .calendar
            .parse(f)
            .map_err(|e| anyhow::anyhow!("--from: {e}"))?
            .start(),
        None => payments
            .ledger
            .closed_months()
            .first()
            .map(|m| m.start())
            .unwrap_or(
                ws.calendar
                    .period_of(Granularity::Year, through.end())
                    .start(),
            ),
    };
    let from = ws.calendar.period_of(Granularity::Month, from);
    if from > through {
        anyhow::bail!("--from {from} is after --through {through}");
    }
    let mut runs = Vec::new();
    for year in years(&ws.calendar, from, through) {
        let settings = Settings {
            period: year,
            credits: false,
            reconcile: true,
            lines: true,
            lenient: global.lenient,
        };
        let run = payments.compute(&inputs, settings)?;
        check_invariants(&inputs, &run, true)?;
        runs.push(run);
    }
    let warnings: Vec<_> = runs
        .iter()
        .flat_map(|r| r.warnings.iter().cloned())
        .collect();
    global.warnings_pass(&inputs, &warnings)?;
    let centres = match &settings.cost_centre_column {
        Some(col) => crate::data::rep_columns::read_rep_columns(&ws.reps, &[col])?
            .into_iter()
            .map(|(id, mut cells)| (id, cells.pop().unwrap_or_default()))
            .collect(),
        None => Default::default(),
    };
    let months = payments.ledger.closed_months();
    let closed = |p: Period| payments.ledger.is_closed(&months, p);
    let (mut costs, mut clawbacks) = costs::collect(&settings, &inputs, &runs, through, &closed);
    costs.retain(|c| c.month >= from);
    clawbacks.retain(|c| c.month >= from);
    let items = amortise::items(&inputs, costs, settings.practical_expedient, &centres);
    let schedules = amortise::schedules(items, &clawbacks, through);
    let roll = amortise::roll_forward(&schedules, through);
    let places = ws.rounding.places;
    stdout_write(|o| out::render_roll_forward_table(&roll, places, o))?;
    if roll.is_empty() {
        global.message(format!(
            "nothing capitalised from {from} through {through}: the components [accounting] names paid no cost in the span"
        ));
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let accounts = Accounts {
            asset: &settings.asset_account,
            expense: &settings.expense_account,
            payable: &settings.payable_account,
        };
        let journal = amortise::journal(&schedules, &accounts);
        fs::write_atomic(
            &dir.join("schedule.csv"),
            &out::render_schedule(&schedules)?,
        )?;
        fs::write_atomic(
            &dir.join("journal.csv"),
            &out::render_journal(&journal, places)?,
        )?;
        fs::write_atomic(
            &dir.join("rollforward.csv"),
            &out::render_roll_forward(&roll, places)?,
        )?;
        global.message(format!("wrote {}", dir.display()));
    }
    Ok(0)
}

/// The fiscal years from the one containing `from` to the one containing `through`.
fn years(calendar: &crate::period::Calendar, from: Period, through: Period) -> Vec<Period> {
    let last = calendar.period_of(Granularity::Year, through.end());
    let mut year = calendar.period_of(Granularity::Year, from.start());
    let mut out = vec![year];
    while year < last {
        year = year.next();
        out.push(year);
    }
    out
}
