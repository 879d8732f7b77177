//! Exact decimal numbers: parsing money and rates from text, named rounding strategies, formatting.
//!
//! Invariants: nothing here goes through binary floating point; parsing is exact
//! (`1.005` stays `1.005`) and rounding happens only through [`Rounding::apply`], whose strategy is named.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// How to round: a named strategy and a number of decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rounding {
    pub strategy: Strategy,
    pub places: u32,
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding {
            strategy: Strategy::HalfAwayFromZero,
            places: 2,
        }
    }
}

impl Rounding {
    pub fn apply(&self, value: Decimal) -> Decimal {
        value.round_dp_with_strategy(self.places, self.strategy.to_rust_decimal())
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {} places", self.strategy, self.places)
    }
}

/// A rounding strategy, spelled in plans and workspaces in kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// 2.345 → 2.35, −2.345 → −2.35 (commercial rounding; "half-up" is an alias).
    HalfAwayFromZero,
    /// 2.345 → 2.34, 2.355 → 2.36 (banker's rounding).
    HalfEven,
    /// 2.345 → 2.34, −2.345 → −2.34.
    HalfTowardZero,
    /// Truncate: 2.349 → 2.34.
    TowardZero,
    /// 2.341 → 2.35.
    AwayFromZero,
    /// Toward −∞.
    Floor,
    /// Toward +∞.
    Ceiling,
}

impl Strategy {
    pub const NAMES: &'static str =
        "half-away-from-zero (alias half-up), half-even, half-toward-zero (alias half-down), toward-zero (alias down), away-from-zero (alias up), floor, ceiling";

    fn to_rust_decimal(self) -> RoundingStrategy {
        match self {
            Strategy::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Strategy::HalfEven => RoundingStrategy::MidpointNearestEven,
            Strategy::HalfTowardZero => RoundingStrategy::MidpointTowardZero,
            Strategy::TowardZero => RoundingStrategy::ToZero,
            Strategy::AwayFromZero => RoundingStrategy::AwayFromZero,
            Strategy::Floor => RoundingStrategy::ToNegativeInfinity,
            Strategy::Ceiling => RoundingStrategy::ToPositiveInfinity,
        }
    }
}

impl FromStr for Strategy {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "half-away-from-zero" | "half-up" => Strategy::HalfAwayFromZero,
            "half-even" | "bankers" => Strategy::HalfEven,
            "half-toward-zero" | "half-down" => Strategy::HalfTowardZero,
            "toward-zero" | "down" | "truncate" => Strategy::TowardZero,
            "away-from-zero" | "up" => Strategy::AwayFromZero,
            "floor" => Strategy::Floor,
            "ceiling" => Strategy::Ceiling,
            _ => return Err(()),
        })
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::HalfAwayFromZero => "half-away-from-zero",
            Strategy::HalfEven => "half-even",
            Strategy::HalfTowardZero => "half-toward-zero",
            Strategy::TowardZero => "toward-zero",
            Strategy::AwayFromZero => "away-from-zero",
            Strategy::Floor => "floor",
            Strategy::Ceiling => "ceiling",
        })
    }
}

/// How numbers are written in an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberFormat {
    pub decimal_separator: char,
    /// Grouping separator to ignore (`,` in "1,234.50"), if any.
    pub thousands_separator: Option<char>,
    /// Symbols to strip before parsing ("$", "€").
    pub strip: Vec<String>,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat {
            decimal_separator: '.',
            thousands_separator: None,
            strip: Vec::new(),
        }
    }
}

impl NumberFormat {
    pub fn describe(&self) -> String {
        let mut s = String::from("a decimal number like ");
        let sep = self.decimal_separator;
        match self.thousands_separator {
            Some(t) => s.push_str(&format!("1{t}234{sep}50")),
            None => s.push_str(&format!("1234{sep}50")),
        }
        if !self.strip.is_empty() {
            s.push_str(&format!(" (optionally with {})", self.strip.join(" or ")));
        }
        s.push_str(", at most 15 digits before the decimal point");
        s
    }

    /// Parse an amount exactly. Accepts a leading `-` or accounting parentheses `(1,234.00)`,
    /// the configured symbols before or after the number, and grouping separators in groups of three.
    pub fn parse(&self, text: &str) -> Option<Decimal> {
        let mut t = text.trim();
        let mut negative = false;
        if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            negative = true;
            t = inner.trim();
        }
        if let Some(r) = t.strip_prefix('-') {
            negative = !negative;
            t = r.trim_start();
        }
        for sym in &self.strip {
            if let Some(r) = t.strip_prefix(sym.as_str()) {
                t = r.trim_start();
            } else if let Some(r) = t.strip_suffix(sym.as_str()) {
                t = r.trim_end();
            }
        }
        if let Some(r) = t.strip_prefix('-') {
            negative = !negative;
            t = r;
        }
        let (int_part, frac_part) = match t.split_once(self.decimal_separator) {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let mut plain = String::with_capacity(t.len());
        match self.thousands_separator {
            Some(sep) if int_part.contains(sep) => {
                for (i, group) in int_part.split(sep).enumerate() {
                    let ok = if i == 0 {
                        (1..=3).contains(&group.len())
                    } else {
                        group.len() == 3
                    };
                    if !ok {
                        return None;
                    }
                    plain.push_str(group);
                }
            }
            _ => plain.push_str(int_part),
        }
        if let Some(f) = frac_part {
            plain.push('.');
            plain.push_str(f);
        }
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(
            int_part
                .split(|c| Some(c) == self.thousands_separator)
                .collect::<String>()
                .as_str(),
        ) || frac_part.is_some_and(|f| !all_digits(f))
        {
            return None;
        }
        let value = Decimal::from_str_exact(&plain)
            .ok()
            .filter(|v| within_input_range(*v))?;
        Some(if negative { -value } else { value })
    }
}

/// The largest magnitude accepted for an input amount (10^15): sums of a billion such amounts and
/// their products with rates stay far inside rust_decimal's 28 digits, so engine arithmetic cannot
/// overflow.
pub fn within_input_range(value: Decimal) -> bool {
    value.abs() < Decimal::from(1_000_000_000_000_000i64)
}

/// Parse a plain decimal (`-12.50`, `0.04`, `1e3` is rejected) exactly.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || t.contains(['e', 'E']) {
        return None;
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    Decimal::from_str_exact(t).ok()
}

/// Parse a rate or ratio: `4%` → 0.04, `0.04` → 0.04, `150%` → 1.5.
pub fn parse_ratio(text: &str) -> Option<Decimal> {
    let t = text.trim();
    match t.strip_suffix('%') {
        Some(p) => parse_decimal(p)?.checked_div(Decimal::ONE_HUNDRED),
        None => parse_decimal(t),
    }
}

/// Format money with exactly `places` decimals (no rounding beyond padding: callers round first).
pub fn fmt_money(value: Decimal, places: u32) -> String {
    let mut v = value;
    if v.scale() < places {
        v.rescale(places);
    }
    v.normalize_zero_sign().to_string()
}

/// Format a ratio as a percentage without losing digits: 0.04 → "4%", 0.125 → "12.5%".
pub fn fmt_percent(ratio: Decimal) -> String {
    let p = (ratio * Decimal::ONE_HUNDRED).normalize();
    format!("{p}%")
}

/// Format a plain decimal with trailing zeros removed (1.500 → 1.5).
pub fn fmt_plain(value: Decimal) -> String {
    value.normalize().to_string()
}

trait NormalizeZero {
    fn normalize_zero_sign(self) -> Self;
}

impl NormalizeZero for Decimal {
    fn normalize_zero_sign(mut self) -> Self {
        if self.is_zero() {
            self.set_sign_positive(true);
        }
        self
    }
}

/// An exact amount with at least `places` decimals: 13540.000000 → "13540.00", 987.6536 → "987.6536".
pub fn fmt_amount(value: Decimal, places: u32) -> String {
    let mut v = value.normalize();
    if v.scale() < places {
        v.rescale(places);
    }
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v.to_string()
}

/// Attainment as a percentage truncated toward zero to 0.01% (display only): a shown 100.00% is
/// always reached, 99.999% shows as 99.99%.
pub fn fmt_attainment(ratio: Option<Decimal>) -> String {
    ratio.map_or(String::new(), |r| {
        let p = (r * Decimal::ONE_HUNDRED).round_dp_with_strategy(2, RoundingStrategy::ToZero);
        format!("{}%", fmt_amount(p, 2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::d;

    mod rust_decimal_macros_free {
        pub fn d(s: &str) -> rust_decimal::Decimal {
            rust_decimal::Decimal::from_str_exact(s).unwrap()
        }
    }

    #[test]
    fn rounding_strategies_at_the_midpoint() {
        let r = |s: Strategy| Rounding {
            strategy: s,
            places: 2,
        };
        assert_eq!(r(Strategy::HalfAwayFromZero).apply(d("2.345")), d("2.35"));
        assert_eq!(r(Strategy::HalfAwayFromZero).apply(d("-2.345")), d("-2.35"));
        assert_eq!(r(Strategy::HalfEven).apply(d("2.345")), d("2.34"));
        assert_eq!(r(Strategy::HalfEven).apply(d("2.355")), d("2.36"));
        assert_eq!(r(Strategy::HalfTowardZero).apply(d("2.345")), d("2.34"));
        assert_eq!(r(Strategy::TowardZero).apply(d("2.349")), d("2.34"));
        assert_eq!(r(Strategy::AwayFromZero).apply(d("2.341")), d("2.35"));
        assert_eq!(r(Strategy::Floor).apply(d("-2.341")), d("-2.35"));
        assert_eq!(r(Strategy::Ceiling).apply(d("-2.349")), d("-2.34"));
    }

    #[test]
    fn number_formats() {
        let us = NumberFormat {
            decimal_separator: '.',
            thousands_separator: Some(','),
            strip: vec!["$".into()],
        };
        assert_eq!(us.parse("1,234.50"), Some(d("1234.50")));
        assert_eq!(us.parse("$1,234.50"), Some(d("1234.50")));
        assert_eq!(us.parse("-$1,234.50"), Some(d("-1234.50")));
        assert_eq!(us.parse("($1,234.50)"), Some(d("-1234.50")));
        assert_eq!(us.parse("1234.5"), Some(d("1234.5")));
        assert_eq!(us.parse("12,34.5"), None);
        assert_eq!(us.parse("1,2345"), None);
        assert_eq!(us.parse("abc"), None);
        assert_eq!(us.parse(""), None);
        assert_eq!(us.parse("1.2.3"), None);
        let eu = NumberFormat {
            decimal_separator: ',',
            thousands_separator: Some('.'),
            strip: vec!["€".into()],
        };
        assert_eq!(eu.parse("1.234,56 €"), Some(d("1234.56")));
        let plain = NumberFormat::default();
        assert_eq!(plain.parse("0.1"), Some(d("0.1")));
        assert_eq!(plain.parse("1e5"), None);
        assert_eq!(
            plain.parse("999999999999999.99"),
            Some(d("999999999999999.99"))
        );
        assert_eq!(plain.parse("1000000000000000"), None);
    }

    #[test]
    fn ratios_and_formatting() {
        assert_eq!(parse_ratio("4%"), Some(d("0.04")));
        assert_eq!(parse_ratio("150%"), Some(d("1.5")));
        assert_eq!(parse_ratio("0.125"), Some(d("0.125")));
        assert_eq!(fmt_percent(d("0.125")), "12.5%");
        assert_eq!(fmt_money(d("5"), 2), "5.00");
        assert_eq!(fmt_money(d("-0.00"), 2), "0.00");
    }
}
