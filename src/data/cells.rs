//! Diagnostics about one cell of a small CSV input (quotas, fx, credits, assignments, territories,
//! adjustments), named the same way everywhere: file, line, column header and value.

use super::csv_input::{CsvInput, Row};
use super::Roster;
use crate::diag::{Diagnostic, Diagnostics};

/// What a reader needs to name a cell, taken from the open input before its rows are read.
pub(crate) struct Cells {
    pub file: String,
    pub headers: Vec<String>,
}

impl Cells {
    pub fn of(input: &CsvInput) -> Cells {
        Cells {
            file: input.file.clone(),
            headers: input.headers.clone(),
        }
    }

    /// An error about cell `c` of `row`.
    pub fn error(&self, row: &Row, code: &'static str, c: usize, message: String) -> Diagnostic {
        Diagnostic::error(code, &self.file, message)
            .line(row.line)
            .col_name(self.headers[c].clone())
            .value(row.get(c).to_string())
    }

    /// The roster index of the rep in cell `c`; a rep not in the roster is `rep-unknown`.
    pub fn rep(
        &self,
        roster: &Roster,
        row: &Row,
        c: usize,
        diags: &mut Diagnostics,
    ) -> Option<u32> {
        let rep = roster.find(row.get(c));
        if rep.is_none() {
            diags.push(self.error(
                row,
                "rep-unknown",
                c,
                format!("rep is not in the roster {}", roster.file),
            ));
        }
        rep
    }
}
