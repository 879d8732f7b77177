//! FX rates: units of the workspace currency per unit of another currency, effective from a date.
//! The workspace currency's own rate is 1; an amount in one currency is converted into another
//! (a plan in EUR crediting a deal in GBP) through it, at the cross rate
//! rate(from) ÷ rate(to), rounded to [`CROSS_PLACES`] decimals half away from zero (exact when
//! `to` is the workspace currency).
//!
//! A row may also give `bid` (what a unit of the currency fetches, converting out of it) and `ask`
//! (what a unit costs, converting into it); a rep's pay in another currency uses them where given,
//! the mid `rate` otherwise.
//!
//! Invariants: rates (bid and ask included) are positive; at most one rate per (currency, date); the rate for a date is the
//! latest one on or before it. A missing rate is reported by the engine, naming currency and date.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::parse_date;
use crate::diag::{Diagnostic, Diagnostics};
use crate::workspace::InputSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FxRate {
    pub date: NaiveDate,
    pub rate: Decimal,
    pub bid: Option<Decimal>,
    pub ask: Option<Decimal>,
    pub line: u64,
}

/// Decimals a rate into a currency other than the workspace's (a cross rate through it) is
/// rounded to, half away from zero.
pub const CROSS_PLACES: u32 = 6;

#[derive(Debug, Default)]
pub struct FxRates {
    pub file: String,
    /// The workspace currency, in which every rate is quoted.
    pub base: String,
    by_currency: HashMap<String, Vec<FxRate>>,
    pub info: Option<FileInfo>,
}

impl FxRates {
    /// No rates (the workspace has no fx file): only amounts in `base` need none.
    pub fn none(base: &str) -> FxRates {
        FxRates {
            base: base.to_string(),
            ..FxRates::default()
        }
    }

    /// The rate in force on `date`: the latest on or before it.
    pub fn rate_on(&self, currency: &str, date: NaiveDate) -> Option<FxRate> {
        let rates = self.by_currency.get(currency)?;
        let n = rates.partition_point(|r| r.date <= date);
        n.checked_sub(1).map(|i| rates[i])
    }

    /// Units of `to` per unit of `from` on `date` (mid rates): `Ok(None)` when they are the same
    /// currency, `Err(currency)` naming the currency that has no rate on or before `date`.
    pub fn cross(&self, from: &str, to: &str, date: NaiveDate) -> Result<Option<Decimal>, String> {
        if from == to {
            return Ok(None);
        }
        let mid = |c: &str| match c == self.base {
            true => Ok(Decimal::ONE),
            false => self
                .rate_on(c, date)
                .map(|r| r.rate)
                .ok_or_else(|| c.to_string()),
        };
        let (from_rate, to_rate) = (mid(from)?, mid(to)?);
        Ok(Some(match to == self.base {
            true => from_rate,
            false => (from_rate / to_rate).round_dp_with_strategy(
                CROSS_PLACES,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            ),
        }))
    }
}

/// Units of the workspace currency per unit of `plan`'s currency on `date` (the mid rate, exact;
/// 1 when the plan pays in the workspace currency): how a plan's amounts enter totals over plans
/// in several currencies. `Err`: `fx-rate-missing`, saying what needed it (`to count ...`).
pub fn plan_to_base(
    fx: &FxRates,
    plan: &crate::plan::Plan,
    date: NaiveDate,
    what: &str,
) -> Result<Decimal, Diagnostic> {
    match fx.cross(&plan.currency, &fx.base, date) {
        Ok(rate) => Ok(rate.unwrap_or(Decimal::ONE)),
        Err(currency) => {
            let file = match fx.file.is_empty() {
                true => plan.file.clone(),
                false => fx.file.clone(),
            };
            Err(Diagnostic::error(
                "fx-rate-missing",
                &file,
                format!(
                    "no {currency} rate on or before {date} {what} plan `{}`'s amounts in {}",
                    plan.id, fx.base
                ),
            )
            .value(currency.clone())
            .hint(format!(
                "add a row `{currency},<date on or before {date}>,<{} per {currency}>` to the fx file ([fx] in the workspace)",
                fx.base
            )))
        }
    }
}

/// Each plan's rate into the workspace currency on `date` (see [`plan_to_base`]), 1 for a plan
/// without one; `Err`: one `fx-rate-missing` per plan of `used` (plan indexes, in any order and
/// repeated) without a rate.
pub fn plans_to_base(
    fx: &FxRates,
    plans: &[crate::plan::Plan],
    used: impl IntoIterator<Item = usize>,
    date: NaiveDate,
    what: &str,
) -> Result<Vec<Decimal>, Vec<Diagnostic>> {
    let rates: Vec<_> = plans
        .iter()
        .map(|p| plan_to_base(fx, p, date, what))
        .collect();
    let mut used: Vec<usize> = used.into_iter().collect();
    used.sort_unstable();
    used.dedup();
    let missing: Vec<Diagnostic> = used
        .into_iter()
        .filter_map(|p| rates[p].as_ref().err().cloned())
        .collect();
    match missing.is_empty() {
        true => Ok(rates
            .into_iter()
            .map(|r| r.unwrap_or(Decimal::ONE))
            .collect()),
        false => Err(missing),
    }
}

pub fn read_fx(spec: &InputSpec, base: &str, diags: &mut Diagnostics) -> anyhow::Result<FxRates> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(FxRates::none(base));
    };
    let file = input.file.clone();
    let (c_cur, c_date, c_rate) = (
        input.position("currency").unwrap_or(0),
        input.position("date").unwrap_or(0),
        input.position("rate").unwrap_or(0),
    );
    let (c_bid, c_ask) = (input.position("bid"), input.position("ask"));
    let cells = Cells::of(&input);
    let mut fx = FxRates {
        file: file.clone(),
        base: base.to_string(),
        ..FxRates::default()
    };
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let currency = row.get(c_cur).to_string();
        if currency.is_empty() {
            diags.push(err("value-missing", c_cur, "the currency is empty".into()));
            return;
        }
        let date = parse_date(row.get(c_date), &spec.date_format)
            .map_err(|m| diags.push(err("date-invalid", c_date, m)))
            .ok();
        let side = |c: Option<usize>, diags: &mut Diagnostics| {
            let c = c?;
            let text = row.get(c);
            if text.is_empty() {
                return None;
            }
            match spec.number_format.parse(text) {
                Some(r) if r > Decimal::ZERO => Some(r),
                _ => {
                    diags.push(err(
                        "fx-rate-invalid",
                        c,
                        "a bid or ask must be a number greater than zero".into(),
                    ));
                    None
                }
            }
        };
        let (bid, ask) = (side(c_bid, diags), side(c_ask, diags));
        let rate = match spec.number_format.parse(row.get(c_rate)) {
            Some(r) if r > Decimal::ZERO => Some(r),
            Some(_) => {
                diags.push(err(
                    "fx-rate-invalid",
                    c_rate,
                    "an fx rate must be greater than zero".into(),
                ));
                None
            }
            None => {
                diags.push(err(
                    "amount-invalid",
                    c_rate,
                    format!("not {}", spec.number_format.describe()),
                ));
                None
            }
        };
        if currency == base && rate.is_some_and(|r| r != Decimal::ONE) {
            diags.push(
                err(
                    "fx-rate-invalid",
                    c_rate,
                    format!("{base} is the workspace currency, in which every rate is quoted: its own rate is 1"),
                )
                .hint(format!("remove the {base} rows, or quote every rate in {base}")),
            );
            return;
        }
        if let (Some(date), Some(rate)) = (date, rate) {
            fx.by_currency.entry(currency).or_default().push(FxRate {
                date,
                rate,
                bid,
                ask,
                line: row.line,
            });
        }
    })?;
    for (currency, rates) in fx.by_currency.iter_mut() {
        rates.sort_by_key(|r| (r.date, r.line));
        for pair in rates.windows(2) {
            if pair[0].date == pair[1].date {
                diags.push(
                    Diagnostic::error(
                        "fx-rate-duplicate",
                        &file,
                        format!(
                            "two rates for {currency} on {} (first on line {})",
                            pair[1].date, pair[0].line
                        ),
                    )
                    .line(pair[1].line),
                );
            }
        }
    }
    fx.info = Some(input.finish());
    Ok(fx)
}
