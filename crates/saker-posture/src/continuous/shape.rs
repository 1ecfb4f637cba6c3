//! Reading ids out of EC2's CloudTrail payloads, whatever their shape.
//!
//! `requestParameters` and `responseElements` of EC2 calls carry the
//! XML-isms of the EC2 Query API (`../shared/reference/cloudtrail-data.md`
//! §4.9): lists wrapped as `{"items":[…]}` (or `{"item": x}` on the newer
//! calls), empty lists as `{}`, and on calls added since ~2016 the whole
//! payload nested as `{"<Action>Request": {…}}` with PascalCase members and
//! list members as `{"tag": 1, "content": "…"}`. The helpers here accept
//! all of these, so the routing table names a member once.

use serde_json::{Map, Value};

/// The payload object: `value` itself, or the object under
/// `<event_name>Request` / `<event_name>Response` when the call nests its
/// members that way. `None` when `value` is not an object (absent, `null`).
pub(crate) fn payload<'a>(
    value: Option<&'a Value>,
    event_name: &str,
) -> Option<&'a Map<String, Value>> {
    let obj = value?.as_object()?;
    for suffix in ["Request", "Response"] {
        let key = format!("{event_name}{suffix}");
        if let Some(inner) = obj.get(&key) {
            // `{"EnableSerialConsoleAccessRequest": ""}`: no members.
            return Some(inner.as_object().unwrap_or(EMPTY.get_or_init(Map::new)));
        }
    }
    Some(obj)
}

static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

/// Member `name` of `obj`, accepting camelCase (`groupId`) and PascalCase
/// (`GroupId`) spellings.
pub(crate) fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = obj.get(name) {
        return Some(v);
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    let flipped: String = if first.is_ascii_lowercase() {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    } else {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    };
    obj.get(&flipped)
}

/// Follow `path` (member names) from `obj`, unwrapping list wrappers
/// between steps, and collect every non-empty string found at the end.
///
/// `["instancesSet", "instanceId"]` on
/// `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`
/// yields `["i-1", "i-2"]`; `["ResourceId"]` on
/// `{"ResourceId":[{"tag":1,"content":"vpc-1"},{"tag":2,"content":"vpc-2"}]}`
/// yields `["vpc-1", "vpc-2"]`.
pub(crate) fn strings_at(obj: &Map<String, Value>, path: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((first, rest)) = path.split_first() {
        if let Some(v) = member(obj, first) {
            collect(v, rest, &mut out);
        }
    }
    out
}

/// The first string [`strings_at`] finds, if any.
pub(crate) fn string_at(obj: &Map<String, Value>, path: &[&str]) -> Option<String> {
    strings_at(obj, path).into_iter().next()
}

fn collect(value: &Value, path: &[&str], out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect(v, path, out)),
        Value::Object(obj) => {
            // List wrappers: `{"items":[…]}`, `{"item":x}`, `{"tag":1,"content":x}`.
            if let Some(inner) = obj.get("items").or_else(|| obj.get("item")) {
                return collect(inner, path, out);
            }
            if let Some(inner) = obj
                .get("content")
                .filter(|_| path.first() != Some(&"content"))
            {
                return collect(inner, path, out);
            }
            if let Some((first, rest)) = path.split_first() {
                if let Some(v) = member(obj, first) {
                    collect(v, rest, out);
                }
            }
        }
        Value::String(s) if path.is_empty() && !s.is_empty() && !out.contains(s) => {
            out.push(s.clone());
        }
        _ => {}
    }
}
