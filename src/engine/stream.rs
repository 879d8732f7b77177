//! A run that hands every rep's results, with their statement lines, to a consumer as it computes
//! them (see [`Stream`]): the statements of a large batch are written from the run itself, with no
//! second computation of each rep and without holding every line at once.
//!
//! Invariants: each rep of `order` is computed once, with its lines, and handed over in exactly one
//! task; the run keeps the results without their lines, in roster order as an unstreamed run does
//! (the results are the same: lines change no number); tasks are taken in `order`'s order, so a
//! consumer that writes them in order holds only the tasks computed ahead of the one it waits for.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use rust_decimal::Decimal;

use super::rep::RepOutcome;
use super::{compute_caught, Context, RepResult};

/// What a streamed run hands its results to.
pub struct Stream<'s> {
    /// The reps in the order the consumer takes them: every rep of the roster once (a rep missing
    /// here is computed after the others and handed to no one).
    pub order: &'s [u32],
    /// Reps per task.
    pub task: usize,
    /// `each(task, results, rollup_sources)`: the results with lines of task `task` (the reps
    /// `order[task * self.task..]`, up to `self.task` of them, each rep's results in run order),
    /// and the run's roll-up sources (see [`super::RunResult::rollup_sources`]). Called from every
    /// worker, tasks in any order.
    #[allow(clippy::type_complexity)]
    pub each: &'s (dyn Fn(usize, &[RepResult], &[Vec<(u32, Decimal)>]) + Sync),
}

/// Every rep computed (with lines: the context keeps them), handed to `stream` a task at a time,
/// the tasks taken in order by every worker; the outcomes in roster order, without lines.
pub(super) fn compute_in_order(ctx: &Context, stream: &Stream) -> Vec<RepOutcome> {
    let tasks: Vec<&[u32]> = stream.order.chunks(stream.task.max(1)).collect();
    let next = AtomicUsize::new(0);
    let computed: Vec<Vec<(u32, RepOutcome)>> = (0..rayon::current_num_threads())
        .into_par_iter()
        .map(|_| {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&task) = tasks.get(i) else {
                    return mine;
                };
                let mut outcomes: Vec<RepOutcome> =
                    task.iter().map(|&rep| compute_caught(ctx, rep)).collect();
                let counts: Vec<usize> = outcomes.iter().map(|o| o.results.len()).collect();
                let results: Vec<RepResult> = outcomes
                    .iter_mut()
                    .flat_map(|o| std::mem::take(&mut o.results))
                    .collect();
                (stream.each)(i, &results, &ctx.credits.sources);
                let mut results = results.into_iter().map(without_lines);
                for ((&rep, mut o), n) in task.iter().zip(outcomes).zip(counts) {
                    o.results = results.by_ref().take(n).collect();
                    mine.push((rep, o));
                }
            }
        })
        .collect();
    let mut by_rep: Vec<Option<RepOutcome>> = (0..ctx.inputs.roster.len()).map(|_| None).collect();
    for (rep, o) in computed.into_iter().flatten() {
        if let Some(slot) = by_rep.get_mut(rep as usize) {
            *slot = Some(o);
        }
    }
    by_rep
        .into_iter()
        .enumerate()
        .map(|(rep, o)| {
            o.unwrap_or_else(|| {
                let mut o = compute_caught(ctx, rep as u32);
                o.results = std::mem::take(&mut o.results)
                    .into_iter()
                    .map(without_lines)
                    .collect();
                o
            })
        })
        .collect()
}

/// A result with its lines dropped (the memory they held given back).
fn without_lines(mut r: RepResult) -> RepResult {
    for p in r.components.iter_mut().flat_map(|c| &mut c.periods) {
        p.lines = Vec::new();
    }
    r
}
