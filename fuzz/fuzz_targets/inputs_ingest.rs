//! All four CSV inputs at once: the bytes, split at NUL bytes, are the deals, reps, quotas and FX files
//! of the fixture workspace (a missing part keeps the fixture's file), so that rosters, quotas and rates
//! meet generated deals. Reading, computing 2026-Q1 and checking the invariants must not panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const FILES: [&str; 4] = ["deals.csv", "reps.csv", "quotas.csv", "fx.csv"];

fuzz_target!(|data: &[u8]| {
    let dir = common::workspace_dir();
    common::reset(dir);
    for (name, part) in FILES.iter().zip(data.split(|&b| b == 0)) {
        common::put(dir, name, part);
    }
    // Odd-length inputs run as with --lenient, even-length ones strictly.
    common::full_pass(dir, data.len() % 2 == 1);
});
