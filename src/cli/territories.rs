//! `payout territories`: balance the accounts of a file over the planning reps, write the
//! territories file `payout run` credits by, and print the balance report.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rust_decimal::Decimal;

use super::quotas::parse_pct;
use super::{stdout_write, Global};
use crate::planning::territories::{balance, PlanAccount, PlanRep, Settings};

#[derive(Args, Debug)]
pub struct TerritoriesArgs {
    /// The accounts file: account_id, potential, and optionally workload, region, segment, owner, locked.
    #[arg(long, value_name = "FILE", required_unless_present = "compare")]
    pub accounts: Option<PathBuf>,
    /// The plan year: the territories run from its first day; reps employed that day take part.
    #[arg(long, value_name = "YEAR", required_unless_present = "compare")]
    pub year: Option<String>,
    /// The measure whose quota-carrying reps hold territories.
    #[arg(long, value_name = "NAME", default_value = "bookings")]
    pub measure: String,
    /// The date the territories run from [default: the year's first day]; reps employed that day
    /// take part.
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// What to balance: potential, or potential,workload.
    #[arg(long, value_name = "LIST", default_value = "potential")]
    pub balance: String,
    /// The least share of owned accounts that stay with their owner.
    #[arg(long, value_name = "PCT", default_value = "80%")]
    pub keep: String,
    /// The cost of moving an account off its owner, as a share of the mean potential.
    #[arg(long, value_name = "PCT", default_value = "1%")]
    pub move_penalty: String,
    /// Write the territories file here (territory,rep_id,from,to).
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compare two territories files per rep instead: OLD NEW.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with_all = ["accounts", "year"])]
    pub compare: Option<Vec<PathBuf>>,
}

pub fn run(global: &Global, args: &TerritoriesArgs) -> anyhow::Result<i32> {
    if let Some(files) = &args.compare {
        return super::planning::compare_territories(global, &files[0], &files[1]);
    }
    let (ws, inputs) = global.load(false)?;
    let label = args.year.as_deref().unwrap_or_default();
    let year = ws
        .calendar
        .parse(label)
        .map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    let settings = Settings {
        keep: parse_pct("--keep", &args.keep)?.min(Decimal::ONE),
        balance_workload: parse_balance(&args.balance)?,
        move_penalty: parse_pct("--move-penalty", &args.move_penalty)?,
    };
    let path = args.accounts.clone().unwrap_or_default();
    let accounts = super::planning::read_accounts(&path, &inputs)?;
    let (candidates, _) = crate::planning::gather::population(&inputs, &args.measure, year, None);
    let from = match args.from {
        Some(d) if year.contains(d) => d,
        Some(d) => anyhow::bail!("--from: {d} is not in {year}"),
        None => year.start(),
    };
    let roster = &inputs.roster;
    let reps: Vec<PlanRep> = candidates
        .iter()
        .filter_map(|c| roster.reps.iter().find(|r| r.id == c.id))
        .filter(|r| r.active_on(from))
        .map(|r| PlanRep {
            id: r.id.clone(),
            region: r.territory.clone(),
            segment: r.team.clone(),
        })
        .collect();
    let rows: Vec<PlanAccount> = accounts
        .rows
        .iter()
        .map(|a| PlanAccount {
            id: a.id.clone(),
            potential: a.potential,
            workload: a.workload,
            region: a.region.clone(),
            segment: a.segment.clone(),
            owner: a.owner.map(|o| roster.reps[o as usize].id.clone()),
            locked: a.locked,
        })
        .collect();
    report_unplaceable(&reps, &rows, &accounts)?;
    let result = balance(&reps, &rows, &settings)?;
    if let Some(out) = &args.out {
        let bytes = crate::report::planning::render_territory_file(&result, from)?;
        crate::report::fs::write_atomic(out, &bytes)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    stdout_write(|out| crate::report::planning::render_balance(&result, out))?;
    if let Some(out) = &args.out {
        global.message(format!(
            "wrote {} ({} accounts, from {from})",
            out.display(),
            result.accounts.len()
        ));
    }
    Ok(0)
}

fn parse_balance(text: &str) -> anyhow::Result<bool> {
    let mut workload = false;
    for part in text.split(',').map(str::trim) {
        match part {
            "potential" => {}
            "workload" => workload = true,
            other => anyhow::bail!("--balance: {other:?} is not potential or workload"),
        }
    }
    Ok(workload)
}

/// Accounts no planned rep may take, or locked to someone not planned: diagnostics (exit 1).
fn report_unplaceable(
    reps: &[PlanRep],
    rows: &[PlanAccount],
    accounts: &crate::data::accounts::Accounts,
) -> anyhow::Result<()> {
    use crate::diag::Diagnostic;
    use crate::planning::territories::BalanceError;
    let mut diags = crate::diag::Diagnostics::new();
    for (i, problem) in crate::planning::territories::unplaceable(reps, rows) {
        let line = accounts.rows[i].line;
        let d = match &problem {
            BalanceError::LockedOwnerMissing(..) => {
                Diagnostic::error("account-locked-owner-unplanned", &accounts.file, problem.to_string())
                    .hint("a locked account stays with its owner: the owner must be a planned rep employed on the year's first day, in the account's region and segment; unlock it or fix the owner")
            }
            _ => Diagnostic::error("account-no-eligible-rep", &accounts.file, problem.to_string())
                .hint("no planned rep has this region (roster `territory`) and segment (roster `team`): fix the account's columns or the roster"),
        };
        diags.push(d.line(line).value(rows[i].id.clone()));
    }
    diags.finish().map(|_| ()).map_err(anyhow::Error::new)
}
