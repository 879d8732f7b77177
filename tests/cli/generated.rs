//! Generated settlement cases shared by the property tests run through the binary (settlement.rs) and
//! in-process (pipeline_properties.rs): deals of 2026-H1 for two reps R1 and R2, and a plan with random
//! payment settings (draw, hold, clawback, negative months).

use proptest::prelude::*;

/// The workspace file: the plans in plans/, deals.csv and reps.csv beside it.
pub const WORKSPACE: &str = "currency = \"USD\"\nplans = \"plans\"\n\n[deals]\nfile = \"deals.csv\"\n\n[reps]\nfile = \"reps.csv\"\n";

/// The roster: two reps on the plan `plan`.
pub const REPS_CSV: &str = "rep_id,name,plan\nR1,Rita One,plan\nR2,Raj Two,plan\n";

/// A generated deal of 2026-H1: rep (1 or 2), month, day, amount in dollars (negative: a credit
/// note), and the month it is paid (hold) or cancelled (clawback) in, if any.
#[derive(Debug, Clone)]
pub struct Deal {
    pub rep: u8,
    pub month: u32,
    pub day: u32,
    pub dollars: i64,
    pub paid: Option<u32>,
    pub cancelled: Option<u32>,
}

pub fn deal() -> impl Strategy<Value = Deal> {
    (
        1u8..=2,
        1u32..=6,
        1u32..=28,
        -20_000i64..=60_000,
        prop::option::of(1u32..=6),
        prop::option::weighted(0.2, 0u32..=2),
    )
        .prop_map(|(rep, month, day, dollars, paid, cancelled)| Deal {
            rep,
            month,
            day,
            dollars,
            paid: paid.map(|p| p.max(month)),
            cancelled: cancelled.map(|c| (month + c).min(6)),
        })
}

pub fn date(month: u32, day: u32) -> String {
    format!("2026-{month:02}-{day:02}")
}

/// deals.csv with ids D000, D001, ... fixed by `ids` (so a shuffle keeps each deal's id).
pub fn deals_csv(deals: &[(usize, Deal)]) -> String {
    let mut csv = String::from("deal_id,rep_id,amount,close_date,paid_date,cancel_date\n");
    for (id, d) in deals {
        csv.push_str(&format!(
            "D{id:03},R{},{},{},{},{}\n",
            d.rep,
            d.dollars,
            date(d.month, d.day),
            d.paid.map(|m| date(m, 28)).unwrap_or_default(),
            d.cancelled.map(|m| date(m, 28)).unwrap_or_default(),
        ));
    }
    csv
}

/// The payment settings of a generated plan.
#[derive(Debug, Clone)]
pub struct Payment {
    pub measurement: &'static str,
    pub negative: &'static str,
    /// Draw: amount, recoverable, first month, last month, max recovery.
    pub draw: Option<(i64, bool, u32, u32, Option<i64>)>,
    pub hold: Option<u32>,
    /// Clawback: reduce attainment.
    pub clawback: Option<bool>,
}

/// Payment settings with one of `negatives` as `negative_payable`.
pub fn payment(negatives: Vec<&'static str>) -> impl Strategy<Value = Payment> {
    (
        prop::sample::select(vec!["month", "quarter"]),
        prop::sample::select(negatives),
        prop::option::of((
            500i64..=3_000,
            any::<bool>(),
            1u32..=3,
            1u32..=6,
            prop::option::of(100i64..=1_000),
        )),
        prop::option::of(0u32..=100),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(measurement, negative, draw, hold, clawback)| Payment {
            measurement,
            negative,
            draw: draw.map(|(a, r, from, to, max)| (a, r, from, to.max(from), max)),
            hold,
            clawback,
        })
}

pub fn plan_toml(p: &Payment, components: &str) -> String {
    let mut plan = format!(
        "id = \"plan\"\n\n[measures.bookings]\nsum = \"amount\"\n\n[[components]]\nid = \"commission\"\n\
         measure = \"bookings\"\nmeasurement_period = \"{}\"\npayout_period = \"month\"\nrate = \"10%\"\n\n\
         {components}[payment]\nnegative_payable = \"{}\"\n",
        p.measurement, p.negative
    );
    if let Some((amount, recoverable, from, to, max)) = p.draw {
        let last_day = [31, 28, 31, 30, 31, 30][to as usize - 1];
        plan.push_str(&format!(
            "\n[payment.draw]\namount = {amount}\nrecoverable = {recoverable}\nfrom = {}\nto = {}\n",
            date(from, 1),
            date(to, last_day)
        ));
        if let Some(m) = max.filter(|_| recoverable) {
            plan.push_str(&format!("max_recovery = {m}\n"));
        }
    }
    if let Some(at) = p.hold {
        plan.push_str(&format!("\n[payment.hold]\nat_booking = \"{at}%\"\n"));
    }
    if let Some(reduce) = p.clawback {
        plan.push_str(&format!(
            "\n[payment.clawback]\nwindow_days = 90\nreduce_attainment = {reduce}\n"
        ));
    }
    plan
}

/// The deals numbered in order: deal `i` gets the id D00i (a shuffle keeps each deal's id).
pub fn numbered(deals: &[Deal]) -> Vec<(usize, Deal)> {
    deals.iter().cloned().enumerate().collect()
}
