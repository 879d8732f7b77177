//! The transactions table (deals, order lines, invoices), stored by column, read in parallel.
//!
//! Invariants: one entry per data row that parsed, in file order, whatever the thread count; every
//! other data row read is counted as set aside, under the currency its cells give; `deal_id`
//! unique; every deal's rep is in the roster, or is [`NO_OWNER`] when its `rep_id` is empty;
//! `amount` and `close_date` exact where present (an empty one is an error only where a measure
//! needs it, which the engine checks);
//! each column is typed once (canonical columns by the contract, extra columns by the workspace's
//! `types`, text otherwise) and its cells parsed with the file's formats. Storage is compact: ids in
//! one byte arena, decimals as (i64 mantissa, scale), dates as 4 bytes, text interned per column
//! (codes of 8, 16 or 32 bits, as the dictionary needs).
//!
//! Reading: the file is read in blocks; each block is scanned once for quotes and carriage returns
//! and cut at record boundaries (a newline outside quotes, so quoted newlines are safe; a stray quote
//! is a piece of its own, one row not loaded, see `quotes.rs`) into pieces
//! parsed on rayon (quote-free ones split by `delimiters.rs`, others by the csv crate) and appended
//! in file order while, beside them, the next block is read and hashed. Each piece counts its lines
//! from 0 and is rebased once the pieces before it are counted. A record's line is the physical line
//! of its first byte (see `lines.rs`: the csv crate's own count is one short after a CRLF).

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::Context;
use chrono::NaiveDate;
use compact_str::CompactString;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use super::csv_input::FileInfo;
use super::quotes::{Found, StrayQuote};
use super::{parse_date, ColumnType, Roster};
use crate::date_format::DateFormats;
use crate::diag::{Diagnostic, Diagnostics};
use crate::money::NumberFormat;
use crate::workspace::InputSpec;

/// Decimal cells: mantissa and scale, `scale == EMPTY` for an empty cell; the rare value whose
/// mantissa does not fit an i64 is kept whole in `big`. Stored compactly: mantissas in 32 bits while
/// every one fits (`wide` empty), in 64 bits after; no scale list while every cell has the scale
/// `uniform` (the usual case: money with its cents).
#[derive(Debug, Default)]
pub struct Decimals {
    narrow: Vec<i32>,
    wide: Vec<i64>,
    scale: Vec<u8>,
    uniform: u8,
    len: usize,
    big: BTreeMap<u32, Decimal>,
}

const EMPTY: u8 = u8::MAX;
const BIG: u8 = u8::MAX - 1;

impl Decimals {
    fn with_capacity(rows: usize) -> Decimals {
        Decimals {
            narrow: Vec::with_capacity(rows),
            ..Decimals::default()
        }
    }

    #[inline]
    pub fn get(&self, row: usize) -> Option<Decimal> {
        let scale = if self.scale.is_empty() {
            self.uniform
        } else {
            self.scale[row]
        };
        if scale < BIG {
            Some(Decimal::new(self.mantissa(row), scale as u32))
        } else {
            self.get_rare(row, scale)
        }
    }

    /// An empty cell, or a mantissa beyond 64 bits (kept out of line so `get` inlines).
    #[cold]
    #[inline(never)]
    fn get_rare(&self, row: usize, scale: u8) -> Option<Decimal> {
        match scale {
            BIG => self.big.get(&(row as u32)).copied(),
            _ => None,
        }
    }

    #[inline]
    fn mantissa(&self, row: usize) -> i64 {
        if self.wide.is_empty() {
            self.narrow[row] as i64
        } else {
            self.wide[row]
        }
    }

    #[inline]
    fn scale_at(&self, row: usize) -> u8 {
        if self.scale.is_empty() {
            self.uniform
        } else {
            self.scale[row]
        }
    }

    fn push(&mut self, value: Option<Decimal>) {
        match value {
            None => self.push_parts(0, EMPTY),
            Some(d) => match i64::try_from(d.mantissa()) {
                Ok(m) => self.push_parts(m, d.scale() as u8),
                Err(_) => {
                    self.big.insert(self.len as u32, d);
                    self.push_parts(0, BIG);
                }
            },
        }
    }

    #[inline]
    fn push_parts(&mut self, mantissa: i64, scale: u8) {
        if self.len == 0 {
            self.uniform = scale;
        }
        if !self.scale.is_empty() {
            self.scale.push(scale);
        } else if scale != self.uniform {
            self.scale = vec![self.uniform; self.len];
            self.scale.push(scale);
        }
        if !self.wide.is_empty() {
            self.wide.push(mantissa);
        } else {
            match i32::try_from(mantissa) {
                Ok(m) => self.narrow.push(m),
                Err(_) => {
                    self.wide = self.narrow.iter().map(|&m| m as i64).collect();
                    self.narrow = Vec::new();
                    self.wide.push(mantissa);
                }
            }
        }
        self.len += 1;
    }

    fn append(&mut self, other: Decimals) {
        let base = self.len as u32;
        // The usual case, 32-bit mantissas of one scale on both sides: one copy.
        let same_scale = self.len == 0 || other.len == 0 || self.uniform == other.uniform;
        if same_scale
            && self.wide.is_empty()
            && other.wide.is_empty()
            && self.scale.is_empty()
            && other.scale.is_empty()
        {
            if self.len == 0 {
                self.uniform = other.uniform;
            }
            self.narrow.extend_from_slice(&other.narrow);
            self.len += other.len;
        } else {
            for row in 0..other.len {
                self.push_parts(other.mantissa(row), other.scale_at(row));
            }
        }
        self.big
            .extend(other.big.into_iter().map(|(r, d)| (r + base, d)));
    }

    /// Keep the first `len` cells.
    fn truncate(&mut self, len: usize) {
        self.narrow.truncate(len);
        self.wide.truncate(len);
        self.scale.truncate(len);
        self.big.retain(|&row, _| (row as usize) < len);
        self.len = self.len.min(len);
    }

    fn reserve(&mut self, rows: usize) {
        if self.wide.is_empty() {
            self.narrow.reserve(rows);
        } else {
            self.wide.reserve(rows);
        }
    }
}

/// Dictionary codes of a text column in the fewest bits the dictionary needs: 8 (the usual case:
/// stages, types, products, currencies), 16, or 32.
#[derive(Debug)]
pub enum Codes {
    Byte(Vec<u8>),
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for Codes {
    fn default() -> Self {
        Codes::Byte(Vec::new())
    }
}

impl Codes {
    #[inline]
    pub fn get(&self, row: usize) -> u32 {
        match self {
            Codes::Byte(v) => v[row] as u32,
            Codes::Narrow(v) => v[row] as u32,
            Codes::Wide(v) => v[row],
        }
    }

    /// Widen the codes (as they are) to hold codes below `dict_len`.
    fn hold(&mut self, dict_len: usize) {
        let bytes_fit = dict_len <= u8::MAX as usize + 1;
        let narrow_fits = dict_len <= u16::MAX as usize + 1;
        match self {
            Codes::Byte(v) if !bytes_fit && narrow_fits => {
                *self = Codes::Narrow(v.iter().map(|&c| c as u16).collect())
            }
            Codes::Byte(v) if !bytes_fit => {
                *self = Codes::Wide(v.iter().map(|&c| c as u32).collect())
            }
            Codes::Narrow(v) if !narrow_fits => {
                *self = Codes::Wide(v.iter().map(|&c| c as u32).collect())
            }
            _ => {}
        }
    }

    /// Append codes below `dict_len`.
    fn extend(&mut self, dict_len: usize, codes: impl Iterator<Item = u32>) {
        self.hold(dict_len);
        match self {
            Codes::Byte(v) => v.extend(codes.map(|c| c as u8)),
            Codes::Narrow(v) => v.extend(codes.map(|c| c as u16)),
            Codes::Wide(v) => v.extend(codes),
        }
    }

    fn reserve(&mut self, rows: usize) {
        match self {
            Codes::Byte(v) => v.reserve(rows),
            Codes::Narrow(v) => v.reserve(rows),
            Codes::Wide(v) => v.reserve(rows),
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

impl ColumnValues {
    /// A decimal column's mantissas and their one scale, when every cell is a 32-bit mantissa of
    /// that scale (the usual money column; no empty cell): for sums over many rows as integers.
    pub fn narrow_uniform(&self) -> Option<(&[i32], u32)> {
        match self {
            ColumnValues::Decimal(d)
                if d.wide.is_empty()
                    && d.scale.is_empty()
                    && d.big.is_empty()
                    && d.uniform < BIG
                    && d.narrow.len() == d.len =>
            {
                Some((&d.narrow, d.uniform as u32))
            }
            _ => None,
        }
    }
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

    #[inline]
    pub fn decimal(&self, row: usize) -> Option<Decimal> {
        match &self.values {
            ColumnValues::Decimal(v) => v.get(row),
            _ => None,
        }
    }

    /// A decimal cell's mantissa and scale without building a decimal (sums over many rows as
    /// integers): `None` for an empty cell, a mantissa beyond 64 bits or a column of another type.
    #[inline]
    pub fn decimal_parts(&self, row: usize) -> Option<(i64, u32)> {
        match &self.values {
            ColumnValues::Decimal(v) => {
                let scale = v.scale_at(row);
                (scale < BIG).then(|| (v.mantissa(row), scale as u32))
            }
            _ => None,
        }
    }

    /// The scale of a decimal column's first non-empty cell (every cell's, in the usual money
    /// column).
    pub fn decimal_scale(&self) -> Option<u32> {
        match &self.values {
            ColumnValues::Decimal(v) if v.uniform < BIG => Some(v.uniform as u32),
            ColumnValues::Decimal(v) => v.scale.iter().find(|&&s| s < BIG).map(|&s| s as u32),
            _ => None,
        }
    }

    #[inline]
    pub fn date(&self, row: usize) -> Option<NaiveDate> {
        match &self.values {
            ColumnValues::Date(v) => v[row],
            _ => None,
        }
    }

    #[inline]
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

    #[inline]
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
    /// All deal ids, back to back; `id_ends[row]` is where the row's id ends, or `id_ends` is empty
    /// while every id has `id_width` bytes (the usual case), and then row `r`'s id starts at
    /// `r * id_width`.
    id_bytes: String,
    id_ends: Vec<u32>,
    id_width: u32,
    /// Line of each row, or empty while every row is on the line after the previous one (the usual
    /// case: no quoted newlines), and then `line = first_line + row`.
    lines: Vec<u32>,
    first_line: u32,
    /// Roster index of the deal's owner, or [`NO_OWNER`] when its `rep_id` is empty.
    pub reps: Vec<u32>,
    /// The header of the owner column in the file.
    pub rep_header: String,
    pub columns: Vec<DealColumn>,
    pub amount: usize,
    pub close_date: usize,
    pub currency: Option<usize>,
    pub info: Option<FileInfo>,
    /// In lenient mode: the problems of the rows that were not loaded (one or more per row).
    pub exceptions: Vec<Diagnostic>,
    /// Data rows read but not loaded (counted per record, whatever their line numbers), by the
    /// currency their cells give.
    set_aside: BTreeMap<String, SetAside>,
    /// The deal ids of the rows not loaded (lenient mode), where their id cell could be read.
    set_aside_ids: rustc_hash::FxHashSet<String>,
    /// Whether the ids increase strictly from row to row (then row order is id order).
    ids_ascending: bool,
}

/// Rows of one currency that were read but not loaded: how many, and the sum of the amounts that
/// could be read (a row whose amount cell is not a number adds nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetAside {
    pub rows: u64,
    pub amount: Decimal,
}

/// The currency of a row not loaded whose cells cannot be told apart (wrong field count, a quote
/// that does not close opening the currency cell or one before it): no currency cell can be read.
pub const UNREADABLE_CURRENCY: &str = "(unreadable)";

impl DealTable {
    /// How many data rows of the file were not loaded (lenient mode).
    pub fn exception_rows(&self) -> u64 {
        self.set_aside.values().map(|s| s.rows).sum()
    }

    /// The rows not loaded, by currency: the currency cell's text (empty when the file has no
    /// currency column, [`UNREADABLE_CURRENCY`] when the row's cells cannot be told apart).
    pub fn set_aside(&self) -> &BTreeMap<String, SetAside> {
        &self.set_aside
    }

    /// Whether a row with this deal id was read and not loaded (lenient mode: it is among the
    /// exceptions), so rows of other files that name it follow it there.
    pub fn was_set_aside(&self, id: &str) -> bool {
        self.set_aside_ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.reps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reps.is_empty()
    }

    /// Where the row's id is in `id_bytes`.
    #[inline]
    fn id_range(&self, row: usize) -> std::ops::Range<usize> {
        if self.id_ends.is_empty() {
            let w = self.id_width as usize;
            return row * w..(row + 1) * w;
        }
        let start = if row == 0 {
            0
        } else {
            self.id_ends[row - 1] as usize
        };
        start..self.id_ends[row] as usize
    }

    /// The deal id of a row.
    pub fn id(&self, row: usize) -> &str {
        &self.id_bytes[self.id_range(row)]
    }

    /// The deal id's bytes (ordering them orders the ids), without UTF-8 boundary checks.
    pub fn id_key(&self, row: usize) -> &[u8] {
        &self.id_bytes.as_bytes()[self.id_range(row)]
    }

    /// Whether every deal id is greater than the one of the row before (the usual export, sorted by
    /// id): then ordering rows by their index orders them by id, without comparing ids.
    pub fn ids_ascending(&self) -> bool {
        self.ids_ascending
    }

    /// The line of the file the row is on (the header is line 1).
    #[inline]
    pub fn line(&self, row: usize) -> u64 {
        match self.lines.get(row) {
            Some(&l) => l as u64,
            None => self.first_line as u64 + row as u64,
        }
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    #[inline]
    pub fn amount(&self, row: usize) -> Decimal {
        self.columns[self.amount].decimal(row).unwrap_or_default()
    }

    #[inline]
    pub fn close_date(&self, row: usize) -> NaiveDate {
        self.columns[self.close_date].date(row).unwrap_or_default()
    }

    /// Whether some deal's close date is empty (one pass down the column).
    pub fn has_blank_close_dates(&self) -> bool {
        use rayon::prelude::*;
        match self.columns.get(self.close_date).map(|c| &c.values) {
            Some(ColumnValues::Date(dates)) => dates.par_iter().any(|d| d.is_none()),
            _ => false,
        }
    }

    /// The deal's currency code; empty when the file has no currency column or the cell is empty.
    #[inline]
    pub fn currency(&self, row: usize) -> &str {
        self.currency_of_code(self.currency_code(row))
    }

    /// The currency of a dictionary code from [`Self::currency_code`]; empty when the file has no
    /// currency column or the cell is empty.
    #[inline]
    pub fn currency_of_code(&self, code: u32) -> &str {
        match self.currency.map(|c| &self.columns[c].values) {
            Some(ColumnValues::Text { dict, .. }) => &dict[code as usize],
            _ => "",
        }
    }

    /// The dictionary code of the row's currency (0 when the file has no currency column).
    #[inline]
    pub fn currency_code(&self, row: usize) -> u32 {
        self.currency
            .and_then(|c| self.columns[c].text_code_at(row))
            .unwrap_or(0)
    }
}

/// One cell of a row added by [`DealTable::push_row`], typed like its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Decimal(Option<Decimal>),
    Date(Option<NaiveDate>),
}

impl DealTable {
    /// Append a row that is not in the file (a what-if deal): `cells` in the order of `columns`,
    /// each of its column's type (`Err` names the first that is not). The row's line is the one
    /// after the table's last; the id must not be one the table has (the caller checks).
    pub fn push_row(&mut self, id: &str, rep: u32, cells: Vec<Cell>) -> Result<(), String> {
        if cells.len() != self.columns.len() {
            return Err(format!(
                "{} cells for {} columns",
                cells.len(),
                self.columns.len()
            ));
        }
        for (column, cell) in self.columns.iter().zip(&cells) {
            let fits = matches!(
                (&column.values, cell),
                (ColumnValues::Text { .. }, Cell::Text(_))
                    | (ColumnValues::Decimal(_), Cell::Decimal(_))
                    | (ColumnValues::Date(_), Cell::Date(_))
            );
            if !fits {
                return Err(format!("column `{}` does not hold {cell:?}", column.name));
            }
        }
        let rows = self.len();
        if rows > 0 {
            self.ids_ascending &= self.id(rows - 1).as_bytes() < id.as_bytes();
        } else {
            self.ids_ascending = true;
            self.id_width = id.len() as u32;
        }
        if self.id_ends.is_empty() && id.len() as u32 != self.id_width {
            self.id_ends = (1..=rows as u32).map(|r| r * self.id_width).collect();
        }
        self.id_bytes.push_str(id);
        if !self.id_ends.is_empty() {
            self.id_ends.push(self.id_bytes.len() as u32);
        }
        if !self.lines.is_empty() {
            let last = self.lines.last().copied().unwrap_or(self.first_line);
            self.lines.push(last + 1);
        }
        self.reps.push(rep);
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            match (&mut column.values, cell) {
                (ColumnValues::Text { dict, codes }, Cell::Text(v)) => {
                    let code = match dict.iter().position(|d| *d == v) {
                        Some(c) => c,
                        None => {
                            dict.push(CompactString::from(v));
                            dict.len() - 1
                        }
                    };
                    codes.extend(dict.len(), std::iter::once(code as u32));
                }
                (ColumnValues::Decimal(d), Cell::Decimal(v)) => d.push(v),
                (ColumnValues::Date(d), Cell::Date(v)) => d.push(v),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The owner of a deal whose `rep_id` is empty (an unassigned deal of a CRM export): no rep. Such a
/// deal is credited to no one (unless a credits file or territory credits it); the engine reports
/// one that a measure would select in the run (`value-missing`).
pub const NO_OWNER: u32 = u32::MAX;

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
    /// Field indices of the amount and (when the file has one) the currency.
    amount: usize,
    currency: Option<usize>,
    /// (field index, name, type, required)
    columns: Vec<(usize, String, ColumnType, bool)>,
    date_format: &'a DateFormats,
    iso_dates: bool,
    number_format: &'a NumberFormat,
    roster: &'a Roster,
}

/// Values of one column in a piece of the file, with the piece's own text dictionary.
enum PieceValues {
    Text(Interner),
    Decimal(Decimals),
    Date(Vec<Option<NaiveDate>>),
}

/// A text column's dictionary in a piece: values of up to 15 bytes are looked up by their bytes
/// packed in a u128 (a short scan while the dictionary is small, a hash map after), longer ones by
/// their text.
#[derive(Default)]
struct Interner {
    dict: Vec<CompactString>,
    /// The packed key of each dictionary entry (`u128::MAX` for a long one).
    keys: Vec<u128>,
    short: FxHashMap<u128, u32>,
    long: FxHashMap<CompactString, u32>,
    codes: Vec<u32>,
}

/// How many dictionary entries are scanned before the hash map is asked.
const SCAN: usize = 8;

impl Interner {
    #[inline]
    fn push(&mut self, v: &str) {
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

/// A text of up to 15 bytes as one number: its bytes, with the length in the top byte (so no two
/// texts share a key, and no key is `u128::MAX`). Read with whole-word loads (no byte-wise copy to
/// the stack, which would stall the load that reads it back).
#[inline]
pub(crate) fn pack(v: &str) -> Option<u128> {
    let b = v.as_bytes();
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

/// One piece of the file, parsed. Its line numbers count from 0 at its first byte until
/// [`Piece::rebase`] knows where it starts.
struct Piece {
    /// The line of the piece's first byte (0 until rebased).
    first_line: u64,
    /// The newlines in the piece.
    newlines: u64,
    id_bytes: String,
    id_ends: Vec<u32>,
    lines: Vec<u32>,
    reps: Vec<u32>,
    values: Vec<PieceValues>,
    rows: u64,
    diags: Vec<Diagnostic>,
    /// The rows not loaded: the currency and amount their cells give, as far as they can be read.
    set_aside: Vec<(String, Option<Decimal>)>,
    /// The deal ids of the rows not loaded whose id cell can be read.
    set_aside_ids: Vec<String>,
}

impl Piece {
    /// Its rows' and diagnostics' lines counted from `first_line` (once known): the file's lines.
    fn rebase(&mut self) {
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

/// The fields of one record (no heap allocation for up to 24 columns).
type FieldList<'a> = smallvec::SmallVec<[&'a str; 24]>;

/// `[-]digits[.digits]`, the common shape, parsed without allocating into the (mantissa, scale) that
/// `Decimals` stores; `None` for anything else, and for a value out of the input range.
fn fast_decimal(s: &str) -> Option<(i64, u8)> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = 0u8;
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
    // |mantissa| / 10^scale < 10^15 (`money::within_input_range`); at most 18 digits, so any
    // scale from 3 up is within it.
    const LIMIT: [i64; 3] = [
        1_000_000_000_000_000,
        10_000_000_000_000_000,
        100_000_000_000_000_000,
    ];
    if (scale as usize) < LIMIT.len() && mantissa >= LIMIT[scale as usize] {
        return None;
    }
    Some((if neg { -mantissa } else { mantissa }, scale))
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
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    // Dates of 1970-2099 from a table (chrono's constructor validates and packs each one); the
    // table holds `None` for days a month does not have, as the constructor would say.
    if (1970..2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) {
        return DAYS[(((y - 1970) * 12 + m - 1) * 31 + d - 1) as usize];
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// Every (year, month, day) of 1970-2099 with day 1-31, as [`NaiveDate::from_ymd_opt`] gives it.
static DAYS: std::sync::LazyLock<Vec<Option<NaiveDate>>> = std::sync::LazyLock::new(|| {
    let mut days = Vec::with_capacity(130 * 12 * 31);
    for y in 1970..2100 {
        for m in 1..=12 {
            for d in 1..=31 {
                days.push(NaiveDate::from_ymd_opt(y, m, d));
            }
        }
    }
    days
});

/// `s.trim()`, skipping the Unicode scan in the usual case of a field that starts and ends with a
/// visible ASCII character.
#[inline]
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let visible = |c: Option<&u8>| c.is_some_and(|c| (b'!'..=b'~').contains(c));
    if b.is_empty() || (visible(b.first()) && visible(b.last())) {
        s
    } else {
        s.trim()
    }
}

impl Layout<'_> {
    /// Parse a piece of the file, its lines counted from 0 at its first byte; `rows` is about how
    /// many records it has, to size its columns once; `block` says what its block is known not to
    /// have.
    fn parse_piece(&self, bytes: &[u8], rows: usize, block: BlockScan) -> Piece {
        let mut piece = Piece {
            first_line: 0,
            newlines: 0,
            id_bytes: String::new(),
            id_ends: Vec::with_capacity(rows),
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
        };
        match plain_text(bytes, block) {
            Some(text) => self.parse_plain(text, &mut piece),
            None => self.parse_csv(bytes, &mut piece),
        }
        piece
    }

    /// The piece of a stray quote's record (`text` is the block, from the piece's record on to the
    /// end of what is read): one row, not loaded, its problem on the quote's line.
    #[cold]
    fn stray_piece(&self, text: &[u8], stray: &StrayQuote) -> Piece {
        let mut piece = self.parse_piece(b"", 0, BlockScan::UNKNOWN);
        let newlines = |a: usize, b: usize| bytecount::count(&text[a..b], b'\n') as u64;
        piece.newlines = newlines(stray.record, stray.resume);
        piece.rows = 1;
        let mut d = Diagnostic::error(
            "csv-quote-unclosed",
            self.file,
            super::quotes::describe(text, stray),
        )
        .line(newlines(stray.record, stray.quote))
        .value(super::quotes::excerpt(text, stray))
        .hint(super::quotes::HINT);
        if let Some(header) = self.headers.get(super::quotes::field_index(text, stray)) {
            d = d.col_name(header.clone());
        }
        piece.diags.push(d);
        // The fields before the quote's are whole: the currency and amount, when among them.
        let mut before = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
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
    fn parse_plain(&self, text: &str, piece: &mut Piece) {
        let bytes = text.as_bytes();
        let mut fields: FieldList = FieldList::new();
        // Where the current record and field start.
        let (mut record_start, mut field_start) = (0usize, 0usize);
        // The line the record is on: a quote-free record is one physical line.
        let mut physical = 0;
        // One pass over the delimiters: commas end fields, newlines end records.
        for (pos, newline) in super::delimiters::Delimiters::new(bytes) {
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
    fn plain_record<'t>(
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
                self.record(piece, fields, line);
            }
        }
        fields.clear();
    }

    /// Any piece, read with the csv crate (its newlines counted first).
    fn parse_csv(&self, bytes: &[u8], piece: &mut Piece) {
        piece.newlines = bytecount::count(bytes, b'\n') as u64;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let width = self.headers.len();
        let mut lines = super::lines::LineCounter::new(0);
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
            let field = |i: usize| trim(record.range(i).and_then(|r| all.get(r)).unwrap_or(""));
            let fields: FieldList = (0..width).map(field).collect();
            self.record(piece, &fields, line);
        }
    }

    /// Note a row that is not loaded under the currency and amount its cells give (`cell(i)`: the
    /// trimmed text of field `i`, if it can be read).
    #[cold]
    fn set_aside<'c>(&self, piece: &mut Piece, cell: impl Fn(usize) -> Option<&'c str>) {
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
    fn row_width(&self, piece: &mut Piece, len: usize, line: u64, lines: u64) {
        piece
            .set_aside
            .push((UNREADABLE_CURRENCY.to_string(), None));
        let width = self.headers.len();
        let d = super::csv_input::row_width_diagnostic(self.file, len, width, lines);
        piece.diags.push(d.line(line));
    }

    /// The roster index of a deal's owner: [`NO_OWNER`] for an empty `rep_id`, `None` for a rep not
    /// in the roster.
    #[inline]
    fn owner(&self, rep_id: &str) -> Option<u32> {
        if rep_id.is_empty() {
            return Some(NO_OWNER);
        }
        self.roster.find(rep_id)
    }

    /// One record of the header's width, its fields trimmed: check it, and keep it if it is usable.
    /// Numbers and dates are parsed straight onto their columns, which are cut back to the kept
    /// rows if any field is unusable; texts are interned only for a kept row.
    #[inline]
    fn record(&self, piece: &mut Piece, fields: &[&str], line: u64) {
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
                interner.push(fields[*i]);
            }
        }
    }
}

/// The piece as text when the plain splitter reads it as the csv crate would: valid UTF-8, no
/// quote, and no carriage return but before a newline (the csv crate ends a record at a lone `\r`).
/// `block` says what the piece's block is known not to have.
fn plain_text(bytes: &[u8], block: BlockScan) -> Option<&str> {
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
struct BlockScan {
    quote: bool,
    cr: bool,
}

impl BlockScan {
    const UNKNOWN: BlockScan = BlockScan {
        quote: true,
        cr: true,
    };

    /// One pass over the block, in parallel chunks.
    fn of(buf: &[u8]) -> BlockScan {
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
/// `buf` has quotes and carriage returns.
fn cut(buf: &[u8], parts: usize, eof: bool) -> (Vec<usize>, Vec<StrayQuote>, BlockScan) {
    let target = (buf.len() / parts.max(1)).max(1 << 16);
    let scan = BlockScan::of(buf);
    let (ends, strays) = if scan.quote {
        cut_quoted(buf, target, eof)
    } else {
        (cut_unquoted(buf, target, eof), Vec::new())
    };
    (ends, strays, scan)
}

/// [`cut`] of a block without quotes, where every newline ends a record: the pieces end at the
/// first newline `target` bytes into them, found by search instead of newline by newline.
fn cut_unquoted(buf: &[u8], target: usize, eof: bool) -> Vec<usize> {
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
fn cut_quoted(buf: &[u8], target: usize, eof: bool) -> (Vec<usize>, Vec<StrayQuote>) {
    let mut ends = Vec::new();
    let mut strays = Vec::new();
    let (mut last_end, mut piece_start) = (0usize, 0usize);
    super::quotes::walk(buf, eof, |found| match found {
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

const BLOCK: usize = 32 << 20;

/// How to read the deals file.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Rows that cannot be used go to the exceptions instead of being errors.
    pub lenient: bool,
    /// Compute the file's SHA-256 (else [`FileInfo::sha256`] is empty).
    pub hash: bool,
}

pub fn read_deals(
    spec: &InputSpec,
    roster: &Roster,
    options: ReadOptions,
    diags: &mut Diagnostics,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<DealTable> {
    read_deals_in_blocks(spec, roster, options, diags, progress, BLOCK)
}

/// [`read_deals`], reading `block` bytes at a time (the tests read in small blocks).
fn read_deals_in_blocks(
    spec: &InputSpec,
    roster: &Roster,
    ReadOptions { lenient, hash }: ReadOptions,
    diags: &mut Diagnostics,
    progress: &(dyn Fn(u64, u64) + Sync),
    block: usize,
) -> anyhow::Result<DealTable> {
    let file = spec.path.display().to_string();
    let (mut handle, file_len) = super::open_input(&spec.path)
        .with_context(|| format!("cannot open the deals file {file}"))?;
    let mut hasher = Sha256::new();
    let mut total_bytes = 0u64;
    let mut buf: Vec<u8> = Vec::with_capacity(block + (1 << 20));
    let (mut unhashed, mut eof) = fill(&mut handle, &mut buf, block, &mut total_bytes, &file)?;

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
        // No column must be filled in every row: an empty `amount` or `close_date` is an error only
        // where a measure selects the deal (open deals of a raw CRM export have neither), which the
        // engine checks (`value-missing`).
        let required = false;
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
        amount: position("amount").unwrap_or(0),
        currency: position("currency"),
        columns,
        date_format: &spec.date_format,
        iso_dates: spec.date_format.starts_with_iso(),
        number_format: &spec.number_format,
        roster,
    };

    let table = DealTable {
        file: file.clone(),
        rep_header: headers[rep].clone(),
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
    let global_index: Vec<FxHashMap<CompactString, u32>> =
        vec![FxHashMap::default(); layout.columns.len()];
    let mut loaded = Loaded {
        table,
        global_index,
        reserve: None,
        lenient,
        rows: 0,
    };
    let parts = rayon::current_num_threads() * 8;
    let mut start = header_end;
    // Block k is cut here, then parsed on the pool while, beside it, its new bytes are hashed, the
    // pieces of block k - 1 appended to the table and block k + 1 read from the file.
    let mut pending: Vec<Piece> = Vec::new();
    let mut next: Vec<u8> = Vec::with_capacity(block + (1 << 20));
    loop {
        let (ends, strays, scan) = cut(&buf[start..], parts, eof);
        let mut bounds = Vec::with_capacity(ends.len());
        let mut from = start;
        for end in &ends {
            bounds.push((from, start + end));
            from = start + end;
        }
        let consumed = from;
        let earlier = std::mem::take(&mut pending);
        let (beside, mut pieces) = rayon::join(
            || -> anyhow::Result<bool> {
                if hash {
                    hasher.update(&buf[unhashed..]);
                }
                loaded.take(earlier, diags)?;
                if eof {
                    return Ok(true);
                }
                // The next buffer: the partial record this block ends with, then the next block.
                next.clear();
                next.extend_from_slice(&buf[consumed..]);
                Ok(fill(&mut handle, &mut next, block, &mut total_bytes, &file)?.1)
            },
            || {
                bounds
                    .par_iter()
                    .map(
                        |&(a, b)| match strays.iter().find(|s| s.record + start == a) {
                            Some(stray) => layout.stray_piece(&buf[start..], stray),
                            None => layout.parse_piece(&buf[a..b], (b - a) / 32 + 16, scan),
                        },
                    )
                    .collect::<Vec<Piece>>()
            },
        );
        let next_eof = beside?;
        // Each piece counted its newlines: where the next one starts.
        for piece in &mut pieces {
            piece.first_line = next_line;
            next_line += piece.newlines;
        }
        if loaded.reserve.is_none() {
            // Size the table once from the first block's rows per byte, so it does not grow by
            // doubling (which would briefly hold three copies of a large column).
            let sample_rows: u64 = pieces.iter().map(|p| p.id_ends.len() as u64).sum();
            let sample_bytes = (consumed - header_end).max(1) as u64;
            let id_bytes: u64 = pieces.iter().map(|p| p.id_bytes.len() as u64).sum();
            let est =
                (file_len.saturating_sub(header_end as u64) * sample_rows / sample_bytes) as usize;
            let est = est + est / 50 + 16;
            loaded.reserve = Some(
                (sample_rows > 0).then(|| (est, (id_bytes / sample_rows.max(1)) as usize * est)),
            );
        }
        pending = pieces;
        if eof {
            break;
        }
        unhashed = buf.len() - consumed;
        std::mem::swap(&mut buf, &mut next);
        eof = next_eof;
        start = 0;
        progress(total_bytes, file_len);
    }
    loaded.take(pending, diags)?;
    let Loaded {
        mut table, rows, ..
    } = loaded;
    report_duplicate_ids(&mut table, &headers[id], diags);
    table.amount = table.column("amount").unwrap_or(0);
    table.close_date = table.column("close_date").unwrap_or(0);
    table.currency = table.column("currency");
    table.info = Some(FileInfo {
        path: file,
        sha256: if hash {
            format!("{:x}", hasher.finalize())
        } else {
            String::new()
        },
        bytes: total_bytes,
        rows: Some(rows),
    });
    Ok(table)
}

/// The table as the pieces are appended to it, in file order.
struct Loaded {
    table: DealTable,
    global_index: Vec<FxHashMap<CompactString, u32>>,
    /// The table's size, estimated from the first block: (rows, id bytes); `None` until then.
    reserve: Option<Option<(usize, usize)>>,
    lenient: bool,
    /// Data rows read.
    rows: u64,
}

impl Loaded {
    fn take(&mut self, pieces: Vec<Piece>, diags: &mut Diagnostics) -> anyhow::Result<()> {
        // Once: after it the estimate is `Some(None)`, never `None` again (which would estimate
        // anew from a later block).
        if let Some(Some((rows, id_bytes))) = self.reserve {
            reserve(&mut self.table, rows, id_bytes);
            self.reserve = Some(None);
        }
        for mut piece in pieces {
            piece.rebase();
            self.rows += piece.rows;
            debug_assert_eq!(
                piece.rows,
                (piece.id_ends.len() + piece.set_aside.len()) as u64,
                "every row read is loaded or set aside"
            );
            for (currency, amount) in std::mem::take(&mut piece.set_aside) {
                let s = self.table.set_aside.entry(currency).or_default();
                s.rows += 1;
                s.amount += amount.unwrap_or_default();
            }
            self.table
                .set_aside_ids
                .extend(std::mem::take(&mut piece.set_aside_ids));
            if self.lenient {
                // Rows that cannot be used go to the exceptions, with their reasons.
                self.table.exceptions.append(&mut piece.diags);
            }
            append_piece(&mut self.table, &mut self.global_index, piece, diags)?;
        }
        Ok(())
    }
}

fn reserve(table: &mut DealTable, rows: usize, id_bytes: usize) {
    table.id_bytes.reserve(id_bytes);
    table.reps.reserve(rows);
    for c in &mut table.columns {
        match &mut c.values {
            ColumnValues::Text { codes, .. } => codes.reserve(rows),
            ColumnValues::Decimal(d) => d.reserve(rows),
            ColumnValues::Date(d) => d.reserve(rows),
        }
    }
}

/// Read up to `block` more bytes onto `buf`; returns where they start and whether the file ended.
fn fill(
    handle: &mut dyn Read,
    buf: &mut Vec<u8>,
    block: usize,
    total: &mut u64,
    file: &str,
) -> anyhow::Result<(usize, bool)> {
    let before = buf.len();
    let mut taken = handle.take(block as u64);
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
    let rows = table.reps.len();
    if rows == 0 {
        if let (Some(&end), Some(&line)) = (piece.id_ends.first(), piece.lines.first()) {
            table.id_width = end;
            table.first_line = line;
        }
    }
    // Ids of one width need no ends, nor consecutive lines a list: each is written out only from
    // the first row that breaks the pattern.
    // (An empty list with rows in the table means the pattern holds so far.)
    let width = table.id_width;
    if !table.id_ends.is_empty()
        || !piece
            .id_ends
            .iter()
            .enumerate()
            .all(|(i, &e)| e == (i as u32 + 1) * width)
    {
        if table.id_ends.is_empty() {
            table.id_ends = (1..=rows as u32).map(|r| r * width).collect();
        }
        table
            .id_ends
            .extend(piece.id_ends.iter().map(|e| e + base as u32));
    }
    let first = table.first_line as usize;
    if !table.lines.is_empty()
        || !piece
            .lines
            .iter()
            .enumerate()
            .all(|(i, &l)| l as usize == first + rows + i)
    {
        if table.lines.is_empty() {
            table.lines = (0..rows).map(|r| (first + r) as u32).collect();
        }
        table.lines.extend(piece.lines);
    }
    table.id_bytes.push_str(&piece.id_bytes);
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
                PieceValues::Text(Interner {
                    dict: local,
                    codes: local_codes,
                    ..
                }),
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
                codes.extend(dict.len(), local_codes.into_iter().map(|c| map[c as usize]));
            }
            (ColumnValues::Decimal(d), PieceValues::Decimal(p)) => d.append(p),
            (ColumnValues::Date(d), PieceValues::Date(p)) => d.extend(p),
            _ => unreachable!("piece columns are laid out like the table's"),
        }
    }
    Ok(())
}

/// Whether the first `width` bytes of `pair` order strictly before the next `width` (8 to 16): the
/// first 8 bytes decide unless equal; then the last 8, whose bytes before the 9th are equal too.
#[inline]
fn ordered_words(pair: &[u8], width: usize) -> bool {
    let word = |at: usize| u64::from_be_bytes(pair[at..at + 8].try_into().unwrap());
    (word(0), word(width - 8)) < (word(width), word(2 * width - 8))
}

/// Every deal id must be unique: hash them in parallel, sort, and compare the ids of equal hashes.
fn report_duplicate_ids(table: &mut DealTable, id_header: &str, diags: &mut Diagnostics) {
    use std::hash::BuildHasher;
    // Ids in strictly increasing order (the usual export, sorted by id) cannot repeat.
    let width = table.id_width as usize;
    table.ids_ascending = if table.id_ends.is_empty() && (8..=16).contains(&width) {
        // Ids of one width, 8 to 16 bytes: compared as two big-endian words, without a call.
        let ids = table.id_bytes.as_bytes();
        (1..table.len())
            .into_par_iter()
            .all(|row| ordered_words(&ids[(row - 1) * width..(row + 1) * width], width))
    } else {
        (1..table.len())
            .into_par_iter()
            .all(|row| table.id_key(row - 1) < table.id_key(row))
    };
    if table.ids_ascending {
        return;
    }
    let table = &*table;
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
            roster,
        }
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

    /// Ids of one width and consecutive lines are stored without lists, which appear (with the rows
    /// before) from the first row that breaks the pattern, in any piece.
    #[test]
    fn ids_and_lines_are_kept_compactly_until_the_pattern_breaks() {
        let piece = |ids: &[&str], lines: &[u32]| {
            let mut p = Piece {
                first_line: 0,
                newlines: 0,
                id_bytes: String::new(),
                id_ends: Vec::new(),
                lines: lines.to_vec(),
                reps: vec![0; ids.len()],
                values: Vec::new(),
                rows: ids.len() as u64,
                diags: Vec::new(),
                set_aside: Vec::new(),
                set_aside_ids: Vec::new(),
            };
            for id in ids {
                p.id_bytes.push_str(id);
                p.id_ends.push(p.id_bytes.len() as u32);
            }
            p
        };
        let cases: Vec<Vec<(&[&str], &[u32])>> = vec![
            vec![(&["A1", "A2"], &[2, 3]), (&[], &[]), (&["A3"], &[4])],
            vec![(&[], &[]), (&["A1", "A22"], &[2, 4]), (&["A3"], &[5])],
            vec![
                (&["A1", "A2"], &[2, 3]),
                (&["A333", "A4"], &[4, 6]),
                (&["A5"], &[7]),
            ],
            vec![(&["A1"], &[2]), (&["A2"], &[3]), (&["A3"], &[9])],
        ];
        for pieces in cases {
            let mut table = DealTable::default();
            let mut diags = Diagnostics::new();
            let (mut ids, mut lines) = (Vec::new(), Vec::new());
            for (i, l) in pieces {
                ids.extend_from_slice(i);
                lines.extend_from_slice(l);
                append_piece(&mut table, &mut [], piece(i, l), &mut diags).unwrap();
            }
            assert_eq!(table.len(), ids.len());
            for (row, (id, line)) in ids.iter().zip(&lines).enumerate() {
                assert_eq!((table.id(row), table.line(row)), (*id, *line as u64));
            }
            let uniform = ids.iter().all(|i| i.len() == 2);
            assert_eq!(table.id_ends.is_empty(), uniform);
        }
    }

    /// Decimal cells read back as pushed, however the columns are stored and appended.
    #[test]
    fn decimals_read_back_as_pushed() {
        let values: Vec<Option<Decimal>> = vec![
            Some(Decimal::new(1050, 2)),
            Some(Decimal::new(-7, 2)),
            None,
            Some(Decimal::new(3, 0)),
            Some(Decimal::new(i32::MAX as i64 + 1, 2)),
            Some(Decimal::new(i64::MIN, 4)),
            Some(Decimal::from_i128_with_scale(i64::MAX as i128 * 10, 3)),
            Some(Decimal::new(5, 2)),
        ];
        for split in 0..=values.len() {
            for start in 0..values.len() {
                let mut a = Decimals::default();
                let mut b = Decimals::with_capacity(2);
                for v in &values[start..split.max(start)] {
                    a.push(*v);
                }
                for v in &values[split.max(start)..] {
                    b.push(*v);
                }
                a.append(b);
                let got: Vec<_> = (0..a.len).map(|r| a.get(r)).collect();
                assert_eq!(got, values[start..].to_vec(), "{start} {split}");
            }
        }
        let mut money = Decimals::default();
        for m in [100, 250, -3] {
            money.push_parts(m, 2);
        }
        assert!(money.scale.is_empty() && money.wide.is_empty());
        // appending money of the same scale stays compact: 1.00, 2.50, -0.03, then 7.77
        let mut more = Decimals::default();
        more.push_parts(777, 2);
        money.append(more);
        assert!(money.scale.is_empty() && money.wide.is_empty());
        let got: Vec<_> = (0..money.len).map(|r| money.get(r)).collect();
        let cents = |m| Some(Decimal::new(m, 2));
        assert_eq!(got, vec![cents(100), cents(250), cents(-3), cents(777)]);
        let column = ColumnValues::Decimal(money);
        assert_eq!(column.narrow_uniform(), Some((&[100, 250, -3, 777][..], 2)));
        // an empty cell, a second scale, or a mantissa past 32 bits: no integer view
        for odd in [
            None,
            Some(Decimal::new(5, 3)),
            Some(Decimal::new(1 << 40, 2)),
        ] {
            let mut d = Decimals::default();
            d.push(Some(Decimal::new(1, 2)));
            d.push(odd);
            assert_eq!(ColumnValues::Decimal(d).narrow_uniform(), None, "{odd:?}");
        }
    }

    #[test]
    fn iso_dates_read_as_chrono_reads_them() {
        // Inside the table's years and around them, valid days and days a month does not have.
        for y in [1969, 1970, 2000, 2024, 2025, 2099, 2100, 2400] {
            for m in 0..=13 {
                for d in 0..=32 {
                    let text = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(
                        fast_iso_date(&text),
                        NaiveDate::from_ymd_opt(y, m, d),
                        "{text}"
                    );
                }
            }
        }
        assert_eq!(fast_iso_date("2026-1-15"), None);
        assert_eq!(fast_iso_date("2026/01/15"), None);
    }

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

    /// The memchr splitter reads every quote-free text as the csv crate does.
    /// Two ids of one width compared as words order as their bytes do.
    #[test]
    fn ids_compared_as_words_order_as_bytes() {
        let ids = [
            "D000000000",
            "D000000001",
            "D000000010",
            "D100000000",
            "E000000000",
            "D00000000\u{7f}",
            "a",
            "ab",
            "abcdefgh",
            "abcdefgi",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "bbcdefghijklmnop",
            "abcdefghi",
            "abcdefghj",
            "abcdefgi0",
        ];
        for a in ids {
            for b in ids {
                if a.len() == b.len() && (8..=16).contains(&a.len()) {
                    let pair = format!("{a}{b}");
                    assert_eq!(ordered_words(pair.as_bytes(), a.len()), a < b, "{a} {b}");
                }
            }
        }
    }

    /// Codes take 8 bits while the dictionary allows, widen to 16 then 32 bits as it grows, and
    /// read back as appended.
    #[test]
    fn codes_widen_as_the_dictionary_grows() {
        let mut codes = Codes::default();
        codes.extend(3, [0, 2, 1].into_iter());
        assert!(matches!(codes, Codes::Byte(_)));
        codes.extend(256, [255].into_iter());
        assert!(matches!(codes, Codes::Byte(_)));
        codes.extend(257, [256, 7].into_iter());
        assert!(matches!(codes, Codes::Narrow(_)));
        codes.extend(70_000, [69_999].into_iter());
        assert!(matches!(codes, Codes::Wide(_)));
        let read: Vec<u32> = (0..7).map(|r| codes.get(r)).collect();
        assert_eq!(read, [0, 2, 1, 255, 256, 7, 69_999]);
        let mut straight = Codes::default();
        straight.extend(70_000, [5, 69_999].into_iter());
        assert!(matches!(straight, Codes::Wide(_)));
        assert_eq!((straight.get(0), straight.get(1)), (5, 69_999));
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

    #[test]
    fn plain_pieces_parse_as_the_csv_crate_reads_them() {
        let roster = Roster::from_ids(&["R1", "R2", "a-rep-id-longer-than-15-bytes"]);
        let number_format = NumberFormat::default();
        let layout = test_layout(&roster, &number_format);
        let texts = [
            "D1,R1,10.50,2026-01-02,won\nD2,R2,-3,2026-02-03,lost\n",
            // CRLF, blank lines (skipped but counted), no newline at the end
            "D1,R1,1,2026-01-02,won\r\n\r\n\nD2,R2,2.5,2026-01-03,won",
            // spaces and Unicode spaces around fields, an empty optional text, a long rep id
            " D1 , R1 ,\u{a0}7.25\u{3000},2026-01-02, \nD2,a-rep-id-longer-than-15-bytes,1,2026-01-02,ünïcode wön\n",
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
        // what the splitter must leave to the csv crate
        assert!(plain_text(b"a,\"b\",c\n", BlockScan::UNKNOWN).is_none());
        assert!(plain_text(b"a,b\rc,d\n", BlockScan::UNKNOWN).is_none());
        assert!(plain_text(b"a,b\xff\n", BlockScan::UNKNOWN).is_none());
        assert!(plain_text(b"a,b\r\n", BlockScan::UNKNOWN).is_some());
    }

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
                        cut_quoted(b, target, eof),
                        "target {target}, eof {eof}, {len} bytes"
                    );
                }
            }
        }
    }

    /// A file read in blocks of any size gives the table, diagnostics and hash of one read: records
    /// split across blocks, quoted blocks and plain ones, CRLF, bad rows, a last row without newline.
    #[test]
    fn blocks_of_any_size_read_the_same_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deals.csv");
        let mut text = String::from("deal_id,rep_id,amount,close_date,stage,note\n");
        for i in 0..300 {
            let note = match i % 50 {
                // stray quotes: closed by row 207's quote, and open to the end of the file
                _ if i == 200 || i == 290 => "\"stray".to_string(),
                7 => "\"a quoted, note\nover two lines\"".to_string(),
                13 => "24\" screen".to_string(),
                _ => format!("n{}", i % 4),
            };
            let amount = if i == 121 {
                "x".to_string()
            } else {
                format!("{}.{:02}", i * 7, i % 100)
            };
            let end = if i % 9 == 0 { "\r\n" } else { "\n" };
            text += &format!(
                "D{i:05},R{},{amount},2026-{:02}-11,won,{note}{end}",
                1 + i % 3,
                1 + i % 12
            );
        }
        text += "D99999,R1,5,2026-01-01,won,last";
        std::fs::write(&path, &text).unwrap();
        let spec = InputSpec {
            kind: crate::workspace::InputKind::Deals,
            path: path.clone(),
            columns: Default::default(),
            date_format: DateFormats::default(),
            number_format: NumberFormat::default(),
            types: Default::default(),
        };
        let roster = Roster::from_ids(&["R1", "R2", "R3"]);
        let read = |block: usize| {
            let mut diags = Diagnostics::new();
            let options = ReadOptions {
                lenient: false,
                hash: true,
            };
            let table =
                read_deals_in_blocks(&spec, &roster, options, &mut diags, &|_, _| {}, block)
                    .unwrap();
            let mut out = format!("{:?}\n", table.info);
            for row in 0..table.len() {
                out += &format!("{} {} {}", table.id(row), table.line(row), table.reps[row]);
                for c in &table.columns {
                    out += &format!(" {}", c.display(row));
                }
                out += "\n";
            }
            for d in diags.into_sorted() {
                out += &format!("{d}\n");
            }
            out
        };
        let whole = read(BLOCK);
        assert!(whole.contains("D00007 9 1 "), "{whole}");
        assert!(whole.contains("amount-invalid"), "{whole}");
        // Row i is on line 2 + i + the two-line rows before it (i % 50 == 7): row 120 on
        // 2 + 120 + 3 (rows 7, 57, 107) = 125, row 121 (bad amount) on 126, 122 on 127; the last
        // after 300 rows, six of them two lines, on 2 + 300 + 6 = 308.
        assert!(whole.contains("D99999 308 "), "{whole}");
        assert!(whole.contains("D00120 125 "), "{whole}");
        assert!(whole.contains("D00122 127 "), "{whole}");
        let bad = whole
            .lines()
            .find(|l| l.contains("amount-invalid"))
            .unwrap();
        assert!(bad.contains(":126"), "{bad}");
        // Rows 200 and 290 (lines 2 + 200 + 4 = 206, 2 + 290 + 6 = 298) are stray quotes; the rows
        // after them are read on their own lines: 201 on 207, 291 on 299.
        let strays: Vec<&str> = whole
            .lines()
            .filter(|l| l.contains("csv-quote-unclosed"))
            .collect();
        assert_eq!(strays.len(), 2, "{whole}");
        assert!(strays[0].contains(":206:") && strays[0].contains("closed only 7 line(s) below"));
        assert!(strays[1].contains(":298:") && strays[1].contains("to the end of the file"));
        assert!(
            whole.contains("D00201 207 ") && whole.contains("D00291 299 "),
            "{whole}"
        );
        assert!(
            !whole.contains("D00200 ") && !whole.contains("D00290 "),
            "{whole}"
        );
        assert!(whole.contains("rows: Some(301)"), "{whole}");
        for block in [64, 97, 256, 1000, 4096] {
            assert_eq!(read(block), whole, "block of {block} bytes");
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
            cut(buf, 1, false),
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
        assert_eq!(cut(buf, 1, false), (vec![complete], Vec::new(), scan));
        // at end of file the quote still open is stray: its record up to the end of its line is a
        // piece of its own, and the line after it is read as a record
        let stray = StrayQuote {
            record: complete,
            quote: complete + 2,
            resume: complete + 5,
            close: None,
        };
        assert_eq!(
            cut(buf, 1, true),
            (vec![complete, complete + 5, buf.len()], vec![stray], scan)
        );
    }
}
