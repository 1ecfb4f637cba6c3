//! dpkg `status` (and distroless `status.d/*`) stanzas: RFC 822-style
//! fields, continuation lines start with a space or tab, blank lines end a
//! stanza. Only `Status: install ok installed` packages are kept (a stanza
//! without Status, as in `status.d`, counts as installed).

use super::{Inventory, Package, PackageKind, Problem};

/// Parses a status file. `display` is its path in the report.
pub fn parse_status(text: &str, display: &str) -> Inventory {
    let mut inv = Inventory::default();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut start_line = 1usize;
    let flush = |fields: &mut Vec<(String, String)>, line: usize, inv: &mut Inventory| {
        if fields.is_empty() {
            return;
        }
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let loc = format!("{display}:{line}");
        let status = get("Status");
        let installed = match &status {
            None => true,
            Some(s) => s.split_whitespace().last() == Some("installed") && s.starts_with("install"),
        };
        match (get("Package"), get("Version")) {
            (Some(name), Some(version)) if installed => {
                if crate::version::dpkg::DebVersion::parse(&version).is_err() {
                    inv.problems.push(Problem::new(
                        loc.clone(),
                        format!("package {name}: unparsable version {version:?}; compared as text"),
                    ));
                }
                let mut p = Package::new(PackageKind::Deb, &name, &version, display);
                p.arch = get("Architecture");
                match get("Source") {
                    Some(src) => {
                        let mut it = src.splitn(2, ' ');
                        let sname = it.next().unwrap_or("").to_string();
                        let sver = it
                            .next()
                            .map(|v| {
                                v.trim()
                                    .trim_start_matches('(')
                                    .trim_end_matches(')')
                                    .to_string()
                            })
                            .unwrap_or_else(|| version.clone());
                        p.source_name = Some(sname);
                        p.source_version = Some(sver);
                    }
                    None => {
                        p.source_name = Some(name.clone());
                        p.source_version = Some(version.clone());
                    }
                }
                inv.packages.push(p);
            }
            (Some(_), Some(_)) => {}
            (name, _) => inv.problems.push(Problem::new(
                loc,
                format!(
                    "stanza without {}; skipped",
                    if name.is_none() { "Package" } else { "Version" }
                ),
            )),
        }
        fields.clear();
    };
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        if line.trim().is_empty() {
            flush(&mut fields, start_line, &mut inv);
            start_line = lineno + 1;
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match fields.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => inv.problems.push(Problem::new(
                    format!("{display}:{lineno}"),
                    "continuation line outside a field; ignored",
                )),
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) => fields.push((k.trim().to_string(), v.trim().to_string())),
            None => inv.problems.push(Problem::new(
                format!("{display}:{lineno}"),
                format!("line is not a field: {:?}; ignored", truncate(line)),
            )),
        }
    }
    flush(&mut fields, start_line, &mut inv);
    inv
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}
