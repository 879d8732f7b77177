//! One rep's computation: per plan the rep is on (the roster's, or each assignment's stretch), which
//! of the rep's credits enter which measure (while employed and on the plan), their values in the
//! plan currency, which periods each component computes, and the outcome of every credited row.
//!
//! Invariants: every row credited to the rep records an outcome for each plan stretch that reads it
//! (rows merge to their strongest outcome, see [`super::Outcome`]); a row is `Credited` only when it
//! lies in a range some component (or its gate or multiplier) actually computes; entries of a
//! measure are in (date, deal id) order, so results do not depend on input row order.

use chrono::NaiveDate;
use rust_decimal::Decimal;

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
            let in_run: Vec<Period> = run
                .periods_of(comp.payout_period)
                .into_iter()
                .filter(|p| run.contains(p.end()))
                .collect();
            let first = in_run.first()?;
            Some((
                first.within(comp.measurement_period).start(),
                in_run.last()?.end(),
            ))
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

fn compute_segment(
    ctx: &Context,
    rep_index: u32,
    rep: &Rep,
    seg: &Segment,
    owned: OwnedSlice,
    other: &[Grant],
    out: &mut RepOutcome,
) {
    let inputs = ctx.inputs;
    let deals = &inputs.deals;
    let plan_index = seg.plan;
    let plan = &inputs.plans[plan_index];
    let bound = &ctx.plans[plan_index];
    let run = ctx.settings.period;
    let holder_column = plan
        .crediting
        .holder_of
        .as_deref()
        .and_then(|c| deals.column(c));
    let reads = |g: &Grant| match g.kind {
        CreditKind::Owner | CreditKind::Split | CreditKind::Overlay => holder_column.is_none(),
        CreditKind::Territory => holder_column == Some(g.via as usize),
        CreditKind::Rollup => plan.crediting.rollup.is_some(),
    };
    // Which payout periods each component computes: those ending in the run period while the rep is
    // on the plan, preceded by the earlier ones of their measurement period (and plan cap period) for the true-up.
    let cap_period = plan.components.iter().find_map(|c| match &c.kind {
        ComponentKind::PlanCap(pc) => Some(pc.period),
        _ => None,
    });
    let spans: Vec<Option<Span>> = plan
        .components
        .iter()
        .map(|comp| {
            let in_run: Vec<Period> = run
                .periods_of(comp.payout_period)
                .into_iter()
                .filter(|p| run.contains(p.end()) && seg.overlaps(p.start(), p.end()))
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
        .collect();

    // The measures the computed components read, and over which dates.
    let mut needed: Vec<Option<(NaiveDate, NaiveDate)>> = vec![None; plan.measures.len()];
    for (comp, span) in plan.components.iter().zip(&spans) {
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

    let active: Vec<(usize, NaiveDate, NaiveDate)> = needed
        .iter()
        .enumerate()
        .filter_map(|(m, r)| r.map(|(a, b)| (m, a, b)))
        .collect();

    // The dates the run looks at for this plan, whoever the rep: a deal outside them is out of
    // period; inside them, not being employed or not on the plan says more.
    let window = run_window(plan, run);
    // The outcome of a credit that entered no measure (it was not selected, or not dated in range).
    // A leaver is credited until their end date plus the plan's leaver window.
    let last_day = super::leavers::last_credited_day(inputs, rep_index, rep);
    let credited_on =
        |d: NaiveDate| rep.start_date.is_none_or(|s| s <= d) && last_day.is_none_or(|l| d <= l);
    // A deal without a close date that no measure selects is in no period: its filter says why.
    let undated = |row: u32| {
        ctx.blank_close_dates && deals.columns[deals.close_date].date(row as usize).is_none()
    };
    let unused = |row: u32, date: NaiveDate, selected: bool| {
        if !selected && undated(row) {
            Outcome::Filtered
        } else if window.is_none_or(|(a, b)| date < a || date > b) {
            Outcome::OutOfPeriod
        } else if !credited_on(date) {
            Outcome::RepInactive
        } else if !seg.covers(date) {
            Outcome::NoPlan
        } else if selected {
            Outcome::OutOfPeriod
        } else {
            Outcome::Filtered
        }
    };

    // The owner's selections were computed in file order for the roster's plan: an owned row that
    // no needed measure selects is settled here, without reading its value or sorting it.
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
                record(ctx, o.row, unused(o.row, o.date, false));
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
        unread.extend_from_slice(owned.rows());
    }
    for (i, g) in other.iter().enumerate() {
        if reads(g) {
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
    // (date, id) order; when ids increase in file order, (date, row) is the same order and the ids
    // are not read at all; otherwise they are compared only between deals of one day.
    if ctx.ids_ascending && keyed.iter().all(|c| c.key != u64::MAX) {
        // Owner credits only, dated in the day range: (day, row) packed in one integer.
        sort_packed_keys(&mut keyed, |c| c.key);
    } else if ctx.ids_ascending {
        keyed.sort_unstable_by_key(|c| (c.date, c.row, c.grant));
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
    let grant_of = |c: &Candidate| c.grant.map(|i| &other[i as usize]);

    let mut selected = vec![false; keyed.len()];
    let mut used = vec![false; keyed.len()];
    let mut excepted = vec![false; keyed.len()];
    let mut cancelled = vec![false; keyed.len()];
    let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); plan.measures.len()];
    for &(m, _, _) in &active {
        entries[m].reserve(keyed.len());
    }
    // The cells the measures read, fetched ahead in one tight pass: a rep's deals are scattered
    // through the table, and independent reads overlap, where in the loop below each would stall it.
    let primary = active
        .iter()
        .find_map(|&(m, _, _)| match bound.measures[m].value {
            BoundValue::Number { source, .. } => Some(source),
            BoundValue::Count => None,
        });
    // An owned deal's amount and currency were gathered beside it by the counting sort (read there
    // in file order); a grant's are read from the table.
    let primary_gathered = matches!(
        (primary, owned.gathered_column()),
        (Some(Source::Column(c)), Some(g)) if c == g
    );
    let fetched: Vec<Fetched> = keyed
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
                    _ => primary.and_then(|s| bound.number(deals, s, row)),
                },
                currency: currency.unwrap_or_else(|| deals.currency_code(row)),
            }
        })
        .collect();
    // One pass over the rep's deals, every needed measure per deal.
    for (local, cand) in keyed.iter().enumerate() {
        let r = cand.row as usize;
        let grant = grant_of(cand);
        let rolled_up = grant.is_some_and(|g| g.kind == CreditKind::Rollup);
        let mask = cand.mask;
        for &(m, from, to) in &active {
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
            selected[local] = true;
            let date = if measure.date_column == deals.close_date {
                if ctx.blank_close_dates && deals.columns[deals.close_date].date(r).is_none() {
                    // Without a close date the deal cannot be placed in a period.
                    set_aside(ctx, out, &mut excepted[local], no_close_date(ctx, plan, r));
                    continue;
                }
                cand.date
            } else {
                match deals.columns[measure.date_column].date(r) {
                    Some(d) => d,
                    None => continue,
                }
            };
            if date < from || date > to || !seg.covers(date) {
                continue;
            }
            let number = match measure.value {
                BoundValue::Number { source, .. } if Some(source) != primary => {
                    bound.number(deals, source, r)
                }
                _ => fetched[local].number,
            };
            let currency = deals.currency_of_code(fetched[local].currency);
            match credit_value(ctx, plan, measure.value, r, date, number, currency) {
                Ok(mut credit) => {
                    // A cancelled deal leaves the measure (its cancelled part, when partial) if
                    // the plan's clawback reduces attainment (see super::payment).
                    if let Some(kept) = super::payment::kept_share(deals, plan, r) {
                        if kept.is_zero() {
                            cancelled[local] = true;
                            continue;
                        }
                        credit.credited *= kept;
                    }
                    if let Some(g) = grant {
                        credit.share = g.share;
                        credit.kind = g.kind;
                        credit.via = g.via;
                        credit.credited *= g.share;
                    }
                    used[local] = true;
                    entries[m].push(Entry { date, credit });
                }
                Err(d) => set_aside(ctx, out, &mut excepted[local], d),
            }
        }
    }
    for &(m, _, _) in &active {
        if bound.measures[m].date_column != deals.close_date {
            entries[m].sort_unstable_by(|a, b| {
                a.date
                    .cmp(&b.date)
                    .then_with(|| deals.id_order(a.credit.deal as usize, b.credit.deal as usize))
            });
        }
    }

    if excepted.iter().any(|&e| e) {
        let excepted_rows: Vec<u32> = keyed
            .iter()
            .zip(&excepted)
            .filter(|(_, &e)| e)
            .map(|(c, _)| c.row)
            .collect();
        for list in &mut entries {
            list.retain(|e| !excepted_rows.contains(&e.credit.deal));
        }
    }

    let rc = RepCtx {
        ctx,
        plan,
        bound,
        rep_index,
        rep,
        segment: *seg,
        entries,
    };
    let mut components: Vec<ComponentResult> = Vec::new();
    for (ci, span) in spans.iter().enumerate() {
        let Some(span) = span else { continue };
        let periods = match &plan.components[ci].kind {
            ComponentKind::PlanCap(pc) => {
                component::compute_plan_cap(&rc, ci, pc, span, &components)
            }
            _ => component::compute_component(&rc, ci, span, &mut out.diags),
        };
        components.push(ComponentResult {
            component: ci,
            periods,
        });
    }

    for (local, cand) in keyed.iter().enumerate() {
        let date = cand.date;
        let status = if excepted[local] {
            Outcome::Exception
        } else if used[local] {
            Outcome::Credited
        } else if cancelled[local] {
            Outcome::Cancelled
        } else {
            unused(cand.row, date, selected[local])
        };
        record(ctx, cand.row, status);
    }
    for &r in &unread {
        record(ctx, r, Outcome::NotCredited);
    }
    out.results.push(RepResult {
        rep: rep_index,
        plan: plan_index,
        assignment: seg.assignment,
        components,
    });
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
) -> Result<Credit, Diagnostic> {
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
        return Err(d);
    };
    if money && currency.is_empty() {
        if let Some(c) = deals.currency {
            return Err(Diagnostic::error(
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
            .hint(format!("write the currency code, e.g. {}", plan.currency)));
        }
    }
    if !money || currency.is_empty() || currency == plan.currency {
        return Ok(Credit::owner(row as u32, date, value, None, value));
    }
    match ctx.inputs.fx.rate_on(currency, date) {
        Some(rate) => Ok(Credit::owner(
            row as u32,
            date,
            value,
            Some(rate.rate),
            value * rate.rate,
        )),
        None => Err(Diagnostic::error(
            "fx-rate-missing",
            &deals.file,
            format!(
                "no {currency}→{} rate on or before {date} for deal `{}`",
                plan.currency,
                deals.id(row)
            ),
        )
        .line(deals.line(row))
        .value(currency)
        .hint(format!(
            "add a row `{currency},<date on or before {date}>,<rate>` to {}",
            if ctx.inputs.fx.file.is_empty() {
                "an fx file ([fx] in the workspace)".to_string()
            } else {
                ctx.inputs.fx.file.clone()
            }
        ))),
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
