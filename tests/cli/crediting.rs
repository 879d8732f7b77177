//! Crediting and people (tests/cases/crediting): splits and overlays from a credits file, roll-ups
//! through the hierarchy (direct and subtree) with manager overrides, territory crediting from an
//! effective-dated assignments file, a plan change mid-quarter, a ramped hire, a termination and
//! proration by active days. Every expected number is worked out by hand beside its assertion.
//!
//! The case, Q1 2026 (90 days: January 31, February 28, March 31), quarterly measurement, monthly pay:
//! - `ae` (A1, A2, H1, T1, C1 until 2026-02-14): marginal 10% to 100% of quota, 15% above; ramp 50% in
//!   the first calendar month of employment;
//! - `ae2` (C1 from 2026-02-15): flat 5%; `se` (S1): 3%; `terr` (K1, K2, credited by territory): 4%;
//! - `mgr` (M1, roll-up of direct reports: A1 A2 H1 T1 C1): 2% on the team measure;
//! - `vp` (V1, roll-up of the whole subtree: M1's team and S1): 1% with a 50% threshold (catch-up),
//!   quota 400,000.

use crate::util::{dec, fail, payout, run_case, run_with, scratch_copy, write};

fn run() -> crate::util::Run {
    run_case("crediting", "2026-Q1")
}

/// The statement lines of one deal for a rep's component in a payout period.
fn deal_lines(
    run: &crate::util::Run,
    period: &str,
    rep: &str,
    component: &str,
    deal: &str,
) -> Vec<crate::util::Record> {
    run.lines(period, rep, component)
        .into_iter()
        .filter(|l| l["deal_id"] == deal)
        .collect()
}

#[test]
fn a_split_credits_each_rep_its_share_and_the_statement_shows_it() {
    let run = run();
    // D1 40,000 split A1 60% / A2 40% (credits.csv); D2 50,000 owned by A1. Quota 100,000 each.
    // A1 January: 40,000 × 60% = 24,000 + 50,000 = 74,000 → 74% → 74,000 × 10% = 7,400.00
    assert_eq!(run.payable("A1", "commission", "2026-01"), "7400.00");
    assert_eq!(
        run.get("A1", "commission", "2026-01", "measure_to_date"),
        "74000.00"
    );
    // A2 January: 40,000 × 40% = 16,000 × 10% = 1,600.00; February + D3 30,000 → 46,000 × 10% =
    // 4,600 − 1,600 = 3,000.00; March + D10 10,000 (owner, the overlay does not take it away) → 5,600
    // − 4,600 = 1,000.00.
    assert_eq!(run.payable("A2", "commission", "2026-01"), "1600.00");
    assert_eq!(run.payable("A2", "commission", "2026-02"), "3000.00");
    assert_eq!(run.payable("A2", "commission", "2026-03"), "1000.00");
    let line = deal_lines(&run, "2026-01", "A2", "commission", "D1").remove(0);
    assert_eq!(
        (
            line["deal_value"].as_str(),
            line["credit"].as_str(),
            line["share"].as_str(),
            line["credited"].as_str(),
            line["amount"].as_str()
        ),
        ("40000.00", "split", "40%", "16000.00", "1600.00")
    );
    let md = run.read("statements/2026-01/A1.md");
    assert!(
        md.contains("| deal | D1 | 2026-01-10 | 40,000.00 | split | 60% | 24,000.00 |"),
        "{md}"
    );
}

#[test]
fn an_overlay_credits_on_top_of_the_owner() {
    let run = run();
    // D10 10,000 (March) is A2's and overlay 100% to S1: S1 earns 10,000 × 3% = 300.00, A2 keeps it.
    assert_eq!(run.payable("S1", "overlay", "2026-03"), "300.00");
    assert_eq!(run.payable("S1", "overlay", "2026-02"), "0.00");
    let line = &run.lines("2026-03", "S1", "overlay")[0];
    assert_eq!(
        (line["credit"].as_str(), line["share"].as_str()),
        ("overlay", "100%")
    );
}

#[test]
fn a_manager_override_on_direct_reports_counts_a_split_deal_once() {
    let run = run();
    // M1 (direct reports A1 A2 H1 T1 C1), 2% of the team measure:
    // January: D1 40,000 (A1 60% + A2 40% → one credit of 100%, not two) + D2 50,000 + D8 30,000 =
    //   120,000 × 2% = 2,400.00
    // February: D3 30,000 + D4 20,000 + D6 10,000 + D11 20,000 = 80,000 × 2% = 1,600.00 (D7 is dated
    //   after T1's end date 2026-02-15: T1 is not credited, so nothing rolls up)
    // March: D5 30,000 + D9 40,000 + D10 10,000 = 80,000 × 2% = 1,600.00
    assert_eq!(run.payable("M1", "override", "2026-01"), "2400.00");
    assert_eq!(
        run.get("M1", "override", "2026-01", "measure_to_date"),
        "120000.00"
    );
    assert_eq!(run.payable("M1", "override", "2026-02"), "1600.00");
    assert_eq!(run.payable("M1", "override", "2026-03"), "1600.00");
    let d1 = deal_lines(&run, "2026-01", "M1", "override", "D1");
    assert_eq!(d1.len(), 1, "D1 reaches M1 once");
    assert_eq!(d1[0]["credit"], "roll-up via A1 60% + A2 40%");
    assert_eq!(d1[0]["credited"], "40000.00");
}

#[test]
fn a_subtree_roll_up_with_a_threshold_caps_a_deal_at_its_full_amount() {
    let run = run();
    // V1 rolls up the subtree (M1's team, and S1). Quota 400,000; 1% once attainment ≥ 50%, catch-up.
    // January: 120,000 (as M1) → 30% < 50%: 0.00 held
    // February: + 80,000 = 200,000 → 50% exactly (a breakpoint belongs to the higher side): 1% ×
    //   200,000 = 2,000.00, all of it now
    // March: + D5 30,000 + D9 40,000 + D10 10,000 = 280,000 → 2,800 − 2,000 = 800.00. D10 is A2's
    //   (100%) and S1's overlay (100%): it reaches V1 once, at 100% (10,000), not 20,000.
    assert_eq!(run.payable("V1", "override", "2026-01"), "0.00");
    assert_eq!(run.payable("V1", "override", "2026-02"), "2000.00");
    assert_eq!(run.payable("V1", "override", "2026-03"), "800.00");
    assert_eq!(
        run.get("V1", "override", "2026-03", "measure_to_date"),
        "280000.00"
    );
    let d10 = deal_lines(&run, "2026-03", "V1", "override", "D10").remove(0);
    assert_eq!(
        (
            d10["credit"].as_str(),
            d10["share"].as_str(),
            d10["credited"].as_str()
        ),
        ("roll-up via A2 100% + S1 100%", "100%", "10000.00")
    );
}

#[test]
fn territory_crediting_follows_the_holder_on_the_deal_date() {
    let run = run();
    // territories.csv: West K1 Jan 1–31, West K2 from Feb 1, East K1 from Jan 1; North: nobody.
    // K1 January: D1 40,000 + D2 50,000 (West) + D8 30,000 (East) = 120,000 × 4% = 4,800.00
    //    February: D3 30,000 + D4 20,000 + D11 20,000 (East) = 70,000 × 4% = 2,800.00
    //    March: D5 30,000 + D9 40,000 (East) = 70,000 × 4% = 2,800.00
    // K2 February: D6 10,000 + D7 20,000 (West; D7's owner T1 had left, the territory holder is
    //    still credited) = 30,000 × 4% = 1,200.00
    assert_eq!(run.payable("K1", "territory", "2026-01"), "4800.00");
    assert_eq!(run.payable("K1", "territory", "2026-02"), "2800.00");
    assert_eq!(run.payable("K1", "territory", "2026-03"), "2800.00");
    assert_eq!(run.payable("K2", "territory", "2026-01"), "0.00");
    assert_eq!(run.payable("K2", "territory", "2026-02"), "1200.00");
    assert_eq!(
        run.lines("2026-02", "K2", "territory")[0]["credit"],
        "territory"
    );
}

#[test]
fn a_plan_change_mid_quarter_pays_each_plan_for_its_days_with_a_true_up() {
    let run = run();
    // C1: ae until 2026-02-14 (45 days of Q1: 31 + 14), ae2 from 2026-02-15. Quota 90,000 prorated for
    // ae: 90,000 × 45/90 = 45,000.
    // ae January: D8 30,000 → 30,000 × 10% = 3,000.00
    // ae February: + D11 20,000 (Feb 10) = 50,000 → 111.11%: 45,000 × 10% + 5,000 × 15% = 4,500 + 750
    //   = 5,250 earned to date − 3,000 paid = 2,250.00 (without proration: 50,000 × 10% − 3,000 =
    //   2,000)
    // ae March: no longer on the plan, no row.
    // ae2 February: nothing yet (0.00); March: D9 40,000 (Mar 1) × 5% = 2,000.00
    assert_eq!(run.payable("C1", "commission", "2026-01"), "3000.00");
    assert_eq!(run.payable("C1", "commission", "2026-02"), "2250.00");
    assert_eq!(run.get("C1", "commission", "2026-02", "quota"), "45000.00");
    assert!(!run
        .payouts
        .contains_key(&("C1".into(), "commission".into(), "2026-03".into())));
    assert_eq!(run.payable("C1", "flat", "2026-02"), "0.00");
    assert_eq!(run.payable("C1", "flat", "2026-03"), "2000.00");
    assert_eq!(run.get("C1", "flat", "2026-03", "plan"), "ae2");
    // One statement, two clearly labelled blocks.
    let md = run.read("statements/2026-02/C1.md");
    let first = md
        .find("Plan **Account Executive** (ae), from 2025-01-01 to 2026-02-14")
        .expect("the ae block");
    let second = md
        .find("Plan **Account Executive, flat** (ae2), from 2026-02-15")
        .expect("the ae2 block");
    assert!(first < second, "{md}");
    assert!(
        md.contains("| Quota | 90,000.00 × 45/90 active days = 45,000.00 |"),
        "{md}"
    );
}

#[test]
fn a_ramped_hire_reaches_the_accelerator_on_the_ramped_quota() {
    let run = run();
    // H1 starts 2026-02-01, quota 60,000 for Q1, ramp 50% in the first month (February):
    // weighted days = 28 × 50% + 31 × 100% = 45 → quota 60,000 × 45/90 = 30,000.
    // February: D4 20,000 → 66.67% → 2,000.00 (January: not yet employed, no row)
    // March: + D5 30,000 = 50,000 → 166.67%: 30,000 × 10% + 20,000 × 15% = 3,000 + 3,000 = 6,000
    //   − 2,000 = 4,000.00
    assert!(!run
        .payouts
        .contains_key(&("H1".into(), "commission".into(), "2026-01".into())));
    assert_eq!(run.get("H1", "commission", "2026-02", "quota"), "30000.00");
    assert_eq!(run.payable("H1", "commission", "2026-02"), "2000.00");
    assert_eq!(run.payable("H1", "commission", "2026-03"), "4000.00");
    let md = run.read("statements/2026-03/H1.md");
    assert!(
        md.contains("| Quota | 60,000.00 × 45/90 ramped active days = 30,000.00 |"),
        "{md}"
    );
}

#[test]
fn a_terminated_rep_is_credited_up_to_the_end_date_on_a_prorated_quota() {
    let run = run();
    // T1 ends 2026-02-15: active 31 + 15 = 46 days → quota 90,000 × 46/90 = 46,000.
    // February: D6 10,000 (Feb 1) × 10% = 1,000.00; D7 (Feb 20) is after the end date.
    // March: not employed, no row.
    assert_eq!(run.get("T1", "commission", "2026-02", "quota"), "46000.00");
    assert_eq!(run.payable("T1", "commission", "2026-02"), "1000.00");
    assert!(!run
        .payouts
        .contains_key(&("T1".into(), "commission".into(), "2026-03".into())));
    // D7 is still credited to the West territory holder K2, so every row reconciles as credited:
    // 11 rows, 40,000 + 50,000 + 30,000 + 20,000 + 30,000 + 10,000 + 20,000 + 30,000 + 40,000 +
    // 10,000 + 20,000 = 300,000.
    assert_eq!(
        run.read("reconciliation.csv"),
        "status,currency,rows,amount\ninput,,11,300000.00\ncredited,,11,300000.00\n"
    );
}

#[test]
fn explain_shows_the_credit_share_and_the_prorated_quota() {
    let out = payout()
        .args([
            "-w",
            &crate::util::workspace("crediting"),
            "explain",
            "--rep",
            "C1",
            "--period",
            "2026-Q1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // Two blocks, one per plan, in date order.
    let ae = text
        .find("Plan ae \"Account Executive\"")
        .expect("ae block");
    let ae2 = text
        .find("Plan ae2 \"Account Executive, flat\"")
        .expect("ae2 block");
    assert!(ae < ae2);
    assert!(
        text.contains("assigned from 2025-01-01 to 2026-02-14"),
        "{text}"
    );
    // 90,000 × 45/90 = 45,000 exactly.
    assert!(
        text.contains("Quota `bookings`: 90,000.00 × 45/90 active days = 45,000.00 (half-away-from-zero to 2 places)"),
        "{text}"
    );
    // The ae2 block computes January for its quarter's true-up, though C1 was not on ae2 then.
    assert!(
        text.contains("Payout period 2026-01 (the rep is not employed or not on this plan then: shown for the true-up)"),
        "{text}"
    );
    // H1's ramp, month by month: February 28 days × 50% + March 31 days × 100% = 45.
    let out = payout()
        .args([
            "-w",
            &crate::util::workspace("crediting"),
            "explain",
            "--rep",
            "H1",
            "--period",
            "2026-Q1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("60,000.00 × 45/90 ramped active days = 30,000.00 (half-away-from-zero to 2 places; 28 × 50% + 31 × 100% = 45)"),
        "{text}"
    );
}

#[test]
fn split_shares_that_do_not_sum_to_100_are_an_error_naming_the_deal() {
    let dir = scratch_copy("crediting");
    write(
        dir.path(),
        "credits.csv",
        "deal_id,rep_id,share,kind\nD1,A1,60%,split\nD1,A2,30%,split\n",
    );
    let ws = dir.path().join("payout.toml");
    let err = fail(
        &["-w", ws.to_str().unwrap(), "run", "--period", "2026-Q1"],
        1,
    );
    // 60% + 30% = 90%
    assert!(
        err.contains("error[credit-shares-sum]")
            && err.contains("the split shares of deal `D1` sum to 90% (A1 60%, A2 30%), not 100%"),
        "{err}"
    );
    assert!(
        err.contains("credits.csv:2:"),
        "the first row of the deal: {err}"
    );
}

#[test]
fn overlapping_plan_assignments_and_hierarchy_cycles_are_errors_naming_the_reps() {
    let dir = scratch_copy("crediting");
    write(
        dir.path(),
        "assignments.csv",
        "rep_id,plan,from,to\nC1,ae,2025-01-01,2026-02-14\nC1,ae2,2026-02-01,\n",
    );
    let ws = dir.path().join("payout.toml");
    let err = fail(&["-w", ws.to_str().unwrap(), "check"], 1);
    assert!(
        err.contains("assignments.csv:3:") && err.contains("error[assignment-overlap]"),
        "{err}"
    );
    assert!(err.contains("rep `C1` has overlapping rows"), "{err}");

    let dir = scratch_copy("crediting");
    let reps = std::fs::read_to_string(dir.path().join("reps.csv")).unwrap();
    write(
        dir.path(),
        "reps.csv",
        &reps.replace("V1,Vera Vice,vp,,,", "V1,Vera Vice,vp,M1,,"),
    );
    let ws = dir.path().join("payout.toml");
    let err = fail(&["-w", ws.to_str().unwrap(), "check"], 1);
    assert!(
        err.contains("error[rep-hierarchy-cycle]") && err.contains("V1 → M1 → V1"),
        "{err}"
    );
}

#[test]
fn every_credited_amount_is_value_times_share() {
    // Invariant over the whole case: on every deal line, credited = deal value × share.
    let run = run();
    for period in ["2026-01", "2026-02", "2026-03"] {
        for rep in ["A1", "A2", "M1", "V1", "S1", "K1", "K2", "C1", "H1", "T1"] {
            let path = run.out().join(format!("statements/{period}/{rep}.csv"));
            if !path.exists() {
                continue;
            }
            for l in run.statement(period, rep) {
                if l["share"].is_empty() {
                    continue;
                }
                let share = dec(l["share"].trim_end_matches('%')) / dec("100");
                assert_eq!(dec(&l["credited"]), dec(&l["deal_value"]) * share, "{l:?}");
            }
        }
    }
}

#[test]
fn a_deal_after_the_end_date_is_reported_as_rep_not_active() {
    // Without K2 holding West from February, D7 (T1's, 2026-02-20, after T1's end date 2026-02-15) is
    // credited to no one: it reconciles as "rep not active on the deal date", 1 row of 20,000.00;
    // the other 10 rows (300,000 − 20,000 = 280,000) are credited.
    let dir = scratch_copy("crediting");
    write(
        dir.path(),
        "territories.csv",
        "territory,rep_id,from,to\nWest,K1,2026-01-01,2026-01-31\nEast,K1,2026-01-01,\n",
    );
    let run = run_with(
        dir.path().join("payout.toml").to_str().unwrap(),
        "2026-Q1",
        &[],
    );
    assert_eq!(
        run.read("reconciliation.csv"),
        "status,currency,rows,amount\ninput,,11,300000.00\ncredited,,10,280000.00\nrep not active on the deal date,,1,20000.00\n"
    );
    // K2 now has no deals: February 0.00.
    assert_eq!(run.payable("K2", "territory", "2026-02"), "0.00");
}

#[test]
fn a_target_incentive_is_prorated_for_a_mid_quarter_hire() {
    // A curve (0% → 0, 100% → 100%, linear), roster TI 120,000 a year, quota 100,000 for Q1 (90 days).
    // R1 starts 2026-02-15: employed 14 + 31 = 45 days of 90.
    //   target = 120,000 × 3/12 × 45/90 = 15,000.00; quota = 100,000 × 45/90 = 50,000.00
    //   D1 25,000 on 2026-03-02 → attainment 25,000 ÷ 50,000 = 50% → curve 50% → 15,000 × 50% =
    //   7,500.00 in March.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "payout.toml", "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n\n[quotas]\nfile = \"quotas.csv\"\n");
    write(
        p,
        "plans/curve.toml",
        "id = \"curve\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\nid = \"curve\"\ntype = \"curve\"\nmeasure = \"bookings\"\nmeasurement_period = \"quarter\"\npayout_period = \"month\"\ncurve = [{ attainment = \"0%\", payout = \"0%\" }, { attainment = \"100%\", payout = \"100%\" }]\n",
    );
    write(
        p,
        "reps.csv",
        "rep_id,name,plan,start_date,target_incentive\nR1,Rita One,curve,2026-02-15,120000\n",
    );
    write(
        p,
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nD1,R1,25000,2026-03-02\n",
    );
    write(p, "quotas.csv", "rep_id,period,amount\nR1,2026-Q1,100000\n");
    let run = run_with(p.join("payout.toml").to_str().unwrap(), "2026-Q1", &[]);
    assert_eq!(run.get("R1", "curve", "2026-03", "quota"), "50000.00");
    assert_eq!(run.payable("R1", "curve", "2026-02"), "0.00");
    assert_eq!(run.payable("R1", "curve", "2026-03"), "7500.00");
    let line = &run.lines("2026-03", "R1", "curve")[0];
    assert!(
        line["formula"].contains("target incentive 120000.00 × 3/12 × 45/90 active days (rounded)"),
        "{line:?}"
    );
    // The same with `proration = "none"`: target 120,000 × 3/12 = 30,000, quota 100,000 → 25% → 30,000
    // × 25% = 7,500.00 — equal by construction here, so check the quota and the formula instead.
    let plan = std::fs::read_to_string(p.join("plans/curve.toml")).unwrap();
    write(
        p,
        "plans/curve.toml",
        &plan.replacen(
            "id = \"curve\"\n",
            "id = \"curve\"\nproration = \"none\"\n",
            1,
        ),
    );
    let run = run_with(p.join("payout.toml").to_str().unwrap(), "2026-Q1", &[]);
    assert_eq!(run.get("R1", "curve", "2026-03", "quota"), "100000.00");
    assert_eq!(run.payable("R1", "curve", "2026-03"), "7500.00");
    assert!(!run.lines("2026-03", "R1", "curve")[0]["formula"].contains("active days"));
}

#[test]
fn proration_by_months_counts_a_month_when_on_the_plan_on_its_proration_day() {
    // A curve (0% → 0, 100% → 100%, linear), TI 120,000 a year, quota 90,000 for Q1 (3 months), with
    // `proration = "months"`. R1 starts 2026-02-15.
    // Default rule (a month counts when on the plan on its 15th): January no, February yes (the
    //   15th itself), March yes → 2 of 3 months.
    //   quota = 90,000 × 2/3 = 60,000.00; target = 120,000 × 3/12 × 2/3 = 20,000.00
    //   D1 30,000 on 2026-03-02 → 30,000 ÷ 60,000 = 50% → 20,000 × 50% = 10,000.00 in March.
    // With `proration_day = 1`: February does not count (not employed on February 1) → 1 of 3.
    //   quota = 90,000 × 1/3 = 30,000.00; target = 30,000 × 1/3 = 10,000.00
    //   30,000 ÷ 30,000 = 100% → 10,000 × 100% = 10,000.00.
    // By days it would be 45/90: quota 45,000.00.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "payout.toml", "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n\n[quotas]\nfile = \"quotas.csv\"\n");
    let plan = |extra: &str| {
        format!("id = \"curve\"\nproration = \"months\"\n{extra}\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\nid = \"curve\"\ntype = \"curve\"\nmeasure = \"bookings\"\nmeasurement_period = \"quarter\"\npayout_period = \"month\"\ncurve = [{{ attainment = \"0%\", payout = \"0%\" }}, {{ attainment = \"100%\", payout = \"100%\" }}]\n")
    };
    write(p, "plans/curve.toml", &plan(""));
    write(
        p,
        "reps.csv",
        "rep_id,name,plan,start_date,target_incentive\nR1,Rita One,curve,2026-02-15,120000\n",
    );
    write(
        p,
        "deals.csv",
        "deal_id,rep_id,amount,close_date\nD1,R1,30000,2026-03-02\n",
    );
    write(p, "quotas.csv", "rep_id,period,amount\nR1,2026-Q1,90000\n");
    let ws = p.join("payout.toml");
    let run = run_with(ws.to_str().unwrap(), "2026-Q1", &[]);
    assert_eq!(run.get("R1", "curve", "2026-03", "quota"), "60000.00");
    assert_eq!(run.payable("R1", "curve", "2026-03"), "10000.00");
    let line = &run.lines("2026-03", "R1", "curve")[0];
    assert!(
        line["formula"].contains("target incentive 120000.00 × 3/12 × 2/3 active months (rounded)"),
        "{line:?}"
    );
    assert!(run
        .read("statements/2026-03/R1.md")
        .contains("| Quota | 90,000.00 × 2/3 active months = 60,000.00 |"));

    write(p, "plans/curve.toml", &plan("proration_day = 1\n"));
    let run = run_with(ws.to_str().unwrap(), "2026-Q1", &[]);
    assert_eq!(run.get("R1", "curve", "2026-03", "quota"), "30000.00");
    assert_eq!(run.payable("R1", "curve", "2026-03"), "10000.00");

    // proration_day means nothing with proration by days, and is a day from 1 to 28.
    write(
        p,
        "plans/curve.toml",
        &plan("proration_day = 1\n").replace("\"months\"", "\"days\""),
    );
    let err = fail(&["check", "--workspace", ws.to_str().unwrap()], 1);
    assert!(err.contains("plan-value-unknown"), "{err}");
    write(p, "plans/curve.toml", &plan("proration_day = 31\n"));
    let err = fail(&["check", "--workspace", ws.to_str().unwrap()], 1);
    assert!(err.contains("plan-number-invalid"), "{err}");
}
