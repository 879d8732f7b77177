//! Derived values: a small, exact-decimal expression language over a transaction's columns.
//!
//! Grammar: `expr := term (('+'|'-') term)*`, `term := unary (('*'|'/') unary)*`,
//! `unary := '-' unary | atom`, `atom := number | column | name '(' expr (',' expr)* ')' | '(' expr ')'`.
//! Columns are bare names (`margin`) or quoted (`"Gross Margin"`); functions are `min`, `max`, `abs`.
//!
//! Invariants: evaluation is exact (rust_decimal), has no I/O and cannot panic: an empty operand makes
//! the value empty, division by zero and overflow are errors the caller reports with the deal's line;
//! parse errors name the offending token and its column in the expression. An expression has at most
//! [`MAX_TOKENS`] tokens and nests at most [`MAX_DEPTH`] levels, so evaluating, walking and dropping its
//! tree (all recursive) stays far from the stack's limit.

use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Expr {
    Number(Decimal),
    Column(String),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Func {
    Min,
    Max,
    Abs,
}

/// A parse error: its diagnostic code, what is wrong and the 0-based character offset of the offending
/// token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub code: &'static str,
    pub message: String,
    pub offset: usize,
}

impl ParseError {
    fn new(message: String, offset: usize) -> ParseError {
        err("plan-expression-invalid", message, offset)
    }
}

fn err(code: &'static str, message: String, offset: usize) -> ParseError {
    ParseError {
        code,
        message,
        offset,
    }
}

/// Why a value could not be computed for a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    DivisionByZero,
    Overflow,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Decimal),
    Name(String),
    Quoted(String),
    Sym(char),
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let value = Decimal::from_str_exact(&raw)
                .map_err(|_| ParseError::new(format!("`{raw}` is not a number"), start))?;
            let value = if i < chars.len() && chars[i] == '%' {
                i += 1;
                value / Decimal::ONE_HUNDRED
            } else {
                value
            };
            out.push((Token::Number(value), start));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Token::Name(chars[start..i].iter().collect()), start));
        } else if c == '"' || c == '`' {
            let start = i;
            i += 1;
            let begin = i;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            if i == chars.len() {
                return Err(ParseError::new(
                    "unterminated quoted column name".to_string(),
                    start,
                ));
            }
            out.push((Token::Quoted(chars[begin..i].iter().collect()), start));
            i += 1;
        } else if "+-*/(),×÷".contains(c) {
            let sym = match c {
                '×' => '*',
                '÷' => '/',
                other => other,
            };
            out.push((Token::Sym(sym), i));
            i += 1;
        } else {
            return Err(ParseError::new(format!("unexpected character `{c}`"), i));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    end: usize,
    depth: usize,
}

/// How deeply parentheses, unary minus and calls may nest (the parser recurses; this bounds its stack).
const MAX_DEPTH: usize = 64;

/// How many tokens an expression may have. A chain of operators builds a tree as deep as it is long,
/// which evaluation walks recursively: this bounds that depth (a derived value of thousands of terms
/// belongs in a column of the export, not in the plan).
const MAX_TOKENS: usize = 1000;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(_, o)| *o)
    }

    fn error(&self, what: &str) -> ParseError {
        let found = match self.peek() {
            None => "the end of the expression".to_string(),
            Some(Token::Number(n)) => format!("`{n}`"),
            Some(Token::Name(n)) | Some(Token::Quoted(n)) => format!("`{n}`"),
            Some(Token::Sym(s)) => format!("`{s}`"),
        };
        ParseError::new(format!("expected {what}, found {found}"), self.offset())
    }

    fn eat(&mut self, sym: char) -> bool {
        if self.peek() == Some(&Token::Sym(sym)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.term()?;
        loop {
            let op = if self.eat('+') {
                Op::Add
            } else if self.eat('-') {
                Op::Sub
            } else {
                return Ok(left);
            };
            let right = self.term()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat('*') {
                Op::Mul
            } else if self.eat('/') {
                Op::Div
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                "plan-expression-too-deep",
                format!(
                    "the expression nests deeper than {MAX_DEPTH} levels (parentheses, unary minus and calls)"
                ),
                self.offset(),
            ));
        }
        let e = if self.eat('-') {
            self.unary().map(|e| Expr::Neg(Box::new(e)))
        } else {
            self.atom()
        };
        self.depth -= 1;
        e
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        match self.peek().cloned() {
            Some(Token::Number(n)) => {
                self.pos += 1;
                Ok(Expr::Number(n))
            }
            Some(Token::Quoted(name)) => {
                self.pos += 1;
                Ok(Expr::Column(name))
            }
            Some(Token::Name(name)) => {
                let at = self.offset();
                self.pos += 1;
                if !self.eat('(') {
                    return Ok(Expr::Column(name));
                }
                let func = match name.as_str() {
                    "min" => Func::Min,
                    "max" => Func::Max,
                    "abs" => Func::Abs,
                    _ => {
                        return Err(ParseError::new(
                            format!("unknown function `{name}` (the functions are min, max, abs)"),
                            at,
                        ))
                    }
                };
                let mut args = vec![self.expr()?];
                while self.eat(',') {
                    args.push(self.expr()?);
                }
                if !self.eat(')') {
                    return Err(self.error("`,` or `)`"));
                }
                let arity_ok = match func {
                    Func::Abs => args.len() == 1,
                    Func::Min | Func::Max => args.len() >= 2,
                };
                if !arity_ok {
                    return Err(ParseError::new(
                        format!("wrong number of arguments to `{name}`"),
                        at,
                    ));
                }
                Ok(Expr::Call(func, args))
            }
            Some(Token::Sym('(')) => {
                self.pos += 1;
                let e = self.expr()?;
                if !self.eat(')') {
                    return Err(self.error("`)`"));
                }
                Ok(e)
            }
            _ => Err(self.error("a number, a column or `(`")),
        }
    }
}

/// Parse an expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    if let Some((_, offset)) = tokens.get(MAX_TOKENS) {
        return Err(err(
            "plan-expression-too-long",
            format!(
                "the expression has {} tokens (numbers, columns, operators, parentheses); at most {MAX_TOKENS} are allowed",
                tokens.len()
            ),
            *offset,
        ));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        end: text.chars().count(),
        depth: 0,
    };
    let e = p.expr()?;
    if p.pos != p.tokens.len() {
        return Err(p.error("an operator or the end of the expression"));
    }
    Ok(e)
}

impl Expr {
    /// Every column the expression reads, in order of first appearance.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Number(_) => {}
            Expr::Column(c) => {
                if !out.contains(&c.as_str()) {
                    out.push(c);
                }
            }
            Expr::Neg(e) => e.collect(out),
            Expr::Binary(_, a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.collect(out)),
        }
    }

    /// Evaluate with `column` giving each column's value (None = empty cell → empty result).
    pub fn eval(
        &self,
        column: &dyn Fn(&str) -> Option<Decimal>,
    ) -> Result<Option<Decimal>, EvalError> {
        Ok(match self {
            Expr::Number(n) => Some(*n),
            Expr::Column(c) => column(c),
            Expr::Neg(e) => e.eval(column)?.map(|v| -v),
            Expr::Binary(op, a, b) => {
                let (Some(x), Some(y)) = (a.eval(column)?, b.eval(column)?) else {
                    return Ok(None);
                };
                Some(match op {
                    Op::Add => x.checked_add(y).ok_or(EvalError::Overflow)?,
                    Op::Sub => x.checked_sub(y).ok_or(EvalError::Overflow)?,
                    Op::Mul => x.checked_mul(y).ok_or(EvalError::Overflow)?,
                    Op::Div if y.is_zero() => return Err(EvalError::DivisionByZero),
                    Op::Div => x.checked_div(y).ok_or(EvalError::Overflow)?,
                })
            }
            Expr::Call(f, args) => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    match a.eval(column)? {
                        Some(v) => values.push(v),
                        None => return Ok(None),
                    }
                }
                match f {
                    Func::Abs => Some(values[0].abs()),
                    Func::Min => values.into_iter().min(),
                    Func::Max => values.into_iter().max(),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn eval(text: &str) -> Result<Option<Decimal>, EvalError> {
        let cols = |c: &str| match c {
            "margin" => Some(d("300")),
            "amount" => Some(d("1200")),
            "Gross Margin" => Some(d("0.1")),
            "zero" => Some(Decimal::ZERO),
            _ => None,
        };
        parse(text).unwrap().eval(&cols)
    }

    #[test]
    fn exact_arithmetic_with_precedence() {
        // 300 / 1200 = 0.25
        assert_eq!(eval("margin / amount"), Ok(Some(d("0.25"))));
        // 1 + 2 × 3 = 7; (1 + 2) × 3 = 9
        assert_eq!(eval("1 + 2 * 3"), Ok(Some(d("7"))));
        assert_eq!(eval("(1 + 2) × 3"), Ok(Some(d("9"))));
        // 0.1 + 0.2 = 0.3 exactly (no binary floating point)
        assert_eq!(eval("\"Gross Margin\" + 0.2"), Ok(Some(d("0.3"))));
        assert_eq!(eval("amount * 50%"), Ok(Some(d("600"))));
        assert_eq!(
            eval("-margin + max(1, 2, 3) - abs(-4)"),
            Ok(Some(d("-301")))
        );
        assert_eq!(eval("min(margin, amount)"), Ok(Some(d("300"))));
    }

    #[test]
    fn empty_cells_and_division_by_zero() {
        assert_eq!(eval("missing * 2"), Ok(None));
        assert_eq!(eval("margin / zero"), Err(EvalError::DivisionByZero));
    }

    #[test]
    fn parse_errors_name_the_token() {
        let e = parse("margin / / amount").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (9, "expected a number, a column or `(`, found `/`")
        );
        let e = parse("margin amount").unwrap_err();
        assert!(e.message.contains("`amount`"), "{}", e.message);
        assert!(parse("sqrt(margin)")
            .unwrap_err()
            .message
            .contains("unknown function `sqrt`"));
        assert!(parse("(margin")
            .unwrap_err()
            .message
            .contains("expected `)`"));
        assert!(parse("margin $ 2")
            .unwrap_err()
            .message
            .contains("unexpected character `$`"));
        assert_eq!(parse("a, b").unwrap_err().offset, 1);
    }
}
