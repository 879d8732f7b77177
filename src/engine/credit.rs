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
//! deal's close date. Owner credits are the rep's range of the table's rows when the rows are in
//! owner order (the table read from a file, no split rows: the common case at scale), read in
//! place; otherwise plain row lists (compressed by rep), each row with its close day, currency code
//! and amount gathered beside it.

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
    /// The measures of the owner's plan that select the row (see [`owner_selections`]).
    pub mask: u8,
    /// The close date in days since 1970-01-01, or [`FAR_DAY`] when out of the 16-bit range.
    pub day: u16,
}

/// Close dates stored as days since 1970-01-01 in 16 bits (to 2149), [`FAR_DAY`] beyond: they share
/// one `u64` per owned deal with its currency code and amount ([`Gathered`]).
pub(crate) const FAR_DAY: u16 = u16::MAX;

/// 1970-01-01 counted in days from 0001-01-01 (day 1), chrono's `num_days_from_ce`.
const EPOCH_FROM_CE: i32 = 719_163;

/// Days from 1970-01-01 to January 1st of each year from 1970 to 2149 (the 16-bit day range).
static YEAR_STARTS: std::sync::LazyLock<Vec<i32>> = std::sync::LazyLock::new(|| {
    (1970..2150)
        .map(|y| {
            use chrono::Datelike;
            chrono::NaiveDate::from_ymd_opt(y, 1, 1).map_or(0, |d| d.num_days_from_ce())
                - EPOCH_FROM_CE
        })
        .collect()
});

fn day_of(date: chrono::NaiveDate) -> u16 {
    use chrono::Datelike;
    // The year's first day from a table, plus the day of the year: no calendar arithmetic per deal.
    let days = match YEAR_STARTS.get((date.year() - 1970) as usize) {
        Some(start) if date.year() >= 1970 => start + date.ordinal0() as i32,
        _ => date.num_days_from_ce() - EPOCH_FROM_CE,
    };
    u16::try_from(days)
        .ok()
        .filter(|&d| d != FAR_DAY)
        .unwrap_or(FAR_DAY)
}

/// A rep's owned deals: the rep's range of the table's rows when they are in owner order (read
/// where they are), else rows and their cells gathered beside them ([`Gathered`]).
#[derive(Clone, Copy)]
pub(crate) struct OwnedSlice<'a> {
    /// The first row and how many, when the rows are read in place.
    range: (u32, u32),
    /// The rows and their gathered cells, when they are not read in place (else empty).
    rows: &'a [u32],
    cells: &'a [u64],
    in_place: InPlace<'a>,
    gathered: Gathered,
    /// Selection masks, or empty when none were attached (every mask [`UNKNOWN`]).
    masks: &'a [u8],
    /// The date of every 16-bit day (a table lookup instead of calendar arithmetic per deal).
    dates: &'a [chrono::NaiveDate],
    deals: &'a crate::data::DealTable,
}

/// The columns a rep's deals are read from in place: close dates, and the amounts and currency
/// codes in the shapes [`Gathered`] takes (empty when not), each cut to the rep's range.
#[derive(Clone, Copy, Default)]
struct InPlace<'a> {
    dates: &'a [Option<chrono::NaiveDate>],
    amounts: &'a [i32],
    currencies: &'a [u8],
}

impl<'a> OwnedSlice<'a> {
    pub fn len(self) -> usize {
        if self.range.1 > 0 {
            self.range.1 as usize
        } else {
            self.rows.len()
        }
    }

    pub fn iter(self) -> impl Iterator<Item = Owned> + 'a {
        let (deals, dates, masks) = (self.deals, self.dates, self.masks);
        let gathered = self.rows.iter().zip(self.cells).map(move |(&row, &cells)| {
            let day = unpack(cells).0;
            let date = if day == FAR_DAY {
                deals.close_date(row as usize)
            } else {
                dates[day as usize]
            };
            (row, date, day)
        });
        let first = self.range.0;
        let in_place = self.in_place.dates.iter().enumerate().map(move |(i, d)| {
            let date = d.unwrap_or_default();
            (first + i as u32, date, day_of(date))
        });
        gathered
            .chain(in_place)
            .enumerate()
            .map(move |(i, (row, date, day))| Owned {
                row,
                date,
                mask: masks.get(i).copied().unwrap_or(UNKNOWN),
                day,
            })
    }

    /// The table's rows the slice is, when read in place without masks (see
    /// [`rep_selections`]).
    pub fn unmasked_range(self) -> Option<std::ops::Range<usize>> {
        let (first, n) = self.range;
        (n > 0 && self.masks.is_empty()).then(|| first as usize..(first + n) as usize)
    }

    /// The slice with these selection masks.
    pub fn with_masks<'b>(self, masks: &'b [u8]) -> OwnedSlice<'b>
    where
        'a: 'b,
    {
        let mut slice: OwnedSlice<'b> = self;
        slice.masks = masks;
        slice
    }

    /// The rows, in file order.
    pub fn rows(self) -> impl Iterator<Item = u32> + 'a {
        let (first, n) = self.range;
        self.rows.iter().copied().chain(first..first + n)
    }

    /// The `i`th owned deal's value in the amount column when it was gathered (its mantissa at
    /// the column's one scale), and its currency code when gathered.
    #[inline]
    pub fn gathered(self, i: usize) -> (Option<Decimal>, Option<u32>) {
        let (currency, mantissa) = if self.range.1 > 0 {
            let at = |v: &[u8]| v.get(i).copied().unwrap_or(0);
            (
                at(self.in_place.currencies),
                self.in_place.amounts.get(i).copied().unwrap_or(0),
            )
        } else {
            let (_, currency, mantissa) = unpack(self.cells[i]);
            (currency, mantissa)
        };
        (
            self.gathered
                .amount
                .map(|(_, scale)| Decimal::new(mantissa as i64, scale)),
            self.gathered.currency.then_some(currency as u32),
        )
    }

    /// The column whose values [`OwnedSlice::gathered`] gives, if any.
    pub fn gathered_column(self) -> Option<usize> {
        self.gathered.amount.map(|(column, _)| column)
    }
}

/// What was gathered beside each owned row in the counting sort, packed in a `u64`: the close day
/// in bits 0-15 (always), the currency code in bits 16-23 when the currency column has 8-bit codes,
/// and the amount's 32-bit mantissa in bits 32-63 when the amount column is all 32-bit mantissas
/// of one scale (the usual money column). Read in file order and written in owner order, so that
/// a rep's computation reads its deals' cells from its own slice instead of from all over the
/// table.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Gathered {
    /// The amount column and its scale.
    amount: Option<(usize, u32)>,
    currency: bool,
}

/// A deal's gathered cells (see [`Gathered`]): close day, currency code, amount mantissa.
fn pack(day: u16, currency: u8, mantissa: i32) -> u64 {
    day as u64 | (currency as u64) << 16 | (mantissa as u32 as u64) << 32
}

fn unpack(cells: u64) -> (u16, u8, i32) {
    (
        cells as u16,
        (cells >> 16) as u8,
        (cells >> 32) as u32 as i32,
    )
}

/// Every rep's credits.
pub(crate) struct CreditLists<'d> {
    deals: &'d crate::data::DealTable,
    /// Owner credits by rep: `owned_rows[offsets[r]..offsets[r + 1]]`, in file order, with their
    /// gathered cells in `owned_cells`; or, when the table's rows are in owner order (`in_place`),
    /// the table's rows `offsets[r]..offsets[r + 1]` themselves, and no lists.
    offsets: Vec<u32>,
    owned_rows: Vec<u32>,
    owned_cells: Vec<u64>,
    in_place: bool,
    gathered: Gathered,
    /// The owner selection mask of each owned row, in the order of `offsets` (empty until
    /// [`CreditLists::attach_selections`]).
    owned_masks: Vec<u8>,
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
        let masks = self.owned_masks.get(range.clone()).unwrap_or_default();
        if self.in_place {
            return OwnedSlice {
                range: (range.start as u32, range.len() as u32),
                rows: &[],
                cells: &[],
                in_place: in_place_columns(self.deals, range),
                gathered: self.gathered,
                masks,
                dates: &self.dates,
                deals: self.deals,
            };
        }
        OwnedSlice {
            range: (0, 0),
            rows: &self.owned_rows[range.clone()],
            cells: &self.owned_cells[range],
            in_place: InPlace::default(),
            gathered: self.gathered,
            masks,
            dates: &self.dates,
            deals: self.deals,
        }
    }

    /// Attach the owner selections (per deal row, see [`owner_selections`]) in owner order, read
    /// in one tight parallel pass so that a rep's computation reads them from its own slice (kept
    /// as they are when the rows are in owner order).
    pub fn attach_selections(&mut self, selections: Vec<u8>) {
        if self.in_place {
            self.owned_masks = selections;
            return;
        }
        let mut masks = vec![UNKNOWN; self.owned_rows.len()];
        masks
            .par_chunks_mut(1 << 16)
            .zip(self.owned_rows.par_chunks(1 << 16))
            .for_each(|(masks, rows)| {
                for (m, &row) in masks.iter_mut().zip(rows) {
                    *m = selections[row as usize];
                }
            });
        self.owned_masks = masks;
    }

    /// Whether the owned rows are the table's, read in place (see [`CreditLists::owned`]).
    pub fn in_place(&self) -> bool {
        self.in_place
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
                for r in self.owned(rep).rows() {
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

/// The table's close dates, and its amounts and currency codes when [`Gathered`] takes them, in
/// `rows`.
fn in_place_columns(deals: &crate::data::DealTable, rows: std::ops::Range<usize>) -> InPlace<'_> {
    let dates = match deals.columns.get(deals.close_date).map(|c| &c.values) {
        Some(crate::data::ColumnValues::Date(dates)) => &dates[rows.clone()],
        _ => &[],
    };
    InPlace {
        dates,
        amounts: amount_mantissas(deals).map_or(&[], |(m, _)| &m[rows.clone()]),
        currencies: currency_bytes(deals).map_or(&[], |c| &c[rows]),
    }
}

/// The amount column's mantissas and scale, when every cell is a 32-bit mantissa of one scale.
fn amount_mantissas(deals: &crate::data::DealTable) -> Option<(&[i32], u32)> {
    deals.columns[deals.amount].values.narrow_uniform()
}

/// The currency column's codes, when they take 8 bits.
fn currency_bytes(deals: &crate::data::DealTable) -> Option<&[u8]> {
    deals.currency.and_then(|c| match &deals.columns[c].values {
        crate::data::ColumnValues::Text {
            codes: crate::data::Codes::Byte(codes),
            ..
        } => Some(&codes[..]),
        _ => None,
    })
}

/// Owner credits: the rows (but split ones) sorted by owner, stable, with their gathered cells;
/// and where each rep's rows start. When the table's rows are in owner order already and none is
/// split, only where each rep's rows start (the rows are read in place: no lists).
fn owners_sorted(
    deals: &crate::data::DealTable,
    reps: usize,
    split: &[bool],
) -> (Vec<u32>, Vec<u32>, Vec<u64>, Gathered) {
    let amount = amount_mantissas(deals);
    let currency = currency_bytes(deals);
    let gathered = Gathered {
        amount: amount.map(|(_, scale)| (deals.amount, scale)),
        currency: currency.is_some(),
    };
    if let Some(starts) = deals
        .owner_ranges()
        .filter(|s| split.is_empty() && s.len() > reps)
    {
        return (starts[..=reps].to_vec(), Vec::new(), Vec::new(), gathered);
    }
    let chunk = deals
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 2)
        .max(1 << 16);
    let (offsets, rows, cells) = counting_sort(&deals.owner_list(), reps, split, chunk, |row| {
        pack(
            day_of(deals.close_date(row)),
            currency.map_or(0, |codes| codes[row]),
            amount.map_or(0, |(values, _)| values[row]),
        )
    });
    (offsets, rows, cells, gathered)
}

/// Rows (but split ones, and those without an owner: [`crate::data::deals::NO_OWNER`]) sorted by
/// owner, stable: (where each owner's rows start, the rows, the `cells` of each). A parallel counting sort: each chunk of `chunk` rows counts its owners, the
/// counts become disjoint write ranges per (chunk, owner), and each chunk fills its own ranges.
fn counting_sort(
    owners: &[u32],
    reps: usize,
    split: &[bool],
    chunk: usize,
    cells: impl Fn(usize) -> u64 + Sync,
) -> (Vec<u32>, Vec<u32>, Vec<u64>) {
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
    let is_split = |row: usize| split.get(row).copied().unwrap_or(false);
    let owned = |row: usize, rep: u32| rep != crate::data::deals::NO_OWNER && !is_split(row);
    let counts: Vec<Vec<u32>> = owners
        .par_chunks(chunk)
        .enumerate()
        .map(|(c, owners)| {
            let mut n = vec![0u32; reps];
            for (i, &rep) in owners.iter().enumerate() {
                if owned(c * chunk + i, rep) {
                    n[rep as usize] += 1;
                }
            }
            n
        })
        .collect();
    // starts[c][r]: where chunk c writes rep r's first row; offsets[r]: where rep r's rows start.
    let mut offsets = vec![0u32; reps + 1];
    let mut starts = vec![vec![0u32; reps]; counts.len()];
    let mut at = 0u32;
    for r in 0..reps {
        offsets[r] = at;
        for (c, n) in counts.iter().enumerate() {
            starts[c][r] = at;
            at += n[r];
        }
    }
    offsets[reps] = at;
    let sorted_rows: Vec<AtomicU32> = (0..at).map(|_| AtomicU32::new(0)).collect();
    let sorted_cells: Vec<AtomicU64> = (0..at).map(|_| AtomicU64::new(0)).collect();
    owners
        .par_chunks(chunk)
        .zip(starts)
        .enumerate()
        .for_each(|(c, (owners, mut next))| {
            for (i, &rep) in owners.iter().enumerate() {
                let row = c * chunk + i;
                if owned(row, rep) {
                    let slot = &mut next[rep as usize];
                    // Each slot is written by exactly one chunk: relaxed stores suffice.
                    sorted_rows[*slot as usize].store(row as u32, Relaxed);
                    sorted_cells[*slot as usize].store(cells(row), Relaxed);
                    *slot += 1;
                }
            }
        });
    (
        offsets,
        sorted_rows.into_iter().map(AtomicU32::into_inner).collect(),
        sorted_cells
            .into_iter()
            .map(AtomicU64::into_inner)
            .collect(),
    )
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

    let in_place = deals
        .owner_ranges()
        .is_some_and(|s| split.is_empty() && s.len() > reps);
    let (offsets, owned_rows, owned_cells, gathered) = owners_sorted(deals, reps, &split);
    let owned_of = |r: usize| -> Box<dyn Iterator<Item = u32> + '_> {
        let range = offsets[r]..offsets[r + 1];
        if in_place {
            Box::new(range)
        } else {
            Box::new(
                owned_rows[range.start as usize..range.end as usize]
                    .iter()
                    .copied(),
            )
        }
    };

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
                let own = owned_of(r as usize).map(|row| (row, Decimal::ONE));
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
        owned_cells,
        in_place,
        gathered,
        owned_masks: Vec::new(),
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
        .map(|r| masked_plan(inputs, r))
        .collect();
    let mut out = vec![UNKNOWN; deals.len()];
    out.par_chunks_mut(1 << 16)
        .enumerate()
        .for_each(|(chunk, cells)| {
            let first = chunk << 16;
            let owners: Vec<u32> = deals.owners_of(first..first + cells.len()).collect();
            // Each row's owner's plan (usize::MAX: none with masks), and the plans present.
            let mut plans_here: Vec<usize> = Vec::new();
            let row_plan: Vec<usize> = owners
                .iter()
                .map(|&rep| {
                    plan_of
                        .get(rep as usize)
                        .copied()
                        .flatten()
                        .unwrap_or(usize::MAX)
                })
                .collect();
            for (cell, &p) in cells.iter_mut().zip(&row_plan) {
                if p != usize::MAX {
                    *cell = 0;
                    if !plans_here.contains(&p) {
                        plans_here.push(p);
                    }
                }
            }
            // A measure at a time, down the columns; each row keeps the bits of its owner's plan.
            let mut selected = vec![true; cells.len()];
            for p in plans_here {
                for m in 0..inputs.plans[p].measures.len() {
                    selected.fill(true);
                    plans[p].select_range(deals, m, first, &mut selected);
                    for ((cell, &rp), &s) in cells.iter_mut().zip(&row_plan).zip(&selected) {
                        *cell |= ((s && rp == p) as u8) << m;
                    }
                }
            }
        });
    out
}

/// The plan whose selections rep `r`'s owned rows get masks of: its roster plan, when no
/// assignment gives it others and the plan has at most 7 measures.
fn masked_plan(inputs: &Inputs, r: u32) -> Option<usize> {
    let assigned = !inputs.assignments.rows_of(r).is_empty();
    inputs
        .roster
        .get(r)
        .plan
        .filter(|&p| !assigned && inputs.plans[p].measures.len() <= 7)
}

/// [`owner_selections`] of rep `rep`'s rows `rows` alone (rows in owner order, read in place):
/// computed as the rep is, instead of a byte per deal kept for the whole run.
pub(crate) fn rep_selections(
    inputs: &Inputs,
    plans: &[super::BoundPlan],
    rep: u32,
    rows: std::ops::Range<usize>,
) -> Vec<u8> {
    let Some(p) = masked_plan(inputs, rep) else {
        return vec![UNKNOWN; rows.len()];
    };
    let mut out = vec![0u8; rows.len()];
    let mut selected = vec![true; rows.len()];
    for m in 0..inputs.plans[p].measures.len() {
        selected.fill(true);
        plans[p].select_range(&inputs.deals, m, rows.start, &mut selected);
        for (cell, &s) in out.iter_mut().zip(&selected) {
            *cell |= (s as u8) << m;
        }
    }
    out
}

/// A selection mask that was not computed.
pub(crate) const UNKNOWN: u8 = 0x80;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    #[test]
    fn the_parallel_counting_sort_is_a_stable_sort_by_owner() {
        // 10 rows of 3 owners, rows 4 and 7 split (credited by the credits file, not the owner).
        let owners = [2, 0, 1, 2, 0, 0, 1, 2, 2, 1];
        let split = [
            false, false, false, false, true, false, false, true, false, false,
        ];
        let day = |row: usize| 100 + row as u64;
        // Expected, by owner in row order: 0 → rows 1, 5; 1 → 2, 6, 9; 2 → 0, 3, 8.
        let expected = (
            vec![0, 2, 5, 8],
            vec![1, 5, 2, 6, 9, 0, 3, 8],
            vec![101, 105, 102, 106, 109, 100, 103, 108],
        );
        // Whatever the chunk size (one chunk, or many that each write their own ranges).
        for chunk in [1, 2, 3, 4, 10, 64] {
            assert_eq!(
                counting_sort(&owners, 3, &split, chunk, day),
                expected,
                "chunk {chunk}"
            );
        }
        assert_eq!(
            counting_sort(&owners, 3, &[], 3, day).1,
            vec![1, 4, 5, 2, 6, 9, 0, 3, 7, 8],
            "no split rows"
        );
    }

    /// Gathered cells read back as packed, negative and extreme mantissas included.
    #[test]
    fn gathered_cells_read_back_as_packed() {
        for (day, currency, mantissa) in [
            (0, 0, 0),
            (20_000, 3, -1),
            (FAR_DAY, 255, i32::MIN),
            (1, 1, i32::MAX),
            (365, 0, -3_000_000),
        ] {
            assert_eq!(
                unpack(pack(day, currency, mantissa)),
                (day, currency, mantissa)
            );
        }
    }

    #[test]
    fn days_count_from_1970() {
        assert_eq!(NaiveDate::default().num_days_from_ce(), EPOCH_FROM_CE);
        let day = |s: &str| day_of(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        assert_eq!(day("1970-01-01"), 0);
        assert_eq!(day("2026-03-01"), 20_513); // 56 years × 365 + 14 leap days + 59 days of 2026
        assert_eq!(day("1969-12-31"), FAR_DAY);
        assert_eq!(day("2149-06-06"), FAR_DAY);
        assert_eq!(day("2149-06-05"), 65_534);
        assert_eq!(day("2150-01-01"), FAR_DAY);
        assert_eq!(day("1900-03-01"), FAR_DAY);
        // the table agrees with the calendar on every day of the range
        let mut d = NaiveDate::default();
        for n in 0..FAR_DAY {
            assert_eq!(day_of(d), n, "{d}");
            d = d.succ_opt().unwrap();
        }
    }
}
