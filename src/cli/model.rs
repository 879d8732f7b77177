//! `payout model`: the current plans and proposed plan sets on the same data, side by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use rust_decimal::Decimal;

use super::{resolve_period, stdout_write, Format, Global};
use crate::data::read_plan_set;
use crate::engine::Settings;
use crate::money::{fmt_amount, fmt_percent};
use crate::report::format::attainment_pct;
use crate::report::whatif::{heads, money, render_csv, render_tables, Grid};
use crate::scenario::model::{model, Model, Proposal};
use crate::workspace::PlanSource;

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Period to model: a month, quarter, half or year [default: the workspace's `period`].
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Reps on proposed plans: a CSV with `rep_id` and `plan` columns [default: each rep on the
    /// proposed plan with its current plan's id].
    #[arg(long, value_name = "FILE")]
    pub assign: Option<PathBuf>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(global: &Global, args: &ModelArgs) -> anyhow::Result<i32> {
    if global.plans.is_empty() {
        anyhow::bail!(
            "no proposed plans: pass --plans DIR (or FILE, or FILE,FILE), once per proposal"
        );
    }
    // The workspace's plans are the current ones: --plans names the proposals here.
    let current = Global {
        plans: Vec::new(),
        ..global.clone()
    };
    let (ws, mut inputs) = current.load(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let mut proposals = Vec::new();
    for path in &global.plans {
        let (plans, warnings) = read_plan_set(&ws, plan_source(path))?;
        if !global.quiet {
            super::print_diagnostics(&warnings);
        }
        proposals.push(Proposal {
            name: path.display().to_string(),
            plans,
        });
    }
    let assign = match &args.assign {
        Some(file) => read_assign(file)?,
        None => BTreeMap::new(),
    };
    let settings = Settings {
        period,
        lines: false,
        credits: false,
        lenient: global.lenient,
    };
    let m = model(&mut inputs, settings, &ws.currency, proposals, &assign)?;
    let places = ws.rounding.places;
    stdout_write(|out| match args.format {
        Format::Table => render_tables(&grids(&m, places), out),
        Format::Csv => render_csv(&csv_grid(&m, places), out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &m)?;
            writeln!(out)?;
            Ok(())
        }
    })?;
    Ok(0)
}

/// A folder, a file, or files separated by commas.
fn plan_source(path: &Path) -> PlanSource {
    let text = path.to_string_lossy();
    if path.is_dir() {
        PlanSource::Dir(path.to_path_buf())
    } else {
        PlanSource::Files(text.split(',').map(PathBuf::from).collect())
    }
}

/// rep id → plan id, from a CSV with `rep_id` and `plan` columns.
fn read_assign(file: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(file).with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: no `{name}` column (rep_id, plan are needed)",
                    file.display()
                )
            })
    };
    let (rep, plan) = (col("rep_id")?, col("plan")?);
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", file.display()))?;
        out.insert(
            record.get(rep).unwrap_or_default().trim().to_string(),
            record.get(plan).unwrap_or_default().trim().to_string(),
        );
    }
    Ok(out)
}

fn pct(r: Option<Decimal>) -> String {
    r.map(|r| fmt_percent(r.round_dp(4))).unwrap_or_default()
}

fn signed(value: Decimal, places: u32) -> String {
    let s = money(value, places);
    if value > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

fn grids(m: &Model, places: u32) -> Vec<Grid> {
    let names: Vec<&str> = std::iter::once("current")
        .chain(m.proposals.iter().map(|p| p.scenario.name.as_str()))
        .collect();
    let scenarios: Vec<&crate::scenario::model::Scenario> = std::iter::once(&m.current)
        .chain(m.proposals.iter().map(|p| &p.scenario))
        .collect();
    let mut totals = vec![
        vec!["payout".to_string()],
        vec!["change".to_string()],
        vec!["cost of sales".to_string()],
        vec!["top decile payout".to_string()],
    ];
    for s in &scenarios {
        totals[0].push(money(s.payout, places));
        totals[1].push(signed(s.payout - m.current.payout, places));
        totals[2].push(pct(s.cost_of_sales));
        totals[3].push(money(s.top_decile_payout, places));
    }
    let mut headers: Vec<String> = vec![String::new()];
    headers.extend(names.iter().map(|n| n.to_string()));
    let right: Vec<usize> = (1..=names.len()).collect();
    let mut grids = vec![Grid {
        title: format!(
            "Period {}: bookings {}",
            m.period,
            money(m.bookings, places)
        ),
        headers: headers.clone(),
        right: right.clone(),
        rows: totals,
    }];
    let bands = m
        .current
        .bands
        .iter()
        .enumerate()
        .filter(|(_, b)| b.reps > 0)
        .map(|(i, b)| {
            let reps = if b.reps == 1 { "rep" } else { "reps" };
            let mut row = vec![format!("{} ({} {reps})", b.band, b.reps)];
            row.extend(scenarios.iter().map(|s| money(s.bands[i].payout, places)));
            row
        })
        .collect();
    grids.push(Grid {
        title: "Payout by attainment band (current attainment)".into(),
        headers: headers.clone(),
        right: right.clone(),
        rows: bands,
    });
    let mut rep_headers = heads(&["Rep", "Bookings", "Attainment"]);
    rep_headers.extend(names.iter().map(|n| n.to_string()));
    let reps = (0..m.current.reps.len())
        .map(|i| {
            let c = &m.current.reps[i];
            let mut row = vec![
                c.rep_id.clone(),
                money(c.bookings, places),
                attainment_pct(c.attainment),
            ];
            row.extend(scenarios.iter().map(|s| money(s.reps[i].payout, places)));
            row
        })
        .collect();
    grids.push(Grid {
        title: "Payout by rep".into(),
        headers: rep_headers,
        right: (1..3 + names.len()).collect(),
        rows: reps,
    });
    for p in &m.proposals {
        let rows = p
            .gainers
            .iter()
            .chain(&p.losers)
            .map(|mv| {
                vec![
                    mv.rep_id.clone(),
                    money(mv.current, places),
                    money(mv.proposed, places),
                    signed(mv.change, places),
                ]
            })
            .collect();
        grids.push(Grid {
            title: format!("Who gains and loses most under {}", p.scenario.name),
            headers: heads(&["Rep", "Current", "Proposed", "Change"]),
            right: vec![1, 2, 3],
            rows,
        });
    }
    grids
}

/// One row per scenario and rep, then one per scenario for the total (rep_id `(total)`).
fn csv_grid(m: &Model, places: u32) -> Grid {
    let mut rows = Vec::new();
    let scenarios = std::iter::once(&m.current).chain(m.proposals.iter().map(|p| &p.scenario));
    for s in scenarios {
        for (r, c) in s.reps.iter().zip(&m.current.reps) {
            rows.push(vec![
                s.name.clone(),
                r.rep_id.clone(),
                r.plan.clone(),
                fmt_amount(r.bookings, places),
                r.attainment.map(|a| a.to_string()).unwrap_or_default(),
                r.band.to_string(),
                fmt_amount(r.payout, places),
                fmt_amount(r.payout - c.payout, places),
                r.cost_of_sales
                    .map(|x| x.round_dp(6).to_string())
                    .unwrap_or_default(),
            ]);
        }
        rows.push(vec![
            s.name.clone(),
            "(total)".into(),
            String::new(),
            fmt_amount(m.bookings, places),
            String::new(),
            String::new(),
            fmt_amount(s.payout, places),
            fmt_amount(s.payout - m.current.payout, places),
            s.cost_of_sales
                .map(|x| x.round_dp(6).to_string())
                .unwrap_or_default(),
        ]);
    }
    Grid {
        title: String::new(),
        headers: heads(&[
            "scenario",
            "rep_id",
            "plan",
            "bookings",
            "attainment",
            "band",
            "payout",
            "change",
            "cost_of_sales",
        ]),
        right: vec![],
        rows,
    }
}
