//! The workspace's finance sections: `[accounting]` (which components are incremental costs of
//! obtaining a contract, and over how many months they are amortised) and `[payroll]` (the payroll
//! import file's layout). Read with the workspace (`deny_unknown_fields`: a mistyped key is an error
//! naming its line); used by `accounting/` and `report/`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::Diagnostics;
use crate::toml_src::Source;

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

impl PayrollSettings {
    /// The layout's columns (header, field): a preset's, or the custom layout's checked.
    pub fn columns(&self) -> Result<Vec<(String, String)>, String> {
        let preset: &[(&str, &str)] = match self.layout.as_str() {
            "generic" => &[
                ("employee_id", "employee_id"),
                ("pay_date", "pay_date"),
                ("earnings_code", "earnings_code"),
                ("amount", "amount"),
                ("currency", "currency"),
            ],
            "adp" => &[
                ("File #", "employee_id"),
                ("Pay Date", "pay_date"),
                ("Earnings Code", "earnings_code"),
                ("Earnings Amount", "amount"),
            ],
            "gusto" => &[
                ("Employee ID", "employee_id"),
                ("Pay Date", "pay_date"),
                ("Earning Type", "earnings_code"),
                ("Amount", "amount"),
            ],
            "custom" if self.columns.is_empty() => {
                return Err("layout = \"custom\" needs columns = [{ header = \"...\", value = \"employee_id\" }, ...]".into())
            }
            "custom" => {
                return self
                    .columns
                    .iter()
                    .map(|c| check_field(&c.value).map(|()| (c.header.clone(), c.value.clone())))
                    .collect()
            }
            other => {
                return Err(format!(
                    "layout = {other:?}: one of \"generic\", \"adp\", \"gusto\", \"custom\""
                ))
            }
        };
        Ok(preset
            .iter()
            .map(|(h, f)| (h.to_string(), f.to_string()))
            .collect())
    }
}

/// What a payroll column can hold.
pub const PAYROLL_FIELDS: [&str; 9] = [
    "employee_id",
    "rep_id",
    "name",
    "pay_date",
    "period",
    "earnings_code",
    "component",
    "amount",
    "currency",
];

fn check_field(value: &str) -> Result<(), String> {
    if value.starts_with("text:") || PAYROLL_FIELDS.contains(&value) {
        return Ok(());
    }
    Err(format!(
        "column value {value:?}: one of {}, or text:<a fixed value>",
        PAYROLL_FIELDS.join(", ")
    ))
}

/// The sections checked (`workspace-value-invalid` naming the section's line otherwise): a payroll
/// layout that can be written, capitalised components named, amortisation periods of a month or more.
pub(crate) fn check(
    accounting: Option<&Spanned<AccountingSettings>>,
    payroll: Option<&Spanned<PayrollSettings>>,
    src: &Source,
    diags: &mut Diagnostics,
) -> (Option<AccountingSettings>, Option<PayrollSettings>) {
    let mut invalid = |span: std::ops::Range<usize>, message: String, hint: &str| {
        diags.push(
            src.error("workspace-value-invalid", span, message)
                .hint(hint.to_string()),
        )
    };
    if let Some(p) = payroll {
        if let Err(e) = p.get_ref().columns() {
            invalid(
                p.span(),
                format!("[payroll] {e}"),
                "see docs/accounting.md, \"Payroll file\"",
            );
        }
    }
    if let Some(a) = accounting {
        let s = a.get_ref();
        let months = std::iter::once(s.months)
            .chain(s.months_by_plan.values().copied())
            .chain(s.months_by_type.values().copied())
            .chain(s.customer_life_months);
        if s.components.is_empty() {
            invalid(
                a.span(),
                "[accounting] components is empty".into(),
                "name the capitalised components, e.g. components = [\"new_business\"]",
            );
        }
        if months.into_iter().any(|m| m == 0) {
            invalid(
                a.span(),
                "[accounting] an amortisation period of 0 months".into(),
                "periods are whole months, 1 or more",
            );
        }
    }
    (
        accounting.map(|a| a.get_ref().clone()),
        payroll.map(|p| p.get_ref().clone()),
    )
}
