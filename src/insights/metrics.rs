//! From a group's accumulator to its metric rows, with the definitions of the insights reference
//! (docs/insights.md) and the settings of `[insights]`.
//!
//! Invariants: a value is `None` exactly when a reason is given, except pipeline coverage at a past
//! as-of date, whose value has a reason naming the snapshot it comes from; ratios carry numerator
//! and denominator; means carry sum and count; nothing is rounded here.

use std::borrow::Cow;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::collect::{Acc, Groups};
use super::stats::{mean, median, quantile, ratio};
use super::{Metric, Unit, ALL};
use crate::stages::InsightSettings;

/// Where pipeline coverage comes from.
pub enum CoverageFrom {
    /// The open deals of the deals file, over the quota left after the run's credited measure.
    Current,
    /// At the past date `as_of`: the open deals of the snapshot `taken` at or before it, over the
    /// quota left after the measure credited by `as_of`.
    Snapshot {
        as_of: chrono::NaiveDate,
        taken: chrono::NaiveDate,
    },
    /// At a past date no snapshot was taken at or before.
    Missing(chrono::NaiveDate),
}

pub struct Context {
    pub settings: InsightSettings,
    /// The stage column, or why deal metrics cannot be computed.
    pub deal_state: Result<usize, String>,
    /// Why rep metrics cannot be computed for this grouping.
    pub rep_state: Result<(), String>,
    pub lead_state: Result<(), String>,
    pub slip_state: Result<(), String>,
    /// Periods evaluated for slip without a snapshot at or before their start.
    pub missing_snapshots: Vec<crate::period::Period>,
    pub coverage: CoverageFrom,
    pub has_created: bool,
    /// Every quota measure of the run (each group shows each, `n/a` where it has no quota).
    pub measures: Vec<String>,
}

impl Context {
    /// Whether metrics of deals per rep can be computed: the deal metrics' reason first, then the
    /// rep metrics'.
    fn deal_and_rep_state(&self) -> Result<(), String> {
        self.deal_state
            .as_ref()
            .map(|_| ())
            .map_err(Clone::clone)
            .and(self.rep_state.clone())
    }
}

/// Groups whose rows are built at once (in parallel) before they join the list.
const GROUPS_AT_ONCE: usize = 1024;

/// Every metric of every group (sorted by label), then of the total.
pub fn rows(groups: &Groups, dims: usize, cx: &Context) -> Vec<Metric> {
    let mut out = Vec::new();
    if dims == 0 {
        metrics_of(&Arc::from([]), &groups.total, cx, &mut out);
        return out;
    }
    let mut order: Vec<(Arc<[String]>, &Acc)> = groups
        .groups
        .iter()
        .map(|(key, acc)| {
            let labels = key
                .iter()
                .enumerate()
                .map(|(d, &c)| groups.labels.label(d, c).to_string())
                .collect::<Vec<String>>();
            (labels.into(), acc)
        })
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    // Thousands of groups (by rep) give hundreds of thousands of rows: built in parallel, in order,
    // a slice of groups at a time (the rows are held twice only for that slice), beside the
    // total's (its quantiles read every deal).
    use rayon::prelude::*;
    let total = || {
        let mut rows = Vec::new();
        metrics_of(
            &vec![ALL.to_string(); dims].into(),
            &groups.total,
            cx,
            &mut rows,
        );
        rows
    };
    let by_group = || {
        for (i, slice) in order.chunks(GROUPS_AT_ONCE).enumerate() {
            let per_group: Vec<Vec<Metric>> = slice
                .par_iter()
                .map(|(labels, acc)| {
                    let mut rows = Vec::with_capacity(32);
                    metrics_of(labels, acc, cx, &mut rows);
                    rows
                })
                .collect();
            let rows = per_group.iter().map(Vec::len).sum::<usize>();
            // Room for every group's rows at the first slice's rate, not grown slice by slice
            // (each growth copies what is there).
            match i {
                0 => out.reserve(rows * order.len() / slice.len().max(1) + 64),
                _ => out.reserve(rows),
            }
            for rows in per_group {
                out.extend(rows);
            }
        }
    };
    let ((), total) = rayon::join(by_group, total);
    out.extend(total);
    out
}

/// A row builder for one group.
struct Rows<'a> {
    /// Shared by the group's rows.
    group: &'a Arc<[String]>,
    out: &'a mut Vec<Metric>,
}

impl Rows<'_> {
    fn push(
        &mut self,
        metric: impl Into<Cow<'static, str>>,
        unit: Unit,
        value: Result<Decimal, String>,
        num: Option<Decimal>,
        den: Option<Decimal>,
    ) {
        let (value, reason) = match value {
            Ok(v) => (Some(v), None),
            Err(r) => (None, Some(r)),
        };
        self.out.push(Metric {
            group: Arc::clone(self.group),
            metric: metric.into(),
            unit,
            value,
            numerator: num,
            denominator: den,
            reason,
        });
    }

    fn ratio(
        &mut self,
        metric: impl Into<Cow<'static, str>>,
        num: Decimal,
        den: Decimal,
        none: &str,
    ) {
        let value = ratio(num, den).ok_or_else(|| none.to_string());
        self.push(metric, Unit::Ratio, value, Some(num), Some(den));
    }

    fn na(&mut self, metric: impl Into<Cow<'static, str>>, unit: Unit, reason: &str) {
        self.push(metric, unit, Err(reason.to_string()), None, None);
    }
}

fn metrics_of(group: &Arc<[String]>, acc: &Acc, cx: &Context, out: &mut Vec<Metric>) {
    let mut rows = Rows { group, out };
    rep_metrics(&mut rows, acc, cx);
    deal_metrics(&mut rows, acc, cx);
    slip_metric(&mut rows, acc, cx);
    lead_metrics(&mut rows, acc, cx);
    velocity(&mut rows, acc, cx);
    productivity(&mut rows, acc, cx);
    cost_of_sales(&mut rows, acc, cx);
}

const BANDS: [(&str, Option<i64>, Option<i64>); 5] = [
    ("attainment_band_lt_50", None, Some(50)),
    ("attainment_band_50_75", Some(50), Some(75)),
    ("attainment_band_75_100", Some(75), Some(100)),
    ("attainment_band_100_125", Some(100), Some(125)),
    ("attainment_band_ge_125", Some(125), None),
];

fn rep_metrics(rows: &mut Rows, acc: &Acc, cx: &Context) {
    if let Err(reason) = &cx.rep_state {
        rows.na("attainment", Unit::Ratio, reason);
        return;
    }
    if cx.measures.is_empty() {
        rows.na("attainment", Unit::Ratio, "no quota");
    }
    for id in &cx.measures {
        let Some((_, m, q, each)) = acc.components.iter().find(|c| &c.0 == id) else {
            rows.na(format!("attainment:{id}"), Unit::Ratio, "no quota");
            rows.na(
                format!("attainment_mean_of_reps:{id}"),
                Unit::Ratio,
                "no quota",
            );
            continue;
        };
        rows.ratio(format!("attainment:{id}"), *m, *q, "no quota");
        let sum: Decimal = each.iter().sum();
        let v = mean(each).ok_or_else(|| "no quota".to_string());
        rows.push(
            format!("attainment_mean_of_reps:{id}"),
            Unit::Ratio,
            v,
            Some(sum),
            Some(Decimal::from(each.len())),
        );
    }
    let with_quota = Decimal::from(acc.primary.len());
    let hundred = Decimal::ONE_HUNDRED;
    let at_or_above = acc.primary.iter().filter(|a| **a >= Decimal::ONE).count();
    rows.ratio(
        "reps_at_or_above_100",
        Decimal::from(at_or_above),
        with_quota,
        "no rep with a quota",
    );
    let mut sorted = acc.primary.clone();
    sorted.sort_unstable();
    for (name, p) in [
        ("attainment_q1", Decimal::new(25, 2)),
        ("attainment_median", Decimal::new(5, 1)),
        ("attainment_q3", Decimal::new(75, 2)),
    ] {
        let v = quantile(&sorted, p).ok_or_else(|| "no rep with a quota".to_string());
        rows.push(name, Unit::Ratio, v, None, Some(with_quota));
    }
    for (name, lo, hi) in BANDS {
        let n = acc
            .primary
            .iter()
            .filter(|a| lo.is_none_or(|l| **a * hundred >= Decimal::from(l)))
            .filter(|a| hi.is_none_or(|h| **a * hundred < Decimal::from(h)))
            .count();
        rows.push(
            name,
            Unit::Count,
            Ok(Decimal::from(n)),
            Some(Decimal::from(n)),
            Some(with_quota),
        );
    }
    let nq = Decimal::from(acc.no_quota);
    rows.push(
        "reps_without_quota",
        Unit::Count,
        Ok(nq),
        Some(nq),
        Some(Decimal::from(acc.reps)),
    );
}

/// Win rate's decided deals with the settings applied: (won, won + lost) by count and by value.
fn decided(acc: &Acc, s: &InsightSettings) -> ((Decimal, Decimal), (Decimal, Decimal)) {
    let (mut lost_n, mut lost_v) = (acc.deals.lost_n, acc.deals.lost_v);
    if s.no_decision_as_lost {
        lost_n += acc.deals.no_decision_n;
        lost_v += acc.deals.no_decision_v;
    }
    if s.stale_as_lost {
        lost_n += acc.deals.stale_n;
        lost_v += acc.deals.stale_v;
    }
    (
        (acc.deals.won_n, acc.deals.won_n + lost_n),
        (acc.deals.won_v, acc.deals.won_v + lost_v),
    )
}

fn deal_metrics(rows: &mut Rows, acc: &Acc, cx: &Context) {
    if let Err(reason) = &cx.deal_state {
        for name in ["win_rate_count", "win_rate_value"] {
            rows.na(name, Unit::Ratio, reason);
        }
        for name in ["average_deal_size", "median_deal_size"] {
            rows.na(name, Unit::Money, reason);
        }
        rows.na("pipeline_coverage", Unit::Ratio, reason);
        return;
    }
    let ((wn, dn), (wv, dv)) = decided(acc, &cx.settings);
    rows.ratio("win_rate_count", wn, dn, "no decided deals");
    rows.ratio("win_rate_value", wv, dv, "no decided deals");
    if !cx.settings.no_decision_as_lost {
        rows.push(
            "no_decision_deals",
            Unit::Count,
            Ok(acc.deals.no_decision_n),
            Some(acc.deals.no_decision_n),
            None,
        );
    }
    let avg = ratio(acc.deals.won_v, acc.deals.won_n).ok_or_else(|| "no won deals".to_string());
    rows.push(
        "average_deal_size",
        Unit::Money,
        avg,
        Some(acc.deals.won_v),
        Some(acc.deals.won_n),
    );
    let med = acc
        .won_sizes
        .value
        .ok_or_else(|| "no won deals".to_string());
    rows.push(
        "median_deal_size",
        Unit::Money,
        med,
        None,
        Some(Decimal::from(acc.won_sizes.n)),
    );
    cycle(rows, acc, cx);
    coverage(rows, acc, cx);
}

fn cycle(rows: &mut Rows, acc: &Acc, cx: &Context) {
    let none = if !cx.has_created {
        "needs a created_date column in the deals file"
    } else if cx.settings.cycle_includes_lost {
        "no decided deals with a created date"
    } else {
        "no won deals with a created date"
    };
    let n = Decimal::from(acc.cycle.n);
    let med = acc.cycle.median.ok_or_else(|| none.to_string());
    rows.push("sales_cycle_median_days", Unit::Days, med, None, Some(n));
    let sum = Decimal::from(acc.cycle.sum);
    let avg = ratio(sum, n).ok_or_else(|| none.to_string());
    rows.push("sales_cycle_mean_days", Unit::Days, avg, Some(sum), Some(n));
}

fn coverage(rows: &mut Rows, acc: &Acc, cx: &Context) {
    let (open, weighted, measure, note) = match &cx.coverage {
        CoverageFrom::Current => (
            acc.deals.open_v,
            acc.deals.open_weighted,
            acc.primary_measure,
            None,
        ),
        CoverageFrom::Snapshot { as_of, taken } => (
            acc.snapshot_open_v,
            acc.snapshot_open_weighted,
            acc.primary_measure_as_of,
            Some(format!(
                "as of {as_of}: open deals of the snapshot of {taken}"
            )),
        ),
        CoverageFrom::Missing(as_of) => {
            let reason = format!("no snapshot at or before {as_of}");
            rows.na("pipeline_coverage", Unit::Ratio, &reason);
            rows.na("pipeline_coverage_weighted", Unit::Ratio, &reason);
            return;
        }
    };
    let denominator = match &cx.rep_state {
        Err(reason) => Err(reason.clone()),
        Ok(()) if acc.primary_quota.is_zero() => Err("no quota".to_string()),
        Ok(()) if cx.settings.coverage_whole_quota => Ok(acc.primary_quota),
        Ok(()) => {
            let remaining = acc.primary_quota - measure;
            if remaining <= Decimal::ZERO {
                Err("quota met".to_string())
            } else {
                Ok(remaining)
            }
        }
    };
    for (name, num) in [
        ("pipeline_coverage", open),
        ("pipeline_coverage_weighted", weighted),
    ] {
        match &denominator {
            Ok(d) => {
                rows.ratio(name, num, *d, "no quota");
                if let Some(m) = rows.out.last_mut().filter(|m| m.value.is_some()) {
                    m.reason.clone_from(&note);
                }
            }
            Err(r) => rows.push(name, Unit::Ratio, Err(r.clone()), Some(num), None),
        }
    }
}

fn slip_metric(rows: &mut Rows, acc: &Acc, cx: &Context) {
    if let Err(reason) = &cx.slip_state {
        rows.na("slip_rate", Unit::Ratio, reason);
        return;
    }
    let none = match cx.missing_snapshots.first() {
        Some(p) if acc.expected == 0 => format!("no snapshot at or before {}", p.start()),
        _ => "no open deal expected to close in the period".to_string(),
    };
    rows.ratio(
        "slip_rate",
        Decimal::from(acc.slipped),
        Decimal::from(acc.expected),
        &none,
    );
}

fn lead_metrics(rows: &mut Rows, acc: &Acc, cx: &Context) {
    if let Err(reason) = &cx.lead_state {
        rows.na("lead_response_median_hours", Unit::Hours, reason);
        return;
    }
    let none = if acc.leads == 0 {
        "no leads created in the period"
    } else {
        "no answered leads"
    };
    let mut hours = acc.response_hours.clone();
    hours.sort_unstable();
    let n = Decimal::from(hours.len());
    let sum: Decimal = hours.iter().sum();
    rows.push(
        "lead_response_median_hours",
        Unit::Hours,
        median(&hours).ok_or_else(|| none.to_string()),
        None,
        Some(n),
    );
    rows.push(
        "lead_response_mean_hours",
        Unit::Hours,
        mean(&hours).ok_or_else(|| none.to_string()),
        Some(sum),
        Some(n),
    );
    let p90 = quantile(&hours, Decimal::new(9, 1)).ok_or_else(|| none.to_string());
    rows.push("lead_response_p90_hours", Unit::Hours, p90, None, Some(n));
    let u = Decimal::from(acc.unanswered);
    rows.push(
        "leads_unanswered",
        Unit::Count,
        Ok(u),
        Some(u),
        Some(Decimal::from(acc.leads)),
    );
}

/// (open opportunities × win rate × average deal size) ÷ mean cycle days. Win rate × average deal
/// size is won value ÷ decided count, and the mean cycle is Σ days ÷ deals, so the velocity is
/// computed as one division: (open × won value × cycle deals) ÷ (decided × Σ days).
fn velocity(rows: &mut Rows, acc: &Acc, cx: &Context) {
    let value = (|| {
        cx.deal_state.as_ref().map_err(Clone::clone)?;
        let ((wn, dn), _) = decided(acc, &cx.settings);
        ratio(wn, dn).ok_or("no decided deals")?;
        ratio(acc.deals.won_v, acc.deals.won_n).ok_or("no won deals")?;
        if !cx.has_created {
            return Err("needs a created_date column in the deals file".to_string());
        }
        let (n, sum) = (Decimal::from(acc.cycle.n), Decimal::from(acc.cycle.sum));
        ratio(sum, n).ok_or("no won deals with a created date")?;
        let numerator = acc.deals.open_n * acc.deals.won_v * n;
        let denominator = dn * sum;
        let v = ratio(numerator, denominator).ok_or("a mean sales cycle of 0 days")?;
        Ok((v, numerator, denominator))
    })();
    match value {
        Ok((v, n, d)) => rows.push("sales_velocity", Unit::MoneyPerDay, Ok(v), Some(n), Some(d)),
        Err(r) => rows.na("sales_velocity", Unit::MoneyPerDay, &r),
    }
}

fn productivity(rows: &mut Rows, acc: &Acc, cx: &Context) {
    let state = cx.deal_and_rep_state();
    for (name, b, m, none) in [
        (
            "bookings_per_rep_month",
            acc.deals.bookings_ramped,
            acc.months_ramped,
            "no ramped rep-months",
        ),
        (
            "bookings_per_rep_month_ramping",
            acc.deals.bookings_ramping,
            acc.months_ramping,
            "no ramping rep-months",
        ),
    ] {
        match &state {
            Ok(()) => {
                let v = ratio(b, m).ok_or_else(|| none.to_string());
                rows.push(name, Unit::Money, v, Some(b), Some(m));
            }
            Err(r) => rows.na(name, Unit::Money, r),
        }
    }
}

fn cost_of_sales(rows: &mut Rows, acc: &Acc, cx: &Context) {
    let state = cx.deal_and_rep_state();
    if cx.rep_state.is_ok() {
        let p = acc.payable;
        rows.push("payable", Unit::Money, Ok(p), Some(p), None);
    }
    match state {
        Ok(()) => {
            let v = ratio(acc.payable, acc.deals.won_v).ok_or_else(|| "no bookings".to_string());
            rows.push(
                "incentive_cost_of_sales",
                Unit::Ratio,
                v,
                Some(acc.payable),
                Some(acc.deals.won_v),
            );
        }
        Err(r) => rows.na("incentive_cost_of_sales", Unit::Ratio, &r),
    }
}
