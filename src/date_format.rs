//! The date formats of an input file: one strftime format or several, tried in order.
//!
//! Invariants: a [`DateFormats`] is never empty and holds only formats that [`check_format`]
//! accepts, so formatting its example never fails (chrono's `Display` of a format with fields a
//! value lacks returns an error, which `to_string` turns into a panic: examples are written with
//! `write!` here and never with `to_string`). A cell is a date when the first format that reads it
//! whole says so; a cell no format reads is an error listing them all.

use std::fmt::Write as _;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate};

/// The ISO format, the default of every input file.
pub const ISO: &str = "%Y-%m-%d";

/// The accepted formats of a file's date cells, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormats(Vec<String>);

impl Default for DateFormats {
    fn default() -> Self {
        DateFormats(vec![ISO.to_string()])
    }
}

impl DateFormats {
    /// Formats already checked with [`check_format`]; `None` for an empty list.
    pub fn new(formats: Vec<String>) -> Option<DateFormats> {
        (!formats.is_empty()).then_some(DateFormats(formats))
    }

    /// Whether the first format tried is ISO `%Y-%m-%d` (the readers then try a fast path first).
    pub fn starts_with_iso(&self) -> bool {
        self.0.first().is_some_and(|f| f == ISO)
    }

    pub fn formats(&self) -> &[String] {
        &self.0
    }

    /// The date in `text`, read with the first format that reads it whole; else what was expected.
    pub fn parse(&self, text: &str) -> Result<NaiveDate, String> {
        self.0
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .ok_or_else(|| self.expected())
    }

    /// "not a date in the format F (e.g. E)", or for several "in any of the formats F1 (e.g. E1), ...".
    fn expected(&self) -> String {
        let described: Vec<String> = self
            .0
            .iter()
            .map(|f| format!("{f} (e.g. {})", example(f).unwrap_or_default()))
            .collect();
        match described.as_slice() {
            [one] => format!("not a date in the format {one}"),
            many => format!("not a date in any of the formats {}", many.join(", ")),
        }
    }
}

/// 2026-03-31 09:30 (UTC) written in `format`; `None` when chrono cannot write it.
fn example(format: &str) -> Option<String> {
    let moment: DateTime<FixedOffset> = NaiveDate::from_ymd_opt(2026, 3, 31)?
        .and_hms_opt(9, 30, 0)?
        .and_local_timezone(FixedOffset::east_opt(0)?)
        .single()?;
    let mut out = String::new();
    write!(out, "{}", moment.format(format)).ok()?;
    Some(out)
}

/// Whether `format` can read a date: chrono knows every field, and a date written in it reads back
/// as the same date (so it has a year, a month or week, and a day; time fields are allowed and
/// ignored). `Err` says what is wrong.
pub fn check_format(format: &str) -> Result<(), String> {
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(format!("`{format}` is not a valid strftime format"));
    }
    let Some(text) = example(format) else {
        return Err(format!("`{format}` has a field chrono cannot write"));
    };
    let expected = NaiveDate::from_ymd_opt(2026, 3, 31);
    match NaiveDate::parse_from_str(&text, format) {
        Ok(d) if Some(d) == expected => Ok(()),
        _ => Err(format!(
            "`{format}` does not read back a whole date (2026-03-31 written in it is `{text}`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_tried_in_order() {
        let f = DateFormats::new(vec!["%m/%d/%Y".into(), "%d.%m.%Y".into(), ISO.into()]).unwrap();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(f.parse("01/02/2026"), Ok(d(2026, 1, 2)));
        assert_eq!(f.parse("01.02.2026"), Ok(d(2026, 2, 1)));
        assert_eq!(f.parse("2026-02-01"), Ok(d(2026, 2, 1)));
        assert_eq!(
            f.parse("2026/02/01"),
            Err(
                "not a date in any of the formats %m/%d/%Y (e.g. 03/31/2026), \
                 %d.%m.%Y (e.g. 31.03.2026), %Y-%m-%d (e.g. 2026-03-31)"
                    .into()
            )
        );
        assert!(!f.starts_with_iso());
        assert!(DateFormats::default().starts_with_iso());
        assert_eq!(DateFormats::new(Vec::new()), None);
    }

    #[test]
    fn a_format_with_time_fields_reads_dates_and_describes_itself() {
        let f = DateFormats::new(vec!["%Y-%m-%d %H:%M".into()]).unwrap();
        assert_eq!(
            f.parse("2026-01-22 17:05"),
            Ok(NaiveDate::from_ymd_opt(2026, 1, 22).unwrap())
        );
        assert_eq!(
            f.parse("01/22/2026"),
            Err("not a date in the format %Y-%m-%d %H:%M (e.g. 2026-03-31 09:30)".into())
        );
        assert_eq!(check_format("%Y-%m-%d %H:%M"), Ok(()));
        assert_eq!(check_format("%Y-%m-%dT%H:%M:%S%z"), Ok(()));
    }

    #[test]
    fn formats_that_cannot_read_a_date_are_refused() {
        for bad in ["%Y-%m", "%H:%M", "%Y-%m-%d %Q", "%m/%d", "plain"] {
            assert!(check_format(bad).is_err(), "{bad}");
        }
        for good in [ISO, "%m/%d/%Y", "%d.%m.%Y", "%e %b %Y", "%Y%m%d", "%Y-%j"] {
            assert_eq!(check_format(good), Ok(()), "{good}");
        }
    }
}
