//! `payout ledger verify` and `payout ledger seal`: the ledger's hash chain checked on its own, and
//! a ledger written before rows were chained chained (see [`crate::ledger::chain`]).
//!
//! Invariants: `verify` writes nothing and exits 0 only for an intact chain whose head record
//! matches (or no ledger at all); `seal` holds the ledger's lock, never changes a cell, and never
//! seals a chain broken anywhere but at its end.

use clap::{Args, Subcommand};

use super::{print_diagnostics, Global};
use crate::ledger::chain::{self, Chain};
use crate::ledger::{read_checked, seal, tampered_diagnostic, Sealed};

#[derive(Args, Debug)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Check the ledger's hash chain and head record: exit 0 intact, 1 tampered or unchained.
    Verify(VerifyArgs),
    /// Chain a ledger written before rows were chained (every cell kept), or record the head of
    /// a chained one whose head record is missing or behind its rows.
    Seal(SealArgs),
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A head kept elsewhere (a close message's `ledger head`, a manifest's `ledger_head`, 8 or more
    /// hex digits): the ledger must still contain it, so nothing up to it was changed.
    #[arg(long, value_name = "HASH")]
    pub head: Option<String>,
}

#[derive(Args, Debug)]
pub struct SealArgs {
    /// How long to wait for a close of the same ledger to finish (exit 2 when it does not).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub wait: f64,
}

pub fn run(global: &Global, args: &LedgerArgs) -> anyhow::Result<i32> {
    let path = match &global.ledger {
        Some(p) => p.clone(),
        None => crate::data::read_workspace(&global.workspace, &global.overrides())?.ledger,
    };
    match &args.command {
        LedgerCommand::Verify(a) => verify(&path, a),
        LedgerCommand::Seal(a) => seal_ledger(global, &path, a),
    }
}

fn verify(path: &std::path::Path, args: &VerifyArgs) -> anyhow::Result<i32> {
    let file = path.display().to_string();
    let snapshot = read_checked(path)?;
    let head = match (&snapshot.chain, &snapshot.bytes) {
        (Err(t), _) => {
            print_diagnostics(&[tampered_diagnostic(&file, t)]);
            return Ok(1);
        }
        (Ok(_), None) => {
            println!("{file}: no ledger (nothing closed yet)");
            return Ok(0);
        }
        (Ok(Chain::Unchained { rows }), Some(_)) => {
            println!("{file}: unchained: {rows} row(s) without a `{}` column cannot be verified; `payout ledger seal` chains them", chain::COLUMN);
            return Ok(1);
        }
        (Ok(Chain::Chained(head)), Some(_)) => head,
    };
    println!(
        "{file}: intact: {} row(s), head {} (matches {})",
        head.rows,
        head.row_hash,
        snapshot.files.head.display()
    );
    let (Some(kept), Some(bytes)) = (&args.head, &snapshot.bytes) else {
        return Ok(0);
    };
    match chain::find(bytes, kept) {
        Some((rows, line)) => {
            println!("{file}: contains the head {kept} at row {rows} (line {line}): nothing up to it changed");
            Ok(0)
        }
        None => {
            let t = chain::Tampered {
                line: 0,
                message: format!("no row has the head {kept} kept elsewhere: a row up to it was changed and the chain recomputed, or the head belongs to another ledger"),
                appended: false,
            };
            print_diagnostics(&[tampered_diagnostic(&file, &t)]);
            Ok(1)
        }
    }
}

fn seal_ledger(global: &Global, path: &std::path::Path, args: &SealArgs) -> anyhow::Result<i32> {
    let file_name = path.display().to_string();
    let _lock = super::close::lock_ledger(global, path, args.wait)?;
    let outcome = match seal(path)? {
        Ok(o) => o,
        Err(t) => {
            print_diagnostics(&[tampered_diagnostic(&file_name, &t)]);
            return Ok(1);
        }
    };
    let head = |h: &chain::Head| format!("{} row(s), head {}", h.rows, h.row_hash);
    global.message(match &outcome {
        Sealed::Nothing => format!("no ledger at {file_name}: nothing to seal"),
        Sealed::Already(h) => format!(
            "{file_name} is chained and matches its head record: {}",
            head(h)
        ),
        Sealed::Chained(h) => format!(
            "chained the rows of {file_name} (a `{}` column added, every cell kept): {}",
            chain::COLUMN,
            head(h)
        ),
        Sealed::HeadRecorded { head: h, before } => format!(
            "recorded the head of {file_name}: {} (the head record {})",
            head(h),
            before
                .as_ref()
                .map_or("was missing".to_string(), |b| format!(
                    "named {} row(s)",
                    b.rows
                ))
        ),
    });
    Ok(0)
}
