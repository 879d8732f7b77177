//! The deals pass: win rate, deal size, sales cycle, open pipeline and bookings of every group,
//! in parallel over blocks of rows, each block filling its own accumulators, merged in block order.
//!
//! Invariants: a deal reaches a group once, with the combined share of the group's reps credited
//! (split rows replace the owner; overlays are left out, they credit on top of 100%); money is
//! converted to the workspace currency with the rate in force on the close date, exact. The usual
//! deal (in the workspace currency, its owner at 100%, an amount of the amount column's scale whose
//! mantissa fits 32 bits, a stage probability of at most 9 decimals) is added as integers: counts,
//! and amounts as mantissas of the column's scale in i64 sums (no overflow: fewer than 2^32 rows of
//! less than 2^31 each; the weighted pipeline in i128), turned into decimals once per group. Any
//! other deal is added as decimals. Both are exact, so the sums are those of adding
//! every deal as a decimal. Medians select ranks among each group's integer mantissas (see
//! [`super::stats::quantile_of_mantissas`]): each block sorts its values by slot (a counting sort
//! in the block's worker), then each group's slices are gathered from the blocks, in parallel over
//! the groups, while the total's median is taken beside them. A median does not depend on the
//! order of its values, so neither does the output.
//! When every group is the deals of one owner and every deal is usual, [`by_owner`] adds each
//! owner's range of rows instead (same sums and medians, no group looked up per row).

mod by_owner;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::collect::{converted, fx_missing, ramp_end, CycleDays, Median};
use super::keys::KeySpace;
use super::stats::{decimal_of, median, quantile_of_mantissas};
use super::Sources;
use crate::data::deals::NO_OWNER;
use crate::data::CreditKind;
use crate::diag::Diagnostic;
use crate::stages::StageCategory;

/// Exact sums of a group's deals; counts are credited shares.
#[derive(Debug, Default, Clone)]
pub struct DealSums {
    pub won_n: Decimal,
    pub won_v: Decimal,
    pub lost_n: Decimal,
    pub lost_v: Decimal,
    pub no_decision_n: Decimal,
    pub no_decision_v: Decimal,
    pub stale_n: Decimal,
    pub stale_v: Decimal,
    pub open_n: Decimal,
    pub open_v: Decimal,
    pub open_weighted: Decimal,
    pub bookings_ramped: Decimal,
    pub bookings_ramping: Decimal,
}

impl DealSums {
    fn add(&mut self, o: &DealSums) {
        self.won_n += o.won_n;
        self.won_v += o.won_v;
        self.lost_n += o.lost_n;
        self.lost_v += o.lost_v;
        self.no_decision_n += o.no_decision_n;
        self.no_decision_v += o.no_decision_v;
        self.stale_n += o.stale_n;
        self.stale_v += o.stale_v;
        self.open_n += o.open_n;
        self.open_v += o.open_v;
        self.open_weighted += o.open_weighted;
        self.bookings_ramped += o.bookings_ramped;
        self.bookings_ramping += o.bookings_ramping;
    }

    /// One deal at `share` (its value × share; the weighted pipeline exact, not rounded).
    fn add_deal(&mut self, deal: &Deal, share: Decimal, as_of: NaiveDate) {
        let v = deal.value * share;
        match deal.category {
            StageCategory::Won => {
                self.won_n += share;
                self.won_v += v;
            }
            StageCategory::Lost => {
                self.lost_n += share;
                self.lost_v += v;
            }
            StageCategory::NoDecision => {
                self.no_decision_n += share;
                self.no_decision_v += v;
            }
            StageCategory::Open(p) => {
                self.open_n += share;
                self.open_v += v;
                self.open_weighted += v * p;
                if deal.close < as_of {
                    self.stale_n += share;
                    self.stale_v += v;
                }
            }
            StageCategory::Ignored => {}
        }
    }

    /// Bookings by ramped and ramping reps (productivity).
    fn add_booked(&mut self, ramp: bool, value: Decimal) {
        if ramp {
            self.bookings_ramping += value;
        } else {
            self.bookings_ramped += value;
        }
    }
}

/// A row the pass adds: its owner (the split rows, if any, replace it) and close date, and its
/// cycle days when the cycle counts it.
struct Row {
    row: usize,
    owner: u32,
    close: NaiveDate,
    days: Option<i32>,
}

struct Deal {
    category: StageCategory,
    value: Decimal,
    close: NaiveDate,
}

const WON: usize = 0;
const LOST: usize = 1;
const NO_DECISION: usize = 2;
const OPEN: usize = 3;

/// A count and a sum of 32-bit mantissas (16 bytes: the arrays a block adds to stay in cache).
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    v: i64,
    n: u64,
}

impl Tally {
    #[inline]
    fn add(&mut self, m: i32) {
        self.v += i64::from(m);
        self.n += 1;
    }

    fn merge(&mut self, o: &Tally) {
        self.v += o.v;
        self.n += o.n;
    }

    /// As a decimal at `scale`: a sum of no deal is 0 (not 0.00), as adding no decimal gives.
    fn value(&self, scale: u32) -> Decimal {
        if self.n == 0 {
            Decimal::ZERO
        } else {
            decimal_of(i128::from(self.v), scale)
        }
    }
}

/// Integer sums of the usual deals of a group: counts, and mantissas at the amount's scale.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    /// Won, lost, no decision, open.
    kinds: [Tally; 4],
    /// Σ mantissa × probability mantissa (at the amount's scale + the probabilities' scale).
    weighted: i128,
    stale: Tally,
    /// Won by ramping reps (the rest of the won is ramped).
    ramping: Tally,
}

/// The [`Sums`] of a block's groups, one array per field: a deal touches one array (its kind's;
/// the open pipeline and ramping reps one more), so the arrays a block uses stay in cache.
#[derive(Default)]
struct SumTable {
    kinds: [Vec<Tally>; 4],
    weighted: Vec<i128>,
    stale: Vec<Tally>,
    ramping: Vec<Tally>,
}

impl SumTable {
    fn with_len(n: usize) -> SumTable {
        let tallies = || vec![Tally::default(); n];
        SumTable {
            kinds: [tallies(), tallies(), tallies(), tallies()],
            weighted: vec![0; n],
            stale: tallies(),
            ramping: tallies(),
        }
    }

    fn push(&mut self) {
        for k in &mut self.kinds {
            k.push(Tally::default());
        }
        self.weighted.push(0);
        self.stale.push(Tally::default());
        self.ramping.push(Tally::default());
    }

    #[inline]
    fn add(&mut self, slot: usize, kind: usize, m: i32, weight: i128, stale: bool, ramp: bool) {
        self.kinds[kind][slot].add(m);
        if kind == OPEN {
            self.weighted[slot] += i128::from(m) * weight;
            if stale {
                self.stale[slot].add(m);
            }
        }
        if ramp {
            self.ramping[slot].add(m);
        }
    }

    fn get(&self, slot: usize) -> Sums {
        Sums {
            kinds: [0, 1, 2, 3].map(|k| self.kinds[k][slot]),
            weighted: self.weighted[slot],
            stale: self.stale[slot],
            ramping: self.ramping[slot],
        }
    }
}

impl Sums {
    #[inline]
    fn add(&mut self, kind: usize, m: i32, weight: i128, stale: bool, ramp: bool) {
        self.kinds[kind].add(m);
        if kind == OPEN {
            self.weighted += i128::from(m) * weight;
            if stale {
                self.stale.add(m);
            }
        }
        if ramp {
            self.ramping.add(m);
        }
    }

    fn merge(&mut self, o: &Sums) {
        for (k, ok) in self.kinds.iter_mut().zip(&o.kinds) {
            k.merge(ok);
        }
        self.weighted += o.weighted;
        self.stale.merge(&o.stale);
        self.ramping.merge(&o.ramping);
    }

    fn is_empty(&self) -> bool {
        self.kinds.iter().all(|k| k.n == 0)
    }

    fn decimals(&self, scale: u32, weight_scale: u32) -> DealSums {
        let [won, lost, no_decision, open] = self.kinds;
        let weighted = if open.n == 0 {
            Decimal::ZERO
        } else {
            decimal_of(self.weighted, scale + weight_scale)
        };
        let ramped = Tally {
            v: won.v - self.ramping.v,
            n: won.n - self.ramping.n,
        };
        DealSums {
            won_n: Decimal::from(won.n),
            won_v: won.value(scale),
            lost_n: Decimal::from(lost.n),
            lost_v: lost.value(scale),
            no_decision_n: Decimal::from(no_decision.n),
            no_decision_v: no_decision.value(scale),
            stale_n: Decimal::from(self.stale.n),
            stale_v: self.stale.value(scale),
            open_n: Decimal::from(open.n),
            open_v: open.value(scale),
            open_weighted: weighted,
            bookings_ramped: ramped.value(scale),
            bookings_ramping: self.ramping.value(scale),
        }
    }
}

/// What the pass knows of a stage value.
#[derive(Clone, Copy)]
struct Stage {
    category: Option<StageCategory>,
    /// WON..OPEN, or `None` for a category the integer sums do not take.
    kind: Option<usize>,
    /// An open stage's probability as a mantissa at the weight scale.
    weight: i128,
}

/// Probabilities with more decimals than this take the decimal path (keeps Σ m × p in i128).
const MAX_WEIGHT_SCALE: u32 = 9;

/// Up to this many keys, a block keeps a slot for each (the key is the slot).
const DIRECT_KEYS: u64 = 1 << 16;
/// Up to this many keys, a block finds a key's slot in a table; beyond, in a hash map.
const TABLE_KEYS: u64 = 1 << 22;

/// A group's values of one kind (won sizes, cycle days), with the total's rule: when every deal
/// has at most one key (`covered`), the total takes every group's values and `loose` (the deals of
/// no group); otherwise the total takes `loose`, which then has every deal.
#[derive(Default)]
struct Lists<T> {
    slots: Vec<u32>,
    values: Vec<T>,
    loose: Vec<T>,
}

impl<T: Copy + Default> Lists<T> {
    #[inline]
    fn push(&mut self, slots: &[u32], value: T, covered: bool) {
        for &s in slots {
            self.slots.push(s);
            self.values.push(value);
        }
        if !covered || slots.is_empty() {
            self.loose.push(value);
        }
    }

    /// The values by slot (a counting sort over the block's `slots` slots), in the block's worker.
    fn grouped(self, slots: usize) -> Grouped<T> {
        let mut offsets = vec![0usize; slots + 1];
        for &s in &self.slots {
            offsets[s as usize + 1] += 1;
        }
        for s in 0..slots {
            offsets[s + 1] += offsets[s];
        }
        let mut values = vec![T::default(); self.values.len()];
        let mut next = offsets.clone();
        for (&s, &v) in self.slots.iter().zip(&self.values) {
            values[next[s as usize]] = v;
            next[s as usize] += 1;
        }
        Grouped {
            offsets,
            values,
            loose: self.loose,
        }
    }
}

/// A block's [`Lists`] by slot: slot `s`'s values at `offsets[s]..offsets[s + 1]`.
struct Grouped<T> {
    offsets: Vec<usize>,
    values: Vec<T>,
    loose: Vec<T>,
}

impl<T: Copy> Grouped<T> {
    fn of(&self, slot: u32) -> &[T] {
        &self.values[self.offsets[slot as usize]..self.offsets[slot as usize + 1]]
    }
}

/// A block's won sizes (as mantissas and as decimals) and cycle days, by slot.
struct BlockValues {
    sizes: Grouped<i32>,
    exact_sizes: Grouped<Decimal>,
    days: Grouped<i32>,
}

impl BlockValues {
    fn of(p: &mut Partial) -> BlockValues {
        let slots = p.keys.len();
        BlockValues {
            sizes: std::mem::take(&mut p.sizes).grouped(slots),
            exact_sizes: std::mem::take(&mut p.exact_sizes).grouped(slots),
            days: std::mem::take(&mut p.days).grouped(slots),
        }
    }
}

/// How a block finds the slot of a key.
enum Slots {
    /// The slot is the key: every key has one from the start.
    Direct,
    Table(Vec<u32>),
    Map(FxHashMap<u64, u32>),
}

/// What one block of rows collected.
struct Partial {
    slots: Slots,
    keys: Vec<u64>,
    sums: SumTable,
    exact: Vec<Option<Box<DealSums>>>,
    total: Sums,
    total_exact: DealSums,
    sizes: Lists<i32>,
    exact_sizes: Lists<Decimal>,
    days: Lists<i32>,
    errors: Vec<Diagnostic>,
}

impl Partial {
    fn new(keys: &KeySpace) -> Partial {
        let size = keys.size();
        let mut p = Partial {
            slots: match size {
                s if s <= DIRECT_KEYS => Slots::Direct,
                s if s <= TABLE_KEYS => Slots::Table(vec![u32::MAX; s as usize]),
                _ => Slots::Map(FxHashMap::default()),
            },
            keys: Vec::new(),
            sums: SumTable::default(),
            exact: Vec::new(),
            total: Sums::default(),
            total_exact: DealSums::default(),
            sizes: Lists::default(),
            exact_sizes: Lists::default(),
            days: Lists::default(),
            errors: Vec::new(),
        };
        if let Slots::Direct = p.slots {
            p.keys = (0..size).collect();
            p.sums = SumTable::with_len(size as usize);
            p.exact = vec![None; size as usize];
        }
        p
    }

    #[inline]
    fn slot(&mut self, key: u64) -> u32 {
        let next = self.keys.len() as u32;
        let slot = match &mut self.slots {
            Slots::Direct => return key as u32,
            Slots::Table(table) => {
                let s = &mut table[key as usize];
                if *s == u32::MAX {
                    *s = next;
                }
                *s
            }
            Slots::Map(map) => *map.entry(key).or_insert(next),
        };
        if slot == next {
            self.keys.push(key);
            self.sums.push();
            self.exact.push(None);
        }
        slot
    }

    fn exact(&mut self, slot: u32) -> &mut DealSums {
        self.exact[slot as usize].get_or_insert_with(Default::default)
    }
}

/// One group's deal figures.
pub struct GroupDeals {
    pub key: u64,
    pub sums: DealSums,
    pub won_sizes: Median,
    pub cycle: CycleDays,
}

/// The pass's results: each group (by key) and the total.
pub struct DealResults {
    pub groups: Vec<GroupDeals>,
    pub total: GroupDeals,
    pub errors: Vec<Diagnostic>,
}

struct Pass<'a> {
    sources: &'a Sources<'a>,
    keys: &'a KeySpace,
    grouped: bool,
    covered: bool,
    stages: Vec<Stage>,
    stage_column: usize,
    created: Option<usize>,
    same_currency: Vec<bool>,
    /// Every currency value is the workspace's (or empty): no row's needs looking up.
    one_currency: bool,
    scale: Option<u32>,
    /// The amounts' mantissas when every one is 32-bit at `scale` (the usual money column).
    narrow: Option<&'a [i32]>,
    /// The close dates.
    closes: &'a [Option<NaiveDate>],
    weight_scale: u32,
    split: Vec<bool>,
    ramp_end: Vec<i32>,
    /// The period's first and last days.
    first: NaiveDate,
    last: NaiveDate,
}

/// Run the deals pass. `categories` is the stage column's category by dictionary code.
pub fn run(
    sources: &Sources,
    keys: &KeySpace,
    grouped: bool,
    categories: &[Option<StageCategory>],
    stage_column: usize,
) -> DealResults {
    let deals = &sources.inputs.deals;
    let pass = Pass::new(sources, keys, grouped, categories, stage_column);
    if let Some(results) = by_owner::run(&pass) {
        return results;
    }
    // A few large blocks per thread: each block's accumulators are merged once.
    let chunk = (deals.len() / (rayon::current_num_threads() * 2)).max(1 << 16);
    let starts: Vec<usize> = (0..deals.len()).step_by(chunk).collect();
    let partials: Vec<(Partial, BlockValues)> = starts
        .into_par_iter()
        .map(|start| {
            let mut p = Partial::new(keys);
            let end = (start + chunk).min(deals.len());
            // Room for every row's won size up front: no copying as the lists grow.
            if pass.grouped {
                p.sizes.slots.reserve(end - start);
                p.sizes.values.reserve(end - start);
            }
            if !pass.grouped || !pass.covered {
                p.sizes.loose.reserve(end - start);
            }
            // Owners walked along the rows (the table is in owner order: no search per row).
            for (row, owner) in (start..end).zip(deals.owners_of(start..end)) {
                pass.add_row(&mut p, row, owner);
            }
            let values = BlockValues::of(&mut p);
            (p, values)
        })
        .collect();
    pass.finish(partials)
}

impl<'a> Pass<'a> {
    fn new(
        sources: &'a Sources<'a>,
        keys: &'a KeySpace,
        grouped: bool,
        categories: &[Option<StageCategory>],
        stage_column: usize,
    ) -> Pass<'a> {
        let deals = &sources.inputs.deals;
        let weight_scale = categories
            .iter()
            .filter_map(|c| match c {
                Some(StageCategory::Open(p)) if p.scale() <= MAX_WEIGHT_SCALE => Some(p.scale()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let stages = categories
            .iter()
            .map(|&category| stage(category, weight_scale))
            .collect();
        let same_currency = match deals.currency.map(|c| &deals.columns[c].values) {
            Some(crate::data::ColumnValues::Text { dict, .. }) => dict
                .iter()
                .map(|c| c.is_empty() || c.as_str() == sources.currency)
                .collect(),
            _ => vec![true],
        };
        let splits = sources.inputs.credits.rows.iter();
        let split_rows: Vec<usize> = splits
            .filter(|c| c.kind == CreditKind::Split && (c.deal as usize) < deals.len())
            .map(|c| c.deal as usize)
            .collect();
        let has_split = !split_rows.is_empty();
        // A flag per row only when some deal is split (none is usual: no 1-byte-a-row table).
        let mut split = vec![false; if has_split { deals.len() } else { 0 }];
        for row in split_rows {
            split[row] = true;
        }
        Pass {
            sources,
            keys,
            grouped,
            covered: !keys.multi && !has_split,
            stages,
            stage_column,
            created: deals.column("created_date"),
            one_currency: same_currency.iter().all(|&same| same),
            same_currency,
            scale: deals.columns[deals.amount].decimal_scale(),
            narrow: deals.columns[deals.amount]
                .values
                .narrow_uniform()
                .filter(|&(_, s)| Some(s) == deals.columns[deals.amount].decimal_scale())
                .map(|(m, _)| m),
            closes: match &deals.columns[deals.close_date].values {
                crate::data::ColumnValues::Date(v) => v,
                _ => &[],
            },
            weight_scale,
            split,
            ramp_end: ramp_end(sources),
            first: sources.period.start(),
            last: sources.period.end(),
        }
    }

    fn add_row(&self, p: &mut Partial, row: usize, owner: u32) {
        let (sources, deals) = (self.sources, &self.sources.inputs.deals);
        let close = self.closes.get(row).copied().flatten().unwrap_or_default();
        if close < self.first || close > self.last {
            return;
        }
        let code = deals.columns[self.stage_column]
            .text_code_at(row)
            .unwrap_or(0);
        let Some(&stage) = self.stages.get(code as usize) else {
            return;
        };
        let Some(category) = stage.category.filter(|c| *c != StageCategory::Ignored) else {
            return;
        };
        let days = self
            .created
            .and_then(|c| deals.columns[c].date(row))
            .map(|c| (close - c).num_days() as i32);
        let in_cycle = category == StageCategory::Won
            || (sources.settings.cycle_includes_lost && category == StageCategory::Lost);
        let days = days.filter(|_| in_cycle);
        let mantissa = match self.narrow {
            Some(m) => Some(m[row]),
            None => deals.columns[deals.amount]
                .decimal_parts(row)
                .filter(|&(_, s)| Some(s) == self.scale)
                .and_then(|(m, _)| i32::try_from(m).ok()),
        };
        let usual = (self.one_currency || self.same_currency[deals.currency_code(row) as usize])
            && !self.split.get(row).copied().unwrap_or(false);
        let at = Row {
            row,
            owner,
            close,
            days,
        };
        match (stage.kind, mantissa, usual) {
            (Some(kind), Some(m), true) => self.add_usual(p, &at, kind, stage.weight, m),
            _ => self.add_exact(p, &at, category),
        }
    }

    /// The slots of the keys of a deal credited to `rep`.
    fn slots(&self, p: &mut Partial, rep: u32, deal_part: Option<u64>) -> SmallVec<[u32; 4]> {
        let Some(dp) = deal_part.filter(|_| self.grouped) else {
            return SmallVec::new();
        };
        self.keys
            .rep_parts(rep)
            .iter()
            .map(|&rp| p.slot(self.keys.key(rp, dp)))
            .collect()
    }

    fn ramping(&self, rep: u32, close: NaiveDate) -> bool {
        rep != NO_OWNER && super::collect::month_index(close) < self.ramp_end[rep as usize]
    }

    #[inline]
    fn add_usual(&self, p: &mut Partial, at: &Row, kind: usize, weight: i128, m: i32) {
        let deals = &self.sources.inputs.deals;
        let (row, owner, close, days) = (at.row, at.owner, at.close, at.days);
        let ramp = kind == WON && self.ramping(owner, close);
        let stale = kind == OPEN && close < self.sources.as_of;
        let deal_part = self.keys.deal_part(deals, row, close);
        let parts = self.keys.rep_parts(owner);
        // The usual grouping (one key per rep, by rep or a roster column): no list to build.
        let one;
        let many;
        let slots: &[u32] = match (deal_part.filter(|_| self.grouped), parts) {
            (Some(dp), [part]) => {
                one = p.slot(self.keys.key(*part, dp));
                std::slice::from_ref(&one)
            }
            _ => {
                many = self.slots(p, owner, deal_part);
                &many
            }
        };
        for &s in slots {
            p.sums.add(s as usize, kind, m, weight, stale, ramp);
        }
        p.total.add(kind, m, weight, stale, ramp);
        if kind == WON {
            p.sizes.push(slots, m, self.covered);
        }
        if let Some(d) = days {
            p.days.push(slots, d, self.covered);
        }
    }

    fn add_exact(&self, p: &mut Partial, at: &Row, category: StageCategory) {
        let (sources, deals) = (self.sources, &self.sources.inputs.deals);
        let (row, close, days) = (at.row, at.close, at.days);
        let Some(value) = converted(sources, deals, row) else {
            p.errors.push(fx_missing(deals, row));
            return;
        };
        let deal_part = self.keys.deal_part(deals, row, close);
        let mut keyed: SmallVec<[(u32, Decimal); 2]> = SmallVec::new();
        for (rep, share) in deal_credits(sources, row) {
            let slots = self.slots(p, rep, deal_part);
            if category == StageCategory::Won {
                let ramp = self.ramping(rep, close);
                let booked = value * share;
                for &s in &slots {
                    p.exact(s).add_booked(ramp, booked);
                }
                p.total_exact.add_booked(ramp, booked);
            }
            for s in slots {
                match keyed.iter_mut().find(|(k, _)| *k == s) {
                    Some((_, sh)) => *sh += share,
                    None => keyed.push((s, share)),
                }
            }
        }
        let deal = Deal {
            category,
            value,
            close,
        };
        let as_of = sources.as_of;
        for &(s, share) in &keyed {
            p.exact(s).add_deal(&deal, share, as_of);
        }
        p.total_exact.add_deal(&deal, Decimal::ONE, as_of);
        let slots: SmallVec<[u32; 4]> = keyed.iter().map(|k| k.0).collect();
        if category == StageCategory::Won {
            p.exact_sizes.push(&slots, value, self.covered);
        }
        if let Some(d) = days {
            p.days.push(&slots, d, self.covered);
        }
    }

    /// Merge the blocks' accumulators (in block order) and compute each group's medians.
    fn finish(&self, blocks: Vec<(Partial, BlockValues)>) -> DealResults {
        let scale = self.scale.unwrap_or(0);
        let mut index: FxHashMap<u64, u32> = FxHashMap::default();
        let mut keys: Vec<u64> = Vec::new();
        let mut sums: Vec<Sums> = Vec::new();
        let mut exact: Vec<DealSums> = Vec::new();
        let mut total = Sums::default();
        let mut total_exact = DealSums::default();
        let mut errors = Vec::new();
        let mut remaps = Vec::with_capacity(blocks.len());
        let mut values = Vec::with_capacity(blocks.len());
        for (p, v) in blocks {
            let mut remap = Vec::with_capacity(p.keys.len());
            for (slot, key) in p.keys.iter().enumerate() {
                let block_sums = p.sums.get(slot);
                if block_sums.is_empty() && p.exact[slot].is_none() {
                    // A direct slot no deal reached (any other slot has a deal).
                    remap.push(u32::MAX);
                    continue;
                }
                let next = keys.len() as u32;
                let g = *index.entry(*key).or_insert(next);
                if g == next {
                    keys.push(*key);
                    sums.push(Sums::default());
                    exact.push(DealSums::default());
                }
                sums[g as usize].merge(&block_sums);
                if let Some(e) = &p.exact[slot] {
                    exact[g as usize].add(e);
                }
                remap.push(g);
            }
            total.merge(&p.total);
            total_exact.add(&p.total_exact);
            errors.extend(p.errors);
            remaps.push(remap);
            values.push(v);
        }
        let slots = slots_of_groups(&remaps, keys.len());
        let (medians, (total_sizes, total_cycle)) = rayon::join(
            || group_medians(&values, &slots, scale),
            || total_medians(&values, self.covered, scale),
        );
        let groups = keys
            .into_iter()
            .zip(sums)
            .zip(exact)
            .zip(medians)
            .map(|(((key, s), e), (won_sizes, cycle))| {
                let mut sums = s.decimals(scale, self.weight_scale);
                sums.add(&e);
                GroupDeals {
                    key,
                    sums,
                    won_sizes,
                    cycle,
                }
            })
            .collect();
        let mut total_sums = total.decimals(scale, self.weight_scale);
        total_sums.add(&total_exact);
        errors.sort_by_key(|d: &Diagnostic| d.line);
        DealResults {
            groups,
            total: GroupDeals {
                key: 0,
                sums: total_sums,
                won_sizes: total_sizes,
                cycle: total_cycle,
            },
            errors,
        }
    }
}

/// For each block, each group's slot in it (`u32::MAX`: the group has no deal in the block).
fn slots_of_groups(remaps: &[Vec<u32>], groups: usize) -> Vec<Vec<u32>> {
    remaps
        .iter()
        .map(|remap| {
            let mut slots = vec![u32::MAX; groups];
            for (slot, &g) in remap.iter().enumerate() {
                if g != u32::MAX {
                    slots[g as usize] = slot as u32;
                }
            }
            slots
        })
        .collect()
}

/// Each group's median won size and cycle days, in parallel over the groups: a group's values are
/// its slices of every block, copied into the worker's buffers.
fn group_medians(
    blocks: &[BlockValues],
    slots: &[Vec<u32>],
    scale: u32,
) -> Vec<(Median, CycleDays)> {
    let groups = slots.first().map_or(0, Vec::len);
    (0..groups)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(sizes, exact, days), g| {
                sizes.clear();
                exact.clear();
                days.clear();
                for (b, s) in blocks.iter().zip(slots) {
                    let slot = s[g];
                    if slot != u32::MAX {
                        sizes.extend_from_slice(b.sizes.of(slot));
                        exact.extend_from_slice(b.exact_sizes.of(slot));
                        days.extend_from_slice(b.days.of(slot));
                    }
                }
                (median_size(sizes, scale, exact), cycle_days(days))
            },
        )
        .collect()
}

/// The total's median won size and cycle days: with every deal in at most one group (`covered`),
/// every block's values and those of no group; otherwise the blocks' loose values (every deal).
fn total_medians(blocks: &[BlockValues], covered: bool, scale: u32) -> (Median, CycleDays) {
    let mut sizes = total_values(blocks.iter().map(|b| &b.sizes), covered);
    let exact = total_values(blocks.iter().map(|b| &b.exact_sizes), covered);
    let mut days = total_values(blocks.iter().map(|b| &b.days), covered);
    (
        median_size(&mut sizes, scale, &exact),
        cycle_days(&mut days),
    )
}

fn total_values<'a, T: Copy + 'a>(
    lists: impl Iterator<Item = &'a Grouped<T>>,
    covered: bool,
) -> Vec<T> {
    let mut out = Vec::new();
    for l in lists {
        if covered {
            out.extend_from_slice(&l.values);
        }
        out.extend_from_slice(&l.loose);
    }
    out
}

/// The category of each stage value as the pass uses it.
fn stage(category: Option<StageCategory>, weight_scale: u32) -> Stage {
    let (kind, weight) = match category {
        Some(StageCategory::Won) => (Some(WON), 0),
        Some(StageCategory::Lost) => (Some(LOST), 0),
        Some(StageCategory::NoDecision) => (Some(NO_DECISION), 0),
        Some(StageCategory::Open(p)) if p.scale() <= weight_scale => (
            Some(OPEN),
            p.mantissa() * 10i128.pow(weight_scale - p.scale()),
        ),
        _ => (None, 0),
    };
    Stage {
        category,
        kind,
        weight,
    }
}

/// Who a deal is credited to, for the insights: its split rows, else its owner at 100%.
fn deal_credits(sources: &Sources, row: usize) -> SmallVec<[(u32, Decimal); 2]> {
    let splits: SmallVec<[(u32, Decimal); 2]> = sources
        .inputs
        .credits
        .of_deal(row as u32)
        .iter()
        .filter(|c| c.kind == CreditKind::Split)
        .map(|c| (c.rep, c.share))
        .collect();
    if !splits.is_empty() {
        return splits;
    }
    SmallVec::from_slice(&[(sources.inputs.deals.owner(row), Decimal::ONE)])
}

/// The median of sizes given as mantissas at `scale` and as decimals.
fn median_size(cents: &mut [i32], scale: u32, exact: &[Decimal]) -> Median {
    let n = cents.len() + exact.len();
    let value = if exact.is_empty() {
        quantile_of_mantissas(cents, scale, Decimal::new(5, 1))
    } else {
        let mut all: Vec<Decimal> = cents
            .iter()
            .map(|&c| Decimal::new(i64::from(c), scale))
            .chain(exact.iter().copied())
            .collect();
        all.sort_unstable();
        median(&all)
    };
    Median { n, value }
}

fn cycle_days(days: &mut [i32]) -> CycleDays {
    CycleDays {
        n: days.len(),
        sum: days.iter().map(|&d| i64::from(d)).sum(),
        median: quantile_of_mantissas(days, 0, Decimal::new(5, 1)),
    }
}
