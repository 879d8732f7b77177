//! One component of one rep: per measurement period, the base earning of its type (commission,
//! curve, bonus, SPIFF) walked deal by deal, then the modifiers applied to earned-to-date in a fixed
//! order — threshold catch-up, multiplier, gate, component cap — then rounding; and the plan cap,
//! computed from the other components' payables.
//!
//! Invariants: for every payout period, its lines sum exactly to its payable, because each modifier
//! contributes one line equal to the change of its adjustment since the previous payout period of the
//! same measurement period; earned-to-date is rounded once, at the end; a deal no rule prices still
//! counts toward the measure and is shown with a zero line.
//!
//! The steps: `measurement_period` finds the quota, computes the base earning (`commission`,
//! `curve`, `bonus`, `spiff`, each walking the deals), resolves the modifiers (`Modifiers`) and runs
//! `apply_chain` per payout period: `threshold_catch_up` → `multiplier` → `gate` →
//! `component_cap` → `round_earned`, each returning its adjustment to date and its note (`Effect`).
//! A commission's per-deal modifiers, in order: `cut_below_threshold` (a threshold without
//! catch-up), `deal_cap`, `deal_floor`, `cap_dimension` (`cap_by`).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::proration::Scale;
use super::rep::{Entry, RepCtx};
use super::result::{Detail, QuotaSlot};
use super::tiers::{Piece, PieceKind, Pieces, Schedule};
use super::{ComponentResult, Credit, Line, LineKind, PeriodResult};
use crate::data::quotas::Quota;
use crate::diag::Diagnostic;
use crate::money::Rounding;
use crate::money::{fmt_amount, fmt_attainment as attainment_pct, fmt_percent};
use crate::period::Granularity;
use crate::period::Period;
use crate::plan::{
    Basis, Bonus, BonusAmount, Commission, ComponentKind, Curve, Gate, Multiplier, PlanCap, Scope,
    Spiff, Threshold,
};

/// The payout periods a component computes: `[start, end]`, and those that belong to the run.
pub(crate) struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub in_run: SmallVec<[Period; 12]>,
}

/// The base earning of one payout period, before modifiers.
#[derive(Default)]
struct Step {
    /// Exact base earning to date within the measurement period.
    exact: Decimal,
    measure: Decimal,
    count: u32,
    lines: Vec<Line>,
    credits: Vec<Credit>,
    /// Cut by per-deal caps in this payout period (positive).
    deal_capped: Decimal,
}

fn money(v: Decimal, places: u32) -> String {
    fmt_amount(v, places)
}

/// An attainment shown exactly enough to compare with a level: truncated (never rounded up) to
/// 0.0001%, so 89.99999% shows as 89.9999%, below a 90% gate.
fn precise_pct(ratio: Decimal) -> String {
    fmt_percent(ratio.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero))
}

pub(crate) fn compute_component(
    rc: &RepCtx,
    ci: usize,
    span: &Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<PeriodResult> {
    let comp = &rc.plan.components[ci];
    let calendar = span.in_run[0].calendar();
    // The usual count: the run's payout periods and an earlier one or two of the first
    // measurement period (grown, it would be copied at each doubling).
    let mut out = Vec::with_capacity(span.in_run.len() + 2);
    let mut m = calendar.period_of(comp.measurement_period, span.start);
    while m.start() <= span.end {
        let payouts: SmallVec<[Period; 12]> = m
            .periods(comp.payout_period)
            .filter(|p| p.start() <= span.end)
            .collect();
        measurement_period(rc, ci, m, &payouts, &span.in_run, diags, &mut out);
        m = m.next();
    }
    // Kept for the whole run, a rep and component at a time: without the growth's spare room.
    out.shrink_to_fit();
    out
}

fn quota_missing(
    rc: &RepCtx,
    comp_id: &str,
    quota_measure: &str,
    m: Period,
    why: &str,
) -> Diagnostic {
    let inputs = rc.ctx.inputs;
    Diagnostic::error(
        "quota-missing",
        inputs.quotas.file_or(&rc.plan.file),
        format!(
            "rep `{}` has no `{quota_measure}` quota for {m}, which component `{comp_id}` of plan `{}` needs {why}",
            rc.rep.id, rc.plan.id
        ),
    )
    .hint(if inputs.quotas.file.is_empty() {
        "the workspace has no quotas file: add a [quotas] section with `file = \"quotas.csv\"` (columns rep_id, period, measure, amount)".to_string()
    } else {
        format!("add a row for rep {}, period {m}, measure {quota_measure} to {}", rc.rep.id, inputs.quotas.file)
    })
}

fn quota_scaled_to_zero(
    rc: &RepCtx,
    comp_id: &str,
    m: Period,
    full: Quota,
    scale: Scale,
) -> Diagnostic {
    Diagnostic::error(
        "quota-scaled-to-zero",
        rc.ctx.inputs.quotas.file_or(&rc.plan.file),
        format!(
            "rep `{}`'s quota for {m} is {} {} = 0, and component `{comp_id}` of plan `{}` needs attainment",
            rc.rep.id,
            crate::money::fmt_plain(full.amount),
            scale.describe(),
            rc.plan.id
        ),
    )
    .line(full.line)
    .hint("a 0% ramp step (or no active day) leaves no quota: start the ramp above 0%, or measure the component over a longer period")
}

/// The annual target incentive of the rep for a component: the plan's, else the roster's.
fn target_incentive(
    rc: &RepCtx,
    explicit: Option<Decimal>,
    comp_id: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Decimal> {
    if explicit.is_some() {
        return explicit;
    }
    let roster = &rc.ctx.inputs.roster;
    let Some(ti) = rc.segment.target_incentive else {
        diags.push(
            Diagnostic::error("ti-missing", &roster.file, format!(
                "rep `{}` has no target_incentive, which component `{comp_id}` of plan `{}` needs",
                rc.rep.id, rc.plan.id
            ))
            .line(rc.rep.line)
            .hint("fill the roster's target_incentive (annual), or set `target_incentive` on the component"),
        );
        return None;
    };
    if !rc.rep.currency.is_empty() && rc.rep.currency != rc.plan.currency {
        diags.push(
            Diagnostic::error(
                "ti-currency-mismatch",
                &roster.file,
                format!(
                    "rep `{}`'s target incentive is in {}, plan `{}` pays in {}",
                    rc.rep.id, rc.rep.currency, rc.plan.id, rc.plan.currency
                ),
            )
            .line(rc.rep.line)
            .hint("state the target incentive in the plan currency"),
        );
        return None;
    }
    Some(ti)
}

/// The results of measurement period `m`, one per payout period of `payouts`, appended to `out`;
/// nothing after a diagnostic.
fn measurement_period(
    rc: &RepCtx,
    ci: usize,
    m: Period,
    payouts: &[Period],
    in_run: &[Period],
    diags: &mut Vec<Diagnostic>,
    out: &mut Vec<PeriodResult>,
) -> Option<()> {
    let comp = &rc.plan.components[ci];
    let (quota, quota_scale) = own_quota(rc, ci, m, diags)?;
    let last_end = payouts.last()?.end();
    let entries = rc.entries_between(comp.measure, m.start(), last_end);
    let mut steps = match &comp.kind {
        ComponentKind::Commission(c) => commission(rc, ci, c, quota, payouts, entries, diags)?,
        ComponentKind::Curve(c) => curve(rc, ci, c, m, quota?, payouts, entries, diags)?,
        ComponentKind::Bonus(b) => bonus(rc, ci, b, m, quota?, payouts, entries, diags)?,
        ComponentKind::Spiff(s) => spiff(rc, s, payouts, entries),
        ComponentKind::PlanCap(_) => return None,
    };
    let mods = Modifiers::resolve(rc, ci, m, quota, diags)?;

    let mut carried = Carried::default();
    out.reserve(payouts.len());
    for (p, step) in payouts.iter().zip(steps.iter_mut()) {
        let mut lines = std::mem::take(&mut step.lines);
        let paid_to_date = carried.rounded;
        let (exact, capped_off) = apply_chain(rc, &mods, m, *p, step, &mut carried, &mut lines);
        let rounded = carried.rounded;
        // Lines are kept until the statements are written: without the growth slack.
        lines.shrink_to_fit();
        out.push(PeriodResult {
            payout_period: *p,
            measurement_period: m,
            in_run: in_run.contains(p),
            quota: QuotaSlot::of(quota),
            measure_to_date: step.measure,
            deals_to_date: step.count,
            earned_exact: exact,
            earned_to_date: rounded,
            paid_to_date,
            payable: rounded - paid_to_date,
            detail: Detail {
                quota_scale: quota_scale.clone().map(Box::new),
                capped_off,
                lines,
                credits: std::mem::take(&mut step.credits),
            }
            .boxed(),
        });
    }
    Some(())
}

/// The component's own quota for measurement period `m`, with the proration that scaled it; `None`
/// after a diagnostic when the component needs attainment and the quota is missing or scaled to 0.
#[allow(clippy::type_complexity)]
fn own_quota(
    rc: &RepCtx,
    ci: usize,
    m: Period,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Option<Quota>, Option<(Decimal, Scale)>)> {
    let comp = &rc.plan.components[ci];
    let (quota, quota_scale) = match rc.quota(&comp.quota_measure, m) {
        Some((q, s)) => (Some(q), s),
        None => (None, None),
    };
    if quota.is_none() && comp.needs_quota() {
        diags.push(quota_missing(
            rc,
            &comp.id,
            &comp.quota_measure,
            m,
            "for attainment",
        ));
        return None;
    }
    if let (true, Some(q), Some((full, scale))) = (comp.needs_quota(), quota, &quota_scale) {
        if q.amount.is_zero() {
            let full = Quota { amount: *full, ..q };
            diags.push(quota_scaled_to_zero(rc, &comp.id, m, full, scale.clone()));
            return None;
        }
    }
    Some((quota, quota_scale))
}

/// Another measure's quota for measurement period `m`, which the component's gate or multiplier
/// needs (`what`); `None` after a diagnostic when it is missing or scaled to 0.
fn other_quota(
    rc: &RepCtx,
    ci: usize,
    measure_name: &str,
    m: Period,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Quota> {
    let comp_id = &rc.plan.components[ci].id;
    let Some((q, scale)) = rc.quota(measure_name, m) else {
        diags.push(quota_missing(rc, comp_id, measure_name, m, what));
        return None;
    };
    if let (true, Some((full, scale))) = (q.amount.is_zero(), scale) {
        let full = Quota { amount: full, ..q };
        diags.push(quota_scaled_to_zero(rc, comp_id, m, full, scale));
        return None;
    }
    Some(q)
}

/// The modifiers of a component in one measurement period, resolved: the catch-up threshold in
/// measure units, the multiplier and the gate with the quota of the measure each reads, the cap.
struct Modifiers<'p> {
    threshold: Option<Decimal>,
    multiplier: Option<(&'p Multiplier, Quota)>,
    gate: Option<(&'p Gate, Quota)>,
    cap: Option<(Decimal, Granularity)>,
}

impl<'p> Modifiers<'p> {
    /// `None` after a diagnostic when the gate's or the multiplier's quota is missing (the gate's
    /// is looked up first).
    fn resolve(
        rc: &RepCtx<'p>,
        ci: usize,
        m: Period,
        quota: Option<Quota>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let comp = &rc.plan.components[ci];
        let gate = match &comp.gate {
            Some(g) => Some((
                g,
                other_quota(rc, ci, &g.quota_measure, m, "for its gate", diags)?,
            )),
            None => None,
        };
        let multiplier = match &comp.multiplier {
            Some(x) => Some((
                x,
                other_quota(rc, ci, &x.quota_measure, m, "for its multiplier", diags)?,
            )),
            None => None,
        };
        let threshold = match &comp.kind {
            ComponentKind::Commission(c) => c
                .threshold
                .filter(|t| t.catch_up)
                .map(|t| threshold_at(&t, c.table.basis, quota.map(|q| q.amount))),
            _ => None,
        };
        Some(Modifiers {
            threshold,
            multiplier,
            gate,
            cap: comp.cap.map(|c| (c, comp.measurement_period)),
        })
    }
}

/// A threshold in measure units: a share of the quota (0 without one) on an attainment basis, the
/// amount itself on an amount basis.
fn threshold_at(t: &Threshold, basis: Basis, quota: Option<Decimal>) -> Decimal {
    match basis {
        Basis::Attainment => t.at * quota.unwrap_or_default(),
        Basis::Amount => t.at,
    }
}

/// What the chain carries from one payout period to the next of the same measurement period.
#[derive(Default)]
struct Carried {
    /// Each modifier's adjustment to date, in chain order (see [`MODIFIER_LINES`]).
    adj: [Decimal; 5],
    /// Earned to date, rounded.
    rounded: Decimal,
    /// Earned to date after the multiplier (what a gate without catch-up forfeits from).
    after_multiplier: Decimal,
    /// Forfeited to date by a gate without catch-up.
    forfeited: Decimal,
}

/// The line kinds of the modifiers, in the order they apply.
const MODIFIER_LINES: [LineKind; 5] = [
    LineKind::Threshold,
    LineKind::Multiplier,
    LineKind::Gate,
    LineKind::Cap,
    LineKind::Rounding,
];

/// One payout period through the chain threshold → multiplier → gate → cap → rounding: each
/// modifier adds its adjustment to date to earned-to-date (starting from the base, `step.exact`)
/// and, when lines are kept, a line for its change since the previous payout period. Updates
/// `carried`; returns the exact earned to date and what caps cut in the payout period.
fn apply_chain(
    rc: &RepCtx,
    mods: &Modifiers,
    m: Period,
    p: Period,
    step: &Step,
    carried: &mut Carried,
    lines: &mut Vec<Line>,
) -> (Decimal, Decimal) {
    let plan = rc.plan;
    let notes = Notes {
        keep: rc.ctx.settings.lines,
        places: plan.rounding.places,
    };
    let other = |measure: usize, quota: Quota| Attainment {
        name: &plan.measures[measure].name,
        measure: rc.sum_between(measure, m.start(), p.end()),
        quota: quota.amount,
    };
    let mut fx: [Effect; 5] = Default::default();
    if let Some(t) = mods.threshold {
        fx[0] = threshold_catch_up(t, step.measure, step.exact, notes);
    }
    let e1 = step.exact + fx[0].to_date;
    if let Some((x, q)) = mods.multiplier {
        fx[1] = multiplier(x, &other(x.measure, q), e1, notes);
    }
    let e2 = e1 + fx[1].to_date;
    if let Some((g, q)) = mods.gate {
        let closes = (p.end() == m.end()).then_some(m);
        let before = carried.after_multiplier;
        fx[2] = gate(
            g,
            &other(g.measure, q),
            e2,
            before,
            &mut carried.forfeited,
            closes,
            notes,
        );
    }
    let e3 = e2 + fx[2].to_date;
    if let Some((cap, per)) = mods.cap {
        fx[3] = component_cap(cap, e3, per, notes);
    }
    let exact = e3 + fx[3].to_date;
    let (rounding, rounded) = round_earned(&plan.rounding, exact, notes);
    fx[4] = rounding;

    let adj: [Decimal; 5] = std::array::from_fn(|k| fx[k].to_date);
    if notes.keep {
        push_modifier_lines(lines, fx, &carried.adj, exact, rounded);
    }
    let capped_off = step.deal_capped - (adj[3] - carried.adj[3]);
    carried.adj = adj;
    carried.rounded = rounded;
    carried.after_multiplier = e2;
    (exact, capped_off)
}

/// One line per modifier whose adjustment to date changed since the previous payout period
/// (`prev`), in chain order, for the change; the rounding line shows the exact and rounded amounts.
fn push_modifier_lines(
    lines: &mut Vec<Line>,
    fx: [Effect; 5],
    prev: &[Decimal; 5],
    exact: Decimal,
    rounded: Decimal,
) {
    for ((kind, effect), before) in MODIFIER_LINES.into_iter().zip(fx).zip(prev) {
        let delta = effect.to_date - before;
        if !delta.is_zero() {
            let mut line = Line::note(kind, None, delta, effect.note);
            if kind == LineKind::Rounding {
                line.from = exact;
                line.to = rounded;
            }
            lines.push(line);
        }
    }
}

/// Whether modifier lines are kept, and the places their amounts are shown to.
#[derive(Clone, Copy)]
struct Notes {
    keep: bool,
    places: u32,
}

impl Notes {
    /// The arithmetic of a line, formatted only when lines are kept.
    fn note(self, text: impl FnOnce() -> String) -> String {
        if self.keep {
            text()
        } else {
            String::new()
        }
    }

    fn money(self, v: Decimal) -> String {
        money(v, self.places)
    }
}

/// What one modifier does in a payout period: its adjustment to earned-to-date (to date within the
/// measurement period; its line is the change since the previous payout period), and the arithmetic
/// the line shows (empty when lines are not kept).
#[derive(Default, Debug, PartialEq)]
struct Effect {
    to_date: Decimal,
    note: String,
}

/// Another measure's attainment to date, which a multiplier or a gate reads.
struct Attainment<'n> {
    name: &'n str,
    measure: Decimal,
    quota: Decimal,
}

impl Attainment<'_> {
    /// `measure` ÷ `quota`; 0 for a zero quota.
    fn ratio(&self) -> Decimal {
        self.measure.checked_div(self.quota).unwrap_or_default()
    }
}

/// Threshold with catch-up: while the measure to date is below `at`, everything earned to date is
/// held back (adjustment −earned); once reached, nothing is (what was held back becomes payable).
/// Its `threshold` line says which.
fn threshold_catch_up(at: Decimal, measure: Decimal, earned: Decimal, notes: Notes) -> Effect {
    if measure < at {
        Effect {
            to_date: -earned,
            note: notes.note(|| {
                format!(
                    "measure {} below the threshold {}: earned to date {} held back",
                    notes.money(measure),
                    notes.money(at),
                    notes.money(earned)
                )
            }),
        }
    } else {
        Effect {
            to_date: Decimal::ZERO,
            note: notes.note(|| {
                format!(
                    "threshold {} reached: everything earned to date is payable (catch-up)",
                    notes.money(at)
                )
            }),
        }
    }
}

/// Multiplier: earned to date × (factor − 1), the factor of the highest step the other measure's
/// attainment to date reached (1 below the first). Its `multiplier` line shows the attainment, the
/// factor and the product.
fn multiplier(x: &Multiplier, att: &Attainment, earned: Decimal, notes: Notes) -> Effect {
    let ratio = att.ratio();
    let f = x.factor(ratio);
    Effect {
        to_date: earned * (f - Decimal::ONE),
        note: notes.note(|| {
            format!(
                "`{}` attainment {} ÷ {} = {} → factor {}: {} × ({} − 1)",
                att.name,
                att.measure.normalize(),
                att.quota.normalize(),
                precise_pct(ratio),
                f.normalize(),
                notes.money(earned),
                f.normalize()
            )
        }),
    }
}

/// Gate on the other measure's attainment to date, open at or above its level. With catch-up, a
/// closed gate holds back everything earned to date (−earned), an open one nothing. Without, what is
/// earned during a payout period that ends with the gate closed (`earned` − `earned_before`, earned
/// to date at the previous payout period's end) is forfeited for good: the adjustment is −`forfeited`
/// to date, carried across payout periods. `closes` is the measurement period when the payout period
/// ends it (a closed catch-up gate then pays nothing). Its `gate` line says open or closed and why.
fn gate(
    g: &Gate,
    att: &Attainment,
    earned: Decimal,
    earned_before: Decimal,
    forfeited: &mut Decimal,
    closes: Option<Period>,
    notes: Notes,
) -> Effect {
    let ratio = att.ratio();
    let name = att.name;
    let open = ratio >= g.attainment;
    let shown = precise_pct(ratio);
    let level = fmt_percent(g.attainment);
    if g.catch_up {
        let to_date = if open { Decimal::ZERO } else { -earned };
        let note = notes.note(|| match (open, closes) {
            (true, _) => format!("gate open: `{name}` attainment {shown} ≥ {level}: everything earned to date is payable"),
            (false, Some(m)) => format!("gate closed at the end of {m}: `{name}` attainment {shown} < {level}: earned to date {} is not paid", notes.money(earned)),
            (false, None) => format!("gate closed: `{name}` attainment {shown} < {level}: earned to date {} held until it opens (catch-up)", notes.money(earned)),
        });
        return Effect { to_date, note };
    }
    let earned_now = earned - earned_before;
    if !open {
        *forfeited += earned_now;
    }
    let note = notes.note(|| {
        if open {
            format!("gate open: `{name}` attainment {shown} ≥ {level}; forfeited to date while it was closed: {}", notes.money(*forfeited))
        } else {
            format!("gate closed: `{name}` attainment {shown} < {level}: {} earned this period is forfeited (no catch-up); {} to date", notes.money(earned_now), notes.money(*forfeited))
        }
    });
    Effect {
        to_date: -*forfeited,
        note,
    }
}

/// Component cap: earned to date above `cap` per measurement period (`per`) is cut (adjustment
/// min(cap − earned, 0)). Its `cap` line shows the amount capped.
fn component_cap(cap: Decimal, earned: Decimal, per: Granularity, notes: Notes) -> Effect {
    Effect {
        to_date: (cap - earned).min(Decimal::ZERO),
        note: notes.note(|| {
            format!(
                "earned to date {} capped at {} per {per}",
                notes.money(earned),
                notes.money(cap)
            )
        }),
    }
}

/// Rounding, last and once: earned to date rounded as the plan says (adjustment rounded − exact);
/// also returns the rounded amount. Its `rounding` line nets the previous period's rounding out.
fn round_earned(rounding: &Rounding, exact: Decimal, notes: Notes) -> (Effect, Decimal) {
    let rounded = rounding.apply(exact);
    let effect = Effect {
        to_date: rounded - exact,
        note: notes.note(|| {
            format!(
                "round({}) = {} ({rounding}) less the previous period's rounding",
                notes.money(exact),
                notes.money(rounded)
            )
        }),
    };
    (effect, rounded)
}

/// What a walk keeps of each payout period besides its sums: the credits, and room for a line
/// per deal (`deal_lines`: the component writes one for each).
#[derive(Clone, Copy, Default)]
struct Keep {
    credits: bool,
    deal_lines: bool,
}

impl Keep {
    /// The credits when the run keeps them; room for deal lines when it keeps lines and
    /// `per_deal` (the component writes a line per deal).
    fn of(rc: &RepCtx, per_deal: bool) -> Keep {
        Keep {
            credits: rc.ctx.settings.credits,
            deal_lines: per_deal && rc.ctx.settings.lines,
        }
    }
}

/// Walk the entries payout period by payout period, calling `deal` for each before adding it to the
/// measure; `deal` adds the deal's earning to `step.exact` (which starts at `initial`, then carries
/// over from one payout period to the next, like `step.measure` and `step.count`).
fn walk(
    payouts: &[Period],
    entries: &[Entry],
    keep: Keep,
    initial: Decimal,
    mut deal: impl FnMut(&Entry, &mut Step) -> Option<()>,
) -> Option<Vec<Step>> {
    walk_events(payouts, entries, keep, initial, |event, step| match event {
        Event::Deal(e) => deal(e, step),
        Event::End(_) => Some(()),
    })
}

/// What [`walk_events`] calls back with: a deal (before it is added to the measure), or the end of
/// a payout period (after its last deal).
enum Event<'e> {
    Deal(&'e Entry),
    End(Period),
}

/// [`walk`], with a call at the end of each payout period too.
fn walk_events(
    payouts: &[Period],
    entries: &[Entry],
    keep: Keep,
    initial: Decimal,
    mut on: impl FnMut(Event, &mut Step) -> Option<()>,
) -> Option<Vec<Step>> {
    let mut steps = Vec::with_capacity(payouts.len());
    let mut next = 0;
    let (mut exact, mut measure, mut count) = (initial, Decimal::ZERO, 0u32);
    for p in payouts {
        let mut step = Step {
            exact,
            measure,
            count,
            ..Step::default()
        };
        let end = p.end();
        if keep.deal_lines {
            // A line per deal, and room for a deal crossing tiers and the rounding: the lines
            // are not moved as they grow.
            let deals = entries[next..].partition_point(|e| e.date <= end);
            step.lines.reserve_exact(deals + 4);
        }
        while next < entries.len() && entries[next].date <= end {
            let e = &entries[next];
            next += 1;
            step.count += 1;
            on(Event::Deal(e), &mut step)?;
            step.measure += e.credit.credited;
            if keep.credits {
                step.credits.push(e.credit);
            }
        }
        on(Event::End(*p), &mut step)?;
        exact = step.exact;
        measure = step.measure;
        count = step.count;
        steps.push(step);
    }
    Some(steps)
}

fn commission(
    rc: &RepCtx,
    ci: usize,
    c: &Commission,
    quota: Option<Quota>,
    payouts: &[Period],
    entries: &[Entry],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Step>> {
    let plan = rc.plan;
    let deals = &rc.ctx.inputs.deals;
    let scale = quota.map(|q| q.amount);
    let (default, rules) = resolve_schedules(rc, ci, c, scale, diags)?;
    let clip_below = c
        .threshold
        .filter(|t| !t.catch_up)
        .map(|t| threshold_at(&t, c.table.basis, scale));
    let tier_on = rc.bound.tier_on[ci];
    let lines_wanted = rc.ctx.settings.lines;
    let places = plan.rounding.places;
    let cap_by = c.cap_by.as_ref().zip(rc.bound.cap_by[ci]);
    let mut earned_by_value: std::collections::HashMap<String, Decimal> = Default::default();

    // Without statement lines, a cumulative table with nothing priced deal by deal (no rules,
    // threshold cut, deal cap or floor, tiering on another value) earns exactly its earning at the
    // measure to date: the deals' pieces telescope (tiers.rs proves it by property test), so each
    // payout period reads the table once instead of once per deal.
    if let (false, false, Some(schedule)) = (lines_wanted, rc.ctx.settings.credits, &default) {
        if tier_on.is_none() && clip_below.is_none() && reads_table_once(c) {
            let keep = Keep::default();
            let mut steps = walk(payouts, entries, keep, Decimal::ZERO, |_, _| Some(()))?;
            for step in &mut steps {
                step.exact = schedule.earning(step.measure);
            }
            return Some(steps);
        }
    }

    walk(
        payouts,
        entries,
        Keep::of(rc, true),
        Decimal::ZERO,
        |e, step| {
            let credit = e.credit;
            let row = credit.deal as usize;
            let v = credit.credited;
            let before = step.measure;
            let line_for = lines_wanted.then_some(credit);

            let rule = chosen_rule(rc, ci, c, row, diags)?;
            let (schedule, table) = match rule {
                Some(i) => (Some(&rules[i]), &c.rules[i].table),
                None => (default.as_ref(), &c.table),
            };
            let Some(schedule) = schedule else {
                if lines_wanted {
                    step.lines.push(Line::note(LineKind::NoRule, Some(credit), Decimal::ZERO,
                    "no rule of the component matches this deal: it counts toward the measure but earns nothing".into()));
                }
                return Some(());
            };
            let per_deal = rule.and_then(|i| c.rules[i].per_deal);
            let (mut pieces, tier_key) = base_pieces(
                rc,
                ci,
                c,
                schedule,
                table.scope,
                per_deal,
                &credit,
                before,
                diags,
            )?;
            if let Some(t) = clip_below {
                let slices = tier_on.is_none() && table.scope == Scope::Cumulative;
                cut_below_threshold(&mut pieces, t, slices, before, v, step, line_for);
            }
            let mut total: Decimal = pieces.iter().map(|p| p.amount).sum();
            if let Some(line_for) = line_for {
                let chosen = chosen_by(rc, c, rule, tier_key, row);
                step.lines.extend(pieces.iter().map(|p| {
                    let mut line = Line::from_piece(p.kind, line_for, p, rule.map(|r| r as u32));
                    line.detail = chosen.clone();
                    line
                }));
            }
            if let Some(cap) = c.deal_cap {
                total = deal_cap(cap, total, step, line_for, places);
            }
            if let Some(floor) = c.deal_floor {
                total = deal_floor(floor, total, step, line_for, places);
            }
            if let Some((cap, col)) = cap_by {
                let key = deals.columns[col].display(row);
                let so_far = earned_by_value.entry(key.clone()).or_default();
                total = cap_dimension(cap, key, so_far, total, step, line_for, places);
            }
            step.exact += total;
            Some(())
        },
    )
}

/// What a deal earns before the per-deal modifiers, from the measure to date `before` it: a rule's
/// fixed amount per deal (`per_deal`), else the rate of the tier its `tier_on` value falls in (also
/// returned), else the table's slices (cumulative: from `before` to after the deal; transaction: of
/// the deal alone). `None` after a diagnostic when the `tier_on` value is empty.
#[allow(clippy::too_many_arguments)]
fn base_pieces(
    rc: &RepCtx,
    ci: usize,
    c: &Commission,
    schedule: &Schedule,
    scope: Scope,
    per_deal: Option<Decimal>,
    credit: &Credit,
    before: Decimal,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Pieces, Option<Decimal>)> {
    let v = credit.credited;
    let after = before + v;
    if let Some(amount) = per_deal {
        let piece = per_deal_piece(amount, credit, before, after);
        return Some((smallvec::smallvec![piece], None));
    }
    if let Some(source) = rc.bound.tier_on[ci] {
        let row = credit.deal as usize;
        let Some(key) = rc.bound.number(&rc.ctx.inputs.deals, source, row) else {
            diags.push(tier_value_missing(rc, ci, c, row));
            return None;
        };
        return Some((
            smallvec::smallvec![tier_on_piece(schedule, key, v)],
            Some(key),
        ));
    }
    let pieces = match scope {
        Scope::Cumulative => schedule.pieces(before, after),
        Scope::Transaction => schedule.pieces(Decimal::ZERO, v),
    };
    Some((pieces, None))
}

/// `value-missing` for a deal whose `tier_on` value is empty.
fn tier_value_missing(rc: &RepCtx, ci: usize, c: &Commission, row: usize) -> Diagnostic {
    let deals = &rc.ctx.inputs.deals;
    Diagnostic::error(
        "value-missing",
        &deals.file,
        format!(
            "deal `{}`: the value `{}` that component `{}` tiers on is empty",
            deals.id(row),
            c.tier_on.as_deref().unwrap_or(""),
            rc.plan.components[ci].id
        ),
    )
    .line(deals.line(row))
}

/// Threshold without catch-up, on one deal of value `v` taking the measure from `before`: the
/// slices below `t` of a cumulative table (`slices`), else the deal's share below `t`, earn
/// nothing. A deal left earning nothing gets a zero `threshold` line when its lines are kept
/// (`line_for`).
fn cut_below_threshold(
    pieces: &mut Pieces,
    t: Decimal,
    slices: bool,
    before: Decimal,
    v: Decimal,
    step: &mut Step,
    line_for: Option<Credit>,
) {
    if slices {
        clip_slices_below(pieces, t);
    } else {
        clip_share_below(pieces, t, before, v);
    }
    if let (true, Some(credit)) = (pieces.is_empty(), line_for) {
        step.lines.push(Line::note(
            LineKind::Threshold,
            Some(credit),
            Decimal::ZERO,
            "below the threshold: this deal counts toward the measure but earns nothing (no catch-up)".into(),
        ));
    }
}

/// The component's default table and each rule's, resolved against the quota (`scale`); `None` after
/// a diagnostic when a breakpoint × quota overflows.
fn resolve_schedules(
    rc: &RepCtx,
    ci: usize,
    c: &Commission,
    scale: Option<Decimal>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Option<Schedule>, Vec<Schedule>)> {
    let plan = rc.plan;
    let overflow = |diags: &mut Vec<Diagnostic>| {
        diags.push(
            Diagnostic::error(
                "amount-out-of-range",
                &plan.file,
                "tier breakpoint × quota overflows",
            )
            .line(plan.components[ci].line),
        );
    };
    let default = if c.table.tiers.is_empty() {
        None
    } else {
        match Schedule::resolve(&c.table, scale) {
            Some(s) => Some(s),
            None => {
                overflow(diags);
                return None;
            }
        }
    };
    let mut rules = Vec::with_capacity(c.rules.len());
    for r in &c.rules {
        match Schedule::resolve(&r.table, scale) {
            Some(s) => rules.push(s),
            None => {
                overflow(diags);
                return None;
            }
        }
    }
    Some((default, rules))
}

/// Whether, once no threshold cut nor `tier_on` applies, the commission's table can be read once per
/// payout period at the measure to date: a cumulative table without rules, per-deal cap or floor,
/// fixed tier amounts or `cap_by`.
fn reads_table_once(c: &Commission) -> bool {
    c.rules.is_empty()
        && c.deal_cap.is_none()
        && c.deal_floor.is_none()
        && c.table.scope == Scope::Cumulative
        && !has_tier_amounts(&c.table)
        && c.cap_by.is_none()
}

/// The most specific rule matching deal `row` (`Some(None)`: none matches); `None` after a
/// diagnostic when two of the most specific ones tie.
fn chosen_rule(
    rc: &RepCtx,
    ci: usize,
    c: &Commission,
    row: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Option<usize>> {
    let deals = &rc.ctx.inputs.deals;
    let bound_rules = &rc.bound.rules[ci];
    let matching: Vec<usize> = (0..bound_rules.len())
        .filter(|&i| rc.bound.matches(deals, &bound_rules[i], row))
        .collect();
    let most = matching.iter().map(|&i| c.specificity(i)).max();
    let best: Vec<usize> = matching
        .into_iter()
        .filter(|&i| Some(c.specificity(i)) == most)
        .collect();
    if best.len() > 1 {
        diags.push(
            Diagnostic::error("plan-rules-ambiguous", &rc.plan.file, format!(
                "component `{}`: deal `{}` matches the rules at lines {} and {}, equally specific",
                rc.plan.components[ci].id, deals.id(row), c.rules[best[0]].line, c.rules[best[1]].line
            ))
            .line(c.rules[best[1]].line)
            .hint("make one rule more specific (add a condition), or make them exclusive"),
        );
        return None;
    }
    Some(best.first().copied())
}

/// A deal priced by `tier_on`: its whole credited value `v` at the rate of the tier its value `key`
/// falls in (0 outside every tier).
fn tier_on_piece(schedule: &Schedule, key: Decimal, v: Decimal) -> Piece {
    let band = schedule.tier_of(key);
    let rate = band.map_or(Decimal::ZERO, |b| b.rate);
    Piece {
        kind: PieceKind::Slice,
        tier: band.map(|b| b.tier),
        from: key,
        to: key,
        base: v,
        rate,
        amount: v * rate,
        per: None,
    }
}

/// Threshold without catch-up, on a cumulative table: the slices of the measure below `t` earn
/// nothing; each piece keeps (and is priced on) its part at or above `t`, and empty pieces go.
fn clip_slices_below(pieces: &mut Pieces, t: Decimal) {
    for piece in pieces.iter_mut() {
        let (lo, hi) = (piece.from.min(piece.to), piece.from.max(piece.to));
        let kept = (hi - lo.max(t)).max(Decimal::ZERO);
        let sign = if piece.base.is_sign_negative() {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        piece.base = kept * sign;
        piece.amount = piece.priced(piece.base);
        if piece.from <= piece.to {
            piece.from = piece.from.max(t);
        } else {
            piece.to = piece.to.max(t);
        }
    }
    pieces.retain(|p| !p.base.is_zero());
}

/// Threshold without catch-up, on a table priced per deal (transaction scope or `tier_on`): a deal
/// of value `v` taking the measure from `before` counts for its share above `t` (0 when it ends at or
/// below, 1 when it starts at or above); pieces that earn nothing go.
fn clip_share_below(pieces: &mut Pieces, t: Decimal, before: Decimal, v: Decimal) {
    let after = before + v;
    let share = if after <= t {
        Decimal::ZERO
    } else if before >= t || v.is_zero() {
        Decimal::ONE
    } else {
        (after - t) / v
    };
    for piece in pieces.iter_mut() {
        piece.amount *= share;
    }
    pieces.retain(|p| !p.amount.is_zero());
}

/// A commission's `deal_cap`: a deal earning more than `cap` earns `cap`; the cut counts in
/// `step.deal_capped` and, for a deal whose lines are kept (`line_for`), is a `deal-cap` line.
fn deal_cap(
    cap: Decimal,
    total: Decimal,
    step: &mut Step,
    line_for: Option<Credit>,
    places: u32,
) -> Decimal {
    if total <= cap {
        return total;
    }
    let cut = total - cap;
    step.deal_capped += cut;
    if let Some(credit) = line_for {
        step.lines.push(Line::note(
            LineKind::DealCap,
            Some(credit),
            -cut,
            format!(
                "deal earns {}, capped at {} per deal",
                money(total, places),
                money(cap, places)
            ),
        ));
    }
    cap
}

/// A commission's `deal_floor`: a deal earning something below `floor` earns `floor` (a
/// `deal-floor` line for the lift); a deal that earns nothing (below a threshold, at a 0% tier, or
/// priced by no rule) or a negative amount stays as it is.
fn deal_floor(
    floor: Decimal,
    total: Decimal,
    step: &mut Step,
    line_for: Option<Credit>,
    places: u32,
) -> Decimal {
    if total <= Decimal::ZERO || total >= floor {
        return total;
    }
    if let Some(credit) = line_for {
        step.lines.push(Line::note(
            LineKind::DealFloor,
            Some(credit),
            floor - total,
            format!(
                "deal earns {}, raised to the minimum of {} per deal",
                money(total, places),
                money(floor, places)
            ),
        ));
    }
    floor
}

/// The deal's values that chose its rule and its tier, for the statement and `explain`: each
/// column or derived value of the matching rule's `when` (of every rule's, when none matched), then
/// the `tier_on` value ("margin_pct = 0.62, product = Services"); `None` for a component without
/// rules or `tier_on`.
/// Numbers are truncated to 6 decimals, so a value shown at a breakpoint has reached it.
fn chosen_by(
    rc: &RepCtx,
    c: &Commission,
    rule: Option<usize>,
    tier_key: Option<Decimal>,
    row: usize,
) -> Option<Box<str>> {
    let deals = &rc.ctx.inputs.deals;
    let shown = |v: Decimal| {
        v.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero)
            .normalize()
            .to_string()
    };
    let value_of = |name: &str| match rc.plan.values.iter().position(|v| v.name == name) {
        Some(i) => rc
            .bound
            .number(deals, super::Source::Derived(i), row)
            .map_or_else(String::new, shown),
        None => deals
            .column(name)
            .map_or_else(String::new, |col| deals.columns[col].display(row)),
    };
    let mut parts: Vec<String> = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    // The matching rule's columns; for a deal no rule matches, every rule's (why none applied).
    let conditions: Vec<&crate::plan::Condition> = match rule {
        Some(i) => c.rules[i].when.iter().collect(),
        None => c.rules.iter().flat_map(|r| &r.when).collect(),
    };
    for cond in conditions {
        if !named.contains(&cond.column.as_str()) {
            named.push(&cond.column);
            parts.push(format!("{} = {}", cond.column, value_of(&cond.column)));
        }
    }
    if let (Some(t), Some(k)) = (&c.tier_on, tier_key) {
        if !named.contains(&t.as_str()) {
            parts.push(format!("{t} = {}", shown(k)));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", ").into_boxed_str())
}

/// A commission's `cap_by`: what a deal earns is cut so the deals sharing its value of the column
/// (`key`) earn at most the cap together in the measurement period (`so_far` before this deal). A
/// cut is a `deal-cap` line naming the column and value; a negative earning (a credit note) passes.
fn cap_dimension(
    cap: &crate::plan::DimensionCap,
    key: String,
    so_far: &mut Decimal,
    total: Decimal,
    step: &mut Step,
    line_for: Option<Credit>,
    places: u32,
) -> Decimal {
    let room = (cap.amount - *so_far).max(Decimal::ZERO);
    let kept = if total > room { room } else { total };
    let cut = total - kept;
    *so_far += kept;
    if cut > Decimal::ZERO {
        step.deal_capped += cut;
        if let Some(credit) = line_for {
            step.lines.push(Line::note(
                LineKind::DealCap,
                Some(credit),
                -cut,
                format!(
                    "{} `{key}` earns {} with this deal, capped at {} per {} per measurement period",
                    cap.column,
                    money(*so_far - kept + total, places),
                    money(cap.amount, places),
                    cap.column
                ),
            ));
        }
    }
    kept
}

/// A deal priced by a rule's fixed `amount` per deal: the amount × the rep's credited share, negative
/// for a credit note; `base` is the share, `rate` the amount.
fn per_deal_piece(amount: Decimal, credit: &Credit, before: Decimal, after: Decimal) -> Piece {
    let base = if credit.credited.is_sign_negative() {
        -credit.share
    } else {
        credit.share
    };
    Piece {
        kind: PieceKind::Slice,
        tier: Some(0),
        from: before,
        to: after,
        base,
        rate: amount,
        amount: base * amount,
        per: None,
    }
}

/// Whether a table has tiers that pay a fixed amount: their prorated shares are rounded per deal,
/// so the table is priced deal by deal, never read once at the measure to date.
fn has_tier_amounts(t: &crate::plan::RateTable) -> bool {
    t.tiers.iter().any(|t| t.amount.is_some())
}

#[allow(clippy::too_many_arguments)]
fn curve(
    rc: &RepCtx,
    ci: usize,
    c: &Curve,
    m: Period,
    quota: Quota,
    payouts: &[Period],
    entries: &[Entry],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Step>> {
    let comp = &rc.plan.components[ci];
    let places = rc.plan.rounding.places;
    let ti = target_incentive(rc, c.target_incentive, &comp.id, diags)?;
    let months = Decimal::from(m.granularity().months());
    let ti_scale = rc.scale(m, true);
    // A prorated target is rounded like money (the plan's rounding), so the curve's lines stay
    // readable; the full target is exact.
    let target = match &ti_scale {
        None => ti * months / Decimal::from(12),
        Some(s) => rc
            .plan
            .rounding
            .apply(s.apply(ti * months / Decimal::from(12))),
    };
    let scale_note = ti_scale
        .as_ref()
        .map_or(String::new(), |s| format!(" {} (rounded)", s.describe()));
    let lines_wanted = rc.ctx.settings.lines;
    let mut steps = walk(
        payouts,
        entries,
        Keep::of(rc, false),
        Decimal::ZERO,
        |_, _| Some(()),
    )?;
    let weights = weight_quotas(rc, ci, &c.weights, m, quota, diags)?;
    let mut prev = Decimal::ZERO;
    for (p, step) in payouts.iter().zip(&mut steps) {
        let att = step.measure.checked_div(quota.amount).unwrap_or_default();
        let parts = weighted_parts(rc, comp.measure, &weights, m.start(), p.end(), step.measure);
        let att = weighted_sum(&parts, att);
        let pay = c.at(att);
        step.exact = target * c.weight * pay;
        if lines_wanted && step.exact != prev {
            step.lines.push(Line::note(LineKind::Curve, None, step.exact - prev, format!(
                "target incentive {} × {}/12{scale_note} × weight {} × curve({}) = {} × {} = {} to date, {} before{}",
                money(ti, places), months, fmt_percent(c.weight), attainment_pct(Some(att)), money(target * c.weight, places),
                fmt_percent(pay.round_dp(6)), money(step.exact, places), money(prev, places), past_last_note(c, att)
            )));
            if let Some(ps) = &parts {
                push_weighted_note(step.lines.last_mut(), rc, ps, att);
            }
        }
        prev = step.exact;
    }
    Some(steps)
}

/// One measure's part of a weighted attainment, at the end of a payout period.
struct WeightedPart {
    measure: usize,
    weight: Decimal,
    measure_to_date: Decimal,
    quota: Decimal,
    attainment: Decimal,
}

/// The quota of each measure of a curve's or bonus's `weights` for measurement period `m` (the
/// component's own measure has `quota`); `None` after a diagnostic when one is missing or scaled to zero.
fn weight_quotas(
    rc: &RepCtx,
    ci: usize,
    weights: &[crate::plan::MeasureWeight],
    m: Period,
    quota: Quota,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<(usize, Decimal, Quota)>> {
    let comp = &rc.plan.components[ci];
    let mut out = Vec::with_capacity(weights.len());
    for w in weights {
        if w.measure == comp.measure {
            out.push((w.measure, w.weight, quota));
            continue;
        }
        let Some((q, scale)) = rc.quota(&w.quota_measure, m) else {
            diags.push(quota_missing(
                rc,
                &comp.id,
                &w.quota_measure,
                m,
                "for its weighted attainment",
            ));
            return None;
        };
        if let (true, Some((full, scale))) = (q.amount.is_zero(), scale) {
            let full = Quota { amount: full, ..q };
            diags.push(quota_scaled_to_zero(rc, &comp.id, m, full, scale));
            return None;
        }
        out.push((w.measure, w.weight, q));
    }
    Some(out)
}

/// Each weighted measure's attainment from `start` to `end` (`None` without weights); the
/// component's own measure is `own_to_date`.
fn weighted_parts(
    rc: &RepCtx,
    own: usize,
    weights: &[(usize, Decimal, Quota)],
    start: NaiveDate,
    end: NaiveDate,
    own_to_date: Decimal,
) -> Option<Vec<WeightedPart>> {
    if weights.is_empty() {
        return None;
    }
    let parts = weights.iter().map(|&(measure, weight, q)| {
        let measure_to_date = if measure == own {
            own_to_date
        } else {
            rc.sum_between(measure, start, end)
        };
        WeightedPart {
            measure,
            weight,
            measure_to_date,
            quota: q.amount,
            attainment: measure_to_date.checked_div(q.amount).unwrap_or_default(),
        }
    });
    Some(parts.collect())
}

/// Appends each measure's part to a curve line (see [`weighted_note`]).
fn push_weighted_note(line: Option<&mut Line>, rc: &RepCtx, parts: &[WeightedPart], att: Decimal) {
    let Some(line) = line else { return };
    let text = format!(
        "{}{}",
        line.detail.as_deref().unwrap_or(""),
        weighted_note(rc, parts, att)
    );
    line.detail = Some(text.into_boxed_str());
}

/// Each measure's part of a weighted attainment: "; weighted attainment 84.00% = `bookings`
/// 120,000.00 ÷ 100,000.00 = 120.00% × 60% + `new_logos` 1 ÷ 2 = 50.00% × 40%".
fn weighted_note(rc: &RepCtx, parts: &[WeightedPart], att: Decimal) -> String {
    let terms: Vec<String> = parts
        .iter()
        .map(|w| {
            format!(
                "`{}` {} ÷ {} = {} × {}",
                rc.plan.measures[w.measure].name,
                w.measure_to_date.normalize(),
                w.quota.normalize(),
                attainment_pct(Some(w.attainment)),
                fmt_percent(w.weight)
            )
        })
        .collect();
    format!(
        "; weighted attainment {} = {}",
        attainment_pct(Some(att)),
        terms.join(" + ")
    )
}

/// The weighted attainment of `parts` (Σ weight × attainment), or `own` without weights.
fn weighted_sum(parts: &Option<Vec<WeightedPart>>, own: Decimal) -> Decimal {
    parts
        .as_ref()
        .map_or(own, |ps| ps.iter().map(|w| w.weight * w.attainment).sum())
}

/// How a payout past a curve's last point was reached: "; past the last point: 200% + 2% × 30 points
/// = 260%" (and the ceiling when it cut the line); empty inside the curve's points.
fn past_last_note(c: &Curve, att: Decimal) -> String {
    let (Some(p), Some(after)) = (c.past_last(att), c.after) else {
        return String::new();
    };
    let ceiling = if p.at_max {
        format!(", at most {}", fmt_percent(p.payout))
    } else {
        String::new()
    };
    format!(
        "; past the last point {} → {}: {} + {} × {} points = {}{ceiling}",
        fmt_percent(p.last.0),
        fmt_percent(p.last.1),
        fmt_percent(p.last.1),
        fmt_percent(after.slope),
        p.points.round_dp(4).normalize(),
        fmt_percent((p.last.1 + p.rise).round_dp(6)),
    )
}

#[allow(clippy::too_many_arguments)]
fn bonus(
    rc: &RepCtx,
    ci: usize,
    b: &Bonus,
    m: Period,
    quota: Quota,
    payouts: &[Period],
    entries: &[Entry],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Step>> {
    let comp = &rc.plan.components[ci];
    let places = rc.plan.rounding.places;
    let ti = if b
        .levels
        .iter()
        .any(|l| matches!(l.amount, BonusAmount::PercentOfTi(_)))
    {
        Some(target_incentive(rc, b.target_incentive, &comp.id, diags)?)
    } else {
        None
    };
    let ti_scale = rc.scale(m, true);
    let scaled_ti = ti.map(|t| {
        ti_scale
            .as_ref()
            .map_or(t, |s| rc.plan.rounding.apply(s.apply(t)))
    });
    let scale_note = ti_scale
        .as_ref()
        .map_or(String::new(), |s| format!(" {} (rounded)", s.describe()));
    let amount_of = |i: usize| match b.levels[i].amount {
        BonusAmount::Fixed(a) => a,
        BonusAmount::PercentOfTi(p) => scaled_ti.unwrap_or_default() * p,
    };
    let describe = |i: usize| match b.levels[i].amount {
        BonusAmount::Fixed(a) => money(a, places),
        BonusAmount::PercentOfTi(p) => format!(
            "{} of target incentive {}{scale_note} = {}",
            fmt_percent(p),
            money(ti.unwrap_or_default(), places),
            money(amount_of(i), places)
        ),
    };
    let lines_wanted = rc.ctx.settings.lines;
    let weights = weight_quotas(rc, ci, &b.weights, m, quota, diags)?;
    let mut reached = 0usize;
    let mut opening = Vec::new();
    let mut paid = Decimal::ZERO;
    // Pays every level `att` reaches that was not reached yet; `parts` says how a weighted
    // attainment was made up.
    let mut reach = |att: Decimal,
                     parts: &Option<Vec<WeightedPart>>,
                     credit: Option<Credit>,
                     end: Option<Period>,
                     out: &mut Vec<Line>|
     -> Decimal {
        let mut earned = Decimal::ZERO;
        while reached < b.levels.len() && att >= b.levels[reached].attainment {
            let amount = if b.stacking {
                amount_of(reached)
            } else {
                amount_of(reached) - paid
            };
            paid = if b.stacking {
                paid + amount
            } else {
                amount_of(reached)
            };
            earned += amount;
            if lines_wanted {
                out.push(Line::note(
                    LineKind::Bonus,
                    credit,
                    amount,
                    format!(
                        "level {} reached{} (attainment {}): {}{}{}",
                        fmt_percent(b.levels[reached].attainment),
                        end.map_or(String::new(), |p| format!(" at the end of {p}")),
                        attainment_pct(Some(att)),
                        describe(reached),
                        if b.stacking || reached == 0 {
                            String::new()
                        } else {
                            " less the lower level already paid".to_string()
                        },
                        parts
                            .as_ref()
                            .map_or(String::new(), |ps| weighted_note(rc, ps, att))
                    ),
                ));
            }
            reached += 1;
        }
        earned
    };
    let opening_earned = reach(Decimal::ZERO, &None, None, None, &mut opening);
    let mut steps = walk_events(
        payouts,
        entries,
        Keep::of(rc, false),
        opening_earned,
        |event, step| {
            // A deal of the measure, or (weighted) the end of a payout period: the other
            // measures' deals can take the weighted attainment to a level too.
            let (credit, to_date, end, at_end) = match event {
                Event::Deal(e) => (
                    Some(e.credit),
                    step.measure + e.credit.credited,
                    e.date,
                    None,
                ),
                Event::End(_) if weights.is_empty() => return Some(()),
                Event::End(p) => (None, step.measure, p.end(), Some(p)),
            };
            let own = to_date.checked_div(quota.amount).unwrap_or_default();
            let parts = weighted_parts(rc, comp.measure, &weights, m.start(), end, to_date);
            let mut lines = Vec::new();
            step.exact += reach(
                weighted_sum(&parts, own),
                &parts,
                credit,
                at_end,
                &mut lines,
            );
            step.lines.extend(lines);
            Some(())
        },
    )?;
    // Levels at 0% are paid in the first payout period, before its deals.
    if let Some(first) = steps.first_mut() {
        opening.append(&mut first.lines);
        first.lines = opening;
    }
    Some(steps)
}

fn spiff(rc: &RepCtx, s: &Spiff, payouts: &[Period], entries: &[Entry]) -> Vec<Step> {
    let lines_wanted = rc.ctx.settings.lines;
    walk(
        payouts,
        entries,
        Keep::of(rc, true),
        Decimal::ZERO,
        |e, step| {
            let inside = s.from.is_none_or(|f| e.date >= f) && s.to.is_none_or(|t| e.date <= t);
            if inside {
                let v = e.credit.credited;
                let amount = v * s.amount;
                step.exact += amount;
                if lines_wanted {
                    step.lines.push(Line {
                        kind: LineKind::Deal,
                        credit: Some(e.credit),
                        tier: None,
                        from_tier: None,
                        from: step.measure,
                        to: step.measure + v,
                        base: v,
                        rate: s.amount,
                        amount,
                        per: None,
                        rule: None,
                        detail: None,
                    });
                }
            }
            Some(())
        },
    )
    .unwrap_or_default()
}

/// The plan cap: within each cap period, the plan's payables to date above the cap are cut.
pub(crate) fn compute_plan_cap(
    rc: &RepCtx,
    ci: usize,
    pc: &PlanCap,
    span: &Span,
    done: &[ComponentResult],
) -> Vec<PeriodResult> {
    let comp = &rc.plan.components[ci];
    let places = rc.plan.rounding.places;
    let calendar = span.in_run[0].calendar();
    let mut out = Vec::new();
    let mut c = calendar.period_of(pc.period, span.start);
    while c.start() <= span.end {
        let mut prev_cut = Decimal::ZERO;
        for q in c
            .periods(comp.payout_period)
            .filter(|q| q.start() <= span.end)
        {
            let total: Decimal = done
                .iter()
                .flat_map(|r| r.periods.iter())
                .filter(|p| p.payout_period.end() >= c.start() && p.payout_period.end() <= q.end())
                .map(|p| p.payable)
                .sum();
            let cut = rc
                .plan
                .rounding
                .apply((total - pc.amount).max(Decimal::ZERO));
            let payable = -(cut - prev_cut);
            let mut lines = Vec::new();
            if rc.ctx.settings.lines && !payable.is_zero() {
                lines.push(Line::note(
                    LineKind::PlanCap,
                    None,
                    payable,
                    format!(
                        "plan total {} in {c} to date, cap {}: cut {} to date, {} before",
                        money(total, places),
                        money(pc.amount, places),
                        money(cut, places),
                        money(prev_cut, places)
                    ),
                ));
            }
            out.push(PeriodResult {
                payout_period: q,
                measurement_period: c,
                in_run: span.in_run.contains(&q),
                quota: QuotaSlot::of(None),
                measure_to_date: total,
                deals_to_date: 0,
                earned_exact: -cut,
                earned_to_date: -cut,
                paid_to_date: -prev_cut,
                payable,
                detail: Detail {
                    capped_off: -payable,
                    lines,
                    ..Detail::default()
                }
                .boxed(),
            });
            prev_cut = cut;
        }
        c = c.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    const NOTES: Notes = Notes {
        keep: true,
        places: 2,
    };

    fn attainment(measure: Decimal, quota: Decimal) -> Attainment<'static> {
        Attainment {
            name: "bookings",
            measure,
            quota,
        }
    }

    fn gate_at(level: Decimal, catch_up: bool) -> Gate {
        Gate {
            measure: 0,
            quota_measure: "bookings".into(),
            attainment: level,
            catch_up,
            line: 1,
        }
    }

    fn slice(from: Decimal, to: Decimal, rate: Decimal) -> Piece {
        Piece {
            kind: PieceKind::Slice,
            tier: Some(0),
            from,
            to,
            base: to - from,
            rate,
            amount: (to - from) * rate,
            per: None,
        }
    }

    fn credit() -> Credit {
        let date = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default();
        Credit::owner(0, date, d("1000"), None, d("1000"))
    }

    #[test]
    fn threshold_with_catch_up_holds_back_until_reached() {
        // Measure 80 below the threshold 100: the 8 earned to date is held back (−8).
        let below = threshold_catch_up(d("100"), d("80"), d("8"), NOTES);
        assert_eq!(below.to_date, d("-8"));
        assert_eq!(
            below.note,
            "measure 80.00 below the threshold 100.00: earned to date 8.00 held back"
        );
        // Measure 120 reached it: nothing held back.
        let reached = threshold_catch_up(d("100"), d("120"), d("12"), NOTES);
        assert_eq!(reached.to_date, Decimal::ZERO);
        // Without lines, no note is formatted.
        let quiet = Notes {
            keep: false,
            places: 2,
        };
        assert_eq!(
            threshold_catch_up(d("100"), d("80"), d("8"), quiet).note,
            ""
        );
    }

    #[test]
    fn multiplier_adds_earned_times_factor_minus_one() {
        let x = Multiplier {
            measure: 0,
            quota_measure: "bookings".into(),
            steps: vec![(d("1"), d("1.5")), (d("1.2"), d("2"))],
            line: 1,
        };
        // 110 ÷ 100 = 110% reaches the 100% step: factor 1.5; 200 × (1.5 − 1) = 100.
        let up = multiplier(&x, &attainment(d("110"), d("100")), d("200"), NOTES);
        assert_eq!(up.to_date, d("100"));
        assert_eq!(
            up.note,
            "`bookings` attainment 110 ÷ 100 = 110% → factor 1.5: 200.00 × (1.5 − 1)"
        );
        // 90 ÷ 100 = 90%, below the first step: factor 1, 200 × 0 = 0.
        let none = multiplier(&x, &attainment(d("90"), d("100")), d("200"), NOTES);
        assert_eq!(none.to_date, Decimal::ZERO);
    }

    #[test]
    fn gate_with_catch_up_holds_everything_while_closed() {
        let g = gate_at(d("0.9"), true);
        let mut forfeited = Decimal::ZERO;
        // 85 ÷ 100 = 85% < 90%: the 300 earned to date is held (−300).
        let closed = gate(
            &g,
            &attainment(d("85"), d("100")),
            d("300"),
            Decimal::ZERO,
            &mut forfeited,
            None,
            NOTES,
        );
        assert_eq!(closed.to_date, d("-300"));
        // 95 ÷ 100 = 95% ≥ 90%: open, nothing held.
        let open = gate(
            &g,
            &attainment(d("95"), d("100")),
            d("300"),
            Decimal::ZERO,
            &mut forfeited,
            None,
            NOTES,
        );
        assert_eq!(open.to_date, Decimal::ZERO);
        assert_eq!(forfeited, Decimal::ZERO);
    }

    #[test]
    fn gate_without_catch_up_forfeits_what_is_earned_while_closed() {
        let g = gate_at(d("0.9"), false);
        let mut forfeited = Decimal::ZERO;
        let mut period = |measure, earned, before| {
            let att = attainment(measure, d("100"));
            gate(&g, &att, earned, before, &mut forfeited, None, NOTES).to_date
        };
        // Closed (50%): 100 − 0 = 100 earned this period is forfeited: −100.
        assert_eq!(period(d("50"), d("100"), d("0")), d("-100"));
        // Open (95%): 250 − 100 = 150 is kept; still −100 forfeited to date.
        assert_eq!(period(d("95"), d("250"), d("100")), d("-100"));
        // Closed (80%): 400 − 250 = 150 more forfeited: 100 + 150 = −250.
        assert_eq!(period(d("80"), d("400"), d("250")), d("-250"));
    }

    #[test]
    fn component_cap_cuts_earned_to_date_above_the_cap() {
        // 1,200 earned, cap 1,000: min(1,000 − 1,200, 0) = −200.
        let cut = component_cap(d("1000"), d("1200"), Granularity::Quarter, NOTES);
        assert_eq!(cut.to_date, d("-200"));
        assert_eq!(
            cut.note,
            "earned to date 1200.00 capped at 1000.00 per quarter"
        );
        // 800 earned: min(1,000 − 800, 0) = 0.
        let under = component_cap(d("1000"), d("800"), Granularity::Quarter, NOTES);
        assert_eq!(under.to_date, Decimal::ZERO);
    }

    #[test]
    fn rounding_adjusts_by_rounded_minus_exact() {
        // 10.005 half away from zero to 2 places = 10.01; adjustment 10.01 − 10.005 = 0.005.
        let (effect, rounded) = round_earned(&Rounding::default(), d("10.005"), NOTES);
        assert_eq!(rounded, d("10.01"));
        assert_eq!(effect.to_date, d("0.005"));
    }

    #[test]
    fn slices_below_a_threshold_earn_nothing() {
        // Threshold 100: the slice 80 → 120 at 10% keeps 120 − 100 = 20, earning 2;
        // the slice 0 → 50 lies wholly below and goes.
        let mut pieces: Pieces = smallvec::smallvec![
            slice(d("0"), d("50"), d("0.1")),
            slice(d("80"), d("120"), d("0.1"))
        ];
        clip_slices_below(&mut pieces, d("100"));
        assert_eq!(pieces.len(), 1);
        assert_eq!(
            (
                pieces[0].from,
                pieces[0].to,
                pieces[0].base,
                pieces[0].amount
            ),
            (d("100"), d("120"), d("20"), d("2.0"))
        );
    }

    #[test]
    fn a_deal_across_a_threshold_counts_for_its_share_above() {
        // Threshold 100, deal of 20 from 90 to 110: share (110 − 100) ÷ 20 = 0.5; 4 × 0.5 = 2.
        let mut pieces: Pieces = smallvec::smallvec![slice(d("0"), d("20"), d("0.2"))];
        clip_share_below(&mut pieces, d("100"), d("90"), d("20"));
        assert_eq!(pieces[0].amount, d("2"));
        // From 70 to 90: wholly below, share 0, the piece goes.
        clip_share_below(&mut pieces, d("100"), d("70"), d("20"));
        assert!(pieces.is_empty());
    }

    #[test]
    fn deal_cap_cuts_and_records_the_cut() {
        let mut step = Step::default();
        // 700 earned, cap 500: keeps 500, cut 700 − 500 = 200.
        assert_eq!(
            deal_cap(d("500"), d("700"), &mut step, Some(credit()), 2),
            d("500")
        );
        assert_eq!(step.deal_capped, d("200"));
        assert_eq!(step.lines.len(), 1);
        assert_eq!(step.lines[0].amount, d("-200"));
        // 400 earned: under the cap, unchanged, no line.
        assert_eq!(
            deal_cap(d("500"), d("400"), &mut step, Some(credit()), 2),
            d("400")
        );
        assert_eq!(step.lines.len(), 1);
    }

    #[test]
    fn deal_floor_lifts_a_deal_that_earns_something() {
        let mut step = Step::default();
        // 30 earned, floor 50: lifted by 50 − 30 = 20.
        assert_eq!(
            deal_floor(d("50"), d("30"), &mut step, Some(credit()), 2),
            d("50")
        );
        assert_eq!(step.lines[0].amount, d("20"));
        // Nothing earned, a credit note, or above the floor: unchanged.
        for total in [d("0"), d("-10"), d("60")] {
            assert_eq!(deal_floor(d("50"), total, &mut step, None, 2), total);
        }
        assert_eq!(step.lines.len(), 1);
    }
}
