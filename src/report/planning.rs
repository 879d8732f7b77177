//! The planning commands' outputs: the quotas and territories files (in exactly the formats the
//! data layer reads back), and the reports people read (tables, explanations, balance).

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rust_decimal::Decimal;

use super::csv_out::Fields;
use super::format::{grouped, term_row};
use crate::planning::quotas::{fmt_pct4, QuotaPlan};

/// A table in the house style: never wrapped, numbers right-aligned from column `from`.
pub(crate) fn table(header: Vec<&str>, rows: Vec<Vec<String>>, from: usize) -> Table {
    let width = header.len();
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(header);
    for r in rows {
        t.add_row(term_row(r));
    }
    for i in from..width {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The quotas file: `rep_id,period,measure,amount`, reps then managers by id, periods in order.
pub fn render_quota_file(plan: &QuotaPlan) -> anyhow::Result<Vec<u8>> {
    let mut w = Fields::new(csv::Writer::from_writer(Vec::new()));
    w.record(["rep_id", "period", "measure", "amount"])?;
    let mut rows: Vec<(&str, &[(crate::period::Period, Decimal)])> = plan
        .reps
        .iter()
        .map(|r| (r.id.as_str(), r.rows.as_slice()))
        .chain(
            plan.managers
                .iter()
                .map(|(m, rows)| (m.id.as_str(), rows.as_slice())),
        )
        .collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    for (id, periods) in rows {
        for (p, amount) in periods {
            w.text(id)?;
            w.display(p)?;
            w.text(&plan.settings.measure)?;
            w.amount(*amount, 2)?;
            w.end()?;
        }
    }
    w.into_inner()
}

/// The quota report: a row per rep (quota, last year, attainment against it), totals against the
/// target, then how each quota was derived.
pub fn render_quota_report(plan: &QuotaPlan, mut out: impl Write) -> anyhow::Result<()> {
    let s = &plan.settings;
    writeln!(
        out,
        "quotas {} · measure {} · method {} · target {}",
        s.year,
        s.measure,
        s.method.name(),
        grouped(s.target, 2)
    )?;
    let rows = plan
        .reps
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.name.clone(),
                r.team.clone(),
                grouped(r.quota, 2),
                grouped(crate::planning::quotas::round2(r.history), 2),
                r.attainment.map(fmt_pct4).unwrap_or_default(),
            ]
        })
        .chain(std::iter::once(vec![
            "Total".to_string(),
            String::new(),
            String::new(),
            grouped(plan.total(), 2),
            grouped(
                crate::planning::quotas::round2(plan.reps.iter().map(|r| r.history).sum()),
                2,
            ),
            String::new(),
        ]))
        .collect();
    let header = vec![
        "Rep",
        "Name",
        "Team",
        "Quota",
        "Last year",
        "Last year ÷ quota",
    ];
    writeln!(out, "{}", table(header, rows, 3))?;
    writeln!(
        out,
        "sum of quotas {} against the target {}: over-assigned {}",
        grouped(plan.total(), 2),
        grouped(s.target, 2),
        fmt_pct4(plan.over_assignment())
    )?;
    for t in &plan.teams {
        writeln!(
            out,
            "team {}: {} (weight {}, unrounded {})",
            if t.team.is_empty() { "(none)" } else { &t.team },
            grouped(t.quota, 2),
            grouped(crate::planning::quotas::round2(t.weight), 2),
            grouped(crate::planning::quotas::round2(t.unrounded), 2)
        )?;
    }
    if let Some(p) = plan.productivity {
        writeln!(
            out,
            "productivity last year: {} per productive rep-month",
            grouped(crate::planning::quotas::round2(p), 2)
        )?;
    }
    for (id, why) in &plan.removed {
        writeln!(out, "removed: {id} ({why})")?;
    }
    for (m, rows) in &plan.managers {
        let total: Decimal = rows.iter().map(|r| r.1).sum();
        writeln!(
            out,
            "manager {} {}: {} (the sum of the rows of {} report(s))",
            m.id,
            m.name,
            grouped(total, 2),
            plan.reps
                .iter()
                .filter(|r| m.reports.contains(&r.id))
                .count()
        )?;
    }
    for r in &plan.reps {
        writeln!(out, "{} {}: {}", r.id, r.name, grouped(r.quota, 2))?;
        for line in &r.explain {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// One line of a `--compare`: a key (rep), what (measure, or territory count), old and new.
#[derive(Debug, Clone)]
pub struct Change {
    pub key: String,
    pub what: String,
    pub old: Decimal,
    pub new: Decimal,
}

/// The changes between two planning files, with a total per `what`.
pub fn render_changes(
    rows: &[Change],
    headers: (&str, &str),
    mut out: impl Write,
) -> anyhow::Result<()> {
    let mut totals: std::collections::BTreeMap<&str, (Decimal, Decimal)> = Default::default();
    let mut lines = Vec::new();
    for r in rows {
        let t = totals.entry(r.what.as_str()).or_default();
        t.0 += r.old;
        t.1 += r.new;
        lines.push(change_row(&r.key, &r.what, r.old, r.new));
    }
    for (what, (o, n)) in &totals {
        lines.push(change_row("Total", what, *o, *n));
    }
    let header = vec![headers.0, headers.1, "Old", "New", "Change", "Change %"];
    writeln!(out, "{}", table(header, lines, 2))?;
    let changed = rows.iter().filter(|r| r.old != r.new).count();
    writeln!(out, "{changed} of {} row(s) changed", rows.len())?;
    Ok(())
}

fn change_row(key: &str, what: &str, old: Decimal, new: Decimal) -> Vec<String> {
    let pct = if old.is_zero() {
        String::new()
    } else {
        fmt_pct4((new - old) / old)
    };
    vec![
        key.to_string(),
        what.to_string(),
        grouped(old, 2),
        grouped(new, 2),
        grouped(new - old, 2),
        pct,
    ]
}

/// The territories file: `territory,rep_id,from,to`, one row per account (by id), from `from`.
pub fn render_territory_file(
    b: &crate::planning::territories::Balance,
    from: chrono::NaiveDate,
) -> anyhow::Result<Vec<u8>> {
    let mut w = Fields::new(csv::Writer::from_writer(Vec::new()));
    w.record(["territory", "rep_id", "from", "to"])?;
    let from = from.to_string();
    for (a, &r) in b.accounts.iter().zip(&b.assigned) {
        w.record([a.id.as_str(), b.reps[r].id.as_str(), from.as_str(), ""])?;
    }
    w.into_inner()
}

/// The balance report: per rep before and after, the spread, the accounts moved, the bound.
pub fn render_balance(
    b: &crate::planning::territories::Balance,
    mut out: impl Write,
) -> anyhow::Result<()> {
    use crate::planning::territories::coefficient_of_variation as cv;
    let n = Decimal::from(b.reps.len().max(1));
    let mean: Decimal = b.after.iter().map(|l| l.potential).sum::<Decimal>() / n;
    let index = |p: Decimal| {
        if mean.is_zero() {
            String::new()
        } else {
            crate::planning::quotas::round2(p / mean).to_string()
        }
    };
    let rows = b
        .reps
        .iter()
        .zip(b.before.iter().zip(&b.after))
        .map(|(r, (x, y))| {
            vec![
                r.id.clone(),
                r.region.clone(),
                r.segment.clone(),
                x.accounts.to_string(),
                grouped(x.potential, 2),
                y.accounts.to_string(),
                grouped(y.potential, 2),
                crate::money::fmt_plain(y.workload),
                index(y.potential),
            ]
        })
        .collect();
    let header = vec![
        "Rep",
        "Region",
        "Segment",
        "Accounts before",
        "Potential before",
        "Accounts",
        "Potential",
        "Workload",
        "Index",
    ];
    writeln!(out, "{}", table(header, rows, 3))?;
    for (label, loads) in [("before", &b.before), ("after", &b.after)] {
        let min = loads.iter().map(|l| l.potential).min().unwrap_or_default();
        let max = loads.iter().map(|l| l.potential).max().unwrap_or_default();
        writeln!(
            out,
            "{label}: min {}, max {}, spread {}, coefficient of variation {:.4}",
            grouped(min, 2),
            grouped(max, 2),
            grouped(max - min, 2),
            cv(loads)
        )?;
    }
    let max = b.max_potential();
    let gap = if b.lower_bound.is_zero() {
        Decimal::ZERO
    } else {
        (max - b.lower_bound) / b.lower_bound
    };
    writeln!(
        out,
        "largest potential {}; lower bound {}; gap {} ({})",
        grouped(max, 2),
        grouped(crate::planning::quotas::round2(b.lower_bound), 2),
        grouped(crate::planning::quotas::round2(max - b.lower_bound), 2),
        fmt_pct4(gap)
    )?;
    let moved = b.moved();
    writeln!(
        out,
        "kept {} of {} owned accounts with their owner; {} account(s) assigned to a new rep",
        b.kept,
        b.owned,
        moved.len()
    )?;
    for (a, from, to) in moved {
        writeln!(out, "  {a}: {} -> {to}", from.unwrap_or("(no owner)"))?;
    }
    Ok(())
}

/// The capacity report: productivity, months required and available, and hires by start month.
pub fn render_capacity(
    c: &crate::planning::capacity::CapacityPlan,
    ramp: &[Decimal],
    mut out: impl Write,
) -> anyhow::Result<()> {
    use crate::planning::quotas::{fmt_plain4, round2};
    let steps: Vec<String> = ramp.iter().map(|r| crate::money::fmt_percent(*r)).collect();
    writeln!(
        out,
        "productivity: {} per productive rep-month (last year)",
        grouped(round2(c.productivity), 2)
    )?;
    writeln!(
        out,
        "required: {} ÷ {} = {} productive months",
        grouped(c.target, 2),
        grouped(round2(c.productivity), 2),
        fmt_plain4(c.required_months)
    )?;
    writeln!(
        out,
        "current staff: {} reps, {} productive months after attrition {} (× {})",
        c.reps,
        fmt_plain4(c.current_months),
        fmt_pct4(c.attrition),
        fmt_plain4(Decimal::ONE - c.attrition / Decimal::TWO)
    )?;
    writeln!(out, "gap: {} productive months", fmt_plain4(c.gap_months))?;
    let ramp_text = if steps.is_empty() {
        "no ramp".to_string()
    } else {
        format!("ramp {}", steps.join(", "))
    };
    let rows = c
        .by_start
        .iter()
        .map(|(m, h, n)| {
            vec![
                m.to_string(),
                fmt_plain4(*h),
                if *n == u32::MAX {
                    "-".to_string()
                } else {
                    grouped(Decimal::from(*n), 0)
                },
            ]
        })
        .collect();
    writeln!(
        out,
        "{}",
        table(vec!["Start", "Months per hire", "Hires needed"], rows, 1)
    )?;
    match c.latest_start {
        Some(m) if c.hires > 0 => writeln!(
            out,
            "hire {} by {m} ({ramp_text}) to close the gap",
            grouped(Decimal::from(c.hires), 0)
        )?,
        _ => writeln!(out, "no hire needed: current staff cover the target")?,
    }
    Ok(())
}
