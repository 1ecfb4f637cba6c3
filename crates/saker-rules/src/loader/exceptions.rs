//! Rule exceptions: their shape checks (`rule_loader_collector.cpp:
//! validate_exception_info`) and the condition text they add
//! (`rule_loader_compiler.cpp: build_rule_exception_infos`), as in
//! `shared/reference/falco.md` §2.5.

use crate::ast::{Op, Operand, TransformArg};
use crate::diag::Location;
use crate::fields::FieldTable;

use super::lists::{paren_item, quote_item};

/// A `fields`, `comps` or `values` entry: a scalar or a (nested) sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Scalar(String),
    List(Vec<Entry>),
}

impl Entry {
    /// Falco's `entry::is_valid`: a non-empty scalar or a non-empty list.
    pub fn is_valid(&self) -> bool {
        match self {
            Entry::Scalar(s) => !s.is_empty(),
            Entry::List(items) => !items.is_empty(),
        }
    }

    fn items(&self) -> &[Entry] {
        match self {
            Entry::List(items) => items,
            Entry::Scalar(_) => &[],
        }
    }

    fn item(&self) -> &str {
        match self {
            Entry::Scalar(s) => s,
            Entry::List(_) => "",
        }
    }
}

/// One exception of a rule, as read from YAML.
#[derive(Debug, Clone)]
pub struct ExceptionInfo {
    pub name: String,
    /// `None` when absent or null.
    pub fields: Option<Entry>,
    pub comps: Option<Entry>,
    /// One entry per `values` element.
    pub values: Vec<Entry>,
    /// Where the exception item starts.
    pub location: Location,
}

impl ExceptionInfo {
    pub fn fields_valid(&self) -> bool {
        self.fields.as_ref().is_some_and(Entry::is_valid)
    }

    pub fn comps_valid(&self) -> bool {
        self.comps.as_ref().is_some_and(Entry::is_valid)
    }
}

/// String operators that take an `oneof`/`anyof`/`allof` modifier.
fn is_string_op(op: &str) -> bool {
    matches!(
        op,
        "=" | "=="
            | "!="
            | "contains"
            | "icontains"
            | "bcontains"
            | "startswith"
            | "bstartswith"
            | "endswith"
            | "glob"
            | "iglob"
            | "regex"
    )
}

/// `<strop> oneof|anyof|allof` (libs ≥ 0.25).
fn is_modifier_op(op: &str) -> bool {
    let mut parts = op.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(o), Some(m), None) => is_string_op(o) && matches!(m, "oneof" | "anyof" | "allof"),
        _ => false,
    }
}

/// libsinsp `parser::supported_operators()` plus the modifier forms.
pub fn is_operator_defined(op: &str) -> bool {
    Op::from_str_op(op).is_some() || is_modifier_op(op)
}

/// `supported_operators(list_only = true)`: operators whose right-hand
/// side is a list, so a scalar value is wrapped in `(…)`.
pub fn is_operator_for_list(op: &str) -> bool {
    matches!(op, "in" | "intersects" | "pmatch") || is_modifier_op(op)
}

/// Falco's `is_valid_lhs_field`: with a `(` the text must compile as
/// `<f> exists`; otherwise it must name a field of the table (with its
/// `[arg]`).
pub fn field_is_defined(table: &dyn FieldTable, field: &str) -> bool {
    if field.contains('(') {
        let Ok(expr) = crate::parser::parse_condition(&format!("{field} exists")) else {
            return false;
        };
        return match expr {
            crate::ast::Expr::Check(c) => operand_fields_resolve(table, &c.lhs),
            _ => false,
        };
    }
    let (name, arg) = match field.find('[') {
        Some(i) if field.ends_with(']') => (&field[..i], Some(&field[i + 1..field.len() - 1])),
        _ => (field, None),
    };
    table.resolve(name, arg).is_ok()
}

fn operand_fields_resolve(table: &dyn FieldTable, op: &Operand) -> bool {
    match op {
        Operand::Field(f) => table.resolve(&f.name, f.arg.as_deref()).is_ok(),
        Operand::Transform { args, .. } => args.iter().all(|a| arg_fields_resolve(table, a)),
    }
}

fn arg_fields_resolve(table: &dyn FieldTable, a: &TransformArg) -> bool {
    match a {
        TransformArg::Operand(o) => operand_fields_resolve(table, o),
        TransformArg::Literal(_) => true,
        TransformArg::List(items) => items.iter().all(|i| arg_fields_resolve(table, i)),
    }
}

/// Check an exception and fill in default `comps` (`=` per field for a
/// field list, `in` for a single field). `table` is the rule's source, or
/// `None` when the source is unknown (fields are then not checked).
///
/// # Errors
/// Falco's message (code `LOAD_ERR_VALIDATE`).
pub fn validate(ex: &mut ExceptionInfo, table: Option<&dyn FieldTable>) -> Result<(), String> {
    let fields = ex.fields.clone().unwrap_or(Entry::Scalar(String::new()));
    match &fields {
        Entry::List(field_items) => {
            if !ex.comps_valid() {
                ex.comps = Some(Entry::List(
                    field_items
                        .iter()
                        .map(|_| Entry::Scalar("=".into()))
                        .collect(),
                ));
            }
            let comps = ex.comps.as_ref().map(Entry::items).unwrap_or(&[]);
            if field_items.len() != comps.len() {
                return Err("Fields and comps lists must have equal length".into());
            }
            for c in comps {
                if !is_operator_defined(c.item()) {
                    return Err(format!(
                        "'{}' is not a supported comparison operator",
                        c.item()
                    ));
                }
            }
            if let Some(t) = table {
                for f in field_items {
                    if !field_is_defined(t, f.item()) {
                        return Err(format!("'{}' is not a supported filter field", f.item()));
                    }
                }
            }
        }
        Entry::Scalar(field) => {
            if !ex.comps_valid() {
                ex.comps = Some(Entry::Scalar("in".into()));
            }
            match ex.comps.as_ref() {
                Some(Entry::List(_)) => return Err("Fields and comps must both be strings".into()),
                Some(Entry::Scalar(c))
                    if !matches!(c.as_str(), "in" | "pmatch" | "intersects")
                        && !is_modifier_op(c) =>
                {
                    return Err("When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)".into());
                }
                _ => {}
            }
            if let Some(t) = table {
                if !field_is_defined(t, field) {
                    return Err(format!("'{field}' is not a supported filter field"));
                }
            }
        }
    }
    Ok(())
}

/// Append the exceptions to a rule condition as Falco does:
/// `(cond) and not <ex1> and not <ex2> …`, skipping exceptions whose
/// expansion is empty. With no exceptions the condition is unchanged.
///
/// # Errors
/// `(message, exception location)` for a value row of the wrong shape
/// (code `LOAD_ERR_VALIDATE`).
pub fn build_condition(
    cond: &str,
    exceptions: &[ExceptionInfo],
) -> Result<String, (String, Location)> {
    if exceptions.is_empty() {
        return Ok(cond.to_string());
    }
    let mut out = format!("({cond})");
    for ex in exceptions {
        let icond = exception_clause(ex).map_err(|m| (m, ex.location.clone()))?;
        if !icond.is_empty() {
            out.push_str(" and not ");
            out.push_str(&icond);
        }
    }
    Ok(out)
}

fn exception_clause(ex: &ExceptionInfo) -> Result<String, String> {
    let fields = ex.fields.clone().unwrap_or(Entry::Scalar(String::new()));
    let comps = ex.comps.clone().unwrap_or(Entry::Scalar(String::new()));
    match &fields {
        Entry::Scalar(field) => {
            let mut vals = Vec::new();
            for v in &ex.values {
                if let Entry::List(_) = v {
                    return Err("Expected values array to contain a list of strings".into());
                }
                vals.push(quote_item(v.item()));
            }
            if vals.is_empty() {
                return Ok(String::new());
            }
            Ok(format!("({field} {} ({}))", comps.item(), vals.join(", ")))
        }
        Entry::List(field_items) => {
            let comp_items = comps.items();
            let mut rows = Vec::new();
            for row in &ex.values {
                let vals = row.items();
                if vals.len() != field_items.len() {
                    return Err("Fields and values lists must have equal length".into());
                }
                let mut row_text = String::from("(");
                for (k, field) in field_items.iter().enumerate() {
                    if k > 0 {
                        row_text.push_str(" and ");
                    }
                    let comp = comp_items.get(k).map(Entry::item).unwrap_or("=");
                    let val = match &vals[k] {
                        Entry::List(items) => {
                            let inner: Vec<String> =
                                items.iter().map(|v| quote_item(v.item())).collect();
                            format!("({})", inner.join(", "))
                        }
                        Entry::Scalar(s) => {
                            if is_operator_for_list(comp) {
                                paren_item(s)
                            } else {
                                quote_item(s)
                            }
                        }
                    };
                    row_text.push_str(&format!(" {} {comp} {val}", field.item()));
                }
                row_text.push(')');
                rows.push(row_text);
            }
            if rows.is_empty() {
                return Ok(String::new());
            }
            Ok(format!("({})", rows.join(" or ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn loc() -> Location {
        Location {
            file: Arc::from("t.yaml"),
            line: 1,
            col: 1,
        }
    }

    fn s(v: &str) -> Entry {
        Entry::Scalar(v.into())
    }

    #[test]
    fn list_fields_render_like_falco() {
        let mut ex = ExceptionInfo {
            name: "e".into(),
            fields: Some(Entry::List(vec![s("proc.cmdline")])),
            comps: Some(Entry::List(vec![s("contains")])),
            values: vec![Entry::List(vec![s("curl 127.0.0.1")])],
            location: loc(),
        };
        validate(&mut ex, None).unwrap();
        assert_eq!(
            build_condition(
                "proc.cmdline contains curl or proc.cmdline contains wget",
                &[ex]
            )
            .unwrap(),
            "(proc.cmdline contains curl or proc.cmdline contains wget) and not (( proc.cmdline contains \"curl 127.0.0.1\"))"
        );
    }

    #[test]
    fn scalar_fields_render_an_in_list() {
        let mut ex = ExceptionInfo {
            name: "e".into(),
            fields: Some(s("proc.name")),
            comps: None,
            values: vec![s("a"), s("b c")],
            location: loc(),
        };
        validate(&mut ex, None).unwrap();
        assert_eq!(
            build_condition("x", &[ex]).unwrap(),
            "(x) and not (proc.name in (a, \"b c\"))"
        );
    }

    #[test]
    fn bad_comps_are_rejected() {
        let mut ex = ExceptionInfo {
            name: "e".into(),
            fields: Some(Entry::List(vec![s("a.b"), s("c.d")])),
            comps: Some(Entry::List(vec![s("=")])),
            values: vec![],
            location: loc(),
        };
        assert_eq!(
            validate(&mut ex, None).unwrap_err(),
            "Fields and comps lists must have equal length"
        );
        ex.comps = Some(Entry::List(vec![s("="), s("like")]));
        assert_eq!(
            validate(&mut ex, None).unwrap_err(),
            "'like' is not a supported comparison operator"
        );
        ex.comps = Some(Entry::List(vec![s("="), s("startswith oneof")]));
        assert!(validate(&mut ex, None).is_ok());
    }
}
