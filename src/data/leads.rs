//! The leads file (`[leads]`): lead id, owner, when it was created and when it was first answered,
//! for the lead response time of the insights.
//!
//! Invariants: every row names a rep of the roster and a created timestamp; an empty
//! `first_response` is a lead not answered yet (never zero); a response before its lead's creation
//! is an error (`lead-response-before-created`). Timestamps with an offset (`2026-01-05T09:00:00+01:00`)
//! are converted to UTC; timestamps without one are read as they are (the workspace's zone), so
//! differences between two of them are calendar time.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::Roster;
use crate::diag::Diagnostics;
use crate::workspace::InputSpec;

#[derive(Debug, Clone)]
pub struct Lead {
    pub id: String,
    /// Roster index of the owner.
    pub rep: u32,
    pub created: NaiveDateTime,
    /// `None`: not answered yet.
    pub first_response: Option<NaiveDateTime>,
    pub source: String,
    pub line: u64,
}

#[derive(Debug, Default)]
pub struct Leads {
    pub file: String,
    pub leads: Vec<Lead>,
    pub info: Option<FileInfo>,
}

/// Formats tried after RFC 3339 and the file's own `date_format`.
const TIMESTAMP_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
];

/// A timestamp: RFC 3339 (converted to UTC), then the file's formats and the usual ISO forms; a
/// format without a time reads midnight.
pub fn parse_timestamp(text: &str, formats: &[String]) -> Option<NaiveDateTime> {
    let t = text.trim();
    if let Ok(zoned) = DateTime::parse_from_rfc3339(t) {
        return Some(zoned.naive_utc());
    }
    let all = formats
        .iter()
        .map(String::as_str)
        .chain(TIMESTAMP_FORMATS)
        .chain(["%Y-%m-%d"]);
    for f in all {
        if let Ok(ts) = NaiveDateTime::parse_from_str(t, f) {
            return Some(ts);
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

pub fn read_leads(
    spec: &InputSpec,
    roster: &Roster,
    diags: &mut Diagnostics,
) -> anyhow::Result<Leads> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Leads::default());
    };
    let position = |c: &str| input.position(c).unwrap_or(0);
    let (c_id, c_rep, c_created, c_response) = (
        position("lead_id"),
        position("rep_id"),
        position("created"),
        position("first_response"),
    );
    let c_source = input.position("source");
    let cells = Cells::of(&input);
    let formats = spec.date_format.formats().to_vec();
    let mut out = Leads {
        file: input.file.clone(),
        ..Leads::default()
    };
    let hint = "write 2026-01-05 09:30, 2026-01-05T09:30:00+01:00, or set the leads' date_format";
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let rep = cells.rep(roster, row, c_rep, diags);
        let stamp = |c: usize, diags: &mut Diagnostics| {
            let text = row.get(c);
            if text.trim().is_empty() {
                return Ok(None);
            }
            match parse_timestamp(text, &formats) {
                Some(ts) => Ok(Some(ts)),
                None => {
                    diags.push(err("date-invalid", c, "not a timestamp".into()).hint(hint));
                    Err(())
                }
            }
        };
        let created = stamp(c_created, diags);
        let response = stamp(c_response, diags);
        if let Ok(None) = created {
            diags.push(err(
                "value-missing",
                c_created,
                "the lead's created timestamp is empty".into(),
            ));
        }
        let (Some(rep), Ok(Some(created)), Ok(first_response)) = (rep, created, response) else {
            return;
        };
        if first_response.is_some_and(|r| r < created) {
            diags.push(
                err(
                    "lead-response-before-created",
                    c_response,
                    format!("the first response is before the lead was created ({created})"),
                )
                .hint("check the two timestamps' zones and formats"),
            );
            return;
        }
        out.leads.push(Lead {
            id: row.get(c_id).to_string(),
            rep,
            created,
            first_response,
            source: c_source.map(|c| row.get(c).to_string()).unwrap_or_default(),
            line: row.line,
        });
    })?;
    out.info = Some(input.finish());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn timestamps_read_with_or_without_zone() {
        let ts = |t| parse_timestamp(t, &[]).map(|d| d.to_string());
        assert_eq!(ts("2026-01-05 09:30"), Some("2026-01-05 09:30:00".into()));
        assert_eq!(
            ts("2026-01-05T09:30:00+01:00"),
            Some("2026-01-05 08:30:00".into())
        );
        assert_eq!(ts("2026-01-05"), Some("2026-01-05 00:00:00".into()));
        let us = ["%m/%d/%Y %H:%M".to_string()];
        assert_eq!(
            parse_timestamp("01/05/2026 17:05", &us).map(|d| d.to_string()),
            Some("2026-01-05 17:05:00".into())
        );
        assert_eq!(ts("yesterday"), None);
    }
}
