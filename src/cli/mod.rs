//! The command line: flags (clap derive), the one exit-code policy, and dispatch to one module per
//! subcommand.
//!
//! Exit codes: 0 success (a closed stdout pipe included); 1 the inputs or plans are invalid
//! (diagnostics printed on stderr); 2 usage, I/O or internal error. stdout carries data only;
//! messages go to stderr prefixed `payout:`.

mod accrual;
mod amortize;
mod balances;
mod capacity;
mod check;
mod close;
mod diff;
mod estimate;
mod explain;
mod forecast;
mod init;
mod insights;
mod ledger;
mod model;
mod payments;
mod payroll;
mod planning;
mod quotas;
mod run;
mod territories;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::data::{read_workspace, Inputs};
use crate::diag::{Diagnostic, InvalidInput, Severity};
use crate::period::Period;
use crate::workspace::{ExceptionLimit, Overrides, Workspace};

#[derive(Parser, Debug)]
#[command(
    name = "payout",
    version,
    about = "Incentive compensation calculator: exact, explainable, reproducible payouts from TOML plans and CSV exports"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The workspace file.
    #[arg(
        short = 'w',
        long,
        global = true,
        help_heading = "Workspace and data",
        default_value = "payout.toml",
        value_name = "FILE"
    )]
    pub workspace: PathBuf,
    /// Plan file or folder of plan files (overrides the workspace's `plans`). For `payout model`:
    /// a proposed plan set (a folder, a file, or files separated by commas), repeatable.
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "PATH",
        action = clap::ArgAction::Append
    )]
    pub plans: Vec<PathBuf>,
    /// Folder the data file names of the workspace are resolved against (replaces its `data_dir`).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "DIR"
    )]
    pub data_dir: Option<PathBuf>,
    /// Deals file (overrides the workspace).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "FILE"
    )]
    pub deals: Option<PathBuf>,
    /// Reps (roster) file (overrides the workspace).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "FILE"
    )]
    pub reps: Option<PathBuf>,
    /// Quotas file (overrides the workspace).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "FILE"
    )]
    pub quotas: Option<PathBuf>,
    /// FX rates file (overrides the workspace).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "FILE"
    )]
    pub fx: Option<PathBuf>,
    /// Adjustments file (overrides the workspace's `[adjustments]`).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "FILE"
    )]
    pub adjustments: Option<PathBuf>,
    /// Ledger file of closed periods (overrides the workspace's `ledger`).
    #[arg(
        long,
        global = true,
        help_heading = "Workspace and data",
        value_name = "FILE"
    )]
    pub ledger: Option<PathBuf>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, global = true, help_heading = "Run behaviour", value_name = "N")]
    pub threads: Option<usize>,
    /// Print no messages on stderr except errors.
    #[arg(short, long, global = true, help_heading = "Run behaviour")]
    pub quiet: bool,
    /// Send deal rows that cannot be used (unparseable, unknown rep, missing FX rate...) to
    /// exceptions.csv with their reasons, and go on.
    #[arg(long, global = true, help_heading = "Run behaviour")]
    pub lenient: bool,
    /// Fail (exit 1, after printing them) when there is any warning: `run` and `close` then write
    /// nothing, `check` fails, any other command prints no result.
    #[arg(long, global = true, help_heading = "Run behaviour")]
    pub deny_warnings: bool,
    /// With --lenient, fail (exit 1) when more deal rows than this go to the exceptions: a number
    /// of rows, or a percentage of the deals file's rows [default: the workspace's
    /// `max_exceptions`, else 1%].
    #[arg(
        long,
        global = true,
        help_heading = "Run behaviour",
        value_name = "N|N%"
    )]
    pub max_exceptions: Option<ExceptionLimit>,
    /// Print how long each phase of a run takes, and the memory it holds, on stderr.
    #[arg(long, global = true, help_heading = "Run behaviour")]
    pub timings: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the payout batch for a period: summary on stdout, files with --out.
    Run(run::RunArgs),
    /// Explain one rep's payout for a period, down to every deal, tier slice and rounding.
    Explain(explain::ExplainArgs),
    /// Validate the workspace, plans and data without writing anything.
    Check(check::CheckArgs),
    /// Close a period: record the run's payables in the ledger (append-only).
    Close(close::CloseArgs),
    /// Compare two runs' output folders (or a run and the ledger): payables and changed inputs.
    Diff(diff::DiffArgs),
    /// Start a workspace from a CRM export (`--deals EXPORT.csv`): column mapping, formats, a
    /// starter plan, roster and quota templates.
    Init(init::InitArgs),
    /// Sales performance metrics for a period: attainment, win rate, deal size, cycle, coverage,
    /// slip, lead response, velocity, productivity, incentive cost of sales.
    Insights(insights::InsightsArgs),
    /// The ledger's integrity: `verify` checks its hash chain, `seal` chains an older ledger.
    Ledger(ledger::LedgerArgs),
    /// Commission costs capitalised and amortised (ASC 340-40 / IFRS 15) through a month:
    /// schedule, journal entries and roll-forward.
    Amortize(amortize::AmortizeArgs),
    /// What each rep has outstanding: draw balances, carried negatives, held commission, closed
    /// periods' corrections waiting to be paid
    Balances(balances::BalancesArgs),
    /// Allocate a company target to reps for a year: writes the quotas file `run` reads, and how
    /// each quota was derived.
    Quotas(quotas::QuotasArgs),
    /// Balance accounts over reps by potential (and workload), keeping a share with their owner:
    /// writes the territories file `run` credits by, and the balance report.
    Territories(territories::TerritoriesArgs),
    /// The headcount a target needs, from last year's productivity, the ramp and attrition.
    Capacity(capacity::CapacityArgs),
    /// What a rep earns if hypothetical deals close: payable before and after, the lines they add
    /// or change, and how far the next tier is. Nothing is written.
    Estimate(estimate::EstimateArgs),
    /// Run the current and proposed plan sets (--plans, repeatable) on the same data: payout,
    /// cost of sales, attainment bands, who gains and loses.
    Model(model::ModelArgs),
    /// Commission expense expected from the open pipeline (weighted) on top of what is earned,
    /// by month, rep and component, with the accrual.
    Forecast(forecast::ForecastArgs),
    /// What each component has earned on its measurement period through a period's end, at the
    /// tier reached, beside what is payable of it: finance's monthly accrual.
    Accrual(accrual::AccrualArgs),
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Run the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, std::env::args().skip(1).collect()),
    };
    // A panic is a bug: report it once, as an internal error (exit 2), without a Rust backtrace.
    std::panic::set_hook(Box::new(|_| {}));
    match std::panic::catch_unwind(|| dispatch(&cli)) {
        Ok(code) => code,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            eprintln!("payout: error: internal error: {what} (a bug in payout; nothing was written to stdout after it)");
            2
        }
    }
}

/// A command line clap refused: a command's option given before the command (`payout --period
/// 2026-01 run`) is answered with the command line that works, not with clap's nearest global flag;
/// anything else as clap says it (help and version exit 0, errors 2).
fn usage_error(e: &clap::Error, args: Vec<String>) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::UnknownArgument {
        if let Some(ContextValue::String(flag)) = e.get(ContextKind::InvalidArg) {
            if let Some(fixed) = flag_after_command(flag, &args) {
                eprintln!(
                    "payout: error: {flag} belongs after the command: payout {}",
                    fixed.join(" ")
                );
                return 2;
            }
        }
    }
    let _ = e.print();
    e.exit_code()
}

/// `args` with the option `flag` (and its value) moved after the subcommand, when `flag` is an
/// option of that subcommand; `None` otherwise.
fn flag_after_command(flag: &str, args: &[String]) -> Option<Vec<String>> {
    use clap::CommandFactory;
    let cli = Cli::command();
    let name = flag.split('=').next().unwrap_or(flag);
    let at = args
        .iter()
        .position(|a| a == name || a.strip_prefix(name).is_some_and(|v| v.starts_with('=')))?;
    let (sub_at, sub) = args[at..]
        .iter()
        .enumerate()
        .find_map(|(i, a)| cli.find_subcommand(a).map(|s| (at + i, s)))?;
    let arg = sub.get_arguments().find(|a| {
        a.get_long().is_some_and(|l| format!("--{l}") == name)
            || a.get_short().is_some_and(|c| format!("-{c}") == name)
    })?;
    let takes_value = arg.get_action().takes_values() && !args[at].contains('=');
    let moved = if takes_value {
        at..(at + 2).min(sub_at)
    } else {
        at..at + 1
    };
    let mut fixed: Vec<String> = args.to_vec();
    let taken: Vec<String> = fixed.drain(moved.clone()).collect();
    let sub_at = sub_at - taken.len();
    fixed.splice(sub_at + 1..sub_at + 1, taken);
    Some(fixed)
}

/// The period a command asks for, checked against the workspace's calendar before any data is
/// read: a mistyped `--period` is a usage error at once, not after reading a large deals file.
fn check_period_first(cli: &Cli) -> anyhow::Result<()> {
    let given = match &cli.command {
        Command::Run(a) => a.period.as_deref(),
        Command::Explain(a) => a.period.as_deref(),
        Command::Check(a) => a.period.as_deref(),
        Command::Close(a) => a.period.as_deref(),
        Command::Balances(a) => a.period.as_deref(),
        Command::Estimate(a) => a.period.as_deref(),
        Command::Model(a) => a.period.as_deref(),
        Command::Forecast(a) => a.period.as_deref(),
        Command::Insights(a) => a.period.as_deref(),
        Command::Accrual(a) => a.period.as_deref(),
        _ => None,
    };
    if let Some(period) = given {
        let ws = read_workspace(&cli.global.workspace, &cli.global.overrides())?;
        resolve_period(&ws, Some(period))?;
    }
    Ok(())
}

/// Whether the command prints JSON on stdout: then a failure prints a JSON error object there too.
fn prints_json(cli: &Cli) -> bool {
    match &cli.command {
        Command::Run(a) => a.format == Format::Json,
        Command::Close(a) => a.format == Format::Json,
        Command::Diff(a) => a.format == Format::Json,
        Command::Estimate(a) => a.format == Format::Json,
        Command::Model(a) => a.format == model::ModelFormat::Json,
        Command::Forecast(a) => a.format == Format::Json,
        Command::Insights(a) => a.format == insights::InsightsFormat::Json,
        Command::Accrual(a) => a.format == Format::Json,
        Command::Balances(a) => a.format == Format::Json,
        _ => false,
    }
}

fn dispatch(cli: &Cli) -> i32 {
    if cli.global.plans.len() > 1 && !matches!(cli.command, Command::Model(_)) {
        eprintln!(
            "payout: error: --plans is given once (several plan sets are for `payout model`)"
        );
        return 2;
    }
    if let Err(e) = check_period_first(cli) {
        return report_error(&e, prints_json(cli));
    }
    if let Some(n) = cli.global.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            eprintln!("payout: error: cannot start {n} threads: {e}");
            return 2;
        }
    }
    let result = match &cli.command {
        Command::Run(a) => run::run(&cli.global, a),
        Command::Explain(a) => explain::run(&cli.global, a),
        Command::Check(a) => check::run(&cli.global, a),
        Command::Close(a) => close::run(&cli.global, a),
        Command::Diff(a) => diff::run(&cli.global, a),
        Command::Init(a) => init::run(&cli.global, a),
        Command::Ledger(a) => ledger::run(&cli.global, a),
        Command::Amortize(a) => amortize::run(&cli.global, a),
        Command::Balances(a) => balances::run(&cli.global, a),
        Command::Quotas(a) => quotas::run(&cli.global, a),
        Command::Territories(a) => territories::run(&cli.global, a),
        Command::Capacity(a) => capacity::run(&cli.global, a),
        Command::Estimate(a) => estimate::run(&cli.global, a),
        Command::Model(a) => model::run(&cli.global, a),
        Command::Forecast(a) => forecast::run(&cli.global, a),
        Command::Insights(a) => insights::run(&cli.global, a),
        Command::Accrual(a) => accrual::run(&cli.global, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => report_error(&e, prints_json(cli)),
    }
}

/// Whether the error is a closed stdout pipe, however deep the writer (csv, serde_json) wrapped it.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = |kind: io::ErrorKind| kind == io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| broken(io.kind()))
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|ce| match ce.kind() {
                    csv::ErrorKind::Io(io) => broken(io.kind()),
                    _ => false,
                })
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|je| je.io_error_kind().is_some_and(broken))
    })
}

/// Print an error on stderr (diagnostics, or `payout: error: ...` once) and, for a command that
/// prints JSON, a JSON error object on stdout; returns the exit code.
fn report_error(e: &anyhow::Error, json: bool) -> i32 {
    if is_broken_pipe(e) {
        return 0;
    }
    let refused = e.downcast_ref::<Refused>();
    let (code, message, diagnostics) = match (e.downcast_ref::<InvalidInput>(), refused) {
        // Said on stderr when it refused.
        (_, Some(r)) => (1, r.message.clone(), r.diagnostics.as_slice()),
        (Some(invalid), _) => {
            print_diagnostics(&invalid.0);
            // What the command was doing when the input turned out invalid, when it said so.
            for context in e
                .chain()
                .take_while(|c| c.downcast_ref::<InvalidInput>().is_none())
            {
                eprintln!("payout: {context}");
            }
            (1, format!("{e:#}"), invalid.0.as_slice())
        }
        (None, None) => {
            eprintln!("payout: error: {e:#}");
            (2, format!("{e:#}"), &[][..])
        }
    };
    if json {
        let _ = stdout_write(|out| {
            serde_json::to_writer_pretty(&mut *out, &JsonError::new(code, message, diagnostics))?;
            writeln!(out)?;
            Ok(())
        });
    }
    code
}

/// A command refused to go on (a guard of the run, or warnings under --deny-warnings) after
/// printing why on stderr: exit 1, and for JSON output the error object with what refused it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Refused {
    message: String,
    diagnostics: Vec<Diagnostic>,
}

/// What a command that prints JSON prints on stdout when it fails (documented in
/// docs/diagnostics.md): always these keys, `diagnostics` empty unless the input was invalid or the
/// command was refused.
#[derive(serde::Serialize)]
struct JsonError<'a> {
    error: JsonErrorBody<'a>,
}

#[derive(serde::Serialize)]
struct JsonErrorBody<'a> {
    exit_code: i32,
    message: String,
    diagnostics: &'a [Diagnostic],
}

impl<'a> JsonError<'a> {
    fn new(exit_code: i32, message: String, diagnostics: &'a [Diagnostic]) -> Self {
        JsonError {
            error: JsonErrorBody {
                exit_code,
                message,
                diagnostics,
            },
        }
    }
}

/// How many diagnostics of one code in one file are printed before the rest are counted
/// (`check --format json` lists them all).
const SHOWN_PER_CODE: usize = 10;

/// Print diagnostics on stderr, then a count.
pub(crate) fn print_diagnostics(diags: &[Diagnostic]) {
    print_diagnostic_lines(diags);
    let mut err = io::stderr().lock();
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        let _ = writeln!(
            err,
            "payout: {errors} error(s), {warnings} warning(s); nothing was computed"
        );
    }
}

/// Print diagnostics on stderr (at most [`SHOWN_PER_CODE`] per code and file, then a count).
fn print_diagnostic_lines<'a>(diags: impl IntoIterator<Item = &'a Diagnostic>) {
    let mut err = io::stderr().lock();
    let mut shown: std::collections::BTreeMap<(&str, &str), usize> =
        std::collections::BTreeMap::new();
    for d in diags {
        let n = shown.entry((d.file.as_str(), d.code)).or_default();
        *n += 1;
        if *n <= SHOWN_PER_CODE {
            let _ = writeln!(err, "{d}");
        }
    }
    for ((file, code), n) in &shown {
        if *n > SHOWN_PER_CODE {
            let _ = writeln!(
                err,
                "{file}: ... and {} more [{code}] (payout check --format json lists all)",
                n - SHOWN_PER_CODE
            );
        }
    }
}

impl Global {
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            plans: self.plans.first().cloned(),
            data_dir: self.data_dir.clone(),
            deals: self.deals.clone(),
            reps: self.reps.clone(),
            quotas: self.quotas.clone(),
            fx: self.fx.clone(),
            adjustments: self.adjustments.clone(),
            ledger: self.ledger.clone(),
            lenient: self.lenient,
            max_exceptions: self.max_exceptions,
        }
    }

    /// The guards of a computed run (`run`, `close`): no warning when they are denied, no more
    /// exceptions than the workspace's limit, and `extra` (a command's own guard). When one fails,
    /// prints why (the warnings again under -q, which silenced them) and returns [`Refused`].
    pub(crate) fn guards_pass(
        &self,
        ws: &Workspace,
        inputs: &Inputs,
        run: &crate::engine::RunResult,
        extra: impl IntoIterator<Item = Diagnostic>,
    ) -> Result<(), Refused> {
        let failed: Vec<Diagnostic> =
            crate::report::guards::check_exception_limit(ws, run, ws.max_exceptions)
                .into_iter()
                .chain(extra)
                .collect();
        self.pass_unless(
            inputs.warnings.iter().chain(&run.warnings).collect(),
            failed,
        )
    }

    /// For a command that prints what it computed and records nothing (every one but `run`,
    /// `close` and `check`): the warnings of the inputs and of its run (and its own) printed
    /// unless quiet, then whether it may print its result: [`Refused`] (and said) when
    /// --deny-warnings fails on them.
    pub(crate) fn warnings_pass(
        &self,
        inputs: &Inputs,
        run_warnings: &[Diagnostic],
    ) -> Result<(), Refused> {
        let warnings: Vec<&Diagnostic> = inputs.warnings.iter().chain(run_warnings).collect();
        if !self.quiet {
            print_diagnostic_lines(warnings.iter().copied());
        }
        self.pass_unless(warnings, Vec::new())
    }

    /// Ok when nothing `failed` and the warnings are not denied; else prints why (the warnings
    /// again under -q, which silenced them) and returns what refused the command.
    fn pass_unless(
        &self,
        warnings: Vec<&Diagnostic>,
        failed: Vec<Diagnostic>,
    ) -> Result<(), Refused> {
        let denied = self.deny_warnings && !warnings.is_empty();
        if failed.is_empty() && !denied {
            return Ok(());
        }
        match denied && self.quiet {
            true => print_diagnostic_lines(warnings.iter().copied().chain(&failed)),
            false => print_diagnostic_lines(&failed),
        }
        let mut message: Vec<String> = failed.iter().map(|d| d.message.clone()).collect();
        let mut diagnostics = failed;
        if denied {
            let denial = format!(
                "{} warning(s), and --deny-warnings fails on any",
                warnings.len()
            );
            eprintln!("payout: error: {denial}");
            message.push(denial);
            diagnostics.extend(warnings.into_iter().cloned());
        }
        Err(Refused {
            message: message.join("; "),
            diagnostics,
        })
    }

    /// Read the workspace and every input (their warnings are in `Inputs::warnings`); the deals
    /// file is hashed only when `hash_deals` (a run that is recorded: see [`Workspace::hash_deals`]).
    pub(crate) fn load(&self, hash_deals: bool) -> anyhow::Result<(Workspace, Inputs)> {
        let mut ws = read_workspace(&self.workspace, &self.overrides())?;
        ws.hash_deals = hash_deals;
        let bar = self.progress_bar("payout: reading deals {bar:30} {bytes}/{total_bytes} ({eta})");
        let inputs = crate::data::read_inputs_reporting(&ws, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        bar.finish_and_clear();
        Ok((ws, inputs?))
    }

    /// A progress bar on stderr for a long step (`template` in indicatif's syntax): drawn only on a
    /// terminal (indicatif draws nothing otherwise), never with -q. Clear it when the step ends.
    pub(crate) fn progress_bar(&self, template: &str) -> indicatif::ProgressBar {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if self.quiet {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    }

    /// Print the warnings of the inputs and of a run, unless quiet.
    pub(crate) fn warn(&self, inputs: &Inputs, run: &crate::engine::RunResult) {
        if !self.quiet {
            print_diagnostic_lines(inputs.warnings.iter().chain(&run.warnings));
        }
    }

    pub(crate) fn message(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("payout: {}", text.as_ref());
        }
    }
}

/// The period asked for, or the workspace's default.
pub(crate) fn resolve_period(ws: &Workspace, given: Option<&str>) -> anyhow::Result<Period> {
    match given {
        Some(p) => ws
            .calendar
            .parse(p)
            .map_err(|e| anyhow::anyhow!("--period: {e}")),
        None => ws.default_period.ok_or_else(|| {
            anyhow::anyhow!(
                "no period: pass --period (e.g. --period 2026-03) or set `period` in {}",
                ws.file.display()
            )
        }),
    }
}

/// Write to stdout, treating a closed pipe as success.
pub(crate) fn stdout_write(
    f: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut lock = io::BufWriter::new(stdout.lock());
    match f(&mut lock).and_then(|()| lock.flush().map_err(anyhow::Error::from)) {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// The process's memory from `/proc/self/status`, as `, RSS N MiB (anon A, file F), peak P MiB`:
/// resident now (heap and stacks, mapped file pages) and its high-water mark; `None` where the
/// system does not tell (not Linux).
pub fn memory_now() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    let mib = |key: &str| kib(key).map_or(0, |k| k / 1024);
    Some(format!(
        ", RSS {} MiB (anon {}, file {}), peak {} MiB",
        mib("VmRSS:"),
        mib("RssAnon:"),
        mib("RssFile:"),
        mib("VmHWM:")
    ))
}

/// CPU seconds (user + system, all threads) this process has used, from `/proc/self/stat`; `None`
/// where the system does not tell (not Linux). Used by `--timings` and the read benchmark.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
    let user: f64 = fields.nth(11)?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    // Clock ticks of 1/100 s, the value of USER_HZ on every Linux platform.
    Some((user + system) / 100.0)
}
