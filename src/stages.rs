//! Stage categories: what each value of the deals' `stage` column means to the insights (`[stages]`
//! of the workspace), and the settings that choose between the definitions sources disagree on
//! (`[insights]`).
//!
//! Invariants: a category is one of won, lost, no_decision, open (with a win probability in
//! [0, 1]) or ignored; stage values are matched exactly (after trimming spaces), so two spellings of
//! one stage are two entries. Working hours (`[insights.working_hours]`) count only the time inside
//! a working day's hours, on working days that are not holidays.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

/// What a deal's stage says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageCategory {
    Won,
    Lost,
    /// Decided without a winner (the buyer did nothing): apart from won and lost by default.
    NoDecision,
    /// Still open, with the probability (0–1) that it is won.
    Open(Decimal),
    /// Not a real opportunity (duplicate, disqualified): left out of every metric.
    Ignored,
}

impl StageCategory {
    /// `won`, `lost`, `no_decision`, `ignored`; `open` needs a probability.
    pub fn parse(text: &str, probability: Option<Decimal>) -> Result<StageCategory, String> {
        match (text.trim(), probability) {
            ("won", None) => Ok(StageCategory::Won),
            ("lost", None) => Ok(StageCategory::Lost),
            ("no_decision", None) => Ok(StageCategory::NoDecision),
            ("ignored", None) => Ok(StageCategory::Ignored),
            ("open", Some(p)) if p >= Decimal::ZERO && p <= Decimal::ONE => {
                Ok(StageCategory::Open(p))
            }
            ("open", Some(_)) => Err("a probability is between 0% and 100%".into()),
            ("open", None) => Err("an open stage needs a probability, e.g. { category = \"open\", probability = \"40%\" }".into()),
            (_, Some(_)) => Err("only an open stage takes a probability".into()),
            (other, None) => Err(format!(
                "unknown stage category {other:?}: use won, lost, no_decision, open or ignored"
            )),
        }
    }
}

/// Stage value → category.
pub type Stages = BTreeMap<String, StageCategory>;

/// The definitions `[insights]` chooses (defaults as in the insights reference).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsightSettings {
    /// Win rate: count `no_decision` deals as lost (default: left out and shown apart).
    pub no_decision_as_lost: bool,
    /// Win rate: count open deals whose close date has passed (before the period's end) as lost.
    pub stale_as_lost: bool,
    /// Sales cycle over won and lost deals (default: won only).
    pub cycle_includes_lost: bool,
    /// Pipeline coverage over the whole period's quota (default: the quota still to reach).
    pub coverage_whole_quota: bool,
}

/// The working calendar of business-hours lead response: working days of the week, the hours of
/// each working day, holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    /// Monday first.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub holidays: BTreeSet<NaiveDate>,
}

const DAY_NAMES: [(&str, &str); 7] = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
];

impl WorkingHours {
    /// Parse `days` (`["Mon", ..., "Fri"]`, the default; full names too), `hours` (`"09:00-18:00"`)
    /// and `holidays` (`["2026-12-25"]`).
    pub fn parse(
        days: Option<&[String]>,
        hours: &str,
        holidays: &[String],
    ) -> Result<WorkingHours, String> {
        let mut working = [false; 7];
        match days {
            None => working[..5].fill(true),
            Some(days) => {
                for d in days {
                    let name = d.trim().to_lowercase();
                    let i = DAY_NAMES
                        .iter()
                        .position(|(short, long)| name == *short || name == *long)
                        .ok_or_else(|| {
                            format!("days: {d:?} is not a day of the week (Mon ... Sun)")
                        })?;
                    working[i] = true;
                }
            }
        }
        let (start, end) = hours
            .split_once('-')
            .and_then(|(a, b)| {
                let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").ok();
                Some((t(a)?, t(b)?))
            })
            .filter(|(a, b)| a < b)
            .ok_or_else(|| {
                format!("hours: {hours:?} is not a span of a day like \"09:00-18:00\"")
            })?;
        let holidays = holidays
            .iter()
            .map(|h| {
                NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d")
                    .map_err(|_| format!("holidays: {h:?} is not a date (YYYY-MM-DD)"))
            })
            .collect::<Result<_, _>>()?;
        Ok(WorkingHours {
            days: working,
            start,
            end,
            holidays,
        })
    }

    fn is_working_day(&self, day: NaiveDate) -> bool {
        self.days[day.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&day)
    }

    /// Seconds of working time from `from` to `to` (0 when `to` is not later).
    pub fn seconds_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        let mut total = 0;
        let mut day = from.date();
        while day <= to.date() {
            if self.is_working_day(day) {
                let open = day.and_time(self.start).max(from);
                let close = day.and_time(self.end).min(to);
                if close > open {
                    total += (close - open).num_seconds();
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }
}

/// A probability written `40%` or `0.4`.
pub fn parse_probability(text: &str) -> Option<Decimal> {
    let t = text.trim();
    match t.strip_suffix('%') {
        Some(p) => Decimal::from_str_exact(p.trim())
            .ok()
            .map(|p| p / Decimal::ONE_HUNDRED),
        None => Decimal::from_str_exact(t).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn working_hours_count_only_working_time() {
        let h = WorkingHours::parse(None, "09:00-18:00", &["2026-01-05".to_string()]).unwrap();
        // Friday 2026-01-09 17:30 → Monday 2026-01-12 09:30: 30 min on Friday, 30 min on Monday.
        assert_eq!(
            h.seconds_between(at("2026-01-09 17:30"), at("2026-01-12 09:30")),
            3600
        );
        // Friday 2026-01-02 17:30 → Tuesday 2026-01-06 09:30, Monday the 5th a holiday: 30 + 30 min.
        assert_eq!(
            h.seconds_between(at("2026-01-02 17:30"), at("2026-01-06 09:30")),
            3600
        );
        // Both outside hours, the same evening: nothing.
        assert_eq!(
            h.seconds_between(at("2026-01-07 19:00"), at("2026-01-07 21:00")),
            0
        );
        let weekend =
            WorkingHours::parse(Some(&["Sat".into(), "sunday".into()]), "10:00-12:00", &[]);
        assert_eq!(
            weekend.unwrap().days,
            [false, false, false, false, false, true, true]
        );
        assert!(WorkingHours::parse(Some(&["Funday".into()]), "09:00-18:00", &[]).is_err());
        assert!(WorkingHours::parse(None, "18:00-09:00", &[]).is_err());
        assert!(WorkingHours::parse(None, "09:00-18:00", &["25/12/2026".into()]).is_err());
    }

    #[test]
    fn categories_parse_and_open_needs_a_probability_in_range() {
        assert_eq!(StageCategory::parse("won", None), Ok(StageCategory::Won));
        assert_eq!(
            StageCategory::parse("open", parse_probability("40%")),
            Ok(StageCategory::Open(Decimal::new(4, 1)))
        );
        assert_eq!(
            StageCategory::parse("open", parse_probability("0.25")),
            Ok(StageCategory::Open(Decimal::new(25, 2)))
        );
        assert!(StageCategory::parse("open", None).is_err());
        assert!(StageCategory::parse("open", parse_probability("120%")).is_err());
        assert!(StageCategory::parse("won", parse_probability("1")).is_err());
        assert!(StageCategory::parse("closed", None).is_err());
    }
}
