//! The run pipeline: what every command that computes a run does, in order. Read the ledger of closed
//! periods and the adjustments file ([`Payments::read`]); compute the run; recompute the ledger's closed
//! run periods (what they compute now); settle the open months before the run period in order, as
//! `close` would record them; then settle the run against that ledger ([`crate::engine::payment`]).
//! The closing of a run period is in [`close`].
//!
//! Invariant: a payout period's payable does not depend on the run period asked for. The payment step
//! walks from the start of the fiscal year (of the first close, else of the run; of the earliest
//! lifetime start when a component has a lifetime cap): the open periods
//! before the run period (those before the first close, and those after the last one) are computed
//! and settled in order, as if each had been closed as computed (provisional ledger rows), so their
//! draws, recoveries, carried balances, holds and clawbacks apply to the run; only the run period's
//! payout periods are shown, and nothing is recorded until `close`.
//!
//! Layer: beside `scenario` and `insights`, above the engine and the ledger; the CLI calls it.

pub mod close;

use crate::data::adjustments::{read_adjustments, Adjustments};
use crate::data::Inputs;
use crate::diag::{Diagnostics, InvalidInput};
use crate::engine::payment::{settle, PaymentInputs};
use crate::engine::{
    compute_run, compute_streamed, compute_traced, RunResult, Settings, Stream, Tracer,
};
use crate::ledger::renames::check_ledger_ids;
use crate::ledger::{read_ledger, Ledger};
use crate::period::{Granularity, Period};
use crate::workspace::Workspace;
use chrono::NaiveDate;

/// The ledger and the adjustments of a workspace.
pub struct Payments {
    pub ledger: Ledger,
    pub adjustments: Adjustments,
    /// The renames the ledger's rows follow (plans' and components' `formerly`), as messages.
    pub renamed: Vec<String>,
}

impl Payments {
    /// The ledger and the adjustments of a workspace whose inputs are read: their problems join
    /// `inputs.warnings` (or fail the read), their files join `inputs.files` (the manifest hashes them,
    /// so the run id changes when they do).
    pub fn read(ws: &Workspace, inputs: &mut Inputs) -> anyhow::Result<Payments> {
        let mut diags = Diagnostics::new();
        let ledger = read_ledger(&ws.ledger, &ws.calendar, &mut diags)?;
        let renamed = check_ledger_ids(&ledger, &inputs.plans, &inputs.roster, &mut diags);
        let adjustments = match &ws.adjustments {
            Some(spec) => read_adjustments(
                spec,
                &inputs.roster,
                &inputs.plans,
                &inputs.assignments,
                &ws.calendar,
                &mut diags,
            )?,
            None => Adjustments::default(),
        };
        inputs.warnings.extend(diags.finish()?);
        inputs.files.extend(adjustments.info.clone());
        inputs.files.extend(ledger.info.clone());
        Ok(Payments {
            ledger,
            adjustments,
            renamed,
        })
    }

    /// What a run's settlement says about the ledger, as messages: the renames its rows follow, the
    /// closed payout periods, the corrections waiting for a later one.
    pub fn status(&self, run: &RunResult) -> Vec<String> {
        let mut out = self.renamed.clone();
        for (period, c) in &run.payment.closed {
            out.push(format!(
                "{period} is closed (closed with {} at {} by {}, run {}): its payables are the ones recorded in {}",
                c.closed_period, c.closed_at, c.approved_by, c.run_id, self.ledger.file
            ));
        }
        let waiting = run.payment.waiting_lines();
        if waiting > 0 {
            out.push(format!(
                "{waiting} amount(s) for closed periods (corrections, late adjustments, clawbacks) wait for their component's next open payout period: `payout balances --period {}` lists them",
                run.period
            ));
        }
        out
    }
}

impl Payments {
    /// Compute the run, and the closed periods' runs the ledger needs, then apply the payment step.
    pub fn compute(&self, inputs: &Inputs, settings: Settings) -> Result<RunResult, InvalidInput> {
        Ok(self.compute_traced(inputs, settings)?.0)
    }

    /// [`Payments::compute`], and, when the run kept no statement lines, the engine that
    /// recomputes them one rep at a time (see [`Tracer`]). The run keeps its lines when
    /// `settings.lines` asks for them, or when a plan's payment step needs each deal's commission.
    pub fn compute_traced<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput> {
        let (run, tracer, _) = self.compute_settled(inputs, settings)?;
        Ok((run, tracer))
    }

    /// [`Payments::compute_traced`], and the ledger the run was settled against: the recorded rows,
    /// then provisional rows for the open payout periods before the run (what `close` would record
    /// for them), so balances can name the period each came from.
    pub fn compute_settled<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>, Ledger), InvalidInput> {
        self.compute_settled_with(inputs, settings, None)
    }

    /// [`Payments::compute_traced`], the run's reps handed to `stream` with their lines as they
    /// are computed (see [`Stream`]) when the run keeps no lines; not when it keeps them (`stream`
    /// then receives nothing: the run's results have the lines).
    pub fn compute_streamed<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
        stream: &Stream,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput> {
        let (run, tracer, _) = self.compute_settled_with(inputs, settings, Some(stream))?;
        Ok((run, tracer))
    }

    fn compute_settled_with<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
        stream: Option<&Stream>,
    ) -> Result<(RunResult, Option<Tracer<'a>>, Ledger), InvalidInput> {
        // Clawbacks that keep attainment and holds need each deal's commission: the lines.
        let settings = Settings {
            lines: settings.lines || inputs.plans.iter().any(crate::engine::payment::needs_lines),
            ..settings
        };
        let (mut run, tracer) = match stream {
            Some(stream) if !settings.lines => compute_streamed(inputs, settings, stream)?,
            _ => compute_traced(inputs, settings)?,
        };
        let mut history = self.closed_runs(inputs, settings)?;
        let ledger = self.settle_open_periods_before(inputs, settings, &mut history)?;
        settle(
            inputs,
            &mut run,
            &PaymentInputs {
                ledger: &ledger,
                adjustments: &self.adjustments.rows,
                history: &history,
            },
        );
        Ok((run, (!settings.lines).then_some(tracer), ledger))
    }
}

impl Payments {
    /// The engine's runs of the ledger's closed run periods outside the run: what they compute now.
    fn closed_runs(
        &self,
        inputs: &Inputs,
        settings: Settings,
    ) -> Result<Vec<RunResult>, InvalidInput> {
        let mut history = Vec::new();
        for closed in self.ledger.closed_periods() {
            if settings.period.covers(&closed) {
                continue;
            }
            history.push(compute_run(
                inputs,
                Settings {
                    period: closed,
                    ..settings
                },
            )?);
        }
        Ok(history)
    }

    /// The ledger the run settles against: provisional rows for the open payout periods of the
    /// fiscal year before the first close (the ledger did not record them, but what they left, a
    /// draw balance or a carried amount, still applies), the recorded rows, then provisional rows for
    /// the open payout periods between the last close and the run period; each period settled in
    /// order as `close` would record it. Their engine runs (before settlement) join `history`.
    fn settle_open_periods_before(
        &self,
        inputs: &Inputs,
        settings: Settings,
        history: &mut Vec<RunResult>,
    ) -> Result<Ledger, InvalidInput> {
        let run = settings.period;
        let calendar = run.calendar();
        // From the start of the fiscal year, or earlier where a lifetime cap counts from.
        let lifetime = crate::engine::lifetime::earliest_start(inputs);
        let year_start = |d: NaiveDate| {
            let d = lifetime.map_or(d, |l| l.min(d));
            calendar.period_of(Granularity::Year, d).start()
        };
        let months = self.ledger.closed_months();
        let (before_first, after_last) = match (months.first(), months.last()) {
            (Some(first), Some(last)) => (
                periods_between(
                    year_start(first.start()),
                    first.start().min(run.start()),
                    run,
                ),
                periods_between(last.next().start(), run.start(), run),
            ),
            _ => (
                periods_between(year_start(run.start()), run.start(), run),
                Vec::new(),
            ),
        };
        let mut ledger = Ledger {
            rows: Vec::new(),
            ..self.ledger.clone()
        };
        self.settle_in_order(inputs, settings, &before_first, &mut ledger, history)?;
        ledger.rows.extend(self.ledger.rows.iter().cloned());
        self.settle_in_order(inputs, settings, &after_last, &mut ledger, history)?;
        Ok(ledger)
    }

    /// Compute and settle `periods` in order against `ledger`, appending their provisional rows.
    fn settle_in_order(
        &self,
        inputs: &Inputs,
        settings: Settings,
        periods: &[Period],
        ledger: &mut Ledger,
        history: &mut Vec<RunResult>,
    ) -> Result<(), InvalidInput> {
        let lead_settings = Settings {
            lines: inputs.plans.iter().any(crate::engine::payment::needs_lines),
            credits: false,
            reconcile: true,
            ..settings
        };
        for &lead in periods {
            let computed = compute_run(
                inputs,
                Settings {
                    period: lead,
                    ..lead_settings
                },
            )?;
            let mut settled = computed.clone();
            settle(
                inputs,
                &mut settled,
                &PaymentInputs {
                    ledger,
                    adjustments: &self.adjustments.rows,
                    history,
                },
            );
            ledger.rows.extend(crate::engine::recorded::ledger_rows(
                inputs,
                &settled,
                &crate::engine::recorded::Stamp::default(),
            ));
            history.push(computed);
        }
        Ok(())
    }
}

/// The periods from `from` to the day before `until`, as few as possible: at each start the longest
/// calendar period (year, half, quarter, month) that begins there and ends before `until`.
fn periods_between(from: NaiveDate, until: NaiveDate, run: Period) -> Vec<Period> {
    let calendar = run.calendar();
    let mut out = Vec::new();
    let mut day = calendar.period_of(Granularity::Month, from).start();
    while day < until {
        let Some(p) = [
            Granularity::Year,
            Granularity::Half,
            Granularity::Quarter,
            Granularity::Month,
        ]
        .into_iter()
        .map(|g| calendar.period_of(g, day))
        .find(|p| p.start() == day && p.end() < until) else {
            break;
        };
        out.push(p);
        match p.end().succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}
