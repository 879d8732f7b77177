//! Payroll rows: what payroll pays each employee on each pay date, per earnings code, from a
//! settled run's payables.
//!
//! Invariants: one row per employee, pay date, earnings code and currency; the rows of a rep sum to
//! the rep's payables in the run (rows of zero are left out), or, for a rep paid in another
//! currency, to the converted amounts of their statements; the pay date is the last day of the
//! payout period plus the workspace's `pay_days_after`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::data::{Inputs, Rep};
use crate::engine::pay_currency::convert;
use crate::engine::RunResult;
use crate::finance_settings::PayrollSettings;
use crate::money::Rounding;
use crate::period::Period;
use crate::workspace::PayCurrency;

/// One payroll row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayrollRow {
    pub employee_id: String,
    pub rep_id: String,
    pub name: String,
    pub pay_date: NaiveDate,
    /// The payout periods paid (joined with `+` when several share the row).
    pub period: String,
    pub earnings_code: String,
    /// The components paid (joined with `+` when several share the code).
    pub component: String,
    pub amount: Decimal,
    pub currency: String,
    pub places: u32,
}

/// A rate the conversion into a rep's pay currency lacks: the rep, the currency and the date.
#[derive(Debug)]
pub struct MissingRate {
    pub rep_id: String,
    pub currency: String,
    pub date: NaiveDate,
}

/// One rep's pay for one payout period in one plan currency, as its statement shows it: per
/// earnings code, the components and the amount.
struct Statement<'a> {
    pay_date: NaiveDate,
    period: Period,
    plan_currency: &'a str,
    rounding: Rounding,
    codes: BTreeMap<String, (String, Decimal)>,
}

/// The rows of a settled run. `employee_ids`: rep id → employee id (reps not in it are paid under
/// their rep id). A rep paid in another currency than the plan's (the roster's `currency`) is paid
/// in it: each statement's payable converted as the statement converts it (`rule`), shared over its
/// earnings codes, each converted at the statement's rate and rounded, the last code taking what
/// the rounding leaves, so a rep's rows sum to the statement's converted amount.
pub fn rows(
    settings: &PayrollSettings,
    inputs: &Inputs,
    run: &RunResult,
    employee_ids: &BTreeMap<String, String>,
    rule: PayCurrency,
) -> Result<Vec<PayrollRow>, MissingRate> {
    type Key = (String, NaiveDate, String, String);
    let mut by: BTreeMap<Key, PayrollRow> = BTreeMap::new();
    for (rep, statement) in statements(settings, inputs, run) {
        let employee_id = employee_ids
            .get(&rep.id)
            .filter(|e| !e.is_empty())
            .cloned()
            .unwrap_or_else(|| rep.id.clone());
        let paid_in = match rep.currency.as_str() {
            "" => statement.plan_currency,
            c => c,
        };
        let amounts =
            pay_amounts(inputs, &statement, paid_in, rule).map_err(|(currency, date)| {
                MissingRate {
                    rep_id: rep.id.clone(),
                    currency,
                    date,
                }
            })?;
        for (code, component, amount) in amounts {
            let key = (
                rep.id.clone(),
                statement.pay_date,
                code.clone(),
                paid_in.to_string(),
            );
            let row = by.entry(key).or_insert_with(|| PayrollRow {
                employee_id: employee_id.clone(),
                rep_id: rep.id.clone(),
                name: rep.name.clone(),
                pay_date: statement.pay_date,
                period: String::new(),
                earnings_code: code,
                component: String::new(),
                amount: Decimal::ZERO,
                currency: paid_in.to_string(),
                places: statement.rounding.places,
            });
            add_name(&mut row.period, &statement.period.to_string());
            for c in component.split('+') {
                add_name(&mut row.component, c);
            }
            row.amount += amount;
        }
    }
    Ok(by.into_values().filter(|r| !r.amount.is_zero()).collect())
}

/// Each rep's statements of the run (a payout period in one plan currency), in rep and period order.
fn statements<'a>(
    settings: &PayrollSettings,
    inputs: &'a Inputs,
    run: &RunResult,
) -> Vec<(&'a Rep, Statement<'a>)> {
    let mut by: BTreeMap<(u32, Period, &str), Statement> = BTreeMap::new();
    for r in &run.reps {
        let plan = &inputs.plans[r.plan];
        for c in &r.components {
            let component = &plan.components[c.component].id;
            let code = settings
                .earnings_codes
                .get(component)
                .cloned()
                .unwrap_or_else(|| component.clone());
            for p in c.periods.iter().filter(|p| p.in_run) {
                let period = p.payout_period;
                let statement = by
                    .entry((r.rep, period, plan.currency.as_str()))
                    .or_insert_with(|| Statement {
                        pay_date: period.end()
                            + chrono::Days::new(u64::from(settings.pay_days_after)),
                        period,
                        plan_currency: &plan.currency,
                        rounding: plan.rounding,
                        codes: BTreeMap::new(),
                    });
                let (components, amount) = statement.codes.entry(code.clone()).or_default();
                add_name(components, component);
                *amount += p.payable;
            }
        }
    }
    by.into_iter()
        .map(|((rep, _, _), s)| (inputs.roster.get(rep), s))
        .collect()
}

/// An earnings code's pay: the code, its components (`+`-joined) and the amount.
type CodePay = (String, String, Decimal);

/// A statement's amounts per earnings code in `paid_in`: as they are in the plan currency, or
/// converted (see [`rows`]).
fn pay_amounts(
    inputs: &Inputs,
    statement: &Statement,
    paid_in: &str,
    rule: PayCurrency,
) -> Result<Vec<CodePay>, (String, NaiveDate)> {
    let amounts = statement
        .codes
        .iter()
        .filter(|(_, (_, amount))| !amount.is_zero())
        .map(|(code, (components, amount))| (code.clone(), components.clone(), *amount));
    if paid_in == statement.plan_currency {
        return Ok(amounts.collect());
    }
    let total: Decimal = statement.codes.values().map(|(_, a)| *a).sum();
    let conversion = convert(
        &inputs.fx,
        rule,
        total,
        [statement.plan_currency, paid_in],
        statement.period,
        statement.rounding,
    )?;
    let mut out: Vec<CodePay> = amounts
        .map(|(code, components, amount)| {
            let converted = statement.rounding.apply(conversion.at_rates(amount));
            (code, components, converted)
        })
        .collect();
    let shared: Decimal = out.iter().map(|(_, _, a)| *a).sum();
    if let Some(last) = out.last_mut() {
        last.2 += conversion.amount - shared;
    }
    Ok(out)
}

/// Append `name` to a `+`-joined list unless it is there.
fn add_name(list: &mut String, name: &str) {
    if !list.split('+').any(|n| n == name) {
        if !list.is_empty() {
            list.push('+');
        }
        list.push_str(name);
    }
}
