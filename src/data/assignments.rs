//! Plan assignments over time: which plan a rep is on from when to when, with an optional target
//! incentive for that stretch.
//!
//! Invariants: every row names a rep of the roster and a loaded plan; a rep's rows never overlap
//! (error `assignment-overlap`). A rep with rows here is paid under them only: the roster's `plan`
//! column is then informational. Between rows the rep is on no plan (deals there are `no-plan`).

use rust_decimal::Decimal;

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::dated::{parse_range, sort_and_check, Dated};
use super::Roster;
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::Plan;
use crate::workspace::InputSpec;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    /// Index into the sorted plan list.
    pub plan: usize,
    /// Annual target incentive for this stretch (else the roster's).
    pub target_incentive: Option<Decimal>,
}

#[derive(Debug, Default)]
pub struct Assignments {
    pub file: String,
    /// Per rep (roster index), sorted by `from`; empty when the rep has no rows.
    pub by_rep: Vec<Vec<Dated<Assignment>>>,
    pub info: Option<FileInfo>,
}

impl Assignments {
    /// The rep's assignments, sorted by `from` (empty: the roster's plan applies).
    pub fn rows_of(&self, rep: u32) -> &[Dated<Assignment>] {
        self.by_rep.get(rep as usize).map_or(&[], Vec::as_slice)
    }

    /// Whether no rep has an assignment.
    pub fn is_empty(&self) -> bool {
        self.by_rep.iter().all(Vec::is_empty)
    }

    /// The plans a rep is on at some time: their assignments', or else the roster's.
    pub fn plans_of(&self, roster: &Roster, rep: u32) -> Vec<usize> {
        match self.rows_of(rep) {
            [] => roster.get(rep).plan.into_iter().collect(),
            rows => rows.iter().map(|a| a.value.plan).collect(),
        }
    }
}

pub fn read_assignments(
    spec: &InputSpec,
    roster: &Roster,
    plans: &[Plan],
    diags: &mut Diagnostics,
) -> anyhow::Result<Assignments> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Assignments::default());
    };
    let file = input.file.clone();
    let (c_rep, c_plan, c_from) = (
        input.position("rep_id").unwrap_or(0),
        input.position("plan").unwrap_or(0),
        input.position("from").unwrap_or(0),
    );
    let (c_to, c_ti) = (input.position("to"), input.position("target_incentive"));
    let cells = Cells::of(&input);
    let mut out = Assignments {
        file: file.clone(),
        by_rep: vec![Vec::new(); roster.len()],
        info: None,
    };
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let rep = cells.rep(roster, row, c_rep, diags);
        let plan = plans.iter().position(|p| p.id == row.get(c_plan));
        if plan.is_none() {
            let known: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
            diags.push(
                err(
                    "rep-plan-unknown",
                    c_plan,
                    "no plan file defines this plan".into(),
                )
                .hint(format!("the plans loaded are: {}", known.join(", "))),
            );
        }
        let range = parse_range(
            (row.get(c_from), c_from),
            c_to.map(|c| (row.get(c), c)),
            &spec.date_format,
            &err,
            diags,
        );
        let ti = match c_ti.map(|c| (c, row.get(c))) {
            Some((c, v)) if !v.is_empty() => match spec.number_format.parse(v) {
                Some(t) if t >= Decimal::ZERO => Some(Some(t)),
                _ => {
                    diags.push(err(
                        "amount-invalid",
                        c,
                        format!("not {} (and not negative)", spec.number_format.describe()),
                    ));
                    None
                }
            },
            _ => Some(None),
        };
        if let (Some(rep), Some(plan), Some((from, to)), Some(ti)) = (rep, plan, range, ti) {
            out.by_rep[rep as usize].push(Dated {
                from,
                to,
                line: row.line,
                value: Assignment {
                    plan,
                    target_incentive: ti,
                },
            });
        }
    })?;
    for (rep, rows) in out.by_rep.iter_mut().enumerate() {
        let what = format!("rep `{}`", roster.get(rep as u32).id);
        let error = |msg| Diagnostic::error("assignment-overlap", &file, msg);
        sort_and_check(rows, &error, &what, diags);
    }
    out.info = Some(input.finish());
    Ok(out)
}
