//! Pipeline snapshots (`[snapshots] files`): exports of the open pipeline taken on known dates, read
//! with the deals file's column mapping and formats.
//!
//! Invariants: each snapshot has one `as_of` date, from an `as_of` column (every row the same date,
//! in the file's date format) or else from a `YYYY-MM-DD` in the file name
//! (`snapshot-date-missing` when neither gives one); snapshots are sorted by `as_of`, and two on the
//! same date are an error (`snapshot-date-duplicate`).

use chrono::NaiveDate;

use super::deals::{read_deals, ReadOptions};
use super::{DealTable, Roster};
use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::InputSpec;

#[derive(Debug)]
pub struct Snapshot {
    pub as_of: NaiveDate,
    pub deals: DealTable,
}

/// Read every snapshot of the workspace, sorted by date.
pub fn read_snapshots(
    specs: &[InputSpec],
    roster: &Roster,
    lenient: bool,
    diags: &mut Diagnostics,
) -> anyhow::Result<Vec<Snapshot>> {
    let mut out: Vec<Snapshot> = Vec::new();
    for spec in specs {
        let options = ReadOptions {
            lenient,
            hash: true,
        };
        let deals = read_deals(spec, roster, options, diags, &|_, _| {})?;
        let Ok(from_column) = as_of_column(&deals, diags) else {
            continue;
        };
        let Some(as_of) = from_column.or_else(|| date_in_name(spec)) else {
            diags.push(
                Diagnostic::error(
                    "snapshot-date-missing",
                    spec.path.display().to_string(),
                    "the snapshot has no as_of date",
                )
                .hint("add an as_of column, or put the date in the file name: pipeline-2026-01-01.csv"),
            );
            continue;
        };
        if let Some(other) = out.iter().find(|s| s.as_of == as_of) {
            diags.push(
                Diagnostic::error(
                    "snapshot-date-duplicate",
                    spec.path.display().to_string(),
                    format!("{} is also a snapshot of {as_of}", other.deals.file),
                )
                .value(as_of.to_string())
                .hint("keep one snapshot per date in [snapshots] files"),
            );
            continue;
        }
        out.push(Snapshot { as_of, deals });
    }
    out.sort_by_key(|s| s.as_of);
    Ok(out)
}

/// The `as_of` column's date (the first row's), `Ok(None)` without one; `Err` (reported) when a row
/// has another date.
fn as_of_column(deals: &DealTable, diags: &mut Diagnostics) -> Result<Option<NaiveDate>, ()> {
    let Some(c) = deals.column("as_of").filter(|_| !deals.is_empty()) else {
        return Ok(None);
    };
    let column = &deals.columns[c];
    let Some(first) = column.date(0).or_else(|| parse_iso(&column.display(0))) else {
        return Ok(None);
    };
    for row in 1..deals.len() {
        let date = column.date(row).or_else(|| parse_iso(&column.display(row)));
        if date != Some(first) {
            diags.push(
                Diagnostic::error(
                    "snapshot-date-mixed",
                    &deals.file,
                    format!("the snapshot's rows have two as_of dates: {first} and this one"),
                )
                .line(deals.line(row))
                .col_name("as_of")
                .value(column.display(row))
                .hint("one snapshot file holds the pipeline of one date"),
            );
            return Err(());
        }
    }
    Ok(Some(first))
}

fn parse_iso(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A `YYYY-MM-DD` in the file name.
fn date_in_name(spec: &InputSpec) -> Option<NaiveDate> {
    let name = spec.path.file_name()?.to_string_lossy().to_string();
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        name.get(i..i + 10)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    })
}

/// What only the insights read: the snapshots and the leads of the workspace (warnings returned;
/// errors as [`crate::diag::InvalidInput`]).
pub fn read_insight_files(
    ws: &crate::workspace::Workspace,
    roster: &Roster,
) -> anyhow::Result<(Vec<Snapshot>, Option<super::leads::Leads>, Vec<Diagnostic>)> {
    let mut diags = Diagnostics::new();
    let snapshots = read_snapshots(&ws.snapshots, roster, ws.lenient, &mut diags)?;
    let leads = match &ws.leads {
        Some(spec) => Some(super::leads::read_leads(spec, roster, &mut diags)?),
        None => None,
    };
    let warnings = diags.finish().map_err(anyhow::Error::new)?;
    Ok((snapshots, leads, warnings))
}
