//! The reference plan (plans/reference/example.toml, every key of the plan language, documented in
//! docs/plan-language.md) runs on the Acme data through examples/reference/payout.toml.
//!
//! Rep A004 is on plan `example`. Its Q1 deals (examples/acme/deals.csv), all in USD:
//!
//! | deal      | close      | stage       | type         | product   | amount    | margin    | margin % |
//! |-----------|------------|-------------|--------------|-----------|-----------|-----------|----------|
//! | OPP-10024 | 2026-01-19 | Closed Won  | New Business | Cloud     | 28,000.00 | 20,322.40 | 0.7258   |
//! | OPP-10100 | 2026-03-11 | Closed Won  | New Business | Cloud     | 35,089.00 | 26,443.07 | 0.7536   |
//! | OPP-10137 | 2026-03-16 | Closed Won  | Upsell       | Analytics | 34,500.00 | 28,683.30 | 0.8314   |
//! | OPP-10086 | 2026-03-24 | Closed Lost | (not counted)                                            |
//! | OPP-10146 | 2026-03-30 | Closed Lost | (not counted)                                            |
//!
//! Quotas: bookings 94,100.00 for Q1 (418,400.00 for the year), new_logos 3 for Q1.

use crate::util::{dec, run_with};

#[test]
fn the_reference_plan_pays_each_component_as_worked_by_hand_and_its_plan_cap_cuts_the_quarter() {
    let run = run_with("examples/reference/payout.toml", "2026-Q1", &[]);
    let payable = |component: &str, period: &str| dec(run.payable("A004", component, period));

    // commission: marginal on quarterly attainment, 4% to 50%, 8% to 100%, 12% above; a 25%
    // threshold (passed in January: 28,000 / 94,100 = 29.75%); multiplier 1 (2 of 3 new logos).
    // January: 28,000.00 × 4% = 1,120.00.
    // March to date: bookings 28,000 + 35,089 + 34,500 = 97,589.00 (103.71%):
    //   47,050.00 × 4% + 47,050.00 × 8% + 3,489.00 × 12% = 1,882.00 + 3,764.00 + 418.68 = 6,064.68,
    //   less 1,120.00 paid in January = 4,944.68.
    assert_eq!(payable("commission", "2026-01"), dec("1120.00"));
    assert_eq!(payable("commission", "2026-02"), dec("0.00"));
    assert_eq!(payable("commission", "2026-03"), dec("4944.68"));

    // per-deal: 50.00 per big deal (Platform or Cloud, not a renewal, ...): OPP-10024 in January,
    // OPP-10100 in March (OPP-10137 is Analytics).
    assert_eq!(payable("per-deal", "2026-01"), dec("50.00"));
    assert_eq!(payable("per-deal", "2026-03"), dec("50.00"));

    // ladder: 1,000.00 for the first 50,000 of bookings, prorated inside it; 1% above.
    // January: 28,000 ÷ 50,000 × 1,000.00 = 560.00.
    // March to date 97,589.00: 1,000.00 + 47,589.00 × 1% = 1,000.00 + 475.89 = 1,475.89, less
    //   560.00 paid in January = 915.89.
    assert_eq!(payable("ladder", "2026-01"), dec("560.00"));
    assert_eq!(payable("ladder", "2026-02"), dec("0.00"));
    assert_eq!(payable("ladder", "2026-03"), dec("915.89"));

    // margin: each deal's rate by its own margin % (under 0.75: 4%, from 0.75: 6%), half-even:
    // January 20,322.40 × 4% = 812.896 → 812.90.
    // March to date 812.896 + 26,443.07 × 6% + 28,683.30 × 6% = 812.896 + 1,586.5842 + 1,720.998
    //   = 4,120.4782 → 4,120.48, less 812.90 paid = 3,307.58.
    assert_eq!(payable("margin", "2026-01"), dec("812.90"));
    assert_eq!(payable("margin", "2026-03"), dec("3307.58"));

    // on-target: step curve on 103.71% → 100% of 60,000 / 4 × 50% weight = 7,500.00; gated on
    // new-logo attainment of 50%: 1/3 in January and February (closed), 2/3 in March (open).
    assert_eq!(payable("on-target", "2026-01"), dec("0.00"));
    assert_eq!(payable("on-target", "2026-03"), dec("7500.00"));

    // logo-spiff: 250.00 per new logo dated 2026-03-01..2026-04-30: OPP-10100 in March.
    assert_eq!(payable("logo-spiff", "2026-01"), dec("0.00"));
    assert_eq!(payable("logo-spiff", "2026-03"), dec("250.00"));

    // club: 97,589 / 418,400 = 23.32% of the year's quota, under the first level (100%).
    assert_eq!(payable("club", "2026-Q1"), dec("0.00"));

    // plan cap 15,000.00 per quarter on the plan's earned to date: January 1,120.00 + 50.00 +
    // 560.00 + 812.90 = 2,542.90, under it; March 6,064.68 + 100.00 + 1,475.89 + 4,120.48 +
    // 7,500.00 + 250.00 + 0.00 = 19,511.05, so 19,511.05 − 15,000.00 = 4,511.05 is cut.
    assert_eq!(payable("plan-cap", "2026-01"), dec("0.00"));
    assert_eq!(payable("plan-cap", "2026-02"), dec("0.00"));
    assert_eq!(payable("plan-cap", "2026-03"), dec("-4511.05"));
}
