//! The ledger: what was paid, payout period by payout period, as recorded by `payout close`.
//!
//! One CSV file per workspace (`ledger`, default `ledger.csv` beside `payout.toml`), one row per rep,
//! component, payout period and kind of amount: `earned` (the commission paid for the period's own
//! earning), and the payment lines of that period (`true-up`, `prior-period`, `adjustment`, `draw`,
//! `recovery`, `draw-forgiven`, `carry-forward`, `carry-in`). The sum of a period's rows is what payroll
//! paid.
//!
//! Invariants: the file is append-only: a close writes the old bytes unchanged followed by the new
//! rows, to a temporary file that is synced and renamed over the ledger, so a crash leaves either the
//! old ledger or the new one. A run period is closed at most once. Rows are never edited; a later
//! correction is a new row naming the period it corrects (`for_period`). Every problem in the file is a
//! diagnostic with its line, column and value (`ledger-invalid`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rust_decimal::Decimal;

use crate::data::csv_input::CsvInput;
use crate::data::FileInfo;
use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::LineKind;
use crate::money::NumberFormat;
use crate::period::{Calendar, Granularity, Period};
use crate::workspace::{InputKind, InputSpec};

/// Optional columns of the ledger (the required ones: rep_id, period, component, amount, closed_at,
/// run_id).
pub const OPTIONAL_COLUMNS: [&str; 9] = [
    "plan",
    "kind",
    "for_period",
    "deal_id",
    "balance",
    "reason",
    "closed_period",
    "approved_by",
    "note",
];

/// The columns `payout close` writes, in order.
pub const HEADER: [&str; 15] = [
    "rep_id",
    "period",
    "plan",
    "component",
    "kind",
    "for_period",
    "deal_id",
    "amount",
    "balance",
    "reason",
    "closed_period",
    "closed_at",
    "run_id",
    "approved_by",
    "note",
];

/// One recorded amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub rep_id: String,
    /// The payout period it was paid in.
    pub period: Period,
    /// The plan the component belongs to (a rep may change plans); empty in a hand-made ledger.
    pub plan: String,
    pub component: String,
    /// `None`: the commission earned in `period` itself (`earned`); else a payment line's kind.
    pub kind: Option<LineKind>,
    /// The payout period the amount is for (itself, or the period a correction corrects).
    pub for_period: Period,
    pub deal_id: String,
    pub amount: Decimal,
    /// For balance kinds (draw, recovery, draw-forgiven, carry-forward, carry-in): the balance after.
    pub balance: Option<Decimal>,
    pub reason: String,
    /// The run period that was closed (what `close --period` was given).
    pub closed_period: Period,
    pub closed_at: String,
    pub run_id: String,
    pub approved_by: String,
    pub note: String,
    /// Line in the ledger file (0 for rows not yet written).
    pub line: u64,
}

impl LedgerRow {
    pub fn kind_name(&self) -> &'static str {
        self.kind.map_or("earned", LineKind::name)
    }
}

/// The ledger as read.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    pub file: String,
    pub path: PathBuf,
    pub rows: Vec<LedgerRow>,
    pub info: Option<FileInfo>,
}

impl Ledger {
    /// The months of every closed run period.
    pub fn closed_months(&self) -> BTreeSet<Period> {
        let mut out = BTreeSet::new();
        for c in self.closed_periods() {
            out.extend(c.periods_of(Granularity::Month));
        }
        out
    }

    /// The run periods closed, in order.
    pub fn closed_periods(&self) -> BTreeSet<Period> {
        self.rows.iter().map(|r| r.closed_period).collect()
    }

    /// Whether a payout period is closed: the month it ends in belongs to a closed run period.
    pub fn is_closed(&self, months: &BTreeSet<Period>, p: Period) -> bool {
        months.contains(&p.calendar().period_of(Granularity::Month, p.end()))
    }

    /// Rows by (rep id, plan id, component id), in file order.
    pub fn by_rep_component(&self) -> BTreeMap<(&str, &str, &str), Vec<&LedgerRow>> {
        let mut out: BTreeMap<(&str, &str, &str), Vec<&LedgerRow>> = BTreeMap::new();
        for r in &self.rows {
            out.entry((r.rep_id.as_str(), r.plan.as_str(), r.component.as_str()))
                .or_default()
                .push(r);
        }
        out
    }
}

fn spec(path: &Path) -> InputSpec {
    InputSpec {
        kind: InputKind::Ledger,
        path: path.to_path_buf(),
        columns: BTreeMap::new(),
        date_format: Default::default(),
        number_format: NumberFormat::default(),
        types: BTreeMap::new(),
    }
}

fn parse_kind(text: &str) -> Result<Option<LineKind>, ()> {
    if text.is_empty() || text == "earned" {
        return Ok(None);
    }
    LineKind::PAYMENT
        .iter()
        .find(|k| k.name() == text && **k != LineKind::Recorded)
        .map(|k| Some(*k))
        .ok_or(())
}

/// Read the ledger; a missing file is an empty ledger (nothing closed yet).
pub fn read_ledger(
    path: &Path,
    calendar: &Calendar,
    diags: &mut Diagnostics,
) -> anyhow::Result<Ledger> {
    let file = path.display().to_string();
    let mut ledger = Ledger {
        file: file.clone(),
        path: path.to_path_buf(),
        ..Ledger::default()
    };
    if !path.exists() {
        return Ok(ledger);
    }
    let spec = spec(path);
    let Some(mut input) = CsvInput::open(&spec, diags)? else {
        return Ok(ledger);
    };
    let pos = |name: &str| input.position(name);
    let c = |name: &str| pos(name).unwrap_or(0);
    let (c_rep, c_period, c_comp, c_amount, c_at, c_run) = (
        c("rep_id"),
        c("period"),
        c("component"),
        c("amount"),
        c("closed_at"),
        c("run_id"),
    );
    let opt: BTreeMap<&str, Option<usize>> =
        OPTIONAL_COLUMNS.iter().map(|n| (*n, pos(n))).collect();
    let headers = input.headers.clone();
    let mut rows = Vec::new();
    input.for_each_row(diags, |row, diags| {
        let err = |c: usize, msg: String| {
            Diagnostic::error("ledger-invalid", &file, msg)
                .line(row.line)
                .col_name(headers[c].clone())
                .value(row.get(c).to_string())
                .hint("the ledger is written by `payout close`; restore it from a backup rather than editing it")
        };
        let text = |name: &str| opt[name].map_or("", |c| row.get(c)).trim().to_string();
        let period_at = |c: usize, diags: &mut Diagnostics| {
            calendar
                .parse(row.get(c).trim())
                .map_err(|m| diags.push(err(c, m)))
                .ok()
        };
        let period = period_at(c_period, diags);
        let for_period = match opt["for_period"] {
            Some(c) if !row.get(c).trim().is_empty() => period_at(c, diags),
            _ => period,
        };
        let closed_period = match opt["closed_period"] {
            Some(c) if !row.get(c).trim().is_empty() => period_at(c, diags),
            _ => period,
        };
        let amount = crate::money::parse_decimal(row.get(c_amount).trim());
        if amount.is_none() {
            diags.push(err(c_amount, "not a decimal amount like 1234.50".into()));
        }
        let balance = match opt["balance"] {
            Some(c) if !row.get(c).trim().is_empty() => {
                let b = crate::money::parse_decimal(row.get(c).trim());
                if b.is_none() {
                    diags.push(err(c, "not a decimal amount like 1234.50".into()));
                }
                b
            }
            _ => None,
        };
        let kind = match parse_kind(&text("kind")) {
            Ok(k) => Some(k),
            Err(()) => {
                let c = opt["kind"].unwrap_or(0);
                diags.push(err(c, "unknown kind: use earned, true-up, prior-period, adjustment, draw, recovery, draw-forgiven, carry-forward or carry-in".into()));
                None
            }
        };
        for (c, what) in [(c_rep, "rep_id"), (c_comp, "component"), (c_run, "run_id")] {
            if row.get(c).trim().is_empty() {
                diags.push(err(c, format!("`{what}` is empty")));
            }
        }
        if let (Some(period), Some(for_period), Some(closed_period), Some(amount), Some(kind)) =
            (period, for_period, closed_period, amount, kind)
        {
            rows.push(LedgerRow {
                rep_id: row.get(c_rep).trim().to_string(),
                period,
                plan: text("plan"),
                component: row.get(c_comp).trim().to_string(),
                kind,
                for_period,
                deal_id: text("deal_id"),
                amount,
                balance,
                reason: text("reason"),
                closed_period,
                closed_at: row.get(c_at).trim().to_string(),
                run_id: row.get(c_run).trim().to_string(),
                approved_by: text("approved_by"),
                note: text("note"),
                line: row.line,
            });
        }
    })?;
    ledger.rows = rows;
    ledger.info = Some(input.finish());
    Ok(ledger)
}

/// The CSV of rows (with the header when `header`).
pub fn render_rows(rows: &[LedgerRow], header: bool) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if header {
        w.write_record(HEADER)?;
    }
    for r in rows {
        w.write_record([
            r.rep_id.as_str(),
            &r.period.to_string(),
            &r.plan,
            &r.component,
            r.kind_name(),
            &r.for_period.to_string(),
            &r.deal_id,
            &plain(r.amount),
            &r.balance.map(plain).unwrap_or_default(),
            &r.reason,
            &r.closed_period.to_string(),
            &r.closed_at,
            &r.run_id,
            &r.approved_by,
            &r.note,
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `-0` prints as `0`.
fn plain(mut d: Decimal) -> String {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d.to_string()
}

/// Append `rows` to the ledger file: the current bytes (checked unchanged since they were read),
/// then the new rows, written to a temporary file, synced, and renamed over the ledger.
pub fn append_rows(ledger: &Ledger, rows: &[LedgerRow]) -> anyhow::Result<()> {
    let path = &ledger.path;
    let old = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    use sha2::Digest;
    let now = format!("{:x}", sha2::Sha256::digest(&old));
    if let Some(info) = &ledger.info {
        if info.sha256 != now {
            anyhow::bail!(
                "{} changed while the period was being closed; nothing was written, run the close again",
                path.display()
            );
        }
    } else if !old.is_empty() {
        anyhow::bail!(
            "{} appeared while the period was being closed; nothing was written, run the close again",
            path.display()
        );
    }
    let mut bytes = old.clone();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend(render_rows(rows, old.is_empty())?);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(&bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // The rename itself is made durable by syncing the folder (where the platform allows it).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cal: &Calendar, kind: Option<LineKind>, amount: &str) -> LedgerRow {
        let p = cal.parse("2026-02").unwrap();
        LedgerRow {
            rep_id: "R1".into(),
            period: p,
            plan: "p".into(),
            component: "commission".into(),
            kind,
            for_period: cal.parse("2026-01").unwrap(),
            deal_id: "D-1".into(),
            amount: Decimal::from_str_exact(amount).unwrap(),
            balance: kind.map(|_| Decimal::from_str_exact("12.50").unwrap()),
            reason: "a, \"quoted\" reason".into(),
            closed_period: p,
            closed_at: "2026-03-02T10:00:00Z".into(),
            run_id: "abcdef0123456789".into(),
            approved_by: "Dana".into(),
            note: String::new(),
            line: 0,
        }
    }

    #[test]
    fn rows_written_read_back_unchanged_and_appended_after_the_old_bytes() {
        let cal = Calendar::default();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let mut diags = Diagnostics::new();
        let empty = read_ledger(&path, &cal, &mut diags).unwrap();
        assert!(empty.rows.is_empty() && empty.info.is_none());
        let first = vec![
            row(&cal, None, "100.00"),
            row(&cal, Some(LineKind::Draw), "-0"),
        ];
        append_rows(&empty, &first).unwrap();
        let before = std::fs::read(&path).unwrap();
        let read = read_ledger(&path, &cal, &mut diags).unwrap();
        assert!(diags.is_empty());
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[0].kind, None);
        assert_eq!(read.rows[0].reason, "a, \"quoted\" reason");
        assert_eq!(read.rows[1].kind, Some(LineKind::Draw));
        // -0 is written as 0
        assert_eq!(read.rows[1].amount.to_string(), "0");
        assert_eq!(read.rows[1].line, 3);
        assert_eq!(read.closed_periods().len(), 1);
        append_rows(&read, &[row(&cal, Some(LineKind::Recovery), "-5")]).unwrap();
        let after = std::fs::read(&path).unwrap();
        assert!(after.starts_with(&before) && after.len() > before.len());
        // A ledger changed since it was read is not appended to.
        assert!(append_rows(&read, &first).is_err());
    }

    #[test]
    fn a_payout_period_is_closed_when_the_month_it_ends_in_is() {
        let cal = Calendar::default();
        let mut ledger = Ledger::default();
        let mut r = row(&cal, None, "1");
        r.closed_period = cal.parse("2026-03").unwrap();
        ledger.rows.push(r);
        let months = ledger.closed_months();
        assert!(ledger.is_closed(&months, cal.parse("2026-Q1").unwrap()));
        assert!(ledger.is_closed(&months, cal.parse("2026-03").unwrap()));
        assert!(!ledger.is_closed(&months, cal.parse("2026-02").unwrap()));
    }
}
