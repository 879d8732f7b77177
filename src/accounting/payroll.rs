//! Payroll rows: what payroll pays each employee on each pay date, per earnings code, from a
//! settled run's payables.
//!
//! Invariants: one row per employee, pay date, earnings code and currency; the rows of a rep sum to
//! the rep's payables in the run (rows of zero are left out); the pay date is the last day of the
//! payout period plus the workspace's `pay_days_after`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::data::Inputs;
use crate::engine::RunResult;
use crate::finance_settings::PayrollSettings;

/// One payroll row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayrollRow {
    pub employee_id: String,
    pub rep_id: String,
    pub name: String,
    pub pay_date: NaiveDate,
    /// The payout periods paid (joined with `+` when several share the row).
    pub period: String,
    pub earnings_code: String,
    /// The components paid (joined with `+` when several share the code).
    pub component: String,
    pub amount: Decimal,
    pub currency: String,
    pub places: u32,
}

/// The rows of a settled run. `employee_ids`: rep id → employee id (reps not in it are paid under
/// their rep id).
pub fn rows(
    settings: &PayrollSettings,
    inputs: &Inputs,
    run: &RunResult,
    employee_ids: &BTreeMap<String, String>,
) -> Vec<PayrollRow> {
    type Key = (String, NaiveDate, String, String);
    let mut by: BTreeMap<Key, PayrollRow> = BTreeMap::new();
    for r in &run.reps {
        let rep = inputs.roster.get(r.rep);
        let plan = &inputs.plans[r.plan];
        let employee_id = employee_ids
            .get(&rep.id)
            .filter(|e| !e.is_empty())
            .cloned()
            .unwrap_or_else(|| rep.id.clone());
        for c in &r.components {
            let component = &plan.components[c.component].id;
            let code = settings
                .earnings_codes
                .get(component)
                .cloned()
                .unwrap_or_else(|| component.clone());
            for p in c.periods.iter().filter(|p| p.in_run) {
                let pay_date =
                    p.payout_period.end() + chrono::Days::new(u64::from(settings.pay_days_after));
                let key = (
                    rep.id.clone(),
                    pay_date,
                    code.clone(),
                    plan.currency.clone(),
                );
                let row = by.entry(key).or_insert_with(|| PayrollRow {
                    employee_id: employee_id.clone(),
                    rep_id: rep.id.clone(),
                    name: rep.name.clone(),
                    pay_date,
                    period: String::new(),
                    earnings_code: code.clone(),
                    component: String::new(),
                    amount: Decimal::ZERO,
                    currency: plan.currency.clone(),
                    places: plan.rounding.places,
                });
                add_name(&mut row.period, &p.payout_period.to_string());
                add_name(&mut row.component, component);
                row.amount += p.payable;
            }
        }
    }
    by.into_values().filter(|r| !r.amount.is_zero()).collect()
}

/// Append `name` to a `+`-joined list unless it is there.
fn add_name(list: &mut String, name: &str) {
    if !list.split('+').any(|n| n == name) {
        if !list.is_empty() {
            list.push('+');
        }
        list.push_str(name);
    }
}
