//! Statements: for each rep and payout period, every line that makes up the payable, as CSV (for
//! machines and spreadsheets) and Markdown (for the rep and the auditor).
//!
//! Invariants: the lines of a component sum exactly to its payable (checked by the engine's
//! invariants when the run keeps its lines, by the writer for lines recomputed rep by rep; amounts
//! are printed unrounded, so the printed sum holds too); deal lines name the deal id and its source
//! `file:line`.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::csv_out::Fields;
use super::format::{amount, grouped, push_date, push_grouped, push_md, LineTexts};
use super::summary::Row;
use crate::csv_cell::{RawFields, Remembered};
use crate::data::CreditKind;
use crate::data::Inputs;
use crate::engine::pay_currency::Conversion;
use crate::engine::{Credit, Line, LineKind, RunResult, NO_VIA, SEVERAL};
use crate::money::{push_attainment, push_grouped_text, push_percent};

const CSV_HEADER: [&str; 23] = [
    "rep_id",
    "payout_period",
    "plan",
    "component",
    "line",
    "deal_id",
    "source",
    "date",
    "deal_value",
    "currency",
    "fx_rate",
    "credit",
    "share",
    "credited",
    "cumulative_from",
    "cumulative_to",
    "tier",
    "base",
    "rate",
    "formula",
    "amount",
    "values",
    "effective_rate",
];

fn kind(line: &Line) -> &'static str {
    line.kind.name()
}

/// The deal's values that chose a deal line's rule or tier ("product = Services, margin_pct =
/// 0.62"), kept by the engine on the line; empty for other lines.
fn chosen_values(line: &Line) -> &str {
    match line.kind {
        LineKind::Deal | LineKind::Retro => line.detail.as_deref().unwrap_or(""),
        _ => "",
    }
}

/// The blended rate of a commission on a money measure: earned to date ÷ measure to date, the same
/// on every line of its block; `None` for other components or an empty measure.
pub(crate) fn effective_rate(r: &Row) -> Option<Decimal> {
    let p = r.result;
    let commission = matches!(r.component.kind, crate::plan::ComponentKind::Commission(_));
    if !commission || !r.money_measure || p.measure_to_date.is_zero() {
        return None;
    }
    p.earned_to_date.checked_div(p.measure_to_date)
}

/// How the rep came to be credited: `owner`, `split`, `overlay`, `territory`, `roll-up via A001`,
/// or `roll-up via A001 60% + A002 40%` when several reports share the deal.
pub(crate) fn credit_kind(inputs: &Inputs, run: &RunResult, c: &Credit) -> String {
    let mut s = String::new();
    push_credit_kind(&mut s, inputs, &run.rollup_sources, c);
    s
}

/// The reports and shares behind each roll-up credit that combines several: the run's
/// [`RunResult::rollup_sources`].
pub type RollupSources = [Vec<(u32, Decimal)>];

/// [`credit_kind`], appended to `out`.
fn push_credit_kind(out: &mut String, inputs: &Inputs, sources: &RollupSources, c: &Credit) {
    match c.kind {
        CreditKind::Rollup if c.via == NO_VIA => out.push_str("roll-up"),
        CreditKind::Rollup if c.via & SEVERAL != 0 => {
            out.push_str("roll-up via ");
            let sources = sources.get((c.via & !SEVERAL) as usize);
            for (i, &(rep, share)) in sources.into_iter().flatten().enumerate() {
                if i > 0 {
                    out.push_str(" + ");
                }
                out.push_str(&inputs.roster.get(rep).id);
                out.push(' ');
                push_percent(out, share);
            }
        }
        CreditKind::Rollup => {
            out.push_str("roll-up via ");
            out.push_str(&inputs.roster.get(c.via).id);
        }
        k => out.push_str(k.name()),
    }
}

/// The heading of a plan block: the plan, and the dates it applied when it came from an assignment.
pub(crate) fn plan_heading(r: &Row) -> String {
    let dates = match r.assignment {
        Some((from, Some(to))) => format!(", from {from} to {to}"),
        Some((from, None)) => format!(", from {from}"),
        None => String::new(),
    };
    format!(
        "Plan **{}** ({}){dates}, amounts in {}.",
        md(&r.plan.name),
        md(&r.plan.id),
        r.plan.currency
    )
}

/// The lines of one block of a statement (a row: one component in one payout period): the engine's
/// (deals, tiers, modifiers, rounding), then the payment step's (true-ups, adjustments, draws...).
/// A run that kept its lines has them all in the first part.
#[derive(Clone, Copy, Default)]
pub struct BlockLines<'a>(pub [&'a [Line]; 2]);

impl<'a> BlockLines<'a> {
    /// Every line, the engine's then the payment step's.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a Line> + Clone {
        self.0[0].iter().chain(self.0[1])
    }

    fn is_empty(self) -> bool {
        self.0.iter().all(|part| part.is_empty())
    }

    /// The sum of the lines' amounts (what the block pays).
    pub fn sum(self) -> Decimal {
        self.iter().map(|l| l.amount).sum()
    }
}

/// Each line with whether it is the first line of its deal (a deal crossing tiers has several
/// slice lines; its value and credit are printed once, so a column sum never counts a deal twice).
pub fn first_of_deal<'a>(lines: BlockLines<'a>) -> impl Iterator<Item = (&'a Line, bool)> {
    let mut previous = None;
    lines.iter().map(move |l| {
        let deal = l
            .credit
            .map(|c| c.deal)
            .filter(|_| l.kind == LineKind::Deal);
        let first = deal.is_some() && deal != previous;
        if deal.is_some() {
            previous = deal;
        }
        (l, first)
    })
}

/// Renders statements into buffers it keeps: one per worker thread serves any number of
/// statements, so a statement costs no allocation beyond its output's growth. The CSV and the
/// Markdown are written in one pass over the lines: a cell both show is formatted once (the
/// Markdown's grouped amounts are the CSV's with commas).
#[derive(Default)]
pub struct Renderer {
    texts: LineTexts,
    pub csv: Vec<u8>,
    pub md: String,
    /// The cells of the row being rendered that are the same on each of its lines.
    row: RowCells,
    /// The last share printed: its representation (`Decimal::serialize`) and text.
    share: Option<([u8; 16], String)>,
    /// Whether `file:line` source cells of the deals file are plain ([`crate::csv_cell::is_plain`])
    /// whatever the line, for the file at this address.
    source_plain: Option<(usize, bool)>,
    /// The text cells that repeat from line to line, with their bytes.
    cells: Cells,
}

/// The last text of each cell that mostly repeats from one line to the next, with its CSV bytes.
#[derive(Default)]
struct Cells {
    currency: Remembered,
    share: Remembered,
    tier: Remembered,
    rate: Remembered,
    values: Remembered,
    effective_rate: Remembered,
}

/// The cells of a row (one component in one payout period) that are the same on each of its lines,
/// rendered once per row.
#[derive(Default)]
struct RowCells {
    /// The first cells (rep, payout period, plan, component) as CSV fields.
    prefix: Vec<u8>,
    /// The effective rate's text, empty when the row has none.
    effective_rate: String,
}

impl RowCells {
    fn fill(&mut self, r: &Row, period: &str) {
        self.prefix.clear();
        let mut f = RawFields::new(&mut self.prefix);
        for cell in [r.rep_id, period, &r.plan.id, &r.component.id] {
            let _ = f.text(cell);
        }
        self.effective_rate.clear();
        if let Some(rate) = effective_rate(r) {
            crate::money::push_amount(&mut self.effective_rate, rate.round_dp(6), 6);
        }
    }
}

/// A date's text as [`push_date`] writes it (`2026-03-05`), when its year has four digits (the
/// text is then a plain cell).
fn iso_date(date: chrono::NaiveDate) -> Option<[u8; 10]> {
    use chrono::Datelike;
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let (month, day) = (date.month(), date.day());
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

/// The header row of a statement's CSV.
pub fn csv_header() -> anyhow::Result<Vec<u8>> {
    let mut f = Fields::new(csv::Writer::from_writer(Vec::new()));
    f.record(CSV_HEADER)?;
    f.into_inner()
}

/// What every line of a statement reads.
struct Cx<'a> {
    inputs: &'a Inputs,
    sources: &'a RollupSources,
    /// The statement's conversions into the rep's pay currency.
    pay: &'a [Conversion],
}

/// Where a line's Markdown cells go: the statement's Markdown, or nowhere when only CSV lines are
/// rendered (the cells are then not formatted at all).
trait Md {
    /// Text as it is.
    fn raw(&mut self, text: &str);
    /// User text, escaped for a table cell ([`push_md`]).
    fn cell(&mut self, text: &str);
    /// An amount's text with thousands separators ([`push_grouped_text`]), as the CSV's bytes.
    fn grouped(&mut self, amount: &[u8]);
    /// A plain CSV cell's bytes as they are (text the CSV writer wrote: valid UTF-8).
    fn plain(&mut self, cell: &[u8]);
    /// A plain CSV cell's bytes, escaped for a table cell ([`push_md`]).
    fn plain_cell(&mut self, cell: &[u8]);
}

impl Md for String {
    fn raw(&mut self, text: &str) {
        self.push_str(text);
    }
    fn cell(&mut self, text: &str) {
        push_md(self, text);
    }
    fn grouped(&mut self, amount: &[u8]) {
        push_grouped_text(self, std::str::from_utf8(amount).unwrap_or_default());
    }
    fn plain(&mut self, cell: &[u8]) {
        self.push_str(std::str::from_utf8(cell).unwrap_or_default());
    }
    fn plain_cell(&mut self, cell: &[u8]) {
        push_md(self, std::str::from_utf8(cell).unwrap_or_default());
    }
}

/// No Markdown.
struct NoMd;

impl Md for NoMd {
    #[inline(always)]
    fn raw(&mut self, _: &str) {}
    #[inline(always)]
    fn cell(&mut self, _: &str) {}
    #[inline(always)]
    fn grouped(&mut self, _: &[u8]) {}
    #[inline(always)]
    fn plain(&mut self, _: &[u8]) {}
    #[inline(always)]
    fn plain_cell(&mut self, _: &[u8]) {}
}

impl Renderer {
    /// Render one statement (a rep's rows for one payout period, all its components, with the
    /// lines of each row) into [`Renderer::csv`] and [`Renderer::md`], replacing what they held.
    pub fn render(
        &mut self,
        inputs: &Inputs,
        run: &RunResult,
        rows: &[Row],
        lines: &[BlockLines],
        pay: &[Conversion],
    ) -> anyhow::Result<()> {
        let mut csv = std::mem::take(&mut self.csv);
        let mut md = std::mem::take(&mut self.md);
        csv.clear();
        md.clear();
        let cx = Cx {
            inputs,
            sources: &run.rollup_sources,
            pay,
        };
        let done = self.render_into(&cx, rows, lines, &mut csv, &mut md);
        self.csv = csv;
        self.md = md;
        done
    }

    fn render_into(
        &mut self,
        cx: &Cx,
        rows: &[Row],
        lines: &[BlockLines],
        csv: &mut Vec<u8>,
        md: &mut String,
    ) -> anyhow::Result<()> {
        let mut f = RawFields::new(csv);
        f.record(CSV_HEADER)?;
        if let Some(first) = rows.first() {
            md_title(md, first);
        }
        let mut totals: std::collections::BTreeMap<&str, Decimal> =
            std::collections::BTreeMap::new();
        let mut block = None;
        // The payout period's text, made once (a statement's rows share their payout period).
        let mut period = (None, String::new());
        for (r, &lines) in rows.iter().zip(lines) {
            if block != Some((&r.plan.id, r.assignment)) {
                block = Some((&r.plan.id, r.assignment));
                let _ = writeln!(md, "{}\n", plan_heading(r));
            }
            component_summary(md, r);
            *totals.entry(r.plan.currency.as_str()).or_default() += r.result.payable;
            let p = r.result;
            if lines.is_empty() {
                let _ = writeln!(md, "No lines this period.\n");
                continue;
            }
            md.push_str(MD_LINES_HEADER);
            if period.0 != Some(p.payout_period) {
                period = (Some(p.payout_period), p.payout_period.to_string());
            }
            warm_deals(&cx.inputs.deals, lines);
            self.row.fill(r, &period.1);
            for (line, first) in first_of_deal(lines) {
                self.line(&mut f, md, cx, r, line, first)?;
            }
            let _ = writeln!(
                md,
                "| **Total** | | | | | | | | | **{}** |\n",
                grouped(p.payable, r.plan.rounding.places)
            );
        }
        if let Some(first) = rows.first() {
            md_totals(md, first, totals);
            pay_lines(&mut f, Some(md), first, cx.pay)?;
        }
        Ok(())
    }

    /// Append one statement's CSV lines (no header row, see [`csv_header`]; no Markdown) to `out`:
    /// for files that hold many statements under one header. `sources`: the run's
    /// [`RunResult::rollup_sources`].
    pub fn render_lines(
        &mut self,
        out: &mut Vec<u8>,
        inputs: &Inputs,
        sources: &RollupSources,
        rows: &[Row],
        lines: &[BlockLines],
        pay: &[Conversion],
    ) -> anyhow::Result<()> {
        let cx = Cx {
            inputs,
            sources,
            pay,
        };
        let mut f = RawFields::new(out);
        let mut period = (None, String::new());
        for (r, &lines) in rows.iter().zip(lines) {
            let p = r.result.payout_period;
            if period.0 != Some(p) {
                period = (Some(p), p.to_string());
            }
            warm_deals(&cx.inputs.deals, lines);
            self.row.fill(r, &period.1);
            for (line, first) in first_of_deal(lines) {
                self.line(&mut f, &mut NoMd, &cx, r, line, first)?;
            }
        }
        if let Some(first) = rows.first() {
            pay_lines(&mut f, None, first, cx.pay)?;
        }
        Ok(())
    }

    /// One line: a CSV record, and a row of the component's Markdown table (its cells are a
    /// subsequence of the record's, in the same order). Cells known to be plain (names, dates,
    /// numbers) skip the checks of text cells; cells that repeat are copied from a row's or the
    /// renderer's memory.
    fn line(
        &mut self,
        f: &mut RawFields,
        md: &mut impl Md,
        cx: &Cx,
        r: &Row,
        line: &Line,
        first: bool,
    ) -> csv::Result<()> {
        let deals = &cx.inputs.deals;
        let places = r.plan.rounding.places;
        let value_places = if r.money_measure { places } else { 0 };
        let d = line.credit.map(|c| c.deal as usize);
        // A deal's value and credit show on its first line only.
        let credit = line.credit.filter(|_| first);
        let rounding = line.kind == LineKind::Rounding || line.kind.is_settlement();
        f.rendered(&self.row.prefix);
        f.plain(kind(line));
        md.raw("| ");
        md.raw(kind(line));
        md.raw(" | ");
        match d {
            Some(d) => {
                let id = deals.id(d);
                f.text(id)?;
                md.cell(id);
                self.source(f, deals, d)?;
            }
            None => {
                f.empty()?;
                f.empty()?;
            }
        }
        md.raw(" | ");
        match line.credit {
            Some(c) => date(f, md, c.date)?,
            None => f.empty()?,
        }
        md.raw(" | ");
        match credit {
            Some(c) => md.grouped(f.amount(c.source_value, value_places)?),
            None => f.empty()?,
        }
        match d {
            Some(d) => {
                let currency = deals.currency(d);
                f.text_remembered(currency, &mut self.cells.currency);
                if credit.is_some() && r.money_measure && !currency.is_empty() {
                    md.raw(" ");
                    md.cell(currency);
                }
            }
            None => f.empty()?,
        }
        // The Markdown shows a converted deal's rate beside its value: `500.00 USD × 0.925926`.
        match credit.and_then(|c| c.fx_rate) {
            Some(fx) => {
                md.raw(" × ");
                md.grouped(f.amount(fx, 0)?);
            }
            None => f.empty()?,
        }
        md.raw(" | ");
        match credit {
            Some(c) => {
                match c.kind {
                    CreditKind::Rollup => {
                        md.cell(f.with(|s| push_credit_kind(s, cx.inputs, cx.sources, &c))?)
                    }
                    k => {
                        f.plain(k.name());
                        md.cell(k.name());
                    }
                }
                md.raw(" | ");
                let share = Self::share(&mut self.share, c.share);
                f.text_remembered(share, &mut self.cells.share);
                md.raw(share);
                md.raw(" | ");
                md.grouped(f.amount(c.credited, value_places)?);
            }
            None => {
                f.empty()?;
                f.empty()?;
                f.empty()?;
                md.raw(" |  | ");
            }
        }
        md.raw(" | ");
        for value in [line.from, line.to] {
            match rounding {
                true => f.empty()?,
                false => {
                    f.amount(value, value_places)?;
                }
            }
        }
        let tier = self.texts.tier(r.component, line);
        f.text_remembered(tier, &mut self.cells.tier);
        if line.kind != LineKind::Rounding {
            md.raw(tier);
        }
        md.raw(" | ");
        match rounding {
            true => f.empty()?,
            false => {
                f.amount(line.base, value_places)?;
            }
        }
        let rate = self.texts.rate(r.plan, r.component, line);
        f.text_remembered(rate, &mut self.cells.rate);
        self.formula(f, md, r, line)?;
        let values = chosen_values(line);
        if !values.is_empty() {
            md.raw(" (");
            md.cell(values);
            md.raw(")");
        }
        md.raw(" | ");
        md.grouped(f.amount(line.amount, places)?);
        md.raw(
            " |
",
        );
        f.text_remembered(values, &mut self.cells.values);
        f.text_remembered(&self.row.effective_rate, &mut self.cells.effective_rate);
        f.end()
    }

    /// The `source` cell of deal row `d`: `file:line`.
    fn source(
        &mut self,
        f: &mut RawFields,
        deals: &crate::data::DealTable,
        d: usize,
    ) -> csv::Result<()> {
        let file = &deals.name;
        let address = file as *const String as usize;
        let plain = match self.source_plain {
            Some((a, plain)) if a == address => plain,
            _ => {
                // The cell's first character and its quotes depend on the file name only.
                let plain = crate::csv_cell::is_plain(&format!("{file}:0"));
                self.source_plain = Some((address, plain));
                plain
            }
        };
        let mut digits = itoa::Buffer::new();
        let line = digits.format(deals.line(d));
        match plain {
            true => {
                f.plain_with(|o| {
                    o.extend_from_slice(file.as_bytes());
                    o.push(b':');
                    o.extend_from_slice(line.as_bytes());
                });
            }
            false => {
                f.with(|s| {
                    s.push_str(file);
                    s.push(':');
                    s.push_str(line);
                })?;
            }
        }
        Ok(())
    }

    /// A share's text (`100%`), remembered from the line before (in `last`).
    fn share(last: &mut Option<([u8; 16], String)>, share: Decimal) -> &str {
        let key = share.serialize();
        if last.as_ref().is_none_or(|(k, _)| *k != key) {
            *last = Some((key, crate::money::fmt_percent(share)));
        }
        last.as_ref().map_or("", |(_, text)| text)
    }

    /// The `formula` cell, and its text in the Markdown. A deal line's `base × rate` is written
    /// from the base (usually the line's `base` cell, copied) and the rate's text.
    fn formula(
        &mut self,
        f: &mut RawFields,
        md: &mut impl Md,
        r: &Row,
        line: &Line,
    ) -> csv::Result<()> {
        let texts = &mut self.texts;
        match texts.base_times_rate(r.plan, r.component, line) {
            // A negative base starts a cell a spreadsheet would run: the checked path.
            Some((places, rate))
                if !line.base.is_sign_negative() && crate::csv_cell::is_plain(rate) =>
            {
                md.plain_cell(f.product(line.base, places, rate));
            }
            _ => md.cell(f.with(|s| texts.push_formula(s, r.plan, r.component, line))?),
        }
        Ok(())
    }
}

/// The `date` cell, and its text in the Markdown.
fn date(f: &mut RawFields, md: &mut impl Md, date: chrono::NaiveDate) -> csv::Result<()> {
    match iso_date(date) {
        Some(text) => md.plain(f.plain_with(|o| o.extend_from_slice(&text))),
        None => md.raw(f.with(|s| push_date(s, date))?),
    }
    Ok(())
}

/// The statement's `pay-currency` lines (after every component's, in no component: they change no
/// payable): the payable converted into the rep's pay currency, step by step in `formula`, and a
/// line of the Markdown.
fn pay_lines(
    f: &mut RawFields,
    mut out: Option<&mut String>,
    first: &Row,
    pay: &[Conversion],
) -> csv::Result<()> {
    let places = first.plan.rounding.places;
    for c in pay {
        let formula = c.describe(places);
        let date = c.date.map(|d| d.to_string()).unwrap_or_default();
        let (base, amount) = (amount(c.payable, places), amount(c.amount, places));
        f.record([
            first.rep_id,
            &first.result.payout_period.to_string(),
            "",
            "",
            "pay-currency",
            "",
            "",
            &date,
            "",
            &c.to,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            &base,
            "",
            &formula,
            &amount,
            "",
            "",
        ])?;
        if let Some(out) = out.as_deref_mut() {
            let _ = writeln!(
                out,
                "\n**Paid in {}: {} {}** ({})",
                md(&c.to),
                grouped(c.amount, places),
                md(&c.to),
                md(&formula)
            );
        }
    }
    Ok(())
}

/// Read the id and currency of every deal of `lines` before the lines are rendered: the deals are
/// spread over a table of millions of rows, and these independent reads overlap their cache misses,
/// where one read per rendered line would wait for each in turn.
fn warm_deals(deals: &crate::data::DealTable, lines: BlockLines) {
    let mut touched = 0usize;
    for c in lines.iter().filter_map(|l| l.credit) {
        let d = c.deal as usize;
        // The id's first byte: its length alone is computed, not read, when ids have one width.
        let id = deals.id(d).as_bytes();
        touched =
            touched.wrapping_add(id.first().map_or(0, |&b| b as usize) + deals.currency(d).len());
    }
    std::hint::black_box(touched);
}

const MD_LINES_HEADER: &str = "| Line | Deal | Date | Deal value | Credit | Share | Credited | Tier | Formula | Amount |\n|---|---|---|---:|---|---:|---:|---|---|---:|\n";

/// The statement's title.
fn md_title(out: &mut String, first: &Row) {
    let _ = writeln!(
        out,
        "# Commission statement: {} ({}), {}\n",
        md(first.rep_name),
        md(first.rep_id),
        first.result.payout_period
    );
}

/// The statement's last lines: the total payable per currency.
fn md_totals(md: &mut String, first: &Row, totals: std::collections::BTreeMap<&str, Decimal>) {
    let period = first.result.payout_period;
    for (currency, total) in totals {
        let _ = writeln!(
            md,
            "**Total payable for {period}: {} {currency}**",
            grouped(total, first.plan.rounding.places)
        );
    }
}

/// Escape text for a Markdown table cell.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_md(&mut out, text);
    out
}

/// A component's table of measure, quota, attainment, earned, paid and payable.
fn component_summary(s: &mut String, r: &Row) {
    let p = r.result;
    let places = r.plan.rounding.places;
    let measure_places = r.measure_places();
    s.push_str("## ");
    push_md(s, &r.component.id);
    s.push_str("\n\n| | |\n|---|---:|\n");
    let _ = writeln!(s, "| Measurement period | {} |", p.measurement_period);
    s.push_str("| Measure `");
    push_md(s, r.measure_name());
    s.push_str("` to date | ");
    push_grouped(s, p.measure_to_date, measure_places);
    s.push_str(" |\n");
    if let Some(q) = p.quota() {
        s.push_str("| Quota | ");
        if let Some((full, scale)) = p.quota_scale() {
            push_grouped(s, *full, measure_places);
            s.push(' ');
            s.push_str(&scale.describe());
            s.push_str(" = ");
        }
        push_grouped(s, q.amount, measure_places);
        s.push_str(" |\n| Attainment | ");
        push_attainment(s, p.attainment());
        s.push_str(" |\n");
    }
    s.push_str("| Earned to date | ");
    push_grouped(s, p.earned_to_date, places);
    if let Some(rate) = effective_rate(r) {
        s.push_str(" |\n| Effective rate (earned ÷ measure to date) | ");
        crate::money::push_percent(s, rate.round_dp(6));
    }
    s.push_str(" |\n| Paid before this period | ");
    push_grouped(s, p.paid_to_date, places);
    s.push_str(" |\n");
    if r.closed {
        s.push_str("| Status | closed: the payable recorded in the ledger |\n");
    }
    s.push_str("| **Payable** | **");
    push_grouped(s, p.payable, places);
    s.push_str("** |\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_are_the_text_of_push_date_for_four_digit_years() {
        for (y, m, d) in [
            (2026, 3, 5),
            (1, 1, 1),
            (0, 12, 31),
            (9999, 12, 31),
            (1999, 10, 20),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut s = String::new();
            push_date(&mut s, date);
            assert_eq!(iso_date(date).map(|t| t.to_vec()), Some(s.into_bytes()));
        }
        for (y, m, d) in [(10000, 1, 1), (-5, 6, 7)] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), None);
        }
    }
}
