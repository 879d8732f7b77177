//! Sales planning: `payout quotas`, `payout territories`, `payout capacity` and `--compare` on
//! tests/cases/planning (R1 and R2 all year, R3 leaves on 2026-10-31, R4 is hired on 2027-04-01
//! on a plan with `[ramp] schedule = ["50%", "75%"]`; 2026 bookings: R1 300,000, R2 100,000, R3
//! 200,000), with every number worked out by hand. The files written are then paid by `payout run`.

use std::collections::BTreeMap;

use crate::util::{dec, payout, read_csv, run_with, workspace};

const WS: &str = "tests/cases/planning/payout.toml";

/// Run `payout -w WS <args>`; it must succeed. Returns stdout.
fn plan(args: &[&str]) -> String {
    let out = payout()
        .args(["-w", WS])
        .args(args)
        .output()
        .expect("payout runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "payout {args:?} failed:\n{stderr}");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// The quotas file written by `payout quotas <args> --out`, as (rep, period) → amount.
fn quotas(args: &[&str]) -> (BTreeMap<(String, String), String>, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("quotas-2027.csv");
    let mut all = vec!["quotas"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", file.to_str().expect("a UTF-8 path")]);
    let report = plan(&all);
    let rows = read_csv(&file)
        .into_iter()
        .map(|r| {
            (
                (r["rep_id"].clone(), r["period"].clone()),
                r["amount"].clone(),
            )
        })
        .collect();
    (rows, report)
}

fn annual(rows: &BTreeMap<(String, String), String>, rep: &str) -> rust_decimal::Decimal {
    rows.iter()
        .filter(|((r, _), _)| r == rep)
        .map(|(_, a)| dec(a))
        .sum()
}

#[test]
fn equal_shares_by_active_months_round_to_the_step_and_sum_to_the_target() {
    let (rows, report) = quotas(&[
        "--year",
        "2027",
        "--target",
        "1,000,000",
        "--method",
        "equal",
    ]);
    // R3 left on 2026-10-31: no quota. Active months: R1 12, R2 12, R4 9 (April..December) = 33.
    assert!(
        report.contains("removed: R3 (left on 2026-10-31)"),
        "{report}"
    );
    assert!(!rows.keys().any(|(r, _)| r == "R3"));
    // 1,000,000 × 12/33 = 363,636.36 (R1, R2), × 9/33 = 272,727.27 (R4). Down to the step of
    // 1,000: 363,000 + 363,000 + 272,000 = 998,000; the 2,000 left go a step each to the largest
    // remainders: R4 (727.27), then R1 (636.36, a tie with R2 broken by id).
    // R1 364,000 + R2 363,000 + R4 273,000 = 1,000,000 exactly.
    assert!(report.contains("R1 Ada North: 364,000.00"), "{report}");
    assert!(report.contains("R2 Ben South: 363,000.00"), "{report}");
    assert!(report.contains("R4 Di New: 273,000.00"), "{report}");
    assert!(report
        .contains("sum of quotas 1,000,000.00 against the target 1,000,000.00: over-assigned 0%"));
    // Seasonality 25% a quarter: R1 364,000 × 25% = 91,000.00 each quarter.
    assert_eq!(rows[&("R1".into(), "2027-Q1".into())], "91000.00");
    assert_eq!(annual(&rows, "R1"), dec("364000"));
    assert_eq!(annual(&rows, "R2"), dec("363000"));
    // R4 is ramped: Q1 no day; Q2 (30 × 50% + 31 × 75% + 30) / 91 = 68.25/91 = 75%; Q3, Q4 100%.
    // Full-year quota = 273,000 ÷ (25% × (0 + 0.75 + 1 + 1)) = 273,000 ÷ 68.75% = 397,090.909...;
    // × 25% = 99,272.7272... a quarter: 297,818.18 in cents over three rows, the 0.02 left to Q2
    // and Q3 (equal remainders, by period). The engine prorates Q2 back: 99,272.73 × 75% =
    // 74,454.55; 74,454.55 + 99,272.73 + 99,272.72 = 273,000.00.
    assert!(!rows.contains_key(&("R4".into(), "2027-Q1".into())));
    assert_eq!(rows[&("R4".into(), "2027-Q2".into())], "99272.73");
    assert_eq!(rows[&("R4".into(), "2027-Q3".into())], "99272.73");
    assert_eq!(rows[&("R4".into(), "2027-Q4".into())], "99272.72");
}

#[test]
fn history_shares_use_last_years_bookings_per_productive_month() {
    let (rows, report) = quotas(&[
        "--year", "2027", "--target", "1000000", "--floor", "0%", "--cap", "1000%",
    ]);
    // Productivity = (300,000 + 100,000 + 200,000) ÷ (12 + 12 + 10 months of R3) = 17,647.06.
    // Weights: R1 300,000/12 × 12 = 300,000; R2 100,000; R4 (no history) 17,647.0588 × 8.25
    // productive months (April 50%, May 75%, 7 × 100%) = 145,588.24; Σ 545,588.24.
    // R1 1,000,000 × 300,000/545,588.24 = 549,865.23; R2 183,288.41; R4 266,846.36.
    // Down to 1,000: 549,000 + 183,000 + 266,000 = 998,000; 2 steps to R1 (865.23) and R4 (846.36).
    assert!(report.contains("productivity last year: 17,647.06 per productive rep-month"));
    assert_eq!(annual(&rows, "R1"), dec("550000"));
    assert_eq!(annual(&rows, "R2"), dec("183000"));
    // R4's rows: 267,000 ÷ 68.75% × 25% = 97,090.909 → 97,090.91 ×3 (the 0.03 left: a cent each).
    assert_eq!(rows[&("R4".into(), "2027-Q2".into())], "97090.91");
    // What each would have attained last year against it: R1 300,000 ÷ 550,000 = 54.55%.
    assert!(report.contains("54.55%"), "{report}");
}

#[test]
fn history_shares_are_clamped_to_the_capacity_share() {
    let (rows, report) = quotas(&["--year", "2027", "--target", "1000000", "--cap", "140%"]);
    // Capacity shares (productive months): R1, R2 12/32.25 = 37.21%, R4 8.25/32.25. History
    // shares of Σ 545,588.24: R1 54.99% > 140% × 37.21% = 52.09%, clamped down: weight
    // 52.093% × 545,588.24 = 284,213.41; R2 18.33% < 50% × 37.21% = 18.60%, clamped up:
    // 101,504.79; R4 145,588.24 (within). Σ 531,306.43, then the shares are scaled to it (once):
    // R1 1,000,000 × 284,213.41/531,306.43 = 534,933.12; R2 191,047.54; R4 274,019.34. Down to the
    // step: 534,000 + 191,000 + 274,000 = 999,000; the last step to R1 (remainder 933.12).
    assert!(
        report.contains("share 54.99% clamped to 52.09%"),
        "{report}"
    );
    assert!(
        report.contains("share 18.33% clamped to 18.60%"),
        "{report}"
    );
    assert_eq!(annual(&rows, "R1"), dec("535000"));
    assert_eq!(annual(&rows, "R2"), dec("191000"));
    assert!(report.contains("R4 Di New: 274,000.00"), "{report}");
}

#[test]
fn over_assignment_compounds_per_level_by_team() {
    let (rows, report) = quotas(&[
        "--year",
        "2027",
        "--target",
        "1000000",
        "--method",
        "equal",
        "--by",
        "team",
        "--over-assign",
        "10%,10%",
    ]);
    // One team (no managers): 1,000,000 × 1.1 = 1,100,000 for the team, × 1.1 = 1,210,000 for its
    // reps: the 21% compounded over-assignment against the target.
    assert!(report.contains("team (none): 1,100,000.00"), "{report}");
    assert!(report.contains(
        "sum of quotas 1,210,000.00 against the target 1,000,000.00: over-assigned 21.00%"
    ));
    // 1,210,000 × 12/33 = 440,000 for R1 and R2, 330,000 for R4: on the step, nothing to place.
    assert_eq!(annual(&rows, "R1"), dec("440000"));
}

#[test]
fn seasonality_by_quarter_splits_the_annual_quota() {
    let (rows, _) = quotas(&[
        "--year",
        "2027",
        "--target",
        "1000000",
        "--method",
        "equal",
        "--seasonality",
        "20,25,25,30",
    ]);
    // R1 364,000: 20% = 72,800.00, 25% = 91,000.00, 30% = 109,200.00.
    assert_eq!(rows[&("R1".into(), "2027-Q1".into())], "72800.00");
    assert_eq!(rows[&("R1".into(), "2027-Q4".into())], "109200.00");
    assert_eq!(annual(&rows, "R1"), dec("364000"));
}

#[test]
fn the_quotas_file_is_paid_by_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("q.csv");
    let path = file.to_str().expect("a UTF-8 path");
    plan(&[
        "quotas", "--year", "2027", "--target", "1000000", "--method", "equal", "--out", path,
    ]);
    let run = run_with(&workspace("planning"), "2027-H1", &["--quotas", path]);
    // R1: D7 20,000 against 91,000.00 in Q1, at 5% below quota = 1,000.00.
    assert_eq!(run.get("R1", "commission", "2027-Q1", "quota"), "91000.00");
    assert_eq!(run.payable("R1", "commission", "2027-Q1"), "1000.00");
    // R4, hired 2027-04-01: 99,272.73 × 68.25/91 = 74,454.55; D6 40,000 × 5% = 2,000.00.
    assert_eq!(run.get("R4", "commission", "2027-Q2", "quota"), "74454.55");
    assert_eq!(run.payable("R4", "commission", "2027-Q2"), "2000.00");
}

#[test]
fn quotas_are_deterministic() {
    let a = quotas(&["--year", "2027", "--target", "1000000"]);
    let b = quotas(&["--year", "2027", "--target", "1000000"]);
    assert_eq!(a, b);
}

#[test]
fn territories_reach_the_known_optimum_and_write_a_file_run_reads() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("t.csv");
    let path = file.to_str().expect("a UTF-8 path");
    let report = plan(&[
        "territories",
        "--accounts",
        "tests/cases/planning/accounts.csv",
        "--year",
        "2027",
        "--keep",
        "0%",
        "--move-penalty",
        "0%",
        "--out",
        path,
    ]);
    // Reps employed on 2027-01-01: R1, R2 (R3 left, R4 starts in April). All four accounts are
    // R1's: 10 + 9 + 6 + 5 = 30, so the best balance is 15 and 15 ({10, 5} and {9, 6}); the
    // bound: 30 ÷ 2 reps = 15. Search: moving 10 to R2 (20/10) lowers Σ(load − 15)² most (from
    // 225 + 225 = 450 to 25 + 25 = 50), then moving 5 to R2 (15/15: 0).
    assert!(
        report.contains("largest potential 15.00; lower bound 15.00; gap 0.00 (0%)"),
        "{report}"
    );
    assert!(
        report.contains("before: min 0.00, max 30.00, spread 30.00"),
        "{report}"
    );
    assert!(
        report.contains("after: min 15.00, max 15.00, spread 0.00"),
        "{report}"
    );
    let rows = read_csv(&file);
    let holder: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r["territory"].clone(), r["rep_id"].clone()))
        .collect();
    assert_eq!(holder["A1"], holder["A4"]);
    assert_eq!(holder["A2"], holder["A3"]);
    assert_ne!(holder["A1"], holder["A2"]);
    assert!(rows
        .iter()
        .all(|r| r["from"] == "2027-01-01" && r["to"].is_empty()));
}

#[test]
fn territories_keep_the_share_of_incumbents() {
    let report = plan(&[
        "territories",
        "--accounts",
        "tests/cases/planning/accounts.csv",
        "--year",
        "2027",
        "--keep",
        "80%",
    ]);
    // 80% of 4 owned accounts = 3.2, so 4 must stay: nothing moves.
    assert!(
        report.contains("kept 4 of 4 owned accounts with their owner; 0 account(s)"),
        "{report}"
    );
    let report = plan(&[
        "territories",
        "--accounts",
        "tests/cases/planning/accounts.csv",
        "--year",
        "2027",
        "--keep",
        "75%",
        "--move-penalty",
        "0%",
    ]);
    // 75% of 4 = 3 stay: one account may move; the best single move is 10 (20/10 from 30/0).
    assert!(report.contains("kept 3 of 4 owned accounts"), "{report}");
    assert!(report.contains("A1: R1 -> R2"), "{report}");
}

#[test]
fn territories_do_not_depend_on_the_order_of_the_rows() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let shuffled = dir.path().join("accounts.csv");
    std::fs::write(
        &shuffled,
        "account_id,potential,workload,region,segment,owner,locked\nA3,6,1,,,R1,\nA1,10,1,,,R1,\nA4,5,1,,,R1,\nA2,9,1,,,R1,\n",
    )
    .expect("write");
    let args = |accounts: &str, out: &str| {
        plan(&[
            "territories",
            "--accounts",
            accounts,
            "--year",
            "2027",
            "--keep",
            "0%",
            "--out",
            out,
        ]);
        std::fs::read_to_string(out).expect("the territories file")
    };
    let a = args(
        "tests/cases/planning/accounts.csv",
        dir.path().join("a.csv").to_str().expect("utf-8"),
    );
    let b = args(
        shuffled.to_str().expect("utf-8"),
        dir.path().join("b.csv").to_str().expect("utf-8"),
    );
    assert_eq!(a, b);
}

#[test]
fn capacity_counts_the_hires_a_target_needs() {
    let out = plan(&[
        "capacity",
        "--year",
        "2027",
        "--target",
        "1000000",
        "--attrition",
        "0%",
    ]);
    // Productivity 600,000 ÷ 34 = 17,647.06; required 1,000,000 ÷ 17,647.0588 = 56.6667 months.
    // Staff: R1 12 + R2 12 + R4 8.25 = 32.25; gap 24.4167. A January hire with the 50%, 75% ramp
    // gives 0.5 + 0.75 + 10 = 11.25 months: ⌈24.4167 ÷ 11.25⌉ = 3 hires; a February hire 10.25
    // (⌈2.38⌉ = 3), March 9.25 (⌈2.64⌉ = 3), April 8.25 (⌈2.96⌉ = 3), May 7.25 (⌈3.37⌉ = 4).
    assert!(
        out.contains("required: 1,000,000.00 ÷ 17,647.06 = 56.6667 productive months"),
        "{out}"
    );
    assert!(out.contains("gap: 24.4167 productive months"), "{out}");
    assert!(out.contains("hire 3 by 2027-04"), "{out}");
}

#[test]
fn capacity_says_which_run_failed_when_last_year_cannot_be_computed() {
    // 2026's capacity measures productivity on 2025, which has no quotas in the case: the run's
    // quota-missing errors are printed, then what they stopped, and the exit is 1 (invalid input).
    let stderr = crate::util::fail(
        &[
            "-w", WS, "capacity", "--year", "2026", "--target", "1000000",
        ],
        1,
    );
    assert!(stderr.contains("error[quota-missing]"), "{stderr}");
    assert!(
        stderr.ends_with("payout: productivity is measured by running 2025, which failed\n"),
        "{stderr}"
    );
}

#[test]
fn compare_shows_what_changes_per_rep() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    let (a, b) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    plan(&[
        "quotas", "--year", "2027", "--target", "1000000", "--method", "equal", "--out", a,
    ]);
    plan(&[
        "quotas", "--year", "2027", "--target", "1100000", "--method", "equal", "--out", b,
    ]);
    let out = plan(&["quotas", "--compare", a, b]);
    // 1,100,000 × 12/33 = 400,000 for R1 (from 364,000: +36,000, 36,000 ÷ 364,000 = +9.89%).
    assert!(
        out.contains("364,000.00 ┆   400,000.00 ┆  36,000.00 ┆    9.89%"),
        "{out}"
    );
    // The totals are the files' rows: R4's are full-period amounts the engine ramps (3 ×
    // 99,272.73 − 0.01 = 297,818.18 before; 300,000 ÷ 68.75% × 75% = 327,272.73 after), so
    // 364,000 + 363,000 + 297,818.18 = 1,024,818.18 → 400,000 × 2 + 327,272.73 = 1,127,272.73.
    assert!(
        out.contains("1,024,818.18 ┆ 1,127,272.73 ┆ 102,454.55"),
        "{out}"
    );
}

/// The acme 2027 example: the committed quotas and territories are what the planning commands
/// write from the 2026 workspace, and the 2027 workspace pays its deals with them.
#[test]
fn the_acme_2027_plan_is_written_by_the_commands_and_paid_by_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let q = dir.path().join("quotas.csv");
    let t = dir.path().join("territories.csv");
    let run_root = |args: &[&str]| {
        let out = payout().args(args).output().expect("payout runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run_root(&[
        "quotas",
        "--year",
        "2027",
        "--target",
        "15,000,000",
        "--over-assign",
        "10%",
        "--seasonality",
        "20,25,25,30",
        "--out",
        q.to_str().expect("utf-8"),
    ]);
    run_root(&[
        "territories",
        "--accounts",
        "examples/acme/2027/accounts.csv",
        "--year",
        "2027",
        "--out",
        t.to_str().expect("utf-8"),
    ]);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).expect("a file");
    let root = crate::util::root().join("examples/acme/2027");
    assert_eq!(
        read(&q),
        read(&root.join("quotas.csv")),
        "regenerate examples/acme/2027/quotas.csv"
    );
    assert_eq!(
        read(&t),
        read(&root.join("territories.csv")),
        "regenerate examples/acme/2027/territories.csv"
    );
    let run = run_with("examples/acme/2027/payout.toml", "2027-Q1", &[]);
    // OPP-20003 (35,000, owner A014) is on ACC-30097, which moved from A014 to A020: A020 is
    // credited. Quota 461,000 × 20% = 92,200.00; 35,000 is 37.96%, all in the 4% tier = 1,400.00.
    assert_eq!(
        run.get("A020", "commission", "2027-02", "quota"),
        "92200.00"
    );
    assert_eq!(run.payable("A020", "commission", "2027-02"), "1400.00");
    // A005 holds ACC-30066 (A010's, who left): OPP-20002 62,000 against 102,200.00: 51,100 × 4%
    // + 10,900 × 8% = 2,044 + 872 = 2,916.00.
    assert_eq!(run.payable("A005", "commission", "2027-01"), "2916.00");
    // The manager A002 is credited through the roll-up of territory credits: OPP-20001 48,000 +
    // OPP-20002 62,000 = 110,000 in January × 1.5% = 1,650.00.
    assert_eq!(run.payable("A002", "override", "2027-01"), "1650.00");
}

#[test]
fn potential_shares_follow_the_accounts_owned() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let accounts = dir.path().join("accounts.csv");
    std::fs::write(
        &accounts,
        "account_id,potential,owner\nA1,300000,R1\nA2,100000,R2\nA3,50000,R4\nA4,999999,\n",
    )
    .expect("write");
    let (rows, report) = quotas(&[
        "--year",
        "2027",
        "--target",
        "1000000",
        "--method",
        "potential",
        "--accounts",
        accounts.to_str().expect("utf-8"),
    ]);
    // Weights: potential owned × productive months ÷ 12 (an unowned account counts for nobody):
    // R1 300,000 × 12/12 = 300,000; R2 100,000; R4 50,000 × 8.25/12 = 34,375; Σ 434,375.
    // R1 1,000,000 × 300,000/434,375 = 690,647.48; R2 230,215.83; R4 79,136.69. Down to the
    // step: 690,000 + 230,000 + 79,000 = 999,000; the last step to R1 (remainder 647.48).
    assert!(
        report.contains("weight: potential 50,000.00 × 8.25/12 productive months = 34,375.00"),
        "{report}"
    );
    assert_eq!(annual(&rows, "R1"), dec("691000"));
    assert_eq!(annual(&rows, "R2"), dec("230000"));
    assert!(report.contains("R4 Di New: 79,000.00"), "{report}");
}

#[test]
fn quotas_do_not_depend_on_the_order_of_the_rows() {
    let dir = crate::util::scratch_copy("planning");
    // The roster and the deals in another order.
    crate::util::write(
        dir.path(),
        "reps.csv",
        "rep_id,name,plan,manager_id,start_date,end_date\nR4,Di New,ae,,2027-04-01,\nR2,Ben South,ae,,2020-01-01,\nR3,Cy Gone,ae,,2020-01-01,2026-10-31\nR1,Ada North,ae,,2020-01-01,\n",
    );
    let deals = std::fs::read_to_string(dir.path().join("deals.csv")).expect("deals");
    let mut lines: Vec<&str> = deals.lines().collect();
    lines[1..].reverse();
    crate::util::write(dir.path(), "deals.csv", &(lines.join("\n") + "\n"));
    let write_quotas = |ws: &str, out: &std::path::Path| {
        let o = payout()
            .args([
                "-w", ws, "quotas", "--year", "2027", "--target", "1000000", "--out",
            ])
            .arg(out)
            .output()
            .expect("payout runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out).expect("the quotas file")
    };
    let shuffled_ws = dir.path().join("payout.toml");
    let a = write_quotas(WS, &dir.path().join("a.csv"));
    let b = write_quotas(
        shuffled_ws.to_str().expect("utf-8"),
        &dir.path().join("b.csv"),
    );
    assert_eq!(a, b);
}

#[test]
fn compare_territories_names_the_accounts_that_change_hands() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    let (a, b) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    let accounts = "tests/cases/planning/accounts.csv";
    plan(&[
        "territories",
        "--accounts",
        accounts,
        "--year",
        "2027",
        "--out",
        a,
    ]);
    plan(&[
        "territories",
        "--accounts",
        accounts,
        "--year",
        "2027",
        "--keep",
        "0%",
        "--out",
        b,
    ]);
    let out = plan(&["territories", "--compare", a, b]);
    // Before: R1 holds all 4 (keep 80%: nothing moves). After: 10 and 5 go to R2 (see above).
    assert!(
        out.contains("│ R1    ┆ territories ┆ 4.00 ┆ 2.00 ┆  -2.00 ┆  -50.00% │"),
        "{out}"
    );
    assert!(out.contains("A1: R1 -> R2"), "{out}");
    assert!(out.contains("A4: R1 -> R2"), "{out}");
}

#[test]
fn territories_run_from_a_given_date_with_the_reps_employed_then() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("t.csv");
    let report = plan(&[
        "territories",
        "--accounts",
        "tests/cases/planning/accounts.csv",
        "--year",
        "2027",
        "--from",
        "2027-04-01",
        "--keep",
        "0%",
        "--move-penalty",
        "0%",
        "--out",
        file.to_str().expect("utf-8"),
    ]);
    // On 2027-04-01 R4 has started: three reps share 30; the largest account (10) bounds the
    // largest rep from below, and {10}, {9}, {6, 5} = 11 is the best (30 ÷ 3 = 10 cannot be met).
    assert!(report.contains("│ R4 "), "{report}");
    assert!(
        report.contains("largest potential 11.00; lower bound 10.00"),
        "{report}"
    );
    assert!(read_csv(&file).iter().all(|r| r["from"] == "2027-04-01"));
}

#[test]
fn a_rep_leaving_during_the_year_gets_a_prorated_quota() {
    let dir = crate::util::scratch_copy("planning");
    crate::util::write(
        dir.path(),
        "reps.csv",
        "rep_id,name,plan,manager_id,start_date,end_date\nR1,Ada North,ae,,2020-01-01,\nR2,Ben South,ae,,2020-01-01,2027-06-30\nR3,Cy Gone,ae,,2020-01-01,2026-10-31\nR4,Di New,ae,,2027-04-01,\n",
    );
    let out = dir.path().join("q.csv");
    let ws = dir.path().join("payout.toml");
    let o = payout()
        .args([
            "-w",
            ws.to_str().expect("utf-8"),
            "quotas",
            "--year",
            "2027",
        ])
        .args(["--target", "1000000", "--method", "equal", "--out"])
        .arg(&out)
        .output()
        .expect("payout runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: BTreeMap<(String, String), String> = read_csv(&out)
        .into_iter()
        .map(|r| {
            (
                (r["rep_id"].clone(), r["period"].clone()),
                r["amount"].clone(),
            )
        })
        .collect();
    // R2 leaves on 2027-06-30: 6 active months. Equal: R1 12, R2 6, R4 9 = 27.
    // R1 1,000,000 × 12/27 = 444,444.44, R2 222,222.22, R4 333,333.33; down to the step 999,000,
    // the last 1,000 to R1 (remainder 444.44): R1 445,000, R2 222,000, R4 333,000.
    assert_eq!(annual(&rows, "R1"), dec("445000"));
    // R2's rows: Q1 and Q2 are full (scale 1), Q3 and Q4 have no day: full-year = 222,000 ÷
    // (25% + 25%) = 444,000, rows 111,000.00 for Q1 and Q2, none after.
    assert_eq!(rows[&("R2".into(), "2027-Q1".into())], "111000.00");
    assert_eq!(rows[&("R2".into(), "2027-Q2".into())], "111000.00");
    assert!(!rows.contains_key(&("R2".into(), "2027-Q3".into())));
}
