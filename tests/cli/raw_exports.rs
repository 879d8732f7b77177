//! Raw CRM exports run strict: a deal row is validated for what its use needs. Open deals without an
//! amount or a close date and unassigned deals are fine while no measure of the run takes them (the
//! reconciliation says why each was left out: the filter condition, or no owner); a deal a measure
//! does select still needs its amount, close date and owner (`value-missing`, naming file, line and
//! column).
//!
//! tests/cases/raw-crm: plan `ae` pays 10% of the month's bookings of deals with Stage "Closed won"
//! and Pipeline "New business"; the export (US dates, CRM headers) has
//!   O1 R1 10,000 01/10 Closed won  New business → credited
//!   O2 R1  5,000 01/20 Closed won  Renewals     → not selected: Pipeline
//!   O3 R1  —     —     Open        New business → not selected: stage (no amount, no close date)
//!   O4 —   7,000 02/15 Open        New business → no owner
//!   O5 R2  —     03/01 Prospecting New business → outside January
//!   O6 R2  2,500 01/31 Closed won  New business → credited
//!   O7 —   —     —     Open        Renewals     → no owner

use crate::util::{fail, read_csv, run_case, run_with, scratch_copy};

const HEADER: &str = "Opportunity ID,Opportunity Owner,Amount,Close Date,Stage,Pipeline\n";

/// The case's deals with `extra` rows appended (O8 on line 9).
fn with_rows(extra: &str) -> tempfile::TempDir {
    let dir = scratch_copy("raw-crm");
    let deals = dir.path().join("deals.csv");
    let mut text = std::fs::read_to_string(&deals).expect("deals.csv");
    assert!(text.starts_with(HEADER));
    text.push_str(extra);
    std::fs::write(&deals, text).expect("write deals.csv");
    dir
}

fn ws(dir: &tempfile::TempDir) -> String {
    dir.path().join("payout.toml").display().to_string()
}

#[test]
fn a_raw_export_runs_strict_and_reconciles_every_row_with_its_reason() {
    let run = run_case("raw-crm", "2026-01");
    // R1: O1 10,000.00 × 10% = 1,000.00; R2: O6 2,500.00 × 10% = 250.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1000.00");
    assert_eq!(run.payable("R2", "commission", "2026-01"), "250.00");

    let rec = read_csv(&run.out().join("reconciliation.csv"));
    let rows: Vec<(&str, &str, &str)> = rec
        .iter()
        .map(|r| {
            (
                r["status"].as_str(),
                r["rows"].as_str(),
                r["amount"].as_str(),
            )
        })
        .collect();
    let plan = "plans/ae.toml:5";
    let pipeline =
        format!("not selected: Pipeline \"Renewals\" fails Pipeline = \"New business\" (measure bookings, {plan})");
    let stage = format!(
        "not selected: stage \"Open\" fails stage = \"Closed won\" (measure bookings, {plan})"
    );
    assert_eq!(
        rows,
        [
            // 10,000 + 5,000 + 7,000 + 2,500 = 24,500.00 (an empty amount counts 0)
            ("input", "7", "24500.00"),
            // O1 + O6 = 12,500.00
            ("credited", "2", "12500.00"),
            // O5, dated March, amount empty
            ("outside the run's periods", "1", "0.00"),
            // O2: closed won, but another pipeline
            (pipeline.as_str(), "1", "5000.00"),
            // O3: open, neither amount nor close date
            (stage.as_str(), "1", "0.00"),
            // O4 7,000 + O7 (empty) = 7,000.00
            ("no owner (rep_id empty)", "2", "7000.00"),
        ]
    );
    // 2 + 1 + 1 + 1 + 2 = 7 rows, 12,500 + 0 + 5,000 + 0 + 7,000 = 24,500.00: every row accounted for
    assert!(
        run.stderr.contains("7 deal rows: 2 credited, 1 outside the run's periods, 2 not selected by any measure, 2 no owner (rep_id empty)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_selected_deal_still_needs_its_amount_close_date_and_owner() {
    let cases = [
        // closed won in January, no amount
        ("O8,R1,,01/12/2026,Closed won,New business\n", "column `Amount`: deal `O8` is selected by plan `ae` but its `amount` is empty"),
        // closed won, no close date: it cannot be placed in a period, whatever the run's
        ("O8,R1,900,,Closed won,New business\n", "column `Close Date`: deal `O8` is selected by plan `ae` but its close date is empty"),
        // closed won in January, no owner
        ("O8,,900,01/12/2026,Closed won,New business\n", "column `Opportunity Owner`: deal `O8` has no owner, and measure `bookings` of plan `ae` would credit it in this run"),
    ];
    for (row, message) in cases {
        let dir = with_rows(row);
        let stderr = fail(&["-w", &ws(&dir), "run"], 1);
        let expected = format!("deals.csv:9: error[value-missing]: {message}");
        assert!(stderr.contains(&expected), "{row}: {stderr}");
        assert!(stderr.contains("1 error(s)"), "{row}: {stderr}");

        // Lenient: the deal goes to the exceptions, the rest is paid as before (R1 1,000.00).
        let run = run_with(
            &ws(&dir),
            "2026-01",
            &["--lenient", "--max-exceptions", "100%"],
        );
        assert_eq!(
            run.payable("R1", "commission", "2026-01"),
            "1000.00",
            "{row}"
        );
        let exceptions = read_csv(&run.out().join("exceptions.csv"));
        let seen: Vec<(&str, &str)> = exceptions
            .iter()
            .map(|e| (e["line"].as_str(), e["code"].as_str()))
            .collect();
        assert_eq!(seen, [("9", "value-missing")], "{row}");
    }
}

#[test]
fn an_unassigned_won_deal_outside_the_run_is_reconciled_as_without_owner() {
    // O8, closed won in March, no owner: January's run does not need it. 1,000.00 and 250.00 as
    // without it; the "no owner" rows are O4 7,000 + O7 0 + O8 900 = 7,900.00.
    let dir = with_rows("O8,,900,03/12/2026,Closed won,New business\n");
    let run = run_with(&ws(&dir), "2026-01", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1000.00");
    assert_eq!(run.payable("R2", "commission", "2026-01"), "250.00");
    let rec = read_csv(&run.out().join("reconciliation.csv"));
    let unassigned = rec
        .iter()
        .find(|r| r["status"] == "no owner (rep_id empty)")
        .expect("a no-owner row");
    assert_eq!(
        (unassigned["rows"].as_str(), unassigned["amount"].as_str()),
        ("3", "7900.00")
    );
    // March's run needs it: O8 closed won in March has no owner.
    let stderr = fail(&["-w", &ws(&dir), "run", "--period", "2026-03"], 1);
    assert!(
        stderr.contains("deals.csv:9: error[value-missing]: column `Opportunity Owner`"),
        "{stderr}"
    );
}
