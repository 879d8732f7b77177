//! Groupings (`--by`): what each dimension reads, and the group keys of a rep, a deal credit or a
//! lead.
//!
//! Invariants: a key has one label code per dimension; the team dimension gives a rep one key per
//! manager above them (and their own, when they have reports), so a manager's row covers the whole
//! subtree; the total row (`(all)`) is kept apart from the groups and every item adds to it once.

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::data::{DealTable, Roster};

/// One dimension of `--by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// The credited rep.
    Rep,
    /// The rep's direct manager (`manager_id`).
    Manager,
    /// The manager hierarchy: one row per manager, covering everyone below them.
    Team,
    /// The calendar month (of the close date; of a lead's creation).
    Month,
    /// A column of the deals file, by name.
    Deal(String),
    /// A column of the roster.
    Roster(RosterField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterField {
    Name,
    Plan,
    Team,
    Territory,
    Email,
    Currency,
}

impl Dim {
    /// Whether the dimension is a property of a rep (then rep metrics such as attainment exist).
    pub fn of_rep(&self) -> bool {
        matches!(self, Dim::Rep | Dim::Manager | Dim::Team | Dim::Roster(_))
    }

    /// The name shown as the group column's header.
    pub fn header(&self) -> String {
        match self {
            Dim::Rep => "rep".into(),
            Dim::Manager => "manager".into(),
            Dim::Team => "team".into(),
            Dim::Month => "month".into(),
            Dim::Deal(c) => c.clone(),
            Dim::Roster(f) => format!("reps.{}", roster_name(*f)),
        }
    }
}

fn roster_name(f: RosterField) -> &'static str {
    match f {
        RosterField::Name => "name",
        RosterField::Plan => "plan",
        RosterField::Team => "team",
        RosterField::Territory => "territory",
        RosterField::Email => "email",
        RosterField::Currency => "currency",
    }
}

const ROSTER_FIELDS: [RosterField; 6] = [
    RosterField::Name,
    RosterField::Plan,
    RosterField::Team,
    RosterField::Territory,
    RosterField::Email,
    RosterField::Currency,
];

/// Parse one `--by` name: `rep`, `manager`, `team` (hierarchy), `month`, then a deals column (by
/// its name or header), then a roster column; `deals.X` and `reps.X` choose the file.
pub fn parse_dim(name: &str, deals: &DealTable) -> Result<Dim, String> {
    let deal_column = |c: &str| {
        deals
            .columns
            .iter()
            .find(|col| col.name == c || col.header == c)
            .map(|col| Dim::Deal(col.name.clone()))
    };
    let roster_column = |c: &str| {
        ROSTER_FIELDS
            .iter()
            .find(|f| roster_name(**f) == c)
            .map(|f| Dim::Roster(*f))
    };
    let found = match name {
        "rep" | "rep_id" => Some(Dim::Rep),
        "manager" | "manager_id" => Some(Dim::Manager),
        "team" => Some(Dim::Team),
        "month" => Some(Dim::Month),
        _ => match name.split_once('.') {
            Some(("deals", c)) => deal_column(c),
            Some(("reps", c)) => roster_column(c),
            _ => deal_column(name).or_else(|| roster_column(name)),
        },
    };
    found.ok_or_else(|| {
        let mut known: Vec<String> = ["rep", "manager", "team", "month"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        known.extend(deals.columns.iter().map(|c| c.name.clone()));
        known.extend(
            ROSTER_FIELDS
                .iter()
                .map(|f| format!("reps.{}", roster_name(*f))),
        );
        format!(
            "--by {name}: no such grouping; use one of {}",
            known.join(", ")
        )
    })
}

/// A group key: one label code per dimension.
pub type Key = SmallVec<[u32; 4]>;

/// The labels of every dimension, interned.
#[derive(Default)]
pub struct Labels {
    per_dim: Vec<(Vec<String>, FxHashMap<String, u32>)>,
}

impl Labels {
    pub fn new(dims: usize) -> Labels {
        Labels {
            per_dim: (0..dims).map(|_| Default::default()).collect(),
        }
    }

    pub fn code(&mut self, dim: usize, label: &str) -> u32 {
        let (names, index) = &mut self.per_dim[dim];
        if let Some(&c) = index.get(label) {
            return c;
        }
        names.push(label.to_string());
        let c = names.len() as u32 - 1;
        index.insert(label.to_string(), c);
        c
    }

    /// How many labels the dimension has.
    pub fn count(&self, dim: usize) -> usize {
        self.per_dim[dim].0.len()
    }

    pub fn label(&self, dim: usize, code: u32) -> &str {
        &self.per_dim[dim].0[code as usize]
    }
}

/// What a rep contributes to each rep dimension, computed once per rep.
pub struct RepCodes {
    /// `codes[rep][dim]`: the rep's label codes for a rep dimension (several for `team`, none when
    /// the rep is in no team); empty lists for the other dimensions.
    codes: Vec<Vec<SmallVec<[u32; 2]>>>,
    /// The codes of a deal without an owner, for each rep dimension.
    unassigned: Vec<SmallVec<[u32; 2]>>,
}

impl RepCodes {
    pub fn build(dims: &[Dim], roster: &Roster, labels: &mut Labels) -> RepCodes {
        let has_reports = reps_with_reports(roster);
        let codes = (0..roster.len())
            .map(|r| {
                dims.iter()
                    .enumerate()
                    .map(|(d, dim)| {
                        rep_labels(dim, roster, r as u32, &has_reports)
                            .iter()
                            .map(|l| labels.code(d, l))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let unassigned = dims
            .iter()
            .enumerate()
            .map(|(d, dim)| match dim {
                Dim::Team => SmallVec::new(),
                _ if dim.of_rep() => SmallVec::from_slice(&[labels.code(d, "(unassigned)")]),
                _ => SmallVec::new(),
            })
            .collect();
        RepCodes { codes, unassigned }
    }

    pub fn of(&self, rep: Option<u32>, dim: usize) -> &[u32] {
        match rep {
            Some(r) => &self.codes[r as usize][dim],
            None => &self.unassigned[dim],
        }
    }
}

fn reps_with_reports(roster: &Roster) -> Vec<bool> {
    let mut has = vec![false; roster.len()];
    for rep in &roster.reps {
        if let Some(m) = rep.manager {
            has[m as usize] = true;
        }
    }
    has
}

/// The labels of a rep for one rep dimension.
fn rep_labels(dim: &Dim, roster: &Roster, r: u32, has_reports: &[bool]) -> Vec<String> {
    let rep = roster.get(r);
    match dim {
        Dim::Rep => vec![rep.id.clone()],
        Dim::Manager if rep.manager_id.is_empty() => vec!["(none)".into()],
        Dim::Manager => vec![rep.manager_id.clone()],
        Dim::Team => {
            let mut teams = Vec::new();
            if has_reports[r as usize] {
                teams.push(rep.id.clone());
            }
            // The roster's reader refuses cycles; the bound keeps a bad roster from looping.
            let mut at = rep.manager;
            while let Some(m) = at.filter(|_| teams.len() <= roster.len()) {
                teams.push(roster.get(m).id.clone());
                at = roster.get(m).manager;
            }
            teams
        }
        Dim::Roster(f) => vec![match f {
            RosterField::Name => rep.name.clone(),
            RosterField::Plan => rep.plan_id.clone(),
            RosterField::Team => rep.team.clone(),
            RosterField::Territory => rep.territory.clone(),
            RosterField::Email => rep.email.clone(),
            RosterField::Currency => rep.currency.clone(),
        }],
        Dim::Month | Dim::Deal(_) => Vec::new(),
    }
}

/// The month label of a date: `2026-03`.
pub fn month_label(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Every key of the cross product of per-dimension code lists (none when a list is empty).
pub fn cross(per_dim: &[SmallVec<[u32; 2]>]) -> SmallVec<[Key; 2]> {
    // The usual case, one code per dimension: one key, built without the products.
    if per_dim.iter().all(|c| c.len() == 1) {
        let mut keys = SmallVec::new();
        keys.push(per_dim.iter().map(|c| c[0]).collect());
        return keys;
    }
    let mut keys: SmallVec<[Key; 2]> = SmallVec::from_elem(Key::new(), 1);
    for codes in per_dim {
        let mut next = SmallVec::new();
        for k in &keys {
            for &c in codes {
                let mut k2 = k.clone();
                k2.push(c);
                next.push(k2);
            }
        }
        keys = next;
    }
    keys
}
