//! One pass per source (deals, the run, leads, snapshots) adding each item to its groups'
//! accumulators and to the total.
//!
//! Invariants: a deal reaches a group once, with the combined share of the group's reps credited
//! (split rows replace the owner; overlays are left out, they credit on top of 100%; see
//! [`super::deal_pass`]); money is converted to the workspace currency with the rate in force on
//! the close date, exact.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::deal_pass::{self, DealSums};
use super::groups::{cross, month_label, Dim, Key, Labels, RepCodes};
use super::keys::KeySpace;
use super::Sources;
use crate::data::deals::NO_OWNER;
use crate::data::DealTable;
use crate::diag::Diagnostic;
use crate::engine::{RepResult, RunResult};
use crate::period::Granularity;
use crate::stages::StageCategory;
use rayon::prelude::*;

/// Everything a group's metrics are computed from.
#[derive(Debug, Default, Clone)]
pub struct Acc {
    /// Win rate, pipeline and bookings sums (the deals pass).
    pub deals: DealSums,
    /// The won deals' sizes (each deal once, at its full amount).
    pub won_sizes: Median,
    /// Days from created to close of the deals the cycle covers.
    pub cycle: CycleDays,
    /// Reps in the group (rep metrics).
    pub reps: u32,
    /// Quota measure → (credited measure, quota, each rep's attainment).
    pub components: Vec<(String, Decimal, Decimal, Vec<Decimal>)>,
    /// Each rep's attainment of their first component with a quota.
    pub primary: Vec<Decimal>,
    pub primary_measure: Decimal,
    pub primary_quota: Decimal,
    /// Coverage at a past as-of date: the first component's measure credited by that date, and the
    /// open pipeline of the snapshot taken at or before it (unweighted, weighted).
    pub primary_measure_as_of: Decimal,
    pub snapshot_open_v: Decimal,
    pub snapshot_open_weighted: Decimal,
    pub no_quota: u32,
    pub payable: Decimal,
    pub months_ramped: Decimal,
    pub months_ramping: Decimal,
    pub expected: u32,
    pub slipped: u32,
    pub response_hours: Vec<Decimal>,
    pub unanswered: u32,
    pub leads: u32,
}

/// How many values there are, and their median.
#[derive(Debug, Default, Clone)]
pub struct Median {
    pub n: usize,
    pub value: Option<Decimal>,
}

/// Sales cycle days: how many deals, their sum and median.
#[derive(Debug, Default, Clone)]
pub struct CycleDays {
    pub n: usize,
    pub sum: i64,
    pub median: Option<Decimal>,
}

/// The groups of a grouping, and the total.
pub struct Groups {
    pub labels: Labels,
    pub rep_codes: RepCodes,
    index: FxHashMap<Key, usize>,
    pub groups: Vec<(Key, Acc)>,
    pub total: Acc,
}

impl Groups {
    pub fn new(dims: &[Dim], sources: &Sources) -> Groups {
        let mut labels = Labels::new(dims.len());
        let rep_codes = RepCodes::build(dims, &sources.inputs.roster, &mut labels);
        Groups {
            labels,
            rep_codes,
            index: FxHashMap::default(),
            groups: Vec::new(),
            total: Acc::default(),
        }
    }

    pub fn acc(&mut self, key: &Key) -> &mut Acc {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                let i = self.groups.len();
                self.index.insert(key.clone(), i);
                self.groups.push((key.clone(), Acc::default()));
                i
            }
        };
        &mut self.groups[i].1
    }

    /// Add `f` to every key and, once, to the total.
    fn add(&mut self, keys: &[Key], f: impl Fn(&mut Acc)) {
        for k in keys {
            f(self.acc(k));
        }
        f(&mut self.total);
    }
}

/// The label codes of one dimension for a deal credited to `rep` (None: no owner).
fn deal_codes(
    groups: &mut Groups,
    dims: &[Dim],
    table: &DealTable,
    row: usize,
    date: NaiveDate,
    rep: Option<u32>,
) -> SmallVec<[SmallVec<[u32; 2]>; 4]> {
    dims.iter()
        .enumerate()
        .map(|(d, dim)| match dim {
            Dim::Month => SmallVec::from_slice(&[groups.labels.code(d, &month_label(date))]),
            Dim::Deal(name) => {
                let text = table
                    .column(name)
                    .map(|c| table.columns[c].display(row))
                    .unwrap_or_default();
                SmallVec::from_slice(&[groups.labels.code(d, &text)])
            }
            _ => SmallVec::from_slice(groups.rep_codes.of(rep, d)),
        })
        .collect()
}

/// Units of the workspace currency per unit of `plan`'s currency at the run period's end: how a
/// plan's payables, measures and quotas in another currency enter totals in the workspace's.
pub fn plan_rate(sources: &Sources, plan: &crate::plan::Plan) -> Result<Decimal, Diagnostic> {
    let end = sources.period.end();
    crate::data::fx::plan_to_base(&sources.inputs.fx, plan, end, "to count")
}

/// `fx-rate-missing` for every plan of the run in another currency than the workspace's with no
/// rate at the run period's end (see [`plan_rate`]).
pub fn plan_rates_missing(sources: &Sources, run: &RunResult) -> Vec<Diagnostic> {
    let (inputs, end) = (sources.inputs, sources.period.end());
    let used = run.reps.iter().map(|r| r.plan);
    crate::data::fx::plans_to_base(&inputs.fx, &inputs.plans, used, end, "to count")
        .err()
        .unwrap_or_default()
}

/// The deal's amount in the workspace currency; `None` when no rate converts it.
pub fn converted(sources: &Sources, table: &DealTable, row: usize) -> Option<Decimal> {
    let amount = table.amount(row);
    let currency = table.currency(row);
    if currency.is_empty() || currency == sources.currency {
        return Some(amount);
    }
    let rate = sources.inputs.fx.rate_on(currency, table.close_date(row))?;
    Some(amount * rate.rate)
}

/// Whether the rep is within their plan's ramp schedule in the month of `date`.
pub fn ramping(sources: &Sources, rep: u32, date: NaiveDate) -> bool {
    let r = sources.inputs.roster.get(rep);
    let len = r
        .plan
        .and_then(|p| sources.inputs.plans[p].ramp.as_ref())
        .map_or(0, |ramp| ramp.schedule.len() as i32);
    let Some(start) = r.start_date else {
        return false;
    };
    let months = (date.year() - start.year()) * 12 + date.month() as i32 - start.month() as i32;
    months < len
}

/// Per rep (roster index), the month index (year × 12 + month) at which their plan's ramp
/// schedule ends: a deal closing in an earlier month is booked by a ramping rep.
pub fn ramp_end(sources: &Sources) -> Vec<i32> {
    let roster = &sources.inputs.roster;
    (0..roster.len() as u32)
        .map(|r| {
            let rep = roster.get(r);
            let len = rep
                .plan
                .and_then(|p| sources.inputs.plans[p].ramp.as_ref())
                .map_or(0, |ramp| ramp.schedule.len() as i32);
            rep.start_date
                .map_or(i32::MIN, |start| month_index(start).saturating_add(len))
        })
        .collect()
}

/// A month as a number: year × 12 + month.
pub fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month() as i32
}

/// The deals pass (see [`super::deal_pass`]): win rate, deal size, cycle, open pipeline and
/// bookings of every group. Deals whose amount no FX rate converts are returned as errors.
pub fn add_deals(
    groups: &mut Groups,
    dims: &[Dim],
    sources: &Sources,
    categories: &[Option<StageCategory>],
    stage_column: usize,
) -> Vec<Diagnostic> {
    let keys = KeySpace::build(dims, sources, &mut groups.labels, &groups.rep_codes);
    let results = deal_pass::run(sources, &keys, !dims.is_empty(), categories, stage_column);
    for g in results.groups {
        let acc = groups.acc(&keys.decode(g.key));
        acc.deals = g.sums;
        acc.won_sizes = g.won_sizes;
        acc.cycle = g.cycle;
    }
    groups.total.deals = results.total.sums;
    groups.total.won_sizes = results.total.won_sizes;
    groups.total.cycle = results.total.cycle;
    results.errors
}

pub fn fx_missing(deals: &DealTable, row: usize) -> Diagnostic {
    Diagnostic::error(
        "fx-rate-missing",
        &deals.file,
        format!(
            "no {} rate on or before {} converts the deal's amount",
            deals.currency(row),
            deals.close_date(row)
        ),
    )
    .line(deals.line(row))
    .value(deals.id(row).to_string())
    .hint("add a rate for the currency on or before the close date to the fx file")
}

/// What a rep brings to rep metrics: per quota measure (measure, quota), the first component with a
/// quota, the payable.
#[derive(Default)]
struct RepTotals<'a> {
    in_run: bool,
    components: SmallVec<[(&'a str, Decimal, Decimal); 2]>,
    primary: Option<(Decimal, Decimal)>,
    /// The first component's measure credited by the past as-of date.
    primary_as_of: Decimal,
    /// Months of the first component's measurement periods in the run.
    primary_months: usize,
    plan: usize,
    payable: Decimal,
}

impl<'a> RepTotals<'a> {
    /// The totals of one rep result (a rep's plan assignment in the run).
    fn of(sources: &'a Sources, past_as_of: Option<NaiveDate>, r: &RepResult) -> RepTotals<'a> {
        let plan = &sources.inputs.plans[r.plan];
        let mut t = RepTotals {
            in_run: true,
            plan: r.plan,
            ..RepTotals::default()
        };
        // Money of a plan in another currency counts in the workspace's (see `plan_rate`).
        let rate = plan_rate(sources, plan).unwrap_or(Decimal::ONE);
        for c in &r.components {
            t.payable += rate
                * c.periods
                    .iter()
                    .filter(|p| p.in_run)
                    .map(|p| p.payable)
                    .sum::<Decimal>();
            // One component per quota measure: two components on one measure share its quota.
            let component = &plan.components[c.component];
            let id = component.quota_measure.as_str();
            if t.components.iter().any(|(i, _, _)| *i == id) {
                continue;
            }
            let Some((mut measure, mut quota)) = measure_and_quota(c) else {
                continue;
            };
            let money = crate::data::measure_is_money(sources.inputs, plan, component);
            let rate = if money { rate } else { Decimal::ONE };
            (measure, quota) = (measure * rate, quota * rate);
            t.components.push((id, measure, quota));
            if t.primary.is_none() {
                t.primary = Some((measure, quota));
                if let Some(d) = past_as_of {
                    t.primary_as_of = measured_by(c, d) * rate;
                }
                t.primary_months = measured_months(c);
            }
        }
        t
    }

    /// Add the totals of the rep's next result.
    fn merge(&mut self, o: RepTotals<'a>) {
        self.in_run = true;
        self.plan = o.plan;
        self.payable += o.payable;
        for (id, measure, quota) in o.components {
            match self.components.iter_mut().find(|(i, _, _)| *i == id) {
                Some((_, m, q)) => {
                    *m += measure;
                    *q += quota;
                }
                None => self.components.push((id, measure, quota)),
            }
        }
        if let Some((measure, quota)) = o.primary {
            let p = self.primary.get_or_insert((Decimal::ZERO, Decimal::ZERO));
            p.0 += measure;
            p.1 += quota;
            self.primary_as_of += o.primary_as_of;
            self.primary_months += o.primary_months;
        }
    }
}

/// Every rep's totals (by roster index), from the rep results in parallel, merged in run order.
fn rep_totals<'a>(sources: &'a Sources, run: &RunResult) -> Vec<RepTotals<'a>> {
    let each: Vec<RepTotals> = run
        .reps
        .par_iter()
        .map(|r| RepTotals::of(sources, sources.past_as_of, r))
        .collect();
    let mut out: Vec<RepTotals> = (0..sources.inputs.roster.len())
        .map(|_| RepTotals::default())
        .collect();
    for (r, t) in run.reps.iter().zip(each) {
        out[r.rep as usize].merge(t);
    }
    out
}

/// Each rep of the run with a quota: (rep, plan, quota of the first component with one, months
/// of its measurement periods in the run), for the plans' curves.
pub fn primary_quotas(sources: &Sources, run: &RunResult) -> Vec<(u32, usize, Decimal, usize)> {
    rep_totals(sources, run)
        .into_iter()
        .enumerate()
        .filter_map(|(r, t)| Some((r as u32, t.plan, t.primary?.1, t.primary_months)))
        .collect()
}

/// Months of a component's measurement periods in the run.
fn measured_months(c: &crate::engine::ComponentResult) -> usize {
    let mut periods: Vec<_> = c
        .periods
        .iter()
        .filter(|p| p.in_run)
        .map(|p| p.measurement_period)
        .collect();
    periods.dedup();
    periods
        .iter()
        .map(|p| p.periods_of(Granularity::Month).len())
        .sum()
}

/// A component's measure credited by `date` (deals dated on or before it) in the measurement
/// periods of the run (the engine's credits, kept when the as-of date is past).
fn measured_by(c: &crate::engine::ComponentResult, date: NaiveDate) -> Decimal {
    let measured: Vec<_> = c
        .periods
        .iter()
        .filter(|p| p.in_run)
        .map(|p| p.measurement_period)
        .collect();
    c.periods
        .iter()
        .filter(|p| measured.contains(&p.measurement_period))
        .flat_map(|p| p.credits())
        .filter(|credit| credit.date <= date)
        .map(|credit| credit.credited)
        .sum()
}

/// A component's credited measure and quota over the run: for each measurement period, the value
/// to date at its last payout period in the run. `None` when it has no quota.
fn measure_and_quota(c: &crate::engine::ComponentResult) -> Option<(Decimal, Decimal)> {
    let mut total: Option<(Decimal, Decimal)> = None;
    let in_run: Vec<_> = c.periods.iter().filter(|p| p.in_run).collect();
    for (i, p) in in_run.iter().enumerate() {
        let last_of_measurement = in_run
            .get(i + 1)
            .is_none_or(|n| n.measurement_period != p.measurement_period);
        if let (true, Some(q)) = (last_of_measurement, &p.quota()) {
            let t = total.get_or_insert((Decimal::ZERO, Decimal::ZERO));
            t.0 += p.measure_to_date;
            t.1 += q.amount;
        }
    }
    total
}

/// A rep's months in the period, ramped and ramping (a month the rep works part of counts for
/// its share of days).
fn rep_months(sources: &Sources, r: u32, months: &[crate::period::Period]) -> (Decimal, Decimal) {
    let rep = sources.inputs.roster.get(r);
    let (mut ramped, mut ramping_months) = (Decimal::ZERO, Decimal::ZERO);
    for m in months {
        let from = rep.start_date.map_or(m.start(), |s| s.max(m.start()));
        let to = rep.end_date.map_or(m.end(), |e| e.min(m.end()));
        if to < from {
            continue;
        }
        let share = match (from == m.start(), to == m.end()) {
            (true, true) => Decimal::ONE,
            _ => {
                Decimal::from((to - from).num_days() + 1)
                    / Decimal::from((m.end() - m.start()).num_days() + 1)
            }
        };
        if ramping(sources, r, m.start()) {
            ramping_months += share;
        } else {
            ramped += share;
        }
    }
    (ramped, ramping_months)
}

/// The reps pass: attainment, payable and rep-months, for groupings of rep dimensions only.
pub fn add_reps(groups: &mut Groups, dims: &[Dim], sources: &Sources, run: &RunResult) {
    let months = sources.period.periods_of(Granularity::Month);
    let reps: Vec<(u32, RepTotals, (Decimal, Decimal))> = rep_totals(sources, run)
        .into_par_iter()
        .enumerate()
        .filter(|(_, t)| t.in_run)
        .map(|(r, t)| (r as u32, t, rep_months(sources, r as u32, &months)))
        .collect();
    for (r, totals, (ramped, ramping_months)) in reps {
        let codes: Vec<SmallVec<[u32; 2]>> = (0..dims.len())
            .map(|d| SmallVec::from_slice(groups.rep_codes.of(Some(r), d)))
            .collect();
        groups.add(&cross(&codes), |acc| {
            acc.reps += 1;
            acc.payable += totals.payable;
            acc.months_ramped += ramped;
            acc.months_ramping += ramping_months;
            for (id, m, q) in &totals.components {
                let att = super::stats::ratio(*m, *q);
                match acc.components.iter_mut().find(|c| &c.0 == id) {
                    Some(c) => {
                        c.1 += m;
                        c.2 += q;
                        c.3.extend(att);
                    }
                    None => {
                        acc.components
                            .push((id.to_string(), *m, *q, att.into_iter().collect()))
                    }
                }
            }
            match totals
                .primary
                .and_then(|(m, q)| Some((m, q, super::stats::ratio(m, q)?)))
            {
                Some((m, q, att)) => {
                    acc.primary.push(att);
                    acc.primary_measure += m;
                    acc.primary_quota += q;
                    acc.primary_measure_as_of += totals.primary_as_of;
                }
                None => acc.no_quota += 1,
            }
        });
    }
}

/// The leads pass: response times of leads created in the period, by owner and month (in calendar
/// time, or in the working calendar's hours).
pub fn add_leads(
    groups: &mut Groups,
    dims: &[Dim],
    sources: &Sources,
    leads: &crate::data::leads::Leads,
) {
    for lead in &leads.leads {
        let day = lead.created.date();
        if !sources.period.contains(day) {
            continue;
        }
        let codes: Vec<SmallVec<[u32; 2]>> = dims
            .iter()
            .enumerate()
            .map(|(d, dim)| match dim {
                Dim::Month => SmallVec::from_slice(&[groups.labels.code(d, &month_label(day))]),
                _ => SmallVec::from_slice(groups.rep_codes.of(Some(lead.rep), d)),
            })
            .collect();
        let seconds = |r| match sources.working_hours {
            Some(w) => w.seconds_between(lead.created, r),
            None => (r - lead.created).num_seconds(),
        };
        let hours = lead
            .first_response
            .map(|r| Decimal::from(seconds(r)) / Decimal::from(3600));
        groups.add(&cross(&codes), |acc| {
            acc.leads += 1;
            match hours {
                Some(h) => acc.response_hours.push(h),
                None => acc.unanswered += 1,
            }
        });
    }
}

/// The open pipeline of a snapshot (coverage at a past as-of date): its open deals closing in the
/// period, by their owner in the snapshot (no splits), converted as the deals pass converts.
/// Deals no FX rate converts are returned as errors.
pub fn add_snapshot_pipeline(
    groups: &mut Groups,
    dims: &[Dim],
    sources: &Sources,
    snapshot: &crate::data::snapshots::Snapshot,
    stage_of: &dyn Fn(&str) -> Option<StageCategory>,
) -> Vec<Diagnostic> {
    let table = &snapshot.deals;
    let stage = table.column("stage");
    let mut errors = Vec::new();
    for row in 0..table.len() {
        let close = table.close_date(row);
        let category = stage.and_then(|c| stage_of(&table.columns[c].display(row)));
        let (true, Some(StageCategory::Open(p))) = (sources.period.contains(close), category)
        else {
            continue;
        };
        let Some(value) = converted(sources, table, row) else {
            errors.push(fx_missing(table, row));
            continue;
        };
        let owner = table.owner(row);
        let owner = (owner != NO_OWNER).then_some(owner);
        let codes = deal_codes(groups, dims, table, row, close, owner);
        groups.add(&cross(&codes), |acc| {
            acc.snapshot_open_v += value;
            acc.snapshot_open_weighted += value * p;
        });
    }
    errors
}

/// The slip pass: for each period evaluated (the run's period, or each month with `--by month`),
/// the open deals the last snapshot at or before its start expected to close in it. Returns the
/// periods that had no such snapshot.
pub fn add_slips(
    groups: &mut Groups,
    dims: &[Dim],
    sources: &Sources,
    stage_of: &dyn Fn(&str) -> Option<StageCategory>,
) -> Vec<crate::period::Period> {
    let by_month = dims.contains(&Dim::Month);
    let periods = if by_month {
        sources.period.periods_of(Granularity::Month)
    } else {
        vec![sources.period]
    };
    let deals = &sources.inputs.deals;
    let mut current: FxHashMap<&str, usize> = FxHashMap::default();
    for row in 0..deals.len() {
        current.insert(deals.id(row), row);
    }
    let stage = deals.column("stage");
    let mut missing = Vec::new();
    for q in periods {
        let Some(snap) = sources
            .snapshots
            .iter()
            .rev()
            .find(|s| s.as_of <= q.start())
        else {
            missing.push(q);
            continue;
        };
        let table = &snap.deals;
        let snap_stage = table.column("stage");
        for row in 0..table.len() {
            let expected = table.close_date(row);
            let category = snap_stage.and_then(|c| stage_of(&table.columns[c].display(row)));
            if !q.contains(expected) || !matches!(category, Some(StageCategory::Open(_))) {
                continue;
            }
            let slipped = current.get(table.id(row)).is_some_and(|&now| {
                let close = deals.close_date(now);
                let decided = stage
                    .and_then(|c| stage_of(&deals.columns[c].display(now)))
                    .is_some_and(|c| {
                        matches!(
                            c,
                            StageCategory::Won | StageCategory::Lost | StageCategory::NoDecision
                        )
                    });
                !(decided && q.contains(close)) && close > expected
            });
            let owner = table.owner(row);
            let owner = (owner != NO_OWNER).then_some(owner);
            let codes = deal_codes(groups, dims, table, row, expected, owner);
            groups.add(&cross(&codes), |acc| {
                acc.expected += 1;
                acc.slipped += u32::from(slipped);
            });
        }
    }
    missing
}
