//! The fast path of a quote-free piece: each record split into field bounds and its cells parsed
//! straight from them, by a plan of what each field is, prepared once for the file.
//!
//! Invariants: a record the fast path keeps is parsed exactly as [`Layout::record`] parses it (the
//! same cells pushed, the same text codes); a record it does not keep at once (a width that is not
//! the header's, an empty id, an unknown rep, a cell with space around it or that its fast parsers
//! do not read) has what it pushed cut back and is read by the general path as before (the width
//! check, then [`Layout::record`]), so every diagnostic and set-aside row comes from one place. A
//! record's width is checked before any of its cells is pushed, and the fast path pushes, before
//! it gives up, only a prefix of what [`Layout::record`] pushes for the same record, so cutting
//! back leaves each column as the general path alone would (its compact layout included).

use chrono::NaiveDate;

use super::fields::{decimal_bytes, iso_date_bytes, trim, DAYS};
use super::intern::loaded_key;
use super::piece::{FieldList, Layout, Piece, PieceValues};
use super::table::NO_OWNER;
use crate::data::ColumnType;

/// Records of up to this many fields take the fast path.
const MAX_FIELDS: usize = 64;

/// What a field of the record is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Id,
    Rep,
    /// The index of its column in [`Piece::values`].
    Decimal(usize),
    Date(usize),
    /// (Interned after the row's other cells, see [`FastPlan::texts`].)
    Text,
}

/// The fast path's plan for one file: a cell per header field, and whether it must not be empty;
/// `None` (no fast path) when amounts do not use `.` as the decimal point, dates do not start with
/// ISO, or the header is wider than [`MAX_FIELDS`].
#[derive(Debug)]
pub(super) struct FastPlan {
    cells: Vec<(Cell, bool)>,
    /// The text cells: (field, column), interned once the record is known to be kept.
    texts: Vec<(usize, usize)>,
}

impl FastPlan {
    pub(super) fn of(layout: &Layout) -> Option<FastPlan> {
        let width = layout.headers.len();
        let dates = layout
            .columns
            .iter()
            .any(|(_, _, ty, _)| *ty == ColumnType::Date);
        if width > MAX_FIELDS
            || layout.id == layout.rep
            || layout.number_format.decimal_separator != '.'
            || (dates && !layout.iso_dates)
        {
            return None;
        }
        let mut cells = vec![None; width];
        *cells.get_mut(layout.id)? = Some((Cell::Id, false));
        *cells.get_mut(layout.rep)? = Some((Cell::Rep, false));
        let mut texts = Vec::new();
        for (slot, (field, _, ty, required)) in layout.columns.iter().enumerate() {
            let cell = match ty {
                ColumnType::Text => {
                    texts.push((*field, slot));
                    Cell::Text
                }
                ColumnType::Decimal | ColumnType::Money => Cell::Decimal(slot),
                ColumnType::Date => Cell::Date(slot),
            };
            *cells.get_mut(*field)? = Some((cell, *required));
        }
        let cells = cells.into_iter().collect::<Option<Vec<_>>>()?;
        Some(FastPlan { cells, texts })
    }
}

impl Layout<'_> {
    /// [`Layout::parse_plain`] by the plan: fields are found by their delimiters and their bounds
    /// kept (no field list), then the record is parsed by [`Self::fast_record`], or by the general
    /// path when that gives up. Its newlines are counted on the way.
    pub(super) fn parse_plain_fast(&self, plan: &FastPlan, text: &str, piece: &mut Piece) {
        let bytes = text.as_bytes();
        // Where each field of the current record ends (the last one once its newline is found).
        let mut ends = [0usize; MAX_FIELDS];
        let width = plan.cells.len();
        // Fields ended by a comma in the current record, where it and its last field start.
        let (mut commas, mut record_start, mut field_start) = (0usize, 0usize, 0usize);
        // The line the record is on: a quote-free record is one physical line.
        let mut physical = 0;
        for (pos, newline) in crate::data::delimiters::Delimiters::new(bytes) {
            if !newline {
                if let Some(end) = ends.get_mut(commas) {
                    *end = pos;
                }
                commas += 1;
                field_start = pos + 1;
                continue;
            }
            let crlf = pos > field_start && bytes[pos - 1] == b'\r';
            let end = pos - crlf as usize;
            if end > record_start {
                self.plain_row(
                    plan,
                    piece,
                    text,
                    (record_start, end, commas),
                    &mut ends,
                    physical,
                );
            }
            physical += 1;
            commas = 0;
            record_start = pos + 1;
            field_start = pos + 1;
        }
        if record_start < bytes.len() {
            let end = bytes.len();
            self.plain_row(
                plan,
                piece,
                text,
                (record_start, end, commas),
                &mut ends,
                physical,
            );
        }
        piece.newlines = physical;
        debug_assert!(width == self.headers.len());
    }

    /// The record `text[start..end]`, the ends of its first `commas` fields in `ends`: parsed by
    /// the plan, else (cut back) by the general path.
    #[inline]
    fn plain_row(
        &self,
        plan: &FastPlan,
        piece: &mut Piece,
        text: &str,
        (start, end, commas): (usize, usize, usize),
        ends: &mut [usize; MAX_FIELDS],
        line: u64,
    ) {
        piece.rows += 1;
        let width = plan.cells.len();
        let kept = piece.id_ends.len();
        if commas + 1 == width {
            ends[commas] = end;
            if self.fast_record(plan, piece, text, start, &ends[..width], line) {
                return;
            }
            cut_back(piece, kept);
        }
        self.general_row(piece, text, (start, end), line);
    }

    /// The record `text[start..end]` read by the general path: split into its fields, checked by
    /// width, then by [`Layout::record`].
    #[cold]
    fn general_row(&self, piece: &mut Piece, text: &str, (start, end): (usize, usize), line: u64) {
        let mut fields = FieldList::new();
        let mut from = start;
        for (i, &b) in text.as_bytes()[start..end].iter().enumerate() {
            if b == b',' {
                fields.push(trim(&text[from..start + i]));
                from = start + i + 1;
            }
        }
        fields.push(trim(&text[from..end]));
        if fields.len() != self.headers.len() {
            self.row_width(piece, fields.len(), line, 1);
        } else {
            self.record(piece, &fields, text, line);
        }
    }

    /// One record of the header's width, its fields ending at `ends` (the first starting at
    /// `start`): its numbers and dates pushed and its texts interned when every cell reads fast
    /// (no space around it) and the id and owner are usable; `false` (with some cells perhaps
    /// pushed) otherwise. Fields are read as bytes: their bounds are delimiters, so every field
    /// of the (valid) text is valid text too.
    /// (The per-row hot loop: one pass over the plan's cells, kept together for speed.)
    #[inline(always)]
    fn fast_record(
        &self,
        plan: &FastPlan,
        piece: &mut Piece,
        text: &str,
        start: usize,
        ends: &[usize],
        line: u64,
    ) -> bool {
        let bytes = text.as_bytes();
        let days: &[Option<NaiveDate>] = &DAYS;
        let (mut id, mut rep, mut from) = ((0, 0), 0u32, start);
        for (&(cell, required), &to) in plan.cells.iter().zip(ends) {
            let Some(v) = bytes.get(from..to) else {
                return false;
            };
            if required && v.is_empty() {
                return false;
            }
            // Only ids and texts take any byte: the rep, number and date parsers refuse a space
            // (a rep id with one is not found), so a cell the general path would trim reaches it.
            match cell {
                Cell::Id | Cell::Text if !untrimmed(v) => return false,
                Cell::Id if v.is_empty() => return false,
                Cell::Id => id = (from, to),
                Cell::Rep if v.is_empty() => rep = NO_OWNER,
                Cell::Rep => match self.roster.find_bytes(v) {
                    Some(r) => rep = r,
                    None => return false,
                },
                Cell::Decimal(slot) => {
                    let Some(PieceValues::Decimal(column)) = piece.values.get_mut(slot) else {
                        return false;
                    };
                    match v {
                        [] => column.push(None),
                        _ => match decimal_bytes(v) {
                            Some((m, s)) => column.push_parts(m, s),
                            None => return false,
                        },
                    }
                }
                Cell::Date(slot) => {
                    let Some(PieceValues::Date(column)) = piece.values.get_mut(slot) else {
                        return false;
                    };
                    match v {
                        [] => column.push(None),
                        _ => match iso_date_bytes(days, v) {
                            Some(d) => column.push(Some(d)),
                            None => return false,
                        },
                    }
                }
                Cell::Text => {}
            }
            from = to + 1;
        }
        piece.id_bytes.push_str(&text[id.0..id.1]);
        piece.id_ends.push(piece.id_bytes.len() as u32);
        piece.lines.push(line as u32);
        piece.reps.push(rep);
        for &(k, slot) in &plan.texts {
            let (from, to) = (if k == 0 { start } else { ends[k - 1] + 1 }, ends[k]);
            if let Some(PieceValues::Text(interner)) = piece.values.get_mut(slot) {
                // An empty field's key does not read the bytes.
                match loaded_key(bytes, from, to - from) {
                    Some(key) if interner.push_recent(key) => {}
                    Some(key) => interner.push_loaded(&text[from..to], key),
                    None => interner.push(&text[from..to]),
                }
            }
        }
        true
    }
}

/// Whether a field is as [`super::fields::trim`] leaves it in the usual case: empty, or from a
/// visible ASCII character to one.
#[inline(always)]
fn untrimmed(v: &[u8]) -> bool {
    let visible = |c: Option<&u8>| c.is_some_and(|c| (b'!'..=b'~').contains(c));
    v.is_empty() || (visible(v.first()) && visible(v.last()))
}

/// The piece's number and date columns cut back to its `kept` rows (what a record the fast path
/// gave up on pushed).
#[cold]
fn cut_back(piece: &mut Piece, kept: usize) {
    for values in &mut piece.values {
        match values {
            PieceValues::Text(_) => {}
            PieceValues::Decimal(column) => column.truncate(kept),
            PieceValues::Date(column) => column.truncate(kept),
        }
    }
}
