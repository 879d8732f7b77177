//! CSV records written one field at a time, from borrowed text or from text formatted into one
//! reused buffer: no `String` per cell on the hot paths (summary rows, statement lines).
//!
//! Invariants: quoting, terminators and field-count checks are the `csv` crate's, exactly as when a
//! whole record is passed to `csv::Writer::write_record`; text cells from user data go through
//! [`Fields::text`] (formula neutralisation by [`super::fs::csv_text`]), numbers written by payout
//! through [`Fields::raw`] or the formatting helpers.

use std::fmt::Display;
use std::fmt::Write as _;
use std::io::Write;

use rust_decimal::Decimal;

use super::fs::csv_text;
use crate::money::push_amount;

/// A `csv::Writer` and a scratch buffer for the field being formatted.
pub struct Fields<W: Write> {
    w: csv::Writer<W>,
    scratch: String,
}

impl<W: Write> Fields<W> {
    pub fn new(w: csv::Writer<W>) -> Self {
        Fields {
            w,
            scratch: String::with_capacity(64),
        }
    }

    /// A field written as it is (payout's own text: ids of plan parts, numbers, fixed words).
    pub fn raw(&mut self, field: &str) -> csv::Result<()> {
        self.w.write_field(field)
    }

    /// A text cell from user data, neutralised if a spreadsheet would run it as a formula.
    pub fn text(&mut self, cell: &str) -> csv::Result<()> {
        self.w.write_field(csv_text(cell).as_bytes())
    }

    /// An empty field.
    pub fn empty(&mut self) -> csv::Result<()> {
        self.w.write_field([])
    }

    /// An amount with at least `places` decimals ([`crate::money::fmt_amount`]); its text.
    pub fn amount(&mut self, value: Decimal, places: u32) -> csv::Result<&str> {
        self.with(|s| push_amount(s, value, places))
    }

    /// A value's `Display` text.
    pub fn display(&mut self, value: impl Display) -> csv::Result<&str> {
        self.with(|s| {
            let _ = write!(s, "{value}");
        })
    }

    /// A field formatted by `f` into the scratch buffer; its text (for another rendering of the
    /// same cell).
    pub fn with(&mut self, f: impl FnOnce(&mut String)) -> csv::Result<&str> {
        self.scratch.clear();
        f(&mut self.scratch);
        self.w.write_field(self.scratch.as_bytes())?;
        Ok(&self.scratch)
    }

    /// End the record.
    pub fn end(&mut self) -> csv::Result<()> {
        self.w.write_record(None::<&[u8]>)
    }

    /// A whole record of borrowed fields (a header).
    pub fn record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> csv::Result<()> {
        self.w.write_record(fields)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    pub fn into_inner(self) -> anyhow::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))
    }
}
