//! Territory holders over time: who holds a territory (or another dimension's value: account,
//! segment) from when to when. Plans that credit by territory use it.
//!
//! Invariants: every row names a rep of the roster; the rows of one territory never overlap (error
//! `territory-overlap`), so a deal's territory has at most one holder on any date.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::dated::{in_force, parse_range, sort_and_check, Dated};
use super::Roster;
use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::InputSpec;

#[derive(Debug, Default)]
pub struct Territories {
    pub file: String,
    /// Territory value → holders (rep index) sorted by `from`.
    pub holders: BTreeMap<String, Vec<Dated<u32>>>,
    pub info: Option<FileInfo>,
}

impl Territories {
    /// The rep holding `territory` on `date`, with the line of the row.
    pub fn holder(&self, territory: &str, date: NaiveDate) -> Option<&Dated<u32>> {
        in_force(self.holders.get(territory)?, date)
    }
}

pub fn read_territories(
    spec: &InputSpec,
    roster: &Roster,
    diags: &mut Diagnostics,
) -> anyhow::Result<Territories> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Territories::default());
    };
    let file = input.file.clone();
    let (c_key, c_rep, c_from) = (
        input.position("territory").unwrap_or(0),
        input.position("rep_id").unwrap_or(0),
        input.position("from").unwrap_or(0),
    );
    let c_to = input.position("to");
    let cells = Cells::of(&input);
    let mut out = Territories {
        file: file.clone(),
        ..Territories::default()
    };
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let key = row.get(c_key);
        if key.is_empty() {
            diags.push(err("value-missing", c_key, "the territory is empty".into()));
            return;
        }
        let rep = cells.rep(roster, row, c_rep, diags);
        let range = parse_range(
            (row.get(c_from), c_from),
            c_to.map(|c| (row.get(c), c)),
            &spec.date_format,
            &err,
            diags,
        );
        if let (Some(rep), Some((from, to))) = (rep, range) {
            out.holders.entry(key.to_string()).or_default().push(Dated {
                from,
                to,
                line: row.line,
                value: rep,
            });
        }
    })?;
    for (key, rows) in out.holders.iter_mut() {
        let error = |msg| Diagnostic::error("territory-overlap", &file, msg);
        sort_and_check(rows, &error, &format!("territory `{key}`"), diags);
    }
    out.info = Some(input.finish());
    Ok(out)
}
