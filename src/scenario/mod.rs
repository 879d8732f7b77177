//! What-if: the engine run on changed inputs, and the results compared. Pure like the engine: the
//! inputs come read, the results go to `cli`/`report` to print.
//!
//! - [`estimate`]: a rep's payable with hypothetical deals added, line by line, and how far the
//!   measure is from the next tier.
//! - [`model`]: the same data under proposed plan sets, per rep and in total.
//! - [`forecast`]: the commission expense of the open pipeline, weighted, on top of what is earned.
//!
//! Invariant: no plan rule is implemented here. Every number comes from [`crate::engine`] (through a
//! [`Runner`], which applies the ledger when the command's run does), or is a sum or difference of
//! the engine's numbers.

pub mod deals;
pub mod estimate;
pub mod forecast;
pub mod model;

use crate::data::Inputs;
use crate::diag::InvalidInput;
use crate::engine::{RunResult, Settings, Tracer};

/// How a scenario gets a run: the engine's compute, then the payment step with the workspace's
/// ledger and adjustments (the same path as `payout run`). Implemented by the command line.
pub trait Runner {
    /// The run of `inputs`, and, when the run kept no statement lines, the engine that recomputes
    /// one rep with its lines.
    fn run<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput>;
}

/// The engine alone (no ledger, no payment step): what plans earn on the data.
pub struct EngineOnly;

impl Runner for EngineOnly {
    fn run<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput> {
        let (run, tracer) = crate::engine::compute_traced(inputs, settings)?;
        Ok((run, (!settings.lines).then_some(tracer)))
    }
}
