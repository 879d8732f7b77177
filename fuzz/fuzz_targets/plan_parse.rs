//! Plan files: any text → `parse_plan` returns a plan or diagnostics, never panics. A plan that parses
//! is formatted with Debug (walks the whole model).
#![no_main]

use libfuzzer_sys::fuzz_target;
use payout::money::Rounding;
use payout::plan::{parse_plan, PlanDefaults};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let defaults = PlanDefaults {
        currency: "USD".to_string(),
        rounding: Rounding::default(),
    };
    match parse_plan("plans/fuzz.toml", text, &defaults) {
        Ok(plan) => {
            let _ = format!("{plan:?}");
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "a plan rejected without a diagnostic");
            for d in &diags {
                let _ = d.to_string();
            }
        }
    }
});
