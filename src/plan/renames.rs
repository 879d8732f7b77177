//! Renames: `formerly = ["old-id"]` on a plan or a component names the ids it was known by, so the
//! ledger's rows recorded under an old id stay its history after a rename (see
//! [`crate::ledger::renames`]).
//!
//! Invariants (each broken one is a plan error): a former id is not empty (`plan-formerly-empty`), is
//! not a current id (of any plan for a plan, of a component of the same plan for a component:
//! `plan-formerly-current`), and is claimed once (by one plan, by one component of a plan:
//! `plan-formerly-duplicate`). So every recorded id leads to at most one plan and component.

use std::collections::BTreeMap;

use toml::Spanned;

use super::model::{Component, FormerId, Plan};
use crate::diag::{Column, Diagnostic, Diagnostics};
use crate::toml_src::Source;

/// A `formerly` list as written: trimmed ids with their place; an empty one is an error.
pub(crate) fn parse_formerly(
    src: &Source,
    raw: Option<&Vec<Spanned<String>>>,
    whose: &str,
    diags: &mut Diagnostics,
) -> Vec<FormerId> {
    let mut out = Vec::new();
    for id in raw.into_iter().flatten() {
        let text = id.get_ref().trim();
        if text.is_empty() {
            diags.push(
                src.error(
                    "plan-formerly-empty",
                    id.span(),
                    format!("{whose}: a former id in `formerly` is empty"),
                )
                .hint("list the ids it was known by in the ledger, e.g. formerly = [\"old-id\"]"),
            );
            continue;
        }
        let (line, column) = src.line_col(id.span().start);
        out.push(FormerId {
            id: text.to_string(),
            line,
            column,
        });
    }
    out
}

/// `d` placed at a former id.
fn at(d: Diagnostic, f: &FormerId) -> Diagnostic {
    d.line(f.line)
        .column(Column::Number(f.column))
        .value(f.id.clone())
}

/// The components' former ids within one plan: none is a component's current id, none is claimed
/// twice.
pub(crate) fn validate_component_renames(
    file: &str,
    components: &[Component],
    diags: &mut Diagnostics,
) {
    let mut claimed: BTreeMap<&str, &Component> = BTreeMap::new();
    for c in components {
        for f in &c.formerly {
            if let Some(current) = components.iter().find(|o| o.id == f.id) {
                diags.push(at(
                        Diagnostic::error(
                        "plan-formerly-current",
                        file,
                        format!(
                            "component `{}` was formerly `{}`, but `{}` is a component of the plan (line {})",
                            c.id, f.id, f.id, current.line
                        ),
                    )
                    .hint("a former id is one no component has any more: remove it from `formerly`, or rename the other component"),
                    f,
                ));
            } else if let Some(other) = claimed.insert(&f.id, c) {
                let who = if std::ptr::eq(other, c) {
                    format!("component `{}` twice", c.id)
                } else {
                    format!("components `{}` and `{}`", other.id, c.id)
                };
                diags.push(duplicate(file, f, &who));
            }
        }
    }
}

fn duplicate(file: &str, f: &FormerId, who: &str) -> Diagnostic {
    at(
        Diagnostic::error(
        "plan-formerly-duplicate",
        file,
        format!("`{}` is claimed as a former id by {who}", f.id),
    )
    .hint("the ledger's rows recorded under an old id are the history of one plan or component: keep it in one `formerly` list"),
    f,
    )
}

/// The plans' former ids across every plan file: none is a plan's current id, none is claimed twice.
pub fn validate_plan_renames(plans: &[Plan]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut claimed: BTreeMap<&str, &Plan> = BTreeMap::new();
    for plan in plans {
        for f in &plan.formerly {
            if let Some(current) = plans.iter().find(|p| p.id == f.id) {
                out.push(at(
                        Diagnostic::error(
                        "plan-formerly-current",
                        &plan.file,
                        format!(
                            "plan `{}` was formerly `{}`, but `{}` is the id of the plan in {}:{}",
                            plan.id, f.id, f.id, current.file, current.id_line
                        ),
                    )
                    .hint("a former id is one no plan has any more: remove it from `formerly`, or the plan file that still has it"),
                    f,
                ));
            } else if let Some(other) = claimed.insert(&f.id, plan) {
                let who = if std::ptr::eq(other, plan) {
                    format!("plan `{}` twice", plan.id)
                } else {
                    format!("plans `{}` ({}) and `{}`", other.id, other.file, plan.id)
                };
                out.push(duplicate(&plan.file, f, &who));
            }
        }
    }
    out
}

impl Plan {
    /// The plan recorded in the ledger as `id`: its current id or one of its former ids.
    pub fn answers_to(&self, id: &str) -> bool {
        self.id == id || self.formerly.iter().any(|f| f.id == id)
    }

    /// The component recorded in the ledger as `id`: the one with that id, else the one formerly
    /// called so.
    pub fn component_recorded_as(&self, id: &str) -> Option<usize> {
        self.components.iter().position(|c| c.id == id).or_else(|| {
            self.components
                .iter()
                .position(|c| c.formerly.iter().any(|f| f.id == id))
        })
    }
}
