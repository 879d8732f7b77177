//! `payout explain`: one rep's trace, down to the deals (file:line), attainment, tier slices and true-up.

use crate::util::{fail, payout, workspace};

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

fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
}

#[test]
fn explain_shows_deals_attainment_tier_slices_and_true_up() {
    // tests/cases/marginal, R1, March (quota 100,000; tiers 4% / 8% from 50% / 12% from 100%).
    let text = explain("marginal", "R1", "2026-03");
    // every deal of the quarter with its source line (header = line 1): M1 line 2, M2 line 3, M3 line 4
    for (deal, line) in [("M1", 2), ("M2", 3), ("M3", 4)] {
        assert_has(&text, deal);
        assert_has(&text, &format!("tests/cases/marginal/deals.csv:{line}"));
    }
    // quota with its source: quotas.csv line 2
    assert_has(
        &text,
        "Quota `bookings`: 100,000.00 (tests/cases/marginal/quotas.csv:2)",
    );
    // attainment: 30,000 + 40,000 + 40,000 = 110,000 ÷ 100,000 = 110.00%
    assert_has(&text, "attainment: 110,000.00 ÷ 100,000.00 = 110.00%");
    // February: 70,000 ÷ 100,000 = 70.00%
    assert_has(&text, "attainment: 70,000.00 ÷ 100,000.00 = 70.00%");
    // M2's slices: 20,000 × 4% = 800.00 and 20,000 × 8% = 1,600.00
    assert_has(&text, "20000.00 × 4%");
    assert_has(&text, "20000.00 × 8%");
    // M3's slices: 30,000 × 8% = 2,400.00 and 10,000 × 12% = 1,200.00
    assert_has(&text, "30000.00 × 8%");
    assert_has(&text, "10000.00 × 12%");
    assert_has(&text, "2,400.00");
    // March true-up: 7,200.00 earned − 3,600.00 paid = 3,600.00
    assert_has(
        &text,
        "true-up: payable = earned to date 7,200.00 − paid before 3,600.00 = 3,600.00",
    );
    assert_has(&text, "Total payable for 2026-03: 3,600.00 USD");
}

#[test]
fn explain_shows_the_retro_uplift_and_rounding() {
    // tests/cases/retro, February: 80,000 × (10% − 7%) = 2,400.00 uplift
    let text = explain("retro", "R1", "2026-02");
    assert_has(&text, "80000.00 × 3% retroactive uplift (T2 → T3)");
    // 11,000.00 − 5,600.00 = 5,400.00
    assert_has(
        &text,
        "true-up: payable = earned to date 11,000.00 − paid before 5,600.00 = 5,400.00",
    );
    // tests/cases/trueup, February: exact 200.30 × 3% = 6.009 → 6.01; 6.01 − 3.00 = 3.01
    let text = explain("trueup", "R1", "2026-02");
    assert_has(&text, "earned to date: 6.009 exact → 6.01");
    assert_has(&text, "round(6.009) = 6.01");
    assert_has(
        &text,
        "true-up: payable = earned to date 6.01 − paid before 3.00 = 3.01",
    );
}

#[test]
fn explain_lists_deals_not_credited_with_the_reason() {
    // tests/cases/reconciliation, 2026-Q1: U2 (Lost) is not selected; U3 (April) is outside the run.
    let text = explain("reconciliation", "R1", "2026-Q1");
    assert_has(&text, "Deals of this rep not credited in this run");
    let u2 = text
        .lines()
        .find(|l| l.contains("U2"))
        .expect("a line for U2");
    assert!(
        u2.contains("not selected: stage \"Lost\" fails stage = \"Won\" (measure bookings, plans/won.toml:5)"),
        "{u2}"
    );
    assert!(
        u2.contains("tests/cases/reconciliation/deals.csv:3"),
        "{u2}"
    );
    let u3 = text
        .lines()
        .find(|l| l.contains("U3"))
        .expect("a line for U3");
    assert!(u3.contains("outside the run's periods"), "{u3}");
}

#[test]
fn explain_of_an_unknown_rep_fails() {
    let stderr = fail(
        &[
            "-w",
            &workspace("marginal"),
            "explain",
            "--rep",
            "R404",
            "--period",
            "2026-03",
        ],
        2,
    );
    assert!(stderr.contains("R404"), "{stderr}");
}

#[test]
fn an_id_in_other_letter_case_or_a_rep_s_name_is_answered_with_the_id_meant() {
    let refused = |args: &[&str]| {
        let mut all = vec!["-w", "tests/cases/marginal/payout.toml"];
        all.extend(args);
        all.extend(["--period", "2026-03"]);
        fail(&all, 2)
    };
    let roster = "tests/cases/marginal/reps.csv";
    assert!(refused(&["explain", "--rep", "r1"]).contains(&format!(
        "no rep `r1` in the roster {roster}: did you mean `R1` (Rita One)?"
    )));
    assert!(refused(&["explain", "--rep", "rita one"]).contains("did you mean `R1` (Rita One)?"));
    assert!(
        refused(&["estimate", "--rep", "r2", "--deal", "amount=1000"])
            .contains("--rep: no rep `r2` in the roster")
    );
    assert!(refused(&["explain", "--deal", "m1"]).contains(
        "no deal `m1` in the deals file tests/cases/marginal/deals.csv: did you mean `M1`?"
    ));
    // Nothing like it: no guess.
    assert!(!refused(&["explain", "--rep", "R404"]).contains("did you mean"));
}

#[test]
fn explain_a_deal_lists_every_rep_credited_with_it_and_why_a_deal_is_not_paid() {
    let out = payout()
        .args(["explain", "--deal", "OPP-10100", "-q"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // A004 owns OPP-10100 (35,089.00, March): the quarter's bookings were 28,000.00 from January,
    // so 47,050.00 − 28,000.00 = 19,050.00 is priced at 4% (762.00) and the rest,
    // 35,089.00 − 19,050.00 = 16,039.00, at 8% (1,283.12): 2,045.12.
    assert!(text.contains("A004 (Tyler Brooks), plan ae-mm, component `commission`, payout period 2026-03: owner, share 100%, credited 35,089.00 USD"), "{text}");
    assert!(text.contains("19050.00 × 4%"), "{text}");
    assert!(text.contains("16039.00 × 8%"), "{text}");
    assert!(text.contains("2,045.12"), "{text}");
    // A004's manager A002 (1.5% override) and the VP A001 (1%) are credited by roll-up:
    // 35,089.00 × 1.5% = 526.335 and 35,089.00 × 1% = 350.89.
    assert!(text.contains("A002 (Daniel Reyes), plan mgr, component `override`, payout period 2026-03: roll-up via A004"), "{text}");
    assert!(text.contains("526.335"), "{text}");
    assert!(text.contains("A001 (Margaret Okafor), plan vp"), "{text}");
    assert!(text.contains("350.89"), "{text}");

    // OPP-10086 was lost: the filter condition of A004's plan that leaves it out is named.
    let out = payout()
        .args(["explain", "--deal", "OPP-10086", "-q"])
        .output()
        .expect("payout runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Not paid in 2026-03: not selected: stage \"Closed Lost\" fails stage = \"Closed Won\" (measure bookings, plans/acme/ae-mm.toml:12)"),
        "{text}"
    );
    // OPP-10001 closed on 2025-12-11, outside March's run: the month that computes it is named.
    let out = payout()
        .args(["explain", "--deal", "OPP-10001", "-q"])
        .output()
        .expect("payout runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "Deal OPP-10001 (examples/acme/deals.csv:2), owner A018, closed 2025-12-11\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Not paid in 2026-03: outside the run's periods\n  it closed in 2025-12: payout explain --deal OPP-10001 --period 2025-12\n"),
        "{text}"
    );
    // An unknown deal is a usage error.
    let out = payout()
        .args(["explain", "--deal", "NOPE"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_rep_on_two_plans_gets_each_plan_s_part_and_one_total() {
    // The example's A032 is an SDR until 2026-05-15, then on ae-mm. In June only ae-mm pays: her one
    // deal, OPP-10613 (51,000.00), against the prorated Q2 quota 104,700.00 × 46/91 = 52,925.27:
    // 26,462.635 (to 50%) × 4% = 1,058.5054 and 24,537.365 × 8% = 1,962.9892, 3,021.4946 → 3,021.49.
    let out = payout()
        .args(["explain", "--rep", "A032", "--period", "2026-06", "-q"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_has(
        &text,
        "No payout period of this plan falls in 2026-06 (the assignment ended on 2026-05-15).\n\nPayable under plan sdr for 2026-06: 0.00 USD\n",
    );
    assert_has(
        &text,
        "Payable under plan ae-mm for 2026-06: 3,021.49 USD\n",
    );
    // One total for the rep, after both plans and before the deals no plan credits.
    assert_eq!(text.matches("Total payable").count(), 1, "{text}");
    let total = text
        .find("\nTotal payable for 2026-06: 3,021.49 USD\n")
        .unwrap_or_else(|| panic!("no total in:\n{text}"));
    assert!(total > text.find("Payable under plan ae-mm").unwrap_or(usize::MAX));
    assert!(total < text.find("Deals of this rep not credited").unwrap_or(0));

    // A rep on one plan keeps the one line "Total payable".
    let out = payout()
        .args(["explain", "--rep", "A004", "--period", "2026-03", "-q"])
        .output()
        .expect("payout runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Payable under plan"), "{text}");
    assert_eq!(
        text.matches("\nTotal payable for 2026-03: ").count(),
        1,
        "{text}"
    );
}
