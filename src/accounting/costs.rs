//! The costs of obtaining contracts that a run incurred: per rep, capitalised component, payout
//! period and deal, the commission of the deal's own lines (the engine's statement lines name their
//! deal), and per period the rest of the component's earning (rounding, corrections of closed
//! periods, what a closed period's ledger records beyond what the data compute now) as a cost naming
//! no deal. Clawback lines name the deal whose asset they impair.
//!
//! Invariants: per rep, component and payout period, the deal costs and the cost naming no deal sum
//! exactly to the period's earning as paid (the ledger's recorded earning for a closed period, the
//! engine's for an open one, plus the corrections paid in it); each deal's cost is rounded by the
//! plan's rounding, the remainder going to the cost naming no deal.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::month_of;
use crate::data::Inputs;
use crate::engine::{LineKind, RunResult};
use crate::finance_settings::AccountingSettings;
use crate::period::Period;

/// One cost incurred: a deal's commission (or, `deal: None`, the rest of a period's earning).
#[derive(Debug, Clone)]
pub struct Cost {
    pub rep: u32,
    pub plan: usize,
    pub component: usize,
    /// Row in the deals table.
    pub deal: Option<u32>,
    /// The month it is incurred (the month its payout period ends in).
    pub month: Period,
    pub amount: Decimal,
    /// The amortisation period, in months.
    pub months: u32,
}

/// A deal's commission clawed back: `recovered` (positive) is what the rep gives back.
#[derive(Debug, Clone)]
pub struct Clawback {
    pub rep: u32,
    pub plan: usize,
    pub component: usize,
    pub deal: u32,
    pub month: Period,
    pub recovered: Decimal,
}

/// Whether a component of a plan is capitalised (`"component"` or `"plan.component"` listed).
pub fn capitalised(settings: &AccountingSettings, plan: &str, component: &str) -> bool {
    settings
        .components
        .iter()
        .any(|c| c == component || *c == format!("{plan}.{component}"))
}

/// Whether a line is part of the cost of the period: the earning (every line that is not a payment
/// line) and the corrections of closed periods; not draws, holds, carried balances or adjustments,
/// which move payments in time or are decided by hand.
fn is_cost(kind: LineKind) -> bool {
    !kind.is_payment() || matches!(kind, LineKind::PriorPeriod | LineKind::Recorded)
}

/// The amortisation period of a cost: a renewal's own term; an initial deal's expected customer life
/// when renewals are not commensurate; otherwise the deal's term column, its type's months, the
/// plan's months, or `months`.
pub fn months_for(
    settings: &AccountingSettings,
    inputs: &Inputs,
    plan: usize,
    deal: Option<u32>,
) -> u32 {
    let deals = &inputs.deals;
    let cell = |name: &Option<String>| {
        let (name, row) = (name.as_ref()?, deal? as usize);
        let col = &deals.columns[deals.column(name)?];
        Some(col.display(row)).filter(|v| !v.is_empty())
    };
    let kind = cell(&settings.type_column);
    let renewal = kind
        .as_ref()
        .is_some_and(|k| settings.renewal_types.contains(k));
    if deal.is_some() && !renewal && !settings.renewals_commensurate {
        if let Some(life) = settings.customer_life_months {
            return life;
        }
    }
    // A whole number of months (`36`, `36.0`); anything else leaves the term to the rules below.
    let term = cell(&settings.term_column)
        .and_then(|t| t.trim().parse::<Decimal>().ok())
        .filter(|t| t.fract().is_zero() && t.is_sign_positive())
        .and_then(|t| t.trunc().to_string().parse::<u32>().ok());
    if let Some(t) = term {
        return t;
    }
    if let Some(m) = kind.and_then(|k| settings.months_by_type.get(&k).copied()) {
        return m;
    }
    let plan = &inputs.plans[plan];
    settings
        .months_by_plan
        .get(&plan.id)
        .copied()
        .unwrap_or(settings.months)
}

/// The costs and clawbacks of settled runs (kept with their lines), for payout periods paid in a
/// month up to `through`.
pub fn collect(
    settings: &AccountingSettings,
    inputs: &Inputs,
    runs: &[RunResult],
    through: Period,
) -> (Vec<Cost>, Vec<Clawback>) {
    let mut costs = Vec::new();
    let mut clawbacks = Vec::new();
    for run in runs {
        for r in &run.reps {
            let plan = &inputs.plans[r.plan];
            for c in &r.components {
                if !capitalised(settings, &plan.id, &plan.components[c.component].id) {
                    continue;
                }
                for p in c.periods.iter().filter(|p| p.in_run) {
                    let month = month_of(p.payout_period);
                    if month > through {
                        continue;
                    }
                    let cost = |deal: Option<u32>, amount: Decimal| Cost {
                        rep: r.rep,
                        plan: r.plan,
                        component: c.component,
                        deal,
                        month,
                        amount,
                        months: months_for(settings, inputs, r.plan, deal),
                    };
                    let mut by_deal: BTreeMap<u32, Decimal> = BTreeMap::new();
                    let mut total = Decimal::ZERO;
                    for l in &p.lines {
                        if l.kind == LineKind::Clawback {
                            if let Some(credit) = l.credit {
                                clawbacks.push(Clawback {
                                    rep: r.rep,
                                    plan: r.plan,
                                    component: c.component,
                                    deal: credit.deal,
                                    month,
                                    recovered: -l.amount,
                                });
                            }
                            continue;
                        }
                        if !is_cost(l.kind) {
                            continue;
                        }
                        total += l.amount;
                        if let (true, Some(credit)) = (l.kind.is_deal_line(), l.credit) {
                            *by_deal.entry(credit.deal).or_default() += l.amount;
                        }
                    }
                    for (deal, amount) in by_deal {
                        let rounded = plan.rounding.apply(amount);
                        total -= rounded;
                        if !rounded.is_zero() {
                            costs.push(cost(Some(deal), rounded));
                        }
                    }
                    if !total.is_zero() {
                        costs.push(cost(None, total));
                    }
                }
            }
        }
    }
    (costs, clawbacks)
}
