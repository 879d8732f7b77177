//! The ledger and the adjustments of a workspace, read for a command that computes a run (the run
//! pipeline itself is [`crate::pipeline`]), and the messages about them.

use crate::data::Inputs;
use crate::engine::RunResult;
pub(crate) use crate::pipeline::Payments;
use crate::workspace::Workspace;

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
        let payments = Payments::read(&ws, &mut inputs)?;
        Ok((ws, inputs, payments))
    }
}

/// Messages about the ledger for a run: renames its rows follow, closed payout periods, corrections
/// waiting for a later one.
pub(crate) fn report_status(global: &super::Global, run: &RunResult, payments: &Payments) {
    for message in payments.status(run) {
        global.message(message);
    }
}
