//! Property test: random deals through the real binary against a small independent model of marginal
//! tiers, monthly true-up and rounding of earned-to-date.

use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::util::{dec, run_with, write};

/// The marginal plan of tests/cases/marginal: quota 100,000, 4% to 50%, 8% to 100%, 12% above.
fn earning(x: Decimal) -> Decimal {
    let (q50, q100) = (dec("50000"), dec("100000"));
    let t1 = x.min(q50).max(Decimal::ZERO);
    let t2 = (x.min(q100) - q50).max(Decimal::ZERO);
    let t3 = (x - q100).max(Decimal::ZERO);
    t1 * dec("0.04") + t2 * dec("0.08") + t3 * dec("0.12")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn marginal_monthly_true_up_matches_a_model(
        deals in prop::collection::vec((1u32..=3, 1u32..=28, 0i64..=6_000_000), 1..10)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let case = crate::util::case_dir("marginal");
        for file in ["payout.toml", "plans/marginal.toml", "reps.csv", "quotas.csv"] {
            write(dir.path(), file, &std::fs::read_to_string(case.join(file)).unwrap());
        }
        let mut csv = String::from("deal_id,rep_id,amount,close_date\n");
        for (i, (month, day, cents)) in deals.iter().enumerate() {
            csv.push_str(&format!("P{i:03},R1,{}.{:02},2026-{month:02}-{day:02}\n", cents / 100, cents % 100));
        }
        write(dir.path(), "deals.csv", &csv);
        let run = run_with(dir.path().join("payout.toml").to_str().unwrap(), "2026-Q1", &[]);

        let mut previous = Decimal::ZERO;
        for month in 1..=3u32 {
            let cum: Decimal = deals
                .iter()
                .filter(|(m, _, _)| *m <= month)
                .map(|(_, _, c)| Decimal::new(*c, 2))
                .sum();
            let earned = earning(cum).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            let period = format!("2026-{month:02}");
            prop_assert_eq!(dec(run.get("R1", "commission", &period, "measure_to_date")), cum);
            prop_assert_eq!(dec(run.get("R1", "commission", &period, "earned_to_date")), earned);
            prop_assert_eq!(dec(run.payable("R1", "commission", &period)), earned - previous);
            previous = earned;
        }
    }
}
