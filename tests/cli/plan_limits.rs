//! Plans at the edges: a negative rate is refused, a derived value of tens of thousands of terms is a
//! coded parse error (not a crash), and a table of 100,000 tiers runs (tier lookups are binary searches,
//! and positions in the plan file are found without rescanning it).

use std::path::Path;

use crate::util::{fail, run_with, write};

const WORKSPACE: &str = "currency = \"USD\"\nperiod = \"2026-03\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n";

/// A workspace with one rep on `plan` (id `p`) and one deal of `amount` on 2026-03-10.
fn workspace(dir: &Path, plan: &str, amount: &str) -> String {
    write(dir, "payout.toml", WORKSPACE);
    write(dir, "plans/p.toml", plan);
    write(dir, "reps.csv", "rep_id,name,plan\nR1,Rita One,p\n");
    write(
        dir,
        "deals.csv",
        &format!("deal_id,rep_id,amount,close_date,margin\nD1,R1,{amount},2026-03-10,100\n"),
    );
    dir.join("payout.toml").display().to_string()
}

const HEAD: &str = "id = \"p\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\nid = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\n";

#[test]
fn a_negative_rate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path(), &format!("{HEAD}rate = \"-5%\"\n"), "1000");
    let err = fail(&["-w", &ws, "check"], 1);
    assert!(
        err.contains("plans/p.toml:10:8: error[plan-number-negative]")
            && err.contains("a rate must not be negative (`\"-5%\"`"),
        "{err}"
    );
    assert!(err.contains("[payment.clawback]"), "{err}");
    // In a tier too.
    let tiers = format!(
        "{HEAD}method = \"marginal\"\nbasis = \"amount\"\ntiers = [\n  {{ from = 0, rate = \"5%\" }},\n  {{ from = 1000, rate = \"-1%\" }},\n]\n"
    );
    let ws = workspace(dir.path(), &tiers, "1000");
    let err = fail(&["-w", &ws, "run"], 1);
    assert!(
        err.contains("plans/p.toml:14:25: error[plan-number-negative]"),
        "{err}"
    );
}

#[test]
fn a_derived_value_of_thirty_thousand_terms_is_a_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    let terms = vec!["margin"; 30_000].join(" + ");
    let plan = format!(
        "id = \"p\"\n\n[values]\nbig = \"{terms}\"\n\n{}rate = \"5%\"\n",
        &HEAD[9..]
    );
    let ws = workspace(dir.path(), &plan, "1000");
    let err = fail(&["-w", &ws, "check"], 1);
    // 30,000 columns and 29,999 `+`: 59,999 tokens, past the limit of 1,000.
    assert!(
        err.contains("error[plan-expression-too-long]")
            && err.contains("the expression has 59999 tokens")
            && err.contains("at most 1000 are allowed"),
        "{err}"
    );
    // The hint quotes the expression around the first token past the limit, not all of it.
    assert!(err.len() < 1_000, "{} bytes of stderr", err.len());
    // Nesting: 65 parentheses, one past the limit of 64.
    let deep = format!("{}margin{}", "(".repeat(65), ")".repeat(65));
    let plan = format!(
        "id = \"p\"\n\n[values]\nbig = \"{deep}\"\n\n{}rate = \"5%\"\n",
        &HEAD[9..]
    );
    let ws = workspace(dir.path(), &plan, "1000");
    let err = fail(&["-w", &ws, "check"], 1);
    assert!(
        err.contains("error[plan-expression-too-deep]")
            && err.contains("nests deeper than 64 levels"),
        "{err}"
    );
}

#[test]
fn a_table_of_a_hundred_thousand_tiers_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = format!("{HEAD}method = \"marginal\"\nbasis = \"amount\"\ntiers = [\n");
    for i in 0..100_000 {
        let rate = if i % 2 == 0 { "1%" } else { "2%" };
        plan.push_str(&format!("  {{ from = {}, rate = \"{rate}\" }},\n", i * 10));
    }
    plan.push_str("]\n");
    let ws = workspace(dir.path(), &plan, "1000005");
    let run = run_with(&ws, "2026-03", &[]);
    // Tier i covers [10·i, 10·i + 10), the last (i = 99,999, 2%) is open from 999,990. A deal of
    // 1,000,005: tiers 0..=99,998 full, 10 each: 50,000 even ones at 1% = 5,000.00, 49,999 odd ones at
    // 2% = 9,999.80; the last tier holds 1,000,005 − 999,990 = 15 at 2% = 0.30.
    // 5,000.00 + 9,999.80 + 0.30 = 15,000.10.
    assert_eq!(run.payable("R1", "commission", "2026-03"), "15000.10");
}
