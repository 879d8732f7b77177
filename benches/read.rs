//! The reader alone: read the bench workspace's inputs a few times and print the CPU seconds
//! (user + system, all threads) and wall seconds of each read.
//!
//! usage: cargo bench --bench read -- DATA_DIR [RUNS] [THREADS]
//!   (the workspace is benches/bench-workspace/payout.toml; DATA_DIR as for benches/batch.sh)

use std::path::PathBuf;
use std::time::Instant;

/// CPU seconds used by this process so far (0 where the system does not tell).
fn cpu_seconds() -> f64 {
    payout::cli::cpu_seconds().unwrap_or(0.0)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(data_dir) = args.first() else {
        eprintln!("usage: cargo bench --bench read -- DATA_DIR [RUNS] [THREADS]");
        std::process::exit(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    if let Some(t) = args.get(2).and_then(|t| t.parse().ok()) {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()?;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let overrides = payout::workspace::Overrides {
        data_dir: Some(PathBuf::from(data_dir)),
        ..Default::default()
    };
    let ws = payout::data::read_workspace(
        &root.join("benches/bench-workspace/payout.toml"),
        &overrides,
    )?;
    for run in 1..=runs {
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let inputs = payout::data::read_inputs(&ws)?;
        let (cpu, wall) = (cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
        println!(
            "read {run}: {} deals, {wall:.2} s wall, {cpu:.2} CPU-s",
            inputs.deals.len()
        );
    }
    Ok(())
}
