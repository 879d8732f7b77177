//! Amortisation schedules: each capitalised cost amortised straight-line from the month it is
//! incurred, its balance impaired when its deal is clawed back; journal entries and the asset's
//! roll-forward per month.
//!
//! Rounding (exact, to the plan's places): after `k` of `n` months the balance is the capitalised
//! amount × (n − k) / n rounded half away from zero, and each month's amortisation is the difference
//! of consecutive balances, so a schedule's months sum exactly to what was capitalised. An
//! impairment takes the clawed-back share of the balance at the start of its month (all of it for a
//! full clawback); what stays is amortised the same way over the months left.
//!
//! Invariants: per month and currency, opening + capitalised − amortised − impaired = closing, and a
//! month's closing is the next month's opening; every journal entry debits what it credits.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use super::costs::{Clawback, Cost};
use crate::data::Inputs;
use crate::period::Period;

/// What a cost is, once the practical expedient is applied.
#[derive(Debug, Clone)]
pub struct Item {
    pub cost: Cost,
    pub rep_id: String,
    pub plan_id: String,
    pub component_id: String,
    pub deal_id: String,
    pub currency: String,
    pub places: u32,
    pub cost_centre: String,
    /// Expensed when incurred (the practical expedient: an amortisation period of 12 months or less).
    pub expensed: bool,
}

/// One month of an item's schedule.
#[derive(Debug, Clone, Default)]
pub struct Month {
    pub month: Option<Period>,
    pub capitalised: Decimal,
    pub expensed: Decimal,
    pub amortised: Decimal,
    pub impaired: Decimal,
    /// What the rep gave back (a clawback) this month.
    pub recovered: Decimal,
    pub balance: Decimal,
}

/// An item and its months up to the last month asked for.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub item: Item,
    pub months: Vec<Month>,
}

fn round(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// The months an expedient applies to: 12 or less.
pub const EXPEDIENT_MONTHS: u32 = 12;

/// Items of the costs: names, currency, cost centre (`cost_centres`: rep id → cost centre).
pub fn items(
    inputs: &Inputs,
    costs: Vec<Cost>,
    expedient: bool,
    cost_centres: &BTreeMap<String, String>,
) -> Vec<Item> {
    costs
        .into_iter()
        .map(|cost| {
            let plan = &inputs.plans[cost.plan];
            let rep_id = inputs.roster.get(cost.rep).id.clone();
            Item {
                rep_id: rep_id.clone(),
                plan_id: plan.id.clone(),
                component_id: plan.components[cost.component].id.clone(),
                deal_id: cost
                    .deal
                    .map(|d| inputs.deals.id(d as usize).to_string())
                    .unwrap_or_default(),
                currency: plan.currency.clone(),
                places: plan.rounding.places,
                cost_centre: cost_centres.get(&rep_id).cloned().unwrap_or_default(),
                expensed: expedient && cost.months <= EXPEDIENT_MONTHS,
                cost,
            }
        })
        .collect()
}

/// The share of a deal's cost a clawback takes back (0 to 1).
fn clawed_share(recovered: Decimal, capitalised: Decimal) -> Decimal {
    if capitalised.is_zero() {
        return Decimal::ZERO;
    }
    (recovered / capitalised).abs().min(Decimal::ONE)
}

/// Every item's schedule through `through`. Items in order: rep, plan, component, month, deal.
pub fn schedules(mut items: Vec<Item>, clawbacks: &[Clawback], through: Period) -> Vec<Schedule> {
    items.sort_by(|a, b| {
        (
            &a.rep_id,
            &a.plan_id,
            a.cost.component,
            a.cost.month,
            &a.deal_id,
        )
            .cmp(&(
                &b.rep_id,
                &b.plan_id,
                b.cost.component,
                b.cost.month,
                &b.deal_id,
            ))
    });
    items
        .into_iter()
        .map(|item| {
            let mine: Vec<&Clawback> = clawbacks
                .iter()
                .filter(|c| {
                    let same = match c.corrects {
                        Some(q) => item.cost.corrects == Some(q),
                        None => c.deal.is_some() && c.deal == item.cost.deal,
                    };
                    same && (c.rep, c.plan, c.component)
                        == (item.cost.rep, item.cost.plan, item.cost.component)
                })
                .collect();
            let months = schedule(&item, &mine, through);
            Schedule { item, months }
        })
        .collect()
}

/// One item's months: from the month incurred until it is fully amortised (or `through`).
fn schedule(item: &Item, clawbacks: &[&Clawback], through: Period) -> Vec<Month> {
    let amount = item.cost.amount;
    let places = item.places;
    let recovered_in = |m: Period| -> Decimal {
        clawbacks
            .iter()
            .filter(|c| c.month == m)
            .map(|c| c.recovered)
            .sum()
    };
    let mut out = Vec::new();
    let mut month = item.cost.month;
    if item.expensed {
        out.push(Month {
            month: Some(month),
            expensed: amount,
            recovered: recovered_in(month),
            ..Month::default()
        });
        // A later clawback of an expensed deal is a recovery only.
        for c in clawbacks
            .iter()
            .filter(|c| c.month > month && c.month <= through)
        {
            out.push(Month {
                month: Some(c.month),
                recovered: c.recovered,
                ..Month::default()
            });
        }
        return out;
    }
    // The base being amortised, over how many months, and how many of them have gone.
    let (mut base, mut span, mut done) = (amount, item.cost.months.max(1), 0u32);
    let mut balance = Decimal::ZERO;
    let mut first = true;
    while month <= through {
        let mut m = Month {
            month: Some(month),
            ..Month::default()
        };
        if first {
            m.capitalised = amount;
            balance = amount;
            first = false;
        }
        let recovered = recovered_in(month);
        if !recovered.is_zero() {
            m.recovered = recovered;
            let share = clawed_share(recovered, amount);
            m.impaired = if share == Decimal::ONE {
                balance
            } else {
                round(balance * share, places)
            };
            balance -= m.impaired;
            (base, span, done) = (balance, span - done, 0);
        }
        if done < span {
            done += 1;
            let closing = round(
                base * Decimal::from(span - done) / Decimal::from(span),
                places,
            );
            m.amortised = balance - closing;
            balance = closing;
        }
        m.balance = balance;
        out.push(m);
        if balance.is_zero() && !clawbacks.iter().any(|c| c.month > month) {
            break;
        }
        month = month.next();
    }
    out
}

/// The asset's movement in one month and currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollForward {
    pub opening: Decimal,
    pub capitalised: Decimal,
    pub amortised: Decimal,
    pub impaired: Decimal,
    pub closing: Decimal,
}

/// Per currency and month (every month from the first cost to `through`), the roll-forward.
pub fn roll_forward(
    schedules: &[Schedule],
    through: Period,
) -> BTreeMap<(String, Period), RollForward> {
    let mut moves: BTreeMap<(String, Period), RollForward> = BTreeMap::new();
    let mut first: BTreeMap<String, Period> = BTreeMap::new();
    for s in schedules {
        let f = first
            .entry(s.item.currency.clone())
            .or_insert(s.item.cost.month);
        *f = (*f).min(s.item.cost.month);
        for m in &s.months {
            let Some(month) = m.month else { continue };
            let e = moves.entry((s.item.currency.clone(), month)).or_default();
            e.capitalised += m.capitalised;
            e.amortised += m.amortised;
            e.impaired += m.impaired;
        }
    }
    let mut out = BTreeMap::new();
    for (currency, start) in first {
        let mut opening = Decimal::ZERO;
        let mut month = start;
        while month <= through {
            let mut r = moves.remove(&(currency.clone(), month)).unwrap_or_default();
            r.opening = opening;
            r.closing = opening + r.capitalised - r.amortised - r.impaired;
            opening = r.closing;
            out.insert((currency.clone(), month), r);
            month = month.next();
        }
    }
    out
}

/// One line of a journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub month: Period,
    pub cost_centre: String,
    pub currency: String,
    /// `capitalise`, `expense`, `amortise`, `impair` or `clawback`.
    pub entry: &'static str,
    pub account: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// The accounts journal entries post to.
pub struct Accounts<'a> {
    pub asset: &'a str,
    pub expense: &'a str,
    pub payable: &'a str,
}

/// Journal entries per month, cost centre and currency: capitalised (asset ← payable), expensed by
/// the expedient (expense ← payable), amortised and impaired (expense ← asset), clawed back
/// (payable ← expense). A negative amount swaps the sides.
pub fn journal(schedules: &[Schedule], accounts: &Accounts) -> Vec<JournalLine> {
    type Key = (Period, String, String, usize);
    const ENTRIES: [&str; 5] = ["capitalise", "expense", "amortise", "impair", "clawback"];
    let mut sums: BTreeMap<Key, Decimal> = BTreeMap::new();
    for s in schedules {
        for m in &s.months {
            let Some(month) = m.month else { continue };
            let amounts = [
                m.capitalised,
                m.expensed,
                m.amortised,
                m.impaired,
                m.recovered,
            ];
            for (i, a) in amounts.into_iter().enumerate() {
                if !a.is_zero() {
                    *sums
                        .entry((
                            month,
                            s.item.cost_centre.clone(),
                            s.item.currency.clone(),
                            i,
                        ))
                        .or_default() += a;
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((month, cost_centre, currency, i), amount) in sums {
        if amount.is_zero() {
            continue;
        }
        let (debit, credit) = match i {
            0 => (accounts.asset, accounts.payable),
            1 => (accounts.expense, accounts.payable),
            2 | 3 => (accounts.expense, accounts.asset),
            _ => (accounts.payable, accounts.expense),
        };
        let (debit, credit) = if amount < Decimal::ZERO {
            (credit, debit)
        } else {
            (debit, credit)
        };
        let line = |account: &str, debit: Decimal, credit: Decimal| JournalLine {
            month,
            cost_centre: cost_centre.clone(),
            currency: currency.clone(),
            entry: ENTRIES[i],
            account: account.to_string(),
            debit,
            credit,
        };
        out.push(line(debit, amount.abs(), Decimal::ZERO));
        out.push(line(credit, Decimal::ZERO, amount.abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::{Calendar, Granularity};

    fn item(amount: Decimal, months: u32, month: Period) -> Item {
        Item {
            cost: Cost {
                rep: 0,
                plan: 0,
                component: 0,
                deal: Some(0),
                month,
                amount,
                months,
                corrects: None,
            },
            rep_id: "R".into(),
            plan_id: "p".into(),
            component_id: "c".into(),
            deal_id: "D".into(),
            currency: "USD".into(),
            places: 2,
            cost_centre: String::new(),
            expensed: false,
        }
    }

    #[test]
    fn every_schedule_sums_exactly_to_its_amount() {
        let cal = Calendar::default();
        let start = cal.period_of(
            Granularity::Month,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        let mut through = start;
        for _ in 0..120 {
            through = through.next();
        }
        // Amounts of 0.01 to 999.99 in awkward steps, over 1 to 61 months.
        for cents in (1..100_000i64).step_by(997) {
            for months in (1..=61).step_by(6) {
                let amount = Decimal::new(cents, 2);
                let s = schedule(&item(amount, months, start), &[], through);
                // A schedule ends once its balance is zero (0.01 over 7 months: in month 4).
                assert!(s.len() <= months as usize, "{amount} over {months}");
                let sum: Decimal = s.iter().map(|m| m.amortised).sum();
                assert_eq!(sum, amount, "{amount} over {months}");
                assert!(s.iter().all(|m| m.amortised >= Decimal::ZERO));
                assert_eq!(s.last().map(|m| m.balance), Some(Decimal::ZERO));
            }
        }
    }
}
