//! The ledger's hash chain: every row carries a `row_hash` that covers its cells and the hash of the
//! row before it, so editing, deleting, moving, duplicating or inserting a row breaks the chain at
//! that row; a head record (`<ledger>.head`, written with the ledger by each close) holds the row
//! count and the last hash, so deleting the last rows is seen too.
//!
//! The recipe (an auditor can recompute it, see `docs/verify-ledger.py`): cells are the CSV cells as
//! read (UTF-8, not trimmed), in file order, without the `row_hash` cell. `enc(cells)` is, for each
//! cell, its length in bytes in decimal, `:`, its bytes, `,`. The chain starts at
//! `h0 = hex(sha256(enc(header cells)))`; row `i` stores `hi = hex(sha256(ascii(h(i-1)) + enc(cells)))`
//! (lowercase hex, 64 digits). The head of a ledger without rows is `h0`.
//!
//! Invariants: verification reads the bytes only (no calendar, no amounts): every command that reads
//! the ledger, `payout diff` included, checks the same chain. The first bad row is reported and
//! nothing after it is trusted. Without a secret key a chain cannot stop someone who recomputes every
//! hash and the head record: that is caught only by comparing the head with one kept elsewhere (the
//! close message, a run's manifest, `payout ledger verify --head`).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// The column holding each row's hash (the last one written by `payout close`).
pub const COLUMN: &str = crate::schema::LEDGER_ROW_HASH;

/// The end of a chained ledger: its number of rows and the last row's hash (the header's hash when
/// it has no rows).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub rows: u64,
    pub row_hash: String,
}

/// What the file's bytes hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// No `row_hash` column: a ledger written before rows were chained (see `payout ledger seal`).
    Unchained { rows: u64 },
    /// Every row's hash matches; the head it ends with.
    Chained(Head),
}

/// The first place the chain breaks: a line of the ledger (0 when the file as a whole is at fault)
/// and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tampered {
    pub line: u64,
    pub message: String,
    /// The chain is intact but has rows its head record does not name (or no head record): what
    /// `payout ledger seal` may record once they are checked.
    pub appended: bool,
}

fn tampered(line: u64, message: impl Into<String>) -> Tampered {
    Tampered {
        line,
        message: message.into(),
        appended: false,
    }
}

/// `enc(cells)`: each cell as `<length in bytes>:<bytes>,`, so no two lists of cells encode alike.
fn encode<'a>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = &'a [u8]>) {
    for c in cells {
        out.extend_from_slice(c.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(c);
        out.push(b',');
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// `h0`: the hash the chain starts from, over the header's cells (without `row_hash`).
pub fn header_hash<'a>(cells: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut bytes = Vec::new();
    encode(&mut bytes, cells);
    hex_sha256(&bytes)
}

/// The hash of a row whose cells (without `row_hash`) are `cells`, after the row hashed `prev`.
pub fn row_hash<'a>(prev: &str, cells: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut bytes = prev.as_bytes().to_vec();
    encode(&mut bytes, cells);
    hex_sha256(&bytes)
}

/// The cells of a record but the one at `skip`.
fn cells_without(record: &csv::ByteRecord, skip: usize) -> impl Iterator<Item = &[u8]> {
    record
        .iter()
        .enumerate()
        .filter(move |(i, _)| *i != skip)
        .map(|(_, c)| c)
}

/// Where the recorded head falls in the file, noted while the chain is walked.
#[derive(Default)]
struct AtHead {
    /// Line and hash of the row the head counts up to (the header: line 1).
    last: Option<(u64, String)>,
    /// Line of the first row after it.
    next: Option<u64>,
}

/// Walk the chain of a ledger file's bytes; `recorded` is its head record, checked against the
/// chain's end (`None`: no head record was found).
pub fn verify(bytes: &[u8], recorded: Option<&Head>) -> Result<Chain, Tampered> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut header = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut header).unwrap_or(false) {
        return match recorded {
            Some(_) => Err(tampered(
                1,
                "the ledger is empty but its head record names rows",
            )),
            None => Ok(Chain::Unchained { rows: 0 }),
        };
    }
    let Some(k) = header
        .iter()
        .position(|c| String::from_utf8_lossy(c).trim() == COLUMN)
    else {
        if recorded.is_some() {
            return Err(tampered(1, format!("the header has no `{COLUMN}` column, but the ledger has a head record: the column was removed")));
        }
        let rows = reader.byte_records().count() as u64;
        return Ok(Chain::Unchained { rows });
    };
    let mut prev = header_hash(cells_without(&header, k));
    let mut at = AtHead::default();
    if recorded.is_some_and(|h| h.rows == 0) {
        at.last = Some((1, prev.clone()));
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = 0u64;
    let mut record = csv::ByteRecord::new();
    let mut last_line = 1;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(last_line + 1, |p| p.line());
                return Err(tampered(
                    line,
                    format!("the row cannot be read as CSV: {e}"),
                ));
            }
        }
        let line = record.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        rows += 1;
        let stored = String::from_utf8_lossy(record.get(k).unwrap_or_default())
            .trim()
            .to_string();
        let expected = row_hash(&prev, cells_without(&record, k));
        if stored != expected {
            return Err(tampered(line, broken_message(&stored, &seen)));
        }
        seen.insert(stored.clone(), line);
        if let Some(h) = recorded {
            if rows == h.rows {
                at.last = Some((line, stored.clone()));
            } else if rows == h.rows + 1 {
                at.next = Some(line);
            }
        }
        prev = stored;
    }
    let head = Head {
        rows,
        row_hash: prev,
    };
    if let Some(h) = recorded {
        check_head(&head, h, &at, last_line)?;
    }
    Ok(Chain::Chained(head))
}

/// Why a row's stored hash is not the one its cells and the row before it give.
fn broken_message(stored: &str, seen: &HashMap<String, u64>) -> String {
    if stored.is_empty() {
        return format!("the row has no `{COLUMN}`: rows are added by `payout close` only (a row typed in by hand, or pasted)");
    }
    if let Some(first) = seen.get(stored) {
        return format!("the row is a copy of line {first} (`{COLUMN}` {stored})");
    }
    format!("`{COLUMN}` {stored} does not match the row: the row was edited, or a row before it was deleted, moved or inserted here")
}

/// Compare the chain's end with the head record.
fn check_head(head: &Head, recorded: &Head, at: &AtHead, last_line: u64) -> Result<(), Tampered> {
    let short = |h: &str| h.get(..16).unwrap_or(h).to_string();
    if head.rows < recorded.rows {
        return Err(tampered(
            last_line + 1,
            format!(
                "the ledger ends after {} row(s), but its head record names {} row(s) ending in {}: its last {} row(s) were deleted",
                head.rows,
                recorded.rows,
                short(&recorded.row_hash),
                recorded.rows - head.rows
            ),
        ));
    }
    match &at.last {
        Some((_, hash)) if *hash == recorded.row_hash => match at.next {
            None => Ok(()),
            Some(line) => Err(Tampered {
                appended: true,
                ..tampered(
                    line,
                    format!(
                        "the rows from this line on are not in the head record ({} row(s) ending in {}): added by hand, or by a close stopped between writing the ledger and its head record",
                        recorded.rows,
                        short(&recorded.row_hash)
                    ),
                )
            }),
        },
        found => Err(tampered(
            found.as_ref().map_or(last_line, |(line, _)| *line),
            format!(
                "the head record names `{COLUMN}` {} for row {}, the ledger has {}: the chain was recomputed after a change",
                short(&recorded.row_hash),
                recorded.rows,
                found.as_ref().map_or("none".to_string(), |(_, h)| short(h))
            ),
        )),
    }
}

/// Where a head kept elsewhere (a close message's, a manifest's) is in an intact chain: the number
/// of rows up to it and the line of the last one (1: the header, for no rows). `hash` may be a
/// prefix of 8 or more hex digits.
pub fn find(bytes: &[u8], hash: &str) -> Option<(u64, u64)> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() < 8 {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = records.next()?.ok()?;
    let k = header
        .iter()
        .position(|c| String::from_utf8_lossy(c).trim() == COLUMN)?;
    if header_hash(cells_without(&header, k)).starts_with(&hash) {
        return Some((0, 1));
    }
    for (i, record) in records.enumerate() {
        let record = record.ok()?;
        let stored = String::from_utf8_lossy(record.get(k).unwrap_or_default()).into_owned();
        if stored.trim().starts_with(&hash) {
            return Some((i as u64 + 1, record.position().map_or(0, |p| p.line())));
        }
    }
    None
}

/// The bytes of the head record.
pub fn render_head(head: &Head) -> String {
    format!(
        "# The ledger's head: its row count and last row_hash, written with it by `payout close`.\nrows = {}\nrow_hash = \"{}\"\n",
        head.rows, head.row_hash
    )
}

/// Read a head record's text.
pub fn parse_head(text: &str) -> Result<Head, String> {
    let head: Head = toml::from_str(text).map_err(|e| e.message().to_string())?;
    if head.row_hash.len() != 64 || !head.row_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`row_hash` {:?} is not 64 hex digits",
            head.row_hash
        ));
    }
    Ok(head)
}

/// Rewrite an unchained ledger with a `row_hash` column added last and every row chained; cells are
/// kept as they are. Returns the new bytes and their head.
pub fn seal(bytes: &[u8]) -> anyhow::Result<(Vec<u8>, Head)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(h) => h?,
        None => anyhow::bail!("the ledger has no header row"),
    };
    let mut prev = header_hash(header.iter());
    writer.write_record(header.iter().chain([COLUMN.as_bytes()]))?;
    let mut rows = 0;
    for record in records {
        let record = record?;
        prev = row_hash(&prev, record.iter());
        writer.write_record(record.iter().chain([prev.as_bytes()]))?;
        rows += 1;
    }
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        bytes,
        Head {
            rows,
            row_hash: prev,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEDGER: &str =
        "rep_id,period,amount\nR1,2026-01,100.00\nR2,2026-01,\"5,00\"\nR1,2026-02,-3\n";

    fn sealed() -> (String, Head) {
        let (bytes, head) = seal(LEDGER.as_bytes()).unwrap();
        (String::from_utf8(bytes).unwrap(), head)
    }

    fn line(text: &str, n: usize) -> &str {
        text.lines().nth(n - 1).unwrap()
    }

    #[test]
    fn the_recipe_is_length_prefixed_cells_chained_from_the_header() {
        // h0 = sha256("6:rep_id,6:period,6:amount,"); h1 = sha256(h0 + "2:R1,7:2026-01,6:100.00,").
        let h0 = hex_sha256(b"6:rep_id,6:period,6:amount,");
        let h1 = hex_sha256(format!("{h0}2:R1,7:2026-01,6:100.00,").as_bytes());
        let (text, head) = sealed();
        assert_eq!(line(&text, 1), "rep_id,period,amount,row_hash");
        assert_eq!(line(&text, 2), format!("R1,2026-01,100.00,{h1}"));
        assert_eq!(
            line(&text, 3).split(',').count(),
            5,
            "a quoted comma stays quoted"
        );
        assert_eq!(head.rows, 3);
        assert_eq!(
            verify(text.as_bytes(), Some(&head)),
            Ok(Chain::Chained(head))
        );
    }

    #[test]
    fn an_unchained_ledger_is_reported_as_such() {
        assert_eq!(
            verify(LEDGER.as_bytes(), None),
            Ok(Chain::Unchained { rows: 3 })
        );
        let (_, head) = sealed();
        assert_eq!(verify(LEDGER.as_bytes(), Some(&head)).unwrap_err().line, 1);
    }

    fn first_bad(text: &str, head: &Head) -> Tampered {
        verify(text.as_bytes(), Some(head)).unwrap_err()
    }

    #[test]
    fn an_edit_a_deletion_a_move_a_copy_and_a_typed_row_break_the_chain_at_their_line() {
        let (text, head) = sealed();
        let lines: Vec<&str> = text.lines().collect();
        let join = |v: &[&str]| v.join("\n") + "\n";
        let edited = text.replacen("100.00", "900.00", 1);
        assert_eq!(first_bad(&edited, &head).line, 2);
        let deleted = join(&[lines[0], lines[1], lines[3]]);
        assert_eq!(first_bad(&deleted, &head).line, 3);
        let moved = join(&[lines[0], lines[2], lines[1], lines[3]]);
        assert_eq!(first_bad(&moved, &head).line, 2);
        let copied = join(&[lines[0], lines[1], lines[1], lines[2], lines[3]]);
        let t = first_bad(&copied, &head);
        assert_eq!(t.line, 3);
        assert!(t.message.contains("copy of line 2"), "{}", t.message);
        let typed = join(&[lines[0], lines[1], "R9,2026-01,50,", lines[2], lines[3]]);
        let t = first_bad(&typed, &head);
        assert_eq!(t.line, 3);
        assert!(t.message.contains("no `row_hash`"), "{}", t.message);
    }

    #[test]
    fn the_head_record_catches_deleted_last_rows_and_rows_appended_with_a_recomputed_hash() {
        let (text, head) = sealed();
        let lines: Vec<&str> = text.lines().collect();
        let two = lines[..3].join("\n") + "\n";
        let t = first_bad(&two, &head);
        assert_eq!(t.line, 4);
        assert!(
            t.message.contains("last 1 row(s) were deleted"),
            "{}",
            t.message
        );
        // Without the head record the shorter chain is intact: the head is what catches it.
        assert!(verify(two.as_bytes(), None).is_ok());
        // A forged row with a hash computed by the recipe passes the chain, not the head record.
        let forged_hash = row_hash(&head.row_hash, [&b"R9"[..], b"2026-03", b"1"]);
        let forged = format!("{text}R9,2026-03,1,{forged_hash}\n");
        let t = first_bad(&forged, &head);
        assert_eq!(t.line, 5);
        assert!(
            t.message.contains("not in the head record"),
            "{}",
            t.message
        );
        // ... and a head record rewritten to match is caught by comparing with a head kept elsewhere.
        let Ok(Chain::Chained(new)) = verify(forged.as_bytes(), None) else {
            panic!("the forged chain is intact")
        };
        assert_ne!(new.row_hash, head.row_hash);
    }

    #[test]
    fn a_chain_recomputed_from_an_edited_row_does_not_match_the_head_record() {
        let (_, head) = sealed();
        let (recomputed, _) = seal(LEDGER.replacen("-3", "-30", 1).as_bytes()).unwrap();
        let t = first_bad(std::str::from_utf8(&recomputed).unwrap(), &head);
        assert_eq!(t.line, 4);
        assert!(t.message.contains("recomputed"), "{}", t.message);
    }

    #[test]
    fn the_head_record_reads_back() {
        let (_, head) = sealed();
        assert_eq!(parse_head(&render_head(&head)), Ok(head));
        assert!(parse_head("rows = 1\nrow_hash = \"abc\"\n").is_err());
    }
}
