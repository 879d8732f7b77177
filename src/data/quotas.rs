//! Quotas: per rep, per measure, per period.
//!
//! Invariants: at most one quota per (rep, measure, period); every quota is positive; every rep is in
//! the roster; periods are labels of the workspace calendar. A quota for a measurement period is the
//! row for that period, or else the sum of rows that exactly tile it (three monthly quotas make a
//! quarter); anything else is "missing", never guessed.

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

/// A quotas row: its measure ("" for any), amount and line.
type QuotaRow = (String, Decimal, u64);

#[derive(Debug, Default)]
pub struct Quotas {
    pub file: String,
    /// (rep, period) → (measure, quota, line) rows; measure is "" when the file has none for the
    /// row. Keyed without the measure so a lookup allocates nothing; a rep has few measures.
    rows: FxHashMap<(u32, Period), Vec<QuotaRow>>,
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
        self.rows
            .iter()
            .flat_map(|((rep, p), rows)| rows.iter().map(move |r| (*rep, *p, r.0.as_str(), r.1)))
    }

    fn row(&self, rep: u32, measure: &str, period: Period) -> Option<(Decimal, u64)> {
        let rows = self.rows.get(&(rep, period))?;
        let find = |m: &str| rows.iter().find(|r| r.0 == m).map(|r| (r.1, r.2));
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
    let mut quotas = Quotas {
        file: file.clone(),
        ..Quotas::default()
    };
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let rep = cells.rep(roster, row, c_rep, diags);
        let period = calendar.parse(row.get(c_period)).map_err(|m| diags.push(err("period-invalid", c_period, m))).ok();
        let amount = match spec.number_format.parse(row.get(c_amount)) {
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
        let measure = c_measure.map_or("", |c| row.get(c)).to_string();
        if let (Some(rep), Some(period), Some(amount)) = (rep, period, amount) {
            let rows = quotas.rows.entry((rep, period)).or_default();
            if let Some((_, _, first)) = rows.iter().find(|r| r.0 == measure) {
                diags.push(err("quota-duplicate", c_period, format!(
                    "a second quota for rep `{}`, period {period} (first on line {first})", row.get(c_rep)
                )));
                return;
            }
            rows.push((measure, amount, row.line));
        }
    })?;
    quotas.info = Some(input.finish());
    Ok(quotas)
}
