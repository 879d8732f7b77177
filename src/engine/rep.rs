//! One rep's computation: which deals enter which measure (credit, while the rep is active), their
//! values in the plan currency, which periods each component computes, and the status of every deal.
//!
//! Invariants: every deal row of the rep gets exactly one status; a deal is `Credited` only when it
//! lies in a range some component (or its gate or multiplier) actually computes; entries of a
//! measure are in (date, deal id) order, so results do not depend on input row order.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::bind::{BoundPlan, BoundValue};
use super::component::{self, Span};
use super::{ComponentResult, Context, Credit, Outcome, RepResult};
use crate::data::Rep;
use crate::diag::Diagnostic;
use crate::period::Period;
use crate::plan::{ComponentKind, Plan};

pub(crate) struct RepOutcome {
    pub result: Option<RepResult>,
    pub statuses: Vec<(u32, Outcome)>,
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
            result: None,
            statuses: Vec::new(),
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

pub(crate) fn compute_rep(ctx: &Context, rep_index: u32, rows: Vec<u32>) -> RepOutcome {
    let inputs = ctx.inputs;
    let deals = &inputs.deals;
    let rep = inputs.roster.get(rep_index);
    let mut out = RepOutcome {
        result: None,
        statuses: Vec::with_capacity(rows.len()),
        diags: Vec::new(),
        exceptions: Vec::new(),
    };
    let Some(plan_index) = rep.plan else {
        out.statuses
            .extend(rows.iter().map(|&r| (r, Outcome::NoPlan)));
        return out;
    };
    let plan = &inputs.plans[plan_index];
    let bound = &ctx.plans[plan_index];
    let run = ctx.settings.period;
    // (date, id) order; the dates are read once, ids compared only between deals of one day.
    let mut keyed: Vec<(NaiveDate, u32)> = rows
        .iter()
        .map(|&r| (deals.close_date(r as usize), r))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| deals.id_key(a.1 as usize).cmp(deals.id_key(b.1 as usize)))
    });
    let rows: Vec<u32> = keyed.iter().map(|&(_, r)| r).collect();

    // Which payout periods each component computes: those ending in the run period while the rep is
    // active, preceded by the earlier ones of their measurement period (and plan cap period) for the true-up.
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
                .filter(|p| run.contains(p.end()) && rep.active_between(p.start(), p.end()))
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
    }

    let mut selected = vec![false; rows.len()];
    let mut used = vec![false; rows.len()];
    let mut excepted = vec![false; rows.len()];
    let mut cancelled = vec![false; rows.len()];
    let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); plan.measures.len()];
    // One pass over the rep's deals, every needed measure per deal: each deal's cells are read
    // from memory once (the deals of a rep are scattered through the table).
    let active: Vec<(usize, NaiveDate, NaiveDate)> = needed
        .iter()
        .enumerate()
        .filter_map(|(m, r)| r.map(|(a, b)| (m, a, b)))
        .collect();
    for (local, &row) in rows.iter().enumerate() {
        let r = row as usize;
        for &(m, from, to) in &active {
            let measure = &bound.measures[m];
            if !bound.selects(deals, m, r) {
                continue;
            }
            selected[local] = true;
            let date = if measure.date_column == deals.close_date {
                keyed[local].0
            } else {
                match deals.columns[measure.date_column].date(r) {
                    Some(d) => d,
                    None => continue,
                }
            };
            if date < from || date > to || !rep.active_on(date) {
                continue;
            }
            match credit_value(ctx, plan, bound, measure.value, r, date) {
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
                    used[local] = true;
                    entries[m].push(Entry { date, credit });
                }
                Err(d) if ctx.settings.lenient => {
                    // The deal leaves every measure of the run and goes to the exceptions, once.
                    if !excepted[local] {
                        out.exceptions.push(d);
                    }
                    excepted[local] = true;
                }
                Err(d) => out.diags.push(d),
            }
        }
    }
    for &(m, _, _) in &active {
        if bound.measures[m].date_column != deals.close_date {
            entries[m].sort_unstable_by(|a, b| {
                a.date.cmp(&b.date).then_with(|| {
                    deals
                        .id_key(a.credit.deal as usize)
                        .cmp(deals.id_key(b.credit.deal as usize))
                })
            });
        }
    }

    if excepted.iter().any(|&e| e) {
        let excepted_rows: Vec<u32> = rows
            .iter()
            .zip(&excepted)
            .filter(|(_, &e)| e)
            .map(|(&r, _)| r)
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

    let window =
        needed
            .iter()
            .flatten()
            .fold(None, |acc: Option<(NaiveDate, NaiveDate)>, &(a, b)| {
                Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
            });
    for (local, &(date, row)) in keyed.iter().enumerate() {
        let status = if excepted[local] {
            Outcome::Exception
        } else if used[local] {
            Outcome::Credited
        } else if cancelled[local] {
            Outcome::Cancelled
        } else if window.is_none_or(|(a, b)| date < a || date > b) {
            Outcome::OutOfPeriod
        } else if !rep.active_on(date) {
            Outcome::RepInactive
        } else if selected[local] {
            Outcome::OutOfPeriod
        } else {
            Outcome::Filtered
        };
        out.statuses.push((row, status));
    }
    out.result = Some(RepResult {
        rep: rep_index,
        plan: plan_index,
        components,
    });
    out
}

/// The deal's value for a measure, converted to the plan currency when it is money.
fn credit_value(
    ctx: &Context,
    plan: &Plan,
    bound: &BoundPlan,
    value: BoundValue,
    row: usize,
    date: NaiveDate,
) -> Result<Credit, Diagnostic> {
    let deals = &ctx.inputs.deals;
    let (source, money) = match value {
        BoundValue::Count => {
            return Ok(Credit {
                deal: row as u32,
                date,
                source_value: Decimal::ONE,
                fx_rate: None,
                credited: Decimal::ONE,
            })
        }
        BoundValue::Number { source, money } => (source, money),
    };
    let Some(value) = bound.number(deals, source, row) else {
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
    let currency = deals.currency(row);
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
        return Ok(Credit {
            deal: row as u32,
            date,
            source_value: value,
            fx_rate: None,
            credited: value,
        });
    }
    match ctx.inputs.fx.rate_on(currency, date) {
        Some(rate) => Ok(Credit {
            deal: row as u32,
            date,
            source_value: value,
            fx_rate: Some(rate.rate),
            credited: value * rate.rate,
        }),
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
