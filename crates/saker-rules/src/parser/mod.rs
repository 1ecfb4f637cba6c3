//! Falco condition parser (libsinsp `filter/parser.cpp`, `filter/escaping.cpp`).
//!
//! Turns condition text (after list substitution) into an [`ast::Expr`]. The
//! grammar, lexing quirks and error messages follow
//! `shared/reference/falco.md` §3.1–§3.3:
//!
//! ```text
//! Expr     ::= OrExpr
//! OrExpr   ::= AndExpr ('or' (' ' AndExpr | '(' Expr ')'))*
//! AndExpr  ::= NotExpr ('and' (' ' NotExpr | '(' Expr ')'))*
//! NotExpr  ::= ('not ')* ('not(' Expr ')' | Check)
//! Check    ::= Field Condition | FieldTransformer Condition | Identifier | '(' Expr ')'
//! ```
//!
//! The recursive-descent functions below mirror libsinsp's one to one
//! (`parse_or`, `parse_and`, `parse_not`, `parse_check`, …), including its
//! depth accounting: every one of them counts one level, and reaching
//! [`MAX_DEPTH`] levels is an error (`exceeded max depth limit of 1000`), so
//! hostile input can never overflow the stack.
//!
//! Representation choices (the tree stays faithful to libsinsp's):
//! - `not not x` gives `x`: consecutive `not`s toggle, as in libsinsp; a `not`
//!   applied to a parenthesised `not` (`not (not x)`) nests.
//! - `val(f)` is kept as [`ast::Operand::Transform`] with
//!   [`ast::Transformer::Val`]; the parser never puts a bare
//!   [`ast::Operand::Field`] in [`ast::Rhs::Field`].
//! - An identifier in list position (`x in my_list`, `x = oneof my_list`) is
//!   [`ast::Rhs::ListName`].
//! - Numbers are kept as written (`0x1F`, `-1.5`), unquoted literals.
//! - Multi-value transformers (`join`, `concat`, `getopt`) take a comma-separated
//!   list of fields, transformers, quoted strings, numbers or `(…)` lists of
//!   those; arity is left to the compiler. Only `getopt(…)` may be followed by
//!   a `[arg]`.
//!
//! Deliberate differences from libsinsp (all on inputs Falco rejects or
//! mis-reads anyway):
//! - A list whose first element is a quoted string with a bad escape
//!   (`x in ("\q")`) is an error here; libsinsp swallows the error and reads
//!   an empty list.
//! - NUL in a bare value or field argument is rejected by the parser
//!   (`filter value cannot contain a NUL byte (\x00)`), not later.
//! - Error columns count characters, not bytes, and `\r\n` is one line break.
//! - `\xHH` escapes (libs master) must form UTF-8 together.

use std::fmt;

use crate::ast::{
    self, Check, Expr, Literal, Modifier, Op, Operand, Rhs, Span, TransformArg, Transformer,
};

mod escaping;
mod lexer;
mod print;

pub use escaping::{quote_str, unescape_str};
use lexer::{Lexer, Quoted};

/// libsinsp's nesting limit for rule conditions (`max_depth`), counted in
/// parser function levels like libsinsp does (one parenthesised group costs
/// five levels).
pub const MAX_DEPTH: u32 = 1000;

/// A syntax error in a condition, with its location in the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// libsinsp-like message, e.g. `unexpected token after 'a', expecting 'or', 'and'`.
    pub message: String,
    /// Byte offset in the parsed text where parsing stopped.
    pub pos: usize,
    /// 1-based line; `\n`, `\r` and `\r\n` each end a line (libsinsp counts
    /// `\r\n` as two).
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl ParseError {
    fn at(text: &str, pos: usize, message: impl Into<String>) -> Self {
        let mut pos = pos.min(text.len());
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        let before = &text[..pos];
        let line_start = before.rfind(['\r', '\n']).map_or(0, |i| i + 1);
        // `\n`, `\r` and `\r\n` each end a line.
        let line = 1 + before.matches('\n').count() + before.matches('\r').count()
            - before.matches("\r\n").count();
        let col = 1 + before[line_start..].chars().count();
        ParseError {
            message: message.into(),
            pos,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
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

type PResult<T> = Result<T, ParseError>;

/// Parse a whole condition; all of `text` must be consumed.
///
/// Errors: `filter input string is empty`, `unexpected token after '<tok>',
/// expecting 'or', 'and'`, `expected blank or '(' after 'and'`, `expected a
/// valid check operator: one of …`, escaping errors, `exceeded max depth
/// limit of 1000`, … (libsinsp's texts).
pub fn parse_condition(text: &str) -> Result<ast::Expr, ParseError> {
    let mut p = Parser::new(text, 0);
    if text.is_empty() {
        return Err(p.error("filter input string is empty"));
    }
    let expr = p.parse_or()?;
    if !p.lx.at_end() {
        return Err(p.error(format!(
            "unexpected token after '{}', expecting 'or', 'and'",
            p.lx.last_token
        )));
    }
    Ok(expr)
}

/// Parse a `Field` or `FieldTransformer` starting at byte `start` of `text`
/// (the output formatter's `%token`). Returns the operand and the byte offset
/// just after it (longest syntactic match: `ct.users` is returned whole, the
/// formatter retries shorter prefixes itself). `val(` is not accepted.
///
/// Errors: `start` out of range or not a char boundary, no field or
/// transformer at `start`, or a malformed `[arg]` / transformer call.
pub fn parse_operand_at(text: &str, start: usize) -> Result<(ast::Operand, usize), ParseError> {
    if start > text.len() || !text.is_char_boundary(start) {
        return Err(ParseError::at(text, start, "invalid start offset"));
    }
    let mut p = Parser::new(text, start);
    let op = p.nested(|p| {
        if let Some(name) = p.lx.field_name() {
            return p.parse_field_remainder(name).map(Operand::Field);
        }
        if let Some(kind) = p.lex_transformer_type() {
            p.lx.blank();
            return p.parse_transformer_remainder(kind, start);
        }
        Err(p.error(format!(
            "expected a field or a valid transformer: {}",
            transformer_list(false)
        )))
    })?;
    Ok((op, p.lx.pos))
}

const UNARY_OPS: &[&str] = &["exists"];
const NUM_OPS: &[&str] = &["<=", "<", ">=", ">"];
/// Word operators must be followed by a literal space (libsinsp's todo).
const STR_OPS: &[&str] = &[
    "==",
    "=",
    "!=",
    "glob ",
    "iglob ",
    "contains ",
    "icontains ",
    "bcontains ",
    "startswith ",
    "bstartswith ",
    "endswith ",
    "regex ",
];
const LIST_OPS: &[&str] = &["intersects", "in", "pmatch"];
const MODIFIERS: &[(&str, Modifier)] = &[
    ("oneof", Modifier::OneOf),
    ("anyof", Modifier::AnyOf),
    ("allof", Modifier::AllOf),
];
/// Transformers allowed in check position and nested (not `val(`).
const TRANSFORMERS: &[&str] = &[
    "tolower(",
    "toupper(",
    "b64(",
    "basename(",
    "len(",
    "join(",
    "concat(",
    "getopt(",
];

fn is_multi_value(kind: Transformer) -> bool {
    matches!(
        kind,
        Transformer::Join | Transformer::Concat | Transformer::Getopt
    )
}

/// `'val', 'tolower', …` as libsinsp lists them in messages.
fn transformer_list(include_val: bool) -> String {
    let names = include_val
        .then_some("val")
        .into_iter()
        .chain(TRANSFORMERS.iter().map(|t| t.trim_end_matches('(')));
    names
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn operator_list() -> String {
    UNARY_OPS
        .iter()
        .chain(NUM_OPS)
        .chain(STR_OPS)
        .chain(LIST_OPS)
        .map(|o| format!("'{}'", o.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stack left below which [`Parser::nested`] switches to a new segment.
const STACK_RED_ZONE: usize = 64 * 1024;
/// Size of each new stack segment.
const STACK_SEGMENT: usize = 1024 * 1024;

struct Parser<'a> {
    lx: Lexer<'a>,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, pos: usize) -> Self {
        Parser {
            lx: Lexer::new(text, pos),
            depth: 0,
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::at(self.lx.text(), self.lx.pos, message)
    }

    /// Run `f` one nesting level deeper (libsinsp `depth_guard`).
    ///
    /// 1000 levels of this recursive descent need a few MB of stack in debug
    /// builds, more than a spawned thread has by default: `stacker` moves the
    /// recursion to a fresh heap-allocated stack segment whenever less than
    /// [`STACK_RED_ZONE`] is left, whatever thread the caller runs on.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.depth += 1;
        let res = if self.depth >= MAX_DEPTH {
            Err(self.error(format!("exceeded max depth limit of {MAX_DEPTH}")))
        } else {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || f(self))
        };
        self.depth -= 1;
        res
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.lx.pos)
    }

    fn lex_transformer_type(&mut self) -> Option<Transformer> {
        let name = self.lx.str_list(TRANSFORMERS)?;
        Transformer::from_name(name.trim_end_matches('('))
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            p.lx.blank();
            let mut children = vec![p.parse_and()?];
            p.lx.blank();
            while p.lx.str("or") {
                let child = if p.lx.blank() {
                    p.parse_and()?
                } else if p.lx.str("(") {
                    p.parse_embedded_remainder()?
                } else {
                    return Err(p.error("expected blank or '(' after 'or'"));
                };
                children.push(child);
                p.lx.blank();
            }
            Ok(if children.len() > 1 {
                Expr::Or(children)
            } else {
                children.pop().expect("one child")
            })
        })
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            p.lx.blank();
            let mut children = vec![p.parse_not()?];
            p.lx.blank();
            while p.lx.str("and") {
                let child = if p.lx.blank() {
                    p.parse_not()?
                } else if p.lx.str("(") {
                    p.parse_embedded_remainder()?
                } else {
                    return Err(p.error("expected blank or '(' after 'and'"));
                };
                children.push(child);
                p.lx.blank();
            }
            Ok(if children.len() > 1 {
                Expr::And(children)
            } else {
                children.pop().expect("one child")
            })
        })
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            p.lx.blank();
            let mut is_not = false;
            while p.lx.not_blank() {
                is_not = !is_not;
            }
            let child = if p.lx.str("not(") {
                is_not = !is_not;
                p.parse_embedded_remainder()?
            } else {
                p.parse_check()?
            };
            Ok(if is_not {
                Expr::Not(Box::new(child))
            } else {
                child
            })
        })
    }

    /// The rest of `( Expr )` after the `(`.
    fn parse_embedded_remainder(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            p.lx.blank();
            let child = p.parse_or()?;
            p.lx.blank();
            if !p.lx.str(")") {
                return Err(p.error("expected a ')' token"));
            }
            Ok(child)
        })
    }

    fn parse_check(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            p.lx.blank();
            let start = p.lx.pos;
            if p.lx.str("(") {
                return p.parse_embedded_remainder();
            }
            if let Some(name) = p.lx.field_name() {
                let field = p.parse_field_remainder(name)?;
                return p.parse_condition(Operand::Field(field), start);
            }
            if let Some(kind) = p.lex_transformer_type() {
                p.lx.blank();
                let lhs = p.parse_transformer_remainder(kind, start)?;
                return p.parse_condition(lhs, start);
            }
            if let Some(span) = p.lx.identifier() {
                return Ok(Expr::Macro {
                    name: p.lx.text()[span.start..span.end].to_string(),
                    span,
                });
            }
            Err(p.error("expected a '(' token, a field check, or an identifier"))
        })
    }

    /// An optional `[arg]` right after a field name (or `getopt(…)`).
    fn parse_bracket_arg(&mut self) -> PResult<Option<String>> {
        if !self.lx.str("[") {
            return Ok(None);
        }
        let arg = match self.lx.quoted_str() {
            Quoted::Value { value, .. } => value,
            Quoted::Invalid { message, span } => {
                return Err(ParseError::at(self.lx.text(), span.start, message))
            }
            Quoted::NoMatch => match self.lx.field_arg_bare_str() {
                Some(span) => self.lx.text()[span.start..span.end].to_string(),
                None => {
                    return Err(self.error(
                        "expected a valid field argument: a quoted string or a bare string",
                    ))
                }
            },
        };
        if arg.contains('\0') {
            return Err(self.error(escaping::NUL_MESSAGE));
        }
        if !self.lx.str("]") {
            return Err(self.error("expected a ']' token"));
        }
        Ok(Some(arg))
    }

    /// `FieldName ('[' FieldArg ']')?` after the name was lexed.
    fn parse_field_remainder(&mut self, name: Span) -> PResult<ast::FieldRef> {
        self.nested(|p| {
            let arg = p.parse_bracket_arg()?;
            Ok(ast::FieldRef {
                name: p.lx.text()[name.start..name.end].to_string(),
                arg,
                span: p.span_from(name.start),
            })
        })
    }

    /// The rest of a transformer call after `name(` (and blanks).
    fn parse_transformer_remainder(&mut self, kind: Transformer, start: usize) -> PResult<Operand> {
        if is_multi_value(kind) {
            return self.parse_multi_value_remainder(kind, start);
        }
        self.nested(|p| {
            p.lx.blank();
            let arg_start = p.lx.pos;
            let child = if let Some(inner) = p.lex_transformer_type() {
                p.lx.blank();
                p.parse_transformer_remainder(inner, arg_start)?
            } else if let Some(name) = p.lx.field_name() {
                Operand::Field(p.parse_field_remainder(name)?)
            } else {
                return Err(p.error(format!(
                    "expected a field or a nested valid transformer: {}",
                    transformer_list(true)
                )));
            };
            p.lx.blank();
            if !p.lx.str(")") {
                return Err(p.error("expected a ')' token closing the transformer"));
            }
            Ok(Operand::Transform {
                kind,
                args: vec![TransformArg::Operand(child)],
                arg: None,
                span: p.span_from(start),
            })
        })
    }

    /// `join(`, `concat(`, `getopt(`: comma-separated arguments, `)`, and for
    /// `getopt` an optional `[arg]`.
    fn parse_multi_value_remainder(&mut self, kind: Transformer, start: usize) -> PResult<Operand> {
        self.nested(|p| {
            let mut args = vec![p.parse_transformer_arg(true)?];
            p.lx.blank();
            while p.lx.str(",") {
                args.push(p.parse_transformer_arg(true)?);
                p.lx.blank();
            }
            if !p.lx.str(")") {
                return Err(p.error("expected a ')' token closing the transformer"));
            }
            let arg = if kind == Transformer::Getopt {
                p.parse_bracket_arg()?
            } else {
                None
            };
            Ok(Operand::Transform {
                kind,
                args,
                arg,
                span: p.span_from(start),
            })
        })
    }

    /// One argument of a multi-value transformer: a field, a transformer, a
    /// quoted string, a number, or (if `allow_list`) a `(…)` list of those.
    fn parse_transformer_arg(&mut self, allow_list: bool) -> PResult<TransformArg> {
        self.nested(|p| {
            p.lx.blank();
            let start = p.lx.pos;
            if let Some(kind) = p.lex_transformer_type() {
                p.lx.blank();
                return Ok(TransformArg::Operand(p.parse_transformer_remainder(kind, start)?));
            }
            if let Some(name) = p.lx.field_name() {
                return Ok(TransformArg::Operand(Operand::Field(p.parse_field_remainder(name)?)));
            }
            if let Some(lit) = p.try_quoted_literal()? {
                return Ok(TransformArg::Literal(lit));
            }
            if let Some(span) = p.lx.hex_number().or_else(|| p.lx.number()) {
                return Ok(TransformArg::Literal(p.bare_literal(span)?));
            }
            if allow_list && p.lx.str("(") {
                p.lx.blank();
                let mut items = Vec::new();
                if !p.lx.str(")") {
                    items.push(p.parse_transformer_arg(false)?);
                    p.lx.blank();
                    while p.lx.str(",") {
                        items.push(p.parse_transformer_arg(false)?);
                        p.lx.blank();
                    }
                    if !p.lx.str(")") {
                        return Err(p.error("expected a ')' token"));
                    }
                }
                return Ok(TransformArg::List(items));
            }
            Err(p.error(format!(
                "expected a field, a transformer, a quoted string, a number{} as transformer argument",
                if allow_list { " or a list" } else { "" }
            )))
        })
    }

    /// `Condition`: the operator and right-hand side after a field or
    /// transformer.
    fn parse_condition(&mut self, lhs: Operand, start: usize) -> PResult<Expr> {
        self.nested(|p| {
            p.lx.blank();
            if p.lx.str_list(UNARY_OPS).is_some() {
                return Ok(check(lhs, Op::Exists, None, Rhs::None, p.span_from(start)));
            }
            p.lx.blank();
            let (op, modifier, rhs) = if let Some(op) = p.lx.str_list(NUM_OPS) {
                (op, None, p.parse_num_value_or_transformer()?)
            } else if let Some(op) = p.lx.str_list(STR_OPS) {
                match p.lex_modifier(op.ends_with(' ')) {
                    Some(m) => (op, Some(m), p.parse_list_value(false)?),
                    None => (op, None, p.parse_str_value_or_transformer()?),
                }
            } else if let Some(op) = p.lx.str_list(LIST_OPS) {
                (op, None, p.parse_list_value(true)?)
            } else {
                return Err(p.error(format!(
                    "expected a valid check operator: one of {}",
                    operator_list()
                )));
            };
            let op = Op::from_str_op(op.trim()).expect("operator table entries are Ops");
            Ok(check(lhs, op, modifier, rhs, p.span_from(start)))
        })
    }

    /// `oneof`/`anyof`/`allof` after a string operator (libs ≥ 0.25). Taken
    /// only when a blank separates it from the operator, a blank follows it,
    /// and then comes `(` or an identifier other than `and`/`or`/`not`;
    /// otherwise nothing is consumed and the word is an ordinary value.
    fn lex_modifier(&mut self, op_had_blank: bool) -> Option<Modifier> {
        let rest = self.lx.rest();
        let lead = rest.iter().take_while(|b| lexer::is_blank(**b)).count();
        if !op_had_blank && lead == 0 {
            return None;
        }
        let after_lead = &rest[lead..];
        let (word, modifier) = MODIFIERS
            .iter()
            .copied()
            .find(|(w, _)| after_lead.starts_with(w.as_bytes()))?;
        let after_word = &after_lead[word.len()..];
        let gap = after_word
            .iter()
            .take_while(|b| lexer::is_blank(**b))
            .count();
        if gap == 0 {
            return None;
        }
        let next = &after_word[gap..];
        let ident = lexer::identifier_len(next);
        let ok = next.first() == Some(&b'(')
            || (ident > 0 && !matches!(&next[..ident], b"and" | b"or" | b"not"));
        if !ok {
            return None;
        }
        self.lx.pos += lead;
        self.lx.str(word);
        self.lx.blank();
        Some(modifier)
    }

    fn parse_num_value_or_transformer(&mut self) -> PResult<Rhs> {
        self.nested(|p| {
            p.lx.blank();
            if let Some(op) = p.try_parse_transformer_or_val()? {
                return Ok(Rhs::Field(op));
            }
            if let Some(span) = p.lx.hex_number().or_else(|| p.lx.number()) {
                return Ok(Rhs::Value(p.bare_literal(span)?));
            }
            Err(p.error(format!(
                "expected a number value or a field with a valid transformer: {}",
                transformer_list(true)
            )))
        })
    }

    fn parse_str_value_or_transformer(&mut self) -> PResult<Rhs> {
        self.nested(|p| {
            p.lx.blank();
            if let Some(op) = p.try_parse_transformer_or_val()? {
                return Ok(Rhs::Field(op));
            }
            match p.try_str_value()? {
                Some(lit) => Ok(Rhs::Value(lit)),
                None => Err(p.error(format!(
                    "expected a string value or a field with a valid transformer: {}",
                    transformer_list(true)
                ))),
            }
        })
    }

    /// A quoted or bare string at the cursor, if any (libsinsp
    /// `parse_str_value_or_transformer(true)` without its exception).
    fn try_str_value(&mut self) -> PResult<Option<Literal>> {
        self.nested(|p| {
            p.lx.blank();
            if let Some(lit) = p.try_quoted_literal()? {
                return Ok(Some(lit));
            }
            match p.lx.bare_str() {
                Some(span) => Ok(Some(p.bare_literal(span)?)),
                None => Ok(None),
            }
        })
    }

    fn try_quoted_literal(&mut self) -> PResult<Option<Literal>> {
        match self.lx.quoted_str() {
            Quoted::NoMatch => Ok(None),
            Quoted::Invalid { message, span } => {
                Err(ParseError::at(self.lx.text(), span.start, message))
            }
            Quoted::Value { value, span } => Ok(Some(Literal {
                value,
                quoted: true,
                span,
            })),
        }
    }

    fn bare_literal(&self, span: Span) -> PResult<Literal> {
        let value = &self.lx.text()[span.start..span.end];
        if value.contains('\0') {
            return Err(ParseError::at(
                self.lx.text(),
                span.start,
                escaping::NUL_MESSAGE,
            ));
        }
        Ok(Literal {
            value: value.to_string(),
            quoted: false,
            span,
        })
    }

    /// `ListValue` (`(a, b, …)` or an identifier), and with
    /// `allow_transformer` also a field reference (`val(f)`, `tolower(f)`, …).
    fn parse_list_value(&mut self, allow_transformer: bool) -> PResult<Rhs> {
        self.nested(|p| {
            p.lx.blank();
            if p.lx.str("(") {
                p.lx.blank();
                let mut values = Vec::new();
                // libsinsp: a list whose first value does not lex is empty.
                if let Some(first) = p.try_str_value()? {
                    values.push(first);
                    p.lx.blank();
                    while p.lx.str(",") {
                        match p.try_str_value()? {
                            Some(v) => values.push(v),
                            None => return Err(p.error("expected a string value")),
                        }
                        p.lx.blank();
                    }
                }
                if !p.lx.str(")") {
                    return Err(p.error("expected a ')' token"));
                }
                return Ok(Rhs::List(values));
            }
            if allow_transformer {
                if let Some(op) = p.try_parse_transformer_or_val()? {
                    return Ok(Rhs::Field(op));
                }
            }
            if let Some(span) = p.lx.identifier() {
                return Ok(Rhs::ListName(p.bare_literal(span)?));
            }
            Err(p.error(if allow_transformer {
                format!(
                    "expected a list, an identifier, or a field with a valid transformer: {}",
                    transformer_list(true)
                )
            } else {
                "expected a list or an identifier".to_string()
            }))
        })
    }

    /// `val(field)` or a transformer call on the right-hand side; `None`
    /// (nothing consumed but blanks) when neither starts here.
    fn try_parse_transformer_or_val(&mut self) -> PResult<Option<Operand>> {
        self.nested(|p| {
            p.lx.blank();
            let start = p.lx.pos;
            if p.lx.str("val(") {
                p.lx.blank();
                let Some(name) = p.lx.field_name() else {
                    return Err(p.error("expected a field within 'val' transformer"));
                };
                let field = p.parse_field_remainder(name)?;
                p.lx.blank();
                if !p.lx.str(")") {
                    return Err(p.error("expected a ')' token closing the transformer"));
                }
                return Ok(Some(Operand::Transform {
                    kind: Transformer::Val,
                    args: vec![TransformArg::Operand(Operand::Field(field))],
                    arg: None,
                    span: p.span_from(start),
                }));
            }
            if let Some(kind) = p.lex_transformer_type() {
                p.lx.blank();
                return p.parse_transformer_remainder(kind, start).map(Some);
            }
            Ok(None)
        })
    }
}

fn check(lhs: Operand, op: Op, modifier: Option<Modifier>, rhs: Rhs, span: Span) -> Expr {
    Expr::Check(Box::new(Check {
        lhs,
        op,
        modifier,
        rhs,
        span,
    }))
}
