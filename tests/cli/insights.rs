//! `payout insights` on tests/cases/insights, Q1 2026, every metric worked out by hand.
//!
//! The case: plan `ae` pays 10% of won bookings (stage `Won`), quarterly, with a one-month 50% ramp.
//! Reps: M1 (manager of A1 and A2), A1, A2, B1 (hired 2026-02-01, ramping in February), Z1 (no quota).
//! Quotas: M1 50,000, A1 100,000, A2 50,000, B1 60,000 × (28 × 50% + 31) / 90 = 30,000 (ramp and
//! proration). Deals closing in Q1 (amount, stage, created → close days):
//! - D1 A1 10,000 Won (30 days), D2 A1 20,000 Won (40), D3 A1 5,000 Lost
//! - D4 A2 30,000 Won (60), D5 A2 8,000 No Decision
//! - D6 M1 40,000 Won (50), split A1 50% / A2 50% (credits.csv): M1 is credited nothing
//! - D7 B1 12,000 Won in March (28), D8 B1 6,000 Won in February, while B1 ramps (20)
//! - D9 A1 9,999 Duplicate (ignored); D10 A1 50,000 Proposal (open, 50%) and D11 A2 20,000
//!   Discovery (open, 10%), both closing in March; D12 closes in April (outside).
//!
//! Credited bookings: A1 10,000 + 20,000 + 20,000 = 50,000 (50%); A2 30,000 + 20,000 = 50,000
//! (100%); B1 18,000 (60%); M1 0 (0%); payables 10%: 5,000 + 5,000 + 1,800 + 0 + 0 = 11,800.

use std::collections::BTreeMap;

use crate::util::{fail, parse_csv, payout, scratch_copy, write, Record};

const WS: &str = "tests/cases/insights/payout.toml";

/// The CSV metrics of `payout insights` with `extra` arguments, by (group labels, metric).
fn metrics(workspace: &str, extra: &[&str]) -> BTreeMap<(String, String), Record> {
    let out = payout()
        .args(["-w", workspace, "insights", "--format", "csv"])
        .args(extra)
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let rows = parse_csv(&text);
    let by: Vec<String> = text
        .lines()
        .next()
        .expect("a header")
        .split(',')
        .take_while(|h| *h != "metric")
        .map(String::from)
        .collect();
    rows.into_iter()
        .map(|r| {
            let group = by
                .iter()
                .map(|h| r[h].clone())
                .collect::<Vec<_>>()
                .join("/");
            ((group, r["metric"].clone()), r)
        })
        .collect()
}

/// (value, numerator, denominator, reason) of one metric.
fn get<'a>(
    m: &'a BTreeMap<(String, String), Record>,
    group: &str,
    metric: &str,
) -> (&'a str, &'a str, &'a str, &'a str) {
    let r = m
        .get(&(group.to_string(), metric.to_string()))
        .unwrap_or_else(|| panic!("no {metric} for {group}"));
    (
        &r["value"],
        &r["numerator"],
        &r["denominator"],
        &r["reason"],
    )
}

#[test]
fn totals_of_the_period_are_the_hand_computed_metrics() {
    let m = metrics(WS, &[]);
    let g = "";
    // Attainment: (0 + 50,000 + 50,000 + 18,000) ÷ (50,000 + 100,000 + 50,000 + 30,000) = 118,000 ÷
    // 230,000 = 0.51304347826… → 0.5130434783 (10 places); the run's own numbers.
    assert_eq!(
        get(&m, g, "attainment:bookings"),
        ("0.5130434783", "118000", "230000", "")
    );
    // Mean of the reps' attainments: (0 + 0.5 + 1 + 0.6) ÷ 4 = 0.525
    assert_eq!(get(&m, g, "attainment_mean_of_reps:bookings").0, "0.525");
    // Distribution over [0, 0.5, 0.6, 1]: one rep at or above 100% of 4; Q1 h = 3 × 0.25 = 0.75 →
    // 0 + 0.75 × 0.5 = 0.375; median h = 1.5 → 0.5 + 0.5 × 0.1 = 0.55; Q3 h = 2.25 → 0.6 + 0.25 ×
    // 0.4 = 0.7. Bands: M1 below 50%, A1 and B1 50–75%, A2 100–125%.
    assert_eq!(get(&m, g, "reps_at_or_above_100"), ("0.25", "1", "4", ""));
    assert_eq!(get(&m, g, "attainment_q1").0, "0.375");
    assert_eq!(get(&m, g, "attainment_median").0, "0.55");
    assert_eq!(get(&m, g, "attainment_q3").0, "0.7");
    assert_eq!(get(&m, g, "attainment_band_lt_50").0, "1");
    assert_eq!(get(&m, g, "attainment_band_50_75").0, "2");
    assert_eq!(get(&m, g, "attainment_band_100_125").0, "1");
    // Z1 has no quota: listed apart, 1 of 5 reps.
    assert_eq!(get(&m, g, "reps_without_quota"), ("1", "1", "5", ""));
    // Win rate: won D1 D2 D4 D6 D7 D8 = 6, lost D3 = 1 → 6 ÷ 7; D5 (no decision) apart, D9 ignored.
    assert_eq!(get(&m, g, "win_rate_count"), ("0.8571428571", "6", "7", ""));
    // By value: 118,000 ÷ (118,000 + 5,000) = 0.95934959349…
    assert_eq!(
        get(&m, g, "win_rate_value"),
        ("0.9593495935", "118000", "123000", "")
    );
    assert_eq!(get(&m, g, "no_decision_deals").0, "1");
    // Deal size: 118,000 ÷ 6 = 19,666.666…; median of [6,000 10,000 12,000 20,000 30,000 40,000]
    // = (12,000 + 20,000) ÷ 2 = 16,000.
    assert_eq!(
        get(&m, g, "average_deal_size"),
        ("19666.6666666667", "118000", "6", "")
    );
    assert_eq!(get(&m, g, "median_deal_size").0, "16000");
    // Cycle of the won deals: [20 28 30 40 50 60] days: median (30 + 40) ÷ 2 = 35, mean 228 ÷ 6 = 38.
    assert_eq!(get(&m, g, "sales_cycle_median_days").0, "35");
    assert_eq!(get(&m, g, "sales_cycle_mean_days"), ("38", "228", "6", ""));
    // Coverage: open D10 50,000 + D11 20,000 = 70,000 ÷ remaining (230,000 − 118,000 = 112,000) =
    // 0.625; weighted 50,000 × 50% + 20,000 × 10% = 27,000 ÷ 112,000 = 0.24107142857…
    assert_eq!(
        get(&m, g, "pipeline_coverage"),
        ("0.625", "70000", "112000", "")
    );
    assert_eq!(
        get(&m, g, "pipeline_coverage_weighted"),
        ("0.2410714286", "27000", "112000", "")
    );
    // Velocity: 2 open × (6 ÷ 7) × (118,000 ÷ 6) ÷ 38 days = (2 × 118,000 × 6) ÷ (7 × 228) =
    // 1,416,000 ÷ 1,596 = 887.21804511…
    assert_eq!(
        get(&m, g, "sales_velocity"),
        ("887.2180451128", "1416000", "1596", "")
    );
    // Productivity: rep-months M1 A1 A2 Z1 3 each + B1 March 1 = 13 ramped, B1 February 1 ramping;
    // bookings 118,000 − D8 6,000 = 112,000 ramped → 8,615.38…; 6,000 ramping → 6,000 a month.
    assert_eq!(
        get(&m, g, "bookings_per_rep_month"),
        ("8615.3846153846", "112000", "13", "")
    );
    assert_eq!(
        get(&m, g, "bookings_per_rep_month_ramping"),
        ("6000", "6000", "1", "")
    );
    // Incentive cost of sales: 11,800 payable ÷ 118,000 bookings = 10%.
    assert_eq!(
        get(&m, g, "incentive_cost_of_sales"),
        ("0.1", "11800", "118000", "")
    );
}

#[test]
fn a_team_counts_a_split_deal_once() {
    let m = metrics(WS, &["--by", "team"]);
    // M1's team is M1, A1, A2. D6 is split A1 50% + A2 50%: one deal at 100% in the team, not two.
    // Won D1 D2 D4 D6 = 4 of 5 decided (D3 lost).
    assert_eq!(get(&m, "M1", "win_rate_count"), ("0.8", "4", "5", ""));
    // Median of [10,000 20,000 30,000 40,000] = 25,000 (D6 once); average 100,000 ÷ 4 = 25,000.
    assert_eq!(get(&m, "M1", "median_deal_size"), ("25000", "", "4", ""));
    assert_eq!(
        get(&m, "M1", "average_deal_size"),
        ("25000", "100000", "4", "")
    );
    // Team attainment: (0 + 50,000 + 50,000) ÷ (50,000 + 100,000 + 50,000) = 0.5; the mean of the
    // members' attainments (0 + 0.5 + 1) ÷ 3 = 0.5 is shown beside it.
    assert_eq!(
        get(&m, "M1", "attainment:bookings"),
        ("0.5", "100000", "200000", "")
    );
    assert_eq!(
        get(&m, "M1", "attainment_mean_of_reps:bookings"),
        ("0.5", "1.5", "3", "")
    );
    // Coverage: 70,000 open ÷ (200,000 − 100,000) = 0.7.
    assert_eq!(
        get(&m, "M1", "pipeline_coverage"),
        ("0.7", "70000", "100000", "")
    );
    // Cost: (0 + 5,000 + 5,000) ÷ 100,000 = 10%.
    assert_eq!(
        get(&m, "M1", "incentive_cost_of_sales"),
        ("0.1", "10000", "100000", "")
    );
    // B1 and Z1 report to no one and manage no one: no team row holds them.
    assert!(!m.contains_key(&("B1".to_string(), "win_rate_count".to_string())));
}

#[test]
fn per_rep_split_credit_counts_its_share_and_no_data_is_na_with_a_reason() {
    let m = metrics(WS, &["--by", "rep"]);
    // A1: won D1 + D2 + D6 × 50% = 2.5 deals, lost D3 → 2.5 ÷ 3.5 = 0.71428571428…
    assert_eq!(
        get(&m, "A1", "win_rate_count"),
        ("0.7142857143", "2.5", "3.5", "")
    );
    // Z1 has no deal and no quota: n/a with the reason, never 0.
    assert_eq!(
        get(&m, "Z1", "win_rate_count"),
        ("", "0", "0", "no decided deals")
    );
    assert_eq!(get(&m, "Z1", "average_deal_size").3, "no won deals");
    assert_eq!(get(&m, "Z1", "attainment:bookings").3, "no quota");
    assert_eq!(get(&m, "Z1", "pipeline_coverage").3, "no quota");
    assert_eq!(get(&m, "Z1", "incentive_cost_of_sales").3, "no bookings");
    // A2 met the quota: coverage of the remaining quota is n/a (quota met).
    assert_eq!(get(&m, "A2", "pipeline_coverage").3, "quota met");
}

#[test]
fn a_deal_that_slips_twice_counts_once_per_month_it_slipped_from() {
    let m = metrics(WS, &["--by", "month"]);
    // January (snapshot 2026-01-01): D10 expected 01-25 and D3 expected 01-30; D10 now closes
    // 03-28, D3 was lost in February: both slipped → 2 ÷ 2.
    assert_eq!(get(&m, "2026-01", "slip_rate"), ("1", "2", "2", ""));
    // February (snapshot 2026-02-01): D10 (02-20 → 03-28) slipped again; D3 was lost in February
    // (not slipped); D11 (02-15 → 03-30) slipped → 2 ÷ 3.
    assert_eq!(
        get(&m, "2026-02", "slip_rate"),
        ("0.6666666667", "2", "3", "")
    );
    // March (snapshot 2026-03-01): D10 and D11 kept their dates → 0 ÷ 2.
    assert_eq!(get(&m, "2026-03", "slip_rate"), ("0", "0", "2", ""));
    // The quarter from the snapshot at its start: D10 and D11 moved later, D3 was lost → 2 ÷ 3.
    let q = metrics(WS, &[]);
    assert_eq!(get(&q, "", "slip_rate"), ("0.6666666667", "2", "3", ""));
}

#[test]
fn lead_response_leaves_unanswered_leads_apart() {
    let m = metrics(WS, &["--by", "rep"]);
    // A1: L1 2 h, L2 4 h, L3 never answered: median (2 + 4) ÷ 2 = 3, mean 3, p90 h = 1 × 0.9 →
    // 2 + 0.9 × 2 = 3.8; one unanswered of 3.
    assert_eq!(get(&m, "A1", "lead_response_median_hours").0, "3");
    assert_eq!(get(&m, "A1", "lead_response_p90_hours").0, "3.8");
    assert_eq!(get(&m, "A1", "leads_unanswered"), ("1", "1", "3", ""));
    // All: [1.5 (09:00+01:00 → 10:30+01:00), 2, 4, 24]: median 3, mean 31.5 ÷ 4 = 7.875, p90 h =
    // 2.7 → 4 + 0.7 × 20 = 18; L6 was created in April.
    assert_eq!(
        get(&m, "(all)", "lead_response_mean_hours"),
        ("7.875", "31.5", "4", "")
    );
    assert_eq!(get(&m, "(all)", "lead_response_p90_hours").0, "18");
    assert_eq!(get(&m, "(all)", "leads_unanswered"), ("1", "1", "5", ""));
    // B1's only lead is outside the period.
    assert_eq!(
        get(&m, "B1", "lead_response_median_hours").3,
        "no leads created in the period"
    );
}

#[test]
fn no_decided_deals_and_settings_that_count_no_decision_and_stale_deals_as_lost() {
    // March by month: won D4 D7, no decision D5, open D10 D11 → 2 ÷ 2 by default.
    let m = metrics(WS, &["--by", "month"]);
    assert_eq!(get(&m, "2026-03", "win_rate_count"), ("1", "2", "2", ""));
    let dir = scratch_copy("insights");
    let ws = dir.path().join("payout.toml");
    let text = std::fs::read_to_string(&ws).expect("workspace");
    write(
        dir.path(),
        "payout.toml",
        &format!("{text}\n[insights]\nno_decision_as_lost = true\nstale_as_lost = true\n"),
    );
    let m = metrics(ws.to_str().expect("path"), &["--by", "month"]);
    // D5 and the stale D10 and D11 (closing in March, before the day after the quarter) count as
    // lost: 2 ÷ (2 + 3) = 0.4.
    assert_eq!(get(&m, "2026-03", "win_rate_count"), ("0.4", "2", "5", ""));
    // April has no deal decided at all: n/a, not 0.
    let april = metrics(WS, &["--period", "2026-04"]);
    assert_eq!(get(&april, "", "win_rate_count").3, "no decided deals");
    assert_eq!(
        get(&april, "", "sales_cycle_median_days").3,
        "no won deals with a created date"
    );
}

#[test]
fn a_workspace_without_stages_snapshots_or_leads_says_what_each_metric_needs() {
    let out = payout()
        .args([
            "-w",
            "tests/cases/crediting/payout.toml",
            "insights",
            "--period",
            "2026-Q1",
            "--format",
            "csv",
        ])
        .output()
        .expect("payout runs");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("need [stages] in the workspace"),
        "{stderr}"
    );
    assert!(
        stderr.contains("lead response time needs a leads file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("slip rate needs pipeline snapshots"),
        "{stderr}"
    );
    let rows = parse_csv(&String::from_utf8_lossy(&out.stdout));
    let reason = |metric: &str| {
        rows.iter()
            .find(|r| r["metric"] == metric)
            .map(|r| (r["value"].clone(), r["reason"].clone()))
    };
    assert_eq!(
        reason("win_rate_count"),
        Some((String::new(), "needs [stages] in the workspace".into()))
    );
    assert_eq!(
        reason("slip_rate"),
        Some((
            String::new(),
            "needs pipeline snapshots ([snapshots])".into()
        ))
    );
    // Attainment comes from the run alone.
    assert!(reason("attainment:bookings").is_some_and(|(v, _)| !v.is_empty()));
}

#[test]
fn an_unmapped_stage_is_an_error_naming_it() {
    let dir = scratch_copy("insights");
    let deals = std::fs::read_to_string(dir.path().join("deals.csv")).expect("deals");
    write(
        dir.path(),
        "deals.csv",
        &format!("{deals}D13,A1,1000,2026-03-01,Negotiation,Core,2026-02-01\n"),
    );
    let ws = dir.path().join("payout.toml");
    let err = fail(&["-w", ws.to_str().expect("path"), "insights"], 1);
    assert!(err.contains("error[stage-unmapped]"), "{err}");
    assert!(err.contains("\"Negotiation\""), "{err}");
    // `payout run` does not need stage categories.
    payout()
        .args(["-w", ws.to_str().expect("path"), "run"])
        .assert()
        .success();
}

#[test]
fn grouping_by_a_deal_column_leaves_rep_metrics_out_with_the_reason() {
    let m = metrics(WS, &["--by", "product"]);
    // Core: won D1 10,000 + D2 20,000 + D6 40,000 + D8 6,000 = 4; lost D3 → 4 ÷ 5.
    assert_eq!(get(&m, "Core", "win_rate_count"), ("0.8", "4", "5", ""));
    assert_eq!(
        get(&m, "Core", "attainment").3,
        "defined per rep, not per product"
    );
    assert_eq!(
        get(&m, "Core", "lead_response_median_hours").3,
        "leads have no product"
    );
}

#[test]
fn the_html_report_is_one_self_contained_page_with_the_figures_and_charts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("report.html");
    payout()
        .args(["-w", WS, "insights", "--format", "html", "--out"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).expect("the page");
    // No script and nothing fetched: no src= or href= at all (styles and charts are inline).
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    // Six charts: distribution, leaderboard, win rate, deal size, coverage, payout vs attainment.
    assert_eq!(html.matches("<svg").count(), 6);
    // The figures of the totals as the table prints them: win rate 6 ÷ 7 = 85.7%, cost of sales
    // 11,800 ÷ 118,000 = 10.0%, average deal size 118,000 ÷ 6 = 19,666.67.
    for figure in ["85.7%", "10.0%", "19,666.67"] {
        assert!(html.contains(figure), "{figure}");
    }
    // The leaderboard (the second chart) ranks A2 (100%) above B1 (60%), A1 (50%) and M1 (0%):
    // each label's `y`, top to bottom.
    let leaderboard = html.split("<svg").nth(2).expect("the leaderboard");
    let y = |rep: &str| -> f64 {
        let end = leaderboard.find(&format!(">\n{rep}\n</text>")).expect(rep);
        let start = leaderboard[..end]
            .rfind("<text ")
            .expect("its text element");
        let at = leaderboard[start..end].find(" y=\"").expect("its y") + start + 4;
        leaderboard[at..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .expect("a number")
    };
    assert!(y("A2") < y("B1") && y("B1") < y("A1") && y("A1") < y("M1"));
}

#[test]
fn a_user_template_replaces_the_default() {
    let dir = scratch_copy("insights");
    write(
        dir.path(),
        "mine.html",
        "<h1>{{ title }}</h1>{% for k in kpis %}[{{ k.id }}={{ k.value }}]{% endfor %}{{ needs | length }}",
    );
    let ws = dir.path().join("payout.toml");
    let out = payout()
        .args([
            "-w",
            ws.to_str().expect("path"),
            "insights",
            "--format",
            "html",
            "--template",
        ])
        .arg(dir.path().join("mine.html"))
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(page.starts_with("<h1>Sales insights</h1>"), "{page}");
    // Each figure has its stable id and a name for people: win rate 6 ÷ 7 = 85.7%.
    assert!(page.contains("[win_rate_count=85.7%]"), "{page}");
    assert!(page.ends_with('0'), "{page}");
}

#[test]
fn lead_response_in_business_hours_counts_only_working_time() {
    let dir = scratch_copy("insights");
    let ws = dir.path().join("payout.toml");
    // 2026-01-09 is a Friday; Tuesday 2026-01-13 is a holiday.
    write(
        dir.path(),
        "leads.csv",
        "lead_id,rep_id,created,first_response\n\
         L1,A1,2026-01-09 17:30,2026-01-12 09:30\n\
         L2,A1,2026-01-12 17:00,2026-01-14 10:00\n\
         L3,A2,2026-01-10 10:00,2026-01-10 12:00\n\
         L4,A2,2026-01-06 08:00,2026-01-06 20:00\n",
    );
    let calendar = metrics(ws.to_str().expect("path"), &["--by", "rep"]);
    // Calendar time: L1 Friday 17:30 → Monday 09:30 = 64 h; L2 Monday 17:00 → Wednesday 10:00 =
    // 41 h: median (64 + 41) ÷ 2 = 52.5.
    assert_eq!(get(&calendar, "A1", "lead_response_median_hours").0, "52.5");
    let text = std::fs::read_to_string(&ws).expect("workspace");
    write(
        dir.path(),
        "payout.toml",
        &format!(
            "{text}\n[insights]\nlead_response = \"business_hours\"\n\n[insights.working_hours]\n\
             hours = \"09:00-18:00\"\nholidays = [\"2026-01-13\"]\n"
        ),
    );
    let m = metrics(ws.to_str().expect("path"), &["--by", "rep"]);
    // Mon–Fri 09:00–18:00. L1: Friday 17:30–18:00 + Monday 09:00–09:30 = 1 h. L2: Monday
    // 17:00–18:00, Tuesday a holiday, Wednesday 09:00–10:00 = 2 h. A1: median (1 + 2) ÷ 2 = 1.5.
    assert_eq!(
        get(&m, "A1", "lead_response_mean_hours"),
        ("1.5", "3", "2", "")
    );
    // L3 on a Saturday: 0 h; L4 Tuesday 08:00 → 20:00: 09:00–18:00 = 9 h. A2: median 4.5.
    assert_eq!(get(&m, "A2", "lead_response_median_hours").0, "4.5");
    // All: [0, 1, 2, 9]: median 1.5, mean 12 ÷ 4 = 3.
    assert_eq!(
        get(&m, "(all)", "lead_response_mean_hours"),
        ("3", "12", "4", "")
    );
    assert_eq!(get(&m, "(all)", "lead_response_median_hours").0, "1.5");
    // Business hours without a working calendar: the workspace is refused, saying what to add.
    write(
        dir.path(),
        "payout.toml",
        &format!("{text}\n[insights]\nlead_response = \"business_hours\"\n"),
    );
    let err = fail(&["-w", ws.to_str().expect("path"), "insights"], 1);
    assert!(
        err.contains("workspace-value-invalid") && err.contains("[insights.working_hours]"),
        "{err}"
    );
}

#[test]
fn coverage_at_a_past_as_of_date_comes_from_the_snapshot_taken_then() {
    let m = metrics(WS, &["--by", "rep", "--as-of", "2026-02-15"]);
    let note = "as of 2026-02-15: open deals of the snapshot of 2026-02-01";
    // The snapshot of 2026-02-01 (the last at or before 2026-02-15) has, open and closing in Q1:
    // D3 A1 5,000 and D10 A1 50,000 (Proposal, 50%), D11 A2 20,000 (Discovery, 10%).
    // A1 credited by 02-15: D1 10,000 (01-15) + D2 20,000 (02-10) + half of D6 20,000 (01-20) =
    // 50,000 of 100,000: 55,000 ÷ 50,000 = 1.1; weighted 27,500 ÷ 50,000 = 0.55.
    assert_eq!(
        get(&m, "A1", "pipeline_coverage"),
        ("1.1", "55000", "50000", note)
    );
    assert_eq!(
        get(&m, "A1", "pipeline_coverage_weighted"),
        ("0.55", "27500", "50000", note)
    );
    // A2 (quota met by the end of the quarter) had only half of D6 by 02-15: 50,000 − 20,000 =
    // 30,000 to reach; 20,000 ÷ 30,000 = 0.6666666667, weighted 2,000 ÷ 30,000.
    assert_eq!(
        get(&m, "A2", "pipeline_coverage"),
        ("0.6666666667", "20000", "30000", note)
    );
    assert_eq!(
        get(&m, "A2", "pipeline_coverage_weighted").0,
        "0.0666666667"
    );
    // All: 75,000 open over 230,000 − (50,000 + 20,000) = 160,000 → 0.46875; weighted 29,500 ÷
    // 160,000 = 0.184375.
    assert_eq!(
        get(&m, "(all)", "pipeline_coverage"),
        ("0.46875", "75000", "160000", note)
    );
    assert_eq!(get(&m, "(all)", "pipeline_coverage_weighted").0, "0.184375");
    // No snapshot at or before the date: n/a, with the reason.
    let early = metrics(WS, &["--as-of", "2025-12-15"]);
    assert_eq!(
        get(&early, "", "pipeline_coverage").3,
        "no snapshot at or before 2025-12-15"
    );
    // The table says which snapshot the figure comes from.
    let out = payout()
        .args(["-w", WS, "insights", "--as-of", "2026-02-15", "-q"])
        .output()
        .expect("payout runs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(
            "75000 / 160000 (as of 2026-02-15: open deals of the snapshot of 2026-02-01)"
        ),
        "{table}"
    );
}

#[test]
fn payout_against_attainment_draws_each_plans_curve_under_its_reps() {
    let dir = scratch_copy("insights");
    // Plan ae as marginal tiers on attainment: 10% up to 100% of quota, 20% above.
    write(
        dir.path(),
        "plans/ae.toml",
        "id = \"ae\"\nname = \"Account Executive\"\n\n[ramp]\nschedule = [\"50%\"]\n\n\
         [measures.bookings]\nsum = \"amount\"\nwhere = { stage = \"Won\" }\n\n\
         [[components]]\nid = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"quarter\"\n\
         method = \"marginal\"\nbasis = \"attainment\"\n\
         tiers = [{ from = \"0%\", rate = \"10%\" }, { from = \"100%\", rate = \"20%\" }]\n",
    );
    // Tiers on attainment need every rep's quota: Z1 (none) leaves the roster.
    let reps = std::fs::read_to_string(dir.path().join("reps.csv")).expect("reps");
    let without_z1: String = reps
        .lines()
        .filter(|l| !l.starts_with("Z1,"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(dir.path(), "reps.csv", &without_z1);
    let ws = dir.path().join("payout.toml");
    let out = payout()
        .args([
            "-w",
            ws.to_str().expect("path"),
            "insights",
            "--format",
            "html",
            "-q",
        ])
        .output()
        .expect("payout runs");
    let html = String::from_utf8_lossy(&out.stdout);
    // Mean quota of the reps with one: (50,000 + 100,000 + 50,000 + 30,000) ÷ 4 = 57,500.
    assert!(
        html.contains(">\nae: curve at the mean quota 57,500\n<"),
        "{html}"
    );
    // Axes: attainment to 125% (the largest is A2's 100%, at least 125%), payable to the curve at
    // 125%: 57,500 × (10% + 25% × 20%) = 8,625. The curve starts at (0, 0), turns at 100%
    // (57,500 × 10% = 5,750, 5,750 ÷ 8,625 = 2/3 of its final height) and ends at 125%: so its
    // turn is 100 ÷ 125 = 4/5 of the way along. Pixels are whole, so ratios hold to 1%.
    let curve = html
        .split("<polyline ")
        .find(|e| e.contains("stroke-width=\"2\""))
        .expect("the plan's curve");
    let points: Vec<(f64, f64)> = curve
        .split("points=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .expect("its points")
        .split_whitespace()
        .map(|xy| {
            let (x, y) = xy.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect();
    let (start, end) = (points[0], points[points.len() - 1]);
    // The turn is drawn as a point twice (the curve's kink at the tier's start).
    let turn = points
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0])
        .expect("the turn at 100%");
    let along = |p: (f64, f64)| (p.0 - start.0) / (end.0 - start.0);
    let up = |y: f64| (start.1 - y) / (start.1 - end.1);
    let near = |a: f64, b: f64| (a - b).abs() < 0.01;
    assert!(
        near(along(turn), 0.8) && near(up(turn.1), 2.0 / 3.0),
        "{curve}"
    );
    // A2 (100%, 50,000 × 10% = 5,000): straight below the turn, at 5,000 ÷ 8,625 = 0.58 of the
    // height (A2's quota is smaller than the mean).
    let a2 = format!("<circle cx=\"{}\"", turn.0);
    let dot = html.split(&a2).nth(1).expect("A2's dot at 100%");
    let cy: f64 = dot
        .split("cy=\"")
        .nth(1)
        .and_then(|c| c.split('"').next())
        .and_then(|c| c.parse().ok())
        .expect("its cy");
    assert!(near(up(cy), 5000.0 / 8625.0), "{cy} in {html}");
}

#[test]
fn medians_of_an_even_count_with_ties_are_the_mean_of_the_middle_two() {
    let dir = scratch_copy("insights");
    let deals = std::fs::read_to_string(dir.path().join("deals.csv")).expect("deals");
    write(
        dir.path(),
        "deals.csv",
        &format!("{deals}D13,A1,10000,2026-03-02,Won,Core,2026-02-20\n"),
    );
    let ws = dir.path().join("payout.toml");
    let m = metrics(ws.to_str().expect("path"), &["--by", "rep"]);
    // A1's won deals, each once at its full amount: D1 10,000, D2 20,000, D6 40,000 (split), D13
    // 10,000 → 10,000 10,000 20,000 40,000: (10,000 + 20,000) ÷ 2 = 15,000.
    assert_eq!(get(&m, "A1", "median_deal_size"), ("15000", "", "4", ""));
    // Their cycles: D1 30, D2 40, D6 50, D13 10 days → 10 30 40 50: (30 + 40) ÷ 2 = 35.
    assert_eq!(get(&m, "A1", "sales_cycle_median_days").0, "35");
    // All won deals: 6,000 10,000 10,000 12,000 20,000 30,000 40,000: the 4th, 12,000.
    assert_eq!(get(&m, "(all)", "median_deal_size"), ("12000", "", "7", ""));
}

#[test]
fn by_rep_without_split_credit_each_rep_has_the_figures_of_their_own_deals() {
    // Without the split, every deal counts for its owner alone (the pass then adds each owner's
    // rows as one range): D6 is M1's.
    let dir = scratch_copy("insights");
    write(dir.path(), "credits.csv", "deal_id,rep_id,share,kind\n");
    let ws = dir.path().join("payout.toml");
    let m = metrics(ws.to_str().expect("path"), &["--by", "rep"]);
    // A1: won D1 10,000 (30 days) and D2 20,000 (40), lost D3, D9 ignored: 2 ÷ 3; sizes 10,000
    // 20,000 → 15,000; days 30 40 → 35.
    assert_eq!(
        get(&m, "A1", "win_rate_count"),
        ("0.6666666667", "2", "3", "")
    );
    assert_eq!(get(&m, "A1", "median_deal_size"), ("15000", "", "2", ""));
    assert_eq!(get(&m, "A1", "sales_cycle_median_days").0, "35");
    // A1's open D10 50,000 at 50% over the quota left, 100,000 − 30,000 = 70,000: 0.714285…,
    // weighted 25,000 ÷ 70,000 = 0.357142….
    assert_eq!(
        get(&m, "A1", "pipeline_coverage"),
        ("0.7142857143", "50000", "70000", "")
    );
    assert_eq!(
        get(&m, "A1", "pipeline_coverage_weighted"),
        ("0.3571428571", "25000", "70000", "")
    );
    // M1: D6 40,000 won after 50 days.
    assert_eq!(get(&m, "M1", "median_deal_size"), ("40000", "", "1", ""));
    assert_eq!(get(&m, "M1", "sales_cycle_median_days").0, "50");
    // B1 ramps in February: D8 6,000 is booked ramping, D7 12,000 (March) ramped; days 20 28 → 24.
    assert_eq!(
        get(&m, "B1", "bookings_per_rep_month_ramping"),
        ("6000", "6000", "1", "")
    );
    assert_eq!(
        get(&m, "B1", "bookings_per_rep_month"),
        ("12000", "12000", "1", "")
    );
    assert_eq!(get(&m, "B1", "sales_cycle_median_days").0, "24");
    // All won: 6,000 10,000 12,000 20,000 30,000 40,000 → (12,000 + 20,000) ÷ 2 = 16,000; days
    // 20 28 30 40 50 60 → 35; weighted pipeline 25,000 + 20,000 × 10% = 27,000 over the quota
    // left, 70,000 + 20,000 (A2) + 12,000 (B1) + 10,000 (M1) = 112,000.
    assert_eq!(get(&m, "(all)", "median_deal_size"), ("16000", "", "6", ""));
    assert_eq!(get(&m, "(all)", "sales_cycle_median_days").0, "35");
    assert_eq!(
        get(&m, "(all)", "pipeline_coverage_weighted"),
        ("0.2410714286", "27000", "112000", "")
    );
}
