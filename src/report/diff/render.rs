//! `payout diff` on stdout: tables and lines for people, one CSV of every difference (a `section`
//! column), or JSON.
//!
//! Invariants: every difference of [`Diff`] is printed in every format, in its order; CSV cells go
//! through [`crate::csv_cell::Fields`], table cells through [`crate::report::format::term_row`].

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::Decimal;
use serde_json::json;

use super::{Diff, FieldChange};
use crate::csv_cell::Fields;
use crate::report::format::{grouped, term, term_row};

fn show(d: Option<Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn difference(o: Option<Decimal>, n: Option<Decimal>) -> String {
    (n.unwrap_or_default() - o.unwrap_or_default()).to_string()
}

/// An amount of the tables, grouped like every table's (1,283.12), to the places it has.
fn show_grouped(d: Option<Decimal>) -> String {
    d.map(|d| grouped(d, d.scale())).unwrap_or_default()
}

/// [`difference`], grouped.
fn difference_grouped(o: Option<Decimal>, n: Option<Decimal>) -> String {
    show_grouped(Some(n.unwrap_or_default() - o.unwrap_or_default()))
}

/// The difference of two amounts as printed (text that is not an amount counts as 0).
fn text_difference(o: &Option<String>, n: &Option<String>) -> String {
    difference(parse(o), parse(n))
}

fn parse(t: &Option<String>) -> Option<Decimal> {
    t.as_deref().and_then(crate::money::parse_decimal)
}

/// A line's amount as the tables show amounts; text that is not one as it is.
fn text_grouped(t: &Option<String>) -> String {
    match parse(t) {
        Some(d) => show_grouped(Some(d)),
        None => t.clone().unwrap_or_default(),
    }
}

/// `field old -> new; ...`.
pub fn fields_text(fields: &[FieldChange]) -> String {
    fields
        .iter()
        .map(|f| format!("{} {} -> {}", f.field, quoted(&f.old), quoted(&f.new)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value as shown in a list of changes: `(none)` when empty.
fn quoted(v: &str) -> &str {
    if v.is_empty() {
        "(none)"
    } else {
        v
    }
}

/// An added or removed deal's values: `field value, ...` (empty ones left out).
fn values_text(fields: &[FieldChange], added: bool) -> String {
    fields
        .iter()
        .map(|f| (&f.field, if added { &f.new } else { &f.old }))
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| format!("{f} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The detail of a deal change: the changed fields, or the values of an added or removed deal.
fn deal_detail(d: &super::DealChange) -> String {
    match d.change {
        super::Change::Changed => fields_text(&d.fields),
        c => values_text(&d.fields, c == super::Change::Added),
    }
}

/// The detail of a line change: the formula of an added or removed line, or the changed fields.
fn line_detail(l: &super::LineChange) -> String {
    match l.change {
        super::Change::Changed => fields_text(&l.fields),
        _ => l.formula.clone(),
    }
}

fn table(header: Vec<&str>, right: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(header);
    for &i in right {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The columns of a statement line that follow from the lines before it or from the whole block:
/// a change to an earlier line moves them on every later one.
const RUNNING: [&str; 3] = ["cumulative_from", "cumulative_to", "effective_rate"];

/// A changed line whose amount, base, rate and deal are as they were: only [`RUNNING`] moved.
fn only_running_totals(l: &super::LineChange) -> bool {
    l.change == super::Change::Changed
        && l.old == l.new
        && l.fields.iter().all(|f| RUNNING.contains(&f.field.as_str()))
}

/// Tables of the rows and lines that differ (lines whose running totals alone moved are counted
/// after them), then one line per deal, input and output file.
pub fn render_table(diff: &Diff, out: &mut dyn Write) -> anyhow::Result<()> {
    if !diff.rows.is_empty() {
        // Columns other than the payable that changed: a column of their own when any row has some.
        let also = diff.rows.iter().any(|r| !r.fields.is_empty());
        let mut header = vec![
            "Rep",
            "Plan",
            "Component",
            "Period",
            "Old",
            "New",
            "Difference",
        ];
        if also {
            header.push("Also changed");
        }
        let mut t = table(header, &[4, 5, 6]);
        for r in &diff.rows {
            let mut row = vec![
                r.key.rep.clone(),
                r.key.plan.clone(),
                r.key.component.clone(),
                r.key.period.clone(),
                show_grouped(r.old),
                show_grouped(r.new),
                difference_grouped(r.old, r.new),
            ];
            if also {
                row.push(fields_text(&r.fields));
            }
            t.add_row(term_row(row));
        }
        writeln!(out, "{t}")?;
    }
    // Lines that moved only because an earlier line of their period changed: counted, not listed.
    let (running, lines): (Vec<&super::LineChange>, Vec<&super::LineChange>) =
        diff.lines.iter().partition(|l| only_running_totals(l));
    if !lines.is_empty() {
        let mut t = table(
            vec![
                "Rep",
                "Period",
                "Component",
                "Line",
                "Deal",
                "Change",
                "Old",
                "New",
                "Difference",
                "Detail",
            ],
            &[6, 7, 8],
        );
        for l in lines {
            t.add_row(term_row(vec![
                l.key.rep.clone(),
                l.key.period.clone(),
                l.key.component.clone(),
                l.line.clone(),
                l.deal_id.clone(),
                l.change.name().to_string(),
                text_grouped(&l.old),
                text_grouped(&l.new),
                difference_grouped(parse(&l.old), parse(&l.new)),
                line_detail(l),
            ]));
        }
        writeln!(out, "statement lines:\n{t}")?;
    }
    if !running.is_empty() {
        writeln!(
            out,
            "{} more statement line(s) differ only in their running totals or effective rate ({}): --format csv lists them",
            running.len(),
            RUNNING.join(", ")
        )?;
    }
    for d in &diff.deals {
        let detail = deal_detail(d);
        writeln!(
            out,
            "deal {}: {}: {}",
            d.change.name(),
            term(&d.deal_id),
            term(&detail)
        )?;
    }
    for (path, change) in &diff.inputs {
        writeln!(out, "input {}: {}", change.name(), term(path))?;
    }
    for (path, problem) in &diff.outputs {
        writeln!(
            out,
            "output {}: {}: {}",
            problem.name(),
            term(path),
            problem.describe()
        )?;
    }
    Ok(())
}

const CSV_HEADER: [&str; 13] = [
    "section",
    "change",
    "rep_id",
    "plan",
    "component",
    "payout_period",
    "line",
    "deal_id",
    "path",
    "old",
    "new",
    "difference",
    "detail",
];

/// One record per difference; the columns a section does not use are empty.
pub fn render_csv(diff: &Diff, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut f = Fields::new(csv::Writer::from_writer(out));
    f.record(CSV_HEADER)?;
    for r in &diff.rows {
        let change = super::Change::of(&r.old, &r.new).name();
        let (old, new) = (show(r.old), show(r.new));
        let k = &r.key;
        let detail = fields_text(&r.fields);
        f.record([
            "payout",
            change,
            &k.rep,
            &k.plan,
            &k.component,
            &k.period,
            "",
            "",
            "",
            &old,
            &new,
            &difference(r.old, r.new),
            &detail,
        ])?;
    }
    for l in &diff.lines {
        let (old, new) = (
            l.old.clone().unwrap_or_default(),
            l.new.clone().unwrap_or_default(),
        );
        let k = &l.key;
        f.record([
            "line",
            l.change.name(),
            &k.rep,
            &k.plan,
            &k.component,
            &k.period,
            &l.line,
            &l.deal_id,
            "",
            &old,
            &new,
            &text_difference(&l.old, &l.new),
            &line_detail(l),
        ])?;
    }
    for d in &diff.deals {
        let detail = deal_detail(d);
        f.record([
            "deal",
            d.change.name(),
            "",
            "",
            "",
            "",
            "",
            &d.deal_id,
            "",
            "",
            "",
            "",
            &detail,
        ])?;
    }
    for (path, change) in &diff.inputs {
        f.record([
            "input",
            change.name(),
            "",
            "",
            "",
            "",
            "",
            "",
            path,
            "",
            "",
            "",
            "",
        ])?;
    }
    for (path, problem) in &diff.outputs {
        f.record([
            "output",
            problem.name(),
            "",
            "",
            "",
            "",
            "",
            "",
            path,
            "",
            "",
            "",
            problem.describe(),
        ])?;
    }
    f.flush()?;
    Ok(())
}

fn fields_json(fields: &[FieldChange]) -> serde_json::Value {
    fields
        .iter()
        .map(|f| json!({"field": f.field, "old": f.old, "new": f.new}))
        .collect()
}

/// `{rows, lines, deals, inputs_changed, outputs}`, money as strings.
pub fn render_json(diff: &Diff, out: &mut dyn Write) -> anyhow::Result<()> {
    let rows: Vec<_> = diff
        .rows
        .iter()
        .map(|r| {
            json!({
                "rep_id": r.key.rep, "plan": r.key.plan, "component": r.key.component,
                "payout_period": r.key.period,
                "change": super::Change::of(&r.old, &r.new).name(),
                "old": r.old.map(|d| d.to_string()), "new": r.new.map(|d| d.to_string()),
                "difference": difference(r.old, r.new), "fields": fields_json(&r.fields),
            })
        })
        .collect();
    let lines: Vec<_> = diff
        .lines
        .iter()
        .map(|l| {
            json!({
                "rep_id": l.key.rep, "plan": l.key.plan, "component": l.key.component,
                "payout_period": l.key.period, "line": l.line, "deal_id": l.deal_id,
                "change": l.change.name(), "old": l.old, "new": l.new,
                "difference": text_difference(&l.old, &l.new),
                "formula": l.formula, "fields": fields_json(&l.fields),
            })
        })
        .collect();
    let deals: Vec<_> = diff
        .deals
        .iter()
        .map(|d| json!({"deal_id": d.deal_id, "change": d.change.name(), "fields": fields_json(&d.fields)}))
        .collect();
    let doc = json!({
        "rows": rows,
        "lines": lines,
        "deals": deals,
        "inputs_changed": diff.inputs.iter().map(|(p, c)| json!({"path": p, "change": c.name()})).collect::<Vec<_>>(),
        "outputs": diff.outputs.iter().map(|(p, o)| json!({"path": p, "problem": o.name(), "message": o.describe()})).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
