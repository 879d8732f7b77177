//! Measures (`[measures.<name>]`) and the filter conditions they and component rules share (`where`,
//! `when`): from their TOML to the model's [`Measure`] and [`Condition`]s, every problem a diagnostic.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::model::*;
use super::syntax::keyword;
use crate::diag::Diagnostics;
use crate::toml_src::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMeasure {
    sum: Option<Spanned<String>>,
    count: Option<Spanned<bool>>,
    date: Option<Spanned<String>>,
    #[serde(rename = "where", default)]
    filter: BTreeMap<String, Spanned<Value>>,
    credit: Option<Spanned<String>>,
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

/// Filter conditions (`where`, a rule's `when`): a value or list means equality / membership; a
/// table holds operators.
pub(crate) fn parse_conditions(
    src: &Source,
    table: &BTreeMap<String, Spanned<Value>>,
    diags: &mut Diagnostics,
) -> Option<Vec<Condition>> {
    let mut filter = Vec::new();
    for (column, v) in table {
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
    Some(filter)
}

pub(crate) fn parse_measure(
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
    let filter = parse_conditions(src, &raw.filter, diags)?;
    let credit = keyword(
        src,
        &raw.credit,
        "measure credit",
        Some(MeasureCredit::Own),
        &[("own", MeasureCredit::Own), ("team", MeasureCredit::Team)],
        diags,
    )?;
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
        credit,
    })
}
