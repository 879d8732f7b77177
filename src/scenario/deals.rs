//! Hypothetical deals: `column=value` pairs (from `--deal` or a row of a what-if deals file) turned
//! into rows of the deals table, typed like its columns, with defaults for the columns not given.
//!
//! Invariants: a key names a column of the deals table by its canonical name or its header in the
//! export (case-insensitive); every value parses exactly (amounts with the deals file's number
//! format or as a plain decimal, dates as `YYYY-MM-DD` or with the deals file's date format); a
//! hypothetical deal's id is not one of the file's. Defaults (docs/what-if.md): the owner is the rep
//! asked about, the currency the workspace's, the stage the first stage the owner's plan counts,
//! the close date the last day of the period, the id `WHATIF-n`; other cells are empty.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::data::deals::Cell;
use crate::data::{ColumnValues, Inputs};
use crate::period::Period;
use crate::plan::{Plan, Test};
use crate::workspace::InputSpec;

/// A deal given as text: `(key, value)` pairs as typed, and where it came from (for messages).
#[derive(Debug, Clone)]
pub struct DealText {
    pub origin: String,
    pub pairs: Vec<(String, String)>,
}

/// Parse `amount=45000,close_date=2026-03-20,type=New Business` (a value may hold `=`; a comma
/// inside a value is written `\,`).
pub fn parse_deal_arg(text: &str, origin: String) -> Result<DealText, String> {
    let mut pairs = Vec::new();
    for part in split_unescaped(text) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            // After a pair, most likely the rest of its value, cut at a comma (`amount=50,000`).
            return Err(match pairs.last() {
                Some((key, value)) => format!(
                    "{origin}: `{part}` is not column=value: pairs are separated by commas, so a \
                     comma inside a value is written `\\,` (`{key}={value}\\,{part}`)"
                ),
                None => format!("{origin}: `{part}` is not column=value"),
            });
        };
        pairs.push((key.trim().to_string(), value.trim().to_string()));
    }
    Ok(DealText { origin, pairs })
}

fn split_unescaped(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                chars.next();
                part.push(',');
            }
            ',' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    parts
}

/// What the defaults are taken from.
pub struct Defaults<'a> {
    /// Roster index of the rep asked about.
    pub rep: u32,
    pub currency: &'a str,
    pub period: Period,
    pub spec: &'a InputSpec,
}

/// Append the deals to the deals table; returns their rows. `Err` says which deal and value is wrong.
pub fn add_deals(
    inputs: &mut Inputs,
    deals: &[DealText],
    defaults: &Defaults,
) -> Result<Vec<u32>, String> {
    let mut rows = Vec::new();
    for (n, deal) in deals.iter().enumerate() {
        let (id, rep, cells) = deal_cells(inputs, deal, defaults, n + 1)?;
        if (0..inputs.deals.len()).any(|r| inputs.deals.id(r) == id) {
            return Err(format!(
                "{}: deal id `{id}` is already in {}; give the what-if deal another deal_id",
                deal.origin, inputs.deals.file
            ));
        }
        rows.push(inputs.deals.len() as u32);
        inputs
            .deals
            .push_row(&id, rep, cells)
            .map_err(|e| format!("{}: {e}", deal.origin))?;
    }
    Ok(rows)
}

/// The deal's id, owner and cells in the table's column order.
fn deal_cells(
    inputs: &Inputs,
    deal: &DealText,
    defaults: &Defaults,
    n: usize,
) -> Result<(String, u32, Vec<Cell>), String> {
    let table = &inputs.deals;
    let mut id = format!("WHATIF-{n}");
    let mut rep = defaults.rep;
    let mut given: Vec<Option<&str>> = vec![None; table.columns.len()];
    for (key, value) in &deal.pairs {
        let is = |name: &str| name.eq_ignore_ascii_case(key);
        if is("deal_id") {
            id = value.clone();
        } else if is("rep_id") || is(&table.rep_header) {
            rep = inputs.roster.find(value).ok_or_else(|| {
                format!(
                    "{}: rep `{value}` is not in {}",
                    deal.origin, inputs.roster.file
                )
            })?;
        } else if let Some(c) = table
            .columns
            .iter()
            .position(|c| is(&c.name) || is(&c.header))
        {
            given[c] = Some(value);
        } else {
            let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "{}: `{key}` is not a column of {} (columns: deal_id, rep_id, {})",
                deal.origin,
                table.file,
                names.join(", ")
            ));
        }
    }
    if given[table.amount].is_none() {
        return Err(format!("{}: an amount is needed (amount=...)", deal.origin));
    }
    let stage = counted_stage(inputs, rep);
    let mut cells = Vec::with_capacity(given.len());
    for (c, column) in table.columns.iter().enumerate() {
        let default = match column.name.as_str() {
            "currency" => Some(defaults.currency.to_string()),
            "stage" => stage.clone(),
            "close_date" => Some(defaults.period.end().to_string()),
            _ => None,
        };
        let text = given[c].map(str::to_string).or(default).unwrap_or_default();
        let cell = parse_cell(&column.values, &text, defaults.spec)
            .map_err(|e| format!("{}: {}: {e}", deal.origin, column.name))?;
        cells.push(cell);
    }
    Ok((id, rep, cells))
}

fn parse_cell(values: &ColumnValues, text: &str, spec: &InputSpec) -> Result<Cell, String> {
    let text = text.trim();
    Ok(match values {
        ColumnValues::Text { .. } => Cell::Text(text.to_string()),
        ColumnValues::Decimal(_) if text.is_empty() => Cell::Decimal(None),
        ColumnValues::Decimal(_) => Cell::Decimal(Some(parse_amount(text, spec)?)),
        ColumnValues::Date(_) if text.is_empty() => Cell::Date(None),
        ColumnValues::Date(_) => Cell::Date(Some(parse_day(text, spec)?)),
    })
}

fn parse_amount(text: &str, spec: &InputSpec) -> Result<Decimal, String> {
    crate::money::parse_decimal(text)
        .or_else(|| spec.number_format.parse(text))
        .ok_or_else(|| format!("`{text}` is not a number"))
}

fn parse_day(text: &str, spec: &InputSpec) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| spec.date_format.parse(text))
        .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

/// The plan the rep is on: the roster's, else the first of the assignments file.
pub(crate) fn plan_of(inputs: &Inputs, rep: u32) -> Option<&Plan> {
    let r = inputs.roster.get(rep);
    r.plan
        .or_else(|| {
            inputs
                .assignments
                .rows_of(rep)
                .first()
                .map(|a| a.value.plan)
        })
        .map(|p| &inputs.plans[p])
}

/// The first stage a measure of the rep's plan selects (`stage = "Closed Won"` or a list): what a
/// hypothetical deal is given when its stage is not said.
pub(crate) fn counted_stage(inputs: &Inputs, rep: u32) -> Option<String> {
    plan_of(inputs, rep)?
        .measures
        .iter()
        .flat_map(|m| &m.filter)
        .filter(|c| c.column == "stage")
        .find_map(|c| match &c.test {
            Test::In(values) => values.first().cloned(),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deal_argument_splits_on_unescaped_commas_only() {
        let d = parse_deal_arg(
            r"amount=45000, type=New Business,product=A\,B,note=x=y",
            "t".into(),
        )
        .unwrap();
        let pairs: Vec<(&str, &str)> = d
            .pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("amount", "45000"),
                ("type", "New Business"),
                ("product", "A,B"),
                ("note", "x=y")
            ]
        );
    }

    #[test]
    fn a_pair_without_equals_is_refused() {
        let e = parse_deal_arg("amount", "--deal #1".into()).unwrap_err();
        assert_eq!(e, "--deal #1: `amount` is not column=value");
        // A thousands separator cuts the amount: the message shows the value escaped.
        let e = parse_deal_arg("amount=$50,000.00", "--deal #1".into()).unwrap_err();
        assert_eq!(
            e,
            "--deal #1: `000.00` is not column=value: pairs are separated by commas, so a comma \
             inside a value is written `\\,` (`amount=$50\\,000.00`)"
        );
    }
}
