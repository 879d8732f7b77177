//! Input data: measure filters (on canonical, extra and typed extra columns), column mapping, date and
//! number formats, a byte order mark, and quotas.

use crate::util::{case_dir, fail, run_case, run_with, scratch_copy, workspace};

#[test]
fn measure_filters() {
    // tests/cases/filters, one rep, all in January 2026; each component is 10% of its measure:
    //   D1 1,000.00 01-05 Won  New     Cloud    Partner 0
    //   D2 2,000.00 01-10 Won  Upsell  Platform Web     0.10
    //   D3   400.00 01-15 Won  Renewal Cloud    Partner 0.25
    //   D4 8,000.00 01-20 Lost New     Platform Event   0.05
    //   D5   999.90 01-25 Won  New     Cloud    Web     0.30
    let run = run_case("filters", "2026-01");
    let cases = [
        // stage = "Won": D1 + D2 + D3 + D5 = 1,000 + 2,000 + 400 + 999.90 = 4,399.90 → 439.99
        ("eq", "4399.90", "439.99"),
        // type in [New, Upsell]: D1 + D2 + D4 + D5 = 1,000 + 2,000 + 8,000 + 999.90 = 11,999.90 → 1,199.99
        ("in", "11999.90", "1199.99"),
        // product not in [Platform]: D1 + D3 + D5 = 1,000 + 400 + 999.90 = 2,399.90 → 239.99
        ("not-in", "2399.90", "239.99"),
        // amount ≥ 1000: D1 (exactly 1,000) + D2 + D4 = 11,000.00 → 1,100.00; D5 999.90 is out
        ("gte", "11000.00", "1100.00"),
        // 2026-01-10 ≤ close_date < 2026-01-20: D2 (on the lower bound) + D3 = 2,400.00 → 240.00;
        // D4 on 01-20 is out
        ("date-range", "2400.00", "240.00"),
        // extra column "Lead Source" = Partner: D1 + D3 = 1,400.00 → 140.00
        ("extra-column", "1400.00", "140.00"),
        // typed extra column Discount > 0.05: D2 (0.10) + D3 (0.25) + D5 (0.30) = 3,399.90 → 339.99;
        // D4 (exactly 0.05) is out
        ("typed-extra", "3399.90", "339.99"),
    ];
    for (component, measure, payable) in cases {
        assert_eq!(
            run.get("R1", component, "2026-01", "measure_to_date"),
            measure,
            "{component}"
        );
        assert_eq!(
            run.payable("R1", component, "2026-01"),
            payable,
            "{component}"
        );
    }
    // the deals of the date-range component, by id
    let ids: Vec<String> = run
        .lines("2026-01", "R1", "date-range")
        .iter()
        .map(|l| l["deal_id"].clone())
        .collect();
    assert_eq!(ids, ["D2", "D3"]);
}

#[test]
fn an_unquoted_decimal_in_an_operator_filter_is_read_exactly() {
    // The same plan as tests/cases/filters with the natural TOML spelling `{ gt = 0.05 }` (a float)
    // instead of the quoted "0.05": it must select the same deals, D2 + D3 + D5 = 3,399.90 → 339.99.
    let dir = scratch_copy("filters");
    let plan = dir.path().join("plans/filters.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let changed = text.replace(r#"{ gt = "0.05" }"#, "{ gt = 0.05 }");
    assert_ne!(
        text, changed,
        "the filters plan spells the comparison as expected"
    );
    std::fs::write(&plan, changed).unwrap();
    let ws = dir.path().join("payout.toml");
    let run = run_with(ws.to_str().unwrap(), "2026-01", &[]);
    assert_eq!(
        run.get("R1", "typed-extra", "2026-01", "measure_to_date"),
        "3399.90"
    );
    assert_eq!(run.payable("R1", "typed-extra", "2026-01"), "339.99");
}

#[test]
fn comparing_an_undeclared_extra_column_is_a_plan_error() {
    // Without [deals.types], "Discount" is text: `gt` on it cannot work and must say how to fix it.
    let dir = scratch_copy("filters");
    let ws = dir.path().join("payout.toml");
    let text = std::fs::read_to_string(&ws).unwrap();
    let changed = text.replace("\"Discount\" = \"decimal\"", "");
    assert_ne!(text, changed);
    std::fs::write(&ws, changed).unwrap();
    let stderr = fail(
        &["-w", ws.to_str().unwrap(), "run", "--period", "2026-01"],
        1,
    );
    assert!(stderr.contains("plan-filter-value"), "{stderr}");
    // the filter is on line 29 of the plan
    assert!(stderr.contains("filters.toml:29"), "{stderr}");
    assert!(stderr.contains("[deals.types]"), "{stderr}");
}

#[test]
fn crm_export_with_mapped_headers_us_formats_and_a_bom() {
    // tests/cases/formats-us/deals.csv starts with a UTF-8 byte order mark (checked here, so that the
    // test keeps testing it), uses "Opportunity ID"-style headers, %m/%d/%Y dates and "$1,234.50" amounts.
    let bytes = std::fs::read(case_dir("formats-us").join("deals.csv")).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let run = run_case("formats-us", "2026-Q1");
    // January, Closed Won: OPP-1 "$1,234.50" (01/15) + OPP-3 "$500" (01/31) = 1,734.50 → × 10% = 173.45;
    // OPP-4 "$9,999.99" is Closed Lost
    assert_eq!(
        run.get("R1", "commission", "2026-01", "measure_to_date"),
        "1734.50"
    );
    assert_eq!(run.payable("R1", "commission", "2026-01"), "173.45");
    // February: OPP-2 "12,000.00" on 02/01 (February 1st, not January 2nd) → 1,200.00
    assert_eq!(run.payable("R1", "commission", "2026-02"), "1200.00");
    let jan = run.lines("2026-01", "R1", "commission");
    let seen: Vec<(&str, &str, &str)> = jan
        .iter()
        .map(|l| {
            (
                l["deal_id"].as_str(),
                l["date"].as_str(),
                l["deal_value"].as_str(),
            )
        })
        .collect();
    // deals in (date, id) order: 1,234.50 × 10% = 123.45 and 500 × 10% = 50.00
    assert_eq!(
        seen,
        [
            ("OPP-1", "2026-01-15", "1234.50"),
            ("OPP-3", "2026-01-31", "500.00")
        ]
    );
    // source lines count the header as line 1: OPP-1 is on line 2, OPP-3 on line 4
    assert_eq!(jan[0]["source"], "deals.csv:2");
    assert_eq!(jan[1]["source"], "deals.csv:4");
}

#[test]
fn european_dates_and_decimal_commas() {
    // tests/cases/formats-eu: %d.%m.%Y dates, "1.234,50 €" amounts, German headers.
    let run = run_case("formats-eu", "2026-Q1");
    // January: "1.234,50 €" (15.01.) + "€ 2.000,00" (31.01.) = 1,234.50 + 2,000.00 = 3,234.50 → 323.45
    assert_eq!(
        run.get("R1", "commission", "2026-01", "measure_to_date"),
        "3234.50"
    );
    assert_eq!(run.payable("R1", "commission", "2026-01"), "323.45");
    // February: "765,50" on 01.02.2026 (1 February) → 765.50 × 10% = 76.55
    assert_eq!(run.payable("R1", "commission", "2026-02"), "76.55");
}

#[test]
fn monthly_quota_rows_sum_to_the_quarter() {
    // tests/cases/quotas: R1 quota rows 2026-01 30,000 + 2026-02 30,000 + 2026-03 40,000 = 100,000 for
    // 2026-Q1; tiers 0–100% at 5%, ≥100% at 10%, measured per quarter, paid monthly.
    let run = run_case("quotas", "2026-Q1");
    assert_eq!(run.get("R1", "commission", "2026-01", "quota"), "100000.00");
    // January: 60,000 × 5% = 3,000.00; attainment 60,000 ÷ 100,000 = 0.6 (not 60,000 ÷ 30,000)
    assert_eq!(run.payable("R1", "commission", "2026-01"), "3000.00");
    assert_eq!(
        run.get("R1", "commission", "2026-01", "attainment"),
        "0.600000"
    );
    // February: no deals → 0.00
    assert_eq!(run.payable("R1", "commission", "2026-02"), "0.00");
    // March: 50,000 more, 60,000 → 110,000: 40,000 × 5% = 2,000 + 10,000 × 10% = 1,000 → 3,000.00;
    // earned to date 3,000 + 3,000 = 6,000.00; attainment 110,000 ÷ 100,000 = 1.1
    assert_eq!(run.payable("R1", "commission", "2026-03"), "3000.00");
    assert_eq!(
        run.get("R1", "commission", "2026-03", "earned_to_date"),
        "6000.00"
    );
    assert_eq!(
        run.get("R1", "commission", "2026-03", "attainment"),
        "1.100000"
    );
}

#[test]
fn a_missing_quota_names_rep_and_period() {
    // Only January and February rows: they do not tile 2026-Q1, so the quarter has no quota.
    let stderr = fail(
        &[
            "-w",
            &workspace("quotas"),
            "--quotas",
            "tests/cases/quotas/quotas-missing-march.csv",
            "run",
            "--period",
            "2026-Q1",
        ],
        1,
    );
    assert!(stderr.contains("quota-missing"), "{stderr}");
    assert!(stderr.contains("R1"), "{stderr}");
    assert!(stderr.contains("2026-Q1"), "{stderr}");
}

#[test]
fn a_quota_of_zero_or_below_is_an_error() {
    for file in ["quotas-zero.csv", "quotas-negative.csv"] {
        let path = format!("tests/cases/quotas/{file}");
        let stderr = fail(
            &[
                "-w",
                &workspace("quotas"),
                "--quotas",
                &path,
                "run",
                "--period",
                "2026-Q1",
            ],
            1,
        );
        assert!(stderr.contains("quota-not-positive"), "{file}: {stderr}");
        // the quota row is line 2 of the file
        assert!(stderr.contains(&format!("{path}:2")), "{file}: {stderr}");
    }
}
