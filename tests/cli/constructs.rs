//! Plan constructs beyond rate tables: target-incentive curves, thresholds, gates, multipliers,
//! bonuses, SPIFFs, caps (per deal, per component, per plan), rules by dimension and derived values,
//! with the diagnostics each can raise. Every expected number is worked out by hand next to its
//! assertion; the harness checks that each row's statement lines sum to its payable.

use crate::util::{brief, dec, fail, payout, run_case, run_with, scratch_copy, workspace, write};

/// Run `payout -w <scratch>/payout.toml run --period <period>`, expecting exit 1; returns stderr.
fn invalid(dir: &tempfile::TempDir, period: &str) -> String {
    let ws = dir.path().join("payout.toml");
    fail(&["-w", ws.to_str().unwrap(), "run", "--period", period], 1)
}

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

/// The part of an explain text about one payout period of one component.
fn explain_period<'a>(text: &'a str, component: &str, period: &str) -> &'a str {
    let head = format!("== Component `{component}`");
    let from = text
        .find(&head)
        .unwrap_or_else(|| panic!("no section {head:?} in:\n{text}"));
    let section = &text[from + head.len()..];
    let section = &section[..section.find("== Component `").unwrap_or(section.len())];
    let head = format!("Payout period {period}\n");
    let from = section
        .find(&head)
        .unwrap_or_else(|| panic!("no {head:?} under `{component}` in:\n{section}"));
    let part = &section[from + head.len()..];
    &part[..part.find("Payout period ").unwrap_or(part.len())]
}

/// The "capped off this period" amount explain prints for a payout period, if any.
fn capped_off(text: &str, component: &str, period: &str) -> Option<String> {
    explain_period(text, component, period)
        .lines()
        .find_map(|l| l.trim().strip_prefix("capped off this period: "))
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Target-incentive curves

#[test]
fn curves_pay_target_incentive_times_the_curve_with_monthly_true_up() {
    // tests/cases/curve, plan `curves`: points 0%→0, 50%→25%, 100%→100%, 150%→200%; quota 100,000
    // for 2026-Q1, measured per quarter, paid monthly. Roster TI 120,000 a year → a quarter's target
    // 120,000 × 3/12 = 30,000. `fixed-ti` sets target_incentive = 40,000 → 40,000 × 3/12 = 10,000.
    let run = run_case("curve", "2026-Q1");

    // R1 January: C1 30,000 → 30% (between 0% and 50%): 0 + (25% − 0) × (30 − 0)/(50 − 0) = 15%
    //   linear: 30,000 × 15% = 4,500.00; step: highest point reached is 0% → 0% → 0.00
    //   fixed-ti: 10,000 × 15% = 1,500.00
    assert_eq!(run.payable("R1", "linear", "2026-01"), "4500.00");
    assert_eq!(run.payable("R1", "step", "2026-01"), "0.00");
    assert_eq!(run.payable("R1", "fixed-ti", "2026-01"), "1500.00");
    assert_eq!(run.get("R1", "linear", "2026-01", "attainment"), "0.300000");
    assert_eq!(
        run.lines("2026-01", "R1", "linear")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![(
            "curve",
            "",
            "",
            "target incentive 120000.00 × 3/12 × weight 100% × curve(30.00%) = 30000.00 × 15% = 4500.00 to date, 0.00 before",
            "4500.00"
        )]
    );
    // step earns nothing in January: no line at all
    assert!(run.lines("2026-01", "R1", "step").is_empty());

    // R1 February: C2 20,000 → 50,000 = 50%, exactly on a point → 25% for both interpolations
    //   linear: 30,000 × 25% = 7,500.00 to date; payable 7,500 − 4,500 = 3,000.00
    //   step: 7,500.00 to date; payable 7,500 − 0 = 7,500.00
    //   fixed-ti: 10,000 × 25% = 2,500.00; payable 2,500 − 1,500 = 1,000.00
    assert_eq!(
        run.get("R1", "linear", "2026-02", "earned_to_date"),
        "7500.00"
    );
    assert_eq!(
        run.get("R1", "linear", "2026-02", "paid_to_date"),
        "4500.00"
    );
    assert_eq!(run.payable("R1", "linear", "2026-02"), "3000.00");
    assert_eq!(run.payable("R1", "step", "2026-02"), "7500.00");
    assert_eq!(run.payable("R1", "fixed-ti", "2026-02"), "1000.00");
    assert_eq!(
        run.lines("2026-02", "R1", "linear")
            .iter()
            .map(|l| (l["formula"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [(
            "target incentive 120000.00 × 3/12 × weight 100% × curve(50.00%) = 30000.00 × 25% = 7500.00 to date, 4500.00 before",
            "3000.00"
        )]
    );

    // R1 March: C3 40,000 → 90,000 = 90%, between 50% and 100%:
    //   linear: 25% + (100% − 25%) × (90 − 50)/(100 − 50) = 25% + 75% × 0.8 = 85%
    //     30,000 × 85% = 25,500.00 to date; payable 25,500 − 7,500 = 18,000.00
    //   step: still the 50% point → 25% → 7,500.00; payable 0.00
    //   fixed-ti: 10,000 × 85% = 8,500.00; payable 8,500 − 2,500 = 6,000.00
    assert_eq!(
        run.get("R1", "linear", "2026-03", "earned_to_date"),
        "25500.00"
    );
    assert_eq!(run.payable("R1", "linear", "2026-03"), "18000.00");
    assert_eq!(
        run.get("R1", "step", "2026-03", "earned_to_date"),
        "7500.00"
    );
    assert_eq!(run.payable("R1", "step", "2026-03"), "0.00");
    assert_eq!(run.payable("R1", "fixed-ti", "2026-03"), "6000.00");
    // the quarter's payments sum to the rounded quarter earning: 4,500 + 3,000 + 18,000 = 25,500
    let paid: rust_decimal::Decimal = ["2026-01", "2026-02", "2026-03"]
        .iter()
        .map(|m| dec(run.payable("R1", "linear", m)))
        .sum();
    assert_eq!(paid, dec("25500.00"));

    // R2 January: C4 100,000 = 100%, exactly on a point → 100% for both: 30,000 × 100% = 30,000.00
    //   fixed-ti: 10,000 × 100% = 10,000.00
    assert_eq!(run.payable("R2", "linear", "2026-01"), "30000.00");
    assert_eq!(run.payable("R2", "step", "2026-01"), "30000.00");
    assert_eq!(run.payable("R2", "fixed-ti", "2026-01"), "10000.00");
    // R2 February: C5 50,000 → 150,000 = 150%, exactly the last point → 200%: 30,000 × 200% = 60,000.00
    //   payable 60,000 − 30,000 = 30,000.00 (both); fixed-ti 10,000 × 200% = 20,000 − 10,000 = 10,000.00
    assert_eq!(run.payable("R2", "linear", "2026-02"), "30000.00");
    assert_eq!(run.payable("R2", "step", "2026-02"), "30000.00");
    assert_eq!(run.payable("R2", "fixed-ti", "2026-02"), "10000.00");
    // R2 March: C6 30,000 → 180,000 = 180%, above the last point: the last payout, 200%, holds
    //   60,000.00 to date, payable 0.00, and no line
    assert_eq!(run.get("R2", "linear", "2026-03", "attainment"), "1.800000");
    assert_eq!(
        run.get("R2", "linear", "2026-03", "earned_to_date"),
        "60000.00"
    );
    assert_eq!(run.payable("R2", "linear", "2026-03"), "0.00");
    assert_eq!(
        run.get("R2", "step", "2026-03", "earned_to_date"),
        "60000.00"
    );
    assert_eq!(
        run.get("R2", "fixed-ti", "2026-03", "earned_to_date"),
        "20000.00"
    );
    assert!(run.lines("2026-03", "R2", "linear").is_empty());
}

#[test]
fn two_weighted_curves_in_one_plan() {
    // tests/cases/curve, plan `weighted`, R3: TI 80,000 a year → 80,000 × 3/12 = 20,000 for the quarter;
    // bookings curve weight 70%, margin curve weight 30%, same points; measured and paid per quarter.
    let run = run_case("curve", "2026-Q1");
    // bookings: W1 150,000 + W2 50,000 = 200,000 ÷ quota 200,000 = 100% → 100%
    //   20,000 × 70% × 100% = 14,000.00
    assert_eq!(
        run.get("R3", "bookings-curve", "2026-Q1", "measure_to_date"),
        "200000.00"
    );
    assert_eq!(run.payable("R3", "bookings-curve", "2026-Q1"), "14000.00");
    // margin: 30,000 + 10,000 = 40,000 ÷ quota 50,000 = 80%, between 50% and 100%:
    //   25% + 75% × (80 − 50)/(100 − 50) = 25% + 45% = 70% → 20,000 × 30% × 70% = 4,200.00
    assert_eq!(
        run.get("R3", "margin-curve", "2026-Q1", "attainment"),
        "0.800000"
    );
    assert_eq!(run.payable("R3", "margin-curve", "2026-Q1"), "4200.00");
    assert_eq!(
        run.lines("2026-Q1", "R3", "margin-curve")
            .iter()
            .map(|l| (l["formula"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [(
            "target incentive 80000.00 × 3/12 × weight 30% × curve(80.00%) = 6000.00 × 70% = 4200.00 to date, 0.00 before",
            "4200.00"
        )]
    );
    // the rep's total: 14,000 + 4,200 = 18,000 + 4,200 = 18,200.00
    let total = dec(run.payable("R3", "bookings-curve", "2026-Q1"))
        + dec(run.payable("R3", "margin-curve", "2026-Q1"));
    assert_eq!(total, dec("18200.00"));
}

#[test]
fn a_curve_without_a_target_incentive_is_an_error() {
    // R1's roster target_incentive emptied: `linear` and `step` need it; `fixed-ti` has its own.
    let dir = scratch_copy("curve");
    write(
        dir.path(),
        "reps.csv",
        "rep_id,name,plan,target_incentive\nR1,Rita One,curves,\nR2,Raj Two,curves,120000\nR3,Rosa Three,weighted,80000\n",
    );
    let stderr = invalid(&dir, "2026-Q1");
    assert!(stderr.contains("error[ti-missing]"), "{stderr}");
    // R1 is on line 2 of the roster (the header is line 1)
    assert!(stderr.contains("reps.csv:2"), "{stderr}");
    assert!(stderr.contains("`R1`"), "{stderr}");
    assert!(stderr.contains("`linear`"), "{stderr}");
    assert!(stderr.contains("`step`"), "{stderr}");
    // the component with its own target incentive does not need the roster's
    assert!(!stderr.contains("`fixed-ti`"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Threshold on the commission's own measure

#[test]
fn a_threshold_at_half_of_quota_with_and_without_catch_up() {
    // tests/cases/threshold: 10% of bookings, quota 100,000 for 2026-Q1 → threshold 50% × 100,000 = 50,000;
    // measured per quarter, paid monthly.
    let run = run_case("threshold", "2026-Q1");

    // R1 January: H1 30,000 (30%) is below 50,000.
    //   catch-up: earned 30,000 × 10% = 3,000 held back → 0.00; the lines show +3,000 and −3,000
    //   no catch-up: the slice 0 → 30,000 is below the threshold → 0.00, no line
    assert_eq!(run.payable("R1", "catch-up", "2026-01"), "0.00");
    assert_eq!(
        run.lines("2026-01", "R1", "catch-up")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "H1", "T1 [0%, ∞)", "30000.00 × 10%", "3000.00"),
            (
                "threshold",
                "",
                "",
                "measure 30000.00 below the threshold 50000.00: earned to date 3000.00 held back",
                "-3000.00"
            ),
        ]
    );
    assert_eq!(run.payable("R1", "no-catch-up", "2026-01"), "0.00");
    // H1 lies wholly below the threshold: one zero line says so
    let jan = run.lines("2026-01", "R1", "no-catch-up");
    assert_eq!(
        (
            jan.len(),
            jan[0]["line"].as_str(),
            jan[0]["amount"].as_str()
        ),
        (1, "threshold", "0.00")
    );

    // R1 February: H2 20,000 → exactly 50,000 = 50%: the threshold is reached (a value on it counts).
    //   catch-up: everything to date 50,000 × 10% = 5,000.00; payable 5,000 − 0 = 5,000.00
    //     lines: H2 20,000 × 10% = 2,000 and the held 3,000 released: 2,000 + 3,000 = 5,000
    //   no catch-up: the slice 30,000 → 50,000 is below 50,000 too → 0.00
    assert_eq!(run.payable("R1", "catch-up", "2026-02"), "5000.00");
    assert_eq!(
        run.lines("2026-02", "R1", "catch-up")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "2000.00"), ("threshold", "3000.00")]
    );
    assert_eq!(run.payable("R1", "no-catch-up", "2026-02"), "0.00");

    // R1 March: H3 10,000 → 60,000.
    //   catch-up: 60,000 × 10% = 6,000 to date; payable 6,000 − 5,000 = 1,000.00
    //   no catch-up: only 50,000 → 60,000 counts: 10,000 × 10% = 1,000.00 (to date 1,000)
    assert_eq!(run.payable("R1", "catch-up", "2026-03"), "1000.00");
    assert_eq!(run.payable("R1", "no-catch-up", "2026-03"), "1000.00");
    assert_eq!(
        run.get("R1", "no-catch-up", "2026-03", "earned_to_date"),
        "1000.00"
    );
    // quarter: catch-up 0 + 5,000 + 1,000 = 6,000 = 60,000 × 10%; no catch-up (60,000 − 50,000) × 10% = 1,000
    assert_eq!(
        run.get("R1", "catch-up", "2026-03", "earned_to_date"),
        "6000.00"
    );

    // R2 crosses the threshold within one deal: H4 40,000 in January, H5 30,000 (40,000 → 70,000) in February.
    //   January, both: 0.00 (catch-up holds 4,000)
    assert_eq!(run.payable("R2", "catch-up", "2026-01"), "0.00");
    assert_eq!(run.payable("R2", "no-catch-up", "2026-01"), "0.00");
    //   February catch-up: 70,000 × 10% = 7,000.00 = H5 3,000 + the held 4,000
    assert_eq!(run.payable("R2", "catch-up", "2026-02"), "7000.00");
    assert_eq!(
        run.lines("2026-02", "R2", "catch-up")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "3000.00"), ("threshold", "4000.00")]
    );
    //   February no catch-up: only the part of H5 above 50,000: (70,000 − 50,000) × 10% = 2,000.00
    assert_eq!(run.payable("R2", "no-catch-up", "2026-02"), "2000.00");
    let h5 = run.lines("2026-02", "R2", "no-catch-up");
    assert_eq!(
        h5.iter().map(brief).collect::<Vec<_>>(),
        vec![("deal", "H5", "T1 [0%, ∞)", "20000.00 × 10%", "2000.00")]
    );
    assert_eq!(
        (
            h5[0]["cumulative_from"].as_str(),
            h5[0]["cumulative_to"].as_str()
        ),
        ("50000.00", "70000.00")
    );

    // R3: one deal H6 80,000 from zero across the threshold in January.
    //   catch-up: 80,000 × 10% = 8,000.00; no catch-up: (80,000 − 50,000) × 10% = 3,000.00
    assert_eq!(run.payable("R3", "catch-up", "2026-01"), "8000.00");
    assert_eq!(run.payable("R3", "no-catch-up", "2026-01"), "3000.00");
}

#[test]
fn a_deal_floor_does_not_pay_deals_below_a_threshold_without_catch_up() {
    // tests/cases/threshold with `deal_floor = 500` added to the no-catch-up component: the floor is a
    // minimum for a deal that earns, not a payment for the slice the threshold says is never paid.
    let dir = scratch_copy("threshold");
    let plan = std::fs::read_to_string(dir.path().join("plans/threshold.toml")).unwrap();
    let with_floor = plan.replace(
        "threshold = { at = \"50%\", catch_up = false }",
        "threshold = { at = \"50%\", catch_up = false }\ndeal_floor = 500",
    );
    assert_ne!(plan, with_floor);
    write(dir.path(), "plans/threshold.toml", &with_floor);
    let ws = dir.path().join("payout.toml");
    let run = run_with(ws.to_str().unwrap(), "2026-Q1", &[]);
    // R1: H1 0 → 30,000 and H2 30,000 → 50,000 lie wholly below the threshold 50,000: 0.00 each
    assert_eq!(run.payable("R1", "no-catch-up", "2026-01"), "0.00");
    assert_eq!(run.payable("R1", "no-catch-up", "2026-02"), "0.00");
    // H3 50,000 → 60,000: 10,000 × 10% = 1,000 ≥ 500, no top-up → 1,000.00 (1,000.00 to date)
    assert_eq!(run.payable("R1", "no-catch-up", "2026-03"), "1000.00");
    assert_eq!(
        run.get("R1", "no-catch-up", "2026-03", "earned_to_date"),
        "1000.00"
    );
    // R2: H4 0 → 40,000 wholly below: 0.00; H5 40,000 → 70,000: (70,000 − 50,000) × 10% = 2,000.00
    assert_eq!(run.payable("R2", "no-catch-up", "2026-01"), "0.00");
    assert_eq!(run.payable("R2", "no-catch-up", "2026-02"), "2000.00");
}

// ---------------------------------------------------------------------------------------------
// Gate on another measure

#[test]
fn a_gate_on_margin_attainment_with_and_without_catch_up() {
    // tests/cases/gate: 10% of bookings, payable only while margin-to-date ÷ margin quota ≥ 90%;
    // margin quota 10,000 for 2026-Q1 → the gate opens at 9,000 of margin. Measured per quarter, paid monthly.
    let run = run_case("gate", "2026-Q1");

    // R1 January: G1 20,000 (margin 5,000 → 50% < 90%): closed.
    //   both: earned 20,000 × 10% = 2,000, payable 0.00; the gate line takes back the 2,000
    assert_eq!(run.payable("R1", "catch-up", "2026-01"), "0.00");
    assert_eq!(run.payable("R1", "no-catch-up", "2026-01"), "0.00");
    assert_eq!(
        run.lines("2026-01", "R1", "catch-up")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "G1", "T1 [0, ∞)", "20000.00 × 10%", "2000.00"),
            (
                "gate",
                "",
                "",
                "gate closed: `margin` attainment 50% < 90%: earned to date 2000.00 held until it opens (catch-up)",
                "-2000.00"
            ),
        ]
    );
    assert_eq!(
        run.lines("2026-01", "R1", "no-catch-up")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "2000.00"), ("gate", "-2000.00")]
    );

    // R1 February: G2 10,000 (margin 4,000 → 9,000 ÷ 10,000 = exactly 90%): open.
    //   catch-up: everything to date 30,000 × 10% = 3,000.00; lines G2 1,000 + released 2,000
    //   no catch-up: January's 2,000 (earned while closed) is forfeited: 3,000 − 2,000 = 1,000.00;
    //     the only line is G2's 1,000 (the gate's adjustment stays −2,000, so no new gate line)
    assert_eq!(run.payable("R1", "catch-up", "2026-02"), "3000.00");
    assert_eq!(
        run.lines("2026-02", "R1", "catch-up")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "1000.00"), ("gate", "2000.00")]
    );
    assert_eq!(run.payable("R1", "no-catch-up", "2026-02"), "1000.00");
    assert_eq!(
        run.lines("2026-02", "R1", "no-catch-up")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "1000.00")]
    );

    // R1 March: G3 10,000 (margin 0 → still 90%): open. Bookings 40,000 × 10% = 4,000 to date.
    //   catch-up: 4,000.00 to date, payable 4,000 − 3,000 = 1,000.00
    //   no catch-up: 4,000 − 2,000 forfeited = 2,000.00 to date, payable 2,000 − 1,000 = 1,000.00
    assert_eq!(
        run.get("R1", "catch-up", "2026-03", "earned_to_date"),
        "4000.00"
    );
    assert_eq!(run.payable("R1", "catch-up", "2026-03"), "1000.00");
    assert_eq!(
        run.get("R1", "no-catch-up", "2026-03", "earned_to_date"),
        "2000.00"
    );
    assert_eq!(run.payable("R1", "no-catch-up", "2026-03"), "1000.00");

    // R2: G4 margin 8,999.99 ÷ 10,000 = 89.9999% < 90% all quarter: closed; 10,000 × 10% = 1,000 never paid
    for month in ["2026-01", "2026-02", "2026-03"] {
        assert_eq!(run.payable("R2", "catch-up", month), "0.00", "{month}");
        assert_eq!(run.payable("R2", "no-catch-up", month), "0.00", "{month}");
    }
    assert_eq!(
        run.lines("2026-01", "R2", "catch-up")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "1000.00"), ("gate", "-1000.00")]
    );
}

#[test]
fn a_gate_without_catch_up_keeps_what_was_earned_while_it_was_open() {
    // tests/cases/gate, R3 (margin quota 10,000; gate 90%):
    //   Jan G5 10,000, margin 9,000 → 90%: open. Both pay 10,000 × 10% = 1,000.00.
    //   Feb G6 10,000, margin −1,000 (a credit) → 8,000 = 80%: closed. Earned to date 2,000, all held:
    //     payable 0 − 1,000 = −1,000.00 (January's payment is held back until the gate reopens).
    //   Mar G7 10,000, margin 1,000 → 9,000 = 90%: open again. Earned to date 30,000 × 10% = 3,000.
    //     catch-up: 3,000.00, payable 3,000 − 0 = 3,000.00
    //     no catch-up: only what was earned while the gate was closed is forfeited — G6's 1,000
    //     (February); January's 1,000 was earned while it was open. 3,000 − 1,000 = 2,000.00 to date,
    //     payable 2,000 − 0 = 2,000.00.
    let run = run_case("gate", "2026-Q1");
    assert_eq!(run.payable("R3", "catch-up", "2026-01"), "1000.00");
    assert_eq!(run.payable("R3", "no-catch-up", "2026-01"), "1000.00");
    assert_eq!(run.payable("R3", "catch-up", "2026-02"), "-1000.00");
    assert_eq!(
        run.get("R3", "catch-up", "2026-03", "earned_to_date"),
        "3000.00"
    );
    assert_eq!(run.payable("R3", "catch-up", "2026-03"), "3000.00");
    assert_eq!(
        run.get("R3", "no-catch-up", "2026-03", "earned_to_date"),
        "2000.00"
    );
}

// ---------------------------------------------------------------------------------------------
// Multiplier

#[test]
fn a_multiplier_by_new_logo_attainment() {
    // tests/cases/multiplier: 10% of bookings, × 1.2 once new_logos (count of type New) ÷ quota reaches
    // 100% (× 1 from 0%). Measured per quarter, paid monthly.
    let run = run_case("multiplier", "2026-Q1");

    // R1 (new-logo quota 2):
    //   Jan K1 New 10,000: new logos 1 ÷ 2 = 50% → × 1: 1,000.00
    //   Feb K2 Renewal 10,000: still 1 ÷ 2 → × 1: 20,000 × 10% = 2,000 to date, payable 1,000.00
    //   Mar K3 New 10,000: 2 ÷ 2 = exactly 100% → × 1.2: 30,000 × 10% × 1.2 = 3,600.00 to date,
    //     payable 3,600 − 2,000 = 1,600.00 = K3 1,000 + multiplier 3,000 × 0.2 = 600
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1000.00");
    assert_eq!(run.payable("R1", "commission", "2026-02"), "1000.00");
    assert_eq!(
        run.get("R1", "commission", "2026-03", "earned_to_date"),
        "3600.00"
    );
    assert_eq!(run.payable("R1", "commission", "2026-03"), "1600.00");
    let multiplier_note = run
        .lines("2026-03", "R1", "commission")
        .last()
        .map(|l| l["formula"].clone())
        .unwrap_or_default();
    assert_eq!(
        run.lines("2026-03", "R1", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "K3", "T1 [0, ∞)", "10000.00 × 10%", "1000.00"),
            ("multiplier", "", "", multiplier_note.as_str(), "600.00"),
        ]
    );
    // the note: attainment 2 ÷ 2 = 100% → factor 1.2 applied to the 3,000 earned to date
    assert!(
        multiplier_note.contains("2 ÷ 2 = 100% → factor 1.2: 3000.00 × (1.2 − 1)"),
        "{multiplier_note}"
    );
    // no multiplier line while the factor is 1
    assert!(run
        .lines("2026-02", "R1", "commission")
        .iter()
        .all(|l| l["line"] != "multiplier"));

    // R2 (new-logo quota 3): K4 and K5 are New, 2 ÷ 3 = 66.67% < 100% → × 1 all quarter:
    //   (50,000 + 20,000) × 10% = 7,000.00 to date; Jan 5,000.00, Feb 2,000.00, Mar 0.00
    assert_eq!(run.payable("R2", "commission", "2026-01"), "5000.00");
    assert_eq!(run.payable("R2", "commission", "2026-02"), "2000.00");
    assert_eq!(
        run.get("R2", "commission", "2026-03", "earned_to_date"),
        "7000.00"
    );
}

// ---------------------------------------------------------------------------------------------
// Bonus

#[test]
fn amounts_of_one_scale_pay_as_the_same_amounts_of_mixed_scales() {
    // tests/cases/bonus writes its amounts with mixed scales (50000, -30000, 49999.99), so the
    // engine reads them from the deals table. Written all with cents, the amount column has one
    // scale and the crediting step gathers each owned deal's amount beside it (a credit note's
    // negative amount included): every payout must be the same, byte for byte.
    let dir = scratch_copy("bonus");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\n\
         B1,R1,50000.00,2026-01-15\n\
         B2,R1,50000.00,2026-02-10\n\
         B3,R1,-30000.00,2026-03-05\n\
         B4,R2,120000.00,2026-01-20\n\
         B5,R3,49999.99,2026-02-20\n",
    );
    let ws = dir.path().join("payout.toml");
    let cents = run_with(ws.to_str().unwrap(), "2026-Q1", &[]);
    let mixed = run_case("bonus", "2026-Q1");
    assert_eq!(cents.read("payouts.csv"), mixed.read("payouts.csv"));
    // R1 to March: 50,000.00 + 50,000.00 − 30,000.00 = 70,000.00
    assert_eq!(
        cents.get("R1", "stacked", "2026-03", "measure_to_date"),
        "70000.00"
    );
}

#[test]
fn bonus_levels_stacked_and_highest_only() {
    // tests/cases/bonus: quota 100,000 for 2026-Q1; levels 50% → 1,000 and 100% → 5% of the annual TI
    // 60,000 = 3,000. `stacked` pays every level reached; `highest` only the highest (less what a lower
    // level already paid). Measured per quarter, paid monthly.
    let run = run_case("bonus", "2026-Q1");

    // R1 January: B1 50,000 = exactly 50% → the 50% level is reached: 1,000.00 on both
    assert_eq!(run.payable("R1", "stacked", "2026-01"), "1000.00");
    assert_eq!(run.payable("R1", "highest", "2026-01"), "1000.00");
    assert_eq!(
        run.lines("2026-01", "R1", "stacked")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![(
            "bonus",
            "B1",
            "",
            "level 50% reached (attainment 50.00%): 1000.00",
            "1000.00"
        )]
    );
    // R1 February: B2 50,000 → exactly 100%:
    //   stacked: + 5% × 60,000 = 3,000.00 → 4,000.00 to date
    //   highest: 3,000 − 1,000 already paid = 2,000.00 → 3,000.00 to date
    assert_eq!(run.payable("R1", "stacked", "2026-02"), "3000.00");
    assert_eq!(
        run.get("R1", "stacked", "2026-02", "earned_to_date"),
        "4000.00"
    );
    assert_eq!(run.payable("R1", "highest", "2026-02"), "2000.00");
    assert_eq!(
        run.get("R1", "highest", "2026-02", "earned_to_date"),
        "3000.00"
    );
    assert_eq!(
        run.lines("2026-02", "R1", "highest")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![(
            "bonus",
            "B2",
            "",
            "level 100% reached (attainment 100.00%): 5% of target incentive 60000.00 = 3000.00 less the lower level already paid",
            "2000.00"
        )]
    );
    // R1 March: credit memo B3 −30,000 → 70,000 = 70%: the bonuses stay paid (no clawback):
    //   stacked 4,000.00 to date, highest 3,000.00 to date, both payable 0.00
    assert_eq!(
        run.get("R1", "stacked", "2026-03", "measure_to_date"),
        "70000.00"
    );
    assert_eq!(
        run.get("R1", "stacked", "2026-03", "earned_to_date"),
        "4000.00"
    );
    assert_eq!(run.payable("R1", "stacked", "2026-03"), "0.00");
    assert_eq!(
        run.get("R1", "highest", "2026-03", "earned_to_date"),
        "3000.00"
    );
    assert_eq!(run.payable("R1", "highest", "2026-03"), "0.00");

    // R2: one deal B4 120,000 = 120% reaches both levels at once.
    //   stacked: 1,000 + 3,000 = 4,000.00; highest: 1,000 + (3,000 − 1,000) = 3,000.00
    assert_eq!(run.payable("R2", "stacked", "2026-01"), "4000.00");
    assert_eq!(
        run.lines("2026-01", "R2", "stacked")
            .iter()
            .map(|l| (l["deal_id"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("B4", "1000.00"), ("B4", "3000.00")]
    );
    assert_eq!(run.payable("R2", "highest", "2026-01"), "3000.00");
    assert_eq!(
        run.lines("2026-01", "R2", "highest")
            .iter()
            .map(|l| (l["deal_id"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("B4", "1000.00"), ("B4", "2000.00")]
    );

    // R3: B5 49,999.99 = 0.4999999 = 49.99999% stays below the 50% level: nothing, all quarter
    //   (payouts.csv rounds the shown ratio 0.4999999 to 6 places: 0.500000; the level compares exactly)
    assert_eq!(
        run.get("R3", "stacked", "2026-03", "measure_to_date"),
        "49999.99"
    );
    for month in ["2026-01", "2026-02", "2026-03"] {
        assert_eq!(run.payable("R3", "stacked", month), "0.00", "{month}");
        assert_eq!(run.payable("R3", "highest", month), "0.00", "{month}");
    }
}

// ---------------------------------------------------------------------------------------------
// SPIFF

#[test]
fn spiffs_per_deal_and_per_unit_in_an_inclusive_window_with_a_cap() {
    // tests/cases/spiff: window 2026-01-20 .. 2026-02-10, both days included; `per-deal` pays 250 per
    // Platform deal (a count), capped at 600 per quarter; `per-seat` pays 20 per seat (quantity).
    // Measured per quarter, paid monthly. Every deal is Platform.
    let run = run_case("spiff", "2026-Q1");

    // January: S1 (01-19, a day before the window) pays nothing; S2 (01-20, the first day) pays.
    //   per-deal: 1 × 250 = 250.00; per-seat: S2 2 seats × 20 = 40.00
    assert_eq!(run.payable("R1", "per-deal", "2026-01"), "250.00");
    assert_eq!(run.payable("R1", "per-seat", "2026-01"), "40.00");
    // the measure counts every Platform deal, in the window or not: S1, S2 → 2
    assert_eq!(run.get("R1", "per-deal", "2026-01", "measure_to_date"), "2");
    assert_eq!(
        run.lines("2026-01", "R1", "per-deal")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![("deal", "S2", "", "1 × 250.00 per unit", "250.00")]
    );
    assert_eq!(
        run.lines("2026-01", "R1", "per-seat")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![("deal", "S2", "", "2 × 20.00 per unit", "40.00")]
    );

    // February: S3 (02-03) and S4 (02-10, the last day) pay; S5 (02-11, a day after) does not.
    //   per-deal: 3 deals × 250 = 750 to date, capped at 600 → 600.00; payable 600 − 250 = 350.00
    //     lines: S3 250 + S4 250 + cap (600 − 750) = −150 → 350
    //   per-seat: S3 5 × 20 = 100 + S4 1 × 20 = 20 → 120.00; 160.00 to date
    assert_eq!(
        run.get("R1", "per-deal", "2026-02", "earned_to_date"),
        "600.00"
    );
    assert_eq!(run.payable("R1", "per-deal", "2026-02"), "350.00");
    assert_eq!(
        run.lines("2026-02", "R1", "per-deal")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "S3", "", "1 × 250.00 per unit", "250.00"),
            ("deal", "S4", "", "1 × 250.00 per unit", "250.00"),
            (
                "cap",
                "",
                "",
                "earned to date 750.00 capped at 600.00 per quarter",
                "-150.00"
            ),
        ]
    );
    assert_eq!(run.payable("R1", "per-seat", "2026-02"), "120.00");
    assert_eq!(
        run.lines("2026-02", "R1", "per-seat")
            .iter()
            .map(|l| (l["deal_id"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("S3", "100.00"), ("S4", "20.00")]
    );
    // seats to date: S1 3 + S2 2 + S3 5 + S4 1 + S5 4 = 15 (all counted, only 8 paid)
    assert_eq!(
        run.get("R1", "per-seat", "2026-02", "measure_to_date"),
        "15"
    );

    // March: S6 is after the window → nothing: 600.00 and 160.00 to date, payable 0.00
    assert_eq!(run.payable("R1", "per-deal", "2026-03"), "0.00");
    assert_eq!(
        run.get("R1", "per-seat", "2026-03", "earned_to_date"),
        "160.00"
    );
    assert_eq!(run.payable("R1", "per-seat", "2026-03"), "0.00");
}

// ---------------------------------------------------------------------------------------------
// Caps

#[test]
fn deal_cap_deal_floor_component_cap_and_plan_cap() {
    // tests/cases/caps: `per-deal` 10% per month with deal_cap 1,000 and deal_floor 50; `quarterly` 5%
    // per quarter paid monthly with cap 1,500; plan [cap] 4,000 per quarter.
    let run = run_case("caps", "2026-Q1");

    // per-deal, January:
    //   C1 20,000 × 10% = 2,000 → cut to 1,000: a deal-cap line −1,000
    //   C2 10,000 × 10% = 1,000, exactly the cap: no cut
    //   C3 300 × 10% = 30 → raised to 50: a deal-floor line +20
    //   C4 500 × 10% = 50, exactly the floor: no top-up
    //   total 1,000 + 1,000 + 50 + 50 = 2,100.00
    assert_eq!(run.payable("R1", "per-deal", "2026-01"), "2100.00");
    // (the deal-cap note's exact wording is checked at the end of the test)
    let jan_cap_note = run.lines("2026-01", "R1", "per-deal")[1]["formula"].clone();
    assert_eq!(
        run.lines("2026-01", "R1", "per-deal")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "C1", "T1 [0, ∞)", "20000.00 × 10%", "2000.00"),
            ("deal-cap", "C1", "", jan_cap_note.as_str(), "-1000.00"),
            ("deal", "C2", "T1 [0, ∞)", "10000.00 × 10%", "1000.00"),
            ("deal", "C3", "T1 [0, ∞)", "300.00 × 10%", "30.00"),
            (
                "deal-floor",
                "C3",
                "",
                "deal earns 30.00, raised to the minimum of 50.00 per deal",
                "20.00"
            ),
            ("deal", "C4", "T1 [0, ∞)", "500.00 × 10%", "50.00"),
        ]
    );
    // per-deal, February: C5 10,000 × 10% = 1,000 = the cap → 1,000.00; March: C6 5,000 × 10% = 500.00
    assert_eq!(run.payable("R1", "per-deal", "2026-02"), "1000.00");
    assert_eq!(run.payable("R1", "per-deal", "2026-03"), "500.00");

    // quarterly, January: (20,000 + 10,000 + 300 + 500) = 30,800 × 5% = 1,540 → capped at 1,500.00
    //   lines: 1,000 + 500 + 15 + 25 = 1,540, cap 1,500 − 1,540 = −40
    assert_eq!(run.payable("R1", "quarterly", "2026-01"), "1500.00");
    let jan = run.lines("2026-01", "R1", "quarterly");
    assert_eq!(
        brief(jan.last().unwrap()),
        (
            "cap",
            "",
            "",
            "earned to date 1540.00 capped at 1500.00 per quarter",
            "-40.00"
        )
    );
    // quarterly, February: 40,800 × 5% = 2,040, still 1,500 to date → payable 0.00
    //   lines: C5 10,000 × 5% = 500 and cap (1,500 − 2,040) − (1,500 − 1,540) = −540 + 40 = −500
    assert_eq!(run.payable("R1", "quarterly", "2026-02"), "0.00");
    assert_eq!(
        run.lines("2026-02", "R1", "quarterly")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "500.00"), ("cap", "-500.00")]
    );
    // quarterly, March: 45,800 × 5% = 2,290 → 1,500; payable 0.00; C6 250 and cap −250
    assert_eq!(run.payable("R1", "quarterly", "2026-03"), "0.00");
    assert_eq!(
        run.lines("2026-03", "R1", "quarterly")
            .iter()
            .map(|l| (l["line"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("deal", "250.00"), ("cap", "-250.00")]
    );

    // plan cap 4,000 per quarter, on the plan's payables to date in the quarter:
    //   Jan: 2,100 + 1,500 = 3,600 ≤ 4,000 → no cut, payable 0.00
    //   Feb: 3,600 + 1,000 + 0 = 4,600 → cut 600 to date → payable −600.00
    //   Mar: 4,600 + 500 + 0 = 5,100 → cut 1,100 to date → payable −(1,100 − 600) = −500.00
    assert_eq!(run.payable("R1", "plan-cap", "2026-01"), "0.00");
    assert!(run.lines("2026-01", "R1", "plan-cap").is_empty());
    assert_eq!(run.payable("R1", "plan-cap", "2026-02"), "-600.00");
    assert_eq!(
        run.get("R1", "plan-cap", "2026-02", "earned_to_date"),
        "-600.00"
    );
    assert_eq!(
        run.lines("2026-02", "R1", "plan-cap")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![(
            "plan-cap",
            "",
            "",
            "plan total 4600.00 in 2026-Q1 to date, cap 4000.00: cut 600.00 to date, 0.00 before",
            "-600.00"
        )]
    );
    assert_eq!(run.payable("R1", "plan-cap", "2026-03"), "-500.00");
    assert_eq!(
        run.get("R1", "plan-cap", "2026-03", "earned_to_date"),
        "-1100.00"
    );
    assert_eq!(
        run.get("R1", "plan-cap", "2026-03", "paid_to_date"),
        "-600.00"
    );
    // the quarter's total payable is exactly the plan cap: 3,600 + (1,000 − 600) + (500 − 500) = 4,000
    let total: rust_decimal::Decimal = run.payouts.values().map(|r| dec(&r["payable"])).sum();
    assert_eq!(total, dec("4000.00"));

    // The deal-cap note reads like the deal-floor note: what the deal earns, then the limit.
    assert_eq!(
        jan_cap_note,
        "deal earns 2000.00, capped at 1000.00 per deal"
    );
}

#[test]
fn the_plan_cap_of_a_single_month_run_counts_the_earlier_months_of_its_quarter() {
    // tests/cases/caps run for March alone: January and February are computed (not output) so that
    // the plan cap sees the quarter to date: cut 1,100 to date − 600 before = −500.00, as in the quarter run.
    let run = run_case("caps", "2026-03");
    assert_eq!(run.payouts.len(), 3);
    assert_eq!(run.payable("R1", "plan-cap", "2026-03"), "-500.00");
    assert_eq!(
        run.get("R1", "plan-cap", "2026-03", "paid_to_date"),
        "-600.00"
    );
    // per-deal March 500.00 (C6 5,000 × 10%); quarterly 0.00 (capped since January)
    assert_eq!(run.payable("R1", "per-deal", "2026-03"), "500.00");
    assert_eq!(run.payable("R1", "quarterly", "2026-03"), "0.00");
}

#[test]
fn explain_shows_what_each_cap_cut() {
    // tests/cases/caps, R1, 2026-Q1 (numbers as in deal_cap_deal_floor_component_cap_and_plan_cap)
    let text = explain("caps", "R1", "2026-Q1");
    // per-deal January: C1's cut 2,000 − 1,000 = 1,000 (the floor's +20 is not a cut)
    assert_eq!(
        capped_off(&text, "per-deal", "2026-01").as_deref(),
        Some("1,000.00")
    );
    // per-deal February: C5 1,000 is exactly the cap → nothing cut
    assert_eq!(capped_off(&text, "per-deal", "2026-02"), None);
    // quarterly: Jan 1,540 − 1,500 = 40; Feb 540 − 40 = 500; Mar 790 − 540 = 250
    assert_eq!(
        capped_off(&text, "quarterly", "2026-01").as_deref(),
        Some("40.00")
    );
    assert_eq!(
        capped_off(&text, "quarterly", "2026-02").as_deref(),
        Some("500.00")
    );
    assert_eq!(
        capped_off(&text, "quarterly", "2026-03").as_deref(),
        Some("250.00")
    );
    // plan cap: Jan nothing; Feb 600; Mar 1,100 − 600 = 500
    assert_eq!(capped_off(&text, "plan-cap", "2026-01"), None);
    assert_eq!(
        capped_off(&text, "plan-cap", "2026-02").as_deref(),
        Some("600.00")
    );
    assert_eq!(
        capped_off(&text, "plan-cap", "2026-03").as_deref(),
        Some("500.00")
    );
    // 2,100 + 1,500 + 0 + 1,000 + 0 − 600 + 500 + 0 − 500 = 4,000.00
    assert!(
        text.contains("Total payable for 2026-Q1: 4,000.00 USD"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rules by dimension

#[test]
fn the_most_specific_matching_rule_prices_a_deal_and_the_default_the_rest() {
    // tests/cases/rules, plan `rules`: default 2%; rule 1 Platform 10%; rule 2 Platform + Enterprise 12%;
    // rule 3 Cloud 5%. Every deal is 1,000.
    let run = run_case("rules", "2026-01");
    // D1 Platform/SMB → rule 1: 1,000 × 10% = 100
    // D2 Platform/Enterprise → rules 1 and 2 match; rule 2 has two conditions and wins: 1,000 × 12% = 120
    // D3 Cloud/Enterprise → rule 3: 1,000 × 5% = 50
    // D4 Services/SMB → no rule, the default: 1,000 × 2% = 20
    // total 100 + 120 + 50 + 20 = 290.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "290.00");
    assert_eq!(
        run.lines("2026-01", "R1", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "D1", "rule 1 T1 [0, ∞)", "1000.00 × 10%", "100.00"),
            ("deal", "D2", "rule 2 T1 [0, ∞)", "1000.00 × 12%", "120.00"),
            ("deal", "D3", "rule 3 T1 [0, ∞)", "1000.00 × 5%", "50.00"),
            ("deal", "D4", "T1 [0, ∞)", "1000.00 × 2%", "20.00"),
        ]
    );
}

#[test]
fn without_a_default_a_deal_no_rule_matches_counts_but_earns_nothing() {
    // tests/cases/rules, plan `no-default`: one rule, Platform 10%, no default rate.
    let run = run_case("rules", "2026-01");
    // D5 Platform 2,000 × 10% = 200.00; D6 Services 3,000 matches no rule → 0, shown as a no-rule line
    assert_eq!(run.payable("R2", "commission", "2026-01"), "200.00");
    // D6 still counts toward the measure: 2,000 + 3,000 = 5,000
    assert_eq!(
        run.get("R2", "commission", "2026-01", "measure_to_date"),
        "5000.00"
    );
    assert_eq!(
        run.lines("2026-01", "R2", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "D5", "rule 1 T1 [0, ∞)", "2000.00 × 10%", "200.00"),
            (
                "no-rule",
                "D6",
                "",
                "no rule of the component matches this deal: it counts toward the measure but earns nothing",
                "0.00"
            ),
        ]
    );
}

#[test]
fn the_most_specific_rule_wins_whatever_the_order_of_the_rules() {
    // tests/cases/rules-order: rules Platform 10%, Enterprise 7%, Platform + Enterprise 12% (default 2%),
    // listed with the two-condition rule first (plan `specific-first`, R1) and last (`specific-last`, R2).
    // A Platform/Enterprise deal matches all three; the two-condition rule is the single most specific,
    // so there is no tie to report: 1,000 × 12% = 120.00 in both orders.
    let run = run_case("rules-order", "2026-01");
    assert_eq!(run.payable("R1", "commission", "2026-01"), "120.00");
    assert_eq!(run.payable("R2", "commission", "2026-01"), "120.00");
}

#[test]
fn two_equally_specific_matching_rules_are_a_plan_error() {
    // Rules `product = Platform` (line 12) and `segment = Enterprise` (line 16), one condition each;
    // D2 (Platform, Enterprise) matches both.
    let dir = scratch_copy("rules");
    write(
        dir.path(),
        "plans/rules.toml",
        r#"id = "rules"

[measures.bookings]
sum = "amount"

[[components]]
id = "commission"
measure = "bookings"
measurement_period = "month"
rate = "2%"

[[components.rules]]
when = { product = "Platform" }
rate = "10%"

[[components.rules]]
when = { segment = "Enterprise" }
rate = "7%"
"#,
    );
    let stderr = invalid(&dir, "2026-01");
    assert!(stderr.contains("error[plan-rules-ambiguous]"), "{stderr}");
    assert!(stderr.contains("plans/rules.toml:16"), "{stderr}");
    assert!(stderr.contains("`D2`"), "{stderr}");
    assert!(stderr.contains("lines 12 and 16"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Derived values

#[test]
fn derived_values_in_a_filter_as_a_measure_and_as_a_tier_key() {
    // tests/cases/values: margin_pct = margin / amount; weighted = amount × probability (money).
    //   V1 10,000, margin 3,000   → 0.3 exactly; probability 0.5  → weighted 5,000
    //   V2 20,000, margin 5,000   → 0.25;        probability 0.25 → weighted 5,000
    //   V3  5,000, margin 2,000   → 0.4;         probability 1    → weighted 5,000
    //   V4  1,000, margin 299.99  → 0.29999;     probability 0.1  → weighted 100
    let run = run_case("values", "2026-01");

    // healthy: where margin_pct ≥ 0.3 → V1 (exactly 0.3) and V3; V4 (0.29999) is out
    //   (10,000 + 5,000) = 15,000 × 10% = 1,500.00
    assert_eq!(
        run.get("R1", "healthy", "2026-01", "measure_to_date"),
        "15000.00"
    );
    assert_eq!(run.payable("R1", "healthy", "2026-01"), "1500.00");
    assert_eq!(
        run.lines("2026-01", "R1", "healthy")
            .iter()
            .map(|l| l["deal_id"].as_str())
            .collect::<Vec<_>>(),
        ["V1", "V3"]
    );

    // pipeline: sum of weighted = 5,000 + 5,000 + 5,000 + 100 = 15,100 × 1% = 151.00
    assert_eq!(
        run.get("R1", "pipeline", "2026-01", "measure_to_date"),
        "15100.00"
    );
    assert_eq!(run.payable("R1", "pipeline", "2026-01"), "151.00");
    // V4's line: 100 × 1% = 1.00
    let v4 = run.lines("2026-01", "R1", "pipeline");
    assert_eq!(
        brief(&v4[3]),
        ("deal", "V4", "T1 [0, ∞)", "100.00 × 1%", "1.00")
    );

    // by-margin: each deal's tier by its margin_pct (0 → 5%, from 0.3 → 8%), the rate on its amount
    //   V1 0.3 (on the breakpoint → the higher tier) 10,000 × 8% = 800
    //   V2 0.25 20,000 × 5% = 1,000; V3 0.4 5,000 × 8% = 400; V4 0.29999 1,000 × 5% = 50
    //   total 800 + 1,000 + 400 + 50 = 2,250.00
    assert_eq!(run.payable("R1", "by-margin", "2026-01"), "2250.00");
    assert_eq!(
        run.lines("2026-01", "R1", "by-margin")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "V1", "T2 [0.3, ∞)", "10000.00 × 8%", "800.00"),
            ("deal", "V2", "T1 [0, 0.3)", "20000.00 × 5%", "1000.00"),
            ("deal", "V3", "T2 [0.3, ∞)", "5000.00 × 8%", "400.00"),
            ("deal", "V4", "T1 [0, 0.3)", "1000.00 × 5%", "50.00"),
        ]
    );
    // the measure is all bookings: 10,000 + 20,000 + 5,000 + 1,000 = 36,000
    assert_eq!(
        run.get("R1", "by-margin", "2026-01", "measure_to_date"),
        "36000.00"
    );
}

#[test]
fn a_derived_value_divided_by_zero_names_the_deal() {
    // V5 has amount 0: margin / amount cannot be computed. V5 is line 6 of deals.csv (header = line 1).
    let dir = scratch_copy("values");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date,margin,probability\nV1,R1,10000,2026-01-05,3000,0.5\nV2,R1,20000,2026-01-06,5000,0.25\nV3,R1,5000,2026-01-07,2000,1\nV4,R1,1000,2026-01-08,299.99,0.1\nV5,R1,0,2026-01-09,0,0.5\n",
    );
    let stderr = invalid(&dir, "2026-01");
    assert!(stderr.contains("error[value-not-computable]"), "{stderr}");
    assert!(stderr.contains("deals.csv:6"), "{stderr}");
    assert!(stderr.contains("`V5`"), "{stderr}");
    assert!(stderr.contains("`margin_pct`"), "{stderr}");
    assert!(stderr.contains("division by zero"), "{stderr}");
}

#[test]
fn a_syntax_error_in_an_expression_names_the_plan_line_and_token() {
    // `margin / / amount`: the second `/` (character 10) cannot start an operand; the value is on line 4.
    let dir = scratch_copy("values");
    let plan = std::fs::read_to_string(dir.path().join("plans/values.toml")).unwrap();
    let broken = plan.replace(
        "margin_pct = \"margin / amount\"",
        "margin_pct = \"margin / / amount\"",
    );
    assert_ne!(plan, broken);
    write(dir.path(), "plans/values.toml", &broken);
    let stderr = invalid(&dir, "2026-01");
    assert!(
        stderr.contains("error[plan-expression-invalid]"),
        "{stderr}"
    );
    assert!(stderr.contains("plans/values.toml:4:"), "{stderr}");
    assert!(stderr.contains("`margin_pct`"), "{stderr}");
    assert!(stderr.contains("found `/`"), "{stderr}");
    assert!(stderr.contains("at character 10"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Keys of another component type

#[test]
fn a_key_of_another_component_type_is_misplaced() {
    // `levels` belongs to bonuses; on a commission it is an error, not silently ignored.
    let dir = scratch_copy("threshold");
    write(
        dir.path(),
        "plans/threshold.toml",
        r#"id = "threshold"

[measures.bookings]
sum = "amount"

[[components]]
id = "commission"
measure = "bookings"
measurement_period = "month"
rate = "10%"
levels = [{ attainment = "100%", amount = 1000 }]
"#,
    );
    let stderr = invalid(&dir, "2026-01");
    assert!(stderr.contains("error[plan-key-misplaced]"), "{stderr}");
    assert!(stderr.contains("plans/threshold.toml:"), "{stderr}");
    assert!(stderr.contains("`levels`"), "{stderr}");
    assert!(stderr.contains("bonus"), "{stderr}");
}
