//! The ledger's integrity: closes serialised by the ledger's lock (concurrent closes of the real
//! binary), the hash chain and head record (every kind of tampering is `ledger-tampered` at its first
//! bad line, for every command that reads the ledger), `payout ledger verify` and `seal`, a symlinked
//! ledger, a temporary copy left by an interrupted close, and the approver's name.
//!
//! Workspaces are scratch copies of tests/cases/ledger. Closing 2026-01 there writes 5 rows (A1
//! earned 1,000.00; H1 earned 1,000.00 and hold −500.00; S1 earned 200.00 and draw 800.00), 2026-02
//! 4 rows (A1 500.00; H1 1,000.00; S1 1,500.00 and recovery −300.00).

use std::path::Path;
use std::process::Output;

use crate::util::{payout, read_csv, Scratch};

impl Scratch {
    fn payout(&self, args: &[&str]) -> Output {
        payout()
            .args(["-w", &self.file()])
            .args(args)
            .output()
            .expect("payout runs")
    }

    fn close_by(&self, period: &str, approver: &str, extra: &[&str]) -> Output {
        let at = format!("{period}-28T09:00:00Z");
        let mut args = vec!["close", "--period", period, "--approved-by", approver];
        args.extend(["--closed-at", &at]);
        args.extend(extra);
        self.payout(&args)
    }

    fn ledger_text(&self) -> String {
        std::fs::read_to_string(self.path("ledger.csv")).expect("the ledger")
    }

    fn write_ledger(&self, text: &str) {
        std::fs::write(self.path("ledger.csv"), text).expect("write the ledger");
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `ledger head` a close message names: (hash, rows).
fn head_of_message(stderr: &str) -> (String, u64) {
    let at = stderr
        .find("ledger head ")
        .expect("the close names the head")
        + 12;
    let rest = &stderr[at..];
    let hash = rest[..64].to_string();
    let rows = rest[66..].split(' ').next().unwrap().parse().unwrap();
    (hash, rows)
}

/// The rows appended, from a close message ("... 5 ledger rows appended ...").
fn appended(stderr: &str) -> usize {
    let end = stderr
        .find(" ledger rows appended")
        .expect("the close message");
    stderr[..end]
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .expect("a count")
}

#[test]
fn concurrent_closes_each_land_in_the_ledger_exactly_once_or_are_refused() {
    // Each round: three closes at once on a fresh workspace (all with --allow-open-earlier, so the
    // order does not matter): January twice (one waits for the lock, one gives up at once) and
    // February. Every close that exits 0 has all its rows in the ledger once (its approver names
    // them), a refused one (exit 2) none, January is closed once, and the chain verifies.
    for round in 0..20 {
        let ws = Scratch::new("ledger");
        let plans: [(&str, &str, &[&str]); 3] = [
            ("2026-01", "P1", &[]),
            ("2026-02", "P2", &[]),
            ("2026-01", "P3", &["--wait", "0"]),
        ];
        let children: Vec<_> = plans
            .iter()
            .map(|(period, who, extra)| {
                let at = format!("{period}-28T09:00:00Z");
                std::process::Command::new(assert_cmd::cargo::cargo_bin("payout"))
                    .args(["-w", &ws.file(), "close", "--period", period])
                    .args(["--approved-by", who, "--closed-at", &at])
                    .arg("--allow-open-earlier")
                    .args(*extra)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("payout starts")
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("payout ends"))
            .collect();
        let rows = read_csv(&ws.path("ledger.csv"));
        let mut januaries = 0;
        let mut written = 0;
        for ((period, who, _), out) in plans.iter().zip(&outs) {
            let mine = rows.iter().filter(|r| r["approved_by"] == *who).count();
            let code = out.status.code();
            if code == Some(0) {
                assert_eq!(mine, appended(&stderr(out)), "round {round}: {who}");
                written += mine;
                januaries += usize::from(*period == "2026-01");
            } else {
                assert_eq!(code, Some(2), "round {round}: {who}: {}", stderr(out));
                assert_eq!(mine, 0, "round {round}: refused {who} wrote rows");
            }
        }
        assert_eq!(januaries, 1, "round {round}: January closed once");
        assert!(
            outs[1].status.success(),
            "round {round}: February waits its turn"
        );
        assert_eq!(rows.len(), written, "round {round}: no other rows");
        let verify = ws.payout(&["ledger", "verify"]);
        assert!(
            verify.status.success(),
            "round {round}: {}",
            stderr(&verify)
        );
    }
}

#[test]
fn a_close_waits_for_the_lock_up_to_wait_seconds_then_is_refused_with_nothing_written() {
    let ws = Scratch::new("ledger");
    let lock = std::fs::File::create(ws.path("ledger.csv.lock")).unwrap();
    lock.lock().unwrap();
    let out = ws.close_by("2026-01", "Dana", &["--wait", "0.2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("holds the ledger's lock")
            && stderr(&out).contains("nothing was written"),
        "{}",
        stderr(&out)
    );
    assert!(!ws.path("ledger.csv").exists());
    // Released while the close waits: it goes on.
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(lock);
    });
    let out = ws.close_by("2026-01", "Dana", &["--wait", "30"]);
    release.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_close_message_the_manifest_and_verify_name_the_same_head() {
    let ws = Scratch::new("ledger");
    let (h1, n1) = head_of_message(&ws.close("2026-01"));
    assert_eq!(n1, 5);
    let (h2, n2) = head_of_message(&ws.close("2026-02"));
    assert_eq!(n2, 9);
    // The head is the last row's hash, and the head record beside the ledger names it.
    assert!(ws.ledger_text().trim_end().ends_with(&h2));
    let record = std::fs::read_to_string(ws.path("ledger.csv.head")).unwrap();
    assert!(
        record.contains(&format!("rows = 9\nrow_hash = \"{h2}\"")),
        "{record}"
    );
    let out = ws.payout(&["ledger", "verify"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains(&format!("intact: 9 row(s), head {h2}")),
        "{}",
        stdout(&out)
    );
    // A head kept from January's close is still in the chain, 4 rows before the end.
    let out = ws.payout(&["ledger", "verify", "--head", &h1[..12]]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("at row 5 (line 6)"),
        "{}",
        stdout(&out)
    );
    let out = ws.payout(&["ledger", "verify", "--head", "0123456789abcdef"]);
    assert_eq!(out.status.code(), Some(1));
    // A run's manifest records the head it read.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let run = ws.payout(&[
        "run",
        "--period",
        "2026-03",
        "-q",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["ledger_head"]["rows"], 9);
    assert_eq!(manifest["ledger_head"]["row_hash"], h2.as_str());
    // The recipe in docs/verify-ledger.py recomputes the same chain (where python3 is installed).
    let script = crate::util::root().join("docs/verify-ledger.py");
    if let Ok(py) = std::process::Command::new("python3")
        .arg(&script)
        .arg(ws.path("ledger.csv"))
        .output()
    {
        assert!(py.status.success(), "{}{}", stdout(&py), stderr(&py));
        assert!(stdout(&py).contains(&format!("intact: 9 row(s), head {h2}")));
        ws.write_ledger(&ws.ledger_text().replacen("1000.00", "1001.00", 1));
        let py = std::process::Command::new("python3")
            .arg(&script)
            .arg(ws.path("ledger.csv"))
            .output()
            .unwrap();
        assert_eq!(py.status.code(), Some(1));
        assert!(
            stdout(&py).contains("ledger.csv:2: row_hash"),
            "{}",
            stdout(&py)
        );
    }
}

/// Every command that reads the ledger refuses it, naming `ledger.csv:LINE` (or the file); returns
/// `payout ledger verify`'s stderr.
fn refused_everywhere(ws: &Scratch, at: &str) -> String {
    let run = ws.payout(&["run", "--period", "2026-03"]);
    assert_eq!(run.status.code(), Some(1), "run: {}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!("{at}: error[ledger-tampered]")),
        "run: {}",
        stderr(&run)
    );
    let close = ws.close_by("2026-03", "Dana", &[]);
    assert_eq!(close.status.code(), Some(1), "close: {}", stderr(&close));
    assert!(stderr(&close).contains("ledger-tampered"));
    let check = ws.payout(&["check"]);
    assert_eq!(check.status.code(), Some(1), "check: {}", stderr(&check));
    let explain = ws.payout(&["explain", "--period", "2026-03", "--rep", "A1"]);
    assert_eq!(
        explain.status.code(),
        Some(1),
        "explain: {}",
        stderr(&explain)
    );
    let verify = ws.payout(&["ledger", "verify"]);
    assert_eq!(verify.status.code(), Some(1), "verify: {}", stderr(&verify));
    stderr(&verify)
}

#[test]
fn every_kind_of_tampering_is_refused_at_its_first_bad_line_by_every_command() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    ws.close("2026-02");
    let good = ws.ledger_text();
    let head_record = std::fs::read_to_string(ws.path("ledger.csv.head")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let join = |v: Vec<&str>| v.join("\n") + "\n";
    let ledger = ws.path("ledger.csv").display().to_string();
    let at = |line: u64| format!("{ledger}:{line}");

    // A changed amount (A1's January 1000.00 → 1500.00, line 2).
    ws.write_ledger(&good.replacen("1000.00", "1500.00", 1));
    let e = refused_everywhere(&ws, &at(2));
    assert!(e.contains("does not match the row"), "{e}");
    // A deleted paid row (H1's hold, line 4): the row after it breaks.
    let mut v = lines.clone();
    v.remove(3);
    ws.write_ledger(&join(v));
    refused_everywhere(&ws, &at(4));
    // Two rows swapped (lines 2 and 3).
    let mut v = lines.clone();
    v.swap(1, 2);
    ws.write_ledger(&join(v));
    refused_everywhere(&ws, &at(2));
    // A duplicated row (line 6, A1's February 500.00, copied after itself).
    let mut v = lines.clone();
    v.insert(6, lines[6]);
    ws.write_ledger(&join(v));
    let e = refused_everywhere(&ws, &at(8));
    assert!(e.contains("copy of line 7"), "{e}");
    // A forged row typed in (any approver, no hash), closing March.
    let forged = "A1,2026-03,ae,commission,earned,2026-03,,9999.00,,,2026-03,2026-03-28T09:00:00Z,abc,Anyone,,";
    ws.write_ledger(&format!("{good}{forged}\n"));
    let e = refused_everywhere(&ws, &at(11));
    assert!(e.contains("no `row_hash`"), "{e}");
    // The same row with its hash computed by the recipe: the chain holds, the head record does not.
    let tail = lines[9].rsplit(',').next().unwrap();
    let body = &forged[..forged.len() - 1];
    let hash = payout::ledger::chain::row_hash(tail, body.split(',').map(str::as_bytes));
    ws.write_ledger(&format!("{good}{body},{hash}\n"));
    let e = refused_everywhere(&ws, &at(11));
    assert!(e.contains("not in the head record"), "{e}");
    // The last two rows deleted.
    ws.write_ledger(&join(lines[..8].to_vec()));
    let e = refused_everywhere(&ws, &at(9));
    assert!(e.contains("last 2 row(s) were deleted"), "{e}");
    // The row_hash column removed.
    let stripped: Vec<String> = lines
        .iter()
        .map(|l| l[..l.rfind(',').unwrap()].to_string())
        .collect();
    ws.write_ledger(&(stripped.join("\n") + "\n"));
    refused_everywhere(&ws, &at(1));
    // The head record deleted, then the whole ledger deleted.
    ws.write_ledger(&good);
    std::fs::remove_file(ws.path("ledger.csv.head")).unwrap();
    let e = refused_everywhere(&ws, &ledger);
    assert!(e.contains("head record") && e.contains("is missing"), "{e}");
    std::fs::write(ws.path("ledger.csv.head"), &head_record).unwrap();
    std::fs::remove_file(ws.path("ledger.csv")).unwrap();
    let e = refused_everywhere(&ws, &ledger);
    assert!(e.contains("the ledger is missing"), "{e}");
    // diff refuses a tampered ledger too.
    ws.write_ledger(&good.replacen("1000.00", "1500.00", 1));
    let dir = tempfile::tempdir().unwrap();
    let diff = payout()
        .arg("diff")
        .arg(ws.path("ledger.csv"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    assert!(stderr(&diff).contains(&format!("{}: error[ledger-tampered]", at(2))));
    // Restored, everything reads it again.
    ws.write_ledger(&good);
    assert!(ws.payout(&["ledger", "verify"]).status.success());
    ws.close("2026-03");
}

#[test]
fn an_unchained_ledger_is_reported_and_sealed_with_every_cell_kept() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // The same ledger as written before rows were chained: no row_hash column, no head record.
    let chained = ws.ledger_text();
    let old: Vec<String> = chained
        .lines()
        .map(|l| l[..l.rfind(',').unwrap()].to_string())
        .collect();
    let old = old.join("\n") + "\n";
    ws.write_ledger(&old);
    std::fs::remove_file(ws.path("ledger.csv.head")).unwrap();
    let out = ws.payout(&["ledger", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("unchained: 5 row(s)"),
        "{}",
        stdout(&out)
    );
    let run = ws.payout(&["run", "--period", "2026-02"]);
    assert!(run.status.success());
    assert!(
        stderr(&run).contains("warning[ledger-unchained]"),
        "{}",
        stderr(&run)
    );
    let seal = ws.payout(&["ledger", "seal"]);
    assert!(seal.status.success(), "{}", stderr(&seal));
    assert!(
        stderr(&seal).contains("every cell kept"),
        "{}",
        stderr(&seal)
    );
    // Sealing gives the very bytes the close wrote: same cells, same chain.
    assert_eq!(ws.ledger_text(), chained);
    assert!(ws.payout(&["ledger", "verify"]).status.success());
    let again = ws.payout(&["ledger", "seal"]);
    assert!(stderr(&again).contains("is chained and matches its head record"));
    // A close on an unchained ledger chains it first, and says so.
    ws.write_ledger(&old);
    std::fs::remove_file(ws.path("ledger.csv.head")).unwrap();
    let e = ws.close("2026-02");
    assert!(e.contains("its 5 row(s) were chained first"), "{e}");
    assert!(ws.ledger_text().starts_with(&chained));
    assert!(ws.payout(&["ledger", "verify"]).status.success());
}

#[test]
fn a_head_record_behind_its_rows_is_recorded_by_seal_a_broken_chain_never() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    let january = std::fs::read_to_string(ws.path("ledger.csv.head")).unwrap();
    ws.close("2026-02");
    // A close stopped between renaming the ledger and its head record.
    std::fs::write(ws.path("ledger.csv.head"), &january).unwrap();
    let e = refused_everywhere(&ws, &format!("{}:7", ws.path("ledger.csv").display()));
    assert!(e.contains("`payout ledger seal` records the head"), "{e}");
    let seal = ws.payout(&["ledger", "seal"]);
    assert!(seal.status.success(), "{}", stderr(&seal));
    assert!(
        stderr(&seal).contains("the head record named 5 row(s)"),
        "{}",
        stderr(&seal)
    );
    assert!(ws.payout(&["ledger", "verify"]).status.success());
    // An edited row is never sealed.
    ws.write_ledger(&ws.ledger_text().replacen("1000.00", "1500.00", 1));
    let seal = ws.payout(&["ledger", "seal"]);
    assert_eq!(seal.status.code(), Some(1));
    assert!(stderr(&seal).contains("ledger-tampered"));
}

#[cfg(unix)]
#[test]
fn a_symlinked_ledger_is_appended_at_its_target_which_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // The ledger lives in another folder, under another name, readable by the group.
    let shared = ws.path("shared");
    std::fs::create_dir(&shared).unwrap();
    let target = shared.join("paid.csv");
    std::fs::rename(ws.path("ledger.csv"), &target).unwrap();
    std::fs::rename(ws.path("ledger.csv.head"), shared.join("paid.csv.head")).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(Path::new("shared/paid.csv"), ws.path("ledger.csv")).unwrap();
    ws.close("2026-02");
    let link = std::fs::symlink_metadata(ws.path("ledger.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is kept");
    assert_eq!(read_csv(&target).len(), 9, "5 + 4 rows at the target");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // The head record and the lock sit beside the target.
    assert!(shared.join("paid.csv.head").exists() && shared.join("paid.csv.lock").exists());
    assert!(!ws.path("ledger.csv.head").exists());
    assert!(ws.payout(&["ledger", "verify"]).status.success());
}

#[test]
fn a_temporary_copy_left_by_an_interrupted_close_is_removed_by_the_next_close() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // What a close killed before its rename leaves: a partial copy beside the ledger.
    let before = ws.ledger_text();
    std::fs::write(ws.path("ledger.csv.tmp"), &before[..before.len() / 2]).unwrap();
    std::fs::write(ws.path("ledger.csv.head.tmp"), "rows = 1").unwrap();
    // Readers ignore it.
    assert!(ws.payout(&["ledger", "verify"]).status.success());
    let e = ws.close("2026-02");
    assert!(
        e.contains("ledger.csv.tmp, left behind by an interrupted close"),
        "{e}"
    );
    assert!(!ws.path("ledger.csv.tmp").exists() && !ws.path("ledger.csv.head.tmp").exists());
    assert!(ws.ledger_text().starts_with(&before));
}

#[test]
fn an_approver_name_with_a_line_break_or_control_character_is_refused() {
    let ws = Scratch::new("ledger");
    for name in ["Dana\nEvil,row", "Dana\r", "Dana\u{7}Lee"] {
        let out = ws.close_by("2026-01", name, &[]);
        assert_eq!(out.status.code(), Some(2), "{name:?}");
        assert!(
            stderr(&out).contains("no line break or control character"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!ws.path("ledger.csv").exists());
}

#[test]
fn a_close_killed_at_any_moment_leaves_a_ledger_the_next_close_completes() {
    // A close of January killed after 0, 4, 8 ... 56 ms (before it reads, while it computes, while
    // it writes, after it ends). Whatever the moment, the ledger is the old one or the new one: the
    // next close of January either writes its 5 rows or is refused as already closed, and the chain
    // verifies. Killed between renaming the ledger and its head record, the close leaves the synced
    // `ledger.csv.head.tmp`, which the next close renames into place.
    for i in 0..15u64 {
        let ws = Scratch::new("ledger");
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("payout"))
            .args(["-w", &ws.file(), "close", "--period", "2026-01"])
            .args(["--approved-by", "Dana", "-q"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("payout starts");
        std::thread::sleep(std::time::Duration::from_millis(4 * i));
        let _ = child.kill();
        let _ = child.wait();
        let again = ws.close_by("2026-01", "Dana", &[]);
        match again.status.code() {
            Some(0) => {}
            Some(2) => assert!(
                stderr(&again).contains("already closed"),
                "{}",
                stderr(&again)
            ),
            other => panic!(
                "after a kill at {} ms: {other:?}: {}",
                4 * i,
                stderr(&again)
            ),
        }
        assert_eq!(
            read_csv(&ws.path("ledger.csv")).len(),
            5,
            "kill at {} ms",
            4 * i
        );
        assert!(ws.payout(&["ledger", "verify"]).status.success());
        assert!(!ws.path("ledger.csv.tmp").exists());
    }
}

#[test]
fn a_close_killed_between_its_two_renames_is_completed_by_the_next_close() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    let january = std::fs::read_to_string(ws.path("ledger.csv.head")).unwrap();
    ws.close("2026-02");
    // February's ledger renamed into place, its head record still the synced temporary copy.
    std::fs::rename(ws.path("ledger.csv.head"), ws.path("ledger.csv.head.tmp")).unwrap();
    std::fs::write(ws.path("ledger.csv.head"), &january).unwrap();
    let run = ws.payout(&["run", "--period", "2026-03"]);
    assert_eq!(run.status.code(), Some(1));
    let e = ws.close("2026-03");
    assert!(
        e.contains("completed the head record") && e.contains("(9 rows, head"),
        "{e}"
    );
    assert!(!ws.path("ledger.csv.head.tmp").exists());
    assert!(ws.payout(&["ledger", "verify"]).status.success());
}
