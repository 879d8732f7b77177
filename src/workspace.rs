//! The workspace file (`payout.toml`): where plans and data live, column mappings, formats, currency,
//! rounding and the fiscal calendar.
//!
//! Invariants: unknown or mistyped keys are errors naming file, line and column; relative paths are
//! resolved against the workspace file's folder (data paths against `--data-dir` when given); the
//! validated [`Workspace`] is complete, so nothing downstream re-reads settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::date_format::{check_format, DateFormats};
use crate::diag::{Diagnostics, InvalidInput};
use crate::money::{NumberFormat, Rounding};
use crate::period::{Calendar, Period};
use crate::plan::parse::RawRounding;
use crate::schema::{ColumnType, FileInfo, LEDGER_OPTIONAL_COLUMNS};
use crate::toml_src::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkspace {
    currency: Option<Spanned<String>>,
    fiscal_year_start: Option<Spanned<u32>>,
    period: Option<Spanned<String>>,
    data_dir: Option<String>,
    plans: Spanned<RawPlans>,
    rounding: Option<RawRounding>,
    deals: RawInput,
    reps: RawInput,
    quotas: Option<RawInput>,
    fx: Option<RawInput>,
    // Closing periods: the manual adjustments file and the ledger of closed periods.
    adjustments: Option<RawInput>,
    ledger: Option<Spanned<String>>,
    credits: Option<RawInput>,
    assignments: Option<RawInput>,
    territories: Option<RawInput>,
    max_exceptions: Option<Spanned<RawLimit>>,
    accounting: Option<Spanned<crate::finance_settings::AccountingSettings>>,
    payroll: Option<Spanned<crate::finance_settings::PayrollSettings>>,
    forecast: Option<RawForecast>,
    #[serde(default)]
    outputs: Outputs,
    #[serde(default)]
    pay_currency: PayCurrency,
    // Insights: stage categories, definitions, pipeline snapshots and leads.
    #[serde(default)]
    stages: BTreeMap<String, Spanned<RawStage>>,
    insights: Option<RawInsights>,
    snapshots: Option<RawSnapshots>,
    leads: Option<RawInput>,
}

/// A stage's category: `"won"`, or `{ category = "open", probability = "40%" }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawStage {
    Category(String),
    Open {
        category: String,
        probability: Option<String>,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInsights {
    #[serde(default)]
    no_decision_as_lost: bool,
    #[serde(default)]
    stale_as_lost: bool,
    #[serde(default)]
    cycle_includes_lost: bool,
    #[serde(default)]
    coverage_whole_quota: bool,
    /// `calendar` (default) or `business_hours` (with `working_hours`).
    lead_response: Option<Spanned<String>>,
    working_hours: Option<Spanned<RawWorkingHours>>,
}

/// `[insights.working_hours]`: the working calendar of business-hours lead response.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkingHours {
    days: Option<Vec<String>>,
    hours: String,
    #[serde(default)]
    holidays: Vec<String>,
}

/// Pipeline snapshots: files read with the deals file's mapping.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnapshots {
    files: Vec<String>,
}

/// `[forecast]`: how `payout forecast` weights open deals.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForecast {
    weighting: Option<Spanned<String>>,
    won: Option<String>,
    lost: Option<Vec<String>>,
    #[serde(default)]
    stages: BTreeMap<String, Spanned<String>>,
}

/// How `payout forecast` weights an open deal (`[forecast]`, see docs/what-if.md). What it leaves
/// out comes from `[stages]` (see [`crate::scenario::forecast::StageRules`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forecast {
    /// By the stage's probability, or by the owner's historical win rate.
    pub by_win_rate: bool,
    /// The stage of a won deal, when given.
    pub won: Option<String>,
    /// The stages of lost deals, when given.
    pub lost: Option<Vec<String>>,
    /// Probability (0 to 1) of each open stage given here (over `[stages]`' probabilities).
    pub stages: BTreeMap<String, rust_decimal::Decimal>,
}

/// `[forecast]`, each value checked (`workspace-value-invalid`).
fn parse_forecast(src: &Source, raw: &RawForecast, diags: &mut Diagnostics) -> Forecast {
    let mut f = Forecast::default();
    if let Some(w) = &raw.weighting {
        match w.get_ref().as_str() {
            "stage" => {}
            "win-rate" => f.by_win_rate = true,
            other => diags.push(
                src.error(
                    "workspace-value-invalid",
                    w.span(),
                    format!("forecast weighting `{other}`"),
                )
                .hint("write weighting = \"stage\" or weighting = \"win-rate\""),
            ),
        }
    }
    f.won = raw.won.clone();
    f.lost = raw.lost.clone();
    for (stage, p) in &raw.stages {
        match crate::money::parse_ratio(p.get_ref())
            .filter(|p| *p >= rust_decimal::Decimal::ZERO && *p <= rust_decimal::Decimal::ONE)
        {
            Some(p) => {
                f.stages.insert(stage.clone(), p);
            }
            None => diags.push(
                src.error(
                    "workspace-value-invalid",
                    p.span(),
                    format!("forecast probability of `{stage}`: `{}`", p.get_ref()),
                )
                .hint("write a probability from 0% to 100%, e.g. \"40%\""),
            ),
        }
    }
    f
}

/// `max_exceptions = 5` or `max_exceptions = "1%"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawLimit {
    Rows(i64),
    Text(String),
}

/// How many deal rows a lenient run may send to the exceptions before it fails: a number of rows or
/// a percentage of the deals file's data rows (`max_exceptions` in the workspace, `--max-exceptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionLimit {
    Rows(u64),
    Percent(rust_decimal::Decimal),
}

impl Default for ExceptionLimit {
    /// 1%: a run whose rows mostly go to the exceptions cannot pass unnoticed.
    fn default() -> Self {
        ExceptionLimit::Percent(rust_decimal::Decimal::ONE)
    }
}

impl std::str::FromStr for ExceptionLimit {
    type Err = String;
    /// `12` (rows) or `2.5%` (of the deals file's data rows, 0–100).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("{s:?} is not a number of rows (e.g. 10) or a percentage (e.g. 1%)");
        match s.strip_suffix('%') {
            Some(p) => {
                let p = rust_decimal::Decimal::from_str_exact(p.trim()).map_err(|_| bad())?;
                if p.is_sign_negative() || p > rust_decimal::Decimal::ONE_HUNDRED {
                    return Err(format!("{s:?}: a percentage is between 0% and 100%"));
                }
                Ok(ExceptionLimit::Percent(p))
            }
            None => s.parse().map(ExceptionLimit::Rows).map_err(|_| bad()),
        }
    }
}

impl std::fmt::Display for ExceptionLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExceptionLimit::Rows(n) => write!(f, "{n}"),
            ExceptionLimit::Percent(p) => write!(f, "{}%", p.normalize()),
        }
    }
}

impl ExceptionLimit {
    /// The most exception rows allowed among `rows` data rows (a percentage rounds down).
    pub fn rows_allowed(self, rows: u64) -> u64 {
        match self {
            ExceptionLimit::Rows(n) => n,
            ExceptionLimit::Percent(p) => {
                let allowed =
                    p * rust_decimal::Decimal::from(rows) / rust_decimal::Decimal::ONE_HUNDRED;
                u64::try_from(allowed.floor()).unwrap_or(rows)
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPlans {
    Dir(String),
    Files(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    file: Spanned<String>,
    #[serde(default)]
    columns: BTreeMap<String, Spanned<String>>,
    date_format: Option<Spanned<RawDateFormat>>,
    number_format: Option<RawNumberFormat>,
    delimiter: Option<Spanned<String>>,
    #[serde(default)]
    types: BTreeMap<String, Spanned<String>>,
    encoding: Option<Spanned<String>>,
}

/// `date_format = "%Y-%m-%d"`, or a list of formats tried in order.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawDateFormat {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumberFormat {
    decimal_separator: Option<char>,
    thousands_separator: Option<char>,
    #[serde(default)]
    strip: Vec<String>,
}

/// A file's `date_format`: each format must read a whole date (`workspace-date-format-invalid`
/// otherwise, and the file falls back to ISO dates so the other problems are still reported).
fn parse_date_formats(
    raw: &RawDateFormat,
    span: std::ops::Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> DateFormats {
    let formats = match raw {
        RawDateFormat::One(f) => vec![f.clone()],
        RawDateFormat::Many(fs) => fs.clone(),
    };
    let mut ok = !formats.is_empty();
    if formats.is_empty() {
        diags.push(
            src.error(
                "workspace-date-format-invalid",
                span.clone(),
                "the list of date formats is empty",
            )
            .hint(
                "give one format, e.g. \"%Y-%m-%d\", or several, e.g. [\"%Y-%m-%d\", \"%m/%d/%Y\"]",
            ),
        );
    }
    for f in &formats {
        if let Err(e) = check_format(f) {
            ok = false;
            diags.push(
                src.error("workspace-date-format-invalid", span.clone(), e)
                    .value(f.clone())
                    .hint("a date format needs a year, a month and a day, e.g. %Y-%m-%d, %m/%d/%Y or %Y-%m-%d %H:%M"),
            );
        }
    }
    ok.then(|| DateFormats::new(formats))
        .flatten()
        .unwrap_or_default()
}

/// Which input file a spec describes; fixes its canonical columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Deals,
    Reps,
    Quotas,
    Fx,
    Adjustments,
    Ledger,
    Credits,
    Assignments,
    Territories,
    /// The accounts file the planning commands read (never a workspace section).
    Accounts,
    Leads,
}

impl InputKind {
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Deals => "deals",
            InputKind::Reps => "reps",
            InputKind::Quotas => "quotas",
            InputKind::Fx => "fx",
            InputKind::Adjustments => "adjustments",
            InputKind::Ledger => "ledger",
            InputKind::Credits => "credits",
            InputKind::Assignments => "assignments",
            InputKind::Territories => "territories",
            InputKind::Accounts => "accounts",
            InputKind::Leads => "leads",
        }
    }

    /// Required canonical columns, then optional ones (spec/data.md).
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            InputKind::Deals => (
                &["deal_id", "rep_id", "amount", "close_date"],
                &[
                    "currency",
                    "stage",
                    "type",
                    "product",
                    "territory",
                    "account_id",
                    "segment",
                    "quantity",
                    "margin",
                    "cancel_date",
                    "cancelled_amount",
                    "paid_date",
                    "created_date",
                    "deal_name",
                ],
            ),
            InputKind::Reps => (
                &["rep_id", "name", "plan"],
                &[
                    "email",
                    "manager_id",
                    "team",
                    "territory",
                    "start_date",
                    "end_date",
                    "target_incentive",
                    "currency",
                ],
            ),
            InputKind::Quotas => (&["rep_id", "period", "amount"], &["measure"]),
            InputKind::Fx => (&["currency", "date", "rate"], &["bid", "ask"]),
            InputKind::Adjustments => (
                &["rep_id", "period", "amount", "reason"],
                &["component", "approved_by", "note"],
            ),
            InputKind::Ledger => (
                &[
                    "rep_id",
                    "period",
                    "component",
                    "amount",
                    "closed_at",
                    "run_id",
                ],
                &LEDGER_OPTIONAL_COLUMNS,
            ),
            InputKind::Credits => (&["deal_id", "rep_id", "share"], &["kind"]),
            InputKind::Assignments => (&["rep_id", "plan", "from"], &["to", "target_incentive"]),
            InputKind::Territories => (&["territory", "rep_id", "from"], &["to"]),
            InputKind::Accounts => (
                &["account_id", "potential"],
                &["workload", "region", "segment", "owner", "locked"],
            ),
            InputKind::Leads => (
                &["lead_id", "rep_id", "created", "first_response"],
                &["source"],
            ),
        }
    }
}

/// How to read one CSV input.
#[derive(Debug, Clone)]
pub struct InputSpec {
    pub kind: InputKind,
    pub path: PathBuf,
    /// How outputs that leave the machine (statements) name the file: its path inside the data
    /// folder (`deals.csv`), the same wherever the run was started from; the path as given for a
    /// file outside it.
    pub name: String,
    /// canonical name → header in the file (unmapped canonical names are expected verbatim).
    pub columns: BTreeMap<String, String>,
    pub date_format: DateFormats,
    pub number_format: NumberFormat,
    /// The byte between fields: `,` unless the workspace names another (`;`, a tab, `|`).
    pub delimiter: u8,
    /// Types of extra columns (canonical ones have fixed types).
    pub types: BTreeMap<String, ColumnType>,
    /// The file's text encoding when it is not UTF-8 (`encoding = "windows-1252"`).
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl InputSpec {
    /// A file read with the defaults: canonical headers, ISO dates, plain numbers, commas, UTF-8.
    pub fn plain(kind: InputKind, path: PathBuf, name: String) -> InputSpec {
        InputSpec {
            kind,
            path,
            name,
            columns: BTreeMap::new(),
            date_format: DateFormats::default(),
            number_format: NumberFormat::default(),
            delimiter: b',',
            types: BTreeMap::new(),
            encoding: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub file: PathBuf,
    /// Unusable deal rows go to exceptions instead of stopping the run (`--lenient`).
    pub lenient: bool,
    /// Whether the deals file's SHA-256 is computed while it is read: needed when the run is
    /// recorded (manifest, ledger, JSON summary); the other input files are small and always hashed.
    pub hash_deals: bool,
    /// The workspace file's hash and size, for the manifest.
    pub info: Option<FileInfo>,
    pub currency: String,
    pub calendar: Calendar,
    pub default_period: Option<Period>,
    pub rounding: Rounding,
    pub plan_source: PlanSource,
    pub deals: InputSpec,
    pub reps: InputSpec,
    pub quotas: Option<InputSpec>,
    pub fx: Option<InputSpec>,
    /// Manual adjustments (`[adjustments]`), paid as their own statement lines.
    pub adjustments: Option<InputSpec>,
    /// The ledger of closed periods (`ledger`, default `ledger.csv` beside the workspace file).
    pub ledger: PathBuf,
    /// Split and overlay credits (deal_id, rep_id, share, kind).
    pub credits: Option<InputSpec>,
    /// Plan history (rep_id, plan, from, to, target_incentive).
    pub assignments: Option<InputSpec>,
    /// Territory holders over time (territory, rep_id, from, to).
    pub territories: Option<InputSpec>,
    /// The most deal rows a lenient run may send to the exceptions (`--max-exceptions` replaces it).
    pub max_exceptions: ExceptionLimit,
    /// `[accounting]`: capitalisation and amortisation of commissions.
    pub accounting: Option<crate::finance_settings::AccountingSettings>,
    /// `[payroll]`: the payroll import file's layout.
    pub payroll: Option<crate::finance_settings::PayrollSettings>,
    /// How `payout forecast` weights open deals (`[forecast]`).
    pub forecast: Forecast,
    /// How `run --out` writes its files (`[outputs]`; flags of `run` replace each setting).
    pub outputs: Outputs,
    /// Which rate converts a rep's payable into their pay currency (`[pay_currency]`).
    pub pay_currency: PayCurrency,
    /// Stage value → category (`[stages]`); empty when the workspace maps none.
    pub stages: crate::stages::Stages,
    /// The definitions `[insights]` chooses.
    pub insights: crate::stages::InsightSettings,
    /// Lead response in business hours: the working calendar (`None`: calendar time).
    pub working_hours: Option<crate::stages::WorkingHours>,
    /// Pipeline snapshots, read with the deals file's mapping (`[snapshots] files`).
    pub snapshots: Vec<InputSpec>,
    /// Leads (lead_id, rep_id, created, first_response, source).
    pub leads: Option<InputSpec>,
}

/// `[pay_currency]`: the date whose FX rate converts the payable of a rep paid in another currency
/// than the plan's (the roster's `currency`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayCurrency {
    #[serde(default)]
    pub rate_date: RateDate,
    /// With `rate_date = "pay-date"`: pay is made this many days after the payout period's end.
    #[serde(default)]
    pub pay_days_after: u16,
}

/// The rate of a pay conversion: in force on the payout period's last day, on the pay date, or the
/// average of the rates in force on each day of the payout period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateDate {
    #[default]
    PeriodEnd,
    PayDate,
    Average,
}

/// `[outputs]`: the statement layout, a byte-order mark on CSV files, an .xlsx workbook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    #[serde(default)]
    pub statements: StatementLayout,
    /// CSV files start with a UTF-8 byte-order mark (for Excel on Windows).
    #[serde(default)]
    pub csv_bom: bool,
    /// Also write `workbook.xlsx` (payouts, reconciliation, statement lines).
    #[serde(default)]
    pub xlsx: bool,
    /// Also write an HTML statement per rep and payout period (`statements/<period>/<rep>.html`).
    #[serde(default)]
    pub statements_html: bool,
}

/// How statements are written: a CSV and a Markdown file per rep and payout period (`per-rep`), one
/// CSV per payout period with every rep's lines (`per-period`), or none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum StatementLayout {
    #[default]
    PerRep,
    PerPeriod,
    None,
}

/// Where plan files come from: every `*.toml` in a folder, or a list of files.
#[derive(Debug, Clone)]
pub enum PlanSource {
    Dir(PathBuf),
    Files(Vec<PathBuf>),
}

/// Command-line overrides of the workspace.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub plans: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub deals: Option<PathBuf>,
    pub reps: Option<PathBuf>,
    pub quotas: Option<PathBuf>,
    pub fx: Option<PathBuf>,
    pub adjustments: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    /// Send unusable deal rows to exceptions instead of stopping.
    pub lenient: bool,
    pub max_exceptions: Option<ExceptionLimit>,
}

/// Remove `.` and `dir/..` from a path without touching the file system, so the paths shown in
/// diagnostics and the manifest read `tests/fixtures/x.csv`, not `benches/w/../../tests/fixtures/x.csv`.
/// `path` inside `folder` (`deals.csv`, `2026/deals.csv`), or as given when it is elsewhere.
/// The byte a `delimiter` key names: one ASCII character other than a quote, a letter, a digit,
/// a space or a line break.
fn delimiter(text: &str) -> Option<u8> {
    match text.as_bytes() {
        &[b] if b == b'\t' || (b.is_ascii_punctuation() && b != b'"') => Some(b),
        _ => None,
    }
}

pub fn name_in(folder: &Path, path: &Path) -> String {
    let folder = normalize(folder);
    let name = match folder == Path::new(".") && path.is_relative() {
        true => path,
        false => path.strip_prefix(&folder).unwrap_or(path),
    };
    name.display().to_string()
}

pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Parse the workspace text; `file` is its path (relative paths resolve against its folder).
pub fn parse_workspace(
    file: &Path,
    text: &str,
    overrides: &Overrides,
) -> Result<Workspace, InvalidInput> {
    let name = file.display().to_string();
    let src = Source::new(&name, text);
    let raw: RawWorkspace = src
        .deserialize("workspace-syntax")
        .map_err(|d| InvalidInput(vec![d]))?;
    let mut diags = Diagnostics::new();
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let data_base = overrides
        .data_dir
        .clone()
        .unwrap_or_else(|| match &raw.data_dir {
            Some(d) => normalize(&base.join(d)),
            None => base.clone(),
        });

    let calendar = match &raw.fiscal_year_start {
        Some(m) if !(1..=12).contains(m.get_ref()) => {
            diags.push(src.error(
                "workspace-value-invalid",
                m.span(),
                "fiscal_year_start must be a month number 1-12",
            ));
            Calendar::default()
        }
        Some(m) => Calendar {
            fiscal_year_start: *m.get_ref(),
        },
        None => Calendar::default(),
    };
    let default_period = raw
        .period
        .as_ref()
        .and_then(|p| match calendar.parse(p.get_ref()) {
            Ok(period) => Some(period),
            Err(e) => {
                diags.push(src.error("workspace-period-invalid", p.span(), e));
                None
            }
        });
    let currency = raw
        .currency
        .as_ref()
        .map_or("USD".to_string(), |c| c.get_ref().trim().to_string());
    let rounding = raw.rounding.as_ref().map_or(Rounding::default(), |r| {
        r.resolve(&src, Rounding::default(), &mut diags)
    });
    let plan_source = match &overrides.plans {
        Some(p) if p.is_dir() => PlanSource::Dir(p.clone()),
        Some(p) => PlanSource::Files(vec![p.clone()]),
        None => match raw.plans.get_ref() {
            RawPlans::Dir(d) => PlanSource::Dir(normalize(&base.join(d))),
            RawPlans::Files(fs) => {
                PlanSource::Files(fs.iter().map(|f| normalize(&base.join(f))).collect())
            }
        },
    };

    let mut input = |raw: &RawInput, kind: InputKind, over: &Option<PathBuf>| -> InputSpec {
        let (required, optional) = kind.columns();
        let mut columns = BTreeMap::new();
        for (canonical, header) in &raw.columns {
            if !required.contains(&canonical.as_str()) && !optional.contains(&canonical.as_str()) {
                let mut known: Vec<&str> = required.to_vec();
                known.extend_from_slice(optional);
                diags.push(
                    src.error(
                        "workspace-column-unknown",
                        header.span(),
                        format!(
                            "`{canonical}` is not a canonical column of the {} file",
                            kind.name()
                        ),
                    )
                    .hint(format!(
                        "map one of: {} (other columns are kept under their own header)",
                        known.join(", ")
                    )),
                );
            }
            columns.insert(canonical.clone(), header.get_ref().clone());
        }
        let mut types = BTreeMap::new();
        for (column, ty) in &raw.types {
            if kind != InputKind::Deals {
                diags.push(src.error("workspace-types-unsupported", ty.span(), format!(
                    "the {} file's columns have fixed types; `types` applies to extra columns of the deals file",
                    kind.name()
                )));
                continue;
            }
            if required.contains(&column.as_str()) || optional.contains(&column.as_str()) {
                diags.push(src.error("workspace-type-canonical", ty.span(), format!(
                    "`{column}` is a canonical column with a fixed type; `types` applies to extra columns"
                )));
                continue;
            }
            match ty.get_ref().parse::<ColumnType>() {
                Ok(t) => {
                    types.insert(column.clone(), t);
                }
                Err(()) => diags.push(
                    src.error(
                        "workspace-type-unknown",
                        ty.span(),
                        format!("unknown type for column `{column}`"),
                    )
                    .value(ty.get_ref().clone())
                    .hint("use text, decimal, money or date"),
                ),
            }
        }
        let number_format = raw
            .number_format
            .as_ref()
            .map_or(NumberFormat::default(), |n| NumberFormat {
                decimal_separator: n.decimal_separator.unwrap_or('.'),
                thousands_separator: n.thousands_separator,
                strip: n.strip.clone(),
            });
        let date_format = raw
            .date_format
            .as_ref()
            .map_or_else(DateFormats::default, |f| {
                parse_date_formats(f.get_ref(), f.span(), &src, &mut diags)
            });
        let delimiter = match &raw.delimiter {
            None => b',',
            Some(d) => delimiter(d.get_ref()).unwrap_or_else(|| {
                diags.push(
                    src.error(
                        "workspace-delimiter-invalid",
                        d.span(),
                        "a delimiter is one character that is not a quote, a letter, a digit, a space or a line break",
                    )
                    .value(d.get_ref().clone())
                    .hint("use \",\" (the default), \";\", \"\\t\" (a tab) or \"|\""),
                );
                b','
            }),
        };
        // A WHATWG label (`windows-1252`, `latin1`, `shift_jis`...); UTF-8 is the default, `None`.
        let encoding = raw.encoding.as_ref().and_then(|e| {
            match encoding_rs::Encoding::for_label(e.get_ref().trim().as_bytes()) {
                Some(found) => Some(found).filter(|&f| f != encoding_rs::UTF_8),
                None => {
                diags.push(
                    src.error("workspace-encoding-unknown", e.span(), "unknown text encoding")
                        .value(e.get_ref().clone())
                        .hint("use \"utf-8\" (the default), \"windows-1252\" (Excel's \"CSV\" on Windows), \"iso-8859-15\", \"shift_jis\" or another WHATWG encoding label"),
                );
                None
                }
            }
        });
        let path = over
            .clone()
            .unwrap_or_else(|| normalize(&data_base.join(raw.file.get_ref())));
        InputSpec {
            kind,
            name: name_in(&data_base, &path),
            path,
            columns,
            date_format,
            number_format,
            delimiter,
            types,
            encoding,
        }
    };
    let deals = input(&raw.deals, InputKind::Deals, &overrides.deals);
    let reps = input(&raw.reps, InputKind::Reps, &overrides.reps);
    // A file given on the command line for a section the workspace lacks is read with the defaults.
    let optional =
        |section: &Option<RawInput>,
         kind,
         over: &Option<PathBuf>,
         input: &mut dyn FnMut(&RawInput, InputKind, &Option<PathBuf>) -> InputSpec| {
            match (section, over) {
                (Some(raw), _) => Some(input(raw, kind, over)),
                (None, Some(path)) => Some(InputSpec::plain(
                    kind,
                    path.clone(),
                    name_in(&data_base, path),
                )),
                (None, None) => None,
            }
        };
    let quotas = optional(
        &raw.quotas,
        InputKind::Quotas,
        &overrides.quotas,
        &mut input,
    );
    let fx = optional(&raw.fx, InputKind::Fx, &overrides.fx, &mut input);
    let adjustments = optional(
        &raw.adjustments,
        InputKind::Adjustments,
        &overrides.adjustments,
        &mut input,
    );
    let ledger = overrides.ledger.clone().unwrap_or_else(|| {
        normalize(&base.join(raw.ledger.as_ref().map_or("ledger.csv", |l| l.get_ref())))
    });
    let credits = optional(&raw.credits, InputKind::Credits, &None, &mut input);
    let assignments = optional(&raw.assignments, InputKind::Assignments, &None, &mut input);
    let territories = optional(&raw.territories, InputKind::Territories, &None, &mut input);
    let leads = optional(&raw.leads, InputKind::Leads, &None, &mut input);

    let max_exceptions = overrides.max_exceptions.unwrap_or_else(|| {
        raw.max_exceptions
            .as_ref()
            .and_then(|l| parse_limit(&src, l, &mut diags))
            .unwrap_or_default()
    });

    let (accounting, payroll) = crate::finance_settings::check(
        raw.accounting.as_ref(),
        raw.payroll.as_ref(),
        &src,
        &mut diags,
    );
    let forecast = raw
        .forecast
        .as_ref()
        .map(|f| parse_forecast(&src, f, &mut diags))
        .unwrap_or_default();
    let stages = parse_stages(&raw.stages, &src, &mut diags);
    let insights =
        raw.insights
            .as_ref()
            .map_or_else(Default::default, |i| crate::stages::InsightSettings {
                no_decision_as_lost: i.no_decision_as_lost,
                stale_as_lost: i.stale_as_lost,
                cycle_includes_lost: i.cycle_includes_lost,
                coverage_whole_quota: i.coverage_whole_quota,
            });
    let working_hours = raw
        .insights
        .as_ref()
        .and_then(|i| parse_working_hours(i, &src, &mut diags));
    let snapshots = raw.snapshots.as_ref().map_or_else(Vec::new, |s| {
        s.files
            .iter()
            .map(|f| {
                let path = normalize(&data_base.join(f));
                InputSpec {
                    name: name_in(&data_base, &path),
                    path,
                    ..deals.clone()
                }
            })
            .collect()
    });

    diags.finish()?;
    Ok(Workspace {
        file: file.to_path_buf(),
        lenient: overrides.lenient,
        hash_deals: true,
        info: Some(FileInfo {
            path: name.clone(),
            sha256: {
                use sha2::Digest;
                format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
            },
            bytes: text.len() as u64,
            rows: None,
        }),
        currency,
        calendar,
        default_period,
        rounding,
        plan_source,
        deals,
        reps,
        quotas,
        fx,
        adjustments,
        ledger,
        credits,
        assignments,
        territories,
        max_exceptions,
        accounting,
        payroll,
        forecast,
        outputs: raw.outputs,
        pay_currency: raw.pay_currency,
        stages,
        insights,
        working_hours,
        snapshots,
        leads,
    })
}

/// `[stages]`: each value's category; a wrong category or probability is `workspace-value-invalid`.
fn parse_stages(
    raw: &BTreeMap<String, Spanned<RawStage>>,
    src: &Source,
    diags: &mut Diagnostics,
) -> crate::stages::Stages {
    use crate::stages::{parse_probability, StageCategory};
    let mut stages = crate::stages::Stages::new();
    for (value, stage) in raw {
        let parsed = match stage.get_ref() {
            RawStage::Category(c) => StageCategory::parse(c, None),
            RawStage::Open {
                category,
                probability,
            } => match probability.as_deref().map(|p| (p, parse_probability(p))) {
                Some((p, None)) => Err(format!("{p:?} is not a probability (e.g. \"40%\")")),
                Some((_, p)) => StageCategory::parse(category, p),
                None => StageCategory::parse(category, None),
            },
        };
        match parsed {
            Ok(c) => {
                stages.insert(value.trim().to_string(), c);
            }
            Err(e) => diags.push(
                src.error("workspace-value-invalid", stage.span(), format!("stage {value:?}: {e}"))
                    .hint("write \"Closed Won\" = \"won\" or \"Negotiation\" = { category = \"open\", probability = \"60%\" }"),
            ),
        }
    }
    stages
}

/// The working calendar when `[insights] lead_response = "business_hours"` (`None` for calendar
/// time); errors pushed for another value, a missing or invalid `[insights.working_hours]`.
fn parse_working_hours(
    raw: &RawInsights,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<crate::stages::WorkingHours> {
    let hint = "write lead_response = \"business_hours\" with [insights.working_hours] hours = \"09:00-18:00\" (days = [\"Mon\", ..., \"Fri\"] and holidays = [\"2026-12-25\"] optional)";
    let mode = raw.lead_response.as_ref()?;
    match mode.get_ref().as_str() {
        "calendar" => return None,
        "business_hours" => {}
        other => {
            diags.push(
                src.error(
                    "workspace-value-invalid",
                    mode.span(),
                    format!(
                        "lead_response: {other:?} is neither \"calendar\" nor \"business_hours\""
                    ),
                )
                .hint(hint),
            );
            return None;
        }
    }
    let Some(wh) = &raw.working_hours else {
        diags.push(
            src.error(
                "workspace-value-invalid",
                mode.span(),
                "lead_response = \"business_hours\" needs [insights.working_hours]",
            )
            .hint(hint),
        );
        return None;
    };
    let w = wh.get_ref();
    crate::stages::WorkingHours::parse(w.days.as_deref(), &w.hours, &w.holidays)
        .map_err(|e| {
            diags.push(
                src.error(
                    "workspace-value-invalid",
                    wh.span(),
                    format!("working_hours {e}"),
                )
                .hint(hint),
            )
        })
        .ok()
}

/// `max_exceptions` of the workspace; `None` (and an error pushed) when it is not a limit.
fn parse_limit(
    src: &Source,
    raw: &Spanned<RawLimit>,
    diags: &mut Diagnostics,
) -> Option<ExceptionLimit> {
    let parsed = match raw.get_ref() {
        RawLimit::Rows(n) => u64::try_from(*n)
            .map(ExceptionLimit::Rows)
            .map_err(|_| format!("{n} is not a number of rows (0 or more)")),
        RawLimit::Text(t) => t.parse(),
    };
    parsed
        .map_err(|e| {
            diags.push(
                src.error("workspace-value-invalid", raw.span(), format!("max_exceptions: {e}"))
                    .hint("write max_exceptions = 10 (rows) or max_exceptions = \"1%\" (of the deals file's rows)"),
            )
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::ExceptionLimit;
    use rust_decimal::Decimal;

    #[test]
    fn exception_limits_read_rows_or_percentages_and_round_down() {
        let limit = |s: &str| s.parse::<ExceptionLimit>();
        assert_eq!(limit("0"), Ok(ExceptionLimit::Rows(0)));
        assert_eq!(limit(" 25 "), Ok(ExceptionLimit::Rows(25)));
        assert_eq!(
            limit("0.5%"),
            Ok(ExceptionLimit::Percent(Decimal::new(5, 1)))
        );
        assert_eq!(
            limit("100%"),
            Ok(ExceptionLimit::Percent(Decimal::ONE_HUNDRED))
        );
        for bad in ["", "-1", "1.5", "x%", "-1%", "100.1%", "%"] {
            assert!(limit(bad).is_err(), "{bad:?}");
        }
        // 1% of 200 rows = 2; of 150 = 1.5 → 1; of 99 = 0.99 → 0; 100% of 7 = 7
        let pct = |p: i64| ExceptionLimit::Percent(Decimal::new(p, 0));
        assert_eq!(pct(1).rows_allowed(200), 2);
        assert_eq!(pct(1).rows_allowed(150), 1);
        assert_eq!(pct(1).rows_allowed(99), 0);
        assert_eq!(pct(100).rows_allowed(7), 7);
        assert_eq!(ExceptionLimit::Rows(3).rows_allowed(1), 3);
        assert_eq!(ExceptionLimit::default().to_string(), "1%");
    }
}
