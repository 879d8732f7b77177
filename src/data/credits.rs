//! Split and overlay credits: who besides (or instead of) the owner is credited with a deal.
//!
//! Invariants: every row names a loaded deal and a rep of the roster; a share is in (0, 100%]; a
//! (deal, rep) pair appears once; the `split` shares of a deal sum to exactly 100% (never rescaled).
//! A deal with split rows is credited to those reps only; `overlay` rows credit on top of the split
//! (or of the owner, when the deal has no split rows). Rows are kept sorted by deal row, then rep.

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::cells::Cells;
use super::csv_input::{CsvInput, FileInfo};
use super::{DealTable, Roster};
use crate::diag::{Diagnostic, Diagnostics};
use crate::money::{fmt_percent, parse_ratio};
use crate::workspace::InputSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CreditKind {
    /// The deal's owner, credited 100% (no credits row).
    Owner,
    /// A share of the deal; a deal's split shares sum to 100%.
    Split,
    /// Credit on top of the split (e.g. a solutions engineer).
    Overlay,
    /// Credited to whoever holds the deal's territory on its date.
    Territory,
    /// Rolled up from reports through the hierarchy.
    Rollup,
}

impl CreditKind {
    pub fn name(self) -> &'static str {
        match self {
            CreditKind::Owner => "owner",
            CreditKind::Split => "split",
            CreditKind::Overlay => "overlay",
            CreditKind::Territory => "territory",
            CreditKind::Rollup => "roll-up",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CreditRow {
    /// Index into the deals table.
    pub deal: u32,
    pub rep: u32,
    pub share: Decimal,
    pub kind: CreditKind,
    pub line: u64,
}

#[derive(Debug, Default)]
pub struct Credits {
    pub file: String,
    /// Sorted by (deal, rep).
    pub rows: Vec<CreditRow>,
    pub info: Option<FileInfo>,
}

impl Credits {
    /// The credit rows of a deal.
    pub fn of_deal(&self, deal: u32) -> &[CreditRow] {
        let lo = self.rows.partition_point(|c| c.deal < deal);
        let hi = self.rows.partition_point(|c| c.deal <= deal);
        &self.rows[lo..hi]
    }

    /// Whether the deal's owner is replaced by split rows.
    pub fn is_split(&self, deal: u32) -> bool {
        self.of_deal(deal)
            .iter()
            .any(|c| c.kind == CreditKind::Split)
    }
}

pub fn read_credits(
    spec: &InputSpec,
    roster: &Roster,
    deals: &DealTable,
    diags: &mut Diagnostics,
) -> anyhow::Result<Credits> {
    let Some(mut input) = CsvInput::open(spec, diags)? else {
        return Ok(Credits::default());
    };
    let file = input.file.clone();
    let (c_deal, c_rep, c_share) = (
        input.position("deal_id").unwrap_or(0),
        input.position("rep_id").unwrap_or(0),
        input.position("share").unwrap_or(0),
    );
    let c_kind = input.position("kind");
    let cells = Cells::of(&input);
    // (deal id, row) until the deal ids are resolved against the deals table.
    let mut pending: Vec<(String, CreditRow)> = Vec::new();
    input.for_each_row(diags, |row, diags| {
        let err = |code, c: usize, msg: String| cells.error(row, code, c, msg);
        let rep = cells.rep(roster, row, c_rep, diags);
        let share = match parse_ratio(row.get(c_share)) {
            Some(s) if s > Decimal::ZERO && s <= Decimal::ONE => Some(s),
            _ => {
                diags.push(
                    err(
                        "credit-share-invalid",
                        c_share,
                        "a share must be more than 0% and at most 100%".into(),
                    )
                    .hint("write it as 60% or 0.6"),
                );
                None
            }
        };
        let kind = match c_kind.map_or("", |c| row.get(c)) {
            "" | "split" => Some(CreditKind::Split),
            "overlay" => Some(CreditKind::Overlay),
            _ => {
                diags.push(
                    err(
                        "credit-kind-invalid",
                        c_kind.unwrap_or(0),
                        "the kind of a credit is `split` or `overlay`".into(),
                    )
                    .hint("leave it empty for a split"),
                );
                None
            }
        };
        if let (Some(rep), Some(share), Some(kind)) = (rep, share, kind) {
            pending.push((
                row.get(c_deal).to_string(),
                CreditRow {
                    deal: u32::MAX,
                    rep,
                    share,
                    kind,
                    line: row.line,
                },
            ));
        }
    })?;
    let info = input.finish();

    // Resolve deal ids with one pass over the deals table.
    let mut wanted: FxHashMap<&str, u32> = pending
        .iter()
        .map(|(id, _)| (id.as_str(), u32::MAX))
        .collect();
    for row in 0..deals.len() {
        if let Some(slot) = wanted.get_mut(deals.id(row)) {
            *slot = row as u32;
        }
    }
    let mut rows = Vec::with_capacity(pending.len());
    for (id, mut credit) in pending.iter().cloned() {
        match wanted.get(id.as_str()) {
            Some(&row) if row != u32::MAX => {
                credit.deal = row;
                rows.push(credit);
            }
            // Its deal went to the exceptions (lenient mode): the credit goes with it.
            _ if deals.was_set_aside(&id) => diags.push(
                Diagnostic::warning(
                    "credit-deal-set-aside",
                    &file,
                    format!(
                        "deal `{id}` was sent to the exceptions, so this credit is not used either"
                    ),
                )
                .line(credit.line)
                .col_name(cells.headers[c_deal].clone())
                .value(id.clone())
                .hint("fix the deal's row (exceptions.csv says why); its credits then apply"),
            ),
            _ => diags.push(
                Diagnostic::error(
                    "credit-deal-unknown",
                    &file,
                    format!("deal `{id}` is not in the deals file {}", deals.file),
                )
                .line(credit.line)
                .col_name(cells.headers[c_deal].clone())
                .value(id.clone())
                .hint("correct the deal id, or remove the row"),
            ),
        }
    }
    rows.sort_by_key(|c| (c.deal, c.rep, c.line));
    let mut credits = Credits {
        file: file.clone(),
        rows: Vec::new(),
        info: Some(info),
    };
    for group in rows.chunk_by(|a, b| a.deal == b.deal) {
        let id = deals.id(group[0].deal as usize);
        for pair in group.windows(2) {
            if pair[0].rep == pair[1].rep {
                diags.push(
                    Diagnostic::error(
                        "credit-duplicate",
                        &file,
                        format!(
                            "deal `{id}` credits rep `{}` twice (first on line {})",
                            roster.get(pair[1].rep).id,
                            pair[0].line
                        ),
                    )
                    .line(pair[1].line)
                    .hint("give the rep one row with the combined share"),
                );
            }
        }
        let splits: Vec<&CreditRow> = group
            .iter()
            .filter(|c| c.kind == CreditKind::Split)
            .collect();
        let sum: Decimal = splits.iter().map(|c| c.share).sum();
        if !splits.is_empty() && sum != Decimal::ONE {
            let parts: Vec<String> = splits
                .iter()
                .map(|c| format!("{} {}", roster.get(c.rep).id, fmt_percent(c.share)))
                .collect();
            let first = splits.iter().map(|c| c.line).min().unwrap_or(0);
            diags.push(
                Diagnostic::error(
                    "credit-shares-sum",
                    &file,
                    format!(
                        "the split shares of deal `{id}` sum to {} ({}), not 100%",
                        fmt_percent(sum),
                        parts.join(", ")
                    ),
                )
                .line(first)
                .value(id.to_string())
                .hint("correct the shares; credit on top of a full split is a row with kind `overlay`"),
            );
        }
    }
    credits.rows = rows;
    Ok(credits)
}
