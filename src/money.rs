//! Exact decimal numbers: parsing money and rates from text, named rounding strategies, formatting.
//!
//! Invariants: nothing here goes through binary floating point; parsing is exact
//! (`1.005` stays `1.005`) and rounding happens only through [`Rounding::apply`], whose strategy is named.

use std::fmt;
use std::fmt::Write as _;
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
    let mut s = String::new();
    push_percent(&mut s, ratio);
    s
}

/// [`fmt_percent`], appended to `out`.
pub fn push_percent(out: &mut String, ratio: Decimal) {
    let mut buf = itoa::Buffer::new();
    match text::percent(&mut buf, ratio) {
        Some(t) => {
            out.reserve(t.len() + 1);
            t.push(out);
        }
        None => {
            let p = (ratio * Decimal::ONE_HUNDRED).normalize();
            let _ = write!(out, "{p}");
        }
    }
    out.push('%');
}

/// Format a plain decimal with trailing zeros removed (1.500 → 1.5).
pub fn fmt_plain(value: Decimal) -> String {
    let mut s = String::new();
    push_plain(&mut s, value);
    s
}

/// [`fmt_plain`], appended to `out`.
pub fn push_plain(out: &mut String, value: Decimal) {
    let mut buf = itoa::Buffer::new();
    match text::exact(&mut buf, value, 0) {
        Some(t) => t.push(out),
        None => {
            let _ = write!(out, "{}", value.normalize());
        }
    }
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
    let mut buf = itoa::Buffer::new();
    match text::exact(&mut buf, value, places) {
        Some(t) => {
            let mut s = String::with_capacity(t.len());
            t.push(&mut s);
            s
        }
        None => fmt_amount_reference(value, places),
    }
}

/// [`fmt_amount`], appended to `out` (no allocation when `out` has room).
pub fn push_amount(out: &mut String, value: Decimal, places: u32) {
    // Zero, of any scale or sign, is "0" and `places` zeros: the usual payment column.
    if value.is_zero() && places <= 28 {
        out.push('0');
        if places > 0 {
            out.push('.');
            out.extend(std::iter::repeat_n('0', places as usize));
        }
        return;
    }
    let mut buf = itoa::Buffer::new();
    match text::exact(&mut buf, value, places) {
        Some(t) => t.push(out),
        None => out.push_str(&fmt_amount_reference(value, places)),
    }
}

/// [`push_amount`] into a byte buffer (CSV lines are built as bytes): the same text.
pub fn push_amount_bytes(out: &mut Vec<u8>, value: Decimal, places: u32) {
    if value.is_zero() && places <= 28 {
        out.push(b'0');
        if places > 0 {
            out.push(b'.');
            out.extend(std::iter::repeat_n(b'0', places as usize));
        }
        return;
    }
    if push_small_amount(out, value, places).is_some() {
        return;
    }
    let mut buf = itoa::Buffer::new();
    match text::exact(&mut buf, value, places) {
        Some(t) => t.push_bytes(out),
        None => out.extend_from_slice(fmt_amount_reference(value, places).as_bytes()),
    }
}

/// [`push_amount_bytes`] of a non-zero value whose mantissa fits 64 bits (every amount of a
/// statement line): the decimals' trailing zeros divided away down to `places`, then the digits
/// with the point placed and zeros padded up to `places`. `None`, with nothing written, when the
/// value is outside that range or the padded text would pass 28 digits (where `Decimal` stops).
fn push_small_amount(out: &mut Vec<u8>, value: Decimal, places: u32) -> Option<()> {
    let mut m = u64::try_from(value.mantissa().unsigned_abs()).ok()?;
    let mut scale = value.scale();
    if m == 0 || places > 28 {
        return None;
    }
    while scale > places && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    let pad = (places - scale.min(places)) as usize;
    let scale = scale as usize;
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(m).as_bytes();
    if digits.len().max(scale) + pad > 28 {
        return None;
    }
    out.reserve(digits.len() + scale + pad + 3);
    if value.is_sign_negative() {
        out.push(b'-');
    }
    let int_len = digits.len().saturating_sub(scale);
    match int_len {
        0 => out.push(b'0'),
        n => out.extend_from_slice(&digits[..n]),
    }
    if scale + pad > 0 {
        out.push(b'.');
        out.extend(std::iter::repeat_n(b'0', scale - (digits.len() - int_len)));
        out.extend_from_slice(&digits[int_len..]);
        out.extend(std::iter::repeat_n(b'0', pad));
    }
    Some(())
}

/// [`fmt_amount`] with thousands separators (13540.5 → "13,540.50"), appended to `out`.
pub fn push_grouped(out: &mut String, value: Decimal, places: u32) {
    let mut buf = itoa::Buffer::new();
    match text::exact(&mut buf, value, places) {
        Some(t) => t.push_grouped(out),
        None => push_grouped_text(out, &fmt_amount_reference(value, places)),
    }
}

/// An amount's text as [`fmt_amount`] wrote it, with thousands separators: what [`push_grouped`]
/// appends for the same value and places.
pub fn push_grouped_text(out: &mut String, amount: &str) {
    let (sign, rest) = match amount.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", amount),
    };
    let (int, frac) = match rest.bytes().position(|b| b == b'.') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    out.reserve(amount.len() + int.len().saturating_sub(1) / 3);
    out.push_str(sign);
    text::push_int_grouped(out, int);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
}

/// What [`fmt_amount`] computes, through `Decimal` arithmetic and `Display`: the definition of the
/// text, used where the integer fast path ([`text::exact`]) declines and as the reference in tests.
fn fmt_amount_reference(value: Decimal, places: u32) -> String {
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
    let mut s = String::new();
    push_attainment(&mut s, ratio);
    s
}

/// [`fmt_attainment`], appended to `out`.
pub fn push_attainment(out: &mut String, ratio: Option<Decimal>) {
    if let Some(r) = ratio {
        let p = (r * Decimal::ONE_HUNDRED).round_dp_with_strategy(2, RoundingStrategy::ToZero);
        push_amount(out, p, 2);
        out.push('%');
    }
}

/// Decimal text from a mantissa and a scale with integer arithmetic only: no `normalize()`
/// division loop, no `Display`, no allocation.
///
/// Invariants: every function here returns either exactly the text that the `Decimal` operations
/// it stands for would print (checked against them by property tests), or `None` when its input is
/// outside the range where that is easy to prove (more than 28 digits in play, or a scale change
/// that `Decimal` could not represent); callers then take the `Decimal` path.
mod text {
    use rust_decimal::Decimal;

    /// Digits a mantissa may grow to and still fit `Decimal`'s 96 bits (10^28 < 2^96).
    const SAFE_DIGITS: usize = 28;
    /// `Decimal`'s largest scale.
    const MAX_SCALE: u32 = 28;
    const ZEROS: &str = "0000000000000000000000000000";

    /// The text of a decimal in pieces: `-` if `negative`, `int`, then when there are decimals a
    /// point, `lead` zeros, `frac`, and `pad` zeros.
    pub struct Parts<'a> {
        negative: bool,
        int: &'a str,
        lead: usize,
        frac: &'a str,
        pad: usize,
    }

    impl Parts<'_> {
        /// The text's length in bytes.
        pub fn len(&self) -> usize {
            let decimals = self.lead + self.frac.len() + self.pad;
            usize::from(self.negative) + self.int.len() + decimals + usize::from(decimals > 0)
        }

        pub fn push(&self, out: &mut String) {
            if self.negative {
                out.push('-');
            }
            out.push_str(self.int);
            self.push_decimals(out);
        }

        /// [`Parts::push`] into bytes, in one reservation.
        pub fn push_bytes(&self, out: &mut Vec<u8>) {
            out.reserve(self.len());
            if self.negative {
                out.push(b'-');
            }
            out.extend_from_slice(self.int.as_bytes());
            if self.lead + self.frac.len() + self.pad > 0 {
                out.push(b'.');
                out.extend_from_slice(&ZEROS.as_bytes()[..self.lead]);
                out.extend_from_slice(self.frac.as_bytes());
                out.extend_from_slice(&ZEROS.as_bytes()[..self.pad]);
            }
        }

        /// With a comma every three integer digits.
        pub fn push_grouped(&self, out: &mut String) {
            if self.negative {
                out.push('-');
            }
            push_int_grouped(out, self.int);
            self.push_decimals(out);
        }

        fn push_decimals(&self, out: &mut String) {
            if self.lead + self.frac.len() + self.pad > 0 {
                out.push('.');
                out.push_str(&ZEROS[..self.lead]);
                out.push_str(self.frac);
                out.push_str(&ZEROS[..self.pad]);
            }
        }
    }

    /// Integer digits with a comma every three.
    pub fn push_int_grouped(out: &mut String, int: &str) {
        let first = match int.len() % 3 {
            0 => int.len().min(3),
            n => n,
        };
        out.push_str(&int[..first]);
        let mut i = first;
        while i < int.len() {
            out.push(',');
            out.push_str(&int[i..i + 3]);
            i += 3;
        }
    }

    /// The text of `value.normalize()` rescaled to at least `places` decimals, with a zero's sign
    /// dropped: what `fmt_amount` prints (and, with `places` 0, what `fmt_plain` prints).
    pub fn exact(buf: &mut itoa::Buffer, value: Decimal, places: u32) -> Option<Parts<'_>> {
        let m = value.mantissa().unsigned_abs();
        parts(buf, value.is_sign_negative(), m, value.scale(), places)
    }

    /// The text of `(ratio × 100).normalize()`, when the product is exact (it fits 96 bits).
    pub fn percent(buf: &mut itoa::Buffer, ratio: Decimal) -> Option<Parts<'_>> {
        let m = ratio.mantissa().unsigned_abs().checked_mul(100)?;
        if m >= 1u128 << 96 {
            return None;
        }
        // m × 100 at the same scale is the product; the normalised text strips the zeros again.
        parts(buf, ratio.is_sign_negative(), m, ratio.scale(), 0)
    }

    /// Sign, digits of `m` with the point `scale` digits from the right, trailing fractional zeros
    /// removed, then zeros padded up to `places` decimals.
    fn parts(
        buf: &mut itoa::Buffer,
        negative: bool,
        m: u128,
        scale: u32,
        places: u32,
    ) -> Option<Parts<'_>> {
        if places > MAX_SCALE || scale > MAX_SCALE {
            return None;
        }
        let all = match u64::try_from(m) {
            Ok(0) => "",
            Ok(small) => buf.format(small),
            Err(_) => buf.format(m),
        };
        // Zero has no digits, and normalising it drops its scale.
        let scale = if m == 0 { 0 } else { scale as usize };
        let places = places as usize;
        // Trailing zeros among the decimals go (normalize); the digits keep at least one.
        let zeros = all
            .bytes()
            .rev()
            .take(scale)
            .take_while(|&b| b == b'0')
            .count();
        let digits = &all[..all.len() - zeros];
        let kept_scale = scale - zeros;
        let pad = places.saturating_sub(kept_scale);
        // Padding multiplies the mantissa: `Decimal::rescale` stops short where 96 bits overflow.
        if pad > 0 && digits.len() + pad > SAFE_DIGITS {
            return None;
        }
        let int_len = digits.len().saturating_sub(kept_scale);
        Some(Parts {
            negative: negative && m != 0,
            int: if int_len == 0 {
                "0"
            } else {
                &digits[..int_len]
            },
            lead: kept_scale - (digits.len() - int_len),
            frac: &digits[int_len..],
            pad,
        })
    }
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

    /// The old `grouped` (report::format), on the reference text.
    fn grouped_reference(value: Decimal, places: u32) -> String {
        let s = fmt_amount_reference(value, places);
        let (sign, rest) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
        let (int, frac) = rest
            .split_once('.')
            .map_or((rest, None), |(i, f)| (i, Some(f)));
        let mut out = String::new();
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

    fn grouped(value: Decimal, places: u32) -> String {
        let mut s = String::new();
        push_grouped(&mut s, value, places);
        s
    }

    fn percent_reference(ratio: Decimal) -> String {
        format!("{}%", (ratio * Decimal::ONE_HUNDRED).normalize())
    }

    /// Every formatter against its `Decimal` definition.
    fn assert_same_text(v: Decimal, places: u32) {
        assert_eq!(
            fmt_amount(v, places),
            fmt_amount_reference(v, places),
            "{v:?} {places}"
        );
        let mut pushed = String::from("x");
        push_amount(&mut pushed, v, places);
        assert_eq!(
            pushed,
            format!("x{}", fmt_amount_reference(v, places)),
            "{v:?} {places}"
        );
        let mut bytes = b"x".to_vec();
        push_amount_bytes(&mut bytes, v, places);
        assert_eq!(bytes, pushed.as_bytes(), "{v:?} {places}");
        assert_eq!(
            grouped(v, places),
            grouped_reference(v, places),
            "{v:?} {places}"
        );
        let mut regrouped = String::new();
        push_grouped_text(&mut regrouped, &fmt_amount(v, places));
        assert_eq!(regrouped, grouped_reference(v, places), "{v:?} {places}");
        assert_eq!(fmt_plain(v), v.normalize().to_string(), "{v:?}");
        if v.checked_mul(Decimal::ONE_HUNDRED).is_some() {
            assert_eq!(fmt_percent(v), percent_reference(v), "{v:?}");
        }
    }

    #[test]
    fn amounts_are_printed_like_decimal_display() {
        assert_eq!(fmt_amount(d("13540.000000"), 2), "13540.00");
        assert_eq!(fmt_amount(d("987.6536"), 2), "987.6536");
        assert_eq!(fmt_amount(d("-0.00"), 2), "0.00");
        assert_eq!(fmt_amount(d("-0.5"), 0), "-0.5");
        assert_eq!(fmt_amount(d("0.000100"), 2), "0.0001");
        assert_eq!(grouped(d("-1234567.5"), 2), "-1,234,567.50");
        assert_eq!(grouped(d("123"), 0), "123");
        assert_eq!(fmt_percent(d("0.125")), "12.5%");
        assert_eq!(fmt_percent(d("1.5")), "150%");
        assert_eq!(fmt_percent(d("-0.0")), "0%");
        assert_eq!(fmt_plain(d("1.500")), "1.5");
        assert_eq!(fmt_attainment(Some(d("0.999999"))), "99.99%");
        let max = Decimal::MAX;
        let tiny = Decimal::from_i128_with_scale(1, 28);
        let mut neg_zero = Decimal::from_i128_with_scale(0, 7);
        neg_zero.set_sign_negative(true);
        for v in [
            max,
            -max,
            tiny,
            -tiny,
            neg_zero,
            Decimal::ZERO,
            d("0.00001"),
            d("100"),
        ] {
            for places in [0, 1, 2, 6, 10, 27, 28, 29, 30] {
                assert_same_text(v, places);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        #[test]
        fn fast_formatting_matches_decimal(
            lo in proptest::prelude::any::<u32>(),
            mid in proptest::prelude::any::<u32>(),
            hi in proptest::prelude::any::<u32>(),
            width in 0u32..4,
            negative in proptest::prelude::any::<bool>(),
            scale in 0u32..=28,
            places in 0u32..=30,
        ) {
            // Mantissas of every size: 0, 32, 64 and 96 bits.
            let (mid, hi) = match width { 0 => (0, 0), 1 => (mid, 0), 2 => (mid, hi % 16), _ => (mid, hi) };
            let lo = if width == 0 { lo % 1000 } else { lo };
            let v = Decimal::from_parts(lo, mid, hi, negative, scale);
            assert_same_text(v, places);
            // Round amounts (trailing zeros) are the usual case.
            let round = Decimal::from_parts(lo % 100 * 1000, 0, 0, negative, scale);
            assert_same_text(round, places);
        }
    }
}
