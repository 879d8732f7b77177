//! The guards a payroll pipeline needs: a lenient run whose rows go to the exceptions past a limit
//! fails (exit 1) and pays nothing, `--deny-warnings` fails on any warning, and `close` refuses
//! exceptions until they are accepted, recording what was accepted. A command that only prints a
//! result prints its run's warnings, and prints no result under `--deny-warnings`.
//!
//! Every test writes its own workspace: plan `ae` pays 10% of the month's bookings of deals in stage
//! "Closed won"; reps R1 and R2.

use std::path::Path;

use crate::util::{payout, read_csv, run_with, write};

const PLAN: &str = r#"id = "ae"

[measures.bookings]
sum = "amount"
where = { stage = "Closed won" }

[[components]]
id = "commission"
measure = "bookings"
measurement_period = "month"
rate = "10%"
"#;

/// A workspace with `deals` and `top` (workspace keys), its `[deals]` section followed by `section`.
fn workspace(deals: &str, top: &str, section: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write(
        dir.path(),
        "payout.toml",
        &format!(
            "currency = \"USD\"\nperiod = \"2026-01\"\nplans = \"plans\"\n{top}\n[deals]\nfile = \"deals.csv\"\n{section}\n\n[reps]\nfile = \"reps.csv\"\n"
        ),
    );
    write(dir.path(), "plans/ae.toml", PLAN);
    write(
        dir.path(),
        "reps.csv",
        "rep_id,name,plan\nR1,Rita One,ae\nR2,Rob Two,ae\n",
    );
    write(dir.path(), "deals.csv", deals);
    dir
}

/// January's export: R1 1,000.00 and R2 500.00, closed won in January.
const JANUARY_EXPORT: &str = "deal_id,rep_id,amount,close_date,stage\n\
                              D1,R1,1000,2026-01-10,Closed won\n\
                              D2,R2,500,2026-01-31,Closed won\n";

fn ws(dir: &tempfile::TempDir) -> String {
    dir.path().join("payout.toml").display().to_string()
}

/// 200 deals of 100.00 closed won in January 2026, R1's; with `bad`, the last one's amount is
/// unparseable ("12x0").
fn two_hundred_deals(bad: bool) -> String {
    let mut csv = String::from("deal_id,rep_id,amount,close_date,stage\n");
    for i in 1..=200 {
        let amount = if bad && i == 200 { "12x0" } else { "100.00" };
        csv.push_str(&format!(
            "D{i:03},R1,{amount},2026-01-{:02},Closed won\n",
            i % 28 + 1
        ));
    }
    csv
}

/// `payout ARGS`: (exit code, stdout, stderr).
fn exec(args: &[&str]) -> (Option<i32>, String, String) {
    let out = payout().args(args).output().expect("payout runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `run --period PERIOD --deny-warnings -q --out DIR` fails on warning `code` (exit 1, even with
/// `-q`): nothing on stdout, no payouts.csv written.
fn assert_denied(workspace: &str, period: &str, code: &str) {
    let out = tempfile::tempdir().expect("a temporary folder");
    let out_dir = out.path().display().to_string();
    let (exit, stdout, stderr) = exec(&[
        "-w",
        workspace,
        "run",
        "--period",
        period,
        "--deny-warnings",
        "-q",
        "--out",
        &out_dir,
    ]);
    assert_eq!(exit, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains(&format!("[{code}]")), "{stderr}");
    assert!(!out.path().join("payouts.csv").exists());
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    format!(
        "{:x}",
        sha2::Sha256::digest(std::fs::read(path).expect("read file"))
    )
}

#[test]
fn a_lenient_run_whose_rows_all_go_to_the_exceptions_fails() {
    // The export's dates are ISO, the workspace says %m/%d/%Y: no row can be read.
    let dir = workspace(
        "deal_id,rep_id,amount,close_date,stage\n\
         D1,R1,1000,2026-01-14,Closed won\n\
         D2,R1,2000,2026-01-15,Closed won\n\
         D3,R2,500,2026-01-20,Closed won\n",
        "",
        "date_format = \"%m/%d/%Y\"",
    );
    let out = tempfile::tempdir().expect("a temporary folder");
    let out_dir = out.path().display().to_string();
    let (code, stdout, stderr) = exec(&[
        "-w",
        &ws(&dir),
        "run",
        "--period",
        "2026-01",
        "--lenient",
        "-q",
        "--out",
        &out_dir,
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "", "a refused run prints no summary");
    // 3 of 3 rows excepted; 1% of 3 rows allows 0 (3 × 1 / 100 = 0.03, rounded down)
    assert!(
        stderr.contains("[exceptions-over-limit]: 3 of 3 deal rows went to the exceptions, more than the limit of 1% of the rows (0)"),
        "{stderr}"
    );
    assert!(stderr.contains("--max-exceptions"), "{stderr}");
    assert!(stderr.contains("`max_exceptions` in"), "{stderr}");
    // The exceptions are written so that the user can see why; nothing that pays is.
    let exceptions = read_csv(&out.path().join("exceptions.csv"));
    let codes: Vec<&str> = exceptions.iter().map(|e| e["code"].as_str()).collect();
    assert_eq!(codes, ["date-invalid", "date-invalid", "date-invalid"]);
    assert!(!out.path().join("payouts.csv").exists());
    assert!(!out.path().join("manifest.json").exists());

    // The workspace's limit, raised to 100%, lets it through (and takes the refused run's folder):
    // every row excepted, 0.00 paid.
    let dir = workspace(
        "deal_id,rep_id,amount,close_date,stage\nD1,R1,1000,2026-01-14,Closed won\n",
        "max_exceptions = \"100%\"",
        "date_format = \"%m/%d/%Y\"",
    );
    let (code, _, stderr) = exec(&[
        "-w",
        &ws(&dir),
        "run",
        "--period",
        "2026-01",
        "--lenient",
        "--out",
        &out_dir,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.path().join("manifest.json").exists());
}

#[test]
fn half_a_percent_of_exceptions_passes_the_default_limit_and_none_allowed_fails_on_one() {
    let dir = workspace(&two_hundred_deals(true), "", "");
    // 1 of 200 rows = 0.5% ≤ 1% (1% of 200 = 2 rows): paid, 199 × 100.00 × 10% = 1,990.00
    let run = run_with(&ws(&dir), "2026-01", &["--lenient"]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "1990.00");
    assert_eq!(read_csv(&run.out().join("exceptions.csv")).len(), 1);

    // --max-exceptions 0: the one exception fails the run
    let (code, stdout, stderr) = exec(&[
        "-w",
        &ws(&dir),
        "run",
        "--period",
        "2026-01",
        "--lenient",
        "--max-exceptions",
        "0",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr
            .contains("1 of 200 deal rows went to the exceptions, more than the limit of 0 row(s)"),
        "{stderr}"
    );
    // check applies the same limit
    let (code, _, stderr) = exec(&[
        "-w",
        &ws(&dir),
        "check",
        "--lenient",
        "--max-exceptions",
        "0",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("[exceptions-over-limit]"), "{stderr}");

    // The workspace's `max_exceptions = 0` fails it too; --max-exceptions replaces it.
    let dir = workspace(&two_hundred_deals(true), "max_exceptions = 0", "");
    let args = ["-w", &ws(&dir), "run", "--period", "2026-01", "--lenient"];
    assert_eq!(exec(&args).0, Some(1));
    let mut raised = args.to_vec();
    raised.extend(["--max-exceptions", "1"]);
    let (code, _, stderr) = exec(&raised);
    assert_eq!(code, Some(0), "{stderr}");

    // A limit that is neither rows nor a percentage is a workspace error, or a usage error.
    let dir = workspace(&two_hundred_deals(false), "max_exceptions = \"lots\"", "");
    let (code, _, stderr) = exec(&["-w", &ws(&dir), "check"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("[workspace-value-invalid]"), "{stderr}");
    let (code, _, _) = exec(&["-w", &ws(&dir), "check", "--max-exceptions", "101%"]);
    assert_eq!(code, Some(2));
}

#[test]
fn deny_warnings_fails_a_run_whose_filter_value_matches_no_row() {
    // The plan selects "Closed won"; this export spells it "Closed Won": nothing is selected.
    let deals = "deal_id,rep_id,amount,close_date,stage\nD1,R1,1000,2026-01-14,Closed Won\n";
    let dir = workspace(deals, "", "");
    // Without the flag: a warning, 0.00 paid, exit 0.
    let run = run_with(&ws(&dir), "2026-01", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "0.00");
    assert!(
        run.stderr.contains("[plan-filter-no-match]"),
        "{}",
        run.stderr
    );

    // With it: the warning, then the failure; nothing on stdout, nothing written.
    let out = tempfile::tempdir().expect("a temporary folder");
    let w = ws(&dir);
    for quiet in [false, true] {
        let mut args = vec!["-w", &w, "run", "--period", "2026-01", "--deny-warnings"];
        let out_dir = out.path().display().to_string();
        args.extend(["--out", &out_dir]);
        if quiet {
            args.push("-q");
        }
        let (code, stdout, stderr) = exec(&args);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(stdout, "");
        assert!(
            stderr.contains("[plan-filter-no-match]"),
            "-q {quiet}: {stderr}"
        );
        assert!(
            stderr.contains("1 warning(s), and --deny-warnings fails on any"),
            "{stderr}"
        );
        assert!(!out.path().join("payouts.csv").exists());
    }
    let (code, _, stderr) = exec(&["-w", &ws(&dir), "check", "--deny-warnings"]);
    assert_eq!(code, Some(1), "{stderr}");
    let (code, _, stderr) = exec(&[
        "-w",
        &ws(&dir),
        "close",
        "--period",
        "2026-01",
        "--approved-by",
        "Dana",
        "--deny-warnings",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!dir.path().join("ledger.csv").exists(), "nothing is closed");
}

#[test]
fn an_empty_deals_export_is_said_and_deny_warnings_fails_the_run() {
    // The export came back with its header and no rows: both reps earn 10% of nothing.
    let dir = workspace("deal_id,rep_id,amount,close_date,stage\n", "", "");
    let run = run_with(&ws(&dir), "2026-01", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "0.00");
    assert_eq!(run.payable("R2", "commission", "2026-01"), "0.00");
    assert!(run.stderr.contains("[deals-empty]"), "{}", run.stderr);
    // The reconciliation line counts no row, with nothing dangling after it.
    assert!(
        run.stderr.contains("payout: 0 deal rows\n"),
        "{}",
        run.stderr
    );

    let w = ws(&dir);
    assert_denied(&w, "2026-01", "deals-empty");

    // A file without even its header row is one error that says so, not one per column it
    // lacks.
    write(dir.path(), "deals.csv", "");
    let (code, _, stderr) = exec(&["-w", &w, "check"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "deals.csv:1: error[column-missing]: the deals file is empty: it has no header row, \
             so none of its columns (`deal_id`, `rep_id`, `amount`, `close_date`) is there"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
}

#[test]
fn a_period_nobody_is_on_a_plan_in_is_said_unless_no_plan_pays_in_it() {
    let deals = "deal_id,rep_id,amount,close_date,stage\nD1,R1,1000,2026-02-10,Closed won\n";
    let dir = workspace(deals, "", "");
    // Both reps start on February 1st: in January nobody is on a plan.
    write(
        dir.path(),
        "reps.csv",
        "rep_id,name,plan,start_date\nR1,Rita One,ae,2026-02-01\nR2,Rob Two,ae,2026-02-01\n",
    );
    let w = ws(&dir);
    let (code, stdout, stderr) = exec(&["-w", &w, "run", "--period", "2026-01", "--format", "csv"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "the header alone: {stdout}");
    assert!(
        stderr.contains("warning[run-empty]: no rep of the roster is on a plan in 2026-01"),
        "{stderr}"
    );
    assert_denied(&w, "2026-01", "run-empty");
    // February pays R1 10% of 1,000.00 = 100.00: no warning.
    let run = run_with(&w, "2026-02", &["--deny-warnings"]);
    assert_eq!(run.payable("R1", "commission", "2026-02"), "100.00");
    assert!(!run.stderr.contains("run-empty"), "{}", run.stderr);

    // A plan paid quarterly pays nothing in January whoever is on it: nothing to say.
    write(
        dir.path(),
        "plans/ae.toml",
        &PLAN.replace(
            "measurement_period = \"month\"",
            "measurement_period = \"quarter\"",
        ),
    );
    let (code, stdout, stderr) = exec(&[
        "-w",
        &w,
        "run",
        "--period",
        "2026-01",
        "--format",
        "csv",
        "--deny-warnings",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "the header alone: {stdout}");
    assert!(!stderr.contains("run-empty"), "{stderr}");
}

#[test]
fn an_export_of_another_period_is_said() {
    // January's export, run for March: both reps are paid 0.00 in March.
    let dir = workspace(JANUARY_EXPORT, "", "");
    let w = ws(&dir);
    let run = run_with(&w, "2026-03", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-03"), "0.00");
    assert!(
        run.stderr.contains(
            "warning[deals-outside-period]: no row of the deals file (2 in all) is dated in the periods a run of 2026-03 computes"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("its rows close from 2026-01-10 to 2026-01-31"),
        "{}",
        run.stderr
    );
    assert_denied(&w, "2026-03", "deals-outside-period");
    // January itself pays R1 10% of 1,000.00 = 100.00, and says nothing.
    let run = run_with(&w, "2026-01", &["--deny-warnings"]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "100.00");
    assert!(
        !run.stderr.contains("deals-outside-period"),
        "{}",
        run.stderr
    );

    // Measured by quarter, a run of March computes January too: the rows count, nothing to say.
    write(
        dir.path(),
        "plans/ae.toml",
        &PLAN.replace(
            "measurement_period = \"month\"",
            "measurement_period = \"quarter\"\npayout_period = \"month\"",
        ),
    );
    let run = run_with(&w, "2026-03", &["--deny-warnings"]);
    assert!(
        !run.stderr.contains("deals-outside-period"),
        "{}",
        run.stderr
    );
}

#[test]
fn close_refuses_pending_exceptions_until_they_are_accepted_and_records_them() {
    let dir = workspace(&two_hundred_deals(true), "", "");
    let w = ws(&dir);
    let close = |extra: &[&str]| {
        let mut args = vec![
            "-w",
            &w,
            "close",
            "--period",
            "2026-01",
            "--lenient",
            "--approved-by",
            "Dana",
            "--closed-at",
            "2026-02-02T09:00:00Z",
        ];
        args.extend(extra);
        exec(&args)
    };
    let (code, _, stderr) = close(&[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("[exceptions-pending]: 1 deal row(s) went to the exceptions"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept-exceptions"), "{stderr}");
    assert!(!dir.path().join("ledger.csv").exists(), "nothing is closed");

    // The exceptions file a review reads: the one `run --out` writes.
    let run = run_with(&ws(&dir), "2026-01", &["--lenient"]);
    let sha = sha256_of(&run.out().join("exceptions.csv"));

    let (code, _, stderr) = close(&["--accept-exceptions"]);
    assert_eq!(code, Some(0), "{stderr}");
    let note = format!("accepted 1 exception row(s) (exceptions.csv sha256 {sha})");
    assert!(stderr.contains(&note), "{stderr}");
    let ledger = read_csv(&dir.path().join("ledger.csv"));
    // One row: R1's commission for January, 199 × 100.00 × 10% = 1,990.00 (R2 has no deals: 0.00).
    let r1: Vec<_> = ledger.iter().filter(|r| r["rep_id"] == "R1").collect();
    assert_eq!(r1.len(), 1);
    assert_eq!(r1[0]["amount"], "1990.00");
    assert!(ledger.iter().all(|r| r["note"] == note), "{ledger:?}");
}

#[test]
fn close_refuses_a_zero_payroll_from_a_stale_export_unless_told_and_records_it() {
    let dir = workspace(JANUARY_EXPORT, "", "");
    let w = ws(&dir);
    let close = |period: &str, extra: &[&str]| {
        let mut args = vec![
            "-w",
            &w,
            "close",
            "--period",
            period,
            "--approved-by",
            "Dana",
        ];
        args.extend(["--closed-at", "2026-04-02T09:00:00Z"]);
        args.extend(extra);
        exec(&args)
    };
    // January pays 10% of 1,000.00 = 100.00 and of 500.00 = 50.00: closed as usual.
    let (code, _, stderr) = close("2026-01", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let ledger_path = dir.path().join("ledger.csv");
    let january = sha256_of(&ledger_path);

    // February on the same export: no row dated in it, 0.00 for both reps: refused, ledger intact.
    let (code, _, stderr) = close("2026-02", &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error[close-without-deals]: the run pays no commission from deals (warning deals-outside-period) and nothing else"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-no-deals"), "{stderr}");
    assert_eq!(sha256_of(&ledger_path), january, "nothing is closed");

    // A month without sales, said so: closed, each of its rows noting it.
    let (code, _, stderr) = close("2026-02", &["--allow-no-deals"]);
    assert_eq!(code, Some(0), "{stderr}");
    let ledger = read_csv(&ledger_path);
    let february: Vec<_> = ledger.iter().filter(|r| r["period"] == "2026-02").collect();
    assert_eq!(february.len(), 2, "{ledger:?}");
    assert!(february.iter().all(
        |r| r["amount"] == "0.00" && r["note"] == "closed without deals (deals-outside-period)"
    ));
    assert!(ledger
        .iter()
        .filter(|r| r["period"] == "2026-01")
        .all(|r| r["note"].is_empty()));

    // A month that pays a draw (300.00 a month to each rep, not recovered) is not a zero payroll:
    // March closes without the flag, and no row of it notes a close without deals.
    write(
        dir.path(),
        "plans/ae.toml",
        &format!("{PLAN}\n[payment.draw]\namount = 300\nrecoverable = false\nfrom = 2026-01-01\nto = 2026-12-31\n"),
    );
    let (code, _, stderr) = close("2026-03", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("deals-outside-period"), "{stderr}");
    let march: Vec<_> = read_csv(&ledger_path)
        .into_iter()
        .filter(|r| r["period"] == "2026-03")
        .collect();
    // Each rep: 0.00 earned, topped up to the 300.00 draw: 600.00 in all.
    let paid: rust_decimal::Decimal = march.iter().map(|r| crate::util::dec(&r["amount"])).sum();
    assert_eq!(paid, crate::util::dec("600.00"), "{march:?}");
    assert!(
        march
            .iter()
            .all(|r| !r["note"].contains("closed without deals")),
        "{march:?}"
    );
}

#[test]
fn every_command_that_prints_a_result_prints_the_run_warnings_and_denies_them() {
    // The only deal closed in December 2025; the workspace pays January 2026.
    let ws = "tests/errors/deals-outside-period/payout.toml";
    for command in [
        &["forecast"][..],
        &["accrual"],
        &[
            "estimate",
            "--rep",
            "R1",
            "--deal",
            "amount=100,close_date=2026-01-05",
        ],
        &[
            "model",
            "--plans",
            "tests/errors/deals-outside-period/plans",
        ],
        &["explain", "--rep", "R1"],
        &["balances"],
        &["insights"],
    ] {
        payout()
            .args(["-w", ws])
            .args(command)
            .assert()
            .success()
            .stderr(predicates::str::contains("warning[deals-outside-period]"));
        payout()
            .args(["-w", ws, "--deny-warnings"])
            .args(command)
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicates::str::contains(
                "1 warning(s), and --deny-warnings fails on any",
            ));
    }
}

#[test]
fn a_refusal_prints_the_json_error_object_with_what_refused_it() {
    let ws = "tests/errors/deals-outside-period/payout.toml";
    for command in [&["run"][..], &["forecast"], &["balances"]] {
        let out = payout()
            .args(["-w", ws, "--deny-warnings"])
            .args(command)
            .args(["--format", "json"])
            .output()
            .expect("payout runs");
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON object");
        let error = &json["error"];
        assert_eq!(error["exit_code"], 1, "{json}");
        assert_eq!(
            error["message"], "1 warning(s), and --deny-warnings fails on any",
            "{json}"
        );
        assert_eq!(error["diagnostics"][0]["code"], "deals-outside-period");
    }
}
