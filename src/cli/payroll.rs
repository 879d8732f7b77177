//! The payroll import file of a settled run, for `run --out` (payroll.csv) and `close`
//! (`payroll-<period>.csv` in the `[payroll]` folder): written only when the workspace has a
//! `[payroll]` section.

use std::path::Path;

use crate::accounting::payroll;
use crate::data::Inputs;
use crate::engine::RunResult;
use crate::report::{accounting, fs};
use crate::workspace::Workspace;

/// The payroll file of `run`, when the workspace asks for one.
pub(crate) fn render(
    ws: &Workspace,
    inputs: &Inputs,
    run: &RunResult,
) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(settings) = &ws.payroll else {
        return Ok(None);
    };
    let employee_ids = match &settings.employee_id_column {
        Some(col) => crate::data::rep_columns::read_rep_columns(&ws.reps, &[col])?
            .into_iter()
            .map(|(id, mut cells)| (id, cells.pop().unwrap_or_default()))
            .collect(),
        None => Default::default(),
    };
    let rows =
        payroll::rows(settings, inputs, run, &employee_ids, ws.pay_currency).map_err(|m| {
            // The rate is quoted for the rep's pay currency, the one converted into.
            let d =
                crate::report::pay::missing(inputs, &m.rep_id, &m.currency, &m.currency, m.date);
            crate::diag::InvalidInput(vec![d])
        })?;
    Ok(Some(accounting::render_payroll(settings, &rows)?))
}

/// Write the payroll file of `run` to `path` when the workspace asks for one (`close`).
pub(crate) fn write(
    ws: &Workspace,
    inputs: &Inputs,
    run: &RunResult,
    path: &Path,
) -> anyhow::Result<bool> {
    let Some(bytes) = render(ws, inputs, run)? else {
        return Ok(false);
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    fs::write_atomic(path, &bytes)?;
    Ok(true)
}

/// Where `close` writes the payroll file of a period: `<folder>/payroll-<period>.csv`, the folder
/// relative to the workspace file.
pub(crate) fn close_path(ws: &Workspace, period: &str) -> Option<std::path::PathBuf> {
    let settings = ws.payroll.as_ref()?;
    let base = ws.file.parent().unwrap_or(Path::new("."));
    Some(
        base.join(&settings.folder)
            .join(format!("payroll-{period}.csv")),
    )
}
