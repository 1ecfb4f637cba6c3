//! Rule pinning on the source's index field (Falco's event-type index,
//! `evttype_index_ruleset.cpp`, generalised to any field).
//!
//! For a condition, compute the set of index-field values it requires:
//! * `f = X`, `f == X`, `f in (X, Y)`, `f intersects (…)`, `f = anyof (…)`
//!   (any modifier with `=`): those constants;
//! * `a and b`: the intersection of the operands that are pinned;
//! * `a or b`: the union, unless some operand is unpinned;
//! * `not …`, macros, other fields and operators: unpinned ("any").
//!
//! `None` = the rule may match any event.

use std::collections::BTreeSet;

use crate::ast::{Expr, Op, Operand, Rhs};

/// The values of `field` the condition `e` requires, or `None` for any.
pub fn required_values(e: &Expr, field: &str) -> Option<BTreeSet<String>> {
    match e {
        Expr::And(xs) => {
            let mut acc: Option<BTreeSet<String>> = None;
            for x in xs {
                if let Some(s) = required_values(x, field) {
                    acc = Some(match acc {
                        None => s,
                        Some(a) => a.intersection(&s).cloned().collect(),
                    });
                }
            }
            acc
        }
        Expr::Or(xs) => {
            let mut acc = BTreeSet::new();
            for x in xs {
                acc.extend(required_values(x, field)?);
            }
            Some(acc)
        }
        Expr::Not(_) | Expr::Macro { .. } => None,
        Expr::Check(c) => {
            let Operand::Field(f) = &c.lhs else {
                return None;
            };
            if f.name != field || f.arg.is_some() {
                return None;
            }
            let ok_op = match c.modifier {
                None => matches!(c.op, Op::Eq | Op::EqEq | Op::In | Op::Intersects),
                Some(_) => matches!(c.op, Op::Eq | Op::EqEq),
            };
            if !ok_op {
                return None;
            }
            match &c.rhs {
                Rhs::Value(l) => Some(BTreeSet::from([l.value.clone()])),
                Rhs::List(ls) => Some(ls.iter().map(|l| l.value.clone()).collect()),
                _ => None,
            }
        }
    }
}
