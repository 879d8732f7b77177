//! One piece of the file parsed into columns of its own: records split into fields (quote-free
//! pieces by `delimiters.rs`, others by the csv crate), checked, and kept or set aside.
//!
//! Invariants: a piece's rows are its records in order, each either kept (all its cells pushed) or
//! set aside (none pushed, its problems noted); lines count from 0 at the piece's first byte until
//! [`Piece::rebase`]; both splitters read a quote-free piece alike.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::blocks::{plain_text, BlockScan};
use super::fields::{fast_decimal, fast_iso_date, trim};
use super::intern::{loaded_key, Interner};
use super::plain::FastPlan;
use super::table::{Decimals, NO_OWNER, UNREADABLE_CURRENCY};
use crate::data::quotes::StrayQuote;
use crate::data::{parse_date, ColumnType, Roster};
use crate::date_format::DateFormats;
use crate::diag::Diagnostic;
use crate::money::NumberFormat;

/// How a data row's fields are laid out and parsed (fixed for the file).
pub(super) struct Layout<'a> {
    pub(super) file: &'a str,
    pub(super) headers: Vec<String>,
    pub(super) id: usize,
    pub(super) rep: usize,
    /// Field indices of the amount and (when the file has one) the currency.
    pub(super) amount: usize,
    pub(super) currency: Option<usize>,
    /// (field index, name, type, required)
    pub(super) columns: Vec<(usize, String, ColumnType, bool)>,
    pub(super) date_format: &'a DateFormats,
    pub(super) iso_dates: bool,
    pub(super) number_format: &'a NumberFormat,
    /// The byte between fields; only a comma-delimited file takes the quote-free paths.
    pub(super) delimiter: u8,
    pub(super) roster: &'a Roster,
    /// The fast path's plan for quote-free pieces (see `plain.rs`), `None` when it has none; set
    /// by [`Layout::with_plan`].
    pub(super) plan: Option<FastPlan>,
}

/// Values of one column in a piece of the file, with the piece's own text dictionary.
pub(super) enum PieceValues {
    Text(Interner),
    Decimal(Decimals),
    Date(Vec<Option<NaiveDate>>),
}

/// One piece of the file, parsed. Its line numbers count from 0 at its first byte until
/// [`Piece::rebase`] knows where it starts.
pub(super) struct Piece {
    /// The line of the piece's first byte (0 until rebased).
    pub(super) first_line: u64,
    /// The newlines in the piece.
    pub(super) newlines: u64,
    pub(super) id_bytes: String,
    pub(super) id_ends: Vec<u32>,
    /// The ids front-coded (see `ids.rs`) when they increase within the piece (see
    /// [`Piece::code_ids`]).
    pub(super) coded_ids: Option<Vec<u8>>,
    pub(super) lines: Vec<u32>,
    pub(super) reps: Vec<u32>,
    pub(super) values: Vec<PieceValues>,
    pub(super) rows: u64,
    pub(super) diags: Vec<Diagnostic>,
    /// The rows not loaded: the currency and amount their cells give, as far as they can be read.
    pub(super) set_aside: Vec<(String, Option<Decimal>)>,
    /// The deal ids of the rows not loaded whose id cell can be read.
    pub(super) set_aside_ids: Vec<String>,
}

impl Piece {
    /// The id of the piece's row `i`.
    pub(super) fn id(&self, i: usize) -> &[u8] {
        let start = i.checked_sub(1).map_or(0, |p| self.id_ends[p] as usize);
        &self.id_bytes.as_bytes()[start..self.id_ends[i] as usize]
    }

    /// Front-code the ids when each orders after the one before (the usual export, sorted by id),
    /// so the table keeps them coded while it is filled (see `ids.rs`).
    pub(super) fn code_ids(&mut self) {
        let rows = self.id_ends.len();
        self.coded_ids = super::ids::encode_ascending((0..rows).map(|i| self.id(i)));
    }

    /// No rows, no lines, no diagnostics; the room of its lists kept.
    fn clear(&mut self) {
        self.first_line = 0;
        self.newlines = 0;
        self.id_bytes.clear();
        self.id_ends.clear();
        self.coded_ids = None;
        self.lines.clear();
        self.reps.clear();
        for values in &mut self.values {
            match values {
                PieceValues::Text(interner) => interner.clear(),
                PieceValues::Decimal(column) => column.truncate(0),
                PieceValues::Date(column) => column.clear(),
            }
        }
        self.rows = 0;
        self.diags.clear();
        self.set_aside.clear();
        self.set_aside_ids.clear();
    }

    /// Its rows' and diagnostics' lines counted from `first_line` (once known): the file's lines.
    pub(super) fn rebase(&mut self) {
        let first_line = self.first_line;
        let base = first_line as u32;
        for line in &mut self.lines {
            *line += base;
        }
        for d in &mut self.diags {
            if let Some(line) = &mut d.line {
                *line += first_line;
            }
        }
    }
}

/// Pieces appended to the table, emptied with their room kept, for later blocks to be parsed into
/// (so parsing does not fault in fresh memory block after block).
#[derive(Default)]
pub(super) struct PiecePool(std::sync::Mutex<Vec<Piece>>);

impl PiecePool {
    pub(super) fn take(&self) -> Option<Piece> {
        self.0.lock().ok()?.pop()
    }

    pub(super) fn give(&self, mut piece: Piece) {
        piece.clear();
        if let Ok(mut pieces) = self.0.lock() {
            pieces.push(piece);
        }
    }
}

/// The fields of one record (no heap allocation for up to 24 columns).
pub(super) type FieldList<'a> = smallvec::SmallVec<[&'a str; 24]>;

impl Layout<'_> {
    /// The layout with its fast path's plan prepared.
    pub(super) fn with_plan(mut self) -> Self {
        self.plan = FastPlan::of(&self);
        self
    }

    /// Parse a piece of the file, its lines counted from 0 at its first byte; `rows` is about how
    /// many records it has, to size its columns once; `block` says what its block is known not to
    /// have.
    pub(super) fn parse_piece(&self, bytes: &[u8], rows: usize, block: BlockScan) -> Piece {
        self.parse_into(None, bytes, rows, block)
    }

    /// [`Self::parse_piece`] into `piece` (emptied, its room kept, see [`PiecePool`]) when given.
    pub(super) fn parse_into(
        &self,
        piece: Option<Piece>,
        bytes: &[u8],
        rows: usize,
        block: BlockScan,
    ) -> Piece {
        let mut piece = piece.unwrap_or_else(|| self.empty_piece(rows));
        match plain_text(bytes, block) {
            Some(text) if self.delimiter == b',' => self.parse_plain(text, &mut piece),
            _ => self.parse_csv(bytes, &mut piece),
        }
        piece
    }

    /// A piece with no rows, room for `rows`.
    fn empty_piece(&self, rows: usize) -> Piece {
        Piece {
            first_line: 0,
            newlines: 0,
            id_bytes: String::new(),
            id_ends: Vec::with_capacity(rows),
            coded_ids: None,
            lines: Vec::with_capacity(rows),
            reps: Vec::with_capacity(rows),
            values: self
                .columns
                .iter()
                .map(|(_, _, ty, _)| match ty {
                    ColumnType::Text => PieceValues::Text(Interner {
                        codes: Vec::with_capacity(rows),
                        ..Interner::default()
                    }),
                    ColumnType::Decimal | ColumnType::Money => {
                        PieceValues::Decimal(Decimals::with_capacity(rows))
                    }
                    ColumnType::Date => PieceValues::Date(Vec::with_capacity(rows)),
                })
                .collect(),
            rows: 0,
            diags: Vec::new(),
            set_aside: Vec::new(),
            set_aside_ids: Vec::new(),
        }
    }

    /// The piece of a stray quote's record (`text` is the block, from the piece's record on to the
    /// end of what is read): one row, not loaded, its problem on the quote's line.
    #[cold]
    pub(super) fn stray_piece(&self, text: &[u8], stray: &StrayQuote) -> Piece {
        let mut piece = self.parse_piece(b"", 0, BlockScan::UNKNOWN);
        let newlines = |a: usize, b: usize| bytecount::count(&text[a..b], b'\n') as u64;
        piece.newlines = newlines(stray.record, stray.resume);
        piece.rows = 1;
        let mut d = Diagnostic::error(
            "csv-quote-unclosed",
            self.file,
            crate::data::quotes::describe(text, self.delimiter, stray),
        )
        .line(newlines(stray.record, stray.quote))
        .value(crate::data::quotes::excerpt(text, stray))
        .hint(crate::data::quotes::HINT);
        if let Some(header) = self.headers.get(crate::data::quotes::field_index(
            text,
            self.delimiter,
            stray,
        )) {
            d = d.col_name(header.clone());
        }
        piece.diags.push(d);
        // The fields before the quote's are whole: the currency and amount, when among them.
        let mut before = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(&text[stray.record..stray.quote]);
        let mut record = csv::ByteRecord::new();
        let _ = before.read_byte_record(&mut record);
        let whole = record.len().saturating_sub(1);
        let cell = |c: usize| {
            (c < whole)
                .then(|| std::str::from_utf8(&record[c]).ok().map(trim))
                .flatten()
        };
        self.set_aside(&mut piece, cell);
        piece
    }

    /// A piece without quotes (so every comma ends a field and every newline a record) and with
    /// carriage returns only before newlines: split with memchr, as the csv crate would read it.
    /// Its newlines are counted on the way.
    pub(super) fn parse_plain(&self, text: &str, piece: &mut Piece) {
        if let Some(plan) = &self.plan {
            return self.parse_plain_fast(plan, text, piece);
        }
        let bytes = text.as_bytes();
        let mut fields: FieldList = FieldList::new();
        // Where the current record and field start.
        let (mut record_start, mut field_start) = (0usize, 0usize);
        // The line the record is on: a quote-free record is one physical line.
        let mut physical = 0;
        // One pass over the delimiters: commas end fields, newlines end records.
        for (pos, newline) in crate::data::delimiters::Delimiters::new(bytes) {
            if !newline {
                fields.push(trim(&text[field_start..pos]));
                field_start = pos + 1;
                continue;
            }
            let crlf = pos > field_start && bytes[pos - 1] == b'\r';
            let end = pos - crlf as usize;
            self.plain_record(
                piece,
                &mut fields,
                text,
                (record_start, field_start, end),
                physical,
            );
            physical += 1;
            record_start = pos + 1;
            field_start = pos + 1;
        }
        if record_start < bytes.len() {
            let end = bytes.len();
            self.plain_record(
                piece,
                &mut fields,
                text,
                (record_start, field_start, end),
                physical,
            );
        }
        piece.newlines = physical;
    }

    /// The record `text[start..end]`, its fields before `field_start` already in `fields`; an empty
    /// record (an empty line, which the csv crate skips) is no row.
    #[inline]
    pub(super) fn plain_record<'t>(
        &self,
        piece: &mut Piece,
        fields: &mut FieldList<'t>,
        text: &'t str,
        (start, field_start, end): (usize, usize, usize),
        line: u64,
    ) {
        if end > start {
            fields.push(trim(&text[field_start..end]));
            piece.rows += 1;
            if fields.len() != self.headers.len() {
                self.row_width(piece, fields.len(), line, 1);
            } else {
                self.record(piece, fields, text, line);
            }
        }
        fields.clear();
    }

    /// Any piece, read with the csv crate (its newlines counted first).
    pub(super) fn parse_csv(&self, bytes: &[u8], piece: &mut Piece) {
        piece.newlines = bytecount::count(bytes, b'\n') as u64;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let width = self.headers.len();
        let mut lines = crate::data::lines::LineCounter::new(0);
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let offset = e.position().map_or(0, |p| p.byte() as usize);
                    let line = lines.record_line(bytes, offset);
                    piece.diags.push(
                        Diagnostic::error("csv-invalid", self.file, e.to_string()).line(line),
                    );
                    continue;
                }
            }
            piece.rows += 1;
            let offset = record.position().map_or(0, |p| p.byte() as usize);
            let line = lines.record_line(bytes, offset);
            if record.len() != width {
                let lines = 1 + bytecount::count(record.as_slice(), b'\n') as u64;
                self.row_width(piece, record.len(), line, lines);
                continue;
            }
            // Validate the record's bytes once; a field is then a slice of the valid text.
            let all = match std::str::from_utf8(record.as_slice()) {
                Ok(all) => all,
                Err(_) => {
                    let i = record
                        .iter()
                        .position(|f| std::str::from_utf8(f).is_err())
                        .unwrap_or(0);
                    let cell = |c: usize| std::str::from_utf8(&record[c]).ok().map(trim);
                    self.set_aside(piece, cell);
                    piece.diags.push(crate::data::csv_input::encoding_invalid(
                        self.file,
                        Some("deals"),
                        line,
                        self.headers[i].clone(),
                        &record[i],
                    ));
                    continue;
                }
            };
            let field = |i: usize| trim(record.range(i).and_then(|r| all.get(r)).unwrap_or(""));
            let fields: FieldList = (0..width).map(field).collect();
            self.record(piece, &fields, all, line);
        }
    }

    /// Note a row that is not loaded under the currency and amount its cells give (`cell(i)`: the
    /// trimmed text of field `i`, if it can be read).
    #[cold]
    pub(super) fn set_aside<'c>(&self, piece: &mut Piece, cell: impl Fn(usize) -> Option<&'c str>) {
        let currency = match self.currency {
            None => Some(""),
            Some(c) => cell(c),
        };
        let amount = cell(self.amount).and_then(|v| match fast_decimal(v) {
            Some((m, s)) if self.number_format.decimal_separator == '.' => {
                Some(Decimal::new(m, s as u32))
            }
            _ => self.number_format.parse(v),
        });
        let currency = currency.unwrap_or(UNREADABLE_CURRENCY).to_string();
        piece.set_aside.push((currency, amount));
        if let Some(id) = cell(self.id).filter(|id| !id.is_empty()) {
            piece.set_aside_ids.push(id.to_string());
        }
    }

    /// A row of `len` fields over `lines` lines, not the header's width.
    #[cold]
    pub(super) fn row_width(&self, piece: &mut Piece, len: usize, line: u64, lines: u64) {
        piece
            .set_aside
            .push((UNREADABLE_CURRENCY.to_string(), None));
        let width = self.headers.len();
        let d = crate::data::csv_input::row_width_diagnostic(self.file, len, width, lines);
        piece.diags.push(d.line(line));
    }

    /// The roster index of a deal's owner: [`NO_OWNER`] for an empty `rep_id`, `None` for a rep not
    /// in the roster.
    #[inline]
    pub(super) fn owner(&self, rep_id: &str) -> Option<u32> {
        if rep_id.is_empty() {
            return Some(NO_OWNER);
        }
        self.roster.find(rep_id)
    }

    /// One record of the header's width, its fields trimmed: check it, and keep it if it is usable.
    /// Numbers and dates are parsed straight onto their columns, which are cut back to the kept
    /// rows if any field is unusable; texts are interned only for a kept row. Every non-empty field
    /// is a slice of `arena` (the record's text), read around it to intern the field.
    #[inline]
    pub(super) fn record(&self, piece: &mut Piece, fields: &[&str], arena: &str, line: u64) {
        let err = |code, c: usize, msg: String| {
            Diagnostic::error(code, self.file, msg)
                .line(line)
                .col_name(self.headers[c].clone())
                .value(fields[c].to_string())
        };
        let Piece {
            id_ends,
            values,
            diags,
            ..
        } = piece;
        let kept = id_ends.len();
        let mut ok = true;
        let id = fields[self.id];
        if id.is_empty() {
            diags.push(err("deal-id-empty", self.id, "the deal id is empty".into()));
            ok = false;
        }
        let rep = self.owner(fields[self.rep]);
        if rep.is_none() {
            diags.push(
                err(
                    "rep-unknown",
                    self.rep,
                    format!("rep is not in the roster {}", self.roster.file),
                )
                .hint("add the rep to the roster, or correct the owner"),
            );
            ok = false;
        }
        for ((i, name, _, required), values) in self.columns.iter().zip(values.iter_mut()) {
            let v = fields[*i];
            if v.is_empty() && *required {
                diags.push(err("value-missing", *i, format!("`{name}` is required")));
                ok = false;
            }
            match values {
                PieceValues::Text(_) => {}
                PieceValues::Decimal(column) if v.is_empty() => column.push(None),
                PieceValues::Decimal(column) => {
                    let fast = if self.number_format.decimal_separator == '.' {
                        fast_decimal(v)
                    } else {
                        None
                    };
                    match fast {
                        Some((m, s)) => column.push_parts(m, s),
                        None => match self.number_format.parse(v) {
                            Some(d) => column.push(Some(d)),
                            None => {
                                diags.push(err(
                                    "amount-invalid",
                                    *i,
                                    format!("not {}", self.number_format.describe()),
                                ));
                                ok = false;
                            }
                        },
                    }
                }
                PieceValues::Date(column) if v.is_empty() => column.push(None),
                PieceValues::Date(column) => {
                    let fast = if self.iso_dates {
                        fast_iso_date(v)
                    } else {
                        None
                    };
                    match fast
                        .map(Ok)
                        .unwrap_or_else(|| parse_date(v, self.date_format))
                    {
                        Ok(d) => column.push(Some(d)),
                        Err(m) => {
                            diags.push(err("date-invalid", *i, m));
                            ok = false;
                        }
                    }
                }
            }
        }
        if !ok {
            for values in values.iter_mut() {
                match values {
                    PieceValues::Text(_) => {}
                    PieceValues::Decimal(column) => column.truncate(kept),
                    PieceValues::Date(column) => column.truncate(kept),
                }
            }
            self.set_aside(piece, |c| fields.get(c).copied());
            return;
        }
        piece.id_bytes.push_str(id);
        piece.id_ends.push(piece.id_bytes.len() as u32);
        piece.lines.push(line as u32);
        piece.reps.push(rep.unwrap_or_default());
        for ((i, _, _, _), values) in self.columns.iter().zip(piece.values.iter_mut()) {
            if let PieceValues::Text(interner) = values {
                let v = fields[*i];
                // Where the field is in the arena (an empty field's key does not read the bytes).
                let at = (v.as_ptr() as usize).wrapping_sub(arena.as_ptr() as usize);
                match loaded_key(arena.as_bytes(), at, v.len()) {
                    Some(key) => interner.push_loaded(v, key),
                    None => interner.push(v),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of `deal_id,rep_id,amount,close_date,stage` with ISO dates.
    fn test_layout<'a>(roster: &'a Roster, number_format: &'a NumberFormat) -> Layout<'a> {
        static ISO: std::sync::LazyLock<DateFormats> =
            std::sync::LazyLock::new(DateFormats::default);
        Layout {
            file: "deals.csv",
            headers: ["deal_id", "rep_id", "amount", "close_date", "stage"]
                .map(String::from)
                .to_vec(),
            id: 0,
            rep: 1,
            amount: 2,
            currency: None,
            columns: vec![
                (2, "amount".into(), ColumnType::Money, true),
                (3, "close_date".into(), ColumnType::Date, true),
                (4, "stage".into(), ColumnType::Text, false),
            ],
            date_format: &ISO,
            iso_dates: true,
            number_format,
            delimiter: b',',
            roster,
            plan: None,
        }
        .with_plan()
    }

    /// What a parse produced, in a comparable form.
    fn summary(p: &Piece) -> String {
        let mut out = format!(
            "rows {} newlines {} ids {:?} {:?} lines {:?} reps {:?}\n",
            p.rows, p.newlines, p.id_bytes, p.id_ends, p.lines, p.reps
        );
        for v in &p.values {
            match v {
                PieceValues::Text(t) => out += &format!("text {:?} {:?}\n", t.dict, t.codes),
                PieceValues::Decimal(d) => {
                    let cells: Vec<_> = (0..d.len).map(|r| d.get(r)).collect();
                    out += &format!("dec {cells:?}\n")
                }
                PieceValues::Date(d) => out += &format!("date {d:?}\n"),
            }
        }
        for d in &p.diags {
            out += &format!("{d}\n");
        }
        out
    }

    #[test]
    fn an_unusable_row_leaves_no_cell_behind() {
        let roster = Roster::from_ids(&["R1"]);
        let number_format = NumberFormat::default();
        let layout = test_layout(&roster, &number_format);
        // D2's amount (beyond 64 bits) parses before its date fails; D4's rep is unknown after its
        // amount and date parse; D5's amount fails. Only D1 and D3 are kept, with their own cells,
        // and no text of a dropped row enters the dictionary.
        let text = "D1,R1,1.50,2026-01-02,won\n\
                    D2,R1,123456789012.34567890123,2026-13-01,lost\n\
                    D3,R1,2.5,2026-01-03,open\n\
                    D4,R9,7,2026-01-04,lost\n\
                    D5,R1,x,2026-01-05,lost\n";
        let mut piece = layout.parse_piece(b"", 0, BlockScan::UNKNOWN);
        layout.parse_plain(text, &mut piece);
        assert_eq!(piece.newlines, 5);
        piece.first_line = 2;
        piece.rebase();
        assert_eq!(piece.rows, 5);
        assert_eq!(piece.id_bytes, "D1D3");
        assert_eq!(piece.lines, [2, 4]);
        let PieceValues::Decimal(amounts) = &piece.values[0] else {
            panic!("amount is a decimal column")
        };
        assert_eq!(amounts.len, 2);
        assert_eq!(
            (0..amounts.len).map(|r| amounts.get(r)).collect::<Vec<_>>(),
            [Some(Decimal::new(150, 2)), Some(Decimal::new(25, 1))]
        );
        assert!(amounts.big.is_empty());
        let PieceValues::Date(dates) = &piece.values[1] else {
            panic!("close_date is a date column")
        };
        assert_eq!(
            dates,
            &[
                NaiveDate::from_ymd_opt(2026, 1, 2),
                NaiveDate::from_ymd_opt(2026, 1, 3)
            ]
        );
        let PieceValues::Text(stages) = &piece.values[2] else {
            panic!("stage is a text column")
        };
        assert_eq!(stages.dict, ["won", "open"]);
        assert_eq!(stages.codes, [0, 1]);
        let codes: Vec<&str> = piece.diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["date-invalid", "rep-unknown", "amount-invalid"]);
    }

    /// A piece emptied and parsed again (see `PiecePool`) holds what a fresh one does: no row,
    /// code or dictionary entry of its earlier text is left.
    #[test]
    fn a_reused_piece_parses_as_a_fresh_one() {
        let roster = Roster::from_ids(&["R1", "R2"]);
        let number_format = NumberFormat::default();
        let layout = test_layout(&roster, &number_format);
        let first = "D1,R1,1.5,2026-01-02,lost\nD2,R2,123456789012.34567890123,2026-01-03,won\n\
                     D3,R2,7,2026-01-04,open\nD4,R9,1,2026-01-05,x\n";
        let second = "D7,R2,2.25,2026-02-03,won\nD8,R1,,2026-02-04,lost\n";
        let pool = PiecePool::default();
        let used = layout.parse_piece(first.as_bytes(), 4, BlockScan::UNKNOWN);
        assert!(!used.diags.is_empty());
        pool.give(used);
        let again = layout.parse_into(pool.take(), second.as_bytes(), 2, BlockScan::UNKNOWN);
        let fresh = layout.parse_piece(second.as_bytes(), 2, BlockScan::UNKNOWN);
        assert_eq!(summary(&again), summary(&fresh));
        assert!(pool.take().is_none());
    }

    /// The memchr splitter reads every quote-free text as the csv crate does.
    #[test]
    fn plain_pieces_parse_as_the_csv_crate_reads_them() {
        let roster = Roster::from_ids(&["R1", "R2", "a-rep-id-longer-than-15-bytes"]);
        let number_format = NumberFormat::default();
        let fast = test_layout(&roster, &number_format);
        assert!(fast.plan.is_some());
        let general = Layout {
            plan: None,
            ..test_layout(&roster, &number_format)
        };
        for layout in [&fast, &general] {
            plain_texts_parse_as_the_csv_crate_reads_them(layout);
        }
        // what the splitter must leave to the csv crate
        assert!(plain_text(b"a,\"b\",c\n", BlockScan::UNKNOWN).is_none());
        assert!(plain_text(b"a,b\rc,d\n", BlockScan::UNKNOWN).is_none());
        assert!(plain_text(b"a,b\xff\n", BlockScan::UNKNOWN).is_none());
        assert!(plain_text(b"a,b\r\n", BlockScan::UNKNOWN).is_some());
    }

    /// Each text, and many random ones, parsed by `layout`'s plain path and by the csv crate.
    fn plain_texts_parse_as_the_csv_crate_reads_them(layout: &Layout) {
        let texts = [
            "D1,R1,10.50,2026-01-02,won\nD2,R2,-3,2026-02-03,lost\n",
            // CRLF, blank lines (skipped but counted), no newline at the end
            "D1,R1,1,2026-01-02,won\r\n\r\n\nD2,R2,2.5,2026-01-03,won",
            // spaces and Unicode spaces around fields, an empty optional text, a long rep id
            " D1 , R1 ,\u{a0}7.25\u{3000},2026-01-02, \nD2,a-rep-id-longer-than-15-bytes,1,2026-01-02,ünïcode wön\n",
            // spaces and tabs around dates, reps and amounts (which only the general path trims)
            "D1,R1,1, 2026-01-02 ,won\nD2,\tR2,2.5,2026-01-03\t,x\nD3,R1 , 4 ,2026-01-04,y\n",
            // errors: width, empty id, unknown rep, bad amount, bad date, missing amount
            "D1,R1,1\nD2,R1,1,2026-01-02,won,extra\n,R1,1,2026-01-02,x\nD4,R9,1,2026-01-02,x\n\
             D5,R1,1.2.3,2026-01-02,x\nD6,R1,1,2026-13-02,x\nD7,R1,,2026-01-02,x\nD8,R1,1e3,2026-01-02,x\n",
            // amounts at and over the input range, big mantissas, trailing comma, lone text
            "D1,R1,999999999999999.99,2026-01-02,a\nD2,R1,1000000000000000,2026-01-02,a\n\
             D3,R1,123456789012345678.901,2026-01-02,a\nD4,R1,0.000000000000000001,2026-01-02,a\n\
             D5,R1,1,2026-01-02,\nD6,R1,-0.00,2026-01-02,a,\nD7\n",
            // many distinct text values (past the scan into the hash map), long ones too
            &(0..40)
                .map(|i| format!("D{i},R{},{i},2026-01-02,stage {}\n", 1 + i % 2, "x".repeat(i % 20)))
                .collect::<String>(),
        ];
        for text in texts {
            let plain = plain_text(text.as_bytes(), BlockScan::UNKNOWN).expect("a plain piece");
            let mut a = layout.parse_piece(b"", 0, BlockScan::UNKNOWN);
            let mut b = layout.parse_piece(b"", 0, BlockScan::UNKNOWN);
            layout.parse_plain(plain, &mut a);
            layout.parse_csv(text.as_bytes(), &mut b);
            assert_eq!(summary(&a), summary(&b), "{text:?}");
        }
        // random texts of the bytes that matter to the splitter
        let atoms = [
            "D1",
            "R1",
            "R2",
            "R3",
            ",",
            ",",
            ",",
            "\n",
            "\r\n",
            " ",
            "\u{a0}",
            "é",
            "1.5",
            "-2",
            "2026-01-02",
            "x",
            "",
            "\t",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text += atoms[(seed % atoms.len() as u64) as usize];
            }
            let Some(plain) = plain_text(text.as_bytes(), BlockScan::UNKNOWN) else {
                continue;
            };
            let mut a = layout.parse_piece(b"", 0, BlockScan::UNKNOWN);
            let mut b = layout.parse_piece(b"", 0, BlockScan::UNKNOWN);
            layout.parse_plain(plain, &mut a);
            layout.parse_csv(text.as_bytes(), &mut b);
            assert_eq!(summary(&a), summary(&b), "{text:?}");
        }
    }
}
