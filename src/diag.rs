//! Diagnostics: problems in the user's plans, workspace or data, each with a stable code and a location.
//!
//! Invariants: a diagnostic always names a file; it names a line (and a CSV column or TOML column)
//! whenever one exists; codes are stable kebab-case strings that tests and scripts may match on.
//! Readers collect every problem of a file before failing, so the user fixes them in one pass.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where in a file: a CSV column is named by its header, a TOML column is a number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Column {
    Number(usize),
    Name(String),
}

/// In JSON every key is always present, `null` where a diagnostic has no line, column, value or
/// hint (docs/diagnostics.md documents the object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<Column>,
    pub value: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            line: None,
            column: None,
            value: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn column(mut self, column: Column) -> Self {
        self.column = Some(column);
        self
    }

    pub fn col_name(self, name: impl Into<String>) -> Self {
        self.column(Column::Name(name.into()))
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn sort_key(&self) -> (&str, u64, &Option<Column>, &str) {
        (&self.file, self.line.unwrap_or(0), &self.column, self.code)
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: severity[code]: message` — the first part is what editors jump to.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(Column::Number(c)) = &self.column {
            write!(f, ":{c}")?;
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {severity}[{}]: ", self.code)?;
        if let Some(Column::Name(c)) = &self.column {
            write!(f, "column `{c}`: ")?;
        }
        if let Some(v) = &self.value {
            write!(f, "value {v:?}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

/// The error a run ends with when the inputs are invalid (exit code 1).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the inputs", .0.iter().filter(|d| d.severity == Severity::Error).count())]
pub struct InvalidInput(pub Vec<Diagnostic>);

/// A collector: readers push every problem, then [`Diagnostics::finish`] fails if any is an error.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorted by file and line, so the output is deterministic whatever order readers ran in.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.items.dedup();
        self.items
    }

    /// `Ok(warnings)` when there is no error, else `Err(InvalidInput(all))`.
    pub fn finish(self) -> Result<Vec<Diagnostic>, InvalidInput> {
        let has_errors = self.has_errors();
        let all = self.into_sorted();
        if has_errors {
            Err(InvalidInput(all))
        } else {
            Ok(all)
        }
    }
}
