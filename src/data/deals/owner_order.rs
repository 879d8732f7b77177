//! The table's rows reordered by owner once it is read: each rep's deals are one contiguous range
//! of rows (in file order within it), the deals without an owner after the last rep's, so the
//! engine reads a rep's deals where they are instead of copying them into owner order.
//!
//! Invariants: the order is a stable sort by roster index ([`NO_OWNER`] last); every column, the
//! owners and the file row of each row move together; ids and lines stay in file order, reached
//! through the row's file row; the sort is the same whatever the thread count.

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
        let (mut starts, dest) = owner_destinations(&self.reps, reps);
        starts.push(dest.len() as u32);
        self.owner_blocks = block_owners(&starts, dest.len());
        self.owner_starts = starts;
        // From here on the owners are the ranges (see `owner`), not a list; the list's room
        // takes the rows' places in the file.
        let mut places = std::mem::take(&mut self.reps);
        if dest
            .par_iter()
            .enumerate()
            .all(|(row, &d)| d as usize == row)
        {
            return;
        }
        // Each column moved to its places (random writes, which cost less than random reads),
        // one after the other, with no more than one 4-byte column in flight besides the places:
        // first the places in the file (into the owners' list's room, then coded, see
        // `file_rows.rs`), then each column. (Moving the text codes on a second thread beside
        // the places, and the first wide column beside them, held one more column at the read's
        // peak, for about the same CPU. Moving each column on both threads, by gathering from
        // the sources or by each thread writing its own range of places, took more CPU and no
        // less time: the moves wait on memory, not on a core; staging a million rows at a time by
        // range of places to write each range at once took longer still.)
        let earlier = std::mem::take(&mut self.file_rows);
        for (row, &d) in dest.iter().enumerate() {
            places[d as usize] = earlier.get(row) as u32;
        }
        self.file_rows = FileRows::code(&places);
        drop(places);
        for column in &mut self.columns {
            scatter_column(column, &dest);
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

/// Rows of `reps` reps' owners stably sorted by owner ([`NO_OWNER`] last): where each owner's rows
/// start (`reps + 1` entries), and the place of each row. A parallel counting sort: chunks count
/// their owners, the counts become disjoint ranges per (chunk, owner), each chunk places its rows.
fn owner_destinations(owners: &[u32], reps: usize) -> (Vec<u32>, Vec<u32>) {
    let bucket = |rep: u32| if rep == NO_OWNER { reps } else { rep as usize };
    let chunk = owners
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 2)
        .max(1 << 16);
    let counts: Vec<Vec<u32>> = owners
        .par_chunks(chunk)
        .map(|owners| {
            let mut n = vec![0u32; reps + 1];
            for &rep in owners {
                n[bucket(rep)] += 1;
            }
            n
        })
        .collect();
    let mut starts = vec![0u32; reps + 1];
    let mut next = vec![vec![0u32; reps + 1]; counts.len()];
    let mut at = 0u32;
    for b in 0..=reps {
        starts[b] = at;
        for (c, n) in counts.iter().enumerate() {
            next[c][b] = at;
            at += n[b];
        }
    }
    let mut dest = vec![0u32; owners.len()];
    dest.par_chunks_mut(chunk)
        .zip(owners.par_chunks(chunk))
        .zip(next)
        .for_each(|((dest, owners), mut next)| {
            for (d, &rep) in dest.iter_mut().zip(owners) {
                let slot = &mut next[bucket(rep)];
                *d = *slot;
                *slot += 1;
            }
        });
    (starts, dest)
}

/// A column's cells moved to their places.
fn scatter_column(column: &mut DealColumn, dest: &[u32]) {
    match &mut column.values {
        ColumnValues::Text { codes, .. } => scatter_codes(codes, dest),
        ColumnValues::Decimal(d) => scatter_decimals(d, dest),
        ColumnValues::Date(dates) => *dates = scatter(dates, dest),
    }
}

/// `values` moved to their places: `out[dest[row]] = values[row]`.
fn scatter<T: Copy + Default>(values: &[T], dest: &[u32]) -> Vec<T> {
    scatter_with(values.len(), dest, |row| values[row])
}

fn scatter_with<T: Copy + Default>(
    rows: usize,
    dest: &[u32],
    value: impl Fn(usize) -> T,
) -> Vec<T> {
    let mut out = vec![T::default(); rows];
    for (row, &d) in dest.iter().enumerate().take(rows) {
        out[d as usize] = value(row);
    }
    out
}

fn scatter_codes(codes: &mut Codes, dest: &[u32]) {
    match codes {
        Codes::Byte(v) => *v = scatter(v, dest),
        Codes::Narrow(v) => *v = scatter(v, dest),
        Codes::Wide(v) => *v = scatter(v, dest),
    }
}

fn scatter_decimals(d: &mut Decimals, dest: &[u32]) {
    if !d.narrow.is_empty() {
        d.narrow = scatter(&d.narrow, dest);
    }
    if !d.wide.is_empty() {
        d.wide = scatter(&d.wide, dest);
    }
    if !d.scale.is_empty() {
        d.scale = scatter(&d.scale, dest);
    }
    if !d.big.is_empty() {
        let big = std::mem::take(&mut d.big);
        d.big = big
            .into_iter()
            .map(|(row, v)| (dest[row as usize], v))
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
        let (starts, dest) = owner_destinations(&owners, 3);
        assert_eq!(starts, vec![0, 3, 5, 7]);
        assert_eq!(dest, vec![5, 0, 7, 3, 1, 6, 8, 4, 2]);
        let placed = scatter(&[10, 11, 12, 13, 14, 15, 16, 17, 18], &dest);
        assert_eq!(placed, vec![11, 14, 18, 13, 17, 10, 15, 12, 16]);
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
