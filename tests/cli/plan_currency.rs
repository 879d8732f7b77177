//! Plans in another currency than the workspace's (tests/cases/plan-currency): a USD workspace, a
//! USD plan `us` (5%) and a EUR plan `eu` (10%). FX rates are USD per unit: EUR 1.08 (bid 1.0795,
//! ask 1.0805), GBP 1.26 (bid 1.2595, ask 1.2605), from 2026-01-01.

use crate::util::{fail, read, root, run_case, run_out, scratch_copy, succeed, workspace, write};

#[test]
fn a_euro_plan_credits_deals_in_other_currencies_at_the_cross_rate_through_the_workspace_currency()
{
    let run = run_case("plan-currency", "2026-01");
    // R1, USD plan: D1 1,000 USD × 5% = 50.00 USD.
    assert_eq!(run.payable("R1", "commission", "2026-01"), "50.00");
    assert_eq!(run.get("R1", "commission", "2026-01", "currency"), "USD");
    // R2, EUR plan: D2 1,000 EUR as is; D3 500 USD at 1 ÷ 1.08 = 0.9259259… → 0.925926 (6
    // places, half away from zero): 462.963; D4 200 GBP at 1.26 ÷ 1.08 = 1.1666666… → 1.166667:
    // 233.3334. Measure 1,000 + 462.963 + 233.3334 = 1,696.2964; × 10% = 169.62964 → 169.63 EUR.
    assert_eq!(
        run.get("R2", "commission", "2026-01", "measure_to_date"),
        "1696.2964"
    );
    assert_eq!(run.payable("R2", "commission", "2026-01"), "169.63");
    assert_eq!(run.get("R2", "commission", "2026-01", "currency"), "EUR");
    let lines = run.lines("2026-01", "R2", "commission");
    let deal = |id: &str| {
        let l = lines
            .iter()
            .find(|l| l["deal_id"] == id)
            .expect("the deal's line");
        (
            l["currency"].as_str(),
            l["fx_rate"].as_str(),
            l["credited"].as_str(),
        )
    };
    assert_eq!(deal("D2"), ("EUR", "", "1000.00"));
    assert_eq!(deal("D3"), ("USD", "0.925926", "462.963"));
    assert_eq!(deal("D4"), ("GBP", "1.166667", "233.3334"));

    // The table totals each currency apart: EUR 169.63 + 100.00 (R3) = 269.63; USD 50.00.
    let ws = workspace("plan-currency");
    let table = succeed(&["-w", &ws, "run", "-q"]);
    let total = |c: &str| {
        table
            .lines()
            .find(|l| l.contains(&format!("Total {c}")))
            .and_then(|l| l.trim_end_matches(['│', ' ']).rsplit(' ').next())
            .map(str::to_string)
    };
    assert_eq!(total("EUR").as_deref(), Some("269.63"), "{table}");
    assert_eq!(total("USD").as_deref(), Some("50.00"), "{table}");

    // The rep's Markdown statement shows each converted deal's rate beside its value.
    let dir = run_out(&ws, "2026-01", &[]);
    let md = read(dir.path(), "statements/2026-01/R2.md");
    assert!(
        md.contains("| deal | D3 | 2026-01-12 | 500.00 USD × 0.925926 | owner | 100% | 462.963 |"),
        "{md}"
    );
    assert!(
        md.contains("| deal | D2 | 2026-01-11 | 1,000.00 EUR | owner | 100% | 1,000.00 |"),
        "{md}"
    );

    // explain names the cross rate's rule.
    let text = succeed(&["-w", &ws, "explain", "--rep", "R2"]);
    assert!(
        text.contains(
            "converted to EUR at the rate on that date: a cross rate through USD, the deal \
             currency's USD rate ÷ EUR's USD rate in tests/cases/plan-currency/fx.csv, rounded to 6 \
             decimals half away from zero"
        ),
        "{text}"
    );
}

#[test]
fn a_rep_on_a_euro_plan_paid_in_pounds_is_paid_through_the_workspace_currency() {
    // R3: D5 1,000 EUR × 10% = 100.00 EUR. Paying the rep sells EUR (bid 1.0795) and buys GBP (ask
    // 1.2605): 100.00 × 1.0795 ÷ 1.2605 = 107.95 ÷ 1.2605 = 85.6406… → 85.64 GBP, one rounding.
    let ws = workspace("plan-currency");
    let dir = run_out(&ws, "2026-01", &[]);
    let statement = read(dir.path(), "statements/2026-01/R3.csv");
    assert!(
        statement.contains(
            "pay-currency,,,2026-01-31,,GBP,,,,,,,,100.00,,\"100.00 EUR × 1.0795 (EUR bid) ÷ 1.2605 \
             (GBP ask) = 85.64 GBP, rates of 2026-01-31\",85.64"
        ),
        "{statement}"
    );
    // The payroll pays each rep in their currency: R2 on the EUR plan in EUR, R3 in GBP.
    let payroll = read(dir.path(), "payroll.csv");
    assert!(
        payroll.contains("R1,2026-01-31,COMM,50.00,USD\n"),
        "{payroll}"
    );
    assert!(
        payroll.contains("R2,2026-01-31,COMM,169.63,EUR\n"),
        "{payroll}"
    );
    assert!(
        payroll.contains("R3,2026-01-31,COMM,85.64,GBP\n"),
        "{payroll}"
    );
    // explain shows the conversion too.
    let explain = succeed(&["-w", &ws, "explain", "--rep", "R3"]);
    assert!(
        explain.contains(
            "Paid in GBP for 2026-01: 100.00 EUR × 1.0795 (EUR bid) ÷ 1.2605 (GBP ask) = 85.64 \
             GBP, rates of 2026-01-31"
        ),
        "{explain}"
    );
}

#[test]
fn insights_model_and_forecast_add_up_a_euro_plan_in_the_workspace_currency() {
    // Payables in USD at the period end's mid rate: 50.00 + 169.63 × 1.08 + 100.00 × 1.08 =
    // 50.00 + 183.2004 + 108.00 = 341.2004.
    let ws = workspace("plan-currency");
    let run = |args: &[&str]| succeed(&[&["-w", ws.as_str()], args].concat());
    let insights = run(&["insights", "--format", "csv", "-q"]);
    assert!(
        insights.contains("\npayable,money,341.2004,341.2004,"),
        "{insights}"
    );
    // Bookings in USD: 1,000 + 1,000 × 1.08 + 500 + 200 × 1.26 + 1,000 × 1.08 = 3,912.00; cost of
    // sales 341.2004 ÷ 3,912 = 8.72%.
    let plans = scratch_copy("plan-currency");
    let model = run(&[
        "model",
        "--plans",
        plans.path().join("plans").to_str().unwrap(),
        "-q",
    ]);
    assert!(
        model.contains("Period 2026-01: bookings 3,912.00 USD"),
        "{model}"
    );
    assert!(model.contains("│ payout            ┆  341.20 ┆"), "{model}");
    assert!(model.contains("8.72%"), "{model}");
    let forecast = run(&["forecast", "-q"]);
    assert!(
        forecast.starts_with("2026-01: earned 341.20 + pipeline 0.00 = expected 341.20 USD"),
        "{forecast}"
    );
}

#[test]
fn a_missing_rate_of_the_plan_currency_is_named_and_the_workspace_currency_has_rate_one() {
    let dir = scratch_copy("plan-currency");
    let ws = dir.path().join("payout.toml");
    let ws = ws.to_str().unwrap();
    // Without EUR rates, D3 (500 USD) cannot be put in the EUR plan's currency.
    write(
        dir.path(),
        "fx.csv",
        "currency,date,rate\nGBP,2026-01-01,1.26\n",
    );
    let stderr = fail(&["-w", ws, "run"], 1);
    assert!(
        stderr.contains(
            "deals.csv:4: error[fx-rate-missing]: value \"USD\": no EUR rate on or before \
             2026-01-12 to convert deal `D3` from USD into EUR"
        ),
        "{stderr}"
    );
    // A rate for USD itself, other than 1, is refused: every rate is quoted in it.
    write(
        dir.path(),
        "fx.csv",
        "currency,date,rate\nEUR,2026-01-01,1.08\nGBP,2026-01-01,1.26\nUSD,2026-01-01,0.93\n",
    );
    let stderr = fail(&["-w", ws, "check"], 1);
    assert!(
        stderr.contains(
            "fx.csv:4: error[fx-rate-invalid]: column `rate`: value \"0.93\": USD is the \
             workspace currency, in which every rate is quoted: its own rate is 1"
        ),
        "{stderr}"
    );
}

#[test]
fn capacity_is_not_planned_from_productivity_in_several_currencies() {
    // tests/errors/quotas-currency-mixed: R1 on a USD plan, R2 and R3 on a EUR plan, each with a
    // bookings quota. Last year's productivity would add USD and EUR bookings.
    let ws = root().join("tests/errors/quotas-currency-mixed/payout.toml");
    let stderr = fail(
        &[
            "-w",
            ws.to_str().unwrap(),
            "capacity",
            "--year",
            "2026",
            "--target",
            "1000000",
        ],
        1,
    );
    assert!(
        stderr.contains(
            "error[quotas-currency-mixed]: the reps with a `bookings` quota in 2026 are on plans in \
             several currencies: EUR (2 reps: R2, R3); USD (1 rep: R1)"
        ),
        "{stderr}"
    );
}
