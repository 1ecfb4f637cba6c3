//! Installed gem specifications (`…/specifications/*.gemspec`): the
//! `s.name = "rake".freeze` and `s.version = "13.0.3"` lines inside
//! `Gem::Specification.new do |s|` (trivy's gemspec parser does the same).

use super::{Package, PackageKind, Problem};

fn quoted(v: &str) -> Option<String> {
    let v = v.trim();
    let q = v.chars().next()?;
    if q != '"' && q != '\'' {
        return None;
    }
    let rest = &v[1..];
    let end = rest.find(q)?;
    Some(rest[..end].to_string())
}

/// Parses a gemspec; returns the gem or a problem naming the file.
pub fn parse_gemspec(text: &str, display: &str) -> Result<Package, Problem> {
    let mut var: Option<String> = None;
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Gem::Specification.new") {
            if let Some(s) = t.split('|').nth(1) {
                var = Some(s.trim().to_string());
            }
            continue;
        }
        let Some(v) = &var else { continue };
        let Some(rest) = t.strip_prefix(v.as_str()).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((field, value)) = rest.split_once('=') else {
            continue;
        };
        match field.trim() {
            "name" if name.is_none() => name = quoted(value),
            "version" if version.is_none() => version = quoted(value),
            _ => {}
        }
    }
    match (name, version) {
        (Some(n), Some(v)) => Ok(Package::new(PackageKind::Gem, &n, &v, display)),
        _ => Err(Problem::new(
            display,
            "gemspec without name and version; skipped",
        )),
    }
}
