//! Operator / type compatibility (libsinsp `filter_compare.cpp`,
//! `flt_is_comparable`) and libsinsp's type names for messages.

use crate::ast::{Modifier, Op};
use crate::fields::FieldType;

/// libsinsp `param_type_to_string` for a [`FieldType`]: the name Falco uses
/// in type-mismatch messages (`CHARBUF`, `UINT64`, …).
pub fn param_type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "CHARBUF",
        FieldType::Bytes => "BYTEBUF",
        FieldType::Uint64 => "UINT64",
        FieldType::Int64 => "INT64",
        FieldType::Bool => "BOOL",
        FieldType::Double => "DOUBLE",
        FieldType::AbsTime => "ABSTIME",
        FieldType::RelTime => "RELTIME",
        FieldType::Port => "PORT",
        FieldType::IpAddr => "IPADDR",
        FieldType::IpNet => "IPNET",
        FieldType::Opaque => "DYN",
    }
}

/// Whether `op` (with an optional list modifier) may be applied to a field
/// of type `ty` / list-ness `is_list`.
///
/// # Errors
/// Falco's message, e.g. `'contains' operator not supported for numeric
/// filters`, `'=' operator not supported list filters` (sic).
pub fn flt_is_comparable(
    op: Op,
    modifier: Option<Modifier>,
    ty: FieldType,
    is_list: bool,
) -> Result<(), String> {
    use Op::*;
    if op == Exists {
        return Ok(());
    }
    let name = op.as_str();
    if is_list {
        return match ty {
            FieldType::String
            | FieldType::Uint64
            | FieldType::RelTime
            | FieldType::AbsTime
            | FieldType::Bool
            | FieldType::IpAddr
            | FieldType::IpNet => match op {
                In | Intersects if modifier.is_none() => Ok(()),
                _ => Err(format!("'{name}' operator not supported list filters")),
            },
            _ => Err(format!(
                "list filters are not supported for type '{}'",
                param_type_name(ty)
            )),
        };
    }
    let (ok, kind) = match ty {
        FieldType::Uint64
        | FieldType::Int64
        | FieldType::Double
        | FieldType::AbsTime
        | FieldType::RelTime
        | FieldType::Port => (
            matches!(op, Eq | EqEq | Ne | Lt | Le | Gt | Ge | In | Intersects),
            "numeric",
        ),
        // libsinsp reports bool mismatches as "numeric" too.
        FieldType::Bool => (matches!(op, Eq | EqEq | Ne | In | Intersects), "numeric"),
        FieldType::IpAddr | FieldType::IpNet => {
            if modifier.is_some() && !matches!(op, Eq | EqEq | Ne) {
                return Err(format!(
                    "'{name}' with modifier not supported for ip address and network filters"
                ));
            }
            (
                matches!(op, Eq | EqEq | Ne | In | Intersects),
                "ip address and network",
            )
        }
        FieldType::String => (!matches!(op, BContains | BStartsWith), "string"),
        FieldType::Bytes => (
            matches!(
                op,
                Eq | EqEq
                    | Ne
                    | Contains
                    | In
                    | StartsWith
                    | EndsWith
                    | Intersects
                    | BContains
                    | BStartsWith
            ),
            "buffer",
        ),
        FieldType::Opaque => {
            return Err(format!(
                "'{name}' operator not supported for type '{}'",
                param_type_name(ty)
            ))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' operator not supported for {kind} filters"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_messages() {
        assert_eq!(
            flt_is_comparable(Op::Contains, None, FieldType::Uint64, false).unwrap_err(),
            "'contains' operator not supported for numeric filters"
        );
        assert_eq!(
            flt_is_comparable(Op::Eq, None, FieldType::String, true).unwrap_err(),
            "'=' operator not supported list filters"
        );
        assert!(flt_is_comparable(Op::Lt, None, FieldType::String, false).is_ok());
        assert!(flt_is_comparable(Op::Glob, None, FieldType::Bytes, false).is_err());
        assert!(flt_is_comparable(Op::BContains, None, FieldType::String, false).is_err());
        assert!(flt_is_comparable(Op::Exists, None, FieldType::Opaque, false).is_ok());
        assert!(flt_is_comparable(Op::Eq, Some(Modifier::AnyOf), FieldType::IpAddr, false).is_ok());
        assert!(
            flt_is_comparable(Op::Contains, Some(Modifier::AnyOf), FieldType::IpNet, false)
                .is_err()
        );
    }
}
