//! What each rep still has outstanding after the ledger's closed periods and a run's open ones, read
//! from the payment step's lines (never recomputed): recoverable draw balances, negative payables
//! carried forward, and commission held until deals are paid, each with the payout period it came
//! from; and what waits for the next open payout period (a closed period's correction, a late
//! adjustment, a clawback), for the period it is for.
//!
//! Invariants: a rep's outstanding draw is the `balance` of its last draw line (`draw`, `recovery`,
//! `draw-forgiven`), split by the periods whose top-ups are still unrecovered (recoveries repay the
//! oldest first); a carried balance is the `balance` of the last `carry-forward`/`carry-in` line, from the month it was
//! first carried (a balance deducted and carried again in one month keeps its month); a
//! deal's held amount is its `hold` lines less its `release` lines; a waiting line is listed as
//! the line it will be, with the amount it will pay (negative: taken from the rep).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::engine::LineKind;
use crate::period::Period;

/// One payment line, from the ledger (closed periods) or a run (open ones), in payment order.
#[derive(Debug, Clone)]
pub struct PaymentLine {
    pub rep_id: String,
    pub plan: String,
    pub component: String,
    /// The payout period it was paid in.
    pub period: Period,
    /// The period it is for (a hold: the period the commission was credited in).
    pub for_period: Period,
    pub kind: LineKind,
    pub amount: Decimal,
    pub balance: Option<Decimal>,
    pub deal_id: String,
}

/// What is outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outstanding {
    /// A recoverable draw not yet recovered (owed by the rep).
    Draw,
    /// A negative payable carried forward (owed by the rep).
    Carried,
    /// Commission held until a deal is paid (owed to the rep).
    Held,
    /// A closed payout period that computes differently now: the difference, paid (or taken, when
    /// negative) in the component's next open payout period.
    Correction,
    /// An adjustment for a closed payout period, paid in the component's next open one.
    Adjustment,
    /// A cancelled deal's commission reversed in the component's next open payout period (negative).
    Clawback,
    /// Held commission of a cancelled deal released against its clawback in the next open period.
    Release,
}

impl Outstanding {
    pub fn name(self) -> &'static str {
        match self {
            Outstanding::Draw => "draw",
            Outstanding::Carried => "carried-negative",
            Outstanding::Held => "held",
            Outstanding::Correction => "pending-correction",
            Outstanding::Adjustment => "pending-adjustment",
            Outstanding::Clawback => "pending-clawback",
            Outstanding::Release => "pending-release",
        }
    }

    /// The kind of a line waiting for a later open payout period, by the line it will be.
    fn waiting(kind: LineKind) -> Option<Outstanding> {
        match kind {
            LineKind::TrueUp | LineKind::PriorPeriod => Some(Outstanding::Correction),
            LineKind::Adjustment => Some(Outstanding::Adjustment),
            LineKind::Clawback => Some(Outstanding::Clawback),
            LineKind::Release => Some(Outstanding::Release),
            _ => None,
        }
    }
}

/// One outstanding amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub rep_id: String,
    pub plan: String,
    pub component: String,
    pub kind: Outstanding,
    /// The payout period it came from.
    pub period: Period,
    pub deal_id: String,
    pub amount: Decimal,
}

/// Draw top-ups not yet recovered, oldest first: (payout period, amount).
type Unrecovered = Vec<(Period, Decimal)>;

/// Outstanding amounts of `lines` (in payment order), per rep, kind and period, and the lines
/// `waiting` for a later open payout period (a correction, adjustment, clawback or release: its
/// amount as that period will pay it, for the period it is for).
pub fn outstanding(lines: &[PaymentLine], waiting: &[PaymentLine]) -> Vec<Balance> {
    let mut out: Vec<Balance> = waiting
        .iter()
        .filter_map(|l| {
            Some(Balance {
                rep_id: l.rep_id.clone(),
                plan: l.plan.clone(),
                component: l.component.clone(),
                kind: Outstanding::waiting(l.kind)?,
                period: l.for_period,
                deal_id: l.deal_id.clone(),
                amount: l.amount,
            })
        })
        .collect();
    // Draws: per rep, plan and component, the unrecovered top-ups, oldest first.
    let mut draws: BTreeMap<(&str, &str, &str), Unrecovered> = BTreeMap::new();
    let mut carried: BTreeMap<&str, (Period, String, String, Decimal)> = BTreeMap::new();
    let mut held: BTreeMap<(&str, &str), (Period, String, String, Decimal)> = BTreeMap::new();
    // The month each rep's carried balance was last deducted in.
    let mut deducted_in: BTreeMap<&str, Period> = BTreeMap::new();
    for l in lines {
        let key = (l.rep_id.as_str(), l.plan.as_str(), l.component.as_str());
        match l.kind {
            LineKind::Draw if l.balance.is_some() => {
                let queue = draws.entry(key).or_default();
                let owed: Decimal = queue.iter().map(|q| q.1).sum();
                let added = l.balance.unwrap_or_default() - owed;
                if added > Decimal::ZERO {
                    queue.push((l.period, added));
                }
            }
            LineKind::Recovery | LineKind::DrawForgiven => {
                let queue = draws.entry(key).or_default();
                let target = l.balance.unwrap_or_default();
                let mut owed: Decimal = queue.iter().map(|q| q.1).sum();
                while owed > target {
                    let Some(first) = queue.first_mut() else {
                        break;
                    };
                    let take = first.1.min(owed - target);
                    first.1 -= take;
                    owed -= take;
                    if first.1.is_zero() {
                        queue.remove(0);
                    }
                }
            }
            LineKind::CarryIn => {
                if let Some(e) = carried.get_mut(l.rep_id.as_str()) {
                    e.3 = l.balance.unwrap_or_default();
                    deducted_in.insert(&l.rep_id, l.period);
                }
            }
            LineKind::CarryForward => {
                // A balance deducted and carried again in the same month still comes from the
                // month it was first carried.
                let from = match (
                    carried.get(l.rep_id.as_str()),
                    deducted_in.get(l.rep_id.as_str()),
                ) {
                    (Some(e), Some(&p)) if p == l.period => e.0,
                    _ => l.period,
                };
                let balance = l.balance.unwrap_or_default();
                carried.insert(
                    &l.rep_id,
                    (from, l.plan.clone(), l.component.clone(), balance),
                );
            }
            LineKind::Hold | LineKind::Release => {
                let e = held.entry((&l.rep_id, &l.deal_id)).or_insert((
                    l.for_period,
                    l.plan.clone(),
                    l.component.clone(),
                    Decimal::ZERO,
                ));
                e.3 -= l.amount;
            }
            _ => {}
        }
    }
    for ((rep, plan, component), queue) in draws {
        for (period, amount) in queue.into_iter().filter(|q| !q.1.is_zero()) {
            out.push(Balance {
                rep_id: rep.to_string(),
                plan: plan.to_string(),
                component: component.to_string(),
                kind: Outstanding::Draw,
                period,
                deal_id: String::new(),
                amount,
            });
        }
    }
    for (rep, (period, plan, component, amount)) in carried {
        if !amount.is_zero() {
            out.push(Balance {
                rep_id: rep.to_string(),
                plan,
                component,
                kind: Outstanding::Carried,
                period,
                deal_id: String::new(),
                amount,
            });
        }
    }
    for ((rep, deal), (period, plan, component, amount)) in held {
        if !amount.is_zero() {
            out.push(Balance {
                rep_id: rep.to_string(),
                plan,
                component,
                kind: Outstanding::Held,
                period,
                deal_id: deal.to_string(),
                amount,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.rep_id, a.kind, a.period, &a.deal_id).cmp(&(&b.rep_id, b.kind, b.period, &b.deal_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Calendar;

    #[test]
    fn recoveries_repay_the_oldest_draw_first() {
        let cal = Calendar::default();
        let p = |s: &str| cal.parse(s).unwrap();
        let line = |period: &str, kind, amount: i64, balance: i64| PaymentLine {
            rep_id: "R".into(),
            plan: "p".into(),
            component: "c".into(),
            period: p(period),
            for_period: p(period),
            kind,
            amount: Decimal::from(amount),
            balance: Some(Decimal::from(balance)),
            deal_id: String::new(),
        };
        // Draws of 800 (Jan) and 1,000 (Feb), 500 recovered in March: 300 of January's is left,
        // then 400 recovered in April takes the 300 and 100 of February's.
        let lines = [
            line("2026-01", LineKind::Draw, 800, 800),
            line("2026-02", LineKind::Draw, 1000, 1800),
            line("2026-03", LineKind::Recovery, -500, 1300),
            line("2026-04", LineKind::Recovery, -400, 900),
        ];
        let got: Vec<(String, Decimal)> = outstanding(&lines, &[])
            .into_iter()
            .map(|b| (b.period.to_string(), b.amount))
            .collect();
        assert_eq!(got, [("2026-02".to_string(), Decimal::from(900))]);
        let got: Vec<(String, Decimal)> = outstanding(&lines[..3], &[])
            .into_iter()
            .map(|b| (b.period.to_string(), b.amount))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01".to_string(), Decimal::from(300)),
                ("2026-02".to_string(), Decimal::from(1000))
            ]
        );
    }
}
