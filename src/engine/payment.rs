//! Payment: from what the engine says was earned to what payroll pays, given what was already paid.
//! Pure, like the rest of the engine: the ledger, the adjustments and the engine's results for the
//! closed periods come in as data.
//!
//! For each rep, component and payout period of the run:
//! - **closed** (the month it ends in belongs to a run period closed in the ledger): the payable is
//!   what the ledger recorded, line for line. When the data now compute a different commission, a
//!   `recorded` line (recorded − computed now) says so; the difference itself is paid in the next open
//!   payout period, never by rewriting the closed one.
//! - **open**: the engine's payable (earned-to-date − earned-to-date at the end of the previous payout
//!   period), then, in this order: `true-up` lines (a closed payout period of the same measurement
//!   period that now computes differently: new − paid, naming the period), `prior-period` lines (the
//!   same for a closed period of an earlier measurement period), `adjustment` lines, `carry-in` (a
//!   negative balance carried from earlier), the draw (`draw` top-up to the guaranteed amount,
//!   `recovery` of a recoverable balance from the excess, `draw-forgiven`), and `carry-forward` when
//!   the payable is still negative and the plan carries it forward.
//!
//! Invariants: payable = earned-to-date − paid-to-date + the payment lines (all but `true-up`, which
//! paid-to-date includes), and the lines sum to the payable; a correction of a closed period is paid
//! once: the ledger records it against the period it corrects (`for_period`), so what was paid for a
//! period is the sum of its `earned`, `true-up` and `prior-period` rows. The ledger's rows of a rep,
//! plan and component are those [`crate::ledger::renames::resolve`] gives it: recorded under its
//! current ids or the ones it was `formerly` known by (every row has an owner: the CLI refuses
//! orphans before a run).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Line, LineKind, RunResult};
use crate::data::adjustments::Adjustment;
use crate::data::DealTable;
use crate::data::Inputs;
use crate::ledger::{Ledger, LedgerRow};
use crate::money::fmt_amount;
use crate::period::Period;
use crate::plan::payment::{Clawback, Draw, NegativePayable};
use crate::plan::Plan;
use chrono::NaiveDate;

/// One payment line of an open payout period, as the ledger will record it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub kind: LineKind,
    /// The payout period the amount is for (a correction names the period it corrects).
    pub for_period: Period,
    pub amount: Decimal,
    /// Balance after the line, for draws (recoverable balance) and carried-forward balances.
    pub balance: Option<Decimal>,
    pub reason: String,
    /// The deal a clawback, hold or release is about.
    pub deal_id: String,
    /// Its row in the deals table (None for lines read back from the ledger).
    #[serde(skip)]
    pub deal: Option<u32>,
    /// The line's explanation (its "formula").
    pub note: String,
}

/// Who closed a payout period, from the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Closure {
    pub closed_period: Period,
    pub closed_at: String,
    pub approved_by: String,
    pub run_id: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Settlement {
    /// Payout periods of the run that are closed.
    pub closed: BTreeMap<Period, Closure>,
    /// Payment lines of each open payout period of the run that has some. Keyed by (rep, plan,
    /// component, payout period): a rep may be on several plans in a run.
    pub entries: BTreeMap<(u32, usize, usize, Period), Vec<Entry>>,
    /// Corrections and late adjustments no open payout period of this run could take (e.g. a
    /// quarterly component in a monthly run): they wait for the component's next open period.
    pub waiting: usize,
}

/// Per deal: the payout period it was credited in and its commission (its own lines) there.
type DealCommissions = BTreeMap<u32, (Period, Decimal)>;

/// What the payment step reads besides the run.
pub struct PaymentInputs<'a> {
    pub ledger: &'a Ledger,
    pub adjustments: &'a [Adjustment],
    /// Engine runs of the ledger's closed run periods: what the closed periods compute now.
    pub history: &'a [RunResult],
}

/// Whether the draw applies to a payout period.
fn draw_active(d: &Draw, p: Period) -> bool {
    let end = p.end();
    if end < d.from || d.to.is_some_and(|t| end > t) {
        return false;
    }
    if let Some(n) = d.periods {
        let mut q = p.calendar().period_of(p.granularity(), d.from);
        let mut i = 0u32;
        while q < p && i <= n {
            q = q.next();
            i += 1;
        }
        return i < n;
    }
    true
}

fn entry(kind: LineKind, for_period: Period, amount: Decimal, note: String) -> Entry {
    Entry {
        kind,
        for_period,
        amount,
        balance: None,
        reason: String::new(),
        deal_id: String::new(),
        deal: None,
        note,
    }
}

fn from_ledger(row: &LedgerRow, kind: LineKind) -> Entry {
    Entry {
        kind,
        for_period: row.for_period,
        amount: row.amount,
        balance: row.balance,
        reason: row.reason.clone(),
        deal_id: row.deal_id.clone(),
        deal: None,
        note: row.note.clone(),
    }
}

/// What a payment line about a deal shows of it (id, source line and close date on statements).
fn deal_credit(inputs: &Inputs, deal: u32) -> super::Credit {
    let deals = &inputs.deals;
    let amount = deals.amount(deal as usize);
    super::Credit::owner(deal, deals.close_date(deal as usize), amount, None, amount)
}

/// A deal's cancellation under a plan's clawback: its cancel date and the cancelled share (0 to 1:
/// `cancelled_amount` ÷ `amount`, or all of it), when the cancel date is at most `window_days` after
/// the deal's close date. `None`: not cancelled, or cancelled too late to claw back.
pub(crate) fn cancellation(
    deals: &DealTable,
    clawback: &Clawback,
    row: usize,
) -> Option<(NaiveDate, Decimal)> {
    let c = deals.column("cancel_date")?;
    let date = deals.columns[c].date(row)?;
    if (date - deals.close_date(row)).num_days() > i64::from(clawback.window_days) {
        return None;
    }
    let amount = deals.amount(row);
    let share = match deals
        .column("cancelled_amount")
        .and_then(|i| deals.columns[i].decimal(row))
    {
        Some(part) if !amount.is_zero() => (part / amount).abs().min(Decimal::ONE),
        _ => Decimal::ONE,
    };
    Some((date, share))
}

/// The share of a deal that stays in the measures: `Some` only for a deal the plan's clawback
/// cancels and whose cancellation reduces attainment.
pub(crate) fn kept_share(deals: &DealTable, plan: &Plan, row: usize) -> Option<Decimal> {
    let clawback = plan
        .payment
        .clawback
        .as_ref()
        .filter(|c| c.reduce_attainment)?;
    cancellation(deals, clawback, row).map(|(_, share)| Decimal::ONE - share)
}

/// Whether a plan needs every deal's commission per payout period (clawbacks that keep attainment,
/// holds): the engine must then keep the statement lines.
pub fn needs_lines(plan: &Plan) -> bool {
    plan.payment.hold.is_some()
        || plan
            .payment
            .clawback
            .as_ref()
            .is_some_and(|c| !c.reduce_attainment)
}

/// Whether a ledger row of this kind is paid for its `for_period`: the commission (`earned`) and its
/// corrections.
fn paid_for_kind(kind: Option<LineKind>) -> bool {
    matches!(
        kind,
        None | Some(LineKind::TrueUp) | Some(LineKind::PriorPeriod)
    )
}

/// " under component `x`" when some of `rows` were recorded under a former id of the component or of
/// its plan (a rename declared with `formerly`); empty otherwise.
fn recorded_as<'r>(
    rows: impl IntoIterator<Item = &'r LedgerRow>,
    plan: &Plan,
    component: usize,
) -> String {
    let names: BTreeSet<String> = rows
        .into_iter()
        .filter_map(|row| crate::ledger::renames::former_name(row, plan, component))
        .collect();
    if names.is_empty() {
        return String::new();
    }
    let names: Vec<String> = names.into_iter().collect();
    format!(" under {}", names.join(" and "))
}

/// Apply the ledger, the adjustments and the plans' payment settings to the run's payables.
pub fn settle(inputs: &Inputs, run: &mut RunResult, pay: &PaymentInputs) {
    let ledger = pay.ledger;
    let months = ledger.closed_months();
    let closed = |p: Period| ledger.is_closed(&months, p);
    // What every payout period computes now (the engine's payable), from the closed periods' runs
    // and this run (which wins: it is the same computation).
    let mut computed: BTreeMap<(u32, usize, usize), BTreeMap<Period, Decimal>> = BTreeMap::new();
    let sources = if ledger.rows.is_empty() {
        // Nothing is closed: no correction to compute.
        &[][..]
    } else {
        pay.history
    };
    for res in sources
        .iter()
        .chain(std::iter::once(&*run).filter(|_| !ledger.rows.is_empty()))
    {
        for r in &res.reps {
            for c in &r.components {
                let m = computed.entry((r.rep, r.plan, c.component)).or_default();
                for p in &c.periods {
                    m.insert(p.payout_period, p.payable);
                }
            }
        }
    }
    // Each deal's commission (its own lines) per payout period, for plans that claw back without
    // reducing attainment or hold commission until payment.
    let mut deal_commission: BTreeMap<(u32, usize, usize), DealCommissions> = BTreeMap::new();
    for res in pay.history.iter().chain(std::iter::once(&*run)) {
        for r in &res.reps {
            if !needs_lines(&inputs.plans[r.plan]) {
                continue;
            }
            for c in &r.components {
                let m = deal_commission
                    .entry((r.rep, r.plan, c.component))
                    .or_default();
                for p in &c.periods {
                    let mut here: BTreeMap<u32, Decimal> = BTreeMap::new();
                    for l in p.lines.iter().filter(|l| l.kind.is_deal_line()) {
                        if let Some(credit) = l.credit {
                            *here.entry(credit.deal).or_default() += l.amount;
                        }
                    }
                    for (deal, amount) in here {
                        m.insert(deal, (p.payout_period, amount));
                    }
                }
            }
        }
    }
    // Deals with a cancel date, by owner: a clawback that reduces attainment took them out of the
    // measures, and the corrections of the periods they were paid in name them.
    let mut cancelled_by_rep: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    if inputs.plans.iter().any(|p| {
        p.payment
            .clawback
            .as_ref()
            .is_some_and(|c| c.reduce_attainment)
    }) {
        let deals = &inputs.deals;
        if let Some(c) = deals.column("cancel_date") {
            for (row, &rep) in deals.reps.iter().enumerate() {
                if deals.columns[c].date(row).is_some() {
                    // The owner (unless split rows replace them) and every rep of the credits file.
                    if !inputs.credits.is_split(row as u32) {
                        cancelled_by_rep.entry(rep).or_default().push(row);
                    }
                    for credit in inputs.credits.of_deal(row as u32) {
                        cancelled_by_rep.entry(credit.rep).or_default().push(row);
                    }
                }
            }
        }
    }
    // The ledger's rows by rep, plan and component, renames (`formerly`) followed.
    let index = crate::ledger::renames::resolve(ledger, &inputs.plans, &inputs.roster).rows;
    // Deals the ledger names (clawbacks, holds, releases), by id: replayed lines show them.
    let named: BTreeSet<&str> = ledger
        .rows
        .iter()
        .filter(|r| !r.deal_id.is_empty())
        .map(|r| r.deal_id.as_str())
        .collect();
    let mut deal_rows: BTreeMap<&str, u32> = BTreeMap::new();
    if !named.is_empty() {
        for row in 0..inputs.deals.len() {
            if let Some(id) = named.get(inputs.deals.id(row)) {
                deal_rows.insert(id, row as u32);
            }
        }
    }
    let mut closures: BTreeMap<Period, Closure> = BTreeMap::new();
    for row in &ledger.rows {
        closures.entry(row.period).or_insert_with(|| Closure {
            closed_period: row.closed_period,
            closed_at: row.closed_at.clone(),
            approved_by: row.approved_by.clone(),
            run_id: row.run_id.clone(),
        });
    }
    let mut settlement = Settlement::default();
    let none: Vec<&LedgerRow> = Vec::new();
    // Adjustments not yet in the ledger (matched by rep, the period containing theirs, amount and
    // reason, whatever plan or component recorded them), by rep; each is placed once.
    let mut recorded: BTreeMap<&str, Vec<&LedgerRow>> = BTreeMap::new();
    for row in ledger
        .rows
        .iter()
        .filter(|r| r.kind == Some(LineKind::Adjustment))
    {
        recorded.entry(row.rep_id.as_str()).or_default().push(row);
    }
    let mut pending: BTreeMap<u32, Vec<&Adjustment>> = BTreeMap::new();
    for a in pay.adjustments {
        let list = recorded
            .entry(inputs.roster.get(a.rep).id.as_str())
            .or_default();
        match list.iter().position(|row| {
            row.for_period.contains(a.period.end())
                && row.amount == a.amount
                && row.reason == a.reason
        }) {
            Some(i) => {
                list.remove(i);
            }
            None => pending.entry(a.rep).or_default().push(a),
        }
    }
    let mut placed: BTreeSet<u64> = BTreeSet::new();

    for r in run.reps.iter_mut() {
        let plan = &inputs.plans[r.plan];
        // Nothing to settle without a ledger, adjustments or payment rules: the engine's payables
        // stand (negative ones are carried below).
        if ledger.rows.is_empty()
            && !pending.contains_key(&r.rep)
            && plan.payment.draw.is_none()
            && plan.payment.clawback.is_none()
            && plan.payment.hold.is_none()
            && plan.components.iter().all(|c| c.lifetime_cap.is_none())
        {
            continue;
        }
        let places = plan.rounding.places;
        let money = |d: Decimal| fmt_amount(d, places);
        for c in r.components.iter_mut() {
            let comp = &plan.components[c.component];
            // The ledger's rows of this rep, plan and component (under its former ids too, and rows
            // without a plan).
            let rows = index.get(&(r.rep, r.plan, c.component)).unwrap_or(&none);

            // Corrections of closed payout periods: what they compute now − what was paid for them.
            let mut paid_for: BTreeMap<Period, Decimal> = BTreeMap::new();
            for row in rows.iter().filter(|row| paid_for_kind(row.kind)) {
                *paid_for.entry(row.for_period).or_default() += row.amount;
            }
            let now = computed.get(&(r.rep, r.plan, c.component));
            let mut periods: BTreeSet<Period> = paid_for.keys().copied().collect();
            periods.extend(now.iter().flat_map(|m| m.keys().copied()));
            let mut corrections: Vec<(Period, Decimal, Decimal)> = periods
                .into_iter()
                .filter(|q| closed(*q))
                .filter_map(|q| {
                    let old = paid_for.get(&q).copied().unwrap_or_default();
                    let new = now.and_then(|m| m.get(&q)).copied().unwrap_or_default();
                    (new != old).then_some((q, old, new))
                })
                .collect();

            // Adjustments: paid in the payout period containing the end of their period, on the
            // named component (default the plan's first); one for a closed period is paid late.
            let mut on_time: BTreeMap<Period, Vec<&Adjustment>> = BTreeMap::new();
            let mut late: Vec<(Period, &Adjustment)> = Vec::new();
            for a in pending
                .get(&r.rep)
                .into_iter()
                .flatten()
                .copied()
                .filter(|a| !placed.contains(&a.line))
            {
                let wanted = match &a.component {
                    Some(id) => *id == comp.id,
                    None => c.component == 0,
                };
                if !wanted {
                    continue;
                }
                let q = a
                    .period
                    .calendar()
                    .period_of(comp.payout_period, a.period.end());
                if closed(q) {
                    late.push((q, a));
                } else {
                    on_time.entry(q).or_default().push(a);
                }
            }

            let last_balance = |kinds: &[LineKind]| {
                rows.iter()
                    .rev()
                    .find(|row| row.kind.is_some_and(|k| kinds.contains(&k)))
                    .and_then(|row| row.balance)
                    .unwrap_or_default()
            };
            let mut draw_balance =
                last_balance(&[LineKind::Draw, LineKind::Recovery, LineKind::DrawForgiven]);
            let draw = plan
                .payment
                .draw
                .as_ref()
                .filter(|d| d.component == c.component);

            let empty = BTreeMap::new();
            let commissions = deal_commission
                .get(&(r.rep, r.plan, c.component))
                .unwrap_or(&empty);
            // Clawbacks that keep attainment: the deal's own commission × the cancelled share,
            // once (the ledger names the deals already clawed back). Kept as (deal, period paid,
            // cancel date, commission less what the ledger still holds, share): this run's holds and releases
            // are known when the clawback is placed.
            let mut clawbacks: Vec<(u32, Period, NaiveDate, Decimal, Decimal)> = Vec::new();
            if let Some(cb) = plan
                .payment
                .clawback
                .as_ref()
                .filter(|c| !c.reduce_attainment)
            {
                for (&deal, &(q, commission)) in commissions {
                    let id = inputs.deals.id(deal as usize);
                    if rows
                        .iter()
                        .any(|row| row.kind == Some(LineKind::Clawback) && row.deal_id == id)
                    {
                        continue;
                    }
                    if let Some((date, share)) = cancellation(&inputs.deals, cb, deal as usize) {
                        // Only what was paid is reversed: a hold not yet released stays unpaid.
                        let held: Decimal = -rows
                            .iter()
                            .filter(|row| {
                                row.deal_id == id
                                    && matches!(
                                        row.kind,
                                        Some(LineKind::Hold) | Some(LineKind::Release)
                                    )
                            })
                            .map(|row| row.amount)
                            .sum::<Decimal>();
                        // `percent_of_paid` (default 100%) of the cancelled share is reversed.
                        let reversed_share = cb.reversed_share(share);
                        clawbacks.push((deal, q, date, commission - held, reversed_share));
                    }
                }
            }
            // Holds of deals a clawback (reducing attainment) took out: the correction of their
            // period reverses the whole commission, so what is still held is released against it.
            let mut cancelled_holds: Vec<(String, Period, NaiveDate, Decimal)> = Vec::new();
            if let Some(cb) = plan
                .payment
                .clawback
                .as_ref()
                .filter(|c| c.reduce_attainment)
            {
                let mut outstanding: BTreeMap<&str, (Period, Decimal)> = BTreeMap::new();
                for row in rows.iter().filter(|r| !r.deal_id.is_empty()) {
                    if matches!(row.kind, Some(LineKind::Hold) | Some(LineKind::Release)) {
                        let e = outstanding
                            .entry(row.deal_id.as_str())
                            .or_insert((row.for_period, Decimal::ZERO));
                        e.1 -= row.amount;
                    }
                }
                for (id, (q, held)) in outstanding {
                    let Some(&d) = deal_rows.get(id) else {
                        continue;
                    };
                    if held.is_zero() {
                        continue;
                    }
                    if let Some((date, share)) = cancellation(&inputs.deals, cb, d as usize) {
                        let released = plan.rounding.apply(held * share);
                        cancelled_holds.push((id.to_string(), q, date, released));
                    }
                }
            }
            let rep_start = inputs.roster.get(r.rep).start_date;
            let mut lifetime = super::lifetime::Lifetime::new(comp, r.assignment, rep_start, rows);
            let mut held_in_run: BTreeMap<u32, Decimal> = BTreeMap::new();
            // Per deal, this run's holds (negative) and releases so far.
            let mut hold_moves: BTreeMap<u32, Decimal> = BTreeMap::new();
            for p in c.periods.iter_mut().filter(|p| p.in_run) {
                let period = p.payout_period;
                let engine_payable = p.payable;
                let mut entries: Vec<Entry> = Vec::new();
                if closed(period) {
                    let recorded: Vec<&&LedgerRow> =
                        rows.iter().filter(|row| row.period == period).collect();
                    let earned: Decimal = recorded
                        .iter()
                        .filter(|row| row.kind.is_none())
                        .map(|row| row.amount)
                        .sum();
                    for row in &recorded {
                        if let Some(k) = row.kind {
                            let mut e = from_ledger(row, k);
                            e.deal = deal_rows.get(row.deal_id.as_str()).copied();
                            entries.push(e);
                        }
                    }
                    // Rows recorded under a former id say so, even when nothing differs.
                    let was = recorded_as(recorded.iter().copied().copied(), plan, c.component);
                    if earned != engine_payable || !was.is_empty() {
                        let then = if earned == engine_payable {
                            ""
                        } else {
                            "; the difference is paid in the next open period"
                        };
                        entries.push(entry(
                            LineKind::Recorded,
                            period,
                            earned - engine_payable,
                            format!(
                                "closed: commission recorded {}{was}, computed now {}{then}",
                                money(earned),
                                money(engine_payable)
                            ),
                        ));
                    }
                    if let Some(cl) = closures.get(&period) {
                        settlement.closed.insert(period, cl.clone());
                    }
                } else {
                    let (due, wait): (Vec<_>, Vec<_>) = corrections
                        .into_iter()
                        .partition(|(q, _, _)| q.end() < period.start());
                    corrections = wait;
                    for (q, old, new) in due {
                        let same_measurement =
                            q.within(p.measurement_period.granularity()) == p.measurement_period;
                        let reducing = plan
                            .payment
                            .clawback
                            .as_ref()
                            .filter(|c| c.reduce_attainment);
                        let cancelled: Vec<String> = reducing
                            .map(|cb| {
                                cancelled_by_rep
                                    .get(&r.rep)
                                    .into_iter()
                                    .flatten()
                                    .filter(|&&row| q.contains(inputs.deals.close_date(row)))
                                    .filter_map(|&row| {
                                        cancellation(&inputs.deals, cb, row).map(|(date, _)| {
                                            format!(
                                                "deal {} cancelled {date}",
                                                inputs.deals.id(row)
                                            )
                                        })
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        let clawed = if cancelled.is_empty() {
                            String::new()
                        } else {
                            format!(" (clawback: {})", cancelled.join(", "))
                        };
                        let was = recorded_as(
                            rows.iter()
                                .copied()
                                .filter(|row| row.for_period == q && paid_for_kind(row.kind)),
                            plan,
                            c.component,
                        );
                        entries.push(entry(
                            if same_measurement {
                                LineKind::TrueUp
                            } else {
                                LineKind::PriorPeriod
                            },
                            q,
                            new - old,
                            format!(
                                "{q}: paid {}{was}, computed now {}{clawed}",
                                money(old),
                                money(new)
                            ),
                        ));
                    }
                    // The lifetime cap, on the payable and the corrections of closed periods.
                    if let Some(l) = lifetime.as_mut() {
                        let due =
                            engine_payable + entries.iter().map(|e| e.amount).sum::<Decimal>();
                        if let Some(e) = l.cut(period, due, &money) {
                            p.capped_off -= e.amount;
                            entries.push(e);
                        }
                    }
                    let (due, wait): (Vec<_>, Vec<_>) = late
                        .into_iter()
                        .partition(|(q, _)| q.end() < period.start());
                    late = wait;
                    let adjustments = due.into_iter().chain(
                        on_time
                            .remove(&period)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|a| (period, a)),
                    );
                    for (q, a) in adjustments {
                        let mut note = a.reason.clone();
                        if q != period {
                            note.push_str(&format!(" (for {q}, closed before it arrived)"));
                        }
                        if !a.approved_by.is_empty() {
                            note.push_str(&format!("; approved by {}", a.approved_by));
                        }
                        if !a.note.is_empty() {
                            note.push_str(&format!("; {}", a.note));
                        }
                        let mut e = entry(LineKind::Adjustment, q, a.amount, note);
                        e.reason = a.reason.clone();
                        entries.push(e);
                        placed.insert(a.line);
                    }
                    // Holds first (their lines follow the clawbacks): a deal held in this run has
                    // only what was paid of it reversed.
                    let mut holds: Vec<Entry> = Vec::new();
                    if let Some(hold) = &plan.payment.hold {
                        hold_lines(
                            inputs,
                            hold,
                            &plan.rounding,
                            period,
                            commissions,
                            rows,
                            &mut held_in_run,
                            &closed,
                            &money,
                            &mut holds,
                        );
                    }
                    for e in &holds {
                        if let Some(d) = e.deal {
                            *hold_moves.entry(d).or_default() += e.amount;
                        }
                    }
                    for (deal, q, date, paid, share) in clawbacks
                        .iter()
                        .filter(|c| c.1.start() <= period.start() && c.2 <= period.end())
                    {
                        let d = *deal as usize;
                        let moved = hold_moves.get(deal).copied().unwrap_or_default();
                        let amount = -plan.rounding.apply((*paid + moved) * *share);
                        let mut e = entry(
                            LineKind::Clawback,
                            *q,
                            amount,
                            format!(
                                "deal {} (closed {}, paid in {q}) cancelled {date}: commission reversed{}",
                                inputs.deals.id(d),
                                inputs.deals.close_date(d),
                                plan.payment.clawback.as_ref().map_or(String::new(), |c| c.percent_note())
                            ),
                        );
                        e.deal_id = inputs.deals.id(d).to_string();
                        e.deal = Some(*deal);
                        entries.push(e);
                    }
                    clawbacks.retain(|c| !(c.1.start() <= period.start() && c.2 <= period.end()));
                    let (due, wait): (Vec<_>, Vec<_>) =
                        cancelled_holds.into_iter().partition(|(_, q, date, _)| {
                            q.end() < period.start() && *date <= period.end()
                        });
                    cancelled_holds = wait;
                    for (id, q, date, released) in due {
                        let mut e = entry(
                            LineKind::Release,
                            q,
                            released,
                            format!(
                                "deal {id} cancelled {date}: commission held in {q} released against the clawback"
                            ),
                        );
                        e.deal = deal_rows.get(id.as_str()).copied();
                        e.deal_id = id;
                        entries.push(e);
                    }
                    entries.extend(holds);
                    let mut total =
                        engine_payable + entries.iter().map(|e| e.amount).sum::<Decimal>();
                    if let Some(d) = draw {
                        if d.forgive_on.is_some_and(|f| f <= period.end())
                            && draw_balance > Decimal::ZERO
                        {
                            let mut e = entry(
                                LineKind::DrawForgiven,
                                period,
                                Decimal::ZERO,
                                format!("draw balance {} forgiven", money(draw_balance)),
                            );
                            draw_balance = Decimal::ZERO;
                            e.balance = Some(draw_balance);
                            entries.push(e);
                        }
                        let active = draw_active(d, period);
                        let guaranteed = if active { d.amount } else { Decimal::ZERO };
                        if active && total < d.amount {
                            let top = d.amount - total;
                            if d.recoverable {
                                draw_balance += top;
                            }
                            let mut e = entry(
                                LineKind::Draw,
                                period,
                                top,
                                if d.recoverable {
                                    format!(
                                        "recoverable draw {} − payable {}; balance {}",
                                        money(d.amount),
                                        money(total),
                                        money(draw_balance)
                                    )
                                } else {
                                    format!(
                                        "draw {} − payable {} (non-recoverable)",
                                        money(d.amount),
                                        money(total)
                                    )
                                },
                            );
                            e.balance = Some(draw_balance);
                            entries.push(e);
                            total += top;
                        } else if draw_balance > Decimal::ZERO
                            && total > guaranteed
                            && d.recovers_by(period.end())
                        {
                            let excess = total - guaranteed;
                            let mut recovered = excess.min(draw_balance);
                            if let Some(m) = d.max_recovery {
                                recovered = recovered.min(m);
                            }
                            draw_balance -= recovered;
                            let mut e = entry(
                                LineKind::Recovery,
                                period,
                                -recovered,
                                format!(
                                    "draw balance recovered from {} above the draw{}; balance {}",
                                    money(excess),
                                    d.max_recovery
                                        .map(|m| format!(" (at most {} a period)", money(m)))
                                        .unwrap_or_default(),
                                    money(draw_balance)
                                ),
                            );
                            e.balance = Some(draw_balance);
                            entries.push(e);
                            total -= recovered;
                        }
                    }
                }
                let true_up: Decimal = entries
                    .iter()
                    .filter(|e| e.kind == LineKind::TrueUp)
                    .map(|e| e.amount)
                    .sum();
                p.payable = engine_payable + entries.iter().map(|e| e.amount).sum::<Decimal>();
                p.paid_to_date = p.earned_to_date - (engine_payable + true_up);
                for e in &entries {
                    p.lines.push(Line::note(
                        e.kind,
                        e.deal.map(|d| deal_credit(inputs, d)),
                        e.amount,
                        e.note.clone(),
                    ));
                }
                if !closed(period) && !entries.is_empty() {
                    settlement
                        .entries
                        .insert((r.rep, r.plan, c.component, period), entries);
                }
            }
            settlement.waiting +=
                corrections.len() + late.len() + clawbacks.len() + cancelled_holds.len();
        }
    }
    // Negative months: per rep, over every plan they are on in the run.
    let mut by_rep: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, r) in run.reps.iter().enumerate() {
        by_rep.entry(r.rep).or_default().push(i);
    }
    for (rep, results) in by_rep {
        carry_forward(
            inputs,
            ledger,
            &closed,
            rep,
            &results,
            &mut run.reps,
            &mut settlement,
        );
        floor_negative_months(
            inputs,
            &closed,
            rep,
            &results,
            &mut run.reps,
            &mut settlement,
        );
    }
    run.payment = settlement;
}

/// Holds and releases of one open payout period: the commission of a deal credited in it and not paid
/// by its end is held (all but `at_booking`); a deal paid in it has what was held released.
#[allow(clippy::too_many_arguments)]
fn hold_lines(
    inputs: &Inputs,
    hold: &crate::plan::payment::Hold,
    rounding: &crate::money::Rounding,
    period: Period,
    commissions: &BTreeMap<u32, (Period, Decimal)>,
    rows: &[&LedgerRow],
    held_in_run: &mut BTreeMap<u32, Decimal>,
    closed: &dyn Fn(Period) -> bool,
    money: &dyn Fn(Decimal) -> String,
    entries: &mut Vec<Entry>,
) {
    let deals = &inputs.deals;
    let paid_col = deals.column("paid_date");
    let paid = |d: u32| paid_col.and_then(|c| deals.columns[c].date(d as usize));
    let held_share = Decimal::ONE - hold.at_booking;
    for (&deal, &(q, commission)) in commissions {
        let id = deals.id(deal as usize);
        let paid_on = paid(deal);
        if q == period && paid_on.is_none_or(|d| d > period.end()) && !commission.is_zero() {
            // Rounded like earned-to-date: payroll pays what the statement shows.
            let held = rounding.apply(commission * held_share);
            held_in_run.insert(deal, held);
            let mut e = entry(
                LineKind::Hold,
                period,
                -held,
                format!(
                    "deal {id}: {} of {} held until the deal is paid",
                    crate::money::fmt_percent(held_share),
                    money(commission)
                ),
            );
            e.deal_id = id.to_string();
            e.deal = Some(deal);
            entries.push(e);
        } else if q < period && paid_on.is_some_and(|d| period.contains(d)) {
            // What was held: the ledger's hold rows for the deal (less releases), else this run's
            // hold, else (an earlier period without a ledger) what its run held.
            let recorded: Vec<&&LedgerRow> = rows.iter().filter(|r| r.deal_id == id).collect();
            let held = if recorded.iter().any(|r| r.kind == Some(LineKind::Hold)) {
                -recorded
                    .iter()
                    .filter(|r| matches!(r.kind, Some(LineKind::Hold) | Some(LineKind::Release)))
                    .map(|r| r.amount)
                    .sum::<Decimal>()
            } else if let Some(h) = held_in_run.get(&deal) {
                *h
            } else if !closed(q) {
                rounding.apply(commission * held_share)
            } else {
                Decimal::ZERO
            };
            if held.is_zero() {
                continue;
            }
            let mut e = entry(
                LineKind::Release,
                q,
                held,
                format!(
                    "deal {id} paid {}: commission held in {q} released",
                    paid_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            );
            e.deal_id = id.to_string();
            e.deal = Some(deal);
            entries.push(e);
        }
    }
}

/// A negative payable: the rep's total of a month's open payout periods (every component, the plan
/// cap's row included) below zero is carried forward as a balance (the plan's default) by a
/// `carry-forward` line on the month's first row, and the balance deducted from the next month by a
/// `carry-in` line; with `negative_payable = "deduct"` the negative total is paid (deducted) as is.
fn carry_forward(
    inputs: &Inputs,
    ledger: &Ledger,
    closed: &dyn Fn(Period) -> bool,
    rep: u32,
    results: &[usize],
    reps: &mut [super::RepResult],
    settlement: &mut Settlement,
) {
    let rep_id = inputs.roster.get(rep).id.as_str();
    let mut carry = ledger
        .rows
        .iter()
        .rev()
        .find(|row| {
            row.rep_id == rep_id
                && matches!(
                    row.kind,
                    Some(LineKind::CarryForward) | Some(LineKind::CarryIn)
                )
        })
        .and_then(|row| row.balance)
        .unwrap_or_default();
    let carries = |reps: &[super::RepResult], ri: usize| {
        inputs.plans[reps[ri].plan].payment.negative_payable == NegativePayable::CarryForward
    };
    if carry.is_zero() && !results.iter().any(|&ri| carries(reps, ri)) {
        return;
    }
    // A month's total is negative only if some payable is: nothing to carry otherwise.
    let any_negative = results.iter().any(|&ri| {
        reps[ri]
            .components
            .iter()
            .flat_map(|c| &c.periods)
            .any(|p| p.in_run && p.payable.is_sign_negative() && !p.payable.is_zero())
    });
    if carry.is_zero() && !any_negative {
        return;
    }
    let by_month = open_periods_by_month(reps, results, closed);
    for (month, rows) in by_month {
        let Some(&(ri, ci, pi)) = rows.first() else {
            continue;
        };
        let places = inputs.plans[reps[ri].plan].rounding.places;
        let mut added = Vec::new();
        if !carry.is_zero() {
            let mut e = entry(
                LineKind::CarryIn,
                month,
                -carry,
                format!(
                    "balance {} carried forward from earlier periods",
                    fmt_amount(carry, places)
                ),
            );
            e.balance = Some(Decimal::ZERO);
            added.push(e);
            carry = Decimal::ZERO;
        }
        let total: Decimal = rows
            .iter()
            .map(|&(r, c, p)| reps[r].components[c].periods[p].payable)
            .sum::<Decimal>()
            + added.iter().map(|e| e.amount).sum::<Decimal>();
        if total < Decimal::ZERO && carries(reps, ri) {
            carry = -total;
            let mut e = entry(
                LineKind::CarryForward,
                month,
                carry,
                format!(
                    "payable {} for {month} is negative: carried forward as a balance",
                    fmt_amount(total, places)
                ),
            );
            e.balance = Some(carry);
            added.push(e);
        }
        if added.is_empty() {
            continue;
        }
        let r = &mut reps[ri];
        let key_plan = r.plan;
        let comp = r.components[ci].component;
        let p = &mut r.components[ci].periods[pi];
        for e in &mut added {
            e.for_period = p.payout_period;
            p.payable += e.amount;
            p.lines
                .push(Line::note(e.kind, None, e.amount, e.note.clone()));
        }
        settlement
            .entries
            .entry((rep, key_plan, comp, p.payout_period))
            .or_default()
            .extend(added);
    }
}

/// The rep's open payout periods of the run, by the month they are paid in (the month their payout
/// period ends), each as (result, component, period) indices in plan and component order.
fn open_periods_by_month(
    reps: &[super::RepResult],
    results: &[usize],
    closed: &dyn Fn(Period) -> bool,
) -> BTreeMap<Period, Vec<(usize, usize, usize)>> {
    let mut by_month: BTreeMap<Period, Vec<(usize, usize, usize)>> = BTreeMap::new();
    for &ri in results {
        for (ci, c) in reps[ri].components.iter().enumerate() {
            for (pi, p) in c.periods.iter().enumerate() {
                if p.in_run && !closed(p.payout_period) {
                    let month = p
                        .payout_period
                        .calendar()
                        .period_of(crate::period::Granularity::Month, p.payout_period.end());
                    by_month.entry(month).or_default().push((ri, ci, pi));
                }
            }
        }
    }
    by_month
}

/// `negative_payable = "floor"`: a month whose open payout periods (every component of the rep's
/// plans) total below zero gets a `floored` line of −total on its first row, so it pays 0.00 and
/// nothing is carried. A month whose first row's plan does not floor is left to [`carry_forward`].
fn floor_negative_months(
    inputs: &Inputs,
    closed: &dyn Fn(Period) -> bool,
    rep: u32,
    results: &[usize],
    reps: &mut [super::RepResult],
    settlement: &mut Settlement,
) {
    let floors = |reps: &[super::RepResult], ri: usize| {
        inputs.plans[reps[ri].plan].payment.negative_payable == NegativePayable::Floor
    };
    if !results.iter().any(|&ri| floors(reps, ri)) {
        return;
    }
    let by_month = open_periods_by_month(reps, results, closed);
    for (month, rows) in by_month {
        let Some(&(ri, ci, pi)) = rows.first() else {
            continue;
        };
        let total: Decimal = rows
            .iter()
            .map(|&(r, c, p)| reps[r].components[c].periods[p].payable)
            .sum();
        if total >= Decimal::ZERO || !floors(reps, ri) {
            continue;
        }
        let places = inputs.plans[reps[ri].plan].rounding.places;
        let mut e = entry(
            LineKind::Floored,
            month,
            -total,
            format!(
                "payable {} for {month} is negative: floored at 0.00, not carried",
                fmt_amount(total, places)
            ),
        );
        let r = &mut reps[ri];
        let key_plan = r.plan;
        let comp = r.components[ci].component;
        let p = &mut r.components[ci].periods[pi];
        e.for_period = p.payout_period;
        p.payable += e.amount;
        p.lines
            .push(Line::note(e.kind, None, e.amount, e.note.clone()));
        settlement
            .entries
            .entry((rep, key_plan, comp, p.payout_period))
            .or_default()
            .push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Calendar;

    fn draw(from: &str, to: Option<&str>, periods: Option<u32>) -> Draw {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Draw {
            amount: Decimal::from(1000),
            recoverable: true,
            component: 0,
            from: d(from),
            to: to.map(d),
            periods,
            max_recovery: None,
            recover_from: None,
            forgive_on: None,
            line: 1,
        }
    }

    #[test]
    fn draw_periods_count_from_the_period_containing_from() {
        let cal = Calendar::default();
        let p = |s: &str| cal.parse(s).unwrap();
        let d = draw("2026-01-15", None, Some(3));
        assert!(!draw_active(&d, p("2025-12")));
        assert!(draw_active(&d, p("2026-01")));
        assert!(draw_active(&d, p("2026-03")));
        assert!(!draw_active(&d, p("2026-04")));
        let d = draw("2026-01-01", Some("2026-02-28"), None);
        assert!(draw_active(&d, p("2026-02")));
        assert!(!draw_active(&d, p("2026-03")));
    }
}
