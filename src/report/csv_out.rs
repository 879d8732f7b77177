//! The CSV writer of every report file: [`crate::csv_cell::Fields`], which neutralises every cell a
//! spreadsheet would run as a formula (it lives on the ground floor so the ledger writes through it
//! too); and the JSON form of a CSV's rows, for commands that print either.

use std::io::Write;

pub use crate::csv_cell::Fields;

/// Rows as a JSON array of objects keyed by `header` (a CSV's columns), every value a string (money
/// exact, as in the CSV).
pub fn render_json_records<const N: usize>(
    header: &[&str; N],
    records: impl Iterator<Item = [String; N]>,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let objects: Vec<serde_json::Map<String, serde_json::Value>> = records
        .map(|record| {
            header
                .iter()
                .zip(record)
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                .collect()
        })
        .collect();
    serde_json::to_writer_pretty(&mut out, &objects)?;
    writeln!(out)?;
    Ok(())
}
