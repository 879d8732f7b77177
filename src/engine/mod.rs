//! The pure engine: validated inputs in, results with a full trace out. No I/O, no clock, no
//! environment; parallel over reps with rayon and deterministic whatever the thread count.
//!
//! Pipeline per rep: credit (the rep's own deals, while active) → measures (filter, value, FX to the
//! plan currency) → per component and measurement period: quota, tiers resolved to amounts, deals
//! walked in (date, deal id) order, earning accumulated → per payout period: earned-to-date rounded,
//! payable = earned-to-date − earned-to-date at the end of the previous payout period of the same
//! measurement period (the true-up). Then [`payment::settle`] turns earnings into payables against
//! the ledger of closed periods (corrections, adjustments, clawbacks, holds, draws, carried balances),
//! with the ledger and adjustments passed in as data.
//!
//! A run keeps statement lines only when asked (or when the payment step needs them); a [`Tracer`]
//! recomputes one rep with every line afterwards, so statements are written a rep at a time.

pub mod accrual;
mod bind;
mod component;
pub(crate) mod credit;
pub mod leavers;
pub mod lifetime;
pub mod pay_currency;
pub mod payment;
pub mod proration;
mod reasons;
pub mod recorded;
mod rep;
pub mod result;
mod stream;
pub mod tiers;
mod unassigned;

use std::collections::BTreeMap;

use rayon::prelude::*;
use rust_decimal::Decimal;

pub use bind::{BoundPlan, BoundValue, Source};
pub use credit::{NO_VIA, SEVERAL};
pub use result::*;
pub use stream::Stream;

use crate::data::deals::NO_OWNER;
use crate::data::Inputs;
use crate::diag::{Diagnostics, InvalidInput};
use crate::period::Period;
use std::sync::atomic::Ordering;

/// What to compute.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The run period: every payout period that ends in it is computed.
    pub period: Period,
    /// Keep every statement line (false for payout totals only: less memory on large batches).
    pub lines: bool,
    /// Keep, per payout period, the list of credited deals with their FX and share (what `explain`
    /// prints; statements need only the lines).
    pub credits: bool,
    /// Deals that cannot be credited (no FX rate, empty value) go to the exceptions instead of
    /// stopping the run.
    pub lenient: bool,
    /// Tally every row of the deals file by status and currency, with the reason of each row no
    /// measure selects ([`RunResult::reconciliation`]: reconciliation.csv, the run's guards and
    /// summary line); a command that prints none of it (insights) skips that pass over the deals.
    pub reconcile: bool,
}

/// An internal inconsistency: a bug, never a user error.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0} (this is a bug in payout; the run was stopped and nothing was paid)")]
pub struct InternalError(pub String);

/// Everything a rep's computation reads.
pub(crate) struct Context<'a> {
    pub inputs: &'a Inputs,
    pub settings: Settings,
    /// Per plan, bound to the deals table.
    pub plans: Vec<BoundPlan>,
    /// Whether some deal has an empty close date (then a measure that selects one is told).
    pub blank_close_dates: bool,
    pub credits: credit::CreditLists<'a>,
    /// Deal ids increase in file order (see [`crate::data::DealTable::ids_ascending`]).
    pub ids_ascending: bool,
    /// Per deal row, the strongest [`Outcome`] of its credits so far (as `u8`).
    pub outcomes: Vec<std::sync::atomic::AtomicU8>,
    /// No splits, overlays, territories, roll-ups or plan assignments: each row is read once.
    pub one_credit_per_row: bool,
    /// Per plan, the dates the run looks at ([`rep::run_window`]), whoever the rep.
    pub run_windows: Vec<Option<(chrono::NaiveDate, chrono::NaiveDate)>>,
}

/// Compute the run. `Err` holds every problem found (missing quotas or FX rates, unusable columns).
pub fn compute_run(inputs: &Inputs, settings: Settings) -> Result<RunResult, InvalidInput> {
    Ok(compute_traced(inputs, settings)?.0)
}

/// [`compute_run`], and a [`Tracer`] that recomputes any rep of the run with its statement lines.
pub fn compute_traced(
    inputs: &Inputs,
    settings: Settings,
) -> Result<(RunResult, Tracer<'_>), InvalidInput> {
    compute_with(inputs, settings, None)
}

/// [`compute_traced`], every rep computed once with its statement lines and handed to `stream`
/// as the run goes (see [`Stream`]); the run keeps no line. `settings.lines` must be off.
pub fn compute_streamed<'a>(
    inputs: &'a Inputs,
    settings: Settings,
    stream: &Stream,
) -> Result<(RunResult, Tracer<'a>), InvalidInput> {
    compute_with(inputs, settings, Some(stream))
}

fn compute_with<'a>(
    inputs: &'a Inputs,
    settings: Settings,
    stream: Option<&Stream>,
) -> Result<(RunResult, Tracer<'a>), InvalidInput> {
    let mut diags = Diagnostics::new();
    let mut credits = credit::build(inputs);
    let mut plans = Vec::new();
    for (i, plan) in inputs.plans.iter().enumerate() {
        let mut found = Vec::new();
        let rows = if plan.values.is_empty() {
            Vec::new()
        } else {
            credits.rows_of_plan(inputs, i)
        };
        let reads = |row: usize| rows.get(row).copied().unwrap_or(false);
        let bound = bind::bind_plan(plan, &reads, &inputs.deals, &mut found);
        diags.extend(found);
        plans.push(bound.unwrap_or_default());
    }
    diags.extend(credit::validate_crediting(inputs));
    diags.extend(lifetime::undated(inputs));
    // Deals without an owner that a measure of the run would take: errors, or exceptions.
    let unowned = unassigned::needed(inputs, &plans, settings.period);
    if !settings.lenient {
        diags.extend(unowned.iter().map(|(_, d)| d.clone()));
    }
    if diags.has_errors() {
        return Err(InvalidInput(diags.into_sorted()));
    }
    // Owned rows read in place get their masks as each rep is computed (see rep::compute_rep).
    if !credits.in_place() {
        credits.attach_selections(credit::owner_selections(inputs, &plans));
    }
    let ids_ascending = inputs.deals.ids_ascending();
    let ctx = Context {
        inputs,
        settings,
        plans,
        blank_close_dates: inputs.deals.has_blank_close_dates(),
        credits,
        ids_ascending,
        one_credit_per_row: inputs.credits.rows.is_empty()
            && inputs.assignments.is_empty()
            && inputs
                .plans
                .iter()
                .all(|p| p.crediting.holder_of.is_none() && p.crediting.rollup.is_none()),
        run_windows: inputs
            .plans
            .iter()
            .map(|p| rep::run_window(p, settings.period))
            .collect(),
        outcomes: (0..inputs.deals.len())
            .map(|_| std::sync::atomic::AtomicU8::new(Outcome::NotCredited as u8))
            .collect(),
    };

    for (row, _) in &unowned {
        ctx.outcomes[*row as usize].store(Outcome::Exception as u8, Ordering::Relaxed);
    }
    let mut tracer = Tracer { ctx };
    let run = tracer.run(diags, unowned.into_iter().map(|(_, d)| d).collect(), stream)?;
    // Recomputing a rep records no row outcome (the run took them) and keeps every line.
    tracer.ctx.settings.lines = true;
    tracer.ctx.settings.credits = false;
    Ok((run, tracer))
}

/// Rep `rep` computed. rust_decimal's operators panic past 28 digits. Input amounts are bounded,
/// plan numbers are not yet everywhere: an overflow becomes an error naming the rep, never a crash.
fn compute_caught(ctx: &Context, rep: u32) -> rep::RepOutcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rep::compute_rep(ctx, rep)))
        .unwrap_or_else(|_| rep::RepOutcome::overflow(ctx, rep))
}

/// The engine bound to a run's inputs (plans bound to the deals table, every rep's credits built),
/// kept after the run to recompute one rep at a time: statements read their lines from it, so a
/// batch writing every statement never holds every line at once. A rep recomputed is the rep of
/// the run (the engine is pure); the statement writer checks that its lines sum to the payable.
pub struct Tracer<'a> {
    ctx: Context<'a>,
}

impl Tracer<'_> {
    /// Rep `rep`'s results with every line, in the order of the run's results for the rep.
    pub fn trace(&self, rep: u32) -> Result<Vec<RepResult>, InternalError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rep::compute_rep(&self.ctx, rep).results
        }))
        .map_err(|_| {
            InternalError(format!(
                "recomputing rep {} for its statements failed",
                self.ctx.inputs.roster.get(rep).id
            ))
        })
    }

    /// Why no measure selects deal `row` (the first filter condition it fails, as the
    /// reconciliation names it); empty when no condition explains it (e.g. its owner has no plan on
    /// its date).
    pub fn filter_reason(&self, row: usize) -> String {
        reasons::FilterReasons::new(self.ctx.inputs, &self.ctx.plans).describe(row)
    }

    /// Every rep in parallel, then the run's totals: reconciliation, exceptions (`set_aside`:
    /// those found before the reps, in lenient mode), warnings.
    fn run(
        &mut self,
        mut diags: Diagnostics,
        set_aside: Vec<crate::diag::Diagnostic>,
        stream: Option<&Stream>,
    ) -> Result<RunResult, InvalidInput> {
        let (inputs, settings) = (self.ctx.inputs, self.ctx.settings);
        let outcomes: Vec<rep::RepOutcome> = match stream {
            None => (0..inputs.roster.len() as u32)
                .into_par_iter()
                .map(|rep| compute_caught(&self.ctx, rep))
                .collect(),
            Some(stream) => {
                // Every rep is computed with its lines, handed over, and kept without them.
                self.ctx.settings.lines = true;
                let outcomes = stream::compute_in_order(&self.ctx, stream);
                self.ctx.settings.lines = settings.lines;
                outcomes
            }
        };

        let mut reps = Vec::new();
        let mut exceptions = inputs.deals.exceptions.clone();
        exceptions.extend(set_aside);
        for o in outcomes {
            diags.extend(o.diags);
            exceptions.extend(o.exceptions);
            reps.extend(o.results);
        }
        let outcomes_by_row: Vec<Outcome> = std::mem::take(&mut self.ctx.outcomes)
            .into_iter()
            .map(|a| Outcome::from_u8(a.into_inner()))
            .collect();
        if diags.has_errors() {
            return Err(InvalidInput(diags.into_sorted()));
        }
        let in_run = |r: &RepResult| {
            r.components
                .iter()
                .flat_map(|c| &c.periods)
                .any(|p| p.in_run)
        };
        if !reps.iter().any(in_run) {
            diags.extend(nobody_paid(inputs, settings.period));
        } else if !outcomes_by_row.is_empty()
            && outcomes_by_row.iter().all(|o| *o == Outcome::OutOfPeriod)
        {
            diags.push(deals_outside(inputs, settings.period));
        }
        let reasons = reasons::FilterReasons::new(inputs, &self.ctx.plans);
        let status = |row: usize, o: Outcome| match o {
            Outcome::Credited => Status::Credited,
            Outcome::OutOfPeriod => Status::OutOfPeriod,
            Outcome::RepInactive => Status::RepInactive,
            Outcome::NoPlan => Status::NoPlan,
            Outcome::Exception => Status::Exception,
            Outcome::Cancelled => Status::Cancelled,
            Outcome::NotCredited if inputs.deals.owner(row) == NO_OWNER => Status::Unassigned,
            Outcome::NotCredited => Status::NotCredited,
            Outcome::Filtered => Status::Filtered(reasons.describe(row)),
        };
        let not_credited = if settings.lines {
            outcomes_by_row
                .iter()
                .enumerate()
                .filter(|(_, o)| **o != Outcome::Credited)
                .map(|(row, o)| (row as u32, status(row, *o)))
                .collect()
        } else {
            Vec::new()
        };
        let mut reconciliation = match settings.reconcile {
            true => reconcile(inputs, &outcomes_by_row, &reasons, status),
            false => Reconciliation::default(),
        };
        let (shares, warnings) =
            leavers::shares_after_leaving(inputs, settings.period, &outcomes_by_row);
        reconciliation.shares_not_credited = shares;
        diags.extend(warnings);
        reconciliation.file_rows = inputs
            .deals
            .info
            .as_ref()
            .and_then(|i| i.rows)
            .unwrap_or(inputs.deals.len() as u64);
        exceptions.sort_by(|a, b| (a.line, a.code).cmp(&(b.line, b.code)));
        // A deal excepted for several credits is one exception.
        exceptions.dedup_by(|a, b| (a.line, a.code, &a.file) == (b.line, b.code, &b.file));
        Ok(RunResult {
            rollup_sources: std::mem::take(&mut self.ctx.credits.sources),
            period: settings.period,
            reps,
            reconciliation,
            not_credited,
            warnings: diags.into_sorted(),
            exceptions,
            payment: payment::Settlement::default(),
        })
    }
}

/// `run-empty`: a run with no result in its period although a plan pays in `period` (a payout
/// period of one of its components ends in it): no rep is on a plan then, most often a wrong
/// `--period` or roster dates. A period in which no plan pays (a quarterly plan's first month) has
/// nothing to say.
fn nobody_paid(inputs: &Inputs, period: crate::period::Period) -> Option<crate::diag::Diagnostic> {
    let pays = (inputs.plans.iter().flat_map(|p| &p.components))
        .any(|c| period.periods_ending_in(c.payout_period).next().is_some());
    pays.then(|| {
        crate::diag::Diagnostic::warning(
            "run-empty",
            &inputs.roster.file,
            format!("no rep of the roster is on a plan in {period}: the run pays nothing"),
        )
        .hint("check --period, and the roster's plans and start and end dates (and assignments)")
    })
}

/// `deals-outside-period`: reps are paid for `period`, yet no deal row is dated in the periods the
/// run computes: most often an export of another period (a stale file), which pays every
/// commission of the period as zero. The hint gives the rows' close dates.
fn deals_outside(inputs: &Inputs, period: crate::period::Period) -> crate::diag::Diagnostic {
    let deals = &inputs.deals;
    let dates = (0..deals.len()).filter_map(|row| deals.columns[deals.close_date].date(row));
    let (first, last) = (dates.clone().min(), dates.max());
    let hint = match (first, last) {
        (Some(first), Some(last)) => format!(
            "its rows close from {first} to {last}: is the export this period's? (`payout explain --rep ID` shows the dates each measure reads)"
        ),
        _ => "is the export this period's?".into(),
    };
    crate::diag::Diagnostic::warning(
        "deals-outside-period",
        &deals.file,
        format!(
            "no row of the deals file ({} in all) is dated in the periods a run of {period} computes: every commission earned in them is zero",
            deals.len()
        ),
    )
    .hint(hint)
}

/// A reconciliation key: the row's outcome, its reason number (filtered rows: see
/// [`reasons::FilterReasons`]; rows credited to no one: 1 when the row has no owner) and currency
/// code.
type TallyKey = (Outcome, u32, u32);
type Tallies = rustc_hash::FxHashMap<TallyKey, (usize, Tally)>;

/// Rows of a tally walked at a time by one worker (their owners read as a run).
const TALLY_CHUNK: usize = 1 << 16;

/// Rows `0..rows` tallied by `key(row, owner)` (`owners(rows)`: the owners of a range of rows;
/// reason numbers below `codes.0`, currency codes below `codes.1`): per key, its first row, its row
/// count and the sum of its rows' `amount`s, turned into a decimal by `finish` (the amounts may be
/// raw mantissas of one scale, summed as integers). In a dense table per worker when the codes are
/// few (the usual case), else in hash maps; the same answer either way, whatever the threads.
fn tally_rows<A, O>(
    rows: usize,
    owners: impl Fn(std::ops::Range<usize>) -> O + Sync,
    (stages, currencies): (usize, usize),
    key: impl Fn(usize, u32) -> TallyKey + Sync,
    amount: impl Fn(usize) -> A + Sync,
    finish: impl Fn(A) -> Decimal,
) -> Tallies
where
    A: Copy + Default + std::ops::AddAssign + Send,
    O: Iterator<Item = u32>,
{
    type Partial<A> = rustc_hash::FxHashMap<TallyKey, (usize, u64, A)>;
    let merge = |mut a: Partial<A>, b: Partial<A>| {
        for (k, (row, n, sum)) in b {
            let e = a.entry(k).or_insert((row, 0, A::default()));
            e.0 = e.0.min(row);
            e.1 += n;
            e.2 += sum;
        }
        a
    };
    let chunks = (0..rows.div_ceil(TALLY_CHUNK)).into_par_iter();
    // Chunk `c`'s rows, each with its owner.
    let chunk = |c: usize| {
        let first = c * TALLY_CHUNK;
        let rows = first..rows.min(first + TALLY_CHUNK);
        rows.clone().zip(owners(rows))
    };
    let owner = |row: usize| owners(row..row + 1).next().unwrap_or(NO_OWNER);
    let slots = 8 * stages * currencies;
    let partial: Partial<A> = if slots > 1 << 16 {
        chunks
            .fold(Partial::default, |mut acc, c| {
                for (row, owner) in chunk(c) {
                    let e = acc.entry(key(row, owner)).or_insert((row, 0, A::default()));
                    e.1 += 1;
                    e.2 += amount(row);
                }
                acc
            })
            .reduce(Partial::default, merge)
    } else {
        let index =
            |(o, s, c): TallyKey| (o as usize * stages + s as usize) * currencies + c as usize;
        chunks
            .fold(
                || vec![(usize::MAX, 0u64, A::default()); slots],
                |mut acc, c| {
                    for (row, owner) in chunk(c) {
                        let slot = &mut acc[index(key(row, owner))];
                        slot.0 = slot.0.min(row);
                        slot.1 += 1;
                        slot.2 += amount(row);
                    }
                    acc
                },
            )
            .map(|acc| -> Partial<A> {
                acc.into_iter()
                    .filter(|&(_, n, _)| n > 0)
                    .map(|(row, n, sum)| (key(row, owner(row)), (row, n, sum)))
                    .collect()
            })
            .reduce(Partial::default, merge)
    };
    partial
        .into_iter()
        .map(|(k, (row, n, sum))| {
            let tally = Tally {
                rows: n,
                amount: finish(sum),
            };
            (k, (row, tally))
        })
        .collect()
}

/// Tally every deal row by outcome (and the reason it was left out, for filtered rows) and
/// currency: first by small integer keys, then named, so the result does not depend on dictionary
/// order.
fn reconcile(
    inputs: &Inputs,
    outcomes: &[Outcome],
    reasons: &reasons::FilterReasons,
    status: impl Fn(usize, Outcome) -> Status,
) -> Reconciliation {
    let deals = &inputs.deals;
    let codes = |c: Option<usize>| match c.map(|c| &deals.columns[c].values) {
        Some(crate::data::ColumnValues::Text { dict, .. }) => dict.len().max(1),
        _ => 1,
    };
    let key = |row: usize, owner: u32| {
        let o = outcomes[row];
        let reason = match o {
            Outcome::Filtered => reasons.code(row, owner),
            Outcome::NotCredited => (owner == NO_OWNER) as u32,
            _ => 0,
        };
        (o, reason, deals.currency_code(row))
    };
    let codes = (reasons.count().max(2), codes(deals.currency));
    let owners = |rows| deals.owners_of(rows);
    // Amounts of one scale in 32 bits (the usual money column) are summed as integers.
    let tallies = match deals.columns[deals.amount].values.narrow_uniform() {
        Some((mantissas, scale)) => tally_rows(
            outcomes.len(),
            owners,
            codes,
            key,
            |row| mantissas[row] as i128,
            |sum| Decimal::from_i128_with_scale(sum, scale),
        ),
        None => tally_rows(
            outcomes.len(),
            owners,
            codes,
            key,
            |row| deals.amount(row),
            |d| d,
        ),
    };
    let mut rec = Reconciliation::default();
    // Rows not loaded are input rows too: the file's every row is counted once.
    for (currency, s) in deals.set_aside() {
        let t = Tally {
            rows: s.rows,
            amount: s.amount,
        };
        add_tally(&mut rec, currency.clone(), Status::NotLoaded, t);
        rec.not_loaded += s.rows;
    }
    for ((o, _, _), (row, t)) in tallies {
        add_tally(&mut rec, deals.currency(row).to_string(), status(row, o), t);
    }
    rec
}

/// Count `t` in the input and under `status`, in `currency`.
fn add_tally(rec: &mut Reconciliation, currency: String, status: Status, t: Tally) {
    let input = rec.input.entry(currency.clone()).or_default();
    input.rows += t.rows;
    input.amount += t.amount;
    let by = rec
        .by_status
        .entry(status)
        .or_default()
        .entry(currency)
        .or_default();
    by.rows += t.rows;
    by.amount += t.amount;
}

/// The invariants of one rep's result: payable = earned-to-date − paid-to-date + payment lines,
/// earned-to-date = the exact earning rounded, and (with lines) the lines sum to the payable.
fn check_rep(inputs: &Inputs, r: &RepResult, lines: bool) -> Result<(), InternalError> {
    let plan = &inputs.plans[r.plan];
    for c in &r.components {
        for p in &c.periods {
            let who = || {
                format!(
                    "rep {} component {} period {}",
                    inputs.roster.get(r.rep).id,
                    plan.components[c.component].id,
                    p.payout_period
                )
            };
            // Payment lines (draws, adjustments, prior periods...) come on top of the true-up.
            let payment: Decimal = p
                .lines()
                .iter()
                .filter(|l| l.kind.is_payment())
                .map(|l| l.amount)
                .sum();
            if p.payable != p.earned_to_date - p.paid_to_date + payment {
                return Err(InternalError(format!(
                    "payable ≠ earned-to-date − paid-to-date + payment lines for {}",
                    who()
                )));
            }
            if p.earned_to_date != plan.rounding.apply(p.earned_exact) {
                return Err(InternalError(format!(
                    "earned-to-date is not the rounded exact earning for {}",
                    who()
                )));
            }
            if lines && p.lines().iter().map(|l| l.amount).sum::<Decimal>() != p.payable {
                return Err(InternalError(format!(
                    "statement lines do not sum to the payable for {}",
                    who()
                )));
            }
        }
    }
    Ok(())
}

/// Check the invariants of a run; a failure is a bug, reported as an internal error (exit 2).
pub fn check_invariants(
    inputs: &Inputs,
    run: &RunResult,
    lines: bool,
) -> Result<(), InternalError> {
    // Reps in parallel; the first failure in rep order is the one reported, whatever the threads.
    if let Some(e) = run
        .reps
        .par_iter()
        .find_map_first(|r| check_rep(inputs, r, lines).err())
    {
        return Err(e);
    }
    let rec = &run.reconciliation;
    if rec.input_rows() != rec.file_rows {
        return Err(InternalError(format!(
            "reconciliation: {} input rows ({} of them not loaded) ≠ {} rows in the deals file",
            rec.input_rows(),
            rec.not_loaded,
            rec.file_rows
        )));
    }
    let mut sums: BTreeMap<&String, Tally> = BTreeMap::new();
    for by_currency in rec.by_status.values() {
        for (currency, t) in by_currency {
            let sum = sums.entry(currency).or_default();
            sum.rows += t.rows;
            sum.amount += t.amount;
        }
    }
    for (currency, input) in &rec.input {
        if sums.get(currency) != Some(input) {
            return Err(InternalError(format!(
                "reconciliation: the deal rows in {currency:?} do not add up to the input ({} rows)",
                input.rows
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_hashed_tallies_agree() {
        // 10,000 rows: outcome = row mod 8, stage code = 7·row mod 5, currency code = row mod 3,
        // amount = ((13·row) mod 1000 − 300) cents.
        let owners = |rows: std::ops::Range<usize>| rows.map(|_| NO_OWNER);
        let key = |row: usize, _| {
            (
                Outcome::from_u8((row % 8) as u8),
                (row * 7 % 5) as u32,
                (row % 3) as u32,
            )
        };
        let amount = |row: usize| Decimal::new((row * 13 % 1000) as i64 - 300, 2);
        let dense = tally_rows(10_000, owners, (5, 3), key, amount, |d| d);
        // 8 × 100,000 stage codes is past the dense table's size: hash maps.
        let hashed = tally_rows(10_000, owners, (100_000, 1), key, amount, |d| d);
        assert_eq!(dense, hashed);
        // the same amounts as raw mantissas (cents), summed as integers
        let raw = |row: usize| (row * 13 % 1000) as i128 - 300;
        let cents = |sum| Decimal::from_i128_with_scale(sum, 2);
        assert_eq!(tally_rows(10_000, owners, (5, 3), key, raw, cents), dense);
        assert_eq!(
            tally_rows(10_000, owners, (100_000, 1), key, raw, cents),
            dense
        );
        assert_eq!(dense.len(), 8 * 5 * 3);
        // (not credited, stage 0, currency 0): rows ≡ 0 mod 8, 5 and 3, i.e. row = 120k, k = 0..83:
        // 84 rows. 13·120k mod 1000 = 560k mod 1000 = 40·(14k mod 25); over 25 consecutive k that
        // is 40·(0 + … + 24) = 12000, so k = 0..74 give 36000 and k = 75..83 (as k = 0..8:
        // 14k mod 25 = 0, 14, 3, 17, 6, 20, 9, 23, 12, sum 104) give 4160: 40160 − 84 × 300 = 14960.
        let t = &dense[&(Outcome::NotCredited, 0, 0)];
        assert_eq!((t.0, t.1.rows, t.1.amount), (0, 84, Decimal::new(14960, 2)));
    }
}
