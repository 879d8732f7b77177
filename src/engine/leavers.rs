//! Leavers: reps with a roster `end_date`. A rep is credited with deals closing up to their end date,
//! plus the `[crediting] leaver_window_days` of the plan they were on that day. A split or overlay
//! share (credits file) of a deal closing later is not credited: it is not silently dropped but a
//! `credit-after-end-date` warning, a share in the reconciliation (with the reason) and a line of
//! `explain` for that rep.
//!
//! Invariant: a share is reported once per run, only for a deal dated in the run period that some
//! plan took up (its row credited to someone, or set aside because its reps had left).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Outcome;
use crate::data::reps::Rep;
use crate::data::Inputs;
use crate::diag::{Column, Diagnostic};
use crate::money::fmt_percent;
use crate::period::Period;

/// A share of a deal not credited because its rep had left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareNotCredited {
    /// Deal row.
    pub deal: u32,
    /// Roster index of the rep.
    pub rep: u32,
    pub share: Decimal,
    /// `split` or `overlay`.
    pub kind: &'static str,
    /// Line in the credits file.
    pub line: u64,
    pub reason: String,
}

/// The days after a rep's end date that the plan they were on that day still credits.
fn window_days(inputs: &Inputs, rep_index: u32, end: NaiveDate) -> u32 {
    let rows = inputs.assignments.rows_of(rep_index);
    let plan = match rows {
        [] => inputs.roster.get(rep_index).plan,
        _ => rows
            .iter()
            .rev()
            .find(|a| a.from <= end)
            .map(|a| a.value.plan),
    };
    plan.and_then(|p| inputs.plans.get(p))
        .map_or(0, |p| p.crediting.leaver_window_days)
}

/// The last day a rep is credited: their end date plus their plan's leaver window (`None`: still
/// employed).
pub(crate) fn last_credited_day(inputs: &Inputs, rep_index: u32, rep: &Rep) -> Option<NaiveDate> {
    let end = rep.end_date?;
    let days = window_days(inputs, rep_index, end);
    Some(
        end.checked_add_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(NaiveDate::MAX),
    )
}

/// The credits file's shares of deals dated in `period` that close after their rep's last credited
/// day, with a warning each. `outcomes`: each deal row's outcome in the run.
pub(crate) fn shares_after_leaving(
    inputs: &Inputs,
    period: Period,
    outcomes: &[Outcome],
) -> (Vec<ShareNotCredited>, Vec<Diagnostic>) {
    let deals = &inputs.deals;
    let mut shares = Vec::new();
    let mut warnings = Vec::new();
    for c in &inputs.credits.rows {
        let row = c.deal as usize;
        let close = deals.close_date(row);
        let rep = inputs.roster.get(c.rep);
        let (Some(end), Some(last)) = (rep.end_date, last_credited_day(inputs, c.rep, rep)) else {
            continue;
        };
        let taken_up = matches!(
            outcomes.get(row),
            Some(Outcome::Credited | Outcome::RepInactive)
        );
        if close <= last || !period.contains(close) || !taken_up {
            continue;
        }
        let window = window_days(inputs, c.rep, end);
        let after = if window == 0 {
            format!("after {}'s end date {end}", rep.id)
        } else {
            format!(
                "more than {window} days after {}'s end date {end} (the plan's leaver window)",
                rep.id
            )
        };
        let reason = format!(
            "{} share {} of {} not credited: the deal closes {close}, {after}",
            c.kind.name(),
            fmt_percent(c.share),
            rep.id
        );
        warnings.push(
            Diagnostic::warning(
                "credit-after-end-date",
                &inputs.credits.file,
                format!("deal {} ({}:{}): {reason}", deals.id(row), deals.file, deals.line(row)),
            )
            .line(c.line)
            .column(Column::Name("rep_id".into()))
            .value(rep.id.clone())
            .hint(if window == 0 {
                "to pay leavers for deals closing shortly after their last day, set `leaver_window_days` (e.g. 90) under [crediting] in their plan; else give the share to another rep in the credits file".to_string()
            } else {
                "give the share to another rep in the credits file, or widen the plan's `leaver_window_days`".to_string()
            }),
        );
        shares.push(ShareNotCredited {
            deal: c.deal,
            rep: c.rep,
            share: c.share,
            kind: c.kind.name(),
            line: c.line,
            reason,
        });
    }
    (shares, warnings)
}
