//! What the planning commands (`quotas`, `capacity`, `territories`) share: reading the accounts
//! file, and `--compare` of two quotas or territories files.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;

use super::{stdout_write, Global};
use crate::data::accounts::{command_line_spec, Accounts};
use crate::data::Inputs;
use crate::diag::{Diagnostics, InvalidInput};
use crate::workspace::InputKind;

/// Read the accounts file against the roster; its problems are diagnostics (exit 1).
pub(crate) fn read_accounts(path: &Path, inputs: &Inputs) -> anyhow::Result<Accounts> {
    let mut diags = Diagnostics::new();
    let accounts = crate::data::accounts::read_accounts(path, &inputs.roster, &mut diags)?;
    diags.finish().map_err(anyhow::Error::new)?;
    Ok(accounts)
}

fn finish(diags: Diagnostics) -> anyhow::Result<()> {
    diags
        .finish()
        .map(|_| ())
        .map_err(|e: InvalidInput| anyhow::Error::new(e))
}

/// `payout quotas --compare OLD NEW`: each rep's yearly total per measure, old → new.
pub(crate) fn compare_quotas(global: &Global, old: &Path, new: &Path) -> anyhow::Result<i32> {
    let (ws, inputs) = global.load(false)?;
    let mut diags = Diagnostics::new();
    let mut read = |path: &Path| {
        crate::data::quotas::read_quotas(
            &command_line_spec(InputKind::Quotas, path),
            &inputs.roster,
            &ws.calendar,
            &mut diags,
        )
    };
    let (a, b) = (read(old)?, read(new)?);
    finish(diags)?;
    let mut totals: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    for (side, q) in [(0, &a), (1, &b)] {
        for (rep, _, measure, amount) in q.entries() {
            let id = inputs.roster.reps[rep as usize].id.clone();
            let e = totals.entry((id, measure.to_string())).or_default();
            if side == 0 {
                e.0 += amount
            } else {
                e.1 += amount
            }
        }
    }
    let rows: Vec<crate::report::planning::Change> = totals
        .into_iter()
        .map(|((rep, measure), (o, n))| crate::report::planning::Change {
            key: rep,
            what: measure,
            old: o,
            new: n,
        })
        .collect();
    stdout_write(|out| crate::report::planning::render_changes(&rows, ("Rep", "Measure"), out))?;
    Ok(0)
}

/// `payout territories --compare OLD NEW`: per rep, the territories held in each file (rows in
/// force on any date), and which changed hands.
pub(crate) fn compare_territories(global: &Global, old: &Path, new: &Path) -> anyhow::Result<i32> {
    let (_, inputs) = global.load(false)?;
    let mut diags = Diagnostics::new();
    let mut read = |path: &Path| {
        crate::data::territories::read_territories(
            &command_line_spec(InputKind::Territories, path),
            &inputs.roster,
            &mut diags,
        )
    };
    let (a, b) = (read(old)?, read(new)?);
    finish(diags)?;
    let holders = |t: &crate::data::Territories| -> BTreeMap<String, String> {
        t.holders
            .iter()
            .filter_map(|(k, rows)| {
                let last = rows.last()?;
                Some((
                    k.clone(),
                    inputs.roster.reps[last.value as usize].id.clone(),
                ))
            })
            .collect()
    };
    let (ha, hb) = (holders(&a), holders(&b));
    let mut counts: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for rep in ha.values() {
        counts.entry(rep.clone()).or_default().0 += Decimal::ONE;
    }
    for rep in hb.values() {
        counts.entry(rep.clone()).or_default().1 += Decimal::ONE;
    }
    let rows: Vec<crate::report::planning::Change> = counts
        .into_iter()
        .map(|(rep, (o, n))| crate::report::planning::Change {
            key: rep,
            what: "territories".into(),
            old: o,
            new: n,
        })
        .collect();
    let keys: std::collections::BTreeSet<&String> = ha.keys().chain(hb.keys()).collect();
    stdout_write(|out| {
        crate::report::planning::render_changes(&rows, ("Rep", "Count"), &mut *out)?;
        for k in keys {
            let (x, y) = (ha.get(k), hb.get(k));
            if x != y {
                writeln!(
                    out,
                    "{k}: {} -> {}",
                    x.map_or("(none)", |s| s.as_str()),
                    y.map_or("(none)", |s| s.as_str())
                )?;
            }
        }
        Ok(())
    })?;
    Ok(0)
}

/// `quotas-currency-mixed` when the reps with a quota on `measure` in `year` are on plans in
/// several currencies: a target, and last year's productivity, are amounts in one currency.
pub(crate) fn one_quota_currency(
    inputs: &Inputs,
    measure: &str,
    year: crate::period::Period,
) -> anyhow::Result<()> {
    let currencies = crate::planning::gather::plan_currencies(inputs, measure, year);
    if currencies.len() > 1 {
        let each: Vec<String> = currencies
            .iter()
            .map(|(c, reps)| {
                let more = if reps.len() > 3 { ", …" } else { "" };
                let shown = reps[..reps.len().min(3)].join(", ");
                let noun = if reps.len() == 1 { "rep" } else { "reps" };
                format!("{c} ({} {noun}: {shown}{more})", reps.len())
            })
            .collect();
        let message = format!(
            "the reps with a `{}` quota in {} are on plans in several currencies: {}",
            measure,
            year,
            each.join("; ")
        );
        return Err(crate::diag::InvalidInput(vec![crate::diag::Diagnostic::error(
            "quotas-currency-mixed",
            inputs.roster.file.clone(),
            message,
        )
        .hint("a target and last year's productivity are amounts in one currency: `payout quotas` and `payout capacity` plan reps whose plans share one")])
        .into());
    }
    Ok(())
}
