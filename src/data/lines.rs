//! Physical line numbers of CSV records, as an editor shows them.
//!
//! The csv crate gives each record the position where it starts reading it, which in a CRLF file is
//! the `\n` left over from the previous record's `\r\n`, and before any blank lines it skips; its line
//! count then misses a line. Here a record's line is the line of its first byte: lines end at `\n`,
//! `\r\n` or a lone `\r`.
//!
//! Invariant: offsets are asked for in increasing order, so a whole file is scanned once.

/// Counts line breaks from the start of a text up to the records asked for.
pub(crate) struct LineCounter {
    at: usize,
    line: u64,
}

impl LineCounter {
    /// A counter for a text whose first byte is on line `first_line`.
    pub fn new(first_line: u64) -> LineCounter {
        LineCounter {
            at: 0,
            line: first_line,
        }
    }

    /// The line of the record the csv crate says starts at `offset`: of the first byte at or after
    /// it that is not a line break.
    pub fn record_line(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let mut start = offset.min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        let from = self.at.min(start);
        for i in from..start {
            match bytes[i] {
                b'\n' => self.line += 1,
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.at = self.at.max(start);
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::LineCounter;

    #[test]
    fn lines_of_records_in_lf_crlf_cr_and_blank_line_files() {
        // LF: records at bytes 0, 2, 4 are on lines 1, 2, 3.
        let t = b"a\nb\nc\n";
        let mut c = LineCounter::new(1);
        assert_eq!([0, 2, 4].map(|o| c.record_line(t, o)), [1, 2, 3]);
        // CRLF: the csv crate starts the second record at the `\n` (byte 2): still line 2.
        let t = b"a\r\nb\r\nc";
        let mut c = LineCounter::new(1);
        assert_eq!([0, 2, 5].map(|o| c.record_line(t, o)), [1, 2, 3]);
        // lone CR ends lines too
        let t = b"a\rb\rc";
        let mut c = LineCounter::new(1);
        assert_eq!([0, 2, 4].map(|o| c.record_line(t, o)), [1, 2, 3]);
        // blank lines before a record are counted: `b` is on line 4
        let t = b"a\n\n\nb\n";
        let mut c = LineCounter::new(1);
        assert_eq!([0, 2].map(|o| c.record_line(t, o)), [1, 4]);
        // a piece starting on line 10
        let mut c = LineCounter::new(10);
        assert_eq!(c.record_line(b"x\r\ny", 1), 11);
    }
}
