//! Manual adjustments (`[adjustments]`): amounts per rep and period with a reason and an approver,
//! paid as their own statement lines.
//!
//! Invariants: every row names a rep of the roster who has a plan, a period label of the workspace
//! calendar, an exact amount and a reason; a `component`, when given, is a component of the rep's plan.
//! Problems are diagnostics naming file, line, column and value.

use rust_decimal::Decimal;

use super::assignments::Assignments;
use super::cells::Cells;
use super::csv_input::CsvInput;
use super::{FileInfo, Roster};
use crate::diag::Diagnostics;
use crate::period::{Calendar, Period};
use crate::plan::Plan;
use crate::workspace::InputSpec;

#[derive(Debug, Clone)]
pub struct Adjustment {
    /// Roster index.
    pub rep: u32,
    pub period: Period,
    pub amount: Decimal,
    pub reason: String,
    /// The component id (None: the first component of the rep's plan on the adjustment's date).
    pub component: Option<String>,
    pub approved_by: String,
    pub note: String,
    pub line: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Adjustments {
    pub file: String,
    pub rows: Vec<Adjustment>,
    pub info: Option<FileInfo>,
}

pub fn read_adjustments(
    spec: &InputSpec,
    roster: &Roster,
    plans: &[Plan],
    assignments: &Assignments,
    calendar: &Calendar,
    diags: &mut Diagnostics,
) -> anyhow::Result<Adjustments> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Adjustments::default());
    };
    let file = input.file.clone();
    let c = |name: &str| input.position(name);
    let (c_rep, c_period, c_amount, c_reason) = (
        c("rep_id").unwrap_or(0),
        c("period").unwrap_or(0),
        c("amount").unwrap_or(0),
        c("reason").unwrap_or(0),
    );
    let (c_comp, c_by, c_note) = (c("component"), c("approved_by"), c("note"));
    let cells = Cells::of(&input);
    let mut out = Adjustments {
        file: file.clone(),
        ..Adjustments::default()
    };
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let rep = roster.find(row.get(c_rep).trim());
        // The plans the rep is on: the roster's, or those of their plan assignments.
        let rep_plans: Vec<usize> = rep.map_or(Vec::new(), |r| assignments.plans_of(roster, r));
        let plan = rep_plans.first().copied();
        match rep {
            None => diags.push(
                err(
                    "rep-unknown",
                    c_rep,
                    format!("rep is not in the roster {}", roster.file),
                )
                .hint("add the rep to the roster, or correct the adjustment's rep_id"),
            ),
            Some(_) if plan.is_none() => diags.push(
                err(
                    "adjustment-no-plan",
                    c_rep,
                    "the rep has no plan, so there is no statement to put the adjustment on".into(),
                )
                .hint("give the rep a plan in the roster's `plan` column"),
            ),
            Some(_) => {}
        }
        let period = calendar
            .parse(row.get(c_period).trim())
            .map_err(|m| diags.push(err("period-invalid", c_period, m)))
            .ok();
        let amount = spec.number_format.parse(row.get(c_amount));
        if amount.is_none() {
            diags.push(err(
                "amount-invalid",
                c_amount,
                format!("not {}", spec.number_format.describe()),
            ));
        }
        let reason = row.get(c_reason).trim().to_string();
        if reason.is_empty() {
            diags.push(
                err(
                    "adjustment-reason-missing",
                    c_reason,
                    "an adjustment needs a reason".into(),
                )
                .hint("write why it is paid (e.g. a reason code: SPIFF-Q1, CORRECTION)"),
            );
        }
        let mut component = None;
        if let (Some(c), Some(p)) = (c_comp, plan) {
            let id = row.get(c).trim();
            if !id.is_empty() {
                let known = rep_plans
                    .iter()
                    .any(|&q| plans[q].components.iter().any(|x| x.id == id));
                component = known.then(|| id.to_string());
                if component.is_none() {
                    let ids: Vec<&str> =
                        plans[p].components.iter().map(|x| x.id.as_str()).collect();
                    diags.push(
                        err(
                            "adjustment-component-unknown",
                            c,
                            format!("plan `{}` has no such component", plans[p].id),
                        )
                        .hint(format!(
                            "use one of: {} (or leave it empty)",
                            ids.join(", ")
                        )),
                    );
                    return;
                }
            }
        }
        if let (Some(rep), Some(_), Some(period), Some(amount), false) =
            (rep, plan, period, amount, reason.is_empty())
        {
            out.rows.push(Adjustment {
                rep,
                period,
                amount,
                reason,
                component,
                approved_by: c_by.map_or("", |c| row.get(c)).trim().to_string(),
                note: c_note.map_or("", |c| row.get(c)).trim().to_string(),
                line: row.line,
            });
        }
    })?;
    out.info = Some(input.finish());
    Ok(out)
}
