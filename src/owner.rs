//! Names for the indices a run's results and settlement are keyed by: a rep's place in the roster, a
//! plan's in the run's plans, a component's in its plan, and the three together (an [`Owner`]: a rep
//! may be on several plans in a run). Below the ledger, which files its rows by owner, and the engine.

use serde::Serialize;

/// A rep's place in the roster (`Inputs::roster`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RepIx(pub u32);

/// A plan's place in the run's plans (`Inputs::plans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PlanIx(pub usize);

/// A component's place in its plan (`Plan::components`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ComponentIx(pub usize);

/// A rep's component on one plan (a rep may be on several plans in a run): what payment lines and
/// balances belong to. Orders by rep, plan, component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Owner {
    pub rep: RepIx,
    pub plan: PlanIx,
    pub component: ComponentIx,
}

impl Owner {
    pub fn new(rep: u32, plan: usize, component: usize) -> Owner {
        Owner {
            rep: RepIx(rep),
            plan: PlanIx(plan),
            component: ComponentIx(component),
        }
    }
}
