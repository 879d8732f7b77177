//! The transactions table as the engine reads it: columns of typed cells, the deal ids, lines and
//! owners of the rows kept, and what lenient mode set aside.
//!
//! Invariants: every column holds one cell per row; decimals are exact (i64 mantissa and scale,
//! the rare wider value kept whole); dates take 4 bytes; text is interned per column (codes of 8,
//! 16 or 32 bits, as the dictionary needs); ids sit back to back in one arena, with no list of ends
//! while every id has one width, and no list of lines while every row is on the line after the
//! one before.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::super::ColumnType;
use super::file_rows::FileRows;
use super::ids::FrontCoded;
use crate::data::csv_input::FileInfo;
use crate::diag::Diagnostic;

/// Decimal cells: mantissa and scale, `scale == EMPTY` for an empty cell; the rare value whose
/// mantissa does not fit an i64 is kept whole in `big`. Stored compactly: mantissas in 32 bits while
/// every one fits (`wide` empty), in 64 bits after; no scale list while every cell has the scale
/// `uniform` (the usual case: money with its cents).
#[derive(Debug, Default)]
pub struct Decimals {
    pub(super) narrow: Vec<i32>,
    pub(super) wide: Vec<i64>,
    pub(super) scale: Vec<u8>,
    pub(super) uniform: u8,
    pub(super) len: usize,
    pub(super) big: BTreeMap<u32, Decimal>,
}

const EMPTY: u8 = u8::MAX;
const BIG: u8 = u8::MAX - 1;

impl Decimals {
    pub(super) fn with_capacity(rows: usize) -> Decimals {
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

    pub(super) fn push(&mut self, value: Option<Decimal>) {
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

    #[inline(always)]
    pub(super) fn push_parts(&mut self, mantissa: i64, scale: u8) {
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

    /// Append `other`'s cells, leaving it empty (its room kept).
    pub(super) fn append(&mut self, other: &mut Decimals) {
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
        self.big.extend(
            std::mem::take(&mut other.big)
                .into_iter()
                .map(|(r, d)| (r + base, d)),
        );
        other.truncate(0);
    }

    /// Keep the first `len` cells.
    pub(super) fn truncate(&mut self, len: usize) {
        self.narrow.truncate(len);
        self.wide.truncate(len);
        self.scale.truncate(len);
        self.big.retain(|&row, _| (row as usize) < len);
        self.len = self.len.min(len);
    }

    pub(super) fn reserve(&mut self, rows: usize) {
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
    pub(super) fn extend(&mut self, dict_len: usize, codes: impl Iterator<Item = u32>) {
        self.hold(dict_len);
        match self {
            Codes::Byte(v) => v.extend(codes.map(|c| c as u8)),
            Codes::Narrow(v) => v.extend(codes.map(|c| c as u16)),
            Codes::Wide(v) => v.extend(codes),
        }
    }

    pub(super) fn reserve(&mut self, rows: usize) {
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
    /// The file's path as it was opened (diagnostics, `explain`).
    pub file: String,
    /// The file's name in outputs that leave the machine: statements' `source` cells (see
    /// [`crate::workspace::InputSpec::name`]).
    pub name: String,
    /// All deal ids, back to back; `id_ends[row]` is where the row's id ends, or `id_ends` is empty
    /// while every id has `id_width` bytes (the usual case), and then row `r`'s id starts at
    /// `r * id_width`. Empty when the ids are front-coded (`coded`).
    pub(super) id_bytes: String,
    pub(super) id_ends: Vec<u32>,
    pub(super) id_width: u32,
    /// The ids front-coded, when they were read in increasing order (see `ids.rs`), and then
    /// `decoded` holds them back to back with their ends from the first time one is asked for.
    pub(super) coded: Option<FrontCoded>,
    pub(super) decoded: std::sync::OnceLock<(String, Vec<u32>)>,
    /// Whether the plain arena holds the ids in row order rather than file order (see
    /// [`DealTable::ids_in_row_order`]).
    pub(super) ids_by_row: bool,
    /// Line of each row in file order (see `file_rows`), or empty while every row is on the line
    /// after the previous one (the usual case: no quoted newlines), and then
    /// `line = first_line + file row`.
    pub(super) lines: Vec<u32>,
    pub(super) first_line: u32,
    /// Each row's place among the rows loaded in file order (ids and lines are kept in file
    /// order; see `file_rows.rs`).
    pub(super) file_rows: FileRows,
    /// Where each rep's rows start while the rows are in owner order (see `owner_order.rs`),
    /// then the row count; empty otherwise.
    pub(super) owner_starts: Vec<u32>,
    /// The range of `owner_starts` holding the first row of each block of 1,024 rows.
    pub(super) owner_blocks: Vec<u32>,
    /// Roster index of each row's owner, or [`NO_OWNER`] when its `rep_id` is empty, while the
    /// rows are not in owner order (see [`DealTable::owner`]; empty otherwise).
    pub(super) reps: Vec<u32>,
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
    pub(super) set_aside: BTreeMap<String, SetAside>,
    /// The deal ids of the rows not loaded (lenient mode), where their id cell could be read.
    pub(super) set_aside_ids: rustc_hash::FxHashSet<String>,
    /// Whether the ids increase strictly from row to row (then row order is id order).
    pub(super) ids_ascending: bool,
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
        match self.owner_starts.last() {
            Some(&rows) => rows as usize,
            None => self.reps.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids back to back and their ends (empty while they have one width): the plain arena, or
    /// the front-coded ids decoded (once, on the first call).
    #[inline]
    fn id_arena(&self) -> (&str, &[u32]) {
        match &self.coded {
            None => (&self.id_bytes, &self.id_ends),
            Some(coded) => {
                let (bytes, ends) = self.decoded.get_or_init(|| coded.decode());
                (bytes, ends)
            }
        }
    }

    /// Where the row's id is in its arena's bytes.
    #[inline]
    fn id_range(&self, ends: &[u32], row: usize) -> std::ops::Range<usize> {
        if ends.is_empty() {
            let w = self.id_width as usize;
            return row * w..(row + 1) * w;
        }
        let start = if row == 0 { 0 } else { ends[row - 1] as usize };
        start..ends[row] as usize
    }

    /// The row's place among the rows loaded, in file order.
    #[inline]
    pub fn file_row(&self, row: usize) -> usize {
        self.file_rows.get(row)
    }

    /// The deal id of a row.
    pub fn id(&self, row: usize) -> &str {
        let (bytes, ends) = self.id_arena();
        &bytes[self.id_range(ends, self.id_place(row))]
    }

    /// The deal id's bytes (ordering them orders the ids), without UTF-8 boundary checks.
    pub fn id_key(&self, row: usize) -> &[u8] {
        let (bytes, ends) = self.id_arena();
        &bytes.as_bytes()[self.id_range(ends, self.id_place(row))]
    }

    /// Where the row's id is in the arena: its file row, or the row itself once the ids are in
    /// row order.
    #[inline]
    fn id_place(&self, row: usize) -> usize {
        match self.ids_by_row {
            true => row,
            false => self.file_row(row),
        }
    }

    /// Lay the ids out in row order when the rows are in owner order (see `owner_order.rs`) and
    /// every id has one width: a rep's ids side by side, where file order scatters them over the
    /// whole arena. A reader that goes through every rep's ids (the statements of millions of
    /// deals) then finds them in the cache instead of missing it at each. [`DealTable::id`] gives
    /// the same ids either way; the front-coded ids are decoded for good.
    pub fn ids_in_row_order(&mut self) {
        use rayon::prelude::*;
        if self.ids_by_row || self.file_rows.is_identity() {
            return;
        }
        if let Some(coded) = self.coded.take() {
            (self.id_bytes, self.id_ends) = self.decoded.take().unwrap_or_else(|| coded.decode());
        }
        let width = self.id_width as usize;
        if !self.id_ends.is_empty() || width == 0 || self.id_bytes.len() != self.len() * width {
            return;
        }
        let mut by_row = vec![0u8; self.id_bytes.len()];
        let (file, file_rows) = (self.id_bytes.as_bytes(), &self.file_rows);
        const CHUNK: usize = 1 << 14;
        by_row
            .par_chunks_mut(CHUNK * width)
            .enumerate()
            .for_each(|(chunk, out)| {
                let first = chunk * CHUNK;
                match width {
                    8 => gather_ids::<8>(out, file, file_rows, first),
                    10 => gather_ids::<10>(out, file, file_rows, first),
                    12 => gather_ids::<12>(out, file, file_rows, first),
                    16 => gather_ids::<16>(out, file, file_rows, first),
                    _ => {
                        for (i, id) in out.chunks_exact_mut(width).enumerate() {
                            let f = file_rows.get(first + i) * width;
                            id.copy_from_slice(&file[f..f + width]);
                        }
                    }
                }
            });
        // Whole ids, each valid UTF-8, back to back: valid UTF-8 (the lossy path is never taken).
        self.id_bytes = String::from_utf8(by_row)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        self.ids_by_row = true;
    }

    /// The ids in file order again (before a row is added in file order).
    fn ids_in_file_order(&mut self) {
        if !self.ids_by_row {
            return;
        }
        let width = self.id_width as usize;
        let mut by_file = vec![0u8; self.id_bytes.len()];
        let by_row = self.id_bytes.as_bytes();
        for row in 0..self.len() {
            let (f, r) = (self.file_rows.get(row) * width, row * width);
            by_file[f..f + width].copy_from_slice(&by_row[r..r + width]);
        }
        self.id_bytes = String::from_utf8(by_file)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        self.ids_by_row = false;
    }

    /// The order of two rows' deal ids: their file order when the ids increase in file order (the
    /// ids are not read then), else the ids' bytes compared.
    #[inline]
    pub fn id_order(&self, a: usize, b: usize) -> std::cmp::Ordering {
        if self.ids_ascending {
            self.file_row(a).cmp(&self.file_row(b))
        } else {
            self.id_key(a).cmp(self.id_key(b))
        }
    }

    /// Keep the ids front-coded while they increase in file order (see `ids.rs`): about two bytes
    /// per deal of a sorted export, decoded only when an id is asked for.
    pub(super) fn front_code_ids(&mut self) {
        if !self.ids_ascending || self.coded.is_some() || self.ids_by_row || self.is_empty() {
            return;
        }
        let coded = FrontCoded::encode(self.len(), |row| self.id_key(row));
        if let Some(coded) = coded {
            self.coded = Some(coded);
            self.id_bytes = String::new();
            self.id_ends = Vec::new();
        }
    }

    /// The ids as a plain arena in file order again (before a row is added).
    pub(super) fn plain_ids(&mut self) {
        self.ids_in_file_order();
        if let Some(coded) = self.coded.take() {
            let (bytes, ends) = self.decoded.take().unwrap_or_else(|| coded.decode());
            (self.id_bytes, self.id_ends) = (bytes, ends);
        }
    }

    /// Whether every deal id is greater than the one of the row before in the file (the usual
    /// export, sorted by id): then ordering rows by [`Self::file_row`] orders them by id, without
    /// comparing ids.
    pub fn ids_ascending(&self) -> bool {
        self.ids_ascending
    }

    /// The line of the file the row is on (the header is line 1).
    #[inline]
    pub fn line(&self, row: usize) -> u64 {
        let row = self.file_row(row);
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
        self.plain_ids();
        let rows = self.len();
        if rows > 0 {
            // The last id in file order: the arena's.
            let last = &self.id_bytes.as_bytes()[self.id_range(&self.id_ends, rows - 1)];
            self.ids_ascending &= last < id.as_bytes();
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
        // Added after the rows in file order; the rows are no longer in owner order.
        self.file_rows.push(rows, rows as u32);
        self.list_owners();
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

pub(super) fn canonical_type(name: &str) -> Option<ColumnType> {
    Some(match name {
        "amount" | "margin" | "cancelled_amount" => ColumnType::Money,
        "quantity" => ColumnType::Decimal,
        "close_date" | "cancel_date" | "paid_date" | "created_date" => ColumnType::Date,
        "currency" | "stage" | "type" | "product" | "territory" | "account_id" | "segment"
        | "deal_name" => ColumnType::Text,
        _ => return None,
    })
}

/// Rows `first..` of ids `W` bytes wide copied from `file` (in file order) into `out` (in row
/// order): a copy of a width known when compiled is a few moves, where one of any width is a call
/// to `memcpy` per id (10M ids in the statements of the 10M-deal set).
fn gather_ids<const W: usize>(out: &mut [u8], file: &[u8], file_rows: &FileRows, first: usize) {
    let (ids, _) = out.as_chunks_mut::<W>();
    for (i, id) in ids.iter_mut().enumerate() {
        let f = file_rows.get(first + i) * W;
        id.copy_from_slice(&file[f..f + W]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                a.append(&mut b);
                assert_eq!(b.len, 0);
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
        money.append(&mut more);
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
}
