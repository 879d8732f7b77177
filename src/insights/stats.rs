//! Exact statistics on decimals: ratios that are `n/a` instead of a division by zero, and
//! percentiles by linear interpolation between the closest ranks.
//!
//! Invariants: nothing goes through f64; a ratio with a zero denominator has no value; a percentile
//! of an empty list has no value. Division keeps rust_decimal's 28 significant digits. A quantile of
//! integer mantissas ([`quantile_of_mantissas`]) selects the ranks it needs instead of sorting, and
//! is the same decimal [`quantile`] gives on the sorted decimals.

use rust_decimal::Decimal;

/// `numerator ÷ denominator`, or `None` when the denominator is zero.
pub fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    if denominator.is_zero() {
        None
    } else {
        numerator.checked_div(denominator)
    }
}

/// The `p`-th quantile (0–1) of sorted values: with `h = (n − 1) × p`, `x[⌊h⌋] + (h − ⌊h⌋) ×
/// (x[⌊h⌋ + 1] − x[⌊h⌋])` (the "inclusive" method of spreadsheets' PERCENTILE.INC and
/// QUARTILE.INC); the median is `p = 0.5`.
pub fn quantile(sorted: &[Decimal], p: Decimal) -> Option<Decimal> {
    let last = sorted.len().checked_sub(1)?;
    let h = Decimal::from(last) * p;
    let low = h.floor();
    let i = usize::try_from(low).ok()?.min(last);
    let next = sorted[(i + 1).min(last)];
    Some(sorted[i] + (h - low) * (next - sorted[i]))
}

/// The mean, or `None` for no values.
pub fn mean(values: &[Decimal]) -> Option<Decimal> {
    let sum: Decimal = values.iter().sum();
    ratio(sum, Decimal::from(values.len()))
}

pub fn median(sorted: &[Decimal]) -> Option<Decimal> {
    quantile(sorted, Decimal::new(5, 1))
}

/// [`quantile`] of the decimals `mantissa × 10^−scale` of `values`, in any order (they are
/// reordered): the ranks `⌊h⌋` and `⌊h⌋ + 1` are selected (`select_nth_unstable`, linear time) and
/// interpolated as decimals, so the result is exactly [`quantile`]'s on the sorted decimals.
pub fn quantile_of_mantissas<T>(values: &mut [T], scale: u32, p: Decimal) -> Option<Decimal>
where
    T: Copy + Ord + Into<i64>,
{
    let last = values.len().checked_sub(1)?;
    let h = Decimal::from(last) * p;
    let low = h.floor();
    let i = usize::try_from(low).ok()?.min(last);
    let (_, at, above) = values.select_nth_unstable(i);
    let at = *at;
    let next = above.iter().copied().min().unwrap_or(at);
    let x = Decimal::new(at.into(), scale);
    let y = Decimal::new(next.into(), scale);
    Some(x + (h - low) * (y - x))
}

/// The decimal `mantissa × 10^−scale` of an integer sum. A sum beyond rust_decimal's 96 bits
/// loses its last digits (rounded half away from zero), as a decimal sum that large would; one
/// beyond 96 bits at scale 0 saturates.
pub fn decimal_of(mut mantissa: i128, mut scale: u32) -> Decimal {
    loop {
        if let Ok(d) = Decimal::try_from_i128_with_scale(mantissa, scale) {
            return d;
        }
        if scale == 0 {
            return if mantissa < 0 {
                Decimal::MIN
            } else {
                Decimal::MAX
            };
        }
        let (q, r) = (mantissa / 10, mantissa % 10);
        mantissa = q + i128::from(r.abs() >= 5) * mantissa.signum();
        scale -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let xs = [d(10), d(20), d(30), d(40)];
        // h = 3 × 0.5 = 1.5 → 20 + 0.5 × (30 − 20) = 25
        assert_eq!(median(&xs), Some(d(25)));
        // h = 3 × 0.25 = 0.75 → 10 + 0.75 × 10 = 17.5
        assert_eq!(
            quantile(&xs, Decimal::new(25, 2)),
            Some(Decimal::new(175, 1))
        );
        // h = 3 × 0.9 = 2.7 → 30 + 0.7 × 10 = 37
        assert_eq!(quantile(&xs, Decimal::new(9, 1)), Some(d(37)));
        assert_eq!(quantile(&xs, Decimal::ONE), Some(d(40)));
        assert_eq!(median(&[d(7)]), Some(d(7)));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn quantiles_of_mantissas_select_what_sorting_would_give() {
        // 12.00, 30.00, 12.00, 7.50 sorted: 7.50, 12.00, 12.00, 30.00; h = 3 × 0.5 = 1.5 → 12.00.
        let mut cents = [1200i64, 3000, 1200, 750];
        assert_eq!(
            quantile_of_mantissas(&mut cents, 2, Decimal::new(5, 1)),
            Some(Decimal::new(12, 0))
        );
        // h = 3 × 0.9 = 2.7 → 12.00 + 0.7 × (30.00 − 12.00) = 24.60
        assert_eq!(
            quantile_of_mantissas(&mut cents, 2, Decimal::new(9, 1)),
            Some(Decimal::new(246, 1))
        );
        assert_eq!(quantile_of_mantissas::<i64>(&mut [], 2, Decimal::ONE), None);
    }

    proptest::proptest! {
        #[test]
        fn quantiles_of_mantissas_equal_those_of_sorted_decimals(
            values in proptest::collection::vec(-5000i64..5000, 1..40),
            p in 0u32..=100,
        ) {
            let p = Decimal::new(i64::from(p), 2);
            let mut sorted: Vec<Decimal> = values.iter().map(|&v| Decimal::new(v, 2)).collect();
            sorted.sort_unstable();
            let mut mantissas = values.clone();
            proptest::prop_assert_eq!(
                quantile_of_mantissas(&mut mantissas, 2, p),
                quantile(&sorted, p)
            );
        }
    }

    #[test]
    fn integer_sums_become_decimals_of_their_scale() {
        assert_eq!(decimal_of(123456, 2), Decimal::new(123456, 2));
        assert_eq!(decimal_of(0, 2).to_string(), "0.00");
        // 2^97 = 158456325028528675187087900672 at scale 2 does not fit 96 bits: one digit
        // fewer, rounded (…672 → …67).
        let big = decimal_of(1i128 << 97, 2);
        assert_eq!(
            big,
            Decimal::new(1, 1) * Decimal::from_i128_with_scale(15845632502852867518708790067, 0)
        );
        assert_eq!(big.scale(), 1);
    }

    #[test]
    fn ratios_and_means_have_no_value_without_data() {
        assert_eq!(ratio(d(1), d(0)), None);
        assert_eq!(ratio(d(1), d(4)), Some(Decimal::new(25, 2)));
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[d(1), d(2)]), Some(Decimal::new(15, 1)));
    }
}
