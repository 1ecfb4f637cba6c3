//! Macro resolution in the AST (Falco `filter_macro_resolver.cpp`,
//! `rule_loader_compiler.cpp: resolve_macros`).
//!
//! Every [`Expr::Macro`] (a bare identifier in check position) is replaced
//! by a copy of the macro's tree, recursively. Which macros a condition may
//! name is decided by the caller through `visible` (rules see every macro;
//! a macro body sees the macros defined before its last definition).

use crate::ast::{Expr, Span};

/// Longest chain of macros expanding into each other.
pub const MAX_MACRO_DEPTH: usize = 100;
/// Most expression nodes one condition may grow to by expansion.
pub const MAX_EXPANDED_NODES: usize = 1_000_000;

/// The state of one macro's tree during compilation.
#[derive(Debug, Clone)]
pub enum Slot {
    /// Parsed (and, once its turn came, resolved).
    Ready(Expr),
    /// Its condition failed to parse or resolve; already reported.
    Broken,
    /// Being resolved right now: a reference to it is a loop.
    InProgress,
}

/// Why a reference could not be resolved. `span` is the position, in the
/// text being resolved, of the reference that led to the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroError {
    /// `Undefined macro 'x' used in filter.`
    Undefined { name: String, span: Span },
    /// `reference loop in macro 'x'`
    Loop { name: String, span: Span },
    /// Expansion exceeds [`MAX_MACRO_DEPTH`] or [`MAX_EXPANDED_NODES`].
    TooLarge { span: Span },
    /// Names a macro that is itself broken (no new message).
    Broken,
}

impl MacroError {
    /// Falco's message, `None` for [`MacroError::Broken`].
    pub fn message(&self) -> Option<String> {
        match self {
            MacroError::Undefined { name, .. } => {
                Some(format!("Undefined macro '{name}' used in filter."))
            }
            MacroError::Loop { name, .. } => Some(format!("reference loop in macro '{name}'")),
            MacroError::TooLarge { .. } => Some(format!(
                "macro expansion too large (more than {MAX_MACRO_DEPTH} nested macros or {MAX_EXPANDED_NODES} nodes)"
            )),
            MacroError::Broken => None,
        }
    }

    pub fn span(&self) -> Option<Span> {
        match self {
            MacroError::Undefined { span, .. }
            | MacroError::Loop { span, .. }
            | MacroError::TooLarge { span } => Some(*span),
            MacroError::Broken => None,
        }
    }
}

/// What the resolver needs to know about the macros.
pub struct MacroEnv<'a> {
    /// Index into `slots` of a macro *visible here*, by name.
    pub visible: &'a dyn Fn(&str) -> Option<usize>,
    pub slots: &'a [Slot],
    /// Set for every macro expanded (Falco's "used" flag).
    pub used: &'a mut [bool],
}

fn count(e: &Expr) -> usize {
    match e {
        Expr::And(v) | Expr::Or(v) => 1 + v.iter().map(count).sum::<usize>(),
        Expr::Not(c) => 1 + count(c),
        Expr::Macro { .. } | Expr::Check(_) => 1,
    }
}

/// Expand every macro reference in `expr`, in place. Errors are collected
/// (unknown names are left in the tree).
pub fn resolve(expr: &mut Expr, env: &mut MacroEnv<'_>) -> Vec<MacroError> {
    let mut errors = Vec::new();
    let mut stack = Vec::new();
    let mut budget = MAX_EXPANDED_NODES;
    walk(expr, env, &mut stack, None, &mut budget, &mut errors);
    errors
}

fn walk(
    expr: &mut Expr,
    env: &mut MacroEnv<'_>,
    stack: &mut Vec<usize>,
    outer: Option<Span>,
    budget: &mut usize,
    errors: &mut Vec<MacroError>,
) {
    match expr {
        Expr::And(children) | Expr::Or(children) => {
            for c in children {
                walk(c, env, stack, outer, budget, errors);
            }
        }
        Expr::Not(child) => walk(child, env, stack, outer, budget, errors),
        Expr::Check(_) => {}
        Expr::Macro { name, span } => {
            let at = outer.unwrap_or(*span);
            let Some(idx) = (env.visible)(name) else {
                errors.push(MacroError::Undefined {
                    name: name.clone(),
                    span: at,
                });
                return;
            };
            let body = match &env.slots[idx] {
                Slot::Broken => {
                    errors.push(MacroError::Broken);
                    return;
                }
                Slot::InProgress => {
                    errors.push(MacroError::Loop {
                        name: name.clone(),
                        span: at,
                    });
                    return;
                }
                Slot::Ready(body) => body,
            };
            if stack.contains(&idx) {
                errors.push(MacroError::Loop {
                    name: name.clone(),
                    span: at,
                });
                return;
            }
            let n = count(body);
            if stack.len() >= MAX_MACRO_DEPTH || n > *budget {
                errors.push(MacroError::TooLarge { span: at });
                return;
            }
            *budget -= n;
            let mut copy = body.clone();
            env.used[idx] = true;
            stack.push(idx);
            walk(&mut copy, env, stack, Some(at), budget, errors);
            stack.pop();
            *expr = copy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str) -> Expr {
        Expr::Macro {
            name: name.into(),
            span: Span::new(0, name.len()),
        }
    }

    #[test]
    fn expands_nested_and_reports_loops_and_unknowns() {
        // a = b, b = (c), c undefined.
        let slots = vec![
            Slot::Ready(m("b")),
            Slot::Ready(Expr::Not(Box::new(m("c")))),
        ];
        let visible = |n: &str| match n {
            "a" => Some(0),
            "b" => Some(1),
            _ => None,
        };
        let mut used = vec![false; 2];
        let mut e = Expr::And(vec![m("a"), m("b")]);
        let errs = resolve(
            &mut e,
            &mut MacroEnv {
                visible: &visible,
                slots: &slots,
                used: &mut used,
            },
        );
        assert_eq!(used, vec![true, true]);
        assert_eq!(errs.len(), 2);
        assert!(matches!(&errs[0], MacroError::Undefined { name, .. } if name == "c"));

        let loop_slots = vec![Slot::Ready(m("y")), Slot::Ready(m("x"))];
        let visible = |n: &str| match n {
            "x" => Some(0),
            "y" => Some(1),
            _ => None,
        };
        let mut used = vec![false; 2];
        let mut e = m("x");
        let errs = resolve(
            &mut e,
            &mut MacroEnv {
                visible: &visible,
                slots: &loop_slots,
                used: &mut used,
            },
        );
        assert_eq!(errs[0].message().unwrap(), "reference loop in macro 'x'");
    }
}
