//! The transactions table (deals, order lines, invoices), stored by column.
//!
//! Invariants: one entry per data row that parsed, in file order; `deal_id` unique; every deal's rep is
//! in the roster; `amount` and `close_date` present and exact; each column is typed once (canonical
//! columns by the contract, extra columns by the workspace's `types`, text otherwise) and its cells
//! parsed with the file's formats. Text cells are interned per column, which keeps large files small.

use std::collections::HashMap;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::csv_input::{CsvInput, FileInfo};
use super::{parse_date, ColumnType, Roster};
use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::InputSpec;

#[derive(Debug)]
pub enum ColumnValues {
    Text {
        dict: Vec<CompactString>,
        codes: Vec<u32>,
    },
    Decimal(Vec<Option<Decimal>>),
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
            ColumnValues::Text { dict, codes } => dict[codes[row] as usize].to_string(),
            ColumnValues::Decimal(v) => v[row].map(|d| d.to_string()).unwrap_or_default(),
            ColumnValues::Date(v) => v[row].map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    pub fn decimal(&self, row: usize) -> Option<Decimal> {
        match &self.values {
            ColumnValues::Decimal(v) => v[row],
            _ => None,
        }
    }

    pub fn date(&self, row: usize) -> Option<NaiveDate> {
        match &self.values {
            ColumnValues::Date(v) => v[row],
            _ => None,
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
            ColumnValues::Text { codes, .. } => Some(codes[row]),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
pub struct DealTable {
    pub file: String,
    pub ids: Vec<CompactString>,
    pub lines: Vec<u64>,
    /// Roster index of the deal's owner.
    pub reps: Vec<u32>,
    pub columns: Vec<DealColumn>,
    pub amount: usize,
    pub close_date: usize,
    pub currency: Option<usize>,
    pub info: Option<FileInfo>,
}

impl DealTable {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
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
            Some(ColumnValues::Text { dict, codes }) => &dict[codes[row] as usize],
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
        "amount" | "margin" => ColumnType::Money,
        "quantity" => ColumnType::Decimal,
        "close_date" | "cancel_date" | "paid_date" | "created_date" => ColumnType::Date,
        "currency" | "stage" | "type" | "product" | "territory" | "account_id" | "segment" => {
            ColumnType::Text
        }
        _ => return None,
    })
}

pub fn read_deals(
    spec: &InputSpec,
    roster: &Roster,
    diags: &mut Diagnostics,
) -> anyhow::Result<DealTable> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(DealTable::default());
    };
    let file = input.file.clone();
    let c_id = input.position("deal_id").unwrap_or(0);
    let c_rep = input.position("rep_id").unwrap_or(0);
    // One stored column per header other than deal_id and rep_id.
    let mut layout: Vec<(usize, DealColumn, HashMap<CompactString, u32>)> = Vec::new();
    for (i, header) in input.headers.iter().enumerate() {
        if i == c_id || i == c_rep {
            continue;
        }
        let canonical = spec
            .kind
            .columns()
            .0
            .iter()
            .chain(spec.kind.columns().1.iter())
            .find(|c| input.position(c) == Some(i))
            .map(|c| c.to_string());
        let name = canonical.clone().unwrap_or_else(|| header.clone());
        let ty = canonical
            .as_deref()
            .and_then(canonical_type)
            .or_else(|| spec.types.get(&name).copied())
            .unwrap_or(ColumnType::Text);
        let values = match ty {
            ColumnType::Text => ColumnValues::Text {
                dict: Vec::new(),
                codes: Vec::new(),
            },
            ColumnType::Decimal | ColumnType::Money => ColumnValues::Decimal(Vec::new()),
            ColumnType::Date => ColumnValues::Date(Vec::new()),
        };
        layout.push((
            i,
            DealColumn {
                name,
                header: header.clone(),
                ty,
                values,
            },
            HashMap::new(),
        ));
    }
    for name in spec.types.keys() {
        if !layout.iter().any(|(_, c, _)| &c.name == name) {
            diags.push(
                Diagnostic::error(
                    "column-missing",
                    &file,
                    format!(
                "the workspace gives a type to column `{name}`, which the deals file does not have"
            ),
                )
                .line(1)
                .hint(format!("headers found: {}", input.headers.join(", "))),
            );
        }
    }
    let mut table = DealTable {
        file: file.clone(),
        ..DealTable::default()
    };
    let mut seen: HashMap<CompactString, u64> = HashMap::new();
    let headers = input.headers.clone();
    let amount_pos = input.position("amount");
    let date_pos = input.position("close_date");
    let mut cells: Vec<Cell> = Vec::with_capacity(layout.len());

    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| {
            Diagnostic::error(code, &file, msg)
                .line(row.line)
                .col_name(headers[c].clone())
                .value(row.get(c).to_string())
        };
        let mut ok = true;
        let id = CompactString::new(row.get(c_id));
        if id.is_empty() {
            diags.push(err("deal-id-empty", c_id, "the deal id is empty".into()));
            ok = false;
        } else if let Some(first) = seen.get(&id) {
            diags.push(
                err(
                    "deal-id-duplicate",
                    c_id,
                    format!("deal `{id}` appears twice (first on line {first})"),
                )
                .hint("each transaction must have its own id; split lines need distinct ids"),
            );
            ok = false;
        }
        let rep = roster.find(row.get(c_rep));
        if rep.is_none() {
            diags.push(
                err(
                    "rep-unknown",
                    c_rep,
                    format!("rep is not in the roster {}", roster.file),
                )
                .hint("add the rep to the roster, or correct the owner"),
            );
            ok = false;
        }
        cells.clear();
        for (i, col, _) in &layout {
            let v = row.get(*i);
            let required = Some(*i) == amount_pos || Some(*i) == date_pos;
            if v.is_empty() {
                if required {
                    diags.push(err(
                        "value-missing",
                        *i,
                        format!("`{}` is required", col.name),
                    ));
                    ok = false;
                }
                cells.push(Cell::Empty);
                continue;
            }
            cells.push(match col.ty {
                ColumnType::Text => Cell::Text,
                ColumnType::Decimal | ColumnType::Money => match spec.number_format.parse(v) {
                    Some(d) => Cell::Decimal(d),
                    None => {
                        diags.push(err(
                            "amount-invalid",
                            *i,
                            format!("not {}", spec.number_format.describe()),
                        ));
                        ok = false;
                        Cell::Empty
                    }
                },
                ColumnType::Date => match parse_date(v, &spec.date_format) {
                    Ok(d) => Cell::Date(d),
                    Err(m) => {
                        diags.push(err("date-invalid", *i, m));
                        ok = false;
                        Cell::Empty
                    }
                },
            });
        }
        if !ok {
            return;
        }
        seen.insert(id.clone(), row.line);
        table.ids.push(id);
        table.lines.push(row.line);
        table.reps.push(rep.unwrap_or_default());
        for ((i, col, intern), cell) in layout.iter_mut().zip(cells.iter()) {
            match (&mut col.values, cell) {
                (ColumnValues::Text { dict, codes }, _) => {
                    let v = row.get(*i);
                    let code = match intern.get(v) {
                        Some(&c) => c,
                        None => {
                            let c = dict.len() as u32;
                            dict.push(CompactString::new(v));
                            intern.insert(CompactString::new(v), c);
                            c
                        }
                    };
                    codes.push(code);
                }
                (ColumnValues::Decimal(vs), Cell::Decimal(d)) => vs.push(Some(*d)),
                (ColumnValues::Decimal(vs), _) => vs.push(None),
                (ColumnValues::Date(vs), Cell::Date(d)) => vs.push(Some(*d)),
                (ColumnValues::Date(vs), _) => vs.push(None),
            }
        }
    })?;
    table.columns = layout.into_iter().map(|(_, c, _)| c).collect();
    table.amount = table.column("amount").unwrap_or(0);
    table.close_date = table.column("close_date").unwrap_or(0);
    table.currency = table.column("currency");
    table.info = Some(input.finish());
    Ok(table)
}

enum Cell {
    Empty,
    Text,
    Decimal(Decimal),
    Date(NaiveDate),
}
