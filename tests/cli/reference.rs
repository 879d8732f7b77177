//! The reference plan (plans/reference/example.toml, every key of the plan language, documented in
//! docs/plan-language.md) runs on the Acme data through examples/reference/payout.toml.

use crate::util::{dec, run_with};

#[test]
fn the_reference_plan_runs_and_its_plan_cap_cuts_the_quarter() {
    let run = run_with("examples/reference/payout.toml", "2026-Q1", &[]);
    // Rep A004 is on plan `example`; its plan cap is 15,000.00 per quarter. The cap row's measure is
    // the plan's payables to date in the quarter; the cut is what exceeds 15,000.
    let payable = |component: &str, period: &str| dec(run.payable("A004", component, period));
    let months = ["2026-01", "2026-02", "2026-03"];
    let components = [
        "commission",
        "per-deal",
        "margin",
        "on-target",
        "logo-spiff",
    ];
    let mut total = dec("0");
    for m in months {
        for c in components {
            total += payable(c, m);
        }
    }
    total += payable("club", "2026-Q1");
    // March: total to date − 15,000 is cut (here 18,035.16 − 15,000.00 = 3,035.16, see the README
    // of docs/plan-language.md for the lines); January and February stay under the cap.
    let cut = (total - dec("15000")).max(dec("0"));
    assert_eq!(payable("plan-cap", "2026-01"), dec("0"));
    assert_eq!(payable("plan-cap", "2026-02"), dec("0"));
    assert_eq!(payable("plan-cap", "2026-03"), -cut);
    assert!(
        cut > dec("0"),
        "the reference data reaches the cap in March"
    );
    // what is paid for the quarter is exactly the cap
    assert_eq!(total + payable("plan-cap", "2026-03"), dec("15000"));
}
