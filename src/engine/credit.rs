//! Crediting: which reps are credited with which deal rows, and with what share, before any plan
//! looks at the deals.
//!
//! Sources, in order: the owner (100%, unless the credits file splits the deal), the credits file's
//! split and overlay rows, territory holders on the deal's close date (for plans that credit by a
//! column), and roll-ups through the manager hierarchy (for managers on plans that roll up).
//!
//! Invariants: a rep is credited with a deal row at most once per kind; a roll-up reaches a manager
//! once per deal, with the combined share of the reports' credits (at most 100%), however many of
//! their reports are credited; a report's credit rolls up only while the report is employed on the
//! deal's close date. Owner credits are kept as plain row lists (compressed by rep), the common case
//! at scale.

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::data::{CreditKind, Inputs};
use crate::diag::Diagnostic;
use crate::plan::Rollup;

/// `via` of a credit that has none.
pub const NO_VIA: u32 = u32::MAX;
/// `via` flag of a roll-up from several reports: the low bits index [`CreditLists::sources`].
pub const SEVERAL: u32 = 1 << 31;

/// A credit other than the owner's 100%.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grant {
    pub row: u32,
    pub share: Decimal,
    pub kind: CreditKind,
    /// Roll-up: the one report it comes from, or [`SEVERAL`] | index of its sources; territory:
    /// the deals column index.
    pub via: u32,
}

/// A deal credited to its owner: the row and its close date, kept together so that a rep's deals
/// are read from one contiguous slice rather than from all over the deals table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owned {
    pub row: u32,
    pub date: chrono::NaiveDate,
}

/// Close dates stored as days since 1970-01-01 in 16 bits (to 2149), [`FAR_DAY`] beyond: six bytes
/// per owned deal instead of eight, on tables of tens of millions of rows.
const FAR_DAY: u16 = u16::MAX;

fn day_of(date: chrono::NaiveDate) -> u16 {
    let days = (date - chrono::NaiveDate::default()).num_days();
    u16::try_from(days)
        .ok()
        .filter(|&d| d != FAR_DAY)
        .unwrap_or(FAR_DAY)
}

/// A rep's owned deals: rows and their close days, side by side.
#[derive(Clone, Copy)]
pub(crate) struct OwnedSlice<'a> {
    rows: &'a [u32],
    days: &'a [u16],
    /// The date of every 16-bit day (a table lookup instead of calendar arithmetic per deal).
    dates: &'a [chrono::NaiveDate],
    deals: &'a crate::data::DealTable,
}

impl<'a> OwnedSlice<'a> {
    pub fn len(self) -> usize {
        self.rows.len()
    }

    pub fn iter(self) -> impl Iterator<Item = Owned> + 'a {
        let (deals, dates) = (self.deals, self.dates);
        self.rows
            .iter()
            .zip(self.days)
            .map(move |(&row, &day)| Owned {
                row,
                date: if day == FAR_DAY {
                    deals.close_date(row as usize)
                } else {
                    dates[day as usize]
                },
            })
    }

    pub fn rows(self) -> &'a [u32] {
        self.rows
    }
}

/// Every rep's credits.
pub(crate) struct CreditLists<'d> {
    deals: &'d crate::data::DealTable,
    /// Owner credits by rep: `owned_rows[offsets[r]..offsets[r + 1]]`, in file order, with their
    /// close days in `owned_days`.
    offsets: Vec<u32>,
    owned_rows: Vec<u32>,
    owned_days: Vec<u16>,
    /// `dates[d]` = 1970-01-01 + d days, for every day below [`FAR_DAY`].
    dates: Vec<chrono::NaiveDate>,
    /// Other credits by rep, in row order.
    other: Vec<Vec<Grant>>,
    /// The reports (and their shares) behind roll-ups that combine several.
    pub sources: Vec<Vec<(u32, Decimal)>>,
}

impl<'d> CreditLists<'d> {
    pub fn owned(&self, rep: u32) -> OwnedSlice<'_> {
        let r = rep as usize;
        let range = self.offsets[r] as usize..self.offsets[r + 1] as usize;
        OwnedSlice {
            rows: &self.owned_rows[range.clone()],
            days: &self.owned_days[range],
            dates: &self.dates,
            deals: self.deals,
        }
    }

    pub fn other(&self, rep: u32) -> &[Grant] {
        &self.other[rep as usize]
    }

    /// Which deal rows some rep on plan `plan` is credited with (any kind).
    pub fn rows_of_plan(&self, inputs: &Inputs, plan: usize) -> Vec<bool> {
        let mut rows = vec![false; inputs.deals.len()];
        for rep in 0..inputs.roster.len() as u32 {
            if inputs
                .assignments
                .plans_of(&inputs.roster, rep)
                .contains(&plan)
            {
                for &r in self.owned(rep).rows() {
                    rows[r as usize] = true;
                }
                for g in self.other(rep) {
                    rows[g.row as usize] = true;
                }
            }
        }
        rows
    }
}

/// Plans that credit by a column need the column and a territories file.
pub(crate) fn validate_crediting(inputs: &Inputs) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for plan in &inputs.plans {
        let Some(column) = plan.crediting.holder_of.as_deref() else {
            continue;
        };
        if inputs.deals.column(column).is_none() {
            out.push(
                Diagnostic::error(
                    "plan-column-unknown",
                    &plan.file,
                    format!(
                        "[crediting] by = `{column}` is not a column of {}",
                        inputs.deals.file
                    ),
                )
                .line(plan.crediting.line)
                .hint("name a column of the deals file, e.g. territory, account_id or segment"),
            );
        } else if inputs.territories.file.is_empty() {
            out.push(
                Diagnostic::error(
                    "territories-missing",
                    &plan.file,
                    format!("plan `{}` credits the holder of each deal's `{column}`, but the workspace has no territories file", plan.id),
                )
                .line(plan.crediting.line)
                .hint("add [territories] with `file = \"territories.csv\"` (columns territory, rep_id, from, to) to the workspace"),
            );
        }
    }
    out
}

pub(crate) fn build(inputs: &Inputs) -> CreditLists<'_> {
    let deals = &inputs.deals;
    let roster = &inputs.roster;
    let reps = roster.len();
    let split: Vec<bool> = if inputs.credits.rows.is_empty() {
        Vec::new()
    } else {
        let mut s = vec![false; deals.len()];
        for c in &inputs.credits.rows {
            if c.kind == CreditKind::Split {
                s[c.deal as usize] = true;
            }
        }
        s
    };
    let is_split = |row: usize| split.get(row).copied().unwrap_or(false);

    // Owner credits: a counting sort of the rows by owner.
    let mut offsets = vec![0u32; reps + 1];
    for (row, &rep) in deals.reps.iter().enumerate() {
        if !is_split(row) {
            offsets[rep as usize + 1] += 1;
        }
    }
    for r in 0..reps {
        offsets[r + 1] += offsets[r];
    }
    let mut next = offsets.clone();
    let mut owned_rows = vec![0u32; offsets[reps] as usize];
    let mut owned_days = vec![0u16; offsets[reps] as usize];
    for (row, &rep) in deals.reps.iter().enumerate() {
        if !is_split(row) {
            let at = &mut next[rep as usize];
            owned_rows[*at as usize] = row as u32;
            owned_days[*at as usize] = day_of(deals.close_date(row));
            *at += 1;
        }
    }

    let mut other: Vec<Vec<Grant>> = vec![Vec::new(); reps];
    for c in &inputs.credits.rows {
        other[c.rep as usize].push(Grant {
            row: c.deal,
            share: c.share,
            kind: c.kind,
            via: NO_VIA,
        });
    }

    // Territory (or account, segment) holders, once per column some plan credits by.
    let mut columns: Vec<usize> = inputs
        .plans
        .iter()
        .filter_map(|p| p.crediting.holder_of.as_deref())
        .filter_map(|c| deals.column(c))
        .collect();
    columns.sort_unstable();
    columns.dedup();
    for c in columns {
        let column = &deals.columns[c];
        for row in 0..deals.len() {
            let key = column.display(row);
            if let Some(h) = inputs.territories.holder(&key, deals.close_date(row)) {
                other[h.value as usize].push(Grant {
                    row: row as u32,
                    share: Decimal::ONE,
                    kind: CreditKind::Territory,
                    via: c as u32,
                });
            }
        }
    }

    // Roll-ups, for managers on a plan that rolls up.
    let mode: Vec<Option<Rollup>> = (0..reps as u32)
        .map(|r| {
            inputs
                .assignments
                .plans_of(roster, r)
                .into_iter()
                .filter_map(|p| inputs.plans[p].crediting.rollup)
                .max_by_key(|m| matches!(m, Rollup::Subtree))
        })
        .collect();
    let mut sources = Vec::new();
    if mode.iter().any(Option::is_some) {
        let mut ups: Vec<(u32, u32, Decimal, u32)> = (0..reps as u32)
            .into_par_iter()
            .flat_map_iter(|r| {
                let rep = roster.get(r);
                let own = owned_rows
                    [offsets[r as usize] as usize..offsets[r as usize + 1] as usize]
                    .iter()
                    .map(|&row| (row, Decimal::ONE));
                let rest = other[r as usize]
                    .iter()
                    .filter(|g| g.kind != CreditKind::Rollup)
                    .map(|g| (g.row, g.share));
                let credits: Vec<(u32, Decimal)> = own
                    .chain(rest)
                    .filter(|&(row, _)| rep.active_on(deals.close_date(row as usize)))
                    .collect();
                let mut managers = Vec::new();
                let (mut at, mut depth) = (rep.manager, 1);
                while let Some(m) = at {
                    match mode[m as usize] {
                        Some(Rollup::Subtree) => managers.push(m),
                        Some(Rollup::Direct) if depth == 1 => managers.push(m),
                        _ => {}
                    }
                    at = roster.get(m).manager;
                    depth += 1;
                    if depth > reps {
                        break;
                    }
                }
                let mut out = Vec::with_capacity(credits.len() * managers.len());
                for &m in &managers {
                    for &(row, share) in &credits {
                        out.push((m, row, share, r));
                    }
                }
                out
            })
            .collect();
        ups.sort_unstable_by_key(|&(m, row, _, r)| (m, row, r));
        for group in ups.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (m, row) = (group[0].0, group[0].1);
            let share = group.iter().map(|g| g.2).sum::<Decimal>().min(Decimal::ONE);
            let via = if group.len() == 1 {
                group[0].3
            } else {
                sources.push(group.iter().map(|g| (g.3, g.2)).collect());
                SEVERAL | (sources.len() as u32 - 1)
            };
            other[m as usize].push(Grant {
                row,
                share,
                kind: CreditKind::Rollup,
                via,
            });
        }
    }
    for list in &mut other {
        list.sort_by_key(|g| (g.row, g.kind));
    }
    let epoch = chrono::NaiveDate::default();
    let dates = epoch.iter_days().take(FAR_DAY as usize).collect::<Vec<_>>();
    CreditLists {
        deals,
        dates,
        offsets,
        owned_rows,
        owned_days,
        other,
        sources,
    }
}

/// Per deal row, which measures of its owner's plan select it (bit `m` for measure `m`), computed in
/// one pass in file order (cache-friendly) instead of rep by rep; [`UNKNOWN`] when the owner has no
/// single plan of at most 7 measures (the filter is then evaluated where the credit is read).
pub(crate) fn owner_selections(inputs: &Inputs, plans: &[super::BoundPlan]) -> Vec<u8> {
    let deals = &inputs.deals;
    let plan_of: Vec<Option<usize>> = (0..inputs.roster.len() as u32)
        .map(|r| {
            let assigned = !inputs.assignments.rows_of(r).is_empty();
            inputs
                .roster
                .get(r)
                .plan
                .filter(|&p| !assigned && inputs.plans[p].measures.len() <= 7)
        })
        .collect();
    let mut out = vec![UNKNOWN; deals.len()];
    out.par_chunks_mut(1 << 16)
        .enumerate()
        .for_each(|(chunk, cells)| {
            let first = chunk << 16;
            for (i, cell) in cells.iter_mut().enumerate() {
                let row = first + i;
                if let Some(p) = plan_of[deals.reps[row] as usize] {
                    let bound = &plans[p];
                    let mut mask = 0u8;
                    for m in 0..inputs.plans[p].measures.len() {
                        if bound.selects(deals, m, row) {
                            mask |= 1 << m;
                        }
                    }
                    *cell = mask;
                }
            }
        });
    out
}

/// A selection mask that was not computed.
pub(crate) const UNKNOWN: u8 = 0x80;
