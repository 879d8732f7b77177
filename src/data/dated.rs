//! Effective-dated rows (`from`, optional `to`, both inclusive): shared by plan assignments and
//! territory holders.
//!
//! Invariants: `from ≤ to`; rows of one key never overlap (an overlap is an error naming both lines);
//! rows of a key are sorted by `from`.

use chrono::NaiveDate;

use crate::diag::{Diagnostic, Diagnostics};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dated<T> {
    pub from: NaiveDate,
    /// Last day (inclusive); `None`: open-ended.
    pub to: Option<NaiveDate>,
    pub line: u64,
    pub value: T,
}

impl<T> Dated<T> {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|t| date <= t)
    }
}

/// The row of `rows` (sorted by `from`, not overlapping) in force on `date`.
pub fn in_force<T>(rows: &[Dated<T>], date: NaiveDate) -> Option<&Dated<T>> {
    let n = rows.partition_point(|r| r.from <= date);
    n.checked_sub(1)
        .map(|i| &rows[i])
        .filter(|r| r.covers(date))
}

/// Sort one key's rows by `from` and report overlaps with `error(message)`, naming `what` (e.g.
/// "rep `A1`").
pub fn sort_and_check<T>(
    rows: &mut [Dated<T>],
    error: &dyn Fn(String) -> Diagnostic,
    what: &str,
    diags: &mut Diagnostics,
) {
    rows.sort_by_key(|r| (r.from, r.line));
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.to.is_none_or(|t| b.from <= t) {
            let until = a.to.map_or("open-ended".to_string(), |t| format!("to {t}"));
            diags.push(
                error(format!(
                    "{what} has overlapping rows: from {} {until} (line {}) and from {} (this line)",
                    a.from, a.line, b.from
                ))
                .line(b.line)
                .value(b.from.to_string())
                .hint(format!("end the row on line {} the day before {}", a.line, b.from)),
            );
        }
    }
}

/// Parse the `from` and optional `to` cells; reports invalid and reversed dates.
pub fn parse_range(
    from: (&str, usize),
    to: Option<(&str, usize)>,
    format: &crate::date_format::DateFormats,
    err: &dyn Fn(&'static str, usize, String) -> Diagnostic,
    diags: &mut Diagnostics,
) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let from_date = super::parse_date(from.0, format)
        .map_err(|m| diags.push(err("date-invalid", from.1, m)))
        .ok();
    let to_date = match to {
        Some((text, c)) if !text.is_empty() => Some(
            super::parse_date(text, format)
                .map_err(|m| diags.push(err("date-invalid", c, m)))
                .ok()?,
        ),
        _ => None,
    };
    let from_date = from_date?;
    if let (Some(t), Some((_, c))) = (to_date, to) {
        if t < from_date {
            diags.push(err(
                "dates-reversed",
                c,
                format!("`to` {t} is before `from` {from_date}"),
            ));
            return None;
        }
    }
    Some((from_date, to_date))
}
