//! The workspace file: any text → `parse_workspace` returns a workspace or diagnostics, never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use payout::workspace::{parse_workspace, Overrides};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_workspace(Path::new("fuzz/payout.toml"), text, &Overrides::default()) {
        Ok(ws) => {
            let _ = format!("{ws:?}");
        }
        Err(invalid) => {
            assert!(
                !invalid.0.is_empty(),
                "a workspace rejected without a diagnostic"
            );
            for d in &invalid.0 {
                let _ = d.to_string();
            }
        }
    }
});
