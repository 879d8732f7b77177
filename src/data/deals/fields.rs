//! Fast parsers for the usual shapes of a field (`-1234.50`, `2026-01-31`, no surrounding space),
//! used before the general ones.
//!
//! Invariant: a fast parser gives exactly what the general one gives (`money::NumberFormat::parse`
//! with the default format, `NaiveDate::from_ymd_opt`) or `None`, and then the caller asks the
//! general one; the tests compare them.

use chrono::NaiveDate;

/// `[-]digit[digits][.digits]`, the common shape, parsed without allocating into the (mantissa, scale) that
/// `Decimals` stores; `None` for anything else, and for a value out of the input range.
pub(super) fn fast_decimal(s: &str) -> Option<(i64, u8)> {
    decimal_bytes(s.as_bytes())
}

/// [`fast_decimal`] of a field's bytes.
#[inline(always)]
pub(super) fn decimal_bytes(b: &[u8]) -> Option<(i64, u8)> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    // A digit before the point, as the general parser wants (`.5` is not a number of the format).
    if !digits.first().is_some_and(u8::is_ascii_digit) || digits.len() > 18 {
        return None;
    }
    // The digits before the point, then (after a point) at least one digit: two tight loops.
    let digit = |c: u8| c.wrapping_sub(b'0');
    let mut mantissa: i64 = 0;
    let mut i = 0;
    while let Some(&c) = digits.get(i).filter(|&&c| digit(c) < 10) {
        mantissa = mantissa * 10 + digit(c) as i64;
        i += 1;
    }
    let scale = match digits.get(i..) {
        Some([]) | None => 0u8,
        Some([b'.', fraction @ ..]) if !fraction.is_empty() => {
            for &c in fraction {
                if digit(c) >= 10 {
                    return None;
                }
                mantissa = mantissa * 10 + digit(c) as i64;
            }
            fraction.len() as u8
        }
        Some(_) => return None,
    };
    // |mantissa| / 10^scale < 10^15 (`money::within_input_range`); at most 18 digits, so any
    // scale from 3 up is within it.
    pub(super) const LIMIT: [i64; 3] = [
        1_000_000_000_000_000,
        10_000_000_000_000_000,
        100_000_000_000_000_000,
    ];
    if (scale as usize) < LIMIT.len() && mantissa >= LIMIT[scale as usize] {
        return None;
    }
    Some((if neg { -mantissa } else { mantissa }, scale))
}

pub(super) fn fast_iso_date(s: &str) -> Option<NaiveDate> {
    iso_date_bytes(&DAYS, s.as_bytes())
}

/// [`fast_iso_date`] of a field's bytes, with [`DAYS`] at hand (`days` is `&DAYS`, dereferenced
/// once by a caller that reads many dates).
#[inline(always)]
pub(super) fn iso_date_bytes(days: &[Option<NaiveDate>], s: &[u8]) -> Option<NaiveDate> {
    let b: &[u8; 10] = s.try_into().ok()?;
    // `YYYY-MM-` as one word: xor-ing the pattern leaves digits as 0-9 and the dashes as 0.
    let word = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let day = u16::from_le_bytes([b[8], b[9]]) ^ 0x3030;
    let x = word ^ 0x2d30_302d_3030_3030;
    let below_ten = |x: u64, high: u64| x & high == 0 && (x + 0x7676_7676_7676_7676) & high == 0;
    if !below_ten(x, 0x8080_8080_8080_8080)
        || x & 0xff00_00ff_0000_0000 != 0
        || !below_ten(day as u64, 0x8080)
    {
        return None;
    }
    let digit = |i: usize| ((x >> (8 * i)) & 0xff) as u32;
    let y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
    let m = digit(5) * 10 + digit(6);
    let d = (day & 0xff) as u32 * 10 + (day >> 8) as u32;
    // Dates of 1970-2099 from a table (chrono's constructor validates and packs each one); the
    // table holds `None` for days a month does not have, as the constructor would say.
    if (1970..2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) {
        return days
            .get((((y - 1970) * 12 + m - 1) * 31 + d - 1) as usize)
            .copied()
            .flatten();
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// Every (year, month, day) of 1970-2099 with day 1-31, as [`NaiveDate::from_ymd_opt`] gives it.
pub(super) static DAYS: std::sync::LazyLock<Vec<Option<NaiveDate>>> =
    std::sync::LazyLock::new(|| {
        let mut days = Vec::with_capacity(130 * 12 * 31);
        for y in 1970..2100 {
            for m in 1..=12 {
                for d in 1..=31 {
                    days.push(NaiveDate::from_ymd_opt(y, m, d));
                }
            }
        }
        days
    });

/// `s.trim()`, skipping the Unicode scan in the usual case of a field that starts and ends with a
/// visible ASCII character.
#[inline]
pub(super) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let visible = |c: Option<&u8>| c.is_some_and(|c| (b'!'..=b'~').contains(c));
    if b.is_empty() || (visible(b.first()) && visible(b.last())) {
        s
    } else {
        s.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::NumberFormat;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// The fast parser agrees with the general one (the default number format): the same value and
    /// scale, or `None` and the general parser decides.
    fn agrees_with_the_general_parser(text: &str) -> Result<(), String> {
        let general = NumberFormat::default().parse(text);
        match fast_decimal(text) {
            None => Ok(()),
            Some((m, s)) => match general {
                Some(d) if d == Decimal::new(m, s as u32) && d.scale() == s as u32 => Ok(()),
                other => Err(format!("{text:?}: fast ({m}, {s}), general {other:?}")),
            },
        }
    }

    /// Every text of up to 6 characters from the ones that matter to a number.
    #[test]
    fn fast_decimals_agree_with_the_general_parser_on_short_texts() {
        let alphabet = ['0', '1', '9', '.', '-', ' ', 'e', ','];
        let mut texts = vec![String::new()];
        let mut start = 0;
        for _ in 0..6 {
            let end = texts.len();
            for i in start..end {
                for c in alphabet {
                    let t = format!("{}{c}", texts[i]);
                    texts.push(t);
                }
            }
            start = end;
        }
        for t in &texts {
            agrees_with_the_general_parser(t).unwrap();
        }
        // the shapes it is for are read fast, not left to the general parser
        for (text, parts) in [
            ("0", (0, 0)),
            ("-12.50", (-1250, 2)),
            ("999999999999999.99", (99_999_999_999_999_999, 2)),
            ("0.0000000000000001", (1, 16)),
        ] {
            assert_eq!(fast_decimal(text), Some(parts), "{text}");
        }
        // out of the input range (10^15): the general parser refuses it too
        assert_eq!(fast_decimal("1000000000000000"), None);
        assert_eq!(NumberFormat::default().parse("1000000000000000"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Longer numbers, near the 18 digits the fast parser takes and the range limit.
        #[test]
        fn fast_decimals_agree_with_the_general_parser(
            text in "-?[0-9]{0,20}(\\.[0-9]{0,20})?",
        ) {
            prop_assert_eq!(agrees_with_the_general_parser(&text), Ok(()));
        }
    }

    #[test]
    fn iso_dates_read_as_chrono_reads_them() {
        // Inside the table's years and around them, valid days and days a month does not have.
        for y in [1969, 1970, 2000, 2024, 2025, 2099, 2100, 2400] {
            for m in 0..=13 {
                for d in 0..=32 {
                    let text = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(
                        fast_iso_date(&text),
                        NaiveDate::from_ymd_opt(y, m, d),
                        "{text}"
                    );
                }
            }
        }
        assert_eq!(fast_iso_date("2026-1-15"), None);
        assert_eq!(fast_iso_date("2026/01/15"), None);
        // every byte of the shape replaced by a byte one off a digit or a dash, or a high byte
        for at in 0..10 {
            for c in [b'/', b':', b'-', b'0', b'9', b'.', 0x80, 0xb0, 0xff, b' '] {
                let mut text = *b"2026-01-15";
                text[at] = c;
                if let Ok(text) = std::str::from_utf8(&text) {
                    let general = text.get(0..4).zip(text.get(5..7)).zip(text.get(8..10));
                    let expected = general.and_then(|((y, m), d)| {
                        let all_digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
                        let shaped = &text[4..5] == "-" && &text[7..8] == "-";
                        (shaped && all_digits(y) && all_digits(m) && all_digits(d))
                            .then(|| {
                                NaiveDate::from_ymd_opt(
                                    y.parse().ok()?,
                                    m.parse().ok()?,
                                    d.parse().ok()?,
                                )
                            })
                            .flatten()
                    });
                    assert_eq!(fast_iso_date(text), expected, "{text}");
                }
            }
        }
    }
}
