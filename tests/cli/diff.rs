//! `payout diff OLD NEW` on two runs of a scratch copy of tests/cases/ledger (see tests/cli/ledger.rs
//! for its reps, plans and deals): every payouts column, every statement line (corrections and
//! carried balances included), the deals, the inputs, the output files against their manifests, and
//! diff(1)'s exit codes (0 same, 1 different, 2 usage or I/O error).

use std::path::{Path, PathBuf};

use crate::util::{payout, scratch_copy};

struct Ws(tempfile::TempDir);

impl Ws {
    fn new() -> Ws {
        Ws(scratch_copy("ledger"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn file(&self) -> String {
        self.path("payout.toml").display().to_string()
    }

    fn close(&self, period: &str) {
        payout()
            .args(["-w", &self.file(), "-q", "close", "--period", period])
            .args(["--approved-by", "Dana Controller"])
            .args(["--closed-at", &format!("{period}-28T09:00:00Z")])
            .assert()
            .success();
    }

    /// `run --period PERIOD -o NAME` into the workspace's folder; the folder's path.
    fn run(&self, period: &str, name: &str) -> PathBuf {
        let out = self.path(name);
        payout()
            .args(["-w", &self.file(), "-q", "run", "--period", period, "-o"])
            .arg(&out)
            .assert()
            .success();
        out
    }

    fn edit(&self, name: &str, from: &str, to: &str) {
        let path = self.path(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{name} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn append(&self, name: &str, line: &str) {
        let path = self.path(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{line}\n")).unwrap();
    }
}

/// `payout diff [ARGS] OLD NEW`: (exit code, stdout, stderr).
fn diff(old: &Path, new: &Path, args: &[&str]) -> (i32, String, String) {
    let out = payout()
        .arg("diff")
        .args(args)
        .arg(old)
        .arg(new)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const HEADER: &str =
    "section,change,rep_id,plan,component,payout_period,line,deal_id,path,old,new,difference,detail\n";

#[test]
fn a_correction_and_the_carry_forward_it_cancels_are_both_shown() {
    let ws = Ws::new();
    ws.close("2026-01");
    ws.close("2026-02");
    ws.close("2026-03");
    // April: D4 20,000 × 10% = 2,000.00 − 2,500.00 adjustment = −500.00, carried forward.
    ws.append("adjustments.csv", "A1,2026-04,-2500,OVERPAYMENT,,Kim,");
    ws.close("2026-04");
    // May: D5 3,000 × 10% = 300.00, carry-in −500.00: −200.00, carried forward again (+200.00):
    // payable 0.00, carried −500.00 + 200.00 = −300.00.
    ws.append("deals.csv", "D5,A1,3000,2026-05-05,,,");
    let before = ws.run("2026-05", "before");
    // March (closed) corrected, D3 8,000 → 10,000: Q1 computes (10,000 + 5,000 + 10,000) × 10%
    // = 2,500.00, of which March 2,500.00 − 1,500.00 = 1,000.00 where 800.00 was paid: a
    // prior-period line of +200.00 in May. May: 300.00 + 200.00 − 500.00 = 0.00, nothing carried
    // forward: payable 0.00 again, carried −500.00.
    ws.edit("deals.csv", "D3,A1,8000", "D3,A1,10000");
    let after = ws.run("2026-05", "after");
    let (code, csv, stderr) = diff(&before, &after, &["-f", "csv"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        csv,
        format!(
            "{HEADER}\
payout,changed,A1,ae,commission,2026-05,,,,0.00,0.00,0.00,carried -300.00 -> -500.00; prior_periods 0.00 -> 200.00
line,removed,A1,ae,commission,2026-05,carry-forward,,,200.00,,-200.00,payable -200.00 for 2026-05 is negative: carried forward as a balance
line,added,A1,ae,commission,2026-05,prior-period,,,,200.00,200.00,\"2026-03: paid 800.00, computed now 1000.00\"
input,changed,,,,,,,{},,,,
",
            ws.path("deals.csv").display()
        )
    );
    assert!(
        stderr.contains(
            "1 payout row(s), 2 statement line(s) and 0 deal(s) differ; 1 input file(s) changed"
        ),
        "{stderr}"
    );
}

#[test]
fn deals_added_removed_and_changed_are_named_with_their_fields() {
    let ws = Ws::new();
    let before = ws.run("2026-02", "before");
    // D2 5,000 → 7,000; S-2 (S1, 30,000) removed; D9 (A1, 1,000, 20 Feb) added.
    ws.edit("deals.csv", "D2,A1,5000", "D2,A1,7000");
    ws.edit("deals.csv", "S-2,S1,30000,2026-02-15,,,\n", "");
    ws.append("deals.csv", "D9,A1,1000,2026-02-20,,,");
    let after = ws.run("2026-02", "after");
    let (code, table, _) = diff(&before, &after, &[]);
    assert_eq!(code, 1);
    // A1 (quarterly 10%, January paid 1,000.00): February (10,000 + 5,000) × 10% − 1,000.00
    // = 500.00 before, (10,000 + 7,000 + 1,000) × 10% − 1,000.00 = 800.00 after: D2 7,000 × 10%
    // = 700.00 (was 500.00), D9 1,000 × 10% = 100.00. S1 (monthly 5%, draw 1,000, at most 300.00
    // recovered a month) carries January's draw balance of 800.00 (1,000 − 4,000 × 5%): before, S-2
    // 30,000 × 5% = 1,500.00 is 500.00 above the draw, 300.00 of it recovered (balance 500.00):
    // 1,200.00; after, nothing is earned, so the draw pays 1,000.00 (balance 800 + 1,000 = 1,800.00).
    let (_, csv, _) = diff(&before, &after, &["-f", "csv"]);
    assert_eq!(
        csv,
        format!(
            "{HEADER}\
payout,changed,A1,ae,commission,2026-02,,,,500.00,800.00,300.00,earned_to_date 1500.00 -> 1800.00; measure_to_date 15000.00 -> 18000.00
payout,changed,S1,sdr,commission,2026-02,,,,1200.00,1000.00,-200.00,draw 0.00 -> 1000.00; earned_to_date 1500.00 -> 0.00; measure_to_date 30000.00 -> 0.00; recovery -300.00 -> 0.00
line,changed,A1,ae,commission,2026-02,deal,D2,,500.00,700.00,200.00,base 5000.00 -> 7000.00; credited 5000.00 -> 7000.00; cumulative_to 15000.00 -> 17000.00; deal_value 5000.00 -> 7000.00; formula 5000.00 × 10% -> 7000.00 × 10%
line,added,A1,ae,commission,2026-02,deal,D9,,,100.00,100.00,1000.00 × 10%
line,removed,S1,sdr,commission,2026-02,deal,S-2,,1500.00,,-1500.00,30000.00 × 5%
line,added,S1,sdr,commission,2026-02,draw,,,,1000.00,1000.00,recoverable draw 1000.00 − payable 0.00; balance 1800.00
line,removed,S1,sdr,commission,2026-02,recovery,,,-300.00,,300.00,draw balance recovered from 500.00 above the draw (at most 300.00 a period); balance 500.00
deal,changed,,,,,,D2,,,,,deal_value 5000.00 -> 7000.00
deal,added,,,,,,D9,,,,,\"date 2026-02-20, deal_value 1000.00, credited A1 owner 100%\"
deal,removed,,,,,,S-2,,,,,\"date 2026-02-15, deal_value 30000.00, credited S1 owner 100%\"
input,changed,,,,,,,{},,,,
",
            ws.path("deals.csv").display()
        )
    );
    assert!(
        table.contains("deal changed: D2: deal_value 5000.00 -> 7000.00\n"),
        "{table}"
    );
    assert!(
        table.contains(
            "deal removed: S-2: date 2026-02-15, deal_value 30000.00, credited S1 owner 100%\n"
        ),
        "{table}"
    );
}

#[test]
fn identical_runs_exit_0_with_nothing_on_stdout() {
    let ws = Ws::new();
    let a = ws.run("2026-02", "a");
    let b = ws.run("2026-02", "b");
    let (code, table, stderr) = diff(&a, &b, &[]);
    assert_eq!((code, table.as_str()), (0, ""), "{stderr}");
    assert_eq!(stderr, "payout: no differences\n");
    let (code, csv, _) = diff(&a, &b, &["-f", "csv"]);
    assert_eq!((code, csv.as_str()), (0, HEADER));
}

#[test]
fn an_output_file_edited_after_the_run_is_reported_against_its_manifest() {
    let ws = Ws::new();
    let a = ws.run("2026-02", "a");
    let b = ws.run("2026-02", "b");
    // S1's February payable (1,500.00 earned − 300.00 of January's draw recovered = 1,200.00) edited
    // by hand in b's payouts.csv to 1,900.00, and A1's Markdown statement deleted.
    let payouts = b.join("payouts.csv");
    let text = std::fs::read_to_string(&payouts).unwrap();
    let edited = text.replacen(
        ",30000.00,,,1500.00,0.00,1200.00,",
        ",30000.00,,,1500.00,0.00,1900.00,",
        1,
    );
    assert_ne!(text, edited, "{text}");
    std::fs::write(&payouts, edited).unwrap();
    std::fs::remove_file(b.join("statements/2026-02/A1.md")).unwrap();
    let (code, table, stderr) = diff(&a, &b, &[]);
    assert_eq!(code, 1);
    assert!(
        table.contains("│ S1  ┆ sdr  ┆ commission ┆ 2026-02 ┆ 1,200.00 ┆ 1,900.00 ┆     700.00 │"),
        "{table}"
    );
    let edited = format!(
        "output edited: {}: edited after the run: its SHA-256 is not the one manifest.json lists\n",
        payouts.display()
    );
    let missing = format!(
        "output missing: {}: listed in manifest.json but missing\n",
        b.join("statements/2026-02/A1.md").display()
    );
    assert!(table.ends_with(&format!("{edited}{missing}")), "{table}");
    assert!(
        stderr.contains(&format!(
            "payout: warning: {}: edited after the run",
            payouts.display()
        )),
        "{stderr}"
    );
    // A folder against itself still shows a file edited since its run (on both sides).
    let (code, table, _) = diff(&b, &b, &[]);
    assert_eq!(code, 1);
    assert_eq!(table.matches("output edited:").count(), 2, "{table}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let ws = Ws::new();
    let a = ws.run("2026-02", "a");
    let (code, _, stderr) = diff(&a, &ws.path("missing"), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("payout: error: cannot read"), "{stderr}");
    let out = payout().args(["diff"]).arg(&a).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lines_whose_running_totals_alone_moved_are_counted_in_the_table_and_listed_in_csv() {
    let ws = Ws::new();
    let before = ws.run("2026-02", "before");
    // D1 (January) 10,000 → 12,000. February's D2 line (5,000 × 10% = 500.00) is unchanged but
    // starts higher in the quarter: cumulative 10,000–15,000 → 12,000–17,000.
    ws.edit("deals.csv", "D1,A1,10000", "D1,A1,12000");
    let after = ws.run("2026-02", "after");
    let (code, table, _) = diff(&before, &after, &[]);
    assert_eq!(code, 1);
    assert!(
        table.contains(
            "1 more statement line(s) differ only in their running totals or effective rate (cumulative_from, cumulative_to, effective_rate): --format csv lists them\n"
        ),
        "{table}"
    );
    assert!(!table.contains("statement lines:"), "{table}");
    let (_, csv, _) = diff(&before, &after, &["-f", "csv"]);
    assert!(
        csv.contains("line,changed,A1,ae,commission,2026-02,deal,D2,,500.00,500.00,0.00,cumulative_from 10000.00 -> 12000.00; cumulative_to 15000.00 -> 17000.00"),
        "{csv}"
    );
}
