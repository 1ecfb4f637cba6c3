//! Printing the condition AST back to Falco condition text.
//!
//! The printed text parses back to an equal tree.

use std::fmt;

use crate::ast::{Check, Expr, Literal, Operand, Rhs};

impl fmt::Display for Expr {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("print Expr")
    }
}

impl fmt::Display for Check {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("print Check")
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("print Operand")
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("print Rhs")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("print Literal")
    }
}
