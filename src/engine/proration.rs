//! Proration and ramps: how a rep's quota and target incentive scale for a measurement period in
//! which they are not employed and on the plan every day, or are in their first months.
//!
//! Invariants: the scale is Σ over the period's counted days of the ramp step of the day's month ÷
//! the days of the period (counted days: those the rep is employed and on the plan with proration,
//! every day without); with `proration = "months"` the unit is the month instead of the day (a
//! month counts when the rep is on the plan on the plan's `proration_day` of it); a full period without a ramp step below 100% has no scale (the full amount);
//! a scaled quota is rounded like money with the plan's rounding, so statements show a figure a
//! person can check.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::rep::RepCtx;
use crate::data::quotas::Quota;
use crate::period::Period;

/// How a quota or target incentive is scaled for a measurement period: by the days the rep is on
/// the plan (proration) and by the ramp of their first months.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scale {
    /// Σ over the period's days the rep counts (active, or all without proration) of the ramp step
    /// of the day's month (1 without a ramp).
    pub weighted_days: Decimal,
    pub days: u32,
    /// Whether a ramp step below 100% contributed.
    pub ramped: bool,
    /// With a ramp: how the weighted days add up, month by month (`28 × 50% + 31 × 100%`).
    pub parts: Option<Box<str>>,
    /// Whether the unit is the month (`proration = "months"`): `weighted_days` and `days` count
    /// months.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub months: bool,
}

impl Scale {
    pub fn apply(&self, value: Decimal) -> Decimal {
        value * self.weighted_days / Decimal::from(self.days)
    }

    /// The month-by-month sum behind a ramped scale.
    pub fn breakdown(&self) -> Option<String> {
        self.parts
            .as_ref()
            .map(|p| format!("{p} = {}", crate::money::fmt_plain(self.weighted_days)))
    }

    pub fn describe(&self) -> String {
        let days = crate::money::fmt_plain(self.weighted_days);
        let unit = if self.months { "months" } else { "days" };
        if self.ramped {
            format!("× {days}/{} ramped active {unit}", self.days)
        } else {
            format!("× {days}/{} active {unit}", self.days)
        }
    }
}

impl RepCtx<'_> {
    /// The scale of measurement period `m` for a quota (`for_ti` false) or the target incentive;
    /// `None` when the full amount applies.
    pub fn scale(&self, m: Period, for_ti: bool) -> Option<Scale> {
        use chrono::Datelike;
        let month_day = match self.plan.proration {
            crate::plan::Proration::Months { day } => Some(u32::from(day)),
            _ => None,
        };
        let prorate = self.plan.proration != crate::plan::Proration::None;
        let ramp = self
            .plan
            .ramp
            .as_ref()
            .filter(|r| !for_ti || r.target_incentive)
            .zip(self.rep.start_date);
        let (start, end) = (m.start(), m.end());
        let full_window = self.segment.from.is_none_or(|f| f <= start)
            && self.segment.to.is_none_or(|t| end <= t);
        let month_no = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
        let ramp_done =
            ramp.is_none_or(|(r, s)| month_no(start) - month_no(s) >= r.schedule.len() as i64);
        if (full_window || !prorate) && ramp_done {
            return None;
        }
        let months = m.periods_of(crate::period::Granularity::Month);
        let days = match month_day {
            Some(_) => months.len() as u32,
            None => (end - start).num_days() as u32 + 1,
        };
        let mut weighted = Decimal::ZERO;
        let mut ramped = false;
        let mut parts: Vec<String> = Vec::new();
        for month in months {
            let active = match month_day {
                Some(day) => self.counted_month(month, day),
                None => self.active_days(month, prorate),
            };
            if active.is_zero() {
                continue;
            }
            let step = match ramp {
                Some((r, s)) => {
                    let k = month_no(month.start()) - month_no(s);
                    match usize::try_from(k) {
                        Ok(k) if k < r.schedule.len() => {
                            ramped = true;
                            r.schedule[k]
                        }
                        Ok(_) => Decimal::ONE,
                        // Months before the start: the rep is not active (proration covers it).
                        Err(_) => Decimal::ONE,
                    }
                }
                None => Decimal::ONE,
            };
            weighted += active * step;
            parts.push(format!("{active} × {}", crate::money::fmt_percent(step)));
        }
        (weighted != Decimal::from(days)).then(|| Scale {
            weighted_days: weighted,
            days,
            ramped,
            parts: ramped.then(|| parts.join(" + ").into_boxed_str()),
            months: month_day.is_some(),
        })
    }

    /// The days of `month` the rep counts: those on the plan with proration, every day without.
    fn active_days(&self, month: Period, prorate: bool) -> Decimal {
        let (mut a, mut b) = (month.start(), month.end());
        if prorate {
            a = self.segment.from.map_or(a, |f| a.max(f));
            b = self.segment.to.map_or(b, |t| b.min(t));
        }
        Decimal::from((b - a).num_days() + 1).max(Decimal::ZERO)
    }

    /// 1 when the rep is employed and on the plan on `day` of `month`, else 0.
    fn counted_month(&self, month: Period, day: u32) -> Decimal {
        use chrono::Datelike;
        let start = month.start();
        let Some(date) = start.with_day(day) else {
            return Decimal::ZERO;
        };
        if self.segment.covers(date) {
            Decimal::ONE
        } else {
            Decimal::ZERO
        }
    }

    /// The rep's quota for a measure and measurement period, scaled (see [`Self::scale`]) and
    /// rounded like money by the plan's rounding; with the full quota and the scale when scaled.
    pub fn quota(&self, measure: &str, m: Period) -> Option<(Quota, Option<(Decimal, Scale)>)> {
        let q = self.ctx.inputs.quotas.lookup(self.rep_index, measure, m)?;
        match self.scale(m, false) {
            None => Some((q, None)),
            Some(scale) => Some((
                Quota {
                    amount: self.plan.rounding.apply(scale.apply(q.amount)),
                    ..q
                },
                Some((q.amount, scale)),
            )),
        }
    }
}
