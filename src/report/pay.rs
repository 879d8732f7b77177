//! The pay-currency lines of a run: for each rep paid in another currency than their plan's (the
//! roster's `currency`) and each payout period, the period's payable in each plan currency
//! converted by [`crate::engine::pay_currency`], shown as its own statement line after the
//! components' (it changes no payable).
//!
//! Invariants: a conversion is computed for every (rep, payout period, plan currency) with a pay
//! currency of its own before any output is written, so a missing rate stops the run (exit 1,
//! `fx-rate-missing`) rather than a statement.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::summary::Row;
use crate::data::Inputs;
use crate::diag::{Diagnostic, InvalidInput};
use crate::engine::pay_currency::{convert, Conversion};
use crate::engine::RunResult;
use crate::workspace::Workspace;

/// The conversions of a run by statement (a rep's rows in one payout period, keyed by the `at` of
/// its first row), in the order of the plan currencies met.
#[derive(Default)]
pub struct PayLines(HashMap<[usize; 3], Vec<Conversion>>);

impl PayLines {
    /// Whether no statement has a conversion.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(Vec::is_empty)
    }

    /// The conversions of one statement (`rows`: its rows).
    pub fn of(&self, rows: &[Row]) -> &[Conversion] {
        rows.first()
            .and_then(|r| self.0.get(&r.at))
            .map_or(&[], Vec::as_slice)
    }
}

/// Convert the payables of every rep with a pay currency of their own (see the module's doc).
pub fn conversions(
    ws: &Workspace,
    inputs: &Inputs,
    run: &RunResult,
    rows: &[Row],
) -> Result<PayLines, InvalidInput> {
    let mut out = PayLines::default();
    let mut errors = Vec::new();
    // No row to convert (the usual roster): a large run's rows are not walked.
    if paid_in_plan_currency(inputs) {
        return Ok(out);
    }
    for statement in rows
        .chunk_by(|a, b| a.rep_id == b.rep_id && a.result.payout_period == b.result.payout_period)
    {
        let rep = inputs.roster.get(run.reps[statement[0].at[0]].rep);
        let mut totals: Vec<(&str, Decimal, crate::money::Rounding)> = Vec::new();
        for r in statement
            .iter()
            .filter(|r| !rep.currency.is_empty() && r.plan.currency != rep.currency)
        {
            match totals.iter_mut().find(|t| t.0 == r.plan.currency) {
                Some(t) => t.1 += r.result.payable,
                None => totals.push((&r.plan.currency, r.result.payable, r.plan.rounding)),
            }
        }
        let period = statement[0].result.payout_period;
        for (from, payable, rounding) in totals {
            let currencies = [from, rep.currency.as_str()];
            match convert(
                &inputs.fx,
                ws.pay_currency,
                payable,
                currencies,
                period,
                rounding,
            ) {
                Ok(c) => out.0.entry(statement[0].at).or_default().push(c),
                Err((currency, date)) => {
                    errors.push(missing(inputs, &rep.id, &rep.currency, &currency, date))
                }
            }
        }
    }
    match errors.is_empty() {
        true => Ok(out),
        false => Err(InvalidInput(errors)),
    }
}

/// Whether every rep is paid in their plans' currency (the roster gives none of its own, or the
/// plans' own): a run with no conversion.
pub fn paid_in_plan_currency(inputs: &Inputs) -> bool {
    (0..inputs.roster.len() as u32).all(|r| {
        let currency = &inputs.roster.get(r).currency;
        currency.is_empty() || inputs.plans.iter().all(|p| &p.currency == currency)
    })
}

/// `fx-rate-missing` for a pay conversion.
pub(crate) fn missing(
    inputs: &Inputs,
    rep: &str,
    pay: &str,
    currency: &str,
    date: chrono::NaiveDate,
) -> Diagnostic {
    let file = match inputs.fx.file.is_empty() {
        true => inputs.roster.file.clone(),
        false => inputs.fx.file.clone(),
    };
    Diagnostic::error(
        "fx-rate-missing",
        &file,
        format!("no {currency} rate on or before {date} to pay rep `{rep}` in {pay}"),
    )
    .value(currency)
    .hint(format!(
        "add a row `{currency},<date on or before {date}>,<rate>` to the fx file ([fx] in the workspace)"
    ))
}
