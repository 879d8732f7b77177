//! Quotas: per rep, per measure, per period.
//!
//! Invariants: at most one quota per (rep, measure, period); every quota is positive; every rep is in
//! the roster; periods are labels of the workspace calendar. A quota for a measurement period is the
//! row for that period, or else the sum of rows that exactly tile it (three monthly quotas make a
//! quarter); anything else is "missing", never guessed.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use rust_decimal::Decimal;

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::Roster;
use crate::diag::Diagnostics;
use crate::period::{Calendar, Granularity, Period};
use crate::workspace::InputSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quota {
    pub amount: Decimal,
    /// Line of the quota row (the first of the rows summed, when it is a sum).
    pub line: u64,
    /// How many rows make it up (1, or e.g. 3 monthly rows for a quarter).
    pub rows: u32,
}

/// A quotas row: its period, measure (an index into [`Quotas::measures`]), amount and line.
#[derive(Debug, Clone, Copy)]
struct QuotaRow {
    period: Period,
    measure: u32,
    amount: Decimal,
    line: u64,
}

/// The rows of a quotas file, grouped by rep: 40 bytes a row, with no map entry or list per (rep,
/// period), since a run holds them for every rep of a large roster.
#[derive(Debug, Default)]
pub struct Quotas {
    pub file: String,
    /// Every row, rep by rep in roster order and in file order within a rep: rep `r`'s rows are
    /// `rows[starts[r]..starts[r + 1]]`. A rep has a few rows, so a lookup scans its own.
    rows: Vec<QuotaRow>,
    starts: Vec<usize>,
    /// The measures the rows name, each once; "" (a row for any measure) is the first.
    measures: Vec<String>,
    pub info: Option<FileInfo>,
}

impl Quotas {
    /// The quotas file name, or `fallback` when the workspace has none.
    pub fn file_or(&self, fallback: &str) -> String {
        if self.file.is_empty() {
            fallback.to_string()
        } else {
            self.file.clone()
        }
    }

    /// Every row: (rep, period, measure, amount), in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (u32, Period, &str, Decimal)> + '_ {
        (0..self.starts.len().saturating_sub(1)).flat_map(move |rep| {
            self.rows_of(rep as u32)
                .iter()
                .map(move |r| (rep as u32, r.period, self.measure(r), r.amount))
        })
    }

    fn rows_of(&self, rep: u32) -> &[QuotaRow] {
        let rep = rep as usize;
        match (self.starts.get(rep), self.starts.get(rep + 1)) {
            (Some(&from), Some(&to)) => &self.rows[from..to],
            _ => &[],
        }
    }

    fn measure(&self, row: &QuotaRow) -> &str {
        self.measures
            .get(row.measure as usize)
            .map_or("", String::as_str)
    }

    fn row(&self, rep: u32, measure: &str, period: Period) -> Option<(Decimal, u64)> {
        let rows = self.rows_of(rep);
        let find = |m: &str| {
            rows.iter()
                .find(|r| r.period == period && self.measure(r) == m)
                .map(|r| (r.amount, r.line))
        };
        find(measure).or_else(|| find(""))
    }

    /// The quota of a rep for a measure and period (see the module invariants).
    pub fn lookup(&self, rep: u32, measure: &str, period: Period) -> Option<Quota> {
        if let Some((amount, line)) = self.row(rep, measure, period) {
            return Some(Quota {
                amount,
                line,
                rows: 1,
            });
        }
        for finer in [Granularity::Month, Granularity::Quarter, Granularity::Half] {
            if finer.months() >= period.granularity().months() {
                break;
            }
            let parts: Option<Vec<(Decimal, u64)>> = period
                .periods_of(finer)
                .into_iter()
                .map(|p| self.row(rep, measure, p))
                .collect();
            if let Some(parts) = parts {
                return Some(Quota {
                    amount: parts.iter().map(|p| p.0).sum(),
                    line: parts[0].1,
                    rows: parts.len() as u32,
                });
            }
        }
        None
    }
}

pub fn read_quotas(
    spec: &InputSpec,
    roster: &Roster,
    calendar: &Calendar,
    diags: &mut Diagnostics,
) -> anyhow::Result<Quotas> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Quotas::default());
    };
    let file = input.file.clone();
    let (c_rep, c_period, c_amount) = (
        input.position("rep_id").unwrap_or(0),
        input.position("period").unwrap_or(0),
        input.position("amount").unwrap_or(0),
    );
    let c_measure = input.position("measure");
    let cells = Cells::of(&input);
    // (rep, row) in file order; each (rep, period, measure) read, with its line, for duplicates.
    let mut read: Vec<(u32, QuotaRow)> = Vec::new();
    let mut first_line: FxHashMap<(u32, Period, u32), u64> = FxHashMap::default();
    let mut measures = Measures::default();
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let rep = cells.rep(roster, row, c_rep, diags);
        let period = calendar.parse(row.get(c_period)).map_err(|m| diags.push(err("period-invalid", c_period, m))).ok();
        let amount = match spec.number_format.parse(row.get(c_amount)) {
            _ if row.get(c_amount).trim().is_empty() => {
                diags.push(err("value-missing", c_amount, "the quota amount is empty".into())
                    .hint("fill in the rep's quota for the period (`payout init` leaves the amounts to fill), or remove the row if the rep has none"));
                None
            }
            Some(a) if a > Decimal::ZERO => Some(a),
            Some(_) => {
                diags.push(err("quota-not-positive", c_amount, "a quota must be greater than zero".into())
                    .hint("remove the row if the rep has no quota; attainment against zero is undefined"));
                None
            }
            None => {
                diags.push(err("amount-invalid", c_amount, format!("not {}", spec.number_format.describe())));
                None
            }
        };
        if let (Some(rep), Some(period), Some(amount)) = (rep, period, amount) {
            let measure = measures.index(c_measure.map_or("", |c| row.get(c)));
            match first_line.entry((rep, period, measure)) {
                Entry::Occupied(first) => {
                    diags.push(err("quota-duplicate", c_period, format!(
                        "a second quota for rep `{}`, period {period} (first on line {})", row.get(c_rep), first.get()
                    )));
                    return;
                }
                Entry::Vacant(v) => {
                    v.insert(row.line);
                }
            }
            read.push((rep, QuotaRow { period, measure, amount, line: row.line }));
        }
    })?;
    let (rows, starts) = group_by_rep(read, roster.len());
    let mut quotas = Quotas {
        file: file.clone(),
        rows,
        starts,
        measures: measures.names,
        info: None,
    };
    quotas.info = Some(input.finish());
    Ok(quotas)
}

/// The rows grouped by rep (file order within a rep), and where each rep's rows start.
fn group_by_rep(mut read: Vec<(u32, QuotaRow)>, reps: usize) -> (Vec<QuotaRow>, Vec<usize>) {
    read.sort_by_key(|&(rep, _)| rep);
    let mut starts = vec![0; reps + 1];
    for &(rep, _) in &read {
        starts[rep as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    // A new list of the exact length: collecting in place would keep the pairs' larger allocation.
    let mut rows = Vec::with_capacity(read.len());
    rows.extend(read.iter().map(|&(_, row)| row));
    (rows, starts)
}

/// The measure names of a quotas file, each once, "" first.
struct Measures {
    names: Vec<String>,
    index: FxHashMap<String, u32>,
}

impl Default for Measures {
    fn default() -> Self {
        Measures {
            names: vec![String::new()],
            index: FxHashMap::from_iter([(String::new(), 0)]),
        }
    }
}

impl Measures {
    fn index(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(s: &str) -> Period {
        Calendar::default().parse(s).unwrap()
    }

    fn row(p: &str, measure: u32, amount: i64, line: u64) -> QuotaRow {
        QuotaRow {
            period: period(p),
            measure,
            amount: Decimal::from(amount),
            line,
        }
    }

    /// Rows of two reps interleaved in the file: each rep's are found, by measure or for any.
    #[test]
    fn a_rep_s_rows_are_found_among_every_rep_s_in_file_order() {
        let read = vec![
            (1, row("2026-Q1", 0, 100, 2)),
            (0, row("2026-Q1", 0, 200, 3)),
            (1, row("2026-Q2", 1, 300, 4)),
            (1, row("2026-Q2", 0, 400, 5)),
        ];
        let (rows, starts) = group_by_rep(read, 3);
        assert_eq!(starts, [0, 1, 4, 4]);
        let quotas = Quotas {
            file: "quotas.csv".into(),
            rows,
            starts,
            measures: vec![String::new(), "bookings".into()],
            info: None,
        };
        let found = |rep, measure, p| {
            quotas
                .lookup(rep, measure, period(p))
                .map(|q| (q.amount, q.line, q.rows))
        };
        let d = Decimal::from;
        assert_eq!(found(1, "bookings", "2026-Q2"), Some((d(300), 4, 1)));
        // No row for `deals`: the row for any measure (line 5).
        assert_eq!(found(1, "deals", "2026-Q2"), Some((d(400), 5, 1)));
        assert_eq!(found(0, "bookings", "2026-Q1"), Some((d(200), 3, 1)));
        assert_eq!(found(2, "bookings", "2026-Q1"), None);
        // H1 = Q1 + Q2: 100 (line 2, for any measure) + 300 (line 4, bookings) = 400.
        assert_eq!(found(1, "bookings", "2026-H1"), Some((d(400), 2, 2)));
        // The year needs four quarters; rep 1 has two.
        assert_eq!(found(1, "bookings", "2026"), None);
        assert_eq!(quotas.entries().count(), 4);
    }
}
