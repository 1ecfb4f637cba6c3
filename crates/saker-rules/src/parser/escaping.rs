//! String escaping of quoted condition tokens (libsinsp `filter/escaping.cpp`).
//!
//! Source of truth: `shared/reference/falco.md` §3.2.

/// The message libsinsp gives for a value holding a NUL byte.
pub(crate) const NUL_MESSAGE: &str = "filter value cannot contain a NUL byte (\\x00)";

/// Falco's `unescape_str`: turn a whole quoted token (`"…"` or `'…'`, quotes
/// included) into its value.
///
/// Escapes: `\b \f \n \r \t` (control characters), `\\` → `\`, `\/` → `/`,
/// `\"` only inside `"`-quoted strings, `\'` only inside `'`-quoted strings,
/// `\xHH` → the byte `0xHH` (libs master; the bytes must form UTF-8), and the
/// legacy `\ ` (backslash-space) → `\`. Anything else is an error, as is a NUL
/// in the value.
///
/// Errors (libsinsp's texts where it has one): `unsupported string escape
/// sequence: \c`, `invalid \" escape in '-quoted string`, `invalid \' escape
/// in "-quoted string`, [`NUL_MESSAGE`], plus, for inputs the lexer never
/// produces, `not a quoted string` and `unterminated escape sequence`.
pub fn unescape_str(quoted: &str) -> Result<String, String> {
    let delimiter = match quoted.as_bytes().first() {
        Some(&d @ (b'"' | b'\''))
            if quoted.len() >= 2 && quoted.as_bytes()[quoted.len() - 1] == d =>
        {
            d as char
        }
        _ => return Err(format!("not a quoted string: {quoted}")),
    };
    let inner = &quoted[1..quoted.len() - 1];
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("unterminated escape sequence".to_string());
        };
        match e {
            'b' => out.push(0x08),
            'f' => out.push(0x0c),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            // Legacy quirk kept by libsinsp: `\ ` is a backslash.
            ' ' | '\\' => out.push(b'\\'),
            '/' => out.push(b'/'),
            '"' => {
                if delimiter != '"' {
                    return Err("invalid \\\" escape in '-quoted string".to_string());
                }
                out.push(b'"');
            }
            '\'' => {
                if delimiter != '\'' {
                    return Err("invalid \\' escape in \"-quoted string".to_string());
                }
                out.push(b'\'');
            }
            'x' => {
                let hi = chars.next();
                let lo = chars.next();
                match (
                    hi.and_then(|c| c.to_digit(16)),
                    lo.and_then(|c| c.to_digit(16)),
                ) {
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ => {
                        let got: String = [hi, lo].iter().flatten().collect();
                        return Err(format!(
                            "invalid hex escape sequence: \\x{got} (expected two hex digits)"
                        ));
                    }
                }
            }
            other => {
                return Err(format!("unsupported string escape sequence: \\{other}"));
            }
        }
    }
    if out.contains(&0) {
        return Err(NUL_MESSAGE.to_string());
    }
    String::from_utf8(out).map_err(|_| "\\x escapes do not form valid UTF-8".to_string())
}

/// A `"`-quoted token that [`unescape_str`] (and the condition lexer) turn
/// back into `value`.
///
/// `\` → `\\`, `"` → `\"`, `\b \f \n \r \t` → their escapes, NUL → `\x00`
/// (which is rejected on the way back: Falco values cannot hold NUL). A
/// trailing backslash is written `\ ` (libsinsp's backslash-space escape),
/// because `"…\\"` never terminates in Falco's lexer.
pub fn quote_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' if i == last => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\x00"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_libsinsp() {
        assert_eq!(unescape_str(r#""a\tb""#).unwrap(), "a\tb");
        assert_eq!(unescape_str(r#""a\/b""#).unwrap(), "a/b");
        assert_eq!(unescape_str(r#""a\ b""#).unwrap(), "a\\b");
        assert_eq!(unescape_str(r#""\x41\xc3\xa9""#).unwrap(), "Aé");
        assert_eq!(unescape_str("''").unwrap(), "");
        assert!(unescape_str(r#"'a\"'"#)
            .unwrap_err()
            .contains("invalid \\\" escape"));
        assert!(unescape_str(r#""a\'""#)
            .unwrap_err()
            .contains("invalid \\' escape"));
        assert!(unescape_str(r#""\q""#)
            .unwrap_err()
            .contains("unsupported string escape sequence: \\q"));
        assert!(unescape_str(r#""\x00""#).unwrap_err().contains("NUL"));
        assert!(unescape_str(r#""\xff""#).is_err());
        assert!(unescape_str(r#""\x4""#).is_err());
        assert!(unescape_str("x").is_err());
    }

    #[test]
    fn quote_round_trips() {
        for v in [
            "",
            "a b",
            "c:\\",
            "\\\\",
            "\"",
            "'",
            "\\\"",
            "é\n\t\u{8}\u{c}\r/",
        ] {
            assert_eq!(unescape_str(&quote_str(v)).unwrap(), v, "{v:?}");
        }
    }
}
