//! Where the commas and newlines of a quote-free CSV piece are, found 64 bytes at a time.
//!
//! A deals row is about 70 bytes with a delimiter every 8 or so; asking memchr for each one pays its
//! set-up per hit. Here each 64-byte block becomes two bit masks (delimiters, and newlines among
//! them), one bit per byte, and the positions are read off the masks: with SSE2 byte compares on
//! x86-64 (through `safe_arch`, no unsafe code here), elsewhere with a byte test on 8-byte words
//! that cannot carry between bytes.
//!
//! Invariant: yields exactly the positions `memchr::memchr2_iter(b',', b'\n', bytes)` yields, in
//! increasing order, each with whether it is a newline (unit tests compare the two on many inputs,
//! and the word test with the SSE2 one).

/// Bytes per block: one bit of a `u64` each.
const BLOCK: usize = 64;

/// The masks of one block: bit `i` set where byte `i` is a delimiter, and where it is a newline.
#[inline(always)]
fn block_masks(block: &[u8; BLOCK]) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        sse2::block_masks(block)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        words::block_masks(block)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };

    #[inline(always)]
    pub fn block_masks(block: &[u8; super::BLOCK]) -> (u64, u64) {
        let (comma, newline) = (
            set_splat_i8_m128i(b',' as i8),
            set_splat_i8_m128i(b'\n' as i8),
        );
        let (mut delimiters, mut newlines) = (0u64, 0u64);
        for (i, lane) in block.chunks_exact(16).enumerate() {
            let v = load_unaligned_m128i(lane.try_into().unwrap());
            let n = cmp_eq_mask_i8_m128i(v, newline);
            let d = bitor_m128i(cmp_eq_mask_i8_m128i(v, comma), n);
            // movemask gives 16 bits; as u16 first, so the sign does not spread.
            delimiters |= (move_mask_i8_m128i(d) as u16 as u64) << (16 * i);
            newlines |= (move_mask_i8_m128i(n) as u16 as u64) << (16 * i);
        }
        (delimiters, newlines)
    }
}

/// The portable path (and the SSE2 path's reference in tests).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
mod words {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;

    /// The high bit of each byte of `word` that equals `byte`, and no other bit.
    #[inline(always)]
    fn bytes_equal(word: u64, byte: u8) -> u64 {
        let x = word ^ (ONES * byte as u64);
        // A byte of `x` is zero exactly where `word` has `byte`. `(x & 0x7f) + 0x7f` has its high
        // bit set when the low seven bits are not all zero, and cannot carry into the next byte;
        // or-ing `x` adds the byte's own high bit. What is left clear is a zero byte.
        !(((x & LOW7) + LOW7) | x) & HIGH
    }

    /// The 8 high bits of a word's bytes gathered into its low byte (bit `i` from byte `i`).
    #[inline(always)]
    fn gather(high_bits: u64) -> u64 {
        // Each high bit, moved to bit 0 of its byte, is multiplied into place in the top byte; no
        // two partial products meet in one bit, so nothing carries.
        ((high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
    }

    #[inline(always)]
    pub fn block_masks(block: &[u8; super::BLOCK]) -> (u64, u64) {
        let (mut delimiters, mut newlines) = (0u64, 0u64);
        for (i, word) in block.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(word.try_into().unwrap());
            let n = bytes_equal(word, b'\n');
            delimiters |= gather(bytes_equal(word, b',') | n) << (8 * i);
            newlines |= gather(n) << (8 * i);
        }
        (delimiters, newlines)
    }
}

/// The positions of `,` and `\n` in a byte string, in increasing order, each with `true` for a
/// newline.
pub(crate) struct Delimiters<'a> {
    bytes: &'a [u8],
    /// Where the block of the masks starts.
    at: usize,
    /// Delimiters of the current block not yet yielded.
    mask: u64,
    /// Newlines of the current block.
    newlines: u64,
}

impl<'a> Delimiters<'a> {
    pub fn new(bytes: &'a [u8]) -> Delimiters<'a> {
        let mut d = Delimiters {
            bytes,
            at: 0,
            mask: 0,
            newlines: 0,
        };
        d.load();
        d
    }

    /// The masks of the block at `self.at` (the last block padded with zero bytes).
    #[inline(always)]
    fn load(&mut self) {
        let (mask, newlines) = match self.bytes.get(self.at..self.at + BLOCK) {
            Some(block) => block_masks(block.try_into().unwrap()),
            None => {
                let mut tail = [0u8; BLOCK];
                let rest = self.bytes.get(self.at..).unwrap_or(&[]);
                tail[..rest.len()].copy_from_slice(rest);
                block_masks(&tail)
            }
        };
        self.mask = mask;
        self.newlines = newlines;
    }
}

impl Iterator for Delimiters<'_> {
    type Item = (usize, bool);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, bool)> {
        while self.mask == 0 {
            self.at += BLOCK;
            if self.at >= self.bytes.len() {
                return None;
            }
            self.load();
        }
        let bit = self.mask.trailing_zeros();
        self.mask &= self.mask - 1;
        Some((self.at + bit as usize, (self.newlines >> bit) & 1 == 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn memchr_positions(bytes: &[u8]) -> Vec<(usize, bool)> {
        memchr::memchr2_iter(b',', b'\n', bytes)
            .map(|p| (p, bytes[p] == b'\n'))
            .collect()
    }

    #[test]
    fn finds_what_memchr_finds() {
        let row = b"D000000000,R014944,8524.81,USD,2026-10-17,closed_won,Cloud,upsell\n";
        let rows = row.repeat(3);
        for cut in 0..rows.len() {
            let bytes = &rows[..cut];
            assert_eq!(
                Delimiters::new(bytes).collect::<Vec<_>>(),
                memchr_positions(bytes)
            );
        }
        // Bytes one off a delimiter (`+`, `-`, `\t`, `\x0b`), high bytes, and delimiters in every
        // position of a word and at the end.
        let tricky = "+,-\t\n\x0b,,é\u{80},\n\n,ÿ\n,";
        assert_eq!(
            Delimiters::new(tricky.as_bytes()).collect::<Vec<_>>(),
            memchr_positions(tricky.as_bytes())
        );
        assert_eq!(Delimiters::new(b"").next(), None);
    }

    proptest! {
        #[test]
        fn finds_what_memchr_finds_in_any_bytes(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'\n'), any::<u8>()], 0..300)
        ) {
            prop_assert_eq!(Delimiters::new(&bytes).collect::<Vec<_>>(), memchr_positions(&bytes));
        }

        /// The portable word test gives the masks the block test in use gives.
        #[test]
        fn word_masks_equal_the_block_masks(
            bytes in proptest::array::uniform32(prop_oneof![Just(b','), Just(b'\n'), any::<u8>()]),
            more in proptest::array::uniform32(prop_oneof![Just(b','), Just(b'\n'), any::<u8>()]),
        ) {
            let mut block = [0u8; BLOCK];
            block[..32].copy_from_slice(&bytes);
            block[32..].copy_from_slice(&more);
            prop_assert_eq!(words::block_masks(&block), block_masks(&block));
            let expected = block.iter().enumerate().fold((0u64, 0u64), |(d, n), (i, &b)| {
                (d | ((b == b',' || b == b'\n') as u64) << i, n | ((b == b'\n') as u64) << i)
            });
            prop_assert_eq!(block_masks(&block), expected);
        }
    }
}
