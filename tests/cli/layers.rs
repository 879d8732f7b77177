//! The source's layers point one way (docs/development.md, "Layers"): every `crate::<module>` a file
//! of src/ names (comments aside) is on a lower floor than the file's own module, peers on the floor
//! between `report` and `engine` never name one another, and inside `plan/` the parser's parts stand
//! on the model in the same way (`super::<part>`). A new import that runs back up fails here, naming
//! the file, its line and the two floors.

use std::path::Path;

/// The floors of src/, top to bottom. A module may name modules of the floors below its own; the
/// ground floor's modules may also name one another.
const FLOORS: &[&[&str]] = &[
    &["main", "cli"],
    &["report"],
    // Peers: each uses the engine's results and the data tables, none uses another.
    &[
        "accounting",
        "insights",
        "pipeline",
        "planning",
        "scaffold",
        "scenario",
    ],
    &["engine"],
    &["ledger"],
    &["data"],
    &["workspace"],
    // Sections of payout.toml the workspace reads.
    &["finance_settings", "stages"],
    &["plan"],
    // The ground floor.
    &[
        "csv_cell",
        "date_format",
        "diag",
        "line_kind",
        "money",
        "owner",
        "period",
        "schema",
        "toml_src",
    ],
];

/// Inside `plan/`, top to bottom: the plan parser's entry point, the parsers of its parts, the
/// helpers they share, then the validated model.
const PLAN_FLOORS: &[&[&str]] = &[
    &["parse"],
    &["components", "payment"],
    &["measures", "renames"],
    &["syntax"],
    &["model"],
    &["expr", "payment_terms"],
];

fn floor(floors: &[&[&str]], module: &str) -> Option<usize> {
    floors.iter().position(|f| f.contains(&module))
}

/// Every `<prefix><name>` on the code lines of a file (not comments), with its line number.
fn named(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        for (at, _) in code.match_indices(prefix) {
            let name: String = code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            }
        }
    }
    out
}

/// The .rs files under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Where `from` (on floor `own`) names `to`: a problem unless `to` is lower, or both are on the
/// ground floor (`shared`).
fn check(
    floors: &[&[&str]],
    shared_floor: Option<usize>,
    file: &str,
    line: usize,
    from: &str,
    to: &str,
    problems: &mut Vec<String>,
) {
    let (Some(own), Some(other)) = (floor(floors, from), floor(floors, to)) else {
        return;
    };
    let same_ground = own == other && Some(own) == shared_floor;
    if from != to && other <= own && !same_ground {
        problems.push(format!(
            "{file}:{line}: `{from}` (floor {own}) names `{to}` (floor {other}): a layer names only those below it"
        ));
    }
}

#[test]
fn modules_name_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut unplaced = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).expect("under src/");
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        let module = parts[0].as_str();
        if module == "lib" {
            continue;
        }
        if floor(FLOORS, module).is_none() {
            unplaced.push(module.to_string());
        }
        let text = std::fs::read_to_string(path).expect("read a source file");
        let file = format!("src/{}", rel.display());
        for (line, to) in named(&text, "crate::") {
            check(
                FLOORS,
                Some(FLOORS.len() - 1),
                &file,
                line,
                module,
                &to,
                &mut problems,
            );
        }
        if module == "plan" && parts.len() == 2 && parts[1] != "mod" {
            let part = parts[1].as_str();
            assert!(
                floor(PLAN_FLOORS, part).is_some(),
                "src/plan/{part}.rs has no floor in PLAN_FLOORS (tests/cli/layers.rs)"
            );
            for (line, to) in named(&text, "super::") {
                check(PLAN_FLOORS, None, &file, line, part, &to, &mut problems);
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules of src/ with no floor in FLOORS (tests/cli/layers.rs): {unplaced:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check itself: an engine file naming the CLI, and a ground-floor module naming the plans, are
/// reported; the engine naming the ledger, and money naming period, are not.
#[test]
fn an_import_back_up_is_reported() {
    let mut problems = Vec::new();
    for (from, to) in [
        ("engine", "cli"),
        ("money", "plan"),
        ("engine", "ledger"),
        ("money", "period"),
        ("scenario", "pipeline"),
    ] {
        check(
            FLOORS,
            Some(FLOORS.len() - 1),
            "f.rs",
            1,
            from,
            to,
            &mut problems,
        );
    }
    assert_eq!(
        problems,
        vec![
            "f.rs:1: `engine` (floor 3) names `cli` (floor 0): a layer names only those below it",
            "f.rs:1: `money` (floor 9) names `plan` (floor 8): a layer names only those below it",
            "f.rs:1: `scenario` (floor 2) names `pipeline` (floor 2): a layer names only those below it",
        ]
    );
    assert_eq!(
        named(
            "use crate::engine::X; // crate::cli\n// crate::report\n",
            "crate::"
        ),
        vec![(1, "engine".to_string())]
    );
}
