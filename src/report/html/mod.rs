//! HTML reports: one self-contained file (styles inline, charts as inline SVG, no script, no
//! network) rendered through a minijinja template, the embedded default or the user's.
//!
//! Invariants: every value that reaches the page is escaped (the template is named `.html`, so
//! minijinja escapes by default; the SVG charts escape their own texts and are inserted as safe
//! markup); figures are formatted exactly as in the insights table.

pub mod grids;
pub mod statement;
pub mod svg;

use anyhow::Context;
use minijinja::{Environment, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use super::insights::{human, readable_detail, title};
use crate::insights::{Insights, Metric, Unit, ALL};
use svg::{Bar, Point, Polyline};

/// The default template of the insights report.
pub const INSIGHTS_TEMPLATE: &str = include_str!("insights.html");

/// The style sheet every page of payout shares, given to templates as `style`.
pub const STYLE: &str = include_str!("style.css");

/// The insights an HTML report is drawn from: the totals, and the same metrics by rep, by team and
/// by plan and rep.
pub struct Report<'a> {
    pub total: &'a Insights,
    pub by_rep: &'a Insights,
    pub by_team: &'a Insights,
    pub by_plan_rep: &'a Insights,
    /// Each plan's payout curve, drawn under its reps in the payout-against-attainment chart.
    pub curves: &'a [crate::insights::curves::PlanCurve],
}

#[derive(Serialize)]
struct Figure {
    /// The metric's id, as in CSV and JSON (stable for templates).
    id: String,
    /// Its name for people.
    name: String,
    value: String,
    detail: String,
}

fn figure(m: &Metric) -> Figure {
    Figure {
        id: m.metric.to_string(),
        name: title(&m.metric),
        value: m.value.map_or("n/a".into(), |v| human(m.unit, v)),
        detail: readable_detail(m),
    }
}

fn find<'a>(insights: &'a Insights, group: &[&str], metric: &str) -> Option<&'a Metric> {
    insights.rows.iter().find(|m| {
        m.metric == metric && m.group.iter().map(String::as_str).eq(group.iter().copied())
    })
}

/// The groups of a one-dimension insights, total left out, in order.
fn groups(insights: &Insights) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for m in &insights.rows {
        if let Some(g) = m.group.first().filter(|g| *g != ALL) {
            if out.last() != Some(&g.as_str()) {
                out.push(g);
            }
        }
    }
    out
}

fn bar(label: &str, m: Option<&Metric>) -> Bar {
    Bar {
        label: label.to_string(),
        value: m.and_then(|m| m.value),
        text: m.map_or("n/a".into(), |m| match (m.value, &m.reason) {
            (Some(v), _) => human(m.unit, v),
            (None, Some(r)) => format!("n/a ({r})"),
            (None, None) => "n/a".into(),
        }),
    }
}

const BANDS: [(&str, &str); 5] = [
    ("attainment_band_lt_50", "< 50%"),
    ("attainment_band_50_75", "50–75%"),
    ("attainment_band_75_100", "75–100%"),
    ("attainment_band_100_125", "100–125%"),
    ("attainment_band_ge_125", "≥ 125%"),
];

const KPIS: [&str; 10] = [
    "reps_at_or_above_100",
    "win_rate_count",
    "win_rate_value",
    "average_deal_size",
    "sales_cycle_median_days",
    "pipeline_coverage",
    "slip_rate",
    "lead_response_median_hours",
    "sales_velocity",
    "incentive_cost_of_sales",
];

fn leaderboard(r: &Report) -> String {
    let mut reps: Vec<(&str, Option<&Metric>)> = groups(r.by_rep)
        .into_iter()
        .map(|g| (g, find(r.by_rep, &[g], "attainment_median")))
        .filter(|(_, m)| m.is_some_and(|m| m.value.is_some()))
        .collect();
    reps.sort_by(|a, b| {
        let v = |x: &(&str, Option<&Metric>)| x.1.and_then(|m| m.value);
        v(b).cmp(&v(a)).then(a.0.cmp(b.0))
    });
    let bars: Vec<Bar> = reps.iter().map(|(g, m)| bar(g, *m)).collect();
    svg::hbars(&bars, Some((Decimal::ONE, "100%")))
}

fn per_rep(r: &Report, metric: &str) -> String {
    let bars: Vec<Bar> = groups(r.by_rep)
        .into_iter()
        .map(|g| bar(g, find(r.by_rep, &[g], metric)))
        .collect();
    svg::hbars(&bars, None)
}

fn coverage(r: &Report) -> String {
    let bars: Vec<Bar> = groups(r.by_team)
        .into_iter()
        .map(|g| {
            let mut b = bar(g, find(r.by_team, &[g], "pipeline_coverage"));
            if let Some(w) =
                find(r.by_team, &[g], "pipeline_coverage_weighted").and_then(|m| m.value)
            {
                b.text = format!("{} ({})", b.text, human(Unit::Ratio, w));
            }
            b
        })
        .collect();
    svg::hbars(&bars, Some((Decimal::ONE, "100%")))
}

fn payout_vs_attainment(r: &Report) -> String {
    let mut points = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for m in &r.by_plan_rep.rows {
        let [plan, rep] = &m.group[..] else {
            continue;
        };
        if plan == ALL || rep == ALL || seen.contains(&(plan.as_str(), rep.as_str())) {
            continue;
        }
        seen.push((plan, rep));
        let att = find(r.by_plan_rep, &[plan, rep], "attainment_median").and_then(|m| m.value);
        let pay = find(r.by_plan_rep, &[plan, rep], "payable").and_then(|m| m.value);
        if let (Some(x), Some(y)) = (att, pay) {
            points.push(Point {
                series: plan.clone(),
                x,
                y,
            });
        }
    }
    let x_end = points
        .iter()
        .map(|p| p.x)
        .fold(Decimal::new(125, 2), Decimal::max);
    let lines: Vec<Polyline> = r.curves.iter().map(|c| curve_line(c, x_end)).collect();
    svg::scatter_with_lines(&points, &lines, "attainment", "payable")
}

/// A plan's curve from 0 to `x_end` (rounded up to a quarter): every percent, and both sides of
/// each breakpoint (a retroactive tier or a step jumps there).
fn curve_line(c: &crate::insights::curves::PlanCurve, x_end: Decimal) -> Polyline {
    let quarter = Decimal::new(25, 2);
    let end = (x_end / quarter).ceil() * quarter;
    let step = Decimal::new(1, 2);
    let just_before = Decimal::new(1, 6);
    let mut xs: Vec<Decimal> = (0..)
        .map(|i| step * Decimal::from(i))
        .take_while(|x| *x <= end)
        .collect();
    for b in c.breakpoints().into_iter().filter(|b| *b <= end) {
        xs.push(b);
        xs.push((b - just_before).max(Decimal::ZERO));
    }
    xs.sort();
    xs.dedup();
    Polyline {
        series: c.plan.clone(),
        legend: format!(
            "{}: curve at the {} {}",
            c.plan,
            c.basis_name,
            super::format::grouped(c.basis.round_dp(0), 0)
        ),
        points: xs.into_iter().map(|x| (x, c.at(x))).collect(),
    }
}

/// The insights report as one HTML page; `template` replaces the default one.
pub fn render_insights_html(r: &Report, template: Option<&str>) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("insights.html", template.unwrap_or(INSIGHTS_TEMPLATE))
        .context("the HTML template does not parse")?;
    let total = |metric: &str| find(r.total, &[], metric);
    let distribution: Vec<Bar> = BANDS
        .iter()
        .map(|(m, label)| bar(label, total(m)))
        .collect();
    let ctx = minijinja::context! {
        style => Value::from_safe_string(STYLE.to_string()),
        title => "Sales insights",
        period => r.total.period.to_string(),
        currency => r.total.currency.clone(),
        needs => r.total.needs.clone(),
        kpis => KPIS.iter().filter_map(|k| total(k)).map(figure).collect::<Vec<_>>(),
        reps_with_quota => total("reps_at_or_above_100").and_then(|m| m.denominator).map(|d| d.to_string()),
        distribution => Value::from_safe_string(svg::columns(&distribution)),
        leaderboard => Value::from_safe_string(leaderboard(r)),
        win_rate => Value::from_safe_string(per_rep(r, "win_rate_count")),
        deal_size => Value::from_safe_string(per_rep(r, "average_deal_size")),
        coverage => Value::from_safe_string(coverage(r)),
        payout_vs_attainment => Value::from_safe_string(payout_vs_attainment(r)),
        metrics => r.total.rows.iter().map(figure).collect::<Vec<_>>(),
    };
    let page = env
        .get_template("insights.html")
        .and_then(|t| t.render(ctx))
        .context("cannot render the HTML template")?;
    Ok(page)
}
