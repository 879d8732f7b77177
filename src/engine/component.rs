//! One component of one rep: per measurement period, the base earning of its type (commission,
//! curve, bonus, SPIFF) walked deal by deal, then the modifiers applied to earned-to-date in a fixed
//! order — threshold catch-up, multiplier, gate, component cap — then rounding; and the plan cap,
//! computed from the other components' payables.
//!
//! Invariants: for every payout period, its lines sum exactly to its payable, because each modifier
//! contributes one line equal to the change of its adjustment since the previous payout period of the
//! same measurement period; earned-to-date is rounded once, at the end; a deal no rule prices still
//! counts toward the measure and is shown with a zero line.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::proration::Scale;
use super::rep::{Entry, RepCtx};
use super::tiers::{Piece, PieceKind, Pieces, Schedule};
use super::{ComponentResult, Credit, Line, LineKind, PeriodResult};
use crate::data::quotas::Quota;
use crate::diag::Diagnostic;
use crate::money::{fmt_amount, fmt_attainment as attainment_pct, fmt_percent};
use crate::period::Period;
use crate::plan::{
    Basis, Bonus, BonusAmount, Commission, ComponentKind, Curve, PlanCap, Scope, Spiff,
};

/// The payout periods a component computes: `[start, end]`, and those that belong to the run.
pub(crate) struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub in_run: Vec<Period>,
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
    let mut out = Vec::new();
    let mut m = calendar.period_of(comp.measurement_period, span.start);
    while m.start() <= span.end {
        let payouts: Vec<Period> = m
            .periods_of(comp.payout_period)
            .into_iter()
            .filter(|p| p.start() <= span.end)
            .collect();
        if let Some(results) = measurement_period(rc, ci, m, &payouts, &span.in_run, diags) {
            out.extend(results);
        }
        m = m.next();
    }
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

fn measurement_period(
    rc: &RepCtx,
    ci: usize,
    m: Period,
    payouts: &[Period],
    in_run: &[Period],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<PeriodResult>> {
    let plan = rc.plan;
    let comp = &plan.components[ci];
    let places = plan.rounding.places;
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
    let last_end = payouts.last()?.end();
    let entries = rc.entries_between(comp.measure, m.start(), last_end);
    let mut steps = match &comp.kind {
        ComponentKind::Commission(c) => commission(rc, ci, c, quota, payouts, entries, diags)?,
        ComponentKind::Curve(c) => curve(rc, ci, c, m, quota?, payouts, entries, diags)?,
        ComponentKind::Bonus(b) => bonus(rc, ci, b, m, quota?, payouts, entries, diags)?,
        ComponentKind::Spiff(s) => spiff(rc, s, payouts, entries),
        ComponentKind::PlanCap(_) => return None,
    };

    // Other measures' attainment, for the gate and the multiplier.
    let other_quota =
        |measure_name: &str, what: &str, diags: &mut Vec<Diagnostic>| -> Option<Quota> {
            let Some((q, scale)) = rc.quota(measure_name, m) else {
                diags.push(quota_missing(rc, &comp.id, measure_name, m, what));
                return None;
            };
            if let (true, Some((full, scale))) = (q.amount.is_zero(), scale) {
                let full = Quota { amount: full, ..q };
                diags.push(quota_scaled_to_zero(rc, &comp.id, m, full, scale));
                return None;
            }
            Some(q)
        };
    let gate = match &comp.gate {
        Some(g) => Some((g, other_quota(&g.quota_measure, "for its gate", diags)?)),
        None => None,
    };
    let multiplier = match &comp.multiplier {
        Some(x) => Some((
            x,
            other_quota(&x.quota_measure, "for its multiplier", diags)?,
        )),
        None => None,
    };
    let threshold = match &comp.kind {
        ComponentKind::Commission(c) => {
            c.threshold
                .filter(|t| t.catch_up)
                .map(|t| match c.table.basis {
                    Basis::Attainment => t.at * quota.map_or(Decimal::ZERO, |q| q.amount),
                    Basis::Amount => t.at,
                })
        }
        _ => None,
    };

    let lines_wanted = rc.ctx.settings.lines;
    let mut results = Vec::with_capacity(payouts.len());
    // Adjustments to date of the previous payout period: threshold, multiplier, gate, cap, rounding.
    let mut prev = [Decimal::ZERO; 5];
    let mut prev_rounded = Decimal::ZERO;
    let mut forfeited = Decimal::ZERO;
    let mut prev_e2 = Decimal::ZERO;
    for (p, step) in payouts.iter().zip(steps.iter_mut()) {
        let mut lines = std::mem::take(&mut step.lines);
        let base = step.exact;
        let mut adj = [Decimal::ZERO; 5];
        let mut notes: [String; 5] = Default::default();
        // The arithmetic of each adjustment, formatted only when lines are kept.
        let mut note = |k: usize, text: &dyn Fn() -> String| {
            if lines_wanted {
                notes[k] = text();
            }
        };

        if let Some(t) = threshold {
            if step.measure < t {
                adj[0] = -base;
                note(0, &|| {
                    format!(
                        "measure {} below the threshold {}: earned to date {} held back",
                        money(step.measure, places),
                        money(t, places),
                        money(base, places)
                    )
                });
            } else {
                note(0, &|| {
                    format!(
                        "threshold {} reached: everything earned to date is payable (catch-up)",
                        money(t, places)
                    )
                });
            }
        }
        let e1 = base + adj[0];
        if let Some((x, q)) = multiplier {
            let measure = rc.sum_between(x.measure, m.start(), p.end());
            let att = measure.checked_div(q.amount).unwrap_or_default();
            let f = x.factor(att);
            adj[1] = e1 * (f - Decimal::ONE);
            note(1, &|| {
                format!(
                    "`{}` attainment {} ÷ {} = {} → factor {}: {} × ({} − 1)",
                    plan.measures[x.measure].name,
                    measure.normalize(),
                    q.amount.normalize(),
                    precise_pct(att),
                    f.normalize(),
                    money(e1, places),
                    f.normalize()
                )
            });
        }
        let e2 = e1 + adj[1];
        if let Some((g, q)) = gate {
            let measure = rc.sum_between(g.measure, m.start(), p.end());
            let att = measure.checked_div(q.amount).unwrap_or_default();
            let name = &plan.measures[g.measure].name;
            let open = att >= g.attainment;
            let shown = precise_pct(att);
            let level = fmt_percent(g.attainment);
            if g.catch_up {
                adj[2] = if open { Decimal::ZERO } else { -e2 };
                note(2, &|| {
                    if open {
                        format!("gate open: `{name}` attainment {shown} ≥ {level}: everything earned to date is payable")
                    } else {
                        if p.end() == m.end() {
                            format!("gate closed at the end of {m}: `{name}` attainment {shown} < {level}: earned to date {} is not paid", money(e2, places))
                        } else {
                            format!("gate closed: `{name}` attainment {shown} < {level}: earned to date {} held until it opens (catch-up)", money(e2, places))
                        }
                    }
                });
            } else {
                // What is earned during a payout period that ends with the gate closed is forfeited.
                let earned_now = e2 - prev_e2;
                if !open {
                    forfeited += earned_now;
                }
                adj[2] = -forfeited;
                note(2, &|| {
                    if open {
                        format!("gate open: `{name}` attainment {shown} ≥ {level}; forfeited to date while it was closed: {}", money(forfeited, places))
                    } else {
                        format!("gate closed: `{name}` attainment {shown} < {level}: {} earned this period is forfeited (no catch-up); {} to date", money(earned_now, places), money(forfeited, places))
                    }
                });
            }
        }
        let e3 = e2 + adj[2];
        if let Some(cap) = comp.cap {
            adj[3] = (cap - e3).min(Decimal::ZERO);
            note(3, &|| {
                format!(
                    "earned to date {} capped at {} per {}",
                    money(e3, places),
                    money(cap, places),
                    comp.measurement_period
                )
            });
        }
        let exact = e3 + adj[3];
        let rounded = plan.rounding.apply(exact);
        adj[4] = rounded - exact;
        note(4, &|| {
            format!(
                "round({}) = {} ({}) less the previous period's rounding",
                money(exact, places),
                money(rounded, places),
                plan.rounding
            )
        });

        let kinds = [
            LineKind::Threshold,
            LineKind::Multiplier,
            LineKind::Gate,
            LineKind::Cap,
            LineKind::Rounding,
        ];
        if lines_wanted {
            for k in 0..5 {
                let delta = adj[k] - prev[k];
                if !delta.is_zero() {
                    let mut line = Line::note(kinds[k], None, delta, std::mem::take(&mut notes[k]));
                    if kinds[k] == LineKind::Rounding {
                        line.from = exact;
                        line.to = rounded;
                    }
                    lines.push(line);
                }
            }
        }
        let capped_off = step.deal_capped - (adj[3] - prev[3]);
        // Lines are kept until the statements are written: without the growth slack.
        lines.shrink_to_fit();
        results.push(PeriodResult {
            payout_period: *p,
            measurement_period: m,
            in_run: in_run.contains(p),
            quota,
            quota_scale: quota_scale.clone().map(Box::new),
            measure_to_date: step.measure,
            attainment: quota.and_then(|q| step.measure.checked_div(q.amount)),
            deals_to_date: step.count,
            earned_exact: exact,
            earned_to_date: rounded,
            paid_to_date: prev_rounded,
            payable: rounded - prev_rounded,
            capped_off,
            lines,
            credits: std::mem::take(&mut step.credits),
        });
        prev = adj;
        prev_rounded = rounded;
        prev_e2 = e2;
    }
    Some(results)
}

/// Walk the entries payout period by payout period, calling `deal` for each before adding it to the
/// measure; `deal` adds the deal's earning to `step.exact` (which starts at `initial`, then carries
/// over from one payout period to the next, like `step.measure` and `step.count`).
fn walk(
    payouts: &[Period],
    entries: &[Entry],
    keep_credits: bool,
    initial: Decimal,
    mut deal: impl FnMut(&Entry, &mut Step) -> Option<()>,
) -> Option<Vec<Step>> {
    walk_events(
        payouts,
        entries,
        keep_credits,
        initial,
        |event, step| match event {
            Event::Deal(e) => deal(e, step),
            Event::End(_) => Some(()),
        },
    )
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
    keep_credits: bool,
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
        while next < entries.len() && entries[next].date <= end {
            let e = &entries[next];
            next += 1;
            step.count += 1;
            on(Event::Deal(e), &mut step)?;
            step.measure += e.credit.credited;
            if keep_credits {
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
    let comp = &plan.components[ci];
    let deals = &rc.ctx.inputs.deals;
    let scale = quota.map(|q| q.amount);
    let overflow = |diags: &mut Vec<Diagnostic>| {
        diags.push(
            Diagnostic::error(
                "amount-out-of-range",
                &plan.file,
                "tier breakpoint × quota overflows",
            )
            .line(comp.line),
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
    let clip_below = c
        .threshold
        .filter(|t| !t.catch_up)
        .map(|t| match c.table.basis {
            Basis::Attainment => t.at * scale.unwrap_or_default(),
            Basis::Amount => t.at,
        });
    let tier_on = rc.bound.tier_on[ci];
    let lines_wanted = rc.ctx.settings.lines;
    let bound_rules = &rc.bound.rules[ci];
    let cap_by = c.cap_by.as_ref().zip(rc.bound.cap_by[ci]);
    let mut earned_by_value: std::collections::HashMap<String, Decimal> = Default::default();

    // Without statement lines, a cumulative table with nothing priced deal by deal (no rules,
    // threshold cut, deal cap or floor, tiering on another value) earns exactly its earning at the
    // measure to date: the deals' pieces telescope (tiers.rs proves it by property test), so each
    // payout period reads the table once instead of once per deal.
    if let (false, false, Some(schedule)) = (lines_wanted, rc.ctx.settings.credits, &default) {
        if c.rules.is_empty()
            && tier_on.is_none()
            && clip_below.is_none()
            && c.deal_cap.is_none()
            && c.deal_floor.is_none()
            && c.table.scope == Scope::Cumulative
            && !has_tier_amounts(&c.table)
            && c.cap_by.is_none()
        {
            let mut steps = walk(payouts, entries, false, Decimal::ZERO, |_, _| Some(()))?;
            for step in &mut steps {
                step.exact = schedule.earning(step.measure);
            }
            return Some(steps);
        }
    }

    walk(
        payouts,
        entries,
        rc.ctx.settings.credits,
        Decimal::ZERO,
        |e, step| {
            let credit = e.credit;
            let row = credit.deal as usize;
            let v = credit.credited;
            let before = step.measure;
            let after = before + v;

            // The most specific matching rule; a tie between the most specific ones is a plan error.
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
                Diagnostic::error("plan-rules-ambiguous", &plan.file, format!(
                    "component `{}`: deal `{}` matches the rules at lines {} and {}, equally specific",
                    comp.id, deals.id(row), c.rules[best[0]].line, c.rules[best[1]].line
                ))
                .line(c.rules[best[1]].line)
                .hint("make one rule more specific (add a condition), or make them exclusive"),
            );
                return None;
            }
            let rule = best.first().copied();
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
            let mut tier_key = None;
            let mut pieces: Pieces = match tier_on {
                _ if per_deal.is_some() => {
                    smallvec::smallvec![per_deal_piece(
                        per_deal.unwrap_or_default(),
                        &credit,
                        before,
                        after
                    )]
                }
                Some(source) => {
                    let Some(key) = rc.bound.number(deals, source, row) else {
                        diags.push(
                            Diagnostic::error(
                                "value-missing",
                                &deals.file,
                                format!(
                        "deal `{}`: the value `{}` that component `{}` tiers on is empty",
                        deals.id(row), c.tier_on.as_deref().unwrap_or(""), comp.id
                    ),
                            )
                            .line(deals.line(row)),
                        );
                        return None;
                    };
                    tier_key = Some(key);
                    let band = schedule.tier_of(key);
                    let rate = band.map_or(Decimal::ZERO, |b| b.rate);
                    smallvec::smallvec![Piece {
                        kind: PieceKind::Slice,
                        tier: band.map(|b| b.tier),
                        from: key,
                        to: key,
                        base: v,
                        rate,
                        amount: v * rate,
                        per: None,
                    }]
                }
                None => match table.scope {
                    Scope::Cumulative => schedule.pieces(before, after),
                    Scope::Transaction => schedule.pieces(Decimal::ZERO, v),
                },
            };
            if let Some(t) = clip_below {
                if tier_on.is_none() && table.scope == Scope::Cumulative {
                    // Slices of the cumulative measure below the threshold earn nothing.
                    for piece in &mut pieces {
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
                } else {
                    // A deal counts for the part of it above the threshold.
                    let share = if after <= t {
                        Decimal::ZERO
                    } else if before >= t || v.is_zero() {
                        Decimal::ONE
                    } else {
                        (after - t) / v
                    };
                    for piece in &mut pieces {
                        piece.amount *= share;
                    }
                    pieces.retain(|p| !p.amount.is_zero());
                }
            }
            if clip_below.is_some() && pieces.is_empty() && lines_wanted {
                step.lines.push(Line::note(LineKind::Threshold, Some(credit), Decimal::ZERO,
                "below the threshold: this deal counts toward the measure but earns nothing (no catch-up)".into()));
            }
            let mut total: Decimal = pieces.iter().map(|p| p.amount).sum();
            if lines_wanted {
                let chosen = chosen_by(rc, c, rule, tier_key, row);
                step.lines.extend(pieces.iter().map(|p| {
                    let mut line = Line::from_piece(p.kind, credit, p, rule.map(|r| r as u32));
                    line.detail = chosen.clone();
                    line
                }));
            }
            if let Some(cap) = c.deal_cap {
                if total > cap {
                    let cut = total - cap;
                    step.deal_capped += cut;
                    if lines_wanted {
                        step.lines.push(Line::note(
                            LineKind::DealCap,
                            Some(credit),
                            -cut,
                            format!(
                                "deal earns {}, capped at {} per deal",
                                money(total, plan.rounding.places),
                                money(cap, plan.rounding.places)
                            ),
                        ));
                    }
                    total = cap;
                }
            }
            if let Some(floor) = c.deal_floor {
                // The minimum lifts a deal that earns something; a deal that earns nothing (below a
                // threshold, at a 0% tier, or priced by no rule) stays at zero.
                if total > Decimal::ZERO && total < floor {
                    if lines_wanted {
                        step.lines.push(Line::note(
                            LineKind::DealFloor,
                            Some(credit),
                            floor - total,
                            format!(
                                "deal earns {}, raised to the minimum of {} per deal",
                                money(total, plan.rounding.places),
                                money(floor, plan.rounding.places)
                            ),
                        ));
                    }
                    total = floor;
                }
            }
            if let Some((cap, col)) = cap_by {
                let key = deals.columns[col].display(row);
                let so_far = earned_by_value.entry(key.clone()).or_default();
                let line_for = lines_wanted.then_some(credit);
                total = cap_dimension(
                    cap,
                    key,
                    so_far,
                    total,
                    step,
                    line_for,
                    plan.rounding.places,
                );
            }
            step.exact += total;
            Some(())
        },
    )
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
        rc.ctx.settings.credits,
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
        rc.ctx.settings.credits,
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
        rc.ctx.settings.credits,
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
            .periods_of(comp.payout_period)
            .into_iter()
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
                quota: None,
                quota_scale: None,
                measure_to_date: total,
                attainment: None,
                deals_to_date: 0,
                earned_exact: -cut,
                earned_to_date: -cut,
                paid_to_date: -prev_cut,
                payable,
                capped_off: -payable,
                lines,
                credits: Vec::new(),
            });
            prev_cut = cut;
        }
        c = c.next();
    }
    out
}
