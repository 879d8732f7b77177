//! Finance outputs on tests/cases/accounting: `payout amortize` (capitalisation and amortisation of
//! commissions), payroll.csv, `payout balances`.
//!
//! The case: plan `ae` pays 10% of each deal monthly, its `new_business` component is capitalised
//! (`months = 24` by default, a deal's `term_months` wins); clawbacks keep attainment (a `clawback`
//! line). Rita (R1, cost centre CC-EAST): A1 10,000 Jan 15, new, 36 months → 1,000.00; A2 6,000
//! Jan 20, new, 12 months → 600.00; A4 2,400 Jan 25, new, 24 months, cancelled Apr 10 → 240.00;
//! A3 4,800 Feb 10, renewal, 24 months → 480.00. Raj (R2, plan `sdr`): 5% with a recoverable draw
//! of 1,000 a month; B1 4,000 Jan 12 → 200.00, B2 30,000 Mar 5 → 1,500.00.

use crate::util::{dec, payout, read_csv, scratch_copy, workspace, write, Record};

/// `payout amortize --from 2026-01 --through THROUGH --out DIR` on a workspace; the output folder.
fn amortize(ws: &str, through: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = payout()
        .args(["-w", ws, "amortize", "--from", "2026-01"])
        .args(["--through", through, "--out"])
        .arg(dir.path())
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "amortize failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn rows_of<'a>(schedule: &'a [Record], deal: &str) -> Vec<&'a Record> {
    schedule.iter().filter(|r| r["deal_id"] == deal).collect()
}

fn month<'a>(rows: &'a [Record], month: &str) -> &'a Record {
    rows.iter()
        .find(|r| r["month"] == month)
        .unwrap_or_else(|| panic!("no row for {month}"))
}

#[test]
fn a_36_month_contract_is_amortised_straight_line_with_the_rounding_carried() {
    let dir = amortize(&workspace("accounting"), "2028-12");
    let schedule = read_csv(&dir.path().join("schedule.csv"));
    let a1 = rows_of(&schedule, "A1");
    // 36 months from January 2026 to December 2028; the balance after k months is
    // 1,000 × (36 − k) / 36 rounded: 972.22, 944.44, 916.67, so the months amortise
    // 27.78, 27.78, 27.77 (the rounding carried), and the 36 months sum to 1,000.00 exactly.
    assert_eq!(a1.len(), 36);
    let got: Vec<(&str, &str, &str)> = a1[..3]
        .iter()
        .map(|r| {
            (
                r["month"].as_str(),
                r["amortised"].as_str(),
                r["balance"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-01", "27.78", "972.22"),
            ("2026-02", "27.78", "944.44"),
            ("2026-03", "27.77", "916.67")
        ]
    );
    assert_eq!(a1[0]["capitalised"], "1000.00");
    assert_eq!(a1[0]["months"], "36");
    assert_eq!(a1[35]["month"], "2028-12");
    assert_eq!(a1[35]["balance"], "0.00");
    let total: rust_decimal::Decimal = a1.iter().map(|r| dec(&r["amortised"])).sum();
    assert_eq!(total, dec("1000.00"));
}

#[test]
fn a_term_of_12_months_or_less_is_expensed_by_the_practical_expedient() {
    let dir = amortize(&workspace("accounting"), "2026-03");
    let schedule = read_csv(&dir.path().join("schedule.csv"));
    let a2 = rows_of(&schedule, "A2");
    // A2's term is 12 months: its 600.00 is expensed in January, never capitalised.
    assert_eq!(a2.len(), 1);
    assert_eq!(
        (
            a2[0]["treatment"].as_str(),
            a2[0]["expensed"].as_str(),
            a2[0]["capitalised"].as_str()
        ),
        ("expensed", "600.00", "0.00")
    );
    let journal = read_csv(&dir.path().join("journal.csv"));
    let jan: Vec<(&str, &str, &str, &str)> = journal
        .iter()
        .filter(|r| r["month"] == "2026-01")
        .map(|r| {
            (
                r["entry"].as_str(),
                r["account"].as_str(),
                r["debit"].as_str(),
                r["credit"].as_str(),
            )
        })
        .collect();
    // January, cost centre CC-EAST: capitalised A1 1,000 + A4 240 = 1,240; expensed A2 600;
    // amortised A1 27.78 + A4 240/24 = 10.00 → 37.78.
    assert_eq!(
        jan,
        [
            ("capitalise", "Capitalised commissions", "1240.00", "0.00"),
            ("capitalise", "Commissions payable", "0.00", "1240.00"),
            ("expense", "Commission expense", "600.00", "0.00"),
            ("expense", "Commissions payable", "0.00", "600.00"),
            ("amortise", "Commission expense", "37.78", "0.00"),
            ("amortise", "Capitalised commissions", "0.00", "37.78"),
        ]
    );
    assert!(journal.iter().all(|r| r["cost_centre"] == "CC-EAST"));
}

#[test]
fn initial_commissions_use_the_customer_life_when_renewals_are_not_commensurate() {
    let dir = scratch_copy("accounting");
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("workspace");
    let toml = toml.replace(
        "cost_centre_column",
        "renewals_commensurate = false\ncustomer_life_months = 60\ncost_centre_column",
    );
    write(dir.path(), "payout.toml", &toml);
    let out = amortize(
        &dir.path().join("payout.toml").display().to_string(),
        "2026-02",
    );
    let schedule = read_csv(&out.path().join("schedule.csv"));
    // Initial deals over the 60-month customer life: A1 1,000 × 59/60 = 983.33 after January
    // (16.67 amortised); A2's 600 is now capitalised too (60 months > 12): 600/60 = 10.00 a month.
    // The renewal A3 keeps its own 24-month term: 480/24 = 20.00.
    let a1 = rows_of(&schedule, "A1");
    assert_eq!(
        (
            a1[0]["months"].as_str(),
            a1[0]["amortised"].as_str(),
            a1[0]["balance"].as_str()
        ),
        ("60", "16.67", "983.33")
    );
    let a2 = rows_of(&schedule, "A2");
    assert_eq!(
        (
            a2[0]["treatment"].as_str(),
            a2[0]["capitalised"].as_str(),
            a2[0]["amortised"].as_str()
        ),
        ("capitalised", "600.00", "10.00")
    );
    let a3 = rows_of(&schedule, "A3");
    assert_eq!(
        (a3[0]["months"].as_str(), a3[0]["amortised"].as_str()),
        ("24", "20.00")
    );
}

#[test]
fn a_clawback_mid_schedule_impairs_the_balance_left() {
    let dir = amortize(&workspace("accounting"), "2026-06");
    let schedule = read_csv(&dir.path().join("schedule.csv"));
    let a4 = rows_of(&schedule, "A4");
    // A4: 240 over 24 months, 10.00 a month in January to March (balance 210.00); cancelled
    // April 10: the April run claws back 240.00 and the 210.00 left is impaired; the schedule
    // ends there.
    let apr = month(
        &a4.iter().map(|r| (*r).clone()).collect::<Vec<_>>(),
        "2026-04",
    )
    .clone();
    assert_eq!(
        (
            apr["impaired"].as_str(),
            apr["recovered"].as_str(),
            apr["amortised"].as_str(),
            apr["balance"].as_str()
        ),
        ("210.00", "240.00", "0.00", "0.00")
    );
    assert_eq!(a4.len(), 4);
    let roll = read_csv(&dir.path().join("rollforward.csv"));
    // April: opening 1,566.67 (January 1,240 − 37.78 = 1,202.22; February + 480 − 57.78 =
    // 1,624.44; March − 57.77: A1 27.77 + A4 10 + A3 20); amortised A1 27.78 + A3 20.00 = 47.78;
    // impaired 210.00; closing 1,566.67 − 47.78 − 210.00 = 1,308.89 = A1 888.89 + A3 420.00.
    let apr = month(&roll, "2026-04");
    let got: Vec<&str> = ["opening", "capitalised", "amortised", "impaired", "closing"]
        .iter()
        .map(|k| apr[*k].as_str())
        .collect();
    assert_eq!(got, ["1566.67", "0.00", "47.78", "210.00", "1308.89"]);
    for r in &roll {
        assert_eq!(
            dec(&r["opening"]) + dec(&r["capitalised"])
                - dec(&r["amortised"])
                - dec(&r["impaired"]),
            dec(&r["closing"])
        );
    }
}

#[test]
fn a_closed_month_keeps_what_the_ledger_recorded() {
    let dir = scratch_copy("accounting");
    let ws = dir.path().join("payout.toml").display().to_string();
    let closed = payout()
        .args(["-w", &ws, "close", "-p", "2026-01", "--approved-by", "Dana"])
        .args(["--closed-at", "2026-02-02T09:00:00Z"])
        .output()
        .expect("payout runs");
    assert!(
        closed.status.success(),
        "{}",
        String::from_utf8_lossy(&closed.stderr)
    );
    // close wrote January's payroll file too: Rita 1,840.00 (A1 1,000 + A2 600 + A4 240) and Raj
    // the draw's 1,000.00 (B1's 200 + a top-up of 800).
    let payroll = read_csv(&dir.path().join("payroll/payroll-2026-01.csv"));
    let got: Vec<(&str, &str, &str)> = payroll
        .iter()
        .map(|r| {
            (
                r["File #"].as_str(),
                r["Earnings Code"].as_str(),
                r["Earnings Amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("E-100", "COMM-NB", "1840.00"),
            ("E-200", "COMM", "1000.00")
        ]
    );
    // A1 is changed after the close: 12,000 now earns 1,200.00.
    let deals = std::fs::read_to_string(dir.path().join("deals.csv")).expect("deals");
    write(
        dir.path(),
        "deals.csv",
        &deals.replace("A1,R1,10000", "A1,R1,12000"),
    );
    let out = amortize(&ws, "2026-02");
    let roll = read_csv(&out.path().join("rollforward.csv"));
    // January capitalises what the ledger recorded: 1,840 paid − A2's 600 expensed = 1,240.00 (A1
    // 1,200 + A4 240 + the recorded difference −200); February capitalises A3's 480 and the +200
    // correction paid in it: 680.00.
    assert_eq!(month(&roll, "2026-01")["capitalised"], "1240.00");
    assert_eq!(month(&roll, "2026-02")["capitalised"], "680.00");
}

#[test]
fn payroll_rows_in_a_preset_and_a_custom_layout() {
    let run = crate::util::run_with(&workspace("accounting"), "2026-Q1", &[]);
    let payroll = read_csv(&run.out().join("payroll.csv"));
    // Listed with its hash among the run's outputs, like every file the run writes.
    assert!(run
        .read("manifest.json")
        .contains("\"path\": \"payroll.csv\""));
    // A workspace without [payroll] writes none.
    let plain = crate::util::run_case("flat", "2026-01");
    assert!(!plain.out().join("payroll.csv").exists());
    // ADP-style preset: File # (the roster's employee_no), Pay Date (the payout period's last day),
    // Earnings Code (new_business → COMM-NB, commission → COMM), Earnings Amount. Rita: January
    // 1,840.00, February A3's 480.00, March nothing (no row). Raj: the draw's 1,000.00 each month
    // (January 200 + 800, February 0 + 1,000, March 1,500 − 500 recovered).
    let got: Vec<Vec<&str>> = payroll
        .iter()
        .map(|r| {
            ["File #", "Pay Date", "Earnings Code", "Earnings Amount"]
                .iter()
                .map(|k| r[*k].as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        got,
        [
            ["E-100", "2026-01-31", "COMM-NB", "1840.00"],
            ["E-100", "2026-02-28", "COMM-NB", "480.00"],
            ["E-200", "2026-01-31", "COMM", "1000.00"],
            ["E-200", "2026-02-28", "COMM", "1000.00"],
            ["E-200", "2026-03-31", "COMM", "1000.00"],
        ]
    );
    let dir = scratch_copy("accounting");
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("workspace");
    let toml = toml.replace(
        "layout = \"adp\"",
        "layout = \"custom\"\npay_days_after = 5\ncolumns = [{ header = \"Emp\", value = \"employee_id\" }, { header = \"Who\", value = \"name\" }, { header = \"Paid\", value = \"pay_date\" }, { header = \"Code\", value = \"earnings_code\" }, { header = \"Sum\", value = \"amount\" }, { header = \"Cur\", value = \"currency\" }, { header = \"Batch\", value = \"text:=COMMISSIONS\" }]",
    );
    write(dir.path(), "payout.toml", &toml);
    let run = crate::util::run_with(
        &dir.path().join("payout.toml").display().to_string(),
        "2026-01",
        &[],
    );
    let text = run.read("payroll.csv");
    // Paid 5 days after January 31; the fixed text that looks like a formula is neutralised.
    assert_eq!(
        text,
        "Emp,Who,Paid,Code,Sum,Cur,Batch\n\
         E-100,Rita One,2026-02-05,COMM-NB,1840.00,USD,'=COMMISSIONS\n\
         E-200,Raj Two,2026-02-05,COMM,1000.00,USD,'=COMMISSIONS\n"
    );
}

#[test]
fn balances_list_draws_carried_negatives_and_their_periods() {
    let out = payout()
        .args([
            "-w",
            &workspace("accounting"),
            "balances",
            "-p",
            "2026-H1",
            "--format",
            "csv",
        ])
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = crate::util::parse_csv(&String::from_utf8_lossy(&out.stdout));
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["rep_id"].as_str(),
                r["kind"].as_str(),
                r["period"].as_str(),
                r["amount"].as_str(),
            )
        })
        .collect();
    // Rita: April's payable is A4's clawback −240 → carried forward, deducted and carried again
    // each month to June: 240 from April. Raj's recoverable draw: January 1,000 − 200 = 800,
    // February 1,000, March 1,500 earned − 1,000 guaranteed = 500 recovered from the oldest
    // (January: 800 − 500 = 300 left), April to June 1,000 each (no deals).
    assert_eq!(
        got,
        [
            ("R1", "carried-negative", "2026-04", "240.00"),
            ("R2", "draw", "2026-01", "300.00"),
            ("R2", "draw", "2026-02", "1000.00"),
            ("R2", "draw", "2026-04", "1000.00"),
            ("R2", "draw", "2026-05", "1000.00"),
            ("R2", "draw", "2026-06", "1000.00"),
        ]
    );
}

#[test]
fn a_payroll_layout_that_cannot_be_written_is_refused_before_anything_is_computed() {
    let dir = scratch_copy("accounting");
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("workspace");
    write(
        dir.path(),
        "payout.toml",
        &toml.replace("layout = \"adp\"", "layout = \"sage\""),
    );
    let ws = dir.path().join("payout.toml").display().to_string();
    let stderr = crate::util::fail(&["-w", &ws, "check", "-p", "2026-01"], 1);
    assert!(
        stderr.contains("error[workspace-value-invalid]: [payroll] layout = \"sage\""),
        "{stderr}"
    );
}

#[test]
fn a_clawed_back_share_impairs_that_share_and_the_rest_is_amortised_over_the_months_left() {
    let dir = scratch_copy("accounting");
    // A4 keeps 1,800 of its 2,400: a quarter is cancelled on April 10.
    let deals =
        "deal_id,rep_id,amount,close_date,deal_type,term_months,cancel_date,cancelled_amount
A1,R1,10000,2026-01-15,new,36,,
A2,R1,6000,2026-01-20,new,12,,
A4,R1,2400,2026-01-25,new,24,2026-04-10,600
A3,R1,4800,2026-02-10,renewal,24,,
B1,R2,4000,2026-01-12,new,,,
B2,R2,30000,2026-03-05,new,,,
";
    write(dir.path(), "deals.csv", deals);
    let out = amortize(
        &dir.path().join("payout.toml").display().to_string(),
        "2026-05",
    );
    let schedule = read_csv(&out.path().join("schedule.csv"));
    let a4: Vec<Record> = rows_of(&schedule, "A4").into_iter().cloned().collect();
    // 240 over 24 months: 210.00 left at the start of April. The clawback takes back 240 × 600 /
    // 2,400 = 60.00, a quarter: 210 × 1/4 = 52.50 impaired; 157.50 left over the 21 months left:
    // April closes at 157.50 × 20/21 = 150.00 (7.50 amortised), May at 157.50 × 19/21 = 142.50.
    let apr = month(&a4, "2026-04");
    assert_eq!(
        (
            apr["recovered"].as_str(),
            apr["impaired"].as_str(),
            apr["amortised"].as_str(),
            apr["balance"].as_str()
        ),
        ("60.00", "52.50", "7.50", "150.00")
    );
    assert_eq!(month(&a4, "2026-05")["balance"], "142.50");
}

#[test]
fn balances_read_the_closed_periods_from_the_ledger_held_commission_included() {
    // tests/cases/ledger: Sam (S1, plan sdr) 5% with a recoverable draw of 1,000 (at most 300
    // recovered a month); Hana (H1, plan services) 10% with half of a deal's commission held until
    // it is paid. January is closed first.
    let dir = scratch_copy("ledger");
    let ws = dir.path().join("payout.toml").display().to_string();
    let closed = payout()
        .args(["-w", &ws, "close", "-p", "2026-01", "--approved-by", "Dana"])
        .args(["--closed-at", "2026-02-02T09:00:00Z"])
        .output()
        .expect("payout runs");
    assert!(
        closed.status.success(),
        "{}",
        String::from_utf8_lossy(&closed.stderr)
    );
    let out = payout()
        .args(["-w", &ws, "balances", "-p", "2026-02", "--format", "csv"])
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = crate::util::parse_csv(&String::from_utf8_lossy(&out.stdout));
    let got: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["rep_id"].as_str(),
                r["kind"].as_str(),
                r["period"].as_str(),
                r["deal_id"].as_str(),
                r["amount"].as_str(),
            )
        })
        .collect();
    // Hana: H-1 (10,000 in January, paid March 5) earned 1,000, half held in January (the ledger's
    // hold row): 500.00 still held after February. Sam: January's S-1 4,000 earned 200, the draw
    // topped up 800 (the ledger's balance); February's S-2 30,000 earns 1,500, 500 above the draw,
    // of which at most 300 is recovered: 800 − 300 = 500.00 left, from January.
    assert_eq!(
        got,
        [
            ("H1", "held", "2026-01", "H-1", "500.00"),
            ("S1", "draw", "2026-01", "", "500.00"),
        ]
    );
}

#[test]
fn a_clawback_reducing_attainment_impairs_the_deal_closed_months_unchanged() {
    // The default clawback: the cancelled deal leaves the measures, and the closed period it was
    // paid in is corrected in the next open one.
    let dir = scratch_copy("accounting");
    let ws = dir.path().join("payout.toml").display().to_string();
    let plan = std::fs::read_to_string(dir.path().join("plans/ae.toml")).expect("plan");
    write(
        dir.path(),
        "plans/ae.toml",
        &plan.replace("reduce_attainment = false", "reduce_attainment = true"),
    );
    // January to March are closed before A4 is cancelled.
    let deals = std::fs::read_to_string(dir.path().join("deals.csv")).expect("deals");
    write(
        dir.path(),
        "deals.csv",
        &deals.replace(",24,2026-04-10", ",24,"),
    );
    for m in ["2026-01", "2026-02", "2026-03"] {
        let closed = payout()
            .args(["-w", &ws, "close", "-p", m, "--approved-by", "Dana"])
            .args(["--closed-at", "2026-04-01T09:00:00Z"])
            .output()
            .expect("payout runs");
        assert!(
            closed.status.success(),
            "{}",
            String::from_utf8_lossy(&closed.stderr)
        );
    }
    let before = read_csv(&amortize(&ws, "2026-03").path().join("rollforward.csv"));
    write(dir.path(), "deals.csv", &deals);
    let out = amortize(&ws, "2026-05");
    let roll = read_csv(&out.path().join("rollforward.csv"));
    // January to March are what they were: the ledger recorded A4's 240 in January; the data now
    // leave A4 out, so January's recorded − computed = 240 is A4's cost (the one cancelled deal of
    // the period), 10.00 a month over its 24 months.
    assert_eq!(roll[..3], before[..]);
    // April pays the prior-period correction of January, −240: A4's 210.00 left is impaired, as
    // with a clawback line.
    let schedule = read_csv(&out.path().join("schedule.csv"));
    let a4: Vec<Record> = rows_of(&schedule, "A4").into_iter().cloned().collect();
    let apr = month(&a4, "2026-04");
    assert_eq!(
        (
            apr["impaired"].as_str(),
            apr["recovered"].as_str(),
            apr["balance"].as_str()
        ),
        ("210.00", "240.00", "0.00")
    );
    let apr = month(&roll, "2026-04");
    assert_eq!(
        (apr["impaired"].as_str(), apr["closing"].as_str()),
        ("210.00", "1308.89")
    );
}

#[test]
fn a_roster_column_the_payroll_names_and_the_roster_lacks_stops_the_run() {
    let dir = scratch_copy("accounting");
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("workspace");
    write(
        dir.path(),
        "payout.toml",
        &toml.replace(
            "employee_id_column = \"employee_no\"",
            "employee_id_column = \"payroll_id\"",
        ),
    );
    let ws = dir.path().join("payout.toml").display().to_string();
    let out = tempfile::tempdir().expect("a temporary folder");
    let target = out.path().join("out").display().to_string();
    let stderr = crate::util::fail(&["-w", &ws, "run", "-p", "2026-01", "-o", &target], 1);
    assert!(
        stderr.contains("error[column-missing]: the workspace names roster column `payroll_id`"),
        "{stderr}"
    );
    assert!(!out.path().join("out/payouts.csv").exists());
}

#[test]
fn from_leaves_out_the_costs_of_earlier_months() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = payout()
        .args([
            "-w",
            &workspace("accounting"),
            "amortize",
            "--from",
            "2026-02",
        ])
        .args(["--through", "2026-03", "--out"])
        .arg(dir.path())
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let roll = read_csv(&dir.path().join("rollforward.csv"));
    // Only A3's 480 (February, 24 months: 20.00 a month) is in: January's costs are before --from.
    let got: Vec<(&str, &str, &str, &str)> = roll
        .iter()
        .map(|r| {
            (
                r["month"].as_str(),
                r["opening"].as_str(),
                r["capitalised"].as_str(),
                r["closing"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-02", "0.00", "480.00", "460.00"),
            ("2026-03", "460.00", "0.00", "440.00")
        ]
    );
}

#[test]
fn balances_after_a_month_name_the_open_months_they_came_from_as_after_the_half_year() {
    // June alone settles January to May first (nothing is closed), so every balance is named by
    // the month it came from exactly as when the whole half year is run: Raj's January draw
    // balance of 300.00 is January's, not June's.
    let balances = |period: &str| {
        let out = payout()
            .args(["-w", &workspace("accounting"), "balances", "-p", period])
            .args(["--format", "csv"])
            .output()
            .expect("payout runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let june = balances("2026-06");
    assert!(june.contains(",2026-01,"), "{june}");
    assert_eq!(june, balances("2026-H1"));
}

/// A table row's cells, trimmed (comfy-table's `┆` separators), for the row whose cells start with
/// `first`.
fn table_rows<'a>(table: &'a str, first: &str) -> Vec<Vec<&'a str>> {
    table
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_matches('│')
                .split('┆')
                .map(str::trim)
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells[0] == first)
        .collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = payout().args(args).output().expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_balances_table_totals_each_kind_apart_and_json_lists_the_rows() {
    let ws = workspace("accounting");
    let table = stdout_of(&["-w", &ws, "balances", "-p", "2026-H1"]);
    // Owed by Rita: April's carried negative of 240.00. Owed by Raj: the draw balances of January
    // (300.00 after March's 500 recovery), February, April, May and June (1,000.00 each):
    // 300 + 4 × 1,000 = 4,300.00. The two kinds are totalled apart, never as 4,540.00.
    let totals: Vec<(&str, &str, &str)> = table_rows(&table, "Total")
        .iter()
        .map(|c| (c[4], c[7], c[8]))
        .collect();
    assert_eq!(
        totals,
        [
            ("carried-negative", "240.00", "USD"),
            ("draw", "4,300.00", "USD")
        ],
        "{table}"
    );
    assert_eq!(table_rows(&table, "R2")[0][1], "Raj Two", "{table}");

    let json = stdout_of(&["-w", &ws, "balances", "-p", "2026-Q1", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("balances print JSON");
    let got: Vec<(&str, &str, &str, &str)> = rows
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().expect("string values");
            (s("rep_id"), s("period"), s("amount"), s("currency"))
        })
        .collect();
    // Through March: January's 300.00 left after the recovery, February's 1,000.00.
    assert_eq!(
        got,
        [
            ("R2", "2026-01", "300.00", "USD"),
            ("R2", "2026-02", "1000.00", "USD")
        ]
    );
}

#[test]
fn the_roll_forward_on_stdout_ends_with_the_span_s_total() {
    let ws = workspace("accounting");
    let table = stdout_of(&[
        "-w",
        &ws,
        "amortize",
        "--from",
        "2026-01",
        "--through",
        "2026-04",
    ]);
    // Capitalised: January 1,000.00 + 240.00 (A1, A4; A2's 12 months are expensed), February
    // 480.00 (A3): 1,720.00. Amortised: 37.78 + 57.78 + 57.77 + 47.78 = 201.11. Impaired: A4's
    // balance at its April clawback, 210.00. Closing: 0.00 + 1,720.00 − 201.11 − 210.00 = 1,308.89,
    // April's closing.
    assert_eq!(
        table_rows(&table, "Total"),
        [["Total", "USD", "0.00", "1,720.00", "201.11", "210.00", "1,308.89"]],
        "{table}"
    );
    assert_eq!(table_rows(&table, "2026-04")[0][6], "1,308.89", "{table}");
}

#[test]
fn an_empty_export_capitalises_nothing_says_so_and_fails_under_deny_warnings() {
    let dir = scratch_copy("accounting");
    let deals = dir.path().join("deals.csv");
    let header = std::fs::read_to_string(&deals)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&deals, format!("{header}\n")).unwrap();
    let ws = dir.path().join("payout.toml");
    let ws = ws.to_str().unwrap();
    // No deal, no cost: no roll-forward table (not a header with no rows), and the reason.
    payout()
        .args([
            "-w",
            ws,
            "amortize",
            "--from",
            "2026-01",
            "--through",
            "2026-04",
        ])
        .assert()
        .success()
        .stdout("")
        .stderr(predicates::str::contains("warning[deals-empty]"))
        .stderr(predicates::str::contains(
            "nothing capitalised from 2026-01 through 2026-04",
        ));
    payout()
        .args([
            "-w",
            ws,
            "--deny-warnings",
            "amortize",
            "--through",
            "2026-04",
        ])
        .assert()
        .code(1)
        .stdout("");
}

#[test]
fn the_example_workspace_capitalises_its_account_executives_commissions() {
    // payout.toml capitalises ae-mm's and ae-ent's commission over 36 months, upsells over 24.
    // Tyler Brooks (A004): OPP-10024, new business, January: 28,000 × 4% = 1,120.00; after one of
    // 36 months 1,120.00 × 35/36 = 1,088.888… → 1,088.89, so 31.11 amortised. OPP-10137, an
    // upsell, March: 2,480.88 + 418.68 = 2,899.56 over 24 months: × 23/24 = 2,778.745 → 2,778.75
    // (half away from zero), so 120.81 amortised.
    let dir = amortize("payout.toml", "2026-03");
    let schedule = read_csv(&dir.path().join("schedule.csv"));
    // A deal's month of the schedule: (months, capitalised, amortised, balance).
    let row = |deal: &str, month: &str| {
        let r = schedule
            .iter()
            .find(|r| r["deal_id"] == deal && r["month"] == month)
            .unwrap_or_else(|| panic!("{deal} {month}"));
        let cell = |c: &str| r[c].clone();
        (
            cell("months"),
            cell("capitalised"),
            cell("amortised"),
            cell("balance"),
        )
    };
    let text = |t: (&str, &str, &str, &str)| {
        (
            t.0.to_string(),
            t.1.to_string(),
            t.2.to_string(),
            t.3.to_string(),
        )
    };
    assert_eq!(
        row("OPP-10024", "2026-01"),
        text(("36", "1120.00", "31.11", "1088.89"))
    );
    assert_eq!(
        row("OPP-10137", "2026-03"),
        text(("24", "2899.56", "120.81", "2778.75"))
    );
}

#[test]
fn the_example_workspace_gives_every_component_an_earnings_code() {
    // A payroll import rejects codes it does not know: the example maps each of its plans'
    // components, so no row falls back to a component id.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("out");
    payout()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let payroll = read_csv(&out.join("payroll.csv"));
    assert!(!payroll.is_empty());
    for row in &payroll {
        assert!(
            ["COMM", "OVRD", "BONUS", "SPIFF"].contains(&row["earnings_code"].as_str()),
            "{row:?}"
        );
    }
}
