//! Compensation plans: the TOML plan language and its validated model.
//!
//! `parse` turns a plan file's text into a [`Plan`] or diagnostics; `model` is what the engine reads.
//! Nothing in this module reads files: callers pass the text in.

pub mod components;
mod measures;
pub mod model;
pub mod parse;
pub mod payment;
pub mod payment_terms;
pub mod renames;
mod syntax;

pub use model::*;
pub use parse::{parse_plan, PlanDefaults};
pub use renames::validate_plan_renames;
pub mod expr;
