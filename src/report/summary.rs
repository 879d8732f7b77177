//! The run summary (stdout) and `payouts.csv`: one row per rep × component × payout period.
//!
//! Invariants: rows are ordered by rep id, payout period, then component order in the plan, whatever
//! the thread count; the table's total row is the sum of the payable column as printed.

use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use super::format::{
    amount, attainment_pct, attainment_ratio, grouped, push_attainment_ratio, term_row,
};
use crate::csv_cell::RawFields;
use crate::data::Inputs;
use crate::engine::{LineKind, PeriodResult, RepResult, RunResult};
use crate::period::Period;
use crate::plan::{Component, ComponentKind, Plan};

/// One payout row, borrowed from the run.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    /// Where `result` sits in the run: `run.reps[i].components[j].periods[k]` for `[i, j, k]`.
    pub at: [usize; 3],
    pub rep_id: &'a str,
    pub rep_name: &'a str,
    pub plan: &'a Plan,
    pub component: &'a Component,
    pub result: &'a PeriodResult,
    /// The plan assignment's dates, when the plan came from the assignments file.
    pub assignment: Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)>,
    /// Whether the measure is money (a sum of a money column) rather than units or a count.
    pub money_measure: bool,
    /// Whether the payout period is closed in the ledger (its payable is the recorded one).
    pub closed: bool,
}

impl Row<'_> {
    /// The measure's name; the plan cap's row measures the plan's total payables.
    pub fn measure_name(&self) -> &str {
        match self.component.kind {
            ComponentKind::PlanCap(_) => "plan total",
            _ => &self.plan.measures[self.component.measure].name,
        }
    }

    /// Places to print the measure with: money like money; units and counts with the digits they have.
    pub fn measure_places(&self) -> u32 {
        if self.money_measure {
            self.plan.rounding.places
        } else {
            0
        }
    }
}

/// The rows of the run (payout periods inside the requested period only), in output order.
pub fn rows<'a>(inputs: &'a Inputs, run: &'a RunResult) -> Vec<Row<'a>> {
    // Rep ids are unique: with the reps ranked by id once, the results sort on integers.
    let mut reps: Vec<u32> = run.reps.iter().map(|r| r.rep).collect();
    reps.sort_unstable();
    reps.dedup();
    reps.sort_unstable_by(|&a, &b| inputs.roster.get(a).id.cmp(&inputs.roster.get(b).id));
    let mut rank = vec![0u32; inputs.roster.len()];
    for (i, &r) in reps.iter().enumerate() {
        rank[r as usize] = i as u32;
    }
    // The results by rep in id order, a rep's in run order (stable); then each rep's rows made
    // and sorted apart, in parallel (a large run has a row per rep, component and month).
    let mut order: Vec<usize> = (0..run.reps.len()).collect();
    order.sort_by_key(|&i| rank[run.reps[i].rep as usize]);
    let closed = |p| run.payment.closed.contains_key(&p);
    let by_rep: Vec<&[usize]> = order
        .chunk_by(|&a, &b| run.reps[a].rep == run.reps[b].rep)
        .collect();
    let parts: Vec<Vec<Row>> = by_rep
        .par_chunks(256)
        .map(|reps| {
            let mut rows = Vec::new();
            for results in reps {
                let first = rows.len();
                for &i in *results {
                    push_rows(inputs, i, &run.reps[i], &closed, &mut rows);
                }
                rows[first..].sort_unstable_by_key(|row| row_key(0, row));
            }
            rows
        })
        .collect();
    concat(&parts)
}

/// `parts` one after the other, copied on every core: a large run's rows are too many to append
/// one part at a time.
fn concat<T: Copy + Send + Sync>(parts: &[Vec<T>]) -> Vec<T> {
    // Where each part starts in the whole, and the whole's length last.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(parts.iter().scan(0, |at, p| {
            *at += p.len();
            Some(*at)
        }))
        .collect();
    let mut all = Vec::new();
    (0..starts[parts.len()])
        .into_par_iter()
        .with_min_len(1 << 14)
        // The part of the last item a worker copied: the next is in it or after it.
        .map_init(
            || 0,
            |part: &mut usize, i| {
                if !(starts[*part]..starts[*part + 1]).contains(&i) {
                    *part = starts.partition_point(|&s| s <= i) - 1;
                }
                parts[*part][i - starts[*part]]
            },
        )
        .collect_into_vec(&mut all);
    all
}

/// The rows of some reps' results (`results`: every result of each rep, the reps in rep id order,
/// as the run's are after [`rows`]' sort), in output order, no period closed: the rows of these
/// reps in [`rows`], with `at` indexing `results` instead of the run's results.
pub fn rows_of<'a>(inputs: &'a Inputs, results: &'a [RepResult]) -> Vec<Row<'a>> {
    let mut rank = Vec::with_capacity(results.len());
    let mut reps = 0u32;
    for (i, r) in results.iter().enumerate() {
        if i > 0 && results[i - 1].rep != r.rep {
            reps += 1;
        }
        rank.push(reps);
    }
    let mut rows = Vec::new();
    for (i, r) in results.iter().enumerate() {
        push_rows(inputs, i, r, &|_| false, &mut rows);
    }
    rows.sort_unstable_by_key(|row| row_key(rank[row.at[0]], row));
    rows
}

/// The order of rows: by rep (its `rank` by id), payout period, plan assignment, the component's
/// place in its plan file, then the place in the run.
#[allow(clippy::type_complexity)]
fn row_key(
    rank: u32,
    row: &Row,
) -> (
    u32,
    Period,
    Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)>,
    u64,
    [usize; 3],
) {
    (
        rank,
        row.result.payout_period,
        row.assignment,
        row.component.line,
        row.at,
    )
}

/// A row per payout period inside the requested period of result `r`, the run's `i`th, pushed
/// onto `rows` (`closed`: whether a payout period is closed in the ledger).
fn push_rows<'a>(
    inputs: &'a Inputs,
    i: usize,
    r: &'a RepResult,
    closed: &dyn Fn(Period) -> bool,
    rows: &mut Vec<Row<'a>>,
) {
    let rep = inputs.roster.get(r.rep);
    let plan = &inputs.plans[r.plan];
    for (j, c) in r.components.iter().enumerate() {
        let component = &plan.components[c.component];
        let money_measure = matches!(component.kind, ComponentKind::PlanCap(_))
            || super::format::measure_is_money(inputs, plan, component);
        for (k, p) in c.periods.iter().enumerate().filter(|(_, p)| p.in_run) {
            rows.push(Row {
                at: [i, j, k],
                rep_id: &rep.id,
                rep_name: &rep.name,
                plan,
                component,
                result: p,
                assignment: r.assignment,
                money_measure,
                closed: closed(p.payout_period),
            });
        }
    }
}

/// A row of `--format json`, text as it is (formula neutralisation is for CSV cells).
#[derive(Serialize)]
struct JsonRow<'a> {
    rep_id: &'a str,
    rep_name: &'a str,
    plan: &'a str,
    component: &'a str,
    payout_period: String,
    measurement_period: String,
    currency: &'a str,
    measure: &'a str,
    measure_to_date: String,
    /// `null` when the component has no quota.
    quota: Option<String>,
    /// `null` when the component has no quota.
    attainment: Option<String>,
    earned_to_date: String,
    paid_to_date: String,
    payable: String,
    capped_off: String,
    // Payment columns: the sums of the period's payment lines by kind.
    /// prior-period + recorded lines: corrections of closed periods of earlier measurement periods
    /// (a closed period of the same measurement period is corrected by the true-up: paid-to-date).
    prior_periods: String,
    adjustments: String,
    draw: String,
    recovery: String,
    /// carry-forward + carry-in lines: a negative payable moved to (or back from) a balance.
    carried: String,
    /// hold + release lines: commission held until the deal is paid (negative), or released.
    held: String,
    clawbacks: String,
    /// lifetime-cap lines: the part of the payable above the component's lifetime cap (negative).
    lifetime_capped: String,
    /// `open`, or `closed` when the ledger recorded this payout period.
    status: &'static str,
}

/// The payment columns, in output order, and the line kinds each sums.
const PAYMENT_COLUMNS: [&[LineKind]; 8] = [
    &[LineKind::PriorPeriod, LineKind::Recorded],
    &[LineKind::Adjustment],
    &[LineKind::Draw],
    &[LineKind::Recovery],
    &[LineKind::CarryForward, LineKind::CarryIn, LineKind::Floored],
    &[LineKind::Hold, LineKind::Release],
    &[LineKind::Clawback],
    &[LineKind::LifetimeCap],
];

/// The sums of a period's lines for each of [`PAYMENT_COLUMNS`], in one pass over the lines (each
/// sum adds its lines in line order, from zero).
fn payment_sums(p: &PeriodResult) -> [Decimal; 8] {
    let mut sums = [Decimal::ZERO; 8];
    for l in p.lines() {
        if let Some(i) = PAYMENT_COLUMNS.iter().position(|k| k.contains(&l.kind)) {
            sums[i] += l.amount;
        }
    }
    sums
}

fn json_row<'a>(r: &'a Row<'a>) -> JsonRow<'a> {
    let places = r.plan.rounding.places;
    let p = r.result;
    let sums = payment_sums(p);
    JsonRow {
        rep_id: r.rep_id,
        rep_name: r.rep_name,
        plan: &r.plan.id,
        component: &r.component.id,
        payout_period: p.payout_period.to_string(),
        measurement_period: p.measurement_period.to_string(),
        currency: &r.plan.currency,
        measure: r.measure_name(),
        measure_to_date: amount(p.measure_to_date, r.measure_places()),
        quota: p.quota().map(|q| amount(q.amount, r.measure_places())),
        attainment: p.attainment().map(|a| attainment_ratio(Some(a))),
        earned_to_date: amount(p.earned_to_date, places),
        paid_to_date: amount(p.paid_to_date, places),
        payable: amount(p.payable, places),
        capped_off: amount(p.capped_off(), places),
        prior_periods: amount(sums[0], places),
        adjustments: amount(sums[1], places),
        draw: amount(sums[2], places),
        recovery: amount(sums[3], places),
        carried: amount(sums[4], places),
        held: amount(sums[5], places),
        clawbacks: amount(sums[6], places),
        lifetime_capped: amount(sums[7], places),
        status: if r.closed { "closed" } else { "open" },
    }
}

/// The columns of `payouts.csv`, as [`JsonRow`] names them (the JSON rows' keys).
const CSV_HEADER: [&str; 24] = [
    "rep_id",
    "rep_name",
    "plan",
    "component",
    "payout_period",
    "measurement_period",
    "currency",
    "measure",
    "measure_to_date",
    "quota",
    "attainment",
    "earned_to_date",
    "paid_to_date",
    "payable",
    "capped_off",
    "prior_periods",
    "adjustments",
    "draw",
    "recovery",
    "carried",
    "held",
    "clawbacks",
    "lifetime_capped",
    "status",
];

/// One row of `payouts.csv`, field by field: the same cells as [`json_row`], written as the CSV
/// writer would write them straight into the part's bytes.
fn write_csv_row(f: &mut RawFields, periods: &mut PeriodTexts, r: &Row) -> csv::Result<()> {
    let places = r.plan.rounding.places;
    let p = r.result;
    f.text(r.rep_id)?;
    f.text(r.rep_name)?;
    f.text(&r.plan.id)?;
    f.text(&r.component.id)?;
    f.text(periods.text(p.payout_period))?;
    f.text(periods.text(p.measurement_period))?;
    f.text(&r.plan.currency)?;
    f.text(r.measure_name())?;
    f.amount(p.measure_to_date, r.measure_places())?;
    match p.quota() {
        Some(q) => {
            f.amount(q.amount, r.measure_places())?;
        }
        None => f.empty()?,
    }
    f.with(|s| push_attainment_ratio(s, p.attainment()))?;
    f.amount(p.earned_to_date, places)?;
    f.amount(p.paid_to_date, places)?;
    f.amount(p.payable, places)?;
    f.amount(p.capped_off(), places)?;
    for sum in payment_sums(p) {
        f.amount(sum, places)?;
    }
    f.text(if r.closed { "closed" } else { "open" })?;
    f.end()
}

/// The texts of the few periods a run has, each formatted once.
#[derive(Default)]
struct PeriodTexts(Vec<(Period, String)>);

impl PeriodTexts {
    fn text(&mut self, period: Period) -> &str {
        let i = match self.0.iter().position(|(p, _)| *p == period) {
            Some(i) => i,
            None => {
                self.0.push((period, period.to_string()));
                self.0.len() - 1
            }
        };
        &self.0[i].1
    }
}

/// Rows of the summary's CSV rendered together (a part), in parallel with the other parts.
const CSV_PART: usize = 4096;

/// `payouts.csv` (also `--format csv` on stdout), written a batch of parts at a time.
pub fn render_csv(rows: &[Row], mut out: impl Write) -> anyhow::Result<()> {
    let batch = CSV_PART * rayon::current_num_threads().max(1) * 2;
    for (b, rows) in rows.chunks(batch).enumerate() {
        for part in parts(rows, b == 0)? {
            out.write_all(&part)?;
        }
    }
    if rows.is_empty() {
        out.write_all(&csv_part(rows, true)?)?;
    }
    out.flush()?;
    Ok(())
}

/// [`render_csv`]'s bytes as parts to be written in order (the header in the first): the whole
/// summary held once, for payouts.csv and stdout both, without the copies of a growing buffer.
pub fn csv_parts(rows: &[Row]) -> anyhow::Result<Vec<Vec<u8>>> {
    match rows.is_empty() {
        true => Ok(vec![csv_part(rows, true)?]),
        false => parts(rows, true),
    }
}

/// `rows` rendered a part of [`CSV_PART`] rows at a time, in parallel, the first part after the
/// header when `header`.
fn parts(rows: &[Row], header: bool) -> anyhow::Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    rows.par_chunks(CSV_PART)
        .enumerate()
        .map(|(i, part)| csv_part(part, header && i == 0))
        .collect()
}

/// The CSV records of `rows`, after the header row when `header`.
fn csv_part(rows: &[Row], header: bool) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(rows.len() * 160);
    let mut f = RawFields::new(&mut out);
    if header {
        f.record(CSV_HEADER)?;
    }
    let mut periods = PeriodTexts::default();
    for r in rows {
        write_csv_row(&mut f, &mut periods, r)?;
    }
    Ok(out)
}

/// `--format json`: the rows and the total per currency, money as strings.
pub fn render_json(
    run_id: &str,
    period: &str,
    rows: &[Row],
    out: impl Write,
) -> anyhow::Result<()> {
    /// The document, its rows serialized one at a time as they are formatted.
    #[derive(Serialize)]
    struct Doc<'a> {
        run_id: &'a str,
        period: &'a str,
        rows: JsonRows<'a>,
        total_payable: std::collections::BTreeMap<String, String>,
    }
    struct JsonRows<'a>(&'a [Row<'a>]);
    impl Serialize for JsonRows<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(json_row))
        }
    }
    let doc = Doc {
        run_id,
        period,
        rows: JsonRows(rows),
        total_payable: totals(rows)
            .into_iter()
            .map(|(c, t, p)| (c, amount(t, p)))
            .collect(),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Payable totals per currency (currency, total, places).
fn totals(rows: &[Row]) -> Vec<(String, Decimal, u32)> {
    let mut by: std::collections::BTreeMap<String, (Decimal, u32)> =
        std::collections::BTreeMap::new();
    for r in rows {
        let e = by
            .entry(r.plan.currency.clone())
            .or_insert((Decimal::ZERO, 0));
        e.0 += r.result.payable;
        e.1 = e.1.max(r.plan.rounding.places);
    }
    by.into_iter().map(|(c, (t, p))| (c, t, p)).collect()
}

/// The summary table for people.
pub fn render_table(rows: &[Row], mut out: impl Write) -> anyhow::Result<()> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    // What the payment step adds to earned − paid (draws, recoveries, holds, clawbacks, adjustments,
    // prior-period corrections, carried balances): a column of its own when any row has some, so
    // every row's payable is the arithmetic of its printed cells.
    let payments = |p: &PeriodResult| p.payable - (p.earned_to_date - p.paid_to_date);
    let with_payments = rows.iter().any(|r| !payments(r.result).is_zero());
    let mut header = vec![
        "Rep",
        "Name",
        "Plan",
        "Period",
        "Component",
        "Measure",
        "Quota",
        "To date",
        "Attainment",
        "Earned to date",
        "Paid before",
    ];
    if with_payments {
        header.push("Payment lines");
    }
    header.push("Payable");
    let width = header.len();
    t.set_header(header);
    for r in rows {
        let places = r.plan.rounding.places;
        let p = r.result;
        let mut row = vec![
            r.rep_id.to_string(),
            r.rep_name.to_string(),
            r.plan.id.clone(),
            p.payout_period.to_string(),
            r.component.id.clone(),
            r.measure_name().to_string(),
            p.quota()
                .map(|q| grouped(q.amount, r.measure_places()))
                .unwrap_or_default(),
            grouped(p.measure_to_date, r.measure_places()),
            attainment_pct(p.attainment()),
            grouped(p.earned_to_date, places),
            grouped(p.paid_to_date, places),
        ];
        if with_payments {
            row.push(grouped(payments(p), places));
        }
        row.push(grouped(p.payable, places));
        t.add_row(term_row(row));
    }
    for (currency, total, places) in totals(rows) {
        let mut row = vec![String::new(); width];
        row[0] = format!("Total {currency}");
        row[width - 1] = grouped(total, places);
        t.add_row(row);
    }
    for i in 6..width {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{t}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::concat;
    use proptest::prelude::*;

    proptest! {
        /// The parts, empty ones included, come out whole and in order, as appending them would.
        #[test]
        fn concat_appends_the_parts_in_order(
            lengths in proptest::collection::vec(prop_oneof![Just(0usize), 0..40_000usize], 0..8),
        ) {
            let mut next = 0u32;
            let parts: Vec<Vec<u32>> = lengths
                .iter()
                .map(|&n| (0..n).map(|_| { next += 1; next }).collect())
                .collect();
            let appended: Vec<u32> = parts.iter().flatten().copied().collect();
            prop_assert_eq!(concat(&parts), appended);
        }
    }
}
