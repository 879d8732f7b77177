//! Plan files: TOML → raw structs (`deny_unknown_fields`) → the validated [`Plan`] model.
//!
//! Invariants: every problem is a diagnostic naming the plan file, line and column; all problems of a
//! file are collected (not just the first); nothing here touches the file system.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::components::{parse_component, RawComponent};
use super::expr;
use super::measures::{parse_measure, RawMeasure};
use super::model::*;
use super::syntax::{granularity, keyword};
use crate::diag::{Diagnostic, Diagnostics};
use crate::money::{Rounding, Strategy};
use crate::toml_src::Source;
use rust_decimal::Decimal;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    id: Spanned<String>,
    formerly: Option<Vec<Spanned<String>>>,
    name: Option<String>,
    currency: Option<Spanned<String>>,
    rounding: Option<RawRounding>,
    #[serde(default)]
    measures: BTreeMap<String, Spanned<RawMeasure>>,
    #[serde(default)]
    components: Vec<Spanned<RawComponent>>,
    #[serde(default)]
    values: BTreeMap<String, Spanned<RawValue>>,
    cap: Option<Spanned<RawPlanCap>>,
    payment: Option<super::payment::RawPayment>,
    crediting: Option<Spanned<RawCrediting>>,
    proration: Option<Spanned<String>>,
    proration_day: Option<Spanned<Value>>,
    ramp: Option<Spanned<RawRamp>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrediting {
    by: Option<Spanned<String>>,
    rollup: Option<Spanned<String>>,
    /// Days after a rep's `end_date` whose deals are still credited to them (like
    /// `[payment.clawback] window_days`: a whole number, else `plan-syntax`).
    leaver_window_days: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRamp {
    schedule: Vec<Spanned<Value>>,
    #[serde(default)]
    target_incentive: bool,
}

/// A derived value: `name = "expression"` or `name = { expr = "...", money = true }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawValue {
    Expr(String),
    Full {
        expr: String,
        #[serde(default)]
        money: bool,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanCap {
    amount: Spanned<Value>,
    period: Spanned<String>,
}

/// Rounding settings, shared by plans and the workspace.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRounding {
    strategy: Option<Spanned<String>>,
    places: Option<Spanned<u32>>,
}

impl RawRounding {
    pub(crate) fn resolve(
        &self,
        src: &Source,
        default: Rounding,
        diags: &mut Diagnostics,
    ) -> Rounding {
        let mut r = default;
        if let Some(s) = &self.strategy {
            match s.get_ref().parse::<Strategy>() {
                Ok(st) => r.strategy = st,
                Err(()) => diags.push(
                    src.error(
                        "rounding-strategy-unknown",
                        s.span(),
                        "unknown rounding strategy",
                    )
                    .value(s.get_ref().clone())
                    .hint(format!("use one of: {}", Strategy::NAMES)),
                ),
            }
        }
        if let Some(p) = &self.places {
            if *p.get_ref() > 10 {
                diags.push(src.error(
                    "rounding-places-invalid",
                    p.span(),
                    "rounding places must be between 0 and 10",
                ));
            } else {
                r.places = *p.get_ref();
            }
        }
        r
    }
}

/// Settings a plan inherits from the workspace unless it sets its own.
#[derive(Debug, Clone)]
pub struct PlanDefaults {
    pub currency: String,
    pub rounding: Rounding,
}

/// Parse one plan file. `file` is the name used in diagnostics.
pub fn parse_plan(
    file: &str,
    text: &str,
    defaults: &PlanDefaults,
) -> Result<Plan, Vec<Diagnostic>> {
    let src = Source::new(file, text);
    let raw: RawPlan = src.deserialize("plan-syntax").map_err(|d| vec![d])?;
    let mut diags = Diagnostics::new();

    let id = raw.id.get_ref().trim().to_string();
    if id.is_empty() {
        diags.push(src.error(
            "plan-id-empty",
            raw.id.span(),
            "the plan id must not be empty",
        ));
    }
    let rounding = match &raw.rounding {
        Some(r) => r.resolve(&src, defaults.rounding, &mut diags),
        None => defaults.rounding,
    };
    let currency = match &raw.currency {
        Some(c) => c.get_ref().trim().to_string(),
        None => defaults.currency.clone(),
    };

    let mut measures = Vec::new();
    for (name, m) in &raw.measures {
        if let Some(measure) = parse_measure(&src, name, m, &mut diags) {
            measures.push(measure);
        }
    }
    let mut components: Vec<Component> = Vec::new();
    for c in &raw.components {
        if let Some(comp) = parse_component(&src, c, &raw.measures, &mut diags) {
            if components.iter().any(|o| o.id == comp.id) {
                diags.push(src.error(
                    "plan-component-duplicate",
                    c.get_ref().id.span(),
                    format!("component `{}` is defined twice", comp.id),
                ));
            }
            components.push(comp);
        }
    }
    super::renames::validate_component_renames(file, &components, &mut diags);
    let formerly = super::renames::parse_formerly(
        &src,
        raw.formerly.as_ref(),
        &format!("plan `{id}`"),
        &mut diags,
    );
    let mut values = Vec::new();
    for (name, v) in &raw.values {
        let (text, money) = match v.get_ref() {
            RawValue::Expr(e) => (e.clone(), false),
            RawValue::Full { expr, money } => (expr.clone(), *money),
        };
        let line = src.line_col(v.span().start).0;
        if raw.measures.contains_key(name) {
            diags.push(src.error(
                "plan-value-name",
                v.span(),
                format!("derived value `{name}` has the name of a measure; give it its own name"),
            ));
        }
        match expr::parse(&text) {
            Ok(e) => values.push(DerivedValue {
                name: name.clone(),
                line,
                expr: e,
                source: text,
                money,
            }),
            Err(e) => {
                let token: String = text
                    .chars()
                    .skip(e.offset)
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                diags.push(
                    src.error(
                        e.code,
                        v.span(),
                        format!("derived value `{name}`: {}", e.message),
                    )
                    .value(if token.is_empty() {
                        text.clone()
                    } else {
                        token
                    })
                    .hint(format!(
                        "in `{}` at character {}",
                        excerpt(&text, e.offset),
                        e.offset + 1
                    )),
                );
            }
        }
    }
    let cap = raw.cap.as_ref().and_then(|c| {
        let rc = c.get_ref();
        let amount = src
            .decimal(&rc.amount, "the plan cap's `amount`", false)
            .map_err(|d| diags.push(d))
            .ok()?;
        if amount.is_sign_negative() && !amount.is_zero() {
            diags.push(src.error(
                "plan-number-negative",
                rc.amount.span(),
                "the plan cap's `amount` must not be negative",
            ));
            return None;
        }
        let period = granularity(&src, &rc.period, &mut diags)?;
        Some(PlanCap {
            amount,
            period,
            line: src.line_col(c.span().start).0,
        })
    });
    if let Some(pc) = &cap {
        if let Some(c) = components
            .iter()
            .find(|c| c.payout_period.months() > pc.period.months())
        {
            diags.push(src.error(
                "plan-cap-period",
                raw.cap.as_ref().map_or(0..0, |c| c.span()),
                format!(
                    "the plan cap is per {}, but component `{}` is paid per {}",
                    pc.period, c.id, c.payout_period
                ),
            ));
        }
    }
    if let (Some(_), Some(c)) = (&cap, components.iter().find(|c| c.lifetime_cap.is_some())) {
        diags.push(
            src.error(
                "plan-lifetime-cap-plan-cap",
                raw.cap.as_ref().map_or(0..0, |c| c.span()),
                format!(
                    "component `{}` has a lifetime cap, and the plan a [cap]: the plan cap counts the payables before the lifetime cut, so a period both cut would be cut twice",
                    c.id
                ),
            )
            .hint("keep one of them: the plan's [cap] per period, or `lifetime_cap` on the component"),
        );
    }
    if let (Some(pc), Some(finest)) = (&cap, components.iter().map(|c| c.payout_period).min()) {
        components.push(Component {
            id: "plan-cap".to_string(),
            line: pc.line,
            measure: 0,
            measurement_period: pc.period,
            payout_period: finest,
            quota_measure: String::new(),
            kind: ComponentKind::PlanCap(pc.clone()),
            gate: None,
            multiplier: None,
            cap: None,
            lifetime_cap: None,
            formerly: Vec::new(),
        });
    }
    let crediting = parse_crediting(&src, raw.crediting.as_ref(), &mut diags);
    if crediting.rollup.is_none() {
        if let Some(m) = measures.iter().find(|m| m.credit != MeasureCredit::Own) {
            diags.push(
                Diagnostic::error(
                    "plan-rollup-missing",
                    file,
                    format!(
                        "measure `{}` reads team credit, but the plan does not roll up",
                        m.name
                    ),
                )
                .line(m.line)
                .hint("add `[crediting]` with `rollup = \"direct\"` (or \"subtree\") to the plan"),
            );
        }
    }
    let proration = keyword(
        &src,
        &raw.proration,
        "proration",
        Some(Proration::Days),
        &[
            ("days", Proration::Days),
            ("months", Proration::Months { day: PRORATION_DAY }),
            ("none", Proration::None),
        ],
        &mut diags,
    )
    .unwrap_or_default();
    let proration = with_proration_day(&src, proration, raw.proration_day.as_ref(), &mut diags);
    let ramp = raw.ramp.as_ref().and_then(|r| {
        let mut schedule = Vec::new();
        for v in &r.get_ref().schedule {
            let step = src
                .decimal(v, "a ramp step", true)
                .map_err(|d| diags.push(d))
                .ok()?;
            if step.is_sign_negative() || step > Decimal::ONE {
                diags.push(
                    src.error(
                        "plan-number-invalid",
                        v.span(),
                        "a ramp step is between 0% and 100%",
                    )
                    .hint("e.g. schedule = [\"25%\", \"50%\", \"75%\"]"),
                );
                return None;
            }
            schedule.push(step);
        }
        Some(Ramp {
            schedule,
            target_incentive: r.get_ref().target_incentive,
            line: src.line_col(r.span().start).0,
        })
    });
    if raw.components.is_empty() {
        diags.push(src.error(
            "plan-no-components",
            raw.id.span(),
            "the plan has no [[components]]: it would pay nothing",
        ));
    }
    if diags.has_errors() {
        return Err(diags.into_sorted());
    }
    let payment = {
        let ids: Vec<String> = components.iter().map(|c| c.id.clone()).collect();
        let mut found = Diagnostics::new();
        let p = super::payment::parse_payment(&src, raw.payment.as_ref(), &ids, &mut found);
        if found.has_errors() {
            return Err(found.into_sorted());
        }
        p
    };
    let warnings = diags.into_sorted();
    Ok(Plan {
        payment,
        warnings,
        name: raw.name.unwrap_or_else(|| id.clone()),
        id_line: src.line_col(raw.id.span().start).0,
        id,
        file: file.to_string(),
        file_name: file.to_string(),
        currency,
        rounding,
        measures,
        components,
        values,
        cap,
        crediting,
        proration,
        ramp,
        formerly,
    })
}

/// `proration_day` (1–28): the day of the month a rep must be on the plan for the month to count
/// with `proration = "months"`; an error with another proration, where it would mean nothing.
fn with_proration_day(
    src: &Source,
    proration: Proration,
    day: Option<&Spanned<Value>>,
    diags: &mut Diagnostics,
) -> Proration {
    let Some(v) = day else { return proration };
    let Proration::Months { .. } = proration else {
        diags.push(
            src.error(
                "plan-value-unknown",
                v.span(),
                "proration_day applies to proration = \"months\" only",
            )
            .hint("set proration = \"months\" or remove proration_day"),
        );
        return proration;
    };
    let day =
        src.decimal(v, "proration_day", false)
            .map_err(|d| diags.push(d))
            .ok()
            .and_then(|d| {
                u8::try_from(d)
                    .ok()
                    .filter(|n| (1..=28).contains(n) && d.fract().is_zero())
                    .or_else(|| {
                        diags.push(
                src.error(
                    "plan-number-invalid",
                    v.span(),
                    "proration_day is a day of the month from 1 to 28",
                )
                .hint("e.g. proration_day = 15 (a month counts when on the plan on its 15th)"),
            );
                        None
                    })
            });
    Proration::Months {
        day: day.unwrap_or(PRORATION_DAY),
    }
}

fn parse_crediting(
    src: &Source,
    spanned: Option<&Spanned<RawCrediting>>,
    diags: &mut Diagnostics,
) -> Crediting {
    let Some(raw) = spanned.map(|s| s.get_ref()) else {
        return Crediting::default();
    };
    let holder_of = raw.by.as_ref().and_then(|b| match b.get_ref().trim() {
        "owner" => None,
        "" => {
            diags.push(src.error("plan-value-unknown", b.span(), "unknown crediting `by`")
                .hint("use \"owner\", or the deals column whose holder is credited, e.g. \"territory\""));
            None
        }
        column => Some(column.to_string()),
    });
    let rollup = keyword(
        src,
        &raw.rollup,
        "roll-up",
        None,
        &[("direct", Rollup::Direct), ("subtree", Rollup::Subtree)],
        diags,
    );
    Crediting {
        holder_of,
        rollup,
        leaver_window_days: raw.leaver_window_days.as_ref().map_or(0, |d| *d.get_ref()),
        line: spanned.map_or(0, |s| src.line_col(s.span().start).0),
    }
}

/// An expression as a hint shows it: whole when short, else 30 characters either side of `offset`.
fn excerpt(text: &str, offset: usize) -> String {
    const SIDE: usize = 30;
    let count = text.chars().count();
    if count <= 2 * SIDE + 20 {
        return text.to_string();
    }
    let from = offset.saturating_sub(SIDE);
    let part: String = text.chars().skip(from).take(2 * SIDE).collect();
    let before = if from > 0 { "…" } else { "" };
    let after = if from + 2 * SIDE < count { "…" } else { "" };
    format!("{before}{part}{after}")
}
