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
    /// Line of the `id` key in the plan file.
    pub id_line: u64,
    pub name: String,
    /// The plan file, as given (for diagnostics and the manifest).
    pub file: String,
    /// The plan file as the output files name it (the reconciliation's reasons): its path inside
    /// the workspace's folder, the same whichever folder the run starts from (see
    /// [`crate::workspace::name_in`]).
    #[serde(skip)]
    pub file_name: String,
    pub currency: String,
    pub rounding: Rounding,
    pub measures: Vec<Measure>,
    pub components: Vec<Component>,
    pub values: Vec<DerivedValue>,
    pub cap: Option<PlanCap>,
    /// Payment mechanics (`[payment]`): negative payables, draws.
    pub payment: super::payment_terms::Payment,
    /// Who the plan credits with which transactions.
    pub crediting: Crediting,
    /// How quota and target incentive scale for a partial period (hire, termination, plan change).
    pub proration: Proration,
    /// Quota (and optionally target incentive) scale by month of employment.
    pub ramp: Option<Ramp>,
    /// Ids the plan had before (`formerly`): ledger rows recorded under them are its history.
    pub formerly: Vec<FormerId>,
    /// Problems that do not stop the plan from being used (e.g. a curve that pays less higher up).
    #[serde(skip)]
    pub warnings: Vec<crate::diag::Diagnostic>,
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
    /// Which of the rep's credits the measure reads.
    pub credit: MeasureCredit,
}

/// Which credits a measure reads: the rep's own (owner, split, overlay, territory) or the team's
/// (rolled up from reports; one credit per deal, however many reports share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureCredit {
    Own,
    Team,
}

/// How a plan credits its reps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Crediting {
    /// `None`: the owner (and the credits file's splits and overlays); `Some(column)`: whoever holds
    /// the deal's value of that column (e.g. `territory`) in the territories file on the deal's date.
    pub holder_of: Option<String>,
    /// Managers on the plan are also credited with their reports' credits.
    pub rollup: Option<Rollup>,
    /// A rep who left (roster `end_date`) is still credited with deals closing up to this many days
    /// after their last day (0: none).
    pub leaver_window_days: u32,
    /// Line of the `[crediting]` table (0 without one).
    pub line: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rollup {
    /// Credits of direct reports.
    Direct,
    /// Credits of everyone below, at any depth.
    Subtree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proration {
    /// By active days ÷ days in the measurement period.
    #[default]
    Days,
    /// By whole months: a month counts when the rep is employed and on the plan on its `day`
    /// (1–28) ÷ the months of the measurement period.
    Months { day: u8 },
    /// Full quota and target incentive whatever the days.
    None,
}

/// The day of the month on which a rep must be on the plan for the month to count with
/// `proration = "months"` unless `proration_day` says otherwise (the mid-month rule).
pub const PRORATION_DAY: u8 = 15;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ramp {
    /// Scale for the 1st, 2nd, ... calendar month of employment (the start date's month is the
    /// 1st); 100% after the last.
    pub schedule: Vec<Decimal>,
    /// Whether the target incentive ramps too.
    pub target_incentive: bool,
    pub line: u64,
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
    /// Nothing is payable unless another measure's attainment reaches a level.
    pub gate: Option<Gate>,
    /// The earning is multiplied by a factor chosen by another measure's attainment.
    pub multiplier: Option<Multiplier>,
    /// Most the component can earn in one measurement period.
    pub cap: Option<Decimal>,
    /// Most the component pays over the life of the rep's plan assignment (all its payout periods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_cap: Option<LifetimeCap>,
    /// Ids the component had before in its plan (`formerly`): ledger rows recorded under them are
    /// its history.
    pub formerly: Vec<FormerId>,
}

/// An id a plan or component was known by before a rename, where the plan file declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormerId {
    pub id: String,
    pub line: u64,
    pub column: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Commission(Commission),
    Curve(Curve),
    Bonus(Bonus),
    Spiff(Spiff),
    /// The plan cap, as a component of its own (id `plan-cap`): a negative amount when the plan's
    /// total in a cap period exceeds the cap. Added by the parser after the plan's components.
    PlanCap(PlanCap),
}

impl ComponentKind {
    pub fn name(&self) -> &'static str {
        match self {
            ComponentKind::Commission(_) => "commission",
            ComponentKind::Curve(_) => "curve",
            ComponentKind::Bonus(_) => "bonus",
            ComponentKind::Spiff(_) => "spiff",
            ComponentKind::PlanCap(_) => "plan-cap",
        }
    }
}

impl Component {
    /// Whether the component's own measure needs a quota.
    pub fn needs_quota(&self) -> bool {
        match &self.kind {
            ComponentKind::Commission(c) => {
                c.tier_on.is_none()
                    && (c.table.basis == Basis::Attainment
                        || c.rules.iter().any(|r| r.table.basis == Basis::Attainment))
            }
            ComponentKind::Curve(_) | ComponentKind::Bonus(_) => true,
            ComponentKind::Spiff(_) | ComponentKind::PlanCap(_) => false,
        }
    }

    /// The measures of a curve's or bonus's weighted attainment (none for other components).
    pub fn weighted_measures(&self) -> impl Iterator<Item = usize> + '_ {
        self.weights().iter().map(|w| w.measure)
    }

    /// The weighted attainment of a curve or bonus (`weights`); empty: the component's own measure.
    pub fn weights(&self) -> &[MeasureWeight] {
        match &self.kind {
            ComponentKind::Curve(c) => c.weights.as_slice(),
            ComponentKind::Bonus(b) => b.weights.as_slice(),
            _ => &[],
        }
    }

    /// The rate table that governs display of tiers and rates (the default table).
    pub fn table(&self) -> Option<&RateTable> {
        match &self.kind {
            ComponentKind::Commission(c) => Some(&c.table),
            _ => None,
        }
    }
}

/// A commission: a rate table on the measure, optionally different tables by dimension (rules),
/// a per-deal floor and cap, a threshold on the measure itself, and a per-deal tier key.
#[derive(Debug, Clone, Serialize)]
pub struct Commission {
    /// The default table (used when no rule matches; empty `tiers` = no default).
    pub table: RateTable,
    pub rules: Vec<Rule>,
    pub deal_cap: Option<Decimal>,
    pub deal_floor: Option<Decimal>,
    pub threshold: Option<Threshold>,
    /// Choose each deal's tier by this per-deal value (a column or derived value) instead of the
    /// cumulative measure; the rate applies to the deal's measure value.
    pub tier_on: Option<String>,
    /// The most the deals sharing a value of a column (a customer, a product...) earn together in
    /// one measurement period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap_by: Option<DimensionCap>,
    /// Columns from the most specific to the least (`variant`, `product`, `category`): a rule on a
    /// more specific column wins over one on a less specific column, whatever their number of
    /// conditions. Empty: the rule with the most conditions wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub precedence: Vec<String>,
}

impl Commission {
    /// How specific rule `i` is: (the rank of its most specific column in `precedence`, counted
    /// from the least specific, 0 when none is listed; its number of conditions). Higher wins.
    pub fn specificity(&self, i: usize) -> (usize, usize) {
        let rule = &self.rules[i];
        let n = self.precedence.len();
        let rank = rule
            .when
            .iter()
            .filter_map(|c| self.precedence.iter().position(|p| *p == c.column))
            .map(|pos| n - pos)
            .max()
            .unwrap_or(0);
        (rank, rule.when.len())
    }
}

/// A cap over the life of a plan assignment (`lifetime_cap`): what the component pays, period after
/// period, from the assignment's start (or the rep's, on the roster's plan) never exceeds `amount`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LifetimeCap {
    pub amount: Decimal,
    pub line: u64,
}

/// A cap per value of a deals column, per measurement period (`cap_by`).
#[derive(Debug, Clone, Serialize)]
pub struct DimensionCap {
    pub column: String,
    pub amount: Decimal,
    pub line: u64,
}

/// A rate table that applies to the transactions matching `when` (most specific rule wins).
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub line: u64,
    pub when: Vec<Condition>,
    /// The rule's table (a flat 0 table when the rule pays `per_deal`).
    pub table: RateTable,
    /// A fixed amount per deal line instead of a rate (× the rep's credited share).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_deal: Option<Decimal>,
}

/// Nothing is earned until the measure reaches `at` (in the table's basis units).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Threshold {
    pub at: Decimal,
    /// `true`: once reached, everything to date is paid; `false`: the part below is never paid.
    pub catch_up: bool,
    pub line: u64,
}

/// Target-incentive curve: earning = TI × (months of the measurement period ÷ 12) × weight × curve(attainment).
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    /// (attainment, payout as a fraction of target), sorted by attainment.
    pub points: Vec<(Decimal, Decimal)>,
    pub interpolation: Interpolation,
    pub weight: Decimal,
    /// Annual target incentive for everyone on the plan; default: the roster's `target_incentive`.
    pub target_incentive: Option<Decimal>,
    /// How the curve continues past its last point; `None`: flat (the last point's payout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<CurveAfter>,
    /// Attainment as the weighted sum of several measures' attainments (`weights`); empty: the
    /// component's own measure alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<MeasureWeight>,
}

/// One measure's part of a weighted attainment: its attainment (measure ÷ its quota) × `weight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureWeight {
    /// Index into `Plan::measures`.
    pub measure: usize,
    /// The quotas file's `measure` (the component's `quota` for its own measure, else the measure's name).
    pub quota_measure: String,
    pub weight: Decimal,
}

/// A curve's continuation past its last point: a straight line of `slope`, up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CurveAfter {
    /// Payout added per point (0.01) of attainment: 0.02 = +2% of target per point.
    pub slope: Decimal,
    /// The most the curve pays (a payout fraction), if bounded.
    pub max: Option<Decimal>,
    pub line: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// Straight lines between points.
    Linear,
    /// The payout of the highest point reached, no interpolation.
    Step,
}

impl Curve {
    /// Decimal places of an interpolated payout fraction (0.0000000001 = a millionth of a percent point).
    pub const PRECISION: u32 = 10;

    /// Payout fraction at attainment `a`: 0 below the first point; above the last point, the last
    /// point's payout, or the line of [`Curve::after`] from it. Between points of a linear curve the
    /// fraction is a division, computed to [`Curve::PRECISION`] decimal places (half-even): the
    /// curve's one inexact step; the slope past the last point is rounded the same way.
    pub fn at(&self, a: Decimal) -> Decimal {
        if let Some(y) = self.past_last(a).map(|p| p.payout) {
            return y;
        }
        let Some(i) = self.points.iter().rposition(|(x, _)| *x <= a) else {
            return Decimal::ZERO;
        };
        let (x0, y0) = self.points[i];
        match (self.interpolation, self.points.get(i + 1)) {
            (Interpolation::Linear, Some(&(x1, y1))) if x1 > x0 => {
                (y0 + (y1 - y0) * (a - x0) / (x1 - x0)).round_dp_with_strategy(
                    Self::PRECISION,
                    rust_decimal::RoundingStrategy::MidpointNearestEven,
                )
            }
            _ => y0,
        }
    }

    /// Where attainment `a` lies past the last point of a curve that continues with a slope.
    pub fn past_last(&self, a: Decimal) -> Option<PastLast> {
        let after = self.after?;
        let &(x, y) = self.points.last()?;
        if a <= x {
            return None;
        }
        let points = (a - x) * Decimal::ONE_HUNDRED;
        let rise = (after.slope * points).round_dp_with_strategy(
            Self::PRECISION,
            rust_decimal::RoundingStrategy::MidpointNearestEven,
        );
        let line = y.checked_add(rise).unwrap_or(Decimal::MAX);
        let payout = after.max.map_or(line, |m| line.min(m));
        Some(PastLast {
            last: (x, y),
            points,
            rise,
            payout,
            at_max: payout < line,
        })
    }
}

/// The payout of an attainment past a curve's last point, with its parts for the statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastLast {
    /// The last point (attainment, payout).
    pub last: (Decimal, Decimal),
    /// Points of attainment past it (12.5 for 12.5%).
    pub points: Decimal,
    /// slope × points, rounded to [`Curve::PRECISION`].
    pub rise: Decimal,
    /// The payout fraction: last payout + rise, at most `max`.
    pub payout: Decimal,
    /// Whether `max` cut the line.
    pub at_max: bool,
}

/// A bonus paid once when attainment first reaches each level in a measurement period.
#[derive(Debug, Clone, Serialize)]
pub struct Bonus {
    pub levels: Vec<BonusLevel>,
    /// `true`: every level reached pays its amount; `false`: only the highest level reached pays.
    pub stacking: bool,
    /// Annual target incentive for `percent_of_ti` levels; default: the roster's `target_incentive`.
    pub target_incentive: Option<Decimal>,
    /// Attainment as the weighted sum of several measures' attainments (`weights`); empty: the
    /// component's own measure alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<MeasureWeight>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BonusLevel {
    pub attainment: Decimal,
    pub amount: BonusAmount,
    pub line: u64,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BonusAmount {
    Fixed(Decimal),
    /// A fraction of the annual target incentive.
    PercentOfTi(Decimal),
}

/// A fixed amount per unit of the measure (per deal on a count) for transactions dated in a window.
#[derive(Debug, Clone, Serialize)]
pub struct Spiff {
    pub amount: Decimal,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// A gate on another measure's attainment, evaluated at the end of each payout period.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// Index into `Plan::measures`.
    pub measure: usize,
    pub quota_measure: String,
    pub attainment: Decimal,
    /// `true`: once the gate opens, everything to date is paid; `false`: what was earned while it was
    /// closed is forfeited.
    pub catch_up: bool,
    pub line: u64,
}

/// A factor by another measure's attainment: the factor of the highest step reached.
#[derive(Debug, Clone, Serialize)]
pub struct Multiplier {
    pub measure: usize,
    pub quota_measure: String,
    /// (attainment from, factor), sorted.
    pub steps: Vec<(Decimal, Decimal)>,
    pub line: u64,
}

impl Multiplier {
    pub fn factor(&self, attainment: Decimal) -> Decimal {
        self.steps
            .iter()
            .rev()
            .find(|(from, _)| attainment >= *from)
            .map_or(Decimal::ONE, |(_, f)| *f)
    }
}

/// A cap on the plan's total per period (the sum of every component's payables in the period).
#[derive(Debug, Clone, Serialize)]
pub struct PlanCap {
    pub amount: Decimal,
    pub period: Granularity,
    pub line: u64,
}

/// A per-transaction value computed from columns.
#[derive(Debug, Clone, Serialize)]
pub struct DerivedValue {
    pub name: String,
    pub line: u64,
    pub expr: super::expr::Expr,
    pub source: String,
    /// Whether the value is money in the deal's currency (converted by FX when summed).
    pub money: bool,
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
    /// The rate; 0 for a tier that pays a fixed `amount`.
    pub rate: Decimal,
    /// A fixed amount for crossing the whole tier, prorated by the part of the tier crossed
    /// (marginal tables only; never on the open-ended last tier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    pub line: u64,
}
