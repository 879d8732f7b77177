//! The table's rows reordered by owner once it is read: each rep's deals are one contiguous range
//! of rows (in file order within it), the deals without an owner after the last rep's, so the
//! engine reads a rep's deals where they are instead of copying them into owner order.
//!
//! The rows move in two levels, each in cache and on every core: each block of a column is sorted
//! by owner into a spare column, then each owner's runs are gathered back from the blocks in block
//! order, the run bounds of an owner side by side. (Moving each cell straight to its place took as
//! long on two cores as on one: each move waited on memory.)
//!
//! Invariants: the order is a stable sort by roster index ([`NO_OWNER`] last); every column, the
//! owners and the file row of each row move together; ids and lines stay in file order, reached
//! through the row's file row; the sort is the same whatever the thread count or block size.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::file_rows::FileRows;
use super::table::{Codes, ColumnValues, DealColumn, DealTable, Decimals, NO_OWNER};

impl DealTable {
    /// Reorder the rows by owner (see the module), for a roster of `reps` reps. Nothing moves when
    /// the rows are in that order already.
    pub(super) fn sort_by_owner(&mut self, reps: usize) {
        let highest = self.reps.par_iter().filter(|&&r| r != NO_OWNER).max();
        let reps = highest.map_or(reps, |&r| reps.max(r as usize + 1));
        let moves = Moves::new(&self.reps, reps, MOVE_BLOCK);
        self.owner_blocks = block_owners(&moves.starts, self.reps.len());
        self.owner_starts = moves.starts.clone();
        // From here on the owners are the ranges (see `owner`), not a list; the list's room
        // takes the rows' places in the file.
        let mut places = std::mem::take(&mut self.reps);
        if moves.sorted {
            return;
        }
        // First the places in the file: sorted by block into the owners' list's room and coded
        // from there as they are gathered (see `file_rows.rs`), never held in owner order. Then
        // each column, one at a time, so that no more than one is in flight besides each row's
        // place in its block.
        let earlier = std::mem::take(&mut self.file_rows);
        moves.sort_blocks_by(&mut places, |_, _, row| earlier.get(row) as u32);
        self.file_rows = FileRows::code_with(places.len(), |first, out| {
            moves.gather(&places, first, out);
        });
        drop(places);
        // The byte-coded columns last: their spare is not held while a wider column moves.
        let mut spare_bytes = Vec::new();
        let (bytes, wider): (Vec<_>, Vec<_>) = self.columns.iter_mut().partition(|c| byte_coded(c));
        for column in wider.into_iter().chain(bytes) {
            move_column(column, &moves, &mut spare_bytes);
        }
    }

    /// Drop every row (cells, ids, lines, owners), keeping the columns' names, types and
    /// dictionaries: for a run that writes no deal, once the engine has read them.
    pub fn release_rows(&mut self) {
        for column in &mut self.columns {
            match &mut column.values {
                ColumnValues::Text { codes, .. } => *codes = Codes::default(),
                ColumnValues::Decimal(d) => *d = Decimals::default(),
                ColumnValues::Date(dates) => *dates = Vec::new(),
            }
        }
        self.coded = None;
        self.decoded = std::sync::OnceLock::new();
        self.id_bytes = String::new();
        self.id_ends = Vec::new();
        self.lines = Vec::new();
        self.file_rows = FileRows::Identity;
        self.owner_starts = Vec::new();
        self.owner_blocks = Vec::new();
        self.reps = Vec::new();
    }

    /// Where each rep's rows start when the rows are in owner order (see the module): rep `r`'s
    /// rows are `starts[r]..starts[r + 1]`, rows from `starts[reps]` to the last entry (the row
    /// count) have no owner. `None` when the rows are not in that order (a row was added after
    /// the sort).
    pub fn owner_ranges(&self) -> Option<&[u32]> {
        (!self.owner_starts.is_empty()).then_some(&self.owner_starts[..])
    }

    /// Roster index of the row's owner, or [`NO_OWNER`] when its `rep_id` is empty.
    #[inline]
    pub fn owner(&self, row: usize) -> u32 {
        if self.owner_starts.is_empty() {
            return self.reps[row];
        }
        self.owner_of_bucket(self.bucket_of(row))
    }

    /// The owners of rows `rows`, in row order.
    pub fn owners_of(&self, rows: std::ops::Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let listed = self.reps.get(rows.clone()).unwrap_or_default();
        let ranged = (!self.owner_starts.is_empty() && !rows.is_empty()).then(|| {
            let mut bucket = self.bucket_of(rows.start);
            rows.clone().map(move |row| {
                while self.owner_starts[bucket + 1] as usize <= row {
                    bucket += 1;
                }
                self.owner_of_bucket(bucket)
            })
        });
        listed.iter().copied().chain(ranged.into_iter().flatten())
    }

    /// The owner of every row, in row order.
    pub fn owners(&self) -> impl Iterator<Item = u32> + '_ {
        self.owners_of(0..self.len())
    }

    /// The owners as a list, one per row (made from the ranges when the rows are in owner order).
    pub fn owner_list(&self) -> std::borrow::Cow<'_, [u32]> {
        if self.owner_starts.is_empty() {
            std::borrow::Cow::Borrowed(&self.reps)
        } else {
            std::borrow::Cow::Owned(self.owners().collect())
        }
    }

    /// The owners listed row by row again (before a row is added out of owner order).
    pub(super) fn list_owners(&mut self) {
        if !self.owner_starts.is_empty() {
            self.reps = self.owners().collect();
            self.owner_starts = Vec::new();
            self.owner_blocks = Vec::new();
        }
    }

    /// The range (see [`Self::owner_ranges`]) holding `row`: between those of the first rows of
    /// its block and of the next, found by halving.
    #[inline]
    fn bucket_of(&self, row: usize) -> usize {
        let block = row >> BLOCK_BITS;
        let lo = self.owner_blocks[block] as usize;
        let hi = self
            .owner_blocks
            .get(block + 1)
            .map_or(self.owner_starts.len() - 1, |&b| b as usize + 1);
        lo + self.owner_starts[lo..hi].partition_point(|&s| s as usize <= row) - 1
    }

    #[inline]
    fn owner_of_bucket(&self, bucket: usize) -> u32 {
        if bucket + 2 >= self.owner_starts.len() {
            NO_OWNER
        } else {
            bucket as u32
        }
    }
}

/// Rows per block of the owners' index.
const BLOCK_BITS: u32 = 10;

/// The range holding the first row of each block of `1 << BLOCK_BITS` rows (see
/// [`DealTable::owner_ranges`]): where looking a row's owner up starts.
fn block_owners(starts: &[u32], rows: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(rows.div_ceil(1 << BLOCK_BITS));
    let mut bucket = 0;
    for first in (0..rows).step_by(1 << BLOCK_BITS) {
        while starts[bucket + 1] as usize <= first {
            bucket += 1;
        }
        out.push(bucket as u32);
    }
    out
}

/// Rows per block of [`Moves`]: a 4-byte column's block, its places in the block and the block
/// sorted (6 MiB) fit in the third-level cache beside the other thread's.
const MOVE_BLOCK: usize = 1 << 19;

/// Places a task of the gather writes.
const GATHER: usize = 1 << 16;

/// The rows of a table stably sorted by owner ([`NO_OWNER`] last), as two levels of moves (see
/// the module): per row, its place among its block's rows sorted by owner; per block, where each
/// owner's run starts in it; where each owner's rows start once moved.
struct Moves {
    block: usize,
    /// Per row: its place among its block's rows sorted by owner.
    local: Vec<u32>,
    /// Where each owner's run starts among each block's sorted rows, owner by owner (entry
    /// `b * blocks + k` for owner `b`, block `k`, so that a gather reads an owner's runs side by
    /// side), then where each block's run of [`NO_OWNER`] rows ends (`reps + 2` owners).
    runs: Vec<u32>,
    blocks: usize,
    /// Where each owner's rows start once moved, the rows without an owner, and the row count
    /// (`reps + 2` entries).
    starts: Vec<u32>,
    /// The rows are in owner order already: nothing moves.
    sorted: bool,
}

impl Moves {
    /// The moves of rows owned by `owners` (roster indices below `reps`, or [`NO_OWNER`]), in
    /// blocks of `block` rows.
    fn new(owners: &[u32], reps: usize, block: usize) -> Moves {
        let bucket = |rep: u32| if rep == NO_OWNER { reps } else { rep as usize };
        // Per block: where each owner's run starts among its rows sorted by owner (one list, so
        // that it goes back to the system once turned owner by owner).
        let blocks = owners.len().div_ceil(block);
        let mut runs = vec![0u32; (reps + 2) * blocks];
        runs.par_chunks_mut(reps + 2)
            .zip(owners.par_chunks(block))
            .for_each(|(run, owners)| {
                for &rep in owners {
                    run[bucket(rep) + 1] += 1;
                }
                for b in 0..=reps {
                    run[b + 1] += run[b];
                }
            });
        let mut starts = vec![0u32; reps + 2];
        for run in runs.chunks(reps + 2) {
            for b in 0..=reps {
                starts[b + 1] += run[b + 1] - run[b];
            }
        }
        for b in 0..=reps {
            starts[b + 1] += starts[b];
        }
        let sorted = owners.par_windows(2).all(|w| bucket(w[0]) <= bucket(w[1]));
        // Owner by owner, the block's runs gone before the rows' places are made (the two are
        // not held at once beside them).
        let mut by_owner = vec![0u32; (reps + 2) * blocks];
        by_owner
            .par_chunks_mut(blocks.max(1))
            .enumerate()
            .for_each(|(b, row)| {
                for (k, r) in row.iter_mut().enumerate() {
                    *r = runs[k * (reps + 2) + b];
                }
            });
        drop(runs);
        let mut local = vec![0u32; owners.len()];
        local
            .par_chunks_mut(block)
            .zip(owners.par_chunks(block))
            .enumerate()
            .for_each(|(k, (local, owners))| {
                let mut next: Vec<u32> = (0..reps + 2).map(|b| by_owner[b * blocks + k]).collect();
                for (place, &rep) in local.iter_mut().zip(owners) {
                    let slot = &mut next[bucket(rep)];
                    *place = *slot;
                    *slot += 1;
                }
            });
        Moves {
            block,
            local,
            runs: by_owner,
            blocks,
            starts,
            sorted,
        }
    }

    /// `values` (one per row) moved to their places: each block sorted into `spare`, then
    /// gathered back. `spare` is made a column long when it is not; what it holds is overwritten
    /// (so the next column of the type reuses it rather than a fresh allocation).
    fn apply<T: Copy + Send + Sync>(&self, values: &mut [T], spare: &mut Vec<T>) {
        assert_eq!(
            values.len(),
            self.local.len(),
            "a column has a cell per row"
        );
        if spare.len() != values.len() {
            // Made on every core: a fresh column's pages are first touched here.
            *spare = Vec::new();
            spare.par_extend(values.par_iter().copied());
        }
        spare
            .par_chunks_mut(self.block)
            .zip(values.par_chunks(self.block))
            .zip(self.local.par_chunks(self.block))
            .for_each(|((sorted, values), local)| {
                for (&cell, &place) in values.iter().zip(local) {
                    sorted[place as usize] = cell;
                }
            });
        values
            .par_chunks_mut(GATHER)
            .enumerate()
            .for_each(|(i, out)| self.gather(spare, i * GATHER, out));
    }

    /// Each block of `values` sorted by owner in place, through a buffer of a block per thread:
    /// row `row`'s cell is `cell(its block's values, its place in the block, row)`.
    fn sort_blocks_by<T: Copy + Default + Send + Sync>(
        &self,
        values: &mut [T],
        cell: impl Fn(&[T], usize, usize) -> T + Sync,
    ) {
        values
            .par_chunks_mut(self.block)
            .zip(self.local.par_chunks(self.block))
            .enumerate()
            .for_each_init(Vec::new, |sorted, (k, (values, local))| {
                sorted.clear();
                sorted.resize(values.len(), T::default());
                for (i, &place) in local.iter().enumerate() {
                    sorted[place as usize] = cell(values, i, k * self.block + i);
                }
                values.copy_from_slice(sorted);
            });
    }

    /// The cells of places `first..first + out.len()` once moved, from `values` whose blocks are
    /// sorted by owner: each owner's runs in block order.
    fn gather<T: Copy>(&self, values: &[T], first: usize, out: &mut [T]) {
        if out.is_empty() {
            return;
        }
        // The owner whose rows hold the first place: the last to start at or before it (one
        // without rows starts where the next does).
        let mut b = self.starts.partition_point(|&s| s as usize <= first) - 1;
        let mut skip = first - self.starts[b] as usize;
        let mut at = 0;
        loop {
            let at_b = &self.runs[b * self.blocks..(b + 1) * self.blocks];
            let at_next = &self.runs[(b + 1) * self.blocks..(b + 2) * self.blocks];
            for (k, (&start, &end)) in at_b.iter().zip(at_next).enumerate() {
                let (start, end) = (start as usize, end as usize);
                if skip >= end - start {
                    skip -= end - start;
                    continue;
                }
                let from = k * self.block + start + skip;
                let n = (end - start - skip).min(out.len() - at);
                out[at..at + n].copy_from_slice(&values[from..from + n]);
                (at, skip) = (at + n, 0);
                if at == out.len() {
                    return;
                }
            }
            b += 1;
        }
    }

    /// Where row `row` goes.
    fn place(&self, row: usize) -> u32 {
        let (k, local) = (row / self.block, self.local[row]);
        let run = |b: usize| self.runs[b * self.blocks + k];
        // The owner whose run holds the row: the last to start at or before its place.
        let (mut lo, mut hi) = (0, self.starts.len());
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if run(mid) <= local {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let b = lo;
        let (at_b, at_next) = (b * self.blocks, (b + 1) * self.blocks);
        let before: u32 = (0..k)
            .map(|j| self.runs[at_next + j] - self.runs[at_b + j])
            .sum();
        self.starts[b] + before + (local - run(b))
    }
}

/// Whether the column's cells are bytes: its moves share one spare column with the other
/// byte-coded ones (a table has several: currency and text codes, amount scales); the other
/// columns' spares are made per column.
fn byte_coded(column: &DealColumn) -> bool {
    match &column.values {
        ColumnValues::Text { codes, .. } => matches!(codes, Codes::Byte(_)),
        ColumnValues::Decimal(d) => d.narrow.is_empty() && d.wide.is_empty(),
        ColumnValues::Date(_) => false,
    }
}

/// A column's cells moved to their places.
fn move_column(column: &mut DealColumn, moves: &Moves, spare_bytes: &mut Vec<u8>) {
    match &mut column.values {
        ColumnValues::Text { codes, .. } => match codes {
            Codes::Byte(v) => moves.apply(v, spare_bytes),
            Codes::Narrow(v) => moves.apply(v, &mut Vec::new()),
            Codes::Wide(v) => moves.apply(v, &mut Vec::new()),
        },
        ColumnValues::Decimal(d) => move_decimals(d, moves, spare_bytes),
        ColumnValues::Date(dates) => moves.apply(dates, &mut Vec::new()),
    }
}

fn move_decimals(d: &mut Decimals, moves: &Moves, spare_bytes: &mut Vec<u8>) {
    if !d.narrow.is_empty() {
        moves.apply(&mut d.narrow, &mut Vec::new());
    }
    if !d.wide.is_empty() {
        moves.apply(&mut d.wide, &mut Vec::new());
    }
    if !d.scale.is_empty() {
        moves.apply(&mut d.scale, spare_bytes);
    }
    if !d.big.is_empty() {
        let big = std::mem::take(&mut d.big);
        d.big = big
            .into_iter()
            .map(|(row, v)| (moves.place(row as usize), v))
            .collect::<BTreeMap<_, _>>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_placed_stably_by_owner() {
        // 9 rows of owners 2, 0, none, 1, 0, 2, none, 1, 0 (3 reps): by owner, in row order,
        // 0 → rows 1, 4, 8 (places 0-2); 1 → 3, 7 (3-4); 2 → 0, 5 (5-6); none → 2, 6 (7-8).
        let n = NO_OWNER;
        let owners = [2, 0, n, 1, 0, 2, n, 1, 0];
        // Blocks of 4 rows: [2, 0, n, 1] [0, 2, n, 1] [0] as much as one block of all 9.
        for block in [1, 2, 4, 9, 16] {
            let moves = Moves::new(&owners, 3, block);
            assert_eq!(moves.starts, vec![0, 3, 5, 7, 9], "block {block}");
            let mut cells = vec![10, 11, 12, 13, 14, 15, 16, 17, 18];
            moves.apply(&mut cells, &mut Vec::new());
            assert_eq!(
                cells,
                vec![11, 14, 18, 13, 17, 10, 15, 12, 16],
                "block {block}"
            );
            let places: Vec<u32> = (0..9).map(|row| moves.place(row)).collect();
            assert_eq!(places, vec![5, 0, 7, 3, 1, 6, 8, 4, 2], "block {block}");
            assert!(!moves.sorted);
        }
        assert!(Moves::new(&[0, 0, 1, 2, n], 3, 2).sorted);
    }

    /// The moves are a stable sort by owner whatever the block size and the gather's tasks:
    /// 10,000 rows of pseudo-random owners among 50 reps (every 13th without an owner, reps
    /// 40-49 with none), each row's cell its row number.
    #[test]
    fn moves_are_a_stable_sort_in_any_blocks() {
        let owners: Vec<u32> = (0..10_000u64)
            .map(|r| match r % 13 {
                0 => NO_OWNER,
                _ => ((r * 2_654_435_761) % 40) as u32,
            })
            .collect();
        let mut expected: Vec<u32> = (0..10_000).collect();
        expected.sort_by_key(|&row| owners[row as usize].min(50));
        for block in [1, 7, 64, 1000, 4096, 1 << 19] {
            let moves = Moves::new(&owners, 50, block);
            // Twice through one spare: what the first move left in it changes nothing.
            let mut spare = Vec::new();
            let mut rows: Vec<u32> = (0..10_000).collect();
            moves.apply(&mut rows, &mut spare);
            assert_eq!(rows, expected, "block {block}");
            let mut again: Vec<u32> = (0..10_000).collect();
            moves.apply(&mut again, &mut spare);
            assert_eq!(again, expected, "block {block}, the spare reused");
            for (place, &row) in rows.iter().enumerate().step_by(37) {
                assert_eq!(moves.place(row as usize) as usize, place, "block {block}");
            }
            // Any range of places gathered from the sorted blocks, owners without rows included.
            let mut sorted: Vec<u32> = (0..10_000).collect();
            moves.sort_blocks_by(&mut sorted, |cells, i, _| cells[i]);
            for (first, len) in [(0, 1), (1, 99), (769, 3000), (9_000, 1000), (9_999, 1)] {
                let mut out = vec![0; len];
                moves.gather(&sorted, first, &mut out);
                assert_eq!(
                    out,
                    expected[first..first + len],
                    "block {block} at {first}"
                );
            }
        }
    }

    /// Owners read from the ranges are the owners sorted, one by one or in runs, whatever the
    /// empty ranges (reps without deals) and blocks.
    #[test]
    fn owners_read_back_from_the_ranges() {
        let n = NO_OWNER;
        // 5,000 rows: rep (row mod 7) · 3 of 30 reps (reps not a multiple of 3 have no deals),
        // every 11th row without an owner.
        let owners: Vec<u32> = (0..5000u32)
            .map(|r| if r % 11 == 0 { n } else { r % 7 * 3 })
            .collect();
        for reps in [19, 30] {
            let mut table = DealTable {
                reps: owners.clone(),
                ..DealTable::default()
            };
            table.sort_by_owner(reps);
            let mut sorted = owners.clone();
            sorted.sort();
            assert_eq!(table.len(), 5000);
            assert_eq!(table.owners().collect::<Vec<_>>(), sorted);
            for row in (0..5000).step_by(7) {
                assert_eq!(table.owner(row), sorted[row], "{row}");
                let run: Vec<u32> = table.owners_of(row..5000.min(row + 1500)).collect();
                assert_eq!(run, sorted[row..5000.min(row + 1500)], "{row}");
            }
            table.list_owners();
            assert_eq!(table.owner(4999), n);
            assert_eq!(table.owner_list().into_owned(), sorted);
            // Released, the table has no rows left but keeps its columns.
            table.columns.push(crate::data::DealColumn {
                name: "stage".into(),
                header: "Stage".into(),
                ty: crate::data::ColumnType::Text,
                values: ColumnValues::Text {
                    dict: vec!["won".into()],
                    codes: Codes::Byte(vec![0; 5000]),
                },
            });
            table.release_rows();
            assert_eq!((table.len(), table.owners().count()), (0, 0));
            assert_eq!(table.columns[0].text_code("won"), Some(0));
        }
    }
}
