//! `payout insights` output: a table for people, CSV and JSON with every metric's numerator and
//! denominator for auditors.
//!
//! Invariants: rows keep the order of [`crate::insights::Insights::rows`] (groups by label, the
//! total last); CSV and JSON values are the exact ratio rounded half away from zero to 10 decimal
//! places (numerators and denominators are exact); a metric without a value is empty in CSV, `null`
//! in JSON and `n/a` in the table, with its reason.

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::format::{grouped, term_row};
use crate::csv_cell::RawFields;
use crate::insights::{Insights, Metric, Unit};

/// Places of a value in CSV and JSON.
pub const VALUE_PLACES: u32 = 10;

/// A value for machines: exact, rounded to [`VALUE_PLACES`], without trailing zeros.
pub fn machine(value: Decimal) -> String {
    machine_value(value).to_string()
}

/// [`machine`]'s value before it is written.
fn machine_value(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(VALUE_PLACES, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// A value for people: percentages with one decimal, money with two, days and hours with one.
pub fn human(unit: Unit, value: Decimal) -> String {
    let mut s = String::new();
    push_human(&mut s, unit, value);
    s
}

/// [`human`], appended to `out`.
fn push_human(out: &mut String, unit: Unit, value: Decimal) {
    use std::fmt::Write as _;
    let r = |v: Decimal, p| v.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero);
    // Writing to a String cannot fail.
    let _ = match unit {
        Unit::Ratio => write!(out, "{:.1}%", r(value * Decimal::ONE_HUNDRED, 1)),
        Unit::Money | Unit::MoneyPerDay => {
            crate::money::push_grouped(out, r(value, 2), 2);
            Ok(())
        }
        Unit::Days | Unit::Hours => write!(out, "{}", r(value, 1).normalize()),
        Unit::Count => write!(out, "{}", value.normalize()),
    };
}

/// A metric's name for people (the HTML report's cards): the id's words, with the ids whose words
/// alone would mislead spelled out. CSV, JSON and the table keep the ids.
pub fn title(metric: &str) -> String {
    let known = [
        ("reps_at_or_above_100", "Reps at or above 100% of quota"),
        ("win_rate_count", "Win rate (deals)"),
        ("win_rate_value", "Win rate (value)"),
        ("sales_cycle_median_days", "Sales cycle, median days"),
        ("lead_response_median_hours", "Lead response, median hours"),
        ("incentive_cost_of_sales", "Incentive cost of sales"),
        ("sales_velocity", "Sales velocity per day"),
    ];
    if let Some((_, t)) = known.iter().find(|(id, _)| *id == metric) {
        return t.to_string();
    }
    let words = metric.replace(['_', ':'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}

/// A numerator or denominator as a person reads it: money and other fractions to the cent, grouped
/// (the exact values are in CSV and JSON).
pub fn readable(v: Decimal) -> String {
    if v.fract().is_zero() {
        grouped(v, 0)
    } else {
        grouped(
            v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
            2,
        )
    }
}

/// [`detail`] for people: numerator and denominator by [`readable`].
pub fn readable_detail(m: &Metric) -> String {
    detail_with(m, readable)
}

/// What the table shows beside a value: `numerator / denominator` (and, for a value, what it is
/// from when that needs saying: `(as of ...)`), or the reason there is no value.
pub fn detail(m: &Metric) -> String {
    detail_with(m, short)
}

fn detail_with(m: &Metric, number: fn(Decimal) -> String) -> String {
    let parts = match (m.numerator, m.denominator) {
        (Some(n), Some(d)) => format!("{} / {}", number(n), number(d)),
        (None, Some(d)) => format!("of {}", number(d)),
        _ => String::new(),
    };
    match (&m.reason, m.value) {
        (Some(reason), None) => reason.clone(),
        (Some(note), Some(_)) => format!("{parts} ({note})"),
        (None, _) => parts,
    }
}

/// [`detail`], appended to `out`.
fn push_detail(out: &mut String, m: &Metric) {
    if let (Some(reason), None) = (&m.reason, m.value) {
        out.push_str(reason);
        return;
    }
    match (m.numerator, m.denominator) {
        (Some(n), Some(d)) => {
            push_short(out, n);
            out.push_str(" / ");
            push_short(out, d);
        }
        (None, Some(d)) => {
            out.push_str("of ");
            push_short(out, d);
        }
        _ => {}
    }
    if let Some(note) = &m.reason {
        out.push_str(" (");
        out.push_str(note);
        out.push(')');
    }
}

/// A numerator or denominator in the table: at most 6 decimal places (CSV and JSON keep them all).
fn short(v: Decimal) -> String {
    let mut s = String::new();
    push_short(&mut s, v);
    s
}

fn push_short(out: &mut String, v: Decimal) {
    use std::fmt::Write as _;
    let v = v.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
    // Writing to a String cannot fail.
    let _ = write!(out, "{}", v.normalize());
}

/// The table's cells of a metric: its group's labels, the metric, the value, the detail.
fn table_cells(m: &Metric) -> Vec<String> {
    let mut row = m.group.to_vec();
    row.push(m.metric.to_string());
    row.push(m.value.map_or("n/a".into(), |v| human(m.unit, v)));
    row.push(detail(m));
    row
}

pub fn render_table(insights: &Insights, mut out: impl Write) -> anyhow::Result<()> {
    let mut header: Vec<String> = insights.by.clone();
    header.extend(["Metric", "Value", "Numerator / denominator"].map(String::from));
    if plain_table(&header, insights, &mut out)? {
        return Ok(());
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let width = header.len();
    t.set_header(header);
    for m in &insights.rows {
        t.add_row(term_row(table_cells(m)));
    }
    if let Some(c) = t.column_mut(width - 2) {
        c.set_cell_alignment(CellAlignment::Right);
    }
    writeln!(out, "{t}")?;
    Ok(())
}

/// Append `n` spaces.
fn push_spaces(text: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        text.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Rows per block of the plain table (formatted in parallel).
const TABLE_BLOCK: usize = 4096;

/// The table as comfy_table draws it with `UTF8_FULL_CONDENSED` and the value column right-aligned,
/// written directly and in parallel (grouped by rep, a year is hundreds of thousands of rows).
/// Only for cells of printable ASCII, whose width is their length and which need no escaping:
/// returns false, having written nothing, when a cell is anything else.
fn plain_table(
    header: &[String],
    insights: &Insights,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    use rayon::prelude::*;
    let plain = |c: &str| c.bytes().all(|b| (0x20..0x7f).contains(&b));
    // Each block: its rows' cells joined by \x1f (not printable, so in no cell), and the widths.
    let blocks: Option<Vec<(String, Vec<usize>, usize)>> = insights
        .rows
        .par_chunks(TABLE_BLOCK)
        .map(|rows| {
            let mut text = String::with_capacity(rows.len() * 64);
            let mut widths = vec![0; header.len()];
            // Append a cell with `push`, note its width; None when it is not plain.
            let mut cell = |text: &mut String, i: usize, push: &dyn Fn(&mut String)| {
                let start = text.len();
                push(text);
                let c = &text[start..];
                widths[i] = widths[i].max(c.len());
                let ok = plain(c);
                text.push('\x1f');
                ok.then_some(())
            };
            for m in rows {
                let g = m.group.len();
                for (i, label) in m.group.iter().enumerate() {
                    cell(&mut text, i, &|t| t.push_str(label))?;
                }
                cell(&mut text, g, &|t| t.push_str(&m.metric))?;
                cell(&mut text, g + 1, &|t| match m.value {
                    Some(v) => push_human(t, m.unit, v),
                    None => t.push_str("n/a"),
                })?;
                cell(&mut text, g + 2, &|t| push_detail(t, m))?;
            }
            Some((text, widths, rows.len()))
        })
        .collect();
    let Some(blocks) = blocks.filter(|_| header.iter().all(|h| plain(h))) else {
        return Ok(false);
    };
    let mut widths: Vec<usize> = header.iter().map(String::len).collect();
    for (_, w, _) in &blocks {
        for (a, b) in widths.iter_mut().zip(w) {
            *a = (*a).max(*b);
        }
    }
    let right = header.len() - 2;
    let rule = |left: &str, fill: &str, mid: &str, end: &str| {
        let cols: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{left}{}{end}\n", cols.join(mid))
    };
    let line = |text: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        text.push('│');
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                text.push('┆');
            }
            let pad = w - cell.len();
            text.push(' ');
            if i == right {
                push_spaces(text, pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                push_spaces(text, pad);
            }
            text.push(' ');
        }
        text.push_str("│\n");
    };
    let mut head = rule("┌", "─", "┬", "┐");
    line(&mut head, &mut header.iter().map(String::as_str));
    head.push_str(&rule("╞", "═", "╪", "╡"));
    out.write_all(head.as_bytes())?;
    let columns = header.len();
    let rendered: Vec<String> = blocks
        .par_iter()
        .map(|(cells, _, rows)| {
            let mut text = String::with_capacity(cells.len() * 2);
            let mut all = cells.split('\x1f');
            for _ in 0..*rows {
                line(&mut text, &mut all.by_ref().take(columns));
            }
            text
        })
        .collect();
    for r in rendered {
        out.write_all(r.as_bytes())?;
    }
    out.write_all(rule("└", "─", "┴", "┘").as_bytes())?;
    Ok(true)
}

pub fn render_csv(insights: &Insights, mut out: impl Write) -> anyhow::Result<()> {
    let mut bytes = Vec::with_capacity(64 * (insights.rows.len() + 1));
    let mut f = RawFields::new(&mut bytes);
    let mut header: Vec<&str> = insights.by.iter().map(String::as_str).collect();
    header.extend([
        "metric",
        "unit",
        "value",
        "numerator",
        "denominator",
        "reason",
    ]);
    f.record(header)?;
    for m in &insights.rows {
        for g in m.group.iter() {
            f.text(g)?;
        }
        f.text(&m.metric)?;
        f.text(unit_name(m.unit))?;
        let numbers = [
            m.value.map(machine_value),
            m.numerator.map(|d| d.normalize()),
            m.denominator.map(|d| d.normalize()),
        ];
        for v in numbers {
            match v {
                // A normalised value at its own scale: its `Display` text, without the formatter.
                Some(v) => {
                    f.amount(v, v.scale())?;
                }
                None => f.empty()?,
            }
        }
        f.text(m.reason.as_deref().unwrap_or(""))?;
        f.end()?;
    }
    out.write_all(&bytes)?;
    Ok(())
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Ratio => "ratio",
        Unit::Money => "money",
        Unit::MoneyPerDay => "money_per_day",
        Unit::Days => "days",
        Unit::Hours => "hours",
        Unit::Count => "count",
    }
}

#[derive(Serialize)]
struct JsonInsights<'a> {
    period: String,
    currency: &'a str,
    by: &'a [String],
    metrics: Vec<JsonMetric<'a>>,
    needs: &'a [String],
}

#[derive(Serialize)]
struct JsonMetric<'a> {
    group: serde_json::Map<String, serde_json::Value>,
    metric: &'a str,
    unit: Unit,
    value: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    reason: Option<&'a str>,
}

pub fn render_json(insights: &Insights, mut out: impl Write) -> anyhow::Result<()> {
    let metrics = insights
        .rows
        .iter()
        .map(|m| JsonMetric {
            group: insights
                .by
                .iter()
                .zip(m.group.iter())
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
            metric: &m.metric,
            unit: m.unit,
            value: m.value.map(machine),
            numerator: m.numerator.map(|d| d.normalize().to_string()),
            denominator: m.denominator.map(|d| d.normalize().to_string()),
            reason: m.reason.as_deref(),
        })
        .collect();
    let doc = JsonInsights {
        period: insights.period.to_string(),
        currency: &insights.currency,
        by: &insights.by,
        metrics,
        needs: &insights.needs,
    };
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod people_tests {
    use super::*;

    #[test]
    fn titles_spell_out_the_ids_and_readable_numbers_are_grouped_to_the_cent() {
        assert_eq!(
            title("reps_at_or_above_100"),
            "Reps at or above 100% of quota"
        );
        assert_eq!(title("median_deal_size"), "Median deal size");
        assert_eq!(title("attainment:bookings"), "Attainment bookings");
        // 4,559,236.185314 → 4,559,236.19 (half away from zero); a whole count stays whole.
        assert_eq!(readable(Decimal::new(4559236185314, 6)), "4,559,236.19");
        assert_eq!(readable(Decimal::from(489120)), "489,120");
    }
}
