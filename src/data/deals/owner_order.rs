//! The table's rows reordered by owner once it is read: each rep's deals are one contiguous range
//! of rows (in file order within it), the deals without an owner after the last rep's, so the
//! engine reads a rep's deals where they are instead of copying them into owner order.
//!
//! Invariants: the order is a stable sort by roster index ([`NO_OWNER`] last); every column, the
//! owners and the file row of each row move together; ids and lines stay in file order, reached
//! through the row's file row; the sort is the same whatever the thread count.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::table::{Codes, ColumnValues, DealTable, Decimals, NO_OWNER};

impl DealTable {
    /// Reorder the rows by owner (see the module), for a roster of `reps` reps. Nothing moves when
    /// the rows are in that order already.
    pub(super) fn sort_by_owner(&mut self, reps: usize) {
        let highest = self.reps.par_iter().filter(|&&r| r != NO_OWNER).max();
        let reps = highest.map_or(reps, |&r| reps.max(r as usize + 1));
        let (starts, dest) = owner_destinations(&self.reps, reps);
        self.owner_starts = starts;
        if dest
            .par_iter()
            .enumerate()
            .all(|(row, &d)| d as usize == row)
        {
            return;
        }
        // The owners are rebuilt from the ranges: not moved, and not held while the columns move.
        self.reps = Vec::new();
        self.file_rows = if self.file_rows.is_empty() {
            scatter_with(dest.len(), &dest, |row| row as u32)
        } else {
            scatter(&self.file_rows, &dest)
        };
        for column in &mut self.columns {
            match &mut column.values {
                ColumnValues::Text { codes, .. } => scatter_codes(codes, &dest),
                ColumnValues::Decimal(d) => scatter_decimals(d, &dest),
                ColumnValues::Date(dates) => *dates = scatter(dates, &dest),
            }
        }
        drop(dest);
        self.reps = owners_of_ranges(&self.owner_starts, self.file_rows.len());
    }

    /// Where each rep's rows start when the rows are in owner order (see the module): rep `r`'s
    /// rows are `starts[r]..starts[r + 1]`, and rows from `starts[reps]` on have no owner. `None`
    /// when the rows are not in that order (a row was added after the sort).
    pub fn owner_ranges(&self) -> Option<&[u32]> {
        (!self.owner_starts.is_empty()).then_some(&self.owner_starts[..])
    }
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

/// The owner of each of `rows` rows from the owners' ranges ([`NO_OWNER`] past the last).
fn owners_of_ranges(starts: &[u32], rows: usize) -> Vec<u32> {
    let mut owners = vec![NO_OWNER; rows];
    for (rep, range) in starts.windows(2).enumerate() {
        owners[range[0] as usize..range[1] as usize].fill(rep as u32);
    }
    owners
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
        assert_eq!(
            owners_of_ranges(&starts, 9),
            vec![0, 0, 0, 1, 1, 2, 2, n, n]
        );
    }
}
