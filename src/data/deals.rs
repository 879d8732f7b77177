//! The transactions table (deals, order lines, invoices), stored by column, read in parallel.
//!
//! Invariants: one entry per data row that parsed, in file order, whatever the thread count;
//! `deal_id` unique; every deal's rep is in the roster; `amount` and `close_date` present and exact;
//! each column is typed once (canonical columns by the contract, extra columns by the workspace's
//! `types`, text otherwise) and its cells parsed with the file's formats. Storage is compact: ids in
//! one byte arena, decimals as (i64 mantissa, scale), dates as 4 bytes, text interned per column.
//!
//! Reading: the file is read in blocks; each block is cut at record boundaries (a newline outside
//! quotes, so quoted newlines are safe) into pieces parsed on rayon and appended in file order while
//! the next SHA-256 update runs beside them. Line numbers count every newline, as the csv crate does.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;

use anyhow::Context;
use chrono::NaiveDate;
use compact_str::CompactString;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use super::csv_input::FileInfo;
use super::{parse_date, ColumnType, Roster};
use crate::diag::{Diagnostic, Diagnostics};
use crate::money::NumberFormat;
use crate::workspace::InputSpec;

/// Decimal cells: mantissa and scale, `scale == EMPTY` for an empty cell; the rare value whose
/// mantissa does not fit an i64 is kept whole in `big`.
#[derive(Debug, Default)]
pub struct Decimals {
    mantissa: Vec<i64>,
    scale: Vec<u8>,
    big: BTreeMap<u32, Decimal>,
}

const EMPTY: u8 = u8::MAX;
const BIG: u8 = u8::MAX - 1;

impl Decimals {
    pub fn get(&self, row: usize) -> Option<Decimal> {
        match self.scale[row] {
            EMPTY => None,
            BIG => self.big.get(&(row as u32)).copied(),
            s => Some(Decimal::new(self.mantissa[row], s as u32)),
        }
    }

    fn push(&mut self, value: Option<Decimal>) {
        match value {
            None => {
                self.mantissa.push(0);
                self.scale.push(EMPTY);
            }
            Some(d) => match i64::try_from(d.mantissa()) {
                Ok(m) => {
                    self.mantissa.push(m);
                    self.scale.push(d.scale() as u8);
                }
                Err(_) => {
                    self.big.insert(self.mantissa.len() as u32, d);
                    self.mantissa.push(0);
                    self.scale.push(BIG);
                }
            },
        }
    }

    fn append(&mut self, other: Decimals) {
        let base = self.mantissa.len() as u32;
        self.big
            .extend(other.big.into_iter().map(|(r, d)| (r + base, d)));
        self.mantissa.extend(other.mantissa);
        self.scale.extend(other.scale);
    }
}

/// Dictionary codes of a text column: 16 bits each when the dictionary is small (the usual case:
/// stages, types, products, currencies), 32 bits otherwise.
#[derive(Debug)]
pub enum Codes {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for Codes {
    fn default() -> Self {
        Codes::Wide(Vec::new())
    }
}

impl Codes {
    #[inline]
    pub fn get(&self, row: usize) -> u32 {
        match self {
            Codes::Narrow(v) => v[row] as u32,
            Codes::Wide(v) => v[row],
        }
    }

    fn wide(&mut self) -> &mut Vec<u32> {
        if let Codes::Narrow(v) = self {
            *self = Codes::Wide(v.iter().map(|&c| c as u32).collect());
        }
        match self {
            Codes::Wide(v) => v,
            Codes::Narrow(_) => unreachable!(),
        }
    }

    /// Switch to 16-bit codes when every code fits (after loading).
    fn narrow(&mut self, dict_len: usize) {
        if let Codes::Wide(v) = self {
            if dict_len <= u16::MAX as usize + 1 {
                let narrow: Vec<u16> = v.iter().map(|&c| c as u16).collect();
                *self = Codes::Narrow(narrow);
            }
        }
    }
}

#[derive(Debug)]
pub enum ColumnValues {
    Text {
        dict: Vec<CompactString>,
        codes: Codes,
    },
    Decimal(Decimals),
    Date(Vec<Option<NaiveDate>>),
}

#[derive(Debug)]
pub struct DealColumn {
    /// The name plans use: the canonical name when mapped, else the file's header.
    pub name: String,
    /// The header in the file.
    pub header: String,
    pub ty: ColumnType,
    pub values: ColumnValues,
}

impl DealColumn {
    /// The cell as text, as it would be shown to a person.
    pub fn display(&self, row: usize) -> String {
        match &self.values {
            ColumnValues::Text { dict, codes } => dict[codes.get(row) as usize].to_string(),
            ColumnValues::Decimal(v) => v.get(row).map(|d| d.to_string()).unwrap_or_default(),
            ColumnValues::Date(v) => v[row].map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    pub fn decimal(&self, row: usize) -> Option<Decimal> {
        match &self.values {
            ColumnValues::Decimal(v) => v.get(row),
            _ => None,
        }
    }

    pub fn date(&self, row: usize) -> Option<NaiveDate> {
        match &self.values {
            ColumnValues::Date(v) => v[row],
            _ => None,
        }
    }

    pub fn is_empty_at(&self, row: usize) -> bool {
        match &self.values {
            ColumnValues::Text { dict, codes } => dict[codes.get(row) as usize].is_empty(),
            ColumnValues::Decimal(v) => v.get(row).is_none(),
            ColumnValues::Date(v) => v[row].is_none(),
        }
    }

    /// The dictionary code of a text value, if any row has it.
    pub fn text_code(&self, value: &str) -> Option<u32> {
        match &self.values {
            ColumnValues::Text { dict, .. } => {
                dict.iter().position(|d| d == value).map(|i| i as u32)
            }
            _ => None,
        }
    }

    pub fn text_code_at(&self, row: usize) -> Option<u32> {
        match &self.values {
            ColumnValues::Text { codes, .. } => Some(codes.get(row)),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
pub struct DealTable {
    pub file: String,
    /// All deal ids, back to back; `id_ends[row]` is where the row's id ends.
    id_bytes: String,
    id_ends: Vec<u32>,
    /// Line of each row, or empty when every row is on the line after the previous one (the usual
    /// case: no quoted newlines), and then `line = first_line + row`.
    lines: Vec<u32>,
    first_line: u32,
    /// Roster index of the deal's owner.
    pub reps: Vec<u32>,
    pub columns: Vec<DealColumn>,
    pub amount: usize,
    pub close_date: usize,
    pub currency: Option<usize>,
    pub info: Option<FileInfo>,
    /// In lenient mode: the problems of the rows that were not loaded (one or more per row).
    pub exceptions: Vec<Diagnostic>,
    /// Data rows read but not loaded (counted per record, whatever their line numbers).
    not_loaded: u64,
}

impl DealTable {
    /// How many data rows of the file were not loaded (lenient mode).
    pub fn exception_rows(&self) -> u64 {
        self.not_loaded
    }

    pub fn len(&self) -> usize {
        self.id_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id_ends.is_empty()
    }

    /// The deal id of a row.
    pub fn id(&self, row: usize) -> &str {
        let start = if row == 0 {
            0
        } else {
            self.id_ends[row - 1] as usize
        };
        &self.id_bytes[start..self.id_ends[row] as usize]
    }

    /// The deal id's bytes (ordering them orders the ids), without UTF-8 boundary checks.
    pub fn id_key(&self, row: usize) -> &[u8] {
        let start = if row == 0 {
            0
        } else {
            self.id_ends[row - 1] as usize
        };
        &self.id_bytes.as_bytes()[start..self.id_ends[row] as usize]
    }

    /// The line of the file the row is on (the header is line 1).
    pub fn line(&self, row: usize) -> u64 {
        match self.lines.get(row) {
            Some(&l) => l as u64,
            None => self.first_line as u64 + row as u64,
        }
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn amount(&self, row: usize) -> Decimal {
        self.columns[self.amount].decimal(row).unwrap_or_default()
    }

    pub fn close_date(&self, row: usize) -> NaiveDate {
        self.columns[self.close_date].date(row).unwrap_or_default()
    }

    /// The deal's currency code; empty when the file has no currency column or the cell is empty.
    pub fn currency(&self, row: usize) -> &str {
        match self.currency.map(|c| &self.columns[c].values) {
            Some(ColumnValues::Text { dict, codes }) => &dict[codes.get(row) as usize],
            _ => "",
        }
    }

    /// The dictionary code of the row's currency (0 when the file has no currency column).
    pub fn currency_code(&self, row: usize) -> u32 {
        self.currency
            .and_then(|c| self.columns[c].text_code_at(row))
            .unwrap_or(0)
    }
}

/// Whether a deals column name is canonical (its type is fixed by the data contract).
pub fn is_canonical(name: &str) -> bool {
    matches!(name, "deal_id" | "rep_id") || canonical_type(name).is_some()
}

fn canonical_type(name: &str) -> Option<ColumnType> {
    Some(match name {
        "amount" | "margin" | "cancelled_amount" => ColumnType::Money,
        "quantity" => ColumnType::Decimal,
        "close_date" | "cancel_date" | "paid_date" | "created_date" => ColumnType::Date,
        "currency" | "stage" | "type" | "product" | "territory" | "account_id" | "segment" => {
            ColumnType::Text
        }
        _ => return None,
    })
}

/// How a data row's fields are laid out and parsed (fixed for the file).
struct Layout<'a> {
    file: &'a str,
    headers: Vec<String>,
    id: usize,
    rep: usize,
    /// (field index, name, type, required)
    columns: Vec<(usize, String, ColumnType, bool)>,
    date_format: &'a str,
    iso_dates: bool,
    number_format: &'a NumberFormat,
    roster: &'a Roster,
}

/// Values of one column in a piece of the file, with the piece's own text dictionary.
enum PieceValues {
    Text {
        dict: Vec<CompactString>,
        index: FxHashMap<CompactString, u32>,
        codes: Vec<u32>,
    },
    Decimal(Decimals),
    Date(Vec<Option<NaiveDate>>),
}

/// One piece of the file, parsed.
struct Piece {
    id_bytes: String,
    id_ends: Vec<u32>,
    lines: Vec<u32>,
    reps: Vec<u32>,
    values: Vec<PieceValues>,
    rows: u64,
    diags: Vec<Diagnostic>,
}

/// The fields of one record (no heap allocation for up to 24 columns).
type FieldList<'a> = smallvec::SmallVec<[&'a str; 24]>;

/// `[-]digits[.digits]`, the common shape, parsed without allocating; `None` for anything else.
fn fast_decimal(s: &str) -> Option<Decimal> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = 0u32;
    let mut seen_point = false;
    let mut any_digit = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + (c - b'0') as i64;
                any_digit = true;
                if seen_point {
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !any_digit || (seen_point && scale == 0) {
        return None;
    }
    let d = Decimal::new(if neg { -mantissa } else { mantissa }, scale);
    crate::money::within_input_range(d).then_some(d)
}

fn fast_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

impl Layout<'_> {
    fn parse_piece(&self, bytes: &[u8], first_line: u64) -> Piece {
        let mut piece = Piece {
            id_bytes: String::new(),
            id_ends: Vec::new(),
            lines: Vec::new(),
            reps: Vec::new(),
            values: self
                .columns
                .iter()
                .map(|(_, _, ty, _)| match ty {
                    ColumnType::Text => PieceValues::Text {
                        dict: Vec::new(),
                        index: FxHashMap::default(),
                        codes: Vec::new(),
                    },
                    ColumnType::Decimal | ColumnType::Money => {
                        PieceValues::Decimal(Decimals::default())
                    }
                    ColumnType::Date => PieceValues::Date(Vec::new()),
                })
                .collect(),
            rows: 0,
            diags: Vec::new(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let width = self.headers.len();
        enum Cell {
            Empty,
            Text,
            Decimal(Decimal),
            Date(NaiveDate),
        }
        let mut cells: Vec<Cell> = Vec::with_capacity(self.columns.len());
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = first_line + e.position().map_or(1, |p| p.line()) - 1;
                    piece.diags.push(
                        Diagnostic::error("csv-invalid", self.file, e.to_string()).line(line),
                    );
                    continue;
                }
            }
            piece.rows += 1;
            let line = first_line + record.position().map_or(1, |p| p.line()) - 1;
            if record.len() != width {
                piece.diags.push(
                    Diagnostic::error(
                        "row-width",
                        self.file,
                        format!(
                            "the row has {} fields but the header has {width}",
                            record.len()
                        ),
                    )
                    .line(line)
                    .hint("check for an unquoted comma or a missing field"),
                );
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
                    piece.diags.push(
                        Diagnostic::error(
                            "encoding-invalid",
                            self.file,
                            "the field is not valid UTF-8",
                        )
                        .line(line)
                        .col_name(self.headers[i].clone())
                        .value(String::from_utf8_lossy(&record[i]).into_owned())
                        .hint("export the file as UTF-8"),
                    );
                    continue;
                }
            };
            let field = |i: usize| {
                record
                    .range(i)
                    .and_then(|r| all.get(r))
                    .unwrap_or("")
                    .trim()
            };
            let fields: FieldList = (0..width).map(field).collect();
            let err = |code, c: usize, msg: String| {
                Diagnostic::error(code, self.file, msg)
                    .line(line)
                    .col_name(self.headers[c].clone())
                    .value(fields[c].to_string())
            };
            let mut ok = true;
            let id = fields[self.id];
            if id.is_empty() {
                piece
                    .diags
                    .push(err("deal-id-empty", self.id, "the deal id is empty".into()));
                ok = false;
            }
            let rep = self.roster.find(fields[self.rep]);
            if rep.is_none() {
                piece.diags.push(
                    err(
                        "rep-unknown",
                        self.rep,
                        format!("rep is not in the roster {}", self.roster.file),
                    )
                    .hint("add the rep to the roster, or correct the owner"),
                );
                ok = false;
            }
            cells.clear();
            for (i, name, ty, required) in &self.columns {
                let v = fields[*i];
                if v.is_empty() {
                    if *required {
                        piece
                            .diags
                            .push(err("value-missing", *i, format!("`{name}` is required")));
                        ok = false;
                    }
                    cells.push(Cell::Empty);
                    continue;
                }
                cells.push(match ty {
                    ColumnType::Text => Cell::Text,
                    ColumnType::Decimal | ColumnType::Money => {
                        let parsed = if self.number_format.decimal_separator == '.' {
                            fast_decimal(v)
                        } else {
                            None
                        };
                        match parsed.or_else(|| self.number_format.parse(v)) {
                            Some(d) => Cell::Decimal(d),
                            None => {
                                piece.diags.push(err(
                                    "amount-invalid",
                                    *i,
                                    format!("not {}", self.number_format.describe()),
                                ));
                                ok = false;
                                Cell::Empty
                            }
                        }
                    }
                    ColumnType::Date => {
                        let fast = if self.iso_dates {
                            fast_iso_date(v)
                        } else {
                            None
                        };
                        match fast
                            .map(Ok)
                            .unwrap_or_else(|| parse_date(v, self.date_format))
                        {
                            Ok(d) => Cell::Date(d),
                            Err(m) => {
                                piece.diags.push(err("date-invalid", *i, m));
                                ok = false;
                                Cell::Empty
                            }
                        }
                    }
                });
            }
            if !ok {
                continue;
            }
            piece.id_bytes.push_str(id);
            piece.id_ends.push(piece.id_bytes.len() as u32);
            piece.lines.push(line as u32);
            piece.reps.push(rep.unwrap_or_default());
            for (((i, _, _, _), values), cell) in self
                .columns
                .iter()
                .zip(piece.values.iter_mut())
                .zip(cells.iter())
            {
                match (values, cell) {
                    (PieceValues::Text { dict, index, codes }, _) => {
                        let v = fields[*i];
                        let code = match index.get(v) {
                            Some(&c) => c,
                            None => {
                                let c = dict.len() as u32;
                                dict.push(CompactString::new(v));
                                index.insert(CompactString::new(v), c);
                                c
                            }
                        };
                        codes.push(code);
                    }
                    (PieceValues::Decimal(d), Cell::Decimal(x)) => d.push(Some(*x)),
                    (PieceValues::Decimal(d), _) => d.push(None),
                    (PieceValues::Date(d), Cell::Date(x)) => d.push(Some(*x)),
                    (PieceValues::Date(d), _) => d.push(None),
                }
            }
        }
        piece
    }
}

/// Where records end in `buf` (a newline outside a quoted field), cutting it into about `parts` pieces:
/// the piece ends (exclusive), the end of the last complete record, and the newlines in each piece.
fn cut(buf: &[u8], parts: usize, eof: bool) -> (Vec<usize>, Vec<u64>) {
    let target = (buf.len() / parts.max(1)).max(1 << 16);
    let mut ends = Vec::new();
    let mut newlines = Vec::new();
    let mut in_quotes = false;
    let mut count = 0u64;
    let mut last_end = 0usize;
    let mut piece_start = 0usize;
    // Quotes as the csv crate reads them: a quote opens a quoted field only at the start of a field,
    // `""` inside one is an escaped quote, and any other quote is a literal character (`24" screen`).
    let mut skip = 0usize;
    for pos in memchr::memchr2_iter(b'"', b'\n', buf) {
        if pos < skip {
            continue;
        }
        if buf[pos] == b'"' {
            if in_quotes {
                if buf.get(pos + 1) == Some(&b'"') {
                    skip = pos + 2;
                } else {
                    in_quotes = false;
                }
            } else if pos == 0 || matches!(buf[pos - 1], b',' | b'\n' | b'\r') {
                in_quotes = true;
            }
            continue;
        }
        count += 1;
        if !in_quotes {
            last_end = pos + 1;
            if last_end - piece_start >= target {
                ends.push(last_end);
                newlines.push(count);
                count = 0;
                piece_start = last_end;
            }
        }
    }
    if eof {
        if piece_start < buf.len() {
            ends.push(buf.len());
            newlines.push(count);
        }
    } else if piece_start < last_end {
        // The partial record after `last_end` waits for the next block; its newlines are counted there.
        let tail_newlines = buf[last_end..].iter().filter(|&&b| b == b'\n').count() as u64;
        ends.push(last_end);
        newlines.push(count - tail_newlines);
    }
    (ends, newlines)
}

const BLOCK: usize = 32 << 20;

pub fn read_deals(
    spec: &InputSpec,
    roster: &Roster,
    lenient: bool,
    diags: &mut Diagnostics,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<DealTable> {
    let file = spec.path.display().to_string();
    let mut handle =
        File::open(&spec.path).with_context(|| format!("cannot open the deals file {file}"))?;
    let mut hasher = Sha256::new();
    let mut total_bytes = 0u64;
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK + (1 << 20));
    let (mut unhashed, mut eof) = fill(&mut handle, &mut buf, BLOCK, &mut total_bytes, &file)?;

    // The header row.
    let mut header_reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&buf[..]);
    let Some(headers) = super::csv_input::read_headers(&mut header_reader, &file, diags) else {
        return Ok(DealTable::default());
    };
    let header_end = header_reader.position().byte() as usize;
    let mut next_line = header_reader.position().line();
    drop(header_reader);
    let Some(positions) = super::csv_input::resolve_columns(spec, &file, &headers, diags) else {
        return Ok(DealTable::default());
    };
    let position = |c: &str| positions.iter().find(|(n, _)| n == c).map(|&(_, i)| i);
    let (id, rep) = (
        position("deal_id").unwrap_or(0),
        position("rep_id").unwrap_or(0),
    );
    let (amount_pos, date_pos) = (position("amount"), position("close_date"));
    let mut columns = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        if i == id || i == rep {
            continue;
        }
        let canonical = positions
            .iter()
            .find(|(_, p)| *p == i)
            .map(|(c, _)| c.clone());
        let name = canonical.clone().unwrap_or_else(|| header.clone());
        let ty = canonical
            .as_deref()
            .and_then(canonical_type)
            .or_else(|| spec.types.get(&name).copied())
            .unwrap_or(ColumnType::Text);
        let required = Some(i) == amount_pos || Some(i) == date_pos;
        columns.push((i, name, ty, required));
    }
    for name in spec.types.keys() {
        if !columns.iter().any(|(_, n, _, _)| n == name) {
            diags.push(
                Diagnostic::error("column-missing", &file, format!("the workspace gives a type to column `{name}`, which the deals file does not have"))
                    .line(1)
                    .hint(format!("headers found: {}", headers.join(", "))),
            );
        }
    }
    let layout = Layout {
        file: &file,
        headers: headers.clone(),
        id,
        rep,
        columns,
        date_format: &spec.date_format,
        iso_dates: spec.date_format == "%Y-%m-%d",
        number_format: &spec.number_format,
        roster,
    };

    let mut table = DealTable {
        file: file.clone(),
        columns: layout
            .columns
            .iter()
            .map(|(i, name, ty, _)| DealColumn {
                name: name.clone(),
                header: headers[*i].clone(),
                ty: *ty,
                values: match ty {
                    ColumnType::Text => ColumnValues::Text {
                        dict: Vec::new(),
                        codes: Codes::default(),
                    },
                    ColumnType::Decimal | ColumnType::Money => {
                        ColumnValues::Decimal(Decimals::default())
                    }
                    ColumnType::Date => ColumnValues::Date(Vec::new()),
                },
            })
            .collect(),
        ..DealTable::default()
    };
    let mut global_index: Vec<FxHashMap<CompactString, u32>> =
        vec![FxHashMap::default(); layout.columns.len()];
    let file_len = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reserved = false;
    let mut rows = 0u64;
    let parts = rayon::current_num_threads() * 4;
    let mut start = header_end;
    loop {
        let (ends, newlines) = cut(&buf[start..], parts, eof);
        let mut bounds = Vec::with_capacity(ends.len());
        let (mut from, mut line) = (start, next_line);
        for (end, n) in ends.iter().zip(&newlines) {
            bounds.push((from, start + end, line));
            from = start + end;
            line += n;
        }
        let consumed = from;
        next_line = line;
        // Hash the block's new bytes on one thread while the pieces are parsed on the others.
        let (_, pieces) = rayon::join(
            || hasher.update(&buf[unhashed..]),
            || {
                bounds
                    .par_iter()
                    .map(|&(a, b, l)| layout.parse_piece(&buf[a..b], l))
                    .collect::<Vec<Piece>>()
            },
        );
        if !reserved {
            // Size the table once from the first block's rows per byte, so it does not grow by
            // doubling (which would briefly hold three copies of a large column).
            reserved = true;
            let sample_rows: u64 = pieces.iter().map(|p| p.id_ends.len() as u64).sum();
            let sample_bytes = (consumed - header_end).max(1) as u64;
            let id_bytes: u64 = pieces.iter().map(|p| p.id_bytes.len() as u64).sum();
            if sample_rows > 0 {
                let est = (file_len.saturating_sub(header_end as u64) * sample_rows / sample_bytes)
                    as usize;
                let est = est + est / 50 + 16;
                reserve(&mut table, est, (id_bytes / sample_rows) as usize * est);
            }
        }
        for piece in pieces {
            rows += piece.rows;
            table.not_loaded += piece.rows - piece.id_ends.len() as u64;
            if lenient {
                // Rows that cannot be used go to the exceptions, with their reasons.
                table.exceptions.extend(piece.diags.iter().cloned());
                let mut piece = piece;
                piece.diags.clear();
                append_piece(&mut table, &mut global_index, piece, diags)?;
            } else {
                append_piece(&mut table, &mut global_index, piece, diags)?;
            }
        }
        if eof {
            break;
        }
        // Keep the partial record, read the next block behind it.
        buf.drain(..consumed);
        start = 0;
        progress(total_bytes, file_len);
        (unhashed, eof) = fill(&mut handle, &mut buf, BLOCK, &mut total_bytes, &file)?;
    }
    for c in &mut table.columns {
        if let ColumnValues::Text { dict, codes } = &mut c.values {
            codes.narrow(dict.len());
        }
    }
    // Keep the line numbers only when they are not simply consecutive.
    if let Some(&first) = table.lines.first() {
        if table
            .lines
            .iter()
            .enumerate()
            .all(|(i, &l)| l as usize == first as usize + i)
        {
            table.first_line = first;
            table.lines = Vec::new();
        }
    }
    report_duplicate_ids(&table, &headers[id], diags);
    table.amount = table.column("amount").unwrap_or(0);
    table.close_date = table.column("close_date").unwrap_or(0);
    table.currency = table.column("currency");
    table.info = Some(FileInfo {
        path: file,
        sha256: format!("{:x}", hasher.finalize()),
        bytes: total_bytes,
        rows: Some(rows),
    });
    Ok(table)
}

fn reserve(table: &mut DealTable, rows: usize, id_bytes: usize) {
    table.id_bytes.reserve(id_bytes);
    table.id_ends.reserve(rows);
    table.lines.reserve(rows);
    table.reps.reserve(rows);
    for c in &mut table.columns {
        match &mut c.values {
            ColumnValues::Text { codes, .. } => codes.wide().reserve(rows),
            ColumnValues::Decimal(d) => {
                d.mantissa.reserve(rows);
                d.scale.reserve(rows);
            }
            ColumnValues::Date(d) => d.reserve(rows),
        }
    }
}

/// Read up to `block` more bytes onto `buf`; returns where they start and whether the file ended.
fn fill(
    handle: &mut File,
    buf: &mut Vec<u8>,
    block: usize,
    total: &mut u64,
    file: &str,
) -> anyhow::Result<(usize, bool)> {
    let before = buf.len();
    let mut taken = std::io::Read::by_ref(handle).take(block as u64);
    taken
        .read_to_end(buf)
        .with_context(|| format!("reading {file}"))?;
    let added = buf.len() - before;
    *total += added as u64;
    Ok((before, added < block))
}

fn append_piece(
    table: &mut DealTable,
    global: &mut [FxHashMap<CompactString, u32>],
    piece: Piece,
    diags: &mut Diagnostics,
) -> anyhow::Result<()> {
    diags.extend(piece.diags);
    let base = table.id_bytes.len() as u64;
    if base + piece.id_bytes.len() as u64 > u32::MAX as u64 {
        anyhow::bail!(
            "{}: the deal ids add up to more than 4 GiB; split the file",
            table.file
        );
    }
    table.id_bytes.push_str(&piece.id_bytes);
    table
        .id_ends
        .extend(piece.id_ends.iter().map(|e| e + base as u32));
    table.lines.extend(piece.lines);
    table.reps.extend(piece.reps);
    for ((column, values), index) in table
        .columns
        .iter_mut()
        .zip(piece.values)
        .zip(global.iter_mut())
    {
        match (&mut column.values, values) {
            (
                ColumnValues::Text { dict, codes },
                PieceValues::Text {
                    dict: local,
                    codes: local_codes,
                    ..
                },
            ) => {
                let map: Vec<u32> = local
                    .into_iter()
                    .map(|v| match index.get(&v) {
                        Some(&c) => c,
                        None => {
                            let c = dict.len() as u32;
                            dict.push(v.clone());
                            index.insert(v, c);
                            c
                        }
                    })
                    .collect();
                codes
                    .wide()
                    .extend(local_codes.into_iter().map(|c| map[c as usize]));
            }
            (ColumnValues::Decimal(d), PieceValues::Decimal(p)) => d.append(p),
            (ColumnValues::Date(d), PieceValues::Date(p)) => d.extend(p),
            _ => unreachable!("piece columns are laid out like the table's"),
        }
    }
    Ok(())
}

/// Every deal id must be unique: hash them in parallel, sort, and compare the ids of equal hashes.
fn report_duplicate_ids(table: &DealTable, id_header: &str, diags: &mut Diagnostics) {
    use std::hash::BuildHasher;
    // One u64 per row: a 32-bit hash of the id above the row number (80 MB for 10M rows).
    // Equal hashes are rare; their ids are compared to tell a collision from a duplicate.
    let build = rustc_hash::FxBuildHasher;
    let mut keys: Vec<u64> = (0..table.len())
        .into_par_iter()
        .map(|row| ((build.hash_one(table.id_key(row)) >> 32) << 32) | row as u64)
        .collect();
    keys.par_sort_unstable();
    let mut found: Vec<(u32, u32)> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i + 1;
        while j < keys.len() && keys[j] >> 32 == keys[i] >> 32 {
            j += 1;
        }
        if j - i > 1 {
            let group: Vec<u32> = keys[i..j].iter().map(|k| *k as u32).collect();
            for (k, &row) in group.iter().enumerate() {
                if let Some(&first) = group[..k]
                    .iter()
                    .find(|&&r| table.id_key(r as usize) == table.id_key(row as usize))
                {
                    found.push((row, first));
                }
            }
        }
        i = j;
    }
    found.sort_unstable();
    for (row, first) in found {
        let r = row as usize;
        diags.push(
            Diagnostic::error(
                "deal-id-duplicate",
                &table.file,
                format!(
                    "deal `{}` appears twice (first on line {})",
                    table.id(r),
                    table.line(first as usize)
                ),
            )
            .line(table.line(r))
            .col_name(id_header)
            .value(table.id(r).to_string())
            .hint("each transaction must have its own id; split lines need distinct ids"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn records_end_at_newlines_outside_quoted_fields() {
        // a literal quote inside an unquoted field does not open a quoted field
        let buf = b"a,24\" screen,1\nb,2\n";
        assert_eq!(cut(buf, 1, false), (vec![buf.len()], vec![2]));
        // a newline inside a quoted field, and escaped quotes, do not end a record; the partial
        // record at the end (its quoted field still open) waits for the next block
        let buf = b"b,\"x\ny\",2\nc,\"say \"\"hi\"\"\",3\nd,\"p\nq";
        let complete = b"b,\"x\ny\",2\nc,\"say \"\"hi\"\"\",3\n".len();
        // newlines: 1 quoted + 2 record ends in the complete part
        assert_eq!(cut(buf, 1, false), (vec![complete], vec![3]));
        // at end of file everything is one last piece, with every newline counted
        assert_eq!(cut(buf, 1, true), (vec![buf.len()], vec![4]));
    }
}
