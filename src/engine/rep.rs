//! One rep's computation: per plan the rep is on (the roster's, or each assignment's stretch), which
//! of the rep's credits enter which measure (while employed and on the plan), their values in the
//! plan currency, which periods each component computes, and the outcome of every credited row.
//!
//! Invariants: every row credited to the rep records an outcome for each plan stretch that reads it
//! (rows merge to their strongest outcome, see [`super::Outcome`]); a row is `Credited` only when it
//! lies in a range some component (or its gate or multiplier) actually computes; entries of a
//! measure are in (date, deal id) order, so results do not depend on input row order.
//!
//! The steps of a plan stretch (`compute_segment`): `component_spans`, `needed_measures`,
//! `candidates` (the credits the plan reads; owned rows no needed measure selects are settled
//! there), `sort_candidates`, one `Pass` over them that enters each into its measures, then
//! `compute_components` and `record_outcomes`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::bind::{BoundPlan, BoundValue, Source};
use super::component::{self, Span};
use super::credit::{self, Grant, OwnedSlice};
use super::{ComponentResult, Context, Credit, Outcome, RepResult};
use crate::data::{CreditKind, Rep};
use crate::diag::Diagnostic;
use crate::period::Period;
use crate::plan::{ComponentKind, MeasureCredit, Plan};

pub(crate) struct RepOutcome {
    /// One result per plan the rep was on in the run (one, unless the plan changed).
    pub results: Vec<RepResult>,
    pub diags: Vec<Diagnostic>,
    pub exceptions: Vec<Diagnostic>,
}

/// A deal as it enters a measure: when, and its credit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub date: NaiveDate,
    pub credit: Credit,
}

/// What a component's computation reads about the rep.
pub(crate) struct RepCtx<'a> {
    pub ctx: &'a Context<'a>,
    pub plan: &'a Plan,
    pub bound: &'a BoundPlan,
    pub rep_index: u32,
    pub rep: &'a Rep,
    /// When the rep is on the plan, and the target incentive that goes with it.
    pub segment: Segment,
    /// Per measure of the plan: the rep's selected deals while active, in (date, id) order.
    pub entries: Vec<Vec<Entry>>,
}

impl RepCtx<'_> {
    /// Entries of measure `m` dated in `[from, to]`.
    pub fn entries_between(&self, m: usize, from: NaiveDate, to: NaiveDate) -> &[Entry] {
        let e = &self.entries[m];
        let lo = e.partition_point(|x| x.date < from);
        let hi = e.partition_point(|x| x.date <= to);
        &e[lo..hi]
    }

    /// Measure `m` accumulated over `[from, to]`.
    pub fn sum_between(&self, m: usize, from: NaiveDate, to: NaiveDate) -> Decimal {
        self.entries_between(m, from, to)
            .iter()
            .map(|e| e.credit.credited)
            .sum()
    }
}

impl RepOutcome {
    /// The outcome of a rep whose computation overflowed: one error, nothing paid.
    pub(crate) fn overflow(ctx: &Context, rep_index: u32) -> RepOutcome {
        let rep = ctx.inputs.roster.get(rep_index);
        let file = rep.plan.map_or(ctx.inputs.roster.file.clone(), |p| {
            ctx.inputs.plans[p].file.clone()
        });
        RepOutcome {
            results: Vec::new(),
            diags: vec![Diagnostic::error(
                "amount-out-of-range",
                file,
                format!(
                    "computing rep `{}` overflows: an amount, rate, quota, factor or target incentive is so large that a result needs more than 28 significant digits",
                    rep.id
                ),
            )
            .hint("check the plan's numbers and the rep's data for a misplaced decimal point")],
            exceptions: Vec::new(),
        }
    }
}

/// A stretch of time the rep is on one plan: the roster's plan (no dates), or an assignment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub plan: usize,
    /// The assignment's dates (None: the roster's plan, always).
    pub assignment: Option<(NaiveDate, Option<NaiveDate>)>,
    /// First and last day the rep is both employed and on the plan (None: open).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Annual target incentive for the stretch (the assignment's, else the roster's).
    pub target_incentive: Option<Decimal>,
}

impl Segment {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= date) && self.to.is_none_or(|t| date <= t)
    }

    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= to) && self.to.is_none_or(|t| from <= t)
    }
}

fn segments(ctx: &Context, rep: &Rep, rep_index: u32) -> Vec<Segment> {
    let clip = |from: Option<NaiveDate>, to: Option<NaiveDate>| {
        let from = match (from, rep.start_date) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let to = match (
            to,
            super::leavers::last_credited_day(ctx.inputs, rep_index, rep),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (from, to)
    };
    match ctx.inputs.assignments.rows_of(rep_index) {
        [] => rep
            .plan
            .map(|plan| {
                let (from, to) = clip(None, None);
                Segment {
                    plan,
                    assignment: None,
                    from,
                    to,
                    target_incentive: rep.target_incentive,
                }
            })
            .into_iter()
            .collect(),
        rows => rows
            .iter()
            .map(|a| {
                let (from, to) = clip(Some(a.from), a.to);
                Segment {
                    plan: a.value.plan,
                    assignment: Some((a.from, a.to)),
                    from,
                    to,
                    target_incentive: a.value.target_incentive.or(rep.target_incentive),
                }
            })
            .filter(|s| !matches!((s.from, s.to), (Some(f), Some(t)) if t < f))
            .collect(),
    }
}

/// The dates a run of period `run` looks at for `plan`, whoever the rep: from the start of the
/// measurement period of the first payout period in the run to the end of the last.
pub(crate) fn run_window(plan: &Plan, run: Period) -> Option<(NaiveDate, NaiveDate)> {
    plan.components
        .iter()
        .filter(|c| !matches!(c.kind, ComponentKind::PlanCap(_)))
        .filter_map(|comp| {
            let mut in_run = run.periods_ending_in(comp.payout_period);
            let first = in_run.next()?;
            let last = in_run.last().unwrap_or(first);
            Some((first.within(comp.measurement_period).start(), last.end()))
        })
        .fold(None, |acc: Option<(NaiveDate, NaiveDate)>, (a, b)| {
            Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
        })
}

/// Record a row's outcome from one credit: the strongest outcome of all its credits stays (see
/// [`Outcome`]); a commutative maximum, so the result does not depend on thread scheduling. When
/// every row has exactly one credit (its owner's, under one plan), a plain store does. A rep
/// recomputed after the run (see [`super::Tracer`]) records nothing: the run took the outcomes.
fn record(ctx: &Context, row: u32, o: Outcome) {
    use std::sync::atomic::Ordering::Relaxed;
    let Some(cell) = ctx.outcomes.get(row as usize) else {
        return;
    };
    if ctx.one_credit_per_row {
        cell.store(o as u8, Relaxed);
    } else {
        cell.fetch_max(o as u8, Relaxed);
    }
}

pub(crate) fn compute_rep(ctx: &Context, rep_index: u32) -> RepOutcome {
    let rep = ctx.inputs.roster.get(rep_index);
    let owned = ctx.credits.owned(rep_index);
    let masks = owned
        .unmasked_range()
        .map(|rows| credit::rep_selections(ctx.inputs, &ctx.plans, rep_index, rows));
    let owned = match &masks {
        Some(masks) => owned.with_masks(masks),
        None => owned,
    };
    let other = ctx.credits.other(rep_index);
    let mut out = RepOutcome {
        results: Vec::new(),
        diags: Vec::new(),
        exceptions: Vec::new(),
    };
    let segments = segments(ctx, rep, rep_index);
    if segments.is_empty() {
        for o in owned.iter() {
            record(ctx, o.row, Outcome::NoPlan);
        }
        for g in other {
            record(ctx, g.row, Outcome::NoPlan);
        }
        return out;
    }
    for seg in &segments {
        compute_segment(ctx, rep_index, rep, seg, owned, other, &mut out);
    }
    out
}

/// A credit a segment's plan reads: the row, and the index of its grant (`None`: owner, 100%).
#[derive(Clone, Copy)]
struct Candidate {
    date: NaiveDate,
    row: u32,
    grant: Option<u32>,
    /// The owner's selection mask from the file-order pass, or [`credit::UNKNOWN`].
    mask: u8,
    /// (close day, row) packed for sorting an owner's credit; `u64::MAX` for a grant or a date out
    /// of the 16-bit day range (then the full comparison sorts).
    key: u64,
    /// The credit's index in the rep's owned slice, `u32::MAX` for a grant.
    at: u32,
}

/// Sort items on a key that packs (day, row) as `day << 32 | row`: into day buckets when the rows
/// already ascend and the days span a short range (a rep's year of deals: no comparisons, and the
/// bucket fill keeps each day's rows in order), by comparison otherwise. Either way the result is
/// `sort_unstable_by_key(key)` (keys are distinct).
fn sort_packed_keys<T: Copy>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    const MAX_SPAN: u64 = 4096;
    let Some(first) = items.first() else { return };
    let (mut lo, mut hi) = (key(first) >> 32, key(first) >> 32);
    let mut rows_ascend = true;
    for pair in items.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        rows_ascend &= (a as u32) < (b as u32);
        lo = lo.min(b >> 32);
        hi = hi.max(b >> 32);
    }
    if !rows_ascend || items.len() < 64 || hi - lo >= MAX_SPAN {
        items.sort_unstable_by_key(key);
        return;
    }
    let mut next = vec![0u32; (hi - lo + 2) as usize];
    for item in items.iter() {
        next[((key(item) >> 32) - lo + 1) as usize] += 1;
    }
    for d in 1..next.len() {
        next[d] += next[d - 1];
    }
    let mut sorted = items.clone();
    for item in items.iter() {
        let slot = &mut next[((key(item) >> 32) - lo) as usize];
        sorted[*slot as usize] = *item;
        *slot += 1;
    }
    *items = sorted;
}

/// One plan stretch of the rep: the spans its components compute, the candidates (the rep's credits
/// the plan reads) in (date, id) order, one pass that enters them into the measures, the components,
/// then every candidate's outcome.
fn compute_segment(
    ctx: &Context,
    rep_index: u32,
    rep: &Rep,
    seg: &Segment,
    owned: OwnedSlice,
    other: &[Grant],
    out: &mut RepOutcome,
) {
    let plan = &ctx.inputs.plans[seg.plan];
    let spans = component_spans(plan, ctx.settings.period, seg);
    let active = needed_measures(plan, &spans);
    let unused = Unused::new(ctx, rep_index, rep, seg);
    let (mut keyed, unread) = candidates(ctx, plan, seg, owned, other, &active, &unused);
    sort_candidates(ctx, &mut keyed);
    let pass = Pass {
        ctx,
        plan,
        bound: &ctx.plans[seg.plan],
        seg,
        other,
        active: &active,
    };
    let (entries, marks) = pass.enter(&keyed, owned, out);

    let rc = RepCtx {
        ctx,
        plan,
        bound: pass.bound,
        rep_index,
        rep,
        segment: *seg,
        entries,
    };
    let components = compute_components(&rc, &spans, out);
    record_outcomes(ctx, &keyed, &marks, &unread, &unused);
    out.results.push(RepResult {
        rep: rep_index,
        plan: seg.plan,
        assignment: seg.assignment,
        components,
    });
}

/// Which payout periods each component computes: those ending in the run period while the rep is
/// on the plan, preceded by the earlier ones of their measurement period (and plan cap period) for
/// the true-up. `None` for a component with no payout period in the run.
fn component_spans(plan: &Plan, run: Period, seg: &Segment) -> Vec<Option<Span>> {
    let cap_period = plan.components.iter().find_map(|c| match &c.kind {
        ComponentKind::PlanCap(pc) => Some(pc.period),
        _ => None,
    });
    plan.components
        .iter()
        .map(|comp| {
            let in_run: SmallVec<[Period; 12]> = run
                .periods_ending_in(comp.payout_period)
                .filter(|p| seg.overlaps(p.start(), p.end()))
                .collect();
            let first = *in_run.first()?;
            let last = *in_run.last()?;
            let mut start = first.within(comp.measurement_period).start();
            if let Some(cp) = cap_period {
                start = start.min(first.within(cp).start());
            }
            Some(Span {
                start,
                end: last.end(),
                in_run,
            })
        })
        .collect()
}

/// The measures the computed components read (their own, their gate's and multiplier's, the
/// weighted ones), each with the dates it is read over: (measure, from, to), by measure.
fn needed_measures(plan: &Plan, spans: &[Option<Span>]) -> Vec<(usize, NaiveDate, NaiveDate)> {
    let mut needed: Vec<Option<(NaiveDate, NaiveDate)>> = vec![None; plan.measures.len()];
    for (comp, span) in plan.components.iter().zip(spans) {
        let Some(span) = span else { continue };
        if matches!(comp.kind, ComponentKind::PlanCap(_)) {
            continue;
        }
        let from = span.start;
        let mut touch = |m: usize| {
            needed[m] = Some(match needed[m] {
                None => (from, span.end),
                Some((a, b)) => (a.min(from), b.max(span.end)),
            });
        };
        touch(comp.measure);
        if let Some(g) = &comp.gate {
            touch(g.measure);
        }
        if let Some(m) = &comp.multiplier {
            touch(m.measure);
        }
        comp.weighted_measures().for_each(touch);
    }
    needed
        .iter()
        .enumerate()
        .filter_map(|(m, r)| r.map(|(a, b)| (m, a, b)))
        .collect()
}

/// The outcome of a credit that entered no measure (it was not selected, or not dated in range).
struct Unused<'a> {
    ctx: &'a Context<'a>,
    seg: &'a Segment,
    rep: &'a Rep,
    /// The dates the run looks at for this plan, whoever the rep: a deal outside them is out of
    /// period; inside them, not being employed or not on the plan says more.
    window: Option<(NaiveDate, NaiveDate)>,
    /// A leaver is credited until their end date plus the plan's leaver window.
    last_day: Option<NaiveDate>,
}

impl<'a> Unused<'a> {
    fn new(ctx: &'a Context<'a>, rep_index: u32, rep: &'a Rep, seg: &'a Segment) -> Self {
        Unused {
            ctx,
            seg,
            rep,
            window: ctx.run_windows[seg.plan],
            last_day: super::leavers::last_credited_day(ctx.inputs, rep_index, rep),
        }
    }

    fn outcome(&self, row: u32, date: NaiveDate, selected: bool) -> Outcome {
        if !selected && self.undated(row) {
            Outcome::Filtered
        } else if self.window.is_none_or(|(a, b)| date < a || date > b) {
            Outcome::OutOfPeriod
        } else if !self.credited_on(date) {
            Outcome::RepInactive
        } else if !self.seg.covers(date) {
            Outcome::NoPlan
        } else if selected {
            Outcome::OutOfPeriod
        } else {
            Outcome::Filtered
        }
    }

    /// Whether the rep is credited on `date`: employed, or a leaver within the leaver window.
    fn credited_on(&self, date: NaiveDate) -> bool {
        self.rep.start_date.is_none_or(|s| s <= date) && self.last_day.is_none_or(|l| date <= l)
    }

    /// A deal without a close date that no measure selects is in no period: its filter says why.
    fn undated(&self, row: u32) -> bool {
        let deals = &self.ctx.inputs.deals;
        self.ctx.blank_close_dates && deals.columns[deals.close_date].date(row as usize).is_none()
    }
}

/// Whether the plan reads a grant: a territory grant when it credits by that holder column, a
/// roll-up when it has one, the others when it credits no holder column.
fn plan_reads(plan: &Plan, holder_column: Option<usize>, g: &Grant) -> bool {
    match g.kind {
        CreditKind::Owner | CreditKind::Split | CreditKind::Overlay => holder_column.is_none(),
        CreditKind::Territory => holder_column == Some(g.via as usize),
        CreditKind::Rollup => plan.crediting.rollup.is_some(),
    }
}

/// The rep's credits the plan reads (unsorted), and the rows it does not read (owned rows when
/// the plan credits a holder column, grants of another kind). The owner's selections were computed
/// in file order for the roster's plan: an owned row that no needed measure selects is settled
/// here (its outcome recorded), without reading its value or sorting it.
fn candidates(
    ctx: &Context,
    plan: &Plan,
    seg: &Segment,
    owned: OwnedSlice,
    other: &[Grant],
    active: &[(usize, NaiveDate, NaiveDate)],
    unused: &Unused,
) -> (Vec<Candidate>, Vec<u32>) {
    let deals = &ctx.inputs.deals;
    let holder_column = plan
        .crediting
        .holder_of
        .as_deref()
        .and_then(|c| deals.column(c));
    let precomputed = seg.assignment.is_none();
    let own_needed: u8 = active
        .iter()
        .filter(|&&(m, _, _)| plan.measures[m].credit == MeasureCredit::Own)
        .fold(0, |mask, &(m, _, _)| mask | (1 << m));
    let mut keyed: Vec<Candidate> = Vec::with_capacity(owned.len() + other.len());
    let mut unread: Vec<u32> = Vec::new();
    if holder_column.is_none() {
        for (at, o) in owned.iter().enumerate() {
            let mask = if precomputed { o.mask } else { credit::UNKNOWN };
            if mask != credit::UNKNOWN && mask & own_needed == 0 {
                record(ctx, o.row, unused.outcome(o.row, o.date, false));
            } else {
                keyed.push(Candidate {
                    date: o.date,
                    row: o.row,
                    grant: None,
                    mask,
                    key: if o.day == credit::FAR_DAY {
                        u64::MAX
                    } else {
                        (o.day as u64) << 32 | o.row as u64
                    },
                    at: at as u32,
                });
            }
        }
    } else {
        unread.extend(owned.rows());
    }
    for (i, g) in other.iter().enumerate() {
        if plan_reads(plan, holder_column, g) {
            keyed.push(Candidate {
                date: deals.close_date(g.row as usize),
                row: g.row,
                grant: Some(i as u32),
                mask: credit::UNKNOWN,
                key: u64::MAX,
                at: u32::MAX,
            });
        } else {
            unread.push(g.row);
        }
    }
    (keyed, unread)
}

/// (date, id) order; when ids increase in file order, (date, file row) is the same order (and
/// (date, row) for a rep's own deals, in file order within the rep's rows) and the ids are not
/// read at all; otherwise they are compared only between deals of one day.
fn sort_candidates(ctx: &Context, keyed: &mut Vec<Candidate>) {
    let deals = &ctx.inputs.deals;
    if ctx.ids_ascending && keyed.iter().all(|c| c.key != u64::MAX) {
        // Owner credits only, dated in the day range: (day, row) packed in one integer.
        sort_packed_keys(keyed, |c| c.key);
    } else if ctx.ids_ascending {
        keyed.sort_unstable_by_key(|c| (c.date, deals.file_row(c.row as usize), c.grant));
    } else {
        keyed.sort_unstable_by(|a, b| {
            a.date
                .cmp(&b.date)
                .then_with(|| {
                    deals
                        .id_key(a.row as usize)
                        .cmp(deals.id_key(b.row as usize))
                })
                .then_with(|| a.grant.cmp(&b.grant))
        });
    }
}

/// What the pass learnt of each candidate (by its place in the sorted candidates).
struct Marks {
    /// Some measure selects it.
    selected: Vec<bool>,
    /// It entered a measure.
    used: Vec<bool>,
    /// It was set aside (lenient mode): it leaves every measure.
    excepted: Vec<bool>,
    /// Cancelled, and the plan's clawback takes it out of the measures.
    cancelled: Vec<bool>,
}

/// What the pass over a segment's candidates reads.
struct Pass<'a> {
    ctx: &'a Context<'a>,
    plan: &'a Plan,
    bound: &'a BoundPlan,
    seg: &'a Segment,
    other: &'a [Grant],
    active: &'a [(usize, NaiveDate, NaiveDate)],
}

impl Pass<'_> {
    /// One pass over the rep's candidates, every needed measure per deal: the entries of each
    /// measure in (date, deal id) order, without the excepted deals, and the marks.
    fn enter(
        &self,
        keyed: &[Candidate],
        owned: OwnedSlice,
        out: &mut RepOutcome,
    ) -> (Vec<Vec<Entry>>, Marks) {
        let n = keyed.len();
        let mut marks = Marks {
            selected: vec![false; n],
            used: vec![false; n],
            excepted: vec![false; n],
            cancelled: vec![false; n],
        };
        let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); self.plan.measures.len()];
        for &(m, _, _) in self.active {
            entries[m].reserve(n);
        }
        let primary = self.primary_source();
        let fetched = self.fetch(keyed, owned, primary);
        for (local, cand) in keyed.iter().enumerate() {
            self.enter_candidate(
                local,
                cand,
                primary,
                fetched[local],
                &mut marks,
                &mut entries,
                out,
            );
        }
        self.sort_by_other_dates(&mut entries);
        drop_excepted(keyed, &marks.excepted, &mut entries);
        (entries, marks)
    }

    /// The source of the first needed measure that reads a number: its cells are fetched ahead.
    fn primary_source(&self) -> Option<Source> {
        self.active
            .iter()
            .find_map(|&(m, _, _)| match self.bound.measures[m].value {
                BoundValue::Number { source, .. } => Some(source),
                BoundValue::Count => None,
            })
    }

    /// The cells the measures read, fetched ahead in one tight pass: a rep's deals are scattered
    /// through the table, and independent reads overlap, where in the pass each would stall it.
    /// An owned deal's amount and currency were gathered beside it by the counting sort (read there
    /// in file order); a grant's are read from the table.
    fn fetch(
        &self,
        keyed: &[Candidate],
        owned: OwnedSlice,
        primary: Option<Source>,
    ) -> Vec<Fetched> {
        let deals = &self.ctx.inputs.deals;
        let primary_gathered = matches!(
            (primary, owned.gathered_column()),
            (Some(Source::Column(c)), Some(g)) if c == g
        );
        keyed
            .iter()
            .map(|c| {
                let (value, currency) = if c.at == u32::MAX {
                    (None, None)
                } else {
                    owned.gathered(c.at as usize)
                };
                let row = c.row as usize;
                Fetched {
                    number: match value {
                        Some(v) if primary_gathered => Some(v),
                        _ => primary.and_then(|s| self.bound.number(deals, s, row)),
                    },
                    currency: currency.unwrap_or_else(|| deals.currency_code(row)),
                }
            })
            .collect()
    }

    /// Enters one candidate into every needed measure that selects it and dates it in range,
    /// valued (converted, cut to its kept share when cancelled, times its grant's share); marks it.
    #[allow(clippy::too_many_arguments)]
    fn enter_candidate(
        &self,
        local: usize,
        cand: &Candidate,
        primary: Option<Source>,
        fetched: Fetched,
        marks: &mut Marks,
        entries: &mut [Vec<Entry>],
        out: &mut RepOutcome,
    ) {
        let (ctx, plan, bound) = (self.ctx, self.plan, self.bound);
        let deals = &ctx.inputs.deals;
        let r = cand.row as usize;
        let grant = cand.grant.map(|i| &self.other[i as usize]);
        let rolled_up = grant.is_some_and(|g| g.kind == CreditKind::Rollup);
        let mask = cand.mask;
        for &(m, from, to) in self.active {
            let measure = &bound.measures[m];
            if (plan.measures[m].credit == MeasureCredit::Team) != rolled_up {
                continue;
            }
            let selects = if mask == credit::UNKNOWN {
                bound.selects(deals, m, r)
            } else {
                mask & (1 << m) != 0
            };
            if !selects {
                continue;
            }
            marks.selected[local] = true;
            let Some(date) =
                self.measure_date(measure.date_column, cand, &mut marks.excepted[local], out)
            else {
                continue;
            };
            if date < from || date > to || !self.seg.covers(date) {
                continue;
            }
            let number = match measure.value {
                BoundValue::Number { source, .. } if Some(source) != primary => {
                    bound.number(deals, source, r)
                }
                _ => fetched.number,
            };
            let currency = deals.currency_of_code(fetched.currency);
            // The credit is made where it is kept, and its share applied there (moving a credit
            // through results and back cost more than computing it).
            match credit_value(ctx, plan, measure.value, r, date, number, currency) {
                Ok(credit) => {
                    entries[m].push(Entry { date, credit });
                    let last = entries[m].len() - 1;
                    if self.hold_share(&mut entries[m][last].credit, grant) {
                        marks.used[local] = true;
                    } else {
                        entries[m].pop();
                        marks.cancelled[local] = true;
                    }
                }
                Err(d) => set_aside(ctx, out, &mut marks.excepted[local], *d),
            }
        }
    }

    /// The date a measure places a candidate at: its close date, or the measure's own date column;
    /// `None` when it has none (a blank close date, where blank close dates are allowed, sets the
    /// deal aside: it cannot be placed in a period).
    fn measure_date(
        &self,
        date_column: usize,
        cand: &Candidate,
        excepted: &mut bool,
        out: &mut RepOutcome,
    ) -> Option<NaiveDate> {
        let deals = &self.ctx.inputs.deals;
        let r = cand.row as usize;
        if date_column != deals.close_date {
            return deals.columns[date_column].date(r);
        }
        if self.ctx.blank_close_dates && deals.columns[deals.close_date].date(r).is_none() {
            set_aside(
                self.ctx,
                out,
                excepted,
                no_close_date(self.ctx, self.plan, r),
            );
            return None;
        }
        Some(cand.date)
    }

    /// The credit as it enters the measure: a cancelled deal leaves the measure (`false`; its
    /// cancelled part, when partial) if the plan's clawback reduces attainment (see
    /// super::payment); a grant's credit is its share, of its kind.
    fn hold_share(&self, credit: &mut Credit, grant: Option<&Grant>) -> bool {
        let deals = &self.ctx.inputs.deals;
        if let Some(kept) = super::payment::kept_share(deals, self.plan, credit.deal as usize) {
            if kept.is_zero() {
                return false;
            }
            credit.credited *= kept;
        }
        if let Some(g) = grant {
            credit.share = g.share;
            credit.kind = g.kind;
            credit.via = g.via;
            credit.credited *= g.share;
        }
        true
    }

    /// Entries arrive in (close date, id) order; a measure dated by another column is sorted again
    /// by its own date, then id.
    fn sort_by_other_dates(&self, entries: &mut [Vec<Entry>]) {
        let deals = &self.ctx.inputs.deals;
        for &(m, _, _) in self.active {
            if self.bound.measures[m].date_column != deals.close_date {
                entries[m].sort_unstable_by(|a, b| {
                    a.date.cmp(&b.date).then_with(|| {
                        deals.id_order(a.credit.deal as usize, b.credit.deal as usize)
                    })
                });
            }
        }
    }
}

/// An excepted deal leaves every measure, including those it entered before it was set aside.
fn drop_excepted(keyed: &[Candidate], excepted: &[bool], entries: &mut [Vec<Entry>]) {
    if !excepted.iter().any(|&e| e) {
        return;
    }
    let excepted_rows: Vec<u32> = keyed
        .iter()
        .zip(excepted)
        .filter(|(_, &e)| e)
        .map(|(c, _)| c.row)
        .collect();
    for list in entries {
        list.retain(|e| !excepted_rows.contains(&e.credit.deal));
    }
}

/// Every component with a span, in plan order; a plan cap reads the components before it.
fn compute_components(
    rc: &RepCtx,
    spans: &[Option<Span>],
    out: &mut RepOutcome,
) -> Vec<ComponentResult> {
    let mut components: Vec<ComponentResult> = Vec::new();
    for (ci, span) in spans.iter().enumerate() {
        let Some(span) = span else { continue };
        let periods = match &rc.plan.components[ci].kind {
            ComponentKind::PlanCap(pc) => {
                component::compute_plan_cap(rc, ci, pc, span, &components)
            }
            _ => component::compute_component(rc, ci, span, &mut out.diags),
        };
        components.push(ComponentResult {
            component: ci,
            periods,
        });
    }
    components
}

/// Each candidate's outcome (excepted, credited, cancelled, else why it entered no measure), and
/// `NotCredited` for the rows the plan does not read.
fn record_outcomes(
    ctx: &Context,
    keyed: &[Candidate],
    marks: &Marks,
    unread: &[u32],
    unused: &Unused,
) {
    for (local, cand) in keyed.iter().enumerate() {
        let status = if marks.excepted[local] {
            Outcome::Exception
        } else if marks.used[local] {
            Outcome::Credited
        } else if marks.cancelled[local] {
            Outcome::Cancelled
        } else {
            unused.outcome(cand.row, cand.date, marks.selected[local])
        };
        record(ctx, cand.row, status);
    }
    for &r in unread {
        record(ctx, r, Outcome::NotCredited);
    }
}

/// A selected deal that cannot be credited: an error, or in lenient mode an exception (once per
/// deal; it leaves every measure of the run).
fn set_aside(ctx: &Context, out: &mut RepOutcome, excepted: &mut bool, d: Diagnostic) {
    if !ctx.settings.lenient {
        out.diags.push(d);
    } else if !*excepted {
        out.exceptions.push(d);
        *excepted = true;
    }
}

/// `value-missing` for a deal a measure selects whose close date is empty.
fn no_close_date(ctx: &Context, plan: &Plan, row: usize) -> Diagnostic {
    let deals = &ctx.inputs.deals;
    Diagnostic::error(
        "value-missing",
        &deals.file,
        format!(
            "deal `{}` is selected by plan `{}` but its close date is empty, so it belongs to no period",
            deals.id(row),
            plan.id
        ),
    )
    .line(deals.line(row))
    .col_name(deals.columns[deals.close_date].header.clone())
    .hint("write the close date, or leave the deal out of the plan's measures (e.g. by its stage)")
}

/// A candidate's cells, read ahead of the computation: the value of the measures' (first) source
/// and the currency code.
#[derive(Clone, Copy)]
struct Fetched {
    number: Option<Decimal>,
    currency: u32,
}

/// The deal's value for a measure (`number`: its source's cell, read by the caller), converted
/// to the plan currency when it is money.
fn credit_value(
    ctx: &Context,
    plan: &Plan,
    value: BoundValue,
    row: usize,
    date: NaiveDate,
    number: Option<Decimal>,
    currency: &str,
) -> Result<Credit, Box<Diagnostic>> {
    let deals = &ctx.inputs.deals;
    let (source, money) = match value {
        BoundValue::Count => {
            return Ok(Credit::owner(
                row as u32,
                date,
                Decimal::ONE,
                None,
                Decimal::ONE,
            ))
        }
        BoundValue::Number { source, money } => (source, money),
    };
    let Some(value) = number else {
        let what = match source {
            super::Source::Column(i) => format!("its `{}` is empty", deals.columns[i].name),
            super::Source::Derived(i) => format!(
                "its derived value `{}` is empty (an operand is empty)",
                plan.values[i].name
            ),
        };
        let mut d = Diagnostic::error(
            "value-missing",
            &deals.file,
            format!(
                "deal `{}` is selected by plan `{}` but {what}",
                deals.id(row),
                plan.id
            ),
        )
        .line(deals.line(row));
        if let super::Source::Column(i) = source {
            d = d.col_name(deals.columns[i].header.clone());
        }
        return Err(Box::new(d));
    };
    if money && currency.is_empty() {
        if let Some(c) = deals.currency {
            return Err(Box::new(
                Diagnostic::error(
                    "value-missing",
                    &deals.file,
                    format!(
                        "deal `{}` is selected by plan `{}` but its currency is empty",
                        deals.id(row),
                        plan.id
                    ),
                )
                .line(deals.line(row))
                .col_name(deals.columns[c].header.clone())
                .hint(format!("write the currency code, e.g. {}", plan.currency)),
            ));
        }
    }
    // A deal without a currency (the deals file has no such column) is in the workspace currency.
    let fx = &ctx.inputs.fx;
    let currency = if currency.is_empty() {
        fx.base.as_str()
    } else {
        currency
    };
    if !money {
        return Ok(Credit::owner(row as u32, date, value, None, value));
    }
    match fx.cross(currency, &plan.currency, date) {
        Ok(None) => Ok(Credit::owner(row as u32, date, value, None, value)),
        Ok(Some(rate)) => Ok(Credit::owner(
            row as u32,
            date,
            value,
            Some(rate),
            value * rate,
        )),
        Err(missing) => Err(Box::new(
            Diagnostic::error(
                "fx-rate-missing",
                &deals.file,
                format!(
                    "no {missing} rate on or before {date} to convert deal `{}` from {currency} into {}",
                    deals.id(row),
                    plan.currency
                ),
            )
            .line(deals.line(row))
            .value(currency)
            .hint(format!(
                "add a row `{missing},<date on or before {date}>,<{} per {missing}>` to {}",
                fx.base,
                if fx.file.is_empty() {
                    "an fx file ([fx] in the workspace)".to_string()
                } else {
                    fx.file.clone()
                }
            )),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::sort_packed_keys;
    use proptest::prelude::*;

    proptest! {
        /// Day buckets give the order a comparison sort gives, whatever the days and rows (rows
        /// ascending or not, spans short or long, few items or many).
        #[test]
        fn packed_keys_sort_as_compared(
            days in proptest::collection::vec(0u64..6000, 0..300),
            span in prop_oneof![Just(1u64), Just(31), Just(400), Just(6000)],
            shuffle in any::<bool>(),
        ) {
            // Rows ascend in file order (gaps between them), unless shuffled.
            let mut keys: Vec<u64> = days
                .iter()
                .enumerate()
                .map(|(i, d)| (20_000 + d % span) << 32 | (3 * i as u64 + 7))
                .collect();
            if shuffle {
                keys.reverse();
            }
            let mut expected = keys.clone();
            expected.sort_unstable();
            sort_packed_keys(&mut keys, |&k| k);
            prop_assert_eq!(keys, expected);
        }
    }
}
