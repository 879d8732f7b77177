//! Rate tables resolved for one measurement period: the earning function of a cumulative measure,
//! and its decomposition into tier slices.
//!
//! Invariants (checked by unit and property tests):
//! - for any `a ≤ b ≤ c`, `lines(a, b) + lines(b, c)` sum to `earning(c) − earning(a)`, exactly;
//! - marginal earnings are non-decreasing in the measure when every rate is non-negative;
//! - the first tier, when it starts at zero, also covers negative values (credit notes reduce the
//!   measure at the first tier's rate); a table starting above zero earns nothing below its start;
//! - bands are sorted and contiguous (plan validation), so finding a value's tier or a move's slices is
//!   a binary search plus the tiers crossed: a table of 100,000 tiers costs no more per deal than one
//!   of ten.

use rust_decimal::Decimal;
use smallvec::{smallvec, SmallVec};

use crate::plan::{Basis, Boundary, Method, RateTable};

/// One tier with its breakpoints in measure units (attainment breakpoints × quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// 0-based tier number in the plan.
    pub tier: usize,
    /// `None`: unbounded below (first tier starting at zero).
    pub lo: Option<Decimal>,
    pub hi: Option<Decimal>,
    pub rate: Decimal,
    /// A fixed amount for the whole band, prorated by the part crossed (`rate` is then 0).
    pub fixed: Option<Decimal>,
}

/// What a piece of earning is: a tier slice, or a retroactive uplift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// `base` (a slice of the measure, or a whole deal) × `rate`.
    Slice,
    /// Retroactive uplift: the measure before this deal (`base`) × the difference of rates.
    Retro { from_tier: Option<usize> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub kind: PieceKind,
    pub tier: Option<usize>,
    /// The range of the cumulative measure this piece covers (for slices).
    pub from: Decimal,
    pub to: Decimal,
    pub base: Decimal,
    pub rate: Decimal,
    pub amount: Decimal,
    /// For a slice of a band with a fixed amount: the band's width; `rate` is then the fixed
    /// amount, and the slice earns `base × rate ÷ per`.
    pub per: Option<Decimal>,
}

impl Piece {
    /// What `base` earns in this piece: `base × rate`, or the fixed amount's share `base × rate ÷ per`.
    pub fn priced(&self, base: Decimal) -> Decimal {
        match self.per {
            Some(per) => prorated(self.rate, base, per),
            None => base * self.rate,
        }
    }
}

/// Decimal places of a fixed amount's prorated share: the division is the one inexact step, so it is
/// rounded (half-even) to a precision whose sums stay exact, like a curve's payout fraction.
pub const PRORATED_PRECISION: u32 = 10;

/// `fixed × base ÷ width` to [`PRORATED_PRECISION`] places, multiplying first so a whole band earns
/// exactly `fixed`.
fn prorated(fixed: Decimal, base: Decimal, width: Decimal) -> Decimal {
    let share = match fixed.checked_mul(base) {
        Some(x) => x / width,
        None => base / width * fixed,
    };
    share.round_dp_with_strategy(
        PRORATED_PRECISION,
        rust_decimal::RoundingStrategy::MidpointNearestEven,
    )
}

/// The slice `[from, to]` of a band (`base` signed): at the band's rate, or its fixed amount's share.
fn band_slice(band: &Band, from: Decimal, to: Decimal, base: Decimal) -> Piece {
    let per = band
        .fixed
        .and_then(|_| band.hi.map(|hi| hi - band.lo.unwrap_or(Decimal::ZERO)));
    let (rate, amount) = match (band.fixed, per) {
        (Some(fixed), Some(width)) => (fixed, prorated(fixed, base, width)),
        _ => (band.rate, base * band.rate),
    };
    Piece {
        kind: PieceKind::Slice,
        tier: Some(band.tier),
        from,
        to,
        base,
        rate,
        amount,
        per,
    }
}

/// The pieces of one move of the measure: a few tiers at most, kept off the heap.
pub type Pieces = SmallVec<[Piece; 4]>;

#[derive(Debug, Clone)]
pub struct Schedule {
    pub method: Method,
    pub boundary: Boundary,
    pub bands: Vec<Band>,
}

impl Schedule {
    /// Resolve a rate table; `quota` is required (and used) only for attainment breakpoints.
    /// Returns `None` on arithmetic overflow.
    pub fn resolve(table: &RateTable, quota: Option<Decimal>) -> Option<Schedule> {
        let scale = match table.basis {
            Basis::Attainment => quota?,
            Basis::Amount => Decimal::ONE,
        };
        let mut bands = Vec::with_capacity(table.tiers.len());
        for (i, t) in table.tiers.iter().enumerate() {
            let lo = if i == 0 && t.from.is_zero() {
                None
            } else {
                Some(t.from.checked_mul(scale)?)
            };
            let hi = match t.to {
                Some(to) => Some(to.checked_mul(scale)?),
                None => None,
            };
            bands.push(Band {
                tier: i,
                lo,
                hi,
                rate: t.rate,
                fixed: t.amount,
            });
        }
        Some(Schedule {
            method: table.method,
            boundary: table.boundary,
            bands,
        })
    }

    /// The tier a cumulative value is in, by the boundary rule; `None` below the first tier.
    /// Bands are sorted and contiguous (plan validation): a binary search.
    pub fn tier_of(&self, x: Decimal) -> Option<&Band> {
        let reached = self.bands.partition_point(|b| match (self.boundary, b.lo) {
            (_, None) => true,
            (Boundary::FromInclusive, Some(lo)) => x >= lo,
            (Boundary::ToInclusive, Some(lo)) => x > lo,
        });
        reached.checked_sub(1).and_then(|i| self.bands.get(i))
    }

    /// Total earning at cumulative value `x` (unrounded).
    pub fn earning(&self, x: Decimal) -> Decimal {
        match self.method {
            Method::Flat | Method::Marginal => {
                self.slices(Decimal::ZERO, x).iter().map(|p| p.amount).sum()
            }
            Method::Retroactive => self.tier_of(x).map_or(Decimal::ZERO, |b| x * b.rate),
        }
    }

    /// The pieces of earning when the cumulative measure moves from `a` to `b` (either direction).
    pub fn pieces(&self, a: Decimal, b: Decimal) -> Pieces {
        match self.method {
            Method::Flat | Method::Marginal => self.slices(a, b),
            Method::Retroactive => self.retro_pieces(a, b),
        }
    }

    /// Marginal slices of `[a, b]` (signed: negative when `b < a`).
    fn slices(&self, a: Decimal, b: Decimal) -> Pieces {
        let (lo, hi, sign) = if a <= b {
            (a, b, Decimal::ONE)
        } else {
            (b, a, Decimal::NEGATIVE_ONE)
        };
        let mut out = Pieces::new();
        // Bands are sorted and contiguous: skip those ending at or below `lo` (a binary search),
        // stop at the first starting at or above `hi`.
        let first = self
            .bands
            .partition_point(|b| b.hi.is_some_and(|h| h <= lo));
        for band in &self.bands[first..] {
            if band.lo.is_some_and(|l| l >= hi) {
                break;
            }
            let from = band.lo.map_or(lo, |l| l.max(lo));
            let to = band.hi.map_or(hi, |h| h.min(hi));
            if from >= to {
                continue;
            }
            // The width, signed (a negation, not a product by ±1: the same digits and scale).
            let (from, to, base) = if sign.is_sign_positive() {
                (from, to, to - from)
            } else {
                (to, from, -(to - from))
            };
            out.push(band_slice(band, from, to, base));
        }
        if sign.is_sign_negative() {
            out.reverse();
        }
        out
    }

    /// Retroactive: the deal's own slice at the rate of the tier reached, plus an uplift (or
    /// reversal) on everything before it when the tier changes.
    fn retro_pieces(&self, a: Decimal, b: Decimal) -> Pieces {
        let before = self.tier_of(a);
        let after = self.tier_of(b);
        let rate_before = before.map_or(Decimal::ZERO, |t| t.rate);
        let rate_after = after.map_or(Decimal::ZERO, |t| t.rate);
        let base = b - a;
        let mut out: Pieces = smallvec![Piece {
            kind: PieceKind::Slice,
            tier: after.map(|t| t.tier),
            from: a,
            to: b,
            base,
            rate: rate_after,
            amount: base * rate_after,
            per: None,
        }];
        if rate_after != rate_before && !a.is_zero() {
            let diff = rate_after - rate_before;
            out.push(Piece {
                kind: PieceKind::Retro {
                    from_tier: before.map(|t| t.tier),
                },
                tier: after.map(|t| t.tier),
                from: Decimal::ZERO,
                to: a,
                base: a,
                rate: diff,
                amount: a * diff,
                per: None,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{RateType, Scope, Tier};
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn table(
        method: Method,
        basis: Basis,
        boundary: Boundary,
        tiers: &[(&str, &str)],
    ) -> RateTable {
        let mut ts: Vec<Tier> = tiers
            .iter()
            .map(|(f, r)| Tier {
                from: d(f),
                to: None,
                rate: d(r),
                amount: None,
                line: 1,
            })
            .collect();
        for i in 0..ts.len().saturating_sub(1) {
            ts[i].to = Some(ts[i + 1].from);
        }
        RateTable {
            method,
            basis,
            scope: Scope::Cumulative,
            boundary,
            rate_type: RateType::Percent,
            tiers: ts,
        }
    }

    fn spec_tiers(method: Method) -> Schedule {
        // mechanics.md: tiers 0-50% at 4%, 50-100% at 8%, quota 100,000
        let t = table(
            method,
            Basis::Attainment,
            Boundary::FromInclusive,
            &[("0", "0.04"), ("0.5", "0.08")],
        );
        Schedule::resolve(&t, Some(d("100000"))).unwrap()
    }

    #[test]
    fn marginal_example_from_the_spec() {
        // 80% of a 100,000 quota: 50,000 × 4% + 30,000 × 8% = 2,000 + 2,400 = 4,400
        let s = spec_tiers(Method::Marginal);
        assert_eq!(s.earning(d("80000")), d("4400"));
        let pieces = s.pieces(d("0"), d("80000"));
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[0].base, pieces[0].amount), (d("50000"), d("2000")));
        assert_eq!((pieces[1].base, pieces[1].amount), (d("30000"), d("2400")));
    }

    #[test]
    fn retroactive_example_from_the_spec() {
        // same example → 80,000 × 8% = 6,400; a deal from 40,000 to 80,000 crosses 50%:
        // own slice 40,000 × 8% = 3,200, retro 40,000 × (8% − 4%) = 1,600; 1,600 + 3,200 + 40,000×4% = 6,400
        let s = spec_tiers(Method::Retroactive);
        assert_eq!(s.earning(d("80000")), d("6400"));
        let p = s.pieces(d("40000"), d("80000"));
        assert_eq!(
            p.iter().map(|p| p.amount).collect::<Vec<_>>(),
            vec![d("3200"), d("1600")]
        );
        assert!(matches!(p[1].kind, PieceKind::Retro { from_tier: Some(0) }));
    }

    #[test]
    fn boundary_rule_on_a_breakpoint() {
        // exactly 50,000 = 50%: from-inclusive → tier 2 (8%): 4,000; to-inclusive → tier 1 (4%): 2,000
        let s = spec_tiers(Method::Retroactive);
        assert_eq!(s.earning(d("50000")), d("4000"));
        let t = table(
            Method::Retroactive,
            Basis::Attainment,
            Boundary::ToInclusive,
            &[("0", "0.04"), ("0.5", "0.08")],
        );
        let s = Schedule::resolve(&t, Some(d("100000"))).unwrap();
        assert_eq!(s.earning(d("50000")), d("2000"));
        assert_eq!(s.earning(d("50000.01")), d("4000.0008"));
    }

    #[test]
    fn a_fixed_amount_tier_is_prorated_and_a_whole_tier_earns_it_exactly() {
        // T1 [0, 45,000) pays 5,000 for the whole tier, T2 from 45,000 at 10%
        let mut t = table(
            Method::Marginal,
            Basis::Amount,
            Boundary::FromInclusive,
            &[("0", "0"), ("45000", "0.1")],
        );
        t.tiers[0].amount = Some(d("5000"));
        let s = Schedule::resolve(&t, None).unwrap();
        // 30,000 of 45,000: 5,000 × 30,000 ÷ 45,000 = 3,333.3333333333 (10 places, half-even)
        assert_eq!(s.earning(d("30000")), d("3333.3333333333"));
        // the whole tier: 5,000 exactly; 50,000: 5,000 + 5,000 × 10% = 5,500
        assert_eq!(s.earning(d("45000")), d("5000"));
        assert_eq!(s.earning(d("50000")), d("5500"));
        let p = s.pieces(d("30000"), d("50000"));
        assert_eq!(
            p.iter().map(|p| (p.amount, p.per)).collect::<Vec<_>>(),
            vec![(d("1666.6666666667"), Some(d("45000"))), (d("500"), None)]
        );
    }

    #[test]
    fn table_starting_above_zero_earns_nothing_below() {
        // tiers from 50,000 at 10%: 40,000 → 0; 60,000 → 10,000 × 10% = 1,000
        let t = table(
            Method::Marginal,
            Basis::Amount,
            Boundary::FromInclusive,
            &[("50000", "0.1")],
        );
        let s = Schedule::resolve(&t, None).unwrap();
        assert_eq!(s.earning(d("40000")), d("0"));
        assert_eq!(s.earning(d("60000")), d("1000"));
    }

    #[test]
    fn negative_moves_reverse_slices() {
        // 60,000 → 40,000: −10,000 × 8% − 10,000 × 4% = −800 − 400 = −1,200
        let s = spec_tiers(Method::Marginal);
        let sum: Decimal = s
            .pieces(d("60000"), d("40000"))
            .iter()
            .map(|p| p.amount)
            .sum();
        assert_eq!(sum, d("-1200"));
        assert_eq!(sum, s.earning(d("40000")) - s.earning(d("60000")));
    }

    fn arb_schedule() -> impl Strategy<Value = (Schedule, Method)> {
        (
            prop_oneof![Just(Method::Marginal), Just(Method::Retroactive)],
            prop::collection::vec((1u32..200_000, 0u32..3000), 1..5),
        )
            .prop_map(|(method, raw)| {
                let mut from = 0u64;
                let mut tiers = vec![("0".to_string(), "0.03".to_string())];
                for (gap, bp) in raw {
                    from += gap as u64;
                    tiers.push((from.to_string(), format!("0.{bp:04}")));
                }
                let refs: Vec<(&str, &str)> = tiers
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                let t = table(method, Basis::Amount, Boundary::FromInclusive, &refs);
                (Schedule::resolve(&t, None).unwrap(), method)
            })
    }

    proptest! {
        #[test]
        fn pieces_sum_to_the_earning_difference((s, _m) in arb_schedule(), deals in prop::collection::vec(-50_000i64..400_000, 1..30)) {
            let mut cum = Decimal::ZERO;
            let mut total = Decimal::ZERO;
            for cents in deals {
                let next = cum + Decimal::new(cents, 2);
                total += s.pieces(cum, next).iter().map(|p| p.amount).sum::<Decimal>();
                cum = next;
            }
            prop_assert_eq!(total, s.earning(cum));
        }

        #[test]
        fn marginal_earning_is_non_decreasing((s, m) in arb_schedule(), a in 0i64..10_000_000, step in 0i64..1_000_000) {
            prop_assume!(m == Method::Marginal);
            let x = Decimal::new(a, 2);
            let y = x + Decimal::new(step, 2);
            prop_assert!(s.earning(x) <= s.earning(y));
        }
    }
}
