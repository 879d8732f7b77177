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
use crate::engine::payment::Entry;
use crate::engine::{Line, LineKind, RunResult};
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
    /// For the rest of a closed payout period's earning (what the ledger recorded beyond what the
    /// data compute now): that period, whose later negative corrections impair this cost.
    pub corrects: Option<Period>,
}

/// A deal's commission clawed back (`deal`), or a closed period's earning corrected down
/// (`corrects`): `recovered` (positive) is what the rep gives back.
#[derive(Debug, Clone)]
pub struct Clawback {
    pub rep: u32,
    pub plan: usize,
    pub component: usize,
    pub deal: Option<u32>,
    pub corrects: Option<Period>,
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
/// month up to `through`; `closed` tells the payout periods the ledger closed.
pub fn collect(
    settings: &AccountingSettings,
    inputs: &Inputs,
    runs: &[RunResult],
    through: Period,
    closed: &dyn Fn(Period) -> bool,
) -> (Vec<Cost>, Vec<Clawback>) {
    let mut found = Collector {
        settings,
        inputs,
        cancelled: cancelled_deals(inputs),
        costs: Vec::new(),
        clawbacks: Vec::new(),
        corrections: Vec::new(),
    };
    for run in runs {
        for r in &run.reps {
            let plan = &inputs.plans[r.plan];
            for c in &r.components {
                if !capitalised(settings, &plan.id, &plan.components[c.component].id) {
                    continue;
                }
                for p in c.periods.iter().filter(|p| p.in_run) {
                    let at = At {
                        rep: r.rep,
                        plan: r.plan,
                        component: c.component,
                        month: month_of(p.payout_period),
                        period: p.payout_period,
                        closed: closed(p.payout_period),
                    };
                    if at.month > through {
                        continue;
                    }
                    let key = (r.owner(c), p.payout_period);
                    let entries = run
                        .payment
                        .entries
                        .get(&key)
                        .map_or(&[][..], |v| v.as_slice());
                    found.period(&at, p.lines(), entries);
                }
            }
        }
    }
    found.place_corrections();
    (found.costs, found.clawbacks)
}

/// Where a payout period's costs belong.
#[derive(Clone, Copy)]
struct At {
    rep: u32,
    plan: usize,
    component: usize,
    /// The month it is paid in.
    month: Period,
    period: Period,
    closed: bool,
}

struct Collector<'a> {
    settings: &'a AccountingSettings,
    inputs: &'a Inputs,
    cancelled: BTreeMap<u32, Vec<u32>>,
    costs: Vec<Cost>,
    clawbacks: Vec<Clawback>,
    /// Corrections of closed periods paid in open ones: where paid, the period corrected, amount.
    corrections: Vec<(At, Period, Decimal)>,
}

impl Collector<'_> {
    fn cost(&self, at: &At, deal: Option<u32>, amount: Decimal) -> Cost {
        Cost {
            rep: at.rep,
            plan: at.plan,
            component: at.component,
            deal,
            month: at.month,
            amount,
            months: months_for(self.settings, self.inputs, at.plan, deal),
            corrects: None,
        }
    }

    /// One payout period: its deals' costs (rounded), the rest of its earning, its clawbacks, and
    /// (open periods) the corrections of closed periods it pays, from the payment step's entries.
    fn period(&mut self, at: &At, lines: &[Line], entries: &[Entry]) {
        let mut by_deal: BTreeMap<u32, Decimal> = BTreeMap::new();
        let mut total = Decimal::ZERO;
        for l in lines {
            if l.kind == LineKind::Clawback {
                if let Some(credit) = l.credit {
                    self.clawbacks.push(Clawback {
                        rep: at.rep,
                        plan: at.plan,
                        component: at.component,
                        deal: Some(credit.deal),
                        corrects: None,
                        month: at.month,
                        recovered: -l.amount,
                    });
                }
                continue;
            }
            let correction = matches!(l.kind, LineKind::TrueUp | LineKind::PriorPeriod);
            if !is_cost(l.kind) || (correction && !at.closed) {
                continue;
            }
            total += l.amount;
            if let (true, Some(credit)) = (l.kind.is_deal_line(), l.credit) {
                *by_deal.entry(credit.deal).or_default() += l.amount;
            }
        }
        let rounding = &self.inputs.plans[at.plan].rounding;
        for (deal, amount) in by_deal {
            let rounded = rounding.apply(amount);
            total -= rounded;
            if !rounded.is_zero() {
                self.costs.push(self.cost(at, Some(deal), rounded));
            }
        }
        if !total.is_zero() && at.closed {
            // What the ledger recorded beyond what the data compute now: the deal a clawback took
            // out of the measures when there is one.
            let deal = cancelled_in(&self.cancelled, self.inputs, at.rep, at.plan, at.period);
            let mut rest = self.cost(at, deal, total);
            rest.corrects = Some(at.period);
            self.costs.push(rest);
        } else if !total.is_zero() {
            self.costs.push(self.cost(at, None, total));
        }
        if !at.closed {
            for e in entries {
                if matches!(e.kind, LineKind::TrueUp | LineKind::PriorPeriod) {
                    self.corrections.push((*at, e.for_period, e.amount));
                }
            }
        }
    }

    /// A closed period corrected down impairs what it capitalised beyond the data (its cost naming
    /// the period); any other correction is a cost of the month it is paid in.
    fn place_corrections(&mut self) {
        for (at, q, amount) in std::mem::take(&mut self.corrections) {
            let target = self.costs.iter().find(|c| {
                (c.rep, c.plan, c.component, c.corrects) == (at.rep, at.plan, at.component, Some(q))
                    && c.amount > Decimal::ZERO
            });
            match target {
                Some(t) if amount < Decimal::ZERO => self.clawbacks.push(Clawback {
                    rep: at.rep,
                    plan: at.plan,
                    component: at.component,
                    deal: t.deal,
                    corrects: Some(q),
                    month: at.month,
                    recovered: -amount,
                }),
                _ if amount.is_zero() => {}
                _ => {
                    let cost = self.cost(&at, None, amount);
                    self.costs.push(cost);
                }
            }
        }
    }
}

/// Per rep, the deals with a cancel date (when some plan's clawback takes cancelled deals out of
/// the measures).
fn cancelled_deals(inputs: &Inputs) -> BTreeMap<u32, Vec<u32>> {
    let mut out: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let reduces = inputs.plans.iter().any(|p| {
        p.payment
            .clawback
            .as_ref()
            .is_some_and(|c| c.reduce_attainment)
    });
    let deals = &inputs.deals;
    if let (true, Some(c)) = (reduces, deals.column("cancel_date")) {
        for (row, rep) in deals.owners().enumerate() {
            if deals.columns[c].date(row).is_some() {
                out.entry(rep).or_default().push(row as u32);
            }
        }
    }
    out
}

/// The one deal of `rep` closed in `period` that the plan's clawback (reducing attainment) cancels,
/// if there is exactly one.
fn cancelled_in(
    cancelled: &BTreeMap<u32, Vec<u32>>,
    inputs: &Inputs,
    rep: u32,
    plan: usize,
    period: Period,
) -> Option<u32> {
    let cb = inputs.plans[plan]
        .payment
        .clawback
        .as_ref()
        .filter(|c| c.reduce_attainment)?;
    let mut found = cancelled.get(&rep)?.iter().copied().filter(|&row| {
        period.contains(inputs.deals.close_date(row as usize))
            && crate::engine::payment::cancellation(&inputs.deals, cb, row as usize).is_some()
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}
