//! A payout period's payable does not depend on the run period asked for: the payment step walks from
//! the first open payout period (with an empty ledger, the start of the fiscal year), so the draws,
//! recoveries, carried negative balances, holds and clawbacks of earlier open months apply whether a
//! month is run alone, within its quarter or within its half.

use std::path::Path;

use proptest::prelude::*;

use crate::generated::{deal, deals_csv, numbered, payment, plan_toml, Deal, REPS_CSV, WORKSPACE};
use crate::util::{run_with, write};

fn workspace(dir: &Path, plan: &str, deals: &[Deal]) -> String {
    write(dir, "payout.toml", WORKSPACE);
    write(dir, "plans/plan.toml", plan);
    write(dir, "reps.csv", REPS_CSV);
    write(dir, "deals.csv", &deals_csv(&numbered(deals)));
    dir.join("payout.toml").display().to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Each month's payable (and its payment lines) is the same run alone, within its quarter and
    /// within the half.
    #[test]
    fn a_months_payable_does_not_depend_on_the_run_period(
        payment in payment(vec!["carry-forward", "deduct"]),
        deals in prop::collection::vec(deal(), 0..10),
        month in 1u32..=6,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(dir.path(), &plan_toml(&payment, ""), &deals);
        let label = format!("2026-{month:02}");
        let quarter = format!("2026-Q{}", month.div_ceil(3));
        let alone = run_with(&ws, &label, &[]);
        for longer in [quarter.as_str(), "2026-H1"] {
            let within = run_with(&ws, longer, &[]);
            for rep in ["R1", "R2"] {
                let a = alone.row(rep, "commission", &label);
                let w = within.row(rep, "commission", &label);
                for field in ["payable", "earned_to_date", "draw", "recovery", "carried", "held", "clawbacks"] {
                    prop_assert_eq!(
                        &a[field], &w[field],
                        "{} {} {}: {} alone, {} within {}", rep, label, field, &a[field], &w[field], longer
                    );
                }
            }
        }
    }
}

/// A recoverable draw paid in January and recovered in February, and a negative January carried into
/// February: February pays the same run alone (nothing closed yet) as within the quarter.
#[test]
fn a_draw_paid_in_one_month_is_recovered_in_the_next_whatever_the_run_period() {
    let dir = tempfile::tempdir().unwrap();
    let plan = "id = \"plan\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\n\
                id = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\n\
                rate = \"10%\"\n\n[payment.draw]\namount = 1000\nrecoverable = true\n\
                from = 2026-01-01\nto = 2026-01-31\n";
    let deals = [
        Deal {
            rep: 1,
            month: 1,
            day: 10,
            dollars: 4_000,
            paid: None,
            cancelled: None,
        },
        Deal {
            rep: 1,
            month: 2,
            day: 10,
            dollars: 10_000,
            paid: None,
            cancelled: None,
        },
        Deal {
            rep: 2,
            month: 1,
            day: 12,
            dollars: -2_000,
            paid: None,
            cancelled: None,
        },
        Deal {
            rep: 2,
            month: 2,
            day: 12,
            dollars: 3_000,
            paid: None,
            cancelled: None,
        },
    ];
    let ws = workspace(dir.path(), plan, &deals);
    for period in ["2026-02", "2026-Q1"] {
        let run = run_with(&ws, period, &[]);
        // R1, January: earned 4,000 × 10% = 400, below the draw: topped up by 1,000 − 400 = 600,
        // the balance. February (draw ended): earned 10,000 × 10% = 1,000, all above the draw's 0,
        // recovers min(1,000, 600) = 600: payable 1,000 − 600 = 400.
        assert_eq!(
            run.payable("R1", "commission", "2026-02"),
            "400.00",
            "{period}"
        );
        assert_eq!(
            run.get("R1", "commission", "2026-02", "recovery"),
            "-600.00",
            "{period}"
        );
        // R2 (a draw of 1,000 in January too): January earns −2,000 × 10% = −200, topped up to
        // the draw by 1,000 − (−200) = 1,200, balance 1,200. February earns 300, all recovered:
        // payable 300 − 300 = 0.
        assert_eq!(
            run.payable("R2", "commission", "2026-02"),
            "0.00",
            "{period}"
        );
        assert_eq!(
            run.get("R2", "commission", "2026-02", "recovery"),
            "-300.00",
            "{period}"
        );
    }
}

/// A negative month carried forward (the default) into the next, with no draw: February run alone
/// deducts January's carried balance.
#[test]
fn a_negative_month_is_carried_into_the_next_whatever_the_run_period() {
    let dir = tempfile::tempdir().unwrap();
    let plan = "id = \"plan\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\n\
                id = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\n\
                rate = \"10%\"\n";
    let deal = |month, dollars| Deal {
        rep: 1,
        month,
        day: 5,
        dollars,
        paid: None,
        cancelled: None,
    };
    let ws = workspace(dir.path(), plan, &[deal(1, -2_000), deal(2, 3_000)]);
    for period in ["2026-02", "2026-H1"] {
        let run = run_with(&ws, period, &[]);
        // January: −2,000 × 10% = −200, carried forward as a balance of 200. February: 3,000 × 10%
        // = 300, less the carried 200: 100.
        assert_eq!(
            run.payable("R1", "commission", "2026-02"),
            "100.00",
            "{period}"
        );
        assert_eq!(
            run.get("R1", "commission", "2026-02", "carried"),
            "-200.00",
            "{period}"
        );
    }
}

/// A first close in May (nothing recorded for January to April) does not forget the draw balance
/// January left: June recovers it, as June run with an empty ledger does.
#[test]
fn a_first_close_mid_year_keeps_the_balance_of_earlier_open_months() {
    let dir = tempfile::tempdir().unwrap();
    let plan = "id = \"plan\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\n\
                id = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\n\
                rate = \"10%\"\n\n[payment.draw]\namount = 1000\nrecoverable = true\n\
                from = 2026-01-01\nto = 2026-01-31\n";
    let deal = |month, dollars| Deal {
        rep: 1,
        month,
        day: 10,
        dollars,
        paid: None,
        cancelled: None,
    };
    let ws = workspace(dir.path(), plan, &[deal(1, 4_000), deal(6, 10_000)]);
    // January: earned 400, topped up by 600 to the draw: balance 600. May earns nothing (no line).
    // June earns 10,000 × 10% = 1,000 and recovers the 600: 400.
    let alone = run_with(&ws, "2026-06", &[]);
    assert_eq!(alone.payable("R1", "commission", "2026-06"), "400.00");
    write(
        dir.path(),
        "payout.toml",
        &WORKSPACE.replacen("plans = ", "ledger = \"ledger.csv\"\nplans = ", 1),
    );
    let out = crate::util::payout()
        .args([
            "-w",
            &ws,
            "close",
            "--period",
            "2026-05",
            "--approved-by",
            "Dana",
        ])
        // May has no deal and pays nothing: a month without sales, closed as such.
        .args(["--allow-no-deals", "--closed-at", "2026-05-28T09:00:00Z"])
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_close = run_with(&ws, "2026-06", &[]);
    assert_eq!(after_close.payable("R1", "commission", "2026-06"), "400.00");
    assert_eq!(
        after_close.get("R1", "commission", "2026-06", "recovery"),
        "-600.00"
    );
}
