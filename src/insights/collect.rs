//! One pass per source (deals, the run, leads, snapshots) adding each item to its groups'
//! accumulators and to the total.
//!
//! Invariants: a deal reaches a group once, with the combined share of the group's reps credited
//! (split rows replace the owner; overlays are left out, they credit on top of 100%); money is
//! converted to the workspace currency with the rate in force on the close date, exact.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::groups::{cross, month_label, Dim, Key, Labels, RepCodes};
use super::Sources;
use crate::data::deals::NO_OWNER;
use crate::data::{CreditKind, DealTable};
use crate::diag::Diagnostic;
use crate::period::Granularity;
use crate::stages::StageCategory;

/// Everything a group's metrics are computed from.
#[derive(Debug, Default, Clone)]
pub struct Acc {
    pub won_n: Decimal,
    pub won_v: Decimal,
    pub lost_n: Decimal,
    pub lost_v: Decimal,
    pub no_decision_n: Decimal,
    pub no_decision_v: Decimal,
    pub stale_n: Decimal,
    pub stale_v: Decimal,
    /// Full value of each won deal the group is credited with (once per deal).
    pub won_sizes: Vec<Decimal>,
    /// Days from created to close of each deal the cycle covers.
    pub cycle_days: Vec<Decimal>,
    pub open_n: Decimal,
    pub open_v: Decimal,
    pub open_weighted: Decimal,
    /// Reps in the group (rep metrics).
    pub reps: u32,
    /// Quota measure → (credited measure, quota, each rep's attainment).
    pub components: Vec<(String, Decimal, Decimal, Vec<Decimal>)>,
    /// Each rep's attainment of their first component with a quota.
    pub primary: Vec<Decimal>,
    pub primary_measure: Decimal,
    pub primary_quota: Decimal,
    pub no_quota: u32,
    pub payable: Decimal,
    pub months_ramped: Decimal,
    pub months_ramping: Decimal,
    pub bookings_ramped: Decimal,
    pub bookings_ramping: Decimal,
    pub expected: u32,
    pub slipped: u32,
    pub response_hours: Vec<Decimal>,
    pub unanswered: u32,
    pub leads: u32,
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
        let next = self.groups.len();
        let i = *self.index.entry(key.clone()).or_insert(next);
        if i == next {
            self.groups.push((key.clone(), Acc::default()));
        }
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

/// Who a deal is credited to, for the insights: its split rows, else its owner at 100%.
fn deal_credits(sources: &Sources, row: usize) -> SmallVec<[(Option<u32>, Decimal); 2]> {
    let splits: SmallVec<[(Option<u32>, Decimal); 2]> = sources
        .inputs
        .credits
        .of_deal(row as u32)
        .iter()
        .filter(|c| c.kind == CreditKind::Split)
        .map(|c| (Some(c.rep), c.share))
        .collect();
    if !splits.is_empty() {
        return splits;
    }
    let owner = sources.inputs.deals.reps[row];
    let owner = (owner != NO_OWNER).then_some(owner);
    SmallVec::from_slice(&[(owner, Decimal::ONE)])
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

/// The deals pass: win rate, deal size, cycle, open pipeline and bookings, in parallel over the
/// rows (each worker fills its own groups, merged at the end). Deals whose amount no FX rate
/// converts are returned as errors.
pub fn add_deals(
    groups: &mut Groups,
    dims: &[Dim],
    sources: &Sources,
    categories: &[Option<StageCategory>],
    stage_column: usize,
) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    let deals = &sources.inputs.deals;
    let coder = Coder::new(groups, dims, sources);
    let pass = DealPass {
        coder: &coder,
        sources,
        categories,
        stage_column,
        created: deals.column("created_date"),
    };
    // A few large chunks per thread: each worker's groups are merged once per chunk.
    let chunk = (deals.len() / (rayon::current_num_threads() * 2)).max(1 << 16);
    let starts: Vec<usize> = (0..deals.len()).step_by(chunk).collect();
    let partial = starts
        .into_par_iter()
        .map(|start| {
            let mut p = Partial::default();
            for row in start..(start + chunk).min(deals.len()) {
                pass.add(&mut p, row);
            }
            p
        })
        .reduce(Partial::default, Partial::merge);
    for (key, acc) in partial.groups {
        groups.acc(&key).merge_deals(acc);
    }
    groups.total.merge_deals(partial.total);
    let mut errors = partial.errors;
    errors.sort_by_key(|d| d.line);
    errors
}

/// Label codes of a deal without interning (so workers share it): every label a deal of the period
/// can have is interned before the pass.
struct Coder<'a> {
    dims: &'a [Dim],
    rep_codes: &'a RepCodes,
    /// Per dimension: month index (year × 12 + month) → code; dictionary code → code (text
    /// columns); display text → code (other columns).
    months: Vec<FxHashMap<i32, u32>>,
    dict: Vec<Option<Vec<u32>>>,
    other: Vec<FxHashMap<String, u32>>,
    columns: Vec<Option<usize>>,
}

fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month() as i32
}

impl<'a> Coder<'a> {
    fn new(groups: &'a mut Groups, dims: &'a [Dim], sources: &Sources) -> Coder<'a> {
        let deals = &sources.inputs.deals;
        let n = dims.len();
        let (mut months, mut dict, mut other, mut columns) = (
            vec![FxHashMap::default(); n],
            vec![None; n],
            vec![FxHashMap::default(); n],
            vec![None; n],
        );
        for (d, dim) in dims.iter().enumerate() {
            match dim {
                Dim::Month => {
                    for m in sources.period.periods_of(Granularity::Month) {
                        let code = groups.labels.code(d, &month_label(m.start()));
                        months[d].insert(month_index(m.start()), code);
                    }
                }
                Dim::Deal(name) => {
                    let Some(c) = deals.column(name) else {
                        continue;
                    };
                    columns[d] = Some(c);
                    match &deals.columns[c].values {
                        crate::data::ColumnValues::Text { dict: values, .. } => {
                            dict[d] =
                                Some(values.iter().map(|v| groups.labels.code(d, v)).collect());
                        }
                        _ => {
                            for row in 0..deals.len() {
                                if sources.period.contains(deals.close_date(row)) {
                                    let text = deals.columns[c].display(row);
                                    let code = groups.labels.code(d, &text);
                                    other[d].insert(text, code);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Every other label is a rep's or "(unassigned)", interned by RepCodes.
        Coder {
            dims,
            rep_codes: &groups.rep_codes,
            months,
            dict,
            other,
            columns,
        }
    }

    fn codes(
        &self,
        table: &DealTable,
        row: usize,
        date: NaiveDate,
        rep: Option<u32>,
    ) -> SmallVec<[SmallVec<[u32; 2]>; 4]> {
        self.dims
            .iter()
            .enumerate()
            .map(|(d, dim)| match dim {
                Dim::Month => self.months[d]
                    .get(&month_index(date))
                    .copied()
                    .into_iter()
                    .collect(),
                Dim::Deal(_) => {
                    let Some(c) = self.columns[d] else {
                        return SmallVec::new();
                    };
                    let code = match &self.dict[d] {
                        Some(codes) => table.columns[c]
                            .text_code_at(row)
                            .and_then(|t| codes.get(t as usize).copied()),
                        None => self.other[d].get(&table.columns[c].display(row)).copied(),
                    };
                    code.into_iter().collect()
                }
                _ => SmallVec::from_slice(self.rep_codes.of(rep, d)),
            })
            .collect()
    }
}

/// What one worker collected.
#[derive(Default)]
struct Partial {
    index: FxHashMap<Key, usize>,
    groups: Vec<(Key, Acc)>,
    total: Acc,
    errors: Vec<Diagnostic>,
}

impl Partial {
    fn acc(&mut self, key: &Key) -> &mut Acc {
        let next = self.groups.len();
        let i = *self.index.entry(key.clone()).or_insert(next);
        if i == next {
            self.groups.push((key.clone(), Acc::default()));
        }
        &mut self.groups[i].1
    }

    fn merge(mut self, other: Partial) -> Partial {
        for (key, acc) in other.groups {
            self.acc(&key).merge_deals(acc);
        }
        self.total.merge_deals(other.total);
        self.errors.extend(other.errors);
        self
    }
}

struct DealPass<'a> {
    coder: &'a Coder<'a>,
    sources: &'a Sources<'a>,
    categories: &'a [Option<StageCategory>],
    stage_column: usize,
    created: Option<usize>,
}

impl DealPass<'_> {
    fn add(&self, p: &mut Partial, row: usize) {
        let (sources, deals) = (self.sources, &self.sources.inputs.deals);
        let close = deals.close_date(row);
        if !sources.period.contains(close) {
            return;
        }
        let code = deals.columns[self.stage_column]
            .text_code_at(row)
            .unwrap_or(0);
        let Some(category) = self.categories.get(code as usize).copied().flatten() else {
            return;
        };
        if category == StageCategory::Ignored {
            return;
        }
        let Some(value) = converted(sources, deals, row) else {
            p.errors.push(fx_missing(deals, row));
            return;
        };
        let days = self
            .created
            .and_then(|c| deals.columns[c].date(row))
            .map(|c| Decimal::from((close - c).num_days()));
        let mut keyed: SmallVec<[(Key, Decimal); 2]> = SmallVec::new();
        for &(rep, share) in &deal_credits(sources, row) {
            let keys = cross(&self.coder.codes(deals, row, close, rep));
            if category == StageCategory::Won {
                let ramp = rep.is_some_and(|r| ramping(sources, r, close));
                let booked = value * share;
                for k in &keys {
                    add_booked(p.acc(k), ramp, booked);
                }
                add_booked(&mut p.total, ramp, booked);
            }
            for key in keys {
                match keyed.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, s)) => *s += share,
                    None => keyed.push((key, share)),
                }
            }
        }
        let deal = Deal {
            category,
            value,
            days,
            close,
            settings: sources,
        };
        for (key, share) in &keyed {
            deal.add_to(p.acc(key), *share);
        }
        deal.add_to(&mut p.total, Decimal::ONE);
    }
}

/// Bookings by ramped and ramping reps (productivity).
fn add_booked(acc: &mut Acc, ramp: bool, value: Decimal) {
    if ramp {
        acc.bookings_ramping += value;
    } else {
        acc.bookings_ramped += value;
    }
}

impl Acc {
    /// Add what the deals pass collected in `other` (its deal fields only).
    fn merge_deals(&mut self, other: Acc) {
        self.won_n += other.won_n;
        self.won_v += other.won_v;
        self.lost_n += other.lost_n;
        self.lost_v += other.lost_v;
        self.no_decision_n += other.no_decision_n;
        self.no_decision_v += other.no_decision_v;
        self.stale_n += other.stale_n;
        self.stale_v += other.stale_v;
        self.won_sizes.extend(other.won_sizes);
        self.cycle_days.extend(other.cycle_days);
        self.open_n += other.open_n;
        self.open_v += other.open_v;
        self.open_weighted += other.open_weighted;
        self.bookings_ramped += other.bookings_ramped;
        self.bookings_ramping += other.bookings_ramping;
    }
}

struct Deal<'a> {
    category: StageCategory,
    value: Decimal,
    days: Option<Decimal>,
    close: NaiveDate,
    settings: &'a Sources<'a>,
}

impl Deal<'_> {
    fn add_to(&self, acc: &mut Acc, share: Decimal) {
        let s = &self.settings.settings;
        let v = self.value * share;
        match self.category {
            StageCategory::Won => {
                acc.won_n += share;
                acc.won_v += v;
                acc.won_sizes.push(self.value);
            }
            StageCategory::Lost => {
                acc.lost_n += share;
                acc.lost_v += v;
            }
            StageCategory::NoDecision => {
                acc.no_decision_n += share;
                acc.no_decision_v += v;
            }
            StageCategory::Open(p) => {
                acc.open_n += share;
                acc.open_v += v;
                acc.open_weighted += v * p;
                if self.close < self.settings.as_of {
                    acc.stale_n += share;
                    acc.stale_v += v;
                }
            }
            StageCategory::Ignored => {}
        }
        let in_cycle = self.category == StageCategory::Won
            || (s.cycle_includes_lost && self.category == StageCategory::Lost);
        if let (true, Some(d)) = (in_cycle, self.days) {
            acc.cycle_days.push(d);
        }
    }
}

fn fx_missing(deals: &DealTable, row: usize) -> Diagnostic {
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
struct RepTotals {
    in_run: bool,
    components: Vec<(String, Decimal, Decimal)>,
    primary: Option<(Decimal, Decimal)>,
    payable: Decimal,
}

fn rep_totals(sources: &Sources) -> Vec<RepTotals> {
    let mut out: Vec<RepTotals> = (0..sources.inputs.roster.len())
        .map(|_| RepTotals::default())
        .collect();
    for r in &sources.run.reps {
        let plan = &sources.inputs.plans[r.plan];
        let t = &mut out[r.rep as usize];
        t.in_run = true;
        let mut primary_seen = false;
        let mut seen: SmallVec<[&str; 4]> = SmallVec::new();
        for c in &r.components {
            t.payable += c
                .periods
                .iter()
                .filter(|p| p.in_run)
                .map(|p| p.payable)
                .sum::<Decimal>();
            // One component per quota measure: two components on one measure share its quota.
            let id = &plan.components[c.component].quota_measure;
            if seen.contains(&id.as_str()) {
                continue;
            }
            let Some((measure, quota)) = measure_and_quota(c) else {
                continue;
            };
            seen.push(id);
            match t.components.iter_mut().find(|(i, _, _)| i == id) {
                Some((_, m, q)) => {
                    *m += measure;
                    *q += quota;
                }
                None => t.components.push((id.clone(), measure, quota)),
            }
            if !primary_seen {
                primary_seen = true;
                let p = t.primary.get_or_insert((Decimal::ZERO, Decimal::ZERO));
                p.0 += measure;
                p.1 += quota;
            }
        }
    }
    out
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
        if let (true, Some(q)) = (last_of_measurement, &p.quota) {
            let t = total.get_or_insert((Decimal::ZERO, Decimal::ZERO));
            t.0 += p.measure_to_date;
            t.1 += q.amount;
        }
    }
    total
}

/// The reps pass: attainment, payable and rep-months, for groupings of rep dimensions only.
pub fn add_reps(groups: &mut Groups, dims: &[Dim], sources: &Sources) {
    let months = sources.period.periods_of(Granularity::Month);
    for (r, totals) in rep_totals(sources).into_iter().enumerate() {
        if !totals.in_run {
            continue;
        }
        let rep = sources.inputs.roster.get(r as u32);
        let codes: Vec<SmallVec<[u32; 2]>> = (0..dims.len())
            .map(|d| SmallVec::from_slice(groups.rep_codes.of(Some(r as u32), d)))
            .collect();
        let (mut ramped, mut ramping_months) = (Decimal::ZERO, Decimal::ZERO);
        for m in &months {
            let from = rep.start_date.map_or(m.start(), |s| s.max(m.start()));
            let to = rep.end_date.map_or(m.end(), |e| e.min(m.end()));
            if to < from {
                continue;
            }
            let share = Decimal::from((to - from).num_days() + 1)
                / Decimal::from((m.end() - m.start()).num_days() + 1);
            if ramping(sources, r as u32, m.start()) {
                ramping_months += share;
            } else {
                ramped += share;
            }
        }
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
                    None => acc
                        .components
                        .push((id.clone(), *m, *q, att.into_iter().collect())),
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
                }
                None => acc.no_quota += 1,
            }
        });
    }
}

/// The leads pass: response times of leads created in the period, by owner and month.
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
        let hours = lead
            .first_response
            .map(|r| Decimal::from((r - lead.created).num_seconds()) / Decimal::from(3600));
        groups.add(&cross(&codes), |acc| {
            acc.leads += 1;
            match hours {
                Some(h) => acc.response_hours.push(h),
                None => acc.unanswered += 1,
            }
        });
    }
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
            let owner = table.reps[row];
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
