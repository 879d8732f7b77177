//! The validated plan model: what the engine computes from. Built only by [`super::parse`].
//!
//! Invariants: tiers are sorted by `from` and contiguous (each tier ends where the next begins, the last
//! is open-ended); every component names a measure of its plan; payout periods nest inside measurement
//! periods; every number is an exact decimal. Source lines are kept so later checks can point at the plan.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::Rounding;
use crate::period::Granularity;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    /// The plan file, as given (for diagnostics and the manifest).
    pub file: String,
    pub currency: String,
    pub rounding: Rounding,
    pub measures: Vec<Measure>,
    pub components: Vec<Component>,
}

impl Plan {
    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }
}

/// A named aggregate over credited transactions.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub name: String,
    pub line: u64,
    pub value: MeasureValue,
    /// The date column that places a transaction in a period.
    pub date_column: String,
    /// All conditions must hold (an empty filter selects every transaction).
    pub filter: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureValue {
    /// Sum of a decimal column; money columns are converted to the plan currency first.
    Sum(String),
    /// Number of transactions.
    Count,
}

/// One condition of a measure filter: `column op literal`.
#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    pub column: String,
    pub line: u64,
    pub test: Test,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    In(Vec<String>),
    NotIn(Vec<String>),
    Compare(CompareOp, String),
    /// `true`: the cell is empty; `false`: it is not.
    Empty(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Lte => "≤",
            CompareOp::Gt => ">",
            CompareOp::Gte => "≥",
        }
    }
}

/// An earning component of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub id: String,
    pub line: u64,
    /// Index into `Plan::measures`.
    pub measure: usize,
    pub measurement_period: Granularity,
    pub payout_period: Granularity,
    /// The quota measure name looked up in the quotas file (defaults to the measure's name).
    pub quota_measure: String,
    pub kind: ComponentKind,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Commission(RateTable),
}

impl Component {
    /// Whether the component cannot be computed without a quota.
    pub fn needs_quota(&self) -> bool {
        match &self.kind {
            ComponentKind::Commission(t) => t.basis == Basis::Attainment,
        }
    }
}

/// A commission rate table.
#[derive(Debug, Clone, Serialize)]
pub struct RateTable {
    pub method: Method,
    pub basis: Basis,
    pub scope: Scope,
    pub boundary: Boundary,
    pub rate_type: RateType,
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// One rate on everything.
    Flat,
    /// Each slice earns the rate of the tier it falls in.
    Marginal,
    /// The whole measure earns the rate of the highest tier reached.
    Retroactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Breakpoints are fractions of quota (0.5 = 50%).
    Attainment,
    /// Breakpoints are amounts of the measure.
    Amount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Tiers apply to the measure accumulated over the measurement period.
    Cumulative,
    /// Every transaction starts from zero.
    Transaction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Boundary {
    /// A tier covers `[from, to)`: a value on a breakpoint belongs to the higher tier (the default).
    FromInclusive,
    /// A tier covers `(from, to]`: a value on a breakpoint stays in the lower tier.
    ToInclusive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateType {
    /// The rate is a fraction of the measure (4% of bookings).
    Percent,
    /// The rate is an amount of money per unit of the measure (per seat, or per deal on a count).
    PerUnit,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tier {
    /// Lower breakpoint (fraction of quota, or amount).
    pub from: Decimal,
    /// Upper breakpoint; `None` for the last, open-ended tier.
    pub to: Option<Decimal>,
    pub rate: Decimal,
    pub line: u64,
}
