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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Mutex;

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
use crate::period::Period;
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
/// [`StatementLayout::None`]), the per-period files those `prewritten` while the run computed
/// when there are; their manifest entries.
pub fn write(
    dir: &Path,
    run_id: &str,
    layout: StatementLayout,
    job: &Job,
    prewritten: Option<Prewritten>,
) -> anyhow::Result<Vec<OutputFile>> {
    let target = dir.join("statements");
    if layout == StatementLayout::None && job.html.is_none() {
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .with_context(|| format!("cannot remove {}", target.display()))?;
        }
        return Ok(Vec::new());
    }
    let html = job.html.is_some();
    let (staging, mut outputs) = match (layout, prewritten) {
        (StatementLayout::PerPeriod, Some(p)) => (p.staging, p.outputs),
        _ => {
            let staging = fresh_staging(dir, run_id)?;
            let outputs = match layout {
                StatementLayout::PerRep => {
                    write_per_rep(&staging, job, PerRep { text: true, html })?
                }
                StatementLayout::PerPeriod => write_per_period(&staging, job)?,
                StatementLayout::None => Vec::new(),
            };
            (staging, outputs)
        }
    };
    if html && layout != StatementLayout::PerRep {
        outputs.extend(write_per_rep(&staging, job, PerRep { text: false, html })?);
    }
    fs::replace_dir(&staging, &target)?;
    Ok(outputs)
}

/// The staging folder of run `run_id`'s statements in `dir`, created empty.
fn fresh_staging(dir: &Path, run_id: &str) -> anyhow::Result<PathBuf> {
    let staging = dir.join(format!(".statements-{run_id}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create the folder {}", staging.display()))?;
    Ok(staging)
}

/// The distinct payout periods of `rows`, in order.
fn payout_periods(rows: &[Row]) -> Vec<Period> {
    let mut periods: Vec<Period> = rows.iter().map(|r| r.result.payout_period).collect();
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
                    renderer.render_lines(
                        &mut csv,
                        job.inputs,
                        &job.run.rollup_sources,
                        statement,
                        lines,
                        pay,
                    )
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

/// One task's statement lines: a buffer per payout period (by its place in the writer's periods),
/// and the periods the task has a row in.
#[derive(Default)]
struct Rendered {
    by_period: Vec<Vec<u8>>,
    seen: Vec<bool>,
}

impl Rendered {
    fn new(periods: usize) -> Rendered {
        Rendered {
            by_period: vec![Vec::new(); periods],
            seen: vec![false; periods],
        }
    }

    /// The buffer of period `i`, marked as having a row.
    fn period(&mut self, i: usize) -> &mut Vec<u8> {
        self.seen[i] = true;
        &mut self.by_period[i]
    }

    fn clear(&mut self) {
        self.by_period.iter_mut().for_each(Vec::clear);
        self.seen.iter_mut().for_each(|s| *s = false);
    }
}

/// The period files, each created (the byte-order mark when asked, the header) when the first task
/// with a row in its period is appended, and the next task to append.
struct Appender {
    staging: PathBuf,
    periods: Vec<Period>,
    /// What every period file starts with.
    start: Vec<u8>,
    files: Vec<Option<PeriodFile>>,
    next: usize,
}

impl Appender {
    fn new(staging: &Path, periods: Vec<Period>, bom: bool) -> anyhow::Result<Appender> {
        let mut start = if bom { BOM.to_vec() } else { Vec::new() };
        start.extend_from_slice(&statement::csv_header()?);
        Ok(Appender {
            staging: staging.to_path_buf(),
            files: periods.iter().map(|_| None).collect(),
            periods,
            start,
            next: 0,
        })
    }

    /// The file of period `i`, created if it is not yet.
    fn open(&mut self, i: usize) -> anyhow::Result<&mut PeriodFile> {
        let file = match self.files[i].take() {
            Some(file) => file,
            None => {
                let name = format!("{}.csv", fs::safe_name(&self.periods[i].to_string()));
                let mut file = PeriodFile::create(&self.staging, name)?;
                file.append(&self.start)?;
                file
            }
        };
        Ok(self.files[i].insert(file))
    }

    fn append(&mut self, task: &Rendered) -> anyhow::Result<()> {
        for (i, (bytes, &seen)) in task.by_period.iter().zip(&task.seen).enumerate() {
            if seen || !bytes.is_empty() {
                self.open(i)?.append(bytes)?;
            }
        }
        self.next += 1;
        Ok(())
    }

    /// The files written, in period order.
    fn finish(self) -> anyhow::Result<Vec<OutputFile>> {
        self.files
            .into_iter()
            .flatten()
            .map(PeriodFile::finish)
            .collect()
    }
}

/// Tasks rendered in parallel and appended to the period files strictly in task order by whichever
/// worker finds the next one ready (the others keep rendering meanwhile).
struct InOrder {
    /// Rendered tasks not yet appended, by task number.
    ready: Mutex<BTreeMap<usize, Rendered>>,
    /// Buffer sets appended, to be reused (growing a fresh set each time cost a copy of every byte
    /// and many large allocations).
    free: Mutex<Vec<Rendered>>,
    appender: Mutex<Appender>,
    /// Set on the first error: the workers stop.
    failed: AtomicBool,
}

impl InOrder {
    fn new(appender: Appender) -> InOrder {
        InOrder {
            ready: Default::default(),
            free: Default::default(),
            appender: Mutex::new(appender),
            failed: Default::default(),
        }
    }

    fn failed(&self) -> bool {
        self.failed.load(Relaxed)
    }

    fn fail(&self) {
        self.failed.store(true, Relaxed);
    }

    /// A buffer set to render a task into: one appended before, else a new one.
    fn buffers(&self, periods: usize) -> Rendered {
        let reused = self.free.lock().ok().and_then(|mut f| f.pop());
        reused.unwrap_or_else(|| Rendered::new(periods))
    }

    /// Task `task` is rendered: append it and what follows it, if it comes next.
    fn put(&self, task: usize, rendered: Rendered, done: &dyn Fn(usize)) -> anyhow::Result<()> {
        if let Ok(mut ready) = self.ready.lock() {
            ready.insert(task, rendered);
        }
        self.append_ready(done)
    }

    /// Append every ready task that comes next, if no other worker is appending; again while a
    /// task became ready just as the appending worker stopped looking. `done(tasks appended)`.
    fn append_ready(&self, done: &dyn Fn(usize)) -> anyhow::Result<()> {
        loop {
            let Ok(mut a) = self.appender.try_lock() else {
                return Ok(());
            };
            while let Some(rendered) = self.take_ready(a.next) {
                a.append(&rendered)?;
                self.recycle(rendered);
                done(a.next);
            }
            let next = a.next;
            drop(a);
            if !self.is_ready(next) {
                return Ok(());
            }
        }
    }

    /// While too many rendered tasks wait for one still being rendered: append what can be, and
    /// let the other workers run.
    fn hold_back(&self, done: &dyn Fn(usize)) -> anyhow::Result<()> {
        while self.backlog() > BACKLOG && !self.failed() {
            self.append_ready(done)?;
            std::thread::yield_now();
        }
        Ok(())
    }

    fn take_ready(&self, task: usize) -> Option<Rendered> {
        self.ready.lock().ok()?.remove(&task)
    }

    fn is_ready(&self, task: usize) -> bool {
        self.ready.lock().is_ok_and(|r| r.contains_key(&task))
    }

    fn backlog(&self) -> usize {
        self.ready.lock().map_or(0, |r| r.len())
    }

    fn recycle(&self, mut rendered: Rendered) {
        rendered.clear();
        if let Ok(mut free) = self.free.lock() {
            free.push(rendered);
        }
    }

    /// The appender, once every worker is done.
    fn into_appender(self) -> anyhow::Result<Appender> {
        self.appender
            .into_inner()
            .map_err(|_| anyhow::anyhow!("a statement writer failed"))
    }
}

/// The workers of [`write_per_period`]: tasks of reps taken in order, rendered in parallel with
/// their lines from the job, appended in order.
struct Pipeline<'a> {
    tasks: Vec<&'a [&'a [Row<'a>]]>,
    taken: AtomicUsize,
    periods: &'a [Period],
    in_order: InOrder,
}

impl Pipeline<'_> {
    /// One worker: take the next task, render it, hand it to the appender, until none is left.
    fn work(&self, job: &Job) -> anyhow::Result<()> {
        let reps = job.rows.chunk_by(|a, b| a.rep_id == b.rep_id).count() as u64;
        let done = |tasks: usize| (job.progress)((tasks * TASK).min(reps as usize) as u64, reps);
        let mut renderer = Renderer::default();
        while !self.in_order.failed() {
            self.in_order.hold_back(&done)?;
            let i = self.taken.fetch_add(1, Relaxed);
            let Some(&task) = self.tasks.get(i) else {
                break;
            };
            let mut rendered = self.in_order.buffers(self.periods.len());
            for &rows in task {
                each_statement(job, rows, |statement, lines| {
                    let p = statement[0].result.payout_period;
                    let i = self.periods.binary_search(&p).unwrap_or_default();
                    renderer.render_lines(
                        rendered.period(i),
                        job.inputs,
                        &job.run.rollup_sources,
                        statement,
                        lines,
                        job.pay.of(statement),
                    )
                })?;
            }
            self.in_order.put(i, rendered, &done)?;
        }
        // The last worker out appends what is left.
        self.in_order.append_ready(&done)
    }
}

/// Per period: `statements/<period>.csv`, the header once, then every rep's lines in rep order.
/// Each worker renders a task of reps at a time into one buffer per period; the tasks' buffers are
/// appended to the period files (and their hashes) in task order by whichever worker finds the next
/// one rendered, while the others render on: no worker waits for another between tasks.
fn write_per_period(staging: &Path, job: &Job) -> anyhow::Result<Vec<OutputFile>> {
    let periods = payout_periods(job.rows);
    let mut appender = Appender::new(staging, periods.clone(), job.bom)?;
    for i in 0..periods.len() {
        appender.open(i)?;
    }
    let reps: Vec<&[Row]> = job.rows.chunk_by(|a, b| a.rep_id == b.rep_id).collect();
    let pipeline = Pipeline {
        tasks: reps.chunks(TASK).collect(),
        taken: Default::default(),
        periods: &periods,
        in_order: InOrder::new(appender),
    };
    (0..rayon::current_num_threads())
        .into_par_iter()
        .try_for_each(|_| {
            let done = pipeline.work(job);
            if done.is_err() {
                pipeline.in_order.fail();
            }
            done
        })?;
    let appender = pipeline.in_order.into_appender()?;
    if appender.next != pipeline.tasks.len() {
        anyhow::bail!("statements: not every rep was written");
    }
    appender.finish()
}

/// The per-period statement files written while the run computes (see
/// [`crate::engine::Stream`]): each task of reps the engine hands over is rendered from the lines
/// it computed and appended in task order, so no rep is computed twice. The lines the payment step
/// adds later are not known yet: [`Streamed::finish`] keeps the files only when that step added
/// none (nor pay-currency lines, nor closed periods); otherwise the statements are written as
/// usual. The staging folder is removed unless kept.
pub struct Streamed<'a> {
    inputs: &'a Inputs,
    staging: Staging,
    /// Every rep of the roster, in the order of the summary's rows (by id).
    order: Vec<u32>,
    /// Every payout period the run can have a row in, in order.
    periods: Vec<Period>,
    in_order: InOrder,
    /// The tasks being rendered (one per worker).
    open: Mutex<Vec<Open>>,
    /// Renderers not in use.
    renderers: Mutex<Vec<Renderer>>,
    /// Rows rendered.
    rows: AtomicUsize,
}

/// A task of [`Streamed`] being rendered, rep after rep: its buffers and its renderer.
struct Open {
    task: usize,
    rendered: Rendered,
    renderer: Renderer,
}

/// The value behind a mutex, even if a thread panicked holding it (the statements are then
/// dropped: see [`Streamed::finish`]).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Statement files written while the run computed, kept for the output folder: the staging folder
/// that holds them, and their manifest entries.
pub struct Prewritten {
    staging: PathBuf,
    outputs: Vec<OutputFile>,
}

impl<'a> Streamed<'a> {
    /// Start the staging folder of run `run_id`'s statements in `dir`, for a run of `period`.
    pub fn new(
        dir: &Path,
        run_id: &str,
        inputs: &'a Inputs,
        period: Period,
        bom: bool,
    ) -> anyhow::Result<Streamed<'a>> {
        let staging = Staging(Some(fresh_staging(dir, run_id)?));
        let mut order: Vec<u32> = (0..inputs.roster.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| inputs.roster.get(a).id.cmp(&inputs.roster.get(b).id));
        let mut periods: Vec<Period> = inputs
            .plans
            .iter()
            .flat_map(|p| &p.components)
            .flat_map(|c| period.periods_ending_in(c.payout_period))
            .collect();
        periods.sort_unstable();
        periods.dedup();
        let appender = Appender::new(staging.path(), periods.clone(), bom)?;
        Ok(Streamed {
            inputs,
            staging,
            order,
            periods,
            in_order: InOrder::new(appender),
            open: Default::default(),
            renderers: Default::default(),
            rows: Default::default(),
        })
    }

    /// `f` with the stream the engine hands the reps to.
    pub fn with_stream<R>(&self, f: impl FnOnce(&crate::engine::Stream) -> R) -> R {
        let rep = |task: usize,
                   results: &[crate::engine::RepResult],
                   sources: &statement::RollupSources| {
            if self.take(task, results, sources).is_err() {
                self.in_order.fail();
            }
        };
        let done = |task: usize| {
            if self.end(task).is_err() {
                self.in_order.fail();
            }
        };
        f(&crate::engine::Stream {
            order: &self.order,
            task: TASK,
            rep: &rep,
            done: &done,
        })
    }

    /// Render one rep of task `task` (its `results`, with lines) into the task's buffers.
    fn take(
        &self,
        task: usize,
        results: &[crate::engine::RepResult],
        sources: &statement::RollupSources,
    ) -> anyhow::Result<()> {
        if self.in_order.failed() {
            return Ok(());
        }
        let mut open = self.open(task);
        let rows = super::summary::rows_of(self.inputs, results);
        self.rows.fetch_add(rows.len(), Relaxed);
        let mut lines = Vec::new();
        let rendered = (|| {
            for statement in rows.chunk_by(|a, b| a.result.payout_period == b.result.payout_period)
            {
                let p = statement[0].result.payout_period;
                let Ok(i) = self.periods.binary_search(&p) else {
                    anyhow::bail!("statements: payout period {p} not foreseen");
                };
                lines.clear();
                for r in statement {
                    let block = statement::BlockLines([r.result.lines(), &[]]);
                    if block.sum() != r.result.payable {
                        anyhow::bail!("statements: lines do not sum to the payable");
                    }
                    lines.push(block);
                }
                let out = open.rendered.period(i);
                open.renderer
                    .render_lines(out, self.inputs, sources, statement, &lines, &[])?;
            }
            Ok(())
        })();
        lock(&self.open).push(open);
        rendered
    }

    /// Task `task` as rendered so far: its buffers and a renderer.
    fn open(&self, task: usize) -> Open {
        let mut open = lock(&self.open);
        if let Some(i) = open.iter().position(|t| t.task == task) {
            return open.swap_remove(i);
        }
        drop(open);
        Open {
            task,
            rendered: self.in_order.buffers(self.periods.len()),
            renderer: lock(&self.renderers).pop().unwrap_or_default(),
        }
    }

    /// Task `task` is rendered: append it, and what follows it, when it comes next.
    fn end(&self, task: usize) -> anyhow::Result<()> {
        let open = {
            let mut open = lock(&self.open);
            let i = open.iter().position(|t| t.task == task);
            i.map(|i| open.swap_remove(i))
        };
        let rendered = match open {
            Some(open) => {
                lock(&self.renderers).push(open.renderer);
                open.rendered
            }
            None => self.in_order.buffers(self.periods.len()),
        };
        self.in_order.put(task, rendered, &|_| {})?;
        self.in_order.hold_back(&|_| {})
    }

    /// The files, when they are the statements of the settled run's `rows` (with its conversions
    /// `pay`): every rep was rendered, and the payment step added no line, closed no period and
    /// converted nothing; else `None`, the staging folder removed.
    pub fn finish(self, rows: &[Row], pay: &super::pay::PayLines) -> Option<Prewritten> {
        let failed = self.in_order.failed();
        let appender = self.in_order.into_appender().ok()?;
        let written: Vec<Period> = (appender.periods.iter().zip(&appender.files))
            .filter(|(_, file)| file.is_some())
            .map(|(p, _)| *p)
            .collect();
        let complete = !failed
            && appender.next == self.order.len().div_ceil(TASK)
            && self.rows.load(Relaxed) == rows.len()
            && written == payout_periods(rows)
            && pay.is_empty()
            && rows
                .iter()
                .all(|r| r.result.lines().is_empty() && !r.closed);
        if !complete {
            return None;
        }
        let outputs = appender.finish().ok()?;
        Some(Prewritten {
            staging: self.staging.keep(),
            outputs,
        })
    }
}

/// A staging folder, removed when dropped unless kept.
struct Staging(Option<PathBuf>);

impl Staging {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) -> PathBuf {
        self.0.take().unwrap_or_default()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}
