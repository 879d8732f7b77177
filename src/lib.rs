//! payout: an incentive compensation calculator.
//!
//! The pipeline: **read** (workspace, plans, CSV exports → typed tables, every problem a diagnostic)
//! → **validate** (plans bound to the data's columns) → **compute** (the pure, parallel engine:
//! credits → measures → attainment → components → true-up → payable, with a trace of every line)
//! → **check invariants** (lines sum to totals, payable = earned − paid, every row reconciled)
//! → **report** (summary, payouts, statements, manifest, explain).
//!
//! Only `cli`, `data`, `ledger` and `report` touch files, the terminal or the environment; `engine` is pure.

// Diagnostics are returned by value on the (rare) error path; boxing them buys nothing measurable.
#![allow(clippy::result_large_err)]

pub mod accounting;
pub mod cli;
pub mod csv_cell;
pub mod data;
pub mod date_format;
pub mod diag;
pub mod engine;
pub mod finance_settings;
pub mod insights;
pub mod ledger;
pub mod line_kind;
pub mod money;
pub mod owner;
pub mod period;
pub mod pipeline;
pub mod plan;
pub mod planning;
pub mod report;
pub mod scaffold;
pub mod scenario;
pub mod schema;
pub mod stages;
mod toml_src;
pub mod workspace;
