//! `payout explain`: one rep's whole trace for a period, or one deal across every rep and plan.

use clap::Args;

use super::{resolve_period, stdout_write, Global};
use crate::engine::{check_invariants, Settings, Status};
use crate::report::explain;

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["rep", "deal"]))]
pub struct ExplainArgs {
    /// The rep id, as in the roster.
    #[arg(short, long, value_name = "ID")]
    pub rep: Option<String>,
    /// A deal id, as in the deals file: who is credited with it, its lines, or why it is not paid.
    #[arg(short, long, value_name = "ID")]
    pub deal: Option<String>,
    /// Period to explain (default: the workspace's `period`).
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
}

pub fn run(global: &Global, args: &ExplainArgs) -> anyhow::Result<i32> {
    let (ws, inputs, payments) = global.load_payments(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let deal_row = match &args.deal {
        Some(id) => Some(find_deal(&inputs.deals, id)? as u32),
        None => None,
    };
    let rep_id = args.rep.as_deref().unwrap_or_default();
    let rep_index = match deal_row {
        Some(_) => None,
        None => Some(inputs.roster.lookup(rep_id).map_err(anyhow::Error::msg)?),
    };
    let settings = Settings {
        period,
        credits: true,
        reconcile: true,
        lines: true,
        lenient: global.lenient,
    };
    let result = payments.compute(&inputs, settings)?;
    global.warnings_pass(&inputs, &result.warnings)?;
    super::payments::report_status(global, &result, &payments);
    check_invariants(&inputs, &result, true)?;
    let Some(rep_index) = rep_index else {
        let text = crate::report::explain_deal::render_deal(
            &inputs,
            &result,
            deal_row.unwrap_or_default(),
        );
        stdout_write(|out| {
            out.write_all(text.as_bytes())?;
            Ok(())
        })?;
        return Ok(0);
    };
    let blocks: Vec<_> = result.reps.iter().filter(|r| r.rep == rep_index).collect();
    if blocks.is_empty() {
        anyhow::bail!("rep `{rep_id}` has no plan in {period}, so nothing is computed for them");
    }
    let mut not_credited: Vec<_> = result
        .not_credited
        .iter()
        .filter(|(row, _)| inputs.deals.owner(*row as usize) == rep_index)
        .cloned()
        .collect();
    // Shares of other reps' deals not credited to this rep (e.g. after their end date).
    not_credited.extend(
        result
            .reconciliation
            .shares_not_credited
            .iter()
            .filter(|s| s.rep == rep_index)
            .map(|s| (s.deal, Status::ShareNotCredited(s.reason.clone()))),
    );
    not_credited.sort_by_key(|(row, _)| *row);
    // One block per plan the rep was on; with several, the rep's total across them; then the deals
    // no plan credits.
    let several = blocks.len() > 1;
    let explained: Vec<_> = blocks
        .iter()
        .map(|rep| explain::render(&inputs, &result, rep, several))
        .collect();
    let mut text = explained
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if several {
        text.push_str(&explain::render_total(period, &explained));
    }
    text.push_str(&paid_in_own_currency(&ws, &inputs, &result, rep_index)?);
    text.push_str(&explain::render_not_credited(&inputs, &not_credited));
    stdout_write(|out| {
        out.write_all(text.as_bytes())?;
        Ok(())
    })?;
    Ok(0)
}

/// The row of deal `id`; else an error naming the deals file, and the deal meant when `id` is its id
/// in other letter case.
fn find_deal(deals: &crate::data::DealTable, id: &str) -> anyhow::Result<usize> {
    let rows = 0..deals.len();
    if let Some(row) = rows.clone().find(|&row| deals.id(row) == id) {
        return Ok(row);
    }
    let meant = rows
        .map(|row| deals.id(row))
        .find(|other| other.eq_ignore_ascii_case(id.trim()));
    let hint = meant.map_or(String::new(), |m| format!(": did you mean `{m}`?"));
    anyhow::bail!("no deal `{id}` in the deals file {}{hint}", deals.file)
}

/// The rep's payables converted into their pay currency (the roster's `currency`), one line per
/// payout period and plan currency, as statements show them; empty for a rep paid in their plans'.
fn paid_in_own_currency(
    ws: &crate::workspace::Workspace,
    inputs: &crate::data::Inputs,
    run: &crate::engine::RunResult,
    rep: u32,
) -> anyhow::Result<String> {
    let id = &inputs.roster.get(rep).id;
    let rows: Vec<_> = crate::report::summary::rows(inputs, run)
        .into_iter()
        .filter(|r| r.rep_id == id)
        .collect();
    let pay = crate::report::pay::conversions(ws, inputs, run, &rows)?;
    let mut s = String::new();
    for statement in rows.chunk_by(|a, b| a.result.payout_period == b.result.payout_period) {
        let places = statement[0].plan.rounding.places;
        for c in pay.of(statement) {
            s.push_str(&format!(
                "\nPaid in {} for {}: {}\n",
                c.to,
                statement[0].result.payout_period,
                c.describe(places)
            ));
        }
    }
    Ok(s)
}
