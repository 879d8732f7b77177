//! The ledger: what was paid, payout period by payout period, as recorded by `payout close`.
//!
//! One CSV file per workspace (`ledger`, default `ledger.csv` beside `payout.toml`), one row per rep,
//! component, payout period and kind of amount: `earned` (the commission paid for the period's own
//! earning), and the payment lines of that period (`true-up`, `prior-period`, `adjustment`, `draw`,
//! `recovery`, `draw-forgiven`, `carry-forward`, `carry-in`). The sum of a period's rows is what payroll
//! paid.
//!
//! Invariants: the file is append-only: a close, holding the ledger's lock from its first read to
//! the last rename ([`file`]), writes the old bytes unchanged followed by the new rows, to a temporary
//! file that is synced and renamed over the ledger (a symlink's target, its mode kept), so a crash
//! leaves either the old ledger or the new one. Every row carries a `row_hash` chained to the row
//! before it, and the head record beside the ledger names the last one ([`chain`]); every read checks
//! them first, and a break is `ledger-tampered` at its first bad line, with no row trusted. A ledger
//! without the column is read with a `ledger-unchained` warning and chained by the next close (or
//! `payout ledger seal`), its cells unchanged. A run period is closed at most once. Rows are never
//! edited; a later correction is a new row naming the period it corrects (`for_period`). Every other
//! problem in the file is a diagnostic with its line, column and value (`ledger-invalid`).

pub mod chain;
pub mod closing;
pub mod file;

pub mod renames;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use chain::{Chain, Head, Tampered};
use file::LedgerFiles;

use crate::csv_cell::{neutralise, restore};
use crate::data::csv_input::CsvInput;
use crate::diag::{Diagnostic, Diagnostics};
use crate::line_kind::LineKind;
use crate::period::{Calendar, Granularity, Period};
use crate::schema::FileInfo;
use crate::workspace::{InputKind, InputSpec};

pub use crate::schema::LEDGER_OPTIONAL_COLUMNS as OPTIONAL_COLUMNS;

/// The columns of a row's fields, in the order `payout close` writes them (then `row_hash`).
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
    /// The file's columns as read (empty when there is no file).
    pub columns: Vec<String>,
    /// The chain's head when the rows are chained (`None`: no file, or no `row_hash` column).
    pub head: Option<Head>,
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
    InputSpec::plain(
        InputKind::Ledger,
        path.to_path_buf(),
        path.display().to_string(),
    )
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

/// The ledger's bytes and head record, read together, and what their chain says.
pub struct Snapshot {
    pub files: LedgerFiles,
    /// `None`: there is no ledger file.
    pub bytes: Option<Vec<u8>>,
    pub recorded: Option<Head>,
    pub chain: Result<Chain, Tampered>,
}

/// The bytes of the ledger and of its head record, each `None` when the file does not exist.
type ReadPair = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Read the ledger and its head record, and check their chain. A close renames the ledger, then its
/// head record: a pair that does not match is read again (a few times, while it keeps changing).
pub fn read_checked(path: &Path) -> anyhow::Result<Snapshot> {
    let files = LedgerFiles::of(path);
    // The (ledger, head record) bytes of the previous attempt.
    let mut previous: Option<ReadPair> = None;
    for attempt in 0.. {
        let bytes = file::read_optional(&files.target)?;
        let head_bytes = file::read_optional(&files.head)?;
        let (recorded, chain) = check_pair(&files, bytes.as_deref(), head_bytes.as_deref());
        let settled = previous
            .as_ref()
            .is_some_and(|(b, h)| *b == bytes && *h == head_bytes);
        if chain.is_ok() || settled || attempt == 4 {
            return Ok(Snapshot {
                files,
                bytes,
                recorded,
                chain,
            });
        }
        previous = Some((bytes, head_bytes));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    unreachable!("the loop returns by its fifth attempt")
}

fn check_pair(
    files: &LedgerFiles,
    bytes: Option<&[u8]>,
    head_bytes: Option<&[u8]>,
) -> (Option<Head>, Result<Chain, Tampered>) {
    let head_name = files.head.display();
    let recorded = match head_bytes.map(|b| chain::parse_head(&String::from_utf8_lossy(b))) {
        None => None,
        Some(Ok(h)) => Some(h),
        Some(Err(e)) => {
            let t = Tampered {
                line: 0,
                message: format!("its head record {head_name} cannot be read: {e}"),
                appended: false,
            };
            return (None, Err(t));
        }
    };
    let result = match (bytes, &recorded) {
        (None, None) => Ok(Chain::Unchained { rows: 0 }),
        (None, Some(h)) => Err(Tampered {
            line: 0,
            message: format!(
                "the ledger is missing, but its head record {head_name} names {} row(s): the ledger was deleted or moved",
                h.rows
            ),
            appended: false,
        }),
        (Some(b), r) => chain::verify(b, r.as_ref()).and_then(|c| match (&c, r) {
            (Chain::Chained(h), None) => Err(Tampered {
                line: 0,
                message: format!(
                    "the rows are chained ({} row(s), head {}) but the head record {head_name} is missing: deleting the last rows cannot be checked",
                    h.rows, h.row_hash
                ),
                appended: true,
            }),
            _ => Ok(c),
        }),
    };
    (recorded, result)
}

/// The `ledger-tampered` diagnostic of a broken chain.
pub fn tampered_diagnostic(file: &str, t: &Tampered) -> Diagnostic {
    let d = Diagnostic::error("ledger-tampered", file, t.message.clone()).hint(if t.appended {
        "compare the rows with the last close's message or a run's manifest (`ledger_head`); when they are right, `payout ledger seal` records the head"
    } else {
        "restore the ledger and its head record from a backup; rows are never edited (a correction is a new close), and `payout ledger verify` checks them"
    });
    if t.line > 0 {
        d.line(t.line)
    } else {
        d
    }
}

/// The `ledger-unchained` warning of a ledger without `row_hash`.
fn unchained_diagnostic(file: &str) -> Diagnostic {
    Diagnostic::warning(
        "ledger-unchained",
        file,
        format!("the ledger has no `{}` column: an edit, a deletion or a forged row would go unseen", chain::COLUMN),
    )
    .line(1)
    .hint("`payout ledger seal` chains its rows (the next `payout close` does too), leaving every cell as it is")
}

/// Read the ledger; a missing file is an empty ledger (nothing closed yet). The chain is checked
/// first: a broken one is a `ledger-tampered` error and no row is read.
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
    let snapshot = read_checked(path)?;
    match &snapshot.chain {
        Err(t) => {
            diags.push(tampered_diagnostic(&file, t));
            return Ok(ledger);
        }
        Ok(Chain::Chained(head)) => ledger.head = Some(head.clone()),
        Ok(Chain::Unchained { .. }) if snapshot.bytes.is_some() => {
            diags.push(unchained_diagnostic(&file))
        }
        Ok(Chain::Unchained { .. }) => {}
    }
    let Some(bytes) = snapshot.bytes else {
        return Ok(ledger);
    };
    let spec = spec(path);
    let Some(mut input) = CsvInput::from_bytes(&spec, bytes, diags) else {
        return Ok(ledger);
    };
    ledger.columns = input.headers.clone();
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
        // Text cells were neutralised when written (a leading `=` or `@` is stored as `'=`): read
        // back the text itself.
        let text = |name: &str| restore(opt[name].map_or("", |c| row.get(c)).trim()).to_string();
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
                rep_id: restore(row.get(c_rep).trim()).to_string(),
                period,
                plan: text("plan"),
                component: restore(row.get(c_comp).trim()).to_string(),
                kind,
                for_period,
                deal_id: text("deal_id"),
                amount,
                balance,
                reason: text("reason"),
                closed_period,
                closed_at: restore(row.get(c_at).trim()).to_string(),
                run_id: restore(row.get(c_run).trim()).to_string(),
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

/// A row's cells by column name, as written: text a spreadsheet would run as a formula is
/// neutralised (amounts stay plain numbers), and the chain hashes the cells as written.
fn cells(r: &LedgerRow) -> [(&'static str, String); 15] {
    let text = |t: &str| neutralise(t).into_owned();
    [
        ("rep_id", text(&r.rep_id)),
        ("period", r.period.to_string()),
        ("plan", text(&r.plan)),
        ("component", text(&r.component)),
        ("kind", r.kind_name().to_string()),
        ("for_period", r.for_period.to_string()),
        ("deal_id", text(&r.deal_id)),
        ("amount", plain(r.amount)),
        ("balance", r.balance.map(plain).unwrap_or_default()),
        ("reason", text(&r.reason)),
        ("closed_period", r.closed_period.to_string()),
        ("closed_at", text(&r.closed_at)),
        ("run_id", text(&r.run_id)),
        ("approved_by", text(&r.approved_by)),
        ("note", text(&r.note)),
    ]
}

/// The columns of a new ledger: [`HEADER`], then `row_hash`.
fn standard_columns() -> Vec<String> {
    HEADER
        .iter()
        .chain(&[chain::COLUMN])
        .map(|c| c.to_string())
        .collect()
}

/// The CSV of `rows` under `columns` (a ledger's header), each row's `row_hash` chained from
/// `head`; returns the bytes and the new head. A column the rows have no cell for is empty.
pub fn render_chained(
    rows: &[LedgerRow],
    columns: &[String],
    head: Head,
) -> anyhow::Result<(Vec<u8>, Head)> {
    let k = columns.iter().position(|c| c == chain::COLUMN);
    let Some(k) = k else {
        anyhow::bail!("the ledger has no `{}` column", chain::COLUMN);
    };
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let (mut count, mut prev) = (head.rows, head.row_hash);
    for r in rows {
        let named = cells(r);
        let mut out: Vec<String> = Vec::with_capacity(columns.len());
        for c in columns {
            out.push(
                named
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            );
        }
        if let Some((missing, _)) = named
            .iter()
            .find(|(n, v)| !v.is_empty() && !columns.iter().any(|c| c == n))
        {
            anyhow::bail!(
                "the ledger has no `{missing}` column to record the row in; nothing was written"
            );
        }
        prev = chain::row_hash(
            &prev,
            out.iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, c)| c.as_bytes()),
        );
        out[k] = prev.clone();
        w.write_record(&out)?;
        count += 1;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        bytes,
        Head {
            rows: count,
            row_hash: prev,
        },
    ))
}

/// `-0` prints as `0`.
fn plain(mut d: Decimal) -> String {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d.to_string()
}

/// An unchained ledger's bytes with its columns in the order a close writes them: [`HEADER`], then
/// any other column of the file in its order; every cell kept (a column it lacks is empty).
fn in_standard_order(old: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(old);
    let header: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().map(String::as_str).eq(HEADER) {
        return Ok(old.to_vec());
    }
    let mut columns: Vec<String> = HEADER.iter().map(|c| c.to_string()).collect();
    columns.extend(
        header
            .iter()
            .filter(|h| !HEADER.contains(&h.as_str()))
            .cloned(),
    );
    let from: Vec<Option<usize>> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == c))
        .collect();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(&columns)?;
    for record in reader.byte_records() {
        let record = record?;
        w.write_record(
            from.iter()
                .map(|i| i.and_then(|i| record.get(i)).unwrap_or_default()),
        )?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// What a write of the ledger did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The ledger's new head.
    pub head: Head,
    /// When the ledger was unchained: how many of its rows were chained first.
    pub sealed: Option<u64>,
}

/// An unchained ledger chained (columns in the standard order, then `row_hash`), with its head.
fn sealed(old: &[u8]) -> anyhow::Result<(Vec<u8>, Head, Vec<String>)> {
    let (bytes, head) = chain::seal(&in_standard_order(old)?)?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let columns = reader
        .headers()?
        .iter()
        .map(|c| c.trim().to_string())
        .collect();
    Ok((bytes, head, columns))
}

/// Fail unless the ledger's bytes are the ones it was read from.
fn check_unchanged(ledger: &Ledger, now: &[u8]) -> anyhow::Result<()> {
    use sha2::Digest;
    let path = ledger.path.display();
    match &ledger.info {
        Some(info) if info.sha256 != format!("{:x}", sha2::Sha256::digest(now)) => anyhow::bail!(
            "{path} changed while the period was being closed; nothing was written, run the close again"
        ),
        None if !now.is_empty() => anyhow::bail!(
            "{path} appeared while the period was being closed; nothing was written, run the close again"
        ),
        _ => Ok(()),
    }
}

/// Append `rows` to the ledger file (call with its lock held, the ledger read under it): the
/// current bytes (checked unchanged since they were read; chained first when they were not), then
/// the new rows chained after them, written to a temporary file, synced, and renamed over the
/// ledger's target; then its head record the same way.
pub fn append_rows(ledger: &Ledger, rows: &[LedgerRow]) -> anyhow::Result<Written> {
    let files = LedgerFiles::of(&ledger.path);
    let old = file::read_optional(&files.target)?.unwrap_or_default();
    check_unchanged(ledger, &old)?;
    let (mut bytes, head, columns, sealed_rows) = match &ledger.head {
        _ if old.is_empty() => {
            let columns = standard_columns();
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&columns)?;
            let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            let head = Head {
                rows: 0,
                row_hash: chain::header_hash(HEADER.iter().map(|c| c.as_bytes())),
            };
            (bytes, head, columns, None)
        }
        Some(head) => (old, head.clone(), ledger.columns.clone(), None),
        None => {
            let (bytes, head, columns) = sealed(&old)?;
            let n = head.rows;
            (bytes, head, columns, Some(n))
        }
    };
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let (new, head) = render_chained(rows, &columns, head)?;
    bytes.extend(new);
    write_with_head(&files, &bytes, &head)?;
    Ok(Written {
        head,
        sealed: sealed_rows,
    })
}

/// Replace the ledger's target and its head record (call with the lock held): both written and
/// synced first, then renamed one after the other.
fn write_with_head(files: &LedgerFiles, bytes: &[u8], head: &Head) -> anyhow::Result<()> {
    let record = chain::render_head(head);
    file::prepare(&files.tmp, bytes, &[&files.target])?;
    file::prepare(
        &files.head_tmp,
        record.as_bytes(),
        &[&files.head, &files.target],
    )?;
    file::rename(&files.tmp, &files.target)?;
    file::rename(&files.head_tmp, &files.head)?;
    file::sync_dir(files);
    Ok(())
}

/// Write the head record alone (call with the lock held).
fn write_head(files: &LedgerFiles, head: &Head) -> anyhow::Result<()> {
    let record = chain::render_head(head);
    file::prepare(
        &files.head_tmp,
        record.as_bytes(),
        &[&files.head, &files.target],
    )?;
    file::rename(&files.head_tmp, &files.head)?;
    file::sync_dir(files);
    Ok(())
}

/// Finish or clean up after an interrupted close (call with the lock held, before reading the
/// ledger). A `<ledger>.head.tmp` that names exactly the head of the ledger's intact chain is the
/// head record of a close killed between its two renames: it is renamed into place. Every other
/// temporary copy is removed. Returns what was done, to tell the user.
pub fn recover_interrupted(files: &LedgerFiles) -> anyhow::Result<Vec<String>> {
    let mut done = Vec::new();
    if let (Some(tmp), Some(bytes)) = (
        file::read_optional(&files.head_tmp)?,
        file::read_optional(&files.target)?,
    ) {
        let pending = chain::parse_head(&String::from_utf8_lossy(&tmp)).ok();
        if let (Some(p), Ok(Chain::Chained(h))) = (pending, chain::verify(&bytes, None)) {
            if p == h {
                file::rename(&files.head_tmp, &files.head)?;
                file::sync_dir(files);
                done.push(format!(
                    "completed the head record {} of an interrupted close ({} rows, head {})",
                    files.head.display(),
                    h.rows,
                    h.row_hash
                ));
            }
        }
    }
    for tmp in file::remove_leftovers(files)? {
        done.push(format!(
            "removed {}, left behind by an interrupted close",
            tmp.display()
        ));
    }
    Ok(done)
}

/// What `payout ledger seal` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealed {
    /// There is no ledger file.
    Nothing,
    /// The rows were chained already and the head record matches.
    Already(Head),
    /// An unchained ledger's rows were chained.
    Chained(Head),
    /// The rows were chained but the head record was missing or behind them: it now names the head.
    HeadRecorded { head: Head, before: Option<Head> },
}

/// Chain an unchained ledger, or record the head of a chained one whose head record is missing or
/// behind its rows (call with its lock held). A chain broken anywhere else is never sealed.
pub fn seal(path: &Path) -> anyhow::Result<Result<Sealed, Tampered>> {
    let snapshot = read_checked(path)?;
    let Some(bytes) = snapshot.bytes else {
        return Ok(match snapshot.chain {
            Err(t) => Err(t),
            Ok(_) => Ok(Sealed::Nothing),
        });
    };
    let files = snapshot.files;
    let outcome = match snapshot.chain {
        Ok(Chain::Chained(head)) => Sealed::Already(head),
        Ok(Chain::Unchained { .. }) => {
            let (bytes, head, _) = sealed(&bytes)?;
            write_with_head(&files, &bytes, &head)?;
            Sealed::Chained(head)
        }
        Err(t) if t.appended => match chain::verify(&bytes, None) {
            Ok(Chain::Chained(head)) => {
                write_head(&files, &head)?;
                Sealed::HeadRecorded {
                    head,
                    before: snapshot.recorded,
                }
            }
            _ => return Ok(Err(t)),
        },
        Err(t) => return Ok(Err(t)),
    };
    Ok(Ok(outcome))
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
        // The rows are chained and the head record names the last one.
        let again = read_ledger(&path, &cal, &mut diags).unwrap();
        assert!(diags.is_empty());
        assert_eq!(again.head.as_ref().map(|h| h.rows), Some(3));
        let record = std::fs::read_to_string(dir.path().join("ledger.csv.head")).unwrap();
        assert_eq!(chain::parse_head(&record).ok(), again.head);
    }

    #[test]
    fn an_unchained_ledger_is_chained_by_the_next_append_in_the_standard_column_order() {
        let cal = Calendar::default();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        // A hand-made ledger: fewer columns, another order, and one of its own.
        let old = "amount,rep_id,period,component,closed_at,run_id,memo\n 7.5 ,R2,2026-01,commission,2026-02-01T09:00:00Z,abc,kept\n";
        std::fs::write(&path, old).unwrap();
        let mut diags = Diagnostics::new();
        let read = read_ledger(&path, &cal, &mut diags).unwrap();
        assert_eq!(diags.into_sorted()[0].code, "ledger-unchained");
        let written = append_rows(&read, &[row(&cal, None, "1")]).unwrap();
        assert_eq!(written.sealed, Some(1));
        assert_eq!(written.head.rows, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("rep_id,period,plan,component,kind,for_period,deal_id,amount,balance,reason,closed_period,closed_at,run_id,approved_by,note,memo,row_hash")
        );
        // Every cell kept as it was (the spaces around 7.5 included), the missing columns empty.
        assert!(lines
            .next()
            .unwrap()
            .starts_with("R2,2026-01,,commission,,,, 7.5 ,,,,2026-02-01T09:00:00Z,abc,,,kept,"));
        let mut diags = Diagnostics::new();
        let sealed = read_ledger(&path, &cal, &mut diags).unwrap();
        assert!(diags.is_empty(), "{:?}", diags.into_sorted());
        assert_eq!(sealed.rows.len(), 2);
        assert_eq!(sealed.head, Some(written.head));
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
