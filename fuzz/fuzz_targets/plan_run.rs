//! A plan through the engine and the payment step: the bytes replace the fixture's `ae` plan
//! (fuzz/fixture/plans/ae.toml), then the whole workspace is read and 2026-Q1 computed, then settled
//! against a ledger that closed its first month (draws, holds, clawbacks, negative months, corrections);
//! nothing may panic, no invariant may break.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::workspace_dir();
    common::put(dir, "plans/ae.toml", data);
    // Odd-length inputs run as with --lenient, even-length ones strictly.
    common::full_pass(dir, data.len() % 2 == 1);
    common::settle_pass(dir, data.len() % 2 == 1);
});
