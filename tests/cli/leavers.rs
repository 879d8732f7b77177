//! A split share of a rep who left: not silently dropped. Without a leaver window it is a
//! `credit-after-end-date` warning, a share not credited in the reconciliation, and a line of
//! `explain` for that rep; with `[crediting] leaver_window_days`, deals closing within the window
//! after the end date are credited.

use std::path::Path;

use crate::util::{payout, run_with, write};

const WORKSPACE: &str = "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n\n[credits]\nfile = \"credits.csv\"\n";

/// R1 owns both deals; R2 (end date 2026-03-31) has 40% of each: D1 closes on 2026-04-20 (20 days
/// after), D2 on 2026-07-15 (106 days after).
fn workspace(dir: &Path, crediting: &str) -> String {
    write(dir, "payout.toml", WORKSPACE);
    write(
        dir,
        "plans/ae.toml",
        &format!(
            "id = \"ae\"\n{crediting}\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\n\
             id = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\nrate = \"10%\"\n"
        ),
    );
    write(
        dir,
        "reps.csv",
        "rep_id,name,plan,start_date,end_date\nR1,Rita One,ae,2020-01-01,\nR2,Raj Two,ae,2020-01-01,2026-03-31\n",
    );
    write(
        dir,
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nD1,R1,10000,2026-04-20\nD2,R1,5000,2026-07-15\n",
    );
    write(
        dir,
        "credits.csv",
        "deal_id,rep_id,share,kind\nD1,R1,60%,split\nD1,R2,40%,split\nD2,R1,60%,split\nD2,R2,40%,split\n",
    );
    dir.join("payout.toml").display().to_string()
}

fn stdout_of(args: &[&str]) -> (String, String) {
    let out = payout().args(args).output().expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_split_share_after_the_end_date_is_warned_reconciled_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path(), "");
    // check warns, naming the credits file's line of the share.
    let (_, err) = stdout_of(&["-w", &ws, "check", "--period", "2026-04"]);
    assert!(
        err.contains("credits.csv:3: warning[credit-after-end-date]")
            && err.contains("deals.csv:2): split share 40% of R2 not credited: the deal closes 2026-04-20, after R2's end date 2026-03-31"),
        "{err}"
    );
    let run = run_with(&ws, "2026-04", &[]);
    // R1 is credited with its 60%: 10,000 × 60% × 10% = 600.00; R2 with nothing.
    assert_eq!(run.payable("R1", "commission", "2026-04"), "600.00");
    assert!(
        run.stderr
            .contains("2 deal rows: 1 credited, 1 outside the run's periods; 1 split or overlay share(s) not credited (their rep had left)"),
        "{}",
        run.stderr
    );
    // explain for R2 (nothing computed in April) lists the share and why.
    let (text, _) = stdout_of(&["-w", &ws, "explain", "--period", "2026-04", "--rep", "R2"]);
    assert!(
        text.contains("Deals of this rep not credited in this run:")
            && text.contains("split share 40% of R2 not credited: the deal closes 2026-04-20, after R2's end date 2026-03-31"),
        "{text}"
    );
    // In a run period where R2 still has results (2026-H1: January to March), the share is a line
    // of their explanation.
    let (text, _) = stdout_of(&["-w", &ws, "explain", "--period", "2026-H1", "--rep", "R2"]);
    assert!(
        text.contains("Deals of this rep not credited in this run:")
            && text.contains("split share 40% of R2 not credited"),
        "{text}"
    );
}

#[test]
fn a_leaver_window_credits_deals_closing_within_it() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path(), "\n[crediting]\nleaver_window_days = 90\n");
    let run = run_with(&ws, "2026-04", &[]);
    // D1 closes 20 days after R2's end date, within 90: R2 is credited 10,000 × 40% × 10% = 400.00.
    assert_eq!(run.payable("R2", "commission", "2026-04"), "400.00");
    assert_eq!(run.payable("R1", "commission", "2026-04"), "600.00");
    assert!(
        !run.stderr.contains("credit-after-end-date"),
        "{}",
        run.stderr
    );
    // D2 closes 106 days after, past the window (last credited day 2026-06-29): warned, R1 keeps 60%
    // = 5,000 × 60% × 10% = 300.00.
    let run = run_with(&ws, "2026-07", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-07"), "300.00");
    assert!(
        run.stderr.contains(
            "more than 90 days after R2's end date 2026-03-31 (the plan's leaver window)"
        ),
        "{}",
        run.stderr
    );
}
