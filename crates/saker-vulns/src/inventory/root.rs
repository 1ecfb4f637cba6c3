//! Inventory of a root filesystem (`/` on a live host, a mounted EBS
//! volume or an unpacked image): OS, rpmdb, dpkg status, jars and gems, and
//! which kernel counts as running.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::os::OsInfo;
use super::{dpkg, gem, jar, os, rpmdb, Inventory, Package, PackageKind, Problem};

/// rpmdb locations, in the order rpm itself looks (newest layout first).
pub const RPMDB_PATHS: &[&str] = &[
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages.db",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages",
    "var/lib/rpm/Packages",
];

/// Directories not walked for language packages.
const SKIP_DIRS: &[&str] = &[
    "proc",
    "sys",
    "dev",
    "run",
    "tmp",
    "var/lib/docker/overlay2",
    "var/cache",
    "mnt",
];

/// How the kernel that counts was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", content = "release", rename_all = "snake_case")]
pub enum KernelChoice {
    /// The running kernel (`/proc/sys/kernel/osrelease`, live scans of `/`).
    Running(String),
    /// The newest installed kernel package (offline volumes).
    NewestInstalled(String),
    /// Given on the command line (`--kernel`).
    Given(String),
    /// No kernel package found.
    None,
}

impl KernelChoice {
    /// The kernel release (`uname -r` form), if any.
    pub fn release(&self) -> Option<&str> {
        match self {
            KernelChoice::Running(r)
            | KernelChoice::NewestInstalled(r)
            | KernelChoice::Given(r) => Some(r),
            KernelChoice::None => None,
        }
    }
}

/// Everything read from one root.
#[derive(Debug, Clone, Serialize)]
pub struct HostInventory {
    /// Host label (root path or list name).
    pub host: String,
    /// Identified OS, if any.
    pub os: Option<OsInfo>,
    /// The kernel judged for kernel packages.
    pub kernel: KernelChoice,
    /// Packages and problems.
    #[serde(flatten)]
    pub inventory: Inventory,
    /// Why no OS package inventory could be read at all (no rpmdb or dpkg
    /// status under the root, or every one found unreadable); `None` when at
    /// least one package database was read. A host in this state was not
    /// evaluated, so `saker vulns scan` exits 2 for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_package_db: Option<String>,
}

/// Install-only kernel packages: several versions may be installed and
/// only the one matching the running kernel is judged (as vuls'
/// `isRunningKernel`). `kernel-headers`/`kernel-tools` are single-version
/// packages and are judged normally.
pub fn is_install_only_kernel(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("kernel") else {
        return false;
    };
    // kernel6.12, kernel5.10 … (AL2023/AL2 naming of kernel lines)
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        rest,
        "" | "-core"
            | "-devel"
            | "-debug"
            | "-debug-core"
            | "-debug-devel"
            | "-modules"
            | "-modules-core"
            | "-modules-extra"
            | "-modules-extra-common"
            | "-modules-internal"
            | "-rt"
            | "-rt-core"
            | "-rt-devel"
            | "-rt-modules"
            | "-uek"
            | "-uek-core"
            | "-uek-devel"
            | "-uek-modules"
    )
}

/// `version-release.arch` of an rpm package: the `uname -r` form.
pub fn kernel_release_of(p: &Package) -> String {
    let vr = match p.version.split_once(':') {
        Some((_, rest)) => rest,
        None => p.version.as_str(),
    };
    match &p.arch {
        Some(a) => format!("{vr}.{a}"),
        None => vr.to_string(),
    }
}

/// Reads the inventory of `root`. `live` says `root` is the running
/// system (`/`), so the running kernel is read from `/proc`.
pub fn scan_root(root: &Path, live: bool) -> HostInventory {
    let host = root.display().to_string();
    let mut inv = Inventory::default();
    let os = os::identify(root);
    if os.is_none() {
        inv.problems.push(Problem::new(
            root.join("etc/os-release").display().to_string(),
            "no os-release or system-release: OS unknown, OS packages not evaluated",
        ));
    }
    // Package databases read (at least one package, or none and no problem),
    // and the reasons the others were not.
    let mut dbs_read = 0usize;
    let mut db_failures: Vec<String> = Vec::new();
    // rpmdb: the first existing location.
    if let Some(rel) = RPMDB_PATHS.iter().find(|p| root.join(p).is_file()) {
        let mut r = rpmdb::read_rpmdb(&root.join(rel), &format!("/{rel}"));
        under_root(root, &mut r);
        if r.packages.is_empty() && !r.problems.is_empty() {
            db_failures.push(r.problems[0].to_string());
        } else {
            dbs_read += 1;
        }
        inv.extend(r);
    }
    // dpkg status and status.d.
    let status = root.join("var/lib/dpkg/status");
    match std::fs::read_to_string(&status) {
        Ok(text) => {
            let mut d = dpkg::parse_status(&text, "/var/lib/dpkg/status");
            under_root(root, &mut d);
            dbs_read += 1;
            inv.extend(d);
        }
        Err(e) if status.exists() => {
            db_failures.push(format!("{}: unreadable: {e}", status.display()));
            inv.problems.push(Problem::new(
                status.display().to_string(),
                format!("unreadable: {e}"),
            ));
        }
        Err(_) => {}
    }
    if let Ok(rd) = std::fs::read_dir(root.join("var/lib/dpkg/status.d")) {
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.ends_with(".md5sums") {
                continue;
            }
            match std::fs::read_to_string(&f) {
                Ok(t) => {
                    let mut d = dpkg::parse_status(&t, &format!("/var/lib/dpkg/status.d/{name}"));
                    under_root(root, &mut d);
                    dbs_read += 1;
                    inv.extend(d);
                }
                Err(e) => {
                    db_failures.push(format!("{}: unreadable: {e}", f.display()));
                    inv.problems.push(Problem::new(
                        f.display().to_string(),
                        format!("unreadable: {e}"),
                    ));
                }
            }
        }
    }
    inv.extend(language_packages(root));
    drop_rpm_owned_copies(&mut inv);
    let kernel = choose_kernel(root, live, &inv.packages);
    let no_package_db = (dbs_read == 0).then(|| {
        if db_failures.is_empty() {
            format!(
                "no package database under {host} (looked for {} and var/lib/dpkg/status[.d])",
                RPMDB_PATHS.join(", ")
            )
        } else {
            format!("no readable package database: {}", db_failures.join("; "))
        }
    });
    HostInventory {
        host,
        os,
        kernel,
        inventory: inv,
        no_package_db,
    }
}

/// Rewrites the root-relative problem locations of a package database read
/// (`/var/lib/rpm/Packages`) to paths under `root` (`root2/var/lib/rpm/Packages`),
/// so a report never reads as if it were about the scanning host's own files.
/// Package locations stay root-relative: they name the file on the scanned host.
fn under_root(root: &Path, inv: &mut Inventory) {
    for p in &mut inv.problems {
        if let Some(rel) = p.location.strip_prefix('/') {
            p.location = root.join(rel).display().to_string();
        }
    }
}

/// Walks `root` for jars/wars/ears and installed gemspecs.
pub fn language_packages(root: &Path) -> Inventory {
    let mut inv = Inventory::default();
    let skip: Vec<PathBuf> = SKIP_DIRS.iter().map(|d| root.join(d)).collect();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !skip.iter().any(|s| e.path() == s));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if e.io_error().map(|io| io.kind()) != Some(std::io::ErrorKind::PermissionDenied) {
                    inv.problems.push(Problem::new(
                        e.path()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        format!("cannot walk: {e}"),
                    ));
                }
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy();
        let display = format!("/{}", path.strip_prefix(root).unwrap_or(path).display());
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".jar") || lower.ends_with(".war") || lower.ends_with(".ear") {
            match std::fs::read(path) {
                Ok(b) => inv.extend(jar::read_jar_bytes(&b, &display)),
                Err(e) => inv
                    .problems
                    .push(Problem::new(display, format!("unreadable: {e}"))),
            }
        } else if lower.ends_with(".gemspec")
            && path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|p| p == "specifications" || p == "default")
        {
            match std::fs::read_to_string(path) {
                Ok(t) => match gem::parse_gemspec(&t, &display) {
                    Ok(p) => inv.packages.push(p),
                    Err(pr) => inv.problems.push(pr),
                },
                Err(e) => inv
                    .problems
                    .push(Problem::new(display, format!("unreadable: {e}"))),
            }
        }
    }
    inv
}

/// Drops language packages found in files an rpm owns (the rpm advisory
/// covers them; matching the upstream version against GHSA gives
/// backport false positives, grype#3612).
pub fn drop_rpm_owned_copies(inv: &mut Inventory) {
    let owned: HashSet<&str> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Rpm)
        .flat_map(|p| p.files.iter().map(String::as_str))
        .collect();
    if owned.is_empty() {
        return;
    }
    let keep: Vec<bool> = inv
        .packages
        .iter()
        .map(|p| {
            p.kind == PackageKind::Rpm || {
                let file = p.location.split('!').next().unwrap_or(&p.location);
                !owned.contains(file)
            }
        })
        .collect();
    let mut k = keep.into_iter();
    inv.packages.retain(|_| k.next().unwrap_or(true));
}

fn choose_kernel(root: &Path, live: bool, pkgs: &[Package]) -> KernelChoice {
    if live {
        if let Ok(r) = std::fs::read_to_string(root.join("proc/sys/kernel/osrelease")) {
            let r = r.trim().to_string();
            if !r.is_empty() {
                return KernelChoice::Running(r);
            }
        }
    }
    newest_kernel(pkgs).map_or(KernelChoice::None, KernelChoice::NewestInstalled)
}

/// The newest installed `kernel*` (install-only) package, as `uname -r`.
pub fn newest_kernel(pkgs: &[Package]) -> Option<String> {
    pkgs.iter()
        .filter(|p| {
            p.kind == PackageKind::Rpm
                && (p.name == "kernel"
                    || p.name.starts_with("kernel")
                        && is_install_only_kernel(&p.name)
                        && !p.name.contains('-'))
        })
        .max_by(|a, b| crate::version::Scheme::Rpm.compare(&a.version, &b.version))
        .map(kernel_release_of)
}
