//! Rounding a set of amounts to a step so that they sum exactly to a total: the largest-remainder
//! (Hamilton) rule.
//!
//! Rule: each amount is rounded down to a multiple of the step; the leftover (total − Σ rounded
//! down) is handed out one step at a time to the amounts with the largest remainders (ties: the
//! lower key first); when the total itself is not a multiple of the step, the rest (less than one
//! step) goes to the next amount in that order. The parts then sum to the total exactly.

use rust_decimal::Decimal;

/// How each amount was rounded: down to the step, then `steps_added` steps (0 or 1) and `rest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounded {
    pub value: Decimal,
    pub floor: Decimal,
    pub steps_added: u32,
    pub rest: Decimal,
}

/// Round `amounts` (key, unrounded amount ≥ 0) to multiples of `step` summing to `total` (see the
/// module rule). `step` must be positive and `total` the sum of the amounts (up to rounding).
pub fn round_to_total(amounts: &[(&str, Decimal)], total: Decimal, step: Decimal) -> Vec<Rounded> {
    let mut out: Vec<Rounded> = amounts
        .iter()
        .map(|(_, a)| {
            let floor = (a / step).floor() * step;
            Rounded {
                value: floor,
                floor,
                steps_added: 0,
                rest: Decimal::ZERO,
            }
        })
        .collect();
    if out.is_empty() {
        return out;
    }
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = amounts[a].1 - out[a].floor;
        let rb = amounts[b].1 - out[b].floor;
        rb.cmp(&ra).then_with(|| amounts[a].0.cmp(amounts[b].0))
    });
    let floors: Decimal = out.iter().map(|r| r.floor).sum();
    let mut left = total - floors;
    let mut next = 0;
    while left >= step {
        let i = order[next % order.len()];
        out[i].value += step;
        out[i].steps_added += 1;
        left -= step;
        next += 1;
    }
    if !left.is_zero() {
        let i = order[next % order.len()];
        out[i].value += left;
        out[i].rest = left;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn largest_remainders_take_the_leftover_steps() {
        // 100 split in thirds, step 10: 30, 30, 30 down, 10 left → the first key (ties) gets it.
        let third = d("100") / d("3");
        let r = round_to_total(
            &[("b", third), ("a", third), ("c", third)],
            d("100"),
            d("10"),
        );
        let values: Vec<Decimal> = r.iter().map(|x| x.value).collect();
        assert_eq!(values, vec![d("30"), d("40"), d("30")]);
    }

    #[test]
    fn a_total_off_the_step_puts_the_rest_on_the_next_in_order() {
        // 105 = 52.5 + 52.5, step 10: 50 + 50, 5 left (< a step) → to "a" (tie, lower key).
        let r = round_to_total(&[("a", d("52.5")), ("b", d("52.5"))], d("105"), d("10"));
        assert_eq!(r[0].value, d("55"));
        assert_eq!(r[1].value, d("50"));
    }
}
