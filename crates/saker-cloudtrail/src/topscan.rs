//! The fast path of record indexing: a hand-written walk of a record's top
//! level, with `serde_json` validating every nested object and array.
//!
//! CloudTrail records are flat at the top (about twenty members, most of
//! them short strings) with a few nested members (`userIdentity`,
//! `requestParameters`, `responseElements`, …). Going through `serde`'s map
//! machinery for every top-level key costs as much as the nested parsing;
//! this walk reads keys and scalar values directly and hands each nested
//! value to `serde_json` (`IgnoredAny`, which validates it completely).
//!
//! It accepts only what it fully understands: keys and string values
//! without escapes, `true`/`false`/`null`, JSON numbers, nested values
//! `serde_json` accepts. Anything else (an escape, a control character,
//! bad syntax, the end of the input) returns `None` and the caller runs the
//! complete `serde` parse, which accepts or reports the record exactly as
//! before. So the walk never accepts a record `serde_json` would reject.

use crate::rawjson::{find_byte, skip_ws, zero_byte, ONES};
use crate::record::key_of;

/// Spans `(start, end)` of the indexed members' values, relative to the
/// start of the record, `None` when absent; and the end of the record.
pub(crate) struct TopScan<const N: usize> {
    pub spans: [Option<(u32, u32)>; N],
    pub end: usize,
}

/// Walk the record at the start of `text` (which begins with `{`).
/// `None`: not handled here; use the full parse.
pub(crate) fn scan<const N: usize>(text: &str) -> Option<TopScan<N>> {
    let b = text.as_bytes();
    // Offsets are stored as u32.
    if b.first() != Some(&b'{') || b.len() > u32::MAX as usize {
        return None;
    }
    let mut spans = [None; N];
    let mut pos = skip_ws(b, 1);
    if b.get(pos) == Some(&b'}') {
        return Some(TopScan {
            spans,
            end: pos + 1,
        });
    }
    loop {
        // Key: a plain string (no escape, no control character).
        if b.get(pos) != Some(&b'"') {
            return None;
        }
        let key_end = plain_string_end(b, pos + 1)?;
        let key = text.get(pos + 1..key_end)?;
        pos = skip_ws(b, key_end + 1);
        if b.get(pos) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, pos + 1);
        let end = value_end(text, start)?;
        if let Some(k) = key_of(key) {
            let slot = &mut spans[k as usize];
            if slot.is_none() {
                *slot = Some((start as u32, end as u32));
            }
        }
        pos = skip_ws(b, end);
        match b.get(pos) {
            Some(b',') => pos = skip_ws(b, pos + 1),
            Some(b'}') => {
                return Some(TopScan {
                    spans,
                    end: pos + 1,
                })
            }
            _ => return None,
        }
    }
}

/// `i` is just after an opening quote: the index of the closing quote of
/// a string without escapes or control characters, else `None`.
#[inline]
fn plain_string_end(b: &[u8], i: usize) -> Option<usize> {
    let at = i + first_special(b.get(i..)?)?;
    (b[at] == b'"').then_some(at)
}

/// Index of the first `"`, `\\` or control character (< 0x20) in `s`,
/// eight bytes at a time.
#[inline]
fn first_special(s: &[u8]) -> Option<usize> {
    let at = find_byte(
        s,
        0,
        |v| {
            zero_byte(v ^ (ONES * u64::from(b'"')))
                | zero_byte(v ^ (ONES * u64::from(b'\\')))
                | (v.wrapping_sub(ONES * 0x20) & !v & (ONES * 0x80))
        },
        |c| c == b'"' || c == b'\\' || c < 0x20,
    );
    (at < s.len()).then_some(at)
}

/// End (exclusive) of the JSON value starting at `start`.
fn value_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    match *b.get(start)? {
        b'"' => plain_string_end(b, start + 1).map(|q| q + 1),
        b'{' | b'[' => {
            let mut stream = serde_json::Deserializer::from_str(text.get(start..)?)
                .into_iter::<serde::de::IgnoredAny>();
            match stream.next() {
                Some(Ok(_)) => Some(start + stream.byte_offset()),
                _ => None,
            }
        }
        b't' => literal(b, start, b"true"),
        b'f' => literal(b, start, b"false"),
        b'n' => literal(b, start, b"null"),
        b'-' | b'0'..=b'9' => number_end(b, start),
        _ => None,
    }
}

fn literal(b: &[u8], start: usize, word: &[u8]) -> Option<usize> {
    b[start..].starts_with(word).then_some(start + word.len())
}

/// A JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(b: &[u8], start: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > s).then_some(i)
    };
    let mut i = start + usize::from(b[start] == b'-');
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(text: &str) -> Option<usize> {
        scan::<28>(text).map(|s| s.end)
    }

    #[test]
    fn accepts_plain_records_and_finds_their_end() {
        let r = r#"{"eventName":"RunInstances", "n": -1.5e+3, "ok":true,"x":null,"z":0,
            "requestParameters":{"a":[1,2,{"b":"c\"d"}]},"resources":[]} ,{"next":1}"#;
        let e = end(r).unwrap();
        assert_eq!(&r[e - 15..e], r#""resources":[]}"#);
        assert_eq!(end("{}"), Some(2));
        assert_eq!(end("{ }x"), Some(3));
    }

    #[test]
    fn first_special_byte() {
        let naive = |s: &[u8]| s.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let mut cases: Vec<Vec<u8>> = vec![b"".to_vec(), b"abc".to_vec()];
        for len in 0..20 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for at in 0..len {
                    let mut v: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    v[at] = special;
                    cases.push(v.clone());
                    // Bytes just above the thresholds and non-ASCII around it.
                    v.push(0x20);
                    v.push(0xe9);
                    cases.push(v);
                }
            }
        }
        cases.push("héllo wörld \"".as_bytes().to_vec());
        cases.push(vec![0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff, 0x22]);
        for c in cases {
            assert_eq!(first_special(&c), naive(&c), "{c:?}");
        }
    }

    #[test]
    fn indexes_first_duplicate() {
        let r = r#"{"eventName":"A","eventName":"B"}"#;
        let s = scan::<28>(r).unwrap();
        let (a, b) = s.spans[crate::record::Key::EventName as usize].unwrap();
        assert_eq!(&r[a as usize..b as usize], "\"A\"");
    }

    /// Everything not certainly valid is left to the full parse.
    #[test]
    fn declines_what_it_does_not_fully_check() {
        for r in [
            r#"{"a":"x\"y"}"#,
            r#"{"a\u0062":1}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":tru}"#,
            r#"{"a":{"b":}}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":1"#,
            r#"{"a":"unterminated"#,
            r#"{a:1}"#,
        ] {
            assert_eq!(end(r), None, "{r}");
        }
    }
}
