//! The estimator: a rep's payable without and with hypothetical deals, the statement lines they add
//! or change, and how much more measure reaches the next tier.
//!
//! Invariants: both runs go through the same [`Runner`] (the ledger applies to both: a closed
//! payout period keeps its recorded payable); nothing is written; `after − before` of every row is
//! the change the deals make, and the payables are summed over the run's payout periods.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::deals::{add_deals, DealText, Defaults};
use super::Runner;
use crate::data::Inputs;
use crate::diag::Diagnostic;
use crate::engine::tiers::Schedule;
use crate::engine::{Line, RepResult, RunResult, Settings};
use crate::period::Period;
use crate::plan::{Boundary, ComponentKind, Scope};

/// One payout row of the rep: a component in a payout period.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RowKey {
    pub plan: String,
    pub component: String,
    pub payout_period: Period,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RowValues {
    pub measure_to_date: Decimal,
    pub attainment: Option<Decimal>,
    pub earned_to_date: Decimal,
    pub payable: Decimal,
    pub capped_off: Decimal,
}

/// One statement line, identified by what it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LineKey {
    pub component: String,
    pub payout_period: Period,
    pub kind: &'static str,
    pub deal_id: String,
    /// 1-based, as statements print it.
    pub tier: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineValues {
    pub base: Decimal,
    pub rate: Decimal,
    pub amount: Decimal,
    pub detail: String,
}

/// A rep's rows and lines in the run's payout periods.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub rows: BTreeMap<RowKey, RowValues>,
    pub lines: BTreeMap<LineKey, LineValues>,
    /// The run's warnings.
    pub warnings: Vec<Diagnostic>,
    /// The watched deal rows no line of the rep names, with why no measure selects them.
    pub uncounted: Vec<(u32, String)>,
}

/// A row or line before and after (`None`: not there).
#[derive(Debug, Clone, Serialize)]
pub struct Change<K, V> {
    pub key: K,
    pub before: Option<V>,
    pub after: Option<V>,
}

/// How far the measure is from the next tier of a component's rate table.
#[derive(Debug, Clone, Serialize)]
pub struct NextTier {
    pub component: String,
    pub measurement_period: Period,
    pub measure_to_date: Decimal,
    /// 1-based tier reached now (None: below the first).
    pub tier: Option<usize>,
    pub next_tier: usize,
    pub next_rate: Decimal,
    /// Where the next tier starts, in measure units (attainment tiers × quota).
    pub starts_at: Decimal,
    /// `starts_at − measure_to_date`; the tier is reached at it (`from-inclusive`) or just past it.
    pub more_needed: Decimal,
    pub inclusive: bool,
}

/// A hypothetical deal no measure of the rep counts.
#[derive(Debug, Serialize)]
pub struct NotCounted {
    pub deal_id: String,
    /// The first filter condition it fails, with its plan line; empty when none explains it.
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Estimate {
    pub rep_id: String,
    pub rep_name: String,
    pub period: Period,
    pub deals: Vec<String>,
    /// The deals that close outside the period (they change nothing in it).
    pub outside_period: Vec<String>,
    /// The deals in the period that no measure counts for the rep, with why (they change nothing).
    pub not_counted: Vec<NotCounted>,
    pub payable_before: Decimal,
    pub payable_after: Decimal,
    pub rows: Vec<Change<RowKey, RowValues>>,
    /// Lines added, changed or gone; unchanged ones are left out.
    pub lines: Vec<Change<LineKey, LineValues>>,
    pub next_tiers: Vec<NextTier>,
}

/// Estimate rep `rep`'s payable in `period` with `deals` added to the data.
pub fn estimate(
    inputs: &mut Inputs,
    runner: &dyn Runner,
    settings: Settings,
    rep: u32,
    deals: &[DealText],
    defaults: &Defaults,
) -> Result<(Estimate, Vec<Diagnostic>), anyhow::Error> {
    let mut before = snapshot(inputs, runner, settings, rep, &[])?.0;
    let warnings = std::mem::take(&mut before.warnings);
    let rows = add_deals(inputs, deals, defaults).map_err(anyhow::Error::msg)?;
    let in_period: Vec<u32> = (rows.iter().copied())
        .filter(|&row| {
            settings
                .period
                .contains(inputs.deals.close_date(row as usize))
        })
        .collect();
    let (after, results) = snapshot(inputs, runner, settings, rep, &in_period)?;
    let r = inputs.roster.get(rep);
    let total = |s: &Snapshot| s.rows.values().map(|v| v.payable).sum::<Decimal>();
    let estimate = Estimate {
        rep_id: r.id.clone(),
        rep_name: r.name.clone(),
        period: settings.period,
        deals: rows
            .iter()
            .map(|&row| inputs.deals.id(row as usize).to_string())
            .collect(),
        outside_period: rows
            .iter()
            .map(|&row| row as usize)
            .filter(|&row| !settings.period.contains(inputs.deals.close_date(row)))
            .map(|row| inputs.deals.id(row).to_string())
            .collect(),
        not_counted: (after.uncounted.iter())
            .map(|(row, reason)| NotCounted {
                deal_id: inputs.deals.id(*row as usize).to_string(),
                reason: reason.clone(),
            })
            .collect(),
        payable_before: total(&before),
        payable_after: total(&after),
        rows: changes(&before.rows, &after.rows, true),
        lines: changes(&before.lines, &after.lines, false),
        next_tiers: next_tiers(inputs, &results),
    };
    Ok((estimate, warnings))
}

/// The rep's rows and lines, and its results (settled payables, engine lines); the rows of
/// `watched` that no line of the rep names are [`Snapshot::uncounted`].
fn snapshot(
    inputs: &Inputs,
    runner: &dyn Runner,
    settings: Settings,
    rep: u32,
    watched: &[u32],
) -> Result<(Snapshot, Vec<RepResult>), anyhow::Error> {
    let (run, tracer) = runner.run(inputs, settings)?;
    let traced = match &tracer {
        Some(t) => t.trace(rep)?,
        None => mine(&run, rep),
    };
    let named = |row: u32| {
        (traced.iter().flat_map(|r| &r.components))
            .flat_map(|c| &c.periods)
            .flat_map(|p| p.lines())
            .any(|l| l.credit.is_some_and(|c| c.deal == row))
    };
    let reason = |row: u32| match &tracer {
        Some(t) => t.filter_reason(row as usize),
        None => (run.not_credited.iter())
            .find(|(r, _)| *r == row)
            .map(|(_, status)| status.describe())
            .unwrap_or_default(),
    };
    let mut snap = Snapshot {
        warnings: run.warnings.clone(),
        uncounted: (watched.iter().copied())
            .filter(|&row| !named(row))
            .map(|row| (row, reason(row)))
            .collect(),
        ..Snapshot::default()
    };
    for r in mine(&run, rep) {
        let plan = &inputs.plans[r.plan];
        for c in &r.components {
            for p in c.periods.iter().filter(|p| p.in_run) {
                let key = RowKey {
                    plan: plan.id.clone(),
                    component: plan.components[c.component].id.clone(),
                    payout_period: p.payout_period,
                };
                let v = snap.rows.entry(key).or_default();
                v.measure_to_date = p.measure_to_date;
                v.attainment = p.attainment();
                v.earned_to_date += p.earned_to_date;
                v.payable += p.payable;
                v.capped_off += p.capped_off();
            }
        }
    }
    for r in &traced {
        let plan = &inputs.plans[r.plan];
        for c in &r.components {
            for p in c.periods.iter().filter(|p| p.in_run) {
                for l in p.lines() {
                    let key =
                        line_key(inputs, &plan.components[c.component].id, p.payout_period, l);
                    let v = snap.lines.entry(key).or_default();
                    v.base += l.base;
                    v.rate = l.rate;
                    v.amount += l.amount;
                    v.detail = l.detail.as_deref().unwrap_or_default().to_string();
                }
            }
        }
    }
    add_payment_lines(inputs, &run, rep, &mut snap);
    Ok((snap, traced))
}

/// The payment step's lines of the rep's open payout periods (holds, releases, clawbacks,
/// corrections, draws, carried balances), beside the engine's.
fn add_payment_lines(inputs: &Inputs, run: &RunResult, rep: u32, snap: &mut Snapshot) {
    for ((owner, period), entries) in &run.payment.entries {
        if owner.rep.0 != rep || !run.period.covers(period) {
            continue;
        }
        let component = &inputs.plans[owner.plan.0].components[owner.component.0].id;
        for e in entries {
            let key = LineKey {
                component: component.clone(),
                payout_period: *period,
                kind: e.kind.name(),
                deal_id: e.deal_id.clone(),
                tier: None,
            };
            let v = snap.lines.entry(key).or_default();
            v.amount += e.amount;
            v.detail = e.note.clone();
        }
    }
}

fn mine(run: &RunResult, rep: u32) -> Vec<RepResult> {
    run.reps.iter().filter(|r| r.rep == rep).cloned().collect()
}

fn line_key(inputs: &Inputs, component: &str, period: Period, l: &Line) -> LineKey {
    LineKey {
        component: component.to_string(),
        payout_period: period,
        kind: l.kind.name(),
        deal_id: l
            .credit
            .map(|c| inputs.deals.id(c.deal as usize).to_string())
            .unwrap_or_default(),
        tier: l.tier.map(|t| t + 1),
    }
}

/// Keys in either map whose values differ (`all`: every key, changed or not).
fn changes<K: Ord + Clone, V: PartialEq + Clone>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
    all: bool,
) -> Vec<Change<K, V>> {
    let mut keys: Vec<&K> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| Change {
            key: k.clone(),
            before: before.get(k).cloned(),
            after: after.get(k).cloned(),
        })
        .filter(|c| all || c.before != c.after)
        .collect()
}

/// Per cumulative commission component, at the end of the run: the next tier of its default table
/// above the measure to date, from the engine's own resolved schedule (tiers × quota).
fn next_tiers(inputs: &Inputs, results: &[RepResult]) -> Vec<NextTier> {
    let mut out = Vec::new();
    for r in results {
        let plan = &inputs.plans[r.plan];
        for c in &r.components {
            let comp = &plan.components[c.component];
            let table = match &comp.kind {
                ComponentKind::Commission(k) if k.tier_on.is_none() => &k.table,
                _ => continue,
            };
            let Some(p) = c.periods.iter().rev().find(|p| p.in_run) else {
                continue;
            };
            if table.scope != Scope::Cumulative {
                continue;
            }
            let quota = p.quota().as_ref().map(|q| q.amount);
            let Some(schedule) = Schedule::resolve(table, quota) else {
                continue;
            };
            let x = p.measure_to_date;
            let reached = schedule.tier_of(x).map(|b| b.tier + 1);
            // A value on a breakpoint is in the higher tier (`from-inclusive`) or still in the
            // lower one (`to-inclusive`): the next tier starts above it, or at it.
            let inclusive = schedule.boundary == Boundary::FromInclusive;
            let next = schedule.bands.iter().find(|b| {
                b.lo.is_some_and(|lo| if inclusive { lo > x } else { lo >= x })
            });
            if let Some(b) = next {
                let lo = b.lo.unwrap_or_default();
                out.push(NextTier {
                    component: comp.id.clone(),
                    measurement_period: p.measurement_period,
                    measure_to_date: x,
                    tier: reached,
                    next_tier: b.tier + 1,
                    next_rate: b.rate,
                    starts_at: lo,
                    more_needed: lo - x,
                    inclusive,
                });
            }
        }
    }
    out
}
