//! Pay currency: a rep paid in another currency than the plan's (the roster's `currency`) gets the
//! period's payable converted after settlement, a payment-side step that changes no payable: the
//! plan-currency amounts, their lines and the ledger stay as they are, and the converted amount is
//! shown beside them.
//!
//! Invariants: FX rates are units of the workspace currency (a plan's currency) per unit of a
//! currency, so the pay amount is the payable ÷ the pay currency's rate: its ask when the rep is
//! paid (buying the currency), its bid when the payable is negative (the rep owes it: selling), the
//! mid rate where the FX file has no bid or ask; the result is rounded by the plan's rounding (the
//! payable itself is already rounded). The rate is the one in force on the payout period's last
//! day, on the pay date, or the average of the rates in force on each of its days, rounded to
//! [`AVERAGE_PLACES`] decimals.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::data::FxRates;
use crate::money::Rounding;
use crate::period::Period;
use crate::workspace::{PayCurrency, RateDate};

/// Decimals an average rate is rounded to (half away from zero).
pub const AVERAGE_PLACES: u32 = 6;

/// A payable converted into the rep's pay currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub from: String,
    pub to: String,
    pub payable: Decimal,
    /// The date of the rate (`None`: the average over the payout period).
    pub date: Option<NaiveDate>,
    /// `ask` (paying the rep), `bid` (an amount the rep owes) or `rate` (the mid rate, where the FX
    /// file gives no bid or ask).
    pub side: &'static str,
    /// Units of `from` per unit of `to`.
    pub rate: Decimal,
    /// What the rep is paid, in `to`.
    pub amount: Decimal,
}

/// Convert `payable` of payout period `period` from the plan currency `from` (the workspace
/// currency, in which the FX file quotes every rate) into `to`, rounding by `rounding`. `Err`: the
/// currency and date of a missing rate.
pub fn convert(
    fx: &FxRates,
    rule: PayCurrency,
    payable: Decimal,
    [from, to]: [&str; 2],
    period: Period,
    rounding: Rounding,
) -> Result<Conversion, (String, NaiveDate)> {
    let date = match rule.rate_date {
        RateDate::PeriodEnd => Some(period.end()),
        RateDate::PayDate => Some(pay_date(period, rule.pay_days_after)),
        RateDate::Average => None,
    };
    // Paying the rep buys their currency (its ask); an amount the rep owes sells it (its bid).
    let buy = !payable.is_sign_negative();
    let (side, rate) = rate(fx, to, buy, date, period)?;
    let amount = rounding.apply(payable / rate);
    Ok(Conversion {
        from: from.to_string(),
        to: to.to_string(),
        payable,
        date,
        side,
        rate,
        amount,
    })
}

/// The pay date of a payout period: `days` after its last day.
pub fn pay_date(period: Period, days: u16) -> NaiveDate {
    let end = period.end();
    end.checked_add_days(Days::new(days.into())).unwrap_or(end)
}

/// The side and rate of `currency` for buying it (its ask) or selling it (its bid), the mid rate
/// where the FX file has no bid or ask; on `date`, or averaged over `period`.
fn rate(
    fx: &FxRates,
    currency: &str,
    buy: bool,
    date: Option<NaiveDate>,
    period: Period,
) -> Result<(&'static str, Decimal), (String, NaiveDate)> {
    let on = |d: NaiveDate| {
        let r = fx
            .rate_on(currency, d)
            .ok_or_else(|| (currency.to_string(), d))?;
        Ok(match (buy, r.bid, r.ask) {
            (false, Some(bid), _) => ("bid", bid),
            (true, _, Some(ask)) => ("ask", ask),
            _ => ("rate", r.rate),
        })
    };
    if let Some(d) = date {
        return on(d);
    }
    let (mut sum, mut days, mut side) = (Decimal::ZERO, 0u32, "rate");
    let mut d = period.start();
    while d <= period.end() {
        let (s, r) = on(d)?;
        // A day without bid or ask in an average of bids or asks: the mid rate is named.
        side = if days == 0 || side == s { s } else { "rate" };
        sum += r;
        days += 1;
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
    }
    let average = (sum / Decimal::from(days.max(1))).round_dp_with_strategy(
        AVERAGE_PLACES,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    Ok((side, average))
}

impl Conversion {
    /// The conversion as a formula, amounts with `places` decimals: `16.67 USD ÷ 1.2601 (GBP ask)
    /// = 13.23 GBP, rate of 2026-01-31`.
    pub fn describe(&self, places: u32) -> String {
        use crate::money::{fmt_amount, fmt_plain};
        let when = match self.date {
            Some(d) => format!("rate of {d}"),
            None => "average rate of the payout period".to_string(),
        };
        format!(
            "{} {} ÷ {} ({} {}) = {} {}, {when}",
            fmt_amount(self.payable, places),
            self.from,
            fmt_plain(self.rate),
            self.to,
            self.side,
            fmt_amount(self.amount, places),
            self.to
        )
    }
}
