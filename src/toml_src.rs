//! Reading TOML with positions: turning byte spans into `line:column`, and numbers into exact decimals.
//!
//! Invariants: a TOML float is never used as an `f64`; its source text is re-read exactly
//! (`rate = 0.1` is 0.1, not 0.1000000000000000055511151231257827). Every error names file, line, column.

use std::ops::Range;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use toml::{Spanned, Value};

use crate::diag::{Column, Diagnostic};
use crate::money::{parse_decimal, parse_ratio};

/// A TOML document being read: its file name (for diagnostics) and text (for spans). The offsets of
/// its line starts are found once, on the first position asked for: each `line:column` is then a binary
/// search, so a plan of 100,000 tiers is read in linear time.
pub struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl<'a> Source<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Source {
            file,
            text,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u64, usize) {
        let offset = offset.min(self.text.len());
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        // The last line start at or before the offset (the first is 0).
        let index = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = starts.get(index).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |l| l.chars().count())
            + 1;
        (index as u64 + 1, col)
    }

    /// An error at a span.
    pub fn error(
        &self,
        code: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, col) = self.line_col(span.start);
        Diagnostic::error(code, self.file, message)
            .line(line)
            .column(Column::Number(col))
    }

    /// A warning at a span.
    pub fn warning(
        &self,
        code: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: crate::diag::Severity::Warning,
            ..self.error(code, span, message)
        }
    }

    /// Deserialize the document into raw structs; syntax errors and unknown keys become one diagnostic.
    pub fn deserialize<T: DeserializeOwned>(&self, code: &'static str) -> Result<T, Diagnostic> {
        toml::from_str(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().replace('\n', " ");
            self.error(code, span, message)
        })
    }

    /// The exact text of a span (for re-reading floats).
    fn slice(&self, span: Range<usize>) -> &str {
        self.text.get(span).unwrap_or("")
    }

    /// An exact decimal from a number or a string (`4%` allowed when `percent_ok`).
    pub fn decimal(
        &self,
        value: &Spanned<Value>,
        what: &str,
        percent_ok: bool,
    ) -> Result<Decimal, Diagnostic> {
        let span = value.span();
        let parsed = match value.get_ref() {
            Value::Integer(i) => Some(Decimal::from(*i)),
            Value::Float(_) => parse_decimal(&self.slice(span.clone()).replace('_', "")),
            Value::String(s) if percent_ok => parse_ratio(s),
            Value::String(s) => parse_decimal(s),
            _ => None,
        };
        parsed.ok_or_else(|| {
            let example = if percent_ok {
                "\"4%\" or 0.04"
            } else {
                "1250.50"
            };
            self.error(
                "plan-number-invalid",
                span.clone(),
                format!("{what} must be an exact decimal number like {example}"),
            )
            .value(match value.get_ref() {
                Value::String(text) => text.clone(),
                _ => self.slice(span).to_string(),
            })
        })
    }
}
