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
//!
//! The steps, one module each: [`index`] (what settlement looks up, built once), [`corrections`] (a
//! closed period's recorded lines; true-ups and prior-period lines), [`adjustments`], [`deals`]
//! (clawbacks and holds), [`draw`], and [`negative`] (negative months carried or floored, per rep over
//! every plan). [`settle`] walks each rep's components and payout periods and runs them in order.

mod adjustments;
mod corrections;
mod deals;
mod draw;
mod index;
mod negative;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{ComponentResult, Line, LineKind, Owner, PeriodResult, RunResult};
use crate::data::adjustments::Adjustment;
use crate::data::Inputs;
use crate::ledger::{Ledger, LedgerRow};
use crate::money::fmt_amount;
use crate::period::Period;
use crate::plan::Plan;

pub use deals::needs_lines;
pub(crate) use deals::{cancellation, kept_share};
use index::Index;

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
    /// Payment lines of each open payout period of the run that has some, by owner (rep, plan,
    /// component: a rep may be on several plans in a run) and payout period.
    pub entries: BTreeMap<(Owner, Period), Vec<Entry>>,
    /// What no open payout period of this run could take (corrections of closed periods, late
    /// adjustments, clawbacks and the releases that go with them; e.g. a closed last month of the
    /// run, or a quarterly component in a monthly run), by owner: the lines the component's next open
    /// payout period will pay, amounts as they will be paid.
    pub waiting: BTreeMap<Owner, Vec<Entry>>,
}

impl Settlement {
    /// How many lines wait for a later open payout period (see [`Settlement::waiting`]).
    pub fn waiting_lines(&self) -> usize {
        self.waiting.values().map(Vec::len).sum()
    }
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

/// What a payment line about a deal shows of it (id, source line and close date on statements).
fn deal_credit(inputs: &Inputs, deal: u32) -> super::Credit {
    let deals = &inputs.deals;
    let amount = deals.amount(deal as usize);
    super::Credit::owner(deal, deals.close_date(deal as usize), amount, None, amount)
}

/// Apply the ledger, the adjustments and the plans' payment settings to the run's payables.
pub fn settle(inputs: &Inputs, run: &mut RunResult, pay: &PaymentInputs) {
    let index = Index::build(inputs, run, pay);
    let mut settlement = Settlement::default();
    // Adjustments placed so far (by line): each is paid once, on the first component that takes it.
    let mut placed: BTreeSet<u64> = BTreeSet::new();
    let run_end = run.period.end();
    for r in run.reps.iter_mut() {
        if !index.settles(r.rep, &inputs.plans[r.plan]) {
            continue;
        }
        let lifetime_from = (r.assignment, inputs.roster.get(r.rep).start_date);
        for c in r.components.iter_mut() {
            let owner = Owner::new(r.rep, r.plan, c.component);
            let component = Component {
                owner,
                lifetime_from,
            };
            settle_component(
                inputs,
                &index,
                component,
                c,
                &mut placed,
                &mut settlement,
                run_end,
            );
        }
    }
    negative::settle_negative_months(
        inputs,
        pay.ledger,
        &|p| index.closed(p),
        &mut run.reps,
        &mut settlement,
    );
    run.payment = settlement;
}

/// What waits for an open payout period of one component: found before its periods are walked,
/// taken by the first open period each is due in; what is left waits for a later run.
struct Waiting<'a> {
    corrections: Vec<corrections::Correction>,
    adjustments: adjustments::Due<'a>,
    clawbacks: Vec<deals::Clawback>,
    cancelled_holds: Vec<deals::CancelledHold>,
}

impl Waiting<'_> {
    /// The lines of what is still waiting once a run's open periods took theirs, as the component's
    /// next open payout period will pay them (a correction as a prior-period correction: whether it
    /// becomes a true-up depends on that period). A cancellation after `as_of` (the run's end) is
    /// not due yet, and is left out.
    fn into_lines(self, open: &Open, as_of: NaiveDate) -> Vec<Entry> {
        let money = |d: Decimal| fmt_amount(d, open.plan.rounding.places);
        let mut lines: Vec<Entry> = self
            .corrections
            .into_iter()
            .map(|c| {
                corrections::correction_line(
                    c,
                    LineKind::PriorPeriod,
                    &money,
                    &|q| open.recorded_as_paid_for(q),
                    &|q| open.clawed_back_in(q),
                )
            })
            .collect();
        lines.extend(self.adjustments.late_lines());
        let deals = &open.inputs.deals;
        lines.extend(
            self.clawbacks
                .into_iter()
                .filter(|c| c.cancelled <= as_of)
                .map(|c| deals::clawback_line(c, Decimal::ZERO, open.plan, deals)),
        );
        lines.extend(
            self.cancelled_holds
                .into_iter()
                .filter(|h| h.cancelled <= as_of)
                .map(|h| deals::release_line(h, &open.index.deal_rows)),
        );
        lines
    }
}

/// One rep's component on one plan, and where its lifetime (for a lifetime cap) starts: the plan
/// assignment's dates, else the rep's start date.
struct Component {
    owner: Owner,
    lifetime_from: (Option<(NaiveDate, Option<NaiveDate>)>, Option<NaiveDate>),
}

/// Settle one rep's component on one plan: each payout period of the run, closed (the ledger's lines)
/// or open (the engine's payable, then the payment lines, in order); what is left waits, as of
/// `run_end`, for a later run (`placed`: the adjustments paid so far).
fn settle_component<'a>(
    inputs: &Inputs,
    index: &Index<'a>,
    Component {
        owner,
        lifetime_from: (assignment, rep_start),
    }: Component,
    c: &mut ComponentResult,
    placed: &mut BTreeSet<u64>,
    settlement: &mut Settlement,
    run_end: NaiveDate,
) {
    let plan = &inputs.plans[owner.plan.0];
    let comp = &plan.components[owner.component.0];
    let closed = |p: Period| index.closed(p);
    let rows = index.rows_of(owner);
    let empty = BTreeMap::new();
    let commissions = index.deal_commission.get(&owner).unwrap_or(&empty);
    let pending = index.pending.get(&owner.rep).into_iter().flatten().copied();
    let mut waiting = Waiting {
        corrections: corrections::corrections(rows, index.computed.get(&owner), &closed),
        adjustments: adjustments::Due::split(
            pending.filter(|a| !placed.contains(&a.line)),
            &comp.id,
            owner.component.0,
            comp.payout_period,
            &closed,
        ),
        clawbacks: deals::clawbacks(inputs, plan, rows, commissions),
        cancelled_holds: deals::cancelled_holds(inputs, plan, rows, &index.deal_rows),
    };
    let mut draw = draw::Draws::new(plan, owner.component.0, rows);
    let mut holds = deals::Holds::default();
    let mut lifetime = super::lifetime::Lifetime::new(comp, assignment, rep_start, rows);
    let open = Open {
        inputs,
        index,
        plan,
        owner,
        rows,
        commissions,
    };
    for p in c.periods.iter_mut().filter(|p| p.in_run) {
        let period = p.payout_period;
        let engine_payable = p.payable;
        let entries = if closed(period) {
            if let Some(cl) = index.closures.get(&period) {
                settlement.closed.insert(period, cl.clone());
            }
            corrections::closed_period_lines(
                rows,
                period,
                engine_payable,
                plan,
                owner.component.0,
                &index.deal_rows,
            )
        } else {
            let lines = open.lines(
                p,
                &mut waiting,
                &mut draw,
                &mut holds,
                &mut lifetime,
                placed,
            );
            let lifetime_cut = lines
                .iter()
                .filter(|e| e.kind == LineKind::LifetimeCap)
                .map(|e| e.amount)
                .sum::<Decimal>();
            p.set_capped_off(p.capped_off() - lifetime_cut);
            lines
        };
        apply(inputs, p, engine_payable, &entries);
        if !closed(period) && !entries.is_empty() {
            settlement.entries.insert((owner, period), entries);
        }
    }
    let left = waiting.into_lines(&open, run_end);
    if !left.is_empty() {
        settlement.waiting.insert(owner, left);
    }
}

/// What the payment lines of one component's open payout periods read.
struct Open<'s, 'a> {
    inputs: &'s Inputs,
    index: &'s Index<'a>,
    plan: &'s Plan,
    owner: Owner,
    rows: &'s [&'a LedgerRow],
    commissions: &'s DealCommissions,
}

impl Open<'_, '_> {
    /// The payment lines of an open payout period, in order: corrections due, the lifetime cap's cut,
    /// adjustments, clawbacks, releases of holds a cancellation reversed, holds and releases, then the
    /// draw.
    fn lines(
        &self,
        p: &PeriodResult,
        waiting: &mut Waiting,
        draw: &mut draw::Draws,
        holds: &mut deals::Holds,
        lifetime: &mut Option<super::lifetime::Lifetime>,
        placed: &mut BTreeSet<u64>,
    ) -> Vec<Entry> {
        let period = p.payout_period;
        let money = |d: Decimal| fmt_amount(d, self.plan.rounding.places);
        let mut entries = corrections::due_lines(
            &mut waiting.corrections,
            period,
            p.measurement_period,
            &money,
            &|q| self.recorded_as_paid_for(q),
            &|q| self.clawed_back_in(q),
        );
        // The lifetime cap, on the payable and the corrections of closed periods.
        if let Some(l) = lifetime.as_mut() {
            let due = p.payable + entries.iter().map(|e| e.amount).sum::<Decimal>();
            entries.extend(l.cut(period, due, &money));
        }
        entries.extend(waiting.adjustments.due_lines(period, placed));
        // Holds first (their lines follow the clawbacks): a deal held in this run has only what was
        // paid of it reversed.
        let held = holds.lines(
            self.inputs,
            self.plan,
            period,
            self.commissions,
            self.rows,
            &|q| self.index.closed(q),
        );
        entries.extend(deals::clawback_lines(
            &mut waiting.clawbacks,
            period,
            &holds.moves,
            self.plan,
            &self.inputs.deals,
        ));
        entries.extend(deals::cancelled_hold_releases(
            &mut waiting.cancelled_holds,
            period,
            &self.index.deal_rows,
        ));
        entries.extend(held);
        let total = p.payable + entries.iter().map(|e| e.amount).sum::<Decimal>();
        entries.extend(draw.lines(period, total, &money));
        entries
    }

    /// " under component `x`" when the rows paid for `q` were recorded under a former id.
    fn recorded_as_paid_for(&self, q: Period) -> String {
        corrections::recorded_as(
            self.rows
                .iter()
                .copied()
                .filter(|row| row.for_period == q && corrections::paid_for_kind(row.kind)),
            self.plan,
            self.owner.component.0,
        )
    }

    /// " (clawback: deal D cancelled DATE, ...)" for a correction of `q` when the plan's clawback
    /// reduces attainment and deals of the rep closed in `q` were cancelled; empty otherwise.
    fn clawed_back_in(&self, q: Period) -> String {
        let Some(cb) = self
            .plan
            .payment
            .clawback
            .as_ref()
            .filter(|c| c.reduce_attainment)
        else {
            return String::new();
        };
        let deals = &self.inputs.deals;
        // By cancel date, then deal id: the same text whatever the order of the deals file.
        let mut cancelled: Vec<(chrono::NaiveDate, &str)> = self
            .index
            .cancelled_by_rep
            .get(&self.owner.rep)
            .into_iter()
            .flatten()
            .filter(|&&row| q.contains(deals.close_date(row)))
            .filter_map(|&row| cancellation(deals, cb, row).map(|(date, _)| (date, deals.id(row))))
            .collect();
        cancelled.sort_unstable();
        let cancelled: Vec<String> = cancelled
            .iter()
            .map(|(date, id)| format!("deal {id} cancelled {date}"))
            .collect();
        if cancelled.is_empty() {
            String::new()
        } else {
            format!(" (clawback: {})", cancelled.join(", "))
        }
    }
}

/// A payout period's payable after its payment lines: the engine's payable plus every line; what it
/// counts as paid before it includes the true-ups (paid for earlier periods of its measurement
/// period). The lines join the period's statement lines.
fn apply(inputs: &Inputs, p: &mut PeriodResult, engine_payable: Decimal, entries: &[Entry]) {
    (p.payable, p.paid_to_date) = payable_after(engine_payable, p.earned_to_date, entries);
    for e in entries {
        p.push_line(Line::note(
            e.kind,
            e.deal.map(|d| deal_credit(inputs, d)),
            e.amount,
            e.note.clone(),
        ));
    }
}

/// (payable, paid-to-date) of a payout period after its payment lines: the engine's payable plus
/// every line; paid-to-date = earned-to-date − (the engine's payable + the true-ups).
fn payable_after(
    engine_payable: Decimal,
    earned_to_date: Decimal,
    entries: &[Entry],
) -> (Decimal, Decimal) {
    let true_up: Decimal = entries
        .iter()
        .filter(|e| e.kind == LineKind::TrueUp)
        .map(|e| e.amount)
        .sum();
    (
        engine_payable + entries.iter().map(|e| e.amount).sum::<Decimal>(),
        earned_to_date - (engine_payable + true_up),
    )
}

#[cfg(test)]
pub(super) mod tests {
    //! Builders shared by the steps' tests: small hand-made rows, adjustments and results.
    use super::*;
    use crate::engine::{PeriodResult, Reconciliation, RepResult};
    use crate::period::Calendar;

    pub fn period(s: &str) -> Period {
        Calendar::default().parse(s).unwrap()
    }

    pub fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// (kind, amount, balance) of each line.
    pub fn shown(lines: &[Entry]) -> Vec<(LineKind, Decimal, Option<Decimal>)> {
        lines
            .iter()
            .map(|e| (e.kind, e.amount, e.balance))
            .collect()
    }

    /// A ledger row of R1's first component, paid in `paid_in`, for itself.
    pub fn ledger_row(paid_in: &str, kind: Option<LineKind>, amount: i64) -> LedgerRow {
        let p = period(paid_in);
        LedgerRow {
            rep_id: "R1".into(),
            period: p,
            plan: "plan".into(),
            component: "commission".into(),
            kind,
            for_period: p,
            deal_id: String::new(),
            amount: Decimal::from(amount),
            balance: None,
            reason: String::new(),
            closed_period: p,
            closed_at: "2026-04-01T09:00:00Z".into(),
            run_id: "run".into(),
            approved_by: "Dana".into(),
            note: String::new(),
            line: 2,
        }
    }

    /// A plan `plan` with one monthly 10% component `commission` and the given `[payment]` tables.
    pub fn plan(payment: &str) -> Plan {
        let text = format!(
            "id = \"plan\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\n\
             id = \"commission\"\nmeasure = \"bookings\"\nmeasurement_period = \"month\"\n\
             rate = \"10%\"\n\n{payment}"
        );
        let defaults = crate::plan::PlanDefaults {
            currency: "USD".into(),
            rounding: crate::money::Rounding::default(),
        };
        crate::plan::parse_plan("plan.toml", &text, &defaults).unwrap()
    }

    pub fn adjustment(rep: u32, p: &str, amount: i64) -> Adjustment {
        Adjustment {
            rep,
            period: period(p),
            amount: Decimal::from(amount),
            reason: "SPIFF".into(),
            component: None,
            approved_by: String::new(),
            note: String::new(),
            line: 2,
        }
    }

    /// A monthly payout period (its own measurement period) whose payable and earned-to-date are
    /// `payable`.
    pub fn period_result(p: &str, payable: i64) -> PeriodResult {
        PeriodResult {
            payout_period: period(p),
            measurement_period: period(p),
            in_run: true,
            quota: crate::engine::result::QuotaSlot::of(None),
            measure_to_date: Decimal::ZERO,
            deals_to_date: 0,
            earned_exact: Decimal::from(payable),
            earned_to_date: Decimal::from(payable),
            paid_to_date: Decimal::ZERO,
            payable: Decimal::from(payable),
            detail: None,
        }
    }

    /// A run of rep 0 on plan 0 with one component of these periods.
    pub fn run_of(periods: Vec<PeriodResult>) -> RunResult {
        RunResult {
            period: period("2026-Q1"),
            reps: vec![RepResult {
                rep: 0,
                plan: 0,
                assignment: None,
                components: vec![ComponentResult {
                    component: 0,
                    periods,
                }],
            }],
            reconciliation: Reconciliation::default(),
            not_credited: Vec::new(),
            warnings: Vec::new(),
            exceptions: Vec::new(),
            rollup_sources: Vec::new(),
            payment: Settlement::default(),
        }
    }

    #[test]
    fn the_payable_takes_every_line_and_paid_to_date_counts_true_ups() {
        // Engine payable 100 of earned-to-date 250; lines: true-up +30, adjustment −20.
        // Payable 100 + 30 − 20 = 110; paid-to-date = 250 − (100 + 30) = 120.
        let lines = [
            entry(
                LineKind::TrueUp,
                period("2026-01"),
                dec("30"),
                String::new(),
            ),
            entry(
                LineKind::Adjustment,
                period("2026-02"),
                dec("-20"),
                String::new(),
            ),
        ];
        assert_eq!(
            payable_after(dec("100"), dec("250"), &lines),
            (dec("110"), dec("120"))
        );
        assert_eq!(
            payable_after(dec("100"), dec("250"), &[]),
            (dec("100"), dec("150"))
        );
    }
}
