//! Helpers every part of the plan parser shares: a keyword among fixed choices, a period length. They
//! sit below the parsers of measures, components and payment settings, which all use them.

use toml::Spanned;

use crate::diag::Diagnostics;
use crate::period::Granularity;
use crate::toml_src::Source;

pub(crate) fn keyword<T: Copy>(
    src: &Source,
    value: &Option<Spanned<String>>,
    key: &str,
    default: Option<T>,
    choices: &[(&str, T)],
    diags: &mut Diagnostics,
) -> Option<T> {
    let Some(v) = value else { return default };
    match choices.iter().find(|(name, _)| *name == v.get_ref().trim()) {
        Some((_, t)) => Some(*t),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            diags.push(
                src.error("plan-value-unknown", v.span(), format!("unknown {key}"))
                    .value(v.get_ref().clone())
                    .hint(format!("use one of: {}", names.join(", "))),
            );
            None
        }
    }
}

pub(crate) fn granularity(
    src: &Source,
    v: &Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<Granularity> {
    match v.get_ref().trim().parse() {
        Ok(g) => Some(g),
        Err(()) => {
            diags.push(
                src.error("plan-period-unknown", v.span(), "unknown period length")
                    .value(v.get_ref().clone())
                    .hint(format!("use one of: {}", Granularity::NAMES)),
            );
            None
        }
    }
}
