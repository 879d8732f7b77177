//! Group keys of the deals pass as integers: a deal's key is `rep part × deal space + deal part`,
//! where the rep part is an interned tuple of the rep dimensions' label codes (computed once per
//! rep, several for `team`) and the deal part the tuple of the deal dimensions' codes (month,
//! deals columns) found by table lookups per row.
//!
//! Invariants: every label a deal of the period can have is interned before the pass (so workers
//! share the key space read-only); a key decodes to the codes of [`super::groups::Key`] in the
//! order of the dimensions; both parts stay below 2^32, so a key fits a u64 whatever the label
//! counts (deal tuples whose mixed-radix number would not fit are interned per row instead).

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::groups::{month_label, Dim, Key};
use super::Sources;
use crate::data::deals::NO_OWNER;
use crate::data::{ColumnValues, DealTable};
use crate::period::Granularity;

/// How one deal dimension's label code is found for a row.
enum DealLabel {
    /// Month index (year × 12 + month) minus the period's first → code.
    Month { first: i32, codes: Vec<u32> },
    /// A text column: dictionary code → label code.
    Dict { column: usize, codes: Vec<u32> },
    /// Another column (dates, numbers): the cell as text → label code.
    Text {
        column: usize,
        codes: FxHashMap<String, u32>,
    },
    /// A column the deals file does not have: no deal has a label.
    Never,
}

/// The deal part of each row.
enum DealParts {
    /// No deal dimension: every row's part is 0.
    None,
    /// Mixed radix of the codes, `Σ code × stride`.
    Radix(Vec<(DealLabel, u32)>),
    /// Interned per row (when the mixed-radix numbers would not fit 32 bits): part of each row,
    /// `u32::MAX` for a row of no group.
    Rows(Vec<u32>),
}

pub struct KeySpace {
    /// Per dimension: `Some(i)` for the i-th rep dimension, `None` for a deal dimension.
    rep_dim: Vec<Option<usize>>,
    /// The rep tuples (codes of the rep dimensions, in order), interned.
    rep_tuples: Vec<SmallVec<[u32; 4]>>,
    /// Rep tuples of each rep (roster index; the last entry is a deal without an owner), as
    /// offsets into `rep_list`.
    rep_offsets: Vec<u32>,
    rep_list: Vec<u32>,
    deal_parts: DealParts,
    /// Per deal dimension: radix (for decoding mixed-radix parts).
    deal_radix: Vec<u32>,
    /// Decoded deal tuples when they are interned per row.
    deal_tuples: Vec<SmallVec<[u32; 4]>>,
    /// Number of distinct deal parts (1 without deal dimensions).
    pub deal_space: u64,
    /// Whether some rep has more than one rep tuple (`team` above several managers).
    pub multi: bool,
}

fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month() as i32
}

impl KeySpace {
    /// The key space of `dims`, interning every label of the deals in the period into `labels`.
    pub fn build(
        dims: &[Dim],
        sources: &Sources,
        labels: &mut super::groups::Labels,
        rep_codes: &super::groups::RepCodes,
    ) -> KeySpace {
        let deals = &sources.inputs.deals;
        let mut rep_dim = Vec::new();
        let mut deal_labels = Vec::new();
        let mut reps_seen = 0;
        for (d, dim) in dims.iter().enumerate() {
            if dim.of_rep() {
                rep_dim.push(Some(reps_seen));
                reps_seen += 1;
            } else {
                rep_dim.push(None);
                deal_labels.push(deal_label(d, dim, sources, labels));
            }
        }
        let rep_dims: Vec<usize> = (0..dims.len()).filter(|&d| dims[d].of_rep()).collect();
        let mut space = KeySpace {
            rep_dim,
            rep_tuples: Vec::new(),
            rep_offsets: vec![0],
            rep_list: Vec::new(),
            deal_parts: DealParts::None,
            deal_radix: Vec::new(),
            deal_tuples: Vec::new(),
            deal_space: 1,
            multi: false,
        };
        space.intern_reps(&rep_dims, sources.inputs.roster.len(), rep_codes);
        space.deal_parts(deal_labels, dims, labels, deals, sources);
        space
    }

    fn intern_reps(
        &mut self,
        rep_dims: &[usize],
        reps: usize,
        rep_codes: &super::groups::RepCodes,
    ) {
        let mut index: FxHashMap<SmallVec<[u32; 4]>, u32> = FxHashMap::default();
        for r in (0..reps as u32).map(Some).chain([None]) {
            let per_dim: Vec<SmallVec<[u32; 2]>> = rep_dims
                .iter()
                .map(|&d| SmallVec::from_slice(rep_codes.of(r, d)))
                .collect();
            let tuples = super::groups::cross(&per_dim);
            self.multi |= tuples.len() > 1;
            for t in tuples {
                let t: SmallVec<[u32; 4]> = t.into_iter().collect();
                let next = self.rep_tuples.len() as u32;
                let id = *index.entry(t.clone()).or_insert(next);
                if id == next {
                    self.rep_tuples.push(t);
                }
                self.rep_list.push(id);
            }
            self.rep_offsets.push(self.rep_list.len() as u32);
        }
    }

    fn deal_parts(
        &mut self,
        labels: Vec<DealLabel>,
        dims: &[Dim],
        all: &super::groups::Labels,
        deals: &DealTable,
        sources: &Sources,
    ) {
        if labels.is_empty() {
            return;
        }
        let deal_dims: Vec<usize> = (0..dims.len()).filter(|&d| !dims[d].of_rep()).collect();
        self.deal_radix = deal_dims
            .iter()
            .map(|&d| (all.count(d) as u32).max(1))
            .collect();
        let space = self
            .deal_radix
            .iter()
            .try_fold(1u64, |acc, &r| acc.checked_mul(u64::from(r)))
            .filter(|&s| s <= u64::from(u32::MAX));
        if let Some(space) = space {
            let mut stride = 1u32;
            let mut radix = Vec::new();
            for (label, r) in labels.into_iter().zip(&self.deal_radix) {
                radix.push((label, stride));
                stride = stride.saturating_mul(*r);
            }
            self.deal_space = space;
            self.deal_parts = DealParts::Radix(radix);
            return;
        }
        // Too many combinations for a number: intern each row's tuple (rows of the period only).
        let mut index: FxHashMap<SmallVec<[u32; 4]>, u32> = FxHashMap::default();
        let mut rows = vec![u32::MAX; deals.len()];
        for (row, part) in rows.iter_mut().enumerate() {
            let close = deals.close_date(row);
            if !sources.period.contains(close) {
                continue;
            }
            let Some(t) = labels
                .iter()
                .map(|l| l.code(deals, row, close))
                .collect::<Option<SmallVec<[u32; 4]>>>()
            else {
                continue;
            };
            let next = self.deal_tuples.len() as u32;
            let id = *index.entry(t.clone()).or_insert(next);
            if id == next {
                self.deal_tuples.push(t);
            }
            *part = id;
        }
        self.deal_space = (self.deal_tuples.len() as u64).max(1);
        self.deal_parts = DealParts::Rows(rows);
    }

    /// The rep parts of a deal credited to `rep` (a roster index, or [`NO_OWNER`]).
    #[inline]
    pub fn rep_parts(&self, rep: u32) -> &[u32] {
        let i = if rep == NO_OWNER {
            self.rep_offsets.len() - 2
        } else {
            rep as usize
        };
        &self.rep_list[self.rep_offsets[i] as usize..self.rep_offsets[i + 1] as usize]
    }

    /// The deal part of a row of the period; `None` when a deal dimension has no label for it.
    #[inline]
    pub fn deal_part(&self, deals: &DealTable, row: usize, close: NaiveDate) -> Option<u64> {
        match &self.deal_parts {
            DealParts::None => Some(0),
            DealParts::Radix(dims) => {
                let mut part = 0u64;
                for (label, stride) in dims {
                    part += u64::from(label.code(deals, row, close)?) * u64::from(*stride);
                }
                Some(part)
            }
            DealParts::Rows(rows) => Some(rows[row]).filter(|&p| p != u32::MAX).map(u64::from),
        }
    }

    /// Whether a dimension is of the deal (month, a deals column): the deal part then varies.
    pub fn has_deal_dims(&self) -> bool {
        !matches!(self.deal_parts, DealParts::None)
    }

    /// The key of a rep part and a deal part.
    #[inline]
    pub fn key(&self, rep_part: u32, deal_part: u64) -> u64 {
        u64::from(rep_part) * self.deal_space + deal_part
    }

    /// How many keys there can be.
    pub fn size(&self) -> u64 {
        (self.rep_tuples.len() as u64).max(1) * self.deal_space
    }

    /// The label codes of a key, in the order of the dimensions.
    pub fn decode(&self, key: u64) -> Key {
        let rep = &self.rep_tuples[(key / self.deal_space) as usize];
        let deal_part = key % self.deal_space;
        let deal: SmallVec<[u32; 4]> = match &self.deal_parts {
            DealParts::Rows(_) => self.deal_tuples[deal_part as usize].clone(),
            _ => {
                let mut rest = deal_part;
                self.deal_radix
                    .iter()
                    .map(|&r| {
                        let c = rest % u64::from(r);
                        rest /= u64::from(r);
                        c as u32
                    })
                    .collect()
            }
        };
        let mut deal_i = 0;
        self.rep_dim
            .iter()
            .map(|r| match r {
                Some(i) => rep[*i],
                None => {
                    deal_i += 1;
                    deal[deal_i - 1]
                }
            })
            .collect()
    }
}

impl DealLabel {
    #[inline]
    fn code(&self, deals: &DealTable, row: usize, close: NaiveDate) -> Option<u32> {
        match self {
            DealLabel::Month { first, codes } => usize::try_from(month_index(close) - first)
                .ok()
                .and_then(|i| codes.get(i).copied()),
            DealLabel::Dict { column, codes } => deals.columns[*column]
                .text_code_at(row)
                .and_then(|c| codes.get(c as usize).copied()),
            DealLabel::Text { column, codes } => {
                codes.get(&deals.columns[*column].display(row)).copied()
            }
            DealLabel::Never => None,
        }
    }
}

/// The labels of a deal dimension, interned (every month of the period; every value of a text
/// column; the values of another column in the period's deals).
fn deal_label(
    d: usize,
    dim: &Dim,
    sources: &Sources,
    labels: &mut super::groups::Labels,
) -> DealLabel {
    let deals = &sources.inputs.deals;
    let column = match dim {
        Dim::Month => {
            let months = sources.period.periods_of(Granularity::Month);
            let first = months.first().map_or(0, |m| month_index(m.start()));
            let codes = months
                .iter()
                .map(|m| labels.code(d, &month_label(m.start())))
                .collect();
            return DealLabel::Month { first, codes };
        }
        Dim::Deal(name) => deals.column(name),
        _ => None,
    };
    let Some(column) = column else {
        return DealLabel::Never;
    };
    match &deals.columns[column].values {
        ColumnValues::Text { dict, .. } => DealLabel::Dict {
            column,
            codes: dict.iter().map(|v| labels.code(d, v)).collect(),
        },
        _ => {
            let mut codes = FxHashMap::default();
            for row in 0..deals.len() {
                if sources.period.contains(deals.close_date(row)) {
                    let text = deals.columns[column].display(row);
                    let code = labels.code(d, &text);
                    codes.insert(text, code);
                }
            }
            DealLabel::Text { column, codes }
        }
    }
}
