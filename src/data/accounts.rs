//! The accounts file of territory planning: one row per account with its potential (money), an
//! optional workload (a number: visits, an account count; 1 when absent), region and segment
//! constraints, the current owner and a `locked` flag.
//!
//! Invariants: account ids are unique; potential and workload are exact decimals ≥ 0; an owner is
//! a rep of the roster; `locked` is `true`/`yes`/`1` or `false`/`no`/`0`/empty; a locked account
//! has an owner. Rows are kept in file order with their lines (the planner sorts by id).

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::Roster;
use crate::diag::Diagnostics;
use crate::workspace::{InputKind, InputSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub potential: Decimal,
    pub workload: Decimal,
    pub region: String,
    pub segment: String,
    /// The current owner's roster index.
    pub owner: Option<u32>,
    pub locked: bool,
    pub line: u64,
}

#[derive(Debug, Default)]
pub struct Accounts {
    pub file: String,
    pub rows: Vec<Account>,
    pub info: Option<FileInfo>,
}

/// The spec of a file given on the command line: canonical headers, ISO dates, plain numbers.
pub fn command_line_spec(kind: InputKind, path: &Path) -> InputSpec {
    InputSpec::plain(kind, path.to_path_buf(), path.display().to_string())
}

pub fn read_accounts(
    path: &Path,
    roster: &Roster,
    diags: &mut Diagnostics,
) -> anyhow::Result<Accounts> {
    let spec = command_line_spec(InputKind::Accounts, path);
    let Some(mut input) = CsvInput::open(&spec, diags)? else {
        return Ok(Accounts::default());
    };
    let col = |name: &str| input.position(name);
    let (c_id, c_pot) = (
        col("account_id").unwrap_or(0),
        col("potential").unwrap_or(0),
    );
    let (c_work, c_region, c_seg, c_owner, c_locked) = (
        col("workload"),
        col("region"),
        col("segment"),
        col("owner"),
        col("locked"),
    );
    let cells = Cells::of(&input);
    let mut out = Accounts {
        file: input.file.clone(),
        ..Accounts::default()
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let id = row.get(c_id).to_string();
        if id.is_empty() {
            diags.push(err("value-missing", c_id, "the account id is empty".into()));
            return;
        }
        if let Some(first) = seen.insert(id.clone(), row.line) {
            diags.push(
                err(
                    "account-duplicate",
                    c_id,
                    format!("account `{id}` is also on line {first}"),
                )
                .hint("list each account once"),
            );
            return;
        }
        let number = |c: usize, what: &str, diags: &mut Diagnostics| -> Option<Decimal> {
            match spec.number_format.parse(row.get(c)) {
                Some(v) if !v.is_sign_negative() => Some(v),
                _ => {
                    diags.push(err(
                        "amount-invalid",
                        c,
                        format!("the {what} is not a number ≥ 0"),
                    ));
                    None
                }
            }
        };
        let potential = number(c_pot, "potential", diags);
        let workload = match c_work {
            Some(c) if !row.get(c).is_empty() => number(c, "workload", diags),
            _ => Some(Decimal::ONE),
        };
        let owner = match c_owner {
            Some(c) if !row.get(c).is_empty() => match cells.rep(roster, row, c, diags) {
                Some(r) => Some(r),
                None => return,
            },
            _ => None,
        };
        let locked = match c_locked.map(|c| row.get(c).to_ascii_lowercase()) {
            None => false,
            Some(v) => match v.as_str() {
                "" | "false" | "no" | "0" => false,
                "true" | "yes" | "1" => true,
                _ => {
                    diags.push(err(
                        "account-locked-invalid",
                        c_locked.unwrap_or(0),
                        "locked is true or false".into(),
                    ).hint("write true, yes or 1 to keep the account with its owner; false, no, 0 or nothing otherwise"));
                    return;
                }
            },
        };
        if locked && owner.is_none() {
            diags.push(
                err(
                    "account-locked-unowned",
                    c_locked.unwrap_or(0),
                    format!("account `{id}` is locked but has no owner"),
                )
                .hint("name the owner it is locked to, or unlock it"),
            );
            return;
        }
        let text = |c: Option<usize>| c.map_or(String::new(), |c| row.get(c).to_string());
        if let (Some(potential), Some(workload)) = (potential, workload) {
            out.rows.push(Account {
                id,
                potential,
                workload,
                region: text(c_region),
                segment: text(c_seg),
                owner,
                locked,
                line: row.line,
            });
        }
    })?;
    out.info = Some(input.finish());
    Ok(out)
}
