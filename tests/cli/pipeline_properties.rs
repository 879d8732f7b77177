//! Property tests of the whole run pipeline in-process (`payout::pipeline`: compute, recompute the
//! closed periods, settle), on generated workspaces of 2026-H1 with draws, holds, clawbacks, negative
//! months, adjustments, months already closed (through `pipeline::close`, as `payout close` records
//! them) and deals that arrive after a close (corrections). In-process, each property runs 256 cases:
//!
//! (a) a month's payable and its payment lines do not depend on the run period asked for (the month
//!     alone, its quarter, the half);
//! (b) every settled run keeps the engine's invariants (lines sum to the payable, payable =
//!     earned-to-date − paid-to-date + the payment lines), a period's settlement entries are its payment
//!     lines, and the rows a close would record for a period sum to its payable;
//! (c) the settled run does not depend on the order of the deal rows.
//!
//! The binary runs the same library calls (tests/cli/settlement.rs checks a smaller set through it).

use std::collections::BTreeMap;
use std::path::Path;

use payout::data::Inputs;
use payout::engine::recorded::{ledger_rows, Stamp};
use payout::engine::{check_invariants, RunResult, Settings};
use payout::pipeline::{close, Payments};
use payout::workspace::{Overrides, Workspace};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::generated::{
    deal, deals_csv, numbered, payment, plan_toml, Deal, Payment, REPS_CSV, WORKSPACE,
};
use crate::util::write;

/// A second component, quarterly-measured, beside the plan's commission.
const BONUS: &str = "[[components]]\nid = \"bonus\"\nmeasure = \"bookings\"\n\
                     measurement_period = \"quarter\"\npayout_period = \"month\"\nrate = \"1%\"\n\n";

/// An adjustment: rep, month, dollars.
type Adjustment = (u8, u32, i64);

fn adjustments_csv(adjustments: &[Adjustment]) -> String {
    let mut csv = String::from("rep_id,period,amount,reason,component,approved_by,note\n");
    for (i, (rep, month, dollars)) in adjustments.iter().enumerate() {
        csv.push_str(&format!(
            "R{rep},2026-{month:02},{dollars},ADJ{i},,Dana Lee,\n"
        ));
    }
    csv
}

/// A generated history: the plan, the deals known at each close, the months closed in order, and the
/// deals that arrive after the last close (a late deal of a closed month is a correction).
#[derive(Debug, Clone)]
struct Case {
    payment: Payment,
    deals: Vec<Deal>,
    late: Vec<Deal>,
    adjustments: Vec<Adjustment>,
    closed: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        payment(vec!["carry-forward", "deduct", "floor"]),
        prop::collection::vec(deal(), 0..8),
        prop::collection::vec(deal(), 0..3),
        prop::collection::vec((1u8..=2, 1u32..=6, -500i64..=500), 0..3),
        0u32..=3,
    )
        .prop_map(|(payment, deals, late, adjustments, closed)| Case {
            payment,
            deals,
            late,
            adjustments,
            closed,
        })
}

/// Write the workspace with `deals`; returns the path of payout.toml.
fn workspace(dir: &Path, case: &Case, deals: &[(usize, Deal)]) -> std::path::PathBuf {
    write(
        dir,
        "payout.toml",
        &format!("{WORKSPACE}\n[adjustments]\nfile = \"adjustments.csv\"\n"),
    );
    write(dir, "plans/plan.toml", &plan_toml(&case.payment, BONUS));
    write(dir, "reps.csv", REPS_CSV);
    write(dir, "deals.csv", &deals_csv(deals));
    write(dir, "adjustments.csv", &adjustments_csv(&case.adjustments));
    dir.join("payout.toml")
}

/// The workspace, its inputs and its ledger and adjustments, read as every command reads them.
fn load(path: &Path) -> (Workspace, Inputs, Payments) {
    let ws = payout::data::read_workspace(path, &Overrides::default()).expect("the workspace");
    let mut inputs = payout::data::read_inputs(&ws).expect("the inputs");
    let payments = Payments::read(&ws, &mut inputs).expect("the ledger and adjustments");
    (ws, inputs, payments)
}

fn period(ws: &Workspace, label: &str) -> payout::period::Period {
    ws.calendar.parse(label).expect("a period label")
}

/// The settled run of `label`, with its statement lines.
fn settled(ws: &Workspace, inputs: &Inputs, payments: &Payments, label: &str) -> RunResult {
    let settings = Settings {
        period: period(ws, label),
        credits: false,
        reconcile: true,
        lines: true,
        lenient: false,
    };
    payments.compute(inputs, settings).expect("a run")
}

/// Close the first `months` months in order, as `payout close` does, then add the late deals.
fn history(dir: &Path, case: &Case) -> std::path::PathBuf {
    let path = workspace(dir, case, &numbered(&case.deals));
    for month in 1..=case.closed {
        let (ws, inputs, payments) = load(&path);
        let p = period(&ws, &format!("2026-{month:02}"));
        let run = payments
            .compute(&inputs, close::settings(p, false))
            .expect("a run to close");
        let stamp = Stamp {
            closed_at: format!("2026-{:02}-01T09:00:00Z", month + 1),
            run_id: format!("run-{month}"),
            approved_by: "Dana Lee".into(),
            note: String::new(),
        };
        close::record(&payments.ledger, &inputs, &run, &stamp).expect("the close");
    }
    let all: Vec<Deal> = case.deals.iter().chain(&case.late).cloned().collect();
    write(dir, "deals.csv", &deals_csv(&numbered(&all)));
    path
}

/// A payment line as shown: kind, the period it is for, amount, balance, deal id, note (amounts
/// compare as numbers: 0 and 0.00 are equal).
type Entry = (
    &'static str,
    String,
    Decimal,
    Option<Decimal>,
    String,
    String,
);

/// What a month shows of one rep and component: payable, earned-to-date, paid-to-date and the payment
/// lines.
type Shown = (Decimal, Decimal, Decimal, Vec<Entry>);

/// Every in-run payout period of a settled run, by (rep id, component id, payout period).
fn shown(inputs: &Inputs, run: &RunResult) -> BTreeMap<(String, String, String), Shown> {
    let mut out = BTreeMap::new();
    for r in &run.reps {
        let plan = &inputs.plans[r.plan];
        for c in &r.components {
            for p in c.periods.iter().filter(|p| p.in_run) {
                let key = (r.owner(c), p.payout_period);
                let entries = run
                    .payment
                    .entries
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        (
                            e.kind.name(),
                            e.for_period.to_string(),
                            e.amount,
                            e.balance,
                            e.deal_id.clone(),
                            e.note.clone(),
                        )
                    })
                    .collect();
                out.insert(
                    (
                        inputs.roster.get(r.rep).id.clone(),
                        plan.components[c.component].id.clone(),
                        p.payout_period.to_string(),
                    ),
                    (p.payable, p.earned_to_date, p.paid_to_date, entries),
                );
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// (a) Each open month after the closes shows the same payable and payment lines run alone, within
    /// its quarter and within the half.
    #[test]
    fn a_months_settlement_does_not_depend_on_the_run_period(case in case(), month in 1u32..=6) {
        let dir = tempfile::tempdir().unwrap();
        let path = history(dir.path(), &case);
        let (ws, inputs, payments) = load(&path);
        let label = format!("2026-{month:02}");
        let alone = shown(&inputs, &settled(&ws, &inputs, &payments, &label));
        for longer in [format!("2026-Q{}", month.div_ceil(3)), "2026-H1".to_string()] {
            let within = shown(&inputs, &settled(&ws, &inputs, &payments, &longer));
            for (key, a) in &alone {
                prop_assert_eq!(Some(a), within.get(key), "{:?} alone vs within {}", key, longer);
            }
        }
    }

    /// (b) Settled runs keep their invariants; a period's settlement entries are its payment lines;
    /// the rows a close records for a period sum to its payable.
    #[test]
    fn settlement_entries_are_the_payment_lines_and_close_rows_sum_to_the_payable(
        case in case(),
        label in prop::sample::select(vec!["2026-04", "2026-05", "2026-Q2", "2026-H1"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = history(dir.path(), &case);
        let (ws, inputs, payments) = load(&path);
        let run = settled(&ws, &inputs, &payments, label);
        prop_assert!(check_invariants(&inputs, &run, true).is_ok(), "{:?}", check_invariants(&inputs, &run, true).err());
        let rows = ledger_rows(&inputs, &run, &Stamp::default());
        let mut recorded: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
        for row in &rows {
            *recorded.entry((row.rep_id.clone(), row.component.clone(), row.period.to_string())).or_default() += row.amount;
        }
        for r in &run.reps {
            let plan = &inputs.plans[r.plan];
            for c in &r.components {
                for p in c.periods.iter().filter(|p| p.in_run) {
                    let entries: Decimal = run
                        .payment
                        .entries
                        .get(&(r.owner(c), p.payout_period))
                        .into_iter()
                        .flatten()
                        .map(|e| e.amount)
                        .sum();
                    let lines: Decimal = p.lines().iter().filter(|l| l.kind.is_settlement()).map(|l| l.amount).sum();
                    let key = (inputs.roster.get(r.rep).id.clone(), plan.components[c.component].id.clone(), p.payout_period.to_string());
                    if !run.payment.closed.contains_key(&p.payout_period) {
                        prop_assert_eq!(entries, lines, "{:?}: entries vs payment lines", key);
                    }
                    prop_assert_eq!(recorded.get(&key).copied(), Some(p.payable), "{:?}: close rows vs payable", key);
                }
            }
        }
    }

    /// (c) Shuffling the deal rows (ids kept) changes nothing a settled run shows: amounts, and the
    /// order of a period's lines about several deals (holds and clawbacks come in deal id order).
    #[test]
    fn a_settled_run_does_not_depend_on_the_deal_row_order(
        case in case(),
        order in any::<u64>(),
        label in prop::sample::select(vec!["2026-03", "2026-Q2", "2026-H1"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = history(dir.path(), &case);
        let (ws, inputs, payments) = load(&path);
        let before = shown(&inputs, &settled(&ws, &inputs, &payments, label));
        let mut deals = numbered(&case.deals.iter().chain(&case.late).cloned().collect::<Vec<_>>());
        // A deterministic shuffle from the generated seed.
        let mut seed = order | 1;
        for i in (1..deals.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            deals.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        write(dir.path(), "deals.csv", &deals_csv(&deals));
        let (ws, inputs, payments) = load(&path);
        let after = shown(&inputs, &settled(&ws, &inputs, &payments, label));
        prop_assert_eq!(before, after);
    }
}
