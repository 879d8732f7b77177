//! Number formatting for people and machines, and the text that explains a line (tier, rate, formula).
//!
//! Invariants: formatting never rounds money: amounts are printed with all their digits (at least
//! the plan's places), so a printed total always equals the sum of its printed lines. Only attainment,
//! a ratio, is shown rounded, and says so.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use rustc_hash::FxHashMap;

use crate::engine::{Line, LineKind};
use crate::money::{fmt_percent, fmt_plain};
use crate::plan::{Basis, Boundary, Component, ComponentKind, Plan, RateTable, RateType};

pub use crate::money::{
    fmt_amount as amount, fmt_attainment as attainment_pct, push_amount, push_grouped,
};

/// Like [`amount`], with thousands separators, for tables people read.
pub fn grouped(value: Decimal, places: u32) -> String {
    let mut s = String::new();
    push_grouped(&mut s, value, places);
    s
}

/// Attainment as a ratio truncated toward zero to 6 decimals (machine outputs): 0.4999999 shows
/// as 0.499999, never as a level it has not reached.
pub fn attainment_ratio(ratio: Option<Decimal>) -> String {
    let mut s = String::new();
    push_attainment_ratio(&mut s, ratio);
    s
}

/// [`attainment_ratio`], appended to `out`.
pub fn push_attainment_ratio(out: &mut String, ratio: Option<Decimal>) {
    if let Some(r) = ratio {
        push_amount(
            out,
            r.round_dp_with_strategy(6, RoundingStrategy::ToZero),
            6,
        );
    }
}

/// The rate table that priced a deal line: the rule's, or the component's default.
fn line_table<'a>(comp: &'a Component, line: &Line) -> Option<&'a RateTable> {
    match &comp.kind {
        ComponentKind::Commission(c) => Some(match line.rule {
            Some(r) => &c.rules[r as usize].table,
            None => &c.table,
        }),
        _ => None,
    }
}

/// A rate as the table states it: "8%", or "25.00 per unit".
pub fn table_rate(plan: &Plan, t: &RateTable, rate: Decimal) -> String {
    match t.rate_type {
        RateType::Percent => fmt_percent(rate),
        RateType::PerUnit => format!("{} per unit", amount(rate, plan.rounding.places)),
    }
}

/// The rate of a line ("8%", "100.00 per unit"), or nothing for lines that have none.
pub fn rate(plan: &Plan, comp: &Component, line: &Line) -> String {
    match (&comp.kind, line.kind) {
        (ComponentKind::Commission(_), LineKind::Deal) if line.per.is_some() => {
            format!("{} per tier", amount(line.rate, plan.rounding.places))
        }
        (ComponentKind::Commission(c), LineKind::Deal) if per_deal_rule(c, line) => {
            format!("{} per deal", amount(line.rate, plan.rounding.places))
        }
        (ComponentKind::Commission(_), LineKind::Deal | LineKind::Retro) => {
            line_table(comp, line).map_or(String::new(), |t| table_rate(plan, t, line.rate))
        }
        (ComponentKind::Spiff(_), LineKind::Deal) => {
            format!("{} per unit", amount(line.rate, plan.rounding.places))
        }
        _ => String::new(),
    }
}

fn breakpoint(t: &RateTable, v: Decimal) -> String {
    match t.basis {
        Basis::Attainment => fmt_percent(v),
        Basis::Amount => fmt_plain(v),
    }
}

/// Tier `i` of a table as "T2 [50%, 100%)" (1-based, with the boundary rule's brackets).
pub fn table_tier(t: &RateTable, tier: Option<usize>) -> String {
    let Some(i) = tier else {
        return "below T1".into();
    };
    let Some(tr) = t.tiers.get(i) else {
        return String::new();
    };
    let (open, close) = match t.boundary {
        Boundary::FromInclusive => ('[', ')'),
        Boundary::ToInclusive => ('(', ']'),
    };
    let hi = tr.to.map_or("∞".to_string(), |v| breakpoint(t, v));
    let open = if i == 0 && tr.from.is_zero() {
        '['
    } else {
        open
    };
    let close = if tr.to.is_none() { ')' } else { close };
    format!("T{} {open}{}, {hi}{close}", i + 1, breakpoint(t, tr.from))
}

/// The tier of a deal line, prefixed with its rule when a rule priced it; empty for other lines.
pub fn tier(comp: &Component, line: &Line) -> String {
    if !matches!(line.kind, LineKind::Deal | LineKind::Retro) {
        return String::new();
    }
    match line_table(comp, line) {
        Some(t) => {
            let tier = table_tier(t, line.tier);
            match line.rule {
                Some(r) => format!("rule {} {tier}", r + 1),
                None => tier,
            }
        }
        None => String::new(),
    }
}

/// Places for what a rate applies to: money for percentages, units as they are for per-unit rates.
fn base_places(plan: &Plan, comp: &Component, line: &Line) -> u32 {
    match line_table(comp, line).map(|t| t.rate_type) {
        Some(RateType::Percent) => plan.rounding.places,
        _ => 0,
    }
}

/// The arithmetic of a line, e.g. "15000.00 × 8%".
pub fn formula(plan: &Plan, comp: &Component, line: &Line) -> String {
    let short = |t: Option<usize>| match line_table(comp, line) {
        Some(table) => table_tier(table, t)
            .split(' ')
            .next()
            .unwrap_or("")
            .to_string(),
        None => String::new(),
    };
    match line.kind {
        LineKind::Deal if line.per.is_some() => prorated_formula(plan, comp, line),
        LineKind::Deal if per_deal_line(comp, line) => per_deal_formula(plan, line),
        LineKind::Deal => format!(
            "{} × {}",
            amount(line.base, base_places(plan, comp, line)),
            rate(plan, comp, line)
        ),
        LineKind::Retro => format!(
            "{} × {} retroactive uplift ({} → {})",
            amount(line.base, base_places(plan, comp, line)),
            rate(plan, comp, line),
            short(line.from_tier),
            short(line.tier)
        ),
        _ => line.detail.as_deref().unwrap_or("").to_string(),
    }
}

/// A retroactive uplift as a person reads it, "+3% on the 220,420.85 counted before (T2 → T3)":
/// the measure already counted at the lower tier earns the difference of the two rates.
pub fn retro_reading(plan: &Plan, comp: &Component, line: &Line) -> String {
    let short = |t: Option<usize>| {
        line_table(comp, line).map_or(String::new(), |table| {
            let tier = table_tier(table, t);
            tier.split(' ').next().unwrap_or("").to_string()
        })
    };
    format!(
        "+{} on the {} counted before ({} → {})",
        rate(plan, comp, line),
        grouped(line.base, base_places(plan, comp, line)),
        short(line.from_tier),
        short(line.tier)
    )
}

/// Whether a commission line was priced by a rule's fixed amount per deal.
fn per_deal_rule(c: &crate::plan::Commission, line: &Line) -> bool {
    line.rule
        .and_then(|r| c.rules.get(r as usize))
        .is_some_and(|r| r.per_deal.is_some())
}

fn per_deal_line(comp: &Component, line: &Line) -> bool {
    matches!(&comp.kind, ComponentKind::Commission(c) if per_deal_rule(c, line))
}

/// A deal priced by a rule's fixed amount: "100% × 50.00 per deal" (the credited share).
fn per_deal_formula(plan: &Plan, line: &Line) -> String {
    format!(
        "{} × {} per deal",
        fmt_percent(line.base),
        amount(line.rate, plan.rounding.places)
    )
}

/// A slice of a tier that pays a fixed amount: "19050.00 ÷ 47050.00 of 5000.00 per tier", the
/// part of the tier crossed times the tier's amount.
fn prorated_formula(plan: &Plan, comp: &Component, line: &Line) -> String {
    let places = base_places(plan, comp, line);
    format!(
        "{} ÷ {} of {} per tier",
        amount(line.base, places),
        amount(line.per.unwrap_or(Decimal::ONE), places),
        amount(line.rate, plan.rounding.places)
    )
}

pub use crate::data::measure_is_money;

/// The tier, rate and formula texts of a statement's lines, with the tier and rate texts computed
/// once per (component, rule, tier) and (component, rule, rate) instead of once per line: the same
/// few labels repeat on every deal line of a statement. One `LineTexts` may serve any number of
/// statements of a run: a component's address names it (and its plan) for the run's lifetime.
#[derive(Default)]
pub struct LineTexts {
    tiers: FxHashMap<TierKey, String>,
    /// Keyed by the rate's representation (`Decimal::serialize`), which is cheaper to hash than its
    /// value; equal values in two representations print the same text.
    rates: FxHashMap<RateKey, String>,
    /// The last tier and rate asked for, with their texts: consecutive lines mostly share them.
    last_tier: Option<(TierKey, String)>,
    last_rate: Option<(RateKey, String)>,
}

type TierKey = (usize, Option<u32>, Option<usize>, bool);
type RateKey = (usize, Option<u32>, [u8; 16], bool);

impl LineTexts {
    /// [`tier`], remembered.
    pub fn tier(&mut self, comp: &Component, line: &Line) -> &str {
        let key = (
            comp as *const Component as usize,
            line.rule,
            line.tier,
            matches!(line.kind, LineKind::Deal | LineKind::Retro),
        );
        if self.last_tier.as_ref().is_none_or(|(k, _)| *k != key) {
            let text = self.tiers.entry(key).or_insert_with(|| tier(comp, line));
            self.last_tier = Some((key, text.clone()));
        }
        self.last_tier.as_ref().map_or("", |(_, text)| text)
    }

    /// [`rate`], remembered.
    pub fn rate(&mut self, plan: &Plan, comp: &Component, line: &Line) -> &str {
        let key = (
            comp as *const Component as usize,
            line.rule,
            line.rate.serialize(),
            matches!(line.kind, LineKind::Deal | LineKind::Retro),
        );
        if self.last_rate.as_ref().is_none_or(|(k, _)| *k != key) {
            let text = self
                .rates
                .entry(key)
                .or_insert_with(|| rate(plan, comp, line));
            self.last_rate = Some((key, text.clone()));
        }
        self.last_rate.as_ref().map_or("", |(_, text)| text)
    }

    /// When a line's formula is `base × rate` (a deal line priced by a rate): the places its base is
    /// written with and the rate's text, as [`LineTexts::push_formula`] writes them.
    pub fn base_times_rate(
        &mut self,
        plan: &Plan,
        comp: &Component,
        line: &Line,
    ) -> Option<(u32, &str)> {
        if line.kind != LineKind::Deal || line.per.is_some() || per_deal_line(comp, line) {
            return None;
        }
        let places = base_places(plan, comp, line);
        Some((places, self.rate(plan, comp, line)))
    }

    /// [`formula`], with the rate remembered, appended to `out`.
    pub fn push_formula(&mut self, out: &mut String, plan: &Plan, comp: &Component, line: &Line) {
        match line.kind {
            LineKind::Deal if line.per.is_some() => {
                out.push_str(&prorated_formula(plan, comp, line))
            }
            LineKind::Deal if per_deal_line(comp, line) => {
                out.push_str(&per_deal_formula(plan, line))
            }
            LineKind::Deal => {
                push_amount(out, line.base, base_places(plan, comp, line));
                out.push_str(" × ");
                out.push_str(self.rate(plan, comp, line));
            }
            LineKind::Retro => out.push_str(&formula(plan, comp, line)),
            _ => out.push_str(line.detail.as_deref().unwrap_or("")),
        }
    }
}

/// A date as `Display` prints it (`2026-03-05`), appended to `out`; four-digit years without
/// `fmt` machinery.
pub fn push_date(out: &mut String, date: NaiveDate) {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        let _ = write!(out, "{date}");
        return;
    }
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let year = year as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push('-');
    two(out, date.month());
    out.push('-');
    two(out, date.day());
}

/// Text escaped for a Markdown table cell (`|` → `\|`, newline → space, any other control
/// character as its escape, see [`term`]), appended to `out`.
pub fn push_md(out: &mut String, text: &str) {
    if !text.bytes().any(|b| b == b'|' || may_be_control(b)) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
}

/// Whether a UTF-8 byte may start a control character: C0, DEL, or the lead byte of C1 (U+0080 to
/// U+009F).
fn may_be_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2
}

/// Text for a terminal table cell: control characters (escape sequences, tabs, carriage returns,
/// newlines) shown as their escapes (`\u{1b}`, `\t`, `\r`, `\n`), so user text can neither drive
/// the terminal nor break the table's lines.
pub fn term(text: &str) -> Cow<'_, str> {
    escape_controls(text, false)
}

/// A whole text for a terminal: like [`term`], newlines kept.
pub fn term_lines(text: &str) -> Cow<'_, str> {
    escape_controls(text, true)
}

/// The cells of a table row through [`term`].
pub fn term_row(cells: Vec<String>) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| {
            let escaped = match term(&c) {
                Cow::Owned(escaped) => Some(escaped),
                Cow::Borrowed(_) => None,
            };
            escaped.unwrap_or(c)
        })
        .collect()
}

fn escape_controls(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let escape = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if !text.bytes().any(may_be_control) || !text.chars().any(escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match escape(c) {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_like_display() {
        for (y, m, d) in [
            (2026, 3, 5),
            (1, 1, 1),
            (0, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut s = String::new();
            push_date(&mut s, date);
            assert_eq!(s, date.to_string());
        }
    }

    #[test]
    fn markdown_cells_are_escaped_like_replace() {
        for t in ["plain", "a|b", "two\nlines|x", "", "é|\n|"] {
            let mut s = String::new();
            push_md(&mut s, t);
            assert_eq!(s, t.replace('|', "\\|").replace('\n', " "));
        }
    }

    #[test]
    fn control_characters_are_escaped_for_terminals_and_markdown() {
        assert_eq!(term("a\u{1b}[31mb\tc\r\nd"), "a\\u{1b}[31mb\\tc\\r\\nd");
        assert_eq!(term_lines("a\u{9b}b\nc"), "a\\u{9b}b\nc");
        assert!(matches!(term("Ann Able é"), Cow::Borrowed(_)));
        let mut s = String::new();
        push_md(&mut s, "x|y\nz\u{1b}");
        assert_eq!(s, "x\\|y z\\u{1b}");
    }
}
