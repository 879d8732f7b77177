//! Rate tables: flat, marginal, retroactive, amount breakpoints, per-transaction scope, per-unit rates,
//! and the boundary rule. Every expected number is worked out by hand next to its assertion.

use crate::util::{brief, dec, run_case};

#[test]
fn flat_rate_on_every_deal() {
    // tests/cases/flat: 5% on bookings, measured and paid monthly.
    let run = run_case("flat", "2026-Q1");
    // R1 January: 10,000 + 2,000 = 12,000 → 12,000 × 5% = 600.00
    assert_eq!(
        run.get("R1", "commission", "2026-01", "measure_to_date"),
        "12000.00"
    );
    assert_eq!(run.payable("R1", "commission", "2026-01"), "600.00");
    // R1 February: 4,000 × 5% = 200.00; a monthly measurement period starts from zero: nothing paid before
    assert_eq!(run.payable("R1", "commission", "2026-02"), "200.00");
    assert_eq!(
        run.get("R1", "commission", "2026-02", "paid_to_date"),
        "0.00"
    );
    // R1 March: no deals → 0.00
    assert_eq!(run.payable("R1", "commission", "2026-03"), "0.00");
    // R2 January: 333.33 × 5% = 16.6665 → 16.67 (half away from zero)
    assert_eq!(run.payable("R2", "commission", "2026-01"), "16.67");
    // 2 reps × 1 component × 3 months = 6 rows
    assert_eq!(run.payouts.len(), 6);

    let lines = run.lines("2026-01", "R1", "commission");
    assert_eq!(
        lines.iter().map(brief).collect::<Vec<_>>(),
        vec![
            // 10,000 × 5% = 500.00
            ("deal", "F1", "T1 [0, ∞)", "10000.00 × 5%", "500.00"),
            // 2,000 × 5% = 100.00
            ("deal", "F2", "T1 [0, ∞)", "2000.00 × 5%", "100.00"),
        ]
    );
    // R2: the deal line is exact (16.6665) and a rounding line brings it to 16.67: +0.0035
    let lines = run.lines("2026-01", "R2", "commission");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["amount"], "16.6665");
    assert_eq!(lines[1]["line"], "rounding");
    assert_eq!(lines[1]["amount"], "0.0035");
}

#[test]
fn marginal_tiers_on_attainment_split_a_deal_at_a_breakpoint() {
    // tests/cases/marginal: quota 100,000 for 2026-Q1; tiers 0–50% 4%, 50–100% 8%, ≥100% 12%;
    // measured per quarter, paid monthly.
    let run = run_case("marginal", "2026-Q1");

    // R1 January: M1 30,000 → 30,000 × 4% = 1,200.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1200.00");
    // attainment 30,000 ÷ 100,000 = 0.3
    assert_eq!(
        run.get("R1", "commission", "2026-01", "attainment"),
        "0.300000"
    );

    // R1 February: M2 40,000 moves the measure 30,000 → 70,000 across 50,000 (50%):
    //   20,000 × 4% = 800 and 20,000 × 8% = 1,600 → 2,400.00
    //   earned to date 1,200 + 2,400 = 3,600.00, paid before 1,200.00
    assert_eq!(run.payable("R1", "commission", "2026-02"), "2400.00");
    assert_eq!(
        run.get("R1", "commission", "2026-02", "earned_to_date"),
        "3600.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-02", "paid_to_date"),
        "1200.00"
    );
    let feb = run.lines("2026-02", "R1", "commission");
    assert_eq!(
        feb.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("deal", "M2", "T1 [0%, 50%)", "20000.00 × 4%", "800.00"),
            ("deal", "M2", "T2 [50%, 100%)", "20000.00 × 8%", "1600.00"),
        ]
    );
    // the two slices cover 30,000 → 50,000 and 50,000 → 70,000 of the cumulative measure
    assert_eq!(
        (
            feb[0]["cumulative_from"].as_str(),
            feb[0]["cumulative_to"].as_str()
        ),
        ("30000.00", "50000.00")
    );
    assert_eq!(
        (
            feb[1]["cumulative_from"].as_str(),
            feb[1]["cumulative_to"].as_str()
        ),
        ("50000.00", "70000.00")
    );

    // R1 March: M3 40,000 moves 70,000 → 110,000 across 100,000:
    //   30,000 × 8% = 2,400 and 10,000 × 12% = 1,200 → 3,600.00; earned to date 3,600 + 3,600 = 7,200.00
    assert_eq!(run.payable("R1", "commission", "2026-03"), "3600.00");
    assert_eq!(
        run.get("R1", "commission", "2026-03", "earned_to_date"),
        "7200.00"
    );
    // attainment 110,000 ÷ 100,000 = 1.1
    assert_eq!(
        run.get("R1", "commission", "2026-03", "attainment"),
        "1.100000"
    );
    assert_eq!(
        run.lines("2026-03", "R1", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "M3", "T2 [50%, 100%)", "30000.00 × 8%", "2400.00"),
            ("deal", "M3", "T3 [100%, ∞)", "10000.00 × 12%", "1200.00"),
        ]
    );
    // Quarter total: 1,200 + 2,400 + 3,600 = 7,200 = the March earned-to-date.
    let paid: rust_decimal::Decimal = ["2026-01", "2026-02", "2026-03"]
        .iter()
        .map(|m| dec(run.payable("R1", "commission", m)))
        .sum();
    assert_eq!(paid, dec("7200.00"));

    // R2, the spec's example: 80% of a 100,000 quota → 50,000 × 4% + 30,000 × 8% = 2,000 + 2,400 = 4,400.00
    assert_eq!(run.payable("R2", "commission", "2026-01"), "4400.00");
    // nothing new in February or March: 4,400 − 4,400 = 0.00
    assert_eq!(run.payable("R2", "commission", "2026-02"), "0.00");
    assert_eq!(run.payable("R2", "commission", "2026-03"), "0.00");

    // R3: M5 lands exactly on 50,000 (50%): one line 50,000 × 4% = 2,000 (no empty slice in T2);
    // M6 then 50,000 → 60,000 is all in T2: 10,000 × 8% = 800. Total 2,800.00
    assert_eq!(run.payable("R3", "commission", "2026-02"), "2800.00");
    assert_eq!(
        run.lines("2026-02", "R3", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "M5", "T1 [0%, 50%)", "50000.00 × 4%", "2000.00"),
            ("deal", "M6", "T2 [50%, 100%)", "10000.00 × 8%", "800.00"),
        ]
    );
}

#[test]
fn retroactive_tiers_pay_an_uplift_line_within_and_across_payout_periods() {
    // tests/cases/retro: quota 100,000; tiers 0–75% 5%, 75–100% 7%, ≥100% 10%, retroactive.
    let run = run_case("retro", "2026-Q1");

    // January, uplift within the same payout period:
    //   RT1 60,000 (60%, T1): 60,000 × 5% = 3,000
    //   RT2 20,000 takes the measure to 80,000 (80%, T2): own slice 20,000 × 7% = 1,400,
    //   retro uplift on the 60,000 before it: 60,000 × (7% − 5%) = 1,200
    //   total 3,000 + 1,400 + 1,200 = 5,600.00 = 80,000 × 7%
    assert_eq!(run.payable("R1", "commission", "2026-01"), "5600.00");
    assert_eq!(
        run.lines("2026-01", "R1", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "RT1", "T1 [0%, 75%)", "60000.00 × 5%", "3000.00"),
            ("deal", "RT2", "T2 [75%, 100%)", "20000.00 × 7%", "1400.00"),
            (
                "retro",
                "RT2",
                "T2 [75%, 100%)",
                "60000.00 × 2% retroactive uplift (T1 → T2)",
                "1200.00"
            ),
        ]
    );

    // February, uplift across payout periods: RT3 30,000 takes the measure to 110,000 (110%, T3):
    //   own slice 30,000 × 10% = 3,000; uplift on the 80,000 paid in January: 80,000 × (10% − 7%) = 2,400
    //   payable 3,000 + 2,400 = 5,400.00; earned to date 110,000 × 10% = 11,000.00 = 5,600 + 5,400
    assert_eq!(run.payable("R1", "commission", "2026-02"), "5400.00");
    assert_eq!(
        run.get("R1", "commission", "2026-02", "earned_to_date"),
        "11000.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-02", "paid_to_date"),
        "5600.00"
    );
    assert_eq!(
        run.lines("2026-02", "R1", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "RT3", "T3 [100%, ∞)", "30000.00 × 10%", "3000.00"),
            (
                "retro",
                "RT3",
                "T3 [100%, ∞)",
                "80000.00 × 3% retroactive uplift (T2 → T3)",
                "2400.00"
            ),
        ]
    );
    // March: no deals, 11,000 − 11,000 = 0.00
    assert_eq!(run.payable("R1", "commission", "2026-03"), "0.00");
}

#[test]
fn breakpoints_on_amount_need_no_quota() {
    // tests/cases/amount-basis: tiers 0–10,000 at 2%, ≥10,000 at 5% on the month's bookings; no quotas file.
    let run = run_case("amount-basis", "2026-01");
    // marginal: A1 6,000 × 2% = 120; A2 6,000 → 12,000: 4,000 × 2% = 80 + 2,000 × 5% = 100
    //   total 120 + 80 + 100 = 300.00
    assert_eq!(run.payable("R1", "marginal-amount", "2026-01"), "300.00");
    assert_eq!(
        run.lines("2026-01", "R1", "marginal-amount")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "A1", "T1 [0, 10000)", "6000.00 × 2%", "120.00"),
            ("deal", "A2", "T1 [0, 10000)", "4000.00 × 2%", "80.00"),
            ("deal", "A2", "T2 [10000, ∞)", "2000.00 × 5%", "100.00"),
        ]
    );
    // retroactive on the same table: 12,000 × 5% = 600.00
    //   = A1 6,000 × 2% = 120 + A2 6,000 × 5% = 300 + uplift 6,000 × (5% − 2%) = 180
    assert_eq!(run.payable("R1", "retro-amount", "2026-01"), "600.00");
    let amounts: Vec<String> = run
        .lines("2026-01", "R1", "retro-amount")
        .iter()
        .map(|l| l["amount"].clone())
        .collect();
    assert_eq!(amounts, ["120.00", "300.00", "180.00"]);
    // no quota: quota and attainment are empty
    assert_eq!(run.get("R1", "marginal-amount", "2026-01", "quota"), "");
    assert_eq!(
        run.get("R1", "marginal-amount", "2026-01", "attainment"),
        ""
    );
}

#[test]
fn transaction_scope_starts_every_deal_from_zero() {
    // tests/cases/transaction-scope: 0% up to 50,000, 1% above, on each deal (per-deal) and on the
    // month's cumulative bookings (cumulative). Deals 60,000, 40,000, 70,000.
    let run = run_case("transaction-scope", "2026-01");
    // per deal: (60,000 − 50,000) × 1% = 100; 40,000 < 50,000 → 0; (70,000 − 50,000) × 1% = 200
    //   total 300.00
    assert_eq!(run.payable("R1", "per-deal", "2026-01"), "300.00");
    // cumulative: 170,000 − 50,000 = 120,000 × 1% = 1,200.00
    assert_eq!(run.payable("R1", "cumulative", "2026-01"), "1200.00");
    // the measure is still the month's total in both: 60,000 + 40,000 + 70,000 = 170,000
    assert_eq!(
        run.get("R1", "per-deal", "2026-01", "measure_to_date"),
        "170000.00"
    );

    let x3: Vec<_> = run
        .lines("2026-01", "R1", "per-deal")
        .into_iter()
        .filter(|l| l["deal_id"] == "X3")
        .collect();
    // X3 on its own: 0 → 50,000 at 0% and 50,000 → 70,000 at 1% (not 100,000 → 170,000)
    assert_eq!(x3.len(), 2);
    assert_eq!(
        (
            x3[1]["cumulative_from"].as_str(),
            x3[1]["cumulative_to"].as_str()
        ),
        ("50000.00", "70000.00")
    );
    // 20,000 × 1% = 200.00
    assert_eq!(x3[1]["formula"], "20000.00 × 1%");
    assert_eq!(x3[1]["amount"], "200.00");
}

#[test]
fn per_unit_rates_on_a_quantity_and_on_a_count() {
    // tests/cases/per-unit: U1 Platform 3 seats, U2 Cloud 5 seats, U3 Platform 2 seats.
    let run = run_case("per-unit", "2026-01");
    // seats: (3 + 5 + 2) = 10 units × 12.50 = 125.00
    assert_eq!(run.get("R1", "seats", "2026-01", "measure_to_date"), "10");
    assert_eq!(run.payable("R1", "seats", "2026-01"), "125.00");
    // first line: 3 × 12.50 = 37.50
    let seats = run.lines("2026-01", "R1", "seats");
    assert_eq!(seats[0]["formula"], "3 × 12.50 per unit");
    assert_eq!(seats[0]["amount"], "37.50");
    // platform-spiff: count of Platform deals (U1, U3) = 2 × 100.00 = 200.00, one line per deal
    assert_eq!(
        run.get("R1", "platform-spiff", "2026-01", "measure_to_date"),
        "2"
    );
    assert_eq!(run.payable("R1", "platform-spiff", "2026-01"), "200.00");
    let spiff = run.lines("2026-01", "R1", "platform-spiff");
    assert_eq!(
        spiff
            .iter()
            .map(|l| (l["deal_id"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [("U1", "100.00"), ("U3", "100.00")]
    );
    // seat-tiers: 10.00 per seat up to 8 seats, 20.00 above:
    //   U1 0 → 3: 3 × 10 = 30; U2 3 → 8 (exactly on the breakpoint): 5 × 10 = 50; U3 8 → 10: 2 × 20 = 40
    //   total 30 + 50 + 40 = 120.00
    assert_eq!(run.payable("R1", "seat-tiers", "2026-01"), "120.00");
    assert_eq!(
        run.lines("2026-01", "R1", "seat-tiers")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "U1", "T1 [0, 8)", "3 × 10.00 per unit", "30.00"),
            ("deal", "U2", "T1 [0, 8)", "5 × 10.00 per unit", "50.00"),
            ("deal", "U3", "T2 [8, ∞)", "2 × 20.00 per unit", "40.00"),
        ]
    );
}

#[test]
fn a_measure_exactly_on_a_breakpoint_follows_the_boundary_rule() {
    // tests/cases/boundary: quota 100,000; retroactive tiers 0–50% at 5%, ≥50% at 8%.
    // R1 (default, from-inclusive) and R2 (boundary = "to-inclusive") both book 20,000 then 30,000 in
    // January (exactly 50,000 = 50%), then 10,000 in February.
    let run = run_case("boundary", "2026-Q1");

    // R1: 50% belongs to the higher tier → 50,000 × 8% = 4,000.00
    //   lines: 20,000 × 5% = 1,000; 30,000 × 8% = 2,400; uplift 20,000 × 3% = 600 → 4,000
    assert_eq!(run.payable("R1", "commission", "2026-01"), "4000.00");
    assert_eq!(
        run.lines("2026-01", "R1", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "B1", "T1 [0%, 50%)", "20000.00 × 5%", "1000.00"),
            ("deal", "B2", "T2 [50%, ∞)", "30000.00 × 8%", "2400.00"),
            (
                "retro",
                "B2",
                "T2 [50%, ∞)",
                "20000.00 × 3% retroactive uplift (T1 → T2)",
                "600.00"
            ),
        ]
    );
    // R1 February: 60,000 × 8% = 4,800; 4,800 − 4,000 = 800.00 (10,000 × 8%, no uplift)
    assert_eq!(run.payable("R1", "commission", "2026-02"), "800.00");

    // R2: to-inclusive keeps 50% in the lower tier → 50,000 × 5% = 2,500.00 (1,000 + 1,500, no uplift)
    assert_eq!(run.payable("R2", "commission", "2026-01"), "2500.00");
    assert_eq!(
        run.lines("2026-01", "R2", "commission")
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![
            ("deal", "B4", "T1 [0%, 50%]", "20000.00 × 5%", "1000.00"),
            ("deal", "B5", "T1 [0%, 50%]", "30000.00 × 5%", "1500.00"),
        ]
    );
    // R2 February: 60,000 > 50% → T2: 60,000 × 8% = 4,800; 4,800 − 2,500 = 2,300.00
    //   = own 10,000 × 8% = 800 + uplift on 50,000 × (8% − 5%) = 1,500
    assert_eq!(run.payable("R2", "commission", "2026-02"), "2300.00");
    assert_eq!(
        run.lines("2026-02", "R2", "commission")
            .iter()
            .map(|l| (l["line"].as_str(), l["tier"].as_str(), l["amount"].as_str()))
            .collect::<Vec<_>>(),
        [
            ("deal", "T2 (50%, ∞)", "800.00"),
            ("retro", "T2 (50%, ∞)", "1500.00")
        ]
    );
    // Both end the quarter at 60,000 × 8% = 4,800.00 earned.
    assert_eq!(
        run.get("R1", "commission", "2026-03", "earned_to_date"),
        "4800.00"
    );
    assert_eq!(
        run.get("R2", "commission", "2026-03", "earned_to_date"),
        "4800.00"
    );
}
