//! Closing periods: `payout close` and the ledger, true-ups against what was paid, prior-period
//! lines, adjustments, draws, negative payables carried forward, and `payout diff`.
//!
//! Every test works on a scratch copy of tests/cases/ledger (its ledger.csv is written there):
//! - A1, plan `ae`: 10% of bookings, measured per quarter, paid monthly. Deals D1 10,000 (Jan),
//!   D2 5,000 (Feb), D3 8,000 (Mar), D4 20,000 (Apr).
//! - S1, plan `sdr`: 5% of bookings per month; a recoverable draw of 1,000 a month from January to
//!   March, at most 300 recovered a month; negative payables carried forward (the default). Deals
//!   S-1 4,000 (Jan), S-2 30,000 (Feb), S-3 10,000 (Mar).
//! - H1, plan `services`: 10% per month; half of a deal's commission held until its paid_date; a
//!   cancellation within 120 days reverses the commission without changing the measure. Deals H-1
//!   10,000 (Jan, paid Mar 5), H-2 6,000 (Feb, paid Feb 25), H-3 4,000 (Feb, paid Feb 20, 1,000 of
//!   it cancelled Apr 10), H-4 3,000 (Apr, paid Apr 30).
//! - `ae` claws back deals cancelled within 90 days, reducing attainment.

use crate::util::{dec, line_triples, owned, payout, read_csv, Record, Run, Scratch};

impl Scratch {
    /// `payout close` that must be refused with exit code 2; returns its stderr.
    fn refused(&self, args: &[&str]) -> String {
        let out = payout()
            .args([
                "-w",
                &self.file(),
                "close",
                "--approved-by",
                "Dana Controller",
            ])
            .args(args)
            .output()
            .expect("payout runs");
        assert_eq!(out.status.code(), Some(2), "close {args:?} was not refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The payouts rows of a run (`--format csv`), for runs with several rows per rep and component
    /// (a rep on two plans), which the harness's (rep, component, period) keys cannot hold.
    fn rows(&self, period: &str) -> Vec<Record> {
        let out = payout()
            .args([
                "-w",
                &self.file(),
                "run",
                "--period",
                period,
                "--format",
                "csv",
            ])
            .output()
            .expect("payout runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        crate::util::parse_csv(&String::from_utf8(out.stdout).unwrap())
    }

    fn ledger(&self) -> Vec<Record> {
        read_csv(&self.path("ledger.csv"))
    }

    /// `payout balances --period PERIOD --format csv`: (rep, kind, period, deal, amount) of every
    /// row, and the command's stderr.
    fn balances(&self, period: &str) -> (Vec<[String; 5]>, String) {
        let out = payout()
            .args(["-w", &self.file(), "balances", "-p", period, "-f", "csv"])
            .output()
            .expect("payout runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let rows = crate::util::parse_csv(&String::from_utf8(out.stdout).unwrap());
        let cells =
            |r: &Record| ["rep_id", "kind", "period", "deal_id", "amount"].map(|c| r[c].clone());
        (rows.iter().map(cells).collect(), stderr)
    }
}

/// Owned balances rows, to compare with [`Scratch::balances`].
fn balance_rows(rows: &[[&str; 5]]) -> Vec<[String; 5]> {
    rows.iter().map(|r| r.map(str::to_string)).collect()
}

/// (rep, period, kind, for_period, amount, balance) of every ledger row.
fn brief(rows: &[Record]) -> Vec<(&str, &str, &str, &str, &str, &str)> {
    rows.iter()
        .map(|r| {
            (
                r["rep_id"].as_str(),
                r["period"].as_str(),
                r["kind"].as_str(),
                r["for_period"].as_str(),
                r["amount"].as_str(),
                r["balance"].as_str(),
            )
        })
        .collect()
}

/// (line kind, formula, amount) of a statement's lines of one component.
fn lines(run: &Run, period: &str, rep: &str) -> Vec<(String, String, String)> {
    line_triples(run, period, rep, "commission")
}

#[test]
fn close_records_the_payables_and_a_closed_period_is_closed() {
    let ws = Scratch::new("ledger");
    let stderr = ws.close("2026-01");
    assert!(stderr.contains("closed 2026-01"), "{stderr}");
    // A1: 10,000 × 10% = 1,000.00. H1: 10,000 × 10% = 1,000.00, half held until H-1 is paid.
    // S1: 4,000 × 5% = 200.00, the recoverable draw tops it up to 1,000: draw 800.00, balance 800.00.
    let ledger = ws.ledger();
    assert_eq!(
        brief(&ledger),
        [
            ("A1", "2026-01", "earned", "2026-01", "1000.00", ""),
            ("H1", "2026-01", "earned", "2026-01", "1000.00", ""),
            ("H1", "2026-01", "hold", "2026-01", "-500.00", ""),
            ("S1", "2026-01", "earned", "2026-01", "200.00", ""),
            ("S1", "2026-01", "draw", "2026-01", "800.00", "800.00"),
        ]
    );
    for r in &ledger {
        assert_eq!(r["approved_by"], "Dana Controller");
        assert_eq!(r["closed_at"], "2026-01-28T09:00:00Z");
        assert_eq!(r["closed_period"], "2026-01");
        assert_eq!(r["run_id"].len(), 16, "the run id of the closed run");
    }
    let first = std::fs::read(ws.path("ledger.csv")).unwrap();

    // Closing twice, or with an earlier month open, is refused; the ledger is untouched.
    let twice = ws.refused(&["--period", "2026-01"]);
    assert!(twice.contains("2026-01 is already closed"), "{twice}");
    let gap = ws.refused(&["--period", "2026-03"]);
    assert!(
        gap.contains("earlier payout periods are still open (2026-02)"),
        "{gap}"
    );
    assert_eq!(std::fs::read(ws.path("ledger.csv")).unwrap(), first);

    // A run of the closed month reproduces the recorded payables and says it is closed.
    let run = ws.run("2026-01");
    assert_eq!(run.payable("A1", "commission", "2026-01"), "1000.00");
    assert_eq!(run.payable("S1", "commission", "2026-01"), "1000.00");
    assert_eq!(run.get("S1", "commission", "2026-01", "draw"), "800.00");
    assert_eq!(run.get("A1", "commission", "2026-01", "status"), "closed");
    assert!(
        run.stderr.contains(
            "2026-01 is closed (closed with 2026-01 at 2026-01-28T09:00:00Z by Dana Controller"
        ),
        "{}",
        run.stderr
    );
    assert!(run
        .read("statements/2026-01/A1.md")
        .contains("| Status | closed"));

    // The next close appends: the first close's bytes are the start of the file.
    ws.close("2026-02");
    let after = std::fs::read(ws.path("ledger.csv")).unwrap();
    assert!(after.starts_with(&first) && after.len() > first.len());
    assert_eq!(
        ws.run("2026-02")
            .get("A1", "commission", "2026-02", "status"),
        "closed"
    );
    assert_eq!(
        ws.run("2026-03")
            .get("A1", "commission", "2026-03", "status"),
        "open"
    );
}

#[test]
fn closing_with_an_earlier_month_open_is_allowed_by_a_flag_and_recorded() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    let out = payout()
        .args(["-w", &ws.file(), "close", "--period", "2026-03"])
        .args(["--approved-by", "Dana Controller", "--allow-open-earlier"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let march: Vec<Record> = ws
        .ledger()
        .into_iter()
        .filter(|r| r["period"] == "2026-03" && r["kind"] == "earned")
        .collect();
    assert_eq!(march.len(), 3, "A1, H1 and S1");
    for r in &march {
        assert_eq!(r["note"], "closed while earlier periods were open: 2026-02");
    }
}

#[test]
fn a_late_change_is_paid_as_a_true_up_then_as_a_prior_period_line_and_closed_rows_never_change() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // D1 is corrected from 10,000 to 12,000 after January was closed.
    ws.edit("deals.csv", "D1,A1,10000", "D1,A1,12000");

    // January still shows what was paid: 1,000.00; a `recorded` line says the data now compute
    // 1,200.00 (1,000 − 1,200 = −200.00 on top of the computed lines).
    let jan = ws.run("2026-01");
    assert_eq!(jan.payable("A1", "commission", "2026-01"), "1000.00");
    assert_eq!(
        jan.get("A1", "commission", "2026-01", "earned_to_date"),
        "1200.00"
    );
    assert_eq!(
        jan.get("A1", "commission", "2026-01", "prior_periods"),
        "-200.00"
    );

    // February: earned to date (12,000 + 5,000) × 10% = 1,700.00; paid before = the ledger's
    // 1,000.00; payable 700.00 = February's own 500.00 (5,000 × 10%) + a true-up of January
    // (paid 1,000.00, now 1,200.00: +200.00).
    let feb = ws.run("2026-02");
    assert_eq!(
        feb.get("A1", "commission", "2026-02", "earned_to_date"),
        "1700.00"
    );
    assert_eq!(
        feb.get("A1", "commission", "2026-02", "paid_to_date"),
        "1000.00"
    );
    assert_eq!(feb.payable("A1", "commission", "2026-02"), "700.00");
    assert_eq!(
        lines(&feb, "2026-02", "A1"),
        owned(&[
            ("deal", "5000.00 × 10%", "500.00"),
            (
                "true-up",
                "2026-01: paid 1000.00, computed now 1200.00",
                "200.00"
            ),
        ])
    );

    // Once February is closed the correction is in the ledger against January: March pays only
    // its own 800.00 (8,000 × 10%); paid before = 1,000 + 200 + 500 = 1,700.00.
    ws.close("2026-02");
    let rows = ws.ledger();
    assert!(brief(&rows).contains(&("A1", "2026-02", "true-up", "2026-01", "200.00", "")));
    let mar = ws.run("2026-03");
    assert_eq!(
        mar.get("A1", "commission", "2026-03", "paid_to_date"),
        "1700.00"
    );
    assert_eq!(mar.payable("A1", "commission", "2026-03"), "800.00");
    ws.close("2026-03");

    // The quarter is closed; then D3 (March) drops from 8,000 to 6,000. April (Q2) pays its own
    // 2,000.00 (20,000 × 10%) and a prior-period line for March: paid 800.00, now 600.00: −200.00.
    let before = std::fs::read(ws.path("ledger.csv")).unwrap();
    ws.edit("deals.csv", "D3,A1,8000", "D3,A1,6000");
    let apr = ws.run("2026-04");
    assert_eq!(
        apr.get("A1", "commission", "2026-04", "paid_to_date"),
        "0.00"
    );
    assert_eq!(
        apr.get("A1", "commission", "2026-04", "prior_periods"),
        "-200.00"
    );
    assert_eq!(apr.payable("A1", "commission", "2026-04"), "1800.00");
    assert_eq!(
        lines(&apr, "2026-04", "A1"),
        owned(&[
            ("deal", "20000.00 × 10%", "2000.00"),
            (
                "prior-period",
                "2026-03: paid 800.00, computed now 600.00",
                "-200.00"
            ),
        ])
    );
    // Running does not touch the ledger: closed rows never change.
    assert_eq!(std::fs::read(ws.path("ledger.csv")).unwrap(), before);
}

#[test]
fn adjustments_are_statement_lines_paid_once_and_a_late_one_goes_to_the_next_open_period() {
    let ws = Scratch::new("ledger");
    ws.append(
        "adjustments.csv",
        "A1,2026-01,250,SPIFF-JAN,commission,Lee Manager,webinar leads",
    );
    // January: 1,000.00 commission + 250.00 adjustment = 1,250.00.
    let jan = ws.run("2026-01");
    assert_eq!(jan.payable("A1", "commission", "2026-01"), "1250.00");
    assert_eq!(
        jan.get("A1", "commission", "2026-01", "adjustments"),
        "250.00"
    );
    assert_eq!(
        lines(&jan, "2026-01", "A1")[1],
        (
            "adjustment".to_string(),
            "SPIFF-JAN; approved by Lee Manager; webinar leads".to_string(),
            "250.00".to_string()
        )
    );
    ws.close("2026-01");
    assert!(brief(&ws.ledger()).contains(&(
        "A1",
        "2026-01",
        "adjustment",
        "2026-01",
        "250.00",
        ""
    )));

    // An adjustment for January that arrives after the close is paid in February, naming January;
    // the one already in the ledger is not paid again. February: 500.00 + (−100.00) = 400.00.
    ws.append("adjustments.csv", "A1,2026-01,-100,DUPLICATE,,,");
    let feb = ws.run("2026-02");
    assert_eq!(feb.payable("A1", "commission", "2026-02"), "400.00");
    assert_eq!(
        lines(&feb, "2026-02", "A1"),
        owned(&[
            ("deal", "5000.00 × 10%", "500.00"),
            (
                "adjustment",
                "DUPLICATE (for 2026-01, closed before it arrived)",
                "-100.00"
            ),
        ])
    );
    // The closed January still shows what was paid.
    assert_eq!(
        ws.run("2026-01").payable("A1", "commission", "2026-01"),
        "1250.00"
    );
}

#[test]
fn what_waits_for_the_next_open_period_is_an_outstanding_balance_until_it_is_paid() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // After January's close, D1 grows from 10,000 to 12,000 and a −100 adjustment for January
    // arrives. January is the run's last month and closed: both wait for February.
    ws.edit("deals.csv", "D1,A1,10000", "D1,A1,12000");
    ws.append("adjustments.csv", "A1,2026-01,-100,DUPLICATE,,,");
    let run = payout()
        .args(["-w", &ws.file(), "run", "-p", "2026-01"])
        .output()
        .expect("payout runs");
    assert!(String::from_utf8_lossy(&run.stderr).contains(
        "2 amount(s) for closed periods (corrections, late adjustments, clawbacks) wait for their \
         component's next open payout period: `payout balances --period 2026-01` lists them"
    ));
    // A1: January paid 1,000.00 (10,000 × 10%) and computes 1,200.00 now (12,000 × 10%): +200.00
    // to pay; the adjustment −100 (shown to the plan's 2 places). Beside them, what was already
    // outstanding: H-1's half held, 10,000 × 10% × 50% = 500.00; S1's draw, 1,000 guaranteed −
    // 200.00 earned (4,000 × 5%) = 800.00.
    let (rows, stderr) = ws.balances("2026-01");
    assert_eq!(
        rows,
        balance_rows(&[
            ["A1", "pending-correction", "2026-01", "", "200.00"],
            ["A1", "pending-adjustment", "2026-01", "", "-100.00"],
            ["H1", "held", "2026-01", "H-1", "500.00"],
            ["S1", "draw", "2026-01", "", "800.00"],
        ])
    );
    assert!(
        stderr.contains("4 outstanding amount(s) after 2026-01"),
        "{stderr}"
    );
    // February pays both (a true-up of +200.00 and the late −100.00): nothing of A1 waits.
    let (rows, _) = ws.balances("2026-02");
    assert!(rows.iter().all(|r| r[0] != "A1"), "{rows:?}");
}

#[test]
fn a_cancellation_after_its_period_closed_waits_as_a_pending_clawback() {
    let ws = Scratch::new("ledger");
    // H-3 is not cancelled while January to April are closed.
    let cancelled = "H-3,H1,4000,2026-02-15,2026-04-10,1000,2026-02-20";
    let not_yet = "H-3,H1,4000,2026-02-15,,,2026-02-20";
    ws.edit("deals.csv", cancelled, not_yet);
    for month in ["2026-01", "2026-02", "2026-03", "2026-04"] {
        ws.close(month);
    }
    // Then the export says 1,000 of it was cancelled on April 10, in the closed April. H-3 was
    // paid in full in February (paid February 20): 4,000 × 10% = 400.00; a quarter of it is
    // cancelled (1,000 ÷ 4,000): −100.00 waits for May.
    ws.edit("deals.csv", not_yet, cancelled);
    let (rows, _) = ws.balances("2026-04");
    assert!(
        rows.contains(&balance_rows(&[["H1", "pending-clawback", "2026-02", "H-3", "-100.00"]])[0])
    );
    // As of March the cancellation has not happened: nothing waits.
    let (rows, _) = ws.balances("2026-03");
    assert!(rows.iter().all(|r| r[0] != "H1"), "{rows:?}");
    // May takes it: the clawback line, and the negative payable carried forward.
    let may = ws.run("2026-05");
    assert_eq!(
        may.get("H1", "commission", "2026-05", "clawbacks"),
        "-100.00"
    );
    assert_eq!(may.get("H1", "commission", "2026-05", "carried"), "100.00");
}

#[test]
fn a_recoverable_draw_is_repaid_from_later_excess_within_the_monthly_limit() {
    let ws = Scratch::new("ledger");
    ws.append("adjustments.csv", "S1,2026-02,-150,CORRECTION,,Kim,");
    ws.close("2026-01");
    // February: 30,000 × 5% = 1,500.00, adjustment −150.00 → 1,350.00, 350.00 above the draw;
    // recovered min(350, balance 800, limit 300) = 300.00; payable 1,050.00, balance 500.00.
    let feb = ws.run("2026-02");
    assert_eq!(feb.payable("S1", "commission", "2026-02"), "1050.00");
    assert_eq!(
        feb.get("S1", "commission", "2026-02", "recovery"),
        "-300.00"
    );
    assert_eq!(
        lines(&feb, "2026-02", "S1")[2],
        (
            "recovery".to_string(),
            "draw balance recovered from 350.00 above the draw (at most 300.00 a period); balance 500.00"
                .to_string(),
            "-300.00".to_string()
        )
    );
    ws.close("2026-02");
    // March: 10,000 × 5% = 500.00, topped up to the draw: +500.00, balance 500 + 500 = 1,000.00.
    let mar = ws.run("2026-03");
    assert_eq!(mar.payable("S1", "commission", "2026-03"), "1000.00");
    assert_eq!(mar.get("S1", "commission", "2026-03", "draw"), "500.00");
    ws.close("2026-03");
    let s1: Vec<Record> = ws
        .ledger()
        .into_iter()
        .filter(|r| r["rep_id"] == "S1")
        .collect();
    assert_eq!(
        brief(&s1),
        [
            ("S1", "2026-01", "earned", "2026-01", "200.00", ""),
            ("S1", "2026-01", "draw", "2026-01", "800.00", "800.00"),
            ("S1", "2026-02", "earned", "2026-02", "1500.00", ""),
            ("S1", "2026-02", "adjustment", "2026-02", "-150.00", ""),
            ("S1", "2026-02", "recovery", "2026-02", "-300.00", "500.00"),
            ("S1", "2026-03", "earned", "2026-03", "500.00", ""),
            ("S1", "2026-03", "draw", "2026-03", "500.00", "1000.00"),
        ]
    );
    // April: the draw has ended (to = 2026-03-31). A 2,000 deal earns 100.00, all of it recovered
    // (limit 300): payable 0.00, balance 900.00.
    ws.append("deals.csv", "S-4,S1,2000,2026-04-20,,,");
    let apr = ws.run("2026-04");
    assert_eq!(
        apr.get("S1", "commission", "2026-04", "recovery"),
        "-100.00"
    );
    assert_eq!(apr.payable("S1", "commission", "2026-04"), "0.00");
}

#[test]
fn a_negative_month_is_carried_forward_and_deducted_from_the_next() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    ws.close("2026-02");
    ws.close("2026-03");
    // April: 2,000.00 commission − 2,500.00 overpayment adjustment = −500.00: carried forward,
    // April pays 0.00.
    ws.append("adjustments.csv", "A1,2026-04,-2500,OVERPAYMENT,,Kim,");
    let apr = ws.run("2026-04");
    assert_eq!(apr.payable("A1", "commission", "2026-04"), "0.00");
    assert_eq!(apr.get("A1", "commission", "2026-04", "carried"), "500.00");
    ws.close("2026-04");
    // May: a 3,000 deal earns 300.00; the 500.00 balance is deducted: −200.00, carried again.
    ws.append("deals.csv", "D5,A1,3000,2026-05-05,,,");
    let may = ws.run("2026-05");
    assert_eq!(may.payable("A1", "commission", "2026-05"), "0.00");
    assert_eq!(
        lines(&may, "2026-05", "A1"),
        owned(&[
            ("deal", "3000.00 × 10%", "300.00"),
            (
                "carry-in",
                "balance 500.00 carried forward from earlier periods",
                "-500.00"
            ),
            (
                "carry-forward",
                "payable -200.00 for 2026-05 is negative: carried forward as a balance",
                "200.00"
            ),
        ])
    );
    // With `negative_payable = "deduct"` the same April pays −500.00.
    ws.edit(
        "plans/ae.toml",
        "id = \"ae\"",
        "id = \"ae\"\n\n[payment]\nnegative_payable = \"deduct\"",
    );
    let ws2 = Scratch::new("ledger");
    std::fs::copy(ws.path("plans/ae.toml"), ws2.path("plans/ae.toml")).unwrap();
    ws2.append("adjustments.csv", "A1,2026-04,-2500,OVERPAYMENT,,Kim,");
    assert_eq!(
        ws2.run("2026-04").payable("A1", "commission", "2026-04"),
        "-500.00"
    );
}

#[test]
fn diff_lists_changed_payables_and_changed_inputs() {
    let ws = Scratch::new("ledger");
    let before = ws.run("2026-02");
    // D2 5,000 → 7,000: February pays (12,000 × 10%) − 1,000 = 700.00 instead of 500.00.
    ws.edit("deals.csv", "D2,A1,5000", "D2,A1,7000");
    let after = ws.run("2026-02");
    let out = payout()
        .args(["diff", "--format", "csv"])
        .arg(before.out())
        .arg(after.out())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "diff exits 1 when the runs differ"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("\npayout,changed,A1,ae,commission,2026-02,,,,500.00,700.00,200.00,"),
        "{text}"
    );
    let table = payout()
        .args(["diff"])
        .arg(before.out())
        .arg(after.out())
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains(&format!(
            "input changed: {}",
            ws.path("deals.csv").display()
        )),
        "{table}"
    );

    // The ledger against a run of a closed period: nothing differs.
    ws.close("2026-01");
    let jan = ws.run("2026-01");
    let out = payout()
        .args(["diff", "--format", "csv"])
        .arg(ws.path("ledger.csv"))
        .arg(jan.out())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "section,change,rep_id,plan,component,payout_period,line,deal_id,path,old,new,difference,detail\n"
    );
    assert_eq!(dec(jan.payable("S1", "commission", "2026-01")), dec("1000"));
}

#[test]
fn held_commission_is_shown_as_held_and_released_in_the_period_of_payment() {
    let ws = Scratch::new("ledger");
    // January: H-1 earns 1,000.00; not paid by January 31: 50% of 1,000.00 = 500.00 held.
    let jan = ws.run("2026-01");
    assert_eq!(jan.payable("H1", "commission", "2026-01"), "500.00");
    assert_eq!(jan.get("H1", "commission", "2026-01", "held"), "-500.00");
    assert_eq!(
        lines(&jan, "2026-01", "H1")[1],
        (
            "hold".to_string(),
            "deal H-1: 50% of 1000.00 held until the deal is paid".to_string(),
            "-500.00".to_string()
        )
    );
    ws.close("2026-01");
    // February: H-2 (600.00) and H-3 (400.00) are paid within February: nothing held, 1,000.00.
    let feb = ws.run("2026-02");
    assert_eq!(feb.payable("H1", "commission", "2026-02"), "1000.00");
    assert_eq!(feb.get("H1", "commission", "2026-02", "held"), "0.00");
    ws.close("2026-02");
    // March: no deal; H-1 is paid on March 5: the 500.00 held in January is released.
    let mar = ws.run("2026-03");
    assert_eq!(mar.payable("H1", "commission", "2026-03"), "500.00");
    assert_eq!(
        lines(&mar, "2026-03", "H1"),
        owned(&[(
            "release",
            "deal H-1 paid 2026-03-05: commission held in 2026-01 released",
            "500.00"
        )])
    );
    ws.close("2026-03");
    let h1: Vec<Record> = ws
        .ledger()
        .into_iter()
        .filter(|r| r["rep_id"] == "H1" && r["deal_id"] == "H-1")
        .collect();
    assert_eq!(
        brief(&h1),
        [
            ("H1", "2026-01", "hold", "2026-01", "-500.00", ""),
            ("H1", "2026-03", "release", "2026-01", "500.00", ""),
        ]
    );
}

#[test]
fn a_cancellation_reverses_what_was_paid_in_the_period_of_the_cancellation() {
    let ws = Scratch::new("ledger");
    for month in ["2026-01", "2026-02", "2026-03"] {
        ws.close(month);
    }
    // H1 (`services`, attainment kept): 1,000 of H-3's 4,000 is cancelled on April 10, 54 days after
    // its close (window 120): 25% of the 400.00 paid in February = −100.00 in April, naming the deal.
    // April: H-4 3,000 × 10% = 300.00 (paid April 30: nothing held) − 100.00 = 200.00.
    let apr = ws.run("2026-04");
    assert_eq!(apr.payable("H1", "commission", "2026-04"), "200.00");
    assert_eq!(
        apr.get("H1", "commission", "2026-04", "clawbacks"),
        "-100.00"
    );
    assert_eq!(
        lines(&apr, "2026-04", "H1"),
        owned(&[
            ("deal", "3000.00 × 10%", "300.00"),
            (
                "clawback",
                "deal H-3 (closed 2026-02-15, paid in 2026-02) cancelled 2026-04-10: commission reversed",
                "-100.00"
            ),
        ])
    );
    // The closed February is not rewritten: attainment is kept, so it computes as it was paid.
    assert_eq!(
        ws.run("2026-02").payable("H1", "commission", "2026-02"),
        "1000.00"
    );
    // Once April is closed, the clawback is in the ledger and is not taken again in May.
    ws.close("2026-04");
    assert!(brief(&ws.ledger()).contains(&("H1", "2026-04", "clawback", "2026-02", "-100.00", "")));
    assert_eq!(
        ws.run("2026-05").payable("H1", "commission", "2026-05"),
        "0.00"
    );

    // A1 (`ae`, attainment reduced): D2 (5,000, closed February 10) is cancelled on April 20, 69
    // days later (window 90). Q1 recomputed without it: January 10,000 × 10% = 1,000 (paid 1,000),
    // February still 1,000 to date → 0.00 (paid 500.00), March 1,800 − 1,000 = 800.00 (paid 800.00).
    // April (Q2): 20,000 × 10% = 2,000.00, and February's −500.00 naming the deal: 1,500.00.
    let ws = Scratch::new("ledger");
    for month in ["2026-01", "2026-02", "2026-03"] {
        ws.close(month);
    }
    ws.edit(
        "deals.csv",
        "D2,A1,5000,2026-02-10,,",
        "D2,A1,5000,2026-02-10,2026-04-20,",
    );
    let apr = ws.run("2026-04");
    assert_eq!(apr.payable("A1", "commission", "2026-04"), "1500.00");
    assert_eq!(
        lines(&apr, "2026-04", "A1")[1],
        (
            "prior-period".to_string(),
            "2026-02: paid 500.00, computed now 0.00 (clawback: deal D2 cancelled 2026-04-20)"
                .to_string(),
            "-500.00".to_string()
        )
    );
    // A run of the quarter counts D2 as cancelled in its reconciliation, not as credited.
    let q1 = ws.run("2026-Q1");
    assert!(
        q1.read("reconciliation.csv")
            .contains("cancelled (clawback),,1,5000.00"),
        "{}",
        q1.read("reconciliation.csv")
    );
    // A partial cancellation reduces the measure proportionally: 2,000 of D2's 5,000 cancelled →
    // D2 counts 3,000; February to date (10,000 + 3,000) × 10% = 1,300 − 1,000 = 300.00 (paid
    // 500.00): −200.00; April pays 2,000 − 200 = 1,800.00.
    ws.edit(
        "deals.csv",
        "D2,A1,5000,2026-02-10,2026-04-20,",
        "D2,A1,5000,2026-02-10,2026-04-20,2000",
    );
    let partial = ws.run("2026-04");
    assert_eq!(partial.payable("A1", "commission", "2026-04"), "1800.00");
    assert_eq!(
        partial.get("A1", "commission", "2026-04", "prior_periods"),
        "-200.00"
    );
    ws.edit(
        "deals.csv",
        "D2,A1,5000,2026-02-10,2026-04-20,2000",
        "D2,A1,5000,2026-02-10,2026-04-20,",
    );
    // A cancellation after the window (D3, March 10 → July 1: 113 days > 90) is not clawed back.
    ws.edit(
        "deals.csv",
        "D3,A1,8000,2026-03-10,,",
        "D3,A1,8000,2026-03-10,2026-07-01,",
    );
    assert_eq!(
        ws.run("2026-04").payable("A1", "commission", "2026-04"),
        "1500.00"
    );
}

#[test]
fn draws_non_recoverable_for_a_number_of_periods_and_forgiven() {
    // Non-recoverable: January pays max(200.00, 1,000) = 1,000.00; February's 1,500.00 is not
    // reduced (nothing to recover).
    let ws = Scratch::new("ledger");
    ws.edit(
        "plans/sdr.toml",
        "recoverable = true",
        "recoverable = false",
    );
    assert_eq!(
        ws.run("2026-01").get("S1", "commission", "2026-01", "draw"),
        "800.00"
    );
    ws.close("2026-01");
    let feb = ws.run("2026-02");
    assert_eq!(feb.payable("S1", "commission", "2026-02"), "1500.00");
    assert_eq!(feb.get("S1", "commission", "2026-02", "recovery"), "0.00");

    // Recoverable for 2 payout periods (January and February) instead of to March 31: January draw
    // 800 (balance 800); February recovers 300 (balance 500); March has no draw: its 500.00 repays
    // 300.00 (the monthly limit), payable 200.00, balance 200.00.
    let ws = Scratch::new("ledger");
    ws.edit("plans/sdr.toml", "to = \"2026-03-31\"", "periods = 2");
    ws.close("2026-01");
    ws.close("2026-02");
    let mar = ws.run("2026-03");
    assert_eq!(mar.get("S1", "commission", "2026-03", "draw"), "0.00");
    assert_eq!(
        mar.get("S1", "commission", "2026-03", "recovery"),
        "-300.00"
    );
    assert_eq!(mar.payable("S1", "commission", "2026-03"), "200.00");

    // Forgiven on April 30: after March the balance is 1,000.00 (800 − 300 + 500); April writes it
    // off (a 0.00 line, balance 0.00) and pays S-4's 2,000 × 5% = 100.00 in full.
    let ws = Scratch::new("ledger");
    ws.edit(
        "plans/sdr.toml",
        "max_recovery = 300",
        "max_recovery = 300\nforgive_on = \"2026-04-30\"",
    );
    for month in ["2026-01", "2026-02", "2026-03"] {
        ws.close(month);
    }
    ws.append("deals.csv", "S-4,S1,2000,2026-04-20,,,");
    let apr = ws.run("2026-04");
    assert_eq!(apr.payable("S1", "commission", "2026-04"), "100.00");
    assert_eq!(
        lines(&apr, "2026-04", "S1"),
        owned(&[
            ("deal", "2000.00 × 5%", "100.00"),
            ("draw-forgiven", "draw balance 1000.00 forgiven", "0.00"),
        ])
    );
    ws.close("2026-04");
    assert!(brief(&ws.ledger()).contains(&(
        "S1",
        "2026-04",
        "draw-forgiven",
        "2026-04",
        "0.00",
        "0.00"
    )));
}

#[test]
fn the_closing_example_walks_six_months_to_its_committed_ledger() {
    // examples/closing/walk.sh, step by step: each month-end's CRM export is closed in turn.
    let dir = tempfile::tempdir().unwrap();
    let root = crate::util::root();
    for f in ["payout.toml", "reps.csv", "adjustments.csv"] {
        std::fs::copy(root.join("examples/closing").join(f), dir.path().join(f)).unwrap();
    }
    for sub in ["plans", "exports"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(root.join("examples/closing").join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).unwrap();
        }
    }
    let ws = dir.path().join("payout.toml").display().to_string();
    let months = ["01", "02", "03", "04", "05", "06"];
    for (i, m) in months.iter().enumerate() {
        let deals = dir.path().join(format!("exports/deals-2026-{m}.csv"));
        let closed_at = format!("2026-{:02}-03T17:00:00Z", i + 2);
        let out = payout()
            .args(["-w", &ws, "--deals"])
            .arg(&deals)
            .args(["close", "--period", &format!("2026-{m}")])
            .args(["--approved-by", "Dana Lee", "--closed-at", &closed_at])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ledger = read_csv(&dir.path().join("ledger.csv"));
    let paid = |rep: &str, period: &str| -> rust_decimal::Decimal {
        ledger
            .iter()
            .filter(|r| r["rep_id"] == rep && r["period"] == period)
            .map(|r| dec(&r["amount"]))
            .sum()
    };
    // R1 (10% per quarter, paid monthly; clawback reduces attainment):
    //   Jan A-101 20,000 → 2,000. Feb: A-101 corrected to 25,000 (true-up +500) + A-102 10,000 → 1,500.
    //   Mar A-103 15,000 → 1,500. Apr: A-102 cancelled → February now 0 (paid 1,000): −1,000, plus
    //   A-104 8,000 → 800: −200, carried forward → 0. May: A-105 30,000 → 3,000 − 200 = 2,800.
    //   Jun A-106 5,000 → 500.
    // R2 (5% monthly, recoverable draw 1,500 Jan–Mar, ≤ 500 recovered a month):
    //   Jan 500 + draw 1,000 (balance 1,000) = 1,500; Feb 2,000 − 500 = 1,500 (balance 500);
    //   Mar 2,500 − 500 = 2,000 (balance 0); Apr 600; May 1,000; Jun 800 − 100 adjustment = 700.
    // R3 (10% monthly, half held until paid): Jan 3,000 − 1,500 held = 1,500; Feb 0; Mar release
    //   1,500 + SPIFF 250 = 1,750; Apr 1,200 − 600 held = 600; May release 600; Jun 900 (paid in June).
    let expected = [
        ("R1", ["2000", "1500", "1500", "0", "2800", "500"]),
        ("R2", ["1500", "1500", "2000", "600", "1000", "700"]),
        ("R3", ["1500", "0", "1750", "600", "600", "900"]),
    ];
    for (rep, amounts) in expected {
        for (m, amount) in months.iter().zip(amounts) {
            assert_eq!(
                paid(rep, &format!("2026-{m}")),
                dec(amount),
                "{rep} 2026-{m}"
            );
        }
    }
    // The committed ledger is exactly what the walk writes (regenerate with walk.sh when the tool
    // version, which enters the run ids, changes).
    for name in ["ledger.csv", "ledger.csv.head"] {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(name)).unwrap(),
            std::fs::read_to_string(root.join("examples/closing").join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_rep_who_changes_plan_is_closed_per_plan_and_paid_an_adjustment_once() {
    let ws = Scratch::new("ledger");
    // S1 moves from `sdr` to `ae` on February 16.
    ws.append("payout.toml", "\n[assignments]\nfile = \"assignments.csv\"");
    std::fs::write(
        ws.path("assignments.csv"),
        "rep_id,plan,from,to\nS1,sdr,2026-01-01,2026-02-15\nS1,ae,2026-02-16,\n",
    )
    .unwrap();
    ws.append("adjustments.csv", "S1,2026-02,100,BONUS,,Kim,");
    ws.close("2026-01");
    // February: on `sdr` S-2 (30,000, Feb 15) earns 1,500.00; 500.00 above the draw, 300.00
    // recovered (limit) → 1,200.00. On `ae` nothing yet: 0.00. The 100.00 adjustment is paid once,
    // on the first plan's commission: 1,300.00 in all.
    let feb = ws.rows("2026-02");
    let s1: Vec<&Record> = feb.iter().filter(|r| r["rep_id"] == "S1").collect();
    assert_eq!(s1.len(), 2, "a row per plan");
    let total: rust_decimal::Decimal = s1.iter().map(|r| dec(&r["payable"])).sum();
    let adjustments: rust_decimal::Decimal = s1.iter().map(|r| dec(&r["adjustments"])).sum();
    assert_eq!((total, adjustments), (dec("1300"), dec("100")));
    ws.close("2026-02");
    let plans: std::collections::BTreeSet<String> = ws
        .ledger()
        .into_iter()
        .filter(|r| r["rep_id"] == "S1" && r["period"] == "2026-02")
        .map(|r| r["plan"].clone())
        .collect();
    assert_eq!(plans.into_iter().collect::<Vec<_>>(), ["ae", "sdr"]);
    // March: S-3 (10,000) on `ae`: 10% = 1,000.00; the adjustment is not paid again.
    let mar = ws.rows("2026-03");
    let s1: Vec<&Record> = mar.iter().filter(|r| r["rep_id"] == "S1").collect();
    let total: rust_decimal::Decimal = s1.iter().map(|r| dec(&r["payable"])).sum();
    assert_eq!(total, dec("1000"));
    assert!(s1.iter().all(|r| r["adjustments"] == "0.00"));
}

#[test]
fn a_held_deal_cancelled_is_reversed_only_for_what_was_paid() {
    let ws = Scratch::new("ledger");
    ws.edit(
        "plans/services.toml",
        "reduce_attainment = false",
        "reduce_attainment = true",
    );
    ws.edit(
        "deals.csv",
        "H-3,H1,4000,2026-02-15,2026-04-10,1000,2026-02-20",
        "H-3,H1,4000,2026-02-15,,,2026-02-20",
    );
    // January: H-1 earns 1,000.00, half held: 500.00 paid.
    ws.close("2026-01");
    // H-1 is cancelled on February 20 and will never be paid. February: H-2 600.00 + H-3 400.00
    // (both paid in February); January recomputed without H-1: paid 1,000.00 (its commission),
    // now 0.00 → −1,000.00; the 500.00 still held is released against it: 1,000 − 1,000 + 500 =
    // 500.00, so H-1 costs back exactly the 500.00 that was paid.
    ws.edit(
        "deals.csv",
        "H-1,H1,10000,2026-01-20,,,2026-03-05",
        "H-1,H1,10000,2026-01-20,2026-02-20,,",
    );
    let feb = ws.run("2026-02");
    assert_eq!(feb.payable("H1", "commission", "2026-02"), "500.00");
    assert_eq!(
        lines(&feb, "2026-02", "H1"),
        owned(&[
            ("deal", "6000.00 × 10%", "600.00"),
            ("deal", "4000.00 × 10%", "400.00"),
            (
                "prior-period",
                "2026-01: paid 1000.00, computed now 0.00 (clawback: deal H-1 cancelled 2026-02-20)",
                "-1000.00"
            ),
            (
                "release",
                "deal H-1 cancelled 2026-02-20: commission held in 2026-01 released against the clawback",
                "500.00"
            ),
        ])
    );
    // Recorded, it is not released twice.
    ws.close("2026-02");
    assert_eq!(
        ws.run("2026-03").payable("H1", "commission", "2026-03"),
        "0.00"
    );
}

#[test]
fn statements_of_a_run_without_kept_lines_show_the_deal_lines_then_the_payment_lines() {
    // Without the `services` plan (its holds need every deal's commission during the run), the run
    // keeps no lines: each rep's statements are recomputed rep by rep while they are written, and
    // the payment step's lines (adjustments, draws) must follow the recomputed deal lines.
    let ws = Scratch::new("ledger");
    std::fs::remove_file(ws.path("plans/services.toml")).expect("remove the services plan");
    ws.edit("reps.csv", "H1,Hana Held,services", "H1,Hana Held,ae");
    ws.append(
        "adjustments.csv",
        "A1,2026-01,250,SPIFF-JAN,commission,Lee Manager,webinar leads",
    );
    let jan = ws.run("2026-01");
    // A1: D1 10,000 × 10% = 1,000.00, + 250.00 adjustment = 1,250.00.
    assert_eq!(
        lines(&jan, "2026-01", "A1"),
        owned(&[
            ("deal", "10000.00 × 10%", "1000.00"),
            (
                "adjustment",
                "SPIFF-JAN; approved by Lee Manager; webinar leads",
                "250.00"
            ),
        ])
    );
    assert_eq!(jan.payable("A1", "commission", "2026-01"), "1250.00");
    // S1: S-1 4,000 × 5% = 200.00, topped up to the 1,000 draw: +800.00 (balance 800.00).
    let s1 = lines(&jan, "2026-01", "S1");
    assert_eq!(s1.len(), 2, "{s1:?}");
    assert_eq!((s1[0].0.as_str(), s1[0].2.as_str()), ("deal", "200.00"));
    assert_eq!((s1[1].0.as_str(), s1[1].2.as_str()), ("draw", "800.00"));
    assert_eq!(jan.payable("S1", "commission", "2026-01"), "1000.00");
}
