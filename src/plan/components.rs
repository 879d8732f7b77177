//! Plan components: `[[components]]` tables → validated [`Component`]s of every type (commission,
//! curve, bonus, spiff) with their modifiers (gate, multiplier, cap).
//!
//! Invariants: a key that belongs to another component type is an error (never silently ignored);
//! tiers are contiguous and sorted; curve points and bonus levels are sorted by attainment; every
//! measure a component, gate or multiplier names exists in the plan.

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::{Spanned, Value};

use super::measures::{parse_conditions, RawMeasure};
use super::model::*;
use super::syntax::{granularity, keyword};
use crate::diag::Diagnostics;
use crate::toml_src::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawComponent {
    pub(crate) id: Spanned<String>,
    formerly: Option<Vec<Spanned<String>>>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    measure: Spanned<String>,
    measurement_period: Spanned<String>,
    payout_period: Option<Spanned<String>>,
    quota: Option<Spanned<String>>,
    // commission
    method: Option<Spanned<String>>,
    basis: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    boundary: Option<Spanned<String>>,
    rate_type: Option<Spanned<String>>,
    rate: Option<Spanned<Value>>,
    tiers: Option<Vec<Spanned<RawTier>>>,
    rules: Option<Vec<Spanned<RawRule>>>,
    deal_cap: Option<Spanned<Value>>,
    deal_floor: Option<Spanned<Value>>,
    threshold: Option<Spanned<RawThreshold>>,
    tier_on: Option<Spanned<String>>,
    cap_by: Option<Spanned<RawCapBy>>,
    precedence: Option<Spanned<Vec<String>>>,
    // curve
    curve: Option<Vec<Spanned<RawPoint>>>,
    interpolation: Option<Spanned<String>>,
    weight: Option<Spanned<Value>>,
    target_incentive: Option<Spanned<Value>>,
    after: Option<Spanned<RawAfter>>,
    weights: Option<Spanned<BTreeMap<String, Spanned<Value>>>>,
    // bonus
    levels: Option<Vec<Spanned<RawLevel>>>,
    stacking: Option<Spanned<bool>>,
    // spiff
    amount: Option<Spanned<Value>>,
    from: Option<Spanned<Value>>,
    to: Option<Spanned<Value>>,
    // every type
    gate: Option<Spanned<RawGate>>,
    multiplier: Option<Spanned<RawMultiplier>>,
    cap: Option<Spanned<Value>>,
    lifetime_cap: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    from: Spanned<Value>,
    to: Option<Spanned<Value>>,
    rate: Option<Spanned<Value>>,
    amount: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    when: BTreeMap<String, Spanned<Value>>,
    rate: Option<Spanned<Value>>,
    tiers: Option<Vec<Spanned<RawTier>>>,
    amount: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    at: Spanned<Value>,
    #[serde(default)]
    catch_up: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    attainment: Spanned<Value>,
    payout: Spanned<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapBy {
    column: Spanned<String>,
    amount: Spanned<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAfter {
    slope: Spanned<Value>,
    max: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    attainment: Spanned<Value>,
    amount: Option<Spanned<Value>>,
    percent_of_ti: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    measure: Spanned<String>,
    quota: Option<Spanned<String>>,
    attainment: Spanned<Value>,
    #[serde(default)]
    catch_up: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMultiplier {
    measure: Spanned<String>,
    quota: Option<Spanned<String>>,
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    attainment: Spanned<Value>,
    factor: Spanned<Value>,
}

/// Parsing context for one component.
struct Ctx<'a, 'b> {
    src: &'a Source<'b>,
    id: String,
    measures: &'a BTreeMap<String, Spanned<RawMeasure>>,
}

impl Ctx<'_, '_> {
    fn line(&self, span: &Range<usize>) -> u64 {
        self.src.line_col(span.start).0
    }

    fn number(
        &self,
        v: &Spanned<Value>,
        what: &str,
        percent_ok: bool,
        diags: &mut Diagnostics,
    ) -> Option<Decimal> {
        self.src
            .decimal(v, what, percent_ok)
            .map_err(|d| diags.push(d))
            .ok()
    }

    fn non_negative(
        &self,
        v: &Spanned<Value>,
        what: &str,
        percent_ok: bool,
        diags: &mut Diagnostics,
    ) -> Option<Decimal> {
        let n = self.number(v, what, percent_ok, diags)?;
        if n < Decimal::ZERO {
            diags.push(self.src.error(
                "plan-number-negative",
                v.span(),
                format!("component `{}`: {what} must not be negative", self.id),
            ));
            return None;
        }
        Some(n)
    }

    /// A rate: never negative. Commission is taken back by credit notes (negative amounts reduce the
    /// measure) and by `[payment.clawback]`, never by a rate that earns less the more is sold.
    fn rate(
        &self,
        v: &Spanned<Value>,
        percent_ok: bool,
        diags: &mut Diagnostics,
    ) -> Option<Decimal> {
        let n = self.number(v, "a rate", percent_ok, diags)?;
        if n < Decimal::ZERO {
            diags.push(
                self.src
                    .error(
                        "plan-number-negative",
                        v.span(),
                        format!(
                            "component `{}`: a rate must not be negative (`{}` would earn a negative commission)",
                            self.id,
                            self.src.text.get(v.span()).unwrap_or_default().trim()
                        ),
                    )
                    .hint("to take commission back, use credit notes (negative deal amounts) or [payment.clawback]; to stop paying above a level, add a tier with rate 0"),
            );
            return None;
        }
        Some(n)
    }

    fn measure(&self, name: &Spanned<String>, diags: &mut Diagnostics) -> Option<usize> {
        let wanted = name.get_ref().trim();
        let found = self.measures.keys().position(|k| k == wanted);
        if found.is_none() {
            let known: Vec<&str> = self.measures.keys().map(String::as_str).collect();
            diags.push(
                self.src
                    .error(
                        "plan-measure-unknown",
                        name.span(),
                        format!("component `{}` uses an undefined measure", self.id),
                    )
                    .value(wanted.to_string())
                    .hint(if known.is_empty() {
                        "define it in a [measures.<name>] table".to_string()
                    } else {
                        format!("the plan defines: {}", known.join(", "))
                    }),
            );
        }
        found
    }

    fn date(
        &self,
        v: &Spanned<Value>,
        what: &str,
        diags: &mut Diagnostics,
    ) -> Option<chrono::NaiveDate> {
        let text = match v.get_ref() {
            Value::Datetime(d) => d.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let parsed = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
        if parsed.is_none() {
            diags.push(
                self.src
                    .error(
                        "plan-date-invalid",
                        v.span(),
                        format!("{what} must be a date like 2026-03-01"),
                    )
                    .value(text),
            );
        }
        parsed
    }
}

/// A key that only some component types take: its name, where it is set, the types that take it.
type KeyUse = (&'static str, Option<Range<usize>>, &'static [&'static str]);

/// The type-specific keys of a component and where each is set.
fn misplaced_keys(raw: &RawComponent) -> Vec<KeyUse> {
    const COMMISSION: &[&str] = &["commission"];
    vec![
        ("method", raw.method.as_ref().map(|x| x.span()), COMMISSION),
        ("basis", raw.basis.as_ref().map(|x| x.span()), COMMISSION),
        ("scope", raw.scope.as_ref().map(|x| x.span()), COMMISSION),
        (
            "boundary",
            raw.boundary.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        (
            "rate_type",
            raw.rate_type.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        ("rate", raw.rate.as_ref().map(|x| x.span()), COMMISSION),
        (
            "tiers",
            raw.tiers.as_ref().and_then(|v| v.first()).map(|x| x.span()),
            COMMISSION,
        ),
        (
            "rules",
            raw.rules.as_ref().and_then(|v| v.first()).map(|x| x.span()),
            COMMISSION,
        ),
        (
            "deal_cap",
            raw.deal_cap.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        (
            "deal_floor",
            raw.deal_floor.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        (
            "threshold",
            raw.threshold.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        (
            "tier_on",
            raw.tier_on.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        ("cap_by", raw.cap_by.as_ref().map(|x| x.span()), COMMISSION),
        (
            "precedence",
            raw.precedence.as_ref().map(|x| x.span()),
            COMMISSION,
        ),
        (
            "curve",
            raw.curve.as_ref().and_then(|v| v.first()).map(|x| x.span()),
            &["curve"],
        ),
        (
            "interpolation",
            raw.interpolation.as_ref().map(|x| x.span()),
            &["curve"],
        ),
        ("weight", raw.weight.as_ref().map(|x| x.span()), &["curve"]),
        ("after", raw.after.as_ref().map(|x| x.span()), &["curve"]),
        (
            "weights",
            raw.weights.as_ref().map(|x| x.span()),
            &["curve", "bonus"],
        ),
        (
            "target_incentive",
            raw.target_incentive.as_ref().map(|x| x.span()),
            &["curve", "bonus"],
        ),
        (
            "levels",
            raw.levels
                .as_ref()
                .and_then(|v| v.first())
                .map(|x| x.span()),
            &["bonus"],
        ),
        (
            "stacking",
            raw.stacking.as_ref().map(|x| x.span()),
            &["bonus"],
        ),
        ("amount", raw.amount.as_ref().map(|x| x.span()), &["spiff"]),
        ("from", raw.from.as_ref().map(|x| x.span()), &["spiff"]),
        ("to", raw.to.as_ref().map(|x| x.span()), &["spiff"]),
    ]
}

pub(crate) fn parse_component(
    src: &Source,
    c: &Spanned<RawComponent>,
    measures: &BTreeMap<String, Spanned<RawMeasure>>,
    diags: &mut Diagnostics,
) -> Option<Component> {
    let raw = c.get_ref();
    let id = raw.id.get_ref().trim().to_string();
    let cx = Ctx {
        src,
        id: id.clone(),
        measures,
    };
    let errors_before = diags.has_errors();
    let line = cx.line(&c.span());

    if id == "plan-cap" {
        diags.push(src.error(
            "plan-component-reserved",
            raw.id.span(),
            "`plan-cap` is the name of the plan cap's own row; choose another id",
        ));
    }
    let kind_name = raw
        .kind
        .as_ref()
        .map_or("commission", |k| k.get_ref().trim());
    if !["commission", "curve", "bonus", "spiff"].contains(&kind_name) {
        diags.push(
            src.error(
                "plan-component-type-unknown",
                raw.kind.as_ref().map_or(c.span(), |k| k.span()),
                "unknown component type",
            )
            .value(kind_name.to_string())
            .hint("the component types are: commission, curve, bonus, spiff"),
        );
        return None;
    }
    for (key, span, types) in misplaced_keys(raw) {
        let Some(span) = span else { continue };
        if !types.contains(&kind_name) {
            diags.push(src.error("plan-key-misplaced", span, format!(
                "component `{id}` is a {kind_name}, which takes no `{key}` (`{key}` belongs to: {})",
                types.join(", ")
            )));
        }
    }

    let measure = cx.measure(&raw.measure, diags);
    let measurement = granularity(src, &raw.measurement_period, diags);
    let payout = match &raw.payout_period {
        Some(p) => granularity(src, p, diags),
        None => measurement,
    };
    if let (Some(m), Some(p)) = (measurement, payout) {
        if p.months() > m.months() {
            diags.push(src.error(
                "plan-period-nesting",
                raw.payout_period.as_ref().map_or(raw.measurement_period.span(), |p| p.span()),
                format!("payout period ({p}) is longer than the measurement period ({m}); it must be equal or shorter"),
            ));
        }
    }
    let kind = match kind_name {
        "commission" => ComponentKind::Commission(parse_commission(&cx, c, diags)?),
        "curve" => {
            let curve = parse_curve(&cx, c, diags)?;
            lint_curve_after_flat(&cx, c, &curve, diags);
            ComponentKind::Curve(curve)
        }
        "bonus" => ComponentKind::Bonus(parse_bonus(&cx, c, diags)?),
        _ => ComponentKind::Spiff(parse_spiff(&cx, c, diags)?),
    };
    let gate = raw.gate.as_ref().and_then(|g| {
        let rg = g.get_ref();
        Some(Gate {
            measure: cx.measure(&rg.measure, diags)?,
            quota_measure: rg
                .quota
                .as_ref()
                .unwrap_or(&rg.measure)
                .get_ref()
                .trim()
                .to_string(),
            attainment: cx.non_negative(&rg.attainment, "a gate's attainment", true, diags)?,
            catch_up: rg.catch_up,
            line: cx.line(&g.span()),
        })
    });
    let multiplier = raw.multiplier.as_ref().and_then(|m| {
        let rm = m.get_ref();
        let mut steps = Vec::new();
        for s in &rm.steps {
            let a = cx.non_negative(
                &s.get_ref().attainment,
                "a multiplier step's attainment",
                true,
                diags,
            );
            let f = cx.non_negative(&s.get_ref().factor, "a multiplier factor", false, diags);
            steps.push((a?, f?));
        }
        if steps.is_empty() || !steps.windows(2).all(|w| w[0].0 < w[1].0) {
            diags.push(src.error(
                "plan-steps-order",
                m.span(),
                if steps.is_empty() {
                    format!("component `{id}`: a multiplier needs at least one step")
                } else {
                    format!("component `{id}`: multiplier steps must be listed by increasing attainment")
                },
            ));
        }
        Some(Multiplier {
            measure: cx.measure(&rm.measure, diags)?,
            quota_measure: rm
                .quota
                .as_ref()
                .unwrap_or(&rm.measure)
                .get_ref()
                .trim()
                .to_string(),
            steps,
            line: cx.line(&m.span()),
        })
    });
    let cap = raw
        .cap
        .as_ref()
        .and_then(|v| cx.non_negative(v, "`cap`", false, diags));
    let lifetime_cap = raw.lifetime_cap.as_ref().and_then(|v| {
        Some(LifetimeCap {
            amount: cx.non_negative(v, "`lifetime_cap`", false, diags)?,
            line: cx.line(&v.span()),
        })
    });
    if let (Some(cap), Some(life)) = (cap, lifetime_cap) {
        lint_lifetime_below_cap(&cx, raw, cap, life, diags);
    }
    if let (Some(cap), ComponentKind::Commission(c)) = (cap, &kind) {
        if multiplier.is_none() {
            lint_unreachable_tiers(src, &id, c, cap, diags);
        }
    }
    let formerly = super::renames::parse_formerly(
        src,
        raw.formerly.as_ref(),
        &format!("component `{id}`"),
        diags,
    );

    if diags.has_errors() && !errors_before {
        return None;
    }
    Some(Component {
        id,
        line,
        measure: measure?,
        measurement_period: measurement?,
        payout_period: payout?,
        quota_measure: raw
            .quota
            .as_ref()
            .unwrap_or(&raw.measure)
            .get_ref()
            .trim()
            .to_string(),
        kind,
        gate,
        multiplier,
        cap,
        lifetime_cap,
        formerly,
    })
}

/// A lifetime cap at or below the cap per measurement period: the period cap can never cut more
/// than the lifetime cap does; warn, the plan says something it does not do.
fn lint_lifetime_below_cap(
    cx: &Ctx,
    raw: &RawComponent,
    cap: Decimal,
    life: LifetimeCap,
    diags: &mut Diagnostics,
) {
    if life.amount > cap {
        return;
    }
    let span = raw.lifetime_cap.as_ref().map_or(0..0, |v| v.span());
    diags.push(
        cx.src
            .warning("plan-lifetime-cap-below-cap", span, format!(
                "component `{}`: the lifetime cap {} is not above the cap per measurement period {}: the period cap never changes what is paid",
                cx.id, crate::money::fmt_plain(life.amount), crate::money::fmt_plain(cap)
            ))
            .hint("a lifetime cap covers every period of the assignment: make it larger than one period's cap, or remove `cap`"),
    );
}

/// A tier that starts where the earning already reaches the component's cap can never pay: warn.
/// Checked where the earning at a breakpoint is known from the plan alone (breakpoints in amounts,
/// cumulative scope, no rules or per-deal tiers).
fn lint_unreachable_tiers(
    src: &Source,
    id: &str,
    c: &Commission,
    cap: Decimal,
    diags: &mut Diagnostics,
) {
    let t = &c.table;
    if t.basis != Basis::Amount
        || t.scope != Scope::Cumulative
        || !c.rules.is_empty()
        || c.tier_on.is_some()
    {
        return;
    }
    let mut earned_at_from = Decimal::ZERO;
    for (i, tier) in t.tiers.iter().enumerate() {
        if i > 0 {
            let prev = &t.tiers[i - 1];
            earned_at_from = match t.method {
                Method::Retroactive => tier.from.checked_mul(prev.rate).unwrap_or(Decimal::MAX),
                _ => earned_at_from
                    .checked_add(prev.amount.unwrap_or_else(|| {
                        (tier.from - prev.from)
                            .checked_mul(prev.rate)
                            .unwrap_or(Decimal::MAX)
                    }))
                    .unwrap_or(Decimal::MAX),
            };
            if earned_at_from >= cap {
                diags.push(
                    crate::diag::Diagnostic::warning("plan-tier-unreachable", src.file, format!(
                        "component `{id}`: tier {} starts at {} where {} is already earned, at or above the cap of {}: it can never pay",
                        i + 1, tier.from.normalize(), earned_at_from.normalize(), cap.normalize()
                    ))
                    .line(tier.line)
                    .hint("raise the cap, or remove the tiers above it"),
                );
                return;
            }
        }
    }
}

/// The table settings shared by a commission's default table and its rules.
#[derive(Clone, Copy)]
struct TableSettings {
    method: Option<Method>,
    method_given: bool,
    basis: Option<Basis>,
    basis_given: bool,
    scope: Scope,
    boundary: Boundary,
    rate_type: RateType,
    /// Whether the component tiers each deal on its own value (`tier_on`).
    tier_on: bool,
    /// `boundary = "closed"`: tiers are written closed at both ends ("0 to 5,000, 5,001 to ..."),
    /// read as to-inclusive tiers that each end where the next begins.
    closed: bool,
}

fn parse_commission(
    cx: &Ctx,
    c: &Spanned<RawComponent>,
    diags: &mut Diagnostics,
) -> Option<Commission> {
    let src = cx.src;
    let raw = c.get_ref();
    let settings = TableSettings {
        method: keyword(
            src,
            &raw.method,
            "method",
            None,
            &[
                ("flat", Method::Flat),
                ("marginal", Method::Marginal),
                ("retroactive", Method::Retroactive),
            ],
            diags,
        ),
        basis: keyword(
            src,
            &raw.basis,
            "basis",
            None,
            &[("attainment", Basis::Attainment), ("amount", Basis::Amount)],
            diags,
        ),
        basis_given: raw.basis.is_some(),
        method_given: raw.method.is_some(),
        scope: keyword(
            src,
            &raw.scope,
            "scope",
            Some(Scope::Cumulative),
            &[
                ("cumulative", Scope::Cumulative),
                ("transaction", Scope::Transaction),
            ],
            diags,
        )?,
        boundary: keyword(
            src,
            &raw.boundary,
            "boundary",
            Some(Boundary::FromInclusive),
            &[
                ("from-inclusive", Boundary::FromInclusive),
                ("to-inclusive", Boundary::ToInclusive),
                ("closed", Boundary::ToInclusive),
            ],
            diags,
        )?,
        closed: raw
            .boundary
            .as_ref()
            .is_some_and(|b| b.get_ref().trim() == "closed"),
        rate_type: keyword(
            src,
            &raw.rate_type,
            "rate_type",
            Some(RateType::Percent),
            &[
                ("percent", RateType::Percent),
                ("per-unit", RateType::PerUnit),
            ],
            diags,
        )?,
        tier_on: raw.tier_on.is_some(),
    };
    let has_rules = raw.rules.as_ref().is_some_and(|r| !r.is_empty());
    let table = if raw.rate.is_none() && raw.tiers.is_none() && has_rules {
        // Rules without a default: a deal no rule matches earns nothing (and is reported).
        RateTable {
            method: settings.method.unwrap_or(Method::Flat),
            basis: settings.basis.unwrap_or(Basis::Amount),
            scope: settings.scope,
            boundary: settings.boundary,
            rate_type: settings.rate_type,
            tiers: Vec::new(),
        }
    } else {
        parse_table(cx, c.span(), &raw.rate, &raw.tiers, settings, diags)?
    };
    let mut rules = Vec::new();
    for r in raw.rules.iter().flatten() {
        let rr = r.get_ref();
        let when = parse_conditions(src, &rr.when, diags)?;
        let (rule_table, per_deal) = match &rr.amount {
            Some(a) => rule_per_deal(cx, r, a, settings, diags)?,
            None => (
                parse_table(cx, r.span(), &rr.rate, &rr.tiers, settings, diags)?,
                None,
            ),
        };
        rules.push(Rule {
            line: cx.line(&r.span()),
            when,
            table: rule_table,
            per_deal,
        });
    }
    let threshold = raw.threshold.as_ref().and_then(|t| {
        let rt = t.get_ref();
        let at = cx.non_negative(&rt.at, "a threshold", table.basis == Basis::Attainment, diags)?;
        if !rt.catch_up && table.method == Method::Retroactive {
            diags.push(src.error("plan-threshold-retroactive", t.span(), format!(
                "component `{}`: a threshold without catch-up has no meaning under retroactive tiers", cx.id
            )).hint("set catch_up = true, or use method = \"marginal\""));
        }
        Some(Threshold { at, catch_up: rt.catch_up, line: cx.line(&t.span()) })
    });
    lint_precedence(cx, raw, &rules, diags);
    let tier_on = raw.tier_on.as_ref().map(|t| t.get_ref().trim().to_string());
    if tier_on.is_some() && table.basis == Basis::Attainment {
        diags.push(src.error("plan-tier-on-basis", raw.tier_on.as_ref().map_or(c.span(), |t| t.span()), format!(
            "component `{}`: with `tier_on`, breakpoints are values of that column: set basis = \"amount\"", cx.id
        )));
    }
    Some(Commission {
        table,
        rules,
        deal_cap: raw
            .deal_cap
            .as_ref()
            .and_then(|v| cx.non_negative(v, "`deal_cap`", false, diags)),
        deal_floor: raw
            .deal_floor
            .as_ref()
            .and_then(|v| cx.non_negative(v, "`deal_floor`", false, diags)),
        threshold,
        tier_on,
        precedence: raw
            .precedence
            .as_ref()
            .map(|p| p.get_ref().iter().map(|c| c.trim().to_string()).collect())
            .unwrap_or_default(),
        cap_by: match &raw.cap_by {
            Some(c) => Some(DimensionCap {
                column: c.get_ref().column.get_ref().trim().to_string(),
                amount: cx.non_negative(&c.get_ref().amount, "`cap_by.amount`", false, diags)?,
                line: cx.line(&c.span()),
            }),
            None => None,
        },
    })
}

fn parse_table(
    cx: &Ctx,
    span: Range<usize>,
    rate: &Option<Spanned<Value>>,
    tiers: &Option<Vec<Spanned<RawTier>>>,
    settings: TableSettings,
    diags: &mut Diagnostics,
) -> Option<RateTable> {
    let src = cx.src;
    let id = &cx.id;
    let percent = settings.rate_type != RateType::PerUnit;
    let rate_of = |v: &Spanned<Value>, diags: &mut Diagnostics| cx.rate(v, percent, diags);
    let (method, basis, tiers) = match (rate, tiers) {
        (Some(rate), None) => {
            if matches!(
                settings.method,
                Some(Method::Marginal | Method::Retroactive)
            ) {
                diags.push(src.error("plan-tiers-missing", rate.span(),
                    "a marginal or retroactive table needs `tiers`; a single `rate` is a flat table"));
            }
            let r = rate_of(rate, diags)?;
            let tier = Tier {
                from: Decimal::ZERO,
                to: None,
                rate: r,
                amount: None,
                line: cx.line(&rate.span()),
            };
            (
                Method::Flat,
                settings.basis.unwrap_or(Basis::Amount),
                vec![tier],
            )
        }
        (None, Some(raw_tiers)) if !raw_tiers.is_empty() => {
            if !settings.method_given {
                diags.push(src.error("plan-method-missing", span.clone(), format!("component `{id}` has tiers but no `method`"))
                    .hint("set method = \"marginal\" (each slice at its tier's rate) or \"retroactive\" (all at the highest tier reached)"));
            }
            if !settings.basis_given {
                diags.push(src.error("plan-basis-missing", span.clone(), format!("component `{id}` has tiers but no `basis`"))
                    .hint("set basis = \"attainment\" (breakpoints as % of quota) or \"amount\" (breakpoints in the measure's units)"));
            }
            if settings.method == Some(Method::Flat) && raw_tiers.len() > 1 {
                diags.push(src.error("plan-flat-tiers", span.clone(), format!("component `{id}` is flat but lists {} tiers", raw_tiers.len()))
                    .hint("a flat table has one `rate`; for several tiers set method = \"marginal\" or \"retroactive\""));
            }
            // Without a (valid) basis, accept "50%" as well, so one missing key gives one error.
            let on_attainment = settings.basis != Some(Basis::Amount);
            let mut tiers = Vec::new();
            for t in raw_tiers {
                let rt = t.get_ref();
                let from = cx.number(&rt.from, "a tier's `from`", on_attainment, diags);
                let to = rt
                    .to
                    .as_ref()
                    .and_then(|to| cx.number(to, "a tier's `to`", on_attainment, diags));
                let priced = tier_price(cx, t, percent, diags);
                if let (Some(from), Some((rate, amount))) = (from, priced) {
                    tiers.push((
                        Tier {
                            from,
                            to,
                            rate,
                            amount,
                            line: cx.line(&t.span()),
                        },
                        t.span(),
                    ));
                }
            }
            if settings.closed {
                close_tier_gaps(&mut tiers, on_attainment);
            }
            validate_tiers(src, id, &mut tiers, diags);
            validate_amount_tiers(cx, &tiers, settings, diags);
            (
                settings.method.unwrap_or(Method::Marginal),
                settings.basis?,
                tiers.into_iter().map(|(t, _)| t).collect(),
            )
        }
        (Some(_), Some(_)) => {
            diags.push(
                src.error(
                    "plan-rates-ambiguous",
                    span,
                    format!("component `{id}` has both `rate` and `tiers`"),
                )
                .hint("keep `rate` for a flat table, or `tiers` for a tiered one"),
            );
            return None;
        }
        _ => {
            diags.push(src.error(
                "plan-rates-missing",
                span,
                format!("component `{id}` needs either `rate` (flat) or `tiers`"),
            ));
            return None;
        }
    };
    Some(RateTable {
        method,
        basis,
        scope: settings.scope,
        boundary: settings.boundary,
        rate_type: settings.rate_type,
        tiers,
    })
}

/// `boundary = "closed"`: a source table's "0 to 5,000, 5,001 to 10,000" leaves a gap of one unit
/// (1 in amounts, 1% in attainment) between a tier's `to` and the next `from`; the next tier then
/// starts at the `to` (to-inclusive: exactly 5,000 stays in the first tier, anything above is in the
/// next). A larger gap stays a gap (`plan-tier-gap`).
fn close_tier_gaps(tiers: &mut [(Tier, Range<usize>)], on_attainment: bool) {
    let unit = if on_attainment {
        Decimal::new(1, 2)
    } else {
        Decimal::ONE
    };
    for i in 1..tiers.len() {
        if let Some(to) = tiers[i - 1].0.to {
            let from = tiers[i].0.from;
            if from > to && from - to <= unit {
                tiers[i].0.from = to;
            }
        }
    }
}

/// A rule that pays a fixed `amount` per deal instead of a rate: its table is a flat 0 (for display),
/// and `rate` or `tiers` beside `amount` is `plan-rates-ambiguous`.
fn rule_per_deal(
    cx: &Ctx,
    r: &Spanned<RawRule>,
    a: &Spanned<Value>,
    settings: TableSettings,
    diags: &mut Diagnostics,
) -> Option<(RateTable, Option<Decimal>)> {
    let rr = r.get_ref();
    if rr.rate.is_some() || rr.tiers.is_some() {
        diags.push(
            cx.src
                .error(
                    "plan-rates-ambiguous",
                    r.span(),
                    format!(
                        "component `{}`: a rule has `amount` and `{}`",
                        cx.id,
                        if rr.rate.is_some() { "rate" } else { "tiers" }
                    ),
                )
                .hint("a rule pays a fixed `amount` per deal, or a `rate`, or `tiers`: keep one"),
        );
        return None;
    }
    let amount = cx.non_negative(a, "a rule's `amount`", false, diags)?;
    let table = RateTable {
        method: Method::Flat,
        basis: Basis::Amount,
        scope: settings.scope,
        boundary: settings.boundary,
        rate_type: settings.rate_type,
        tiers: vec![Tier {
            from: Decimal::ZERO,
            to: None,
            rate: Decimal::ZERO,
            amount: None,
            line: cx.line(&a.span()),
        }],
    };
    Some((table, Some(amount)))
}

/// A `precedence` column that no rule's `when` names ranks nothing: warn (`plan-precedence-unused`),
/// most often a typo or a column named differently in the rules.
fn lint_precedence(cx: &Ctx, raw: &RawComponent, rules: &[Rule], diags: &mut Diagnostics) {
    let Some(p) = &raw.precedence else { return };
    for name in p.get_ref() {
        let name = name.trim();
        if !rules
            .iter()
            .any(|r| r.when.iter().any(|c| c.column == name))
        {
            diags.push(
                cx.src
                    .warning("plan-precedence-unused", p.span(), format!(
                        "component `{}`: `precedence` lists `{name}`, which no rule's `when` names", cx.id
                    ))
                    .hint("name the columns as the rules' `when` does, from the most specific to the least"),
            );
        }
    }
}

/// A tier's price: its `rate`, or a fixed `amount` for the whole tier (rate 0): exactly one of the
/// two (`plan-tier-price`).
fn tier_price(
    cx: &Ctx,
    t: &Spanned<RawTier>,
    percent: bool,
    diags: &mut Diagnostics,
) -> Option<(Decimal, Option<Decimal>)> {
    let rt = t.get_ref();
    match (&rt.rate, &rt.amount) {
        (Some(rate), None) => Some((cx.rate(rate, percent, diags)?, None)),
        (None, Some(amount)) => {
            let a = cx.non_negative(amount, "a tier's `amount`", false, diags)?;
            Some((Decimal::ZERO, Some(a)))
        }
        _ => {
            diags.push(
                cx.src
                    .error("plan-tier-price", t.span(), format!(
                        "component `{}`: a tier needs exactly one of `rate` or `amount`", cx.id
                    ))
                    .hint("`rate = \"4%\"` earns a rate on the tier's slice; `amount = 5000` pays 5,000.00 for the whole tier, prorated inside it"),
            );
            None
        }
    }
}

/// A tier `amount` is prorated over the tier's width, so the tier must be closed (not the last one)
/// and the table marginal on the cumulative measure: `plan-tier-amount-open`,
/// `plan-tier-amount-method`.
fn validate_amount_tiers(
    cx: &Ctx,
    tiers: &[(Tier, Range<usize>)],
    settings: TableSettings,
    diags: &mut Diagnostics,
) {
    let Some((_, span)) = tiers.iter().find(|(t, _)| t.amount.is_some()) else {
        return;
    };
    if let Some((_, last)) = tiers.last().filter(|(t, _)| t.amount.is_some()) {
        diags.push(
            cx.src
                .error("plan-tier-amount-open", last.clone(), format!(
                    "component `{}`: the last tier is open-ended, so its `amount` has no width to be prorated over",
                    cx.id
                ))
                .hint("give the last tier a `rate`, or add a tier above it (`{ from = ..., rate = 0 }` pays nothing more)"),
        );
    }
    let method_ok = settings.method.is_none_or(|m| m == Method::Marginal);
    if !method_ok || settings.tier_on {
        diags.push(
            cx.src
                .error("plan-tier-amount-method", span.clone(), format!(
                    "component `{}`: a tier `amount` is prorated over the part of the tier the measure crosses; {}",
                    cx.id,
                    if settings.tier_on { "with `tier_on` no tier is crossed" } else { "it needs method = \"marginal\"" }
                ))
                .hint("use method = \"marginal\" without `tier_on`, or write the tier as a `rate`"),
        );
    }
}

/// Tiers must be non-negative, sorted, contiguous (each `to` equal to the next `from`), and only the last open.
fn validate_tiers(
    src: &Source,
    id: &str,
    tiers: &mut [(Tier, Range<usize>)],
    diags: &mut Diagnostics,
) {
    for i in 0..tiers.len() {
        let next_from = tiers.get(i + 1).map(|(t, _)| t.from);
        let (tier, span) = &mut tiers[i];
        if tier.from < Decimal::ZERO {
            diags.push(src.error(
                "plan-tier-negative",
                span.clone(),
                format!("component `{id}`: a tier starts below zero"),
            ));
        }
        match (tier.to, next_from) {
            (Some(to), Some(next)) if to != next => {
                let (code, what) = if to < next {
                    ("plan-tier-gap", "a gap")
                } else {
                    ("plan-tier-overlap", "an overlap")
                };
                diags.push(
                    src.error(code, span.clone(), format!(
                        "component `{id}`: tier {} ends at {} but tier {} starts at {}: {what} between tiers",
                        i + 1, to.normalize(), i + 2, next.normalize()
                    ))
                    .hint("omit `to`: each tier then ends where the next begins"),
                );
            }
            (Some(_), None) => {
                diags.push(
                    src.error("plan-tier-last-closed", span.clone(), format!(
                        "component `{id}`: the last tier has a `to`; the measure above it would earn nothing"
                    ))
                    .hint("remove `to` from the last tier (add a tier with rate 0 to stop paying above a level)"),
                );
            }
            (None, next) => tier.to = next,
            _ => {}
        }
        if let Some(to) = tier.to {
            if to <= tier.from {
                diags.push(
                    src.error(
                        "plan-tier-order",
                        span.clone(),
                        format!(
                            "component `{id}`: tier {} is empty or out of order (from {} to {})",
                            i + 1,
                            tier.from.normalize(),
                            to.normalize()
                        ),
                    )
                    .hint("list tiers in increasing order of `from`"),
                );
            }
        }
    }
}

fn parse_curve(cx: &Ctx, c: &Spanned<RawComponent>, diags: &mut Diagnostics) -> Option<Curve> {
    let raw = c.get_ref();
    let Some(raw_points) = raw.curve.as_ref().filter(|p| !p.is_empty()) else {
        diags.push(cx.src.error("plan-curve-missing", c.span(), format!(
            "component `{}` is a curve but has no `curve = [{{ attainment = \"0%\", payout = \"0%\" }}, ...]`", cx.id
        )));
        return None;
    };
    let mut points = Vec::new();
    for p in raw_points {
        let a = cx.non_negative(
            &p.get_ref().attainment,
            "a curve point's attainment",
            true,
            diags,
        );
        let y = cx.non_negative(&p.get_ref().payout, "a curve point's payout", true, diags);
        points.push((a?, y?));
    }
    if !points.windows(2).all(|w| w[0].0 < w[1].0) {
        diags.push(cx.src.error(
            "plan-curve-order",
            c.span(),
            format!(
                "component `{}`: curve points must be listed by strictly increasing attainment",
                cx.id
            ),
        ));
    }
    if !points.windows(2).all(|w| w[0].1 <= w[1].1) {
        diags.push(cx.src.warning(
            "plan-curve-decreasing",
            c.span(),
            format!(
                "component `{}`: the curve pays less at a higher attainment somewhere",
                cx.id
            ),
        ));
    }
    let after = match &raw.after {
        Some(a) => Some(parse_curve_after(cx, a, &points, diags)?),
        None => None,
    };
    let weights = match &raw.weights {
        Some(w) => parse_weights(cx, raw, w, diags)?,
        None => Vec::new(),
    };
    Some(Curve {
        after,
        weights,
        points,
        interpolation: keyword(
            cx.src,
            &raw.interpolation,
            "interpolation",
            Some(Interpolation::Linear),
            &[
                ("linear", Interpolation::Linear),
                ("step", Interpolation::Step),
            ],
            diags,
        )?,
        weight: match &raw.weight {
            Some(w) => cx.non_negative(w, "`weight`", true, diags)?,
            None => Decimal::ONE,
        },
        target_incentive: raw
            .target_incentive
            .as_ref()
            .and_then(|v| cx.non_negative(v, "`target_incentive`", false, diags)),
    })
}

/// `after = { slope = "2%", max = "300%" }`: the curve rises by `slope` per point of attainment past
/// its last point, up to `max`. A `max` below the last point's payout would cut the curve:
/// `plan-curve-after-max`.
fn parse_curve_after(
    cx: &Ctx,
    a: &Spanned<RawAfter>,
    points: &[(Decimal, Decimal)],
    diags: &mut Diagnostics,
) -> Option<CurveAfter> {
    let ra = a.get_ref();
    let slope = cx.non_negative(&ra.slope, "`after.slope`", true, diags);
    let max = match &ra.max {
        Some(m) => Some(cx.non_negative(m, "`after.max`", true, diags)?),
        None => None,
    };
    let last = points.last().map_or(Decimal::ZERO, |p| p.1);
    if let Some(m) = max.filter(|m| *m < last) {
        diags.push(
            cx.src
                .error("plan-curve-after-max", a.span(), format!(
                    "component `{}`: `after.max` {} is below the last point's payout {}",
                    cx.id, crate::money::fmt_percent(m), crate::money::fmt_percent(last)
                ))
                .hint("set max at or above the last point's payout, or add a point where the curve should stop"),
        );
        return None;
    }
    Some(CurveAfter {
        slope: slope?,
        max,
        line: cx.line(&a.span()),
    })
}

/// `weights = { bookings = "60%", new_logos = "40%" }`: the curve (or bonus) reads the weighted sum of these
/// measures' attainments. Each names a measure of the plan (its quota row has the measure's name; the
/// component's own measure uses the component's `quota`), the component's measure among them
/// (`plan-weights-measure`), and the weights add up to 100% (`plan-weights-sum`).
fn parse_weights(
    cx: &Ctx,
    raw: &RawComponent,
    w: &Spanned<BTreeMap<String, Spanned<Value>>>,
    diags: &mut Diagnostics,
) -> Option<Vec<MeasureWeight>> {
    let own = raw.measure.get_ref().trim();
    let own_quota = raw.quota.as_ref().map_or(own, |q| q.get_ref().trim());
    let mut out = Vec::new();
    for (name, value) in w.get_ref() {
        let spanned = Spanned::new(value.span(), name.clone());
        let measure = cx.measure(&spanned, diags);
        let weight = cx.non_negative(value, "a measure's weight", true, diags);
        let name = name.trim();
        if weight.is_some_and(|w| w.is_zero()) {
            diags.push(
                cx.src
                    .warning("plan-weight-zero", value.span(), format!(
                        "component `{}`: measure `{name}` weighs 0%: it takes no part in the attainment", cx.id
                    ))
                    .hint("remove it from `weights`, or give it a share"),
            );
        }
        out.push(MeasureWeight {
            measure: measure?,
            quota_measure: if name == own { own_quota } else { name }.to_string(),
            weight: weight?,
        });
    }
    if !w.get_ref().keys().any(|k| k.trim() == own) {
        diags.push(
            cx.src
                .error("plan-weights-measure", w.span(), format!(
                    "component `{}`: its measure `{own}` is not among the weighted measures", cx.id
                ))
                .hint(format!("add `{own} = \"..%\"` to `weights`, or make one of them the component's `measure`")),
        );
        return None;
    }
    let total: Decimal = out.iter().map(|m| m.weight).sum();
    if total != Decimal::ONE {
        diags.push(
            cx.src
                .error("plan-weights-sum", w.span(), format!(
                    "component `{}`: the weights add up to {}, not 100%", cx.id, crate::money::fmt_percent(total)
                ))
                .hint("weights share the attainment: make them add up to 100% (use the component's `weight` to scale the payout)"),
        );
        return None;
    }
    Some(out)
}

/// A slope of zero, or a ceiling at the last point's payout, keeps the curve flat as it is without
/// `after`: warn, the plan says something it does not do.
fn lint_curve_after_flat(
    cx: &Ctx,
    c: &Spanned<RawComponent>,
    curve: &Curve,
    diags: &mut Diagnostics,
) {
    let (Some(after), Some(&(_, last))) = (curve.after, curve.points.last()) else {
        return;
    };
    if after.slope > Decimal::ZERO && after.max != Some(last) {
        return;
    }
    let span = c.get_ref().after.as_ref().map_or(c.span(), |a| a.span());
    diags.push(
        cx.src
            .warning("plan-curve-after-flat", span, format!(
                "component `{}`: `after` keeps the curve flat past its last point ({}), as it is without `after`",
                cx.id,
                if after.slope.is_zero() { "a slope of 0" } else { "`max` is the last point's payout" }
            ))
            .hint("give a positive slope and a max above the last point's payout, or remove `after`"),
    );
}

fn parse_bonus(cx: &Ctx, c: &Spanned<RawComponent>, diags: &mut Diagnostics) -> Option<Bonus> {
    let raw = c.get_ref();
    let Some(raw_levels) = raw.levels.as_ref().filter(|l| !l.is_empty()) else {
        diags.push(cx.src.error("plan-levels-missing", c.span(), format!(
            "component `{}` is a bonus but has no `levels = [{{ attainment = \"100%\", amount = 1000 }}, ...]`", cx.id
        )));
        return None;
    };
    let mut levels = Vec::new();
    for l in raw_levels {
        let rl = l.get_ref();
        let attainment = cx.non_negative(&rl.attainment, "a level's attainment", true, diags);
        let amount = match (&rl.amount, &rl.percent_of_ti) {
            (Some(a), None) => cx
                .non_negative(a, "a level's amount", false, diags)
                .map(BonusAmount::Fixed),
            (None, Some(p)) => cx
                .non_negative(p, "a level's percent_of_ti", true, diags)
                .map(BonusAmount::PercentOfTi),
            _ => {
                diags.push(cx.src.error(
                    "plan-level-amount",
                    l.span(),
                    "a bonus level needs exactly one of `amount` or `percent_of_ti`",
                ));
                None
            }
        };
        levels.push(BonusLevel {
            attainment: attainment?,
            amount: amount?,
            line: cx.line(&l.span()),
        });
    }
    if !levels.windows(2).all(|w| w[0].attainment < w[1].attainment) {
        diags.push(cx.src.error(
            "plan-levels-order",
            c.span(),
            format!(
                "component `{}`: bonus levels must be listed by strictly increasing attainment",
                cx.id
            ),
        ));
    }
    let weights = match &raw.weights {
        Some(w) => parse_weights(cx, raw, w, diags)?,
        None => Vec::new(),
    };
    Some(Bonus {
        weights,
        levels,
        stacking: raw.stacking.as_ref().is_some_and(|s| *s.get_ref()),
        target_incentive: raw
            .target_incentive
            .as_ref()
            .and_then(|v| cx.non_negative(v, "`target_incentive`", false, diags)),
    })
}

fn parse_spiff(cx: &Ctx, c: &Spanned<RawComponent>, diags: &mut Diagnostics) -> Option<Spiff> {
    let raw = c.get_ref();
    let Some(amount) = &raw.amount else {
        diags.push(cx.src.error("plan-amount-missing", c.span(), format!(
            "component `{}` is a spiff but has no `amount` (paid per unit of the measure, per deal on a count)", cx.id
        )));
        return None;
    };
    let from = raw.from.as_ref().and_then(|v| cx.date(v, "`from`", diags));
    let to = raw.to.as_ref().and_then(|v| cx.date(v, "`to`", diags));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            diags.push(cx.src.error(
                "plan-window-reversed",
                c.span(),
                format!("component `{}`: `to` {t} is before `from` {f}", cx.id),
            ));
        }
    }
    Some(Spiff {
        amount: cx.non_negative(amount, "`amount`", false, diags)?,
        from,
        to,
    })
}
