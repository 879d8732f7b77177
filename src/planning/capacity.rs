//! Capacity planning: the headcount a target needs.
//!
//! Productivity P = last year's measure ÷ last year's productive rep-months (ramped months on a
//! plan with the measure). Required productive months R = target ÷ P. Current staff contribute
//! their productive months of the plan year (hire date, ramp, leavers' end dates), less expected
//! attrition: with an annual attrition rate a, leavers go on average mid-year, so each rep's months
//! are × (1 − a/2). The gap G = R − that. A hire starting in month m of the year contributes
//! h(m) = Σ over the months left of the ramp step × (1 − a/2); closing the gap takes ⌈G ÷ h(m)⌉
//! hires starting in month m. The latest start month is the last month in which the headcount
//! needed for a January start still closes the gap.

use rust_decimal::Decimal;

use super::months::Tenure;
use super::quotas::Candidate;
use crate::period::Period;

#[derive(Debug, Clone)]
pub struct CapacityPlan {
    pub target: Decimal,
    pub productivity: Decimal,
    pub attrition: Decimal,
    pub required_months: Decimal,
    pub current_months: Decimal,
    pub reps: usize,
    pub gap_months: Decimal,
    /// Per start month of the year: (month, productive months of one hire, hires needed).
    pub by_start: Vec<(Period, Decimal, u32)>,
    /// Hires needed with a January start, and the latest month they may start.
    pub hires: u32,
    pub latest_start: Option<Period>,
}

#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error("no productivity: nobody has last year's measure over a productive month")]
    NoProductivity,
}

/// Attrition measured from the roster: reps who left during `last_year` ÷ reps employed on its
/// first day.
pub fn measured_attrition(reps: &[Candidate], last_year: Period) -> Decimal {
    let at_start = reps
        .iter()
        .filter(|c| c.tenure.start.is_none_or(|s| s <= last_year.start()))
        .filter(|c| c.tenure.end.is_none_or(|e| e >= last_year.start()))
        .count();
    let left = reps
        .iter()
        .filter(|c| c.tenure.end.is_some_and(|e| last_year.contains(e)))
        .count();
    if at_start == 0 {
        return Decimal::ZERO;
    }
    Decimal::from(left) / Decimal::from(at_start)
}

pub fn compute_capacity(
    reps: &[Candidate],
    target: Decimal,
    year: Period,
    ramp: &[Decimal],
    attrition: Decimal,
) -> Result<CapacityPlan, CapacityError> {
    let months: Decimal = reps.iter().map(|c| c.history_months).sum();
    let measured: Decimal = reps
        .iter()
        .filter(|c| !c.history_months.is_zero())
        .map(|c| c.history)
        .sum();
    if months.is_zero() || measured.is_zero() {
        return Err(CapacityError::NoProductivity);
    }
    let productivity = measured / months;
    let stay = Decimal::ONE - attrition / Decimal::TWO;
    let active: Vec<&Candidate> = reps
        .iter()
        .filter(|c| !c.tenure.active_months(year).is_zero())
        .collect();
    let current_months: Decimal = active
        .iter()
        .map(|c| c.tenure.productive_months(year) * stay)
        .sum();
    let required_months = target / productivity;
    let gap_months = (required_months - current_months).max(Decimal::ZERO);
    let by_start: Vec<(Period, Decimal, u32)> = year
        .periods_of(crate::period::Granularity::Month)
        .into_iter()
        .map(|m| {
            let hire = Tenure {
                start: Some(m.start()),
                end: None,
                ramp: ramp.to_vec(),
            };
            let h = hire.productive_months(year) * stay;
            (m, h, hires_for(gap_months, h))
        })
        .collect();
    let hires = by_start.first().map_or(0, |b| b.2);
    let latest_start = by_start
        .iter()
        .filter(|b| b.2 <= hires && !b.1.is_zero())
        .map(|b| b.0)
        .next_back();
    Ok(CapacityPlan {
        target,
        productivity,
        attrition,
        required_months,
        current_months,
        reps: active.len(),
        gap_months,
        by_start,
        hires,
        latest_start,
    })
}

fn hires_for(gap: Decimal, per_hire: Decimal) -> u32 {
    if gap.is_zero() {
        return 0;
    }
    if per_hire.is_zero() {
        return u32::MAX;
    }
    u32::try_from((gap / per_hire).ceil()).unwrap_or(u32::MAX)
}
