//! `payout init` on sample exports of the three CRM layouts it recognises (tests/cases/init/), one
//! of them as a spreadsheet in a comma-decimal locale saves it (semicolons between fields): the
//! workspace it writes maps the export's headers and formats, `payout check` passes once the quota
//! amounts are filled in, and `payout run` pays the hand-computed commission of the starter plan.
//!
//! The samples hold the same deals: Tyler Brooks won 28,000.00 on 2026-01-19 and lost
//! 12,500.50 (the comma-delimited Pipedrive sample has no lost deal); Ana Silva won 40,000.00 on
//! 2026-03-14 and 9,999.99 on 2026-03-30. The starter plan pays 5% of bookings up to the quarterly
//! quota and 8% above it, trued up monthly.

use std::path::Path;

use crate::util::{parse_csv, payout};

/// Run `payout init` on a sample into a new folder; returns the folder and stderr.
fn init(sample: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = payout()
        .args([
            "init",
            "--deals",
            &format!("tests/cases/init/{sample}.csv"),
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .expect("payout runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (dir, stderr)
}

/// Fill every quota row: Tyler Brooks 50,000.00 and Ana Silva 40,000.00 a quarter.
fn fill_quotas(dir: &Path) {
    let path = dir.join("quotas.csv");
    let text = std::fs::read_to_string(&path).expect("init wrote quotas.csv");
    let filled: String = text
        .lines()
        .map(|l| match l {
            l if l.starts_with("Tyler Brooks,") => format!("{l}50000\n"),
            l if l.starts_with("Ana Silva,") => format!("{l}40000\n"),
            l => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&path, filled).expect("quotas.csv is writable");
}

/// `payable` of each (rep, month) of 2026-Q1.
fn q1_payables(dir: &Path) -> Vec<(String, String, String)> {
    let workspace = dir.join("payout.toml");
    let check = payout()
        .arg("-w")
        .arg(&workspace)
        .arg("check")
        .output()
        .expect("payout runs");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let run = payout()
        .arg("-w")
        .arg(&workspace)
        .args(["run", "--period", "2026-Q1", "-f", "csv", "-q"])
        .output()
        .expect("payout runs");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    parse_csv(&String::from_utf8_lossy(&run.stdout))
        .into_iter()
        .map(|r| {
            (
                r["rep_id"].clone(),
                r["payout_period"].clone(),
                r["payable"].clone(),
            )
        })
        .collect()
}

/// Tyler: 28,000.00 × 5% = 1,400.00 in January (56% of 50,000), nothing more in the quarter.
/// Ana: 40,000.00 × 5% = 2,000.00 to quota, 9,999.99 × 8% = 799.9992 above it: 2,799.9992, rounded
/// half away from zero to 2,800.00 in March.
fn expected() -> Vec<(String, String, String)> {
    [
        ("Ana Silva", "2026-01", "0.00"),
        ("Ana Silva", "2026-02", "0.00"),
        ("Ana Silva", "2026-03", "2800.00"),
        ("Tyler Brooks", "2026-01", "1400.00"),
        ("Tyler Brooks", "2026-02", "0.00"),
        ("Tyler Brooks", "2026-03", "0.00"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .to_vec()
}

#[test]
fn a_salesforce_opportunity_report_is_mapped_with_us_dates_and_dollar_amounts() {
    let (dir, stderr) = init("salesforce");
    assert!(stderr.contains("recognised a Salesforce opportunity report (4 rows, 2 owners)"));
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    for line in [
        "date_format = \"%m/%d/%Y\"\n",
        "number_format = { decimal_separator = \".\", thousands_separator = \",\", strip = [\"$\"] }\n",
        "deal_id = \"Opportunity ID\"\n",
        "rep_id = \"Opportunity Owner\"\n",
        "close_date = \"Close Date\"\n",
        "deal_name = \"Opportunity Name\"\n",
        "period = \"2026-03\"",
    ] {
        assert!(toml.contains(line), "payout.toml lacks {line:?}:\n{toml}");
    }
    let plan = std::fs::read_to_string(dir.path().join("plans/starter.toml")).expect("the plan");
    assert!(plan.contains("where = { stage = \"Closed Won\" }"));
    let roster = std::fs::read_to_string(dir.path().join("reps.csv")).expect("reps.csv");
    assert_eq!(
        roster,
        "rep_id,name,plan,start_date,target_incentive\nAna Silva,Ana Silva,starter,,\nTyler Brooks,Tyler Brooks,starter,,\n"
    );
    fill_quotas(dir.path());
    assert_eq!(q1_payables(dir.path()), expected());
}

#[test]
fn a_hubspot_deals_export_is_mapped_with_timestamps_as_dates() {
    let (dir, stderr) = init("hubspot");
    assert!(stderr.contains("recognised a HubSpot deals export (4 rows, 2 owners)"));
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    assert!(
        toml.contains("date_format = \"%Y-%m-%d %H:%M\"\n"),
        "{toml}"
    );
    assert!(toml.contains("stage = \"Deal Stage\"\n"), "{toml}");
    assert!(toml.contains("deal_name = \"Deal Name\"\n"), "{toml}");
    fill_quotas(dir.path());
    assert_eq!(q1_payables(dir.path()), expected());
}

#[test]
fn a_pipedrive_deals_export_is_mapped_with_european_amounts_and_its_won_status() {
    let (dir, stderr) = init("pipedrive");
    assert!(stderr.contains("recognised a Pipedrive deals export (3 rows, 2 owners)"));
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    assert!(toml.contains("currency = \"EUR\"\n"), "{toml}");
    assert!(
        toml.contains("number_format = { decimal_separator = \",\", thousands_separator = \" \", strip = [] }"),
        "{toml}"
    );
    assert!(
        toml.contains("close_date = \"Deal - Won time\"\n"),
        "{toml}"
    );
    assert!(toml.contains("deal_name = \"Deal - Title\"\n"), "{toml}");
    let plan = std::fs::read_to_string(dir.path().join("plans/starter.toml")).expect("the plan");
    assert!(plan.contains("where = { stage = \"won\" }"));
    fill_quotas(dir.path());
    assert_eq!(q1_payables(dir.path()), expected());
}

#[test]
fn init_writes_over_nothing_and_quotas_left_empty_are_named_by_check() {
    let (dir, _) = init("salesforce");
    // A second init into the same folder is refused, the files untouched.
    let again = payout()
        .args([
            "init",
            "--deals",
            "tests/cases/init/salesforce.csv",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .expect("payout runs");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists: init writes a new workspace"));
    // Before the quotas are filled in, check fails and names the quota file's empty amounts.
    let check = payout()
        .arg("-w")
        .arg(dir.path().join("payout.toml"))
        .arg("check")
        .output()
        .expect("payout runs");
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains(
            "quotas.csv:2: error[value-missing]: column `amount`: value \"\": the quota amount is empty"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("fill in the rep's quota for the period"),
        "{stderr}"
    );
}

#[test]
fn init_pays_the_last_month_a_deal_was_won_and_lists_the_stages_to_categorise() {
    // The sample with an open deal expected to close in June: the period is still March, the
    // last month with a won deal (June has nothing to pay yet).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sample = std::fs::read_to_string("tests/cases/init/salesforce.csv").expect("the sample");
    let export = dir.path().join("export.csv");
    std::fs::write(
        &export,
        format!("{sample}0066000005,Epsilon,Ana Silva,Epsilon,\"$5,000.00\",USD,6/30/2026,Negotiation,Upsell,2/1/2026\n"),
    )
    .expect("written");
    payout()
        .args(["init", "--deals"])
        .arg(&export)
        .arg("--dir")
        .arg(dir.path())
        .assert()
        .success();
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    for line in [
        "period = \"2026-03\"",
        "[stages]\n\"Closed Won\" = \"won\"\n\"Closed Lost\" = \"lost\"\n",
        "# \"Negotiation\" = { category = \"open\", probability = \"\" }\n",
    ] {
        assert!(toml.contains(line), "payout.toml lacks {line:?}:\n{toml}");
    }
}

#[test]
fn a_semicolon_delimited_export_gets_its_delimiter_day_first_dates_and_decimal_commas() {
    // The Pipedrive sample as a spreadsheet in a comma-decimal locale saves it: fields separated by
    // semicolons (one title holds a quoted semicolon), dates 19.01.2026 10:30, amounts 28.000,00,
    // and a lost deal with no won time.
    let (dir, stderr) = init("pipedrive-semicolons");
    assert!(
        stderr.contains(
            "recognised a Pipedrive deals export (4 rows, 2 owners, fields separated by a semicolon)"
        ),
        "{stderr}"
    );
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    for line in [
        "delimiter = \";\"\n",
        "date_format = \"%d.%m.%Y %H:%M\"\n",
        "number_format = { decimal_separator = \",\", thousands_separator = \".\", strip = [] }\n",
        "deal_name = \"Deal - Title\"\n",
    ] {
        assert!(toml.contains(line), "payout.toml lacks {line:?}:\n{toml}");
    }
    fill_quotas(dir.path());
    assert_eq!(q1_payables(dir.path()), expected());
}

#[test]
fn an_export_of_no_known_layout_is_said_to_be_unrecognised() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let export = dir.path().join("export.csv");
    std::fs::write(&export, "Ref,Who,Total\n1,Ana,10\n").expect("written");
    let out = payout()
        .args(["init", "--deals"])
        .arg(&export)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .expect("payout runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("did not recognise the export's layout (1 rows, 0 owners)"),
        "{stderr}"
    );
    assert!(stderr.contains("columns: no header recognised"), "{stderr}");
}

/// Run `payout init` on an export of these bytes written into a new folder, the workspace beside
/// it; returns the folder and stderr.
fn init_bytes(export: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("export.csv"), export).expect("write the export");
    let out = payout()
        .args(["init", "--deals"])
        .arg(dir.path().join("export.csv"))
        .arg("--dir")
        .arg(dir.path())
        .output()
        .expect("payout runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (dir, stderr)
}

#[test]
fn an_export_saved_as_utf16_gets_its_encoding_named() {
    // The HubSpot sample as Excel's "Unicode Text" saves it: UTF-16LE after the mark FF FE.
    let text = std::fs::read_to_string("tests/cases/init/hubspot.csv").expect("the sample");
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (dir, stderr) = init_bytes(&utf16);
    assert!(
        stderr.contains("text: not UTF-8, read as utf-16 (`encoding` in payout.toml)"),
        "{stderr}"
    );
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    assert!(toml.contains("\nencoding = \"utf-16\"\n"), "{toml}");
    fill_quotas(dir.path());
    assert_eq!(q1_payables(dir.path()), expected());
}

#[test]
fn an_export_saved_by_excel_on_windows_gets_windows_1252_named_beside_a_check() {
    // The Salesforce sample as Excel on Windows saves "CSV": Crème's è is the one byte E8.
    let text = std::fs::read_to_string("tests/cases/init/salesforce.csv").expect("the sample");
    let text = text.replacen("Acme expansion", "Cr\u{e8}me expansion", 1);
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text"))
        .collect();
    let (dir, stderr) = init_bytes(&bytes);
    assert!(
        stderr.contains("text: not UTF-8, read as windows-1252 (`encoding` in payout.toml)"),
        "{stderr}"
    );
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("payout.toml");
    assert!(
        toml.contains(
            "\nencoding = \"windows-1252\"   # CHECK: the export is not UTF-8; Windows-1252 \
             (Excel's \"CSV\" on Windows) reads it\n"
        ),
        "{toml}"
    );
    // The workspace reads the export as it is: `check` passes and the run pays as from UTF-8.
    fill_quotas(dir.path());
    assert_eq!(q1_payables(dir.path()), expected());
}
