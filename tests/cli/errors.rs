//! Errors and exit codes: 1 for invalid inputs or plans (with file:line and what is wrong), 2 for usage
//! and I/O, 0 for a closed stdout pipe.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::util::{fail, payout, root, scratch_copy, workspace, write};

/// Run `payout -w <scratch>/payout.toml run --period 2026-01`, expecting exit 1; returns stderr.
fn invalid(dir: &tempfile::TempDir) -> String {
    let ws = dir.path().join("payout.toml");
    fail(
        &["-w", ws.to_str().unwrap(), "run", "--period", "2026-01"],
        1,
    )
}

#[test]
fn unknown_key_in_the_workspace_names_line_and_column() {
    let dir = scratch_copy("flat");
    // line 1 comment, line 2 currency, line 3 the misspelt key
    write(
        dir.path(),
        "payout.toml",
        "# a typo\ncurrency = \"USD\"\ncurency = \"EUR\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n",
    );
    let stderr = invalid(&dir);
    assert!(stderr.contains("payout.toml:3:1"), "{stderr}");
    assert!(stderr.contains("curency"), "{stderr}");
}

#[test]
fn unknown_key_in_a_plan_names_the_plan_file_and_line() {
    let dir = scratch_copy("flat");
    let plan = "id = \"flat\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\nid = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\nrat = \"5%\"\n";
    write(dir.path(), "plans/flat.toml", plan);
    let stderr = invalid(&dir);
    // `rat` is on line 10, column 1
    assert!(stderr.contains("flat.toml:10:1"), "{stderr}");
    assert!(stderr.contains("rat"), "{stderr}");
}

#[test]
fn a_bad_amount_names_file_line_column_and_value() {
    let dir = scratch_copy("flat");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nF1,R1,100,2026-01-10\nF2,R1,12x,2026-01-11\n",
    );
    let stderr = invalid(&dir);
    // F2 is on line 3 (the header is line 1)
    assert!(stderr.contains("deals.csv:3"), "{stderr}");
    assert!(stderr.contains("amount-invalid"), "{stderr}");
    assert!(stderr.contains("`amount`"), "{stderr}");
    assert!(stderr.contains("\"12x\""), "{stderr}");
}

#[test]
fn a_bad_amount_under_a_mapped_header_names_that_header() {
    let dir = scratch_copy("formats-us");
    // the mapped amount column is "Amount"; OPP-2's value is not a number
    write(
        dir.path(),
        "deals.csv",
        "Opportunity ID,Opportunity Owner,Amount,Close Date,Stage\nOPP-1,R1,\"$1,234.50\",01/15/2026,Closed Won\nOPP-2,R1,\"1,23,4.00\",01/16/2026,Closed Won\n",
    );
    let stderr = invalid(&dir);
    assert!(stderr.contains("deals.csv:3"), "{stderr}");
    assert!(stderr.contains("`Amount`"), "{stderr}");
    assert!(stderr.contains("\"1,23,4.00\""), "{stderr}");
}

#[test]
fn every_bad_row_of_a_file_is_reported_at_once() {
    let dir = scratch_copy("flat");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nF1,R1,abc,2026-01-10\nF2,R1,100,2026-01-11\nF3,R1,1.2.3,2026-01-12\nF4,R1,100,2026-13-01\n",
    );
    let stderr = invalid(&dir);
    // lines 2 and 4: bad amounts; line 5: a month 13
    assert!(stderr.contains("deals.csv:2"), "{stderr}");
    assert!(stderr.contains("deals.csv:4"), "{stderr}");
    assert!(stderr.contains("deals.csv:5"), "{stderr}");
    assert!(stderr.contains("date-invalid"), "{stderr}");
    assert!(!stderr.contains("deals.csv:3"), "{stderr}");
}

#[test]
fn a_missing_required_column_lists_the_headers_found() {
    let dir = scratch_copy("flat");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount\nF1,R1,100\n",
    );
    let stderr = invalid(&dir);
    assert!(stderr.contains("close_date"), "{stderr}");
    assert!(stderr.contains("deal_id, rep_id, amount"), "{stderr}");
}

#[test]
fn a_deal_of_an_unknown_rep_is_an_error() {
    let dir = scratch_copy("flat");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nF1,R1,100,2026-01-10\nF2,R9,100,2026-01-11\n",
    );
    let stderr = invalid(&dir);
    assert!(stderr.contains("rep-unknown"), "{stderr}");
    assert!(stderr.contains("deals.csv:3"), "{stderr}");
    assert!(stderr.contains("\"R9\""), "{stderr}");
}

#[test]
fn a_missing_workspace_file_exits_2() {
    let stderr = fail(
        &[
            "-w",
            "tests/cases/no-such-case/payout.toml",
            "run",
            "--period",
            "2026-01",
        ],
        2,
    );
    assert!(stderr.contains("no-such-case/payout.toml"), "{stderr}");
}

#[test]
fn a_bad_period_exits_2() {
    for period in ["2026-13", "2026-Q5", "26-Q1", "March"] {
        let stderr = fail(&["-w", &workspace("flat"), "run", "--period", period], 2);
        assert!(stderr.contains("--period"), "{period}: {stderr}");
    }
}

#[test]
fn an_unknown_flag_exits_2() {
    fail(&["-w", &workspace("flat"), "run", "--no-such-flag"], 2);
}

#[test]
fn check_passes_on_valid_inputs_and_fails_on_a_missing_quota() {
    payout()
        .args(["-w", &workspace("marginal"), "check", "--period", "2026-Q1"])
        .assert()
        .success()
        // What was checked: one plan, three reps, six deals; the quarter pays each rep monthly,
        // 3 reps × 3 months = 9 payout rows.
        .stderr(predicates::str::contains(
            "check passed: 1 plan(s), 3 rep(s), 6 deal row(s); 2026-Q1 computes 9 payout row(s) \
             (nothing written)",
        ));
    // a quota missing for the period checked is an invalid input
    let stderr = fail(
        &["-w", &workspace("marginal"), "check", "--period", "2026-Q2"],
        1,
    );
    assert!(stderr.contains("quota-missing"), "{stderr}");
}

/// Start `payout run` on the bench fixture, read one line of stdout, close the pipe, and return
/// (first line, exit code, stderr).
fn run_and_close_stdout(format: &str) -> (String, Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("payout"))
        .current_dir(root())
        .args([
            "-w",
            "benches/bench-workspace/payout.toml",
            "run",
            "--period",
            "2026",
            "--format",
            format,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut first).unwrap();
    } // the read end is closed here
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (first, out.status.code(), stderr)
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    // The bench fixture's summary is 2,400 rows (far more than a pipe buffer) in every format, so
    // payout is still writing when the reader goes away after one line, like `payout run | head -1`.
    let mut failures = Vec::new();
    for format in ["table", "csv", "json"] {
        let (first, code, stderr) = run_and_close_stdout(format);
        assert!(!first.is_empty(), "{format}: nothing on stdout");
        if code != Some(0) || stderr.contains("error") {
            failures.push(format!(
                "--format {format}: exit {code:?}, stderr: {stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn line_numbers_are_physical_lines_in_crlf_files_with_blank_lines_and_quotes() {
    // Windows exports end lines with CRLF; the csv crate's own count is one short after each CRLF.
    // deals.csv: line 1 header, 2 D1, 3 blank, 4 D2 (bad amount), 5 D3 (a quoted field, so the
    // piece is read by the csv crate path) with a bad date.
    // reps.csv: line 1 header, 2 R1, 3 R1 again (duplicate of line 2).
    let dir = scratch_copy("flat");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\r\nD1,R1,100,2026-01-10\r\n\r\nD2,R1,1x0,2026-01-11\r\nD3,R1,\"1,000\",2026-13-01\r\n",
    );
    let reps = std::fs::read_to_string(dir.path().join("reps.csv")).unwrap();
    let first = reps.lines().nth(1).unwrap().to_string();
    write(
        dir.path(),
        "reps.csv",
        &format!("{}\r\n{first}\r\n{first}\r\n", reps.lines().next().unwrap()),
    );
    let ws = dir.path().join("payout.toml");
    let err = fail(&["-w", ws.to_str().unwrap(), "check"], 1);
    assert!(err.contains("deals.csv:4: error[amount-invalid]"), "{err}");
    assert!(err.contains("deals.csv:5: error[date-invalid]"), "{err}");
    assert!(
        err.contains("reps.csv:3: error[rep-id-duplicate]") && err.contains("(first on line 2)"),
        "{err}"
    );
    // Without the quote the deals file is split by the fast path: the same lines.
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\r\nD1,R1,100,2026-01-10\r\n\r\nD2,R1,1x0,2026-01-11\r\nD3,R1,1000,2026-13-01\r\n",
    );
    let err = fail(&["-w", ws.to_str().unwrap(), "check"], 1);
    assert!(err.contains("deals.csv:4: error[amount-invalid]"), "{err}");
    assert!(err.contains("deals.csv:5: error[date-invalid]"), "{err}");
}
