//! What the targets share: the fixture workspace (fuzz/fixture/) copied once into a temporary folder,
//! and one full pass over it (read the workspace and inputs, compute the run, check its invariants,
//! render the summary), which may fail with diagnostics but must never panic; and a settlement pass
//! (the run pipeline: close the first month into a ledger, settle the run period against it).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use payout::engine::recorded::Stamp;
use payout::engine::{check_invariants, compute_run, Settings};
use payout::ledger::file::LedgerFiles;
use payout::pipeline::{close, Payments};
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
        reconcile: true,
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

/// The run pipeline on the workspace: read the ledger and adjustments, settle the first month of the
/// run period and record it as `payout close` does, then settle the whole run period against that
/// ledger (the month closed: its recorded lines, corrections of it, balances carried from it), with
/// lines, and check its invariants. The ledger files are removed afterwards. Diagnostics and I/O
/// errors are fine; a panic, or a settled run whose invariants fail, is a crash.
pub fn settle_pass(dir: &Path, lenient: bool) {
    let overrides = Overrides {
        lenient,
        ..Overrides::default()
    };
    let Ok(ws) = payout::data::read_workspace(&dir.join("payout.toml"), &overrides) else {
        return;
    };
    let files = LedgerFiles::of(&ws.ledger);
    settle_against_a_close(&ws, lenient);
    for path in [files.target, files.head, files.lock, files.tmp, files.head_tmp] {
        let _ = std::fs::remove_file(path);
    }
}

fn settle_against_a_close(ws: &payout::workspace::Workspace, lenient: bool) {
    let Ok(mut inputs) = payout::data::read_inputs(ws) else {
        return;
    };
    let Ok(payments) = Payments::read(ws, &mut inputs) else {
        return;
    };
    let Some(period) = ws.default_period.or_else(|| ws.calendar.parse("2026-Q1").ok()) else {
        return;
    };
    let Some(&month) = period.periods_of(payout::period::Granularity::Month).first() else {
        return;
    };
    let Ok(first) = payments.compute(&inputs, close::settings(month, lenient)) else {
        return;
    };
    if let Err(e) = check_invariants(&inputs, &first, false) {
        panic!("a settled month broke its invariants: {e}");
    }
    let stamp = Stamp {
        closed_at: "2026-02-01T09:00:00Z".into(),
        run_id: "fuzz".into(),
        approved_by: "fuzz".into(),
        note: String::new(),
    };
    if close::record(&payments.ledger, &inputs, &first, &stamp).is_err() {
        return;
    }
    let Ok(payments) = Payments::read(ws, &mut inputs) else {
        return;
    };
    let settings = Settings {
        period,
        lines: true,
        credits: true,
        reconcile: true,
        lenient,
    };
    let Ok(run) = payments.compute(&inputs, settings) else {
        return;
    };
    if let Err(e) = check_invariants(&inputs, &run, settings.lines) {
        panic!("a run settled against a close broke its invariants: {e}");
    }
}
