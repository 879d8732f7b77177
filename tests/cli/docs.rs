//! Documented output cannot drift: every fenced block of README.md and docs/*.md whose first line is
//! `$ payout ARGS` (run from the repository root, on the example workspace) is run, and each line the
//! block shows after it must appear, verbatim, among the lines the binary printed (stdout and stderr
//! together). Blocks may leave lines out (excerpts), never show a line the binary does not print.
//! Blocks that illustrate an edited copy of the example (a mistyped plan, a bad cell) start their
//! command line with `$ payout` too, so they are skipped when the block says so with
//! `# (edited workspace)` on its command line.

use std::collections::HashSet;

use crate::util::{payout, root};

/// The `$ payout ...` blocks of one Markdown file: (first line number, arguments, shown lines).
fn command_blocks(text: &str) -> Vec<(usize, Vec<String>, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if !line.starts_with("```") {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let Some(command) = body.first().and_then(|l| l.strip_prefix("$ payout")) else {
            continue;
        };
        if command.contains("# (edited workspace)") || body[1..].iter().any(|l| l.starts_with("$ "))
        {
            continue;
        }
        let args = command.split_whitespace().map(str::to_string).collect();
        let shown = body[1..].iter().map(|l| l.to_string()).collect();
        blocks.push((n + 1, args, shown));
    }
    blocks
}

#[test]
fn every_documented_payout_output_is_what_the_binary_prints() {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a Markdown file");
        for (line, args, shown) in command_blocks(&text) {
            let out = payout().args(&args).output().expect("payout runs");
            let printed: String = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let printed: HashSet<&str> = printed.lines().map(str::trim_end).collect();
            let missing: Vec<&String> = shown
                .iter()
                .filter(|l| !l.trim().is_empty() && *l != "..." && !printed.contains(l.trim_end()))
                .collect();
            assert!(
                missing.is_empty(),
                "{}:{line}: `payout {}` does not print these documented lines:\n{}",
                file.display(),
                args.join(" "),
                missing
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            checked += 1;
        }
    }
    // The README's tour shows at least `payout run` and `payout explain`.
    assert!(checked >= 2, "only {checked} documented outputs found");
}

/// The backquoted, comma-separated column list of an output file's row in docs/outputs.md.
fn documented_columns(table: &str, file: &str) -> Vec<String> {
    let row = table
        .lines()
        .find(|l| l.starts_with(&format!("| `{file}` |")))
        .unwrap_or_else(|| panic!("docs/outputs.md has no row for {file}"));
    let list = row
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|part| part.starts_with("rep_id, "))
        .unwrap_or_else(|| panic!("the row of {file} lists no columns"));
    list.split(", ").map(str::to_string).collect()
}

#[test]
fn the_documented_columns_of_payouts_and_statements_are_the_headers_written() {
    let table = std::fs::read_to_string(root().join("docs/outputs.md")).expect("docs/outputs.md");
    let out = tempfile::tempdir().expect("a temporary folder");
    payout()
        .args(["run", "-q", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let header = |path: &str| -> Vec<String> {
        let text = std::fs::read_to_string(out.path().join(path)).expect("an output file");
        let first = text.lines().next().expect("a header row");
        first.split(',').map(str::to_string).collect()
    };
    assert_eq!(
        documented_columns(&table, "payouts.csv"),
        header("payouts.csv")
    );
    assert_eq!(
        documented_columns(&table, "statements/<payout period>/<rep id>.csv"),
        header("statements/2026-03/A004.csv")
    );
}
