//! A rep's months in a plan year: the days employed and the ramp step of each month, computed the
//! way the engine prorates and ramps a quota (days employed ÷ days of the month, × the ramp step of
//! the month counted from the start date's month, 100% after the schedule).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::period::{Granularity, Period};

/// Employment and ramp of one rep, as the planning commands read them.
#[derive(Debug, Clone, Default)]
pub struct Tenure {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// The plan's `[ramp] schedule` (empty: no ramp).
    pub ramp: Vec<Decimal>,
}

/// One month of the year for one rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub period: Period,
    pub days: u32,
    pub active_days: u32,
    pub ramp: Decimal,
}

impl Month {
    /// Active days ÷ days of the month (0..1).
    pub fn active(&self) -> Decimal {
        Decimal::from(self.active_days) / Decimal::from(self.days)
    }

    /// Active fraction × ramp step: the month's productive share.
    pub fn productive(&self) -> Decimal {
        self.active() * self.ramp
    }
}

impl Tenure {
    /// The months of `year` (a year period of the workspace calendar).
    pub fn months(&self, year: Period) -> Vec<Month> {
        year.periods_of(Granularity::Month)
            .into_iter()
            .map(|m| self.month(m))
            .collect()
    }

    fn month(&self, m: Period) -> Month {
        let (a, b) = (m.start(), m.end());
        let from = self.start.map_or(a, |s| a.max(s));
        let to = self.end.map_or(b, |e| b.min(e));
        let active_days = if to < from {
            0
        } else {
            (to - from).num_days() as u32 + 1
        };
        Month {
            period: m,
            days: (b - a).num_days() as u32 + 1,
            active_days,
            ramp: self.ramp_step(a),
        }
    }

    /// The ramp step of the month starting on `first` (1 after the schedule or without a start).
    fn ramp_step(&self, first: NaiveDate) -> Decimal {
        let Some(start) = self.start else {
            return Decimal::ONE;
        };
        let month_no = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
        let k = month_no(first) - month_no(start);
        usize::try_from(k)
            .ok()
            .and_then(|k| self.ramp.get(k).copied())
            .unwrap_or(Decimal::ONE)
    }

    /// Active months in the year (Σ active fractions).
    pub fn active_months(&self, year: Period) -> Decimal {
        self.months(year).iter().map(Month::active).sum()
    }

    /// Productive (ramped) months in the year (Σ active fraction × ramp step).
    pub fn productive_months(&self, year: Period) -> Decimal {
        self.months(year).iter().map(Month::productive).sum()
    }

    /// The engine's scale of a quota for period `p`: Σ active days × ramp step ÷ days of `p`.
    pub fn period_scale(&self, p: Period) -> Decimal {
        let months: Vec<Month> = p
            .periods_of(Granularity::Month)
            .into_iter()
            .map(|m| self.month(m))
            .collect();
        let weighted: Decimal = months
            .iter()
            .map(|m| Decimal::from(m.active_days) * m.ramp)
            .sum();
        let days: u32 = months.iter().map(|m| m.days).sum();
        weighted / Decimal::from(days)
    }
}
