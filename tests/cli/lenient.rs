//! Lenient mode: unusable deal rows go to exceptions.csv with their reasons and the run goes on;
//! the reconciliation still accounts for every row of the file.

use crate::util::{fail, read_csv, run_with, scratch_copy, write};

#[test]
fn unusable_rows_go_to_exceptions_and_the_rest_is_paid() {
    // tests/cases/fx with three bad rows added: an unparseable amount (X4), an unknown rep (X5) and a
    // EUR deal dated before the first EUR rate (X6, 2025-12-31: no rate on or before it).
    let dir = scratch_copy("fx");
    write(
        dir.path(),
        "deals.csv",
        "deal_id,rep_id,amount,currency,close_date\n\
         X1,R1,1000,EUR,2026-01-14\n\
         X2,R1,1000,EUR,2026-01-15\n\
         X3,R1,500,USD,2026-01-20\n\
         X4,R1,12x0,USD,2026-01-21\n\
         X5,NOBODY,700,USD,2026-01-22\n\
         X6,R1,300,EUR,2025-12-31\n",
    );
    let ws = dir.path().join("payout.toml");
    let ws = ws.to_str().expect("a UTF-8 path");

    // Without --lenient the same inputs are invalid: exit 1.
    fail(&["-w", ws, "run", "--period", "2025-12"], 1);

    // January: X1 1,000 × 1.10 = 1,100; X2 1,000 × 1.20 = 1,200; X3 500 → 2,800 × 10% = 280.00,
    // exactly as without the bad rows (X4, X5 are not loaded; X6 is dated December).
    // Half the rows go to the exceptions: past the default limit (1%), so it is raised for the test.
    let lenient = ["--lenient", "--max-exceptions", "100%"];
    let run = run_with(ws, "2026-01", &lenient);
    assert_eq!(run.payable("R1", "commission", "2026-01"), "280.00");
    let exceptions = read_csv(&run.out().join("exceptions.csv"));
    let seen: Vec<(&str, &str)> = exceptions
        .iter()
        .map(|e| (e["line"].as_str(), e["code"].as_str()))
        .collect();
    // X4 is on line 5 (the header is line 1), X5 on line 6
    assert_eq!(seen, vec![("5", "amount-invalid"), ("6", "rep-unknown")]);

    // December: only X6 is in the period, and it has no EUR rate → sent to the exceptions; 0.00 paid.
    let run = run_with(ws, "2025-12", &lenient);
    assert_eq!(run.payable("R1", "commission", "2025-12"), "0.00");
    let exceptions = read_csv(&run.out().join("exceptions.csv"));
    let codes: Vec<&str> = exceptions.iter().map(|e| e["code"].as_str()).collect();
    assert_eq!(
        codes,
        vec!["amount-invalid", "rep-unknown", "fx-rate-missing"]
    );
    assert_eq!(exceptions[2]["line"], "7");

    // Reconciliation: 6 rows in the file, each in the input once: 4 loaded (X1, X2, X3, X6) and
    // 2 not loaded (X4, X5, both USD); of the loaded: X6 (300 EUR) sent to exceptions, X1, X2 (EUR)
    // and X3 (USD) outside December.
    let rec = read_csv(&run.out().join("reconciliation.csv"));
    let find = |status: &str, currency: &str| {
        rec.iter()
            .find(|r| r["status"] == status && r["currency"] == currency)
            .map(|r| (r["rows"].clone(), r["amount"].clone()))
    };
    assert_eq!(find("input", "EUR"), Some(("3".into(), "2300.00".into()))); // 1,000 + 1,000 + 300
                                                                            // X3 500 + X4 (amount `12x0` unreadable: adds nothing) + X5 700 = 1,200
    assert_eq!(find("input", "USD"), Some(("3".into(), "1200.00".into())));
    assert_eq!(
        find("sent to exceptions", "EUR"),
        Some(("1".into(), "300.00".into()))
    );
    assert_eq!(
        find("outside the run's periods", "EUR"),
        Some(("2".into(), "2000.00".into()))
    );
    assert_eq!(
        find("not loaded (sent to exceptions)", "USD"),
        Some(("2".into(), "700.00".into()))
    );
    assert!(run.stderr.contains("6 deal rows:"), "{}", run.stderr);
}
