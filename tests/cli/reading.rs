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
    let run = run_with(&ws, "2026-01", &["--lenient", "--max-exceptions", "100%"]);
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

#[test]
fn the_reconciliation_counts_every_row_once_when_rows_are_set_aside() {
    // tests/cases/reconciliation (R1 paid 10% of "Won" deals, EUR at 1.10, no GBP rate) with six
    // bad rows added after its seven, run leniently for 2026-Q1:
    //   N1 USD    50 unknown rep        → not loaded, under USD with its 50
    //   N2 EUR  12x0 amount unreadable  → not loaded, under EUR, no amount to add
    //   N3 USD    25 month 13           → not loaded, under USD with its 25
    //   N4 (an extra field)             → not loaded; its cells cannot be told apart: (unreadable)
    //   N6 USD    40 its stage `"Won` opens a quote that never closes (it would swallow N5)
    //                                   → not loaded, under USD with its 40 (cells before the quote)
    //   N5 GBP    80 2026-02, Won       → loaded, but no GBP rate: sent to exceptions
    let dir = scratch_copy("reconciliation");
    let original = std::fs::read_to_string(dir.path().join("deals.csv")).unwrap();
    write(
        dir.path(),
        "deals.csv",
        &format!(
            "{}\nN1,NOBODY,50,USD,2026-01-12,Won\n\
             N2,R1,12x0,EUR,2026-01-13,Won\n\
             N3,R1,25,USD,2026-13-01,Won\n\
             N4,R1,60,USD,2026-01-14,Won,extra\n\
             N6,R1,40,USD,2026-01-15,\"Won\n\
             N5,R1,80,GBP,2026-02-10,Won\n",
            original.trim_end()
        ),
    );
    let ws = dir.path().join("payout.toml");
    let run = run_with(
        ws.to_str().unwrap(),
        "2026-Q1",
        &["--lenient", "--max-exceptions", "100%"],
    );
    // input, per currency (every row of the file once):
    //   (unreadable) N4                    = 1 row,      0.00
    //   EUR E1 + E2 + E3 + N2              = 4 rows, 1,000 + 2,000 + 4,000 (+ nothing) = 7,000.00
    //   GBP N5                             = 1 row,     80.00
    //   USD U1..U4 + N1 + N3 + N6          = 7 rows, 100 + 200 + 400 + 800 + 50 + 25 + 40 = 1,615.00
    // and by status, adding up to it: credited E1, U1; outside the quarter E3, U3 + U4 (400 + 800);
    // not selected E2, U2 (Lost); sent to exceptions N5; not loaded N2, N1 + N3 + N6 (50 + 25 + 40),
    // N4. 1 + 4 + 1 + 7 = 13 rows = the file's 7 + 6.
    let not_selected =
        "\"not selected: stage \"\"Lost\"\" fails stage = \"\"Won\"\" (measure bookings, plans/won.toml:5)\"";
    assert_eq!(
        run.read("reconciliation.csv"),
        format!(
            "status,currency,rows,amount\n\
         input,(unreadable),1,0.00\n\
         input,EUR,4,7000.00\n\
         input,GBP,1,80.00\n\
         input,USD,7,1615.00\n\
         credited,EUR,1,1000.00\n\
         credited,USD,1,100.00\n\
         outside the run's periods,EUR,1,4000.00\n\
         outside the run's periods,USD,2,1200.00\n\
         {not_selected},EUR,1,2000.00\n\
         {not_selected},USD,1,200.00\n\
         sent to exceptions,GBP,1,80.00\n\
         not loaded (sent to exceptions),(unreadable),1,0.00\n\
         not loaded (sent to exceptions),EUR,1,0.00\n\
         not loaded (sent to exceptions),USD,3,115.00\n"
        )
    );
    // 13 = 2 credited + 3 outside + 2 not selected + 1 sent to exceptions + 5 not loaded
    assert!(
        run.stderr.contains(
            "13 deal rows: 2 credited, 3 outside the run's periods, 2 not selected by any measure, \
             1 sent to exceptions, 5 not loaded (sent to exceptions)"
        ),
        "{}",
        run.stderr
    );
    let exceptions = read_csv(&run.out().join("exceptions.csv"));
    let seen: Vec<(&str, &str)> = exceptions
        .iter()
        .map(|e| (e["line"].as_str(), e["code"].as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("9", "rep-unknown"),
            ("10", "amount-invalid"),
            ("11", "date-invalid"),
            ("12", "row-width"),
            ("13", "csv-quote-unclosed"),
            ("14", "fx-rate-missing")
        ]
    );
    // January is paid as without the bad rows: (100 + 1,000 × 1.10) × 10% = 120.00
    assert_eq!(run.payable("R1", "commission", "2026-01"), "120.00");
}

/// The flat case's deals with a note column: F2's note opens a quote that does not close on its
/// line; F3's note is a quoted field over two lines.
const STRAY_QUOTE_DEALS: &str = "deal_id,rep_id,amount,close_date,note\n\
                                 F1,R1,10000,2026-01-10,ok\n\
                                 F2,R1,2000,2026-01-20,\"call back\n\
                                 F3,R1,4000,2026-02-05,\"a note\nover two lines\"\n\
                                 F4,R2,333.33,2026-01-31,ok\n";

#[test]
fn a_quote_that_never_closes_is_an_error_naming_its_line_and_span() {
    // Read as CSV, F2's note would run to the end of the file and swallow F3 and F4 (lines 3 to 5:
    // 3 lines), one row of the header's width: R1 would be paid on F1 and F2 only and R2 nothing,
    // with exit 0.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date,note\n\
         F1,R1,10000,2026-01-10,ok\n\
         F2,R1,2000,2026-01-20,\"call back\n\
         F3,R1,4000,2026-02-05,ok\n\
         F4,R2,333.33,2026-01-31,ok\n",
        "",
    );
    let ws = ws(&dir);
    for args in [vec!["check"], vec!["run", "--period", "2026-Q1"]] {
        let mut all = vec!["-w", ws.as_str()];
        all.extend(args);
        let stderr = fail(&all, 1);
        assert!(
            stderr.contains(
                "deals.csv:3: error[csv-quote-unclosed]: column `note`: value \"\\\"call back\": the \
                 quote that opens this field is never closed: read as CSV, the field would run \
                 over 3 lines, to the end of the file"
            ),
            "{stderr}"
        );
        assert!(stderr.contains("1 error(s)"), "{stderr}");
    }
}

#[test]
fn with_lenient_a_stray_quote_costs_its_row_and_the_rows_after_it_are_read() {
    // Read as CSV, F2's quote would be closed by the one opening F3's note, and the rows garbled.
    // F2 goes to the exceptions; F3 (a two-line note, lines 4-5) and F4 (line 6) are read.
    // January: R1 F1 10,000 × 5% = 500.00; R2 F4 333.33 × 5% = 16.6665 → 16.67.
    // February: R1 F3 4,000 × 5% = 200.00.
    let dir = flat_with(STRAY_QUOTE_DEALS, "");
    let run = run_with(
        &ws(&dir),
        "2026-Q1",
        &["--lenient", "--max-exceptions", "100%"],
    );
    assert_eq!(run.payable("R1", "commission", "2026-01"), "500.00");
    assert_eq!(run.payable("R1", "commission", "2026-02"), "200.00");
    assert_eq!(run.payable("R2", "commission", "2026-01"), "16.67");
    let exceptions = read_csv(&run.out().join("exceptions.csv"));
    assert_eq!(exceptions.len(), 1);
    assert_eq!(
        (
            exceptions[0]["line"].as_str(),
            exceptions[0]["code"].as_str()
        ),
        ("3", "csv-quote-unclosed")
    );
    // 4 data rows (no currency column): F1, F3, F4 credited, 10,000 + 4,000 + 333.33 = 14,333.33;
    // F2 not loaded, its amount read from the cells before the quote: 2,000; in all 16,333.33.
    assert_eq!(
        run.read("reconciliation.csv"),
        "status,currency,rows,amount\n\
         input,,4,16333.33\n\
         credited,,3,14333.33\n\
         not loaded (sent to exceptions),,1,2000.00\n"
    );
}

#[test]
fn a_multi_line_field_closed_by_a_later_fields_quote_is_an_error() {
    // F2's quote is closed by the quote opening F4's note, followed by `s`: read as CSV, lines 3 to
    // 5 would be one row of the header's width, and F3 would vanish.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date,note\n\
         F1,R1,10000,2026-01-10,ok\n\
         F2,R1,2000,2026-01-20,\"call back\n\
         F3,R1,4000,2026-02-05,ok\n\
         F4,R2,333.33,2026-01-31,\"signed\"\n",
        "",
    );
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains(
            "deals.csv:3: error[csv-quote-unclosed]: column `note`: value \"\\\"call back\": the \
             quote that opens this field is closed only 2 line(s) below, by a quote followed by \
             `s` (not a comma or the end of a line): read as CSV, the field would run over 3 lines"
        ),
        "{stderr}"
    );
}

#[test]
fn a_stray_quote_in_a_small_input_is_an_error_too() {
    // The roster's R1 name opens a quote that never closes: R2 (line 3) would be swallowed.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date\nF1,R2,100,2026-01-10\n",
        "",
    );
    write(
        dir.path(),
        "reps.csv",
        "rep_id,name,plan\nR1,\"Rita One,flat\nR2,Raj Two,flat\n",
    );
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains(
            "reps.csv:2: error[csv-quote-unclosed]: column `name`: value \"\\\"Rita One,flat\": \
             the quote that opens this field is never closed: read as CSV, the field would run over \
             2 lines, to the end of the file"
        ),
        "{stderr}"
    );
    // R2, on the line after, is read: the deal F1 of R2 is not reported as an unknown rep.
    assert!(!stderr.contains("rep-unknown"), "{stderr}");
}

#[test]
fn a_roster_saved_by_excel_on_windows_is_one_error_per_name_with_the_name_shown() {
    // "Rita Lefèvre" in Windows-1252: è is the one byte 0xE8, not UTF-8.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date\nF1,R1,100,2026-01-10\n",
        "",
    );
    let mut roster = b"rep_id,name,plan\nR1,Rita Lef".to_vec();
    roster.extend_from_slice(b"\xe8vre,flat\nR2,Raj Two,flat\n");
    std::fs::write(dir.path().join("reps.csv"), roster).expect("write the roster");
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains(
            "reps.csv:2: error[encoding-invalid]: column `name`: value \"Rita Lef\u{fffd}vre\": \
             the field is not valid UTF-8\n  = help: read as Windows-1252 (Excel's \"CSV\" on \
             Windows) it is \"Rita Lefèvre\": say so in the workspace ([reps] encoding = \
             \"windows-1252\"), or save the file as \"CSV UTF-8\""
        ),
        "{stderr}"
    );
    // R1 is still a rep of the roster: its deal F1 is not reported as an unknown rep.
    assert!(!stderr.contains("rep-unknown"), "{stderr}");
    assert!(stderr.contains("payout: 1 error(s)"), "{stderr}");
}

#[test]
fn a_deals_export_saved_as_utf16_is_one_error_and_the_credits_are_not_blamed() {
    // The example's deals file as Excel's "Unicode Text" writes it.
    let text = std::fs::read_to_string(crate::util::root().join("examples/acme/deals.csv"))
        .expect("the example deals");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let deals = dir.path().join("deals.csv");
    std::fs::write(&deals, utf16(&text)).expect("write the deals");
    let stderr = fail(
        &["check", "--deals", deals.to_str().expect("a UTF-8 path")],
        1,
    );
    assert!(
        stderr.contains(
            "deals.csv:1: error[encoding-utf16]: the file is UTF-16 text (what Excel saves as \
             \"Unicode Text\", and Windows PowerShell's default), not UTF-8\n  = help: save it as \
             \"CSV UTF-8\", or name its encoding in its workspace section: encoding = \"utf-16\""
        ),
        "{stderr}"
    );
    // credits.csv names deals of the file (OPP-10113...): not one is reported unknown.
    assert!(
        stderr.ends_with("payout: 1 error(s), 0 warning(s); nothing was computed\n"),
        "{stderr}"
    );
}

#[test]
fn a_row_of_the_wrong_width_over_several_lines_says_so() {
    // F1's note quote is closed on the next line by a quote followed by a comma, as a quoted field
    // may be: one row over lines 2-3 of 7 fields. It is a row-width error that says the row runs
    // over 2 lines, pointing at the quote.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date,note\n\
         F1,R1,10000,2026-01-10,\"oops\n\
         F2,R1,\",a,b\n\
         F3,R1,4000,2026-02-05,ok\n",
        "",
    );
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains(
            "deals.csv:2: error[row-width]: the row has 7 fields but the header has 5; a quoted \
             field in it holds line breaks, so it runs over 2 lines"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("check for a quote that does not close where it should"),
        "{stderr}"
    );
}

#[test]
fn a_quote_left_open_in_the_header_is_an_error() {
    // Read as CSV, the header's `"note` would take in every row after it: no deal would be read.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date,\"note\nF1,R1,10000,2026-01-10,ok\n",
        "",
    );
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains(
            "deals.csv:1: error[csv-quote-unclosed]: a quote in the header row is not closed"
        ),
        "{stderr}"
    );
}

#[test]
fn a_semicolon_delimited_export_with_decimal_commas_is_read_as_the_spreadsheet_wrote_it() {
    // What a spreadsheet writes where the comma is the decimal separator: fields separated by
    // semicolons, amounts as 10.000,50. A quoted note holds a semicolon (one field, not two) and a
    // line break (F2's record runs over lines 3-4); the roster is semicolon-delimited too.
    // January: R1 F1 10,000.50 + F2 2,000.00 = 12,000.50 × 5% = 600.025 → 600.03 (half away from
    // zero); R2 F4 333.33 × 5% = 16.6665 → 16.67. February: R1 F3 4,000.00 × 5% = 200.00.
    let dir = flat_with(
        "deal_id;rep_id;amount;close_date;note\n\
         F1;R1;10.000,50;2026-01-10;\"Acme; phase 2\"\n\
         F2;R1;\"2.000,00\";2026-01-20;\"call back\n\
         in March\"\n\
         F3;R1;4.000,00;2026-02-05;ok\n\
         F4;R2;333,33;2026-01-31;\n",
        "delimiter = \";\"\n\
         number_format = { decimal_separator = \",\", thousands_separator = \".\" }",
    );
    write(
        dir.path(),
        "reps.csv",
        "rep_id;name;plan\nR1;Rita One;flat\nR2;\"Raj; Two\";flat\n",
    );
    let toml = std::fs::read_to_string(dir.path().join("payout.toml")).expect("the workspace");
    write(
        dir.path(),
        "payout.toml",
        &toml.replace(
            "[reps]\nfile = \"reps.csv\"\n",
            "[reps]\nfile = \"reps.csv\"\ndelimiter = \";\"\n",
        ),
    );
    let run = run_with(&ws(&dir), "2026-Q1", &[]);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "600.03");
    assert_eq!(run.payable("R1", "commission", "2026-02"), "200.00");
    assert_eq!(run.payable("R2", "commission", "2026-01"), "16.67");
    assert_eq!(
        run.get("R2", "commission", "2026-01", "rep_name"),
        "Raj; Two"
    );
    // Every row is counted: 10,000.50 + 2,000 + 4,000 + 333.33 = 16,333.83.
    assert_eq!(
        run.read("reconciliation.csv"),
        "status,currency,rows,amount\n\
         input,,4,16333.83\n\
         credited,,4,16333.83\n"
    );
    // The statement names F2's line as the file's line its record starts on.
    let lines = run.lines("2026-01", "R1", "commission");
    let f2 = lines
        .iter()
        .find(|l| l["deal_id"] == "F2")
        .expect("F2's line");
    assert_eq!(f2["source"], "deals.csv:3");
}

#[test]
fn a_file_delimited_otherwise_than_the_workspace_says_is_one_error_naming_the_delimiter() {
    // Without `delimiter = ";"` the header is one field: one error saying so, not one per column.
    let dir = flat_with(
        "deal_id;rep_id;amount;close_date\nF1;R1;100;2026-01-10\n",
        "",
    );
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains(
            "deals.csv:1: error[csv-delimiter]: value \"deal_id;rep_id;amount;close_date\": the \
             header row reads as one field: its columns are separated by a semicolon, not a comma"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: say so in the workspace: [deals] delimiter = \";\""),
        "{stderr}"
    );
    assert!(stderr.contains("1 error(s)"), "{stderr}");
    // The other way round: the workspace says semicolons, the file has commas.
    let dir = flat_with(
        "deal_id,rep_id,amount,close_date\nF1,R1,100,2026-01-10\n",
        "delimiter = \";\"",
    );
    let stderr = fail(&["-w", &ws(&dir), "check"], 1);
    assert!(
        stderr.contains("its columns are separated by a comma, not a semicolon"),
        "{stderr}"
    );
}

/// The flat case with `deals` and `reps` files of these bytes, both declared in `encoding`.
fn flat_encoded(deals: &[u8], reps: &[u8], encoding: &str) -> tempfile::TempDir {
    let dir = scratch_copy("flat");
    std::fs::write(dir.path().join("deals.csv"), deals).expect("write the deals");
    std::fs::write(dir.path().join("reps.csv"), reps).expect("write the roster");
    write(
        dir.path(),
        "payout.toml",
        &format!(
            "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\
             encoding = \"{encoding}\"\n\n[reps]\nfile = \"reps.csv\"\nencoding = \"{encoding}\"\n"
        ),
    );
    dir
}

#[test]
fn files_declared_windows_1252_are_read_as_written_and_recorded_as_on_disk() {
    // Both files as Excel on Windows saves "CSV": ê is the one byte EA, è E8.
    let deals: &[u8] = b"deal_id,deal_name,rep_id,amount,close_date\n\
                         F1,F\xEAte & Co,R1,100,2026-01-10\n";
    let reps: &[u8] = b"rep_id,name,plan\nR1,Rita Lef\xE8vre,flat\nR2,Raj Two,flat\n";
    let dir = flat_encoded(deals, reps, "windows-1252");
    let out = crate::util::run_out(&ws(&dir), "2026-01", &["--statements-html"]);
    // F1 earns Rita 100 × 5% = 5.00; her name and the deal's come out as UTF-8.
    let payouts = crate::util::read(out.path(), "payouts.csv");
    assert!(
        payouts.contains("\nR1,Rita Lefèvre,flat,commission,2026-01,2026-01,USD,bookings,100.00,"),
        "{payouts}"
    );
    let page = crate::util::read(out.path(), "statements/2026-01/R1.html");
    assert!(page.contains("Fête &amp; Co"), "{page}");
    // The manifest records each file as it is on disk: its bytes and their SHA-256.
    let manifest = crate::util::read(out.path(), "manifest.json");
    let m: serde_json::Value = serde_json::from_str(&manifest).expect("JSON");
    use sha2::Digest;
    for (bytes, name) in [(reps, "reps.csv"), (deals, "deals.csv")] {
        let entry = m["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .expect("the file's entry");
        assert_eq!(
            entry["sha256"],
            format!("{:x}", sha2::Sha256::digest(bytes)),
            "{name}"
        );
        assert_eq!(entry["bytes"], bytes.len(), "{name}");
    }
}

#[test]
fn bytes_the_declared_encoding_cannot_read_are_an_error_naming_the_line() {
    // Shift_JIS: 82 A0 is "あ"; 82 followed by a comma is no character (line 3 of the deals).
    let deals: &[u8] = b"deal_id,rep_id,amount,close_date\nF1\x82\xA0,R1,100,2026-01-10\n\
                         F2\x82,R1,100,2026-01-11\n";
    let dir = flat_encoded(deals, b"rep_id,name,plan\nR1,Rita,flat\n", "shift_jis");
    let stderr = fail(&["-w", &ws(&dir), "run", "--period", "2026-01"], 1);
    assert!(
        stderr.contains(
            "deals.csv:3: error[encoding-invalid]: value \"82\": bytes that are not Shift_JIS \
             text, the encoding the workspace names for the file"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("payout: 1 error(s)"), "{stderr}");
}

/// `text` as Excel's "Unicode Text" writes it: UTF-16LE after FF FE.
fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn utf16_exports_declared_as_such_are_read() {
    // F1 and F2 are R1's 10,000 + 2,000 = 12,000.00 in January (tests/cases/flat): × 5% = 600.00.
    let text = std::fs::read_to_string(crate::util::root().join("tests/cases/flat/deals.csv"))
        .expect("the flat deals");
    let reps = utf16("rep_id,name,plan\nR1,Rita,flat\nR2,Raj,flat\n");
    let dir = flat_encoded(&utf16(&text), &reps, "utf-16");
    let out = crate::util::run_out(&ws(&dir), "2026-01", &[]);
    let payouts = crate::util::read(out.path(), "payouts.csv");
    assert!(
        payouts
            .contains("\nR1,Rita,flat,commission,2026-01,2026-01,USD,bookings,12000.00,,,600.00,"),
        "{payouts}"
    );
}
