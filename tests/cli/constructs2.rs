//! Plan constructs of the language's second edition: curves that continue past their last point,
//! with the diagnostics each can raise. Every expected number is worked out by hand next to its
//! assertion; the harness checks that each row's statement lines sum to its payable.

use crate::util::{payout, run_case, workspace};

/// `payout explain` of one rep, as text.
fn explain(case: &str, rep: &str, period: &str) -> String {
    let out = payout()
        .args([
            "-w",
            &workspace(case),
            "explain",
            "--rep",
            rep,
            "--period",
            period,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "explain failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Curves past their last point

#[test]
fn a_curve_continues_past_its_last_point_with_its_slope_up_to_its_ceiling() {
    // tests/cases/constructs2, plan `slopes`: three curves with points 0%→0, 50%→25%, 100%→100%,
    // 150%→200%, measured per quarter and paid monthly; TI 120,000 a year → 30,000 a quarter.
    //   flat: no `after` (the last payout holds); sloped: +2% per point; ceiling: +3% per point, at
    //   most 250%. R1 quota 100,000: S1 120,000 (Jan), S2 60,000 (Feb), S3 20,000 (Mar).
    let run = run_case("constructs2", "2026-Q1");

    // January, 120% (inside the points): 100% + 100% × 20/50 = 140% → 30,000 × 140% = 42,000 for all
    for c in ["flat", "sloped", "ceiling"] {
        assert_eq!(run.payable("R1", c, "2026-01"), "42000.00", "{c}");
    }
    // February, 180% = 30 points past 150%:
    //   flat: 200% → 60,000; payable 60,000 − 42,000 = 18,000
    //   sloped: 200% + 2% × 30 = 260% → 78,000; payable 78,000 − 42,000 = 36,000
    //   ceiling: 200% + 3% × 30 = 290%, at most 250% → 75,000; payable 33,000
    assert_eq!(run.payable("R1", "flat", "2026-02"), "18000.00");
    assert_eq!(
        run.get("R1", "sloped", "2026-02", "earned_to_date"),
        "78000.00"
    );
    assert_eq!(run.payable("R1", "sloped", "2026-02"), "36000.00");
    assert_eq!(
        run.get("R1", "ceiling", "2026-02", "earned_to_date"),
        "75000.00"
    );
    assert_eq!(run.payable("R1", "ceiling", "2026-02"), "33000.00");
    assert_eq!(
        run.lines("2026-02", "R1", "sloped")[0]["formula"],
        "target incentive 120000.00 × 3/12 × weight 100% × curve(180.00%) = 30000.00 × 260% = 78000.00 to date, 42000.00 before; past the last point 150% → 200%: 200% + 2% × 30 points = 260%"
    );
    assert_eq!(
        run.lines("2026-02", "R1", "ceiling")[0]["formula"],
        "target incentive 120000.00 × 3/12 × weight 100% × curve(180.00%) = 30000.00 × 250% = 75000.00 to date, 42000.00 before; past the last point 150% → 200%: 200% + 3% × 30 points = 290%, at most 250%"
    );
    // March, 200% = 50 points past: sloped 200% + 2% × 50 = 300% → 90,000; payable 90,000 − 78,000
    //   = 12,000; ceiling stays at 250% → 0.00; flat stays at 200% → 0.00
    assert_eq!(run.payable("R1", "sloped", "2026-03"), "12000.00");
    assert_eq!(run.payable("R1", "ceiling", "2026-03"), "0.00");
    assert_eq!(run.payable("R1", "flat", "2026-03"), "0.00");

    // R2: quota 80,000, S4 130,000 in January = 162.5%, 12.5 points past 150%:
    //   sloped: 200% + 2% × 12.5 = 225% → 30,000 × 2.25 = 67,500
    //   ceiling: 200% + 3% × 12.5 = 237.5% (under 250%) → 30,000 × 2.375 = 71,250
    //   flat: 200% → 60,000
    assert_eq!(run.payable("R2", "sloped", "2026-01"), "67500.00");
    assert_eq!(run.payable("R2", "ceiling", "2026-01"), "71250.00");
    assert_eq!(run.payable("R2", "flat", "2026-01"), "60000.00");
    assert!(run.lines("2026-01", "R2", "sloped")[0]["formula"]
        .ends_with("; past the last point 150% → 200%: 200% + 2% × 12.5 points = 225%"));
}

#[test]
fn explain_states_how_a_curve_continues_past_its_last_point() {
    let text = explain("constructs2", "R1", "2026-Q1");
    assert!(text.contains(
        "Curve (linear between points): 0% → 0%, 50% → 25%, 100% → 100%, 150% → 200%, then +2% per point of attainment; weight 100%"
    ), "{text}");
    assert!(text.contains("150% → 200%, then +3% per point of attainment (at most 250%); weight"));
    // a curve without `after` is described as before: flat past its last point
    assert!(text.contains("150% → 200%; weight 100%"));
}
