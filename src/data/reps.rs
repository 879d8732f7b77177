//! The rep roster: who is paid, under which plan, from when to when.
//!
//! Invariants: rep ids are unique; every rep's plan is a loaded plan (or the rep is reported);
//! start ≤ end when both are given; target incentives are exact decimals.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::csv_input::{CsvInput, FileInfo};
use super::parse_date;
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::Plan;
use crate::workspace::InputSpec;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Rep {
    pub id: String,
    pub name: String,
    /// Index into the sorted plan list; `None` when the rep has no plan (reported as a warning).
    pub plan: Option<usize>,
    pub plan_id: String,
    pub email: String,
    pub manager_id: String,
    /// The manager's roster index (None: no manager, or one not in the roster).
    pub manager: Option<u32>,
    pub team: String,
    pub territory: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub target_incentive: Option<Decimal>,
    pub currency: String,
    pub line: u64,
}

impl Rep {
    /// Whether the rep is employed on `date`.
    pub fn active_on(&self, date: NaiveDate) -> bool {
        self.start_date.is_none_or(|s| s <= date) && self.end_date.is_none_or(|e| date <= e)
    }

    /// Whether the rep is employed on any day of `[from, to]`.
    pub fn active_between(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.start_date.is_none_or(|s| s <= to) && self.end_date.is_none_or(|e| from <= e)
    }
}

#[derive(Debug, Default)]
pub struct Roster {
    pub file: String,
    pub reps: Vec<Rep>,
    index: rustc_hash::FxHashMap<String, u32>,
    /// The ids of up to 15 bytes (the usual case), packed in a number: one multiply to hash and one
    /// compare to match, for the lookup of every deal's owner.
    short: rustc_hash::FxHashMap<u128, u32>,
    /// When every id is one prefix and a number of fixed width (`R000123`), the number indexes a table.
    numbered: Option<Numbered>,
    pub info: Option<FileInfo>,
}

/// Rep ids of one shape: a common prefix, then `width` ASCII digits; `table[number]` is the rep
/// (16-bit, so a 20,000-rep table stays in the first-level cache; `u16::MAX` for no rep).
#[derive(Debug)]
struct Numbered {
    prefix: String,
    width: usize,
    table: Vec<u16>,
}

impl Numbered {
    fn build(ids: &[&str]) -> Option<Numbered> {
        let first = ids.first()?.as_bytes();
        let mut prefix = first.len();
        for id in ids {
            let id = id.as_bytes();
            if id.len() != first.len() {
                return None;
            }
            prefix = first[..prefix]
                .iter()
                .zip(id)
                .take_while(|(a, b)| a == b)
                .count();
        }
        // The digits the ids share belong to the number.
        while prefix > 0 && first[prefix - 1].is_ascii_digit() {
            prefix -= 1;
        }
        let width = first.len() - prefix;
        if width == 0 || width > 9 {
            return None;
        }
        let numbers: Vec<usize> = ids
            .iter()
            .map(|id| number(&id.as_bytes()[prefix..]))
            .collect::<Option<_>>()?;
        let max = numbers.iter().copied().max()?;
        // A sparse numbering, or a roster past 16-bit indexes, is left to the hash map.
        if max > 4 * ids.len() + 1024 || ids.len() >= u16::MAX as usize {
            return None;
        }
        let mut table = vec![u16::MAX; max + 1];
        for (i, n) in numbers.into_iter().enumerate() {
            table[n] = i as u16;
        }
        Some(Numbered {
            prefix: std::str::from_utf8(&first[..prefix]).ok()?.to_string(),
            width,
            table,
        })
    }

    #[inline(always)]
    fn find(&self, b: &[u8]) -> Option<u32> {
        if b.len() != self.prefix.len() + self.width {
            return None;
        }
        let (prefix, digits) = b.split_at(self.prefix.len());
        // A prefix is a few bytes: compared in line, not by a call to memcmp.
        if !prefix
            .iter()
            .zip(self.prefix.as_bytes())
            .all(|(a, b)| a == b)
        {
            return None;
        }
        let n = number(digits)?;
        self.table
            .get(n)
            .copied()
            .filter(|&i| i != u16::MAX)
            .map(u32::from)
    }
}

/// The value of a run of ASCII digits (at most 9 of them).
#[inline]
fn number(digits: &[u8]) -> Option<usize> {
    let mut n = 0usize;
    let mut valid = true;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        valid &= d < 10;
        n = n * 10 + d as usize;
    }
    valid.then_some(n)
}

impl Roster {
    #[inline]
    pub fn find(&self, id: &str) -> Option<u32> {
        self.find_bytes(id.as_bytes())
    }

    /// [`Self::find`] of an id's bytes (the deals reader's, once per deal).
    #[inline(always)]
    pub(crate) fn find_bytes(&self, id: &[u8]) -> Option<u32> {
        match &self.numbered {
            Some(numbered) => numbered.find(id),
            None => self.find_hashed(id),
        }
    }

    /// [`Self::find`] through the hash maps.
    fn find_hashed(&self, id: &[u8]) -> Option<u32> {
        match super::deals::pack_bytes(id) {
            Some(key) => self.short.get(&key).copied(),
            None => std::str::from_utf8(id)
                .ok()
                .and_then(|id| self.index.get(id))
                .copied(),
        }
    }

    /// A roster of bare ids (for the reader's tests).
    #[cfg(test)]
    pub(crate) fn from_ids(ids: &[&str]) -> Roster {
        let mut roster = Roster::default();
        for (i, id) in ids.iter().enumerate() {
            if let Some(key) = super::deals::pack(id) {
                roster.short.insert(key, i as u32);
            }
            roster.index.insert(id.to_string(), i as u32);
        }
        roster.numbered = Numbered::build(ids);
        roster
    }

    pub fn get(&self, index: u32) -> &Rep {
        &self.reps[index as usize]
    }

    /// The rep a user named on the command line by `id`; else an error naming the roster, and the
    /// reps meant when `id` is one's id in other letter case, or one's name.
    pub fn lookup(&self, id: &str) -> Result<u32, String> {
        if let Some(i) = self.find(id) {
            return Ok(i);
        }
        let wanted = id.trim();
        let meant: Vec<String> = self
            .reps
            .iter()
            .filter(|r| r.id.eq_ignore_ascii_case(wanted) || r.name.eq_ignore_ascii_case(wanted))
            .map(|r| format!("`{}` ({})", r.id, r.name))
            .collect();
        let mut message = format!("no rep `{id}` in the roster {}", self.file);
        if !meant.is_empty() {
            message.push_str(&format!(": did you mean {}?", meant.join(" or ")));
        }
        Err(message)
    }

    pub fn len(&self) -> usize {
        self.reps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reps.is_empty()
    }
}

/// Read the roster; `plans_complete` is false when a plan file failed to load (then a rep on an
/// unknown plan is not reported: the plan file's own error says why).
pub fn read_roster(
    spec: &InputSpec,
    plans: &[Plan],
    plans_complete: bool,
    diags: &mut Diagnostics,
) -> anyhow::Result<Roster> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Roster::default());
    };
    let file = input.file.clone();
    let col = |name: &str| input.position(name);
    let (c_id, c_name, c_plan) = (
        col("rep_id").unwrap_or(0),
        col("name").unwrap_or(0),
        col("plan").unwrap_or(0),
    );
    let optional = [
        "email",
        "manager_id",
        "team",
        "territory",
        "start_date",
        "end_date",
        "target_incentive",
        "currency",
    ]
    .map(col);
    let headers = input.headers.clone();
    let mut roster = Roster {
        file: file.clone(),
        ..Roster::default()
    };
    let known_plans: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();

    input.for_each_row(diags, |row, diags| {
        let text = |c: Option<usize>| c.map_or("", |i| row.get(i)).to_string();
        let err = |code, c: usize, msg: String| {
            Diagnostic::error(code, &file, msg)
                .line(row.line)
                .col_name(headers[c].clone())
                .value(row.get(c).to_string())
        };
        let id = row.get(c_id).to_string();
        if id.is_empty() {
            diags.push(err("rep-id-empty", c_id, "the rep id is empty".into()));
            return;
        }
        if let Some(&first) = roster.index.get(&id) {
            diags.push(err(
                "rep-id-duplicate",
                c_id,
                format!(
                    "rep `{id}` is listed twice (first on line {})",
                    roster.reps[first as usize].line
                ),
            ));
            return;
        }
        let mut date = |c: Option<usize>| -> Option<NaiveDate> {
            let i = c?;
            let v = row.get(i);
            if v.is_empty() {
                return None;
            }
            parse_date(v, &spec.date_format)
                .map_err(|m| diags.push(err("rep-date-invalid", i, m)))
                .ok()
        };
        let start_date = date(optional[4]);
        let end_date = date(optional[5]);
        if let (Some(s), Some(e)) = (start_date, end_date) {
            if e < s {
                diags.push(err(
                    "rep-dates-reversed",
                    optional[5].unwrap_or(0),
                    format!("end date {e} is before start date {s}"),
                ));
            }
        }
        let target_incentive = optional[6].and_then(|i| {
            let v = row.get(i);
            if v.is_empty() {
                return None;
            }
            spec.number_format.parse(v).or_else(|| {
                diags.push(err(
                    "rep-amount-invalid",
                    i,
                    format!("not {}", spec.number_format.describe()),
                ));
                None
            })
        });
        let plan_id = row.get(c_plan).to_string();
        let plan = plans.iter().position(|p| p.id == plan_id);
        if plan_id.is_empty() {
            diags.push(
                Diagnostic::warning(
                    "rep-no-plan",
                    &file,
                    format!("rep `{id}` has no plan and is not paid"),
                )
                .line(row.line),
            );
        } else if plan.is_none() && plans_complete {
            diags.push(
                err(
                    "rep-plan-unknown",
                    c_plan,
                    format!("rep `{id}` is on a plan that no plan file defines"),
                )
                .hint(format!("the plans loaded are: {}", known_plans.join(", "))),
            );
        }
        if let Some(key) = super::deals::pack(&id) {
            roster.short.insert(key, roster.reps.len() as u32);
        }
        roster.index.insert(id.clone(), roster.reps.len() as u32);
        roster.reps.push(Rep {
            id,
            name: row.get(c_name).to_string(),
            plan,
            plan_id,
            email: text(optional[0]),
            manager_id: text(optional[1]),
            manager: None,
            team: text(optional[2]),
            territory: text(optional[3]),
            start_date,
            end_date,
            target_incentive,
            currency: text(optional[7]),
            line: row.line,
        });
    })?;
    let ids: Vec<&str> = roster.reps.iter().map(|r| r.id.as_str()).collect();
    roster.numbered = Numbered::build(&ids);
    roster.info = Some(input.finish());
    let rolls_up = plans.iter().any(|p| p.crediting.rollup.is_some());
    link_managers(&mut roster, &headers, optional[1], rolls_up, diags);
    Ok(roster)
}

/// Resolve `manager_id` to roster indexes; a manager outside the roster ends the chain (warning), a
/// cycle is an error naming every rep on it.
fn link_managers(
    roster: &mut Roster,
    headers: &[String],
    column: Option<usize>,
    rolls_up: bool,
    diags: &mut Diagnostics,
) {
    let Some(column) = column else { return };
    // Managers outside the roster, with the reps who name them (warned about only when a plan rolls
    // up: otherwise `manager_id` is information only).
    let mut unknown: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for i in 0..roster.reps.len() {
        let rep = &roster.reps[i];
        if rep.manager_id.is_empty() {
            continue;
        }
        match roster.index.get(&rep.manager_id) {
            Some(&m) => roster.reps[i].manager = Some(m),
            None => unknown.entry(rep.manager_id.clone()).or_default().push(i),
        }
    }
    if rolls_up {
        for (manager, reps) in &unknown {
            let first = &roster.reps[reps[0]];
            let mut names: Vec<&str> = reps
                .iter()
                .take(3)
                .map(|&i| roster.reps[i].id.as_str())
                .collect();
            if reps.len() > 3 {
                names.push("…");
            }
            diags.push(
                Diagnostic::warning(
                    "rep-manager-unknown",
                    &roster.file,
                    format!(
                        "manager `{manager}` of {} rep(s) ({}) is not in the roster: nothing rolls up from them to `{manager}`",
                        reps.len(),
                        names.join(", ")
                    ),
                )
                .line(first.line)
                .col_name(headers[column].clone())
                .value(manager.clone())
                .hint("add the manager to the roster (with an empty plan if they are not paid here), or correct the id"),
            );
        }
    }
    // Walk up from every rep; a chain longer than the roster has a cycle.
    let mut reported = vec![false; roster.reps.len()];
    for start in 0..roster.reps.len() {
        let mut seen = Vec::new();
        let mut at = Some(start as u32);
        while let Some(r) = at {
            if let Some(pos) = seen.iter().position(|&x| x == r) {
                let cycle: Vec<u32> = seen[pos..].to_vec();
                if cycle.iter().all(|&c| !reported[c as usize]) {
                    let first = *cycle
                        .iter()
                        .min_by_key(|&&c| roster.reps[c as usize].line)
                        .unwrap_or(&r);
                    let names: Vec<&str> = cycle
                        .iter()
                        .map(|&c| roster.reps[c as usize].id.as_str())
                        .collect();
                    let rep = &roster.reps[first as usize];
                    diags.push(
                        Diagnostic::error(
                            "rep-hierarchy-cycle",
                            &roster.file,
                            format!(
                                "the manager chain loops: {} → {}",
                                names.join(" → "),
                                names[0]
                            ),
                        )
                        .line(rep.line)
                        .col_name(headers[column].clone())
                        .value(rep.manager_id.clone())
                        .hint("a rep cannot be their own manager, directly or through others"),
                    );
                }
                for &c in &cycle {
                    reported[c as usize] = true;
                }
                break;
            }
            seen.push(r);
            at = roster.reps[r as usize].manager;
        }
    }
    // Break the cycles so that walks up the hierarchy end.
    for (i, bad) in reported.iter().enumerate() {
        if *bad {
            roster.reps[i].manager = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Roster;

    #[test]
    fn numbered_ids_are_found_as_the_hash_map_finds_them() {
        let probes = [
            "R001", "R002", "R010", "R011", "R1", "R0011", "X001", "R00a", "r001", "", "R", "R999",
            "R-01", "R+01", "R 01",
        ];
        for ids in [
            &["R001", "R002", "R010"][..],
            &["R001", "R002", "R011", "X001"],
            &["R001", "R0011"],
            &["R001"],
            &["001", "002"],
            &["R999", "R001"],
        ] {
            let roster = Roster::from_ids(ids);
            let mut plain = Roster::from_ids(ids);
            plain.numbered = None;
            for probe in probes.iter().chain(ids) {
                assert_eq!(roster.find(probe), plain.find(probe), "{ids:?} {probe}");
                let expected = ids.iter().position(|i| i == probe).map(|i| i as u32);
                assert_eq!(plain.find(probe), expected, "{ids:?} {probe}");
            }
        }
        assert!(Roster::from_ids(&["R001", "R002"]).numbered.is_some());
        assert!(Roster::from_ids(&["R001", "X002"]).numbered.is_none());
        assert!(Roster::from_ids(&["R1", "R999999"]).numbered.is_none());
    }
}
