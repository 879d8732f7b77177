//! The workspace's finance sections: `[accounting]` (which components are incremental costs of
//! obtaining a contract, and over how many months they are amortised) and `[payroll]` (the payroll
//! import file's layout). Read with the workspace (`deny_unknown_fields`: a mistyped key is an error
//! naming its line); used by `accounting/` and `report/`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[accounting]`: capitalisation and amortisation of commissions (see docs/accounting.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountingSettings {
    /// Components whose deal commissions are capitalised: `"component"` (on every plan) or
    /// `"plan.component"`.
    pub components: Vec<String>,
    /// The amortisation period when nothing more specific applies (months).
    pub months: u32,
    /// Months per plan id (wins over `months`).
    #[serde(default)]
    pub months_by_plan: BTreeMap<String, u32>,
    /// A deals column naming the deal type (e.g. `deal_type`), for `months_by_type` and `renewal_types`.
    pub type_column: Option<String>,
    /// Months per deal type (wins over the plan's).
    #[serde(default)]
    pub months_by_type: BTreeMap<String, u32>,
    /// A deals column holding the contract term in months (wins over the type's, when filled in).
    pub term_column: Option<String>,
    /// Deal types that are renewals (their commission is amortised over their own term).
    #[serde(default)]
    pub renewal_types: Vec<String>,
    /// Whether renewal commissions are commensurate with initial ones (default true). When false,
    /// initial commissions are amortised over `customer_life_months`.
    #[serde(default = "yes")]
    pub renewals_commensurate: bool,
    /// The expected customer life (months), for initial commissions when renewals are not commensurate.
    pub customer_life_months: Option<u32>,
    /// Expense costs whose amortisation period is 12 months or less when incurred (default true).
    #[serde(default = "yes")]
    pub practical_expedient: bool,
    /// A roster column naming each rep's cost centre (journal entries are split by it).
    pub cost_centre_column: Option<String>,
    #[serde(default = "asset_account")]
    pub asset_account: String,
    #[serde(default = "expense_account")]
    pub expense_account: String,
    #[serde(default = "payable_account")]
    pub payable_account: String,
}

fn yes() -> bool {
    true
}
fn asset_account() -> String {
    "Capitalised commissions".into()
}
fn expense_account() -> String {
    "Commission expense".into()
}
fn payable_account() -> String {
    "Commissions payable".into()
}

/// `[payroll]`: the payroll import file written by `run --out` and `close`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayrollSettings {
    /// `generic` (default), `adp`, `gusto` or `custom` (then `columns` says every column).
    #[serde(default = "generic")]
    pub layout: String,
    /// The roster column holding the employee id payroll knows (default: the rep id).
    pub employee_id_column: Option<String>,
    /// Earnings code per component id; a component not listed is written under its own id.
    #[serde(default)]
    pub earnings_codes: BTreeMap<String, String>,
    /// Days after the end of the payout period that it is paid (default 0: the period's last day).
    #[serde(default)]
    pub pay_days_after: u32,
    /// The custom layout: each column's header and the field it holds.
    #[serde(default)]
    pub columns: Vec<PayrollColumn>,
    /// Folder (relative to the workspace file) `close` writes `payroll-<period>.csv` into.
    #[serde(default = "payroll_folder")]
    pub folder: String,
}

fn generic() -> String {
    "generic".into()
}
fn payroll_folder() -> String {
    "payroll".into()
}

/// One column of a custom payroll layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayrollColumn {
    pub header: String,
    /// `employee_id`, `rep_id`, `name`, `pay_date`, `period`, `earnings_code`, `component`,
    /// `amount`, `currency`, or `text:<fixed value>`.
    pub value: String,
}
