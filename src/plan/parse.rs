//! Plan files: TOML → raw structs (`deny_unknown_fields`) → the validated [`Plan`] model.
//!
//! Invariants: every problem is a diagnostic naming the plan file, line and column; all problems of a
//! file are collected (not just the first); nothing here touches the file system.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::{Spanned, Value};

use super::model::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::money::{Rounding, Strategy};
use crate::period::Granularity;
use crate::toml_src::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    id: Spanned<String>,
    name: Option<String>,
    currency: Option<Spanned<String>>,
    rounding: Option<RawRounding>,
    #[serde(default)]
    measures: BTreeMap<String, Spanned<RawMeasure>>,
    #[serde(default)]
    components: Vec<Spanned<RawComponent>>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    sum: Option<Spanned<String>>,
    count: Option<Spanned<bool>>,
    date: Option<Spanned<String>>,
    #[serde(rename = "where", default)]
    filter: BTreeMap<String, Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    measure: Spanned<String>,
    measurement_period: Spanned<String>,
    payout_period: Option<Spanned<String>>,
    quota: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    basis: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    boundary: Option<Spanned<String>>,
    rate_type: Option<Spanned<String>>,
    rate: Option<Spanned<Value>>,
    tiers: Option<Vec<Spanned<RawTier>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    from: Spanned<Value>,
    to: Option<Spanned<Value>>,
    rate: Spanned<Value>,
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
        Some(c) => {
            let code = c.get_ref().trim().to_string();
            if code != defaults.currency {
                diags.push(
                    src.error("plan-currency-unsupported", c.span(), format!(
                        "plan currency {code} differs from the workspace currency {}", defaults.currency
                    ))
                    .hint("fx rates convert into the workspace currency; set the workspace `currency` or remove the plan's"),
                );
            }
            code
        }
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
    Ok(Plan {
        name: raw.name.unwrap_or_else(|| id.clone()),
        id,
        file: file.to_string(),
        currency,
        rounding,
        measures,
        components,
    })
}

fn literal(src: &Source, v: &Spanned<Value>) -> Option<String> {
    match v.get_ref() {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Float(_) => Some(src.text.get(v.span()).unwrap_or("").replace('_', "")),
        Value::Boolean(b) => Some(b.to_string()),
        Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// The span of the value of `key = <value>` inside the inline table at `table`.
fn value_span(
    src: &Source,
    table: std::ops::Range<usize>,
    key: &str,
) -> Option<std::ops::Range<usize>> {
    let text = src.text.get(table.clone())?;
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut from = 0;
    while let Some(i) = text[from..].find(key) {
        let at = from + i;
        from = at + key.len();
        if text[..at].chars().next_back().is_some_and(ident) || text[from..].starts_with(ident) {
            continue;
        }
        let rest = text[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let value = rest.trim_start();
        let start = table.start + (text.len() - value.len());
        let len = value
            .find([',', '}', ' ', '\n', '\t'])
            .unwrap_or(value.len());
        return Some(start..start + len);
    }
    None
}

fn literals(src: &Source, v: &Spanned<Value>, diags: &mut Diagnostics) -> Vec<String> {
    let items: Vec<Spanned<Value>> = match v.get_ref() {
        // Arrays of spanned values are not preserved by `Value`; re-read them from their elements.
        Value::Array(items) => items
            .iter()
            .map(|i| Spanned::new(v.span(), i.clone()))
            .collect(),
        _ => vec![v.clone()],
    };
    let mut out = Vec::new();
    for item in &items {
        if matches!(v.get_ref(), Value::Array(_)) && matches!(item.get_ref(), Value::Float(_)) {
            diags.push(src.error(
                "plan-filter-invalid",
                v.span(),
                "decimal numbers inside a filter list must be quoted, e.g. [\"0.5\", \"1.25\"]",
            ));
            continue;
        }
        match literal(src, item) {
            Some(s) => out.push(s),
            None => diags.push(src.error(
                "plan-filter-invalid",
                v.span(),
                "a filter value must be a string, number, date or list of them",
            )),
        }
    }
    out
}

fn parse_measure(
    src: &Source,
    name: &str,
    m: &Spanned<RawMeasure>,
    diags: &mut Diagnostics,
) -> Option<Measure> {
    let line = src.line_col(m.span().start).0;
    let raw = m.get_ref();
    let value = match (&raw.sum, &raw.count) {
        (Some(col), None) => MeasureValue::Sum(col.get_ref().trim().to_string()),
        (None, Some(c)) if *c.get_ref() => MeasureValue::Count,
        _ => {
            diags.push(src.error(
                "plan-measure-value",
                m.span(),
                format!(
                    "measure `{name}` needs exactly one of `sum = \"<column>\"` or `count = true`"
                ),
            ));
            return None;
        }
    };
    let mut filter = Vec::new();
    for (column, v) in &raw.filter {
        let cline = src.line_col(v.span().start).0;
        let mut push = |test| {
            filter.push(Condition {
                column: column.clone(),
                line: cline,
                test,
            })
        };
        match v.get_ref() {
            Value::Table(t) => {
                for (op, arg) in t {
                    // `Value` keeps no spans inside a table; find the operator's own text so a
                    // float is re-read exactly from the source.
                    let span = value_span(src, v.span(), op).unwrap_or(v.span());
                    let arg = Spanned::new(span, arg.clone());
                    let one =
                        |diags: &mut Diagnostics| literals(src, &arg, diags).into_iter().next();
                    let test = match op.as_str() {
                        "in" | "eq" => Test::In(literals(src, &arg, diags)),
                        "not_in" | "ne" | "not" => Test::NotIn(literals(src, &arg, diags)),
                        "lt" => Test::Compare(CompareOp::Lt, one(diags)?),
                        "lte" => Test::Compare(CompareOp::Lte, one(diags)?),
                        "gt" => Test::Compare(CompareOp::Gt, one(diags)?),
                        "gte" => Test::Compare(CompareOp::Gte, one(diags)?),
                        "empty" => match arg.get_ref() {
                            Value::Boolean(b) => Test::Empty(*b),
                            _ => {
                                diags.push(src.error(
                                    "plan-filter-invalid",
                                    v.span(),
                                    "`empty` takes true or false",
                                ));
                                continue;
                            }
                        },
                        other => {
                            diags.push(
                                src.error(
                                    "plan-filter-invalid",
                                    v.span(),
                                    format!(
                                        "unknown filter operator `{other}` on column `{column}`"
                                    ),
                                )
                                .hint("use eq, ne, in, not_in, lt, lte, gt, gte or empty"),
                            );
                            continue;
                        }
                    };
                    push(test);
                }
            }
            _ => push(Test::In(literals(src, v, diags))),
        }
    }
    let date_column = raw
        .date
        .as_ref()
        .map_or("close_date".to_string(), |d| d.get_ref().trim().to_string());
    Some(Measure {
        name: name.to_string(),
        line,
        value,
        date_column,
        filter,
    })
}

fn keyword<T>(
    src: &Source,
    value: &Option<Spanned<String>>,
    key: &str,
    default: Option<T>,
    choices: &[(&str, T)],
    diags: &mut Diagnostics,
) -> Option<T>
where
    T: Copy,
{
    let Some(v) = value else { return default };
    match choices.iter().find(|(name, _)| *name == v.get_ref().trim()) {
        Some((_, t)) => Some(*t),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            diags.push(
                src.error("plan-value-unknown", v.span(), format!("unknown {key}"))
                    .value(v.get_ref().clone())
                    .hint(format!("use one of: {}", names.join(", "))),
            );
            None
        }
    }
}

fn granularity(src: &Source, v: &Spanned<String>, diags: &mut Diagnostics) -> Option<Granularity> {
    match v.get_ref().trim().parse() {
        Ok(g) => Some(g),
        Err(()) => {
            diags.push(
                src.error("plan-period-unknown", v.span(), "unknown period length")
                    .value(v.get_ref().clone())
                    .hint(format!("use one of: {}", Granularity::NAMES)),
            );
            None
        }
    }
}

fn parse_component(
    src: &Source,
    c: &Spanned<RawComponent>,
    raw_measures: &BTreeMap<String, Spanned<RawMeasure>>,
    diags: &mut Diagnostics,
) -> Option<Component> {
    let raw = c.get_ref();
    let line = src.line_col(c.span().start).0;
    let id = raw.id.get_ref().trim().to_string();
    let before = diags.has_errors();
    let mut ok = true;

    if let Some(k) = &raw.kind {
        if k.get_ref() != "commission" {
            diags.push(
                src.error(
                    "plan-component-type-unknown",
                    k.span(),
                    "unknown component type",
                )
                .value(k.get_ref().clone())
                .hint("the component types are: commission"),
            );
            ok = false;
        }
    }
    let measure_name = raw.measure.get_ref().trim();
    let measure = raw_measures.keys().position(|k| k == measure_name);
    if measure.is_none() {
        let known: Vec<&str> = raw_measures.keys().map(String::as_str).collect();
        diags.push(
            src.error(
                "plan-measure-unknown",
                raw.measure.span(),
                format!("component `{id}` uses an undefined measure"),
            )
            .value(measure_name.to_string())
            .hint(if known.is_empty() {
                "define it in a [measures.<name>] table".to_string()
            } else {
                format!("the plan defines: {}", known.join(", "))
            }),
        );
    }
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
            ok = false;
        }
    }

    let method = keyword(
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
    );
    let basis = keyword(
        src,
        &raw.basis,
        "basis",
        Some(Basis::Amount),
        &[("attainment", Basis::Attainment), ("amount", Basis::Amount)],
        diags,
    );
    let scope = keyword(
        src,
        &raw.scope,
        "scope",
        Some(Scope::Cumulative),
        &[
            ("cumulative", Scope::Cumulative),
            ("transaction", Scope::Transaction),
        ],
        diags,
    );
    let boundary = keyword(
        src,
        &raw.boundary,
        "boundary",
        Some(Boundary::FromInclusive),
        &[
            ("from-inclusive", Boundary::FromInclusive),
            ("to-inclusive", Boundary::ToInclusive),
        ],
        diags,
    );
    let rate_type = keyword(
        src,
        &raw.rate_type,
        "rate_type",
        Some(RateType::Percent),
        &[
            ("percent", RateType::Percent),
            ("per-unit", RateType::PerUnit),
        ],
        diags,
    );
    let percent = rate_type != Some(RateType::PerUnit);

    let rate_of =
        |v: &Spanned<Value>, diags: &mut Diagnostics| match src.decimal(v, "a rate", percent) {
            Ok(r) => Some(r),
            Err(d) => {
                diags.push(d);
                None
            }
        };
    let tiers: Vec<Tier> = match (&raw.rate, &raw.tiers) {
        (Some(rate), None) => {
            if matches!(method, Some(Method::Marginal | Method::Retroactive)) {
                diags.push(src.error("plan-tiers-missing", rate.span(),
                    "a marginal or retroactive table needs `tiers`; a single `rate` is a flat table"));
            }
            let r = rate_of(rate, diags)?;
            vec![Tier {
                from: Decimal::ZERO,
                to: None,
                rate: r,
                line: src.line_col(rate.span().start).0,
            }]
        }
        (None, Some(raw_tiers)) if !raw_tiers.is_empty() => {
            if method.is_none() && raw.method.is_none() {
                diags.push(src.error("plan-method-missing", c.span(),
                    format!("component `{id}` has tiers but no `method`"))
                    .hint("set method = \"marginal\" (each slice at its tier's rate) or \"retroactive\" (all at the highest tier reached)"));
            }
            if raw.basis.is_none() {
                diags.push(src.error("plan-basis-missing", c.span(),
                    format!("component `{id}` has tiers but no `basis`"))
                    .hint("set basis = \"attainment\" (breakpoints as % of quota) or \"amount\" (breakpoints in the measure's units)"));
            }
            if method == Some(Method::Flat) && raw_tiers.len() > 1 {
                diags.push(src.error("plan-flat-tiers", c.span(),
                    format!("component `{id}` is flat but lists {} tiers", raw_tiers.len()))
                    .hint("a flat table has one `rate`; for several tiers set method = \"marginal\" or \"retroactive\""));
            }
            // Without a (valid) basis, accept "50%" as well, so one missing key gives one error.
            let on_attainment = basis != Some(Basis::Amount);
            let mut tiers = Vec::new();
            for t in raw_tiers {
                let rt = t.get_ref();
                let tline = src.line_col(t.span().start).0;
                let from = src
                    .decimal(&rt.from, "a tier's `from`", on_attainment)
                    .map_err(|d| diags.push(d))
                    .ok();
                let to = rt.to.as_ref().and_then(|to| {
                    src.decimal(to, "a tier's `to`", on_attainment)
                        .map_err(|d| diags.push(d))
                        .ok()
                });
                let rate = rate_of(&rt.rate, diags);
                if let (Some(from), Some(rate)) = (from, rate) {
                    tiers.push((
                        Tier {
                            from,
                            to,
                            rate,
                            line: tline,
                        },
                        t.span(),
                    ));
                }
            }
            validate_tiers(src, &id, &mut tiers, diags);
            tiers.into_iter().map(|(t, _)| t).collect()
        }
        (Some(_), Some(_)) => {
            diags.push(
                src.error(
                    "plan-rates-ambiguous",
                    c.span(),
                    format!("component `{id}` has both `rate` and `tiers`"),
                )
                .hint("keep `rate` for a flat table, or `tiers` for a tiered one"),
            );
            return None;
        }
        _ => {
            diags.push(src.error(
                "plan-rates-missing",
                c.span(),
                format!("component `{id}` needs either `rate` (flat) or `tiers`"),
            ));
            return None;
        }
    };
    let method = match (&raw.tiers, method) {
        (None, _) => Method::Flat,
        (Some(_), Some(m)) => m,
        (Some(_), None) => Method::Marginal,
    };
    let basis = if raw.tiers.is_none() {
        Basis::Amount
    } else {
        basis?
    };

    if !ok || diags.has_errors() && !before {
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
            .map_or(measure_name.to_string(), |q| q.get_ref().trim().to_string()),
        kind: ComponentKind::Commission(RateTable {
            method,
            basis,
            scope: scope?,
            boundary: boundary?,
            rate_type: rate_type?,
            tiers,
        }),
    })
}

/// Tiers must be non-negative, sorted, contiguous (each `to` equal to the next `from`), and only the last open.
fn validate_tiers(
    src: &Source,
    id: &str,
    tiers: &mut [(Tier, std::ops::Range<usize>)],
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
                    ("plan-tier-gap", "gap")
                } else {
                    ("plan-tier-overlap", "overlap")
                };
                diags.push(src.error(code, span.clone(), format!(
                    "component `{id}`: tier {} ends at {} but tier {} starts at {}: a {what} between tiers",
                    i + 1, to.normalize(), i + 2, next.normalize()
                )).hint("omit `to`: each tier then ends where the next begins"));
            }
            (Some(_), None) => {
                diags.push(src.error("plan-tier-last-closed", span.clone(), format!(
                    "component `{id}`: the last tier has a `to`; the measure above it would earn nothing"
                )).hint("remove `to` from the last tier (add a tier with rate 0 to stop paying above a level)"));
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
