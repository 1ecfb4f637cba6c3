//! The seam between the rule engine and an event source.
//!
//! An event source (CloudTrail, Linux audit, …) provides two things:
//!
//! * a [`FieldTable`]: the fields a rule of that `source` may name, with their
//!   types, argument forms and list-ness. The compiler resolves every field
//!   token of a condition or output through it, so an unknown field, a missing
//!   or unexpected argument or an operator the type does not support is a
//!   compile error with its location — as in libsinsp's filter compiler.
//! * [`Event`]s: at evaluation time the engine asks an event for the value of a
//!   resolved field. A ruleset extracts each distinct field at most once per
//!   event, whatever the number of rules that read it, and only when a rule
//!   that is actually evaluated reaches it.
//!
//! Value types follow libsinsp's `ppm_param_type` where the difference is
//! observable (operator support, right-hand-side parsing, output rendering):
//! see `shared/reference/falco.md` §3.4, §4 and §11.

use std::borrow::Cow;
use std::net::IpAddr;

/// The type of a field's value (libsinsp `ppm_param_type`, grouped by
/// behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `PT_CHARBUF` (and `PT_FSPATH`, `PT_FSRELPATH`): text; RHS verbatim.
    String,
    /// `PT_BYTEBUF`: raw bytes; hex RHS for `bcontains`/`bstartswith`.
    Bytes,
    /// Unsigned integers (`PT_UINT8..64`, flags, modes): decimal RHS.
    Uint64,
    /// Signed integers (`PT_INT8..64`, fds, pids, errno): decimal RHS, sign allowed.
    Int64,
    /// `PT_BOOL`: RHS exactly `true` or `false`.
    Bool,
    /// `PT_DOUBLE`: RHS parsed as int32 (libsinsp's historical limitation).
    Double,
    /// `PT_ABSTIME`: ns since the epoch.
    AbsTime,
    /// `PT_RELTIME`: ns duration.
    RelTime,
    /// `PT_PORT`: u16; decimal RHS or a service name.
    Port,
    /// `PT_IPADDR` (and v4/v6 variants): an address.
    IpAddr,
    /// `PT_IPNET` (and v4/v6 variants): an address compared against networks.
    IpNet,
    /// Types libsinsp cannot compare with anything but `exists`
    /// (`PT_UID`, `PT_SOCKADDR`, `PT_DYN`, …).
    Opaque,
}

impl FieldType {
    /// Lower-case name used in messages (`'contains' operator not supported
    /// for numeric filters`, …) and in `saker rules fields` listings.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Bytes => "bytebuf",
            FieldType::Uint64 => "uint64",
            FieldType::Int64 => "int64",
            FieldType::Bool => "bool",
            FieldType::Double => "double",
            FieldType::AbsTime => "abstime",
            FieldType::RelTime => "reltime",
            FieldType::Port => "port",
            FieldType::IpAddr => "ipaddr",
            FieldType::IpNet => "ipnet",
            FieldType::Opaque => "opaque",
        }
    }
}

/// Which bracket (or dot-suffix) argument a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgForm {
    /// No argument allowed.
    None,
    /// `f[N]`, decimal N without leading zero, optional.
    IndexOptional,
    /// `f[N]`, required.
    IndexRequired,
    /// `f[key]`, any text without `]`, optional.
    KeyOptional,
    /// `f[key]`, required (e.g. `json.value[/a/b]`).
    KeyRequired,
    /// `f[N]` tried first, else `f[key]` (plugin `isIndex|isKey`).
    IndexOrKey { required: bool },
}

/// Per-field flags that change what the compiler accepts (libsinsp `EPF_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FieldFlags {
    /// `EPF_FILTER_ONLY`: not allowed in an output format.
    pub filter_only: bool,
    /// `EPF_NO_RHS`: cannot be compared with another field, nor be one.
    pub no_rhs: bool,
    /// `EPF_NO_TRANSFORMER`: cannot be wrapped in `tolower(...)` etc.
    pub no_transformer: bool,
    /// `EPF_DEPRECATED`: compiles with a `LOAD_DEPRECATED_ITEM` warning.
    pub deprecated: bool,
    /// Declared so that rules naming it compile, but the source can never
    /// supply a value: every comparison on it is false (absent).
    pub never_present: bool,
}

/// One row of a source's field table, for listings and documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// The name as written in rules, e.g. `ct.user` or `json.value`.
    pub name: &'static str,
    pub ty: FieldType,
    pub arg: ArgForm,
    /// `EPF_IS_LIST`: the field yields several values (`ec2.imageids`).
    pub is_list: bool,
    pub flags: FieldFlags,
    /// One line of documentation.
    pub desc: &'static str,
}

/// A field token resolved against a [`FieldTable`]: what the compiler keeps
/// and what [`Event::extract`] receives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedField {
    /// Source-defined identifier of the field (typically the index of its
    /// [`FieldDef`] in the table); opaque to the engine.
    pub id: u32,
    /// The parsed argument, if any.
    pub arg: FieldArg,
    pub ty: FieldType,
    pub is_list: bool,
    pub flags: FieldFlags,
    /// The token as written, e.g. `json.value[/userIdentity/userName]`:
    /// the key of `output_fields` in JSON alerts.
    pub display: String,
}

/// A parsed field argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldArg {
    None,
    Index(u64),
    Key(String),
}

/// A field table: the fields one event source declares.
///
/// Implementations must be cheap to query at compile time; they are never
/// consulted while evaluating events.
pub trait FieldTable: Send + Sync {
    /// The Falco `source` name rules use to target this table
    /// (`aws_cloudtrail`, `syscall`).
    fn source(&self) -> &str;

    /// Every declared field, in resolution order.
    fn fields(&self) -> &[FieldDef];

    /// Resolve a field token as written in a condition or output: `name` is
    /// the dotted name, `arg` the unescaped bracket argument, if any.
    ///
    /// The default implementation looks `name` up exactly in [`fields`]
    /// and checks `arg` against the row's [`ArgForm`], with Falco's messages
    /// (`'<f>' is not a supported filter field` — wording below — and
    /// `… requires an argument but none provided`, `… does not allow nor
    /// require an argument but one is provided`). Sources with dot-suffix
    /// arguments (`evt.arg.name`) override it.
    ///
    /// # Errors
    /// A human-readable message naming the field; the compiler adds the
    /// location.
    ///
    /// [`fields`]: FieldTable::fields
    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField, String> {
        let (id, def) = self
            .fields()
            .iter()
            .enumerate()
            .find(|(_, d)| d.name == name)
            .ok_or_else(|| format!("filter_check called with nonexistent field {name}"))?;
        let arg = parse_arg(name, def.arg, arg)?;
        let display = match &arg {
            FieldArg::None => name.to_string(),
            FieldArg::Index(i) => format!("{name}[{i}]"),
            FieldArg::Key(k) => format!("{name}[{k}]"),
        };
        Ok(ResolvedField {
            id: id as u32,
            arg,
            ty: def.ty,
            is_list: def.is_list,
            flags: def.flags,
            display,
        })
    }

    /// The Falco plugins (name, version) whose fields this table reproduces,
    /// e.g. `("cloudtrail", "0.17.1")`, `("json", "0.7.4")`. The loader
    /// checks a rules file's `required_plugin_versions` against them
    /// (same major, version ≥ required).
    fn plugins(&self) -> &[(&'static str, &'static str)] {
        &[]
    }

    /// The field whose constant comparisons index rules, if the source has
    /// one (CloudTrail: `ct.name`, syscall: `evt.type`). A rule whose
    /// condition can only be true for certain values of this field is
    /// evaluated only on events with one of those values, as Falco's
    /// event-type index does. Its values come from [`Event::index_key`].
    fn index_field(&self) -> Option<&str> {
        None
    }

    /// Check one constant right-hand-side value of a comparison on `field`
    /// at compile time, for sources whose values form a closed set
    /// (syscall: `evt.type = opne` fails with `unknown event type opne`, as
    /// libsinsp's `validate_filter_value` does). Called once per value, list
    /// elements included, after type-based parsing succeeded. The default
    /// accepts everything.
    ///
    /// # Errors
    /// Falco's message for the rejected value; the compiler adds the location.
    fn check_value(&self, field: &ResolvedField, value: &str) -> Result<(), String> {
        let _ = (field, value);
        Ok(())
    }
}

/// Check a bracket argument against an [`ArgForm`] the way libsinsp's plugin
/// filtercheck does (index: all digits, no leading zero except `0`).
///
/// # Errors
/// Falco's message for a missing, unexpected or malformed argument.
pub fn parse_arg(name: &str, form: ArgForm, arg: Option<&str>) -> Result<FieldArg, String> {
    let parse_index = |a: &str| -> Option<u64> {
        if a.is_empty()
            || !a.bytes().all(|b| b.is_ascii_digit())
            || (a.len() > 1 && a.starts_with('0'))
        {
            None
        } else {
            a.parse().ok()
        }
    };
    match (form, arg) {
        (ArgForm::None, None) => Ok(FieldArg::None),
        (ArgForm::None, Some(_)) => Err(format!(
            "filter_check called with nonexistent field {name}: field does not allow nor require an argument but one is provided"
        )),
        (ArgForm::IndexRequired | ArgForm::KeyRequired | ArgForm::IndexOrKey { required: true }, None) => Err(format!(
            "filter_check called with nonexistent field {name}: field requires an argument but none provided"
        )),
        (ArgForm::IndexOptional | ArgForm::KeyOptional | ArgForm::IndexOrKey { required: false }, None) => {
            Ok(FieldArg::None)
        }
        (ArgForm::IndexOptional | ArgForm::IndexRequired, Some(a)) => parse_index(a)
            .map(FieldArg::Index)
            .ok_or_else(|| format!("filter_check called with nonexistent field {name}: index argument must be a number, got '{a}'")),
        (ArgForm::KeyOptional | ArgForm::KeyRequired, Some(a)) => Ok(FieldArg::Key(a.to_string())),
        (ArgForm::IndexOrKey { .. }, Some(a)) => Ok(parse_index(a)
            .map(FieldArg::Index)
            .unwrap_or_else(|| FieldArg::Key(a.to_string()))),
    }
}

/// A value extracted from an event. Strings and bytes borrow from the event
/// where they can, so reading a field allocates only when the source must
/// build the value (unescaping, joining).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'e> {
    Str(Cow<'e, str>),
    Bytes(Cow<'e, [u8]>),
    U64(u64),
    I64(i64),
    Bool(bool),
    Double(f64),
    Ip(IpAddr),
    /// A list field's values (each of the field's element type).
    List(Vec<Value<'e>>),
}

impl Value<'_> {
    /// Falco's text rendering: strings raw, numbers decimal, bools
    /// `true`/`false`, lists `(a,b)` without spaces.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Str(s) => out.push_str(s),
            Value::Bytes(b) => out.push_str(&String::from_utf8_lossy(b)),
            Value::U64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::I64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Double(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Ip(ip) => {
                let _ = write!(out, "{ip}");
            }
            Value::List(items) => {
                out.push('(');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.render(out);
                }
                out.push(')');
            }
        }
    }
}

/// One event, as seen by the rule engine.
///
/// The engine calls [`extract`](Event::extract) lazily and caches the result
/// per event, so implementations need not cache themselves.
pub trait Event {
    /// The value of `field` in this event, or `None` when the field is absent
    /// (every comparison on an absent field is false, `!=` included).
    fn extract(&self, field: &ResolvedField) -> Option<Value<'_>>;

    /// The event's value of the source's [`FieldTable::index_field`]
    /// (e.g. the CloudTrail `eventName`), if any. Used only to skip rules
    /// that cannot match; `None` evaluates every rule.
    fn index_key(&self) -> Option<&str> {
        None
    }

    /// The event's timestamp in ns since the Unix epoch (Falco's `evt.time`
    /// source; CloudTrail `eventTime`).
    fn timestamp_ns(&self) -> i64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_arguments_follow_libsinsp() {
        assert_eq!(
            parse_arg("f", ArgForm::IndexOptional, Some("0")),
            Ok(FieldArg::Index(0))
        );
        assert_eq!(
            parse_arg("f", ArgForm::IndexOptional, Some("12")),
            Ok(FieldArg::Index(12))
        );
        assert!(parse_arg("f", ArgForm::IndexOptional, Some("01")).is_err());
        assert!(parse_arg("f", ArgForm::IndexOptional, Some("x")).is_err());
        assert!(parse_arg("f", ArgForm::None, Some("x")).is_err());
        assert!(parse_arg("f", ArgForm::KeyRequired, None).is_err());
        assert_eq!(
            parse_arg("f", ArgForm::IndexOrKey { required: true }, Some("/a")),
            Ok(FieldArg::Key("/a".into()))
        );
    }
}
