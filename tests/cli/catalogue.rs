//! The catalogue of error reproducers: one folder per diagnostic code under `tests/errors/<code>/`, each a
//! minimal workspace (payout.toml, plans, CSVs) that triggers exactly that code, with
//!
//! - `expected.txt`: the exact stderr of `payout -w tests/errors/<code>/payout.toml check`, run from the
//!   repository root (diagnostic lines, `= help:` lines and the closing count);
//! - `exit`: the expected exit code (1 for an error, 0 for a warning: `check` passes);
//! - `command` (optional): the subcommand and its arguments when `check` is not the one that triggers the
//!   code (default `check`);
//! - `also` (optional): other codes the reproducer cannot avoid printing, one per line, with the reason in
//!   the folder's `README`.
//!
//! `BLESS=1 cargo test catalogue` rewrites `expected.txt` and `exit`; review their diff.
//!
//! A second test greps the sources for every code used (`error("code"`, `warning("code"`, `err("code"`,
//! `deserialize("code"`, and `("code", "` tuples) and fails when one has no folder (and is not listed,
//! with its reason, in `tests/errors/UNREACHABLE.md`), when a folder names no code of the sources, or
//! when the table of codes in docs/diagnostics.md does not list a code.
//!
//! A third test feeds every input saved under `fuzz/regressions/<target>/` through the CLI: a crash the
//! fuzzers found must stay fixed (no panic, no internal error, exit 0, 1 or 2).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::util::{payout, root, write};

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

fn errors_dir() -> PathBuf {
    root().join("tests/errors")
}

/// The reproducer folders, by code, sorted.
fn reproducers() -> Vec<String> {
    let mut codes: Vec<String> = std::fs::read_dir(errors_dir())
        .expect("tests/errors exists")
        .map(|e| e.expect("folder entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    codes.sort();
    codes
}

fn read_optional(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Every `severity[code]` printed in a diagnostic line (not in `= help:` lines).
fn printed_codes(stderr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in stderr.lines().filter(|l| !l.starts_with(' ')) {
        for marker in [": error[", ": warning["] {
            if let Some(i) = line.find(marker) {
                let rest = &line[i + marker.len()..];
                if let Some(end) = rest.find(']') {
                    out.insert(rest[..end].to_string());
                }
            }
        }
    }
    out
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[String]) -> Outcome {
    let out = payout().args(args).output().expect("payout runs");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Check one reproducer; `Err` describes every way it is wrong.
fn check_reproducer(code: &str) -> Result<(), String> {
    let dir = errors_dir().join(code);
    let workspace = format!("tests/errors/{code}/payout.toml");
    let command: Vec<String> = read_optional(&dir.join("command"))
        .map(|c| c.split_whitespace().map(String::from).collect())
        .unwrap_or_else(|| vec!["check".to_string()]);
    let mut args = vec!["-w".to_string(), workspace.clone()];
    args.extend(command.iter().cloned());
    let out = run(&args);
    let exit = out.code.map_or("signal".to_string(), |c| c.to_string());

    if bless() {
        std::fs::write(dir.join("expected.txt"), &out.stderr).expect("write expected.txt");
        std::fs::write(dir.join("exit"), format!("{exit}\n")).expect("write exit");
    }
    let mut problems = Vec::new();
    let shown = format!("payout {}", args.join(" "));

    let also: BTreeSet<String> = read_optional(&dir.join("also"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let printed = printed_codes(&out.stderr);
    if !printed.contains(code) {
        problems.push(format!("it does not print [{code}]"));
    }
    let extra: Vec<&String> = printed
        .iter()
        .filter(|c| *c != code && !also.contains(*c))
        .collect();
    if !extra.is_empty() {
        problems.push(format!(
            "it also prints {extra:?} (a reproducer triggers exactly its code; list unavoidable ones in `also`)"
        ));
    }
    if out.stderr.contains("panicked") {
        problems.push("it panics".to_string());
    }

    match read_optional(&dir.join("exit")) {
        Some(e) if e.trim() == exit => {}
        Some(e) => problems.push(format!("exit code {exit}, expected {}", e.trim())),
        None => problems.push("no `exit` file (run with BLESS=1 to create it)".to_string()),
    }
    match read_optional(&dir.join("expected.txt")) {
        Some(e) if e == out.stderr => {}
        Some(e) => problems.push(format!(
            "stderr differs from expected.txt (rerun with BLESS=1 if intended, and review the diff)\n--- expected\n{e}--- actual\n{}",
            out.stderr
        )),
        None => problems.push("no `expected.txt` (run with BLESS=1 to create it)".to_string()),
    }

    // `check --format json` reports the same codes (on stdout), with the same exit code.
    if command == ["check"] {
        let json = run(&[
            "-w".to_string(),
            workspace.clone(),
            "check".to_string(),
            "--format".to_string(),
            "json".to_string(),
        ]);
        match serde_json::from_str::<serde_json::Value>(&json.stdout) {
            Ok(serde_json::Value::Array(items)) => {
                let codes: BTreeSet<String> = items
                    .iter()
                    .filter_map(|d| d["code"].as_str().map(String::from))
                    .collect();
                if codes != printed {
                    problems.push(format!(
                        "check --format json lists {codes:?}, the text output {printed:?}"
                    ));
                }
            }
            _ => problems.push(format!(
                "check --format json did not print a JSON array: {:?}",
                json.stdout
            )),
        }
        if json.code != out.code {
            problems.push(format!(
                "check --format json exits {:?}, check exits {:?}",
                json.code, out.code
            ));
        }
        // `run` performs the same checks first: the same diagnostics, the same exit code.
        if out.code == Some(1) {
            let r = run(&["-w".to_string(), workspace, "run".to_string()]);
            if r.code != Some(1) || r.stderr != out.stderr {
                problems.push(format!(
                    "`run` differs from `check`: exit {:?}, stderr:\n{}",
                    r.code, r.stderr
                ));
            }
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tests/errors/{code} ({shown}):\n  - {}",
            problems.join("\n  - ")
        ))
    }
}

#[test]
fn every_reproducer_prints_its_code_and_exit_code() {
    let codes = reproducers();
    assert!(
        !codes.is_empty(),
        "no reproducer folders under tests/errors/"
    );
    let failures: Vec<String> = codes
        .iter()
        .filter_map(|c| check_reproducer(c).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} reproducers fail:\n\n{}",
        failures.len(),
        codes.len(),
        failures.join("\n\n")
    );
}

/// Every `*.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `s` is a kebab-case code: `[a-z][a-z0-9]*(-[a-z0-9]+)+`.
fn is_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 2
        && parts[0].starts_with(|c: char| c.is_ascii_lowercase())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The diagnostic codes a source text uses. In regex terms:
/// `\b(error|warning|err|warn|deserialize)\(\s*"(CODE)"` and `\(\s*"(CODE)"\s*,\s*"` (the
/// `("plan-tier-gap", "gap")` tuples), where CODE is `[a-z][a-z0-9]*(-[a-z0-9]+)+`.
fn codes_in(text: &str) -> BTreeSet<String> {
    const CALLS: [&str; 5] = ["error(", "warning(", "err(", "warn(", "deserialize("];
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // The code literal right at the start of `rest` (after blanks), and what follows it.
    let literal = |rest: &str| -> Option<(String, usize)> {
        let r = rest.trim_start();
        let skipped = rest.len() - r.len();
        let body = r.strip_prefix('"')?;
        let end = body.find('"')?;
        let code = &body[..end];
        is_code(code).then(|| (code.to_string(), skipped + end + 2))
    };
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices('(') {
        let before = &text[..at + 1];
        let after = &text[at + 1..];
        let Some((code, len)) = literal(after) else {
            continue;
        };
        let call = CALLS.iter().any(|c| {
            before.ends_with(c)
                && !before[..before.len() - c.len()]
                    .bytes()
                    .next_back()
                    .is_some_and(ident)
        });
        let tuple = after[len..]
            .trim_start()
            .strip_prefix(',')
            .is_some_and(|r| r.trim_start().starts_with('"'));
        if call || tuple {
            out.insert(code);
        }
    }
    out
}

/// The codes used anywhere in src/.
fn codes_in_sources() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files
        .iter()
        .flat_map(|f| codes_in(&std::fs::read_to_string(f).expect("read source")))
        .collect()
}

/// Codes listed in tests/errors/UNREACHABLE.md as lines `- \`code\`: why`.
fn unreachable_codes() -> BTreeSet<String> {
    read_optional(&errors_dir().join("UNREACHABLE.md"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(String::from)
        .collect()
}

#[test]
fn the_code_scanner_finds_calls_and_tuples_only() {
    let text = r#"
        diags.push(src.error("plan-id-empty", span, "msg"));
        Diagnostic::warning(
            "rep-no-plan",
            &file,
        );
        err("deal-id-duplicate", c, format!("..."));
        src.deserialize("plan-syntax");
        ("plan-tier-gap", "gap")
        let s = "half-even";
        keyword(src, &raw.boundary, "boundary", &[("from-inclusive", Boundary::FromInclusive)]);
        terror("not-a-code", x);
    "#;
    let found: Vec<String> = codes_in(text).into_iter().collect();
    assert_eq!(
        found,
        [
            "deal-id-duplicate",
            "plan-id-empty",
            "plan-syntax",
            "plan-tier-gap",
            "rep-no-plan"
        ]
    );
}

#[test]
fn every_code_in_the_sources_has_a_reproducer_and_a_readme_entry() {
    let used = codes_in_sources();
    assert!(
        used.len() >= 50,
        "the scan of src/ found only {} codes: {used:?}; has the way diagnostics are built changed?",
        used.len()
    );
    let folders: BTreeSet<String> = reproducers().into_iter().collect();
    let unreachable = unreachable_codes();
    let missing: Vec<&String> = used
        .iter()
        .filter(|c| !folders.contains(*c) && !unreachable.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes used in src/ without a reproducer under tests/errors/<code>/ (add one, with BLESS=1 for its \
         expected.txt, or explain in tests/errors/UNREACHABLE.md why no input reaches it): {missing:?}"
    );
    let stale: Vec<&String> = folders
        .iter()
        .chain(unreachable.iter())
        .filter(|c| !used.contains(*c))
        .collect();
    assert!(
        stale.is_empty(),
        "tests/errors/ names codes that src/ no longer uses (remove or rename them): {stale:?}"
    );
    let table =
        std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    let undocumented: Vec<&String> = used
        .iter()
        .filter(|c| !table.contains(&format!("| `{c}` |")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes missing from the table of diagnostic codes in docs/diagnostics.md: {undocumented:?}"
    );
}

/// How a fuzz target's input reaches the CLI: the file(s) it replaces in a copy of the fuzz targets'
/// fixture workspace (fuzz/fixture/: two plans, a roster, quotas, FX rates, deals; period 2026-Q1).
fn regression_workspace(target: &str, input: &[u8], dir: &Path) {
    let fixture = root().join("fuzz/fixture");
    for file in [
        "payout.toml",
        "plans/ae.toml",
        "plans/sdr.toml",
        "deals.csv",
        "reps.csv",
        "quotas.csv",
        "fx.csv",
    ] {
        let text = std::fs::read_to_string(fixture.join(file))
            .unwrap_or_else(|e| panic!("fuzz/fixture/{file}: {e}"));
        write(dir, file, &text);
    }
    let put = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).expect("write the fuzz input");
    };
    match target {
        // plan_parse parses any plan text; plan_run also computes it: both replace the `ae` plan
        "plan_parse" | "plan_run" => put("plans/ae.toml", input),
        "workspace_parse" => put("payout.toml", input),
        "csv_ingest" => put("deals.csv", input),
        // the deals, reps, quotas and fx files, separated by NUL bytes
        "inputs_ingest" => {
            for (name, part) in ["deals.csv", "reps.csv", "quotas.csv", "fx.csv"]
                .iter()
                .zip(input.split(|&b| b == 0))
            {
                put(name, part);
            }
        }
        // the expression as a derived value of the `ae` plan (computed for its reps' deals)
        "expr_parse" => {
            let text = String::from_utf8_lossy(input);
            let escaped: String = text
                .chars()
                .map(|c| match c {
                    '\\' => "\\\\".to_string(),
                    '"' => "\\\"".to_string(),
                    c if c.is_control() => format!("\\u{:04X}", c as u32),
                    c => c.to_string(),
                })
                .collect();
            let plan = std::fs::read_to_string(fixture.join("plans/ae.toml")).expect("ae.toml");
            let plan = plan.replacen(
                "[values]\n",
                &format!("[values]\nfuzzed = \"{escaped}\"\n"),
                1,
            );
            put("plans/ae.toml", plan.as_bytes());
        }
        other => panic!("fuzz/regressions/{other}: unknown fuzz target"),
    }
}

/// Feed every input saved under `fuzz/regressions/<target>/<sub>` through `check`, `run` and
/// `run --lenient`; the failures (a panic, a signal, an internal error), and how many inputs were tried.
fn fuzz_regressions(sub: &str) -> (Vec<String>, usize) {
    let base = root().join("fuzz/regressions");
    let mut failures = Vec::new();
    let mut count = 0;
    let Ok(targets) = std::fs::read_dir(&base) else {
        return (failures, count);
    };
    let mut targets: Vec<PathBuf> = targets
        .map(|t| t.expect("folder entry").path())
        .filter(|t| t.is_dir())
        .collect();
    targets.sort();
    for target in targets {
        let name = target
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let Ok(entries) = std::fs::read_dir(target.join(sub)) else {
            continue;
        };
        let mut inputs: Vec<PathBuf> = entries
            .map(|e| e.expect("folder entry").path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
            .collect();
        inputs.sort();
        for input in inputs {
            count += 1;
            let dir = tempfile::tempdir().expect("a temporary folder");
            regression_workspace(
                &name,
                &std::fs::read(&input).expect("read input"),
                dir.path(),
            );
            let ws = dir.path().join("payout.toml").display().to_string();
            let commands: [&[&str]; 3] = [
                &["check"],
                &["run", "--format", "csv"],
                &["run", "--lenient", "--format", "csv"],
            ];
            for command in commands {
                let mut args = vec!["-w".to_string(), ws.clone()];
                args.extend(command.iter().map(|s| s.to_string()));
                let out = run(&args);
                // exit 2 is fine for an I/O or usage error, not for a broken invariant
                let ok = matches!(out.code, Some(0..=2))
                    && !out.stderr.contains("panicked")
                    && !out.stderr.contains("internal error");
                if !ok {
                    failures.push(format!(
                        "{} via `payout {}`: exit {:?}\n{}",
                        input.strip_prefix(root()).unwrap_or(&input).display(),
                        command.join(" "),
                        out.code,
                        out.stderr
                    ));
                }
            }
        }
    }
    (failures, count)
}

#[test]
fn inputs_that_crashed_a_fuzz_target_do_not_crash_the_cli() {
    let (failures, count) = fuzz_regressions(".");
    assert!(
        failures.is_empty(),
        "{} crashes (check and run, per input) over {count} fuzz regression inputs:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Crashes found by fuzzing and not fixed yet live in `fuzz/regressions/<target>/open/`; once fixed,
/// move the file up one folder so the test above keeps it fixed.
#[test]
fn open_fuzz_crashes_are_fixed() {
    let (failures, count) = fuzz_regressions("open");
    assert!(
        failures.is_empty(),
        "{} crashes (check and run, per input) over {count} open fuzz inputs:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
