//! What the layers agree on about input files, below all of them: a source file's identity (what the
//! manifest records), the type of a data column (the workspace declares it, the data layer reads by
//! it, the engine binds plans to it), and the ledger's columns (the workspace maps them, the ledger
//! reads and writes them). Plain types and constants, no behaviour beyond parsing a type's name.

use std::str::FromStr;

/// What the manifest records of an input file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileInfo {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// Data rows (CSV inputs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// The type of a data column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Text,
    /// A decimal quantity (not converted between currencies).
    Decimal,
    /// An amount in the row's currency (converted to the plan currency when measured).
    Money,
    Date,
}

impl FromStr for ColumnType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "text" => Ok(ColumnType::Text),
            "decimal" | "number" => Ok(ColumnType::Decimal),
            "money" => Ok(ColumnType::Money),
            "date" => Ok(ColumnType::Date),
            _ => Err(()),
        }
    }
}

/// The ledger's column of the hash chaining each row to the one before it.
pub const LEDGER_ROW_HASH: &str = "row_hash";

/// Optional columns of the ledger (the required ones: rep_id, period, component, amount, closed_at,
/// run_id).
pub const LEDGER_OPTIONAL_COLUMNS: [&str; 10] = [
    "plan",
    "kind",
    "for_period",
    "deal_id",
    "balance",
    "reason",
    "closed_period",
    "approved_by",
    "note",
    LEDGER_ROW_HASH,
];
