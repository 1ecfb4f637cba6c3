//! Version ordering for language packages: Maven `ComparableVersion`,
//! RubyGems `Gem::Version` and Semantic Versioning 2.0.0.
//!
//! These are the orderings OSV names for the `Maven`, `RubyGems` and the
//! semver ecosystems (`npm`, `Go`, `crates.io`).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Num(String),
    Qual(String),
}

fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    t
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Maven qualifier rank: alpha < beta < milestone < rc = cr < snapshot <
/// "" = ga = final = release < sp < anything else (lexically, after sp).
fn maven_qual_rank(q: &str) -> (u8, &str) {
    match q {
        "alpha" | "a" => (0, ""),
        "beta" | "b" => (1, ""),
        "milestone" | "m" => (2, ""),
        "rc" | "cr" => (3, ""),
        "snapshot" => (4, ""),
        "" | "ga" | "final" | "release" => (5, ""),
        "sp" => (6, ""),
        other => (7, other),
    }
}

/// One Maven item and whether it opened a sub-list (after `-`).
type MavenItem = (Item, bool);

fn is_null(item: &Item) -> bool {
    match item {
        Item::Num(n) => strip_zeros(n).is_empty(),
        Item::Qual(q) => maven_qual_rank(q).0 == 5,
    }
}

fn maven_items(v: &str) -> Vec<MavenItem> {
    let v = v.trim().to_ascii_lowercase();
    let mut items: Vec<MavenItem> = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = false;
    let mut list = false;
    let flush = |cur: &mut String, digit: bool, list: bool, items: &mut Vec<MavenItem>| {
        if cur.is_empty() {
            return;
        }
        if list {
            // Maven normalises a list before opening a sub-list.
            while items.last().is_some_and(|(i, l)| !*l && is_null(i)) {
                items.pop();
            }
        }
        let item = if digit {
            Item::Num(std::mem::take(cur))
        } else {
            Item::Qual(std::mem::take(cur))
        };
        items.push((item, list));
    };
    for c in v.chars() {
        if c == '.' || c == '-' || c == '_' || c == '+' {
            flush(&mut cur, cur_digit, list, &mut items);
            list = c == '-';
            continue;
        }
        let d = c.is_ascii_digit();
        if !cur.is_empty() && d != cur_digit {
            flush(&mut cur, cur_digit, list, &mut items);
            list = true;
        }
        cur_digit = d;
        cur.push(c);
    }
    flush(&mut cur, cur_digit, list, &mut items);
    while items.last().is_some_and(|(i, _)| is_null(i)) {
        items.pop();
    }
    items
}

fn maven_item_cmp(a: Option<&MavenItem>, b: Option<&MavenItem>) -> Ordering {
    match (a, b) {
        (Some((x, lx)), Some((y, ly))) if lx != ly => {
            // A sub-list sorts below a number and above a qualifier.
            let (other, flip) = if *lx { (y, false) } else { (x, true) };
            let o = match other {
                Item::Num(_) => Ordering::Less,
                Item::Qual(_) => Ordering::Greater,
            };
            if flip {
                o.reverse()
            } else {
                o
            }
        }
        _ => maven_plain_cmp(a.map(|(i, _)| i), b.map(|(i, _)| i)),
    }
}

fn maven_plain_cmp(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(Item::Num(x)), None) => cmp_num(x, "0"),
        (None, Some(Item::Num(y))) => cmp_num("0", y),
        (Some(Item::Qual(x)), None) => maven_qual_rank(x).cmp(&maven_qual_rank("")),
        (None, Some(Item::Qual(y))) => maven_qual_rank("").cmp(&maven_qual_rank(y)),
        (Some(Item::Num(x)), Some(Item::Num(y))) => cmp_num(x, y),
        (Some(Item::Num(_)), Some(Item::Qual(_))) => Ordering::Greater,
        (Some(Item::Qual(_)), Some(Item::Num(_))) => Ordering::Less,
        (Some(Item::Qual(x)), Some(Item::Qual(y))) => maven_qual_rank(x).cmp(&maven_qual_rank(y)),
    }
}

/// Maven `ComparableVersion` ordering (flattened: `.`/`-` and digit/letter
/// transitions separate items; trailing null items are dropped).
pub fn compare_maven(a: &str, b: &str) -> Ordering {
    let (x, y) = (maven_items(a), maven_items(b));
    for k in 0..x.len().max(y.len()) {
        match maven_item_cmp(x.get(k), y.get(k)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

fn gem_segments(v: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digit = false;
    for c in v.trim().chars() {
        let d = c.is_ascii_digit();
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(if digit {
                    Item::Num(std::mem::take(&mut cur))
                } else {
                    Item::Qual(std::mem::take(&mut cur))
                });
            }
            continue;
        }
        if !cur.is_empty() && d != digit {
            out.push(if digit {
                Item::Num(std::mem::take(&mut cur))
            } else {
                Item::Qual(std::mem::take(&mut cur))
            });
        }
        digit = d;
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(if digit {
            Item::Num(cur)
        } else {
            Item::Qual(cur)
        });
    }
    while matches!(out.last(), Some(Item::Num(n)) if strip_zeros(n).is_empty()) {
        out.pop();
    }
    out
}

/// RubyGems `Gem::Version#<=>`: segments are digit or letter runs; letters
/// make a prerelease (sorted before numbers); missing segments are 0.
pub fn compare_gem(a: &str, b: &str) -> Ordering {
    let (x, y) = (gem_segments(a), gem_segments(b));
    let zero = Item::Num("0".into());
    for k in 0..x.len().max(y.len()) {
        let l = x.get(k).unwrap_or(&zero);
        let r = y.get(k).unwrap_or(&zero);
        let o = match (l, r) {
            (Item::Num(p), Item::Num(q)) => cmp_num(p, q),
            (Item::Qual(p), Item::Qual(q)) => p.cmp(q),
            (Item::Num(_), Item::Qual(_)) => Ordering::Greater,
            (Item::Qual(_), Item::Num(_)) => Ordering::Less,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Semantic Versioning 2.0.0 precedence, leniently: a leading `v` is
/// ignored, missing minor/patch are 0, build metadata is ignored.
pub fn compare_semver(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (Vec<&str>, Option<&str>) {
        let v = v.trim().trim_start_matches('v');
        let v = v.split('+').next().unwrap_or("");
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        (core.split('.').collect(), pre)
    }
    let (ca, pa) = split(a);
    let (cb, pb) = split(b);
    for k in 0..ca.len().max(cb.len()).max(3) {
        let l = ca.get(k).copied().unwrap_or("0");
        let r = cb.get(k).copied().unwrap_or("0");
        let o = match (
            l.bytes().all(|c| c.is_ascii_digit()),
            r.bytes().all(|c| c.is_ascii_digit()),
        ) {
            (true, true) => cmp_num(l, r),
            _ => l.cmp(r),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(p), Some(q)) => {
            let (x, y): (Vec<&str>, Vec<&str>) = (p.split('.').collect(), q.split('.').collect());
            for k in 0..x.len().max(y.len()) {
                let o = match (x.get(k), y.get(k)) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(l), Some(r)) => {
                        let (nl, nr) = (
                            !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()),
                            !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()),
                        );
                        match (nl, nr) {
                            (true, true) => cmp_num(l, r),
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            (false, false) => l.cmp(r),
                        }
                    }
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        }
    }
}
