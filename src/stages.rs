//! Stage categories: what each value of the deals' `stage` column means to the insights (`[stages]`
//! of the workspace), and the settings that choose between the definitions sources disagree on
//! (`[insights]`).
//!
//! Invariants: a category is one of won, lost, no_decision, open (with a win probability in
//! [0, 1]) or ignored; stage values are matched exactly (after trimming spaces), so two spellings of
//! one stage are two entries.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

/// What a deal's stage says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageCategory {
    Won,
    Lost,
    /// Decided without a winner (the buyer did nothing): apart from won and lost by default.
    NoDecision,
    /// Still open, with the probability (0–1) that it is won.
    Open(Decimal),
    /// Not a real opportunity (duplicate, disqualified): left out of every metric.
    Ignored,
}

impl StageCategory {
    /// `won`, `lost`, `no_decision`, `ignored`; `open` needs a probability.
    pub fn parse(text: &str, probability: Option<Decimal>) -> Result<StageCategory, String> {
        match (text.trim(), probability) {
            ("won", None) => Ok(StageCategory::Won),
            ("lost", None) => Ok(StageCategory::Lost),
            ("no_decision", None) => Ok(StageCategory::NoDecision),
            ("ignored", None) => Ok(StageCategory::Ignored),
            ("open", Some(p)) if p >= Decimal::ZERO && p <= Decimal::ONE => {
                Ok(StageCategory::Open(p))
            }
            ("open", Some(_)) => Err("a probability is between 0% and 100%".into()),
            ("open", None) => Err("an open stage needs a probability, e.g. { category = \"open\", probability = \"40%\" }".into()),
            (_, Some(_)) => Err("only an open stage takes a probability".into()),
            (other, None) => Err(format!(
                "unknown stage category {other:?}: use won, lost, no_decision, open or ignored"
            )),
        }
    }
}

/// Stage value → category.
pub type Stages = BTreeMap<String, StageCategory>;

/// The definitions `[insights]` chooses (defaults as in the insights reference).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsightSettings {
    /// Win rate: count `no_decision` deals as lost (default: left out and shown apart).
    pub no_decision_as_lost: bool,
    /// Win rate: count open deals whose close date has passed (before the period's end) as lost.
    pub stale_as_lost: bool,
    /// Sales cycle over won and lost deals (default: won only).
    pub cycle_includes_lost: bool,
    /// Pipeline coverage over the whole period's quota (default: the quota still to reach).
    pub coverage_whole_quota: bool,
}

/// A probability written `40%` or `0.4`.
pub fn parse_probability(text: &str) -> Option<Decimal> {
    let t = text.trim();
    match t.strip_suffix('%') {
        Some(p) => Decimal::from_str_exact(p.trim())
            .ok()
            .map(|p| p / Decimal::ONE_HUNDRED),
        None => Decimal::from_str_exact(t).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_and_open_needs_a_probability_in_range() {
        assert_eq!(StageCategory::parse("won", None), Ok(StageCategory::Won));
        assert_eq!(
            StageCategory::parse("open", parse_probability("40%")),
            Ok(StageCategory::Open(Decimal::new(4, 1)))
        );
        assert_eq!(
            StageCategory::parse("open", parse_probability("0.25")),
            Ok(StageCategory::Open(Decimal::new(25, 2)))
        );
        assert!(StageCategory::parse("open", None).is_err());
        assert!(StageCategory::parse("open", parse_probability("120%")).is_err());
        assert!(StageCategory::parse("won", parse_probability("1")).is_err());
        assert!(StageCategory::parse("closed", None).is_err());
    }
}
