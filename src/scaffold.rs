//! Starting a workspace from a CRM export (`payout init`): recognise the export's layout (a
//! Salesforce opportunity report, a HubSpot deals export, a Pipedrive deals export, or a file already
//! in payout's canonical columns), its date and number styles and its won stage, and write the text
//! of a starter workspace, plan, roster and quota sheet.
//!
//! Invariants: pure (a sample of the export in, file texts out); a guess is made only from what the
//! file shows: a header from the layouts' lists below (matched ignoring case and surrounding spaces),
//! a date format that every non-empty sampled date cell parses in, a number format that every
//! non-empty sampled amount parses in. What cannot be guessed is left for the user with a comment,
//! and `payout check` catches a wrong guess. The output is deterministic (owners sorted, no clock).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use crate::money::NumberFormat;

/// The export as read: its headers and rows (every row, or a sample; owners come from these rows),
/// the byte between its fields, and the encoding it was decoded from when not UTF-8 (its label).
pub struct Export {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub delimiter: u8,
    pub encoding: Option<&'static str>,
}

/// The delimiter of CSV text: of a comma, a semicolon, a tab and a vertical bar, the one found most
/// often outside quotes in its first line (a comma when none is). A semicolon-delimited export is
/// what a spreadsheet writes where the comma is the decimal separator.
pub fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut in_quotes = false;
    for &b in text {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            b => {
                if let Some(i) = candidates.iter().position(|&c| c == b && !in_quotes) {
                    counts[i] += 1;
                }
            }
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i)));
    best.filter(|&i| counts[i] > 0)
        .map_or(b',', |i| candidates[i])
}

/// A recognised layout: its name and, per canonical deal column, the headers it may have (first
/// present wins).
struct Layout {
    name: &'static str,
    /// Headers that identify the layout (any one present).
    marks: &'static [&'static str],
}

const LAYOUTS: [Layout; 4] = [
    Layout {
        name: "a Salesforce opportunity report",
        marks: &["Opportunity ID", "Opportunity Owner", "Opportunity Name"],
    },
    Layout {
        name: "a HubSpot deals export",
        marks: &["Deal Stage", "Deal owner", "Record ID"],
    },
    Layout {
        name: "a Pipedrive deals export",
        marks: &["Deal - ID", "Deal - Owner", "Deal - Value"],
    },
    Layout {
        name: "a file in payout's canonical columns",
        marks: &["deal_id"],
    },
];

/// Per canonical deal column, the headers of the known layouts, most specific first.
const CANDIDATES: [(&str, &[&str]); 12] = [
    (
        "deal_id",
        &[
            "Opportunity ID",
            "Record ID",
            "Deal - ID",
            "Deal ID",
            "deal_id",
        ],
    ),
    (
        "rep_id",
        &[
            "Opportunity Owner",
            "Deal owner",
            "Deal - Owner",
            "Owner",
            "rep_id",
        ],
    ),
    ("amount", &["Amount", "Deal - Value", "Value", "amount"]),
    (
        "close_date",
        &[
            "Close Date",
            "Deal - Won time",
            "Deal - Close time",
            "Deal - Expected close date",
            "close_date",
        ],
    ),
    (
        "currency",
        &[
            "Opportunity Currency",
            "Currency",
            "Deal - Currency",
            "currency",
        ],
    ),
    ("stage", &["Stage", "Deal Stage", "Deal - Status", "stage"]),
    (
        "type",
        &[
            "Type",
            "Opportunity Type",
            "Deal Type",
            "Deal - Type",
            "type",
        ],
    ),
    (
        "product",
        &["Product", "Product Name", "Deal - Product", "product"],
    ),
    (
        "account_id",
        &[
            "Account ID",
            "Account Name",
            "Associated Company",
            "Deal - Organization",
            "account_id",
        ],
    ),
    (
        "created_date",
        &[
            "Created Date",
            "Create Date",
            "Deal - Deal created",
            "created_date",
        ],
    ),
    ("segment", &["Segment", "segment"]),
    (
        "deal_name",
        &["Opportunity Name", "Deal Name", "Deal - Title", "deal_name"],
    ),
];

/// Date formats tried in order; the first that every sampled date cell parses in is used.
const DATE_FORMATS: [&str; 12] = [
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
];

/// Currency symbols stripped from amounts when the export shows them.
const SYMBOLS: [&str; 4] = ["$", "€", "£", "¥"];

/// What `payout init` found in the export.
pub struct Guess {
    /// The layout recognised (`a Salesforce opportunity report`), `None` when none was.
    pub layout: Option<&'static str>,
    /// The byte between the export's fields.
    pub delimiter: u8,
    /// The export's encoding when it is not UTF-8 (a label for the workspace's `encoding`).
    pub encoding: Option<&'static str>,
    /// Canonical column → header, for every column found.
    pub columns: BTreeMap<&'static str, String>,
    /// Required canonical columns no header was found for.
    pub missing: Vec<&'static str>,
    pub date_format: Option<&'static str>,
    /// The date format also read every date the other way round (day and month swapped).
    pub date_ambiguous: bool,
    pub number_format: NumberFormat,
    pub won_stage: Option<String>,
    /// Every value of the stage column, most frequent first.
    pub stages: Vec<String>,
    pub currency: String,
    /// The month of the latest close date of a won deal (of any deal when no won stage is found),
    /// `YYYY-MM`, and its year: the last month there is something to pay.
    pub period: Option<(i32, u32)>,
    pub owners: Vec<String>,
    pub rows: usize,
}

/// Recognise the export.
pub fn guess(export: &Export) -> Guess {
    let find = |header: &str| {
        export
            .headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(header))
    };
    let layout = LAYOUTS
        .iter()
        .find(|l| l.marks.iter().any(|m| find(m).is_some()))
        .map(|l| l.name);
    let mut columns = BTreeMap::new();
    let mut at = BTreeMap::new();
    for (canonical, headers) in CANDIDATES {
        if let Some(i) = headers.iter().find_map(|h| find(h)) {
            columns.insert(canonical, export.headers[i].trim().to_string());
            at.insert(canonical, i);
        }
    }
    let missing = ["deal_id", "rep_id", "amount", "close_date"]
        .into_iter()
        .filter(|c| !columns.contains_key(c))
        .collect();
    let cells = |canonical: &str| -> Vec<&str> {
        at.get(canonical).map_or(Vec::new(), |&i| {
            export
                .rows
                .iter()
                .filter_map(|r| r.get(i).map(|c| c.trim()))
                .filter(|c| !c.is_empty())
                .collect()
        })
    };
    let dates: Vec<&str> = ["close_date", "created_date"]
        .iter()
        .flat_map(|c| cells(c))
        .collect();
    let date_format = DATE_FORMATS.into_iter().find(|f| {
        !dates.is_empty()
            && dates
                .iter()
                .all(|d| NaiveDate::parse_from_str(d, f).is_ok())
    });
    let date_ambiguous = date_format.is_some_and(|f| {
        let swapped = swap_day_month(f);
        swapped != f
            && dates
                .iter()
                .all(|d| NaiveDate::parse_from_str(d, &swapped).is_ok())
    });
    let won = won_stage(&cells("stage"));
    fn cell<'r>(at: &BTreeMap<&str, usize>, row: &'r [String], canonical: &str) -> &'r str {
        at.get(canonical)
            .and_then(|&i| row.get(i))
            .map_or("", |c| c.trim())
    }
    let period = date_format.and_then(|f| {
        (export.rows.iter())
            .filter(|r| won.as_deref().is_none_or(|w| cell(&at, r, "stage") == w))
            .filter_map(|r| NaiveDate::parse_from_str(cell(&at, r, "close_date"), f).ok())
            .max()
            .map(|d| (d.year(), d.month()))
    });
    let owners: BTreeSet<String> = cells("rep_id").into_iter().map(str::to_string).collect();
    Guess {
        layout,
        delimiter: export.delimiter,
        encoding: export.encoding,
        columns,
        missing,
        date_format,
        date_ambiguous,
        number_format: number_format(&cells("amount")),
        won_stage: won,
        stages: by_frequency(&cells("stage")),
        currency: most_frequent(&cells("currency")).unwrap_or_else(|| "USD".to_string()),
        period,
        owners: owners.into_iter().collect(),
        rows: export.rows.len(),
    }
}

fn swap_day_month(format: &str) -> String {
    format
        .replace("%m", "\u{0}")
        .replace("%d", "%m")
        .replace('\u{0}', "%d")
}

/// The number format every amount parses in: "1,234.50" (the default), "1.234,50" or "1 234,50",
/// with the currency symbols the cells show stripped.
fn number_format(amounts: &[&str]) -> NumberFormat {
    let strip: Vec<String> = SYMBOLS
        .iter()
        .filter(|s| amounts.iter().any(|a| a.contains(*s)))
        .map(|s| s.to_string())
        .collect();
    let candidates = [
        ('.', Some(',')),
        (',', Some('.')),
        (',', Some(' ')),
        ('.', None),
    ];
    candidates
        .into_iter()
        .map(|(decimal_separator, thousands_separator)| NumberFormat {
            decimal_separator,
            thousands_separator,
            strip: strip.clone(),
        })
        .find(|f| amounts.iter().all(|a| f.parse(a).is_some()))
        .unwrap_or(NumberFormat {
            decimal_separator: '.',
            thousands_separator: Some(','),
            strip,
        })
}

/// The stage value that means won: "Closed Won", "closedwon" or "won" (ignoring case), else the
/// most frequent value containing "won".
fn won_stage(stages: &[&str]) -> Option<String> {
    let plain = |s: &str| s.to_ascii_lowercase().replace([' ', '_', '-'], "");
    let exact = stages
        .iter()
        .find(|s| matches!(plain(s).as_str(), "closedwon" | "won"));
    exact.map(|s| s.to_string()).or_else(|| {
        let won: Vec<&str> = stages
            .iter()
            .copied()
            .filter(|s| plain(s).contains("won"))
            .collect();
        most_frequent(&won)
    })
}

/// The most frequent value (the smallest of equally frequent ones).
fn most_frequent(values: &[&str]) -> Option<String> {
    by_frequency(values).into_iter().next()
}

/// The distinct values, most frequent first (equally frequent ones in order).
fn by_frequency(values: &[&str]) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut counted: Vec<(&str, usize)> = counts.into_iter().collect();
    counted.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    counted.into_iter().map(|(v, _)| v.to_string()).collect()
}

/// Whether a stage value means lost: "Closed Lost", "closedlost" or "lost" (ignoring case).
fn is_lost(stage: &str) -> bool {
    let plain = stage.to_ascii_lowercase().replace([' ', '_', '-'], "");
    matches!(plain.as_str(), "closedlost" | "lost")
}

/// The `[stages]` section: the won stage, the lost one, and each other stage to categorise (an open
/// stage's probability is the user's to give, so those lines are left commented).
fn render_stages(g: &Guess) -> String {
    if g.stages.is_empty() {
        return String::new();
    }
    let mut t = String::from(
        "\n# What each stage means, for `payout insights` and `payout forecast` (docs/insights.md).\n[stages]\n",
    );
    let mut open = Vec::new();
    for stage in &g.stages {
        match stage {
            s if g.won_stage.as_ref() == Some(s) => t += &format!("{} = \"won\"\n", quoted(s)),
            s if is_lost(s) => t += &format!("{} = \"lost\"\n", quoted(s)),
            s => open.push(s),
        }
    }
    if !open.is_empty() {
        t += "# CHECK: the category of each other stage: open with its probability of being won,\n";
        t += "# or \"lost\", \"no_decision\", \"ignored\"\n";
    }
    for s in open {
        t += &format!(
            "# {} = {{ category = \"open\", probability = \"\" }}\n",
            quoted(s)
        );
    }
    t
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The text of `payout.toml` for the export at `deals_path` (as the workspace will name it).
pub fn render_workspace(g: &Guess, deals_path: &str) -> String {
    let mut t = String::new();
    t += &format!(
        "# Workspace made by `payout init` from {} ({} rows).\n",
        g.layout
            .unwrap_or("an export of a layout it did not recognise"),
        g.rows
    );
    t += "# Review every line marked CHECK, then run `payout check`.\n\n";
    t += &format!("currency = {}\n", quoted(&g.currency));
    t += "fiscal_year_start = 1       # CHECK: the month your fiscal year starts in\n";
    if let Some((year, month)) = g.period {
        t += &format!(
            "period = \"{year}-{month:02}\"          # the latest month a deal was won in the export\n"
        );
    }
    t += "plans = \"plans\"\n\n[rounding]\nstrategy = \"half-away-from-zero\"\nplaces = 2\n\n";
    t += &format!("[deals]\nfile = {}\n", quoted(deals_path));
    match g.encoding {
        Some("windows-1252") => t += "encoding = \"windows-1252\"   # CHECK: the export is not UTF-8; Windows-1252 (Excel's \"CSV\" on Windows) reads it\n",
        Some(label) => t += &format!("encoding = {}\n", quoted(label)),
        None => {}
    }
    if g.delimiter != b',' {
        t += &format!(
            "delimiter = {}\n",
            quoted(&(g.delimiter as char).to_string())
        );
    }
    match g.date_format {
        Some(f) if g.date_ambiguous => {
            t += &format!(
                "date_format = {}   # CHECK: every date also reads as {} (day and month swapped)\n",
                quoted(f),
                quoted(&swap_day_month(f))
            )
        }
        Some(f) => t += &format!("date_format = {}\n", quoted(f)),
        None => t += "# date_format = \"%Y-%m-%d\"   # CHECK: no common format read every date\n",
    }
    let n = &g.number_format;
    let thousands = n.thousands_separator.map_or(String::new(), |c| {
        format!(", thousands_separator = {}", quoted(&c.to_string()))
    });
    let strip: Vec<String> = n.strip.iter().map(|s| quoted(s)).collect();
    t += &format!(
        "number_format = {{ decimal_separator = {}{thousands}, strip = [{}] }}\n\n[deals.columns]             # canonical name = header in the export\n",
        quoted(&n.decimal_separator.to_string()),
        strip.join(", ")
    );
    for (canonical, header) in &g.columns {
        t += &format!("{canonical} = {}\n", quoted(header));
    }
    for canonical in &g.missing {
        t += &format!(
            "# {canonical} = \"...\"   # CHECK: required, no header of the export matched\n"
        );
    }
    t +=
        "\n[reps]\nfile = \"reps.csv\"          # CHECK: names, start dates, target incentives\n\n";
    t += "[quotas]\nfile = \"quotas.csv\"        # CHECK: fill in every amount\n";
    t += &render_stages(g);
    t
}

/// The text of the starter plan `plans/starter.toml`.
pub fn render_plan(g: &Guess) -> String {
    let stage = g.won_stage.as_deref().unwrap_or("Closed Won");
    let stage_note = if g.won_stage.is_some() {
        "the export's won stage"
    } else {
        "CHECK: no won stage found; set yours"
    };
    let filter = if g.columns.contains_key("stage") {
        format!("where = {{ stage = {} }}   # {stage_note}\n", quoted(stage))
    } else {
        "# where = { stage = \"Closed Won\" }   # CHECK: no stage column found: every deal counts\n"
            .to_string()
    };
    format!(
        r#"# A starter plan made by `payout init`: marginal commission on won bookings against a quarterly
# quota, paid monthly and trued up. Every key is described in docs/plan-language.md.
id = "starter"
name = "Starter commission plan"

[measures.bookings]
sum = "amount"                  # converted to the workspace currency by FX when deals are in others
{filter}
[[components]]
id = "commission"
measure = "bookings"
measurement_period = "quarter"  # attainment accumulates over the quarter ...
payout_period = "month"         # ... and is paid monthly, trued up each month
method = "marginal"             # each slice at its own tier's rate
basis = "attainment"            # breakpoints in % of the quarterly quota (quotas.csv)
tiers = [
  {{ from = "0%", rate = "5%" }},
  {{ from = "100%", rate = "8%" }},   # accelerator above quota
]
"#
    )
}

/// The text of `reps.csv`: one row per owner found, on the starter plan.
pub fn render_roster(g: &Guess) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["rep_id", "name", "plan", "start_date", "target_incentive"]);
    for owner in &g.owners {
        let _ = w.write_record([owner.as_str(), owner.as_str(), "starter", "", ""]);
    }
    csv_text(w)
}

/// The text a CSV writer into memory holds (writing into a `Vec` cannot fail).
fn csv_text(w: csv::Writer<Vec<u8>>) -> String {
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The text of `quotas.csv`: a row per owner and quarter of the export's latest year, amounts
/// left empty for the user to fill in (`payout check` names every empty one).
pub fn render_quotas(g: &Guess) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["rep_id", "period", "amount"]);
    if let Some((year, _)) = g.period {
        for owner in &g.owners {
            for q in 1..=4 {
                let _ = w.write_record([owner.as_str(), &format!("{year}-Q{q}"), ""]);
            }
        }
    }
    csv_text(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(headers: &[&str], rows: &[&[&str]]) -> Export {
        Export {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
            delimiter: b',',
            encoding: None,
        }
    }

    #[test]
    fn the_delimiter_is_the_one_the_header_line_has_most_of_outside_quotes() {
        assert_eq!(
            sniff_delimiter(b"Deal - ID;Deal - Value;Deal - Owner\n1;2,50;x\n"),
            b';'
        );
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        // The quoted header's semicolons do not count; its commas outside quotes do.
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d,e\n"), b',');
        assert_eq!(sniff_delimiter(b"only\n1\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn day_first_dates_are_told_apart_from_month_first_by_a_day_over_twelve() {
        let e = export(
            &["deal_id", "rep_id", "amount", "close_date"],
            &[
                &["D1", "R1", "10", "03/04/2026"],
                &["D2", "R1", "10", "25/04/2026"],
            ],
        );
        let g = guess(&e);
        assert_eq!(g.date_format, Some("%d/%m/%Y"));
        assert!(!g.date_ambiguous);
        let e = export(
            &["deal_id", "rep_id", "amount", "close_date"],
            &[&["D1", "R1", "10", "03/04/2026"]],
        );
        let g = guess(&e);
        assert_eq!(g.date_format, Some("%m/%d/%Y"));
        assert!(g.date_ambiguous);
    }

    #[test]
    fn amounts_in_european_style_with_a_symbol_get_a_comma_decimal_and_the_symbol_stripped() {
        let f = number_format(&["1.234,50 €", "€ 99,00", "12.000.000,01"]);
        assert_eq!(f.decimal_separator, ',');
        assert_eq!(f.thousands_separator, Some('.'));
        assert_eq!(f.strip, vec!["€".to_string()]);
        let f = number_format(&["$1,234.50", "28000"]);
        assert_eq!(f.decimal_separator, '.');
        assert_eq!(f.thousands_separator, Some(','));
    }

    #[test]
    fn the_won_stage_is_the_closed_won_value_whatever_its_spelling() {
        assert_eq!(
            won_stage(&["Open", "closedwon", "Lost"]).as_deref(),
            Some("closedwon")
        );
        assert_eq!(won_stage(&["open", "won", "lost"]).as_deref(), Some("won"));
        assert_eq!(
            won_stage(&["Won - Paid", "Won - Paid", "Won - Pending"]).as_deref(),
            Some("Won - Paid")
        );
        assert_eq!(won_stage(&["Open", "Lost"]), None);
    }
}
