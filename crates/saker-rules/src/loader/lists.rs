//! Lists: Falco substitutes them into condition text before parsing
//! (`rule_loader_compiler.cpp: resolve_list`, `compile_list_infos`).
//!
//! The substitution is textual and reproduces Falco's quirks on purpose
//! (`shared/reference/falco.md` §2.6): a list name is replaced wherever it is
//! delimited by blanks, `(`, `)`, `,`, `=` or the ends of the text — inside
//! `in (...)` or not — and never inside quotes (a quote is not a delimiter).

/// Falco's `quote_item`: wrap in `"…"` when the item contains a space and
/// does not already start with a quote. No escaping.
pub fn quote_item(item: &str) -> String {
    if item.contains(' ') && !item.starts_with('"') && !item.starts_with('\'') {
        format!("\"{item}\"")
    } else {
        item.to_string()
    }
}

/// Falco's `paren_item`: wrap in `(…)` unless it already starts with `(`.
pub fn paren_item(item: &str) -> String {
    if item.starts_with('(') {
        item.to_string()
    } else {
        format!("({item})")
    }
}

fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

const BLANKS: &[u8] = b" \t\n\r";
const DELIMS: &[u8] = b" \t\n\r(),=";

/// Replace every delimited occurrence of the list `name` in `cond` by
/// `" " + items.join(", ") + " "` (items already quoted), consuming the
/// blanks around it and, for an empty list, one neighbouring comma.
/// Returns whether the list was used.
pub fn resolve_list(cond: &mut String, name: &str, items: &[String]) -> bool {
    let name_b = name.as_bytes();
    let mut cnd: Vec<u8> = std::mem::take(cond).into_bytes();
    let mut used = false;
    let mut start_opt = find_from(&cnd, name_b, 0);
    while let Some(mut start) = start_opt {
        let mut end = start + name_b.len();
        let left_ok = start == 0 || DELIMS.contains(&cnd[start - 1]);
        let right_ok = end >= cnd.len() || DELIMS.contains(&cnd[end]);
        if left_ok && right_ok {
            while start > 0 && BLANKS.contains(&cnd[start - 1]) {
                start -= 1;
            }
            while end < cnd.len() && BLANKS.contains(&cnd[end]) {
                end += 1;
            }
            let sub = items.join(", ");
            if sub.is_empty() {
                if start > 0 && cnd[start - 1] == b',' {
                    start -= 1;
                } else if end < cnd.len() && cnd[end] == b',' {
                    end += 1;
                }
            }
            let mut new_cnd = Vec::with_capacity(cnd.len() + sub.len() + 2);
            if start > 0 {
                new_cnd.extend_from_slice(&cnd[..start]);
                new_cnd.push(b' ');
            }
            new_cnd.extend_from_slice(sub.as_bytes());
            new_cnd.push(b' ');
            new_cnd.extend_from_slice(&cnd[end..]);
            cnd = new_cnd;
            start += sub.len() + 1;
            used = true;
        }
        start_opt = find_from(&cnd, name_b, start + 1);
    }
    *cond = match String::from_utf8(cnd) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(cond: &str, name: &str, items: &[&str]) -> (String, bool) {
        let mut c = cond.to_string();
        let items: Vec<String> = items.iter().map(|s| quote_item(s)).collect();
        let used = resolve_list(&mut c, name, &items);
        (c, used)
    }

    #[test]
    fn substitutes_delimited_names_only() {
        assert_eq!(
            sub("proc.name in (shells)", "shells", &["bash", "sh"]),
            ("proc.name in ( bash, sh )".to_string(), true)
        );
        assert_eq!(
            sub("proc.name in (myshells)", "shells", &["bash"]),
            ("proc.name in (myshells)".to_string(), false)
        );
        assert_eq!(
            sub("proc.name = \"shells\"", "shells", &["bash"]),
            ("proc.name = \"shells\"".to_string(), false)
        );
        // A bare value outside `in (...)` is substituted too (Falco quirk).
        assert_eq!(
            sub("proc.name = shells", "shells", &["bash"]),
            ("proc.name = bash ".to_string(), true)
        );
    }

    #[test]
    fn quotes_items_with_spaces_and_drops_a_comma_for_empty_lists() {
        assert_eq!(sub("x in (a, l)", "l", &["b c"]).0, "x in (a, \"b c\" )");
        assert_eq!(sub("x in (a, l)", "l", &[]).0, "x in (a  )");
        assert_eq!(sub("x in (l, a)", "l", &[]).0, "x in (   a)");
    }

    #[test]
    fn replaces_every_occurrence() {
        assert_eq!(
            sub("a in (l) or b in (l)", "l", &["1"]).0,
            "a in ( 1 ) or b in ( 1 )"
        );
    }
}
