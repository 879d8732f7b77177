//! Pay currency: a rep paid in another currency than the plan's (the roster's `currency`) gets the
//! period's payable converted after settlement, a payment-side step that changes no payable: the
//! plan-currency amounts, their lines and the ledger stay as they are, and the converted amount is
//! shown beside them.
//!
//! Invariants: FX rates are units of the workspace currency per unit of a currency, so the
//! conversion goes through it in at most two legs, with no rounding between them: the payable ×
//! the plan currency's rate (unless the plan pays in the workspace currency) ÷ the pay currency's
//! rate (unless the rep is paid in the workspace currency). Paying the rep sells the plan currency
//! (its bid) and buys the pay currency (its ask); an amount the rep owes goes the other way; the
//! mid rate stands in where the FX file has no bid or ask. The result is rounded by the plan's
//! rounding (the payable itself is already rounded). The rates are the ones in force on the payout
//! period's last day, on the pay date, or the average of the rates in force on each of its days,
//! rounded to [`AVERAGE_PLACES`] decimals.

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
    /// The date of the rates (`None`: the average over the payout period).
    pub date: Option<NaiveDate>,
    /// The plan currency's rate, the payable is multiplied by (`None`: the plan pays in the
    /// workspace currency).
    pub sell: Option<Leg>,
    /// The pay currency's rate, the product is divided by (`None`: the rep is paid in the
    /// workspace currency).
    pub buy: Option<Leg>,
    /// What the rep is paid, in `to`.
    pub amount: Decimal,
}

/// One currency's rate in a conversion: units of the workspace currency per unit of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub currency: String,
    /// `ask`, `bid` or `rate` (the mid rate, where the FX file gives no bid or ask).
    pub side: &'static str,
    pub rate: Decimal,
}

/// Convert `payable` of payout period `period` from the plan currency `from` into `to` (see the
/// module's invariants), rounding by `rounding`. `Err`: the currency and date of a missing rate.
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
    // Paying the rep sells the plan currency and buys theirs; an amount the rep owes, the reverse.
    let paying = !payable.is_sign_negative();
    let leg = |currency: &str, buying: bool| -> Result<Option<Leg>, (String, NaiveDate)> {
        if currency == fx.base {
            return Ok(None);
        }
        let (side, rate) = rate(fx, currency, buying, date, period)?;
        Ok(Some(Leg {
            currency: currency.to_string(),
            side,
            rate,
        }))
    };
    let mut c = Conversion {
        from: from.to_string(),
        to: to.to_string(),
        payable,
        date,
        sell: leg(from, !paying)?,
        buy: leg(to, paying)?,
        amount: Decimal::ZERO,
    };
    c.amount = rounding.apply(c.at_rates(payable));
    Ok(c)
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
    /// `amount` of the plan currency at the conversion's rates, unrounded.
    pub fn at_rates(&self, amount: Decimal) -> Decimal {
        let sold = self.sell.as_ref().map_or(amount, |l| amount * l.rate);
        self.buy.as_ref().map_or(sold, |l| sold / l.rate)
    }

    /// The conversion as a formula, amounts with `places` decimals: `16.67 USD ÷ 1.2601 (GBP ask)
    /// = 13.23 GBP, rate of 2026-01-31`; from a plan in another currency than the workspace's,
    /// `100.00 EUR × 1.0845 (EUR bid) ÷ 1.2601 (GBP ask) = 86.07 GBP, rates of 2026-01-31`.
    pub fn describe(&self, places: u32) -> String {
        use crate::money::{fmt_amount, fmt_plain};
        let several = self.sell.is_some() && self.buy.is_some();
        let when = match (self.date, several) {
            (Some(d), false) => format!("rate of {d}"),
            (Some(d), true) => format!("rates of {d}"),
            (None, false) => "average rate of the payout period".to_string(),
            (None, true) => "average rates of the payout period".to_string(),
        };
        let mut s = format!("{} {}", fmt_amount(self.payable, places), self.from);
        for (op, leg) in [("×", &self.sell), ("÷", &self.buy)] {
            if let Some(l) = leg {
                s.push_str(&format!(
                    " {op} {} ({} {})",
                    fmt_plain(l.rate),
                    l.currency,
                    l.side
                ));
            }
        }
        format!(
            "{s} = {} {}, {when}",
            fmt_amount(self.amount, places),
            self.to
        )
    }
}
