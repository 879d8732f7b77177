//! CSV ingestion: the bytes are the deals file of the fixture workspace (fuzz/fixture/: two plans, a
//! roster, quotas, FX rates); reading, computing 2026-Q1 and checking the run's invariants must not panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::workspace_dir();
    common::put(dir, "deals.csv", data);
    // Odd-length inputs run as with --lenient, even-length ones strictly.
    common::full_pass(dir, data.len() % 2 == 1);
});
