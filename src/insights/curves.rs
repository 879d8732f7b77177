//! Each plan's payout curve for the HTML report: what the plan's first component with a quota
//! earns as a function of attainment, for a rep with the plan's mean quota (tiers) or mean target
//! incentive (curves), over the measurement periods of the run.
//!
//! Invariants: the curve is the component's base earning from its definition (tiers or curve
//! points), before gates, multipliers, caps and the plan's other components; exact decimals (the
//! chart converts to pixels); a plan whose first quota component is not a function of attainment
//! alone (tiers on amounts or on a deal column, rules by dimension, bonuses, weighted curves) has
//! no curve.

use rust_decimal::Decimal;

use super::Sources;
use crate::plan::{Basis, ComponentKind, Method, Plan};

/// The base earning of a plan's first quota component as a function of attainment.
pub struct PlanCurve {
    /// The plan id (as `reps.plan` shows it).
    pub plan: String,
    /// What the curve is drawn for: the plan's mean quota (tiers) or mean target incentive of the
    /// run's measurement periods (curves), named by `basis_name`.
    pub basis: Decimal,
    pub basis_name: &'static str,
    shape: Shape,
}

enum Shape {
    /// Rate tables on attainment: earning = f(attainment) × quota (amount tiers: their amounts),
    /// nothing below a threshold.
    Tiers(crate::plan::RateTable, Option<crate::plan::Threshold>),
    /// A target-incentive curve: earning = target × weight × curve(attainment).
    Curve(crate::plan::Curve),
}

impl PlanCurve {
    /// The earning at attainment `a` (a fraction: 1 = 100%).
    pub fn at(&self, a: Decimal) -> Decimal {
        let a = a.max(Decimal::ZERO);
        match &self.shape {
            Shape::Curve(c) => self.basis * c.weight * c.at(a),
            Shape::Tiers(t, threshold) => match threshold {
                Some(th) if a < th.at => Decimal::ZERO,
                // Without catch-up the part below the threshold never earns.
                Some(th) if !th.catch_up => {
                    tiers_at(t, a, self.basis) - tiers_at(t, th.at, self.basis)
                }
                _ => tiers_at(t, a, self.basis),
            },
        }
    }

    /// The attainments where the curve bends or jumps (tier breakpoints, curve points).
    pub fn breakpoints(&self) -> Vec<Decimal> {
        match &self.shape {
            Shape::Curve(c) => c.points.iter().map(|p| p.0).collect(),
            Shape::Tiers(t, threshold) => t
                .tiers
                .iter()
                .map(|t| t.from)
                .chain(threshold.as_ref().map(|th| th.at))
                .collect(),
        }
    }
}

/// A rate table on attainment at attainment `a`, for a quota of `quota`.
fn tiers_at(t: &crate::plan::RateTable, a: Decimal, quota: Decimal) -> Decimal {
    let ends = |i: usize| t.tiers.get(i + 1).map(|n| n.from);
    match t.method {
        Method::Marginal => t
            .tiers
            .iter()
            .enumerate()
            .map(|(i, tier)| {
                let top = ends(i).map_or(a, |e| a.min(e));
                let slice = (top - tier.from).max(Decimal::ZERO);
                match (tier.amount, ends(i)) {
                    (Some(amount), Some(end)) if end > tier.from => {
                        amount * slice / (end - tier.from)
                    }
                    _ => tier.rate * slice * quota,
                }
            })
            .sum(),
        Method::Flat | Method::Retroactive => t
            .tiers
            .iter()
            .rev()
            .find(|tier| tier.from <= a)
            .map_or(Decimal::ZERO, |tier| tier.rate * a * quota),
    }
}

/// The curve of every plan of the run with a drawable first quota component, by plan id.
pub fn plan_curves(sources: &Sources, run: &crate::engine::RunResult) -> Vec<PlanCurve> {
    let plans = &sources.inputs.plans;
    let totals = super::collect::primary_quotas(sources, run);
    let mut out = Vec::new();
    for (p, plan) in plans.iter().enumerate() {
        let Some(shape) = shape_of(plan) else {
            continue;
        };
        let reps: Vec<&(u32, usize, Decimal, usize)> =
            totals.iter().filter(|(_, plan, _, _)| *plan == p).collect();
        if reps.is_empty() {
            continue;
        }
        let n = Decimal::from(reps.len());
        let (basis, basis_name) = match &shape {
            Shape::Tiers(..) => (reps.iter().map(|r| r.2).sum::<Decimal>() / n, "mean quota"),
            Shape::Curve(c) => {
                let targets: Decimal = reps
                    .iter()
                    .map(|(rep, _, _, months)| {
                        let annual = c
                            .target_incentive
                            .or_else(|| sources.inputs.roster.get(*rep).target_incentive);
                        annual.unwrap_or_default() * Decimal::from(*months) / Decimal::from(12)
                    })
                    .sum();
                (targets / n, "mean target")
            }
        };
        out.push(PlanCurve {
            plan: plan.id.clone(),
            basis,
            basis_name,
            shape,
        });
    }
    out
}

/// The first component of the plan that needs a quota, when its earning is a function of
/// attainment alone.
fn shape_of(plan: &Plan) -> Option<Shape> {
    let component = plan.components.iter().find(|c| c.needs_quota())?;
    let shape = match &component.kind {
        ComponentKind::Commission(c)
            if c.table.basis == Basis::Attainment
                && c.rules.is_empty()
                && c.tier_on.is_none()
                && !c.table.tiers.is_empty() =>
        {
            Shape::Tiers(c.table.clone(), c.threshold)
        }
        ComponentKind::Curve(c) if c.weights.is_empty() => Shape::Curve(c.clone()),
        _ => return None,
    };
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Boundary, RateTable, RateType, Scope, Tier};

    fn tier(from: i64, rate: i64) -> Tier {
        Tier {
            from: Decimal::new(from, 2),
            to: None,
            rate: Decimal::new(rate, 2),
            amount: None,
            line: 0,
        }
    }

    fn table(method: Method) -> RateTable {
        RateTable {
            method,
            basis: Basis::Attainment,
            scope: Scope::Cumulative,
            boundary: Boundary::FromInclusive,
            rate_type: RateType::Percent,
            tiers: vec![tier(0, 10), tier(100, 20)],
        }
    }

    #[test]
    fn tiers_earn_by_their_method_for_the_quota() {
        let q = Decimal::from(1000);
        let d = |v: i64| Decimal::new(v, 2);
        // Marginal, 0–100% at 10%, above at 20%, quota 1,000: at 150%, 100 + 0.5 × 1,000 × 20% = 200.
        assert_eq!(tiers_at(&table(Method::Marginal), d(150), q), d(20000));
        assert_eq!(tiers_at(&table(Method::Marginal), d(50), q), d(5000));
        // Retroactive: at 150%, all of 1,500 at 20% = 300; just below 100%, 99% × 1,000 × 10%.
        assert_eq!(tiers_at(&table(Method::Retroactive), d(150), q), d(30000));
        assert_eq!(tiers_at(&table(Method::Retroactive), d(99), q), d(9900));
    }
}
