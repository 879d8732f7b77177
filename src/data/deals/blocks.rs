//! Cutting a block of the file into pieces that end at record boundaries (a newline outside
//! quotes), as the csv crate reads them.
//!
//! Invariants: pieces cover the block's complete records in order, without overlap; the partial
//! record a block ends with waits for the next block (but at end of file); a stray quote (see
//! `quotes.rs`) is a piece of its own.

use rayon::prelude::*;

use crate::data::quotes::{Found, StrayQuote};

/// The piece as text when the plain splitter reads it as the csv crate would: valid UTF-8, no
/// quote, and no carriage return but before a newline (the csv crate ends a record at a lone `\r`).
/// `block` says what the piece's block is known not to have.
pub(super) fn plain_text(bytes: &[u8], block: BlockScan) -> Option<&str> {
    if block.quote && memchr::memchr(b'"', bytes).is_some() {
        return None;
    }
    if block.cr && memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// Whether a block has a quote and a carriage return anywhere (`true` when not known).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct BlockScan {
    pub(super) quote: bool,
    pub(super) cr: bool,
}

impl BlockScan {
    pub(super) const UNKNOWN: BlockScan = BlockScan {
        quote: true,
        cr: true,
    };

    /// One pass over the block, in parallel chunks.
    pub(super) fn of(buf: &[u8]) -> BlockScan {
        buf.par_chunks(1 << 20)
            .map(|chunk| match memchr::memchr2(b'"', b'\r', chunk) {
                None => BlockScan {
                    quote: false,
                    cr: false,
                },
                Some(i) if chunk[i] == b'"' => BlockScan {
                    quote: true,
                    cr: memchr::memchr(b'\r', &chunk[i..]).is_some(),
                },
                Some(i) => BlockScan {
                    quote: memchr::memchr(b'"', &chunk[i..]).is_some(),
                    cr: true,
                },
            })
            .reduce(
                || BlockScan {
                    quote: false,
                    cr: false,
                },
                |a, b| BlockScan {
                    quote: a.quote || b.quote,
                    cr: a.cr || b.cr,
                },
            )
    }
}

/// Where records end in `buf` (a newline outside a quoted field), cutting it into about `parts` pieces:
/// the piece ends (exclusive), the last at the end of the last complete record. A stray quote (see
/// `quotes.rs`) is a piece of its own, from its record's start to the end of its line. Also whether
/// `buf` has quotes and carriage returns. `delimiter`: the byte between fields (a quote opens a
/// quoted field only after one).
pub(super) fn cut(
    buf: &[u8],
    delimiter: u8,
    parts: usize,
    eof: bool,
) -> (Vec<usize>, Vec<StrayQuote>, BlockScan) {
    let target = (buf.len() / parts.max(1)).max(1 << 16);
    let scan = BlockScan::of(buf);
    let (ends, strays) = if scan.quote {
        cut_quoted(buf, delimiter, target, eof)
    } else {
        (cut_unquoted(buf, target, eof), Vec::new())
    };
    (ends, strays, scan)
}

/// [`cut`] of a block without quotes, where every newline ends a record: the pieces end at the
/// first newline `target` bytes into them, found by search instead of newline by newline.
pub(super) fn cut_unquoted(buf: &[u8], target: usize, eof: bool) -> Vec<usize> {
    let last_end = if eof {
        buf.len()
    } else {
        memchr::memrchr(b'\n', buf).map_or(0, |p| p + 1)
    };
    let mut ends = Vec::new();
    let mut piece_start = 0usize;
    while piece_start + target <= last_end {
        match memchr::memchr(b'\n', &buf[piece_start + target - 1..last_end]) {
            Some(p) => {
                piece_start += target + p;
                ends.push(piece_start);
            }
            None => break,
        }
    }
    if piece_start < last_end {
        ends.push(last_end);
    }
    ends
}

/// [`cut`] of any block: quotes as the csv crate reads them, stray quotes cut out.
pub(super) fn cut_quoted(
    buf: &[u8],
    delimiter: u8,
    target: usize,
    eof: bool,
) -> (Vec<usize>, Vec<StrayQuote>) {
    let mut ends = Vec::new();
    let mut strays = Vec::new();
    let (mut last_end, mut piece_start) = (0usize, 0usize);
    crate::data::quotes::walk(buf, delimiter, eof, |found| match found {
        Found::RecordEnd(end) => {
            last_end = end;
            if end - piece_start >= target {
                ends.push(end);
                piece_start = end;
            }
        }
        Found::Stray(stray) => {
            if stray.record > piece_start {
                ends.push(stray.record);
            }
            ends.push(stray.resume);
            strays.push(stray);
            (piece_start, last_end) = (stray.resume, stray.resume);
        }
    });
    if eof {
        if piece_start < buf.len() {
            ends.push(buf.len());
        }
    } else if piece_start < last_end {
        // The partial record after `last_end` waits for the next block.
        ends.push(last_end);
    }
    (ends, strays)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_blocks_are_cut_as_the_quote_aware_cut_does() {
        // Records of varied lengths, with CRLF and empty lines, cut in pieces of a few records.
        let mut buf = Vec::new();
        for i in 0..40_000u32 {
            let len = (i * 7919) % 97;
            buf.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len as usize));
            buf.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
        }
        buf.extend_from_slice(b"partial,record");
        for target in [1usize << 16, 100_000, 1 << 20, 1 << 30] {
            for eof in [false, true] {
                for len in [buf.len(), buf.len() - 14, 1 << 16, 70_001, 12] {
                    let b = &buf[..len];
                    assert_eq!(
                        (cut_unquoted(b, target, eof), Vec::new()),
                        cut_quoted(b, b',', target, eof),
                        "target {target}, eof {eof}, {len} bytes"
                    );
                }
            }
        }
    }

    /// A block's quotes and carriage returns are found wherever they are, in any chunk.
    #[test]
    fn block_scans_find_quotes_and_carriage_returns() {
        let scan = |quote: bool, cr: bool| BlockScan { quote, cr };
        let mut buf = vec![b'a'; 3 << 20];
        assert_eq!(BlockScan::of(&buf), scan(false, false));
        buf[(2 << 20) + 5] = b'\r';
        assert_eq!(BlockScan::of(&buf), scan(false, true));
        // a quote after the carriage return in its chunk, then before it
        buf[(2 << 20) + 9] = b'"';
        assert_eq!(BlockScan::of(&buf), scan(true, true));
        buf[(2 << 20) + 9] = b'a';
        buf[(2 << 20) + 1] = b'"';
        assert_eq!(BlockScan::of(&buf), scan(true, true));
        buf[(2 << 20) + 5] = b'a';
        assert_eq!(BlockScan::of(&buf), scan(true, false));
        assert_eq!(BlockScan::of(b""), scan(false, false));
    }

    #[test]
    fn records_end_at_newlines_outside_quoted_fields() {
        // a literal quote inside an unquoted field does not open a quoted field
        let buf = b"a,24\" screen,1\nb,2\n";
        assert_eq!(
            cut(buf, b',', 1, false),
            (
                vec![buf.len()],
                Vec::new(),
                BlockScan {
                    quote: true,
                    cr: false
                }
            )
        );
        // a newline inside a quoted field, and escaped quotes, do not end a record; the partial
        // record at the end (its quoted field still open) waits for the next block
        let buf = b"b,\"x\ny\",2\nc,\"say \"\"hi\"\"\",3\nd,\"p\nq";
        let complete = b"b,\"x\ny\",2\nc,\"say \"\"hi\"\"\",3\n".len();
        let scan = BlockScan {
            quote: true,
            cr: false,
        };
        assert_eq!(cut(buf, b',', 1, false), (vec![complete], Vec::new(), scan));
        // at end of file the quote still open is stray: its record up to the end of its line is a
        // piece of its own, and the line after it is read as a record
        let stray = StrayQuote {
            record: complete,
            quote: complete + 2,
            resume: complete + 5,
            close: None,
        };
        assert_eq!(
            cut(buf, b',', 1, true),
            (vec![complete, complete + 5, buf.len()], vec![stray], scan)
        );
    }
}
