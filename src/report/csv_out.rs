//! The CSV writer of every report file: [`crate::csv_cell::Fields`], which neutralises every cell a
//! spreadsheet would run as a formula (it lives on the ground floor so the ledger writes through it
//! too).

pub use crate::csv_cell::Fields;
