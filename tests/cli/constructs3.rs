//! Plan constructs of the language's second edition, continued: lifetime caps over a plan
//! assignment, the accrual view, the values printed for auditors and the lints of meaningless
//! combinations. Every expected number is worked out by hand next to its assertion; the harness
//! checks that each row's statement lines sum to its payable.

use crate::util::{payout, run_case, Scratch};

// ---------------------------------------------------------------------------------------------
// Lifetime caps

#[test]
fn a_lifetime_cap_cuts_what_the_assignment_pays_past_it_after_the_period_cap() {
    // tests/cases/lifetime-cap, plan `capped`: 10% of bookings per month, at most 1,200.00 a month
    // (`cap`) and 2,500.00 over the assignment (`lifetime_cap`). R1, on it from 2026-01-01:
    // L1 10,000 (Jan), L2 15,000 (Feb), L3 10,000 (Mar), L4 5,000 (Apr).
    let run = run_case("lifetime-cap", "2026-H1");
    // January 1,000.00: paid 1,000.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1000.00");
    // February 1,500.00, cut to 1,200.00 by the period cap first (a `cap` line); 1,000 + 1,200 =
    //   2,200.00 over the assignment, under 2,500.00: no lifetime cut
    assert_eq!(run.payable("R1", "commission", "2026-02"), "1200.00");
    assert_eq!(
        run.get("R1", "commission", "2026-02", "lifetime_capped"),
        "0.00"
    );
    // March 1,000.00: 2,200.00 + 1,000.00 = 3,200.00 > 2,500.00 → cut 700.00, pays 300.00
    assert_eq!(run.payable("R1", "commission", "2026-03"), "300.00");
    assert_eq!(
        run.get("R1", "commission", "2026-03", "lifetime_capped"),
        "-700.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-03", "capped_off"),
        "700.00"
    );
    let cut: Vec<(String, String)> = run
        .lines("2026-03", "R1", "commission")
        .iter()
        .filter(|l| l["line"] == "lifetime-cap")
        .map(|l| (l["formula"].clone(), l["amount"].clone()))
        .collect();
    assert_eq!(
        cut,
        [(
            "paid 2200.00 over the assignment since 2026-01-01 + 1000.00 now = 3200.00, lifetime cap 2500.00: 700.00 cut".to_string(),
            "-700.00".to_string()
        )]
    );
    // April 500.00: the cap is reached (2,500.00 paid) → all 500.00 cut, pays 0.00
    assert_eq!(run.payable("R1", "commission", "2026-04"), "0.00");
    assert_eq!(
        run.get("R1", "commission", "2026-04", "lifetime_capped"),
        "-500.00"
    );
}

#[test]
fn a_lifetime_cap_counts_the_open_months_before_the_run_as_the_run_settles_them() {
    // R1 as above, April alone: January to March are settled before it (1,000 + 1,200 + 300 =
    // 2,500.00 paid), so April's 500.00 is cut whole, as in the half-year run.
    let run = run_case("lifetime-cap", "2026-04");
    assert_eq!(run.payable("R1", "commission", "2026-04"), "0.00");
    assert_eq!(
        run.get("R1", "commission", "2026-04", "lifetime_capped"),
        "-500.00"
    );
}

#[test]
fn a_lifetime_cap_counts_what_the_ledger_recorded_for_closed_months() {
    // R1 as above, January and February closed (1,000.00 + 1,200.00 recorded), then the January
    // deal raised from 10,000 to 12,000 after the close: January now computes 1,200.00, a
    // prior-period correction of +200.00 in March. March: 2,200.00 recorded + (1,000.00 + 200.00)
    // due = 3,400.00 → cut 900.00, pays 300.00 (200.00 of it the correction).
    let s = Scratch::new("lifetime-cap");
    s.close("2026-01");
    s.close("2026-02");
    s.edit("deals.csv", "L1,R1,10000", "L1,R1,12000");
    let run = s.run("2026-03");
    assert_eq!(
        run.get("R1", "commission", "2026-03", "prior_periods"),
        "200.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-03", "lifetime_capped"),
        "-900.00"
    );
    assert_eq!(run.payable("R1", "commission", "2026-03"), "300.00");
}

#[test]
fn a_lifetime_cap_counts_open_periods_of_earlier_years() {
    // R1 as above, nothing closed, a 3,000 deal in January 2027 (300.00 due): the run settles the
    // open months from the assignment's start (2026-01-01), not only from the start of 2027, so
    // 2,500.00 was paid before → all 300.00 cut.
    let s = Scratch::new("lifetime-cap");
    s.append("deals.csv", "L9,R1,3000,2027-01-15");
    let run = s.run("2027-01");
    assert_eq!(
        run.get("R1", "commission", "2027-01", "lifetime_capped"),
        "-300.00"
    );
    assert_eq!(run.payable("R1", "commission", "2027-01"), "0.00");
}

#[test]
fn a_closed_lifetime_cut_is_read_back_from_the_ledger() {
    // R1, January to March closed: the ledger records March's lifetime-cap row of −700.00, so the
    // assignment paid 1,000 + 1,200 + 1,000 − 700 = 2,500.00. Then April's deal becomes a credit
    // note of −3,000 (−300.00 due: nothing to cut) and a 2,000 deal closes in May (200.00 due).
    // May: paid before 2,500.00 − 300.00 = 2,200.00; + 200.00 = 2,400.00 ≤ 2,500.00 → no cut.
    // (Without the recorded cut, 3,200.00 − 300.00 + 200.00 would pass the cap and cut 200.00.)
    let s = Scratch::new("lifetime-cap");
    s.close("2026-01");
    s.close("2026-02");
    s.close("2026-03");
    let ledger = std::fs::read_to_string(s.path("ledger.csv")).unwrap();
    assert!(
        ledger.contains(",lifetime-cap,2026-03,,-700.00,"),
        "{ledger}"
    );
    s.edit("deals.csv", "L4,R1,5000", "L4,R1,-3000");
    s.append("deals.csv", "L5,R1,2000,2026-05-10");
    let run = s.run("2026-Q2");
    assert_eq!(
        run.get("R1", "commission", "2026-04", "lifetime_capped"),
        "0.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-05", "earned_to_date"),
        "200.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-05", "lifetime_capped"),
        "0.00"
    );
}

#[test]
fn a_rep_put_on_the_plan_again_starts_a_new_lifetime() {
    // R2: on `capped` in January and February (M1 10,000 → 1,000.00; M2 20,000 → 2,000.00, cut to
    // 1,200.00 by the period cap: 2,200.00), on `other` in March (M3 10,000 × 5% = 500.00), on
    // `capped` again from April: M4 10,000 → 1,000.00, paid in full: the new assignment's lifetime
    // starts at 0 (counting the first one's 2,200.00 would have cut 700.00).
    let run = run_case("lifetime-cap", "2026-H1");
    assert_eq!(run.payable("R2", "commission", "2026-02"), "1200.00");
    assert_eq!(run.payable("R2", "commission", "2026-04"), "1000.00");
    assert_eq!(
        run.get("R2", "commission", "2026-04", "lifetime_capped"),
        "0.00"
    );
}

#[test]
fn explain_states_a_components_lifetime_cap() {
    let out = payout()
        .args([
            "-w",
            &crate::util::workspace("lifetime-cap"),
            "explain",
            "--rep",
            "R1",
            "--period",
            "2026-03",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Lifetime cap: 2,500.00 over the plan assignment (after the cap per month)"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The accrual view

/// `payout accrual --period P --format csv` on a case, as records.
fn accrual(case: &str, period: &str) -> Vec<crate::util::Record> {
    let out = payout()
        .args([
            "-w",
            &crate::util::workspace(case),
            "accrual",
            "--period",
            period,
        ])
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::util::parse_csv(&String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_accrual_shows_what_a_quarterly_component_has_earned_so_far_at_the_tier_reached() {
    // tests/cases/accrual: quota 90,000 for 2026-Q1; Q1 30,000 (Jan 15), Q2 20,000 (Feb 15), Q3
    // 50,000 (Mar 15). `quarterly`: retroactive 4% / 8% from 50% / 12% from 100%, paid per quarter;
    // `monthly`: marginal 1% / 2% from 50% (45,000), paid monthly.
    let row = |rows: &[crate::util::Record], c: &str| {
        let r = rows.iter().find(|r| r["component"] == c).unwrap();
        (
            r["tier"].clone(),
            r["rate"].clone(),
            r["earned_to_date"].clone(),
            r["payable_to_date"].clone(),
            r["accrued"].clone(),
        )
    };
    let owned = |t: (&str, &str, &str, &str, &str)| {
        (
            t.0.to_string(),
            t.1.to_string(),
            t.2.to_string(),
            t.3.to_string(),
            t.4.to_string(),
        )
    };
    // January: 30,000 = 33.33% → T1 4%: 30,000 × 4% = 1,200.00 earned, nothing payable before the
    //   quarter ends → accrued 1,200.00
    let jan = accrual("accrual", "2026-01");
    assert_eq!(
        row(&jan, "quarterly"),
        owned(("T1 [0%, 50%)", "4%", "1200.00", "0.00", "1200.00"))
    );
    // February: 50,000 = 55.56% → T2 8% on all of it (retroactive): 50,000 × 8% = 4,000.00 accrued
    let feb = accrual("accrual", "2026-02");
    assert_eq!(
        row(&feb, "quarterly"),
        owned(("T2 [50%, 100%)", "8%", "4000.00", "0.00", "4000.00"))
    );
    assert_eq!(feb[0]["as_of"], "2026-02-28");
    // The measure and quota as payouts.csv prints them: money to the plan's 2 places.
    assert_eq!(feb[0]["measure_to_date"], "50000.00");
    assert_eq!(feb[0]["quota"], "90000.00");
    // paid monthly: 45,000 × 1% + 5,000 × 2% = 450 + 100 = 550.00, all of it payable by February's
    //   end → accrued 0.00
    assert_eq!(
        row(&feb, "monthly"),
        owned(("T2 [50%, ∞)", "2%", "550.00", "550.00", "0.00"))
    );
    // the same rows as JSON
    let out = payout()
        .args(["-w", &crate::util::workspace("accrual"), "accrual"])
        .args(["--period", "2026-02", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["component"], "quarterly");
    assert_eq!(json[0]["accrued"], "4000.00");
    // March: 100,000 = 111.11% → T3 12%: 12,000.00, payable with the quarter → accrued 0.00
    let mar = accrual("accrual", "2026-03");
    assert_eq!(
        row(&mar, "quarterly"),
        owned(("T3 [100%, ∞)", "12%", "12000.00", "12000.00", "0.00"))
    );
}

// ---------------------------------------------------------------------------------------------
// Printed where auditors look

#[test]
fn statements_print_the_values_that_chose_each_deals_rule_and_the_blended_rate() {
    // tests/cases/auditors: 5% by default, 2% for Services below a 65% margin (margin_pct =
    // margin ÷ amount, a derived value).
    //   X1 Services 6,000 ÷ 10,000 = 0.6 < 0.65 → rule: 10,000 × 2% = 200.00
    //   X2 Services 7,000 ÷ 10,000 = 0.7 → default: 500.00
    //   X3 Cloud 15,000 ÷ 20,000 = 0.75 → default: 1,000.00
    //   X4 Services 2,000 ÷ 3,000 = 0.6666… (shown truncated: 0.666666) → default: 150.00
    // Blended rate: 1,850.00 ÷ 43,000.00 = 0.0430232… → 0.043023 (4.3023%)
    let run = run_case("auditors", "2026-01");
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1850.00");
    let lines = run.lines("2026-01", "R1", "commission");
    let shown: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["deal_id"].as_str(),
                l["values"].as_str(),
                l["effective_rate"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("X1", "margin_pct = 0.6, product = Services", "0.043023"),
            ("X2", "margin_pct = 0.7, product = Services", "0.043023"),
            ("X3", "margin_pct = 0.75, product = Cloud", "0.043023"),
            (
                "X4",
                "margin_pct = 0.666666, product = Services",
                "0.043023"
            ),
        ]
    );
    let md = run.read("statements/2026-01/R1.md");
    assert!(
        md.contains("| Effective rate (earned ÷ measure to date) | 4.3023% |"),
        "{md}"
    );
    assert!(md.contains("| 10000.00 × 2% (margin_pct = 0.6, product = Services) | 200.00 |"));
    let out = payout()
        .args([
            "-w",
            &crate::util::workspace("auditors"),
            "explain",
            "--rep",
            "R1",
        ])
        .args(["--period", "2026-01"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("3000.00 × 5% (margin_pct = 0.666666, product = Services)"),
        "{text}"
    );
    assert!(text
        .contains("effective rate: earned to date 1,850.00 ÷ measure to date 43,000.00 = 4.3023%"));
}

#[test]
fn a_statement_prints_the_value_a_deal_was_tiered_on() {
    // examples/reference, A004, component `margin`, tiered on margin_pct: OPP-10100 (March)
    // 26,443.07 ÷ 35,089.00 = 0.7535999… → shown truncated 0.753599, T2 from 0.75 at 6%; a Cloud
    // deal (the Platform rule does not apply). The commission's blended rate in March: 6,064.68 ÷
    // 97,589.00 = 0.0621452… → 0.062145, on every line of its block.
    let run = crate::util::run_with("examples/reference/payout.toml", "2026-03", &[]);
    let margin = run.lines("2026-03", "A004", "margin");
    let opp = margin.iter().find(|l| l["deal_id"] == "OPP-10100").unwrap();
    assert_eq!(opp["tier"], "T2 [0.75, ∞)");
    assert_eq!(opp["values"], "product = Cloud, margin_pct = 0.753599");
    let commission = run.lines("2026-03", "A004", "commission");
    assert!(commission.iter().all(|l| l["effective_rate"] == "0.062145"));
}
