//! Output layouts for the people who pay and are paid: statements per payout period (one CSV per
//! period with every rep's lines) or none, CSV files with a UTF-8 byte-order mark, the .xlsx
//! workbook. Expected numbers are worked out by hand beside each assertion.

use std::path::Path;

use crate::util::{dec, parse_csv, payout, read, run_out, tree, workspace};

/// The manifest's output paths.
fn manifest_outputs(dir: &Path) -> Vec<String> {
    let m: serde_json::Value = serde_json::from_str(&read(dir, "manifest.json")).unwrap();
    m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn per_period_statements_hold_every_reps_lines_and_sum_to_the_payouts() {
    // tests/cases/flat: 5% on every deal, monthly.
    // January: R1 F1 10,000 × 5% = 500 + F2 2,000 × 5% = 100 → 600.00;
    //          R2 F4 333.33 × 5% = 16.6665, rounded half away from zero to 16.67 (a rounding line
    //          of +0.0035).
    // February: R1 F3 4,000 × 5% = 200.00 (R2 has a 0.00 row and no lines).
    let dir = run_out(
        &workspace("flat"),
        "2026-Q1",
        &["--statements", "per-period"],
    );
    let out = dir.path();
    let jan = parse_csv(&read(out, "statements/2026-01.csv"));
    let brief: Vec<(&str, &str, &str, &str)> = jan
        .iter()
        .map(|l| {
            (
                l["rep_id"].as_str(),
                l["line"].as_str(),
                l["deal_id"].as_str(),
                l["amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            ("R1", "deal", "F1", "500.00"),
            ("R1", "deal", "F2", "100.00"),
            ("R2", "deal", "F4", "16.6665"),
            ("R2", "rounding", "", "0.0035"),
        ]
    );
    // Each rep's lines sum to its payable in payouts.csv, in every period.
    for row in parse_csv(&read(out, "payouts.csv")) {
        let period = &row["payout_period"];
        let lines = parse_csv(&read(out, &format!("statements/{period}.csv")));
        let sum: rust_decimal::Decimal = lines
            .iter()
            .filter(|l| l["rep_id"] == row["rep_id"] && l["component"] == row["component"])
            .map(|l| dec(&l["amount"]))
            .sum();
        assert_eq!(sum, dec(&row["payable"]), "{row:?}");
    }
    // One file per payout period, no per-rep files, each listed in the manifest.
    let files: Vec<String> = tree(out).into_keys().collect();
    assert_eq!(
        files,
        [
            "manifest.json",
            "payouts.csv",
            "reconciliation.csv",
            "statements/2026-01.csv",
            "statements/2026-02.csv",
            "statements/2026-03.csv",
        ]
    );
    assert_eq!(manifest_outputs(out), files[1..]);
}

#[test]
fn per_period_statements_are_the_per_rep_lines_in_rep_order_whatever_the_threads() {
    let (per_period, per_rep) = per_period_and_per_rep("payout.toml", "2026");
    assert!(
        per_period
            .keys()
            .filter(|p| p.starts_with("statements/"))
            .count()
            >= 12,
        "a year of monthly statements"
    );
    assert_eq!(per_period["payouts.csv"], per_rep["payouts.csv"]);
}

#[test]
fn per_period_statements_written_as_the_run_computes_are_the_per_rep_lines() {
    // Written while the run computes each rep (no ledger, adjustment, payment rule or pay
    // currency): splits and overlays (crediting), rules, tiers crossed, true-ups, spiffs.
    for (case, period) in [
        ("crediting", "2026-Q1"),
        ("mixed-rules", "2026-Q1"),
        ("marginal", "2026-Q1"),
        ("trueup", "2026-Q1"),
        ("spiff", "2026-Q1"),
    ] {
        per_period_and_per_rep(&workspace(case), period);
    }
    // The payment step then adds lines the run did not have (a negative month floored, another
    // carried forward: R1 pays 1000 − 400 floored at 0, R2 carries −400 into March), and the
    // statements are written again from the settled run.
    let (per_period, _) = per_period_and_per_rep(&workspace("floor"), "2026-Q1");
    let march = String::from_utf8(per_period["statements/2026-03.csv"].clone()).unwrap();
    assert!(
        march
            .lines()
            .any(|l| l.starts_with("R2,") && l.contains(",-400")),
        "R2's carried −400 in March:\n{march}"
    );
}

/// The output folders of a run with per-period statements (the same for `--threads` 1 and 4)
/// and with per-rep statements, after checking that each per-period file is the header, then
/// each rep's per-rep CSV without its header, by rep.
fn per_period_and_per_rep(
    ws: &str,
    period: &str,
) -> (
    std::collections::BTreeMap<String, Vec<u8>>,
    std::collections::BTreeMap<String, Vec<u8>>,
) {
    let per_rep = run_out(ws, period, &[]);
    let one = run_out(
        ws,
        period,
        &["--statements", "per-period", "--threads", "1"],
    );
    let four = run_out(
        ws,
        period,
        &["--statements", "per-period", "--threads", "4"],
    );
    let (a, b) = (tree(one.path()), tree(four.path()));
    assert_eq!(
        a, b,
        "{ws}: per-period outputs differ between --threads 1 and 4"
    );
    let reps = tree(per_rep.path());
    let mut expected: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    for (path, bytes) in &reps {
        let Some(rest) = path.strip_prefix("statements/") else {
            continue;
        };
        let Some((period, _rep)) = rest.strip_suffix(".csv").and_then(|r| r.split_once('/')) else {
            continue;
        };
        let file = expected
            .entry(format!("statements/{period}.csv"))
            .or_default();
        let body = bytes.iter().position(|&c| c == b'\n').unwrap() + 1;
        if file.is_empty() {
            file.extend_from_slice(&bytes[..body]);
        }
        file.extend_from_slice(&bytes[body..]);
    }
    assert!(!expected.is_empty(), "{ws}: statements");
    let written: Vec<&String> = a.keys().filter(|p| p.starts_with("statements/")).collect();
    assert_eq!(written, expected.keys().collect::<Vec<_>>(), "{ws}");
    for (path, bytes) in &expected {
        assert!(
            &a[path] == bytes,
            "{ws}: {path} is not the per-rep lines in rep order"
        );
    }
    for name in ["payouts.csv", "reconciliation.csv"] {
        assert_eq!(a[name], reps[name], "{ws}: {name}");
    }
    (a, reps)
}

#[test]
fn statements_none_writes_no_statements_and_replaces_an_earlier_layout() {
    let dir = run_out(&workspace("flat"), "2026-Q1", &[]);
    assert!(dir.path().join("statements/2026-01/R1.md").exists());
    // The same run again, into the same folder, without statements.
    let out = payout()
        .args([
            "-w",
            &workspace("flat"),
            "run",
            "--period",
            "2026-Q1",
            "-q",
            "--statements",
            "none",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!dir.path().join("statements").exists());
    assert_eq!(
        manifest_outputs(dir.path()),
        ["payouts.csv", "reconciliation.csv"]
    );
}

/// A copy of tests/cases/flat with R1 renamed Élise Lefèvre, and `extra` appended to its workspace.
fn lefevre(extra: &str) -> tempfile::TempDir {
    let dir = crate::util::scratch_copy("flat");
    let p = dir.path();
    let reps = read(p, "reps.csv").replace("Rita One", "Élise Lefèvre");
    crate::util::write(p, "reps.csv", &reps);
    let ws = read(p, "payout.toml");
    crate::util::write(p, "payout.toml", &format!("{ws}\n{extra}"));
    dir
}

#[test]
fn csv_files_start_with_a_byte_order_mark_when_asked() {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    // By the flag: every CSV file starts with EF BB BF, then the header; Markdown files do not.
    let ws = lefevre("");
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-Q1", &["--csv-bom"]);
    let files = tree(dir.path());
    for (path, bytes) in &files {
        match path.rsplit_once('.').map(|(_, ext)| ext) {
            Some("csv") => assert!(bytes.starts_with(BOM), "{path} has no BOM"),
            _ => assert!(!bytes.starts_with(BOM), "{path} has a BOM"),
        }
    }
    // "è" is C3 A8 in UTF-8, after the mark: Excel reads "Lefèvre", not "LefÃ¨vre".
    let payouts = &files["payouts.csv"];
    assert!(payouts[3..].starts_with(b"rep_id,"));
    assert!(payouts.windows(9).any(|w| w == "Lefèvre,".as_bytes()));
    // The manifest hashes the files as written, mark included.
    let m: serde_json::Value = serde_json::from_str(&read(dir.path(), "manifest.json")).unwrap();
    for o in m["outputs"].as_array().unwrap() {
        let path = o["path"].as_str().unwrap();
        let sha = {
            use sha2::Digest;
            format!("{:x}", sha2::Sha256::digest(&files[path]))
        };
        assert_eq!(o["sha256"], sha, "{path}");
    }
    // `payout diff` reads a folder written with the mark.
    let out = payout()
        .args(["diff"])
        .arg(dir.path())
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // By the workspace, with per-period statements: the same mark.
    let ws = lefevre("[outputs]\ncsv_bom = true\nstatements = \"per-period\"\n");
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-Q1", &[]);
    let jan = std::fs::read(dir.path().join("statements/2026-01.csv")).unwrap();
    assert!(jan.starts_with(b"\xEF\xBB\xBFrep_id,payout_period,"));
    // Without either, no mark.
    let dir = run_out(&workspace("flat"), "2026-Q1", &[]);
    assert!(std::fs::read(dir.path().join("payouts.csv"))
        .unwrap()
        .starts_with(b"rep_id,"));
}

#[test]
fn the_workbook_has_a_sheet_per_output_with_numbers_as_numbers_and_periods_as_text() {
    use calamine::{Data, Reader};
    // tests/cases/flat, R1 renamed Élise Lefèvre, written with the mark and the workbook.
    let ws = lefevre("[outputs]\nxlsx = true\n");
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-Q1", &["--csv-bom"]);
    let bytes = std::fs::read(dir.path().join("workbook.xlsx")).unwrap();
    assert!(bytes.starts_with(b"PK"), "an .xlsx file is a zip archive");
    assert!(manifest_outputs(dir.path()).contains(&"workbook.xlsx".to_string()));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["payouts", "reconciliation", "statement lines"]
    );
    // A cell by sheet, row (0: the header) and column name.
    let mut sheet = |name: &str| book.worksheet_range(name).unwrap();
    let payouts = sheet("payouts");
    let col = |range: &calamine::Range<Data>, name: &str| {
        (0..range.width())
            .find(|&c| range.get((0, c)) == Some(&Data::String(name.into())))
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let cell = |range: &calamine::Range<Data>, row: usize, name: &str| {
        range
            .get((row, col(range, name)))
            .cloned()
            .unwrap_or(Data::Empty)
    };
    // Row 1: R1, 2026-01: 10,000 × 5% + 2,000 × 5% = 600.00 payable, 12,000 measured.
    assert_eq!(cell(&payouts, 1, "rep_id"), Data::String("R1".into()));
    assert_eq!(
        cell(&payouts, 1, "rep_name"),
        Data::String("Élise Lefèvre".into())
    );
    assert_eq!(
        cell(&payouts, 1, "payout_period"),
        Data::String("2026-01".into())
    );
    assert_eq!(cell(&payouts, 1, "payable"), Data::Float(600.0));
    assert_eq!(cell(&payouts, 1, "measure_to_date"), Data::Float(12000.0));
    // R2, 2026-01: 333.33 × 5% = 16.6665 → 16.67.
    let r2 = (1..payouts.height())
        .find(|&r| cell(&payouts, r, "rep_id") == Data::String("R2".into()))
        .unwrap();
    assert_eq!(cell(&payouts, r2, "payable"), Data::Float(16.67));
    // Reconciliation: 4 input rows, 10,000 + 2,000 + 4,000 + 333.33 = 16,333.33.
    let rec = sheet("reconciliation");
    assert_eq!(cell(&rec, 1, "status"), Data::String("input".into()));
    assert_eq!(cell(&rec, 1, "rows"), Data::Float(4.0));
    assert_eq!(cell(&rec, 1, "amount"), Data::Float(16333.33));
    // Statement lines: R2's F4 line pays 16.6665 unrounded, its rounding line 0.0035.
    let lines = sheet("statement lines");
    let f4 = (1..lines.height())
        .find(|&r| cell(&lines, r, "deal_id") == Data::String("F4".into()))
        .unwrap();
    assert_eq!(
        cell(&lines, f4, "payout_period"),
        Data::String("2026-01".into())
    );
    assert_eq!(cell(&lines, f4, "amount"), Data::Float(16.6665));
    assert_eq!(cell(&lines, f4, "deal_value"), Data::Float(333.33));
    assert_eq!(cell(&lines, f4, "date"), Data::String("2026-01-31".into()));
    assert_eq!(
        cell(&lines, f4 + 1, "line"),
        Data::String("rounding".into())
    );
    assert_eq!(cell(&lines, f4 + 1, "amount"), Data::Float(0.0035));
    assert_eq!(cell(&lines, f4 + 1, "deal_id"), Data::Empty);
    // Without the setting, no workbook (and none left over from the run before).
    let out = payout()
        .args([
            "-w",
            &workspace("flat"),
            "run",
            "--period",
            "2026-Q1",
            "-q",
            "--force",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!dir.path().join("workbook.xlsx").exists());
}

/// tests/cases/flat with R2 paid in GBP (R1 in USD, the plan's currency), a -50.00 adjustment
/// for R2 in February paid negative (`negative_payable = "deduct"`), the FX file `fx`, and
/// `extra` appended to the workspace.
fn paid_in_gbp(fx: &str, extra: &str) -> tempfile::TempDir {
    let dir = crate::util::scratch_copy("flat");
    let p = dir.path();
    let plan = read(p, "plans/flat.toml");
    crate::util::write(
        p,
        "plans/flat.toml",
        &format!("{plan}\n[payment]\nnegative_payable = \"deduct\"\n"),
    );
    crate::util::write(
        p,
        "reps.csv",
        "rep_id,name,plan,currency\nR1,Rita One,flat,USD\nR2,Raj Two,flat,GBP\n",
    );
    crate::util::write(
        p,
        "adjustments.csv",
        "rep_id,period,amount,reason\nR2,2026-02,-50,correction\n",
    );
    crate::util::write(p, "fx.csv", fx);
    let ws = read(p, "payout.toml");
    crate::util::write(
        p,
        "payout.toml",
        &format!(
            "{ws}\n[fx]\nfile = \"fx.csv\"\n\n[adjustments]\nfile = \"adjustments.csv\"\n\n{extra}"
        ),
    );
    dir
}

/// The `pay-currency` lines of a statement CSV: (rep, date, currency, base, formula, amount).
fn pay_lines(csv: &str) -> Vec<[String; 6]> {
    parse_csv(csv)
        .into_iter()
        .filter(|l| l["line"] == "pay-currency")
        .map(|l| ["rep_id", "date", "currency", "base", "formula", "amount"].map(|c| l[c].clone()))
        .collect()
}

/// USD per GBP: mid 1.2592, bid 1.2591, ask 1.2593.
const FX: &str = "currency,date,rate,bid,ask\nGBP,2026-01-01,1.2592,1.2591,1.2593\n";

#[test]
fn a_rep_paid_in_another_currency_gets_the_payable_converted_at_the_ask_or_the_bid() {
    // R2, January: 333.33 × 5% = 16.6665 → 16.67 USD payable (R1 is paid in USD: no line).
    // The rate in force at the payout period's end (2026-01-31: the row of 2026-01-01); paying the
    // rep buys GBP at the ask: 16.67 ÷ 1.2593 = 13.23751… → 13.24 GBP. Each step is rounded: the
    // payable before it is converted (the unrounded 16.6665 ÷ 1.2593 = 13.23473… would give 13.23).
    let ws = paid_in_gbp(FX, "");
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-Q1", &[]);
    let csv = read(dir.path(), "statements/2026-01/R2.csv");
    let expect = |period: &str, base: &str, side: &str, rate: &str, amount: &str| {
        [
            "R2".to_string(),
            period.to_string(),
            "GBP".to_string(),
            base.to_string(),
            // A formula starting with `-` is neutralised for spreadsheets (a leading `'`).
            format!(
                "{}{base} USD ÷ {rate} (GBP {side}) = {amount} GBP, rate of {period}",
                if base.starts_with('-') { "'" } else { "" }
            ),
            amount.to_string(),
        ]
    };
    assert_eq!(
        pay_lines(&csv),
        [expect("2026-01-31", "16.67", "ask", "1.2593", "13.24")]
    );
    let md = read(dir.path(), "statements/2026-01/R2.md");
    assert!(
        md.contains("**Paid in GBP: 13.24 GBP** (16.67 USD ÷ 1.2593 (GBP ask)"),
        "{md}"
    );
    assert!(pay_lines(&read(dir.path(), "statements/2026-01/R1.csv")).is_empty());
    // February: the adjustment makes R2's payable -50.00, which R2 owes: GBP sold at the bid,
    //   -50.00 ÷ 1.2591 = -39.71090… → -39.71 GBP.
    assert_eq!(
        pay_lines(&read(dir.path(), "statements/2026-02/R2.csv")),
        [expect("2026-02-28", "-50.00", "bid", "1.2591", "-39.71")]
    );
    // The payable stays in the plan currency: payouts.csv shows 16.67 USD.
    assert!(
        read(dir.path(), "payouts.csv").contains("R2,Raj Two,flat,commission,2026-01,2026-01,USD,")
    );
    // The per-period file carries the same line.
    let dir = run_out(
        ws_file.to_str().unwrap(),
        "2026-Q1",
        &["--statements", "per-period"],
    );
    assert_eq!(
        pay_lines(&read(dir.path(), "statements/2026-01.csv")),
        pay_lines(&csv)
    );
}

#[test]
fn payroll_pays_a_rep_in_their_currency_and_its_rows_sum_to_the_statements_conversion() {
    let ws = paid_in_gbp(
        FX,
        "[payroll]\npay_days_after = 5\nearnings_codes = { commission = \"COMM\", kicker = \"KICK\" }\n",
    );
    let plan = read(ws.path(), "plans/flat.toml");
    crate::util::write(
        ws.path(),
        "plans/flat.toml",
        &format!("{plan}\n[[components]]\nid = \"kicker\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\nrate = \"2%\"\n"),
    );
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-01", &["--xlsx"]);
    // R2, January: commission 333.33 × 5% = 16.6665 → 16.67 USD, kicker 333.33 × 2% = 6.6666 →
    // 6.67 USD. The statement converts its payable, 23.34 USD ÷ 1.2593 (GBP ask) = 18.5341… →
    // 18.53 GBP. Payroll pays the same 18.53 GBP, per code at that rate: COMM 16.67 ÷ 1.2593 =
    // 13.2375… → 13.24; KICK 6.67 ÷ 1.2593 = 5.2966… → 5.30, less the cent the two roundings added
    // (13.24 + 5.30 = 18.54): 5.29. R1 is paid in USD: 12,000 × 5% = 600.00 and × 2% = 240.00.
    // Paid 5 days after January 31.
    assert!(
        read(dir.path(), "statements/2026-01/R2.md").contains("**Paid in GBP: 18.53 GBP**"),
        "the statement's conversion"
    );
    assert_eq!(
        read(dir.path(), "payroll.csv"),
        "employee_id,pay_date,earnings_code,amount,currency\n\
         R1,2026-02-05,COMM,600.00,USD\n\
         R1,2026-02-05,KICK,240.00,USD\n\
         R2,2026-02-05,COMM,13.24,GBP\n\
         R2,2026-02-05,KICK,5.29,GBP\n"
    );
    // The workbook shows it as a sheet of its own, amounts as numbers, ids and dates as text.
    use calamine::{Data, Reader};
    let bytes = std::fs::read(dir.path().join("workbook.xlsx")).unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names().last().map(String::as_str),
        Some("payroll")
    );
    let sheet = book.worksheet_range("payroll").unwrap();
    assert_eq!(sheet.get((4, 0)), Some(&Data::String("R2".into())));
    assert_eq!(sheet.get((4, 1)), Some(&Data::String("2026-02-05".into())));
    assert_eq!(sheet.get((4, 3)), Some(&Data::Float(5.29)));
}

#[test]
fn the_rate_is_the_pay_dates_or_the_periods_average_and_the_mid_rate_without_bid_and_ask() {
    // A new GBP rate from 2026-01-17 with no bid or ask: 1.3000 (mid).
    let fx = format!("{FX}GBP,2026-01-17,1.3000,,\n");
    // Pay date 10 days after the period's end: 2026-02-10 → GBP 1.3000 (the mid: no ask given):
    //   16.67 ÷ 1.3 = 12.82307… → 12.82 GBP.
    let ws = paid_in_gbp(
        &fx,
        "[pay_currency]\nrate_date = \"pay-date\"\npay_days_after = 10\n",
    );
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-Q1", &[]);
    let line = &pay_lines(&read(dir.path(), "statements/2026-01/R2.csv"))[0];
    assert_eq!(line[1], "2026-02-10");
    assert_eq!(
        line[4],
        "16.67 USD ÷ 1.3 (GBP rate) = 12.82 GBP, rate of 2026-02-10"
    );
    // Average over January's 31 days: the ask 1.2593 on 16 days (1–16), the mid 1.3 on 15
    // (17–31): (16 × 1.2593 + 15 × 1.3) ÷ 31 = 39.6488 ÷ 31 = 1.2789935… → 1.278994 (6 decimals),
    // named `rate` (ask and mid mixed). 16.67 ÷ 1.278994 = 13.03368… → 13.03 GBP.
    let ws = paid_in_gbp(&fx, "[pay_currency]\nrate_date = \"average\"\n");
    let ws_file = ws.path().join("payout.toml");
    let dir = run_out(ws_file.to_str().unwrap(), "2026-Q1", &[]);
    let line = &pay_lines(&read(dir.path(), "statements/2026-01/R2.csv"))[0];
    assert_eq!(line[1], "");
    assert_eq!(
        line[4],
        "16.67 USD ÷ 1.278994 (GBP rate) = 13.03 GBP, average rate of the payout period"
    );
    // No GBP rate at all: the run stops before writing anything (exit 1).
    let ws = paid_in_gbp("currency,date,rate\nEUR,2026-01-01,1.0850\n", "");
    let ws_file = ws.path().join("payout.toml");
    let err = crate::util::fail(
        &[
            "-w",
            ws_file.to_str().unwrap(),
            "run",
            "--period",
            "2026-Q1",
        ],
        1,
    );
    assert!(
        err.contains("fx-rate-missing") && err.contains("to pay rep `R2` in GBP"),
        "{err}"
    );
}
