//! `payout accrual` laid out: one row per rep and component on the measurement period containing
//! the run period's end — measure and attainment to date, the tier reached, what is earned to date,
//! what is payable of it, and the accrual (earned, not yet payable). As a table or as CSV.

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use super::format::{attainment_ratio, grouped, table_rate, table_tier, term};
use crate::csv_cell::Fields;
use crate::data::Inputs;
use crate::engine::accrual::Accrual;
use crate::money::{fmt_amount, fmt_attainment};
use crate::plan::ComponentKind;

/// The text cells of one row (the numbers are formatted where they are written).
struct Cells {
    rep_id: String,
    rep_name: String,
    plan: String,
    component: String,
    measurement_period: String,
    as_of: String,
    tier: String,
    rate: String,
    currency: String,
}

fn cells(inputs: &Inputs, a: &Accrual) -> Cells {
    let rep = inputs.roster.get(a.rep);
    let plan = &inputs.plans[a.plan];
    let comp = &plan.components[a.component];
    let (tier, rate) = match (&comp.kind, a.tier) {
        (ComponentKind::Commission(c), Some(i)) => (
            table_tier(&c.table, Some(i)),
            c.table
                .tiers
                .get(i)
                .map_or(String::new(), |t| match t.amount {
                    Some(x) => format!("{} per tier", fmt_amount(x, plan.rounding.places)),
                    None => table_rate(plan, &c.table, t.rate),
                }),
        ),
        _ => (String::new(), String::new()),
    };
    Cells {
        rep_id: rep.id.clone(),
        rep_name: rep.name.clone(),
        plan: plan.id.clone(),
        component: comp.id.clone(),
        measurement_period: a.measurement_period.to_string(),
        as_of: a.as_of.to_string(),
        tier,
        rate,
        currency: plan.currency.clone(),
    }
}

/// The measure to date, grouped: to the plan's places for money, as it is for units and counts.
fn measure_text(inputs: &Inputs, a: &Accrual) -> String {
    let plan = &inputs.plans[a.plan];
    if super::format::measure_is_money(inputs, plan, &plan.components[a.component]) {
        grouped(a.measure_to_date, plan.rounding.places)
    } else {
        grouped(a.measure_to_date, a.measure_to_date.normalize().scale())
    }
}

/// The header of the accrual CSV (and the keys of its JSON rows).
const HEADER: [&str; 15] = [
    "rep_id",
    "rep_name",
    "plan",
    "component",
    "measurement_period",
    "as_of",
    "measure_to_date",
    "quota",
    "attainment",
    "tier",
    "rate",
    "earned_to_date",
    "payable_to_date",
    "accrued",
    "currency",
];

/// One row's cells, in [`HEADER`]'s order.
fn record(inputs: &Inputs, a: &Accrual) -> [String; 15] {
    let c = cells(inputs, a);
    let plan = &inputs.plans[a.plan];
    let places = plan.rounding.places;
    // The measure and quota as payouts.csv prints them: money with the plan's places at least.
    let component = &plan.components[a.component];
    let measure_places = match super::format::measure_is_money(inputs, plan, component) {
        true => places,
        false => 0,
    };
    [
        c.rep_id,
        c.rep_name,
        c.plan,
        c.component,
        c.measurement_period,
        c.as_of,
        fmt_amount(a.measure_to_date, measure_places),
        a.quota
            .map_or(String::new(), |q| fmt_amount(q, measure_places)),
        attainment_ratio(a.attainment),
        c.tier,
        c.rate,
        fmt_amount(a.earned_to_date, places),
        fmt_amount(a.payable_to_date, places),
        fmt_amount(a.accrued, places),
        c.currency,
    ]
}

/// accrual CSV: one row per rep and component.
pub fn render_csv(inputs: &Inputs, rows: &[Accrual], out: impl Write) -> anyhow::Result<()> {
    let mut w = Fields::new(csv::Writer::from_writer(out));
    w.record(HEADER)?;
    for a in rows {
        let row = record(inputs, a);
        w.record(row.iter().map(String::as_str))?;
    }
    w.into_inner()?;
    Ok(())
}

/// accrual JSON: an array of objects keyed like the CSV's columns, every value a string (money
/// exact, as in the CSV).
pub fn render_json(inputs: &Inputs, rows: &[Accrual], out: impl Write) -> anyhow::Result<()> {
    super::csv_out::render_json_records(&HEADER, rows.iter().map(|a| record(inputs, a)), out)
}

/// The accrual table for people, with the totals of earned, payable and accrued per currency.
pub fn render_table(inputs: &Inputs, rows: &[Accrual], mut out: impl Write) -> anyhow::Result<()> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(vec![
        "Rep",
        "Name",
        "Component",
        "Measured",
        "As of",
        "To date",
        "Attainment",
        "Tier reached",
        "Rate",
        "Earned to date",
        "Payable to date",
        "Accrued",
    ]);
    let mut totals: std::collections::BTreeMap<String, [rust_decimal::Decimal; 3]> =
        Default::default();
    for a in rows {
        let c = cells(inputs, a);
        let places = inputs.plans[a.plan].rounding.places;
        let total = totals.entry(c.currency.clone()).or_default();
        total[0] += a.earned_to_date;
        total[1] += a.payable_to_date;
        total[2] += a.accrued;
        t.add_row(vec![
            term(&c.rep_id).into_owned(),
            term(&c.rep_name).into_owned(),
            term(&c.component).into_owned(),
            c.measurement_period,
            c.as_of,
            measure_text(inputs, a),
            if a.quota.is_some() {
                fmt_attainment(a.attainment)
            } else {
                String::new()
            },
            c.tier,
            c.rate,
            grouped(a.earned_to_date, places),
            grouped(a.payable_to_date, places),
            grouped(a.accrued, places),
        ]);
    }
    for (currency, total) in totals {
        let mut row = vec![format!("Total {currency}")];
        row.extend(std::iter::repeat_n(String::new(), 8));
        row.extend(total.map(|x| grouped(x, 2)));
        t.add_row(row);
    }
    for i in [5, 6, 9, 10, 11] {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{t}")?;
    Ok(())
}
