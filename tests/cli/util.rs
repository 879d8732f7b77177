//! The harness: run the real `payout` binary on a case folder (`tests/cases/<name>/`), parse what it
//! wrote, and check the invariants every run must keep (statement lines sum to the payable, payable =
//! earned-to-date − paid-to-date) before a test looks at its own hand-computed numbers.
//!
//! Every command runs with the repository root as its working directory, so file names in outputs and
//! messages are the stable relative paths `tests/cases/<name>/...`. Every run that writes files writes
//! them into its own temporary folder, removed when the [`Run`] is dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rust_decimal::Decimal;

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder of a case.
pub fn case_dir(case: &str) -> PathBuf {
    root().join("tests/cases").join(case)
}

/// The workspace file of a case, relative to the repository root.
pub fn workspace(case: &str) -> String {
    format!("tests/cases/{case}/payout.toml")
}

/// The real binary, run from the repository root.
pub fn payout() -> Command {
    let mut cmd = Command::cargo_bin("payout").expect("the payout binary is built by cargo test");
    cmd.current_dir(root());
    cmd.env("NO_COLOR", "1");
    cmd
}

/// An exact decimal from text; panics (failing the test) on anything else.
pub fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap_or_else(|e| panic!("not a decimal: {text:?}: {e}"))
}

/// One CSV record, by header.
pub type Record = BTreeMap<String, String>;

/// Parse CSV text into records keyed by header.
pub fn parse_csv(text: &str) -> Vec<Record> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed CSV record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub fn read_csv(path: &Path) -> Vec<Record> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_csv(&text)
}

/// (rep_id, component, payout_period)
pub type Key = (String, String, String);

/// A finished, successful run with its output folder.
pub struct Run {
    pub dir: tempfile::TempDir,
    /// Messages (`payout: ...`) the run printed on stderr.
    pub stderr: String,
    pub payouts: BTreeMap<Key, Record>,
}

impl Run {
    pub fn out(&self) -> &Path {
        self.dir.path()
    }

    /// The payouts.csv row of (rep, component, payout period); panics listing the keys when absent.
    pub fn row(&self, rep: &str, component: &str, period: &str) -> &Record {
        let key = (rep.to_string(), component.to_string(), period.to_string());
        self.payouts.get(&key).unwrap_or_else(|| {
            panic!(
                "no payouts.csv row for {key:?}; rows: {:?}",
                self.payouts.keys().collect::<Vec<_>>()
            )
        })
    }

    /// A field of a payouts.csv row.
    pub fn get(&self, rep: &str, component: &str, period: &str, field: &str) -> &str {
        let row = self.row(rep, component, period);
        row.get(field)
            .unwrap_or_else(|| panic!("payouts.csv has no column {field}"))
    }

    pub fn payable(&self, rep: &str, component: &str, period: &str) -> &str {
        self.get(rep, component, period, "payable")
    }

    /// Every line of statements/<period>/<rep>.csv.
    pub fn statement(&self, period: &str, rep: &str) -> Vec<Record> {
        let folder = self.out().join(format!("statements/{period}"));
        let direct = folder.join(format!("{rep}.csv"));
        if direct.exists() {
            return read_csv(&direct);
        }
        // An id that is not a safe file name is written under a sanitised name: found by its rows.
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a folder entry").path();
            if path.extension().is_some_and(|e| e == "csv") {
                let records = read_csv(&path);
                if records.first().is_some_and(|r| r["rep_id"] == rep) {
                    return records;
                }
            }
        }
        panic!("no statement of {rep} in {}", folder.display())
    }

    /// The statement lines of one component.
    pub fn lines(&self, period: &str, rep: &str, component: &str) -> Vec<Record> {
        self.statement(period, rep)
            .into_iter()
            .filter(|l| l["component"] == component)
            .collect()
    }

    pub fn read(&self, relative: &str) -> String {
        let path = self.out().join(relative);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Check what must hold for every row of every run: payable = earned-to-date − paid-to-date, and
    /// the lines of the row's statement sum exactly to its payable.
    fn check_invariants(&self) {
        for ((rep, component, period), row) in &self.payouts {
            let payable = dec(&row["payable"]);
            // Payment columns (closing periods): what is paid on top of the true-up.
            let payment: Decimal = [
                "prior_periods",
                "adjustments",
                "draw",
                "recovery",
                "carried",
                "held",
                "clawbacks",
                "lifetime_capped",
            ]
            .iter()
            .filter_map(|c| row.get(*c))
            .map(|v| dec(v))
            .sum();
            assert_eq!(
                payable,
                dec(&row["earned_to_date"]) - dec(&row["paid_to_date"]) + payment,
                "payable ≠ earned_to_date − paid_to_date + payment columns for {rep} {component} {period}"
            );
            let lines = self.lines(period, rep, component);
            let sum: Decimal = lines.iter().map(|l| dec(&l["amount"])).sum();
            assert_eq!(
                sum, payable,
                "statement lines of {rep} {component} {period} sum to {sum}, payable is {payable}"
            );
        }
    }
}

/// A line of a statement: its (line kind, deal id, tier, formula, amount), for compact assertions.
pub fn brief(line: &Record) -> (&str, &str, &str, &str, &str) {
    (
        line["line"].as_str(),
        line["deal_id"].as_str(),
        line["tier"].as_str(),
        line["formula"].as_str(),
        line["amount"].as_str(),
    )
}

/// `payout -w tests/cases/<case>/payout.toml run --period <period> --format csv --out <tmp>`.
pub fn run_case(case: &str, period: &str) -> Run {
    run_with(&workspace(case), period, &[])
}

/// Like [`run_case`] with any workspace path and extra arguments.
pub fn run_with(workspace: &str, period: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = payout()
        .args([
            "-w", workspace, "run", "--period", period, "--format", "csv",
        ])
        .arg("--out")
        .arg(dir.path())
        .args(extra)
        .output()
        .expect("payout runs");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert!(
        out.status.success(),
        "payout run failed ({:?}):\n{stderr}",
        out.status.code()
    );
    let text = std::fs::read_to_string(dir.path().join("payouts.csv")).expect("payouts.csv");
    assert_eq!(
        text, stdout,
        "payouts.csv and the CSV summary on stdout must be the same"
    );
    // Without --out the engine keeps no statement lines and prices cumulative tables by their
    // totals: the batch path must give the same payouts, byte for byte.
    let batch = payout()
        .args([
            "-w", workspace, "run", "--period", period, "--format", "csv",
        ])
        .args(extra)
        .output()
        .expect("payout runs");
    assert_eq!(
        String::from_utf8(batch.stdout).expect("stdout is UTF-8"),
        stdout,
        "the summary without --out must equal payouts.csv of the run with --out"
    );
    let mut payouts = BTreeMap::new();
    for r in parse_csv(&text) {
        let key = (
            r["rep_id"].clone(),
            r["component"].clone(),
            r["payout_period"].clone(),
        );
        assert!(
            payouts.insert(key.clone(), r).is_none(),
            "two payouts.csv rows for {key:?}"
        );
    }
    let run = Run {
        dir,
        stderr,
        payouts,
    };
    run.check_invariants();
    run
}

/// Run payout with `args`; the command must exit with `code`. Returns its stderr.
pub fn fail(args: &[&str], code: i32) -> String {
    let out = payout().args(args).output().expect("payout runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit code {code} from payout {args:?}; stderr:\n{stderr}"
    );
    stderr
}

/// Run payout with `args`; the command must succeed. Returns its stdout.
pub fn succeed(args: &[&str]) -> String {
    let out = payout().args(args).output().expect("payout runs");
    assert!(
        out.status.success(),
        "payout {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copy a case folder into a new temporary folder (to change one file in a test).
pub fn scratch_copy(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&case_dir(case), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read case folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Write a file (creating folders) in a scratch copy.
pub fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(&path, text).expect("write file");
}

/// Every file under `dir`, relative path → bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read folder") {
            let entry = entry.expect("folder entry");
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .expect("under base")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Compare `actual` with the golden file `tests/cases/<relative>`; with `BLESS=1` in the environment,
/// (re)write the golden file instead. A reviewer reads the golden file's diff.
pub fn golden(relative: &str, actual: &str) {
    let path = root().join("tests/cases").join(relative);
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e} (run with BLESS=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "output differs from golden {} (if the change is intended, rerun with BLESS=1 and review the diff)",
        path.display()
    );
}

/// A scratch copy of a case folder (see [`scratch_copy`]) that tests change and run commands on:
/// its workspace file, files, closes and runs. Test modules add their own methods to it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new(case: &str) -> Scratch {
        Scratch {
            dir: scratch_copy(case),
        }
    }

    /// The workspace file, as `-w` takes it.
    pub fn file(&self) -> String {
        self.dir.path().join("payout.toml").display().to_string()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `payout close` of a period approved by Dana Controller on the period's 28th, which must
    /// succeed; returns its stderr.
    pub fn close(&self, period: &str) -> String {
        let out = payout()
            .args(["-w", &self.file(), "close", "--period", period])
            .args(["--approved-by", "Dana Controller"])
            .args(["--closed-at", &format!("{period}-28T09:00:00Z")])
            .output()
            .expect("payout runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "close {period} failed:\n{stderr}");
        stderr
    }

    pub fn run(&self, period: &str) -> Run {
        run_with(&self.file(), period, &[])
    }

    /// Replace the first `from` in a file of the workspace with `to` (a late change of the data).
    pub fn edit(&self, name: &str, from: &str, to: &str) {
        let path = self.path(name);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{name} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }

    /// Append a line to a file of the workspace.
    pub fn append(&self, name: &str, line: &str) {
        let path = self.path(name);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str(line);
        text.push('\n');
        std::fs::write(&path, text).expect("write");
    }
}

/// (line kind, formula, amount) of a rep's statement lines of one component and payout period.
pub fn line_triples(
    run: &Run,
    period: &str,
    rep: &str,
    component: &str,
) -> Vec<(String, String, String)> {
    run.lines(period, rep, component)
        .into_iter()
        .map(|l| (l["line"].clone(), l["formula"].clone(), l["amount"].clone()))
        .collect()
}

/// Expected [`line_triples`], written as string slices.
pub fn owned(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// `payout -w WS run --period P --format csv --out <tmp> EXTRA...`; the output folder.
pub fn run_out(ws: &str, period: &str, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = payout()
        .args(["-w", ws, "run", "--period", period, "--format", "csv", "-q"])
        .arg("--out")
        .arg(dir.path())
        .args(extra)
        .output()
        .expect("payout runs");
    assert!(
        out.status.success(),
        "payout run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// A file of an output folder, as text.
pub fn read(dir: &Path, relative: &str) -> String {
    std::fs::read_to_string(dir.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}
