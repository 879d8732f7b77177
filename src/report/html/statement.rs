//! A rep's statement for one payout period as a page people read and print: one self-contained
//! HTML file (the shared style sheet and a print style sheet inline, no script, nothing fetched),
//! rendered through a minijinja template, the embedded default or the user's.
//!
//! Invariants: every amount on the page is rounded by the plan's rounding (strategy and places;
//! the workspace's default when the plan has none), and every printed total is the sum of the
//! printed lines above it: when the rounded lines do not add up to the rounded payable, a
//! `Rounding` line holds the difference (the engine's own rounding lines are folded into it). The
//! exact values stay in the CSV statement and `payout explain`. Deals are named by the deals
//! file's `deal_name` column when it has one, else by their id. Every text is HTML-escaped by the
//! template engine.

use minijinja::{context, Environment, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::data::Inputs;
use crate::engine::pay_currency::Conversion;
use crate::engine::{Line, LineKind, RunResult};
use crate::money::{push_attainment, push_grouped, push_percent, Rounding};
use crate::report::format::LineTexts;
use crate::report::statement::{credit_kind, first_of_deal, BlockLines};
use crate::report::summary::Row;

/// The default template of the HTML statement.
pub const STATEMENT_TEMPLATE: &str = include_str!("statement.html");

/// The statement's own style rules (screen and print), after the shared style sheet.
pub const STATEMENT_STYLE: &str = include_str!("statement.css");

/// The deals column that names deals on the page (mapped like any canonical column:
/// `[deals.columns] deal_name = "Opportunity Name"`).
pub const DEAL_NAME: &str = "deal_name";

/// The template, parsed once and shared by every thread that renders statements.
pub struct Pages<'t> {
    env: Environment<'t>,
}

#[derive(Serialize)]
struct LineView {
    kind: &'static str,
    deal: String,
    deal_id: String,
    date: String,
    /// The deal's value in its currency, with the rate that converted it: `500.00 USD × 0.925926`.
    value: String,
    credit: String,
    share: String,
    /// The value credited to the rep, in the plan's currency.
    credited: String,
    tier: String,
    detail: String,
    amount: String,
}

#[derive(Serialize)]
struct ComponentView {
    id: String,
    facts: Vec<(String, String)>,
    lines: Vec<LineView>,
    total: String,
}

#[derive(Serialize)]
struct PlanView {
    name: String,
    id: String,
    currency: String,
    dates: String,
    rounding: String,
    components: Vec<ComponentView>,
}

#[derive(Serialize)]
struct PayView {
    currency: String,
    amount: String,
    formula: String,
}

/// What one statement reads.
pub struct Statement<'s, 'a> {
    pub inputs: &'s Inputs,
    pub run: &'s RunResult,
    pub rows: &'s [Row<'a>],
    pub lines: &'s [BlockLines<'s>],
    pub pay: &'s [Conversion],
}

impl<'t> Pages<'t> {
    /// The pages of `template`, or of the default template.
    pub fn new(template: Option<&'t str>) -> anyhow::Result<Pages<'t>> {
        let mut env = Environment::new();
        env.add_template("statement.html", template.unwrap_or(STATEMENT_TEMPLATE))
            .map_err(|e| anyhow::anyhow!("the statement template does not parse: {e}"))?;
        Ok(Pages { env })
    }

    /// The page of one statement (a rep's rows for one payout period, with their lines).
    pub fn render(&self, s: &Statement) -> anyhow::Result<String> {
        let Some(first) = s.rows.first() else {
            return Ok(String::new());
        };
        let deal_name = s.inputs.deals.column(DEAL_NAME);
        let mut texts = LineTexts::default();
        let mut plans: Vec<PlanView> = Vec::new();
        let mut totals: Vec<(String, Decimal, u32)> = Vec::new();
        let mut block = None;
        for (r, &lines) in s.rows.iter().zip(s.lines) {
            if block != Some((&r.plan.id, r.assignment)) {
                block = Some((&r.plan.id, r.assignment));
                plans.push(plan_view(r));
            }
            let (component, total) = component_view(s, r, lines, deal_name, &mut texts);
            add_total(&mut totals, &r.plan.currency, total, r.plan.rounding.places);
            if let Some(plan) = plans.last_mut() {
                plan.components.push(component);
            }
        }
        let places = first.plan.rounding.places;
        let pay: Vec<PayView> = s
            .pay
            .iter()
            .map(|c| PayView {
                currency: c.to.clone(),
                amount: grouped(c.amount, places),
                formula: c.describe(places),
            })
            .collect();
        let totals: Vec<Value> = totals
            .iter()
            .map(|(currency, total, places)| {
                context! { currency, amount => grouped(*total, *places) }
            })
            .collect();
        let ctx = context! {
            style => Value::from_safe_string(super::STYLE.to_string()),
            statement_style => Value::from_safe_string(STATEMENT_STYLE.to_string()),
            title => format!("Commission statement: {}, {}", first.rep_name, first.result.payout_period),
            rep_name => first.rep_name,
            rep_id => first.rep_id,
            period => first.result.payout_period.to_string(),
            plans,
            totals,
            pay,
        };
        self.env
            .get_template("statement.html")
            .and_then(|t| t.render(ctx))
            .map_err(|e| anyhow::anyhow!("cannot render the statement template: {e}"))
    }
}

/// Add a component's printed total to the statement's total in its currency.
fn add_total(
    totals: &mut Vec<(String, Decimal, u32)>,
    currency: &str,
    total: Decimal,
    places: u32,
) {
    match totals.iter_mut().find(|t| t.0 == currency) {
        Some(t) => {
            t.1 += total;
            t.2 = t.2.max(places);
        }
        None => totals.push((currency.to_string(), total, places)),
    }
}

fn grouped(value: Decimal, places: u32) -> String {
    let mut s = String::new();
    push_grouped(&mut s, value, places);
    s
}

/// The heading of a plan block.
fn plan_view(r: &Row) -> PlanView {
    let dates = match r.assignment {
        Some((from, Some(to))) => format!("from {from} to {to}"),
        Some((from, None)) => format!("from {from}"),
        None => String::new(),
    };
    PlanView {
        name: r.plan.name.clone(),
        id: r.plan.id.clone(),
        currency: r.plan.currency.clone(),
        dates,
        rounding: describe_rounding(r.plan.rounding),
        components: Vec::new(),
    }
}

/// How the page rounds, for people: "half away from zero to 2 decimals".
fn describe_rounding(rounding: Rounding) -> String {
    let strategy = rounding.strategy.to_string().replace('-', " ");
    format!("{strategy} to {} decimals", rounding.places)
}

/// The amounts of a block's lines as printed, and the rounding line (when not zero) that makes
/// them add up to the printed total: each line's amount and the payable rounded by `rounding`, the
/// rounding line the payable's printed value less the sum of the printed lines. `amounts` leaves
/// out the engine's rounding lines (their amount goes to the rounding line).
pub fn printed(
    amounts: &[Decimal],
    payable: Decimal,
    rounding: Rounding,
) -> (Vec<Decimal>, Option<Decimal>, Decimal) {
    let lines: Vec<Decimal> = amounts.iter().map(|&a| rounding.apply(a)).collect();
    let total = rounding.apply(payable);
    let rest = total - lines.iter().copied().sum::<Decimal>();
    (lines, Some(rest).filter(|r| !r.is_zero()), total)
}

/// One component's part of the page, and its printed total.
fn component_view(
    s: &Statement,
    r: &Row,
    lines: BlockLines,
    deal_name: Option<usize>,
    texts: &mut LineTexts,
) -> (ComponentView, Decimal) {
    let rounding = r.plan.rounding;
    let places = rounding.places;
    let shown: Vec<(&Line, bool)> = first_of_deal(lines)
        .filter(|(l, _)| l.kind != LineKind::Rounding)
        .collect();
    let amounts: Vec<Decimal> = shown.iter().map(|(l, _)| l.amount).collect();
    let (printed_lines, rounding_line, total) = printed(&amounts, r.result.payable, rounding);
    let mut views: Vec<LineView> = shown
        .iter()
        .zip(&printed_lines)
        .map(|(&(line, first), &amount)| line_view(s, r, (line, first), amount, deal_name, texts))
        .collect();
    if let Some(rest) = rounding_line {
        views.push(LineView {
            kind: "rounding",
            deal: String::new(),
            deal_id: String::new(),
            date: String::new(),
            value: String::new(),
            credit: String::new(),
            share: String::new(),
            credited: String::new(),
            tier: String::new(),
            detail: format!("to {places} decimals, so the lines add up to the payable"),
            amount: grouped(rest, places),
        });
    }
    let view = ComponentView {
        id: r.component.id.clone(),
        facts: facts(r),
        lines: views,
        total: grouped(total, places),
    };
    (view, total)
}

/// A line of the page.
fn line_view(
    s: &Statement,
    r: &Row,
    (line, first): (&Line, bool),
    amount: Decimal,
    deal_name: Option<usize>,
    texts: &mut LineTexts,
) -> LineView {
    let deals = &s.inputs.deals;
    let deal = line.credit.map(|c| c.deal as usize);
    let deal_id = deal.map(|d| deals.id(d).to_string()).unwrap_or_default();
    let name = deal
        .zip(deal_name)
        .map(|(d, column)| deals.columns[column].display(d))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| deal_id.clone());
    // A deal's later tier slices leave its credit to the first, like the other statements.
    let credited = line.credit.filter(|_| first || line.kind != LineKind::Deal);
    let credit = credited.map_or(String::new(), |c| credit_kind(s.inputs, s.run, &c));
    let share = credited.map_or(String::new(), |c| {
        let mut text = String::new();
        push_percent(&mut text, c.share);
        text
    });
    let priced = matches!(line.kind, LineKind::Deal | LineKind::Retro);
    let detail = match line.kind {
        LineKind::Retro => crate::report::format::retro_reading(r.plan, r.component, line),
        LineKind::Deal => match texts.base_times_rate(r.plan, r.component, line) {
            // What the rate applies to (a tier's slice of the credit), rounded like money when it
            // is money: `19,050.00 × 4%`.
            Some((places, rate)) => {
                let base = match places {
                    0 => line.base,
                    _ => r.plan.rounding.apply(line.base),
                };
                format!("{} × {rate}", grouped(base, places))
            }
            None => texts.rate(r.plan, r.component, line).to_string(),
        },
        _ => line.detail.as_deref().unwrap_or("").to_string(),
    };
    let (value, credited) = value_and_credited(s, r, line, first);
    LineView {
        kind: line.kind.name(),
        // The id beside a name; a deal shown by its id alone has it once.
        deal_id: if name != deal_id {
            deal_id
        } else {
            String::new()
        },
        deal: name,
        date: line.credit.map_or(String::new(), |c| c.date.to_string()),
        value,
        credit,
        share,
        credited,
        tier: match priced {
            true => texts.tier(r.component, line).to_string(),
            false => String::new(),
        },
        detail,
        amount: grouped(amount, r.plan.rounding.places),
    }
}

/// A deal's value and what it credits the rep, for the deal's first line (a deal crossing tiers
/// shows them once, like the CSV and Markdown statements): money rounded like the page's amounts,
/// the value in the deal's currency beside the rate that converted it (`500.00 USD × 0.925926`);
/// units and counts as they are. Empty for other lines.
fn value_and_credited(s: &Statement, r: &Row, line: &Line, first: bool) -> (String, String) {
    let Some(c) = line.credit.filter(|_| first) else {
        return Default::default();
    };
    let show = |v: Decimal| match r.money_measure {
        true => grouped(r.plan.rounding.apply(v), r.plan.rounding.places),
        false => grouped(v, 0),
    };
    let mut value = show(c.source_value);
    let currency = s.inputs.deals.currency(c.deal as usize);
    if r.money_measure && !currency.is_empty() {
        value = format!("{value} {currency}");
    }
    if let Some(rate) = c.fx_rate {
        value = format!("{value} × {}", grouped(rate, 0));
    }
    (value, show(c.credited))
}

/// A plan's name for something as a label a person reads: `new_logos` → `New logos`.
fn label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// The component's measure, quota, attainment, earned and paid, as label and value.
fn facts(r: &Row) -> Vec<(String, String)> {
    let p = r.result;
    let places = r.plan.rounding.places;
    let measure_places = r.measure_places();
    // A money measure (converted deal values) is rounded like money; units and counts as they are.
    let measure = |v: Decimal| match r.money_measure {
        true => grouped(r.plan.rounding.apply(v), measure_places),
        false => grouped(v, measure_places),
    };
    let mut out = vec![
        (
            "Measurement period".to_string(),
            p.measurement_period.to_string(),
        ),
        (
            format!("{} to date", label(r.measure_name())),
            measure(p.measure_to_date),
        ),
    ];
    if let Some(q) = p.quota() {
        out.push(("Quota".into(), measure(q.amount)));
        let mut attainment = String::new();
        push_attainment(&mut attainment, p.attainment());
        out.push(("Attainment".into(), attainment));
    }
    let round = |v: Decimal| grouped(r.plan.rounding.apply(v), places);
    out.push(("Earned to date".into(), round(p.earned_to_date)));
    out.push(("Paid before this period".into(), round(p.paid_to_date)));
    if r.closed {
        out.push((
            "Status".into(),
            "closed: the payable recorded in the ledger".into(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn printed_lines_add_up_with_a_rounding_line() {
        // 3 × 0.3333 = 0.9999 plus the engine's rounding 0.0001: payable 1.00. Printed: 0.33 × 3 =
        // 0.99, so a rounding line of 0.01 makes the printed lines add up to 1.00.
        let (lines, rest, total) = printed(
            &[d("0.3333"), d("0.3333"), d("0.3333")],
            d("1.00"),
            Rounding::default(),
        );
        assert_eq!(lines, vec![d("0.33"), d("0.33"), d("0.33")]);
        assert_eq!(rest, Some(d("0.01")));
        assert_eq!(total, d("1.00"));
    }

    #[test]
    fn no_rounding_line_when_the_lines_add_up() {
        // 16.6665 rounds half away from zero to 16.67, the payable.
        let (_, rest, total) = printed(&[d("16.6665")], d("16.67"), Rounding::default());
        assert_eq!((rest, total), (None, d("16.67")));
    }
}
