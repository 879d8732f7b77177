//! Where the commas and newlines of a quote-free CSV piece are, found eight bytes at a time.
//!
//! A deals row is about 70 bytes with a delimiter every 8 or so; asking memchr for each one pays its
//! set-up per hit. Here each 8-byte word becomes a bit mask of its delimiter bytes (a byte test
//! without carries between bytes, so the mask is exact), and the positions are read off the mask.
//!
//! Invariant: yields exactly the positions `memchr::memchr2_iter(b',', b'\n', bytes)` yields, in
//! increasing order, each with whether it is a newline (a unit test compares the two on many
//! inputs).

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that equals `byte`, and no other bit.
#[inline(always)]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * byte as u64);
    // A byte of `x` is zero exactly where `word` has `byte`. `(x & 0x7f) + 0x7f` has its high bit
    // set when the low seven bits are not all zero, and cannot carry into the next byte; or-ing `x`
    // adds the byte's own high bit. What is left clear is a zero byte.
    !(((x & LOW7) + LOW7) | x) & HIGH
}

/// The positions of `,` and `\n` in a byte string, in increasing order, each with `true` for a
/// newline.
pub(crate) struct Delimiters<'a> {
    bytes: &'a [u8],
    /// Where the word of `mask` starts.
    at: usize,
    /// High bits of the delimiter bytes of the current word not yet yielded.
    mask: u64,
    /// High bits of the newlines of the current word.
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
        d.load(0);
        d
    }

    /// The delimiter masks of the word at `at` (the last word padded with zero bytes).
    #[inline(always)]
    fn load(&mut self, at: usize) {
        let word = match self.bytes.get(at..at + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().unwrap()),
            None => {
                let mut tail = [0u8; 8];
                let rest = self.bytes.get(at..).unwrap_or(&[]);
                tail[..rest.len()].copy_from_slice(rest);
                u64::from_le_bytes(tail)
            }
        };
        self.newlines = bytes_equal(word, b'\n');
        self.mask = bytes_equal(word, b',') | self.newlines;
    }
}

impl Iterator for Delimiters<'_> {
    type Item = (usize, bool);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, bool)> {
        while self.mask == 0 {
            self.at += 8;
            if self.at >= self.bytes.len() {
                return None;
            }
            self.load(self.at);
        }
        let bit = self.mask & self.mask.wrapping_neg();
        self.mask ^= bit;
        let pos = self.at + (bit.trailing_zeros() / 8) as usize;
        Some((pos, self.newlines & bit != 0))
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
        for cut in 0..row.len() {
            let bytes = &row[..cut];
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
                prop_oneof![Just(b','), Just(b'\n'), any::<u8>()], 0..200)
        ) {
            prop_assert_eq!(Delimiters::new(&bytes).collect::<Vec<_>>(), memchr_positions(&bytes));
        }
    }
}
