//! The json plugin's fields (`json.value`, `json.obj`; v0.7.4).

use crate::rawjson::{self, Kind};
use std::borrow::Cow;

/// `json.value[ptr]`: one leading `/` is optional; the rest is split on
/// `/`, each token has `~1`→`/` then `~0`→`~` applied and steps into an
/// object (first duplicate key wins) or an array (Go `strconv.Atoi`:
/// `+1` and `01` accepted, negatives miss). Missing → absent. A string is
/// returned unescaped, anything else as compact JSON with its original
/// text (`null` → `"null"`). An empty pointer returns the whole record,
/// compact.
pub fn value<'a>(doc: &'a str, ptr: &str) -> Option<Cow<'a, str>> {
    if ptr.is_empty() {
        return Some(rawjson::minify(doc));
    }
    let ptr = ptr.strip_prefix('/').unwrap_or(ptr);
    walk(doc, ptr.split('/'))
}

/// The rest of a `json.value` pointer from the value `v` on: `tokens`
/// (already split on `/`, `~` escapes not yet applied) step into `v`;
/// the value reached is rendered as [`value`] renders it.
pub fn walk<'a, 't>(v: &'a str, tokens: impl Iterator<Item = &'t str>) -> Option<Cow<'a, str>> {
    let mut v = v;
    for tok in tokens {
        let key: Cow<'_, str> = if tok.contains('~') {
            Cow::Owned(tok.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(tok)
        };
        v = match rawjson::kind(v) {
            Kind::Object => rawjson::get(v, &key)?,
            Kind::Array => rawjson::index(v, go_atoi(&key)?)?,
            _ => return None,
        };
    }
    match rawjson::kind(v) {
        Kind::String => rawjson::as_str(v),
        _ => Some(rawjson::minify(v)),
    }
}

/// Go `strconv.Atoi` restricted to non-negative results.
fn go_atoi(s: &str) -> Option<usize> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `json.obj`: the record indented with Go `json.Indent(…, "", "  ")`.
pub fn obj(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() * 2);
    rawjson::indent_into(doc, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases of the json plugin's own tests (json_test.go).
    const DOC: &str = r#"{"list":[{"intvalue":1,"floatvalue":2.5}],"value":"hello","~/escaped":"hello\"2","n":null}"#;

    #[test]
    fn plugin_test_cases() {
        assert_eq!(value(DOC, "/value").unwrap(), "hello");
        assert_eq!(value(DOC, "/list/0/intvalue").unwrap(), "1");
        assert_eq!(value(DOC, "/list/0/floatvalue").unwrap(), "2.5");
        assert_eq!(value(DOC, "/~0~1escaped").unwrap(), "hello\"2");
        assert_eq!(value(DOC, "invalid_pointer"), None);
        assert_eq!(obj(r#"{"value":"hello"}"#), "{\n  \"value\": \"hello\"\n}");
    }

    #[test]
    fn pointer_rules() {
        assert_eq!(value(DOC, "list/+0/intvalue").unwrap(), "1");
        assert_eq!(value(DOC, "/list/00/intvalue").unwrap(), "1");
        assert_eq!(value(DOC, "/list/-1"), None);
        assert_eq!(value(DOC, "/list/1"), None);
        assert_eq!(value(DOC, "/n").unwrap(), "null");
        assert_eq!(
            value(DOC, "/list").unwrap(),
            r#"[{"intvalue":1,"floatvalue":2.5}]"#
        );
        assert_eq!(value(DOC, "").unwrap(), DOC);
        assert_eq!(value(DOC, "/value/x"), None);
    }
}
