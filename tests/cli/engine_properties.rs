//! Property tests of the engine through the real binary, on small generated case folders written into
//! a temporary folder:
//!
//! (a) marginal commission is non-decreasing in the measure: adding a deal with a positive amount
//!     never lowers any earned-to-date, whatever the tiers, boundary, scope and rounding;
//! (b) statement lines sum to the payable (checked by `run_with` on every row), and payouts.csv,
//!     reconciliation.csv and the statements (but for the `source` file:line column) do not depend on
//!     the order of the deal rows nor on the thread count;
//! (c) the monthly true-up payments of a quarter sum exactly to the quarter's final rounded
//!     earned-to-date, and each month's paid-to-date is the previous month's earned-to-date.
//!
//! Case counts are small (16-20): each case runs the binary two or three times.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::util::{dec, parse_csv, run_with, write, Run};

const WORKSPACE: &str = "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n\n[quotas]\nfile = \"quotas.csv\"\n";

/// A generated deal: rep (1 or 2), month of 2026-Q1, day, amount in cents, product A or B, quantity.
#[derive(Debug, Clone)]
struct Deal {
    rep: u8,
    month: u32,
    day: u32,
    cents: i64,
    product: bool,
    quantity: u32,
}

fn deal(cents: std::ops::RangeInclusive<i64>) -> impl Strategy<Value = Deal> {
    (1u8..=2, 1u32..=3, 1u32..=28, cents, any::<bool>(), 1u32..=5).prop_map(
        |(rep, month, day, cents, product, quantity)| Deal {
            rep,
            month,
            day,
            cents,
            product,
            quantity,
        },
    )
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// deals.csv with ids P000, P001, ... in the given order (ids are fixed before any shuffle).
fn deals_csv(deals: &[(usize, Deal)]) -> String {
    let mut csv = String::from("deal_id,rep_id,amount,close_date,product,quantity\n");
    for (id, d) in deals {
        csv.push_str(&format!(
            "P{id:03},R{},{},2026-{:02}-{:02},{},{}\n",
            d.rep,
            money(d.cents),
            d.month,
            d.day,
            if d.product { "A" } else { "B" },
            d.quantity
        ));
    }
    csv
}

/// Write a workspace with `plan` and `deals` into `dir`.
fn workspace(dir: &Path, plan: &str, deals: &[(usize, Deal)]) -> String {
    write(dir, "payout.toml", WORKSPACE);
    write(dir, "plans/plan.toml", plan);
    write(
        dir,
        "reps.csv",
        "rep_id,name,plan,target_incentive\nR1,Rita One,plan,24000\nR2,Raj Two,plan,36000\n",
    );
    write(
        dir,
        "quotas.csv",
        "rep_id,period,amount\nR1,2026-Q1,100000\nR2,2026-Q1,60000\n",
    );
    write(dir, "deals.csv", &deals_csv(deals));
    dir.join("payout.toml").display().to_string()
}

/// Deals with their ids (the number in `P000`), in file order.
type Numbered = Vec<(usize, Deal)>;

fn numbered(deals: Vec<Deal>) -> Numbered {
    deals.into_iter().enumerate().collect()
}

const STRATEGIES: [&str; 7] = [
    "half-away-from-zero",
    "half-even",
    "half-toward-zero",
    "toward-zero",
    "away-from-zero",
    "floor",
    "ceiling",
];

/// A marginal rate table: tier breakpoints (in dollars, increasing from 0) and percent rates ≥ 0 (with
/// two decimals, in any order: a lower rate above a higher one is allowed).
fn tiers() -> impl Strategy<Value = Vec<(i64, u32)>> {
    prop::collection::vec((1i64..=60_000, 0u32..=2_000), 1..=4).prop_map(|raw| {
        let mut from = 0;
        raw.into_iter()
            .enumerate()
            .map(|(i, (gap, rate))| {
                if i > 0 {
                    from += gap;
                }
                (from, rate)
            })
            .collect()
    })
}

fn tier_table(tiers: &[(i64, u32)]) -> String {
    let rows: Vec<String> = tiers
        .iter()
        .map(|(from, rate)| {
            format!(
                "  {{ from = {from}, rate = \"{}.{:02}%\" }},",
                rate / 100,
                rate % 100
            )
        })
        .collect();
    format!("tiers = [\n{}\n]\n", rows.join("\n"))
}

/// earned_to_date of every row, by (rep, component, payout period).
fn earned(run: &Run) -> BTreeMap<(String, String, String), Decimal> {
    run.payouts
        .iter()
        .map(|(k, r)| (k.clone(), dec(&r["earned_to_date"])))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    /// (a) Adding a deal with a positive amount never lowers an earned-to-date.
    #[test]
    fn marginal_earned_to_date_is_non_decreasing_in_the_measure(
        tiers in tiers(),
        boundary in prop::sample::select(vec!["from-inclusive", "to-inclusive"]),
        scope in prop::sample::select(vec!["cumulative", "transaction"]),
        strategy in prop::sample::select(STRATEGIES.to_vec()),
        places in 0u32..=3,
        base in prop::collection::vec(deal(-500_000..=5_000_000), 0..8),
        extra in deal(1..=5_000_000),
    ) {
        let plan = format!(
            "id = \"plan\"\nrounding = {{ strategy = \"{strategy}\", places = {places} }}\n\n\
             [measures.bookings]\nsum = \"amount\"\n\n\
             [[components]]\nid = \"commission\"\nmeasure = \"bookings\"\n\
             measurement_period = \"quarter\"\npayout_period = \"month\"\n\
             method = \"marginal\"\nbasis = \"amount\"\nboundary = \"{boundary}\"\nscope = \"{scope}\"\n{}",
            tier_table(&tiers)
        );
        let before_dir = tempfile::tempdir().unwrap();
        let deals = numbered(base);
        let before = run_with(&workspace(before_dir.path(), &plan, &deals), "2026-Q1", &[]);
        let mut more = deals.clone();
        more.push((deals.len(), extra.clone()));
        let after_dir = tempfile::tempdir().unwrap();
        let after = run_with(&workspace(after_dir.path(), &plan, &more), "2026-Q1", &[]);

        let (b, a) = (earned(&before), earned(&after));
        prop_assert_eq!(b.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>());
        for (key, was) in &b {
            let now = a[key];
            let rep = format!("R{}", extra.rep);
            if key.0 == rep {
                prop_assert!(
                    now >= *was,
                    "{:?}: earned-to-date fell from {} to {} when deal {:?} was added",
                    key, was, now, extra
                );
            } else {
                prop_assert_eq!(now, *was, "{:?}: another rep's deal changed it", key);
            }
        }
    }
}

/// A plan with most constructs: attainment tiers with a product rule, a per-deal cap, a component cap,
/// a SPIFF on a count, a curve with the roster's target incentive, and rounding to cents.
const RICH_PLAN: &str = r#"id = "plan"

[measures.bookings]
sum = "amount"

[measures.a_deals]
count = true
where = { product = "A" }

[measures.units]
sum = "quantity"

[[components]]
id = "commission"
measure = "bookings"
measurement_period = "quarter"
payout_period = "month"
method = "marginal"
basis = "attainment"
tiers = [
  { from = "0%", rate = "4%" },
  { from = "50%", rate = "7.5%" },
  { from = "100%", rate = "12%" },
]
deal_cap = 1500
cap = 9000

[[components.rules]]
when = { product = "B" }
tiers = [
  { from = "0%", rate = "3.3%" },
  { from = "100%", rate = "5%" },
]

[[components]]
id = "spiff"
type = "spiff"
measure = "a_deals"
measurement_period = "quarter"
payout_period = "month"
amount = 75

[[components]]
id = "units"
type = "spiff"
measure = "units"
measurement_period = "month"
amount = "2.35"

[[components]]
id = "curve"
type = "curve"
measure = "bookings"
measurement_period = "quarter"
payout_period = "month"
weight = "40%"
curve = [
  { attainment = "0%", payout = "0%" },
  { attainment = "50%", payout = "20%" },
  { attainment = "100%", payout = "100%" },
  { attainment = "150%", payout = "180%" },
]
"#;

/// Every statement file of a run, its lines without the `source` column (the deal's file:line, which
/// moves when rows are shuffled).
fn statements(run: &Run) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
    crate::util::tree(&run.out().join("statements"))
        .into_iter()
        .filter(|(name, _)| name.ends_with(".csv"))
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes).expect("statements are UTF-8");
            let lines = parse_csv(&text)
                .into_iter()
                .map(|mut l| {
                    l.remove("source");
                    l
                })
                .collect();
            (name, lines)
        })
        .collect()
}

fn shuffled_deals() -> impl Strategy<Value = (Numbered, Numbered)> {
    prop::collection::vec(deal(-200_000..=8_000_000), 1..12).prop_flat_map(|deals| {
        let deals = numbered(deals);
        (Just(deals.clone()), Just(deals).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// (b) Lines sum to payables (every run_with checks it), and the results do not depend on the row
    /// order or the thread count.
    #[test]
    fn results_do_not_depend_on_deal_row_order((deals, shuffled) in shuffled_deals()) {
        let dir1 = tempfile::tempdir().unwrap();
        let first = run_with(&workspace(dir1.path(), RICH_PLAN, &deals), "2026-Q1", &[]);
        let dir2 = tempfile::tempdir().unwrap();
        let second = run_with(
            &workspace(dir2.path(), RICH_PLAN, &shuffled),
            "2026-Q1",
            &["--threads", "1"],
        );
        prop_assert_eq!(first.read("payouts.csv"), second.read("payouts.csv"));
        prop_assert_eq!(first.read("reconciliation.csv"), second.read("reconciliation.csv"));
        prop_assert_eq!(statements(&first), statements(&second));
        // Every deal line's amount belongs to a row whose lines sum to its payable (checked by
        // run_with); and the total of the payables is the same.
        let total = |r: &Run| -> Decimal { r.payouts.values().map(|p| dec(&p["payable"])).sum() };
        prop_assert_eq!(total(&first), total(&second));
    }
}

/// Round like the plan: `places` decimals with a named strategy.
fn round(value: Decimal, strategy: &str, places: u32) -> Decimal {
    use rust_decimal::RoundingStrategy as S;
    let s = match strategy {
        "half-away-from-zero" => S::MidpointAwayFromZero,
        "half-even" => S::MidpointNearestEven,
        "half-toward-zero" => S::MidpointTowardZero,
        "toward-zero" => S::ToZero,
        "away-from-zero" => S::AwayFromZero,
        "floor" => S::ToNegativeInfinity,
        "ceiling" => S::ToPositiveInfinity,
        other => panic!("unknown strategy {other}"),
    };
    value.round_dp_with_strategy(places, s)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    /// (c) The three monthly payments of a quarter sum to the quarter's final rounded earned-to-date,
    /// for every component (flat with an awkward rate, marginal tiers with a catch-up threshold, a cap);
    /// the flat one also matches an independent model: round(sum of the quarter's amounts × rate).
    #[test]
    fn monthly_true_ups_sum_to_the_quarter_final_earned_to_date(
        rate_bp in 1u32..=99_999,
        strategy in prop::sample::select(STRATEGIES.to_vec()),
        places in 0u32..=3,
        deals in prop::collection::vec(deal(-300_000..=3_000_000), 0..10),
    ) {
        // rate in hundredths of a basis point: 1..=99,999 → 0.0001% .. 9.9999%
        let rate = format!("{}.{:04}%", rate_bp / 10_000, rate_bp % 10_000);
        let plan = format!(
            "id = \"plan\"\nrounding = {{ strategy = \"{strategy}\", places = {places} }}\n\n\
             [measures.bookings]\nsum = \"amount\"\n\n\
             [[components]]\nid = \"flat\"\nmeasure = \"bookings\"\n\
             measurement_period = \"quarter\"\npayout_period = \"month\"\nrate = \"{rate}\"\n\n\
             [[components]]\nid = \"tiered\"\nmeasure = \"bookings\"\n\
             measurement_period = \"quarter\"\npayout_period = \"month\"\n\
             method = \"marginal\"\nbasis = \"attainment\"\n\
             threshold = {{ at = \"20%\", catch_up = true }}\ncap = \"2345.678\"\n\
             tiers = [\n  {{ from = \"0%\", rate = \"{rate}\" }},\n  {{ from = \"60%\", rate = \"7.77%\" }},\n]\n\n\
             # negative months are deducted: the payables themselves must sum to the quarter\n\
             [payment]\nnegative_payable = \"deduct\"\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let run = run_with(&workspace(dir.path(), &plan, &numbered(deals.clone())), "2026-Q1", &[]);
        let rate = dec(&rate.replace('%', "")) / Decimal::ONE_HUNDRED;
        for rep in ["R1", "R2"] {
            for component in ["flat", "tiered"] {
                let months = ["2026-01", "2026-02", "2026-03"];
                let mut previous = Decimal::ZERO;
                let mut paid = Decimal::ZERO;
                for m in months {
                    let row = run.row(rep, component, m);
                    prop_assert_eq!(dec(&row["paid_to_date"]), previous, "{} {} {}", rep, component, m);
                    paid += dec(&row["payable"]);
                    previous = dec(&row["earned_to_date"]);
                }
                prop_assert_eq!(paid, previous, "{} {}: the months pay {}, the quarter earned {}", rep, component, paid, previous);
                if component == "flat" {
                    let n: u8 = rep[1..].parse().unwrap();
                    let total: Decimal = deals
                        .iter()
                        .filter(|d| d.rep == n)
                        .map(|d| Decimal::new(d.cents, 2))
                        .sum();
                    prop_assert_eq!(previous, round(total * rate, strategy, places));
                }
            }
        }
    }
}
