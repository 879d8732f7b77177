//! A text column's dictionary while a piece of the file is parsed: each value gets the code of
//! its first occurrence in the piece (the table maps piece codes to its own when appending).
//!
//! Invariant: `codes[i]` indexes `dict`, and `dict` holds each value once, in order of first
//! occurrence.

use compact_str::CompactString;
use rustc_hash::FxHashMap;

/// A text column's dictionary in a piece: values of up to 15 bytes are looked up by their bytes
/// packed in a u128 (a short scan while the dictionary is small, a hash map after), longer ones by
/// their text.
#[derive(Default)]
pub(super) struct Interner {
    pub(super) dict: Vec<CompactString>,
    /// The packed key of each dictionary entry (`u128::MAX` for a long one).
    pub(super) keys: Vec<u128>,
    pub(super) short: FxHashMap<u128, u32>,
    pub(super) long: FxHashMap<CompactString, u32>,
    pub(super) codes: Vec<u32>,
    /// The codes of recent values by their [`loaded_key`], one slot per hash (empty until used).
    pub(super) recent: Vec<(u128, u32)>,
}

/// Slots of [`Interner::recent`].
const RECENT: usize = 64;

/// The slot of [`Interner::recent`] for a key.
#[inline(always)]
fn recent_slot(key: u128) -> usize {
    let hash = ((key as u64) ^ (key >> 64) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (hash >> (64 - RECENT.trailing_zeros())) as usize
}

/// How many dictionary entries are scanned before the hash map is asked.
pub(super) const SCAN: usize = 8;

impl Interner {
    /// No values, no codes; the room of its lists kept.
    pub(super) fn clear(&mut self) {
        self.dict.clear();
        self.keys.clear();
        self.short.clear();
        self.long.clear();
        self.codes.clear();
        self.recent.fill((u128::MAX, 0));
    }

    /// Push the code of the value whose [`loaded_key`] is `key` when it was seen recently (one
    /// hash and one compare: the usual case); `false` (nothing pushed) when not.
    #[inline(always)]
    pub(super) fn push_recent(&mut self, key: u128) -> bool {
        let Some(&(recent, code)) = self.recent.get(recent_slot(key)) else {
            return false;
        };
        if recent == key {
            self.codes.push(code);
        }
        recent == key
    }

    /// [`Self::push`] of the value `v` whose [`loaded_key`] is `key`: the code of a value seen
    /// recently is found with one hash and one compare (the usual case: a column of a few values,
    /// in any order), the others as `push` finds them.
    #[inline]
    pub(super) fn push_loaded(&mut self, v: &str, key: u128) {
        if self.recent.is_empty() {
            self.recent = vec![(u128::MAX, 0); RECENT];
        }
        let slot = recent_slot(key);
        if self.recent[slot].0 == key {
            self.codes.push(self.recent[slot].1);
            return;
        }
        self.push(v);
        if let Some(&code) = self.codes.last() {
            self.recent[slot] = (key, code);
        }
    }

    #[inline]
    pub(super) fn push(&mut self, v: &str) {
        let code = match pack(v) {
            Some(key) => {
                let found = if self.keys.len() <= SCAN {
                    self.keys.iter().position(|&k| k == key).map(|i| i as u32)
                } else {
                    self.short.get(&key).copied()
                };
                match found {
                    Some(c) => c,
                    None => {
                        let c = self.dict.len() as u32;
                        self.dict.push(CompactString::new(v));
                        self.keys.push(key);
                        self.short.insert(key, c);
                        c
                    }
                }
            }
            None => match self.long.get(v) {
                Some(&c) => c,
                None => {
                    let c = self.dict.len() as u32;
                    self.dict.push(CompactString::new(v));
                    self.keys.push(u128::MAX);
                    self.long.insert(CompactString::new(v), c);
                    c
                }
            },
        };
        self.codes.push(code);
    }
}

/// The text `bytes[at..at + len]` of up to 15 bytes as one number (its bytes, the length in the
/// top byte: no two texts share a key, and no key is `u128::MAX`), read with one 16-byte load;
/// `None` when it is longer or fewer than 16 bytes follow `at`.
#[inline]
pub(super) fn loaded_key(bytes: &[u8], at: usize, len: usize) -> Option<u128> {
    let word: [u8; 16] = bytes.get(at..at.checked_add(16)?)?.try_into().ok()?;
    let mask = *MASKS.get(len)?;
    Some(u128::from_le_bytes(word) & mask | (len as u128) << 120)
}

/// `MASKS[n]`: the low `n` bytes of a u128 set (a table: no 128-bit shift on the hot path).
static MASKS: [u128; 16] = {
    let mut masks = [0u128; 16];
    let mut n = 1;
    while n < 16 {
        masks[n] = (1u128 << (n * 8)) - 1;
        n += 1;
    }
    masks
};

/// A text of up to 15 bytes as one number: its bytes, with the length in the top byte (so no two
/// texts share a key, and no key is `u128::MAX`). Read with whole-word loads (no byte-wise copy to
/// the stack, which would stall the load that reads it back).
#[inline]
pub(crate) fn pack(v: &str) -> Option<u128> {
    pack_bytes(v.as_bytes())
}

/// [`pack`] of a text's bytes.
#[inline]
pub(crate) fn pack_bytes(b: &[u8]) -> Option<u128> {
    let n = b.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let half = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64;
    let (lo, hi) = match n {
        16.. => return None,
        // bytes 8..n are the top n - 8 bytes of the word that ends the text
        9.. => (word(0), word(n - 8) >> ((16 - n) * 8)),
        8 => (word(0), 0),
        // bytes 4..n are the top n - 4 bytes of the half word that ends the text
        4.. => (half(0) | ((half(n - 4) >> ((8 - n) * 8)) << 32), 0),
        // 1 to 3 bytes: the first, middle and last byte tell them apart
        1.. => (
            b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16,
            0,
        ),
        0 => (0, 0),
    };
    Some(lo as u128 | (hi as u128) << 64 | (n as u128) << 120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_keys_tell_texts_apart() {
        let mut texts: Vec<String> = vec![String::new()];
        for len in 1..=3 {
            let mut next = Vec::new();
            for t in texts.iter().filter(|t| t.len() == len - 1) {
                for c in ["a", "b", "\0"] {
                    next.push(format!("{t}{c}"));
                }
            }
            texts.extend(next);
        }
        for len in 4..=16 {
            for fill in ["a", "b", "\0"] {
                for at in 0..len {
                    let mut t: Vec<u8> = fill.repeat(len).into_bytes();
                    t[at] = b'z';
                    texts.push(String::from_utf8(t).unwrap());
                }
            }
        }
        let mut seen = std::collections::HashMap::new();
        for t in &texts {
            match pack(t) {
                Some(key) => {
                    assert!(t.len() <= 15 && key != u128::MAX);
                    if let Some(other) = seen.insert(key, t.clone()) {
                        assert_eq!(&other, t);
                    }
                }
                None => assert!(t.len() > 15),
            }
        }
    }

    /// Values interned through the cache of recent values get the codes a plain push gives,
    /// whatever the order, collisions in the cache, lengths around 16 bytes, or a clear between.
    #[test]
    fn recent_values_get_the_codes_of_a_plain_push() {
        let values: Vec<String> = (0..150)
            .map(|i| match i % 5 {
                0 => String::new(),
                1 => format!("v{i}"),
                2 => "x".repeat(i % 20),
                3 => format!("closed_{}", i % 7),
                _ => format!("é{}", i % 11),
            })
            .collect();
        // The values back to back, 16 spare bytes after the last so every short one has a key.
        let mut arena = String::new();
        let mut at = Vec::new();
        for v in &values {
            at.push(arena.len());
            arena.push_str(v);
        }
        arena.push_str(&" ".repeat(16));
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let (mut cached, mut plain) = (Interner::default(), Interner::default());
        for round in 0..3 {
            for _ in 0..2000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed % values.len() as u64) as usize;
                let v = &values[i];
                match loaded_key(arena.as_bytes(), at[i], v.len()) {
                    Some(key) => cached.push_loaded(v, key),
                    None => cached.push(v),
                }
                plain.push(v);
            }
            assert_eq!(cached.codes, plain.codes, "round {round}");
            assert_eq!(cached.dict, plain.dict, "round {round}");
            cached.clear();
            plain.clear();
        }
        // A key is the text and its length, not the bytes that follow it.
        let key = |text: &str, len| loaded_key(text.as_bytes(), 0, len);
        assert_eq!(key("ab,cdefghijklmnopq", 2), key("ab;xyzxyzxyzxyzxyz", 2));
        assert_ne!(key("ab\0cdefghijklmnop", 2), key("ab\0cdefghijklmnop", 3));
        assert_eq!(key("abc", 1), None);
        assert_eq!(key("abcdefghijklmnopq", 16), None);
    }
}
