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

use super::csv_out::Fields;
use super::format::{grouped, term_row};
use crate::insights::{Insights, Metric, Unit};

/// Places of a value in CSV and JSON.
pub const VALUE_PLACES: u32 = 10;

/// A value for machines: exact, rounded to [`VALUE_PLACES`], without trailing zeros.
pub fn machine(value: Decimal) -> String {
    value
        .round_dp_with_strategy(VALUE_PLACES, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

/// A value for people: percentages with one decimal, money with two, days and hours with one.
pub fn human(unit: Unit, value: Decimal) -> String {
    let r = |v: Decimal, p| v.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero);
    match unit {
        Unit::Ratio => format!("{:.1}%", r(value * Decimal::ONE_HUNDRED, 1)),
        Unit::Money | Unit::MoneyPerDay => grouped(r(value, 2), 2),
        Unit::Days | Unit::Hours => r(value, 1).normalize().to_string(),
        Unit::Count => value.normalize().to_string(),
    }
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
    if let Some(reason) = &m.reason {
        return reason.clone();
    }
    match (m.numerator, m.denominator) {
        (Some(n), Some(d)) => format!("{} / {}", readable(n), readable(d)),
        (None, Some(d)) => format!("of {}", readable(d)),
        _ => String::new(),
    }
}

/// What the table shows beside a value: `numerator / denominator`, or `n/a (reason)`.
pub fn detail(m: &Metric) -> String {
    if let Some(reason) = &m.reason {
        return reason.clone();
    }
    match (m.numerator, m.denominator) {
        (Some(n), Some(d)) => format!("{} / {}", short(n), short(d)),
        (None, Some(d)) => format!("of {}", short(d)),
        _ => String::new(),
    }
}

/// A numerator or denominator in the table: at most 6 decimal places (CSV and JSON keep them all).
fn short(v: Decimal) -> String {
    v.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

pub fn render_table(insights: &Insights, mut out: impl Write) -> anyhow::Result<()> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut header: Vec<String> = insights.by.clone();
    header.extend(["Metric", "Value", "Numerator / denominator"].map(String::from));
    let width = header.len();
    t.set_header(header);
    for m in &insights.rows {
        let mut row = m.group.clone();
        row.push(m.metric.clone());
        row.push(m.value.map_or("n/a".into(), |v| human(m.unit, v)));
        row.push(detail(m));
        t.add_row(term_row(row));
    }
    if let Some(c) = t.column_mut(width - 2) {
        c.set_cell_alignment(CellAlignment::Right);
    }
    writeln!(out, "{t}")?;
    Ok(())
}

pub fn render_csv(insights: &Insights, out: impl Write) -> anyhow::Result<()> {
    let mut f = Fields::new(csv::Writer::from_writer(out));
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
        for g in &m.group {
            f.text(g)?;
        }
        f.text(&m.metric)?;
        f.text(unit_name(m.unit))?;
        for v in [
            m.value.map(machine),
            m.numerator.map(|d| d.normalize().to_string()),
            m.denominator.map(|d| d.normalize().to_string()),
        ] {
            match v {
                Some(v) => f.text(&v)?,
                None => f.empty()?,
            }
        }
        f.text(m.reason.as_deref().unwrap_or(""))?;
        f.end()?;
    }
    f.into_inner()?;
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
                .zip(&m.group)
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
