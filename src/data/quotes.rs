//! Where records end in CSV text, with quotes as the csv crate reads them, and the stray quotes that
//! would make one record swallow the lines after it.
//!
//! Quotes as the csv crate reads them: a quote opens a quoted field only at the start of a field,
//! `""` inside one is an escaped quote, and any other quote is a literal character (`24" screen`).
//! A quoted field may hold line breaks (a multi-line note). The rule for a quote that does not
//! close where it should:
//! - a quoted field that reaches the end of the text unclosed, or
//! - a quoted field holding a line break whose closing quote is followed by anything but the
//!   delimiter (a comma unless the workspace names another) or the end of a line (it was most
//!   likely the opening quote of a later field)
//!
//! is a stray quote. The record it is in ends at the end of the quote's line, and reading resumes on
//! the next line outside quotes, so one stray quote costs one row, never the rest of the file.
//!
//! Invariant: [`walk`] reports every record end outside quotes and every stray quote in increasing
//! order of offset; a text without stray quotes gives the record ends the csv crate would give.

/// A stray quote and the record it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrayQuote {
    /// Where the record starts.
    pub record: usize,
    /// Where the quote is.
    pub quote: usize,
    /// Where reading resumes: just after the quote's line.
    pub resume: usize,
    /// The closing quote followed by something else than a comma or a line end; `None` when the
    /// field reaches the end of the text.
    pub close: Option<usize>,
}

/// What [`walk`] finds, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// A record ends here (just after its newline).
    RecordEnd(usize),
    Stray(StrayQuote),
}

/// Walk `text`'s quotes and newlines, calling `found` for every record end and stray quote. `eof`
/// says whether the text ends the file: if not, a quoted field still open at the end is not stray
/// (its record is incomplete and the caller reads it again with the next block).
pub(crate) fn walk(text: &[u8], delimiter: u8, eof: bool, mut found: impl FnMut(Found)) {
    let mut from = 0usize;
    'text: loop {
        let mut in_quotes = false;
        // The opening quote of the current quoted field, and whether a newline is inside it.
        let (mut opened, mut multi_line) = (0usize, false);
        let mut record = from;
        let mut skip = from;
        for pos in memchr::memchr2_iter(b'"', b'\n', &text[from..]).map(|p| p + from) {
            if pos < skip {
                continue;
            }
            if text[pos] == b'\n' {
                if in_quotes {
                    multi_line = true;
                } else {
                    found(Found::RecordEnd(pos + 1));
                    record = pos + 1;
                }
                continue;
            }
            if !in_quotes {
                if pos == record
                    || matches!(text[pos - 1], b'\n' | b'\r')
                    || text[pos - 1] == delimiter
                {
                    (in_quotes, opened, multi_line) = (true, pos, false);
                }
                continue;
            }
            match text.get(pos + 1) {
                Some(b'"') => skip = pos + 2,
                Some(b'\n' | b'\r') => in_quotes = false,
                Some(&b) if b == delimiter => in_quotes = false,
                None if eof => in_quotes = false,
                None => {}
                Some(_) if !multi_line => in_quotes = false,
                Some(_) => {
                    from = stray(text, record, opened, Some(pos), &mut found);
                    continue 'text;
                }
            }
        }
        if in_quotes && eof {
            from = stray(text, record, opened, None, &mut found);
            continue 'text;
        }
        return;
    }
}

/// Report the stray quote at `quote` (in the record starting at `record`); where reading resumes.
#[cold]
fn stray(
    text: &[u8],
    record: usize,
    quote: usize,
    close: Option<usize>,
    found: &mut impl FnMut(Found),
) -> usize {
    let resume = memchr::memchr(b'\n', &text[quote..]).map_or(text.len(), |p| quote + p + 1);
    found(Found::Stray(StrayQuote {
        record,
        quote,
        resume,
        close,
    }));
    resume
}

/// The lines from the stray quote's line to the line of its closing quote, or to the last line of
/// the text: how many lines the field would have swallowed.
pub(crate) fn lines_spanned(text: &[u8], stray: &StrayQuote) -> u64 {
    let end = stray.close.unwrap_or(text.len());
    let newlines = bytecount::count(&text[stray.quote..end], b'\n') as u64;
    // A text ending with a newline has no line after it.
    if stray.close.is_none() && text.ends_with(b"\n") {
        newlines
    } else {
        newlines + 1
    }
}

/// The index of the field the quote opens (delimiters outside quotes before it, from the record's
/// start).
pub(crate) fn field_index(text: &[u8], delimiter: u8, stray: &StrayQuote) -> usize {
    let mut in_quotes = false;
    let mut index = 0;
    for &b in &text[stray.record..stray.quote] {
        match b {
            b'"' => in_quotes = !in_quotes,
            b if b == delimiter && !in_quotes => index += 1,
            _ => {}
        }
    }
    index
}

/// The quoted text from the stray quote to the end of its line, shortened to 40 characters.
pub(crate) fn excerpt(text: &[u8], stray: &StrayQuote) -> String {
    let line = String::from_utf8_lossy(&text[stray.quote..stray.resume]);
    let line = line.trim_end_matches(['\n', '\r']);
    match line.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// The message of a stray quote's diagnostic, saying where the field would have ended.
pub(crate) fn describe(text: &[u8], delimiter: u8, stray: &StrayQuote) -> String {
    let spanned = lines_spanned(text, stray);
    match stray.close {
        None => format!(
            "the quote that opens this field is never closed: read as CSV, the field would run \
             over {spanned} lines, to the end of the file"
        ),
        Some(close) => {
            let after = String::from_utf8_lossy(&text[close + 1..(close + 2).min(text.len())]);
            format!(
                "the quote that opens this field is closed only {} line(s) below, by a quote \
                 followed by `{after}` (not {} or the end of a line): read as CSV, the field \
                 would run over {spanned} lines",
                spanned - 1,
                delimiter_name(delimiter)
            )
        }
    }
}

/// The delimiter in words, as a message names it.
pub(crate) fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b',' => "a comma".to_string(),
        b';' => "a semicolon".to_string(),
        b'\t' => "a tab".to_string(),
        b'|' => "a vertical bar".to_string(),
        b => format!("the delimiter `{}`", b as char),
    }
}

/// What the hint of a stray quote's diagnostic says.
pub(crate) const HINT: &str = "close the quote, or double it (\"\") where it is part of the text; \
     the row is read up to the end of this line and reading resumes on the next line";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Well-formed CSV, whatever its fields hold (delimiters, quotes, line breaks) and whichever
        /// its delimiter, has no stray quote, and its records end where they were written.
        #[test]
        fn well_formed_csv_has_no_stray_quote(
            records in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(
                        prop_oneof![Just("a"), Just(","), Just(";"), Just("\""), Just("\n"), Just(" "), Just("\r\n")],
                        0..6,
                    ).prop_map(|parts| parts.concat()),
                    1..4,
                ),
                0..12,
            ),
            delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        ) {
            let mut writer = csv::WriterBuilder::new()
                .flexible(true)
                .delimiter(delimiter)
                .from_writer(Vec::new());
            let mut written = Vec::new();
            for record in &records {
                writer.write_record(record).unwrap();
                writer.flush().unwrap();
                written.push(writer.get_ref().len());
            }
            let text = writer.into_inner().unwrap();
            let mut ends = Vec::new();
            walk(&text, delimiter, true, |f| match f {
                Found::RecordEnd(e) => ends.push(e),
                Found::Stray(s) => panic!("a stray quote in well-formed CSV: {s:?}"),
            });
            prop_assert_eq!(ends, written);
        }
    }

    fn found(text: &str, eof: bool) -> Vec<Found> {
        let mut all = Vec::new();
        walk(text.as_bytes(), b',', eof, |f| all.push(f));
        all
    }

    fn ends(text: &str) -> Vec<usize> {
        found(text, true)
            .into_iter()
            .map(|f| match f {
                Found::RecordEnd(e) => e,
                Found::Stray(s) => panic!("a stray quote in {text:?}: {s:?}"),
            })
            .collect()
    }

    #[test]
    fn quoted_fields_hold_commas_newlines_and_escaped_quotes() {
        assert_eq!(ends("a,b\nc,d\n"), [4, 8]);
        // a multi-line note, escaped quotes, a literal quote inside an unquoted field, CRLF
        let text = "a,\"x\ny\",1\nb,\"say \"\"hi\"\"\",2\r\nc,24\" screen,3\nd,\"p\nq\"";
        assert_eq!(ends(text), [10, 28, 43]);
        // a single-line quoted field closed early keeps the csv crate's reading (no stray quote)
        assert_eq!(ends("a,\"24\" screen\",1\nb\n"), [17, 19]);
    }

    #[test]
    fn a_quote_left_open_to_the_end_of_the_file_is_stray() {
        let text = "a,1\nb,\"open\nc,2\nd,3\n";
        let stray = StrayQuote {
            record: 4,
            quote: 6,
            resume: 12,
            close: None,
        };
        assert_eq!(
            found(text, true),
            [
                Found::RecordEnd(4),
                Found::Stray(stray),
                Found::RecordEnd(16),
                Found::RecordEnd(20)
            ]
        );
        // lines 2 to 4: the quote's line and the two after it
        assert_eq!(lines_spanned(text.as_bytes(), &stray), 3);
        assert_eq!(field_index(text.as_bytes(), b',', &stray), 1);
        assert_eq!(excerpt(text.as_bytes(), &stray), "\"open");
        // not at the end of the file: the record waits for more text
        assert_eq!(found(text, false), [Found::RecordEnd(4)]);
    }

    #[test]
    fn a_multi_line_field_closed_by_a_later_fields_quote_is_stray() {
        // the open quote on line 2 would be closed by the quote opening `"Note"` on line 4
        let text = "a,1\nb,\"open\nc,2\nd,\"Note\"\ne,5\n";
        let stray = StrayQuote {
            record: 4,
            quote: 6,
            resume: 12,
            close: Some(18),
        };
        assert_eq!(
            found(text, true),
            [
                Found::RecordEnd(4),
                Found::Stray(stray),
                Found::RecordEnd(16),
                Found::RecordEnd(25),
                Found::RecordEnd(29)
            ]
        );
        assert_eq!(lines_spanned(text.as_bytes(), &stray), 3);
        assert!(describe(text.as_bytes(), b',', &stray).contains("closed only 2 line(s) below"));
    }

    #[test]
    fn a_quote_closes_a_multi_line_field_before_the_files_own_delimiter() {
        // The note "x⏎y" is closed by a quote followed by a semicolon: the end of the field in a
        // semicolon-delimited file, a stray quote in a comma-delimited one.
        let text = b"a;b\n\"x\ny\";z\n";
        let mut semicolon = Vec::new();
        walk(text, b';', true, |f| semicolon.push(f));
        assert_eq!(semicolon, vec![Found::RecordEnd(4), Found::RecordEnd(12)]);
        let mut comma = Vec::new();
        walk(text, b',', true, |f| comma.push(f));
        assert!(matches!(comma[1], Found::Stray(_)), "{comma:?}");
    }
}
