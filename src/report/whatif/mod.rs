//! Output of the what-if commands (`estimate`, `model`, `forecast`): titled grids of cells, printed
//! as terminal tables or as one CSV. The numbers are formatted by the commands; this module lays
//! them out.
//!
//! Invariant: the CSV of a grid has its headers and rows exactly (cells through the neutralising
//! writer); the table shows the same cells.

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

pub mod estimate;
pub mod forecast;
pub mod model;

use super::csv_out::Fields;
use super::format::term_row;

/// A titled table: headers, right-aligned column indices, and rows of cells.
pub struct Grid {
    pub title: String,
    pub headers: Vec<String>,
    pub right: Vec<usize>,
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// The grid without column `i` when no row has anything in it.
    pub fn without_empty(mut self, i: usize) -> Grid {
        if self.rows.iter().any(|r| !r[i].is_empty()) {
            return self;
        }
        self.headers.remove(i);
        self.rows.iter_mut().for_each(|r| {
            r.remove(i);
        });
        self.right.retain(|&c| c != i);
        self.right
            .iter_mut()
            .filter(|c| **c > i)
            .for_each(|c| *c -= 1);
        self
    }
}

/// Headers from text.
pub fn heads(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// An amount rounded for a table (half away from zero), with thousands separators.
pub fn money(value: rust_decimal::Decimal, places: u32) -> String {
    let rounded =
        value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    super::format::grouped(rounded, places)
}

/// A change with its sign (`+4,000.00`, `-3,000.00`, `0.00`).
pub fn signed(value: rust_decimal::Decimal, places: u32) -> String {
    let s = money(value, places);
    if value > rust_decimal::Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

/// Every grid with rows, its title above it, a blank line between.
pub fn render_tables(grids: &[Grid], mut out: impl Write) -> anyhow::Result<()> {
    let mut first = true;
    for g in grids.iter().filter(|g| !g.rows.is_empty()) {
        if !first {
            writeln!(out)?;
        }
        first = false;
        writeln!(out, "{}", g.title)?;
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(g.headers.clone());
        for &i in &g.right {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        for row in &g.rows {
            t.add_row(term_row(row.clone()));
        }
        writeln!(out, "{t}")?;
    }
    Ok(())
}

/// One grid as CSV: its headers, then its rows.
pub fn render_csv(grid: &Grid, out: impl Write) -> anyhow::Result<()> {
    let mut f = Fields::new(csv::Writer::from_writer(out));
    f.record(grid.headers.iter().map(String::as_str))?;
    for row in &grid.rows {
        f.record(row.iter().map(String::as_str))?;
    }
    f.flush()?;
    Ok(())
}
