//! Binding plans to the deals table: column names in measures and filters become column indexes,
//! filter literals become typed values.
//!
//! Invariants: a bound measure refers only to columns that exist with a usable type; a filter value
//! that cannot be read in its column's type is a plan error naming the plan file and line.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::data::{ColumnType, ColumnValues, DealTable};
use crate::diag::{Diagnostic, Severity};
use crate::money::parse_decimal;
use crate::plan::{CompareOp, Measure, MeasureValue, Plan, Test};

#[derive(Debug, Clone)]
pub enum BoundValue {
    Count,
    Column { index: usize, money: bool },
}

#[derive(Debug, Clone)]
enum Literal {
    Text(Vec<Option<u32>>),
    Decimal(Vec<Decimal>),
    Date(Vec<NaiveDate>),
}

#[derive(Debug, Clone)]
enum BoundTest {
    In { values: Literal, negate: bool },
    CompareDecimal(CompareOp, Decimal),
    CompareDate(CompareOp, NaiveDate),
    Empty(bool),
}

#[derive(Debug, Clone)]
struct BoundCondition {
    column: usize,
    test: BoundTest,
}

#[derive(Debug, Clone)]
pub struct BoundMeasure {
    pub value: BoundValue,
    pub date_column: usize,
    conditions: Vec<BoundCondition>,
}

fn compare<T: PartialOrd>(op: CompareOp, a: T, b: T) -> bool {
    match op {
        CompareOp::Lt => a < b,
        CompareOp::Lte => a <= b,
        CompareOp::Gt => a > b,
        CompareOp::Gte => a >= b,
    }
}

impl BoundMeasure {
    /// Whether the deal passes every condition of the filter.
    pub fn selects(&self, deals: &DealTable, row: usize) -> bool {
        self.conditions.iter().all(|c| {
            let col = &deals.columns[c.column];
            match &c.test {
                BoundTest::Empty(want) => {
                    let empty = match &col.values {
                        ColumnValues::Text { dict, codes } => dict[codes[row] as usize].is_empty(),
                        ColumnValues::Decimal(v) => v[row].is_none(),
                        ColumnValues::Date(v) => v[row].is_none(),
                    };
                    empty == *want
                }
                BoundTest::In { values, negate } => {
                    let hit = match values {
                        Literal::Text(codes) => {
                            let code = col.text_code_at(row);
                            codes.iter().any(|c| c.is_some() && *c == code)
                        }
                        Literal::Decimal(vs) => col.decimal(row).is_some_and(|v| vs.contains(&v)),
                        Literal::Date(vs) => col.date(row).is_some_and(|v| vs.contains(&v)),
                    };
                    hit != *negate
                }
                BoundTest::CompareDecimal(op, v) => {
                    col.decimal(row).is_some_and(|x| compare(*op, x, *v))
                }
                BoundTest::CompareDate(op, v) => col.date(row).is_some_and(|x| compare(*op, x, *v)),
            }
        })
    }
}

fn parse_literal_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Bind one measure of a plan to the deals table: the bound measure and its warnings, or every
/// problem found (errors and warnings).
pub fn bind_measure(
    plan: &Plan,
    m: &Measure,
    deals: &DealTable,
) -> Result<(BoundMeasure, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let columns: Vec<&str> = deals.columns.iter().map(|c| c.name.as_str()).collect();
    let unknown = |name: &str, line: u64, what: &str| {
        Diagnostic::error(
            "plan-column-unknown",
            &plan.file,
            format!(
                "measure `{}`: {what} `{name}` is not a column of {}",
                m.name, deals.file
            ),
        )
        .line(line)
        .hint(format!("columns available: {}", columns.join(", ")))
    };
    let value = match &m.value {
        MeasureValue::Count => Some(BoundValue::Count),
        MeasureValue::Sum(name) => match deals.column(name) {
            Some(i) => match deals.columns[i].ty {
                ColumnType::Decimal => Some(BoundValue::Column {
                    index: i,
                    money: false,
                }),
                ColumnType::Money => Some(BoundValue::Column {
                    index: i,
                    money: true,
                }),
                _ => {
                    errors.push(Diagnostic::error("plan-column-type", &plan.file, format!(
                        "measure `{}` sums `{name}`, which is not a number column", m.name
                    )).line(m.line).hint(format!(
                        "declare its type in the workspace: [deals.types] \"{name}\" = \"decimal\" (or \"money\")"
                    )));
                    None
                }
            },
            None => {
                errors.push(unknown(name, m.line, "the summed column"));
                None
            }
        },
    };
    let date_column = match deals.column(&m.date_column) {
        Some(i) if deals.columns[i].ty == ColumnType::Date => Some(i),
        Some(_) => {
            errors.push(
                Diagnostic::error(
                    "plan-column-type",
                    &plan.file,
                    format!(
                        "measure `{}` places deals in time by `{}`, which is not a date column",
                        m.name, m.date_column
                    ),
                )
                .line(m.line),
            );
            None
        }
        None => {
            errors.push(unknown(&m.date_column, m.line, "the date column"));
            None
        }
    };
    let mut conditions = Vec::new();
    for c in &m.filter {
        let Some(index) = deals.column(&c.column) else {
            errors.push(unknown(&c.column, c.line, "the filter column"));
            continue;
        };
        let col = &deals.columns[index];
        let bad_value = |v: &str, ty: &str| {
            Diagnostic::error(
                "plan-filter-value",
                &plan.file,
                format!(
                    "measure `{}`: column `{}` holds {ty}, and {v:?} is not one",
                    m.name, c.column
                ),
            )
            .line(c.line)
        };
        // A text value no row has is most often a typo ("Closed Wn"): warn, listing what exists.
        let no_match = |v: &str| {
            let mut present: Vec<String> = match &col.values {
                ColumnValues::Text { dict, .. } => {
                    dict.iter().take(12).map(|d| format!("{d:?}")).collect()
                }
                _ => Vec::new(),
            };
            if present.len() == 12 {
                present.push("...".into());
            }
            Diagnostic::warning(
                "plan-filter-no-match",
                &plan.file,
                format!(
                    "measure `{}`: no row of {} has {} = {v:?}, so this value selects nothing",
                    m.name, deals.file, c.column
                ),
            )
            .line(c.line)
            .hint(format!("values present: {}", present.join(", ")))
        };
        let literal = |vs: &[String], errors: &mut Vec<Diagnostic>| -> Literal {
            match col.ty {
                ColumnType::Text => Literal::Text(
                    vs.iter()
                        .map(|v| {
                            let code = col.text_code(v);
                            if code.is_none() && !deals.is_empty() {
                                errors.push(no_match(v));
                            }
                            code
                        })
                        .collect(),
                ),
                ColumnType::Decimal | ColumnType::Money => Literal::Decimal(
                    vs.iter()
                        .filter_map(|v| {
                            parse_decimal(v).or_else(|| {
                                errors.push(bad_value(v, "numbers"));
                                None
                            })
                        })
                        .collect(),
                ),
                ColumnType::Date => Literal::Date(
                    vs.iter()
                        .filter_map(|v| {
                            parse_literal_date(v).or_else(|| {
                                errors.push(bad_value(v, "dates (write them YYYY-MM-DD)"));
                                None
                            })
                        })
                        .collect(),
                ),
            }
        };
        let test = match &c.test {
            Test::In(vs) => BoundTest::In {
                values: literal(vs, &mut errors),
                negate: false,
            },
            Test::NotIn(vs) => BoundTest::In {
                values: literal(vs, &mut errors),
                negate: true,
            },
            Test::Empty(b) => BoundTest::Empty(*b),
            Test::Compare(op, v) => match col.ty {
                ColumnType::Decimal | ColumnType::Money => match parse_decimal(v) {
                    Some(x) => BoundTest::CompareDecimal(*op, x),
                    None => {
                        errors.push(bad_value(v, "numbers"));
                        continue;
                    }
                },
                ColumnType::Date => match parse_literal_date(v) {
                    Some(x) => BoundTest::CompareDate(*op, x),
                    None => {
                        errors.push(bad_value(v, "dates (write them YYYY-MM-DD)"));
                        continue;
                    }
                },
                ColumnType::Text => {
                    errors.push(Diagnostic::error("plan-filter-value", &plan.file, format!(
                        "measure `{}`: `{}` compares text column `{}`; comparisons need a number or date column",
                        m.name, op.symbol(), c.column
                    )).line(c.line).hint(if crate::data::deals::is_canonical(&c.column) {
                        format!("`{}` is a text column by the data contract; compare it with eq/in/not_in", c.column)
                    } else {
                        format!("declare its type: [deals.types] \"{}\" = \"decimal\"", c.column)
                    }));
                    continue;
                }
            },
        };
        conditions.push(BoundCondition {
            column: index,
            test,
        });
    }
    match (value, date_column) {
        (Some(value), Some(date_column))
            if !errors.iter().any(|d| d.severity == Severity::Error) =>
        {
            Ok((
                BoundMeasure {
                    value,
                    date_column,
                    conditions,
                },
                errors,
            ))
        }
        _ => Err(errors),
    }
}
