//! The pure engine: validated inputs in, results with a full trace out. No I/O, no clock, no
//! environment; parallel over reps with rayon and deterministic whatever the thread count.
//!
//! Pipeline per rep: credit (the rep's own deals, while active) → measures (filter, value, FX to the
//! plan currency) → per component and measurement period: quota, tiers resolved to amounts, deals
//! walked in (date, deal id) order, earning accumulated → per payout period: earned-to-date rounded,
//! payable = earned-to-date − earned-to-date at the end of the previous payout period of the same
//! measurement period (the true-up).

mod bind;
pub mod result;
pub mod tiers;

use std::collections::BTreeMap;

use rayon::prelude::*;
use rust_decimal::Decimal;

pub use bind::{BoundMeasure, BoundValue};
pub use result::*;
use tiers::Schedule;

use crate::data::Inputs;
use crate::diag::{Diagnostic, Diagnostics, InvalidInput};
use crate::period::Period;
use crate::plan::{ComponentKind, Plan, Scope};

/// What to compute.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The run period: every payout period that ends in it is computed.
    pub period: Period,
    /// Keep every statement line (false for payout totals only: less memory on large batches).
    pub lines: bool,
}

/// An internal inconsistency: a bug, never a user error.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0} (this is a bug in payout; the run was stopped and nothing was paid)")]
pub struct InternalError(pub String);

struct Context<'a> {
    inputs: &'a Inputs,
    settings: Settings,
    measures: Vec<Vec<BoundMeasure>>,
    stage: Option<usize>,
}

/// Compute the run. `Err` holds every problem found (missing quotas or FX rates, unusable columns).
pub fn compute_run(inputs: &Inputs, settings: Settings) -> Result<RunResult, InvalidInput> {
    let mut diags = Diagnostics::new();
    let mut measures = Vec::new();
    for plan in &inputs.plans {
        let mut bound = Vec::new();
        for m in &plan.measures {
            match bind::bind_measure(plan, m, &inputs.deals) {
                Ok((b, warnings)) => {
                    bound.push(b);
                    diags.extend(warnings);
                }
                Err(ds) => diags.extend(ds),
            }
        }
        measures.push(bound);
    }
    if diags.has_errors() {
        return Err(InvalidInput(diags.into_sorted()));
    }
    let ctx = Context {
        inputs,
        settings,
        measures,
        stage: inputs.deals.column("stage"),
    };

    let mut by_rep: Vec<Vec<u32>> = vec![Vec::new(); inputs.roster.len()];
    for (row, &rep) in inputs.deals.reps.iter().enumerate() {
        by_rep[rep as usize].push(row as u32);
    }
    let outcomes: Vec<RepOutcome> = by_rep
        .into_par_iter()
        .enumerate()
        .map(|(rep, rows)| compute_rep(&ctx, rep as u32, rows))
        .collect();

    let mut reps = Vec::new();
    let mut statuses: Vec<Option<Status>> = vec![None; inputs.deals.len()];
    for o in outcomes {
        diags.extend(o.diags);
        if let Some(r) = o.result {
            reps.push(r);
        }
        for (row, status) in o.statuses {
            statuses[row as usize] = Some(status);
        }
    }
    if diags.has_errors() {
        return Err(InvalidInput(diags.into_sorted()));
    }
    let not_credited = if settings.lines {
        statuses
            .iter()
            .enumerate()
            .filter_map(|(row, s)| match s {
                Some(Status::Credited) => None,
                other => Some((row as u32, other.clone().unwrap_or(Status::NoPlan))),
            })
            .collect()
    } else {
        Vec::new()
    };
    let reconciliation = reconcile(inputs, statuses);
    Ok(RunResult {
        period: settings.period,
        reps,
        reconciliation,
        not_credited,
        warnings: diags.into_sorted(),
    })
}

fn reconcile(inputs: &Inputs, statuses: Vec<Option<Status>>) -> Reconciliation {
    let deals = &inputs.deals;
    let mut rec = Reconciliation::default();
    for (row, status) in statuses.into_iter().enumerate() {
        let currency = deals.currency(row);
        let amount = deals.amount(row);
        rec.input.entry(currency.clone()).or_default().add(amount);
        rec.by_status
            .entry(status.unwrap_or(Status::NoPlan))
            .or_default()
            .entry(currency)
            .or_default()
            .add(amount);
    }
    rec
}

struct RepOutcome {
    result: Option<RepResult>,
    statuses: Vec<(u32, Status)>,
    diags: Vec<Diagnostic>,
}

/// A deal as it enters one measure: when, and its credit.
#[derive(Clone, Copy)]
struct Entry {
    date: chrono::NaiveDate,
    credit: Credit,
}

fn compute_rep(ctx: &Context, rep_index: u32, mut rows: Vec<u32>) -> RepOutcome {
    let inputs = ctx.inputs;
    let deals = &inputs.deals;
    let rep = inputs.roster.get(rep_index);
    let mut out = RepOutcome {
        result: None,
        statuses: Vec::with_capacity(rows.len()),
        diags: Vec::new(),
    };
    let Some(plan_index) = rep.plan else {
        out.statuses
            .extend(rows.iter().map(|&r| (r, Status::NoPlan)));
        return out;
    };
    let plan = &inputs.plans[plan_index];
    let run = ctx.settings.period;
    rows.sort_by(|&a, &b| {
        (deals.close_date(a as usize), &deals.ids[a as usize])
            .cmp(&(deals.close_date(b as usize), &deals.ids[b as usize]))
    });

    let mut used_local: Vec<bool> = vec![false; rows.len()];
    let mut selected_local: Vec<bool> = vec![false; rows.len()];
    let mut window: Option<(chrono::NaiveDate, chrono::NaiveDate)> = None;
    let mut components = Vec::new();

    for (ci, comp) in plan.components.iter().enumerate() {
        let payouts: Vec<Period> = run
            .periods_of(comp.payout_period)
            .into_iter()
            .filter(|p| run.contains(p.end()) && rep.active_between(p.start(), p.end()))
            .collect();
        if payouts.is_empty() {
            continue;
        }
        let measure = &ctx.measures[plan_index][comp.measure];
        // The rep's deals this measure selects, in (date, id) order.
        let mut entries: Vec<(usize, Entry)> = Vec::new();
        for (local, &row) in rows.iter().enumerate() {
            let r = row as usize;
            if !measure.selects(deals, r) {
                continue;
            }
            selected_local[local] = true;
            let Some(date) = deals.columns[measure.date_column].date(r) else {
                continue;
            };
            if !rep.active_on(date) {
                continue;
            }
            entries.push((
                local,
                Entry {
                    date,
                    credit: Credit {
                        deal: row,
                        source_value: Decimal::ZERO,
                        fx_rate: None,
                        credited: Decimal::ZERO,
                    },
                },
            ));
        }
        if measure.date_column != deals.close_date {
            entries.sort_by(|a, b| {
                (a.1.date, &deals.ids[a.1.credit.deal as usize])
                    .cmp(&(b.1.date, &deals.ids[b.1.credit.deal as usize]))
            });
        }

        let mut periods = Vec::new();
        let mut start = 0;
        while start < payouts.len() {
            let measurement = payouts[start].within(comp.measurement_period);
            let mut end = start;
            while end < payouts.len() && payouts[end].within(comp.measurement_period) == measurement
            {
                end += 1;
            }
            let last = payouts[end - 1];
            window = Some(match window {
                None => (measurement.start(), last.end()),
                Some((a, b)) => (a.min(measurement.start()), b.max(last.end())),
            });
            let in_run = &payouts[start..end];
            let lo = entries.partition_point(|e| e.1.date < measurement.start());
            let hi = entries.partition_point(|e| e.1.date <= last.end());
            for e in &mut entries[lo..hi] {
                used_local[e.0] = true;
                match credit_value(ctx, plan, measure, e.1.credit.deal as usize, e.1.date) {
                    Ok(c) => e.1.credit = c,
                    Err(d) => out.diags.push(d),
                }
            }
            if let Some(p) = compute_measurement_period(
                ctx,
                plan,
                ci,
                rep_index,
                measurement,
                in_run,
                &entries[lo..hi],
                &mut out.diags,
            ) {
                periods.extend(p);
            }
            start = end;
        }
        components.push(ComponentResult {
            component: ci,
            periods,
        });
    }

    for (local, &row) in rows.iter().enumerate() {
        let r = row as usize;
        let date = deals.close_date(r);
        let status = if used_local[local] {
            Status::Credited
        } else if window.is_none_or(|(a, b)| date < a || date > b) {
            Status::OutOfPeriod
        } else if !rep.active_on(date) {
            Status::RepInactive
        } else if selected_local[local] {
            Status::OutOfPeriod
        } else {
            Status::Filtered(
                ctx.stage
                    .map(|s| deals.columns[s].display(r))
                    .unwrap_or_default(),
            )
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
    measure: &BoundMeasure,
    row: usize,
    date: chrono::NaiveDate,
) -> Result<Credit, Diagnostic> {
    let deals = &ctx.inputs.deals;
    let (index, money) = match measure.value {
        BoundValue::Count => {
            return Ok(Credit {
                deal: row as u32,
                source_value: Decimal::ONE,
                fx_rate: None,
                credited: Decimal::ONE,
            })
        }
        BoundValue::Column { index, money } => (index, money),
    };
    let col = &deals.columns[index];
    let Some(value) = col.decimal(row) else {
        return Err(Diagnostic::error(
            "value-missing",
            &deals.file,
            format!(
                "deal `{}` is selected by plan `{}` but its `{}` is empty",
                deals.ids[row], plan.id, col.name
            ),
        )
        .line(deals.lines[row])
        .col_name(col.header.clone()));
    };
    let currency = deals.currency(row);
    if money && currency.is_empty() {
        if let Some(c) = deals.currency {
            return Err(Diagnostic::error(
                "value-missing",
                &deals.file,
                format!(
                    "deal `{}` is selected by plan `{}` but its currency is empty",
                    deals.ids[row], plan.id
                ),
            )
            .line(deals.lines[row])
            .col_name(deals.columns[c].header.clone())
            .hint(format!("write the currency code, e.g. {}", plan.currency)));
        }
    }
    if !money || currency.is_empty() || currency == plan.currency {
        return Ok(Credit {
            deal: row as u32,
            source_value: value,
            fx_rate: None,
            credited: value,
        });
    }
    match ctx.inputs.fx.rate_on(&currency, date) {
        Some(rate) => Ok(Credit {
            deal: row as u32,
            source_value: value,
            fx_rate: Some(rate.rate),
            credited: value * rate.rate,
        }),
        None => Err(Diagnostic::error(
            "fx-rate-missing",
            &deals.file,
            format!(
                "no {currency}→{} rate on or before {date} for deal `{}`",
                plan.currency, deals.ids[row]
            ),
        )
        .line(deals.lines[row])
        .value(currency.clone())
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

#[allow(clippy::too_many_arguments)]
fn compute_measurement_period(
    ctx: &Context,
    plan: &Plan,
    ci: usize,
    rep: u32,
    measurement: Period,
    in_run: &[Period],
    entries: &[(usize, Entry)],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<PeriodResult>> {
    let comp = &plan.components[ci];
    let ComponentKind::Commission(table) = &comp.kind;
    let quota = ctx
        .inputs
        .quotas
        .lookup(rep, &comp.quota_measure, measurement);
    if quota.is_none() && comp.needs_quota() {
        let r = ctx.inputs.roster.get(rep);
        diags.push(Diagnostic::error("quota-missing", ctx.inputs.quotas.file_or(&plan.file), format!(
            "rep `{}` has no `{}` quota for {measurement}, which component `{}` of plan `{}` needs for attainment",
            r.id, comp.quota_measure, comp.id, plan.id
        )).hint(format!("add a row `{},{measurement},{},<amount>` to the quotas file", r.id, comp.quota_measure)));
        return None;
    }
    let Some(schedule) = Schedule::resolve(table, quota.map(|q| q.amount)) else {
        diags.push(
            Diagnostic::error(
                "amount-out-of-range",
                &plan.file,
                "tier breakpoint × quota overflows",
            )
            .line(comp.line),
        );
        return None;
    };
    let last = *in_run.last()?;
    let lines_wanted = ctx.settings.lines;
    let mut results = Vec::new();
    let (mut cum, mut exact, mut prev_rounded, mut prev_exact) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut count = 0u32;
    let mut next = 0;
    for payout in measurement.periods_of(comp.payout_period) {
        if payout.start() > last.end() {
            break;
        }
        let mut lines = Vec::new();
        while next < entries.len() && entries[next].1.date <= payout.end() {
            let credit = entries[next].1.credit;
            next += 1;
            count += 1;
            let v = credit.credited;
            let pieces = match table.scope {
                Scope::Cumulative => schedule.pieces(cum, cum + v),
                Scope::Transaction => schedule.pieces(Decimal::ZERO, v),
            };
            cum += v;
            for p in &pieces {
                exact += p.amount;
                if lines_wanted {
                    lines.push(Line::from_piece(p.kind, credit, p));
                }
            }
        }
        let rounded = plan.rounding.apply(exact);
        let rounding_change = (rounded - exact) - (prev_rounded - prev_exact);
        if lines_wanted && !rounding_change.is_zero() {
            lines.push(Line {
                kind: LineKind::Rounding,
                credit: None,
                tier: None,
                from_tier: None,
                from: exact,
                to: rounded,
                base: Decimal::ZERO,
                rate: Decimal::ZERO,
                amount: rounding_change,
            });
        }
        results.push(PeriodResult {
            payout_period: payout,
            measurement_period: measurement,
            in_run: in_run.contains(&payout),
            quota,
            measure_to_date: cum,
            attainment: quota.and_then(|q| cum.checked_div(q.amount)),
            deals_to_date: count,
            earned_exact: exact,
            earned_to_date: rounded,
            paid_to_date: prev_rounded,
            payable: rounded - prev_rounded,
            lines,
        });
        prev_rounded = rounded;
        prev_exact = exact;
    }
    Some(results)
}

/// Check the invariants of a run; a failure is a bug, reported as an internal error (exit 2).
pub fn check_invariants(
    inputs: &Inputs,
    run: &RunResult,
    lines: bool,
) -> Result<(), InternalError> {
    for r in &run.reps {
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
                if p.payable != p.earned_to_date - p.paid_to_date {
                    return Err(InternalError(format!(
                        "payable ≠ earned-to-date − paid-to-date for {}",
                        who()
                    )));
                }
                if p.earned_to_date != plan.rounding.apply(p.earned_exact) {
                    return Err(InternalError(format!(
                        "earned-to-date is not the rounded exact earning for {}",
                        who()
                    )));
                }
                if lines && p.lines.iter().map(|l| l.amount).sum::<Decimal>() != p.payable {
                    return Err(InternalError(format!(
                        "statement lines do not sum to the payable for {}",
                        who()
                    )));
                }
            }
        }
    }
    let rec = &run.reconciliation;
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
