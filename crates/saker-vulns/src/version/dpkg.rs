//! Debian version ordering, identical to dpkg's `verrevcmp()` and
//! `dpkg_version_compare()` (`lib/dpkg/version.c`, Debian Policy §5.6.12).
//!
//! `[epoch:]upstream[-revision]`: epoch numerically, then upstream, then
//! revision. Each part alternates non-digit runs (compared character by
//! character with `~` < end < letters < everything else) and digit runs
//! (compared numerically). A missing revision equals "0".

use std::cmp::Ordering;

fn order(c: u8) -> i32 {
    if c.is_ascii_digit() {
        0
    } else if c.is_ascii_alphabetic() {
        c as i32
    } else if c == b'~' {
        -1
    } else if c != 0 {
        c as i32 + 256
    } else {
        0
    }
}

/// dpkg's `verrevcmp` over one part (upstream version or revision).
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let at = |s: &[u8], k: usize| -> u8 { s.get(k).copied().unwrap_or(0) };
    let (mut i, mut j) = (0usize, 0usize);
    while at(a, i) != 0 || at(b, j) != 0 {
        let mut first_diff: i32 = 0;
        while (at(a, i) != 0 && !at(a, i).is_ascii_digit())
            || (at(b, j) != 0 && !at(b, j).is_ascii_digit())
        {
            let ac = order(at(a, i));
            let bc = order(at(b, j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == b'0' {
            i += 1;
        }
        while at(b, j) == b'0' {
            j += 1;
        }
        while at(a, i).is_ascii_digit() && at(b, j).is_ascii_digit() {
            if first_diff == 0 {
                first_diff = at(a, i) as i32 - at(b, j) as i32;
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if at(b, j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

/// A parsed Debian version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebVersion {
    /// Epoch (0 when absent).
    pub epoch: u64,
    /// Upstream version.
    pub upstream: String,
    /// Debian revision; empty when absent.
    pub revision: String,
}

impl DebVersion {
    /// Parses `[epoch:]upstream[-revision]` like dpkg's `parseversion`
    /// (revision after the last `-`). Errors on an empty or non-numeric
    /// epoch and on an empty upstream version.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => (
                e.parse::<u64>()
                    .map_err(|_| format!("bad epoch {e:?} in {s:?}"))?,
                rest,
            ),
            None => (0, s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(format!("empty upstream version in {s:?}"));
        }
        Ok(DebVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }

    /// dpkg ordering.
    pub fn compare(&self, other: &DebVersion) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

/// Compares two Debian version strings; unparsable input falls back to
/// `verrevcmp` over the whole string.
pub fn compare_deb_str(a: &str, b: &str) -> Ordering {
    match (DebVersion::parse(a), DebVersion::parse(b)) {
        (Ok(x), Ok(y)) => x.compare(&y),
        _ => verrevcmp(a, b),
    }
}
