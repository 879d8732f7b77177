//! CSV cells a spreadsheet cannot run: every CSV file payout writes (payouts, statements,
//! reconciliation, exceptions, `diff --format csv`, the ledger) writes its fields through
//! [`Fields`] (or, for statement lines, [`RawFields`], the same bytes straight into a buffer), whose
//! one write path neutralises each cell with [`neutralise`].
//!
//! Invariants: a cell that a spreadsheet would read as a formula (leading `=`, `+`, `-`, `@`, tab or
//! carriage return) is written with a leading apostrophe, and so is a cell that already starts with
//! one, so [`restore`] gives back the exact text (a reader of payout's own files, such as the
//! ledger's or `diff`, calls it on text cells); a plain number (`-12.50`, `+3`, `-5%`) is not a
//! formula and stays as it is. [`RawFields`] writes a cell without the checks only where they cannot
//! change it ([`is_plain`]: amounts, dates, fixed names; asserted in debug builds). Quoting,
//! terminators and field counts are the `csv` crate's, exactly as when a whole record is passed to
//! `csv::Writer::write_record`. No `String` per cell: fields are borrowed or formatted into one
//! reused buffer (summary rows and statement lines are hot paths).

use std::borrow::Cow;
use std::fmt::Display;
use std::fmt::Write as _;
use std::io::Write;

use rust_decimal::Decimal;

use crate::money::{push_amount, push_amount_bytes};

/// Whether a spreadsheet opening the cell would run it (or a leading apostrophe must be kept apart
/// from one payout added).
fn needs_neutralising(cell: &str) -> bool {
    match cell.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r' | b'\'') => true,
        Some(b'+' | b'-') => !is_plain_number(&cell[1..]),
        _ => false,
    }
}

/// Digits with at most one decimal point and an optional trailing `%`, after a sign: what a
/// spreadsheet reads as a number, never as a formula.
fn is_plain_number(unsigned: &str) -> bool {
    let digits = unsigned.strip_suffix('%').unwrap_or(unsigned);
    let mut points = 0;
    let mut any_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => any_digit = true,
            b'.' => points += 1,
            _ => return false,
        }
    }
    any_digit && points <= 1
}

/// The cell as written to a CSV file: prefixed with an apostrophe when a spreadsheet would run it as
/// a formula or when it starts with an apostrophe; unchanged otherwise (numbers included).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_neutralising(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The text a cell written by [`neutralise`] held: its leading apostrophe, if any, removed.
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// A `csv::Writer` whose every field is neutralised, and a scratch buffer for the field being
/// formatted.
pub struct Fields<W: Write> {
    w: csv::Writer<W>,
    scratch: String,
}

impl<W: Write> Fields<W> {
    pub fn new(w: csv::Writer<W>) -> Self {
        Fields {
            w,
            scratch: String::with_capacity(64),
        }
    }

    /// The one way a field reaches the file.
    fn put(w: &mut csv::Writer<W>, cell: &str) -> csv::Result<()> {
        if needs_neutralising(cell) {
            w.write_field(format!("'{cell}"))
        } else {
            w.write_field(cell)
        }
    }

    /// A text cell (neutralised if a spreadsheet would run it as a formula).
    pub fn text(&mut self, cell: &str) -> csv::Result<()> {
        Self::put(&mut self.w, cell)
    }

    /// An empty field.
    pub fn empty(&mut self) -> csv::Result<()> {
        self.w.write_field([])
    }

    /// An amount with at least `places` decimals ([`crate::money::fmt_amount`]); its text.
    pub fn amount(&mut self, value: Decimal, places: u32) -> csv::Result<&str> {
        self.with(|s| push_amount(s, value, places))
    }

    /// A value's `Display` text.
    pub fn display(&mut self, value: impl Display) -> csv::Result<&str> {
        self.with(|s| {
            let _ = write!(s, "{value}");
        })
    }

    /// A field formatted by `f` into the scratch buffer; its text as formatted (for another
    /// rendering of the same cell).
    pub fn with(&mut self, f: impl FnOnce(&mut String)) -> csv::Result<&str> {
        self.scratch.clear();
        f(&mut self.scratch);
        Self::put(&mut self.w, &self.scratch)?;
        Ok(&self.scratch)
    }

    /// End the record.
    pub fn end(&mut self) -> csv::Result<()> {
        self.w.write_record(None::<&[u8]>)
    }

    /// A whole record of text cells.
    pub fn record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> csv::Result<()> {
        for field in fields {
            self.text(field)?;
        }
        self.end()
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    pub fn into_inner(self) -> anyhow::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))
    }
}

/// Whether the `csv` crate's writer (default settings: `,` delimiter, `"` quote doubled, `\n`
/// terminator) puts a field in quotes: it holds a delimiter, a quote, a carriage return or a
/// line feed.
fn needs_quotes(cell: &[u8]) -> bool {
    cell.iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Records appended straight to a byte buffer, the same bytes as [`Fields`] over a default
/// `csv::Writer` (for records of at least two fields: the `csv` crate quotes a record's only field
/// when it is empty): each text cell neutralised as [`neutralise`] does, then quoted where the
/// `csv` crate quotes. Amounts skip both (their text is a plain number: digits, one point, a
/// leading `-`). For the hot path of statement lines, where the `csv` writer's per-field machinery
/// cost more than the formatting.
pub struct RawFields<'o> {
    out: &'o mut Vec<u8>,
    scratch: String,
    /// No field of the current record written yet.
    first: bool,
    /// The last amounts written, to copy instead of formatting again (a line's `from` is the line
    /// before's `to`, a credited value its deal's value...).
    recent: [Written; RECENT],
    /// Where the next amount goes in `recent`.
    next: usize,
}

/// A text cell and its bytes as [`RawFields`] writes it (see [`RawFields::text_remembered`]).
#[derive(Default)]
pub struct Remembered {
    text: String,
    bytes: Vec<u8>,
}

/// Whether two cells have the same bytes, compared in line: the cells statements repeat are a few
/// bytes long, where a call to `memcmp` per cell cost more than the comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Amounts [`RawFields`] remembers.
const RECENT: usize = 4;

/// An amount written into the buffer: its value's representation (`Decimal::serialize`: equal
/// representations print the same text), the places it was written with, and where its text is.
#[derive(Clone, Copy, Default)]
struct Written {
    value: [u8; 16],
    places: u32,
    at: usize,
    len: usize,
}

/// Whether a cell goes into a CSV file as it is: a spreadsheet would not run it and the `csv`
/// crate would not quote it.
pub fn is_plain(cell: &str) -> bool {
    !needs_neutralising(cell) && !needs_quotes(cell.as_bytes())
}

impl<'o> RawFields<'o> {
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        RawFields {
            out,
            scratch: String::new(),
            first: true,
            recent: [Written::default(); RECENT],
            next: 0,
        }
    }

    /// The text of the buffer from `at` on (ASCII written by this writer), for checks.
    fn since(&self, at: usize) -> &str {
        std::str::from_utf8(&self.out[at..]).unwrap_or_default()
    }

    fn delimit(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    /// The one way a text field reaches the buffer.
    fn put(out: &mut Vec<u8>, cell: &str) {
        let quoted = needs_quotes(cell.as_bytes());
        if quoted {
            out.push(b'"');
        }
        if needs_neutralising(cell) {
            out.push(b'\'');
        }
        match quoted {
            true => {
                for piece in cell.split('"').enumerate() {
                    if piece.0 > 0 {
                        out.extend_from_slice(b"\"\"");
                    }
                    out.extend_from_slice(piece.1.as_bytes());
                }
                out.push(b'"');
            }
            false => out.extend_from_slice(cell.as_bytes()),
        }
    }

    /// A text cell (neutralised if a spreadsheet would run it as a formula).
    pub fn text(&mut self, cell: &str) -> csv::Result<()> {
        self.delimit();
        Self::put(self.out, cell);
        Ok(())
    }

    /// An empty field.
    pub fn empty(&mut self) -> csv::Result<()> {
        self.delimit();
        Ok(())
    }

    /// Fields rendered before by a `RawFields` (their cells neutralised and quoted, separated by
    /// commas, no record end), appended as they are: cells repeated on many records are rendered
    /// once.
    pub fn rendered(&mut self, fields: &[u8]) {
        self.delimit();
        self.out.extend_from_slice(fields);
    }

    /// An amount with at least `places` decimals ([`crate::money::fmt_amount`]); its text. A plain
    /// number: written as it is; copied when one of the last amounts written had the same value and
    /// places. Its text's bytes (ASCII).
    pub fn amount(&mut self, value: Decimal, places: u32) -> csv::Result<&[u8]> {
        self.delimit();
        let at = self.out.len();
        let key = value.serialize();
        match self.recent(key, places) {
            Some(w) => self.out.extend_from_within(w.at..w.at + w.len),
            None => {
                push_amount_bytes(self.out, value, places);
                self.recent[self.next] = Written {
                    value: key,
                    places,
                    at,
                    len: self.out.len() - at,
                };
                self.next = (self.next + 1) % RECENT;
            }
        }
        debug_assert!(is_plain(self.since(at)), "{}", self.since(at));
        Ok(&self.out[at..])
    }

    /// One of the last amounts written, with this representation and places.
    fn recent(&self, key: [u8; 16], places: u32) -> Option<Written> {
        self.recent
            .iter()
            .find(|w| w.len > 0 && w.value == key && w.places == places)
            .copied()
    }

    /// A `base × rate` cell the caller knows [`is_plain`] (a base that is not negative, a plain
    /// rate), the base with `places` decimals, its text copied when it is one of the last amounts
    /// written; the cell's bytes (ASCII).
    pub fn product(&mut self, base: Decimal, places: u32, rate: &str) -> &[u8] {
        self.delimit();
        let at = self.out.len();
        match self.recent(base.serialize(), places) {
            Some(w) => self.out.extend_from_within(w.at..w.at + w.len),
            None => push_amount_bytes(self.out, base, places),
        }
        self.out.extend_from_slice(" × ".as_bytes());
        self.out.extend_from_slice(rate.as_bytes());
        debug_assert!(is_plain(self.since(at)), "{}", self.since(at));
        &self.out[at..]
    }

    /// [`RawFields::text`], the cell's bytes copied from `memory` when it holds the same text (a
    /// cell repeated from line to line, a tier or a rate, is checked and quoted once).
    pub fn text_remembered(&mut self, cell: &str, memory: &mut Remembered) {
        self.delimit();
        if !same_bytes(memory.text.as_bytes(), cell.as_bytes()) {
            memory.text.clear();
            memory.text.push_str(cell);
            memory.bytes.clear();
            Self::put(&mut memory.bytes, cell);
        }
        self.out.extend_from_slice(&memory.bytes);
    }

    /// A cell the caller knows [`is_plain`] (a fixed name, a date, a number), as it is.
    pub fn plain(&mut self, cell: &str) {
        debug_assert!(is_plain(cell), "{cell}");
        self.delimit();
        self.out.extend_from_slice(cell.as_bytes());
    }

    /// A cell the caller knows [`is_plain`], appended by `f` straight into the buffer (ASCII); its
    /// text's bytes.
    pub fn plain_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> &[u8] {
        self.delimit();
        let at = self.out.len();
        f(self.out);
        debug_assert!(is_plain(self.since(at)), "{}", self.since(at));
        &self.out[at..]
    }

    /// A text field formatted by `f` into the scratch buffer; its text as formatted.
    pub fn with(&mut self, f: impl FnOnce(&mut String)) -> csv::Result<&str> {
        self.delimit();
        self.scratch.clear();
        f(&mut self.scratch);
        Self::put(self.out, &self.scratch);
        Ok(&self.scratch)
    }

    /// End the record.
    pub fn end(&mut self) -> csv::Result<()> {
        self.out.push(b'\n');
        self.first = true;
        Ok(())
    }

    /// A whole record of text cells.
    pub fn record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> csv::Result<()> {
        for field in fields {
            self.text(field)?;
        }
        self.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        for (cell, written) in [
            ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
            ("@SUM", "'@SUM"),
            ("+1+2", "'+1+2"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("-", "'-"),
            ("-.", "'-."),
            ("-1.2.3", "'-1.2.3"),
            ("Acme", "Acme"),
            ("", ""),
            ("-12.50", "-12.50"),
            ("+3", "+3"),
            ("-5%", "-5%"),
            ("0.25", "0.25"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(&neutralise(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn raw_fields_write_the_bytes_of_the_csv_writer() {
        let cells = [
            "=a",
            "b,c",
            "say \"hi\"",
            "-12.50",
            "-x",
            "line\nbreak",
            "\rx",
            "'q",
            "",
            "T1 [0%, 50%)",
            "Lefèvre",
            "\"",
            "a\"b,c",
        ];
        for a in cells {
            for b in cells {
                let mut f = Fields::new(csv::Writer::from_writer(Vec::new()));
                f.record([a, b]).unwrap();
                f.record([a, b]).unwrap();
                f.amount(Decimal::new(-1250, 2), 2).unwrap();
                f.empty().unwrap();
                f.end().unwrap();
                let expected = f.into_inner().unwrap();
                let mut first = Vec::new();
                RawFields::new(&mut first).text(a).unwrap();
                let mut raw = Vec::new();
                let mut r = RawFields::new(&mut raw);
                r.rendered(&first);
                r.text(b).unwrap();
                r.end().unwrap();
                r.record([a, b]).unwrap();
                r.amount(Decimal::new(-1250, 2), 2).unwrap();
                r.empty().unwrap();
                r.end().unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&raw),
                    String::from_utf8_lossy(&expected),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn copied_amounts_and_plain_cells_are_the_bytes_of_the_csv_writer() {
        let amounts = [
            Decimal::new(1710709, 2),
            Decimal::new(171070900, 4),
            Decimal::new(1710709, 2),
            Decimal::new(-5, 1),
            Decimal::new(1710709, 2),
            Decimal::new(6842836, 4),
            Decimal::ZERO,
            Decimal::new(-5, 1),
        ];
        let mut f = Fields::new(csv::Writer::from_writer(Vec::new()));
        let mut raw = Vec::new();
        let mut r = RawFields::new(&mut raw);
        for (i, &a) in amounts.iter().enumerate() {
            let places = (i % 3) as u32;
            f.amount(a, places).unwrap();
            f.text("2026-03-05").unwrap();
            let text = r.amount(a, places).unwrap().to_vec();
            assert_eq!(text, crate::money::fmt_amount(a, places).as_bytes());
            r.plain_with(|o| o.extend_from_slice(b"2026-03-05"));
        }
        f.text("owner").unwrap();
        f.end().unwrap();
        r.plain("owner");
        r.end().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&raw),
            String::from_utf8_lossy(&f.into_inner().unwrap())
        );
    }

    #[test]
    fn every_field_goes_through_neutralise() {
        let mut f = Fields::new(csv::Writer::from_writer(Vec::new()));
        f.record(["=a", "b", "c"]).unwrap();
        f.text("@c").unwrap();
        f.with(|s| s.push_str("-d")).unwrap();
        f.amount(Decimal::new(-1250, 2), 2).unwrap();
        f.end().unwrap();
        let out = String::from_utf8(f.into_inner().unwrap()).unwrap();
        assert_eq!(out, "'=a,b,c\n'@c,'-d,-12.50\n");
    }
}
