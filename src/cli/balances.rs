//! `payout balances`: what each rep has outstanding (recoverable draws, negative payables carried
//! forward, commission held, and what waits for the next open payout period: corrections, late
//! adjustments and clawbacks of closed periods) after the ledger's closed periods and the run of a
//! period, with the payout period each came from. Read from the payment step's lines, never
//! recomputed.

use clap::Args;

use super::{resolve_period, stdout_write, Format, Global};
use crate::accounting::balances::{outstanding, PaymentLine};
use crate::engine::payment::Entry;
use crate::engine::{Owner, Settings};
use crate::period::Period;
use crate::report::accounting as out;

#[derive(Args, Debug)]
pub struct BalancesArgs {
    /// The run period whose open payout periods count too (default: the workspace's `period`).
    #[arg(short, long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Output format on stdout: a table with totals per kind, or csv or json rows without them.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(global: &Global, args: &BalancesArgs) -> anyhow::Result<i32> {
    let (ws, inputs, payments) = global.load_payments(false)?;
    let period = resolve_period(&ws, args.period.as_deref())?;
    let settings = Settings {
        period,
        credits: false,
        reconcile: true,
        lines: false,
        lenient: global.lenient,
    };
    // The ledger the run settled against: recorded rows, then the open months before the period
    // as `close` would record them, so an earlier open month's draw is named as its origin.
    let (run, _, settled) = payments.compute_settled(&inputs, settings)?;
    global.warnings_pass(&inputs, &run.warnings)?;
    let mut lines: Vec<PaymentLine> = settled
        .rows
        .iter()
        .filter_map(|row| {
            Some(PaymentLine {
                rep_id: row.rep_id.clone(),
                plan: row.plan.clone(),
                component: row.component.clone(),
                period: row.period,
                for_period: row.for_period,
                kind: row.kind?,
                amount: row.amount,
                balance: row.balance,
                deal_id: row.deal_id.clone(),
            })
        })
        .collect();
    let payment_line = |owner: Owner, period: Period, e: &Entry| {
        let plan = &inputs.plans[owner.plan.0];
        PaymentLine {
            rep_id: inputs.roster.get(owner.rep.0).id.clone(),
            plan: plan.id.clone(),
            component: plan.components[owner.component.0].id.clone(),
            period,
            for_period: e.for_period,
            kind: e.kind,
            amount: e.amount,
            balance: e.balance,
            deal_id: e.deal_id.clone(),
        }
    };
    let mut open: Vec<PaymentLine> = Vec::new();
    for (&(owner, p), entries) in &run.payment.entries {
        open.extend(entries.iter().map(|e| payment_line(owner, p, e)));
    }
    // What no open period of the run could take waits for the next one (after the run's period).
    let next = period.next();
    let waiting: Vec<PaymentLine> = run
        .payment
        .waiting
        .iter()
        .flat_map(|(&owner, entries)| entries.iter().map(move |e| payment_line(owner, next, e)))
        .collect();
    // Closed (and provisionally settled) periods, then the run's own ones, in period order.
    lines.sort_by_key(|l| l.period);
    open.sort_by_key(|l| l.period);
    lines.extend(open);
    let balances = outstanding(&lines, &waiting);
    stdout_write(|o| match args.format {
        Format::Csv => out::render_balances_csv(&inputs, &balances, o),
        Format::Json => out::render_balances_json(&inputs, &balances, o),
        Format::Table => out::render_balances_table(&inputs, &balances, o),
    })?;
    global.message(format!(
        "{} outstanding amount(s) after {period}",
        balances.len()
    ));
    Ok(0)
}
