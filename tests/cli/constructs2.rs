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

// ---------------------------------------------------------------------------------------------
// Tiers that pay a fixed amount, prorated inside the tier

#[test]
fn a_tier_amount_is_prorated_by_the_part_of_the_tier_crossed() {
    // tests/cases/constructs2, plan `amounts`, R3: quota 90,000 for 2026-Q1, measured per quarter,
    // paid monthly. A1 30,000 (Jan), A2 30,000 (Feb), A3 40,000 (Mar).
    //   ladder: T1 [0%, 50%) = [0, 45,000) pays 5,000; T2 [50%, 100%) = [45,000, 90,000) pays
    //   10,000; T3 from 100% at 10%.
    //   first-40k: [0, 40,000) pays 2,000; 5% from 40,000.
    let run = run_case("constructs2", "2026-Q1");

    // ladder, January: 30,000 of T1's 45,000 → 5,000 × 30,000 ÷ 45,000 = 3,333.3333333333 → 3,333.33
    assert_eq!(run.payable("R3", "ladder", "2026-01"), "3333.33");
    assert_eq!(
        run.lines("2026-01", "R3", "ladder")
            .iter()
            .map(|l| (l["line"].as_str(), l["formula"].as_str(), l["rate"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [
            ("deal", "30000.00 ÷ 45000.00 of 5000.00 per tier", "5000.00 per tier", "3333.3333333333"),
            ("rounding", "round(3333.3333333333) = 3333.33 (half-away-from-zero to 2 places) less the previous period's rounding", "", "-0.0033333333"),
        ]
    );
    // February: A2 takes 30,000 → 60,000: the rest of T1, 15,000 ÷ 45,000 × 5,000 = 1,666.6666666667,
    //   and 15,000 of T2: 15,000 ÷ 45,000 × 10,000 = 3,333.3333333333; to date 8,333.3333333333
    //   → 8,333.33, payable 8,333.33 − 3,333.33 = 5,000.00
    assert_eq!(
        run.lines("2026-02", "R3", "ladder")
            .iter()
            .filter(|l| l["line"] == "deal")
            .map(|l| l["amount"].as_str())
            .collect::<Vec<_>>(),
        ["1666.6666666667", "3333.3333333333"]
    );
    assert_eq!(
        run.get("R3", "ladder", "2026-02", "earned_to_date"),
        "8333.33"
    );
    assert_eq!(run.payable("R3", "ladder", "2026-02"), "5000.00");
    // March: A3 takes 60,000 → 100,000: the rest of T2, 30,000 ÷ 45,000 × 10,000 = 6,666.6666666667,
    //   and 10,000 × 10% = 1,000; to date 5,000 + 10,000 + 1,000 = 16,000.00 (the thirds add up to
    //   the whole tiers exactly), payable 16,000.00 − 8,333.33 = 7,666.67
    assert_eq!(
        run.get("R3", "ladder", "2026-03", "earned_to_date"),
        "16000.00"
    );
    assert_eq!(run.payable("R3", "ladder", "2026-03"), "7666.67");

    // first-40k (breakpoints in amounts): January 30,000 ÷ 40,000 × 2,000 = 1,500.00; February to
    //   date 2,000 + 20,000 × 5% = 3,000.00, payable 1,500.00; March 2,000 + 60,000 × 5% = 5,000.00,
    //   payable 2,000.00
    assert_eq!(run.payable("R3", "first-40k", "2026-01"), "1500.00");
    assert_eq!(run.payable("R3", "first-40k", "2026-02"), "1500.00");
    assert_eq!(run.payable("R3", "first-40k", "2026-03"), "2000.00");
}

#[test]
fn explain_shows_a_tier_amount_in_the_tier_table() {
    let text = explain("constructs2", "R3", "2026-Q1");
    assert!(
        text.contains(
            "T1 [0%, 50%)   ┆  5,000.00 for the tier, prorated ┆           0.00 ┆    45,000.00"
        ),
        "{text}"
    );
    assert!(text.contains("T3 [100%, ∞)   ┆                              10% ┆      90,000.00"));
}

// ---------------------------------------------------------------------------------------------
// Weighted attainment across measures

#[test]
fn a_curve_pays_on_the_weighted_sum_of_several_measures_attainments() {
    // tests/cases/constructs2, plan `weighted`, R4: curve 0%→0, 100%→100%, 150%→200% on 60% of
    // bookings attainment + 40% of new-logo attainment; quotas 100,000 bookings and 4 new logos for
    // 2026-Q1; TI 120,000 a year → 30,000 a quarter. W1 120,000 New Business and W2 10,000 Upsell
    // in January, W3 40,000 New Business in February.
    let run = run_case("constructs2", "2026-Q1");
    // January: bookings 130,000 ÷ 100,000 = 130%, new logos 1 ÷ 4 = 25%:
    //   60% × 130% + 40% × 25% = 78% + 10% = 88% → curve 88% → 30,000 × 88% = 26,400.00
    assert_eq!(run.payable("R4", "blended", "2026-01"), "26400.00");
    assert_eq!(
        run.lines("2026-01", "R4", "blended")[0]["formula"],
        "target incentive 120000.00 × 3/12 × weight 100% × curve(88.00%) = 30000.00 × 88% = 26400.00 to date, 0.00 before; weighted attainment 88.00% = `bookings` 130000 ÷ 100000 = 130.00% × 60% + `new_logos` 1 ÷ 4 = 25.00% × 40%"
    );
    // February: bookings 170,000 → 170%, new logos 2 → 50%: 60% × 170% + 40% × 50% = 102% + 20%
    //   = 122% → curve 100% + 100% × 22/50 = 144% → 43,200.00; payable 43,200 − 26,400 = 16,800.00
    assert_eq!(
        run.get("R4", "blended", "2026-02", "earned_to_date"),
        "43200.00"
    );
    assert_eq!(run.payable("R4", "blended", "2026-02"), "16800.00");
    // the attainment column stays the component's own measure's: 170,000 ÷ 100,000
    assert_eq!(
        run.get("R4", "blended", "2026-02", "attainment"),
        "1.700000"
    );
    let text = explain("constructs2", "R4", "2026-Q1");
    assert!(text.contains(
        "Attainment: the weighted sum of `bookings` (quota `bookings`) × 60% + `new_logos` (quota `new_logos`) × 40%"
    ), "{text}");
}

#[test]
fn a_bonus_pays_its_levels_on_the_weighted_sum_of_several_measures_attainments() {
    // tests/cases/constructs2, plan `weighted`, component `club`: a bonus on 40% of new-logo
    // attainment + 60% of bookings attainment (quotas 4 new logos, 100,000 bookings for 2026-Q1),
    // levels 85% → 1,000.00 and 120% → 2,500.00, not stacking. R4: W1 120,000 New Business (Jan 10),
    // W2 10,000 Upsell (Jan 20, not a new logo), W3 40,000 New Business (Feb 15).
    let run = run_case("constructs2", "2026-Q1");
    // W1: 40% × 1/4 + 60% × 120,000/100,000 = 10% + 72% = 82%: no level.
    // End of January: W2 adds bookings only: 10% + 60% × 130% = 10% + 78% = 88% ≥ 85% → 1,000.00,
    //   paid at the end of the month (W2 is not a deal of the bonus's own measure)
    assert_eq!(run.payable("R4", "club", "2026-01"), "1000.00");
    let jan = run.lines("2026-01", "R4", "club");
    assert_eq!(jan.len(), 1);
    assert_eq!(jan[0]["deal_id"], "");
    assert_eq!(
        jan[0]["formula"],
        "level 85% reached at the end of 2026-01 (attainment 88.00%): 1000.00; weighted attainment 88.00% = `bookings` 130000 ÷ 100000 = 130.00% × 60% + `new_logos` 1 ÷ 4 = 25.00% × 40%"
    );
    // W3: 40% × 2/4 + 60% × 170% = 20% + 102% = 122% ≥ 120% → 2,500.00 less the 1,000.00 paid
    //   = 1,500.00, on W3
    assert_eq!(run.payable("R4", "club", "2026-02"), "1500.00");
    let feb = run.lines("2026-02", "R4", "club");
    assert_eq!(feb[0]["deal_id"], "W3");
    assert!(feb[0]["formula"]
        .ends_with("; weighted attainment 122.00% = `bookings` 170000 ÷ 100000 = 170.00% × 60% + `new_logos` 2 ÷ 4 = 50.00% × 40%"));
    // March: nothing new
    assert_eq!(run.payable("R4", "club", "2026-03"), "0.00");
    let text = explain("constructs2", "R4", "2026-Q1");
    assert!(text.contains(
        "Bonus levels (not stacking: the highest level reached pays), each paid once when first reached: 85% → 1,000.00, 120% → 2,500.00\nAttainment: the weighted sum of `bookings` (quota `bookings`) × 60% + `new_logos` (quota `new_logos`) × 40%"
    ), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Payment details

#[test]
fn a_clawback_takes_back_a_share_of_what_was_paid() {
    // tests/cases/clawback-share, plan `half-back`: 10% of bookings per month; a deal cancelled
    // within 90 days keeps its attainment and has 50% of what was paid for it taken back.
    //   C1 10,000 closed Jan 10, cancelled Feb 15 (all of it); C3 8,000 closed Jan 20, 2,000 of it
    //   cancelled Feb 25; C2 10,000 closed Feb 20.
    let run = run_case("clawback-share", "2026-Q1");
    // January: (10,000 + 8,000) × 10% = 1,800.00, paid in full
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1800.00");
    // February: C2 10,000 × 10% = 1,000.00;
    //   C1: 1,000.00 paid × 100% cancelled × 50% = 500.00 taken back
    //   C3: 800.00 paid × (2,000 ÷ 8,000 = 25%) cancelled × 50% = 100.00 taken back
    //   payable 1,000.00 − 500.00 − 100.00 = 400.00
    assert_eq!(
        run.get("R1", "commission", "2026-02", "clawbacks"),
        "-600.00"
    );
    assert_eq!(run.payable("R1", "commission", "2026-02"), "400.00");
    let lines = run.lines("2026-02", "R1", "commission");
    let clawbacks: Vec<(&str, &str, &str)> = lines
        .iter()
        .filter(|l| l["line"] == "clawback")
        .map(|l| {
            (
                l["deal_id"].as_str(),
                l["formula"].as_str(),
                l["amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        clawbacks,
        [
            ("C1", "deal C1 (closed 2026-01-10, paid in 2026-01) cancelled 2026-02-15: commission reversed (50% of what was paid)", "-500.00"),
            ("C3", "deal C3 (closed 2026-01-20, paid in 2026-01) cancelled 2026-02-25: commission reversed (50% of what was paid)", "-100.00"),
        ]
    );
    // attainment stands: January's measure keeps both cancelled deals
    assert_eq!(
        run.get("R1", "commission", "2026-01", "measure_to_date"),
        "18000.00"
    );
}

#[test]
fn a_draw_balance_is_recovered_only_from_its_recover_from_date() {
    // tests/cases/draw-recovery, plan `late-recovery`: 10% of bookings per month; a recoverable draw
    // of 1,000.00 a month from January to March, recovered only from May (recover_from = 2026-05-01).
    let run = run_case("draw-recovery", "2026-H1");
    let col = |p: &str, c: &str| run.get("R1", "commission", p, c).to_string();
    // January: D1 5,000 × 10% = 500.00; draw tops up 500.00 → payable 1,000.00, balance 500.00
    assert_eq!(
        (col("2026-01", "draw"), col("2026-01", "payable")),
        ("500.00".into(), "1000.00".into())
    );
    // February: D2 20,000 × 10% = 2,000.00, 1,000.00 above the draw, but recovery waits for May:
    //   payable 2,000.00, no recovery
    assert_eq!(
        (col("2026-02", "recovery"), col("2026-02", "payable")),
        ("0.00".into(), "2000.00".into())
    );
    // March: nothing earned; the draw pays 1,000.00 → balance 500 + 1,000 = 1,500.00
    assert_eq!(col("2026-03", "draw"), "1000.00");
    // April: D3 3,000.00, the draw over (guaranteed 0); still before May → 3,000.00
    assert_eq!(
        (col("2026-04", "recovery"), col("2026-04", "payable")),
        ("0.00".into(), "3000.00".into())
    );
    // May: D4 1,000.00, all recovered (balance 1,500.00 → 500.00) → payable 0.00
    assert_eq!(
        (col("2026-05", "recovery"), col("2026-05", "payable")),
        ("-1000.00".into(), "0.00".into())
    );
    // June: D5 1,000.00, the last 500.00 recovered → payable 500.00
    assert_eq!(
        (col("2026-06", "recovery"), col("2026-06", "payable")),
        ("-500.00".into(), "500.00".into())
    );
}

#[test]
fn a_negative_month_is_floored_at_zero_without_carry_when_the_plan_says_so() {
    // tests/cases/floor: 10% of bookings per month; R1's plan floors a negative month
    // (negative_payable = "floor"), R2's carries it forward. Each: 10,000 in January, a credit note
    // of −4,000 in February, 5,000 in March.
    let run = run_case("floor", "2026-Q1");
    // February: −4,000 × 10% = −400.00 → R1: a `floored` line of +400.00, payable 0.00
    assert_eq!(
        run.get("R1", "commission", "2026-02", "earned_to_date"),
        "-400.00"
    );
    assert_eq!(run.payable("R1", "commission", "2026-02"), "0.00");
    let lines = run.lines("2026-02", "R1", "commission");
    let floored: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["line"] == "floored")
        .map(|l| (l["formula"].as_str(), l["amount"].as_str()))
        .collect();
    assert_eq!(
        floored,
        [(
            "payable -400.00 for 2026-02 is negative: floored at 0.00, not carried",
            "400.00"
        )]
    );
    // March: 5,000 × 10% = 500.00, nothing carried in → R1 pays 500.00; R2 (carry-forward) pays
    //   500.00 − 400.00 carried = 100.00
    assert_eq!(run.payable("R1", "commission", "2026-03"), "500.00");
    assert_eq!(run.payable("R2", "commission", "2026-03"), "100.00");
}

// ---------------------------------------------------------------------------------------------
// Printed where auditors look

#[test]
fn explain_prints_the_value_that_chose_a_deals_tier_and_the_effective_rate() {
    // examples/reference, A004, component `margin`: each deal's tier is chosen by its margin_pct
    // (margin ÷ amount). OPP-10024: 20,322.40 ÷ 28,000.00 = 0.7258 → T1 [0, 0.75) at 4%; its
    // product (Cloud) is why the Platform rule did not price it.
    let out = payout()
        .args([
            "-w",
            "examples/reference/payout.toml",
            "explain",
            "--rep",
            "A004",
            "--period",
            "2026-03",
        ])
        .current_dir(crate::util::root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("20322.40 × 4% (product = Cloud, margin_pct = 0.7258)"),
        "{text}"
    );
    // commission, March: earned to date 6,064.68 on bookings of 97,589.00:
    //   6,064.68 ÷ 97,589.00 = 0.0621452... → 6.2145%
    assert!(text
        .contains("effective rate: earned to date 6,064.68 ÷ measure to date 97,589.00 = 6.2145%"));
    // ladder (a fixed amount for the first 50,000, then 1%): 1,475.89 ÷ 97,589.00 = 0.0151236...
    //   → 1.5124%
    assert!(text
        .contains("effective rate: earned to date 1,475.89 ÷ measure to date 97,589.00 = 1.5124%"));
}

// ---------------------------------------------------------------------------------------------
// Caps by dimension

#[test]
fn a_cap_per_customer_cuts_each_deal_past_it_on_its_own_line() {
    // tests/cases/cap-by: 10% of bookings, measured per quarter and paid monthly, at most 1,500.00
    // per account_id per quarter. K1 ACME 10,000 (Jan), K2 ACME 8,000 and K3 GLOBEX 5,000 (Feb),
    // K4 ACME 2,000 (Mar).
    let run = run_case("cap-by", "2026-Q1");
    // January: K1 1,000.00 (ACME 1,000.00 of 1,500.00)
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1000.00");
    // February: K2 800.00, ACME's room 1,500 − 1,000 = 500.00 → cut 300.00; K3 500.00 (GLOBEX);
    //   to date 1,000 + 500 + 500 = 2,000.00, payable 1,000.00, capped off 300.00
    assert_eq!(run.payable("R1", "commission", "2026-02"), "1000.00");
    assert_eq!(
        run.get("R1", "commission", "2026-02", "capped_off"),
        "300.00"
    );
    let lines = run.lines("2026-02", "R1", "commission");
    let cuts: Vec<(&str, &str, &str)> = lines
        .iter()
        .filter(|l| l["line"] == "deal-cap")
        .map(|l| {
            (
                l["deal_id"].as_str(),
                l["formula"].as_str(),
                l["amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        cuts,
        [(
            "K2",
            "account_id `ACME` earns 1800.00 with this deal, capped at 1500.00 per account_id per measurement period",
            "-300.00"
        )]
    );
    // March: K4 200.00, ACME has no room left → cut 200.00, payable 0.00
    assert_eq!(run.payable("R1", "commission", "2026-03"), "0.00");
    assert_eq!(
        run.get("R1", "commission", "2026-03", "capped_off"),
        "200.00"
    );
}

// ---------------------------------------------------------------------------------------------
// Boundaries closed at both ends

#[test]
fn tiers_closed_at_both_ends_read_as_the_source_table_says() {
    // tests/cases/constructs2, plan `amounts`, component `closed-tiers`: retroactive, written as a
    // source table: 0 to 40,000 at 4%, 40,001 to 60,000 at 6%, from 60,001 at 8%
    // (boundary = "closed"): each tier ends at its `to`, the next takes everything above it.
    let run = run_case("constructs2", "2026-Q1");
    // January 30,000: T1 → 30,000 × 4% = 1,200.00
    assert_eq!(run.payable("R3", "closed-tiers", "2026-01"), "1200.00");
    // February 60,000, exactly the `to` of T2: still T2 → 60,000 × 6% = 3,600.00; payable 2,400.00
    assert_eq!(
        run.get("R3", "closed-tiers", "2026-02", "earned_to_date"),
        "3600.00"
    );
    assert_eq!(run.payable("R3", "closed-tiers", "2026-02"), "2400.00");
    // March 100,000: T3 → 8,000.00; payable 4,400.00
    assert_eq!(run.payable("R3", "closed-tiers", "2026-03"), "4400.00");
    let text = explain("constructs2", "R3", "2026-Q1");
    assert!(
        text.contains("T2 (40000, 60000] ┆   6% ┆      40,000.00 ┆    60,000.00"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rules mixing fixed amounts and rates

#[test]
fn one_precedence_list_mixes_a_fixed_amount_per_deal_and_rates() {
    // tests/cases/mixed-rules: 5% by default; rule 1 (category Hardware and product Widget, the
    // most specific) pays 50.00 per deal; rule 2 (category Hardware) 8%.
    let run = run_case("mixed-rules", "2026-01");
    // M1 Widget: 100% × 50.00 = 50.00; M2 Gadget (Hardware): 2,000 × 8% = 160.00;
    // M3 Service: 3,000 × 5% = 150.00; total 50 + 160 + 150 = 360.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "360.00");
    let lines = run.lines("2026-01", "R1", "commission");
    let deals: Vec<(&str, &str, &str, &str)> = lines
        .iter()
        .filter(|l| l["line"] == "deal")
        .map(|l| {
            (
                l["deal_id"].as_str(),
                l["rate"].as_str(),
                l["formula"].as_str(),
                l["amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        deals,
        [
            ("M1", "50.00 per deal", "100% × 50.00 per deal", "50.00"),
            ("M2", "8%", "2000.00 × 8%", "160.00"),
            ("M3", "5%", "3000.00 × 5%", "150.00"),
        ]
    );
    let out = payout()
        .args([
            "-w",
            &workspace("mixed-rules"),
            "explain",
            "--rep",
            "R1",
            "--period",
            "2026-01",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("when category in [Hardware] and product in [Widget]: 50.00 per deal (× the credited share)"), "{text}");
}

#[test]
fn a_precedence_of_columns_makes_a_product_rule_beat_a_category_rule() {
    // tests/cases/mixed-rules, component `by-hierarchy`: precedence = [product, category]; rule 1
    // `product = Widget` pays 50.00 per deal, rule 2 `category = Hardware` 8%. M1 (Widget, Hardware)
    // matches both with one condition each: the product rule wins (without `precedence` it would be
    // plan-rules-ambiguous). Same figures as `commission`: 50.00 + 160.00 + 150.00 = 360.00.
    let run = run_case("mixed-rules", "2026-01");
    assert_eq!(run.payable("R1", "by-hierarchy", "2026-01"), "360.00");
    let lines = run.lines("2026-01", "R1", "by-hierarchy");
    let m1: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["deal_id"] == "M1")
        .map(|l| (l["tier"].as_str(), l["amount"].as_str()))
        .collect();
    assert_eq!(m1, [("rule 1 T1 [0, ∞)", "50.00")]);
    let out = payout()
        .args([
            "-w",
            &workspace("mixed-rules"),
            "explain",
            "--rep",
            "R1",
            "--period",
            "2026-01",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(
        "The most specific matching rule (by column: product > category, then by number of conditions) prices a deal"
    ), "{text}");
}
