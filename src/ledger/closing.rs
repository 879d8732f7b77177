//! Which run periods the ledger lets `payout close` record: the closing policy, pure on the rows read.
//!
//! Invariants: a run period is closed once (none of its months belongs to a closed run period); a
//! period is closed only when every month from the first closed one up to it is closed, unless the
//! caller allows earlier open months, which the close then records in the `note` of its rows.

use std::collections::BTreeSet;
use std::fmt;

use super::Ledger;
use crate::period::{Granularity, Period};

/// Why a run period cannot be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// One of its months is already closed (`by`: which close, from the first row it wrote).
    AlreadyClosed {
        period: Period,
        by: String,
        file: String,
    },
    /// Earlier months are still open, and the caller did not allow it.
    OpenEarlier { period: Period, open: Vec<String> },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::AlreadyClosed {
                period,
                by,
                file,
            } => write!(
                f,
                "{period} is already closed ({by}) in {file}: a closed period never changes; a later change of data or plans is paid as a prior-period line in the next open period"
            ),
            Refusal::OpenEarlier { period, open } => write!(
                f,
                "cannot close {period}: earlier payout periods are still open ({}); close them first, or pass --allow-open-earlier (recorded in the ledger)",
                open.join(", ")
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// The `note` a close of `period` records on its rows (empty when nothing is unusual), or why it
/// cannot be closed. `allow_open_earlier`: close even though earlier months are open, saying so.
pub fn closing_note(
    ledger: &Ledger,
    period: Period,
    allow_open_earlier: bool,
) -> Result<String, Refusal> {
    let months = ledger.closed_months();
    let mine = period.periods_of(Granularity::Month);
    if let Some(&month) = mine.iter().find(|m| months.contains(m)) {
        let by = ledger.rows.iter().find(|r| {
            r.closed_period
                .periods_of(Granularity::Month)
                .contains(&month)
        });
        return Err(Refusal::AlreadyClosed {
            period,
            by: match by {
                Some(r) => {
                    let with = match r.closed_period == month {
                        true => String::new(),
                        false => format!(" with {}", r.closed_period),
                    };
                    format!(
                        "{month} was closed{with} at {} by {}, run {}",
                        r.closed_at, r.approved_by, r.run_id
                    )
                }
                None => format!("{month} is in it"),
            },
            file: ledger.file.clone(),
        });
    }
    let open = open_earlier(&months, mine.first().copied());
    if open.is_empty() {
        Ok(String::new())
    } else if allow_open_earlier {
        Ok(format!(
            "closed while earlier periods were open: {}",
            open.join(", ")
        ))
    } else {
        Err(Refusal::OpenEarlier { period, open })
    }
}

/// The months before `start` still open since the first closed one (or `start` itself, said so,
/// when it comes before the first closed month).
fn open_earlier(months: &BTreeSet<Period>, start: Option<Period>) -> Vec<String> {
    let (Some(first), Some(start)) = (months.first(), start) else {
        return Vec::new();
    };
    if start < *first {
        return vec![format!("{start} is before the first closed month {first}")];
    }
    let mut open = Vec::new();
    let mut m = *first;
    while m < start {
        if !months.contains(&m) {
            open.push(m.to_string());
        }
        m = m.next();
    }
    open
}

/// Two notes of one close in one cell: `first; second`, or whichever is not empty.
pub fn join_notes(first: String, second: Option<String>) -> String {
    match second {
        Some(second) if first.is_empty() => second,
        Some(second) => format!("{first}; {second}"),
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerRow;
    use crate::period::Calendar;

    fn ledger(closed: &[&str]) -> Ledger {
        let cal = Calendar::default();
        let rows = closed
            .iter()
            .map(|p| {
                let p = cal.parse(p).unwrap();
                LedgerRow {
                    rep_id: "R1".into(),
                    period: p,
                    plan: "ae".into(),
                    component: "new".into(),
                    kind: None,
                    for_period: p,
                    deal_id: String::new(),
                    amount: rust_decimal::Decimal::ONE,
                    balance: None,
                    reason: String::new(),
                    closed_period: p,
                    closed_at: "2026-04-01T00:00:00Z".into(),
                    run_id: "run".into(),
                    approved_by: "cfo".into(),
                    note: String::new(),
                    line: 0,
                }
            })
            .collect();
        Ledger {
            file: "ledger.csv".into(),
            rows,
            ..Ledger::default()
        }
    }

    fn period(s: &str) -> Period {
        Calendar::default().parse(s).unwrap()
    }

    #[test]
    fn an_empty_ledger_closes_anything_without_a_note() {
        assert_eq!(
            closing_note(&ledger(&[]), period("2026-03"), false),
            Ok(String::new())
        );
    }

    #[test]
    fn the_next_month_closes_without_a_note() {
        let l = ledger(&["2026-01", "2026-02"]);
        assert_eq!(
            closing_note(&l, period("2026-03"), false),
            Ok(String::new())
        );
    }

    #[test]
    fn a_month_of_a_closed_quarter_is_already_closed() {
        let l = ledger(&["2026-Q1"]);
        let refusal = closing_note(&l, period("2026-02"), true).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "2026-02 is already closed (2026-02 was closed with 2026-Q1 at 2026-04-01T00:00:00Z by cfo, run run) in ledger.csv: a closed period never changes; a later change of data or plans is paid as a prior-period line in the next open period"
        );
    }

    #[test]
    fn a_month_closed_again_names_the_close_without_repeating_the_month() {
        let l = ledger(&["2026-01", "2026-02"]);
        let refusal = closing_note(&l, period("2026-02"), false).unwrap_err();
        assert!(
            refusal
                .to_string()
                .starts_with("2026-02 is already closed (2026-02 was closed at 2026-04-01T00:00:00Z by cfo, run run) in ledger.csv"),
            "{refusal}"
        );
        // A quarter one of whose months is closed names that month and its close.
        let refusal = closing_note(&l, period("2026-Q1"), false).unwrap_err();
        assert!(
            refusal
                .to_string()
                .starts_with("2026-Q1 is already closed (2026-01 was closed at"),
            "{refusal}"
        );
    }

    #[test]
    fn a_gap_is_refused_unless_allowed_and_then_noted() {
        // Closed: January; asked: April; open between: February and March.
        let l = ledger(&["2026-01"]);
        assert_eq!(
            closing_note(&l, period("2026-04"), false),
            Err(Refusal::OpenEarlier {
                period: period("2026-04"),
                open: vec!["2026-02".into(), "2026-03".into()]
            })
        );
        assert_eq!(
            closing_note(&l, period("2026-04"), true).unwrap(),
            "closed while earlier periods were open: 2026-02, 2026-03"
        );
    }

    #[test]
    fn a_period_before_the_first_close_says_so() {
        let l = ledger(&["2026-03"]);
        assert_eq!(
            closing_note(&l, period("2026-01"), true).unwrap(),
            "closed while earlier periods were open: 2026-01 is before the first closed month 2026-03"
        );
    }

    #[test]
    fn notes_join_with_a_semicolon() {
        assert_eq!(join_notes(String::new(), None), "");
        assert_eq!(join_notes("a".into(), None), "a");
        assert_eq!(join_notes(String::new(), Some("b".into())), "b");
        assert_eq!(join_notes("a".into(), Some("b".into())), "a; b");
    }
}
