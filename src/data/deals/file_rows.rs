//! Each row's place among the rows loaded in file order, once the rows are in owner order (see
//! `owner_order.rs`): ids and lines stay in file order and are reached through it.
//!
//! Within a rep's range of rows the places increase (the sort is stable), so a block of
//! [`BLOCK`] consecutive rows spans a small part of the file: each block keeps its smallest place
//! and every row's offset from it in as many bits as the block's largest offset needs (about 21
//! bits a row for 20,000 reps and 10M deals, against 32 for a plain list). A row's place is read
//! with one block lookup and one two-word load.
//!
//! Invariant: [`FileRows::get`] gives back the places the list was made from, row by row; no list
//! (`Identity`) means the rows are in file order.

/// Rows per block.
const BLOCK: usize = 64;

/// One block of places: the smallest, where its offsets start (in 64-bit words) and their width.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block {
    base: u32,
    word: u32,
    width: u32,
}

#[derive(Debug, Default)]
pub(super) enum FileRows {
    /// The rows are in file order.
    #[default]
    Identity,
    /// One place per row, as it is (after a row was added once the rows were coded).
    Plain(Vec<u32>),
    /// The places coded by blocks (see the module).
    Coded {
        blocks: Vec<Block>,
        /// The offsets, back to back, and two spare words (so a two-word load never runs past,
        /// even from the end of a last block of zero width).
        bits: Vec<u64>,
    },
}

impl FileRows {
    /// The places `places` coded by blocks (in parallel, block by block).
    #[cfg(test)]
    pub(super) fn code(places: &[u32]) -> FileRows {
        FileRows::code_with(places.len(), |first, out| {
            out.copy_from_slice(&places[first..first + out.len()]);
        })
    }

    /// The places of `rows` rows coded by blocks, `fill(first, out)` writing the places of rows
    /// `first..first + out.len()` into `out` (twice each: once to size the blocks, once to code
    /// them), a run of blocks at a time in parallel: the places need not be held all at once.
    pub(super) fn code_with(rows: usize, fill: impl Fn(usize, &mut [u32]) + Sync) -> FileRows {
        use rayon::prelude::*;
        const RUN: usize = BLOCK << 10;
        let runs = rows.div_ceil(RUN);
        let run = |i: usize| i * RUN..rows.min((i + 1) * RUN);
        let widths: Vec<(u32, u32)> = (0..runs)
            .into_par_iter()
            .map_init(Vec::new, |places, i| {
                places.resize(run(i).len(), 0);
                fill(run(i).start, places);
                places
                    .chunks(BLOCK)
                    .map(|chunk| {
                        let (lo, hi) = chunk
                            .iter()
                            .fold((u32::MAX, 0), |(lo, hi), &p| (lo.min(p), hi.max(p)));
                        (lo, 32 - (hi - lo).leading_zeros())
                    })
                    .collect::<Vec<_>>()
            })
            .flatten_iter()
            .collect();
        let mut blocks = Vec::with_capacity(widths.len());
        let mut word = 0u64;
        for (i, &(base, width)) in widths.iter().enumerate() {
            blocks.push(Block {
                base,
                word: word as u32,
                width,
            });
            let len = BLOCK.min(rows - i * BLOCK);
            word += (len as u64 * width as u64).div_ceil(64);
        }
        let mut bits = vec![0u64; word as usize + 2];
        // Each run's words are its own: coded in parallel.
        let mut rest: &mut [u64] = &mut bits;
        let mut parts = Vec::with_capacity(runs);
        for i in 0..runs {
            let (first, end) = (run(i).start / BLOCK, run(i).end.div_ceil(BLOCK));
            let words = match blocks.get(end) {
                Some(next) => next.word - blocks[first].word,
                None => word as u32 - blocks[first].word,
            };
            let (mine, after) = std::mem::take(&mut rest).split_at_mut(words as usize);
            rest = after;
            parts.push((i, mine));
        }
        parts
            .into_par_iter()
            .for_each_init(Vec::new, |places, (i, words)| {
                places.resize(run(i).len(), 0);
                fill(run(i).start, places);
                let first = run(i).start / BLOCK;
                let start = blocks[first].word as usize;
                for (b, chunk) in places.chunks(BLOCK).enumerate() {
                    let Block { base, word, width } = blocks[first + b];
                    if width == 0 {
                        continue;
                    }
                    let words = &mut words[word as usize - start..];
                    for (i, &p) in chunk.iter().enumerate() {
                        let (bit, offset) = (i * width as usize, (p - base) as u64);
                        words[bit / 64] |= offset << (bit % 64);
                        if bit % 64 + width as usize > 64 {
                            words[bit / 64 + 1] |= offset >> (64 - bit % 64);
                        }
                    }
                }
            });
        FileRows::Coded { blocks, bits }
    }

    /// The place of row `row` (`row` itself when the rows are in file order).
    #[inline]
    pub(super) fn get(&self, row: usize) -> usize {
        match self {
            FileRows::Identity => row,
            FileRows::Plain(places) => places[row] as usize,
            FileRows::Coded { blocks, bits, .. } => {
                let Block { base, word, width } = blocks[row / BLOCK];
                let bit = (row % BLOCK) * width as usize;
                let at = word as usize + bit / 64;
                let pair = bits[at] as u128 | (bits[at + 1] as u128) << 64;
                let offset = (pair >> (bit % 64)) as u64 & ((1u64 << width) - 1);
                base as usize + offset as usize
            }
        }
    }

    /// Whether the rows are in file order.
    pub(super) fn is_identity(&self) -> bool {
        matches!(self, FileRows::Identity)
    }

    /// One place per row, as a list (`rows` rows).
    pub(super) fn to_list(&self, rows: usize) -> Vec<u32> {
        (0..rows).map(|row| self.get(row) as u32).collect()
    }

    /// Add the place of a row added after the others (`rows` rows before it).
    pub(super) fn push(&mut self, rows: usize, place: u32) {
        if self.is_identity() {
            return;
        }
        if let FileRows::Coded { .. } = self {
            *self = FileRows::Plain(self.to_list(rows));
        }
        if let FileRows::Plain(places) = self {
            places.push(place);
        }
    }

    /// The bytes held.
    #[cfg(test)]
    pub(super) fn size(&self) -> usize {
        match self {
            FileRows::Identity => 0,
            FileRows::Plain(places) => places.len() * 4,
            FileRows::Coded { blocks, bits, .. } => blocks.len() * 12 + bits.len() * 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Places read back as coded: runs increasing with small and large steps, a block of one
    /// place, places up to `u32::MAX`, any length around the block size.
    #[test]
    fn places_read_back_as_coded() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in [0, 1, 63, 64, 65, 200, 5000] {
            for step in [1u64, 3, 20_000, 1 << 24] {
                // Increasing runs (one rep's rows) of 1 to 700 places, each starting anywhere.
                let mut places = Vec::with_capacity(len);
                while places.len() < len {
                    let run = 1 + next() % 700;
                    let mut p = (next() % (1 << 20)) as u32;
                    for _ in 0..run.min((len - places.len()) as u64) {
                        places.push(p);
                        p = p.saturating_add((1 + next() % step) as u32);
                    }
                }
                if len == 200 {
                    places[70] = u32::MAX;
                    places[71] = 0;
                }
                let coded = FileRows::code(&places);
                let back: Vec<u32> = (0..len).map(|r| coded.get(r) as u32).collect();
                assert_eq!(back, places, "{len} {step}");
                let mut plain = FileRows::code(&places);
                plain.push(len, 7);
                assert_eq!(plain.to_list(len + 1)[len], 7);
                assert_eq!(&plain.to_list(len + 1)[..len], &places[..]);
            }
        }
        // 20,000 reps' increasing places among 1M rows: about 21 bits a row, not 32.
        let rows = 1 << 20;
        let mut by_rep: Vec<Vec<u32>> = vec![Vec::new(); 20_000];
        for row in 0..rows {
            by_rep[(next() % 20_000) as usize].push(row as u32);
        }
        let places: Vec<u32> = by_rep.concat();
        let coded = FileRows::code(&places);
        assert!(coded.size() < rows * 3, "{} bytes", coded.size());
        assert!((0..rows).all(|r| coded.get(r) as u32 == places[r]));
    }
}
