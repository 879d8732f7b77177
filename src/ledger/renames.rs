//! Ledger rows against today's roster and plans: which rep, plan and component each row is the
//! history of. A plan or component renamed with `formerly` keeps its history: the rows recorded under
//! its old id count as paid for it (see [`crate::plan::renames`]).
//!
//! Invariants: every row resolves to a rep of the roster and to one component of one plan (a row
//! without `plan`, from a hand-made ledger, to the component of that id in each plan that has one), or
//! it is an orphan, reported as `ledger-orphan`: an orphan is never ignored, since ignoring it would
//! pay its closed amounts again as corrections. A rep who left stays in the roster (with an
//! `end_date`); a retired plan stays among the plans while the ledger holds its history.

use std::collections::BTreeMap;

use super::{Ledger, LedgerRow};
use crate::data::reps::Roster;
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::Plan;

/// (rep, plan, component): indices into the roster, the plans and the plan's components.
/// Rows are the history of an owner: a rep's component on a plan.
pub type Key = crate::owner::Owner;

/// What a ledger row names that today's inputs do not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Orphan<'a> {
    Rep(&'a str),
    Plan(&'a str),
    /// A component of a plan (as recorded; `plan` is empty for a row without one).
    Component {
        plan: &'a str,
        component: &'a str,
    },
}

/// The ledger's rows by what they are the history of.
#[derive(Debug, Default)]
pub struct Resolution<'a> {
    /// The rows of each rep, plan and component, in file order (rows that name their plan first).
    pub rows: BTreeMap<Key, Vec<&'a LedgerRow>>,
    /// Rows that name no rep, plan or component of today's inputs: their lines, by what is missing.
    pub orphans: BTreeMap<Orphan<'a>, Vec<u64>>,
    /// Recorded (plan, component) ids that a rename leads to another (plan, component): the plan and
    /// component indices they lead to, and the number of rows.
    pub renamed: BTreeMap<(&'a str, &'a str), (usize, usize, usize)>,
}

/// Where rows recorded as a (plan, component) belong today: (plan, component) indices, or what is
/// missing.
type Targets<'a> = Result<Vec<(usize, usize)>, Orphan<'a>>;

fn targets<'a>(plans: &[Plan], plan: &'a str, component: &'a str) -> Targets<'a> {
    if plan.is_empty() {
        let found: Vec<(usize, usize)> = plans
            .iter()
            .enumerate()
            .filter_map(|(p, pl)| pl.component_recorded_as(component).map(|c| (p, c)))
            .collect();
        return if found.is_empty() {
            Err(Orphan::Component { plan, component })
        } else {
            Ok(found)
        };
    }
    let p = plans
        .iter()
        .position(|pl| pl.answers_to(plan))
        .ok_or(Orphan::Plan(plan))?;
    let c = plans[p]
        .component_recorded_as(component)
        .ok_or(Orphan::Component { plan, component })?;
    Ok(vec![(p, c)])
}

/// Resolve every row of the ledger against the roster and the plans.
pub fn resolve<'a>(ledger: &'a Ledger, plans: &[Plan], roster: &Roster) -> Resolution<'a> {
    let mut out = Resolution::default();
    let mut cache: BTreeMap<(&str, &str), Targets> = BTreeMap::new();
    // Rows that name their plan, then rows without one (a hand-made ledger's), each in file order.
    let with_plan = ledger.rows.iter().filter(|r| !r.plan.is_empty());
    let without = ledger.rows.iter().filter(|r| r.plan.is_empty());
    for row in with_plan.chain(without) {
        let Some(rep) = roster.find(&row.rep_id) else {
            let orphan = Orphan::Rep(row.rep_id.as_str());
            out.orphans.entry(orphan).or_default().push(row.line);
            continue;
        };
        let (plan, component) = (row.plan.as_str(), row.component.as_str());
        let found = cache
            .entry((plan, component))
            .or_insert_with(|| targets(plans, plan, component));
        match found {
            Err(orphan) => out.orphans.entry(*orphan).or_default().push(row.line),
            Ok(list) => {
                for &(p, c) in list.iter() {
                    out.rows.entry(Key::new(rep, p, c)).or_default().push(row);
                    let renamed = (!plan.is_empty() && plans[p].id != plan)
                        || plans[p].components[c].id != component;
                    if renamed {
                        out.renamed.entry((plan, component)).or_insert((p, c, 0)).2 += 1;
                    }
                }
            }
        }
    }
    for lines in out.orphans.values_mut() {
        lines.sort_unstable();
    }
    out
}

/// How a row recorded under a former id names it, when it does: "component `x` of plan `y`".
pub fn former_name(row: &LedgerRow, plan: &Plan, component: usize) -> Option<String> {
    let comp = &plan.components[component].id;
    let plan_renamed = !row.plan.is_empty() && row.plan != plan.id;
    match (plan_renamed, row.component != *comp) {
        (false, false) => None,
        (false, true) => Some(format!("component `{}`", row.component)),
        (true, false) => Some(format!("plan `{}`", row.plan)),
        (true, true) => Some(format!(
            "component `{}` of plan `{}`",
            row.component, row.plan
        )),
    }
}

/// "lines 2, 5 and 9", at most `shown` of them, then how many more.
fn some_lines(lines: &[u64]) -> String {
    const SHOWN: usize = 5;
    let listed: Vec<String> = lines.iter().take(SHOWN).map(u64::to_string).collect();
    let more = lines.len().saturating_sub(SHOWN);
    match (listed.len(), more) {
        (1, _) => format!("line {}", listed[0]),
        (_, 0) => format!("lines {}", listed.join(", ")),
        _ => format!("lines {} and {more} more", listed.join(", ")),
    }
}

/// Resolve the ledger's rows: a `ledger-orphan` error per rep, plan or component they name that is
/// missing, and a message per rename they follow.
pub fn check_ledger_ids(
    ledger: &Ledger,
    plans: &[Plan],
    roster: &Roster,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let resolution = resolve(ledger, plans, roster);
    validate_ledger_ids(ledger, &resolution, plans, roster, diags);
    renames_followed(&resolution, plans)
}

/// One `ledger-orphan` error per missing rep, plan or component, at the first row naming it.
fn validate_ledger_ids(
    ledger: &Ledger,
    resolution: &Resolution,
    plans: &[Plan],
    roster: &Roster,
    diags: &mut Diagnostics,
) {
    for (orphan, lines) in &resolution.orphans {
        let counted = format!("{} ledger row(s) ({})", lines.len(), some_lines(lines));
        let rows = format!(
            "{counted} cannot be matched, and ignoring them would pay their closed amounts again"
        );
        let (column, value, message, hint) = match *orphan {
            Orphan::Rep(rep) => (
                "rep_id",
                rep,
                format!(
                    "rep `{rep}` is not in the roster {}, but {counted} record what they were paid",
                    roster.file
                ),
                "a rep who left stays in the roster with an `end_date`, so that every ledger row is accounted for".to_string(),
            ),
            Orphan::Plan(plan) => (
                "plan",
                plan,
                format!("no plan is, or was formerly, `{plan}`: {rows}"),
                format!("a renamed plan says what it was called: `formerly = [\"{plan}\"]` beside its `id`; a retired plan stays among the plans while the ledger holds its history"),
            ),
            Orphan::Component { plan, component } => {
                let (message, file) = match plans.iter().find(|p| p.answers_to(plan)) {
                    Some(p) if !plan.is_empty() => (
                        format!("plan `{}` has no component that is, or was formerly, `{component}`: {rows}", p.id),
                        format!(" of {}", p.file),
                    ),
                    _ => (
                        format!("no plan has a component that is, or was formerly, `{component}`: {rows}"),
                        String::new(),
                    ),
                };
                (
                    "component",
                    component,
                    message,
                    format!("a renamed component says what it was called: `formerly = [\"{component}\"]` in its `[[components]]` table{file}"),
                )
            }
        };
        diags.push(
            Diagnostic::error("ledger-orphan", &ledger.file, message)
                .line(lines.first().copied().unwrap_or(0))
                .col_name(column)
                .value(value)
                .hint(hint),
        );
    }
}

/// One message per rename the ledger's rows follow: "ledger rows of component `a` of plan `p` (3) count
/// for component `b` of plan `p` (formerly `a`)".
fn renames_followed(resolution: &Resolution, plans: &[Plan]) -> Vec<String> {
    resolution
        .renamed
        .iter()
        .map(|(&(plan, component), &(p, c, count))| {
            let was = if plan.is_empty() {
                format!("component `{component}`")
            } else {
                format!("component `{component}` of plan `{plan}`")
            };
            format!(
                "{count} ledger row(s) recorded as {was} count as paid for component `{}` of plan `{}` (declared in `formerly`)",
                plans[p].components[c].id, plans[p].id
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Rounding;
    use crate::period::Calendar;
    use crate::plan::{parse_plan, PlanDefaults};

    fn plan(text: &str) -> Plan {
        let defaults = PlanDefaults {
            currency: "USD".into(),
            rounding: Rounding::default(),
        };
        parse_plan("p.toml", text, &defaults).unwrap()
    }

    /// A component `id` of measure `b`, with `extra` keys.
    fn component(id: &str, extra: &str) -> String {
        format!("[[components]]\nid = \"{id}\"\n{extra}measure = \"b\"\nmeasurement_period = \"month\"\nrate = \"1%\"\n")
    }

    fn row(line: u64, rep: &str, plan: &str, component: &str) -> LedgerRow {
        let p = Calendar::default().parse("2026-01").unwrap();
        LedgerRow {
            rep_id: rep.into(),
            period: p,
            plan: plan.into(),
            component: component.into(),
            kind: None,
            for_period: p,
            deal_id: String::new(),
            amount: rust_decimal::Decimal::ONE,
            balance: None,
            reason: String::new(),
            closed_period: p,
            closed_at: String::new(),
            run_id: "r".into(),
            approved_by: String::new(),
            note: String::new(),
            line,
        }
    }

    #[test]
    fn rows_follow_renames_and_the_rest_are_orphans_by_what_is_missing() {
        let measure = "[measures.b]\nsum = \"amount\"\n";
        let plans = vec![
            plan(&format!(
                "id = \"new\"\nformerly = [\"old\"]\n{measure}{}{}",
                component("x", ""),
                component("c2", "formerly = [\"c1\"]\n")
            )),
            plan(&format!("id = \"other\"\n{measure}{}", component("c1", ""))),
        ];
        assert_eq!(plans[0].components.len(), 2, "{:?}", plans[0].components);
        let roster = Roster::from_ids(&["R1", "R2"]);
        let ledger = Ledger {
            rows: vec![
                row(2, "R1", "new", "c2"),
                row(3, "R1", "old", "c1"),
                row(4, "R1", "", "c1"),
                row(5, "R9", "new", "c2"),
                row(6, "R1", "gone", "c2"),
                row(7, "R2", "new", "c3"),
                row(8, "R2", "", "c9"),
                row(9, "R1", "new", "x"),
            ],
            ..Ledger::default()
        };
        let res = resolve(&ledger, &plans, &roster);
        let lines = |key: Key| -> Vec<u64> {
            res.rows
                .get(&key)
                .into_iter()
                .flatten()
                .map(|r| r.line)
                .collect()
        };
        // `old`/`c1` and `new`/`c2` are one history; a row without a plan goes to every plan with
        // a component that is or was `c1` (after the rows that name their plan).
        assert_eq!(lines(Key::new(0, 0, 1)), [2, 3, 4]);
        assert_eq!(lines(Key::new(0, 1, 0)), [4]);
        assert_eq!(lines(Key::new(0, 0, 0)), [9]);
        let orphans: Vec<(Orphan, Vec<u64>)> =
            res.orphans.iter().map(|(o, l)| (*o, l.clone())).collect();
        assert_eq!(
            orphans,
            [
                (Orphan::Rep("R9"), vec![5]),
                (Orphan::Plan("gone"), vec![6]),
                (
                    Orphan::Component {
                        plan: "",
                        component: "c9"
                    },
                    vec![8]
                ),
                (
                    Orphan::Component {
                        plan: "new",
                        component: "c3"
                    },
                    vec![7]
                ),
            ]
        );
        // Renames followed: `old`/`c1` (plan and component) and ``/`c1` into `new`.
        assert_eq!(res.renamed.get(&("old", "c1")), Some(&(0, 1, 1)));
        assert_eq!(res.renamed.get(&("", "c1")), Some(&(0, 1, 1)));
        assert_eq!(res.renamed.len(), 2);
    }
}
