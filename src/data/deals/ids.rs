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

/// Ids in order, front-coded (see the module).
#[derive(Debug, Default)]
pub(super) struct FrontCoded {
    bytes: Vec<u8>,
    len: usize,
    /// The bytes of all ids together (to size the decoded arena once).
    total: usize,
}

impl FrontCoded {
    /// The ids, front-coded; `None` when an id is longer than 255 bytes (kept as they are then).
    pub(super) fn encode<'a>(ids: impl Iterator<Item = &'a [u8]>) -> Option<FrontCoded> {
        let mut coded = FrontCoded::default();
        let mut previous: &[u8] = b"";
        for id in ids {
            let n = u8::try_from(id.len()).ok()?;
            let shared = previous.iter().zip(id).take_while(|(a, b)| a == b).count() as u8;
            let suffix = n - shared;
            if shared < 16 && suffix < 16 && (shared, suffix) != (15, 15) {
                coded.bytes.push(shared << 4 | suffix);
            } else {
                coded.bytes.extend_from_slice(&[WIDE, shared, suffix]);
            }
            coded.bytes.extend_from_slice(&id[shared as usize..]);
            coded.len += 1;
            coded.total += id.len();
            previous = id;
        }
        coded.bytes.shrink_to_fit();
        Some(coded)
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
            let coded = FrontCoded::encode(ids.iter().map(|s| s.as_bytes())).unwrap();
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
        let coded = FrontCoded::encode(ids.iter().map(|s| s.as_bytes())).unwrap();
        assert!(coded.size() < 2 * 1000 + 10 * 110, "{}", coded.size());
        assert!(FrontCoded::encode(std::iter::once(&[b'a'; 256][..])).is_none());
    }
}
