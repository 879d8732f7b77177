//! Reading one CSV export (the small inputs: roster, quotas, fx, credits, ...): read whole and hashed,
//! mapping canonical names to the file's headers, checking required columns, and handing out records
//! with their physical line numbers (see `lines.rs`).
//!
//! Invariants: every byte is hashed (the manifest's SHA-256 covers the whole file); a missing
//! required column is one diagnostic listing the headers found; a record with the wrong number of
//! fields, or bytes that are not UTF-8, is a diagnostic naming its line, never a panic; a stray
//! quote (see `quotes.rs`) is a diagnostic naming its line, and its record is left out up to the end
//! of the quote's line, so the rows after it are read.

use std::io::{self, Read};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::{InputKind, InputSpec};

pub use crate::schema::FileInfo;

/// One data row: its line, and its fields as text.
pub struct Row<'a> {
    pub line: u64,
    fields: Vec<&'a str>,
}

impl Row<'_> {
    pub fn get(&self, index: usize) -> &str {
        self.fields.get(index).copied().unwrap_or("")
    }
}

/// An open CSV input: headers resolved, ready to iterate.
pub struct CsvInput {
    pub file: String,
    pub headers: Vec<String>,
    /// Position of each canonical column present in the file.
    positions: Vec<(String, usize)>,
    reader: csv::Reader<io::Cursor<Vec<u8>>>,
    lines: super::lines::LineCounter,
    sha256: String,
    bytes: u64,
    rows: u64,
    /// The file's workspace section, for hints; `None` for payout's own files.
    section: Option<&'static str>,
}

/// A stray quote found before the file is read (see `quotes.rs`): its line, the index of the field
/// it opens, and what to say about it.
struct Stray {
    line: u64,
    field: usize,
    message: String,
    value: String,
}

/// `encoding-invalid`: the field `raw` of column `column` on `line` is not UTF-8. When it reads as
/// Windows-1252 text (what Excel on Windows saves as "CSV"), the hint shows it so, and how to declare
/// that encoding in the file's workspace `section` (none for payout's own files).
pub fn encoding_invalid(
    file: &str,
    section: Option<&str>,
    line: u64,
    column: String,
    raw: &[u8],
) -> Diagnostic {
    let (as_1252, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw);
    let hint = match (as_1252.chars().any(char::is_control), section) {
        (false, Some(section)) => format!(
            "read as Windows-1252 (Excel's \"CSV\" on Windows) it is \"{as_1252}\": say so in the workspace ([{section}] encoding = \"windows-1252\"), or save the file as \"CSV UTF-8\""
        ),
        (false, None) => format!("read as Windows-1252 it is \"{as_1252}\""),
        (true, Some(section)) => format!("export the file as UTF-8, or name its encoding in the workspace ([{section}] encoding = \"...\")"),
        (true, None) => "the file is not UTF-8".to_string(),
    };
    Diagnostic::error("encoding-invalid", file, "the field is not valid UTF-8")
        .line(line)
        .col_name(column)
        .value(String::from_utf8_lossy(raw).into_owned())
        .hint(hint)
}

/// The stray quotes of the data rows, and the text to read: the records of the stray quotes left out
/// (their bytes but line breaks removed, so every other row keeps its line).
fn cut_out_stray_quotes(bytes: Vec<u8>, delimiter: u8) -> (Vec<u8>, Vec<Stray>) {
    use super::quotes::{self, Found};
    let mut found = Vec::new();
    quotes::walk(&bytes, delimiter, true, |f| match f {
        // A stray quote in the header is reported when the header is read.
        Found::Stray(s) if s.record > 0 => found.push(s),
        _ => {}
    });
    if found.is_empty() {
        return (bytes, Vec::new());
    }
    let strays = found
        .iter()
        .map(|s| Stray {
            line: 1 + bytecount::count(&bytes[..s.quote], b'\n') as u64,
            field: quotes::field_index(&bytes, delimiter, s),
            message: quotes::describe(&bytes, delimiter, s),
            value: quotes::excerpt(&bytes, s),
        })
        .collect();
    let mut text = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for s in &found {
        text.extend_from_slice(&bytes[at..s.record]);
        let span = &bytes[s.record..s.resume];
        text.extend(span.iter().filter(|&&b| matches!(b, b'\n' | b'\r')));
        at = s.resume;
    }
    text.extend_from_slice(&bytes[at..]);
    (text, strays)
}

/// Whether a header row is UTF-16 text: a byte-order mark FF FE or FE FF, or a NUL byte (beside
/// each ASCII letter).
pub(crate) fn is_utf16(header: &[u8]) -> bool {
    header.starts_with(b"\xff\xfe") || header.starts_with(b"\xfe\xff") || header.contains(&0)
}

/// `encoding-utf16`: data file `file` is UTF-16 text.
pub(crate) fn utf16(file: &str) -> Diagnostic {
    Diagnostic::error(
        "encoding-utf16",
        file,
        "the file is UTF-16 text (what Excel saves as \"Unicode Text\", and Windows PowerShell's \
         default), not UTF-8",
    )
    .line(1)
    .hint("save it as \"CSV UTF-8\", or name its encoding in its workspace section: encoding = \"utf-16\"")
}

/// The header row, trimmed; a header that cannot be read is a `csv-invalid` diagnostic, a UTF-16
/// one `encoding-utf16`.
pub(crate) fn read_headers<R: Read>(
    reader: &mut csv::Reader<R>,
    file: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    match reader.byte_headers() {
        // A header name holding a line break is a quote that does not close (the rows after it
        // would be read as part of the header).
        Ok(h) if h.iter().any(|f| f.contains(&b'\n')) => {
            diags.push(
                Diagnostic::error(
                    "csv-quote-unclosed",
                    file,
                    "a quote in the header row is not closed: read as CSV, the header would take \
                     in the rows after it",
                )
                .line(1)
                .hint("close the quote in the header row"),
            );
            None
        }
        Ok(h) if is_utf16(h.as_slice()) => {
            diags.push(utf16(file));
            None
        }
        Ok(h) => Some(
            h.iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect(),
        ),
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "csv-invalid",
                    file,
                    format!("cannot read the header row: {e}"),
                )
                .line(1),
            );
            None
        }
    }
}

/// `row-width` for a row of `len` fields under a header of `width`, the row running over `lines`
/// lines (more than one when a quoted field holds line breaks: then a quote may close too late).
pub(crate) fn row_width_diagnostic(file: &str, len: usize, width: usize, lines: u64) -> Diagnostic {
    if lines > 1 {
        return Diagnostic::error(
            "row-width",
            file,
            format!(
                "the row has {len} fields but the header has {width}; a quoted field in it holds \
                 line breaks, so it runs over {lines} lines"
            ),
        )
        .hint("check for a quote that does not close where it should, an unquoted comma or a missing field");
    }
    Diagnostic::error(
        "row-width",
        file,
        format!("the row has {len} fields but the header has {width}"),
    )
    .hint("check for an unquoted comma or a missing field")
}

/// Find each canonical column of the file (mapped header or canonical name); missing required or
/// mapped columns and duplicate headers become diagnostics, and `None` when a column is missing.
pub(crate) fn resolve_columns(
    spec: &InputSpec,
    file: &str,
    headers: &[String],
    diags: &mut Diagnostics,
) -> Option<Vec<(String, usize)>> {
    let (required, optional) = spec.kind.columns();
    let mut positions = Vec::new();
    let mut missing = Vec::new();
    for canonical in required.iter().chain(optional.iter()) {
        let header = spec
            .columns
            .get(*canonical)
            .map_or(*canonical, String::as_str);
        match headers.iter().position(|h| h == header) {
            Some(i) => positions.push((canonical.to_string(), i)),
            None if required.contains(canonical) => missing.push((canonical, header)),
            None if spec.columns.contains_key(*canonical) => missing.push((canonical, header)),
            None => {}
        }
    }
    if let (false, Some(d)) = (missing.is_empty(), other_delimiter(spec, headers)) {
        diags.push(delimiter_mismatch(spec, file, &headers[0], d));
        return None;
    }
    if headers.is_empty() && !missing.is_empty() {
        let names: Vec<_> = missing.iter().map(|(c, _)| format!("`{c}`")).collect();
        diags.push(
            Diagnostic::error(
                "column-missing",
                file,
                format!(
                    "the {} file is empty: it has no header row, so none of its columns ({}) is there",
                    spec.kind.name(),
                    names.join(", ")
                ),
            )
            .line(1)
            .hint("was its export cut short? Export it again"),
        );
        return None;
    }
    for (canonical, header) in &missing {
        let mapped = if *canonical == header {
            String::new()
        } else {
            format!(" (mapped to header `{header}`)")
        };
        diags.push(
            Diagnostic::error(
                "column-missing",
                file,
                format!(
                    "the {} file has no `{canonical}` column{mapped}",
                    spec.kind.name()
                ),
            )
            .line(1)
            .hint(format!(
                "headers found: {}; map it in the workspace: [{}.columns] {canonical} = \"<header>\"",
                headers.join(", "),
                spec.kind.name()
            )),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for h in headers {
        if !seen.insert(h) {
            diags.push(
                Diagnostic::error(
                    "column-duplicate",
                    file,
                    format!("the header `{h}` appears twice"),
                )
                .line(1),
            );
        }
    }
    if !missing.is_empty() {
        return None;
    }
    Some(positions)
}

/// The delimiter a header row read as one field seems to use instead of the workspace's (a
/// semicolon, a tab, a vertical bar or a comma), if any.
fn other_delimiter(spec: &InputSpec, headers: &[String]) -> Option<char> {
    match headers {
        [one] => [';', '\t', '|', ',']
            .into_iter()
            .find(|&d| d as u8 != spec.delimiter && one.contains(d)),
        _ => None,
    }
}

/// `csv-delimiter`: the header row is one field, `header`, holding `d`, and the file's columns are
/// not found: its fields are most likely separated by `d`, not by the workspace's delimiter.
fn delimiter_mismatch(spec: &InputSpec, file: &str, header: &str, d: char) -> Diagnostic {
    let shown = match header.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &header[..at]),
        None => header.to_string(),
    };
    Diagnostic::error(
        "csv-delimiter",
        file,
        format!(
            "the header row reads as one field: its columns are separated by {}, not {}",
            super::quotes::delimiter_name(d as u8),
            super::quotes::delimiter_name(spec.delimiter)
        ),
    )
    .line(1)
    .value(shown)
    .hint(format!(
        "say so in the workspace: [{}] delimiter = \"{}\"",
        spec.kind.name(),
        d.escape_default()
    ))
}

impl CsvInput {
    /// Open the file and resolve its columns; `Err` only for I/O failures, column problems go to `diags`.
    pub fn open(spec: &InputSpec, diags: &mut Diagnostics) -> anyhow::Result<Option<CsvInput>> {
        let file = spec.path.display().to_string();
        let mut opened = super::open_input(spec)
            .with_context(|| format!("cannot open the {} file {file}", spec.kind.name()))?;
        let mut bytes = Vec::new();
        // A file that opens but cannot be read (a folder) is reported like an unreadable header.
        if let Err(e) = opened.reader.read_to_end(&mut bytes) {
            diags.push(
                Diagnostic::error(
                    "csv-invalid",
                    &file,
                    format!("cannot read the header row: {e}"),
                )
                .line(1),
            );
            return Ok(None);
        }
        let Some(raw) = opened.raw else {
            return Ok(CsvInput::from_bytes(spec, bytes, diags));
        };
        // A decoded file: the manifest records the file's own bytes.
        let (sha256, size) = super::encoding::RawSide::settle(&raw, &file, diags);
        let mut input = CsvInput::from_bytes(spec, bytes, diags);
        if let Some(input) = &mut input {
            input.sha256 = sha256;
            input.bytes = size;
        }
        Ok(input)
    }

    /// [`CsvInput::open`] on bytes already read (the ledger, whose bytes are checked first).
    pub fn from_bytes(
        spec: &InputSpec,
        bytes: Vec<u8>,
        diags: &mut Diagnostics,
    ) -> Option<CsvInput> {
        let file = spec.path.display().to_string();
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        let (text, strays) = cut_out_stray_quotes(bytes, spec.delimiter);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(spec.delimiter)
            .from_reader(io::Cursor::new(text));
        let headers = read_headers(&mut reader, &file, diags)?;
        let positions = resolve_columns(spec, &file, &headers, diags)?;
        // Each stray quote's record is a row read and not usable.
        for s in &strays {
            let mut d = Diagnostic::error("csv-quote-unclosed", &file, s.message.clone())
                .line(s.line)
                .value(s.value.clone())
                .hint(super::quotes::HINT);
            if let Some(header) = headers.get(s.field) {
                d = d.col_name(header.clone());
            }
            diags.push(d);
        }
        Some(CsvInput {
            file,
            headers,
            positions,
            reader,
            lines: super::lines::LineCounter::new(1),
            sha256,
            bytes: size,
            rows: strays.len() as u64,
            section: (spec.kind != InputKind::Ledger).then(|| spec.kind.name()),
        })
    }

    /// Index of a canonical column, if the file has it.
    pub fn position(&self, canonical: &str) -> Option<usize> {
        self.positions
            .iter()
            .find(|(c, _)| c == canonical)
            .map(|&(_, i)| i)
    }

    /// Call `f` for every well-formed row; malformed rows become diagnostics.
    pub fn for_each_row(
        &mut self,
        diags: &mut Diagnostics,
        mut f: impl FnMut(&Row, &mut Diagnostics),
    ) -> anyhow::Result<()> {
        let mut record = csv::ByteRecord::new();
        let width = self.headers.len();
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(anyhow::anyhow!("reading {}: {e}", self.file));
                    }
                    let offset = e.position().map_or(0, |p| p.byte() as usize);
                    let line = self
                        .lines
                        .record_line(self.reader.get_ref().get_ref(), offset);
                    diags.push(
                        Diagnostic::error("csv-invalid", &self.file, e.to_string()).line(line),
                    );
                    continue;
                }
            }
            self.rows += 1;
            let offset = record.position().map_or(0, |p| p.byte() as usize);
            let line = self
                .lines
                .record_line(self.reader.get_ref().get_ref(), offset);
            if record.len() != width {
                let lines = 1 + bytecount::count(record.as_slice(), b'\n') as u64;
                let d = row_width_diagnostic(&self.file, record.len(), width, lines);
                diags.push(d.line(line));
                continue;
            }
            let mut fields = Vec::with_capacity(width);
            let mut bad = false;
            for (i, raw) in record.iter().enumerate() {
                match std::str::from_utf8(raw) {
                    Ok(s) => fields.push(s.trim()),
                    Err(_) => {
                        let column = self.headers[i].clone();
                        diags.push(encoding_invalid(
                            &self.file,
                            self.section,
                            line,
                            column,
                            raw,
                        ));
                        bad = true;
                    }
                }
            }
            if bad {
                // The row is still read, its bad fields as the replacement character shows them,
                // so that what it defines (a rep, a quota) does not fail every row that names it:
                // the encoding error already stops the run.
                let lossy: Vec<String> = (record.iter())
                    .map(|raw| String::from_utf8_lossy(raw).trim().to_string())
                    .collect();
                let fields = lossy.iter().map(String::as_str).collect();
                f(&Row { line, fields }, diags);
                continue;
            }
            f(&Row { line, fields }, diags);
        }
        Ok(())
    }

    /// Finish reading: the file's hash, size and data-row count.
    pub fn finish(self) -> FileInfo {
        FileInfo {
            bytes: self.bytes,
            path: self.file,
            sha256: self.sha256,
            rows: Some(self.rows),
        }
    }
}
