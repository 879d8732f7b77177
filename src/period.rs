//! Periods: calendar months, and quarters, halves and years of a (possibly fiscal) calendar.
//!
//! Invariants: a period is always aligned to its calendar (a fiscal quarter starts on a fiscal-quarter
//! month); every date belongs to exactly one period of each granularity; labels round-trip through
//! [`Calendar::parse`]. A fiscal year is named by the calendar year in which it ends (FY2027 starting
//! February 2026), the convention of most companies with a non-January fiscal year.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Month,
    Quarter,
    Half,
    Year,
}

impl Granularity {
    pub fn months(self) -> i32 {
        match self {
            Granularity::Month => 1,
            Granularity::Quarter => 3,
            Granularity::Half => 6,
            Granularity::Year => 12,
        }
    }

    pub const NAMES: &'static str = "month, quarter, half, year";
}

impl FromStr for Granularity {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "month" | "monthly" => Ok(Granularity::Month),
            "quarter" | "quarterly" => Ok(Granularity::Quarter),
            "half" | "half-year" | "semiannual" => Ok(Granularity::Half),
            "year" | "annual" | "yearly" => Ok(Granularity::Year),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Half => "half",
            Granularity::Year => "year",
        })
    }
}

/// The company calendar: the month its fiscal year starts in (1 = January, a calendar year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Calendar {
    pub fiscal_year_start: u32,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            fiscal_year_start: 1,
        }
    }
}

/// A month counted from year 0 (`year * 12 + month - 1`), the unit periods are built from.
type MonthIndex = i32;

fn month_index(date: NaiveDate) -> MonthIndex {
    date.year() * 12 + date.month0() as i32
}

fn first_day(index: MonthIndex) -> NaiveDate {
    match month_bounds(index) {
        Some(&(first, _)) => first,
        None => compute_first_day(index),
    }
}

/// The day before the first of month `index`: the last day of the month before.
fn day_before(index: MonthIndex) -> NaiveDate {
    match month_bounds(index) {
        Some(&(_, before)) => before,
        None => compute_first_day(index)
            .pred_opt()
            .expect("date within chrono's range"),
    }
}

/// Month `index`'s entry in [`MONTH_BOUNDS`], when the table has it.
fn month_bounds(index: MonthIndex) -> Option<&'static (NaiveDate, NaiveDate)> {
    MONTH_BOUNDS.get(usize::try_from(index - TABLE_START).ok()?)
}

fn compute_first_day(index: MonthIndex) -> NaiveDate {
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .expect("month index within chrono's range")
}

/// The first month of [`MONTH_BOUNDS`]: January 1900.
const TABLE_START: MonthIndex = 1900 * 12;

/// Each month's first day and the day before it, from January 1900 to December 2199, made once:
/// the engine asks for periods' bounds several times per rep, component and period, and a table
/// read is a tenth of the calendar arithmetic. Months outside it are computed.
static MONTH_BOUNDS: std::sync::LazyLock<Vec<(NaiveDate, NaiveDate)>> =
    std::sync::LazyLock::new(|| {
        (TABLE_START..TABLE_START + 300 * 12)
            .map(|i| {
                let first = compute_first_day(i);
                (first, first.pred_opt().expect("date within chrono's range"))
            })
            .collect()
    });

/// One period: a granularity and its first month, aligned to the calendar it was made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    first: MonthIndex,
    granularity: Granularity,
    fiscal_year_start: u8,
}

impl Calendar {
    fn offset(&self) -> i32 {
        self.fiscal_year_start as i32 - 1
    }

    /// The period of the given granularity that contains `date`.
    pub fn period_of(&self, granularity: Granularity, date: NaiveDate) -> Period {
        self.period_of_month(granularity, month_index(date))
    }

    fn period_of_month(&self, granularity: Granularity, month: MonthIndex) -> Period {
        let len = granularity.months();
        let first = month - (month - self.offset()).rem_euclid(len);
        Period {
            first,
            granularity,
            fiscal_year_start: self.fiscal_year_start as u8,
        }
    }

    /// Parse a period label: `2026-03`, `2026-Q1`, `2026-H2`, `2026`, or with a fiscal calendar
    /// `FY2027-Q1`, `FY2027-H1`, `FY2027`.
    pub fn parse(&self, label: &str) -> Result<Period, String> {
        let text = label.trim();
        let (fiscal, body) = match text.strip_prefix("FY").or_else(|| text.strip_prefix("fy")) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let expected = if self.fiscal_year_start == 1 {
            "a period like 2026-03 (month), 2026-Q1, 2026-H1 or 2026".to_string()
        } else {
            "a period like 2026-03 (month), FY2027-Q1, FY2027-H1 or FY2027 (fiscal years are named by the year they end in)".to_string()
        };
        let bad = || format!("`{text}` is not {expected}");
        let (year_text, part) = match body.split_once('-') {
            Some((y, p)) => (y, Some(p)),
            None => (body, None),
        };
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year_text.parse().map_err(|_| bad())?;
        let number = |p: &str| -> Option<i32> {
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        };
        // First month of fiscal year `year` (named by the year it ends in).
        let fy_first = if self.fiscal_year_start == 1 {
            year * 12
        } else {
            (year - 1) * 12 + self.offset()
        };
        let (granularity, first) = match part {
            None => (Granularity::Year, fy_first),
            Some(p) if p.starts_with(['Q', 'q']) => match number(&p[1..]) {
                Some(q @ 1..=4) => (Granularity::Quarter, fy_first + (q - 1) * 3),
                _ => return Err(bad()),
            },
            Some(p) if p.starts_with(['H', 'h']) => match number(&p[1..]) {
                Some(h @ 1..=2) => (Granularity::Half, fy_first + (h - 1) * 6),
                _ => return Err(bad()),
            },
            Some(p) => {
                if fiscal {
                    return Err(bad());
                }
                match number(p) {
                    Some(m @ 1..=12) if p.len() == 2 => {
                        return Ok(self.period_of_month(Granularity::Month, year * 12 + m - 1));
                    }
                    _ => return Err(bad()),
                }
            }
        };
        if !fiscal && self.fiscal_year_start != 1 {
            let example = Period {
                first: (year - 1) * 12 + self.offset(),
                granularity: Granularity::Quarter,
                fiscal_year_start: self.fiscal_year_start as u8,
            };
            return Err(format!(
                "`{text}` is ambiguous: the fiscal year starts in month {}, so quarters, halves and years are fiscal; \
                 write a fiscal label such as FY{year} (fiscal years are named by the year they end in: {example} runs {} to {})",
                self.fiscal_year_start,
                example.start(),
                example.end(),
            ));
        }
        Ok(Period {
            first,
            granularity,
            fiscal_year_start: self.fiscal_year_start as u8,
        })
    }
}

impl Period {
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// The calendar the period was made in.
    pub fn calendar(&self) -> Calendar {
        Calendar {
            fiscal_year_start: self.fiscal_year_start as u32,
        }
    }

    /// First day of the period.
    pub fn start(&self) -> NaiveDate {
        first_day(self.first)
    }

    /// Last day of the period (inclusive).
    pub fn end(&self) -> NaiveDate {
        day_before(self.first + self.granularity.months())
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        let m = month_index(date);
        m >= self.first && m < self.first + self.granularity.months()
    }

    /// Whether `other` lies entirely within this period.
    pub fn covers(&self, other: &Period) -> bool {
        other.first >= self.first
            && other.first + other.granularity.months() <= self.first + self.granularity.months()
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        other.first < self.first + self.granularity.months()
            && self.first < other.first + other.granularity.months()
    }

    /// The periods of a granularity that overlap this one, in order. For a finer granularity these
    /// are its sub-periods; for a coarser one, the one or two periods that contain it.
    pub fn periods_of(&self, granularity: Granularity) -> Vec<Period> {
        self.periods(granularity).collect()
    }

    /// [`Period::periods_of`] one at a time, without a list (the engine asks per rep and period).
    pub fn periods(&self, granularity: Granularity) -> impl Iterator<Item = Period> {
        let last = self.first + self.granularity.months() - 1;
        let first = self.calendar().period_of_month(granularity, self.first);
        std::iter::successors(Some(first), Period::next_some).take_while(move |p| p.first <= last)
    }

    fn next_some(p: &Period) -> Option<Period> {
        Some(p.next())
    }

    /// The periods of a granularity that end in this one, in order: the payout periods a run of
    /// this period pays.
    pub fn periods_ending_in(&self, granularity: Granularity) -> impl Iterator<Item = Period> + '_ {
        self.periods(granularity).filter(|p| self.contains(p.end()))
    }

    /// The period of the same granularity that follows this one.
    pub fn next(&self) -> Period {
        Period {
            first: self.first + self.granularity.months(),
            ..*self
        }
    }

    /// The enclosing period of a (coarser or equal) granularity.
    pub fn within(&self, granularity: Granularity) -> Period {
        self.calendar().period_of_month(granularity, self.first)
    }

    /// The label, e.g. `2026-03`, `2026-Q1`, `FY2027-H1`.
    pub fn label(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.granularity == Granularity::Month {
            return write!(
                f,
                "{:04}-{:02}",
                self.first.div_euclid(12),
                self.first.rem_euclid(12) + 1
            );
        }
        let offset = self.fiscal_year_start as i32 - 1;
        let fy_first = self.first - (self.first - offset).rem_euclid(12);
        let (prefix, year) = if offset == 0 {
            ("", fy_first.div_euclid(12))
        } else {
            ("FY", (fy_first + 11).div_euclid(12))
        };
        let n = (self.first - fy_first) / self.granularity.months() + 1;
        match self.granularity {
            Granularity::Year => write!(f, "{prefix}{year:04}"),
            Granularity::Half => write!(f, "{prefix}{year:04}-H{n}"),
            Granularity::Quarter => write!(f, "{prefix}{year:04}-Q{n}"),
            Granularity::Month => unreachable!(),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn month_bounds_are_the_calendar_s_inside_the_table_and_beyond_it() {
        // One month either side of the table, and every month in it.
        for index in TABLE_START - 13..TABLE_START + 300 * 12 + 13 {
            let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
            let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
            assert_eq!(first_day(index), first, "{year}-{month}");
            assert_eq!(
                day_before(index),
                first.pred_opt().unwrap(),
                "{year}-{month}"
            );
        }
        let feb_2028 = Calendar::default().parse("2028-02").unwrap();
        assert_eq!(feb_2028.end(), date("2028-02-29"));
        let year_2199 = Calendar::default().parse("2199").unwrap();
        assert_eq!(year_2199.end(), date("2199-12-31"));
        let year_2200 = Calendar::default().parse("2200").unwrap();
        assert_eq!(year_2200.start(), date("2200-01-01"));
        assert_eq!(year_2200.end(), date("2200-12-31"));
    }

    #[test]
    fn calendar_labels_round_trip() {
        let cal = Calendar::default();
        for label in [
            "2026-03", "2026-Q1", "2026-Q4", "2026-H2", "2026", "1999-12",
        ] {
            assert_eq!(cal.parse(label).unwrap().label(), label);
        }
        let q1 = cal.parse("2026-Q1").unwrap();
        assert_eq!(q1.start(), date("2026-01-01"));
        assert_eq!(q1.end(), date("2026-03-31"));
        assert!(cal.parse("2026-13").is_err());
        assert!(cal.parse("2026-Q5").is_err());
        assert!(cal.parse("26-Q1").is_err());
        assert!(cal.parse("2026-3").is_err());
    }

    #[test]
    fn fiscal_year_named_by_its_end() {
        let cal = Calendar {
            fiscal_year_start: 2,
        };
        let q1 = cal.parse("FY2027-Q1").unwrap();
        assert_eq!(q1.start(), date("2026-02-01"));
        assert_eq!(q1.end(), date("2026-04-30"));
        assert_eq!(
            cal.period_of(Granularity::Quarter, date("2026-01-31"))
                .label(),
            "FY2026-Q4"
        );
        assert_eq!(
            cal.period_of(Granularity::Year, date("2026-02-01")).label(),
            "FY2027"
        );
        assert!(cal
            .parse("2026-Q1")
            .unwrap_err()
            .contains("FY2026-Q1 runs 2025-02-01 to 2025-04-30"));
        assert_eq!(cal.parse("2026-02").unwrap().label(), "2026-02");
    }

    #[test]
    fn each_date_in_exactly_one_period() {
        let cal = Calendar::default();
        let year = cal.parse("2026").unwrap();
        let months = year.periods_of(Granularity::Month);
        assert_eq!(months.len(), 12);
        let quarters = year.periods_of(Granularity::Quarter);
        assert_eq!(quarters.len(), 4);
        let mut d = date("2026-01-01");
        while d <= date("2026-12-31") {
            assert_eq!(months.iter().filter(|m| m.contains(d)).count(), 1);
            assert_eq!(quarters.iter().filter(|q| q.contains(d)).count(), 1);
            d = d.succ_opt().unwrap();
        }
        let march = cal.parse("2026-03").unwrap();
        assert_eq!(march.within(Granularity::Quarter).label(), "2026-Q1");
        assert_eq!(march.end(), date("2026-03-31"));
        assert_eq!(
            march.periods_of(Granularity::Quarter),
            vec![cal.parse("2026-Q1").unwrap()]
        );
    }
}
