//! `payout estimate`: what a rep earns if hypothetical deals close (nothing is written).

use std::path::PathBuf;

use clap::Args;
use rust_decimal::Decimal;

use super::payments::Payments;
use super::{resolve_period, stdout_write, Format, Global};
use crate::data::Inputs;
use crate::diag::InvalidInput;
use crate::engine::{RunResult, Settings, Tracer};
use crate::money::{fmt_amount, fmt_percent};
use crate::report::format::attainment_pct;
use crate::report::whatif::{heads, money, render_csv, render_tables, Grid};
use crate::scenario::deals::{parse_deal_arg, DealText, Defaults};
use crate::scenario::estimate::{estimate, Estimate};
use crate::scenario::Runner;

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// The rep whose payout is estimated (an id of the roster).
    #[arg(long, value_name = "ID")]
    pub rep: String,
    /// Period: a month, quarter, half or year [default: the workspace's `period`].
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// A hypothetical deal, as `column=value,...` (canonical column names or the export's headers;
    /// `amount` is required). Repeatable.
    #[arg(long, value_name = "COLUMN=VALUE,...")]
    pub deal: Vec<String>,
    /// Hypothetical deals in a CSV file with the deals file's columns (any subset).
    #[arg(long, value_name = "FILE")]
    pub deals_file: Option<PathBuf>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The payment step of `payout run` as the estimator's runner.
impl Runner for Payments {
    fn run<'a>(
        &self,
        inputs: &'a Inputs,
        settings: Settings,
    ) -> Result<(RunResult, Option<Tracer<'a>>), InvalidInput> {
        self.compute_traced(inputs, settings)
    }
}

pub fn run(global: &Global, args: &EstimateArgs) -> anyhow::Result<i32> {
    let mut deals = Vec::new();
    for (i, text) in args.deal.iter().enumerate() {
        deals.push(parse_deal_arg(text, format!("--deal #{}", i + 1)).map_err(anyhow::Error::msg)?);
    }
    if let Some(file) = &args.deals_file {
        deals.extend(read_deals_file(file)?);
    }
    if deals.is_empty() {
        anyhow::bail!(
            "no hypothetical deal: pass --deal 'amount=...,close_date=...' or --deals-file FILE"
        );
    }
    let (ws, mut inputs, payments) = global.load_payments(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let rep = inputs
        .roster
        .find(&args.rep)
        .ok_or_else(|| anyhow::anyhow!("--rep: `{}` is not in {}", args.rep, inputs.roster.file))?;
    let settings = Settings {
        period,
        lines: false,
        credits: false,
        lenient: global.lenient,
    };
    let defaults = Defaults {
        rep,
        currency: &ws.currency,
        period,
        spec: &ws.deals,
    };
    let est = estimate(&mut inputs, &payments, settings, rep, &deals, &defaults)?;
    let places = ws.rounding.places;
    stdout_write(|out| match args.format {
        Format::Table => {
            writeln!(out, "{}", headline(&est, places))?;
            writeln!(out)?;
            render_tables(&grids(&est, places), out)
        }
        Format::Csv => render_csv(&csv_grid(&est, places), out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &est)?;
            writeln!(out)?;
            Ok(())
        }
    })?;
    Ok(0)
}

/// The deals of a what-if CSV file: each row's non-empty cells under their headers.
fn read_deals_file(file: &PathBuf) -> anyhow::Result<Vec<DealText>> {
    use anyhow::Context;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers()?.clone();
    let mut deals = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("reading {}", file.display()))?;
        let pairs = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(h, v)| (h.trim().to_string(), v.to_string()))
            .collect();
        deals.push(DealText {
            origin: format!("{}:{}", file.display(), i + 2),
            pairs,
        });
    }
    Ok(deals)
}

fn signed(value: Decimal, places: u32) -> String {
    let s = money(value, places);
    if value > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

fn opt(value: Option<Decimal>, places: u32) -> String {
    value.map(|v| money(v, places)).unwrap_or_default()
}

/// The changed lines whose change shows at the plan's places (a rounding line moving by a fraction
/// of a cent is left out of tables and CSV; the JSON has it).
fn shown_lines(
    e: &Estimate,
    places: u32,
) -> impl Iterator<
    Item = &crate::scenario::estimate::Change<
        crate::scenario::estimate::LineKey,
        crate::scenario::estimate::LineValues,
    >,
> {
    let shown = move |v: &Option<crate::scenario::estimate::LineValues>| {
        v.as_ref().map(|v| money(v.amount, places))
    };
    e.lines
        .iter()
        .filter(move |c| shown(&c.before) != shown(&c.after))
}

fn headline(e: &Estimate, places: u32) -> String {
    format!(
        "{} ({}), {}, with {}: payable {} -> {} ({})",
        e.rep_id,
        e.rep_name,
        e.period,
        e.deals.join(", "),
        money(e.payable_before, places),
        money(e.payable_after, places),
        signed(e.payable_after - e.payable_before, places)
    )
}

fn grids(e: &Estimate, places: u32) -> Vec<Grid> {
    let rows = e
        .rows
        .iter()
        .map(|c| {
            let b = c.before.clone().unwrap_or_default();
            let a = c.after.clone().unwrap_or_default();
            vec![
                c.key.component.clone(),
                c.key.payout_period.to_string(),
                money(b.measure_to_date, places),
                money(a.measure_to_date, places),
                attainment_pct(a.attainment),
                money(b.payable, places),
                money(a.payable, places),
                signed(a.payable - b.payable, places),
            ]
        })
        .collect();
    let lines = shown_lines(e, places)
        .map(|c| {
            let amount =
                |v: &Option<crate::scenario::estimate::LineValues>| v.as_ref().map(|v| v.amount);
            let after = c.after.as_ref().or(c.before.as_ref());
            vec![
                c.key.component.clone(),
                c.key.payout_period.to_string(),
                c.key.kind.to_string(),
                c.key.deal_id.clone(),
                c.key.tier.map(|t| t.to_string()).unwrap_or_default(),
                after
                    .map(|v| fmt_percent(v.rate))
                    .filter(|_| after.is_some_and(|v| !v.rate.is_zero()))
                    .unwrap_or_default(),
                opt(amount(&c.before), places),
                opt(amount(&c.after), places),
                signed(
                    amount(&c.after).unwrap_or_default() - amount(&c.before).unwrap_or_default(),
                    places,
                ),
            ]
        })
        .collect();
    let next = e
        .next_tiers
        .iter()
        .map(|n| {
            vec![
                n.component.clone(),
                n.measurement_period.to_string(),
                money(n.measure_to_date, places),
                format!("{} ({})", n.next_tier, fmt_percent(n.next_rate)),
                money(n.starts_at, places),
                format!(
                    "{}{}",
                    money(n.more_needed, places),
                    if n.inclusive { "" } else { " and more" }
                ),
            ]
        })
        .collect();
    vec![
        Grid {
            title: "Payable by component and payout period".into(),
            headers: heads(&[
                "Component",
                "Payout period",
                "Measure before",
                "Measure after",
                "Attainment after",
                "Payable before",
                "Payable after",
                "Change",
            ]),
            right: vec![2, 3, 4, 5, 6, 7],
            rows,
        },
        Grid {
            title: "Lines the deals add or change".into(),
            headers: heads(&[
                "Component",
                "Payout period",
                "Kind",
                "Deal",
                "Tier",
                "Rate",
                "Before",
                "After",
                "Change",
            ]),
            right: vec![4, 5, 6, 7, 8],
            rows: lines,
        },
        Grid {
            title: "Next tier".into(),
            headers: heads(&[
                "Component",
                "Measurement period",
                "Measure",
                "Next tier",
                "Starts at",
                "More needed",
            ]),
            right: vec![2, 4, 5],
            rows: next,
        },
    ]
}

/// Every row, line and next tier as one CSV (`section`: payable, line or next-tier).
fn csv_grid(e: &Estimate, places: u32) -> Grid {
    let mut rows = Vec::new();
    for c in &e.rows {
        let b = c.before.as_ref().map(|v| v.payable);
        let a = c.after.as_ref().map(|v| v.payable);
        rows.push(csv_row(
            "payable",
            &c.key.component,
            &c.key.payout_period.to_string(),
            "",
            "",
            "",
            b,
            a,
            places,
        ));
    }
    for c in shown_lines(e, places) {
        let b = c.before.as_ref().map(|v| v.amount);
        let a = c.after.as_ref().map(|v| v.amount);
        let tier = c.key.tier.map(|t| t.to_string()).unwrap_or_default();
        rows.push(csv_row(
            "line",
            &c.key.component,
            &c.key.payout_period.to_string(),
            c.key.kind,
            &c.key.deal_id,
            &tier,
            b,
            a,
            places,
        ));
    }
    for n in &e.next_tiers {
        let mut row = csv_row(
            "next-tier",
            &n.component,
            &n.measurement_period.to_string(),
            "",
            "",
            &n.next_tier.to_string(),
            Some(n.measure_to_date),
            Some(n.starts_at),
            places,
        );
        row[8] = fmt_amount(n.more_needed, places);
        rows.push(row);
    }
    Grid {
        title: String::new(),
        headers: heads(&[
            "section",
            "component",
            "period",
            "kind",
            "deal_id",
            "tier",
            "before",
            "after",
            "change",
        ]),
        right: vec![],
        rows,
    }
}

#[allow(clippy::too_many_arguments)]
fn csv_row(
    section: &str,
    component: &str,
    period: &str,
    kind: &str,
    deal: &str,
    tier: &str,
    before: Option<Decimal>,
    after: Option<Decimal>,
    places: u32,
) -> Vec<String> {
    let cell = |v: Option<Decimal>| v.map(|v| fmt_amount(v, places)).unwrap_or_default();
    vec![
        section.into(),
        component.into(),
        period.into(),
        kind.into(),
        deal.into(),
        tier.into(),
        cell(before),
        cell(after),
        fmt_amount(
            after.unwrap_or_default() - before.unwrap_or_default(),
            places,
        ),
    ]
}
