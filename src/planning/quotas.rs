//! Top-down quota allocation: a company target split across teams (optionally) and reps by a
//! method, over-assigned per level, rounded to a step with the largest-remainder rule, then split
//! into the quota file's periods by seasonality.
//!
//! Invariants: the rounded quotas of a level sum exactly to that level's planned total (target ×
//! (1 + over-assignment)); a rep not employed on any day of the year (a leaver, a hire of a later
//! year) gets no quota and is listed as removed; each rep's period rows are *full-period* quotas,
//! which the engine prorates and ramps back to the rep's allocated quota (the rows of a rep
//! employed all year, out of ramp, sum exactly to the allocated quota); every number carries an
//! explanation line.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::months::Tenure;
use super::rounding::round_to_total;
use crate::money::fmt_percent;
use crate::period::Period;

/// How a level's total is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// By active months (prorated for hires and leavers).
    Equal,
    /// By last year's measure per productive month × this year's productive months, clamped
    /// against the capacity share.
    History,
    /// By productive (ramped) months.
    Capacity,
    /// By the potential of the accounts the rep holds, × productive months ÷ 12.
    Potential,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Equal => "equal",
            Method::History => "history",
            Method::Capacity => "capacity",
            Method::Potential => "potential",
        }
    }
}

/// One rep the allocation may give a quota to.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    /// The team (the direct manager's id) for `--by team`.
    pub team: String,
    pub tenure: Tenure,
    /// Last year's measure credited to the rep (the batch's own numbers).
    pub history: Decimal,
    /// Last year's productive months on a plan with the measure (0: no history).
    pub history_months: Decimal,
    /// Potential of the accounts the rep holds (potential method).
    pub potential: Decimal,
}

/// A manager credited with reports' measure: their quota is the sum of the reps' below them.
#[derive(Debug, Clone)]
pub struct Manager {
    pub id: String,
    pub name: String,
    /// Rep ids whose quotas make the manager's (direct reports or whole subtree, as the plan rolls up).
    pub reports: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub year: Period,
    /// The quota file's periods (quarters or months of the year) with their seasonality weights
    /// (fractions summing to 1).
    pub seasons: Vec<(Period, Decimal)>,
    pub method: Method,
    pub target: Decimal,
    /// Over-assignment per level (company → team, team → rep); one value applies to each level.
    pub over_assign: Vec<Decimal>,
    pub by_team: bool,
    pub step: Decimal,
    /// History shares are kept within [floor, cap] × the capacity share.
    pub floor: Decimal,
    pub cap: Decimal,
    pub measure: String,
}

/// A rep's allocated quota with how it was derived.
#[derive(Debug, Clone)]
pub struct RepQuota {
    pub id: String,
    pub name: String,
    pub team: String,
    pub weight: Decimal,
    pub unrounded: Decimal,
    pub quota: Decimal,
    /// Full-period rows of the quota file.
    pub rows: Vec<(Period, Decimal)>,
    pub history: Decimal,
    /// Last year's measure ÷ this quota.
    pub attainment: Option<Decimal>,
    pub explain: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TeamQuota {
    pub team: String,
    pub weight: Decimal,
    pub unrounded: Decimal,
    pub quota: Decimal,
}

#[derive(Debug, Clone)]
pub struct QuotaPlan {
    pub settings: Settings,
    pub reps: Vec<RepQuota>,
    pub teams: Vec<TeamQuota>,
    pub managers: Vec<(Manager, Vec<(Period, Decimal)>)>,
    /// Reps not employed in the year, with why.
    pub removed: Vec<(String, String)>,
    /// Productivity per productive rep-month measured from history (history, capacity fallback).
    pub productivity: Option<Decimal>,
}

impl QuotaPlan {
    pub fn total(&self) -> Decimal {
        self.reps.iter().map(|r| r.quota).sum()
    }

    /// The compounded over-assignment of the rep quotas against the target.
    pub fn over_assignment(&self) -> Decimal {
        if self.settings.target.is_zero() {
            return Decimal::ZERO;
        }
        self.total() / self.settings.target - Decimal::ONE
    }
}

/// Why an allocation cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    #[error("no rep is employed in {0} on a plan with measure `{1}`")]
    NoReps(String, String),
    #[error("every rep's weight is zero for method `{0}` ({1})")]
    ZeroWeights(&'static str, &'static str),
}

/// Allocate `settings.target` to `candidates`.
pub fn compute_quotas(
    candidates: &[Candidate],
    managers: &[Manager],
    settings: &Settings,
) -> Result<QuotaPlan, AllocationError> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let (active, removed) = split_active(&sorted, settings.year);
    if active.is_empty() {
        return Err(AllocationError::NoReps(
            settings.year.to_string(),
            settings.measure.clone(),
        ));
    }
    let productivity = productivity(&sorted);
    let weighed: Vec<(Decimal, Vec<String>)> = weigh(&active, settings, productivity)?;
    let (teams, reps) = if settings.by_team {
        allocate_by_team(&active, &weighed, settings)
    } else {
        let total = settings.target * (Decimal::ONE + level_over(settings, 0));
        let members: Vec<usize> = (0..active.len()).collect();
        let reps = allocate_level(&active, &weighed, &members, total, "the company", settings);
        (Vec::new(), reps)
    };
    let mut reps = reps;
    reps.sort_by(|a, b| a.id.cmp(&b.id));
    for r in &mut reps {
        let tenure = &active
            .iter()
            .find(|c| c.id == r.id)
            .map(|c| c.tenure.clone())
            .unwrap_or_default();
        split_into_rows(r, tenure, settings);
    }
    let managers = managers
        .iter()
        .map(|m| (m.clone(), manager_rows(m, &reps, settings)))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    Ok(QuotaPlan {
        settings: settings.clone(),
        reps,
        teams,
        managers,
        removed,
        productivity,
    })
}

fn level_over(settings: &Settings, level: usize) -> Decimal {
    settings
        .over_assign
        .get(level)
        .or(settings.over_assign.last())
        .copied()
        .unwrap_or(Decimal::ZERO)
}

/// Reps employed on some day of the year, and the others with why they are left out.
fn split_active<'a>(
    sorted: &[&'a Candidate],
    year: Period,
) -> (Vec<&'a Candidate>, Vec<(String, String)>) {
    let mut active = Vec::new();
    let mut removed = Vec::new();
    for c in sorted {
        if c.tenure.active_months(year).is_zero() {
            let why = match (c.tenure.start, c.tenure.end) {
                (_, Some(e)) if e < year.start() => format!("left on {e}"),
                (Some(s), _) if s > year.end() => format!("starts on {s}"),
                _ => "not employed in the year".to_string(),
            };
            removed.push((c.id.clone(), why));
        } else {
            active.push(*c);
        }
    }
    (active, removed)
}

/// Σ last year's measure ÷ Σ last year's productive months, over reps with history.
fn productivity(active: &[&Candidate]) -> Option<Decimal> {
    let months: Decimal = active.iter().map(|c| c.history_months).sum();
    let measure: Decimal = active
        .iter()
        .filter(|c| !c.history_months.is_zero())
        .map(|c| c.history)
        .sum();
    (!months.is_zero()).then(|| measure / months)
}

/// Each rep's weight under the method, with the lines that explain it.
fn weigh(
    active: &[&Candidate],
    s: &Settings,
    productivity: Option<Decimal>,
) -> Result<Vec<(Decimal, Vec<String>)>, AllocationError> {
    let year = s.year;
    let productive: Vec<Decimal> = active
        .iter()
        .map(|c| c.tenure.productive_months(year))
        .collect();
    let mut out: Vec<(Decimal, Vec<String>)> = active
        .iter()
        .zip(&productive)
        .map(|(c, &e)| {
            let a = c.tenure.active_months(year);
            let mut lines = vec![tenure_line(c, a, e)];
            let w = match s.method {
                Method::Equal => {
                    lines.push(format!("weight: {} active months", fmt_plain4(a)));
                    a
                }
                Method::Capacity => {
                    lines.push(format!("weight: {} productive months", fmt_plain4(e)));
                    e
                }
                Method::Potential => {
                    let w = c.potential * e / Decimal::from(12);
                    lines.push(format!(
                        "weight: potential {} × {}/12 productive months = {}",
                        fmt_money(c.potential),
                        fmt_plain4(e),
                        fmt_money(w)
                    ));
                    w
                }
                Method::History => history_weight(c, e, productivity, &mut lines),
            };
            (w, lines)
        })
        .collect();
    if s.method == Method::History {
        clamp_history(&mut out, &productive, s);
    }
    if out.iter().all(|(w, _)| w.is_zero()) {
        let why = match s.method {
            Method::Potential => "no account potential is held by these reps",
            Method::History => "no measure last year",
            _ => "no productive month",
        };
        return Err(AllocationError::ZeroWeights(s.method.name(), why));
    }
    Ok(out)
}

fn tenure_line(c: &Candidate, active: Decimal, productive: Decimal) -> String {
    let mut line = format!(
        "employed {} months of the year, {} productive",
        fmt_plain4(active),
        fmt_plain4(productive)
    );
    if let Some(s) = c.tenure.start {
        line.push_str(&format!(" (start {s}"));
        if !c.tenure.ramp.is_empty() {
            let steps: Vec<String> = c.tenure.ramp.iter().map(|r| fmt_percent(*r)).collect();
            line.push_str(&format!(", ramp {}", steps.join(", ")));
        }
        line.push(')');
    }
    if let Some(e) = c.tenure.end {
        line.push_str(&format!(" (leaves {e})"));
    }
    line
}

/// History: last year's measure per productive month × this year's productive months; a rep
/// without history is given the team's productivity.
fn history_weight(
    c: &Candidate,
    productive: Decimal,
    productivity: Option<Decimal>,
    lines: &mut Vec<String>,
) -> Decimal {
    if c.history_months.is_zero() {
        let p = productivity.unwrap_or(Decimal::ZERO);
        lines.push(format!(
            "no history: productivity of all reps {}/month × {} productive months",
            fmt_money(p),
            fmt_plain4(productive)
        ));
        return p * productive;
    }
    let rate = c.history / c.history_months;
    let w = rate * productive;
    lines.push(format!(
        "history: {} last year over {} productive months = {}/month × {} = {}",
        fmt_money(c.history),
        fmt_plain4(c.history_months),
        fmt_money(rate),
        fmt_plain4(productive),
        fmt_money(w)
    ));
    w
}

/// Keep each history share within [floor, cap] × the capacity share (productive months ÷ all).
fn clamp_history(out: &mut [(Decimal, Vec<String>)], productive: &[Decimal], s: &Settings) {
    let total_w: Decimal = out.iter().map(|(w, _)| *w).sum();
    let total_e: Decimal = productive.iter().copied().sum();
    if total_w.is_zero() || total_e.is_zero() {
        return;
    }
    for ((w, lines), e) in out.iter_mut().zip(productive) {
        let share = *w / total_w;
        let base = *e / total_e;
        let (lo, hi) = (base * s.floor, base * s.cap);
        let clamped = share.max(lo).min(hi);
        if clamped != share {
            lines.push(format!(
                "share {} clamped to {} ({} to {} of the capacity share {})",
                fmt_pct4(share),
                fmt_pct4(clamped),
                fmt_percent(s.floor),
                fmt_percent(s.cap),
                fmt_pct4(base)
            ));
            *w = clamped * total_w;
        }
    }
}

/// Split `total` among `members` (indexes into `active`) by weight, rounded to the step.
fn allocate_level(
    active: &[&Candidate],
    weighed: &[(Decimal, Vec<String>)],
    members: &[usize],
    total: Decimal,
    level: &str,
    s: &Settings,
) -> Vec<RepQuota> {
    let sum_w: Decimal = members.iter().map(|&i| weighed[i].0).sum();
    let unrounded: Vec<(&str, Decimal)> = members
        .iter()
        .map(|&i| {
            let share = if sum_w.is_zero() {
                Decimal::ZERO
            } else {
                weighed[i].0 / sum_w
            };
            (active[i].id.as_str(), total * share)
        })
        .collect();
    let rounded = round_to_total(&unrounded, total, s.step);
    members
        .iter()
        .zip(unrounded.iter().zip(rounded))
        .map(|(&i, ((_, raw), r))| {
            let c = active[i];
            let mut explain = weighed[i].1.clone();
            let share = if sum_w.is_zero() {
                Decimal::ZERO
            } else {
                weighed[i].0 / sum_w
            };
            explain.push(format!(
                "share of {level}: {} ÷ {} = {}; {} × {} = {}",
                fmt_money(weighed[i].0),
                fmt_money(sum_w),
                fmt_pct4(share),
                fmt_money(total),
                fmt_pct4(share),
                fmt_money(*raw)
            ));
            explain.push(rounding_line(*raw, &r, s.step));
            let attainment = (!r.value.is_zero()).then(|| c.history / r.value);
            RepQuota {
                id: c.id.clone(),
                name: c.name.clone(),
                team: c.team.clone(),
                weight: weighed[i].0,
                unrounded: *raw,
                quota: r.value,
                rows: Vec::new(),
                history: c.history,
                attainment,
                explain,
            }
        })
        .collect()
}

fn rounding_line(raw: Decimal, r: &super::rounding::Rounded, step: Decimal) -> String {
    let mut line = format!(
        "rounded down to the step {}: {}",
        fmt_money(step),
        fmt_money(r.floor)
    );
    if r.steps_added > 0 {
        line.push_str(&format!(" + {} (largest remainder)", fmt_money(step)));
    }
    if !r.rest.is_zero() {
        line.push_str(&format!(" + {} (the total's rest)", fmt_money(r.rest)));
    }
    line.push_str(&format!(
        " = {} (remainder {})",
        fmt_money(r.value),
        fmt_money(raw - r.floor)
    ));
    line
}

/// Company → teams (by weight, rounded), then each team → its reps.
fn allocate_by_team(
    active: &[&Candidate],
    weighed: &[(Decimal, Vec<String>)],
    s: &Settings,
) -> (Vec<TeamQuota>, Vec<RepQuota>) {
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in active.iter().enumerate() {
        members.entry(c.team.as_str()).or_default().push(i);
    }
    let total = s.target * (Decimal::ONE + level_over(s, 0));
    let sum_w: Decimal = weighed.iter().map(|w| w.0).sum();
    let team_w: Vec<(&str, Decimal)> = members
        .iter()
        .map(|(t, m)| (*t, m.iter().map(|&i| weighed[i].0).sum()))
        .collect();
    let unrounded: Vec<(&str, Decimal)> = team_w
        .iter()
        .map(|(t, w)| (*t, total * *w / sum_w))
        .collect();
    let rounded = round_to_total(&unrounded, total, s.step);
    let mut teams = Vec::new();
    let mut reps = Vec::new();
    for (((team, w), (_, raw)), r) in team_w.iter().zip(&unrounded).zip(rounded) {
        teams.push(TeamQuota {
            team: team.to_string(),
            weight: *w,
            unrounded: *raw,
            quota: r.value,
        });
        let team_total = r.value * (Decimal::ONE + level_over(s, 1));
        let level = format!("team {team} ({})", fmt_money(team_total));
        reps.extend(allocate_level(
            active,
            weighed,
            &members[team],
            team_total,
            &level,
            s,
        ));
    }
    (teams, reps)
}

/// The rep's full-period rows: quota ÷ Σ(season weight × the engine's scale of the period), × each
/// period's weight, rounded to cents (largest remainder) so a full-year rep's rows sum to the quota.
fn split_into_rows(r: &mut RepQuota, tenure: &Tenure, s: &Settings) {
    let scales: Vec<Decimal> = s
        .seasons
        .iter()
        .map(|(p, _)| tenure.period_scale(*p))
        .collect();
    let expected: Decimal = s.seasons.iter().zip(&scales).map(|((_, w), k)| w * k).sum();
    if expected.is_zero() {
        return;
    }
    let full = r.quota / expected;
    let parts: Vec<(String, Decimal)> = s
        .seasons
        .iter()
        .zip(&scales)
        .filter(|(_, k)| !k.is_zero())
        .map(|((p, w), _)| (p.to_string(), full * w))
        .collect();
    let keyed: Vec<(&str, Decimal)> = parts.iter().map(|(p, a)| (p.as_str(), *a)).collect();
    let total: Decimal = round2(keyed.iter().map(|k| k.1).sum::<Decimal>());
    let rounded = round_to_total(&keyed, total, Decimal::new(1, 2));
    let periods: Vec<Period> = s
        .seasons
        .iter()
        .zip(&scales)
        .filter(|(_, k)| !k.is_zero())
        .map(|((p, _), _)| *p)
        .collect();
    r.rows = periods
        .into_iter()
        .zip(rounded)
        .map(|(p, x)| (p, x.value))
        .collect();
    if expected != Decimal::ONE {
        r.explain.push(format!(
            "full-year quota: {} ÷ {} (Σ season weight × the period's prorated, ramped share) = {}",
            fmt_money(r.quota),
            fmt_pct4(expected),
            fmt_money(full)
        ));
    }
    let rows: Vec<String> = r
        .rows
        .iter()
        .map(|(p, a)| format!("{p} {}", fmt_money(*a)))
        .collect();
    r.explain.push(format!("rows: {}", rows.join(", ")));
}

/// A manager's rows: per period, the sum of their reports' rows.
fn manager_rows(m: &Manager, reps: &[RepQuota], s: &Settings) -> Vec<(Period, Decimal)> {
    s.seasons
        .iter()
        .filter_map(|(p, _)| {
            let sum: Decimal = reps
                .iter()
                .filter(|r| m.reports.contains(&r.id))
                .flat_map(|r| r.rows.iter().filter(|(q, _)| q == p).map(|(_, a)| *a))
                .sum();
            (!sum.is_zero()).then_some((*p, sum))
        })
        .collect()
}

/// A decimal to at most 4 places, for months.
pub fn fmt_plain4(d: Decimal) -> String {
    d.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

/// A ratio as a percentage to 2 places.
pub fn fmt_pct4(d: Decimal) -> String {
    format!("{}%", round2(d * Decimal::ONE_HUNDRED))
}

/// Money with thousands separators and 2 places (the value is rounded half away from zero first).
pub fn fmt_money(d: Decimal) -> String {
    let mut s = String::new();
    crate::money::push_grouped(
        &mut s,
        d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        2,
    );
    s
}

/// Half away from zero to 2 places: cents, and percentages shown to 0.01%.
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}
