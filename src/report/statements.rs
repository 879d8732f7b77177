//! Writing the statements of a run into `statements/`, in one of the layouts of
//! [`StatementLayout`]: a CSV and a Markdown file per rep and payout period (`per-rep`), or one CSV
//! per payout period holding every rep's lines (`per-period`: the same header and lines as the
//! per-rep CSV files, whose first column is the rep, one after another in rep order).
//!
//! Invariants: files are rendered in parallel into a staging folder renamed to `statements/` once
//! every file is complete; a rep at a time, its lines recomputed by the tracer when the run kept
//! none, and dropped once rendered; the bytes of every file are the same whatever the number of
//! threads (lines are written in the run's rep order: per period, tasks of reps rendered in
//! parallel are appended strictly in task order); every file is listed in the manifest.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::fs;
use super::html::statement::{Pages, Statement};
use super::manifest::OutputFile;
use super::statement::{self, Renderer};
use super::summary::Row;
use crate::data::Inputs;
use crate::engine::{RunResult, Tracer};
use crate::workspace::StatementLayout;

/// The UTF-8 byte-order mark some spreadsheets need to read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What writing statements reads.
pub struct Job<'a> {
    pub inputs: &'a Inputs,
    pub run: &'a RunResult,
    pub rows: &'a [Row<'a>],
    pub tracer: Option<&'a Tracer<'a>>,
    /// CSV files start with [`BOM`].
    pub bom: bool,
    /// The conversions into reps' pay currencies.
    pub pay: &'a super::pay::PayLines,
    /// `progress(reps written, reps)`.
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
    /// Also write an HTML page per rep and payout period, from these pages.
    pub html: Option<&'a Pages<'a>>,
}

/// Which files of a statement [`write_per_rep`] writes.
#[derive(Clone, Copy)]
struct PerRep {
    /// The CSV and the Markdown.
    text: bool,
    /// The HTML page (when the job has pages).
    html: bool,
}

/// Write the statements of `job` into `dir/statements` in `layout` (removing the folder for
/// [`StatementLayout::None`]); their manifest entries.
pub fn write(
    dir: &Path,
    run_id: &str,
    layout: StatementLayout,
    job: &Job,
) -> anyhow::Result<Vec<OutputFile>> {
    let target = dir.join("statements");
    if layout == StatementLayout::None && job.html.is_none() {
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .with_context(|| format!("cannot remove {}", target.display()))?;
        }
        return Ok(Vec::new());
    }
    let staging = dir.join(format!(".statements-{run_id}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create the folder {}", staging.display()))?;
    let html = job.html.is_some();
    let mut outputs = match layout {
        StatementLayout::PerRep => write_per_rep(&staging, job, PerRep { text: true, html })?,
        StatementLayout::PerPeriod => write_per_period(&staging, job)?,
        StatementLayout::None => Vec::new(),
    };
    if html && layout != StatementLayout::PerRep {
        outputs.extend(write_per_rep(&staging, job, PerRep { text: false, html })?);
    }
    fs::replace_dir(&staging, &target)?;
    Ok(outputs)
}

/// The distinct payout periods of `rows`, in order.
fn payout_periods(rows: &[Row]) -> Vec<crate::period::Period> {
    let mut periods: Vec<crate::period::Period> =
        rows.iter().map(|r| r.result.payout_period).collect();
    periods.sort_unstable();
    periods.dedup();
    periods
}

/// The lines of each row of one rep's statements: the run's own when it kept them; else the
/// engine's lines of the rep recomputed by the tracer (`traced`, the rep's results in the order of
/// the run's, which start at `run.reps[first]`) followed by the run's payment lines. Recomputed
/// lines must sum to the row's payable, as the run's invariants require of kept lines.
fn block_lines<'a>(
    run: &RunResult,
    traced: Option<(&'a [crate::engine::RepResult], usize)>,
    r: &Row<'a>,
) -> Result<statement::BlockLines<'a>, crate::engine::InternalError> {
    let Some((traced, first)) = traced else {
        return Ok(statement::BlockLines([r.result.lines(), &[]]));
    };
    let [result, component, period] = r.at;
    let who = || {
        format!(
            "rep {} component {} period {}",
            r.rep_id, r.component.id, r.result.payout_period
        )
    };
    let p = result
        .checked_sub(first)
        .and_then(|t| traced.get(t))
        .filter(|t| t.rep == run.reps[result].rep && t.plan == run.reps[result].plan)
        .and_then(|t| t.components.get(component))
        .and_then(|c| c.periods.get(period))
        .filter(|p| {
            p.payout_period == r.result.payout_period && p.earned_to_date == r.result.earned_to_date
        })
        .ok_or_else(|| {
            crate::engine::InternalError(format!(
                "recomputing the statement lines of {} gave another result than the run",
                who()
            ))
        })?;
    let lines = statement::BlockLines([p.lines(), r.result.lines()]);
    if lines.sum() != r.result.payable {
        return Err(crate::engine::InternalError(format!(
            "statement lines do not sum to the payable for {}",
            who()
        )));
    }
    Ok(lines)
}

/// Each statement (payout period) of one rep's rows with the lines of its rows: `each(rows,
/// lines)`, in payout period order.
fn each_statement<'a>(
    job: &Job<'a>,
    rows: &'a [Row<'a>],
    mut each: impl FnMut(&'a [Row<'a>], &[statement::BlockLines]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let rep = job.run.reps[rows[0].at[0]].rep;
    let traced = job.tracer.map(|t| t.trace(rep)).transpose()?;
    // The run's results are in rep order; the rep's start here.
    let first = job.run.reps.partition_point(|r| r.rep < rep);
    let traced = traced.as_deref().map(|t| (t, first));
    let mut lines = Vec::new();
    for statement in rows.chunk_by(|a, b| a.result.payout_period == b.result.payout_period) {
        lines.clear();
        for r in statement {
            lines.push(block_lines(job.run, traced, r)?);
        }
        each(statement, &lines)?;
    }
    Ok(())
}

/// Write one statement file (the concatenation of `parts`) into the staging folder; its manifest
/// entry.
fn write_file(staging: &Path, name: String, parts: &[&[u8]]) -> anyhow::Result<OutputFile> {
    let path = staging.join(&name);
    let mut hash = Sha256::new();
    let mut file =
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    for part in parts.iter().filter(|p| !p.is_empty()) {
        hash.update(part);
        file.write_all(part)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(OutputFile {
        path: format!("statements/{name}"),
        sha256: format!("{:x}", hash.finalize()),
    })
}

/// Per rep: `statements/<period>/<rep>.csv` and `.md` (`files.text`) and `.html` (`files.html`),
/// rendered and written in parallel (without a temporary file and a rename per statement: four
/// times the system calls on tens of thousands of files; the staging folder makes the set atomic).
fn write_per_rep(staging: &Path, job: &Job, files: PerRep) -> anyhow::Result<Vec<OutputFile>> {
    for period in payout_periods(job.rows) {
        let folder = staging.join(fs::safe_name(&period.to_string()));
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    }
    let bom: &[u8] = if job.bom { BOM } else { b"" };
    let reps: Vec<&[Row]> = job.rows.chunk_by(|a, b| a.rep_id == b.rep_id).collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let written: Vec<anyhow::Result<Vec<OutputFile>>> = reps
        .par_iter()
        .map_init(Renderer::default, |r, &rows| {
            let mut written = Vec::new();
            each_statement(job, rows, |statement, lines| {
                if files.text {
                    r.render(job.inputs, job.run, statement, lines, job.pay.of(statement))?;
                }
                let base = format!(
                    "{}/{}",
                    fs::safe_name(&statement[0].result.payout_period.to_string()),
                    fs::safe_name(statement[0].rep_id)
                );
                if files.text {
                    let csv = write_file(staging, format!("{base}.csv"), &[bom, &r.csv])?;
                    written.push(csv);
                    let md = write_file(staging, format!("{base}.md"), &[r.md.as_bytes()])?;
                    written.push(md);
                }
                if let Some(pages) = job.html.filter(|_| files.html) {
                    let page = pages.render(&Statement {
                        inputs: job.inputs,
                        run: job.run,
                        rows: statement,
                        lines,
                        pay: job.pay.of(statement),
                    })?;
                    let html = write_file(staging, format!("{base}.html"), &[page.as_bytes()])?;
                    written.push(html);
                }
                Ok(())
            })?;
            let reps_done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            (job.progress)(reps_done, reps.len() as u64);
            Ok(written)
        })
        .collect();
    let mut outputs = Vec::with_capacity(job.rows.len() * 2);
    for files in written {
        outputs.extend(files?);
    }
    Ok(outputs)
}

/// Every statement line of the run as one CSV (the header, then each rep's lines by payout period,
/// in rep order), rendered in parallel and held in memory: for the workbook.
pub fn all_lines(job: &Job) -> anyhow::Result<Vec<u8>> {
    let reps: Vec<&[Row]> = job.rows.chunk_by(|a, b| a.rep_id == b.rep_id).collect();
    let parts = reps
        .par_chunks(TASK)
        .map_init(Renderer::default, |renderer, task| {
            let mut csv = Vec::new();
            for &rows in task {
                each_statement(job, rows, |statement, lines| {
                    let pay = job.pay.of(statement);
                    renderer.render_lines(&mut csv, job.inputs, job.run, statement, lines, pay)
                })?;
            }
            Ok(csv)
        })
        .collect::<anyhow::Result<Vec<Vec<u8>>>>()?;
    let mut all = statement::csv_header()?;
    for part in parts {
        all.extend_from_slice(&part);
    }
    Ok(all)
}

/// One file being written per payout period: its writer and the running hash of its bytes.
struct PeriodFile {
    name: String,
    /// Unbuffered: every append is a rendered task's lines, tens of kilobytes (a buffer would only
    /// copy them once more).
    out: std::fs::File,
    hash: Sha256,
}

impl PeriodFile {
    fn create(staging: &Path, name: String) -> anyhow::Result<PeriodFile> {
        let path = staging.join(&name);
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(PeriodFile {
            name,
            out: file,
            hash: Sha256::new(),
        })
    }

    fn append(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.hash.update(bytes);
        self.out
            .write_all(bytes)
            .with_context(|| format!("cannot write statements/{}", self.name))
    }

    fn finish(mut self) -> anyhow::Result<OutputFile> {
        self.out
            .flush()
            .with_context(|| format!("cannot write statements/{}", self.name))?;
        Ok(OutputFile {
            path: format!("statements/{}", self.name),
            sha256: format!("{:x}", self.hash.finalize()),
        })
    }
}

/// Reps one task renders in a row into its own buffers (one per period): about a megabyte of lines
/// at scale, a few milliseconds of work.
const TASK: usize = 16;

/// Rendered tasks waiting for the tasks before them, beyond which a worker appends instead of
/// rendering more (only a worker far behind the others makes them wait).
const BACKLOG: usize = 64;

/// The period files and the next task to append to them, in task order.
struct Appender {
    files: Vec<PeriodFile>,
    next: usize,
}

/// What the workers of [`write_per_period`] share: tasks are taken in order, rendered in parallel,
/// and appended to the period files strictly in task order by whichever worker finds the next one
/// ready (the others keep rendering meanwhile).
struct Pipeline<'a> {
    tasks: Vec<&'a [&'a [Row<'a>]]>,
    taken: std::sync::atomic::AtomicUsize,
    /// Rendered tasks not yet appended, by task number.
    ready: std::sync::Mutex<std::collections::BTreeMap<usize, Vec<Vec<u8>>>>,
    /// Buffer sets appended, to be reused (growing a fresh set each time cost a copy of every byte
    /// and many large allocations).
    free: std::sync::Mutex<Vec<Vec<Vec<u8>>>>,
    appender: std::sync::Mutex<Appender>,
    /// Set on the first error: the workers stop.
    failed: std::sync::atomic::AtomicBool,
}

impl Pipeline<'_> {
    /// Append every ready task that comes next, if no other worker is appending; again while a
    /// task became ready just as the appending worker stopped looking.
    fn append_ready(&self, job: &Job, reps: u64) -> anyhow::Result<()> {
        loop {
            let Ok(mut a) = self.appender.try_lock() else {
                return Ok(());
            };
            while let Some(buffers) = self.take_ready(a.next) {
                for (f, b) in a.files.iter_mut().zip(&buffers) {
                    f.append(b)?;
                }
                let done = ((a.next + 1) * TASK).min(reps as usize) as u64;
                a.next += 1;
                self.recycle(buffers);
                (job.progress)(done, reps);
            }
            let next = a.next;
            drop(a);
            if !self.is_ready(next) {
                return Ok(());
            }
        }
    }

    fn take_ready(&self, task: usize) -> Option<Vec<Vec<u8>>> {
        self.ready.lock().ok()?.remove(&task)
    }

    fn is_ready(&self, task: usize) -> bool {
        self.ready.lock().is_ok_and(|r| r.contains_key(&task))
    }

    fn backlog(&self) -> usize {
        self.ready.lock().map_or(0, |r| r.len())
    }

    fn recycle(&self, mut buffers: Vec<Vec<u8>>) {
        buffers.iter_mut().for_each(Vec::clear);
        if let Ok(mut free) = self.free.lock() {
            free.push(buffers);
        }
    }

    /// One worker: take the next task, render it, hand it to the appender, until none is left.
    fn work(&self, job: &Job, periods: &[crate::period::Period]) -> anyhow::Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let reps = job.rows.chunk_by(|a, b| a.rep_id == b.rep_id).count() as u64;
        let mut renderer = Renderer::default();
        while !self.failed.load(Relaxed) {
            if self.backlog() > BACKLOG {
                self.append_ready(job, reps)?;
                std::thread::yield_now();
                continue;
            }
            let i = self.taken.fetch_add(1, Relaxed);
            let Some(&task) = self.tasks.get(i) else {
                break;
            };
            let reused = self.free.lock().ok().and_then(|mut f| f.pop());
            let mut by_period = reused.unwrap_or_else(|| vec![Vec::new(); periods.len()]);
            for &rows in task {
                each_statement(job, rows, |statement, lines| {
                    let p = statement[0].result.payout_period;
                    let i = periods.binary_search(&p).unwrap_or_default();
                    let pay = job.pay.of(statement);
                    let out = &mut by_period[i];
                    renderer.render_lines(out, job.inputs, job.run, statement, lines, pay)
                })?;
            }
            if let Ok(mut ready) = self.ready.lock() {
                ready.insert(i, by_period);
            }
            self.append_ready(job, reps)?;
        }
        // The last worker out appends what is left.
        self.append_ready(job, reps)
    }
}

/// Per period: `statements/<period>.csv`, the header once, then every rep's lines in rep order.
/// Each worker renders a task of reps at a time into one buffer per period; the tasks' buffers are
/// appended to the period files (and their hashes) in task order by whichever worker finds the next
/// one rendered, while the others render on: no worker waits for another between tasks.
fn write_per_period(staging: &Path, job: &Job) -> anyhow::Result<Vec<OutputFile>> {
    let periods = payout_periods(job.rows);
    let mut files = periods
        .iter()
        .map(|p| PeriodFile::create(staging, format!("{}.csv", fs::safe_name(&p.to_string()))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let header = statement::csv_header()?;
    for f in &mut files {
        if job.bom {
            f.append(BOM)?;
        }
        f.append(&header)?;
    }
    let reps: Vec<&[Row]> = job.rows.chunk_by(|a, b| a.rep_id == b.rep_id).collect();
    let pipeline = Pipeline {
        tasks: reps.chunks(TASK).collect(),
        taken: Default::default(),
        ready: Default::default(),
        free: Default::default(),
        appender: std::sync::Mutex::new(Appender { files, next: 0 }),
        failed: Default::default(),
    };
    (0..rayon::current_num_threads())
        .into_par_iter()
        .try_for_each(|_| {
            let done = pipeline.work(job, &periods);
            if done.is_err() {
                pipeline
                    .failed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            done
        })?;
    let appender = pipeline
        .appender
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a statement writer failed"))?;
    if appender.next != pipeline.tasks.len() {
        anyhow::bail!("statements: not every rep was written");
    }
    appender.files.into_iter().map(PeriodFile::finish).collect()
}
