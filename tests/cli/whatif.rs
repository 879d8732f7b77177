//! What-if commands on tests/cases/whatif (see its payout.toml): `estimate`, `model`, `forecast`.
//! Quotas are 100,000 for every rep's bookings in 2026-Q1 (and 10,000 margin for R3). On the data,
//! R1 has 80,000 won (8,000 at 10%), R2 150,000 (100,000 × 10% + 50,000 × 20% = 20,000), R3 50,000
//! with 5,000 margin (50% margin attainment: the gate holds the 5,000 back).

use crate::util::{dec, parse_csv, payout, workspace, Record};

fn csv_of(args: &[&str]) -> Vec<Record> {
    let out = payout()
        .args(["-w", &workspace("whatif")])
        .args(args)
        .args(["--format", "csv"])
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_csv(&String::from_utf8_lossy(&out.stdout))
}

fn find<'a>(rows: &'a [Record], pairs: &[(&str, &str)]) -> &'a Record {
    rows.iter()
        .find(|r| pairs.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row with {pairs:?} in {rows:#?}"))
}

#[test]
fn estimate_a_deal_that_crosses_a_tier() {
    let rows = csv_of(&[
        "estimate",
        "--rep",
        "R1",
        "--deal",
        "amount=30000,close_date=2026-03-20",
    ]);
    // 80,000 + 30,000 = 110,000: 20,000 more at 10% (tier 1) and 10,000 past 100,000 at 20% (tier 2).
    let march = find(&rows, &[("section", "payable"), ("period", "2026-03")]);
    assert_eq!(dec(&march["before"]), dec("0.00"));
    // 100,000 × 10% + 10,000 × 20% = 12,000, less the 8,000 paid for February.
    assert_eq!(dec(&march["after"]), dec("4000.00"));
    let t1 = find(
        &rows,
        &[("section", "line"), ("deal_id", "WHATIF-1"), ("tier", "1")],
    );
    assert_eq!(dec(&t1["after"]), dec("2000.00")); // 20,000 × 10%
    let t2 = find(
        &rows,
        &[("section", "line"), ("deal_id", "WHATIF-1"), ("tier", "2")],
    );
    assert_eq!(dec(&t2["after"]), dec("2000.00")); // 10,000 × 20%
                                                   // Past the last tier: no next tier.
    assert!(!rows.iter().any(|r| r["section"] == "next-tier"));
}

#[test]
fn estimate_says_how_much_more_reaches_the_next_tier() {
    let rows = csv_of(&["estimate", "--rep", "R1", "--deal", "amount=5000"]);
    // The close date defaults to the period's last day (2026-03-31): 85,000 booked, tier 2 at
    // 100% × 100,000 = 100,000, 15,000 away.
    let next = find(
        &rows,
        &[("section", "next-tier"), ("component", "commission")],
    );
    assert_eq!(next["tier"], "2");
    assert_eq!(dec(&next["before"]), dec("85000.00"));
    assert_eq!(dec(&next["after"]), dec("100000.00"));
    assert_eq!(dec(&next["change"]), dec("15000.00"));
    // The deal itself: 5,000 × 10%.
    let line = find(&rows, &[("section", "line"), ("deal_id", "WHATIF-1")]);
    assert_eq!(dec(&line["after"]), dec("500.00"));
}

#[test]
fn estimate_a_deal_that_hits_the_cap() {
    let rows = csv_of(&[
        "estimate",
        "--rep",
        "R2",
        "--deal",
        "amount=40000,close_date=2026-03-20",
    ]);
    // 190,000: 10,000 + 90,000 × 20% = 28,000, capped at 25,000: the deal adds 40,000 × 20% =
    // 8,000 and the cap takes 3,000 back; March pays 25,000 − 20,000 = 5,000.
    let deal = find(
        &rows,
        &[("section", "line"), ("deal_id", "WHATIF-1"), ("tier", "2")],
    );
    assert_eq!(dec(&deal["after"]), dec("8000.00"));
    let cap = find(&rows, &[("section", "line"), ("kind", "cap")]);
    assert_eq!(cap["before"], "");
    assert_eq!(dec(&cap["after"]), dec("-3000.00"));
    let march = find(&rows, &[("section", "payable"), ("period", "2026-03")]);
    assert_eq!(dec(&march["change"]), dec("5000.00"));
}

#[test]
fn estimate_a_deal_that_opens_a_gate() {
    let rows = csv_of(&[
        "estimate",
        "--rep",
        "R3",
        "--deal",
        "amount=20000,margin=5000,close_date=2026-03-20",
    ]);
    // Margin 5,000 + 5,000 = 10,000 = 100% ≥ 90%: the gate opens. Bookings 70,000 × 10% = 7,000:
    // the gate line holding back 5,000 goes, the deal adds 20,000 × 10% = 2,000.
    let gate = find(&rows, &[("section", "line"), ("kind", "gate")]);
    assert_eq!(dec(&gate["before"]), dec("-5000.00"));
    assert_eq!(gate["after"], "");
    let q1 = find(&rows, &[("section", "payable"), ("period", "2026-Q1")]);
    assert_eq!(dec(&q1["before"]), dec("0.00"));
    assert_eq!(dec(&q1["after"]), dec("7000.00"));
}

#[test]
fn estimate_reads_deals_from_a_file_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("deals.csv");
    std::fs::write(
        &file,
        "deal_id,amount,close_date\nBIG-1,10000,2026-03-01\nBIG-2,10000,2026-03-02\n",
    )
    .expect("written");
    let rows = csv_of(&[
        "estimate",
        "--rep",
        "R1",
        "--deals-file",
        file.to_str().unwrap(),
    ]);
    // 80,000 + 20,000 = 100,000: both deals at 10% (1,000 each), exactly at the 20% tier's start.
    let one = find(&rows, &[("section", "line"), ("deal_id", "BIG-1")]);
    assert_eq!(dec(&one["after"]), dec("1000.00"));
    let two = find(&rows, &[("section", "line"), ("deal_id", "BIG-2")]);
    assert_eq!(dec(&two["after"]), dec("1000.00"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn estimate_refuses_an_unknown_column() {
    payout()
        .args([
            "-w",
            &workspace("whatif"),
            "estimate",
            "--rep",
            "R1",
            "--deal",
            "amount=1,colour=red",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`colour` is not a column"));
}

#[test]
fn model_a_proposal_that_costs_more_at_the_top_and_less_in_total() {
    let rows = csv_of(&["model", "--plans", "tests/cases/whatif/proposal"]);
    let proposal = "tests/cases/whatif/proposal";
    let get = |scenario: &str, rep: &str| find(&rows, &[("scenario", scenario), ("rep_id", rep)]);
    // R1: 80,000 × 8% = 6,400 (was 8,000).
    assert_eq!(dec(&get(proposal, "R1")["payout"]), dec("6400.00"));
    assert_eq!(dec(&get(proposal, "R1")["change"]), dec("-1600.00"));
    // R2, the top decile (ceil(3 / 10) = 1 rep, 150% attainment): 100,000 × 8% + 50,000 × 25% =
    // 20,500 (was 20,000): more at the top.
    assert_eq!(dec(&get(proposal, "R2")["payout"]), dec("20500.00"));
    assert_eq!(get("current", "R2")["band"], "150% and up");
    // In total: 6,400 + 20,500 + 0 = 26,900, 1,100 less than 28,000.
    let total = get(proposal, "(total)");
    assert_eq!(dec(&total["payout"]), dec("26900.00"));
    assert_eq!(dec(&total["change"]), dec("-1100.00"));
    // Cost of sales: bookings 80,000 + 150,000 won + R3's 50,000 = 280,000; 26,900 / 280,000.
    assert_eq!(dec(&total["bookings"]), dec("280000.00"));
    assert_eq!(dec(&total["cost_of_sales"]), dec("0.096071"));
    assert_eq!(
        dec(&get("current", "(total)")["cost_of_sales"]),
        dec("0.10")
    );
}

#[test]
fn model_table_shows_the_top_decile_and_the_movers() {
    let out = payout()
        .args([
            "-w",
            &workspace("whatif"),
            "model",
            "--plans",
            "tests/cases/whatif/proposal",
        ])
        .output()
        .expect("payout runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // Top decile (R2): 20,000 now, 20,500 proposed; R1 loses 1,600.
    assert!(text.contains("│ top decile payout ┆ 20,000.00 ┆"), "{text}");
    assert!(text.contains("20,500.00"), "{text}");
    assert!(
        text.contains("│ R1  ┆  8,000.00 ┆  6,400.00 ┆ -1,600.00 │"),
        "{text}"
    );
}

#[test]
fn forecast_prices_weighted_deals_with_the_real_plan() {
    let rows = csv_of(&["forecast", "--period", "2026-Q1"]);
    let get = |rep: &str, period: &str| find(&rows, &[("rep_id", rep), ("payout_period", period)]);
    // A3 (R1, Proposal 50%): 60,000 × 50% = 30,000 expected in March: 110,000 booked =
    // 100,000 × 10% + 10,000 × 20% = 12,000, so 4,000 more than the 8,000 earned (an average rate of
    // 10% would have said 3,000: the accelerator is priced).
    assert_eq!(dec(&get("R1", "2026-03")["pipeline"]), dec("4000.00"));
    assert_eq!(dec(&get("R1", "2026-02")["earned"]), dec("8000.00"));
    // A4 (R2): 20,000 × 50% = 10,000 at 20% = 2,000.
    assert_eq!(dec(&get("R2", "2026-03")["pipeline"]), dec("2000.00"));
    // A5 (Qualified) closes in April: outside the period.
    let total: rust_decimal::Decimal = rows.iter().map(|r| dec(&r["pipeline"])).sum();
    assert_eq!(total, dec("6000.00"));
    let expected: rust_decimal::Decimal = rows.iter().map(|r| dec(&r["expected"])).sum();
    assert_eq!(expected, dec("34000.00")); // 28,000 earned + 6,000
}

#[test]
fn estimate_keeps_closed_periods_and_writes_nothing() {
    let dir = crate::util::scratch_copy("whatif");
    let ws = dir.path().join("payout.toml");
    let ws = ws.to_str().unwrap();
    for month in ["2026-01", "2026-02"] {
        payout()
            .args([
                "-w",
                ws,
                "close",
                "--period",
                month,
                "--approved-by",
                "Dana",
                // January has no won deal of a monthly plan and pays nothing: closed as such.
                "--allow-no-deals",
            ])
            .args(["--closed-at", &format!("{month}-28T09:00:00Z")])
            .assert()
            .success();
    }
    let ledger = std::fs::read(dir.path().join("ledger.csv")).expect("the ledger");
    let out = payout()
        .args(["-w", ws, "estimate", "--rep", "R1", "--format", "csv"])
        .args(["--deal", "amount=30000,close_date=2026-02-20"])
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = parse_csv(&String::from_utf8_lossy(&out.stdout));
    // February is closed at its recorded 8,000: the deal does not reopen it.
    let feb = find(&rows, &[("section", "payable"), ("period", "2026-02")]);
    assert_eq!(dec(&feb["before"]), dec("8000.00"));
    assert_eq!(dec(&feb["after"]), dec("8000.00"));
    // March, the first open month, takes the difference: earned to date 100,000 × 10% + 10,000 ×
    // 20% = 12,000 − 8,000 paid = 4,000.
    let march = find(&rows, &[("section", "payable"), ("period", "2026-03")]);
    assert_eq!(dec(&march["after"]), dec("4000.00"));
    // ... as a true-up line of the payment step.
    let true_up = find(&rows, &[("section", "line"), ("kind", "true-up")]);
    assert_eq!(true_up["period"], "2026-03");
    assert_eq!(dec(&true_up["after"]), dec("4000.00"));
    assert_eq!(
        std::fs::read(dir.path().join("ledger.csv")).unwrap(),
        ledger
    );
}

#[test]
fn forecast_by_the_owners_win_rate() {
    let dir = crate::util::scratch_copy("whatif");
    let path = |name: &str| dir.path().join(name);
    let ws = std::fs::read_to_string(path("payout.toml")).unwrap();
    let ws = ws.replace("[forecast]\n", "[forecast]\nweighting = \"win-rate\"\n");
    std::fs::write(path("payout.toml"), ws).unwrap();
    // R1's history before 2026: 3 won, 1 lost: a 75% win rate. R2 has none: 0%.
    let mut deals = std::fs::read_to_string(path("deals.csv")).unwrap();
    deals.push_str(
        "H1,R1,1000,2025-10-01,Closed Won,0\nH2,R1,1000,2025-10-02,Closed Won,0\n\
         H3,R1,1000,2025-10-03,Closed Won,0\nH4,R1,1000,2025-10-04,Closed Lost,0\n",
    );
    std::fs::write(path("deals.csv"), deals).unwrap();
    let out = payout()
        .args([
            "-w",
            path("payout.toml").to_str().unwrap(),
            "forecast",
            "-f",
            "csv",
        ])
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = parse_csv(&String::from_utf8_lossy(&out.stdout));
    // A3: 60,000 × 75% = 45,000 in March: 125,000 booked = 10,000 + 25,000 × 20% = 15,000, 7,000
    // more than the 8,000 earned. A4 (R2, no history) weighs nothing.
    let r1 = find(&rows, &[("rep_id", "R1"), ("payout_period", "2026-03")]);
    assert_eq!(dec(&r1["pipeline"]), dec("7000.00"));
    let r2 = find(&rows, &[("rep_id", "R2"), ("payout_period", "2026-03")]);
    assert_eq!(dec(&r2["pipeline"]), dec("0.00"));
}

#[test]
fn model_puts_reps_on_the_plans_an_assign_file_names() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let assign = dir.path().join("assign.csv");
    std::fs::write(&assign, "rep_id,plan\nR3,ae\n").expect("written");
    let rows = csv_of(&[
        "model",
        "--plans",
        "tests/cases/whatif/proposal",
        "--assign",
        assign.to_str().unwrap(),
    ]);
    let proposal = "tests/cases/whatif/proposal";
    // R3 on the proposed `ae`: C1's 50,000 won × 8% = 4,000 (the gate is gone with `gated`).
    let r3 = find(&rows, &[("scenario", proposal), ("rep_id", "R3")]);
    assert_eq!(r3["plan"], "ae");
    assert_eq!(dec(&r3["payout"]), dec("4000.00"));
    // 6,400 + 20,500 + 4,000 = 30,900.
    let total = find(&rows, &[("scenario", proposal), ("rep_id", "(total)")]);
    assert_eq!(dec(&total["payout"]), dec("30900.00"));
}

#[test]
fn plans_twice_is_for_model_only() {
    payout()
        .args([
            "-w",
            &workspace("whatif"),
            "--plans",
            "a",
            "--plans",
            "b",
            "run",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--plans is given once"));
}

#[test]
fn a_forecast_probability_above_100_percent_is_refused() {
    let dir = crate::util::scratch_copy("whatif");
    let path = dir.path().join("payout.toml");
    let ws = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        ws.replace("Proposal = \"50%\"", "Proposal = \"150%\""),
    )
    .unwrap();
    payout()
        .args(["-w", path.to_str().unwrap(), "forecast"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("error[workspace-value-invalid]"))
        .stderr(predicates::str::contains(
            "forecast probability of `Proposal`: `150%`",
        ));
}

#[test]
fn estimate_says_when_a_deal_closes_outside_the_period() {
    payout()
        .args(["-w", &workspace("whatif"), "estimate", "--rep", "R1"])
        .args(["--deal", "amount=1000,close_date=2026-05-01"])
        .assert()
        .success()
        // Nothing in 2026-Q1 changes: 8,000 before and after.
        .stdout(predicates::str::contains(
            "payable 8,000.00 -> 8,000.00 (0.00)",
        ))
        .stderr(predicates::str::contains("WHATIF-1 closes outside 2026-Q1"));
}

#[test]
fn model_as_html_is_one_self_contained_page_with_the_totals_and_a_chart() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let page = dir.path().join("model.html");
    payout()
        .args(["-w", &workspace("whatif"), "model", "--plans"])
        .args(["tests/cases/whatif/proposal", "--format", "html", "--out"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    // One chart (payout by plan set) and the terminal's tables: current 28,000.00 against the
    // proposal's 6,400 + 20,500 + 0 = 26,900.00 (−1,100.00), R1 8,000.00 → 6,400.00.
    assert_eq!(html.matches("<svg").count(), 1);
    for figure in [
        "28,000.00",
        "26,900.00",
        "-1,100.00",
        r#"<td class="num">6,400.00</td>"#,
    ] {
        assert!(html.contains(figure), "{figure} missing from\n{html}");
    }
    // The chart labels the proposal by its folder's name.
    assert!(html.contains(">\nproposal\n</text>"), "{html}");
}

#[test]
fn forecast_weighs_by_the_workspace_stages_and_says_what_it_leaves_out() {
    let dir = crate::util::scratch_copy("whatif");
    let path = |name: &str| dir.path().join(name);
    let ws = std::fs::read_to_string(path("payout.toml")).unwrap();
    let (head, _) = ws.split_once("[forecast]").expect("a [forecast] section");
    let stages = "[stages]\n\"Closed Won\" = \"won\"\n\"Closed Lost\" = \"lost\"\n\
                  Proposal = { category = \"open\", probability = \"25%\" }\n";
    std::fs::write(path("payout.toml"), format!("{head}{stages}")).unwrap();
    // A4 (R2) moves to a stage [stages] does not know.
    let deals = std::fs::read_to_string(path("deals.csv")).unwrap();
    let deals = deals.replace(
        "A4,R2,20000,2026-03-12,Proposal",
        "A4,R2,20000,2026-03-12,Discovery",
    );
    std::fs::write(path("deals.csv"), deals).unwrap();
    let forecast = |extra: &[&str]| {
        payout()
            .args(["-w", path("payout.toml").to_str().unwrap(), "forecast"])
            .args(["-f", "csv"])
            .args(extra)
            .output()
            .expect("payout runs")
    };
    let out = forecast(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows = parse_csv(&String::from_utf8_lossy(&out.stdout));
    // A3 (R1, Proposal 25% from [stages]): 60,000 × 25% = 15,000 in March: 80,000 + 15,000 =
    // 95,000, under the 100,000 quota: 9,500 at 10%, 1,500 more than the 8,000 earned.
    let r1 = find(&rows, &[("rep_id", "R1"), ("payout_period", "2026-03")]);
    assert_eq!(dec(&r1["pipeline"]), dec("1500.00"));
    // A4 at Discovery has no probability: left out, and said.
    let r2 = find(&rows, &[("rep_id", "R2"), ("payout_period", "2026-03")]);
    assert_eq!(dec(&r2["pipeline"]), dec("0.00"));
    let total: rust_decimal::Decimal = rows.iter().map(|r| dec(&r["pipeline"])).sum();
    assert_eq!(total, dec("1500.00"));
    assert!(
        stderr.contains("warning[forecast-stage-unweighted]: 1 open deal(s) closing in 2026-Q1")
            && stderr.contains("\"Discovery\" (1)"),
        "{stderr}"
    );
    // Under --deny-warnings the forecast is not printed.
    let denied = forecast(&["--deny-warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(denied.stdout.is_empty());
    // [forecast] stages overrides [stages]: Proposal at 50% gives A3 30,000, 110,000 booked =
    // 100,000 × 10% + 10,000 × 20% = 12,000: 4,000 more than the 8,000 earned.
    let ws = std::fs::read_to_string(path("payout.toml")).unwrap();
    let ws = format!("{ws}\n[forecast]\nstages = {{ Proposal = \"50%\" }}\n");
    std::fs::write(path("payout.toml"), ws).unwrap();
    let rows = parse_csv(&String::from_utf8_lossy(&forecast(&[]).stdout));
    let r1 = find(&rows, &[("rep_id", "R1"), ("payout_period", "2026-03")]);
    assert_eq!(dec(&r1["pipeline"]), dec("4000.00"));
}

#[test]
fn estimate_says_why_a_deal_no_measure_counts_changes_nothing() {
    let out = payout()
        .args(["-w", &workspace("whatif"), "estimate", "--rep", "R1"])
        .args([
            "--deal",
            "amount=30000,close_date=2026-03-20,stage=Proposal",
        ])
        .args(["--format", "json"])
        .output()
        .expect("payout runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // `bookings` sums Closed Won deals only (plans/ae.toml:5): the Proposal deal adds nothing to
    // R1's 8,000.00, and the reason is the plan's condition.
    assert!(
        stderr.contains(
            "WHATIF-1 changes nothing: no measure counts it: stage \"Proposal\" fails stage = \"Closed Won\" (measure bookings, plans/ae.toml:5)"
        ),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["payable_after"], "8000.00");
    assert_eq!(json["not_counted"][0]["deal_id"], "WHATIF-1");
}

#[test]
fn a_rounding_line_of_less_than_half_a_cent_is_left_out_of_the_table_and_csv_not_the_json() {
    // The example, A004 in March: a 20,000 New Business deal is paid 20,000 × 12% = 2,400.00 and
    // meets the new-logo quota, so the quarter's commission takes the ×1.1 kicker: +846.468. Earned
    // to date is rounded to cents, so a rounding line of 0.002 appears, which shows as 0.00.
    let args = [
        "estimate",
        "--rep",
        "A004",
        "--deal",
        "amount=20000,type=New Business",
    ];
    let run = |format: &str| {
        let out = payout()
            .args(args)
            .args(["--format", format])
            .output()
            .expect("payout runs");
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = parse_csv(&run("csv"));
    let kinds: Vec<&str> = csv
        .iter()
        .filter(|r| r["section"] == "line")
        .map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["deal", "multiplier"]);
    assert!(!run("table").contains("rounding"));
    let json = run("json");
    assert!(json.contains("\"kind\": \"rounding\""), "{json}");
    assert!(json.contains("\"amount\": \"0.00200\""), "{json}");
}

#[test]
fn the_forecast_table_names_each_rep_and_each_open_deal_s_currency() {
    // The example workspace, March: OPP-10627 (A004, Negotiation 75%, 45,000.00 USD) weighs
    // 45,000.00 × 75% = 33,750.00.
    let out = payout()
        .args(["forecast", "--period", "2026-03", "-q"])
        .output()
        .expect("payout runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("│ OPP-10627 ┆ A004 ┆ Negotiation ┆ 2026-03-30 ┆  45,000.00 ┆ USD      ┆         75% ┆  33,750.00 │"),
        "{text}"
    );
    assert!(text.contains("│ A004 ┆ Tyler Brooks       ┆"), "{text}");
    // A deals file without a currency column leaves the column out.
    let out = payout()
        .args(["-w", "tests/cases/whatif/payout.toml", "forecast", "-q"])
        .output()
        .expect("payout runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "│ Deal ┆ Rep ┆ Stage    ┆ Close date ┆    Amount ┆ Probability ┆  Expected │"
        ),
        "{text}"
    );
}
