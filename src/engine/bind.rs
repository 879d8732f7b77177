//! Binding a plan to the deals table: column names in measures, filters, rules and `tier_on` become
//! column indexes (or derived values), filter literals become typed values, derived values are
//! computed for the deals of the plan's reps.
//!
//! Invariants: a bound plan refers only to columns that exist with a usable type; a filter value that
//! cannot be read in its column's type is a plan error naming the plan file and line; a derived value
//! that cannot be computed for a deal of the plan (division by zero, overflow) is an error naming the
//! deal's line; derived values are computed only for the plan's own reps' deals.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::data::{Codes, ColumnType, ColumnValues, DealTable};
use crate::diag::Diagnostic;
use crate::money::parse_ratio;
use crate::plan::expr::EvalError;
use crate::plan::{CompareOp, ComponentKind, Condition, MeasureValue, Plan, Test};

/// Where a per-deal number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Column(usize),
    Derived(usize),
}

#[derive(Debug, Clone, Copy)]
pub enum BoundValue {
    Count,
    Number { source: Source, money: bool },
}

#[derive(Debug, Clone)]
enum Literal {
    /// Allowed or not, by dictionary code.
    Text(Vec<bool>),
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
pub struct BoundCondition {
    source: Source,
    test: BoundTest,
}

impl BoundCondition {
    /// (column, allowed by dictionary code, negated) of a test of a text column's value against a
    /// list (`=`, `in`, `not in`); `None` for any other condition.
    pub(crate) fn text_list(&self) -> Option<(usize, &[bool], bool)> {
        match (&self.source, &self.test) {
            (
                Source::Column(ci),
                BoundTest::In {
                    values: Literal::Text(allowed),
                    negate,
                },
            ) => Some((*ci, allowed, *negate)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BoundMeasure {
    pub value: BoundValue,
    pub date_column: usize,
    conditions: Vec<BoundCondition>,
}

/// A plan bound to the deals table.
#[derive(Debug, Clone, Default)]
pub struct BoundPlan {
    pub measures: Vec<BoundMeasure>,
    /// Per derived value, per deal row (None: not a deal of this plan, or an empty operand).
    derived: Vec<Vec<Option<Decimal>>>,
    /// Per component, per rule: the rule's conditions.
    pub rules: Vec<Vec<Vec<BoundCondition>>>,
    /// Per component: the per-deal tier key.
    pub tier_on: Vec<Option<Source>>,
    /// Per component: the column of its `cap_by` (a deals column).
    pub cap_by: Vec<Option<usize>>,
}

fn compare<T: PartialOrd>(op: CompareOp, a: T, b: T) -> bool {
    match op {
        CompareOp::Lt => a < b,
        CompareOp::Lte => a <= b,
        CompareOp::Gt => a > b,
        CompareOp::Gte => a >= b,
    }
}

impl BoundPlan {
    /// A per-deal number: a decimal column's cell or a derived value.
    pub fn number(&self, deals: &DealTable, source: Source, row: usize) -> Option<Decimal> {
        match source {
            Source::Column(i) => deals.columns[i].decimal(row),
            Source::Derived(i) => self.derived[i][row],
        }
    }

    /// Whether the deal passes every condition.
    pub fn matches(&self, deals: &DealTable, conditions: &[BoundCondition], row: usize) -> bool {
        conditions.iter().all(|c| {
            let Source::Column(ci) = c.source else {
                let v = self.number(deals, c.source, row);
                return match &c.test {
                    BoundTest::Empty(want) => v.is_none() == *want,
                    BoundTest::In {
                        values: Literal::Decimal(vs),
                        negate,
                    } => v.is_some_and(|x| vs.contains(&x)) != *negate,
                    BoundTest::CompareDecimal(op, y) => v.is_some_and(|x| compare(*op, x, *y)),
                    _ => false,
                };
            };
            let col = &deals.columns[ci];
            match &c.test {
                BoundTest::Empty(want) => col.is_empty_at(row) == *want,
                BoundTest::In { values, negate } => {
                    let hit = match values {
                        Literal::Text(allowed) => col
                            .text_code_at(row)
                            .is_some_and(|c| allowed.get(c as usize).copied().unwrap_or(false)),
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

    /// Whether measure `m` selects the deal.
    pub fn selects(&self, deals: &DealTable, m: usize, row: usize) -> bool {
        self.matches(deals, &self.measures[m].conditions, row)
    }

    /// The conditions of measure `m`, in the order of its plan's filter.
    pub(crate) fn conditions(&self, m: usize) -> &[BoundCondition] {
        &self.measures[m].conditions
    }

    /// Where condition `c` of measure `m` reads its value.
    pub(crate) fn condition_source(&self, m: usize, c: usize) -> Source {
        self.measures[m].conditions[c].source
    }

    /// The first condition of measure `m` that the deal fails; `None` when the measure selects it.
    pub(crate) fn first_failing(&self, deals: &DealTable, m: usize, row: usize) -> Option<usize> {
        self.measures[m]
            .conditions
            .iter()
            .position(|c| !self.matches(deals, std::slice::from_ref(c), row))
    }

    /// Measure `m` over the rows `first..first + out.len()`: `out[i]` is cleared unless the measure
    /// selects row `first + i` (the same answer as [`Self::selects`], a condition at a time down the
    /// column: the usual text filters become a table lookup per cell).
    pub fn select_range(&self, deals: &DealTable, m: usize, first: usize, out: &mut [bool]) {
        for c in &self.measures[m].conditions {
            let text = match (c.source, &c.test) {
                (
                    Source::Column(ci),
                    BoundTest::In {
                        values: Literal::Text(allowed),
                        negate,
                    },
                ) => match &deals.columns[ci].values {
                    ColumnValues::Text { codes, .. } => Some((codes, allowed, *negate)),
                    _ => None,
                },
                _ => None,
            };
            let rows = first..first + out.len();
            match text {
                Some((Codes::Byte(codes), allowed, negate)) => {
                    keep_allowed(out, &codes[rows], allowed, negate)
                }
                Some((Codes::Narrow(codes), allowed, negate)) => {
                    keep_allowed(out, &codes[rows], allowed, negate)
                }
                Some((Codes::Wide(codes), allowed, negate)) => {
                    keep_allowed(out, &codes[rows], allowed, negate)
                }
                None => {
                    for (o, row) in out.iter_mut().zip(rows) {
                        *o = *o && self.matches(deals, std::slice::from_ref(c), row);
                    }
                }
            }
        }
    }
}

/// Clear `out[i]` unless `codes[i]` is allowed (or, with `negate`, unless it is not).
fn keep_allowed<C: Copy + Into<u32>>(
    out: &mut [bool],
    codes: &[C],
    allowed: &[bool],
    negate: bool,
) {
    for (o, &code) in out.iter_mut().zip(codes) {
        *o &= allowed.get(code.into() as usize).copied().unwrap_or(false) != negate;
    }
}

fn parse_literal_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Names a plan can use for per-deal values: the deals columns, then its derived values.
struct Names<'a> {
    plan: &'a Plan,
    deals: &'a DealTable,
}

impl Names<'_> {
    fn resolve(&self, name: &str) -> Option<(Source, ColumnType)> {
        if let Some(i) = self.plan.values.iter().position(|v| v.name == name) {
            let ty = if self.plan.values[i].money {
                ColumnType::Money
            } else {
                ColumnType::Decimal
            };
            return Some((Source::Derived(i), ty));
        }
        self.deals
            .column(name)
            .map(|i| (Source::Column(i), self.deals.columns[i].ty))
    }

    fn unknown(&self, context: &str, name: &str, line: u64, what: &str) -> Diagnostic {
        let mut available: Vec<&str> = self.deals.columns.iter().map(|c| c.name.as_str()).collect();
        available.extend(self.plan.values.iter().map(|v| v.name.as_str()));
        Diagnostic::error(
            "plan-column-unknown",
            &self.plan.file,
            format!(
                "{context}: {what} `{name}` is not a column of {} nor a derived value",
                self.deals.file
            ),
        )
        .line(line)
        .hint(format!(
            "columns and values available: {}",
            available.join(", ")
        ))
    }
}

/// Bind a whole plan; `reads(row)` says which deals the plan's reps are credited with (derived
/// values are computed for those only). Returns `None`
/// when an error was pushed to `diags` (warnings are pushed too).
pub fn bind_plan(
    plan: &Plan,
    reads: &dyn Fn(usize) -> bool,
    deals: &DealTable,
    diags: &mut Vec<Diagnostic>,
) -> Option<BoundPlan> {
    let errors_before = diags
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    let names = Names { plan, deals };
    let mut bound = BoundPlan::default();

    // Derived values, for the deals of this plan's reps.
    let mut inputs_ok = true;
    for v in &plan.values {
        for col in v.expr.columns() {
            match names.resolve(col) {
                Some((_, ColumnType::Decimal | ColumnType::Money))
                    if plan.values.iter().all(|o| o.name != col) => {}
                Some((Source::Derived(_), _)) => {
                    diags.push(Diagnostic::error("plan-expression-invalid", &plan.file, format!(
                        "derived value `{}` uses derived value `{col}`; write its expression out instead", v.name
                    )).line(v.line));
                    inputs_ok = false;
                }
                Some(_) => {
                    diags.push(Diagnostic::error("plan-column-type", &plan.file, format!(
                        "derived value `{}` uses `{col}`, which is not a number column", v.name
                    )).line(v.line).hint(format!("declare its type in the workspace: [deals.types] \"{col}\" = \"decimal\"")));
                    inputs_ok = false;
                }
                None => {
                    diags.push(names.unknown(
                        &format!("derived value `{}`", v.name),
                        col,
                        v.line,
                        "the column",
                    ));
                    inputs_ok = false;
                }
            }
        }
    }
    if inputs_ok {
        for v in &plan.values {
            let mut column = vec![None; deals.len()];
            for (row, cell) in column.iter_mut().enumerate() {
                if !reads(row) {
                    continue;
                }
                let get = |name: &str| {
                    deals
                        .column(name)
                        .and_then(|i| deals.columns[i].decimal(row))
                };
                match v.expr.eval(&get) {
                    Ok(x) => *cell = x,
                    Err(e) => diags.push(
                        Diagnostic::error(
                            "value-not-computable",
                            &deals.file,
                            format!(
                                "derived value `{}` = {} cannot be computed for deal `{}`: {}",
                                v.name,
                                v.source,
                                deals.id(row),
                                match e {
                                    EvalError::DivisionByZero => "division by zero",
                                    EvalError::Overflow => "the result is too large",
                                }
                            ),
                        )
                        .line(deals.line(row))
                        .hint(format!(
                            "defined at {}:{}; guard it, e.g. with a filter on the divisor",
                            plan.file, v.line
                        )),
                    ),
                }
            }
            bound.derived.push(column);
        }
    }

    for m in &plan.measures {
        let context = format!("measure `{}`", m.name);
        let value = match &m.value {
            MeasureValue::Count => Some(BoundValue::Count),
            MeasureValue::Sum(name) => match names.resolve(name) {
                Some((source, ColumnType::Decimal)) => Some(BoundValue::Number {
                    source,
                    money: false,
                }),
                Some((source, ColumnType::Money)) => Some(BoundValue::Number {
                    source,
                    money: true,
                }),
                Some(_) => {
                    diags.push(Diagnostic::error("plan-column-type", &plan.file, format!(
                        "measure `{}` sums `{name}`, which is not a number column", m.name
                    )).line(m.line).hint(format!(
                        "declare its type in the workspace: [deals.types] \"{name}\" = \"decimal\" (or \"money\")"
                    )));
                    None
                }
                None => {
                    diags.push(names.unknown(&context, name, m.line, "the summed column"));
                    None
                }
            },
        };
        let date_column = match deals.column(&m.date_column) {
            Some(i) if deals.columns[i].ty == ColumnType::Date => Some(i),
            Some(_) => {
                diags.push(
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
                diags.push(names.unknown(&context, &m.date_column, m.line, "the date column"));
                None
            }
        };
        let conditions = bind_conditions(&names, &context, &m.filter, diags);
        if let (Some(value), Some(date_column)) = (value, date_column) {
            bound.measures.push(BoundMeasure {
                value,
                date_column,
                conditions,
            });
        }
    }

    for comp in &plan.components {
        let context = format!("component `{}`", comp.id);
        let mut rules = Vec::new();
        let mut tier_on = None;
        if let ComponentKind::Commission(c) = &comp.kind {
            for r in &c.rules {
                rules.push(bind_conditions(
                    &names,
                    &format!("{context}, rule at line {}", r.line),
                    &r.when,
                    diags,
                ));
            }
            if let Some(name) = &c.tier_on {
                match names.resolve(name) {
                    Some((source, ColumnType::Decimal | ColumnType::Money)) => {
                        tier_on = Some(source)
                    }
                    Some(_) => diags.push(
                        Diagnostic::error(
                            "plan-column-type",
                            &plan.file,
                            format!("{context}: `tier_on = \"{name}\"` is not a number column"),
                        )
                        .line(comp.line),
                    ),
                    None => diags.push(names.unknown(&context, name, comp.line, "`tier_on`")),
                }
            }
        }
        bound.rules.push(rules);
        bound.tier_on.push(tier_on);
        bound
            .cap_by
            .push(bind_cap_by(&names, &context, comp, diags));
    }

    let errors_after = diags
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    (errors_after == errors_before).then_some(bound)
}

/// The deals column of a commission's `cap_by`: any column of the deals table (not a derived value).
fn bind_cap_by(
    names: &Names,
    context: &str,
    comp: &crate::plan::Component,
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let ComponentKind::Commission(c) = &comp.kind else {
        return None;
    };
    let cap = c.cap_by.as_ref()?;
    match names.resolve(&cap.column) {
        Some((Source::Column(i), _)) => Some(i),
        _ => {
            diags.push(names.unknown(context, &cap.column, cap.line, "`cap_by.column`"));
            None
        }
    }
}

fn bind_conditions(
    names: &Names,
    context: &str,
    conditions: &[Condition],
    diags: &mut Vec<Diagnostic>,
) -> Vec<BoundCondition> {
    let plan = names.plan;
    let deals = names.deals;
    let mut out = Vec::new();
    for c in conditions {
        let Some((source, ty)) = names.resolve(&c.column) else {
            diags.push(names.unknown(context, &c.column, c.line, "the filter column"));
            continue;
        };
        let bad_value = |v: &str, what: &str| {
            Diagnostic::error(
                "plan-filter-value",
                &plan.file,
                format!(
                    "{context}: column `{}` holds {what}, and {v:?} is not one",
                    c.column
                ),
            )
            .line(c.line)
        };
        // A text value no row has is most often a typo ("Closed Wn"): warn, listing what exists.
        let no_match = |v: &str| {
            let mut present: Vec<String> = match source {
                Source::Column(i) => match &deals.columns[i].values {
                    ColumnValues::Text { dict, .. } => {
                        dict.iter().take(12).map(|d| format!("{d:?}")).collect()
                    }
                    _ => Vec::new(),
                },
                Source::Derived(_) => Vec::new(),
            };
            if present.len() == 12 {
                present.push("...".into());
            }
            Diagnostic::warning(
                "plan-filter-no-match",
                &plan.file,
                format!(
                    "{context}: no row of {} has {} = {v:?}, so this value selects nothing",
                    deals.file, c.column
                ),
            )
            .line(c.line)
            .hint(format!("values present: {}", present.join(", ")))
        };
        let literal = |vs: &[String], diags: &mut Vec<Diagnostic>| -> Literal {
            match (ty, source) {
                (ColumnType::Text, Source::Column(i)) => {
                    // One flag per dictionary code: a filter test is then a single lookup.
                    let size = match &deals.columns[i].values {
                        ColumnValues::Text { dict, .. } => dict.len(),
                        _ => 0,
                    };
                    let mut allowed = vec![false; size];
                    for v in vs {
                        match deals.columns[i].text_code(v) {
                            Some(code) => allowed[code as usize] = true,
                            None if !deals.is_empty() => diags.push(no_match(v)),
                            None => {}
                        }
                    }
                    Literal::Text(allowed)
                }
                (ColumnType::Date, _) => Literal::Date(
                    vs.iter()
                        .filter_map(|v| {
                            parse_literal_date(v).or_else(|| {
                                diags.push(bad_value(v, "dates (write them YYYY-MM-DD)"));
                                None
                            })
                        })
                        .collect(),
                ),
                _ => Literal::Decimal(
                    vs.iter()
                        .filter_map(|v| {
                            parse_ratio(v).or_else(|| {
                                diags.push(bad_value(v, "numbers"));
                                None
                            })
                        })
                        .collect(),
                ),
            }
        };
        let test = match &c.test {
            Test::In(vs) => BoundTest::In {
                values: literal(vs, diags),
                negate: false,
            },
            Test::NotIn(vs) => BoundTest::In {
                values: literal(vs, diags),
                negate: true,
            },
            Test::Empty(b) => BoundTest::Empty(*b),
            Test::Compare(op, v) => match ty {
                ColumnType::Decimal | ColumnType::Money => match parse_ratio(v) {
                    Some(x) => BoundTest::CompareDecimal(*op, x),
                    None => {
                        diags.push(bad_value(v, "numbers"));
                        continue;
                    }
                },
                ColumnType::Date => match parse_literal_date(v) {
                    Some(x) => BoundTest::CompareDate(*op, x),
                    None => {
                        diags.push(bad_value(v, "dates (write them YYYY-MM-DD)"));
                        continue;
                    }
                },
                ColumnType::Text => {
                    diags.push(
                        Diagnostic::error("plan-filter-value", &plan.file, format!(
                            "{context}: `{}` compares text column `{}`; comparisons need a number or date column",
                            op.symbol(),
                            c.column
                        ))
                        .line(c.line)
                        .hint(if crate::data::deals::is_canonical(&c.column) {
                            format!("`{}` is a text column by the data contract; compare it with eq/in/not_in", c.column)
                        } else {
                            format!("declare its type: [deals.types] \"{}\" = \"decimal\"", c.column)
                        }),
                    );
                    continue;
                }
            },
        };
        out.push(BoundCondition { source, test });
    }
    out
}
