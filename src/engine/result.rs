//! What the engine produces: per rep, per component, per payout period, with every line that makes
//! up the payable, and the reconciliation of the deals file.
//!
//! Invariants (checked by [`super::check_invariants`] after every run):
//! - the lines of a payout period sum exactly to its payable;
//! - payable = earned-to-date − paid-to-date, and earned-to-date is the rounded exact earning;
//! - every deal row is counted exactly once in the reconciliation.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::credit::NO_VIA;
use super::tiers::PieceKind;
use crate::data::quotas::Quota;
use crate::data::CreditKind;
use crate::period::Period;

pub use crate::line_kind::LineKind;
pub use crate::owner::{ComponentIx, Owner, PlanIx, RepIx};

/// How a deal entered the measure.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Credit {
    /// Index into the deals table.
    pub deal: u32,
    /// The deal's date for the measure (its `date` column): what places it in a period.
    pub date: chrono::NaiveDate,
    /// The deal's value in its own currency (amount, margin, quantity or 1 for a count).
    pub source_value: Decimal,
    /// FX rate applied (None when no conversion was needed).
    pub fx_rate: Option<Decimal>,
    /// Credited value in the plan currency (or units): value × FX rate × share.
    pub credited: Decimal,
    /// The rep's share of the deal (100% for the owner).
    pub share: Decimal,
    pub kind: CreditKind,
    /// Roll-up: the one report it comes from, or [`super::SEVERAL`] | index into
    /// [`RunResult::rollup_sources`]; territory: the deals column.
    pub via: u32,
}

impl Credit {
    /// The owner's credit: 100% of the value.
    pub(crate) fn owner(
        deal: u32,
        date: chrono::NaiveDate,
        source_value: Decimal,
        fx_rate: Option<Decimal>,
        credited: Decimal,
    ) -> Credit {
        Credit {
            deal,
            date,
            source_value,
            fx_rate,
            credited,
            share: Decimal::ONE,
            kind: CreditKind::Owner,
            via: NO_VIA,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub kind: LineKind,
    pub credit: Option<Credit>,
    /// 0-based tier number.
    pub tier: Option<usize>,
    /// For retro lines: the tier the measure was in before.
    pub from_tier: Option<usize>,
    /// Range of the cumulative measure the line covers.
    pub from: Decimal,
    pub to: Decimal,
    /// What the rate applies to.
    pub base: Decimal,
    pub rate: Decimal,
    pub amount: Decimal,
    /// For a slice of a tier that pays a fixed amount: the tier's width in measure units; `rate` is
    /// then the tier's amount and the line is `base × rate ÷ per`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per: Option<Decimal>,
    /// The rule of the component whose table priced the deal (None: the default table).
    pub rule: Option<u32>,
    /// The arithmetic, for lines that are not a tier slice (curve, bonus, modifiers, caps).
    pub detail: Option<Box<str>>,
}

impl Line {
    /// A line that is not a tier slice: its amount and the arithmetic behind it.
    pub(crate) fn note(
        kind: LineKind,
        credit: Option<Credit>,
        amount: Decimal,
        detail: String,
    ) -> Line {
        Line {
            kind,
            credit,
            tier: None,
            from_tier: None,
            from: Decimal::ZERO,
            to: Decimal::ZERO,
            base: Decimal::ZERO,
            rate: Decimal::ZERO,
            amount,
            per: None,
            rule: None,
            detail: Some(detail.into_boxed_str()),
        }
    }

    pub(crate) fn from_piece(
        kind: PieceKind,
        credit: Credit,
        p: &super::tiers::Piece,
        rule: Option<u32>,
    ) -> Line {
        let (kind, from_tier) = match kind {
            PieceKind::Slice => (LineKind::Deal, None),
            PieceKind::Retro { from_tier } => (LineKind::Retro, from_tier),
        };
        Line {
            kind,
            credit: Some(credit),
            tier: p.tier,
            from_tier,
            from: p.from,
            to: p.to,
            base: p.base,
            rate: p.rate,
            amount: p.amount,
            per: p.per,
            rule,
            detail: None,
        }
    }
}

/// One payout period of one component.
///
/// Kept for every (rep, component, payout period) of a run until its outputs are written, so it
/// holds inline only what every result has (144 bytes): what only some results have (the
/// lines and credits kept for statements and `explain`, a quota's proration, a cap's cut) is in one
/// optional boxed [`Detail`], the quota is stored without an `Option`'s tag, and the attainment is
/// derived from the measure and the quota, as the engine always computed it.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodResult {
    pub payout_period: Period,
    pub measurement_period: Period,
    /// Whether this payout period is part of the requested run (earlier ones of the same measurement
    /// period are computed for the true-up and shown by `explain` as context).
    pub in_run: bool,
    /// The quota of the measurement period (see [`Self::quota`]).
    pub(super) quota: QuotaSlot,
    /// Measure accumulated from the start of the measurement period to the end of this payout period.
    pub measure_to_date: Decimal,
    pub deals_to_date: u32,
    /// Exact earning to date, before rounding.
    pub earned_exact: Decimal,
    /// Earned to date, rounded by the plan's rounding.
    pub earned_to_date: Decimal,
    /// Earned to date at the end of the previous payout period of the same measurement period.
    pub paid_to_date: Decimal,
    pub payable: Decimal,
    /// What only some results have; `None` when it would be empty.
    pub(super) detail: Option<Box<Detail>>,
}

/// The parts of a [`PeriodResult`] that most results of a large run do not have.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Detail {
    /// When the quota was prorated or ramped: the full quota and the scale applied (boxed: most
    /// results with detail have lines and no proration).
    pub quota_scale: Option<Box<(Decimal, super::proration::Scale)>>,
    /// What caps cut from this payout period's earning (positive; deal caps, component and plan
    /// caps); [`Decimal::ZERO`] here is the same as no detail.
    pub capped_off: Decimal,
    /// Lines of this payout period: its deals and the rounding change. Empty unless lines were asked for.
    pub lines: Vec<Line>,
    /// The deals credited to the measure in this payout period (kept with the lines).
    pub credits: Vec<Credit>,
}

impl Detail {
    /// The detail, boxed, or `None` when it has nothing a result without detail would not show:
    /// no proration, no lines, no credits, and a cut that is [`Decimal::ZERO`] to the bit.
    pub(super) fn boxed(self) -> Option<Box<Detail>> {
        let empty = self.quota_scale.is_none()
            && self.lines.is_empty()
            && self.credits.is_empty()
            && is_plain_zero(self.capped_off);
        (!empty).then(|| Box::new(self))
    }
}

/// Whether `d` is [`Decimal::ZERO`] in representation too (no scale, no sign), so that dropping it
/// and giving back [`Decimal::ZERO`] changes no output.
fn is_plain_zero(d: Decimal) -> bool {
    d.serialize() == Decimal::ZERO.serialize()
}

/// A quota without an `Option`'s tag: `rows` is 0 when there is none (a quota sums one row or more).
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct QuotaSlot {
    amount: Decimal,
    line: u64,
    rows: u32,
}

impl QuotaSlot {
    pub(super) fn of(quota: Option<Quota>) -> QuotaSlot {
        match quota {
            Some(q) => {
                debug_assert!(q.rows > 0, "a quota sums at least one row");
                QuotaSlot {
                    amount: q.amount,
                    line: q.line,
                    rows: q.rows,
                }
            }
            None => QuotaSlot {
                amount: Decimal::ZERO,
                line: 0,
                rows: 0,
            },
        }
    }

    fn get(self) -> Option<Quota> {
        (self.rows > 0).then_some(Quota {
            amount: self.amount,
            line: self.line,
            rows: self.rows,
        })
    }
}

impl PeriodResult {
    /// The quota of the measurement period, when the component has one.
    pub fn quota(&self) -> Option<Quota> {
        self.quota.get()
    }

    /// measure_to_date ÷ quota (28 significant digits; shown rounded); `None` without a quota or
    /// when the division is undefined (a quota prorated to zero).
    pub fn attainment(&self) -> Option<Decimal> {
        self.quota()
            .and_then(|q| self.measure_to_date.checked_div(q.amount))
    }

    /// When the quota was prorated or ramped: the full quota and the scale applied.
    pub fn quota_scale(&self) -> Option<&(Decimal, super::proration::Scale)> {
        self.detail.as_ref().and_then(|d| d.quota_scale.as_deref())
    }

    /// What caps cut from this payout period's earning (positive; deal caps, component and plan caps).
    pub fn capped_off(&self) -> Decimal {
        self.detail.as_ref().map_or(Decimal::ZERO, |d| d.capped_off)
    }

    /// Lines of this payout period: its deals and the rounding change. Empty unless lines were asked for.
    pub fn lines(&self) -> &[Line] {
        self.detail.as_ref().map_or(&[], |d| &d.lines)
    }

    /// The deals credited to the measure in this payout period (kept with the lines).
    pub fn credits(&self) -> &[Credit] {
        self.detail.as_ref().map_or(&[], |d| &d.credits)
    }

    pub(super) fn set_capped_off(&mut self, capped_off: Decimal) {
        if self.detail.is_some() || !is_plain_zero(capped_off) {
            self.detail_mut().capped_off = capped_off;
        }
    }

    /// Adds a line (payment lines after the engine's).
    pub(super) fn push_line(&mut self, line: Line) {
        self.detail_mut().lines.push(line);
    }

    /// Drops the lines (the memory they held given back); the credits and the rest stay.
    pub(super) fn drop_lines(&mut self) {
        if let Some(d) = &mut self.detail {
            d.lines = Vec::new();
        }
    }

    fn detail_mut(&mut self) -> &mut Detail {
        self.detail.get_or_insert_with(Box::default)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentResult {
    /// Index into the plan's components.
    pub component: usize,
    pub periods: Vec<PeriodResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepResult {
    /// Roster index.
    pub rep: u32,
    pub plan: usize,
    /// The plan assignment's dates (`to` inclusive) when the plan comes from the assignments file.
    pub assignment: Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)>,
    pub components: Vec<ComponentResult>,
}

impl RepResult {
    /// Whom a component's lines and balances belong to: this rep, on this plan, that component.
    pub fn owner(&self, c: &ComponentResult) -> Owner {
        Owner::new(self.rep, self.plan, c.component)
    }
}

/// What happened to a deal row, compactly (one byte per row on large runs); see [`Status`].
///
/// A row credited to several reps may end differently for each; it is reported with the strongest
/// outcome, in the order of the variants (credited to anyone → credited; an exception wins so the row
/// is in the exceptions file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Outcome {
    /// No rep's crediting reads the row (e.g. its owner's plan credits by territory).
    NotCredited = 0,
    NoPlan = 1,
    /// Not selected by any measure; the stage is read from the deal row when reported.
    Filtered = 2,
    RepInactive = 3,
    OutOfPeriod = 4,
    /// Cancelled within the plan's clawback window, and the plan reduces attainment.
    Cancelled = 5,
    Credited = 6,
    /// Unusable (e.g. no FX rate) and sent to the exceptions in lenient mode.
    Exception = 7,
}

impl Outcome {
    pub(crate) fn from_u8(v: u8) -> Outcome {
        match v {
            1 => Outcome::NoPlan,
            2 => Outcome::Filtered,
            3 => Outcome::RepInactive,
            4 => Outcome::OutOfPeriod,
            5 => Outcome::Cancelled,
            6 => Outcome::Credited,
            7 => Outcome::Exception,
            _ => Outcome::NotCredited,
        }
    }
}

/// Why a deal row was not credited.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Counted in at least one measure of the run.
    Credited,
    /// Dated outside the periods the run computes.
    OutOfPeriod,
    /// The owner was not employed on the deal's date.
    RepInactive,
    /// The owner has no plan.
    NoPlan,
    /// No measure of the owner's plan selects it: the filter condition it fails, with the row's
    /// value (empty when no reason was found).
    Filtered(String),
    /// Sent to the exceptions (lenient mode).
    Exception,
    /// Cancelled: out of the measures by the plan's clawback.
    Cancelled,
    /// No crediting rule credits it to anyone (e.g. its owner's plan credits by territory and the
    /// territory has no holder on the deal's date).
    NotCredited,
    /// No owner (an empty `rep_id`), and nothing else credits it.
    Unassigned,
    /// Read but not loaded (lenient mode: its problems are in the exceptions).
    NotLoaded,
    /// A share of the row (split, overlay) not credited to a rep, with the reason (e.g. the rep had
    /// left: see [`super::leavers`]). Listed by `explain`, never a row's status.
    ShareNotCredited(String),
}

impl Status {
    pub fn describe(&self) -> String {
        match self {
            Status::Credited => "credited".into(),
            Status::OutOfPeriod => "outside the run's periods".into(),
            Status::RepInactive => "rep not active on the deal date".into(),
            Status::NoPlan => "rep has no plan".into(),
            Status::Filtered(reason) if reason.is_empty() => "not selected by any measure".into(),
            Status::Filtered(reason) => format!("not selected: {reason}"),
            Status::Exception => "sent to exceptions".into(),
            Status::Cancelled => "cancelled (clawback)".into(),
            Status::NotCredited => "credited to no one".into(),
            Status::Unassigned => "no owner (rep_id empty)".into(),
            Status::NotLoaded => "not loaded (sent to exceptions)".into(),
            Status::ShareNotCredited(reason) => reason.clone(),
        }
    }
}

/// A count of rows and the sum of their amounts (in the rows' own currency).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub rows: u64,
    pub amount: Decimal,
}

impl Tally {
    pub fn add(&mut self, amount: Decimal) {
        self.rows += 1;
        self.amount += amount;
    }
}

/// Rows and amounts of the deals file, per currency as they appear in the file: in total and by
/// status. Every data row of the file is in the input once, loaded or not (a row not loaded is
/// under the currency its cells give, with its amount when the amount cell can be read), so the
/// input's rows are the file's and, for every currency, the statuses add up to the input exactly.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reconciliation {
    /// Data rows in the deals file, loaded or not.
    pub file_rows: u64,
    /// Rows that could not be loaded (lenient mode: they are in the exceptions), also counted in
    /// `input` and under [`Status::NotLoaded`].
    pub not_loaded: u64,
    pub input: BTreeMap<String, Tally>,
    pub by_status: BTreeMap<Status, BTreeMap<String, Tally>>,
    /// Shares of credited rows (split, overlay) not credited because their rep had left: not rows,
    /// so outside the statuses' sums.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shares_not_credited: Vec<super::leavers::ShareNotCredited>,
}

impl Reconciliation {
    pub fn input_rows(&self) -> u64 {
        self.input.values().map(|t| t.rows).sum()
    }

    pub fn rows_with(&self, status: &Status) -> u64 {
        self.by_status
            .get(status)
            .map_or(0, |m| m.values().map(|t| t.rows).sum())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub period: Period,
    pub reps: Vec<RepResult>,
    pub reconciliation: Reconciliation,
    /// Deals not credited, with the reason, in deal-row order (kept only when lines are kept).
    pub not_credited: Vec<(u32, Status)>,
    /// Problems that do not stop the run (e.g. a filter value no row has).
    pub warnings: Vec<crate::diag::Diagnostic>,
    /// Lenient mode: every row not loaded or not usable, with the reason (file order).
    pub exceptions: Vec<crate::diag::Diagnostic>,
    /// The reports and shares behind each roll-up credit that combines several (see
    /// [`Credit::via`]).
    pub rollup_sources: Vec<Vec<(u32, Decimal)>>,
    /// What the ledger, adjustments and payment settings did to the payables.
    pub payment: super::payment::Settlement,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large run holds one result per (rep, component, payout period) until its outputs are
    /// written (1.44 million at 60,000 reps): what only some results have stays out of line.
    #[test]
    fn a_period_result_takes_144_bytes() {
        assert_eq!(std::mem::size_of::<PeriodResult>(), 144);
    }

    /// A result with lines (kept for the whole run when a plan's payment step needs them) takes
    /// its 144 bytes and a detail of 72: less than the 240 of a result with its lists in line.
    #[test]
    fn a_detail_takes_72_bytes() {
        assert_eq!(std::mem::size_of::<Detail>(), 72);
    }

    /// A cut of 0.00 prints as it was computed: only `Decimal::ZERO` itself is left out.
    #[test]
    fn a_zero_with_places_is_kept_as_detail() {
        let zero_with_places = Decimal::new(0, 2);
        assert!(!is_plain_zero(zero_with_places));
        assert!(is_plain_zero(Decimal::ZERO));
        let d = Detail {
            capped_off: zero_with_places,
            ..Detail::default()
        };
        assert_eq!(d.boxed().map(|d| d.capped_off.scale()), Some(2));
        assert!(Detail::default().boxed().is_none());
    }
}
