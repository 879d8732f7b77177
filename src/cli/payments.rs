//! What every command that computes a run reads besides plans and data: the ledger of closed periods
//! and the adjustments file; and the run with them applied (the engine's payment step).

use crate::data::adjustments::{read_adjustments, Adjustments};
use crate::data::Inputs;
use crate::diag::{Diagnostics, InvalidInput};
use crate::engine::payment::{settle, PaymentInputs};
use crate::engine::{compute_run, compute_traced, RunResult, Settings, Tracer};
use crate::ledger::renames::check_ledger_ids;
use crate::ledger::{read_ledger, Ledger};
use crate::workspace::Workspace;

/// The ledger and the adjustments of a workspace.
pub(crate) struct Payments {
    pub ledger: Ledger,
    pub adjustments: Adjustments,
    /// The renames the ledger's rows follow (plans' and components' `formerly`), as messages.
    pub renamed: Vec<String>,
}

impl Payments {
    /// Compute the run, and the closed periods' runs the ledger needs, then apply the payment step.
    pub(crate) fn compute(
        &self,
        inputs: &Inputs,
        settings: Settings,
    ) -> Result<RunResult, InvalidInput> {
        Ok(self.compute_traced(inputs, settings)?.0)
    }

    /// [`Payments::compute`], and, when the run kept no statement lines, the engine that
    /// recomputes them one rep at a time (see [`Tracer`]). The run keeps its lines when
    /// `settings.lines` asks for them, or when a plan's payment step needs each deal's commission.
    pub(crate) fn compute_traced<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput> {
        // Clawbacks that keep attainment and holds need each deal's commission: the lines.
        let settings = Settings {
            lines: settings.lines || inputs.plans.iter().any(crate::engine::payment::needs_lines),
            ..settings
        };
        let (mut run, tracer) = compute_traced(inputs, settings)?;
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
        settle(
            inputs,
            &mut run,
            &PaymentInputs {
                ledger: &self.ledger,
                adjustments: &self.adjustments.rows,
                history: &history,
            },
        );
        Ok((run, (!settings.lines).then_some(tracer)))
    }
}

impl super::Global {
    /// [`super::Global::load`], then the ledger and the adjustments (their hashes join the
    /// manifest's inputs, so the run id changes when they do).
    pub(crate) fn load_payments(
        &self,
        hash_deals: bool,
    ) -> anyhow::Result<(Workspace, Inputs, Payments)> {
        let (ws, inputs) = self.load(hash_deals)?;
        self.read_payments(ws, inputs)
    }

    /// The ledger and the adjustments of a workspace already loaded (a close reads the ledger
    /// under its lock, taken after loading).
    pub(crate) fn read_payments(
        &self,
        ws: Workspace,
        mut inputs: Inputs,
    ) -> anyhow::Result<(Workspace, Inputs, Payments)> {
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
        Ok((
            ws,
            inputs,
            Payments {
                ledger,
                adjustments,
                renamed,
            },
        ))
    }
}

/// Messages about the ledger for a run: renames its rows follow, closed payout periods, corrections
/// waiting for a later one.
pub(crate) fn report_status(global: &super::Global, run: &RunResult, payments: &Payments) {
    for renamed in &payments.renamed {
        global.message(renamed);
    }
    for (period, c) in &run.payment.closed {
        global.message(format!(
            "{period} is closed (closed with {} at {} by {}, run {}): its payables are the ones recorded in {}",
            c.closed_period, c.closed_at, c.approved_by, c.run_id, payments.ledger.file
        ));
    }
    if run.payment.waiting > 0 {
        global.message(format!(
            "{} correction(s) of closed periods wait for a later open payout period of their component",
            run.payment.waiting
        ));
    }
}
