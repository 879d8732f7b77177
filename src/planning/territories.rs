//! Territory balancing: assign accounts to reps so that each rep's potential (and workload, when
//! asked) is close to the mean, keeping at least a share of accounts with their current owner and
//! never moving a locked one.
//!
//! Method (a documented standard heuristic, deterministic): (1) every locked account stays with
//! its owner, and every account whose owner is an eligible planning rep stays with them; (2) the
//! other accounts go, largest potential first (ties: account id), to the eligible rep with the
//! least potential so far (ties: rep id): greedy LPT; (3) local search: among all single moves
//! of an unlocked account to another eligible rep and all swaps of two accounts between reps, the
//! one that lowers the cost most is made, until none does. Cost = Σ over reps of (potential −
//! mean)² (+ the same for workload, scaled to potential units, with `--balance workload`) + a
//! penalty per account moved off its owner; a step that would keep fewer than the required share
//! of owned accounts with their owner is not taken.
//!
//! Each step of the search looks at every move and every pair of accounts (O(accounts²)), and the
//! search stops after 100 steps per account: meant for the accounts of a sales team (thousands),
//! not for millions.
//!
//! Eligibility: an account with a `region` goes only to reps whose roster `territory` is that
//! region, one with a `segment` only to reps whose roster `team` is that segment.
//!
//! Lower bound: for every account's set S of eligible reps, the accounts that can only go to reps
//! of S must be shared by them, so some rep of S holds at least their potential ÷ |S|; and some rep
//! holds the largest account, and each rep their locked accounts. The largest of these is a lower
//! bound on the largest rep's potential of any assignment (the keep constraint only raises it);
//! the report gives the gap between the assignment found and the bound.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub struct PlanAccount {
    pub id: String,
    pub potential: Decimal,
    pub workload: Decimal,
    pub region: String,
    pub segment: String,
    pub owner: Option<String>,
    pub locked: bool,
}

#[derive(Debug, Clone)]
pub struct PlanRep {
    pub id: String,
    pub region: String,
    pub segment: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The least share of owned accounts kept with their owner.
    pub keep: Decimal,
    pub balance_workload: bool,
    /// Cost of moving one account off its owner, as a share of the mean potential (squared into
    /// cost units).
    pub move_penalty: Decimal,
}

#[derive(Debug, thiserror::Error)]
pub enum BalanceError {
    #[error("no planned rep may take account `{0}`{where_}", where_ = constraints(.1, .2))]
    NoEligibleRep(String, String, String),
    #[error("account `{0}` is locked to `{1}`, who is not a planned rep who may take it")]
    LockedOwnerMissing(String, String),
    #[error("no reps to assign accounts to")]
    NoReps,
}

/// `(region `X`, segment `Y`)`, naming only the constraints the account has.
fn constraints(region: &str, segment: &str) -> String {
    let parts: Vec<String> = [("region", region), ("segment", segment)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k} `{v}`"))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Per rep: accounts, potential and workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Load {
    pub accounts: u32,
    pub potential: Decimal,
    pub workload: Decimal,
}

#[derive(Debug, Clone)]
pub struct Balance {
    pub reps: Vec<PlanRep>,
    pub accounts: Vec<PlanAccount>,
    /// Per account (sorted by id): the rep index assigned.
    pub assigned: Vec<usize>,
    /// Per rep: the load before (owners as given) and after.
    pub before: Vec<Load>,
    pub after: Vec<Load>,
    /// Owned accounts (by an eligible planning rep), and how many stay.
    pub owned: u32,
    pub kept: u32,
    pub lower_bound: Decimal,
    pub moves_tried: u32,
}

impl Balance {
    /// (account, from, to) of the accounts that changed hands (from: the owner, if any).
    pub fn moved(&self) -> Vec<(&str, Option<&str>, &str)> {
        self.accounts
            .iter()
            .zip(&self.assigned)
            .filter(|(a, &r)| a.owner.as_deref() != Some(self.reps[r].id.as_str()))
            .map(|(a, &r)| (a.id.as_str(), a.owner.as_deref(), self.reps[r].id.as_str()))
            .collect()
    }

    pub fn max_potential(&self) -> Decimal {
        self.after
            .iter()
            .map(|l| l.potential)
            .max()
            .unwrap_or_default()
    }
}

fn eligible(a: &PlanAccount, r: &PlanRep) -> bool {
    (a.region.is_empty() || a.region == r.region)
        && (a.segment.is_empty() || a.segment == r.segment)
}

/// Every account that cannot be placed: no eligible rep, or locked to someone who is not an
/// eligible planned rep (in the order of `accounts`).
pub fn unplaceable(reps: &[PlanRep], accounts: &[PlanAccount]) -> Vec<(usize, BalanceError)> {
    accounts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let mut elig = reps.iter().filter(|r| eligible(a, r));
            let owner = a.owner.as_deref();
            if elig.clone().next().is_none() {
                Some((
                    i,
                    BalanceError::NoEligibleRep(a.id.clone(), a.region.clone(), a.segment.clone()),
                ))
            } else if a.locked && !elig.any(|r| Some(r.id.as_str()) == owner) {
                Some((
                    i,
                    BalanceError::LockedOwnerMissing(
                        a.id.clone(),
                        owner.unwrap_or_default().into(),
                    ),
                ))
            } else {
                None
            }
        })
        .collect()
}

/// Balance `accounts` over `reps` (both in any order: they are sorted by id first).
pub fn balance(
    reps: &[PlanRep],
    accounts: &[PlanAccount],
    s: &Settings,
) -> Result<Balance, BalanceError> {
    let mut reps = reps.to_vec();
    reps.sort_by(|a, b| a.id.cmp(&b.id));
    let mut accounts = accounts.to_vec();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    if reps.is_empty() {
        return Err(BalanceError::NoReps);
    }
    let elig: Vec<Vec<usize>> = accounts
        .iter()
        .map(|a| (0..reps.len()).filter(|&r| eligible(a, &reps[r])).collect())
        .collect();
    let owner: Vec<Option<usize>> = accounts
        .iter()
        .zip(&elig)
        .map(|(a, e)| {
            let o = a.owner.as_deref()?;
            e.iter().copied().find(|&r| reps[r].id == o)
        })
        .collect();
    for ((a, e), o) in accounts.iter().zip(&elig).zip(&owner) {
        if e.is_empty() {
            return Err(BalanceError::NoEligibleRep(
                a.id.clone(),
                a.region.clone(),
                a.segment.clone(),
            ));
        }
        if a.locked && o.is_none() {
            return Err(BalanceError::LockedOwnerMissing(
                a.id.clone(),
                a.owner.clone().unwrap_or_default(),
            ));
        }
    }
    let before = loads(&reps, &accounts, &owner);
    let mut assigned = greedy(&reps, &accounts, &elig, &owner);
    let owned = owner.iter().flatten().count() as u32;
    let must_keep = (s.keep * Decimal::from(owned)).ceil();
    let must_keep = u32::try_from(must_keep).unwrap_or(owned);
    let mut search = Search::new(&reps, &accounts, &elig, &owner, &assigned, s, must_keep);
    let moves_tried = search.run();
    assigned = search.assigned;
    let after = loads_assigned(&reps, &accounts, &assigned);
    let kept = owner
        .iter()
        .zip(&assigned)
        .filter(|(o, &r)| **o == Some(r))
        .count() as u32;
    let lower_bound = lower_bound(&reps, &accounts, &elig, &owner);
    Ok(Balance {
        reps,
        accounts,
        assigned,
        before,
        after,
        owned,
        kept,
        lower_bound,
        moves_tried,
    })
}

fn loads(reps: &[PlanRep], accounts: &[PlanAccount], owner: &[Option<usize>]) -> Vec<Load> {
    let mut out = vec![Load::default(); reps.len()];
    for (a, o) in accounts.iter().zip(owner) {
        if let Some(r) = o {
            add(&mut out[*r], a);
        }
    }
    out
}

fn loads_assigned(reps: &[PlanRep], accounts: &[PlanAccount], assigned: &[usize]) -> Vec<Load> {
    let owner: Vec<Option<usize>> = assigned.iter().map(|&r| Some(r)).collect();
    loads(reps, accounts, &owner)
}

fn add(l: &mut Load, a: &PlanAccount) {
    l.accounts += 1;
    l.potential += a.potential;
    l.workload += a.workload;
}

/// Owners keep their accounts; the rest by LPT.
fn greedy(
    reps: &[PlanRep],
    accounts: &[PlanAccount],
    elig: &[Vec<usize>],
    owner: &[Option<usize>],
) -> Vec<usize> {
    let mut load: Vec<Decimal> = vec![Decimal::ZERO; reps.len()];
    let mut assigned: Vec<usize> = vec![usize::MAX; accounts.len()];
    for (i, o) in owner.iter().enumerate() {
        if let Some(r) = o {
            assigned[i] = *r;
            load[*r] += accounts[i].potential;
        }
    }
    let mut rest: Vec<usize> = (0..accounts.len())
        .filter(|&i| owner[i].is_none())
        .collect();
    rest.sort_by(|&a, &b| {
        accounts[b]
            .potential
            .cmp(&accounts[a].potential)
            .then_with(|| accounts[a].id.cmp(&accounts[b].id))
    });
    for i in rest {
        let r = elig[i]
            .iter()
            .copied()
            .min_by(|&x, &y| load[x].cmp(&load[y]).then(x.cmp(&y)))
            .unwrap_or(0);
        assigned[i] = r;
        load[r] += accounts[i].potential;
    }
    assigned
}

/// The local search state.
struct Search<'a> {
    accounts: &'a [PlanAccount],
    elig: &'a [Vec<usize>],
    owner: &'a [Option<usize>],
    assigned: Vec<usize>,
    pot: Vec<Decimal>,
    work: Vec<Decimal>,
    /// Workload is scaled to potential units by mean potential ÷ mean workload (0: not balanced).
    work_scale: Decimal,
    penalty: Decimal,
    must_keep: u32,
    kept: u32,
}

/// A step of the search: move account `a` to rep `to`, or swap `a` and `b`.
#[derive(Clone, Copy)]
enum Step {
    Move(usize, usize),
    Swap(usize, usize),
}

impl<'a> Search<'a> {
    fn new(
        reps: &[PlanRep],
        accounts: &'a [PlanAccount],
        elig: &'a [Vec<usize>],
        owner: &'a [Option<usize>],
        assigned: &[usize],
        s: &Settings,
        must_keep: u32,
    ) -> Self {
        let l = loads_assigned(reps, accounts, assigned);
        let n = Decimal::from(reps.len());
        let mean_pot: Decimal = l.iter().map(|x| x.potential).sum::<Decimal>() / n;
        let mean_work: Decimal = l.iter().map(|x| x.workload).sum::<Decimal>() / n;
        let work_scale = if s.balance_workload && !mean_work.is_zero() {
            mean_pot / mean_work
        } else {
            Decimal::ZERO
        };
        let p = mean_pot * s.move_penalty;
        let kept = owner
            .iter()
            .zip(assigned)
            .filter(|(o, &r)| **o == Some(r))
            .count() as u32;
        Search {
            accounts,
            elig,
            owner,
            assigned: assigned.to_vec(),
            pot: l.iter().map(|x| x.potential).collect(),
            work: l.iter().map(|x| x.workload).collect(),
            work_scale,
            penalty: p * p,
            must_keep,
            kept,
        }
    }

    /// Change of Σ (load − mean)² when `x` leaves a rep at `from` and joins one at `to`.
    fn shift(from: Decimal, to: Decimal, x: Decimal) -> Decimal {
        Decimal::TWO * x * (to - from + x)
    }

    /// Change of the kept count if account `a` goes to rep `r`.
    fn keep_change(&self, a: usize, r: usize) -> i64 {
        let was = self.owner[a] == Some(self.assigned[a]);
        let will = self.owner[a] == Some(r);
        will as i64 - was as i64
    }

    fn move_cost(&self, a: usize, to: usize) -> Decimal {
        let from = self.assigned[a];
        let acc = &self.accounts[a];
        let ws = self.work_scale;
        Self::shift(self.pot[from], self.pot[to], acc.potential)
            + Self::shift(self.work[from] * ws, self.work[to] * ws, acc.workload * ws)
            - self.penalty * Decimal::from(self.keep_change(a, to))
    }

    fn swap_cost(&self, a: usize, b: usize) -> Decimal {
        let (ra, rb) = (self.assigned[a], self.assigned[b]);
        let (x, y) = (&self.accounts[a], &self.accounts[b]);
        let ws = self.work_scale;
        let d = x.potential - y.potential;
        let w = (x.workload - y.workload) * ws;
        Self::shift(self.pot[ra], self.pot[rb], d)
            + Self::shift(self.work[ra] * ws, self.work[rb] * ws, w)
            - self.penalty * Decimal::from(self.keep_change(a, rb) + self.keep_change(b, ra))
    }

    fn keeps_enough(&self, change: i64) -> bool {
        self.kept as i64 + change >= self.must_keep as i64 || change >= 0
    }

    /// The best improving step, if any (ties: the first in account, then rep order).
    fn best_step(&self) -> Option<(Step, Decimal)> {
        let mut best: Option<(Step, Decimal)> = None;
        let mut consider = |step: Step, cost: Decimal| {
            if cost < Decimal::ZERO && best.is_none_or(|(_, c)| cost < c) {
                best = Some((step, cost));
            }
        };
        let movable = |a: usize| !self.accounts[a].locked;
        for a in (0..self.accounts.len()).filter(|&a| movable(a)) {
            for &to in &self.elig[a] {
                if to != self.assigned[a] && self.keeps_enough(self.keep_change(a, to)) {
                    consider(Step::Move(a, to), self.move_cost(a, to));
                }
            }
            for b in (a + 1..self.accounts.len()).filter(|&b| movable(b)) {
                let (ra, rb) = (self.assigned[a], self.assigned[b]);
                if ra == rb || !self.elig[a].contains(&rb) || !self.elig[b].contains(&ra) {
                    continue;
                }
                let change = self.keep_change(a, rb) + self.keep_change(b, ra);
                if self.keeps_enough(change) {
                    consider(Step::Swap(a, b), self.swap_cost(a, b));
                }
            }
        }
        best
    }

    fn apply_move(&mut self, a: usize, to: usize) {
        let from = self.assigned[a];
        let acc = &self.accounts[a];
        self.kept = (self.kept as i64 + self.keep_change(a, to)) as u32;
        self.pot[from] -= acc.potential;
        self.work[from] -= acc.workload;
        self.pot[to] += acc.potential;
        self.work[to] += acc.workload;
        self.assigned[a] = to;
    }

    /// Improve until no step lowers the cost (at most 100 steps per account); the steps made.
    fn run(&mut self) -> u32 {
        let limit = 100 * self.accounts.len().max(1) as u32;
        let mut steps = 0;
        while steps < limit {
            let Some((step, _)) = self.best_step() else {
                break;
            };
            match step {
                Step::Move(a, to) => self.apply_move(a, to),
                Step::Swap(a, b) => {
                    let (ra, rb) = (self.assigned[a], self.assigned[b]);
                    self.apply_move(a, rb);
                    self.apply_move(b, ra);
                }
            }
            steps += 1;
        }
        steps
    }
}

/// The lower bound on the largest rep's potential (see the module doc).
fn lower_bound(
    reps: &[PlanRep],
    accounts: &[PlanAccount],
    elig: &[Vec<usize>],
    owner: &[Option<usize>],
) -> Decimal {
    let largest = accounts
        .iter()
        .map(|a| a.potential)
        .max()
        .unwrap_or_default();
    let mut locked = vec![Decimal::ZERO; reps.len()];
    for (a, o) in accounts.iter().zip(owner) {
        if let (true, Some(r)) = (a.locked, o) {
            locked[*r] += a.potential;
        }
    }
    let mut bound = largest.max(locked.into_iter().max().unwrap_or_default());
    let sets: BTreeMap<&Vec<usize>, ()> = elig.iter().map(|e| (e, ())).collect();
    for set in sets.keys() {
        let inside: Decimal = accounts
            .iter()
            .zip(elig)
            .filter(|(_, e)| e.iter().all(|r| set.contains(r)))
            .map(|(a, _)| a.potential)
            .sum();
        bound = bound.max(inside / Decimal::from(set.len()));
    }
    bound
}

/// Coefficient of variation of the loads' potential (standard deviation ÷ mean), for the report.
pub fn coefficient_of_variation(loads: &[Load]) -> f64 {
    let xs: Vec<f64> = loads
        .iter()
        .map(|l| l.potential.try_into().unwrap_or(0.0))
        .collect();
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return 0.0;
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    var.sqrt() / mean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(id: &str, p: i64, owner: Option<&str>) -> PlanAccount {
        PlanAccount {
            id: id.into(),
            potential: Decimal::from(p),
            workload: Decimal::ONE,
            region: String::new(),
            segment: String::new(),
            owner: owner.map(String::from),
            locked: false,
        }
    }

    fn rep(id: &str) -> PlanRep {
        PlanRep {
            id: id.into(),
            region: String::new(),
            segment: String::new(),
        }
    }

    #[test]
    fn reaches_the_bound_on_a_small_case() {
        // 10 + 9 + 6 + 5 = 30 over 2 reps: the best is 15 each ({10, 5}, {9, 6}).
        let accounts = [
            acc("a", 10, Some("R1")),
            acc("b", 9, Some("R1")),
            acc("c", 6, Some("R1")),
            acc("d", 5, Some("R1")),
        ];
        let s = Settings {
            keep: Decimal::ZERO,
            balance_workload: false,
            move_penalty: Decimal::ZERO,
        };
        let b = balance(&[rep("R1"), rep("R2")], &accounts, &s).unwrap();
        assert_eq!(b.max_potential(), Decimal::from(15));
        assert_eq!(b.lower_bound, Decimal::from(15));
    }

    #[test]
    fn balances_workload_when_asked() {
        // Four accounts of potential 10; workloads 1, 5, 1, 5. Potential alone is balanced by any
        // two-and-two split; with workload, only {1, 5} and {1, 5}: 6 and 6.
        let mut accounts = vec![
            acc("a", 10, Some("R1")),
            acc("b", 10, Some("R1")),
            acc("c", 10, Some("R1")),
            acc("d", 10, Some("R1")),
        ];
        accounts[1].workload = Decimal::from(5);
        accounts[3].workload = Decimal::from(5);
        let s = Settings {
            keep: Decimal::ZERO,
            balance_workload: true,
            move_penalty: Decimal::ZERO,
        };
        let b = balance(&[rep("R1"), rep("R2")], &accounts, &s).unwrap();
        let work: Vec<Decimal> = b.after.iter().map(|l| l.workload).collect();
        assert_eq!(work, vec![Decimal::from(6), Decimal::from(6)]);
        assert_eq!(b.max_potential(), Decimal::from(20));
    }
}
