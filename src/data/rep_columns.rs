//! Extra roster columns a finance output needs (an employee id for payroll, a cost centre for
//! journal entries), read by header from the roster file, per rep id.
//!
//! Invariant: a column the roster does not have is an error (`column-missing`) naming the headers
//! found; a rep whose cell is empty gets the empty text.

use std::collections::BTreeMap;

use super::csv_input::CsvInput;
use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::InputSpec;

/// Per rep id, the cells of `columns` (in their order). `columns` are headers of the roster file
/// (or canonical names the workspace maps).
pub fn read_rep_columns(
    spec: &InputSpec,
    columns: &[&str],
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut diags = Diagnostics::new();
    let mut found = BTreeMap::new();
    let Some(mut input) = CsvInput::open(spec, &mut diags)? else {
        diags.finish()?;
        return Ok(found);
    };
    let at = |name: &str| {
        input
            .position(name)
            .or_else(|| input.headers.iter().position(|h| h == name))
    };
    let id = at("rep_id").unwrap_or(0);
    let mut positions = Vec::new();
    for name in columns {
        match at(name) {
            Some(i) => positions.push(i),
            None => diags.push(
                Diagnostic::error(
                    "column-missing",
                    &input.file,
                    format!(
                        "the workspace names roster column `{name}`, which the file does not have"
                    ),
                )
                .line(1)
                .hint(format!("headers found: {}", input.headers.join(", "))),
            ),
        }
    }
    diags.finish()?;
    let mut ignored = Diagnostics::new();
    input.for_each_row(&mut ignored, |row, _| {
        let cells = positions.iter().map(|&i| row.get(i).to_string()).collect();
        found.insert(row.get(id).to_string(), cells);
    })?;
    Ok(found)
}
