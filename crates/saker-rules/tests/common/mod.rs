//! Test support: a field table declaring every type the engine handles, and
//! events given as maps from field token (`t.str`, `t.key[a]`) to value.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use saker_rules::fields::{
    ArgForm, Event, FieldDef, FieldFlags, FieldTable, FieldType, ResolvedField, Value,
};
use saker_rules::{Priority, RuleDef};

const fn def(
    name: &'static str,
    ty: FieldType,
    arg: ArgForm,
    is_list: bool,
    flags: FieldFlags,
) -> FieldDef {
    FieldDef {
        name,
        ty,
        arg,
        is_list,
        flags,
        desc: "test field",
    }
}

const NONE: FieldFlags = FieldFlags {
    filter_only: false,
    no_rhs: false,
    no_transformer: false,
    deprecated: false,
    never_present: false,
};

/// The test table: `t.*` fields of every type, plus the CloudTrail /
/// generic fields used by Falco's worked output examples.
pub static FIELDS: &[FieldDef] = &[
    def("t.str", FieldType::String, ArgForm::None, false, NONE),
    def("t.str2", FieldType::String, ArgForm::None, false, NONE),
    def("t.name", FieldType::String, ArgForm::None, false, NONE),
    def("t.num", FieldType::Uint64, ArgForm::None, false, NONE),
    def("t.num2", FieldType::Uint64, ArgForm::None, false, NONE),
    def("t.int", FieldType::Int64, ArgForm::None, false, NONE),
    def("t.bool", FieldType::Bool, ArgForm::None, false, NONE),
    def("t.dbl", FieldType::Double, ArgForm::None, false, NONE),
    def("t.port", FieldType::Port, ArgForm::None, false, NONE),
    def("t.list", FieldType::String, ArgForm::None, true, NONE),
    def("t.list2", FieldType::String, ArgForm::None, true, NONE),
    def("t.nums", FieldType::Uint64, ArgForm::None, true, NONE),
    def("t.buf", FieldType::Bytes, ArgForm::None, false, NONE),
    def("t.ip", FieldType::IpAddr, ArgForm::None, false, NONE),
    def("t.net", FieldType::IpNet, ArgForm::None, false, NONE),
    def(
        "t.key",
        FieldType::String,
        ArgForm::KeyRequired,
        false,
        NONE,
    ),
    def(
        "t.idx",
        FieldType::String,
        ArgForm::IndexOptional,
        false,
        NONE,
    ),
    def("t.opaque", FieldType::Opaque, ArgForm::None, false, NONE),
    def(
        "t.filteronly",
        FieldType::String,
        ArgForm::None,
        false,
        FieldFlags {
            filter_only: true,
            ..NONE
        },
    ),
    def(
        "t.norhs",
        FieldType::String,
        ArgForm::None,
        false,
        FieldFlags {
            no_rhs: true,
            ..NONE
        },
    ),
    def(
        "t.notr",
        FieldType::String,
        ArgForm::None,
        false,
        FieldFlags {
            no_transformer: true,
            ..NONE
        },
    ),
    def("evt.num", FieldType::Uint64, ArgForm::None, false, NONE),
    def("evt.time", FieldType::String, ArgForm::None, false, NONE),
    def(
        "evt.time.iso8601",
        FieldType::String,
        ArgForm::None,
        false,
        NONE,
    ),
    def(
        "evt.plugininfo",
        FieldType::String,
        ArgForm::None,
        false,
        NONE,
    ),
    def("ct.id", FieldType::String, ArgForm::None, false, NONE),
    def("ct.name", FieldType::String, ArgForm::None, false, NONE),
    def("ct.user", FieldType::String, ArgForm::None, false, NONE),
    def("ct.srcip", FieldType::String, ArgForm::None, false, NONE),
    def("ct.region", FieldType::String, ArgForm::None, false, NONE),
    def(
        "ct.request.username",
        FieldType::String,
        ArgForm::None,
        false,
        NONE,
    ),
    def("ct.error", FieldType::String, ArgForm::None, false, NONE),
    def(
        "json.value",
        FieldType::String,
        ArgForm::KeyRequired,
        false,
        NONE,
    ),
];

/// The test source, optionally indexed on `t.name`.
pub struct TestTable {
    pub indexed: bool,
    pub source: &'static str,
}

impl FieldTable for TestTable {
    fn source(&self) -> &str {
        self.source
    }
    fn fields(&self) -> &[FieldDef] {
        FIELDS
    }
    fn index_field(&self) -> Option<&str> {
        self.indexed.then_some("t.name")
    }
}

pub fn table(indexed: bool) -> Arc<dyn FieldTable> {
    Arc::new(TestTable {
        indexed,
        source: "test",
    })
}

/// The same fields under the CloudTrail source name (for Falco's worked
/// alert examples, whose JSON names the source).
pub fn ct_table() -> Arc<dyn FieldTable> {
    Arc::new(TestTable {
        indexed: false,
        source: "aws_cloudtrail",
    })
}

/// An event: field token → value, a timestamp, and the index key.
#[derive(Debug, Default, Clone)]
pub struct MapEvent {
    pub values: HashMap<String, Value<'static>>,
    pub ts: i64,
    /// Counts `extract` calls per token (to check the per-event cache).
    pub extracts: std::cell::RefCell<HashMap<String, usize>>,
}

impl Event for MapEvent {
    fn extract(&self, field: &ResolvedField) -> Option<Value<'_>> {
        *self
            .extracts
            .borrow_mut()
            .entry(field.display.clone())
            .or_default() += 1;
        if field.display == "evt.time" && !self.values.contains_key("evt.time") {
            return Some(Value::Str(Cow::Owned(
                saker_rules::output::format_evt_time(self.ts),
            )));
        }
        self.values.get(&field.display).cloned()
    }
    fn index_key(&self) -> Option<&str> {
        match self.values.get("t.name") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
    fn timestamp_ns(&self) -> i64 {
        self.ts
    }
}

fn base_name(token: &str) -> &str {
    token.split('[').next().unwrap_or(token)
}

fn scalar(ty: FieldType, y: &serde_json::Value) -> Value<'static> {
    use serde_json::Value as J;
    let text = || match y {
        J::String(s) => s.clone(),
        other => other.to_string(),
    };
    match ty {
        FieldType::String | FieldType::Opaque => Value::Str(Cow::Owned(text())),
        FieldType::Bytes => Value::Bytes(Cow::Owned(text().into_bytes())),
        FieldType::Uint64 | FieldType::Port | FieldType::AbsTime | FieldType::RelTime => {
            Value::U64(y.as_u64().unwrap_or_else(|| text().parse().expect("u64")))
        }
        FieldType::Int64 => Value::I64(y.as_i64().unwrap_or_else(|| text().parse().expect("i64"))),
        FieldType::Double => Value::Double(y.as_f64().expect("f64")),
        FieldType::Bool => Value::Bool(y.as_bool().unwrap_or_else(|| text() == "true")),
        FieldType::IpAddr | FieldType::IpNet => Value::Ip(text().parse().expect("ip")),
    }
}

/// Build an event from a JSON-ish map (values typed by the table).
pub fn event(fields: &serde_json::Map<String, serde_json::Value>, ts: i64) -> MapEvent {
    let mut values = HashMap::new();
    for (k, v) in fields {
        let d = FIELDS
            .iter()
            .find(|d| d.name == base_name(k))
            .unwrap_or_else(|| panic!("test event names unknown field {k}"));
        let val = match (d.is_list, v) {
            (true, serde_json::Value::Array(items)) => {
                Value::List(items.iter().map(|i| scalar(d.ty, i)).collect())
            }
            _ => scalar(d.ty, v),
        };
        values.insert(k.clone(), val);
    }
    MapEvent {
        values,
        ts,
        extracts: Default::default(),
    }
}

/// A rule for the test source.
pub fn rule(name: &str, condition: &str, output: &str) -> RuleDef {
    let expr = saker_rules::parser::parse_condition(condition)
        .unwrap_or_else(|e| panic!("condition {condition:?} does not parse: {e:?}"));
    RuleDef {
        name: name.to_string(),
        condition: expr,
        condition_text: condition.to_string(),
        output: output.to_string(),
        desc: String::new(),
        priority: Priority::Warning,
        source: "test".into(),
        enabled: true,
        tags: BTreeSet::new(),
        skip_if_unknown_filter: false,
        location: None,
        condition_location: None,
    }
}
