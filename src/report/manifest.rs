//! The run manifest: what was run, on which inputs, with which settings, and a run id derived from
//! them, so a finance auditor can prove which files produced which payouts.
//!
//! Invariants: the manifest holds no clock time, host name or thread count: the same inputs give
//! the same run id and a byte-identical manifest. Inputs are listed in a fixed order.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::data::{FileInfo, Inputs};
use crate::workspace::Workspace;

#[derive(Serialize)]
pub struct Settings {
    pub period: String,
    pub currency: String,
    pub fiscal_year_start: u32,
    pub rounding: String,
}

#[derive(Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub run_id: String,
    pub settings: Settings,
    pub workspace: Option<FileInfo>,
    pub plans: Vec<FileInfo>,
    pub inputs: Vec<FileInfo>,
    /// The head of the ledger's hash chain as the run read it (a chained ledger only): keep it to
    /// check later that nothing up to it changed (`payout ledger verify --head`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_head: Option<crate::ledger::chain::Head>,
    /// Output files written by the run, with their SHA-256 (filled in after writing).
    pub outputs: Vec<OutputFile>,
    /// Files a command adds to the output folder (name, bytes), written and listed with the others.
    #[serde(skip)]
    pub extra_outputs: Vec<(String, Vec<u8>)>,
}

#[derive(Serialize)]
pub struct OutputFile {
    pub path: String,
    pub sha256: String,
}

/// The manifest of a run. Every input must have been hashed (see [`Workspace::hash_deals`]): a
/// missing hash is a bug, never a run id computed without it.
pub fn build(
    ws: &Workspace,
    inputs: &Inputs,
    period: &str,
) -> Result<Manifest, crate::engine::InternalError> {
    if let Some(f) = inputs.files.iter().find(|f| f.sha256.is_empty()) {
        return Err(crate::engine::InternalError(format!(
            "the manifest needs the SHA-256 of {}, which was not computed",
            f.path
        )));
    }
    let settings = Settings {
        period: period.to_string(),
        currency: ws.currency.clone(),
        fiscal_year_start: ws.calendar.fiscal_year_start,
        rounding: ws.rounding.to_string(),
    };
    let workspace = ws.info.clone();
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(serde_json::to_vec(&settings).unwrap_or_default());
    for f in workspace
        .iter()
        .chain(inputs.plan_files.iter())
        .chain(inputs.files.iter())
    {
        h.update(f.sha256.as_bytes());
    }
    let run_id = format!("{:x}", h.finalize())[..16].to_string();
    Ok(Manifest {
        tool: "payout",
        version: env!("CARGO_PKG_VERSION"),
        run_id,
        settings,
        workspace,
        plans: inputs.plan_files.clone(),
        inputs: inputs.files.clone(),
        ledger_head: None,
        outputs: Vec::new(),
        extra_outputs: Vec::new(),
    })
}
