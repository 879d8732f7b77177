//! True-up across payout periods, rounding strategies, FX conversion, and which rows a run period yields.

use crate::util::{dec, fail, run_case, run_with, workspace};

#[test]
fn monthly_true_up_of_a_quarterly_measure_has_no_cent_drift() {
    // tests/cases/trueup: 3% on the quarter's bookings, paid monthly; every deal is 100.15,
    // which earns 100.15 × 3% = 3.0045 (a fraction of a cent).
    let run = run_case("trueup", "2026-Q1");

    // R1, one deal a month. Rounding applies to earned-to-date (half away from zero, 2 places):
    //   Jan: 100.15 × 3% = 3.0045 → 3.00; payable 3.00 − 0.00 = 3.00
    //   Feb: 200.30 × 3% = 6.009  → 6.01; payable 6.01 − 3.00 = 3.01
    //   Mar: 300.45 × 3% = 9.0135 → 9.01; payable 9.01 − 6.01 = 3.00
    let expected = [
        ("2026-01", "3.00", "0.00", "3.00"),
        ("2026-02", "6.01", "3.00", "3.01"),
        ("2026-03", "9.01", "6.01", "3.00"),
    ];
    for (month, earned, paid, payable) in expected {
        assert_eq!(
            run.get("R1", "commission", month, "earned_to_date"),
            earned,
            "{month}"
        );
        assert_eq!(
            run.get("R1", "commission", month, "paid_to_date"),
            paid,
            "{month}"
        );
        assert_eq!(run.payable("R1", "commission", month), payable, "{month}");
    }
    // 3.00 + 3.01 + 3.00 = 9.01 = round(9.0135): the payments sum to the quarter's rounded total
    // (rounding each month on its own would pay 3.00 × 3 = 9.00, a cent short).
    let sum: rust_decimal::Decimal = ["2026-01", "2026-02", "2026-03"]
        .iter()
        .map(|m| dec(run.payable("R1", "commission", m)))
        .sum();
    assert_eq!(sum, dec("9.01"));

    // The rounding line of each month is the change in (rounded − exact) since the previous month:
    //   Jan: 3.00 − 3.0045 = −0.0045
    //   Feb: (6.01 − 6.009) − (3.00 − 3.0045) = 0.001 + 0.0045 = 0.0055  → 3.0045 + 0.0055 = 3.01
    //   Mar: (9.01 − 9.0135) − (6.01 − 6.009) = −0.0035 − 0.001 = −0.0045 → 3.0045 − 0.0045 = 3.00
    for (month, rounding) in [
        ("2026-01", "-0.0045"),
        ("2026-02", "0.0055"),
        ("2026-03", "-0.0045"),
    ] {
        let lines = run.lines(month, "R1", "commission");
        let amounts: Vec<&str> = lines.iter().map(|l| l["amount"].as_str()).collect();
        assert_eq!(amounts, ["3.0045", rounding], "{month}");
        assert_eq!(lines[1]["line"], "rounding");
    }

    // R2 books in January and March only.
    //   Jan: 3.0045 → 3.00, payable 3.00
    //   Feb: no deal; earned to date still 3.00 → payable 3.00 − 3.00 = 0.00, and no lines at all
    //   Mar: 200.30 × 3% = 6.009 → 6.01; payable 6.01 − 3.00 = 3.01; total 3.00 + 0 + 3.01 = 6.01
    assert_eq!(run.payable("R2", "commission", "2026-01"), "3.00");
    assert_eq!(run.payable("R2", "commission", "2026-02"), "0.00");
    assert_eq!(
        run.get("R2", "commission", "2026-02", "earned_to_date"),
        "3.00"
    );
    assert!(run.lines("2026-02", "R2", "commission").is_empty());
    assert_eq!(run.payable("R2", "commission", "2026-03"), "3.01");
}

#[test]
fn a_plan_sets_half_even_rounding() {
    // tests/cases/rounding-plan: 1% of 12.50 = 0.125 and 1% of 13.50 = 0.135.
    // Plan `even` rounds half-even; plan `away` has no rounding and takes the default
    // (half away from zero, 2 places).
    let run = run_case("rounding-plan", "2026-01");
    // R1 (even): 0.125 → 0.12 (the digit before the 5 is even: stays)
    assert_eq!(run.payable("R1", "commission", "2026-01"), "0.12");
    // R2 (away): 0.125 → 0.13
    assert_eq!(run.payable("R2", "commission", "2026-01"), "0.13");
    // R3 (even): 0.135 → 0.14 (3 is odd: rounds up to the even 4; not a truncation)
    assert_eq!(run.payable("R3", "commission", "2026-01"), "0.14");
    // R4 (away): 0.135 → 0.14
    assert_eq!(run.payable("R4", "commission", "2026-01"), "0.14");
    // R1's rounding line: 0.12 − 0.125 = −0.005
    let lines = run.lines("2026-01", "R1", "commission");
    assert_eq!(lines[1]["line"], "rounding");
    assert_eq!(lines[1]["amount"], "-0.005");
    assert!(
        lines[1]["formula"].contains("half-even"),
        "{}",
        lines[1]["formula"]
    );
}

#[test]
fn the_workspace_sets_rounding_for_every_plan_that_does_not() {
    // tests/cases/rounding-workspace: [rounding] half-even, 2 places. Plan `ws` inherits it, plan
    // `override` sets strategy half-up (places still 2), plan `whole` sets places = 0 (strategy inherited).
    let run = run_case("rounding-workspace", "2026-01");
    // R1 (ws): 12.50 × 1% = 0.125 → half-even → 0.12
    assert_eq!(run.payable("R1", "commission", "2026-01"), "0.12");
    // R2 (override): 0.125 → half-up → 0.13
    assert_eq!(run.payable("R2", "commission", "2026-01"), "0.13");
    // R3 (whole): 250 × 1% = 2.5 → half-even, 0 places → 2
    assert_eq!(run.payable("R3", "commission", "2026-01"), "2");
    // R4 (whole): 350 × 1% = 3.5 → half-even, 0 places → 4
    assert_eq!(run.payable("R4", "commission", "2026-01"), "4");
}

#[test]
fn fx_uses_the_latest_rate_on_or_before_the_close_date() {
    // tests/cases/fx: EUR rates 1.10 from 2026-01-01 and 1.20 from 2026-01-15; 10% flat.
    let run = run_case("fx", "2026-01");
    // X1 EUR 1,000 on 01-14 → the 1st's rate: 1,000 × 1.10 = 1,100 USD
    // X2 EUR 1,000 on 01-15 → that day's rate: 1,000 × 1.20 = 1,200 USD
    // X3 USD 500 → 500
    // measure 1,100 + 1,200 + 500 = 2,800.00; 10% → 280.00
    assert_eq!(
        run.get("R1", "commission", "2026-01", "measure_to_date"),
        "2800.00"
    );
    assert_eq!(run.payable("R1", "commission", "2026-01"), "280.00");
    let lines = run.lines("2026-01", "R1", "commission");
    let fx: Vec<(&str, &str, &str, &str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["deal_id"].as_str(),
                l["deal_value"].as_str(),
                l["currency"].as_str(),
                l["fx_rate"].as_str(),
                l["credited"].as_str(),
                l["amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        fx,
        [
            // 1,000 × 1.10 = 1,100; × 10% = 110.00
            ("X1", "1000.00", "EUR", "1.1", "1100.00", "110.00"),
            // 1,000 × 1.20 = 1,200; × 10% = 120.00
            ("X2", "1000.00", "EUR", "1.2", "1200.00", "120.00"),
            // no conversion: 500 × 10% = 50.00
            ("X3", "500.00", "USD", "", "500.00", "50.00"),
        ]
    );
}

#[test]
fn a_missing_fx_rate_is_an_error_naming_currency_and_date() {
    // With rates only from 2026-01-15, X1 (EUR, 2026-01-14) has no rate on or before its date.
    let stderr = fail(
        &[
            "-w",
            &workspace("fx"),
            "--fx",
            "tests/cases/fx/fx-from-jan-15.csv",
            "run",
            "--period",
            "2026-01",
        ],
        1,
    );
    assert!(stderr.contains("fx-rate-missing"), "{stderr}");
    assert!(stderr.contains("EUR"), "{stderr}");
    assert!(stderr.contains("2026-01-14"), "{stderr}");
    assert!(stderr.contains("X1"), "{stderr}");
    // the deal's row in the deals file: header line 1, X1 on line 2
    assert!(stderr.contains("tests/cases/fx/deals.csv:2"), "{stderr}");
}

#[test]
fn a_quarter_run_yields_three_monthly_rows_and_one_quarterly_row() {
    // tests/cases/periods: `monthly` (10%, measured per quarter, paid monthly) and `quarterly` (1%,
    // measured and paid per quarter). R1 books 1,000 Jan, 2,000 Feb, 4,000 Mar; R2 500 Feb.
    let run = run_case("periods", "2026-Q1");
    // 2 reps × (3 monthly + 1 quarterly) = 8 rows
    assert_eq!(run.payouts.len(), 8);
    for rep in ["R1", "R2"] {
        let months: Vec<&str> = run
            .payouts
            .keys()
            .filter(|(r, c, _)| r == rep && c == "monthly")
            .map(|(_, _, p)| p.as_str())
            .collect();
        assert_eq!(months, ["2026-01", "2026-02", "2026-03"], "{rep}");
    }
    // R1 monthly: 1,000 × 10% = 100; (1,000 + 2,000) × 10% = 300 − 100 = 200; 7,000 × 10% = 700 − 300 = 400
    assert_eq!(run.payable("R1", "monthly", "2026-01"), "100.00");
    assert_eq!(run.payable("R1", "monthly", "2026-02"), "200.00");
    assert_eq!(run.payable("R1", "monthly", "2026-03"), "400.00");
    // R1 quarterly: (1,000 + 2,000 + 4,000) × 1% = 70.00, one row for 2026-Q1
    assert_eq!(run.payable("R1", "quarterly", "2026-Q1"), "70.00");
    // R2: monthly 0.00 / 50.00 (500 × 10%) / 0.00; quarterly 500 × 1% = 5.00
    assert_eq!(run.payable("R2", "monthly", "2026-01"), "0.00");
    assert_eq!(run.payable("R2", "monthly", "2026-02"), "50.00");
    assert_eq!(run.payable("R2", "monthly", "2026-03"), "0.00");
    assert_eq!(run.payable("R2", "quarterly", "2026-Q1"), "5.00");
    // the quarterly statement is filed under its payout period
    assert!(run.out().join("statements/2026-Q1/R1.csv").is_file());
}

#[test]
fn a_month_run_has_no_row_for_a_quarterly_paid_component() {
    // --period 2026-02: the quarterly component's payout period (2026-Q1) ends in March, not in February.
    let run = run_case("periods", "2026-02");
    let keys: Vec<(&str, &str, &str)> = run
        .payouts
        .keys()
        .map(|(r, c, p)| (r.as_str(), c.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        keys,
        [("R1", "monthly", "2026-02"), ("R2", "monthly", "2026-02")]
    );
    // R1 February still trues up against January: (1,000 + 2,000) × 10% = 300.00 earned,
    // 100.00 paid in January, 200.00 payable
    assert_eq!(
        run.get("R1", "monthly", "2026-02", "earned_to_date"),
        "300.00"
    );
    assert_eq!(
        run.get("R1", "monthly", "2026-02", "paid_to_date"),
        "100.00"
    );
    assert_eq!(run.payable("R1", "monthly", "2026-02"), "200.00");
}

#[test]
fn a_year_run_covers_twelve_months() {
    // --period 2026 on tests/cases/flat: 2 reps × 12 months = 24 rows; only January and February have deals.
    let run = run_with(&workspace("flat"), "2026", &[]);
    assert_eq!(run.payouts.len(), 24);
    // 600.00 + 200.00 (R1) + 16.67 (R2) = 816.67 over the year
    let total: rust_decimal::Decimal = run.payouts.values().map(|r| dec(&r["payable"])).sum();
    assert_eq!(total, dec("816.67"));
}
