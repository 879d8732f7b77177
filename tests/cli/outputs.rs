//! The output folder as a whole: reconciliation, manifest, determinism, and one statement golden.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::util::{
    dec, golden, parse_csv, payout, root, run_case, run_with, scratch_copy, tree, workspace,
};

#[test]
fn rows_left_out_are_tallied_by_the_first_condition_they_fail() {
    // tests/cases/filter-reasons, 2026-01. Both plans select stage = "Won", type in [New, Upsell],
    // product not in [Platform], read in column-name order (product, stage, type); `mixed` also
    // asks amount >= 0 (read first, every deal passes), so it is read condition by condition
    // while `text`, all text lists, is read from a table of reasons. R1 (text):
    //   A1   100 Won  New     Cloud    → credited
    //   A2   200 Lost New     Cloud    → stage "Lost"
    //   A3   400 Open Upsell  Cloud    → stage "Open"
    //   A4   800 Won  Renewal Cloud    → type "Renewal"
    //   A5 1,600 Lost Renewal Platform → product "Platform" (product is read first)
    //   A6 3,200 Won  Upsell  Cloud    → credited
    //   A7 6,400 Won  New     Platform → product "Platform"
    // R2 (mixed) has the same deals B1..B7 at a tenth of the amounts.
    let run = run_case("filter-reasons", "2026-01");
    let got: BTreeMap<String, (String, String)> = parse_csv(&run.read("reconciliation.csv"))
        .into_iter()
        .map(|r| {
            (
                r["status"].clone(),
                (r["rows"].clone(), r["amount"].clone()),
            )
        })
        .collect();
    let reason = |value: &str, rule: &str, plan: &str| {
        format!("not selected: {value} fails {rule} (measure bookings, plans/{plan}.toml:6)")
    };
    let mut expected = BTreeMap::new();
    // 100 + 200 + … + 6,400 = 12,700, and a tenth of it, 1,270: 14 rows, 13,970.00
    expected.insert("input".to_string(), ("14".into(), "13970.00".into()));
    // A1 + A6 = 3,300 and B1 + B6 = 330: 3,630.00
    expected.insert("credited".to_string(), ("4".into(), "3630.00".into()));
    for (plan, tenth) in [("text", 1), ("mixed", 10)] {
        let amount = |whole: i64| format!("{}.00", whole / tenth);
        let platform = r#"product "Platform""#;
        // A5 + A7 = 1,600 + 6,400 = 8,000
        let not_in = r#"product not in ["Platform"]"#;
        expected.insert(reason(platform, not_in, plan), ("2".into(), amount(8000)));
        let won = r#"stage = "Won""#;
        expected.insert(
            reason(r#"stage "Lost""#, won, plan),
            ("1".into(), amount(200)),
        );
        expected.insert(
            reason(r#"stage "Open""#, won, plan),
            ("1".into(), amount(400)),
        );
        let types = r#"type in ["New", "Upsell"]"#;
        expected.insert(
            reason(r#"type "Renewal""#, types, plan),
            ("1".into(), amount(800)),
        );
    }
    assert_eq!(got, expected);
}

#[test]
fn reconciliation_accounts_for_every_deal_row_per_currency() {
    // tests/cases/reconciliation, run 2026-Q1, plan selects stage = Won, monthly:
    //   U1 USD   100 2026-01 Won  → credited
    //   U2 USD   200 2026-02 Lost → not selected (stage Lost)
    //   U3 USD   400 2026-04 Won  → outside the run's periods
    //   U4 USD   800 2025-12 Lost → outside the run's periods (dated before the run)
    //   E1 EUR 1,000 2026-01 Won  → credited
    //   E2 EUR 2,000 2026-03 Lost → not selected (stage Lost)
    //   E3 EUR 4,000 2026-07 Won  → outside the run's periods
    let run = run_case("reconciliation", "2026-Q1");
    let mut got: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for r in parse_csv(&run.read("reconciliation.csv")) {
        let key = (r["status"].clone(), r["currency"].clone());
        assert!(got
            .insert(key, (r["rows"].clone(), r["amount"].clone()))
            .is_none());
    }
    let want = |s: &str, c: &str, n: &str, a: &str| {
        (
            (s.to_string(), c.to_string()),
            (n.to_string(), a.to_string()),
        )
    };
    let expected: BTreeMap<_, _> = [
        // EUR: E1 + E2 + E3 = 3 rows, 1,000 + 2,000 + 4,000 = 7,000.00 (in EUR, as in the file)
        want("input", "EUR", "3", "7000.00"),
        // USD: U1..U4 = 4 rows, 100 + 200 + 400 + 800 = 1,500.00
        want("input", "USD", "4", "1500.00"),
        want("credited", "EUR", "1", "1000.00"),
        want("credited", "USD", "1", "100.00"),
        want("outside the run's periods", "EUR", "1", "4000.00"),
        // U3 400 + U4 800 = 1,200.00
        want("outside the run's periods", "USD", "2", "1200.00"),
        want(
            "not selected: stage \"Lost\" fails stage = \"Won\" (measure bookings, plans/won.toml:5)",
            "EUR",
            "1",
            "2000.00",
        ),
        want(
            "not selected: stage \"Lost\" fails stage = \"Won\" (measure bookings, plans/won.toml:5)",
            "USD",
            "1",
            "200.00",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, expected);

    // The statuses add up to the input, per currency: EUR 1 + 1 + 1 = 3 rows, 1,000 + 4,000 + 2,000 =
    // 7,000; USD 1 + 2 + 1 = 4 rows, 100 + 1,200 + 200 = 1,500.
    for currency in ["EUR", "USD"] {
        let (mut rows, mut amount) = (0u64, Decimal::ZERO);
        for ((status, c), (n, a)) in &got {
            if c == currency && status != "input" {
                rows += n.parse::<u64>().unwrap();
                amount += dec(a);
            }
        }
        let (n, a) = &got[&("input".to_string(), currency.to_string())];
        assert_eq!(rows, n.parse::<u64>().unwrap(), "{currency} rows");
        assert_eq!(amount, dec(a), "{currency} amount");
    }
    // the one-line summary on stderr counts the same: 7 rows = 2 credited + 3 outside + 2 not selected
    assert!(run.stderr.contains("7 deal rows"), "{}", run.stderr);
    // and the credited deals are paid: (100 + 1,000 × 1.10) × 10% = 1,200 × 10% = 120.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "120.00");
}

fn sha256_file(path: &std::path::Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn manifest_lists_version_inputs_with_sha256_and_rows_and_every_output() {
    let run = run_case("flat", "2026-Q1");
    let m: serde_json::Value = serde_json::from_str(&run.read("manifest.json")).unwrap();
    assert_eq!(m["tool"], "payout");
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["settings"]["period"], "2026-Q1");
    assert_eq!(m["settings"]["currency"], "USD");
    let run_id = m["run_id"].as_str().unwrap();
    assert!(
        run_id.len() == 16 && run_id.chars().all(|c| c.is_ascii_hexdigit()),
        "run id {run_id}"
    );

    let case = root().join("tests/cases/flat");
    assert_eq!(
        m["workspace"]["sha256"],
        sha256_file(&case.join("payout.toml"))
    );
    assert_eq!(m["plans"].as_array().unwrap().len(), 1);
    assert_eq!(m["plans"][0]["path"], "tests/cases/flat/plans/flat.toml");
    assert_eq!(
        m["plans"][0]["sha256"],
        sha256_file(&case.join("plans/flat.toml"))
    );
    let inputs: BTreeMap<String, &serde_json::Value> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["path"].as_str().unwrap().to_string(), i))
        .collect();
    // reps.csv has 2 data rows (R1, R2), deals.csv 4 (F1..F4); no quotas or fx file in this workspace
    for (file, rows) in [("reps.csv", 2), ("deals.csv", 4)] {
        let path = format!("tests/cases/flat/{file}");
        let entry = inputs
            .get(&path)
            .unwrap_or_else(|| panic!("{path} in {inputs:?}"));
        assert_eq!(entry["sha256"], sha256_file(&root().join(&path)), "{file}");
        assert_eq!(entry["rows"], rows, "{file}");
        assert_eq!(
            entry["bytes"],
            std::fs::metadata(root().join(&path)).unwrap().len(),
            "{file}"
        );
    }
    assert_eq!(inputs.len(), 2);

    // outputs: every file of the folder but the manifest, each with its SHA-256
    let listed: BTreeMap<String, String> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_string(),
                o["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let on_disk: BTreeMap<String, String> = tree(run.out())
        .into_iter()
        .filter(|(p, _)| p != "manifest.json")
        .map(|(p, bytes)| (p, format!("{:x}", Sha256::digest(bytes))))
        .collect();
    assert_eq!(listed, on_disk);
    // payouts.csv, reconciliation.csv, and a .csv and .md statement per rep (2) and month (3): 2 + 12
    assert_eq!(listed.len(), 14);

    // the run id is the one reported on stdout by `--format json` for the same inputs
    let out = payout()
        .args([
            "-w",
            &workspace("flat"),
            "run",
            "--period",
            "2026-Q1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run_id"], run_id);
    // the json summary's total: 600.00 + 200.00 + 16.67 = 816.67
    assert_eq!(json["total_payable"]["USD"], "816.67");
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.contains(&format!("payout: run {run_id}, period 2026-Q1:")),
        "{said}"
    );

    // a summary on stdout alone records nothing: no run id (its deals file is not hashed)
    let out = payout()
        .args(["-w", &workspace("flat"), "run", "--period", "2026-Q1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(said.contains("payout: period 2026-Q1: "), "{said}");
    assert!(!said.contains(run_id), "{said}");
}

#[test]
fn the_run_id_changes_with_an_input_and_only_then() {
    let first = run_case("flat", "2026-Q1");
    let again = run_case("flat", "2026-Q1");
    let id = |run: &crate::util::Run| -> String {
        let m: serde_json::Value = serde_json::from_str(&run.read("manifest.json")).unwrap();
        m["run_id"].as_str().unwrap().to_string()
    };
    assert_eq!(id(&first), id(&again));
    // one more deal (outside the run period, so the payouts do not change) → another run id
    let dir = scratch_copy("flat");
    let deals = dir.path().join("deals.csv");
    let mut text = std::fs::read_to_string(&deals).unwrap();
    text.push_str("F5,R1,1,2027-01-01\n");
    std::fs::write(&deals, text).unwrap();
    let changed = run_with(
        dir.path().join("payout.toml").to_str().unwrap(),
        "2026-Q1",
        &[],
    );
    assert_ne!(id(&first), id(&changed));
    assert_eq!(first.read("payouts.csv"), changed.read("payouts.csv"));
}

/// A deterministic shuffle (no randomness crate needed): a linear congruential generator, seeded.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

/// Statement CSVs with the `source` column (file:line, which moves when rows move) left out.
fn without_source(text: &str) -> Vec<crate::util::Record> {
    parse_csv(text)
        .into_iter()
        .map(|mut r| {
            r.remove("source");
            r
        })
        .collect()
}

// Determinism runs on the example workspace (payout.toml at the repository root: 35 reps on 8 plans,
// 624 deals in USD and EUR, with a split, overlays, roll-ups to two levels of managers, a plan change,
// a ramped hire and a termination), which exercises far more paths than a small case.
const EXAMPLE: &str = "payout.toml";

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let one = run_with(EXAMPLE, "2026", &["--threads", "1"]);
    let four = run_with(EXAMPLE, "2026", &["--threads", "4"]);
    let (a, b) = (tree(one.out()), tree(four.out()));
    assert!(a.len() > 100, "the example run writes many statements");
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(
            bytes == &b[path],
            "{path} differs between --threads 1 and 4"
        );
    }
}

#[test]
fn output_does_not_depend_on_the_order_of_deal_rows() {
    let original = std::fs::read_to_string(root().join("examples/acme/deals.csv")).unwrap();
    let mut lines: Vec<&str> = original.lines().collect();
    let header = lines.remove(0);
    let before = lines.clone();
    shuffle(&mut lines, 2026);
    assert_ne!(before, lines, "the shuffle moved rows");
    let tmp = tempfile::tempdir().unwrap();
    let shuffled = tmp.path().join("deals.csv");
    std::fs::write(&shuffled, format!("{header}\n{}\n", lines.join("\n"))).unwrap();

    let plain = run_with(EXAMPLE, "2026", &[]);
    let moved = run_with(EXAMPLE, "2026", &["--deals", shuffled.to_str().unwrap()]);
    let (a, b) = (tree(plain.out()), tree(moved.out()));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        if path == "manifest.json" {
            continue;
        }
        if path.starts_with("statements/") && path.ends_with(".csv") {
            // same lines in the same order; only the deals' file:line differs
            let (x, y) = (
                String::from_utf8(bytes.clone()).unwrap(),
                String::from_utf8(b[path].clone()).unwrap(),
            );
            assert_eq!(without_source(&x), without_source(&y), "{path}");
        } else {
            assert!(
                bytes == &b[path],
                "{path} differs when deal rows are shuffled"
            );
        }
    }
    // The manifests differ only where the deals file does: its path and hash, and so the run id.
    let m1: serde_json::Value = serde_json::from_slice(&a["manifest.json"]).unwrap();
    let m2: serde_json::Value = serde_json::from_slice(&b["manifest.json"]).unwrap();
    assert_ne!(m1["run_id"], m2["run_id"]);
    assert_eq!(m1["plans"], m2["plans"]);
    assert_eq!(m1["settings"], m2["settings"]);
    let payouts_hash = |m: &serde_json::Value| {
        m["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["path"] == "payouts.csv")
            .unwrap()["sha256"]
            .clone()
    };
    assert_eq!(payouts_hash(&m1), payouts_hash(&m2));
}

#[test]
fn outputs_do_not_depend_on_the_folder_the_run_starts_from() {
    // The same workspace named `payout.toml` from the repository root and by its absolute path
    // from examples/: every file but the manifest (which lists the files as given) is
    // byte-identical; a statement names a deal's row by the deals file inside its data folder, the
    // reconciliation a plan's line by the plan file inside the workspace's folder.
    let from_root = run_with(EXAMPLE, "2026", &[]);
    let elsewhere = tempfile::tempdir().unwrap();
    let absolute = root().join(EXAMPLE);
    payout()
        .current_dir(root().join("examples"))
        .arg("-w")
        .arg(&absolute)
        .args(["run", "--period", "2026", "--format", "csv", "-q", "--out"])
        .arg(elsewhere.path())
        .assert()
        .success();
    let (a, b) = (tree(from_root.out()), tree(elsewhere.path()));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in a.iter().filter(|(p, _)| *p != "manifest.json") {
        assert!(bytes == &b[path], "{path} differs with the starting folder");
    }
    // OPP-10022 is on line 23 of examples/acme/deals.csv (line 1 is the header).
    let march = from_root.lines("2026-03", "A007", "commission");
    let opp = march.iter().find(|l| l["deal_id"] == "OPP-10022").unwrap();
    assert_eq!(opp["source"], "deals.csv:23");
    // The plan ae-ent selects bookings on stage = "Closed Won" at line 8 of its file.
    let reconciliation = from_root.read("reconciliation.csv");
    assert!(
        reconciliation.contains("(measure bookings, plans/acme/ae-ent.toml:8)"),
        "{reconciliation}"
    );
}

#[test]
fn statement_markdown_golden() {
    // tests/cases/retro, R1, February (BLESS=1 rewrites tests/cases/retro/expected/2026-02-R1.md).
    // Its numbers, by hand: RT3 30,000 × 10% = 3,000.00; uplift 80,000 × 3% = 2,400.00; payable
    // 5,400.00 = earned 11,000.00 (110,000 × 10%) − paid 5,600.00; attainment 110,000 ÷ 100,000 = 110%;
    // effective rate 11,000.00 ÷ 110,000.00 = 10%.
    let run = run_case("retro", "2026-Q1");
    golden(
        "retro/expected/2026-02-R1.md",
        &run.read("statements/2026-02/R1.md"),
    );
}

#[test]
fn an_output_folder_is_rewritten_whole_and_never_mixes_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ws = workspace("retro");
    let run = |period: &str, extra: &[&str]| {
        payout()
            .args(["-w", &ws, "-q", "run", "--period", period, "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run("2026-Q1", &[]).status.success());
    let first = tree(&out);
    // Statements are written into a staging folder renamed into place: nothing else is left.
    assert!(
        first
            .keys()
            .all(|p| !p.contains(".partial") && !p.contains(".old")),
        "{:?}",
        first.keys()
    );
    assert!(first.contains_key("statements/2026-01/R1.csv"));
    // The same run again: the same files, byte for byte.
    assert!(run("2026-Q1", &[]).status.success());
    assert_eq!(tree(&out), first);
    // Another run (another period) is refused, exit 2, and changes nothing ...
    let refused = run("2026-02", &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refusing to mix runs"));
    assert_eq!(tree(&out), first);
    // ... unless forced: then the folder holds the new run only (no January or March statement).
    assert!(run("2026-02", &["--force"]).status.success());
    let second = tree(&out);
    assert!(second.contains_key("statements/2026-02/R1.csv"));
    assert!(second
        .keys()
        .all(|p| !p.starts_with("statements/2026-01") && !p.starts_with("statements/2026-03")));
}

#[test]
fn stderr_that_is_not_a_terminal_gets_messages_and_no_progress_bar() {
    // The progress bars (reading deals, writing statements) draw only on a terminal: a run with
    // --out under a pipeline prints its messages and nothing else.
    let run = run_case("flat", "2026-Q1");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(line.starts_with("payout: "), "{:?}", run.stderr);
    }
    assert!(
        !run.stderr.contains('\r') && !run.stderr.contains('\u{1b}'),
        "{:?}",
        run.stderr
    );
    assert!(!run.stderr.contains("writing statements"), "{}", run.stderr);
    assert!(run.stderr.contains("payout: wrote "), "{}", run.stderr);
}
