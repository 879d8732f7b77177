//! The bench fixture against an independent implementation.
//!
//! tests/fixtures/bench-small/ holds 100 reps and 10,000 deals made by `benches/gen.py` (default
//! seed) and `peer.csv`, the same plan computed by `benches/peer_duckdb.py` with DuckDB: a separate
//! implementation written in SQL from the plan's prose definition (see the fixture's README.md for the
//! exact commands and checksums). No hand arithmetic is possible at this size; agreement to the cent
//! on all 2,400 (rep, month, component) amounts with an independent implementation is the check.

use std::collections::BTreeMap;

use crate::util::{dec, read_csv, root, run_with};

#[test]
fn bench_fixture_matches_the_duckdb_peer_to_the_cent() {
    let run = run_with("benches/bench-workspace/payout.toml", "2026", &[]);
    let ours: BTreeMap<(String, String, String), String> = run
        .payouts
        .iter()
        .map(|((rep, component, period), row)| {
            (
                (rep.clone(), period.clone(), component.clone()),
                row["payable"].clone(),
            )
        })
        .collect();
    let peer: BTreeMap<(String, String, String), String> =
        read_csv(&root().join("tests/fixtures/bench-small/peer.csv"))
            .into_iter()
            .map(|r| {
                (
                    (
                        r["rep_id"].clone(),
                        r["period"].clone(),
                        r["component"].clone(),
                    ),
                    r["amount"].clone(),
                )
            })
            .collect();
    // 100 reps × 12 months × {commission, spiff}
    assert_eq!(peer.len(), 2400);
    assert_eq!(ours.len(), 2400);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        peer.keys().collect::<Vec<_>>(),
        "the same (rep, month, component) rows"
    );
    let differences: Vec<String> = peer
        .iter()
        .filter(|(k, amount)| dec(amount) != dec(&ours[*k]))
        .map(|(k, amount)| format!("{k:?}: peer {amount}, payout {}", ours[k]))
        .collect();
    assert!(
        differences.is_empty(),
        "{} of 2400 amounts differ, e.g.:\n{}",
        differences.len(),
        differences[..differences.len().min(10)].join("\n")
    );
}
