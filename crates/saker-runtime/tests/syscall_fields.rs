//! The syscall field table against the reference TSVs and Falco's own
//! syscall rule files (`shared/reference/falco.md` §11).

use std::collections::{BTreeMap, BTreeSet};

use saker_rules::fields::{FieldArg, FieldTable, FieldType};
use saker_runtime::{is_syscall_event_type, syscall_event_types, SyscallFieldTable};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference");
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/falco");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// libsinsp `ppm_param_type` → our behaviour group (falco.md §11 type table).
fn expected_type(pt: &str) -> FieldType {
    match pt {
        "PT_CHARBUF" | "PT_FSPATH" | "PT_FSRELPATH" => FieldType::String,
        "PT_BYTEBUF" => FieldType::Bytes,
        "PT_UINT8" | "PT_UINT16" | "PT_UINT32" | "PT_UINT64" | "PT_FLAGS8" | "PT_FLAGS16"
        | "PT_FLAGS32" | "PT_ENUMFLAGS8" | "PT_ENUMFLAGS16" | "PT_ENUMFLAGS32" | "PT_MODE"
        | "PT_SIGTYPE" | "PT_SYSCALLID" => FieldType::Uint64,
        "PT_INT8" | "PT_INT16" | "PT_INT32" | "PT_INT64" | "PT_FD" | "PT_PID" | "PT_ERRNO" => {
            FieldType::Int64
        }
        "PT_BOOL" => FieldType::Bool,
        "PT_DOUBLE" => FieldType::Double,
        "PT_ABSTIME" => FieldType::AbsTime,
        "PT_RELTIME" => FieldType::RelTime,
        "PT_PORT" => FieldType::Port,
        "PT_IPADDR" | "PT_IPV4ADDR" | "PT_IPV6ADDR" => FieldType::IpAddr,
        "PT_IPNET" | "PT_IPV4NET" | "PT_IPV6NET" => FieldType::IpNet,
        _ => FieldType::Opaque,
    }
}

struct Row {
    name: String,
    ty: String,
    arg: String,
    is_list: bool,
    flags: String,
}

fn tsv_rows() -> Vec<Row> {
    read(&format!("{REFERENCE}/falco-syscall-fields.tsv"))
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                name: c[0].into(),
                ty: c[1].into(),
                arg: c[2].into(),
                is_list: c[3] == "yes",
                flags: c[4].into(),
            }
        })
        .collect()
}

/// A token exercising a row's argument form, as a rule would write it:
/// (name, bracket argument).
fn sample_token(row: &Row) -> (String, Option<String>) {
    let n = row.name.clone();
    match row.arg.as_str() {
        "none" => (n, None),
        "required:.key" => {
            let suffix = match n.as_str() {
                "evt.type.is" => "open",
                "evt.rawarg" => "fd",
                "thread.cgroup" => "cpuacct",
                other => panic!("unexpected dot-suffix field {other}"),
            };
            (format!("{n}.{suffix}"), None)
        }
        "required:[index]|.key" => (n, Some("1".into())),
        "required:[index]" => (n, Some("1000".into())),
        "required:[key]" => (n, Some("app.kubernetes.io/name".into())),
        "required:[index]|[key]" => (n, Some("/var/run/docker.sock".into())),
        a if a.starts_with("allowed:") => (n, None),
        other => panic!("unexpected arg form {other}"),
    }
}

#[test]
fn every_reference_field_resolves_with_its_type_and_flags() {
    let table = SyscallFieldTable::new();
    let rows = tsv_rows();
    assert_eq!(rows.len(), 294);
    assert_eq!(table.fields().len(), rows.len());
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(table.fields()[i].name, row.name, "row order");
        let (name, arg) = sample_token(row);
        let r = table
            .resolve(&name, arg.as_deref())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.id as usize, i, "{name}");
        let ty = if row.name == "evt.rawarg" {
            FieldType::Int64 // evt.rawarg.fd is PT_FD
        } else {
            expected_type(&row.ty)
        };
        assert_eq!(r.ty, ty, "{name}");
        assert_eq!(r.is_list, row.is_list, "{name}");
        let has = |f: &str| row.flags.split('|').any(|x| x == f);
        assert_eq!(r.flags.filter_only, has("EPF_FILTER_ONLY"), "{name}");
        assert_eq!(r.flags.no_rhs, has("EPF_NO_RHS"), "{name}");
        assert_eq!(r.flags.no_transformer, has("EPF_NO_TRANSFORMER"), "{name}");
        assert_eq!(r.flags.deprecated, has("EPF_DEPRECATED"), "{name}");
        assert!(!r.flags.never_present, "{name}");
        // A required argument may not be left out.
        if row.arg.starts_with("required:") {
            assert!(
                table.resolve(&row.name, None).is_err(),
                "{} without argument",
                row.name
            );
        }
        // An argument on a field that takes none is an error.
        if row.arg == "none" {
            assert!(
                table.resolve(&row.name, Some("1")).is_err(),
                "{}[1]",
                row.name
            );
        }
    }
}

#[test]
fn table_identity() {
    let table = SyscallFieldTable::new();
    assert_eq!(table.source(), "syscall");
    assert_eq!(table.index_field(), Some("evt.type"));
    assert_eq!(table.plugins(), &[("container", "0.7.1")]);
}

#[test]
fn event_types_match_the_reference_list() {
    let listed: Vec<String> = read(&format!("{REFERENCE}/falco-syscall-event-types.txt"))
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(listed.len(), 490);
    assert_eq!(syscall_event_types().len(), 490);
    for e in &listed {
        assert!(is_syscall_event_type(e), "{e}");
    }
    for bad in ["opne", "", "OPEN", "NA", "open "] {
        assert!(!is_syscall_event_type(bad), "{bad:?}");
    }
    assert!(is_syscall_event_type("container_removed"));
    assert!(is_syscall_event_type("pread64"));

    let table = SyscallFieldTable::new();
    let evt_type = table.resolve("evt.type", None).unwrap();
    assert_eq!(table.check_value(&evt_type, "execve"), Ok(()));
    assert_eq!(
        table.check_value(&evt_type, "opne"),
        Err("unknown event type opne".to_string())
    );
    let sc = table.resolve("syscall.type", None).unwrap();
    assert!(table.check_value(&sc, "opne").is_err());
    let name = table.resolve("proc.name", None).unwrap();
    assert_eq!(table.check_value(&name, "opne"), Ok(()));
}

#[test]
fn event_argument_forms() {
    let t = SyscallFieldTable::new();
    // evt.arg: by name (any type renders as text) or by position
    let r = t.resolve("evt.arg.name", None).unwrap();
    assert_eq!(
        (r.ty, r.arg.clone()),
        (FieldType::String, FieldArg::Key("name".into()))
    );
    assert_eq!(r.display, "evt.arg.name");
    let r = t.resolve("evt.arg", Some("0")).unwrap();
    assert_eq!(r.arg, FieldArg::Index(0));
    assert_eq!(r.display, "evt.arg[0]");
    assert!(t.resolve("evt.arg", Some("x")).is_err());
    assert!(t
        .resolve("evt.arg", None)
        .unwrap_err()
        .contains("filter syntax error"));
    // longest-matching parameter must be the whole suffix
    assert!(t
        .resolve("evt.arg.namex", None)
        .unwrap_err()
        .contains("nonexistent field"));
    assert_eq!(
        t.resolve("evt.arg.zzz", None).unwrap_err(),
        "unknown event argument zzz"
    );
    // evt.args is its own field, not evt.arg + "s"
    assert_eq!(t.resolve("evt.args", None).unwrap().arg, FieldArg::None);

    // evt.rawarg is typed like the parameter
    assert_eq!(
        t.resolve("evt.rawarg.fd", None).unwrap().ty,
        FieldType::Int64
    );
    assert_eq!(
        t.resolve("evt.rawarg.flags", None).unwrap().ty,
        FieldType::Uint64
    );
    assert_eq!(
        t.resolve("evt.rawarg.name", None).unwrap().ty,
        FieldType::String
    );
    assert_eq!(
        t.resolve("evt.rawarg.addr", None).unwrap().ty,
        FieldType::Opaque
    );
    assert_eq!(
        t.resolve("evt.rawarg.res", None).unwrap().ty,
        FieldType::Int64
    );
    assert_eq!(
        t.resolve("evt.rawarg", Some("0")).unwrap_err(),
        "evt.arg fields must be expressed explicitly"
    );

    // evt.type.is.<event-table name or decimal code>
    let r = t.resolve("evt.type.is.open", None).unwrap();
    assert_eq!(
        (r.ty, r.arg),
        (FieldType::Uint64, FieldArg::Key("open".into()))
    );
    assert!(t.resolve("evt.type.is.3", None).is_ok());
    assert!(t.resolve("evt.type.is.nosuchevent", None).is_err());
    assert!(t.resolve("evt.type.is", None).is_err());

    // evt.abspath: bare, .src, .dst only
    assert_eq!(t.resolve("evt.abspath", None).unwrap().arg, FieldArg::None);
    assert_eq!(
        t.resolve("evt.abspath.dst", None).unwrap().arg,
        FieldArg::Key("dst".into())
    );
    assert!(t.resolve("evt.abspath.foo", None).is_err());

    // evt.around[T]: filter only, numeric argument
    let r = t
        .resolve("evt.around", Some("1700000000000000000"))
        .unwrap();
    assert!(r.flags.filter_only && r.flags.no_rhs);
    assert!(t.resolve("evt.around.x", None).is_err());

    // unknown names and trailing text
    assert!(t
        .resolve("evt.typo", None)
        .unwrap_err()
        .contains("nonexistent field evt.typo"));
    assert!(t.resolve("proc.namex", None).is_err());
    assert!(t.resolve("nosuch.field", None).is_err());
}

#[test]
fn process_and_plugin_argument_forms() {
    let t = SyscallFieldTable::new();
    // ancestors: bare (any ancestor) or [N]; a non-numeric index is rejected
    assert_eq!(t.resolve("proc.aname", None).unwrap().arg, FieldArg::None);
    assert_eq!(
        t.resolve("proc.aname", Some("3")).unwrap().arg,
        FieldArg::Index(3)
    );
    assert!(t.resolve("proc.aname", Some("x")).is_err());
    assert!(t.resolve("proc.aname", Some("01")).is_err());
    assert!(t.resolve("proc.aexepath", Some("2")).unwrap().flags.no_rhs);
    // environment: index when all digits, else a variable name
    assert_eq!(
        t.resolve("proc.env", Some("2")).unwrap().arg,
        FieldArg::Index(2)
    );
    assert_eq!(
        t.resolve("proc.env", Some("HOME")).unwrap().arg,
        FieldArg::Key("HOME".into())
    );
    assert_eq!(t.resolve("proc.env", None).unwrap().arg, FieldArg::None);
    // cgroup subsystem: letters and '_' only, required
    assert_eq!(
        t.resolve("thread.cgroup.cpu_acct", None).unwrap().arg,
        FieldArg::Key("cpu_acct".into())
    );
    assert!(t.resolve("thread.cgroup.cpu1", None).is_err());
    assert!(t.resolve("thread.cgroup", None).is_err());
    assert_eq!(
        t.resolve("thread.cgroups", None).unwrap().arg,
        FieldArg::None
    );
    // the only list field
    let r = t.resolve("fd.types", Some("3")).unwrap();
    assert!(r.is_list);
    // plugin brackets: index first, key fallback (globs allowed), required
    assert_eq!(
        t.resolve("container.mount.dest", Some("/proc*"))
            .unwrap()
            .arg,
        FieldArg::Key("/proc*".into())
    );
    assert_eq!(
        t.resolve("container.mount.dest", Some("0")).unwrap().arg,
        FieldArg::Index(0)
    );
    assert!(t.resolve("container.mount.dest", None).is_err());
    assert!(t.resolve("container.label", Some("app")).is_ok());
    // dot form offered by the plugin's description does not parse in libs
    assert!(t.resolve("k8s.pod.label.app", None).is_err());
    assert!(t.resolve("proc.name", Some("1")).is_err());
}

// ---- completeness against Falco's syscall rule files --------------------

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Item {
    list: Option<String>,
    items: Option<Vec<Scalar>>,
    condition: Option<String>,
    output: Option<String>,
    exceptions: Option<Vec<Exception>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Exception {
    fields: Option<OneOrMany>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Int(i64),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Str(s) => s.clone(),
            Scalar::Int(n) => n.to_string(),
        }
    }
}

const FIELD_CLASSES: &[&str] = &[
    "evt",
    "proc",
    "thread",
    "user",
    "group",
    "fd",
    "fs",
    "fdlist",
    "util",
    "syscall",
    "container",
    "k8s",
];

/// Remove quoted literals from a condition so their text is not lexed.
fn strip_quoted(s: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

/// Field tokens (name, bracket argument) in a condition or output text.
fn field_tokens(text: &str, out: &mut BTreeSet<(String, Option<String>)>) {
    let re = regex::Regex::new(
        r"(?:^|[^A-Za-z0-9_.%-])%?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)(?:\[([^\]\s]+)\])?",
    )
    .unwrap();
    for c in re.captures_iter(text) {
        let name = c[1].to_string();
        let class = name.split('.').next().unwrap();
        if FIELD_CLASSES.contains(&class) {
            out.insert((name, c.get(2).map(|m| m.as_str().to_string())));
        }
    }
}

#[test]
fn falco_syscall_rule_files_reference_only_known_fields_and_event_types() {
    let table = SyscallFieldTable::new();
    let mut tokens = BTreeSet::new();
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut conditions = Vec::new();
    for file in [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ] {
        let text = read(&format!("{RULES}/{file}"));
        let items: Vec<Item> =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for item in items {
            if let (Some(name), Some(values)) = (&item.list, &item.items) {
                lists
                    .entry(name.clone())
                    .or_default()
                    .extend(values.iter().map(Scalar::text));
            }
            if let Some(c) = &item.condition {
                field_tokens(&strip_quoted(c), &mut tokens);
                conditions.push(c.clone());
            }
            if let Some(o) = &item.output {
                field_tokens(o, &mut tokens);
            }
            for e in item.exceptions.iter().flatten() {
                match &e.fields {
                    Some(OneOrMany::One(f)) => field_tokens(f, &mut tokens),
                    Some(OneOrMany::Many(fs)) => {
                        fs.iter().for_each(|f| field_tokens(f, &mut tokens))
                    }
                    None => {}
                }
            }
        }
    }

    let mut fields = BTreeSet::new();
    for (name, arg) in &tokens {
        let r = table
            .resolve(name, arg.as_deref())
            .unwrap_or_else(|e| panic!("{name} {arg:?}: {e}"));
        fields.insert(table.fields()[r.id as usize].name);
    }
    // falco.md §11 "Completeness check": 108 distinct references, 77 fields.
    assert_eq!(fields.len(), 77, "{fields:?}");
    assert_eq!(tokens.len(), 108, "{tokens:?}");
    for f in [
        "container.mount.dest",
        "proc.aname",
        "evt.arg",
        "k8s.pod.name",
        "fd.snet",
    ] {
        assert!(fields.contains(f), "{f}");
    }

    // Every evt.type / syscall.type value, lists expanded, is a known event type.
    let re = regex::Regex::new(
        r"(?:evt|syscall)\.type\s*(?:=|!=|in|intersects)\s*(?:\(([^)]*)\)|([A-Za-z0-9_]+))",
    )
    .unwrap();
    let mut values = BTreeSet::new();
    fn expand(v: &str, lists: &BTreeMap<String, Vec<String>>, out: &mut BTreeSet<String>) {
        match lists.get(v) {
            Some(items) => items.iter().for_each(|i| expand(i, lists, out)),
            None => {
                out.insert(v.to_string());
            }
        }
    }
    for c in &conditions {
        for m in re.captures_iter(c) {
            let text = m.get(1).or(m.get(2)).unwrap().as_str();
            for v in text.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                expand(v, &lists, &mut values);
            }
        }
    }
    let evt_type = table.resolve("evt.type", None).unwrap();
    for v in &values {
        assert_eq!(table.check_value(&evt_type, v), Ok(()), "{v}");
    }
    assert!(values.len() >= 30, "{values:?}");
}
