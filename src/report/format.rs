//! Number formatting for people and machines, and the text that explains a line (tier, rate, formula).
//!
//! Invariants: formatting never rounds money: amounts are printed with all their digits (at least
//! the plan's places), so a printed total always equals the sum of its printed lines. Only attainment,
//! a ratio, is shown rounded, and says so.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::engine::{Line, LineKind};
use crate::money::{fmt_percent, fmt_plain};
use crate::plan::{Basis, Boundary, Component, ComponentKind, Plan, RateTable, RateType};

/// An exact amount with at least `places` decimals: 13540.000000 → "13540.00", 987.6536 → "987.6536".
pub fn amount(value: Decimal, places: u32) -> String {
    let mut v = value.normalize();
    if v.scale() < places {
        v.rescale(places);
    }
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v.to_string()
}

/// Like [`amount`], with thousands separators, for tables people read.
pub fn grouped(value: Decimal, places: u32) -> String {
    let s = amount(value, places);
    let (sign, rest) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// Attainment as a percentage rounded half away from zero to 0.01% (display only).
pub fn attainment_pct(ratio: Option<Decimal>) -> String {
    ratio.map_or(String::new(), |r| {
        let p = (r * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        format!("{}%", amount(p, 2))
    })
}

/// Attainment as a ratio to 6 decimals (machine outputs).
pub fn attainment_ratio(ratio: Option<Decimal>) -> String {
    ratio.map_or(String::new(), |r| {
        amount(
            r.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero),
            6,
        )
    })
}

fn table(comp: &Component) -> &RateTable {
    let ComponentKind::Commission(t) = &comp.kind;
    t
}

/// A rate as the plan states it: "8%", or "25.00 per unit".
pub fn rate(plan: &Plan, comp: &Component, rate: Decimal) -> String {
    match table(comp).rate_type {
        RateType::Percent => fmt_percent(rate),
        RateType::PerUnit => format!("{} per unit", amount(rate, plan.rounding.places)),
    }
}

fn breakpoint(t: &RateTable, v: Decimal) -> String {
    match t.basis {
        Basis::Attainment => fmt_percent(v),
        Basis::Amount => fmt_plain(v),
    }
}

/// A tier as "T2 [50%, 100%)" (1-based, with the boundary rule's brackets).
pub fn tier(comp: &Component, tier: Option<usize>) -> String {
    let Some(i) = tier else {
        return "below T1".into();
    };
    let t = table(comp);
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

/// Places for what a rate applies to: money for percentages, units as they are for per-unit rates.
fn base_places(plan: &Plan, comp: &Component) -> u32 {
    match table(comp).rate_type {
        RateType::Percent => plan.rounding.places,
        RateType::PerUnit => 0,
    }
}

/// The arithmetic of a line, e.g. "15000.00 × 8%".
pub fn formula(plan: &Plan, comp: &Component, line: &Line) -> String {
    let places = plan.rounding.places;
    match line.kind {
        LineKind::Deal => format!(
            "{} × {}",
            amount(line.base, base_places(plan, comp)),
            rate(plan, comp, line.rate)
        ),
        LineKind::Retro => format!(
            "{} × {} retroactive uplift ({} → {})",
            amount(line.base, base_places(plan, comp)),
            rate(plan, comp, line.rate),
            tier(comp, line.from_tier).split(' ').next().unwrap_or(""),
            tier(comp, line.tier).split(' ').next().unwrap_or("")
        ),
        LineKind::Rounding => format!(
            "round({}) = {} ({}) less the previous period's rounding",
            amount(line.from, places),
            amount(line.to, places),
            plan.rounding
        ),
    }
}

/// Whether a component's measure is money (a sum of a money column), as opposed to units or a count.
pub fn measure_is_money(inputs: &crate::data::Inputs, plan: &Plan, comp: &Component) -> bool {
    match &plan.measures[comp.measure].value {
        crate::plan::MeasureValue::Count => false,
        crate::plan::MeasureValue::Sum(col) => inputs
            .deals
            .column(col)
            .is_some_and(|i| inputs.deals.columns[i].ty == crate::data::ColumnType::Money),
    }
}
