//! Reading raw exports: date cells in several formats, quotes that do not close, and the
//! reconciliation of rows set aside. Nothing an export gets wrong may pass as a smaller payout.

use crate::util::{fail, payout, read_csv, run_with, scratch_copy, write};

/// tests/cases/flat with its deals file and workspace replaced.
fn flat_with(deals: &str, deals_section: &str) -> tempfile::TempDir {
    let dir = scratch_copy("flat");
    write(dir.path(), "deals.csv", deals);
    write(
        dir.path(),
        "payout.toml",
        &format!(
            "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n{deals_section}\n\n\
             [reps]\nfile = \"reps.csv\"\n"
        ),
    );
    dir
}

fn ws(dir: &tempfile::TempDir) -> String {
    dir.path()
        .join("payout.toml")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_date_in_another_format_is_a_coded_error_not_a_crash() {
    // A format with time fields: a US date is not in it. check, run and run --lenient all used to
    // stop with "a Display implementation returned an error" (exit 2) while describing the format.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date\n\
         F1,R1,10000,2026-01-10 09:15\n\
         F2,R1,2000,01/22/2026\n",
        "date_format = \"%Y-%m-%d %H:%M\"",
    );
    let ws = ws(&dir);
    let expected = "deals.csv:3: error[date-invalid]: column `close_date`: value \"01/22/2026\": \
                    not a date in the format %Y-%m-%d %H:%M (e.g. 2026-03-31 09:30)";
    for args in [vec!["check"], vec!["run", "--period", "2026-01"]] {
        let mut all = vec!["-w", ws.as_str()];
        all.extend(args);
        let stderr = fail(&all, 1);
        assert!(stderr.contains(expected), "{stderr}");
    }
    // Lenient: F2 goes to the exceptions; F1 (its time ignored) pays 10,000 × 5% = 500.00.
    let run = run_with(&ws, "2026-01", &["--lenient"]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "500.00");
    let exceptions = read_csv(&run.out().join("exceptions.csv"));
    assert_eq!(exceptions.len(), 1);
    assert_eq!(
        (
            exceptions[0]["line"].as_str(),
            exceptions[0]["code"].as_str()
        ),
        ("3", "date-invalid")
    );
}

#[test]
fn a_list_of_date_formats_is_tried_in_order() {
    // ISO, then US: 02/03/2026 is February 3 (US), not March 2.
    // January: F1 10,000 (ISO) + F2 2,000 (01/20/2026) = 12,000 × 5% = 600.00;
    // February: F3 4,000 (02/03/2026) × 5% = 200.00.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date\n\
         F1,R1,10000,2026-01-10\n\
         F2,R1,2000,01/20/2026\n\
         F3,R1,4000,02/03/2026\n",
        "date_format = [\"%Y-%m-%d\", \"%m/%d/%Y\"]",
    );
    let ws = ws(&dir);
    let run = run_with(&ws, "2026-Q1", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "600.00");
    assert_eq!(run.payable("R1", "commission", "2026-02"), "200.00");
    // A cell no format reads names every format, with an example of each.
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nF1,R1,10000,10.01.2026\n",
    );
    let stderr = fail(&["-w", &ws, "check"], 1);
    assert!(
        stderr.contains(
            "value \"10.01.2026\": not a date in any of the formats %Y-%m-%d (e.g. 2026-03-31), \
             %m/%d/%Y (e.g. 03/31/2026)"
        ),
        "{stderr}"
    );
}

#[test]
fn a_date_format_that_cannot_read_a_date_is_refused_up_front() {
    // `%Y-%m` has no day; `%Q` is no strftime field: both are workspace errors before any row is
    // read, each naming the format.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date\nF1,R1,10000,2026-01\n",
        "date_format = [\"%Y-%m\", \"%Q\"]",
    );
    let out = payout()
        .args(["-w", &ws(&dir), "check"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[workspace-date-format-invalid]: value \"%Y-%m\": `%Y-%m` does not read back a whole date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("value \"%Q\": `%Q` is not a valid strftime format"),
        "{stderr}"
    );
    assert!(!stderr.contains("date-invalid]"), "{stderr}");
}
