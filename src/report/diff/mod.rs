//! `payout diff OLD NEW`: what changed between two runs' output folders, or between the ledger and a
//! run. Between two runs: every payouts.csv row with any column changed, every statement line added,
//! removed or changed (corrections, carried balances and payment lines included), the deals whose
//! statement lines show other values, the inputs whose SHA-256 changed; on each side, the output files
//! that no longer match their own manifest. Between the ledger and a run: the payables only.
//!
//! Invariants: amounts are compared exactly (as decimals); everything is listed in a fixed order
//! (rows by rep, plan, component, period; lines by statement then place in it; deals by id), so the
//! same two folders always give the same output. Statement files whose bytes are the same on both
//! sides are not read (a batch has hundreds of thousands); a deal seen on one side of the changed
//! statements only is looked up in the unchanged ones before it is called added or removed.

mod read;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rust_decimal::Decimal;

use read::{field, read_records, read_side, Side};

/// A CSV record by header.
pub type Record = BTreeMap<String, String>;

/// A payouts row's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowKey {
    pub rep: String,
    pub plan: String,
    pub component: String,
    pub period: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }

    fn of<T>(old: &Option<T>, new: &Option<T>) -> Change {
        match (old, new) {
            (None, _) => Change::Added,
            (_, None) => Change::Removed,
            _ => Change::Changed,
        }
    }
}

/// How an output file fails its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutputProblem {
    /// Its SHA-256 is not the one the manifest lists: edited after the run.
    Edited,
    /// Listed by the manifest, not on disk.
    Missing,
    /// On disk, not listed by the manifest: not written by the run.
    Unlisted,
}

impl OutputProblem {
    pub fn name(self) -> &'static str {
        match self {
            OutputProblem::Edited => "edited",
            OutputProblem::Missing => "missing",
            OutputProblem::Unlisted => "unlisted",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            OutputProblem::Edited => {
                "edited after the run: its SHA-256 is not the one manifest.json lists"
            }
            OutputProblem::Missing => "listed in manifest.json but missing",
            OutputProblem::Unlisted => "not written by the run: manifest.json does not list it",
        }
    }
}

/// One field's two values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// A payouts row that differs: its payable on each side (None: no row) and its other changed columns.
pub struct RowChange {
    pub key: RowKey,
    pub old: Option<Decimal>,
    pub new: Option<Decimal>,
    pub fields: Vec<FieldChange>,
}

/// A statement line added, removed or changed.
pub struct LineChange {
    pub key: RowKey,
    pub line: String,
    pub deal_id: String,
    pub change: Change,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The line's formula (an added or removed line), or its changed fields.
    pub formula: String,
    pub fields: Vec<FieldChange>,
}

/// A deal whose statement lines differ: added, removed, or with fields changed (for an added or
/// removed deal, its values on the side it is on).
pub struct DealChange {
    pub deal_id: String,
    pub change: Change,
    pub fields: Vec<FieldChange>,
}

/// Everything that differs.
#[derive(Default)]
pub struct Diff {
    pub rows: Vec<RowChange>,
    pub lines: Vec<LineChange>,
    pub deals: Vec<DealChange>,
    /// Input files (path, added/removed/changed).
    pub inputs: Vec<(String, Change)>,
    /// Output files that do not match their manifest: (side's path / file, problem).
    pub outputs: Vec<(String, OutputProblem)>,
}

impl Diff {
    /// Whether the two sides differ in anything (diff's exit 1).
    pub fn differs(&self) -> bool {
        !(self.rows.is_empty()
            && self.lines.is_empty()
            && self.deals.is_empty()
            && self.inputs.is_empty()
            && self.outputs.is_empty())
    }
}

/// Compare two sides (see the module's documentation).
pub fn compare(old_path: &Path, new_path: &Path) -> anyhow::Result<Diff> {
    let old = read_side(old_path)?;
    let new = read_side(new_path)?;
    let mut diff = Diff {
        rows: compare_rows(&old, &new)?,
        ..Diff::default()
    };
    for side in [&old, &new] {
        for (file, problem) in &side.problems {
            let shown = side.path.join(file).display().to_string();
            diff.outputs.push((shown, *problem));
        }
    }
    if !old.ledger && !new.ledger {
        diff.inputs = compare_inputs(&old, &new);
        let (lines, deals) = compare_statements(&old, &new)?;
        diff.lines = lines;
        diff.deals = deals;
    }
    Ok(diff)
}

/// The payouts rows that differ. Between two runs any column counts and a row on one side only
/// differs; the ledger against a run compares payables on the periods the run pays, a row on one
/// side only counting as 0 on the other.
fn compare_rows(old: &Side, new: &Side) -> anyhow::Result<Vec<RowChange>> {
    let ledger_vs_run = old.ledger && !new.ledger;
    let run_periods: BTreeSet<&String> = new.rows.keys().map(|k| &k.period).collect();
    let mut keys: BTreeSet<&RowKey> = new.rows.keys().collect();
    keys.extend(
        old.rows
            .keys()
            .filter(|k| !ledger_vs_run || run_periods.contains(&k.period)),
    );
    let payable = |side: &Side, k: &RowKey| -> anyhow::Result<Option<Decimal>> {
        side.rows
            .get(k)
            .map(|r| read::amount(r, "payable", &side.path))
            .transpose()
    };
    let mut out = Vec::new();
    for k in keys {
        let (o, n) = (payable(old, k)?, payable(new, k)?);
        let fields = match (old.rows.get(k), new.rows.get(k)) {
            (Some(a), Some(b)) if !old.ledger && !new.ledger => changed_fields(a, b, &["payable"]),
            _ => Vec::new(),
        };
        let differs = match old.ledger || new.ledger {
            true => o.unwrap_or_default() != n.unwrap_or_default(),
            false => o.is_none() || n.is_none() || o != n || !fields.is_empty(),
        };
        if differs {
            out.push(RowChange {
                key: k.clone(),
                old: o,
                new: n,
                fields,
            });
        }
    }
    Ok(out)
}

/// The fields of two records that differ, in column order, except `skip`.
fn changed_fields(old: &Record, new: &Record, skip: &[&str]) -> Vec<FieldChange> {
    let columns: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    columns
        .into_iter()
        .filter(|c| !skip.contains(&c.as_str()))
        .filter_map(|c| {
            let (a, b) = (field(old, c), field(new, c));
            (a != b).then(|| FieldChange {
                field: c.clone(),
                old: a.to_string(),
                new: b.to_string(),
            })
        })
        .collect()
}

fn compare_inputs(old: &Side, new: &Side) -> Vec<(String, Change)> {
    let mut out = Vec::new();
    let paths: BTreeSet<&String> = old.inputs.keys().chain(new.inputs.keys()).collect();
    for path in paths {
        let (o, n) = (old.inputs.get(path), new.inputs.get(path));
        if o != n {
            out.push((path.clone(), Change::of(&o, &n)));
        }
    }
    out
}

/// The statement CSV files of a side, with their hash now.
fn statements(side: &Side) -> BTreeMap<&str, Option<&str>> {
    side.outputs
        .iter()
        .filter(|(p, _)| p.starts_with("statements/") && p.ends_with(".csv"))
        .map(|(p, h)| (p.as_str(), h.as_deref()))
        .collect()
}

/// The records of one statement file of a side (none when the side has no such file).
fn statement_records(
    side: &Side,
    path: &str,
    hash: Option<Option<&str>>,
) -> anyhow::Result<Vec<Record>> {
    match hash {
        Some(Some(_)) => read_records(&side.path.join(path)),
        _ => Ok(Vec::new()),
    }
}

/// The statement lines and the deals that differ, from the statement files whose bytes differ.
fn compare_statements(
    old: &Side,
    new: &Side,
) -> anyhow::Result<(Vec<LineChange>, Vec<DealChange>)> {
    let (old_files, new_files) = (statements(old), statements(new));
    let paths: BTreeSet<&str> = old_files.keys().chain(new_files.keys()).copied().collect();
    let mut lines = Vec::new();
    let (mut old_deals, mut new_deals) = (Deals::default(), Deals::default());
    let mut unchanged = Vec::new();
    for path in paths {
        let (o, n) = (old_files.get(path).copied(), new_files.get(path).copied());
        if o.is_some() && o == n {
            unchanged.push(path);
            continue;
        }
        let (a, b) = (
            statement_records(old, path, o)?,
            statement_records(new, path, n)?,
        );
        old_deals.add(&a);
        new_deals.add(&b);
        lines.extend(compare_lines(&a, &b));
    }
    // A deal on one side of the changed statements may still be on both sides in an unchanged one.
    let one_sided: BTreeSet<String> = old_deals
        .0
        .keys()
        .filter(|d| !new_deals.0.contains_key(*d))
        .chain(new_deals.0.keys().filter(|d| !old_deals.0.contains_key(*d)))
        .cloned()
        .collect();
    if !one_sided.is_empty() {
        for path in unchanged {
            let records: Vec<Record> = read_records(&new.path.join(path))?
                .into_iter()
                .filter(|r| one_sided.contains(field(r, "deal_id")))
                .collect();
            old_deals.add(&records);
            new_deals.add(&records);
        }
    }
    Ok((lines, compare_deals(&old_deals, &new_deals)))
}

/// A line's place in its statement: its block (rep, payout period, plan, component), its kind, its
/// deal, and how many lines of the block came before it with the same kind and deal.
type LineKey = (RowKey, String, String, usize);

fn keyed_lines(records: &[Record]) -> BTreeMap<LineKey, &Record> {
    let mut seen: BTreeMap<(RowKey, String, String), usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for r in records {
        let block = RowKey {
            rep: field(r, "rep_id").to_string(),
            plan: field(r, "plan").to_string(),
            component: field(r, "component").to_string(),
            period: field(r, "payout_period").to_string(),
        };
        let id = (
            block,
            field(r, "line").to_string(),
            field(r, "deal_id").to_string(),
        );
        let n = seen.entry(id.clone()).or_default();
        out.insert((id.0, id.1, id.2, *n), r);
        *n += 1;
    }
    out
}

/// Columns that place a line (compared through its key) or that move without the line changing (a
/// deal's `file:line` moves when rows are added above it).
const LINE_KEY_COLUMNS: [&str; 8] = [
    "rep_id",
    "payout_period",
    "plan",
    "component",
    "line",
    "deal_id",
    "source",
    "amount",
];

fn compare_lines(old: &[Record], new: &[Record]) -> Vec<LineChange> {
    let (a, b) = (keyed_lines(old), keyed_lines(new));
    let keys: BTreeSet<&LineKey> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (o, n) = (a.get(k).copied(), b.get(k).copied());
        let amount = |r: Option<&Record>| r.map(|r| field(r, "amount").to_string());
        let (old_amount, new_amount) = (amount(o), amount(n));
        let fields = match (o, n) {
            (Some(o), Some(n)) => changed_fields(o, n, &LINE_KEY_COLUMNS),
            _ => Vec::new(),
        };
        let change = Change::of(&o, &n);
        if change == Change::Changed && fields.is_empty() && old_amount == new_amount {
            continue;
        }
        let formula = match change {
            Change::Changed => String::new(),
            _ => o
                .or(n)
                .map(|r| field(r, "formula").to_string())
                .unwrap_or_default(),
        };
        out.push(LineChange {
            key: k.0.clone(),
            line: k.1.clone(),
            deal_id: k.2.clone(),
            change,
            old: old_amount,
            new: new_amount,
            formula,
            fields,
        });
    }
    out
}

/// What the deal lines of statements show of each deal: its date, value, currency and FX rate, and
/// who is credited with which share.
#[derive(Default)]
struct Deals(BTreeMap<String, DealSeen>);

#[derive(Default, PartialEq, Eq)]
struct DealSeen {
    date: String,
    value: String,
    currency: String,
    fx_rate: String,
    credits: BTreeSet<String>,
}

impl Deals {
    fn add(&mut self, records: &[Record]) {
        for r in records.iter().filter(|r| field(r, "line") == "deal") {
            let seen = self.0.entry(field(r, "deal_id").to_string()).or_default();
            // A deal's value shows on its first line of a block only (slices of tiers follow).
            if !field(r, "deal_value").is_empty() && seen.value.is_empty() {
                seen.date = field(r, "date").to_string();
                seen.value = field(r, "deal_value").to_string();
                seen.currency = field(r, "currency").to_string();
                seen.fx_rate = field(r, "fx_rate").to_string();
            }
            if !field(r, "credit").is_empty() {
                seen.credits.insert(format!(
                    "{} {} {}",
                    field(r, "rep_id"),
                    field(r, "credit"),
                    field(r, "share")
                ));
            }
        }
    }
}

impl DealSeen {
    fn fields(&self) -> [(&'static str, String); 5] {
        [
            ("date", self.date.clone()),
            ("deal_value", self.value.clone()),
            ("currency", self.currency.clone()),
            ("fx_rate", self.fx_rate.clone()),
            (
                "credited",
                self.credits.iter().cloned().collect::<Vec<_>>().join(", "),
            ),
        ]
    }
}

fn compare_deals(old: &Deals, new: &Deals) -> Vec<DealChange> {
    let ids: BTreeSet<&String> = old.0.keys().chain(new.0.keys()).collect();
    let mut out = Vec::new();
    for id in ids {
        let (o, n) = (old.0.get(id), new.0.get(id));
        if o == n {
            continue;
        }
        let empty = DealSeen::default();
        let (a, b) = (o.unwrap_or(&empty).fields(), n.unwrap_or(&empty).fields());
        let fields = a
            .into_iter()
            .zip(b)
            .filter(|((_, x), (_, y))| x != y)
            .map(|((f, x), (_, y))| FieldChange {
                field: f.to_string(),
                old: x,
                new: y,
            })
            .collect();
        out.push(DealChange {
            deal_id: id.clone(),
            change: Change::of(&o, &n),
            fields,
        });
    }
    out
}
