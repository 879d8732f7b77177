//! Deal ids front-coded: each id as the length of the prefix it shares with the id before and the
//! bytes after it. Ids of a file sorted by id share most of their bytes with their neighbours
//! (`D000000041` after `D000000040`: one new byte), so a run that never prints an id holds about
//! two bytes per deal instead of the whole id; the ids are decoded, all at once, the first time one
//! is asked for (statements, `explain`, diagnostics).
//!
//! Invariant: [`FrontCoded::decode`] gives back the ids encoded, in order, byte for byte.

/// A header byte holding (shared, suffix) lengths both below 16, but (15, 15): the usual case.
/// Otherwise the header is [`WIDE`] followed by the two lengths as bytes.
const WIDE: u8 = u8::MAX;

/// Ids per run encoded in parallel (a run's first id is whole).
const RUN: usize = 1 << 16;

/// Ids front-coded, each after the one before (`None` when one is longer than 255 bytes).
pub(super) fn encode_run<'a>(ids: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    encode(ids, false)
}

/// [`encode_run`] of ids that each order after the one before; `None` when one does not.
pub(super) fn encode_ascending<'a>(ids: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    encode(ids, true)
}

fn encode<'a>(ids: impl Iterator<Item = &'a [u8]>, ascending: bool) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut previous: Option<&[u8]> = None;
    for id in ids {
        let n = u8::try_from(id.len()).ok()?;
        let before = previous.unwrap_or(b"");
        let shared = common_prefix(before, id);
        // `id` orders after `before` when it goes on where `before` ends, or its first byte
        // that differs is greater.
        let after = shared < id.len() && (shared == before.len() || id[shared] > before[shared]);
        if ascending && previous.is_some() && !after {
            return None;
        }
        let shared = shared as u8;
        let suffix = n - shared;
        if shared < 16 && suffix < 16 && (shared, suffix) != (15, 15) {
            bytes.push(shared << 4 | suffix);
        } else {
            bytes.extend_from_slice(&[WIDE, shared, suffix]);
        }
        bytes.extend_from_slice(&id[shared as usize..]);
        previous = Some(id);
    }
    Some(bytes)
}

/// How many leading bytes `a` and `b` share, compared 8 bytes at a time.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let mut i = 0;
    while i + 8 <= n {
        let differ = word(a, i) ^ word(b, i);
        if differ != 0 {
            return i + (differ.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Ids in order, front-coded (see the module).
#[derive(Debug, Default)]
pub(super) struct FrontCoded {
    bytes: Vec<u8>,
    len: usize,
    /// The bytes of all ids together (to size the decoded arena once).
    total: usize,
    /// The last id (ids appended while the file is read must order after it).
    last: Vec<u8>,
}

impl FrontCoded {
    /// The ids of rows `0..rows` (`id(row)`), front-coded; `None` when an id is longer than 255
    /// bytes (kept as they are then). Encoded in parallel, in runs of [`RUN`] ids whose first id
    /// shares nothing (so the bytes do not depend on the thread count).
    pub(super) fn encode<'a>(
        rows: usize,
        id: impl Fn(usize) -> &'a [u8] + Sync,
    ) -> Option<FrontCoded> {
        use rayon::prelude::*;
        let runs: Vec<Option<Vec<u8>>> = (0..rows.div_ceil(RUN))
            .into_par_iter()
            .map(|run| encode_run((run * RUN..rows.min((run + 1) * RUN)).map(&id)))
            .collect();
        let mut bytes = Vec::with_capacity(runs.iter().flatten().map(Vec::len).sum());
        for run in runs {
            bytes.extend_from_slice(&run?);
        }
        let total = (0..rows).map(|row| id(row).len()).sum();
        let last = rows.checked_sub(1).map_or(Vec::new(), |r| id(r).to_vec());
        Some(FrontCoded {
            bytes,
            len: rows,
            total,
            last,
        })
    }

    /// No ids yet, room for `bytes` of coded ids.
    pub(super) fn with_capacity(bytes: usize) -> FrontCoded {
        FrontCoded {
            bytes: Vec::with_capacity(bytes),
            ..FrontCoded::default()
        }
    }

    /// Append a run from [`encode_run`] of `len` ids, `total` bytes in all, the last one `last`;
    /// `false` (nothing appended) unless its first id, `first`, orders after the last one held.
    pub(super) fn append_run(
        &mut self,
        run: &[u8],
        (len, total): (usize, usize),
        (first, last): (&[u8], &[u8]),
    ) -> bool {
        if len == 0 {
            return true;
        }
        if self.len > 0 && self.last.as_slice() >= first {
            return false;
        }
        self.bytes.extend_from_slice(run);
        self.len += len;
        self.total += total;
        self.last.clear();
        self.last.extend_from_slice(last);
        true
    }

    /// The bytes of all ids together, as a plain arena would hold them.
    pub(super) fn total(&self) -> usize {
        self.total
    }

    /// The ids back to back and where each ends; no ends when every id has the same length (the
    /// usual case: then id `i` starts at `i * length`).
    pub(super) fn decode(&self) -> (String, Vec<u32>) {
        let mut out: Vec<u8> = Vec::with_capacity(self.total);
        let mut ends = Vec::with_capacity(self.len);
        let (mut at, mut start) = (0usize, 0usize);
        while at < self.bytes.len() {
            let (shared, suffix) = match self.bytes[at] {
                WIDE => {
                    at += 3;
                    (self.bytes[at - 2] as usize, self.bytes[at - 1] as usize)
                }
                h => {
                    at += 1;
                    ((h >> 4) as usize, (h & 15) as usize)
                }
            };
            let here = out.len();
            out.extend_from_within(start..start + shared);
            out.extend_from_slice(&self.bytes[at..at + suffix]);
            at += suffix;
            start = here;
            ends.push(out.len() as u32);
        }
        if ends.first().is_some_and(|&w| {
            ends.iter()
                .enumerate()
                .all(|(i, &e)| e == (i as u32 + 1) * w)
        }) {
            ends = Vec::new();
        }
        // Whole ids, each valid UTF-8, back to back: valid UTF-8 (the lossy path is never taken).
        let text = String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        (text, ends)
    }

    /// The bytes held.
    #[cfg(test)]
    pub(super) fn size(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefixes_are_counted_as_bytewise() {
        let texts = [
            "",
            "a",
            "ab",
            "abcdefgh",
            "abcdefgi",
            "abcdefghij",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
            "b",
        ];
        for a in texts {
            for b in texts {
                let bytewise = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                assert_eq!(
                    common_prefix(a.as_bytes(), b.as_bytes()),
                    bytewise,
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn ids_decode_as_encoded() {
        let long = "x".repeat(40);
        let cases: Vec<Vec<String>> = vec![
            vec![],
            vec!["".into()],
            (0..1000).map(|i| format!("D{i:09}")).collect(),
            // shared prefixes and suffixes of 15 and more bytes (the wide header), Unicode
            vec![
                "a".into(),
                "abcdefghijklmnopqrstuvwxyz".into(),
                "abcdefghijklmnopqrstuvwxyz0".into(),
                "abcdefghijklmnoZ".into(),
                long.clone(),
                format!("{long}y"),
                "é1".into(),
                "é2".into(),
                "ê".into(),
                "b".into(),
            ],
        ];
        for ids in cases {
            let coded = FrontCoded::encode(ids.len(), |i| ids[i].as_bytes()).unwrap();
            let (text, mut ends) = coded.decode();
            // ids of one length come back without their ends
            let width = ids.first().map_or(0, |i| i.len());
            let uniform = ids.iter().all(|i| i.len() == width);
            assert_eq!(ends.is_empty(), uniform);
            if ends.is_empty() {
                ends = (1..=ids.len()).map(|i| (i * width) as u32).collect();
            }
            let mut start = 0;
            let back: Vec<&str> = ends
                .iter()
                .map(|&e| {
                    let id = &text[start..e as usize];
                    start = e as usize;
                    id
                })
                .collect();
            assert_eq!(back, ids);
        }
        // sequential ids of 10 bytes: one header byte and one new byte each, but the first
        let ids: Vec<String> = (0..1000).map(|i| format!("D{i:09}")).collect();
        let coded = FrontCoded::encode(ids.len(), |i| ids[i].as_bytes()).unwrap();
        assert!(coded.size() < 2 * 1000 + 10 * 110, "{}", coded.size());
        assert!(FrontCoded::encode(1, |_| &[b'a'; 256][..]).is_none());
        // ascending runs only: equal, shorter and smaller ids break them
        let ascending = |ids: &[&str]| encode_ascending(ids.iter().map(|i| i.as_bytes())).is_some();
        assert!(ascending(&["", "a", "ab", "b", "ba", "bb0", "c"]));
        for broken in [["a", "a"], ["ab", "a"], ["b", "a"], ["ab", "aa"], ["a", ""]] {
            assert!(!ascending(&broken), "{broken:?}");
        }
        // runs of ids encoded apart decode as one list
        let many: Vec<String> = (0..3 * RUN + 5).map(|i| format!("D{:09}", i * 7)).collect();
        let coded = FrontCoded::encode(many.len(), |i| many[i].as_bytes()).unwrap();
        let (text, ends) = coded.decode();
        assert!(ends.is_empty());
        assert_eq!(text, many.concat());
    }
}
