//! The kind of a statement line: the engine's lines (deal, tier slices, modifiers, caps, rounding)
//! and the payment step's (corrections, adjustments, draws, balances, clawbacks, holds). The ledger
//! records the payment kinds in its `kind` column, so the type lives below both.

use serde::Serialize;

/// What a line of a payout period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    /// A deal's (or a tier slice of a deal's) commission, or a SPIFF on a deal.
    Deal,
    /// Retroactive uplift (or reversal) on the measure before a deal that changed the tier.
    Retro,
    /// A deal no rule of the component matches: it counts toward the measure but earns nothing.
    NoRule,
    /// The part of a deal's commission above the per-deal cap (negative).
    DealCap,
    /// The top-up of a deal's commission to the per-deal minimum (positive).
    DealFloor,
    /// Earnings held back (or released) by the threshold on the measure itself.
    Threshold,
    /// Target incentive × weight × curve(attainment), change since the previous payout period.
    Curve,
    /// A bonus level reached.
    Bonus,
    /// The multiplier's effect on earned-to-date, change since the previous payout period.
    Multiplier,
    /// Earnings held back, released or forfeited by a gate on another measure.
    Gate,
    /// The part of earned-to-date above the component's cap (change since the previous period).
    Cap,
    /// The part of the plan's total above the plan cap (change since the previous period).
    PlanCap,
    /// The change in rounding of earned-to-date (rounded − exact) since the previous payout period.
    Rounding,
    // Payment lines (see `super::payment`): between earned and paid.
    /// A closed earlier payout period of the same measurement period now computes differently: new − paid.
    TrueUp,
    /// A closed payout period of an earlier measurement period now computes differently: new − paid.
    PriorPeriod,
    /// A manual adjustment from the adjustments file.
    Adjustment,
    /// The draw's top-up of the payable to the guaranteed amount.
    Draw,
    /// Repayment of a recoverable draw balance from excess earnings (negative).
    Recovery,
    /// A recoverable draw balance forgiven (0.00; the balance is written off).
    DrawForgiven,
    /// A negative payable carried forward as a balance (positive: brings the payable to zero).
    CarryForward,
    /// A balance carried forward from an earlier payout period, deducted (negative).
    CarryIn,
    /// A negative payable floored at zero and not carried (`negative_payable = "floor"`; positive).
    Floored,
    /// A closed period's run: what the ledger recorded minus what the data compute now.
    Recorded,
    /// A cancelled deal's commission reversed (negative), in the payout period of the cancellation.
    Clawback,
    /// A deal's commission held until the deal is paid (negative).
    Hold,
    /// Held commission released in the payout period of the deal's paid date (positive).
    Release,
    /// The part of a component's payable above its lifetime cap (negative).
    LifetimeCap,
}

impl LineKind {
    pub fn name(self) -> &'static str {
        match self {
            LineKind::Deal => "deal",
            LineKind::Retro => "retro",
            LineKind::NoRule => "no-rule",
            LineKind::DealCap => "deal-cap",
            LineKind::DealFloor => "deal-floor",
            LineKind::Threshold => "threshold",
            LineKind::Curve => "curve",
            LineKind::Bonus => "bonus",
            LineKind::Multiplier => "multiplier",
            LineKind::Gate => "gate",
            LineKind::Cap => "cap",
            LineKind::PlanCap => "plan-cap",
            LineKind::Rounding => "rounding",
            LineKind::TrueUp => "true-up",
            LineKind::PriorPeriod => "prior-period",
            LineKind::Adjustment => "adjustment",
            LineKind::Draw => "draw",
            LineKind::Recovery => "recovery",
            LineKind::DrawForgiven => "draw-forgiven",
            LineKind::CarryForward => "carry-forward",
            LineKind::CarryIn => "carry-in",
            LineKind::Floored => "floored",
            LineKind::Recorded => "recorded",
            LineKind::Clawback => "clawback",
            LineKind::Hold => "hold",
            LineKind::Release => "release",
            LineKind::LifetimeCap => "lifetime-cap",
        }
    }

    /// Lines of the payment step (`true-up` included): not tier slices, they carry no measure range.
    pub fn is_settlement(self) -> bool {
        self == LineKind::TrueUp || self.is_payment()
    }

    /// Every payment kind, for parsing the ledger's `kind` column.
    pub const PAYMENT: [LineKind; 14] = [
        LineKind::TrueUp,
        LineKind::PriorPeriod,
        LineKind::Adjustment,
        LineKind::Draw,
        LineKind::Recovery,
        LineKind::DrawForgiven,
        LineKind::CarryForward,
        LineKind::CarryIn,
        LineKind::Recorded,
        LineKind::Clawback,
        LineKind::Hold,
        LineKind::Release,
        LineKind::Floored,
        LineKind::LifetimeCap,
    ];

    /// Payment lines that are not part of the true-up of earned-to-date: payable = earned-to-date −
    /// paid-to-date + the sum of these lines.
    pub fn is_payment(self) -> bool {
        matches!(
            self,
            LineKind::PriorPeriod
                | LineKind::Adjustment
                | LineKind::Draw
                | LineKind::Recovery
                | LineKind::DrawForgiven
                | LineKind::CarryForward
                | LineKind::CarryIn
                | LineKind::Floored
                | LineKind::Recorded
                | LineKind::Clawback
                | LineKind::Hold
                | LineKind::Release
                | LineKind::LifetimeCap
        )
    }

    /// Lines that belong to one deal (and print its id).
    pub fn is_deal_line(self) -> bool {
        matches!(
            self,
            LineKind::Deal
                | LineKind::Retro
                | LineKind::NoRule
                | LineKind::DealCap
                | LineKind::DealFloor
        )
    }
}
