//! Renamed plans and components keep their ledger history. Ledger rows recorded under a rep, plan or
//! component that today's roster and plans do not have are `ledger-orphan` errors naming the ledger
//! line (ignored, their closed amounts would be paid again); a plan or component that declares
//! `formerly = ["old-id"]` counts what was recorded under the old id as paid.
//!
//! Every test works on a scratch copy of tests/cases/ledger (see tests/cli/ledger.rs): A1 on plan `ae`,
//! component `commission`: 10% of bookings, measured per quarter, paid monthly; deals D1 10,000 (Jan),
//! D2 5,000 (Feb), D3 8,000 (Mar), D4 20,000 (Apr).

use crate::util::{fail, line_triples, owned, payout, read_csv, Run, Scratch};

impl Scratch {
    /// `run`, `close` and `check` of a period refuse the workspace (exit 1), the ledger untouched;
    /// the stderr of `check`.
    fn refused_by_run_close_and_check(&self, period: &str) -> String {
        let before = std::fs::read(self.path("ledger.csv")).expect("the ledger");
        fail(&["-w", &self.file(), "run", "--period", period], 1);
        let close = [
            "close",
            "--period",
            period,
            "--approved-by",
            "Dana Controller",
        ];
        fail(&[&["-w", &self.file()][..], &close[..]].concat(), 1);
        assert_eq!(
            std::fs::read(self.path("ledger.csv")).expect("the ledger"),
            before
        );
        fail(&["-w", &self.file(), "check", "--period", period], 1)
    }

    /// The (component, kind, amount) of A1's ledger rows for a payout period.
    fn recorded(&self, period: &str) -> Vec<(String, String, String)> {
        read_csv(&self.path("ledger.csv"))
            .into_iter()
            .filter(|r| r["rep_id"] == "A1" && r["period"] == period)
            .map(|r| {
                (
                    r["component"].clone(),
                    r["kind"].clone(),
                    r["amount"].clone(),
                )
            })
            .collect()
    }
}

/// (line kind, formula, amount) of A1's statement lines of one component.
fn lines(run: &Run, period: &str, component: &str) -> Vec<(String, String, String)> {
    line_triples(run, period, "A1", component)
}

#[test]
fn a_renamed_component_is_an_error_until_it_declares_its_former_id_then_its_history_is_not_repaid()
{
    let ws = Scratch::new("ledger");
    // January is closed: line 2 of the ledger is A1's earned 1,000.00 (10,000 × 10%) of `commission`.
    ws.close("2026-01");
    assert_eq!(
        ws.recorded("2026-01"),
        owned(&[("commission", "earned", "1000.00")])
    );

    // The component is renamed: the ledger's row names a component the plan no longer has. Ignored,
    // it would pay January again (paid 0.00, computed now 1,000.00), so run and check refuse.
    ws.edit(
        "plans/ae.toml",
        "id = \"commission\"",
        "id = \"bookings_commission\"",
    );
    let stderr = ws.refused_by_run_close_and_check("2026-02");
    assert!(
        stderr.contains("ledger.csv:2: error[ledger-orphan]: column `component`: value \"commission\": plan `ae` has no component that is, or was formerly, `commission`: 1 ledger row(s) (line 2)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("formerly = [\"commission\"]` in its `[[components]]` table"),
        "{stderr}"
    );

    // Declared, the rename carries the history: February's earned to date is (10,000 + 5,000) × 10%
    // = 1,500.00, paid before the 1,000.00 recorded as `commission`, payable 1,500 − 1,000 = 500.00
    // (D2's 5,000 × 10%), with no true-up line.
    ws.edit(
        "plans/ae.toml",
        "id = \"bookings_commission\"",
        "id = \"bookings_commission\"\nformerly = [\"commission\"]",
    );
    let feb = ws.run("2026-02");
    assert_eq!(
        feb.get("A1", "bookings_commission", "2026-02", "earned_to_date"),
        "1500.00"
    );
    assert_eq!(
        feb.get("A1", "bookings_commission", "2026-02", "paid_to_date"),
        "1000.00"
    );
    assert_eq!(
        feb.payable("A1", "bookings_commission", "2026-02"),
        "500.00"
    );
    assert_eq!(
        lines(&feb, "2026-02", "bookings_commission"),
        owned(&[("deal", "5000.00 × 10%", "500.00")])
    );
    assert!(
        feb.stderr.contains("1 ledger row(s) recorded as component `commission` of plan `ae` count as paid for component `bookings_commission` of plan `ae`"),
        "{}",
        feb.stderr
    );

    // Closed January, shown under the new id, says what it was recorded as (a 0.00 `recorded` line:
    // recorded 1,000.00 = computed now 1,000.00).
    let jan = ws.run("2026-01");
    assert_eq!(
        jan.payable("A1", "bookings_commission", "2026-01"),
        "1000.00"
    );
    assert_eq!(
        lines(&jan, "2026-01", "bookings_commission"),
        owned(&[
            ("deal", "10000.00 × 10%", "1000.00"),
            (
                "recorded",
                "closed: commission recorded 1000.00 under component `commission`, computed now 1000.00",
                "0.00"
            ),
        ])
    );

    let explain = payout()
        .args([
            "-w",
            &ws.file(),
            "explain",
            "--rep",
            "A1",
            "--period",
            "2026-01",
        ])
        .output()
        .expect("payout runs");
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(explain.status.success());
    assert!(
        text.contains("closed: commission recorded 1000.00 under component `commission`"),
        "{text}"
    );

    // February closes under the new id; March pays its own 800.00 (8,000 × 10%): paid before
    // 1,000.00 (as `commission`) + 500.00 (as `bookings_commission`) = 1,500.00 of earned to date
    // 23,000 × 10% = 2,300.00.
    ws.close("2026-02");
    assert_eq!(
        ws.recorded("2026-02"),
        owned(&[("bookings_commission", "earned", "500.00")])
    );
    let mar = ws.run("2026-03");
    assert_eq!(
        mar.get("A1", "bookings_commission", "2026-03", "paid_to_date"),
        "1500.00"
    );
    assert_eq!(
        mar.payable("A1", "bookings_commission", "2026-03"),
        "800.00"
    );
}

#[test]
fn a_correction_of_a_period_paid_under_a_former_id_names_it() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    ws.edit(
        "plans/ae.toml",
        "id = \"commission\"",
        "id = \"bookings_commission\"\nformerly = [\"commission\"]",
    );
    // D1 is corrected from 10,000 to 12,000 after January was closed. February: earned to date
    // (12,000 + 5,000) × 10% = 1,700.00, paid 1,000.00: 500.00 of D2 and a true-up of January of
    // 1,200 − 1,000 = 200.00, whose formula names the id January was paid under.
    ws.edit("deals.csv", "D1,A1,10000", "D1,A1,12000");
    let feb = ws.run("2026-02");
    assert_eq!(
        feb.payable("A1", "bookings_commission", "2026-02"),
        "700.00"
    );
    assert_eq!(
        lines(&feb, "2026-02", "bookings_commission"),
        owned(&[
            ("deal", "5000.00 × 10%", "500.00"),
            (
                "true-up",
                "2026-01: paid 1000.00 under component `commission`, computed now 1200.00",
                "200.00"
            ),
        ])
    );
}

#[test]
fn a_renamed_plan_is_an_error_until_it_declares_its_former_id_then_its_history_is_not_repaid() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // Plan `ae` becomes `ae-2026` (the roster follows).
    ws.edit("plans/ae.toml", "id = \"ae\"", "id = \"ae-2026\"");
    ws.edit("reps.csv", "A1,Ann Able,ae", "A1,Ann Able,ae-2026");
    let stderr = ws.refused_by_run_close_and_check("2026-02");
    assert!(
        stderr.contains("ledger.csv:2: error[ledger-orphan]: column `plan`: value \"ae\": no plan is, or was formerly, `ae`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`formerly = [\"ae\"]` beside its `id`"),
        "{stderr}"
    );

    // Declared: February pays (10,000 + 5,000) × 10% − the 1,000.00 recorded under `ae` = 500.00.
    ws.edit(
        "plans/ae.toml",
        "id = \"ae-2026\"",
        "id = \"ae-2026\"\nformerly = [\"ae\"]",
    );
    let feb = ws.run("2026-02");
    assert_eq!(feb.get("A1", "commission", "2026-02", "plan"), "ae-2026");
    assert_eq!(
        feb.get("A1", "commission", "2026-02", "paid_to_date"),
        "1000.00"
    );
    assert_eq!(feb.payable("A1", "commission", "2026-02"), "500.00");
    assert_eq!(
        lines(&feb, "2026-02", "commission"),
        owned(&[("deal", "5000.00 × 10%", "500.00")])
    );
    let jan = ws.run("2026-01");
    assert_eq!(
        lines(&jan, "2026-01", "commission")[1],
        owned(&[(
            "recorded",
            "closed: commission recorded 1000.00 under plan `ae`, computed now 1000.00",
            "0.00"
        )])[0]
    );
    let out = payout()
        .args(["-w", &ws.file(), "check", "--period", "2026-02"])
        .output()
        .expect("payout runs");
    assert!(out.status.success());
}

#[test]
fn a_rep_removed_from_the_roster_with_ledger_rows_is_an_error_until_kept_with_an_end_date() {
    let ws = Scratch::new("ledger");
    ws.close("2026-01");
    // A1 leaves: taken out of the roster and, with them, their deals. Their closed January (ledger
    // line 2) would be history of no one.
    ws.edit("reps.csv", "A1,Ann Able,ae\n", "");
    for d in [
        "D1,A1,10000,2026-01-10,,,\n",
        "D2,A1,5000,2026-02-10,,,\n",
        "D3,A1,8000,2026-03-10,,,\n",
        "D4,A1,20000,2026-04-10,,,\n",
    ] {
        ws.edit("deals.csv", d, "");
    }
    let stderr = ws.refused_by_run_close_and_check("2026-02");
    assert!(
        stderr.contains("ledger.csv:2: error[ledger-orphan]: column `rep_id`: value \"A1\": rep `A1` is not in the roster"),
        "{stderr}"
    );
    assert!(stderr.contains("with an `end_date`"), "{stderr}");

    // Kept in the roster with an end date (and their January deal kept in the data), A1 has no
    // February row, and closed January still shows the 1,000.00 recorded (10,000 × 10%).
    ws.edit(
        "reps.csv",
        "rep_id,name,plan\n",
        "rep_id,name,plan,end_date\nA1,Ann Able,ae,2026-01-31\n",
    );
    for rep in ["S1,Sam Small,sdr", "H1,Hana Held,services"] {
        ws.edit("reps.csv", rep, &format!("{rep},"));
    }
    ws.edit("deals.csv", "S-1,", "D1,A1,10000,2026-01-10,,,\nS-1,");
    let feb = ws.run("2026-02");
    assert!(
        !feb.payouts.keys().any(|k| k.0 == "A1"),
        "{:?}",
        feb.payouts.keys()
    );
    let jan = ws.run("2026-01");
    assert_eq!(jan.payable("A1", "commission", "2026-01"), "1000.00");
    assert_eq!(jan.get("A1", "commission", "2026-01", "status"), "closed");
}

#[test]
fn a_former_plan_id_that_is_still_a_plan_or_is_claimed_twice_is_a_plan_error() {
    let ws = Scratch::new("ledger");
    let check = ["-w", &ws.file(), "check"];
    ws.edit(
        "plans/ae.toml",
        "id = \"ae\"",
        "id = \"ae\"\nformerly = [\"sdr\"]",
    );
    let stderr = fail(&check, 1);
    assert!(
        stderr.contains("ae.toml:3:13: error[plan-formerly-current]: value \"sdr\": plan `ae` was formerly `sdr`, but `sdr` is the id of the plan in"),
        "{stderr}"
    );
    ws.edit("plans/ae.toml", "[\"sdr\"]", "[\"ae-2025\"]");
    ws.edit(
        "plans/sdr.toml",
        "id = \"sdr\"",
        "id = \"sdr\"\nformerly = [\"ae-2025\"]",
    );
    let stderr = fail(&check, 1);
    assert!(
        stderr.contains("error[plan-formerly-duplicate]: value \"ae-2025\": `ae-2025` is claimed as a former id by plans `ae`"),
        "{stderr}"
    );
}
