//! Falco condition parser (libsinsp `filter/parser.cpp`, `filter/escaping.cpp`).
//!
//! Turns condition text (after list substitution) into an [`ast::Expr`].
//! The grammar, lexing quirks and error messages follow
//! `shared/reference/falco.md` §3.1–§3.3.

use std::fmt;

use crate::ast;

mod print;

/// A syntax error in a condition, with its location in the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// libsinsp-like message, e.g. `unexpected token after 'a', expecting 'or', 'and'`.
    pub message: String,
    /// Byte offset in the parsed text.
    pub pos: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "filter error at {}:{}: {}",
            self.line, self.col, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Parse a whole condition; all of `text` must be consumed.
pub fn parse_condition(text: &str) -> Result<ast::Expr, ParseError> {
    let _ = text;
    todo!("parse_condition")
}

/// Parse a `Field` or `FieldTransformer` starting at byte `start` of `text`
/// (the output formatter's `%token`). Returns the operand and the byte offset
/// just after it (longest syntactic match).
pub fn parse_operand_at(text: &str, start: usize) -> Result<(ast::Operand, usize), ParseError> {
    let _ = (text, start);
    todo!("parse_operand_at")
}

/// Falco's `unescape_str`: `quoted` is a whole quoted token including its
/// quotes; returns the value or an error message.
pub fn unescape_str(quoted: &str) -> Result<String, String> {
    let _ = quoted;
    todo!("unescape_str")
}

/// A quoted token that [`unescape_str`] turns back into `value`.
pub fn quote_str(value: &str) -> String {
    let _ = value;
    todo!("quote_str")
}
