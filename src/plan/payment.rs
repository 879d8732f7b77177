//! Payment mechanics of a plan (`[payment]`): what happens between what a rep earned and what payroll
//! pays. A negative payable is carried forward as a balance (default) or deducted now; a draw
//! guarantees a minimum per payout period, recoverable or not.
//!
//! Invariants: every setting is validated here (amounts not negative, dates real, the draw's component
//! a component of the plan); the engine's payment step reads only this validated model.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::{Spanned, Value};

use super::payment_terms::{Clawback, Draw, Hold, NegativePayable, Payment};
use super::syntax::keyword;
use crate::diag::Diagnostics;
use crate::toml_src::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPayment {
    negative_payable: Option<Spanned<String>>,
    draw: Option<Spanned<RawDraw>>,
    clawback: Option<Spanned<RawClawback>>,
    hold: Option<Spanned<RawHold>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClawback {
    window_days: Spanned<u32>,
    reduce_attainment: Option<bool>,
    percent_of_paid: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHold {
    at_booking: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDraw {
    amount: Spanned<Value>,
    #[serde(default)]
    recoverable: bool,
    component: Option<Spanned<String>>,
    from: Spanned<Value>,
    to: Option<Spanned<Value>>,
    periods: Option<Spanned<u32>>,
    max_recovery: Option<Spanned<Value>>,
    forgive_on: Option<Spanned<Value>>,
    recover_from: Option<Spanned<Value>>,
}

fn date(
    src: &Source,
    v: &Spanned<Value>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<NaiveDate> {
    let text = match v.get_ref() {
        Value::Datetime(d) => d.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let parsed = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
    if parsed.is_none() {
        diags.push(
            src.error(
                "plan-date-invalid",
                v.span(),
                format!("{what} must be a date like 2026-03-01"),
            )
            .value(text),
        );
    }
    parsed
}

fn amount(
    src: &Source,
    v: &Spanned<Value>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Decimal> {
    let n = src
        .decimal(v, what, false)
        .map_err(|d| diags.push(d))
        .ok()?;
    if n < Decimal::ZERO {
        diags.push(src.error(
            "plan-number-negative",
            v.span(),
            format!("{what} must not be negative"),
        ));
        return None;
    }
    Some(n)
}

/// `draw.recover_from`: a date; only a recoverable draw has a balance to recover
/// (`plan-draw-recover-from` otherwise).
fn draw_recover_from(src: &Source, d: &RawDraw, diags: &mut Diagnostics) -> Option<NaiveDate> {
    let v = d.recover_from.as_ref()?;
    let from = date(src, v, "the draw's `recover_from`", diags)?;
    if !d.recoverable {
        diags.push(
            src.error(
                "plan-draw-recover-from",
                v.span(),
                "`recover_from` delays the recovery of a draw, but this draw is not recoverable: nothing is recovered",
            )
            .hint("set recoverable = true, or remove recover_from"),
        );
    }
    Some(from)
}

/// A share from 0% to 100% (`what` names the key in messages); `plan-number-negative` outside it.
fn share(
    src: &Source,
    v: &Spanned<toml::Value>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Decimal> {
    let f = src.decimal(v, what, true).map_err(|d| diags.push(d)).ok()?;
    if f < Decimal::ZERO || f > Decimal::ONE {
        diags.push(src.error(
            "plan-number-negative",
            v.span(),
            format!("{what} must be a share from 0% to 100%"),
        ));
        return None;
    }
    Some(f)
}

/// `clawback.percent_of_paid`: a share from 0% to 100% (`plan-number-negative` otherwise), default
/// 100%; a share of what was paid has no meaning when the cancelled deal leaves the measures
/// (`plan-clawback-percent`: set `reduce_attainment = false`).
fn clawback_percent(
    src: &Source,
    c: &Spanned<RawClawback>,
    diags: &mut Diagnostics,
) -> Option<Decimal> {
    let Some(v) = &c.get_ref().percent_of_paid else {
        return Some(Decimal::ONE);
    };
    let f = share(src, v, "the clawback's `percent_of_paid`", diags)?;
    if c.get_ref().reduce_attainment != Some(false) {
        diags.push(
            src.error(
                "plan-clawback-percent",
                v.span(),
                "`percent_of_paid` takes back a share of a cancelled deal's paid commission, but with `reduce_attainment` (the default) the deal leaves the measures and the true-up takes all of it back",
            )
            .hint("set reduce_attainment = false to keep attainment and take back this share of what was paid"),
        );
        return None;
    }
    Some(f)
}

/// Validate `[payment]`; `components` are the ids of the plan's components, in order.
pub(crate) fn parse_payment(
    src: &Source,
    raw: Option<&RawPayment>,
    components: &[String],
    diags: &mut Diagnostics,
) -> Payment {
    let Some(raw) = raw else {
        return Payment::default();
    };
    let negative_payable = keyword(
        src,
        &raw.negative_payable,
        "`negative_payable`",
        Some(NegativePayable::CarryForward),
        &[
            ("carry-forward", NegativePayable::CarryForward),
            ("deduct", NegativePayable::Deduct),
            ("floor", NegativePayable::Floor),
        ],
        diags,
    )
    .unwrap_or_default();
    let draw = raw.draw.as_ref().and_then(|d| {
        let line = src.line_col(d.span().start).0;
        let d = d.get_ref();
        let amount_v = amount(src, &d.amount, "the draw's `amount`", diags);
        let max_recovery = d
            .max_recovery
            .as_ref()
            .and_then(|v| amount(src, v, "the draw's `max_recovery`", diags));
        let from = date(src, &d.from, "the draw's `from`", diags);
        let to =
            d.to.as_ref()
                .and_then(|v| date(src, v, "the draw's `to`", diags));
        let forgive_on = d
            .forgive_on
            .as_ref()
            .and_then(|v| date(src, v, "the draw's `forgive_on`", diags));
        let component = match &d.component {
            None => components.first().map(|_| 0),
            Some(c) => {
                let found = components.iter().position(|id| id == c.get_ref().trim());
                if found.is_none() {
                    diags.push(
                        src.error(
                            "plan-value-unknown",
                            c.span(),
                            "the draw's `component` is not a component of the plan",
                        )
                        .value(c.get_ref().clone())
                        .hint(format!("use one of: {}", components.join(", "))),
                    );
                }
                found
            }
        };
        Some(Draw {
            amount: amount_v?,
            recoverable: d.recoverable,
            component: component?,
            from: from?,
            to,
            periods: d.periods.as_ref().map(|p| *p.get_ref()),
            max_recovery,
            forgive_on,
            recover_from: draw_recover_from(src, d, diags),
            line,
        })
    });
    let clawback = raw.clawback.as_ref().and_then(|c| {
        Some(Clawback {
            window_days: *c.get_ref().window_days.get_ref(),
            reduce_attainment: c.get_ref().reduce_attainment.unwrap_or(true),
            percent_of_paid: clawback_percent(src, c, diags)?,
            line: src.line_col(c.span().start).0,
        })
    });
    let hold = raw.hold.as_ref().and_then(|h| {
        let at_booking = match &h.get_ref().at_booking {
            None => Decimal::ZERO,
            Some(v) => share(src, v, "the hold's `at_booking`", diags)?,
        };
        Some(Hold {
            at_booking,
            line: src.line_col(h.span().start).0,
        })
    });
    Payment {
        negative_payable,
        draw,
        clawback,
        hold,
    }
}
