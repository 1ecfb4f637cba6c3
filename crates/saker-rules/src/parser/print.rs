//! Printing the condition AST back to Falco condition text.
//!
//! For every tree the parser can produce, the printed text parses back to an
//! equal tree (spans aside): sub-expressions are parenthesised where the
//! grammar would otherwise regroup them, and literals are quoted with
//! [`quote_str`] unless they were written bare and still lex as one bare
//! token. Numbers after `<`, `<=`, `>`, `>=` are printed as written (Falco
//! has no quoted numbers). Macro and list names are printed as they are, so
//! names that are keywords (`and`, `or`, `not`) do not round-trip.

use std::fmt::{self, Write};

use crate::ast::{Check, Expr, Literal, Op, Operand, Rhs, TransformArg, Transformer};

use super::lexer::{is_bare_str_token, is_blank, is_field_arg_token, is_number_token};
use super::quote_str;

/// Whether a string-operator value can be printed bare: it lexes as exactly
/// one `BareStr`, does not start with a byte the lexer skips as a blank
/// (`\b` is both), and is not a list modifier word that could be re-read as
/// `= oneof …`.
fn bare_value_ok(value: &str) -> bool {
    is_bare_str_token(value)
        && !value.as_bytes().first().is_some_and(|b| is_blank(*b))
        && !matches!(value, "oneof" | "anyof" | "allof")
}

fn write_value(f: &mut fmt::Formatter<'_>, lit: &Literal) -> fmt::Result {
    if !lit.quoted && bare_value_ok(&lit.value) {
        f.write_str(&lit.value)
    } else {
        f.write_str(&quote_str(&lit.value))
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Literal]) -> fmt::Result {
    f.write_char('(')?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_value(f, item)?;
    }
    f.write_char(')')
}

fn write_bracket_arg(f: &mut fmt::Formatter<'_>, arg: &Option<String>) -> fmt::Result {
    match arg {
        None => Ok(()),
        Some(a) if is_field_arg_token(a) => write!(f, "[{a}]"),
        Some(a) => write!(f, "[{}]", quote_str(a)),
    }
}

fn write_transform_arg(f: &mut fmt::Formatter<'_>, arg: &TransformArg) -> fmt::Result {
    match arg {
        TransformArg::Operand(op) => write!(f, "{op}"),
        TransformArg::Literal(lit) if !lit.quoted && is_number_token(&lit.value) => {
            f.write_str(&lit.value)
        }
        TransformArg::Literal(lit) => f.write_str(&quote_str(&lit.value)),
        TransformArg::List(items) => {
            f.write_char('(')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_transform_arg(f, item)?;
            }
            f.write_char(')')
        }
    }
}

/// Write `e` as an operand of `and`/`or`/`not`, in parentheses if `wrap`.
fn write_sub(f: &mut fmt::Formatter<'_>, e: &Expr, wrap: bool) -> fmt::Result {
    if wrap {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(children) => {
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    write_sub(f, c, matches!(c, Expr::And(_) | Expr::Or(_)))?;
                }
                Ok(())
            }
            Expr::Or(children) => {
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write_sub(f, c, matches!(c, Expr::Or(_)))?;
                }
                Ok(())
            }
            Expr::Not(child) => {
                f.write_str("not ")?;
                write_sub(
                    f,
                    child,
                    !matches!(**child, Expr::Check(_) | Expr::Macro { .. }),
                )
            }
            Expr::Macro { name, .. } => f.write_str(name),
            Expr::Check(c) => write!(f, "{c}"),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.lhs, self.op)?;
        if let Some(m) = self.modifier {
            write!(f, " {}", m.as_str())?;
        }
        match (&self.rhs, self.op) {
            (Rhs::None, _) => Ok(()),
            // Numeric operators take an unquoted number token.
            (Rhs::Value(lit), Op::Lt | Op::Le | Op::Gt | Op::Ge) => write!(f, " {}", lit.value),
            (rhs, _) => write!(f, " {rhs}"),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(field) => {
                f.write_str(&field.name)?;
                write_bracket_arg(f, &field.arg)
            }
            Operand::Transform {
                kind, args, arg, ..
            } => {
                write!(f, "{}(", kind.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_transform_arg(f, a)?;
                }
                f.write_char(')')?;
                write_bracket_arg(f, arg)
            }
        }
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::None => Ok(()),
            Rhs::Value(lit) => write_value(f, lit),
            Rhs::List(items) => write_list(f, items),
            // A plain field on the right-hand side needs `val()` to be a field.
            Rhs::Field(Operand::Field(field)) => {
                write!(
                    f,
                    "{}({})",
                    Transformer::Val.name(),
                    Operand::Field(field.clone())
                )
            }
            Rhs::Field(op) => write!(f, "{op}"),
            Rhs::ListName(name) => f.write_str(&name.value),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self)
    }
}
