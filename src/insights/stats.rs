//! Exact statistics on decimals: ratios that are `n/a` instead of a division by zero, and
//! percentiles by linear interpolation between the closest ranks.
//!
//! Invariants: nothing goes through f64; a ratio with a zero denominator has no value; a percentile
//! of an empty list has no value. Division keeps rust_decimal's 28 significant digits.

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
    fn ratios_and_means_have_no_value_without_data() {
        assert_eq!(ratio(d(1), d(0)), None);
        assert_eq!(ratio(d(1), d(4)), Some(Decimal::new(25, 2)));
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[d(1), d(2)]), Some(Decimal::new(15, 1)));
    }
}
