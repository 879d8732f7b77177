//! Sales planning: quota allocation, capacity and territory balancing (pure: no I/O, no clock).
//!
//! The planning floor sits between `report/` and `engine/`: it reads the data tables and the
//! engine's results of last year, and returns tables that `report/` writes in exactly the formats
//! `data/` reads back (a quotas file, a territories file), so a plan made here is paid without
//! retyping.
//!
//! Invariants: same input → same output, whatever the order of the input rows (everything is keyed
//! and sorted by id); money stays in exact decimals; every rounding is to a named step, with the
//! leftover placed by the largest-remainder rule so rounded parts sum exactly to their total.

pub mod capacity;
pub mod gather;
pub mod months;
pub mod quotas;
pub mod rounding;
pub mod territories;
