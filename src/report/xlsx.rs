//! The .xlsx workbook of a run (`workbook.xlsx`): one sheet per CSV output (payouts,
//! reconciliation, statement lines, exceptions, payroll), the same header and cells, for
//! spreadsheet users.
//!
//! Invariants: a cell of a numeric column (amounts, measures, counts: [`NUMERIC`]) that reads as a
//! decimal is a number; every other cell is text, so a period (`2026-03`, `2026`) or an id stays as
//! written; empty cells stay empty. Numbers are the spreadsheet's binary doubles: exact to about 15
//! significant digits, which covers every amount a run prints; the exact values are the CSV files'.
//! The workbook holds no clock time: the same run writes the same bytes. A sheet over the spreadsheet's row limit continues on `<name> 2`, `<name> 3`, ...

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

/// The columns whose cells are numbers, in any sheet.
pub const NUMERIC: &[&str] = &[
    // payouts.csv
    "measure_to_date",
    "quota",
    "attainment",
    "earned_to_date",
    "paid_to_date",
    "payable",
    "capped_off",
    "prior_periods",
    "adjustments",
    "draw",
    "recovery",
    "carried",
    "held",
    "clawbacks",
    "lifetime_capped",
    // reconciliation.csv
    "rows",
    "amount",
    // statement lines
    "deal_value",
    "fx_rate",
    "credited",
    "cumulative_from",
    "cumulative_to",
    "base",
    "effective_rate",
    // exceptions.csv
    "line",
    // payroll.csv: the amount of the generic (`amount`), adp and gusto layouts; a custom layout's
    // columns are text
    "Earnings Amount",
    "Amount",
];

/// Rows of a worksheet, the header included (Excel's limit).
const MAX_ROWS: usize = 1_048_576;

/// One sheet: its name and the CSV it shows (as written, possibly with a byte-order mark).
pub struct Sheet<'a> {
    pub name: &'a str,
    pub csv: &'a [u8],
}

/// Write `workbook.xlsx` of `sheets` into `dir` when `wanted` (else remove one left by an earlier
/// run into the same folder); its manifest entry.
pub fn write(
    dir: &std::path::Path,
    wanted: bool,
    sheets: &[Sheet],
) -> anyhow::Result<Option<super::manifest::OutputFile>> {
    let path = dir.join(FILE);
    if !wanted {
        if path.exists() {
            std::fs::remove_file(&path)
                .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", path.display()))?;
        }
        return Ok(None);
    }
    let sha256 = super::fs::write_atomic(&path, &workbook(sheets)?)?;
    Ok(Some(super::manifest::OutputFile {
        path: FILE.to_string(),
        sha256,
    }))
}

/// The workbook's file name in an output folder.
pub const FILE: &str = "workbook.xlsx";

/// The workbook of `sheets`, as the bytes of an .xlsx file.
pub fn workbook(sheets: &[Sheet]) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    // A fixed creation time (the library's default is the clock's): the same run gives the same
    // bytes, as every output of a run must.
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 1, 1)?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    for sheet in sheets {
        add_sheet(&mut book, sheet, &bold)?;
    }
    Ok(book.save_to_buffer()?)
}

/// Add the worksheet(s) of one CSV.
fn add_sheet(book: &mut Workbook, sheet: &Sheet, bold: &Format) -> anyhow::Result<()> {
    let csv = sheet.csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sheet.csv);
    let mut reader = csv::ReaderBuilder::new().from_reader(csv);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let numeric: Vec<bool> = header
        .iter()
        .map(|h| NUMERIC.contains(&h.as_str()))
        .collect();
    let mut part = 1;
    let mut ws = new_sheet(book, sheet.name, part, &header, bold)?;
    let mut row = 1u32;
    for record in reader.records() {
        let record = record?;
        if row as usize == MAX_ROWS {
            part += 1;
            ws = new_sheet(book, sheet.name, part, &header, bold)?;
            row = 1;
        }
        for (col, cell) in record.iter().enumerate() {
            write_cell(ws, row, col as u16, cell, numeric.get(col) == Some(&true))?;
        }
        row += 1;
    }
    Ok(())
}

/// A new worksheet named `name` (`name 2`, ... after the first) with the header in bold.
fn new_sheet<'b>(
    book: &'b mut Workbook,
    name: &str,
    part: u32,
    header: &[String],
    bold: &Format,
) -> anyhow::Result<&'b mut Worksheet> {
    let ws = book.add_worksheet();
    match part {
        1 => ws.set_name(name)?,
        n => ws.set_name(format!("{name} {n}"))?,
    };
    for (col, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, h, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(ws)
}

/// One cell: a number in a numeric column when it reads as a decimal, else text (restored from
/// the CSV's formula neutralising: a workbook's text cell is never run as a formula).
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &str,
    numeric: bool,
) -> anyhow::Result<()> {
    if cell.is_empty() {
        return Ok(());
    }
    let number = numeric
        .then(|| cell.parse::<rust_decimal::Decimal>().ok())
        .flatten()
        .and_then(|d| d.to_f64());
    match number {
        Some(n) => ws.write_number(row, col, n)?,
        None => ws.write_string(row, col, crate::csv_cell::restore(cell))?,
    };
    Ok(())
}
