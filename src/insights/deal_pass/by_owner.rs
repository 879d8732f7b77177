//! The deals pass when every group is the deals of one owner (`--by rep`, or no grouping): the
//! table is in owner order, so each owner's deals are one range of rows and a range's group is
//! known before its rows are read. Each range is added up in integers in local sums, its won sizes
//! and cycle days are its slice of the block's lists (its medians taken as the range ends), and no
//! group is looked up per row.
//!
//! Invariants: taken only when every counted deal is a usual deal of the integer path (workspace
//! currency, no split credit, 32-bit amounts at the column's scale, probabilities of at most
//! [`MAX_WEIGHT_SCALE`] decimals), no deal dimension, and no two owners sharing a group; then the
//! sums, medians and groups are those of the general pass (same integers, same decimals), which
//! handles every other case.

use chrono::NaiveDate;
use rayon::prelude::*;

use super::{
    cycle_days, median_size, DealResults, DealSums, GroupDeals, Pass, Sums, LOST, NO_DECISION,
    OPEN, WON,
};
use crate::data::deals::NO_OWNER;
use crate::data::{Codes, ColumnValues};
use crate::stages::StageCategory;

/// A stage the pass does not count (out of the pass, or no category).
const SKIP: u8 = u8::MAX;

/// The pass by owner ranges, or `None` when a deal or the grouping needs the general pass.
pub(super) fn run(pass: &Pass) -> Option<DealResults> {
    let plan = Plan::of(pass)?;
    let rows = plan.ranges[plan.ranges.len() - 1] as usize;
    let buckets = plan.ranges.len() - 1;
    // Blocks of whole ranges, of about the same number of rows, a few per thread.
    let target = (rows / (rayon::current_num_threads() * 4)).max(1 << 16);
    let mut cuts = vec![0];
    for b in 1..buckets {
        if (plan.ranges[b] - plan.ranges[cuts[cuts.len() - 1]]) as usize >= target {
            cuts.push(b);
        }
    }
    cuts.push(buckets);
    let blocks: Vec<Block> = cuts
        .par_windows(2)
        .map(|w| plan.block(pass, w[0]..w[1]))
        .collect();
    Some(plan.finish(pass, blocks))
}

/// What the pass needs to add a range of rows without looking anything up per row.
struct Plan<'a> {
    /// Where each owner's rows start (see [`crate::data::DealTable::owner_ranges`]).
    ranges: &'a [u32],
    /// The group key of each range (`None`: its deals count in the total only).
    keys: Vec<Option<u64>>,
    /// WON..OPEN of each stage code, or [`SKIP`].
    kinds: Vec<u8>,
    /// An open stage's probability mantissa at the weight scale, by stage code.
    weights: Vec<i128>,
    amounts: &'a [i32],
    /// The stage column's codes.
    codes: &'a Codes,
}

/// One owner's rows: their close dates and amounts, and the first day the owner no longer ramps.
struct Range<'a> {
    rows: std::ops::Range<usize>,
    closes: &'a [Option<NaiveDate>],
    amounts: &'a [i32],
    ramping_before: NaiveDate,
}

/// One block of ranges: its groups (medians taken), its total, and its won sizes and cycle days.
struct Block {
    groups: Vec<GroupDeals>,
    total: Sums,
    sizes: Vec<i32>,
    days: Vec<i32>,
}

impl<'a> Plan<'a> {
    fn of(pass: &Pass<'a>) -> Option<Plan<'a>> {
        let deals = &pass.sources.inputs.deals;
        let reps = pass.sources.inputs.roster.len();
        let ranges = deals.owner_ranges()?;
        let usual = !pass.keys.has_deal_dims()
            && !pass.keys.multi
            && pass.split.is_empty()
            && pass.one_currency
            && ranges.len() == reps + 2;
        let amounts = pass.narrow.filter(|_| usual)?;
        let ColumnValues::Text { codes, .. } = &deals.columns[pass.stage_column].values else {
            return None;
        };
        if pass.closes.len() != deals.len() || amounts.len() != deals.len() {
            return None;
        }
        let mut kinds = Vec::with_capacity(pass.stages.len());
        for stage in &pass.stages {
            kinds.push(match (stage.category, stage.kind) {
                (None | Some(StageCategory::Ignored), _) => SKIP,
                (Some(_), Some(kind)) => kind as u8,
                // A category the integer sums do not take: the general pass.
                (Some(_), None) => return None,
            });
        }
        let keys = owner_keys(pass, reps)?;
        Some(Plan {
            ranges,
            keys,
            kinds,
            weights: pass.stages.iter().map(|s| s.weight).collect(),
            amounts,
            codes,
        })
    }

    /// Add the ranges `buckets`, each group's medians taken as its range ends.
    fn block(&self, pass: &Pass, buckets: std::ops::Range<usize>) -> Block {
        let (first, last) = (self.ranges[buckets.start], self.ranges[buckets.end]);
        let mut block = Block {
            groups: Vec::new(),
            total: Sums::default(),
            sizes: Vec::with_capacity((last - first) as usize),
            days: Vec::new(),
        };
        let scale = pass.scale.unwrap_or(0);
        for b in buckets {
            let (sizes_from, days_from) = (block.sizes.len(), block.days.len());
            let rows = self.ranges[b] as usize..self.ranges[b + 1] as usize;
            let owner = if b + 1 < self.keys.len() {
                b as u32
            } else {
                NO_OWNER
            };
            let sums = self.add_range(pass, &mut block, rows, owner);
            block.total.merge(&sums);
            let Some(key) = self.keys[b].filter(|_| !sums.is_empty()) else {
                continue;
            };
            let mut deal_sums = sums.decimals(scale, pass.weight_scale);
            deal_sums.add(&DealSums::default());
            block.groups.push(GroupDeals {
                key,
                sums: deal_sums,
                won_sizes: median_size(&mut block.sizes[sizes_from..], scale, &[]),
                cycle: cycle_days(&mut block.days[days_from..]),
            });
        }
        block
    }

    /// The integer sums of `owner`'s rows, their won sizes and cycle days pushed to the block's.
    fn add_range(
        &self,
        pass: &Pass,
        block: &mut Block,
        rows: std::ops::Range<usize>,
        owner: u32,
    ) -> Sums {
        let range = Range {
            rows: rows.clone(),
            closes: &pass.closes[rows.clone()],
            amounts: &self.amounts[rows.clone()],
            ramping_before: ramp_start(pass, owner),
        };
        match self.codes {
            Codes::Byte(c) => self.add_rows(pass, block, &range, &c[rows]),
            Codes::Narrow(c) => self.add_rows(pass, block, &range, &c[rows]),
            Codes::Wide(c) => self.add_rows(pass, block, &range, &c[rows]),
        }
    }

    /// [`Self::add_range`] over the range's stage codes: a won, lost or no-decision deal is added
    /// to its kind's tally without a branch (the tallies in registers), a won size written at the end of the list and kept
    /// (the list's length moved on) only when the deal is won.
    #[inline]
    fn add_rows<C: Copy + Into<u32>>(
        &self,
        pass: &Pass,
        block: &mut Block,
        range: &Range,
        codes: &[C],
    ) -> Sums {
        let deals = &pass.sources.inputs.deals;
        let created = pass.created.map(|c| &deals.columns[c]);
        let lost_in_cycle = pass.sources.settings.cycle_includes_lost;
        let (as_of, first, last) = (pass.sources.as_of, pass.first, pass.last);
        let mut sums = Sums::default();
        // Won, lost and no-decision tallies in registers (a deal adds 0 to the others).
        let [mut won_t, mut lost_t, mut no_decision_t, _] = sums.kinds;
        let from = block.sizes.len();
        block.sizes.resize(from + codes.len(), 0);
        let sizes = &mut block.sizes[from..];
        let mut won = 0;
        for (i, ((&code, close), &m)) in codes
            .iter()
            .zip(range.closes)
            .zip(range.amounts)
            .enumerate()
        {
            let close = close.unwrap_or_default();
            let code: u32 = code.into();
            let Some(&kind) = self.kinds.get(code as usize) else {
                continue;
            };
            if kind == SKIP || close < first || close > last {
                continue;
            }
            let k = usize::from(kind);
            let (is_won, is_lost) = (k == WON, k == LOST);
            let is_no_decision = k == NO_DECISION;
            let v = i64::from(m);
            won_t.v += v * i64::from(is_won);
            won_t.n += u64::from(is_won);
            lost_t.v += v * i64::from(is_lost);
            lost_t.n += u64::from(is_lost);
            no_decision_t.v += v * i64::from(is_no_decision);
            no_decision_t.n += u64::from(is_no_decision);
            sizes[won] = m;
            won += usize::from(is_won);
            let ramping = is_won && close < range.ramping_before;
            sums.ramping.v += v * i64::from(ramping);
            sums.ramping.n += u64::from(ramping);
            if k == OPEN {
                sums.kinds[OPEN].add(m);
                sums.weighted += i128::from(m) * self.weights[code as usize];
                if close < as_of {
                    sums.stale.add(m);
                }
            }
            let in_cycle = is_won || (lost_in_cycle && is_lost);
            if let Some(c) = created
                .filter(|_| in_cycle)
                .and_then(|c| c.date(range.rows.start + i))
            {
                block.days.push((close - c).num_days() as i32);
            }
        }
        sums.kinds[WON] = won_t;
        sums.kinds[LOST] = lost_t;
        sums.kinds[NO_DECISION] = no_decision_t;
        block.sizes.truncate(from + won);
        sums
    }

    /// The groups in block order, and the total with its medians over every block's values.
    fn finish(&self, pass: &Pass, blocks: Vec<Block>) -> DealResults {
        let scale = pass.scale.unwrap_or(0);
        let mut groups = Vec::with_capacity(blocks.iter().map(|b| b.groups.len()).sum());
        let mut total = Sums::default();
        let mut sizes = Vec::with_capacity(blocks.iter().map(|b| b.sizes.len()).sum());
        let mut days = Vec::new();
        for b in blocks {
            groups.extend(b.groups);
            total.merge(&b.total);
            sizes.extend_from_slice(&b.sizes);
            days.extend_from_slice(&b.days);
        }
        let mut total_sums = total.decimals(scale, pass.weight_scale);
        total_sums.add(&DealSums::default());
        DealResults {
            groups,
            total: GroupDeals {
                key: 0,
                sums: total_sums,
                won_sizes: median_size(&mut sizes, scale, &[]),
                cycle: cycle_days(&mut days),
            },
            errors: Vec::new(),
        }
    }
}

/// The group key of each owner's range (the rows without an owner last), or `None` when two
/// owners share a group (their values would have to be gathered).
fn owner_keys(pass: &Pass, reps: usize) -> Option<Vec<Option<u64>>> {
    let mut taken = rustc_hash::FxHashSet::default();
    let owners = (0..reps as u32).chain([NO_OWNER]);
    owners
        .map(|owner| match pass.keys.rep_parts(owner) {
            _ if !pass.grouped => Some(None),
            [] => Some(None),
            [part] => {
                let key = pass.keys.key(*part, 0);
                taken.insert(key).then_some(Some(key))
            }
            _ => None,
        })
        .collect()
}

/// The first day on which `owner` no longer ramps: a won deal closing before it is booked by a
/// ramping rep (the month of the plan's ramp end, see [`super::super::collect::ramp_end`]).
fn ramp_start(pass: &Pass, owner: u32) -> NaiveDate {
    let Some(&end) = pass.ramp_end.get(owner as usize) else {
        return NaiveDate::MIN;
    };
    let end = i64::from(end) - 1;
    let (year, month) = (end.div_euclid(12), end.rem_euclid(12) + 1);
    let day = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month as u32, 1));
    day.unwrap_or(if end < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}
