//! Why a deal row that no measure selects was left out, for the reconciliation: the first filter
//! condition it fails, of the first measure (in plan order) of its owner's plan that does not select
//! it, named with the column, the row's value (text columns), the condition and its plan line.
//!
//! Invariants: reasons are numbered densely from 1 (0: no reason found, e.g. the row's owner has no
//! plan on its date, or another crediting left it out), one number per (plan, measure, condition)
//! and, for a condition on a text column, per value of the column; so the reconciliation tallies
//! rows by a small integer and names each group once. A plan that filters on text lists alone has
//! its reasons found once per combination of those columns' values ([`Lookup`]), with the numbers
//! the walk of its conditions gives.

use super::bind::{BoundPlan, Source};
use crate::data::{ColumnValues, Inputs};
use crate::plan::{Condition, Test};

/// [`FilterReasons::plan_of`] of a rep without a plan.
const NO_PLAN: u32 = u32::MAX;
/// [`FilterReasons::plan_of`] of a rep whose plan comes from the assignments file.
const ASSIGNED: u32 = u32::MAX - 1;

pub(crate) struct FilterReasons<'a> {
    inputs: &'a Inputs,
    plans: &'a [BoundPlan],
    /// Per plan, per measure, per condition: the first number of its reasons.
    base: Vec<Vec<Vec<u32>>>,
    /// Per plan: its reasons by the values of the text columns it filters on, when it filters on
    /// nothing else and they have few values together.
    lookups: Vec<Option<Lookup>>,
    /// Per rep: the roster's plan, [`ASSIGNED`] when the assignments file says (by date), or
    /// [`NO_PLAN`] (read once per rep rather than once per row).
    plan_of: Vec<u32>,
    count: u32,
}

impl<'a> FilterReasons<'a> {
    pub fn new(inputs: &'a Inputs, plans: &'a [BoundPlan]) -> FilterReasons<'a> {
        let mut next = 1u32;
        let base = plans
            .iter()
            .map(|bound| {
                (0..bound.measures.len())
                    .map(|m| {
                        (0..bound.conditions(m).len())
                            .map(|c| {
                                let at = next;
                                next += values_of(inputs, bound.condition_source(m, c)) as u32;
                                at
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect::<Vec<Vec<Vec<u32>>>>();
        let lookups = plans
            .iter()
            .zip(&base)
            .map(|(bound, base)| Lookup::of(inputs, bound, base))
            .collect();
        let plan_of = (0..inputs.roster.len() as u32)
            .map(
                |rep| match (inputs.assignments.rows_of(rep), inputs.roster.get(rep).plan) {
                    ([], Some(p)) => p as u32,
                    ([], None) => NO_PLAN,
                    _ => ASSIGNED,
                },
            )
            .collect();
        FilterReasons {
            inputs,
            plans,
            base,
            lookups,
            plan_of,
            count: next,
        }
    }

    /// How many reason numbers there are (0 included).
    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// The reason number of a row of `owner` no measure selected (0: none found).
    pub fn code(&self, row: usize, owner: u32) -> u32 {
        let plan = self.plan_of.get(owner as usize).copied();
        if let Some(Some(lookup)) = plan.and_then(|p| self.lookups.get(p as usize)) {
            if let Some(code) = lookup.code(&self.inputs.deals, row) {
                return code;
            }
        }
        match self.failing_of(row, owner) {
            Some((p, m, c)) => self.base[p][m][c] + self.value_code(p, m, c, row),
            None => 0,
        }
    }

    /// The reason of a row no measure selected, in words; empty when none was found.
    pub fn describe(&self, row: usize) -> String {
        let Some((p, m, c)) = self.failing(row) else {
            return String::new();
        };
        let plan = &self.inputs.plans[p];
        // A bound plan's conditions are its filters', in order (a plan that binds with errors
        // stops the run before any row is reconciled).
        let Some(condition) = plan.measures.get(m).and_then(|x| x.filter.get(c)) else {
            return String::new();
        };
        let deals = &self.inputs.deals;
        let value = match self.plans[p].condition_source(m, c) {
            Source::Column(i) if is_text(self.inputs, Source::Column(i)) => {
                format!(" {:?}", deals.columns[i].display(row))
            }
            _ => String::new(),
        };
        format!(
            "{}{value} fails {} (measure {}, {}:{})",
            condition.column,
            rule(condition),
            plan.measures[m].name,
            plan.file_name,
            condition.line
        )
    }

    /// (plan, measure, condition) of the first condition the row fails, of the first measure of its
    /// owner's plan on its close date that does not select it.
    fn failing(&self, row: usize) -> Option<(usize, usize, usize)> {
        let deals = &self.inputs.deals;
        self.failing_of(row, (row < deals.len()).then(|| deals.owner(row))?)
    }

    /// [`Self::failing`] of a row whose owner is `rep`.
    fn failing_of(&self, row: usize, rep: u32) -> Option<(usize, usize, usize)> {
        let inputs = self.inputs;
        let p = match *self.plan_of.get(rep as usize)? {
            NO_PLAN => return None,
            ASSIGNED => {
                let date = inputs.deals.close_date(row);
                let rows = inputs.assignments.rows_of(rep);
                rows.iter().find(|a| a.covers(date))?.value.plan
            }
            p => p as usize,
        };
        let bound = self.plans.get(p)?;
        (0..bound.measures.len()).find_map(|m| {
            bound
                .first_failing(&inputs.deals, m, row)
                .map(|c| (p, m, c))
        })
    }

    /// The row's value code in the condition's column when it is text (its reasons are per
    /// value), else 0.
    fn value_code(&self, p: usize, m: usize, c: usize, row: usize) -> u32 {
        match self.plans[p].condition_source(m, c) {
            Source::Column(i) => self.inputs.deals.columns[i].text_code_at(row).unwrap_or(0),
            Source::Derived(_) => 0,
        }
    }
}

fn is_text(inputs: &Inputs, source: Source) -> bool {
    matches!(source, Source::Column(i)
        if matches!(inputs.deals.columns[i].values, ColumnValues::Text { .. }))
}

/// The reasons of a plan whose every filter condition tests a text column's value against a list,
/// found once for each combination of those columns' values (at most [`Lookup::MAX`]): a row's
/// reason is then a table lookup, not a walk of the conditions. The same numbers as
/// [`FilterReasons::failing_of`] with [`FilterReasons::value_code`].
struct Lookup {
    /// (column, stride, values) of each text column the plan filters on.
    columns: Vec<(usize, usize, usize)>,
    /// The reason number by `Σ code × stride` over the columns.
    codes: Vec<u32>,
}

impl Lookup {
    const MAX: usize = 1 << 12;

    /// The plan's lookup (`base`: its reasons' first numbers), `None` when it filters on anything
    /// but text lists or its columns have more than [`Lookup::MAX`] combinations of values.
    fn of(inputs: &Inputs, bound: &BoundPlan, base: &[Vec<u32>]) -> Option<Lookup> {
        let mut columns: Vec<(usize, usize, usize)> = Vec::new();
        let mut size = 1usize;
        for m in 0..bound.measures.len() {
            for condition in bound.conditions(m) {
                let (ci, _, _) = condition.text_list()?;
                let ColumnValues::Text { dict, .. } = &inputs.deals.columns[ci].values else {
                    return None;
                };
                if !columns.iter().any(|&(c, _, _)| c == ci) {
                    columns.push((ci, size, dict.len().max(1)));
                    size = size.checked_mul(dict.len().max(1))?;
                }
                if size > Lookup::MAX {
                    return None;
                }
            }
        }
        let code_in = |combination: usize, ci: usize| {
            let (_, stride, values) = columns.iter().find(|&&(c, _, _)| c == ci)?;
            Some(combination / stride % values)
        };
        let reason = |combination: usize| -> Option<u32> {
            for (m, conditions) in base.iter().enumerate() {
                for (c, condition) in bound.conditions(m).iter().enumerate() {
                    let (ci, allowed, negate) = condition.text_list()?;
                    let code = code_in(combination, ci)?;
                    // As `BoundPlan::matches` reads the condition.
                    if allowed.get(code).copied().unwrap_or(false) == negate {
                        return Some(conditions[c] + code as u32);
                    }
                }
            }
            Some(0)
        };
        let codes = (0..size).map(reason).collect::<Option<Vec<u32>>>()?;
        Some(Lookup { columns, codes })
    }

    /// The reason number of a row of the plan no measure selected (`None`: a value the table has
    /// no place for, which a table read once cannot have).
    #[inline]
    fn code(&self, deals: &crate::data::DealTable, row: usize) -> Option<u32> {
        let mut combination = 0;
        for &(ci, stride, values) in &self.columns {
            let code = deals.columns[ci].text_code_at(row)? as usize;
            if code >= values {
                return None;
            }
            combination += code * stride;
        }
        self.codes.get(combination).copied()
    }
}

/// How many reason numbers a condition on `source` takes: one per value of a text column, else one.
fn values_of(inputs: &Inputs, source: Source) -> usize {
    match source {
        Source::Column(i) => match &inputs.deals.columns[i].values {
            ColumnValues::Text { dict, .. } => dict.len().max(1),
            _ => 1,
        },
        Source::Derived(_) => 1,
    }
}

/// A condition as a plan states it: `stage = "Closed won"`, `type in ["New", "Upsell"]`,
/// `amount >= 1000`, `paid_date is empty`.
fn rule(c: &Condition) -> String {
    let list = |vs: &[String]| {
        vs.iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &c.test {
        Test::In(vs) if vs.len() == 1 => format!("{} = {:?}", c.column, vs[0]),
        Test::In(vs) => format!("{} in [{}]", c.column, list(vs)),
        Test::NotIn(vs) => format!("{} not in [{}]", c.column, list(vs)),
        Test::Compare(op, v) => format!("{} {} {v}", c.column, op.symbol()),
        Test::Empty(true) => format!("{} is empty", c.column),
        Test::Empty(false) => format!("{} is not empty", c.column),
    }
}
