//! What the targets share: the fixture workspace (fuzz/fixture/) copied once into a temporary folder,
//! and one full pass over it (read the workspace and inputs, compute the run, check its invariants,
//! render the summary), which may fail with diagnostics but must never panic.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use payout::engine::{check_invariants, compute_run, Settings};
use payout::workspace::Overrides;

/// The fixture files, by path relative to the workspace folder.
pub const FIXTURE: [(&str, &str); 7] = [
    ("payout.toml", include_str!("../../fixture/payout.toml")),
    ("plans/ae.toml", include_str!("../../fixture/plans/ae.toml")),
    (
        "plans/sdr.toml",
        include_str!("../../fixture/plans/sdr.toml"),
    ),
    ("deals.csv", include_str!("../../fixture/deals.csv")),
    ("reps.csv", include_str!("../../fixture/reps.csv")),
    ("quotas.csv", include_str!("../../fixture/quotas.csv")),
    ("fx.csv", include_str!("../../fixture/fx.csv")),
];

pub fn fixture(name: &str) -> &'static str {
    FIXTURE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .expect("a fixture file")
}

/// A private copy of the fixture for this process (the folder lives as long as the process).
pub fn workspace_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("payout-fuzz-")
            .tempdir()
            .expect("a temporary folder")
            .keep();
        reset(&dir);
        dir
    })
}

/// Rewrite every fixture file (undoing what an earlier input wrote).
pub fn reset(dir: &Path) {
    std::fs::create_dir_all(dir.join("plans")).expect("create plans/");
    for (name, text) in FIXTURE {
        std::fs::write(dir.join(name), text).expect("write a fixture file");
    }
}

/// Replace one file of the workspace by `bytes`.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write the fuzz input");
}

/// Read the workspace and its inputs, compute the run (every payout period of 2026-Q1, with lines),
/// check the run's invariants and render the summary; `lenient` as with `--lenient` (unusable deal
/// rows go to the exceptions). Diagnostics and I/O errors are fine; a panic, or a run whose invariants
/// fail (an internal error), is a crash.
pub fn full_pass(dir: &Path, lenient: bool) {
    let overrides = Overrides {
        lenient,
        ..Overrides::default()
    };
    let Ok(ws) = payout::data::read_workspace(&dir.join("payout.toml"), &overrides) else {
        return;
    };
    let Ok(inputs) = payout::data::read_inputs(&ws) else {
        return;
    };
    let period = match ws.default_period {
        Some(p) => p,
        None => match ws.calendar.parse("2026-Q1") {
            Ok(p) => p,
            Err(_) => return,
        },
    };
    let settings = Settings {
        period,
        lines: true,
        credits: true,
        lenient,
    };
    let Ok(run) = compute_run(&inputs, settings) else {
        return;
    };
    if let Err(e) = check_invariants(&inputs, &run, settings.lines) {
        panic!("a run broke its invariants: {e}");
    }
    let rows = payout::report::summary::rows(&inputs, &run);
    let _ = payout::report::summary::render_csv(&rows, std::io::sink());
    let _ = payout::report::summary::render_table(&rows, std::io::sink());
}
