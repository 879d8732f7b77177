//! Command-line conventions a script relies on: options in the wrong place get the command line that
//! works, a bad `--period` fails before any data is read, and a command that prints JSON prints a
//! JSON error object with fixed keys when it fails.

use crate::util::payout;

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(bytes)
        )
    })
}

#[test]
fn a_command_option_before_the_command_is_answered_with_the_command_line_that_works() {
    for (args, fixed) in [
        (
            vec!["--period", "2026-01", "run"],
            "payout: error: --period belongs after the command: payout run --period 2026-01\n",
        ),
        (
            vec!["-q", "-f", "csv", "run"],
            "payout: error: -f belongs after the command: payout -q run -f csv\n",
        ),
        (
            vec!["--rep=A004", "explain"],
            "payout: error: --rep belongs after the command: payout explain --rep=A004\n",
        ),
    ] {
        let out = payout().args(&args).output().expect("payout runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), fixed, "{args:?}");
    }
    // A flag no command has is still clap's own usage error.
    let out = payout()
        .args(["--bogus", "run"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--bogus'"));
}

#[test]
fn a_command_help_lists_its_own_options_first_and_the_shared_ones_under_headings() {
    let out = payout()
        .args(["capacity", "--help"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    let at = |text: &str| {
        help.find(text)
            .unwrap_or_else(|| panic!("`{text}` not in the help:\n{help}"))
    };
    // The command's own options, then the workspace's files, then how the run behaves.
    assert!(at("--year <YEAR>") < at("Workspace and data:"), "{help}");
    assert!(
        at("--target <AMOUNT>") < at("Workspace and data:"),
        "{help}"
    );
    assert!(
        at("Workspace and data:") < at("--workspace <FILE>"),
        "{help}"
    );
    assert!(at("--ledger <FILE>") < at("Run behaviour:"), "{help}");
    assert!(at("Run behaviour:") < at("--threads <N>"), "{help}");
    assert!(at("Run behaviour:") < at("--lenient"), "{help}");
}

#[test]
fn a_period_that_is_no_period_fails_before_any_data_is_read() {
    // The deals file does not exist: the period is the error reported, so no data was opened.
    let out = payout()
        .args(["run", "--period", "2026-13", "--deals", "no/such/deals.csv"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "payout: error: --period: `2026-13` is not a period like 2026-03 (month), 2026-Q1, 2026-H1 or 2026\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_failed_json_command_prints_a_json_error_object_with_fixed_keys() {
    // Usage error (exit 2): no diagnostics.
    let out = payout()
        .args(["run", "-f", "json", "--period", "2026-13"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(2));
    let usage = json(&out.stdout);
    assert_eq!(usage["error"]["exit_code"], 2);
    assert_eq!(usage["error"]["diagnostics"], serde_json::json!([]));
    assert!(usage["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("2026-13")));

    // Invalid input (exit 1): every diagnostic, each with all eight keys, null where it has no value.
    let out = payout()
        .args([
            "-w",
            "tests/errors/quota-missing/payout.toml",
            "run",
            "-f",
            "json",
        ])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(1));
    let invalid = json(&out.stdout);
    assert_eq!(invalid["error"]["exit_code"], 1);
    let diags = invalid["error"]["diagnostics"]
        .as_array()
        .expect("an array");
    assert!(!diags.is_empty());
    for d in diags {
        let keys: Vec<&str> = d
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["severity", "code", "file", "line", "column", "value", "message", "hint"]
        );
    }
    // The missing quota is the plan's problem: a file, but no line, column or value.
    assert_eq!(diags[0]["code"], "quota-missing");
    assert!(
        diags[0]["line"].is_null() && diags[0]["column"].is_null() && diags[0]["value"].is_null()
    );
}

#[test]
fn json_rows_carry_null_where_a_component_has_no_quota() {
    let out = payout()
        .args(["run", "-f", "json", "-q"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out.stdout);
    let rows = doc["rows"].as_array().expect("rows");
    let row = |rep: &str, component: &str| {
        rows.iter()
            .find(|r| r["rep_id"] == rep && r["component"] == component)
            .unwrap_or_else(|| panic!("a row for {rep} {component}"))
    };
    // A011's margin component pays flat rates by product: no quota, so no attainment either.
    let margin = row("A011", "margin");
    assert!(
        margin["quota"].is_null() && margin["attainment"].is_null(),
        "{margin}"
    );
    // A004's commission: quota 94,100.00; 97,589.00 / 94,100.00 = 1.0370775...: "1.037077" (the
    // ratio is cut to 6 decimals, not rounded).
    let commission = row("A004", "commission");
    assert_eq!(commission["quota"], "94100.00");
    assert_eq!(commission["attainment"], "1.037077");
}

#[test]
fn a_data_file_named_dash_is_read_from_standard_input() {
    // The example's deals piped in pay exactly what the file pays.
    let from_file = payout()
        .args(["run", "-f", "csv", "-q"])
        .output()
        .expect("payout runs");
    let deals = std::fs::read(crate::util::root().join("examples/acme/deals.csv")).unwrap();
    let piped = payout()
        .args(["run", "-f", "csv", "-q", "--deals", "-"])
        .write_stdin(deals)
        .output()
        .expect("payout runs");
    assert_eq!(
        piped.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    assert!(!from_file.stdout.is_empty());
    assert_eq!(piped.stdout, from_file.stdout);
}
