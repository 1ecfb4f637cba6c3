//! Field transformers (libsinsp `sinsp_filter_transformers/*`,
//! `sinsp_filtercheck_multivalue_transformer.cpp`): their type rules, checked
//! at compile time, and their value functions, applied at evaluation time.
//!
//! | transformer | accepts | yields |
//! |---|---|---|
//! | `val(x)` | anything | `x` unchanged |
//! | `tolower`, `toupper` | string (list: element-wise) | string; ASCII case per byte |
//! | `b64` | string or bytebuf (list: element-wise) | same type; base64-decoded, padding optional; undecodable → absent |
//! | `basename` | string (list: element-wise) | string after the last `/` (whole string without `/`) |
//! | `len` | string (`strnlen`), bytebuf (bytes), any list (element count) | uint64 |
//! | `join(sep, x)` | a literal separator and string operand(s) | string: the values joined by `sep` |
//! | `concat(a, b, …)` | ≥ 2 string operands or literals | string: the concatenation |
//! | `getopt(argv, optstring)` | a string list and an optstring | list: options and their values, `?` for unknown ones |
//! | `getopt(argv, optstring)[c]` | same | string: the last value of option `c` (`c` itself if it takes none); absent if not given |

use std::borrow::Cow;

use crate::ast::Transformer;
use crate::fields::{FieldType, Value};

/// The result type `(type, is_list)` of a single-operand transformer applied
/// to `(ty, is_list)`, or Falco's error message.
pub fn transformed_type(
    kind: Transformer,
    ty: FieldType,
    is_list: bool,
) -> Result<(FieldType, bool), String> {
    let ok = match kind {
        Transformer::Val => true,
        Transformer::ToLower | Transformer::ToUpper | Transformer::Basename => {
            ty == FieldType::String
        }
        Transformer::B64 => matches!(ty, FieldType::String | FieldType::Bytes),
        Transformer::Len => is_list || matches!(ty, FieldType::String | FieldType::Bytes),
        Transformer::Join | Transformer::Concat => ty == FieldType::String,
        Transformer::Getopt => ty == FieldType::String,
    };
    if !ok {
        return Err(format!(
            "field type '{}' is not supported by '{}' transformer",
            crate::compile::param_type_name(ty),
            kind.name()
        ));
    }
    Ok(match kind {
        Transformer::Len => (FieldType::Uint64, false),
        Transformer::Join | Transformer::Concat => (FieldType::String, false),
        _ => (ty, is_list),
    })
}

/// Apply a single-operand transformer. `None` means the transformed field is
/// absent (e.g. invalid base64).
pub fn apply<'e>(kind: Transformer, v: Value<'e>) -> Option<Value<'e>> {
    match kind {
        Transformer::Val => Some(v),
        Transformer::Len => Some(Value::U64(match &v {
            Value::List(items) => items.len() as u64,
            Value::Str(s) => s.bytes().position(|b| b == 0).unwrap_or(s.len()) as u64,
            Value::Bytes(b) => b.len() as u64,
            _ => return None,
        })),
        _ => map_elements(kind, v),
    }
}

fn map_elements<'e>(kind: Transformer, v: Value<'e>) -> Option<Value<'e>> {
    match v {
        Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                out.push(map_elements(kind, it)?);
            }
            Some(Value::List(out))
        }
        Value::Str(s) => match kind {
            Transformer::ToLower => Some(Value::Str(ascii_map(s, false))),
            Transformer::ToUpper => Some(Value::Str(ascii_map(s, true))),
            Transformer::Basename => Some(Value::Str(match s {
                Cow::Borrowed(b) => Cow::Borrowed(basename(b)),
                Cow::Owned(o) => Cow::Owned(basename(&o).to_string()),
            })),
            Transformer::B64 => {
                let bytes = b64_decode(s.as_bytes())?;
                Some(Value::Str(Cow::Owned(
                    String::from_utf8_lossy(&bytes).into_owned(),
                )))
            }
            _ => None,
        },
        Value::Bytes(b) => match kind {
            Transformer::B64 => Some(Value::Bytes(Cow::Owned(b64_decode(&b)?))),
            _ => None,
        },
        _ => None,
    }
}

fn ascii_map<'e>(s: Cow<'e, str>, upper: bool) -> Cow<'e, str> {
    let unchanged = if upper {
        !s.bytes().any(|b| b.is_ascii_lowercase())
    } else {
        !s.bytes().any(|b| b.is_ascii_uppercase())
    };
    if unchanged {
        s
    } else if upper {
        Cow::Owned(s.to_ascii_uppercase())
    } else {
        Cow::Owned(s.to_ascii_lowercase())
    }
}

/// getopt(3)-style scan of `argv` (libsinsp's `getopt` transformer): stops
/// at `--` or at the first non-option; skips long options; expands clusters
/// (`-nt`); an option declared with `:` takes the rest of its token or the
/// next entry (missing → `""`). Without `selector`: the list of options and
/// values (`?` for undeclared options). With it: the last value of that
/// option (its own letter if it takes no value), `None` if never given.
pub fn getopt(argv: &[String], optstring: &str, selector: Option<u8>) -> Option<Value<'static>> {
    let o = optstring.as_bytes();
    let start = usize::from(o.first() == Some(&b':'));
    let mut valid = [false; 256];
    let mut with_arg = [false; 256];
    let mut i = start;
    while i < o.len() {
        let c = o[i];
        if c != b':' {
            valid[c as usize] = true;
            if o.get(i + 1) == Some(&b':') {
                with_arg[c as usize] = true;
                i += 1;
            }
        }
        i += 1;
    }
    let mut results: Vec<String> = Vec::new();
    let mut selected: Option<String> = None;
    let mut emit = |results: &mut Vec<String>, name: &str, value: Option<&str>| match selector {
        Some(_) => selected = Some(value.unwrap_or(name).to_string()),
        None => {
            results.push(name.to_string());
            if let Some(v) = value {
                results.push(v.to_string());
            }
        }
    };
    let mut idx = 0;
    while idx < argv.len() {
        let arg = argv[idx].as_bytes();
        if arg == b"--" {
            break;
        }
        if arg.len() > 2 && arg.starts_with(b"--") {
            idx += 1;
            continue;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            break;
        }
        let mut k = 1;
        while k < arg.len() {
            let opt = arg[k];
            if opt == b':' || !valid[opt as usize] {
                if selector.is_none() {
                    results.push("?".to_string());
                }
                k += 1;
                continue;
            }
            let matches = selector.is_none_or(|s| s == opt);
            let name = String::from_utf8_lossy(&arg[k..k + 1]).into_owned();
            if !with_arg[opt as usize] {
                if matches {
                    emit(&mut results, &name, None);
                }
                k += 1;
                continue;
            }
            let value = if k + 1 < arg.len() {
                Some(String::from_utf8_lossy(&arg[k + 1..]).into_owned())
            } else if idx + 1 < argv.len() {
                idx += 1;
                Some(argv[idx].clone())
            } else {
                None
            };
            if matches {
                match &value {
                    Some(v) => emit(&mut results, &name, Some(v)),
                    None => emit(&mut results, "", None),
                }
            }
            break;
        }
        idx += 1;
    }
    match selector {
        Some(_) => selected.map(|s| Value::Str(Cow::Owned(s))),
        None => Some(Value::List(
            results
                .into_iter()
                .map(|s| Value::Str(Cow::Owned(s)))
                .collect(),
        )),
    }
}

/// The part after the last `/`; the whole string when there is none.
pub fn basename(s: &str) -> &str {
    match s.rfind('/') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

/// Standard-alphabet base64 decoding with optional `=` padding. `None` on
/// any invalid character or length.
pub fn b64_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    }
    let mut data = input;
    // Strip up to two padding characters, only if the length is a multiple of 4.
    if data.len() % 4 == 0 {
        if data.ends_with(b"==") {
            data = &data[..data.len() - 2];
        } else if data.ends_with(b"=") {
            data = &data[..data.len() - 1];
        }
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i as u32);
        }
        let n = chunk.len() - 1;
        for i in 0..n {
            out.push((acc >> (16 - 8 * i as u32)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_padding_optional() {
        assert_eq!(b64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(b64_decode(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(b64_decode(b"aGk=").unwrap(), b"hi");
        assert_eq!(b64_decode(b"").unwrap(), b"");
        assert!(b64_decode(b"a").is_none());
        assert!(b64_decode(b"a$==").is_none());
    }

    #[test]
    fn string_transformers() {
        let v = |s: &'static str| Value::Str(Cow::Borrowed(s));
        assert_eq!(apply(Transformer::ToLower, v("AbÉ")), Some(v("abÉ")));
        assert_eq!(apply(Transformer::ToUpper, v("ab")), Some(v("AB")));
        assert_eq!(apply(Transformer::Basename, v("/a/b.c")), Some(v("b.c")));
        assert_eq!(apply(Transformer::Basename, v("a/")), Some(v("")));
        assert_eq!(apply(Transformer::Len, v("abc")), Some(Value::U64(3)));
        assert_eq!(
            apply(Transformer::Len, Value::List(vec![v("a"), v("b")])),
            Some(Value::U64(2))
        );
        assert!(transformed_type(Transformer::ToLower, FieldType::Uint64, false).is_err());
        let argv: Vec<String> = ["-n", "-tvalue", "-x", "-a", "b", "rest", "-n"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let list = |v: Option<Value<'_>>| -> Vec<String> {
            match v {
                Some(Value::List(items)) => items
                    .iter()
                    .map(|i| {
                        let mut s = String::new();
                        i.render(&mut s);
                        s
                    })
                    .collect(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            list(getopt(&argv, "nt:a:", None)),
            ["n", "t", "value", "?", "a", "b"]
        );
        assert_eq!(getopt(&argv, "nt:a:", Some(b't')), Some(v("value")));
        assert_eq!(getopt(&argv, "nt:a:", Some(b'n')), Some(v("n")));
        assert_eq!(getopt(&argv, "nt:a:", Some(b'z')), None);
        let tail: Vec<String> = vec!["-t".into()];
        assert_eq!(getopt(&tail, "t:", Some(b't')), Some(v("")));
        let dashes: Vec<String> = vec!["--exec".into(), "-n".into(), "--".into(), "-t".into()];
        assert_eq!(list(getopt(&dashes, "nt", None)), ["n"]);
        assert_eq!(
            transformed_type(Transformer::Len, FieldType::String, true),
            Ok((FieldType::Uint64, false))
        );
    }
}
