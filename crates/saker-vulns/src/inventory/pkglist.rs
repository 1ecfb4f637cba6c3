//! Package lists from a shell, for hosts reached only through SSM:
//!
//! * rpm: `rpm -qa --qf '%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM}\n'`
//!   (the vuls query; `%{EPOCH}` printing `(none)` is accepted too), or
//!   plain `rpm -qa` NEVRA lines (`name-[epoch:]version-release.arch`).
//! * dpkg: `dpkg-query -W -f '${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n'`
//!   or the default `dpkg-query -W` output (`name\tversion`).
//!
//! The first line may be `# os-release ID=amzn VERSION_ID=2023` to name
//! the OS; otherwise the caller supplies it.

use super::{Inventory, Package, PackageKind, Problem};

/// Which package manager produced a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// rpm query output.
    Rpm,
    /// dpkg-query output.
    Dpkg,
}

const RPM_ARCHES: &[&str] = &[
    "x86_64", "aarch64", "noarch", "i686", "i386", "armv7hl", "ppc64le", "s390x", "src",
];

/// Parses a package list. `display` names the input (`-` for stdin).
pub fn parse_list(text: &str, kind: ListKind, display: &str) -> Inventory {
    let mut inv = Inventory::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let loc = format!("{display}:{}", n + 1);
        let parsed = match kind {
            ListKind::Rpm => rpm_line(line, display),
            ListKind::Dpkg => dpkg_line(line, display),
        };
        match parsed {
            Some(p) => inv.packages.push(p),
            None => inv.problems.push(Problem::new(
                loc,
                format!("unrecognised {kind:?} package line; skipped"),
            )),
        }
    }
    inv
}

fn rpm_line(line: &str, display: &str) -> Option<Package> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() >= 5 {
        let epoch = match f[1] {
            "(none)" | "" => None,
            e => Some(e.parse::<u64>().ok()?),
        };
        let evr = crate::version::rpm::Evr::new(epoch, f[2], f[3]);
        let mut p = Package::new(PackageKind::Rpm, f[0], &evr.to_string(), display);
        p.epoch = epoch;
        p.arch = Some(f[4].to_string());
        if let Some((n, vr)) = f
            .get(5)
            .and_then(|s| super::rpm_header::split_source_rpm(s))
        {
            p.source_name = Some(n);
            p.source_version = Some(vr);
        }
        return Some(p);
    }
    if f.len() != 1 {
        return None;
    }
    // NEVRA: name-[E:]V-R.arch
    let (rest, arch) = match line.rsplit_once('.') {
        Some((r, a)) if RPM_ARCHES.contains(&a) => (r, Some(a)),
        _ => (line, None),
    };
    let (nv, rel) = rest.rsplit_once('-')?;
    let (name, ver) = nv.rsplit_once('-')?;
    let evr = crate::version::rpm::Evr::parse(&format!("{ver}-{rel}")).ok()?;
    let mut p = Package::new(PackageKind::Rpm, name, &evr.to_string(), display);
    p.epoch = evr.epoch;
    p.arch = arch.map(String::from);
    Some(p)
}

fn dpkg_line(line: &str, display: &str) -> Option<Package> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 2 {
        return None;
    }
    let mut p = Package::new(PackageKind::Deb, f[0].split(':').next()?, f[1], display);
    p.arch = f.get(2).map(|s| s.to_string());
    p.source_name = Some(f.get(3).unwrap_or(&f[0]).to_string());
    p.source_version = Some(f.get(4).unwrap_or(&f[1]).to_string());
    Some(p)
}

/// Guesses the list kind from its first package line: an rpm query line
/// ends its 5th field with an rpm arch or its NEVRA with `.arch`.
pub fn guess_kind(text: &str) -> ListKind {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(l) = first else { return ListKind::Rpm };
    let f: Vec<&str> = l.split_whitespace().collect();
    let rpmish = (f.len() >= 5 && RPM_ARCHES.contains(&f[4]))
        || (f.len() == 1
            && l.rsplit_once('.')
                .is_some_and(|(_, a)| RPM_ARCHES.contains(&a)));
    if rpmish {
        ListKind::Rpm
    } else {
        ListKind::Dpkg
    }
}

/// A whole host from a list: `# os-release ID=amzn VERSION_ID=2023`,
/// `# system-release Amazon Linux release 2023.6.20241010 (Amazon Linux)`
/// (the content of `/etc/system-release`, which gives the AL2023 release)
/// and `# kernel 6.1.112-122.189.amzn2023.x86_64` header lines name the OS
/// and running kernel (`uname -r`); without a kernel line the newest
/// installed kernel is judged.
pub fn host_from_list(text: &str, display: &str) -> super::root::HostInventory {
    let mut os: Option<super::os::OsInfo> = None;
    let mut system_release = None;
    let mut kernel = None;
    for l in text.lines().map(str::trim).filter(|l| l.starts_with('#')) {
        let body = l.trim_start_matches('#').trim();
        if let Some(rest) = body.strip_prefix("system-release") {
            system_release = super::os::parse_system_release(rest.trim());
        } else if let Some(rest) = body.strip_prefix("os-release") {
            let o = super::os::parse_os_release(
                &rest.split_whitespace().collect::<Vec<_>>().join("\n"),
            );
            if !o.id.is_empty() {
                os = Some(o);
            }
        } else if let Some(k) = body.strip_prefix("kernel") {
            kernel = Some(k.trim().to_string());
        }
    }
    match (&mut os, system_release) {
        (Some(o), Some(s)) if o.id == "amzn" => o.release = s.release,
        (None, Some(s)) => os = Some(s),
        _ => {}
    }
    let inv = parse_list(text, guess_kind(text), display);
    let mut problems = Vec::new();
    if os.is_none() {
        problems.push(Problem::new(
            display,
            "no '# os-release ID=… VERSION_ID=…' line and no --os: OS unknown, OS packages not evaluated",
        ));
    }
    let kernel = match kernel {
        Some(k) => super::root::KernelChoice::Running(k),
        None => super::root::newest_kernel(&inv.packages).map_or(
            super::root::KernelChoice::None,
            super::root::KernelChoice::NewestInstalled,
        ),
    };
    let mut inv = inv;
    let no_package_db = (inv.packages.is_empty() && !inv.problems.is_empty()).then(|| {
        format!(
            "no package line could be read ({} problems, first: {})",
            inv.problems.len(),
            inv.problems[0]
        )
    });
    inv.problems.extend(problems);
    super::root::HostInventory {
        host: display.to_string(),
        os,
        kernel,
        inventory: inv,
        no_package_db,
    }
}
