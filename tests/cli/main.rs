//! Integration tests of the `payout` binary: one test binary, one module per area. Every test runs the
//! real binary on real files (case folders under tests/cases/, each with its own payout.toml, plans and
//! small CSVs) and checks numbers worked out by hand, with the arithmetic in a comment beside each one.
//!
//! `BLESS=1 cargo test` rewrites the golden files (tests/cases/*/expected/); review their diff.

mod util;

mod accounting;

mod bench;
mod catalogue;
mod constructs;
mod constructs2;
mod constructs3;
mod conventions;
mod crediting;
mod data;
mod diff;
mod docs;
mod engine_properties;
mod errors;
mod explain;
mod formulas;
mod generated;
mod guards;
mod init;
mod insights;
mod layers;
mod leavers;
mod ledger;
mod ledger_integrity;
mod lenient;
mod mechanics;
mod money_and_time;
mod outputs;
mod pay_outputs;
mod pipeline_properties;
mod plan_currency;
mod plan_limits;
mod planning;
mod properties;
mod raw_exports;
mod reading;
mod reference;
mod renames;
mod settlement;
mod statement_html;
mod whatif;
