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
    /// Reps per task: the reps `order[task * self.task..]`, up to `self.task` of them, computed in
    /// a row by one worker.
    pub task: usize,
    /// `rep(task, results, rollup_sources)`: the results with lines of a rep of task `task`, as
    /// soon as it is computed (each rep's results in run order, a task's reps in order, on the
    /// worker that computes the task), and the run's roll-up sources (see
    /// [`super::RunResult::rollup_sources`]).
    #[allow(clippy::type_complexity)]
    pub rep: &'s (dyn Fn(usize, &[RepResult], &[Vec<(u32, Decimal)>]) + Sync),
    /// `done(task)`: every rep of task `task` was handed over. Tasks end in any order.
    pub done: &'s (dyn Fn(usize) + Sync),
}

/// Every rep computed (with lines: the context keeps them) and handed to `stream` at once (its
/// lines still in the cache), the tasks taken in order by every worker; the outcomes in roster
/// order, without lines.
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
                for &rep in task {
                    let mut o = compute_caught(ctx, rep);
                    (stream.rep)(i, &o.results, &ctx.credits.sources);
                    o.results.iter_mut().for_each(drop_lines);
                    mine.push((rep, o));
                }
                (stream.done)(i);
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
                o.results.iter_mut().for_each(drop_lines);
                o
            })
        })
        .collect()
}

/// Drop a result's lines (the memory they held given back).
fn drop_lines(r: &mut RepResult) {
    for p in r.components.iter_mut().flat_map(|c| &mut c.periods) {
        p.drop_lines();
    }
}
