//! Reading the deals file: blocks read (and hashed) beside the parsing of the block before, its
//! pieces parsed on rayon and appended to the table in file order, then the ids checked unique.
//!
//! Invariants: the table is the same whatever the block size or thread count; every data row read
//! is loaded or counted as set aside; each piece's lines are rebased once the pieces before it are
//! counted.

use std::io::Read;

use anyhow::Context;
use compact_str::CompactString;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use super::blocks::cut;
use super::ids::FrontCoded;
use super::intern::Interner;
use super::piece::{Layout, Piece, PiecePool, PieceValues};
use super::table::{canonical_type, Codes, ColumnValues, DealColumn, DealTable, Decimals};
use crate::data::csv_input::FileInfo;
use crate::data::{ColumnType, Roster};
use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::InputSpec;

pub(super) const BLOCK: usize = 32 << 20;

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
    let mut table = read_deals_in_blocks(spec, roster, options, diags, progress, BLOCK)?;
    // An export that came back empty pays every rep nothing from deals: said, never silent.
    if table.info.as_ref().and_then(|i| i.rows) == Some(0) {
        diags.push(
            Diagnostic::warning(
                "deals-empty",
                &table.file,
                "the deals file has a header and no rows: no deal is credited or earns anything",
            )
            .hint("check the export that wrote it; pass --deny-warnings where a run must not go on without deals"),
        );
    }
    // Once the read's buffers are gone: the rows in owner order (see `owner_order.rs`).
    table.sort_by_owner(roster.len());
    Ok(table)
}

/// [`read_deals`], reading `block` bytes at a time (the tests read in small blocks).
pub(super) fn read_deals_in_blocks(
    spec: &InputSpec,
    roster: &Roster,
    ReadOptions { lenient, hash }: ReadOptions,
    diags: &mut Diagnostics,
    progress: &(dyn Fn(u64, u64) + Sync),
    block: usize,
) -> anyhow::Result<DealTable> {
    let file = spec.path.display().to_string();
    let opened = crate::data::open_input(spec)
        .with_context(|| format!("cannot open the deals file {file}"))?;
    let (mut handle, file_len) = (opened.reader, opened.len);
    // A decoded file is hashed as it is read (its own bytes), not here (the decoded text).
    let hash_here = hash && opened.raw.is_none();
    let mut hasher = Sha256::new();
    let mut total_bytes = 0u64;
    let mut buf: Vec<u8> = Vec::with_capacity(block + (1 << 20));
    let (mut unhashed, mut eof) = fill(&mut handle, &mut buf, block, &mut total_bytes, &file)?;

    // The header row.
    let mut header_reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(spec.delimiter)
        .from_reader(&buf[..]);
    let Some(headers) = crate::data::csv_input::read_headers(&mut header_reader, &file, diags)
    else {
        return Ok(DealTable::default());
    };
    let header_end = header_reader.position().byte() as usize;
    let mut next_line = header_reader.position().line();
    drop(header_reader);
    let Some(positions) = crate::data::csv_input::resolve_columns(spec, &file, &headers, diags)
    else {
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
        delimiter: spec.delimiter,
        roster,
        plan: None,
    }
    .with_plan();

    let table = DealTable {
        file: file.clone(),
        name: spec.name.clone(),
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
    let pool = PiecePool::default();
    let parts = rayon::current_num_threads() * 8;
    let mut start = header_end;
    // Block k is cut here, then parsed on the pool while, beside it, its new bytes are hashed, the
    // pieces of block k - 1 appended to the table and block k + 1 read from the file.
    let mut pending: Vec<Piece> = Vec::new();
    let mut next: Vec<u8> = Vec::with_capacity(block + (1 << 20));
    loop {
        let (ends, strays, scan) = cut(&buf[start..], spec.delimiter, parts, eof);
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
                if hash_here {
                    hasher.update(&buf[unhashed..]);
                }
                loaded.take(earlier, &pool, diags)?;
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
                            None => {
                                layout.parse_into(pool.take(), &buf[a..b], (b - a) / 32 + 16, scan)
                            }
                        },
                    )
                    .map(|mut piece| {
                        piece.code_ids();
                        piece
                    })
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
            // Ids that increase are kept front-coded while read: their coded size.
            let coded = pieces.iter().all(|p| p.coded_ids.is_some());
            let id_bytes: u64 = pieces
                .iter()
                .map(|p| p.coded_ids.as_ref().map_or(p.id_bytes.len(), Vec::len) as u64)
                .sum();
            let est =
                (file_len.saturating_sub(header_end as u64) * sample_rows / sample_bytes) as usize;
            let est = est + est / 50 + 16;
            let id_est = (id_bytes as usize).div_ceil(sample_rows.max(1) as usize) * est;
            loaded.reserve = Some((sample_rows > 0).then_some((est, id_est, coded)));
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
    loaded.take(pending, &pool, diags)?;
    drop(pool);
    let Loaded {
        mut table, rows, ..
    } = loaded;
    report_duplicate_ids(&mut table, &headers[id], diags);
    table.front_code_ids();
    table.amount = table.column("amount").unwrap_or(0);
    table.close_date = table.column("close_date").unwrap_or(0);
    table.currency = table.column("currency");
    let (sha256, bytes) = match &opened.raw {
        Some(raw) => crate::data::encoding::RawSide::settle(raw, &file, diags),
        None if hash => (format!("{:x}", hasher.finalize()), total_bytes),
        None => (String::new(), total_bytes),
    };
    table.info = Some(FileInfo {
        path: file,
        sha256,
        bytes,
        rows: Some(rows),
    });
    Ok(table)
}

/// The table as the pieces are appended to it, in file order.
pub(super) struct Loaded {
    pub(super) table: DealTable,
    pub(super) global_index: Vec<FxHashMap<CompactString, u32>>,
    /// The table's size, estimated from the first block: (rows, id bytes, whether the ids are
    /// front-coded); `None` until then.
    pub(super) reserve: Option<Option<(usize, usize, bool)>>,
    pub(super) lenient: bool,
    /// Data rows read.
    pub(super) rows: u64,
}

impl Loaded {
    pub(super) fn take(
        &mut self,
        pieces: Vec<Piece>,
        pool: &PiecePool,
        diags: &mut Diagnostics,
    ) -> anyhow::Result<()> {
        // Once: after it the estimate is `Some(None)`, never `None` again (which would estimate
        // anew from a later block).
        if let Some(Some((rows, id_bytes, coded))) = self.reserve {
            reserve(&mut self.table, rows, id_bytes, coded);
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
            append_piece(&mut self.table, &mut self.global_index, &mut piece, diags)?;
            pool.give(piece);
        }
        Ok(())
    }
}

pub(super) fn reserve(table: &mut DealTable, rows: usize, id_bytes: usize, coded: bool) {
    if coded && table.is_empty() {
        table.coded = Some(FrontCoded::with_capacity(id_bytes));
    } else {
        table.id_bytes.reserve(id_bytes);
    }
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
pub(super) fn fill(
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

pub(super) fn append_piece(
    table: &mut DealTable,
    global: &mut [FxHashMap<CompactString, u32>],
    piece: &mut Piece,
    diags: &mut Diagnostics,
) -> anyhow::Result<()> {
    diags.extend(std::mem::take(&mut piece.diags));
    let base = table
        .coded
        .as_ref()
        .map_or(table.id_bytes.len(), FrontCoded::total) as u64;
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
    if !append_coded_ids(table, piece) {
        append_plain_ids(table, piece);
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
        table.lines.extend_from_slice(&piece.lines);
    }
    table.reps.extend_from_slice(&piece.reps);
    append_values(table, global, &mut piece.values);
    Ok(())
}

/// Append the piece's ids front-coded while every id so far orders after the one before; `false`
/// when they do not (or the piece has no coded ids), and then the table's ids are plain.
fn append_coded_ids(table: &mut DealTable, piece: &Piece) -> bool {
    let rows = piece.id_ends.len();
    if let (Some(coded), Some(run)) = (&mut table.coded, &piece.coded_ids) {
        if rows == 0 {
            return true;
        }
        let ends = (piece.id(0), piece.id(rows - 1));
        if coded.append_run(run, (rows, piece.id_bytes.len()), ends) {
            return true;
        }
    }
    table.plain_ids();
    false
}

/// Append the piece's ids to the plain arena.
fn append_plain_ids(table: &mut DealTable, piece: &Piece) {
    let rows = table.reps.len();
    let base = table.id_bytes.len() as u64;
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
    table.id_bytes.push_str(&piece.id_bytes);
}

/// Append a piece's cells to the table's columns (text codes mapped to the table's dictionaries).
fn append_values(
    table: &mut DealTable,
    global: &mut [FxHashMap<CompactString, u32>],
    values: &mut [PieceValues],
) {
    for ((column, values), index) in table.columns.iter_mut().zip(values).zip(global.iter_mut()) {
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
                    .drain(..)
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
                codes.extend(dict.len(), local_codes.iter().map(|&c| map[c as usize]));
            }
            (ColumnValues::Decimal(d), PieceValues::Decimal(p)) => d.append(p),
            (ColumnValues::Date(d), PieceValues::Date(p)) => d.extend_from_slice(p),
            _ => unreachable!("piece columns are laid out like the table's"),
        }
    }
}

/// Whether the first `width` bytes of `pair` order strictly before the next `width` (8 to 16): the
/// first 8 bytes decide unless equal; then the last 8, whose bytes before the 9th are equal too.
#[inline]
pub(super) fn ordered_words(pair: &[u8], width: usize) -> bool {
    let word = |at: usize| u64::from_be_bytes(pair[at..at + 8].try_into().unwrap());
    (word(0), word(width - 8)) < (word(width), word(2 * width - 8))
}

/// Every deal id must be unique: hash them in parallel, sort, and compare the ids of equal hashes.
pub(super) fn report_duplicate_ids(
    table: &mut DealTable,
    id_header: &str,
    diags: &mut Diagnostics,
) {
    use std::hash::BuildHasher;
    // Ids in strictly increasing order (the usual export, sorted by id) cannot repeat; ids kept
    // front-coded while read are in that order.
    if table.coded.is_some() {
        table.ids_ascending = true;
        return;
    }
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

    /// A deals file at `path` with the default columns and formats.
    fn deals_spec(path: &std::path::Path) -> InputSpec {
        InputSpec::plain(
            crate::workspace::InputKind::Deals,
            path.to_path_buf(),
            path.display().to_string(),
        )
    }

    /// The table and diagnostics of a strict read in blocks of `block` bytes.
    fn read_strict(
        spec: &InputSpec,
        roster: &Roster,
        hash: bool,
        block: usize,
    ) -> (DealTable, Diagnostics) {
        let mut diags = Diagnostics::new();
        let options = ReadOptions {
            lenient: false,
            hash,
        };
        let table =
            read_deals_in_blocks(spec, roster, options, &mut diags, &|_, _| {}, block).unwrap();
        (table, diags)
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
                coded_ids: None,
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
                append_piece(&mut table, &mut [], &mut piece(i, l), &mut diags).unwrap();
            }
            assert_eq!(table.len(), ids.len());
            for (row, (id, line)) in ids.iter().zip(&lines).enumerate() {
                assert_eq!((table.id(row), table.line(row)), (*id, *line as u64));
            }
            let uniform = ids.iter().all(|i| i.len() == 2);
            assert_eq!(table.id_ends.is_empty(), uniform);
        }
    }

    /// Ids are kept front-coded while each orders after the one before; from the first that does
    /// not (in any block) they are plain, and every id reads back, duplicates reported.
    #[test]
    fn ids_stay_coded_while_they_increase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deals.csv");
        let spec = deals_spec(&path);
        let roster = Roster::from_ids(&["R1"]);
        // 200 increasing ids, then (when `break_at` is set) an id repeated there and the rest.
        for break_at in [None, Some(3), Some(150), Some(199)] {
            let mut ids: Vec<String> = (0..200).map(|i| format!("D{:04}", i * 3)).collect();
            if let Some(at) = break_at {
                ids.insert(at, ids[at - 2].clone());
            }
            let mut text = String::from("deal_id,rep_id,amount,close_date\n");
            for id in &ids {
                text += &format!("{id},R1,1.00,2026-01-02\n");
            }
            std::fs::write(&path, &text).unwrap();
            for block in [64, 1000, BLOCK] {
                let (table, diags) = read_strict(&spec, &roster, false, block);
                let back: Vec<&str> = (0..table.len()).map(|r| table.id(r)).collect();
                assert_eq!(back, ids, "{break_at:?} {block}");
                assert_eq!(table.coded.is_some(), break_at.is_none(), "{block}");
                assert_eq!(table.ids_ascending(), break_at.is_none());
                let dup = diags
                    .into_sorted()
                    .iter()
                    .any(|d| d.code == "deal-id-duplicate");
                assert_eq!(dup, break_at.is_some(), "{break_at:?} {block}");
            }
        }
    }

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
        let spec = deals_spec(&path);
        let roster = Roster::from_ids(&["R1", "R2", "R3"]);
        let read = |block: usize| {
            let (table, diags) = read_strict(&spec, &roster, true, block);
            let mut out = format!("{:?}\n", table.info);
            for row in 0..table.len() {
                out += &format!("{} {} {}", table.id(row), table.line(row), table.owner(row));
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
}
