//! Cells a spreadsheet would run as a formula: every id and text a user controls in
//! tests/cases/formulas starts with `=`, `@`, `+` or `-` (a leading tab is trimmed by the readers, so
//! it never reaches an output); every CSV cell payout writes is neutralised with a leading
//! apostrophe, amounts stay plain numbers, and terminals and Markdown get control characters escaped.

use crate::util::{parse_csv, payout, run_with, workspace, Record};

/// Whether a spreadsheet would run the cell: a leading `=`, `@`, tab or carriage return, or a leading
/// `+`/`-` not followed by a plain number.
fn runs_as_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => cell[1..].parse::<rust_decimal::Decimal>().is_err(),
        _ => false,
    }
}

fn assert_no_formula(file: &str, records: &[Record]) {
    for r in records {
        for (column, cell) in r {
            assert!(
                !runs_as_formula(cell),
                "{file}: column {column}: {cell:?} would run as a formula"
            );
        }
    }
}

#[test]
fn every_csv_cell_from_user_text_is_neutralised_and_amounts_stay_numbers() {
    let run = run_with(&workspace("formulas"), "2026-01", &["--lenient"]);
    let out = run.out();
    let mut files = vec![
        "payouts.csv".to_string(),
        "reconciliation.csv".into(),
        "exceptions.csv".into(),
    ];
    for e in std::fs::read_dir(out.join("statements/2026-01")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".csv") {
            files.push(format!("statements/2026-01/{name}"));
        }
    }
    assert_eq!(files.len(), 5, "{files:?}");
    for file in &files {
        assert_no_formula(file, &parse_csv(&run.read(file)));
    }

    // =R1: deal -D1 1000 × 10% = 100.00; the adjustment -12.50; payable 100.00 − 12.50 = 87.50.
    let r1 = run.row("'=R1", "'@evil", "2026-01");
    assert_eq!(r1["rep_name"], "'-Ann");
    assert_eq!(r1["plan"], "'=bk");
    assert_eq!(r1["measure"], "'+m");
    assert_eq!(r1["earned_to_date"], "100.00");
    assert_eq!(r1["adjustments"], "-12.50");
    assert_eq!(r1["payable"], "87.50");
    // +R2: deal =D2 2000 × 10% = 200.00.
    assert_eq!(run.payable("'+R2", "'@evil", "2026-01"), "200.00");
    assert_eq!(
        run.row("'+R2", "'@evil", "2026-01")["rep_name"],
        "'@Bob\u{1b}[31m"
    );

    let statement = run.read("statements/2026-01/_R1~058580cbdc.csv");
    let lines = parse_csv(&statement);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["deal_id"], "'-D1");
    assert_eq!(lines[0]["component"], "'@evil");
    assert_eq!(lines[0]["amount"], "100.00");
    assert_eq!(lines[1]["line"], "adjustment");
    assert_eq!(
        lines[1]["formula"],
        "'=HYPERLINK(\"http://x\"); approved by @approver; +note"
    );
    assert_eq!(lines[1]["amount"], "-12.50");

    let exceptions = parse_csv(&run.read("exceptions.csv"));
    assert_eq!(exceptions.len(), 1);
    assert_eq!(exceptions[0]["value"], "'-R9");
}

#[test]
fn terminal_tables_and_markdown_show_control_characters_escaped() {
    let out = payout()
        .args(["-w", &workspace("formulas"), "run", "--lenient"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(!table.contains('\u{1b}'), "{table}");
    assert!(table.contains("@Bob\\u{1b}[31m"), "{table}");

    let dir = tempfile::tempdir().unwrap();
    payout()
        .args(["-w", &workspace("formulas"), "run", "--lenient", "-q", "-o"])
        .arg(dir.path())
        .assert()
        .success();
    let md =
        std::fs::read_to_string(dir.path().join("statements/2026-01/_R2~9e07754174.md")).unwrap();
    assert!(!md.contains('\u{1b}'), "{md}");
    assert!(
        md.starts_with("# Commission statement: @Bob\\u{1b}[31m (+R2), 2026-01\n"),
        "{md}"
    );

    let explain = payout()
        .args([
            "-w",
            &workspace("formulas"),
            "explain",
            "--lenient",
            "-r",
            "+R2",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(explain.stdout).unwrap();
    assert!(explain.status.success(), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("@Bob\\u{1b}[31m"), "{text}");
}

#[test]
fn diff_reads_neutralised_ids_back_and_writes_them_neutralised() {
    let ws = crate::util::scratch_copy("formulas");
    let file = ws.path().join("payout.toml").display().to_string();
    let run = |name: &str| {
        let out = ws.path().join(name);
        payout()
            .args(["-w", &file, "-q", "run", "--lenient", "-o"])
            .arg(&out)
            .assert()
            .success();
        out
    };
    let before = run("before");
    // The adjustment −12.50 → −20.00: =R1 pays 100.00 − 20.00 = 80.00 instead of 87.50 (−7.50).
    let adjustments = ws.path().join("adjustments.csv");
    let text = std::fs::read_to_string(&adjustments).unwrap();
    std::fs::write(&adjustments, text.replacen("-12.50", "-20", 1)).unwrap();
    let after = run("after");
    let out = payout()
        .args(["diff", "-f", "csv"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "section,change,rep_id,plan,component,payout_period,line,deal_id,path,old,new,difference,detail
payout,changed,'=R1,'=bk,'@evil,2026-01,,,,87.50,80.00,-7.50,adjustments -12.50 -> -20.00
line,changed,'=R1,'=bk,'@evil,2026-01,adjustment,,,-12.50,-20.00,-7.50,
input,changed,,,,,,,{},,,,
",
            adjustments.display()
        )
    );
    // The table shows the ids as they are.
    let out = payout()
        .arg("diff")
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("│ =R1 ┆ =bk  ┆ @evil     ┆ 2026-01 ┆ 87.50 ┆ 80.00 ┆      -7.50 ┆"),
        "{table}"
    );
}

#[test]
fn the_ledger_stores_ids_and_approver_neutralised_and_reads_them_back() {
    let dir = crate::util::scratch_copy("formulas");
    let ws = dir.path().join("payout.toml");
    let close = payout()
        .arg("-w")
        .arg(&ws)
        .args([
            "close",
            "--period",
            "2026-01",
            "--approved-by",
            "=HYPERLINK(\"x\")",
        ])
        .args(["--lenient", "--accept-exceptions", "-q"])
        .output()
        .expect("payout runs");
    assert_eq!(
        close.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&close.stderr)
    );
    let ledger = parse_csv(&std::fs::read_to_string(dir.path().join("ledger.csv")).unwrap());
    assert_no_formula("ledger.csv", &ledger);
    let r1 = ledger
        .iter()
        .find(|r| r["rep_id"] == "'=R1" && r["kind"] == "earned")
        .expect("R1's earned row");
    assert_eq!(r1["plan"], "'=bk");
    assert_eq!(r1["component"], "'@evil");
    assert_eq!(r1["approved_by"], "'=HYPERLINK(\"x\")");
    // The chain verifies, and January reads back as closed: its ids match =R1, =bk and @evil again
    // (an id read back with its apostrophe would be an orphan), and nothing is owed again:
    // earned 100.00 − 12.50 adjustment = 87.50, recorded and paid.
    let verify = payout()
        .arg("-w")
        .arg(&ws)
        .args(["ledger", "verify"])
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let run = run_with(ws.to_str().unwrap(), "2026-01", &["--lenient"]);
    let row = run.row("'=R1", "'@evil", "2026-01");
    assert_eq!(row["status"], "closed");
    assert_eq!(row["payable"], "87.50");
}
