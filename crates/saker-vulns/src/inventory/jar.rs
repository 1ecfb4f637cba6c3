//! Java archives (jar, war, ear): every `pom.properties` (shaded jars hold
//! several), else the `META-INF/MANIFEST.MF` main section, else the file
//! name (`name-version.jar`); nested archives are read recursively
//! (Spring Boot `BOOT-INF/lib`, `WEB-INF/lib`, `META-INF/jars`).
//! Order of evidence as in trivy's jar parser (vulns-and-runtime.md A2).

use std::io::{Cursor, Read};

use super::{Inventory, Package, PackageKind, Problem};

/// Nested archives deeper than this are not opened.
const MAX_DEPTH: usize = 4;
/// Entries larger than this are not read into memory.
const MAX_ENTRY: u64 = 64 << 20;

fn is_archive(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.ends_with(".jar") || l.ends_with(".war") || l.ends_with(".ear")
}

/// Parses `key=value` properties.
fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once('=').or_else(|| l.split_once(':')))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The main section of a manifest, continuation lines joined.
fn manifest_main(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// `name-1.2.3.jar` → (`name`, `1.2.3`): the version starts at the first
/// `-` followed by a digit.
pub fn name_version_from_file(file: &str) -> Option<(String, String)> {
    let base = file.rsplit('/').next()?;
    let stem = base.rsplit_once('.').map(|(s, _)| s)?;
    let bytes = stem.as_bytes();
    let pos = (0..bytes.len())
        .find(|&i| bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))?;
    Some((stem[..pos].to_string(), stem[pos + 1..].to_string()))
}

/// Reads one archive (its bytes) and its nested archives. `display` is the
/// archive path in the report (nested ones as `outer.jar!inner.jar`).
pub fn read_jar_bytes(bytes: &[u8], display: &str) -> Inventory {
    let mut inv = Inventory::default();
    read_jar(bytes, display, 0, &mut inv);
    inv
}

fn read_jar(bytes: &[u8], display: &str, depth: usize, inv: &mut Inventory) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            inv.problems.push(Problem::new(
                display,
                format!("not a readable zip archive: {e}; skipped"),
            ));
            return;
        }
    };
    let mut poms: Vec<(String, String, String)> = Vec::new();
    let mut manifest: Option<String> = None;
    let mut nested: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                inv.problems.push(Problem::new(
                    format!("{display} entry {i}"),
                    format!("unreadable entry: {e}"),
                ));
                continue;
            }
        };
        let name = match f.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(f.name_raw()).into_owned(),
        };
        let wanted =
            name.ends_with("pom.properties") || name == "META-INF/MANIFEST.MF" || is_archive(&name);
        if !wanted || f.is_dir() {
            continue;
        }
        if f.size() > MAX_ENTRY {
            inv.problems.push(Problem::new(
                format!("{display}!{name}"),
                "entry larger than 64 MiB; not read",
            ));
            continue;
        }
        let mut buf = Vec::with_capacity(f.size() as usize);
        if let Err(e) = f.read_to_end(&mut buf) {
            inv.problems.push(Problem::new(
                format!("{display}!{name}"),
                format!("cannot inflate entry: {e}"),
            ));
            continue;
        }
        if is_archive(&name) {
            nested.push((name, buf));
        } else if name.ends_with("pom.properties") {
            let props = properties(&String::from_utf8_lossy(&buf));
            let get = |k: &str| props.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone());
            match (get("groupId"), get("artifactId"), get("version")) {
                (Some(g), Some(a), Some(v)) => poms.push((g, a, v)),
                _ => inv.problems.push(Problem::new(
                    format!("{display}!{name}"),
                    "pom.properties without groupId, artifactId and version; ignored",
                )),
            }
        } else {
            manifest = Some(String::from_utf8_lossy(&buf).into_owned());
        }
    }
    if !poms.is_empty() {
        for (g, a, v) in poms {
            inv.packages.push(Package::new(
                PackageKind::Maven,
                &format!("{g}:{a}"),
                &v,
                display,
            ));
        }
    } else if let Some(p) = manifest.as_deref().and_then(|m| from_manifest(m, display)) {
        inv.packages.push(p);
    } else if let Some((n, v)) =
        name_version_from_file(display.rsplit('!').next().unwrap_or(display))
    {
        inv.packages
            .push(Package::new(PackageKind::Maven, &n, &v, display));
    } else {
        inv.problems.push(Problem::new(display, "archive without pom.properties, manifest version or versioned file name; not identified"));
    }
    for (name, buf) in nested {
        let inner = format!("{display}!{name}");
        if depth + 1 > MAX_DEPTH {
            inv.problems
                .push(Problem::new(inner, "nested archive too deep; not read"));
            continue;
        }
        read_jar(&buf, &inner, depth + 1, inv);
    }
}

fn from_manifest(text: &str, display: &str) -> Option<Package> {
    let m = manifest_main(text);
    let get = |k: &str| {
        m.iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let version = get("Implementation-Version")
        .or_else(|| get("Bundle-Version"))
        .or_else(|| get("Specification-Version"))?;
    let artifact = get("Bundle-SymbolicName")
        .map(|s| s.split(';').next().unwrap_or("").trim().to_string())
        .or_else(|| get("Implementation-Title"))
        .or_else(|| get("Specification-Title"))
        .or_else(|| get("Bundle-Name"))?;
    let group = get("Implementation-Vendor-Id");
    let name = match group {
        Some(g) if !artifact.contains(':') => format!("{g}:{artifact}"),
        _ => artifact,
    };
    Some(Package::new(PackageKind::Maven, &name, &version, display))
}
