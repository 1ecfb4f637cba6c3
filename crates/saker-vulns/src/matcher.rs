//! Matching an inventory against advisories (vulns-and-runtime.md A1.5):
//! binary rpm names against ALAS pkglists for the host's Amazon Linux
//! release; Debian/Ubuntu/Alma/Rocky/Alpine packages by source package
//! against OSV; jars and gems against OSV Maven/RubyGems.
//!
//! Scoping: install-only kernel packages are judged only for the chosen
//! kernel (running, or newest installed offline); kernel-line packages
//! (`kernel*`, `perf`, `bpftool`…) only against advisories of their own
//! `major.minor` line (ALASKERNEL-5.15 never hits a 4.14 `kernel-headers`,
//! AL2023 kernel6.12 entries never hit 6.1); AL2 extras topics only for
//! packages of the same version line. Every ALAS entry is a released fix.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use crate::advisory::osv::affected_by;
use crate::advisory::{Advisory, Severity};
use crate::inventory::os::OsInfo;
use crate::inventory::root::{is_install_only_kernel, kernel_release_of, HostInventory};
use crate::inventory::{Package, PackageKind, Problem};

/// One vulnerable package.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Package name.
    pub package: String,
    /// Package kind.
    pub kind: PackageKind,
    /// Installed version.
    pub installed: String,
    /// Architecture, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// First fixed version (`None` = no fix known).
    pub fixed: Option<String>,
    /// Advisory id.
    pub advisory: String,
    /// CVE ids.
    pub cves: Vec<String>,
    /// Severity.
    pub severity: Severity,
    /// Advisory page.
    pub link: String,
    /// Advisory title.
    pub title: String,
    /// Where the package was found.
    pub location: String,
    /// The CVSS vector behind the severity (OSV), when the advisory has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<crate::advisory::cvss::CvssScore>,
    /// Amazon Linux 2023: whether the fix is in the host's own (versioned)
    /// release or only in a newer one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_release: Option<FixRelease>,
}

/// Amazon Linux 2023 repositories are versioned (`releasever`
/// `2023.6.20241010`): `dnf upgrade` only sees the packages of the host's
/// release, so a fix issued after that release is installed only after
/// moving to a newer one (`dnf upgrade --releasever=latest`;
/// amazon-linux-2023#745, vulns-and-runtime.md A1.4).
///
/// The release's date (the last part of its version) is compared with the
/// advisory's issued date: an advisory issued after the release date is in
/// a newer release, whose version is dated on or after the issued date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FixRelease {
    /// The host's release (`/etc/system-release`), e.g. `2023.6.20241010`.
    pub host_release: String,
    /// The advisory's issued date (`YYYY-MM-DD`).
    pub advisory_issued: String,
    /// `true`: the fix is in the host's release, `dnf upgrade` installs it.
    /// `false`: only in a release dated on or after `advisory_issued`.
    pub in_host_release: bool,
}

/// `2023.6.20241010` → `2024-10-10` (the date of an AL2023 release).
pub fn release_date(release: &str) -> Option<String> {
    let d = release.rsplit('.').next()?;
    (d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]))
}

fn fix_release(os: Option<&OsInfo>, platform: &str, issued: &str) -> Option<FixRelease> {
    if platform != "amzn:2023" {
        return None;
    }
    let host_release = os?.release.clone()?;
    let date = release_date(&host_release)?;
    let issued = issued.get(..10)?;
    if !issued.starts_with("20") {
        return None;
    }
    Some(FixRelease {
        in_host_release: issued <= date.as_str(),
        advisory_issued: issued.to_string(),
        host_release,
    })
}

impl Finding {
    /// A fixed version is published.
    pub fn fixable(&self) -> bool {
        self.fixed.is_some()
    }
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Packages in the inventory.
    pub packages: usize,
    /// Distinct vulnerable packages.
    pub vulnerable_packages: usize,
    /// Findings by severity.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Unknown.
    pub unknown: usize,
    /// Findings with a published fix.
    pub fixable: usize,
    /// Of the fixable findings, those whose fix is only in a newer Amazon
    /// Linux 2023 release than the host's ([`FixRelease`]).
    pub fix_in_newer_release: usize,
}

/// The result for one host.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    /// Host label.
    pub host: String,
    /// OS, if identified.
    pub os: Option<OsInfo>,
    /// Kernel judged for kernel packages, and how it was chosen.
    pub kernel: crate::inventory::root::KernelChoice,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// What was not evaluated (and why), with locations.
    pub not_evaluated: Vec<Problem>,
    /// Summary counts (of the findings after filters).
    pub summary: Summary,
    /// Scan time in milliseconds (inventory excluded when given separately).
    pub scan_ms: u64,
}

/// Advisory platforms (OSV ecosystem names / ALAS `amzn:N`) for an OS.
pub fn platforms_for(os: &OsInfo) -> Option<String> {
    let v = os.version_id.as_str();
    let major = v.split('.').next().unwrap_or(v);
    Some(match os.id.as_str() {
        "amzn" => format!("amzn:{}", os.amazon_linux()?),
        "debian" => format!("Debian:{major}"),
        "ubuntu" => format!("Ubuntu:{v}"),
        "almalinux" => format!("AlmaLinux:{major}"),
        "rocky" => format!("Rocky Linux:{major}"),
        "alpine" => {
            let mm: Vec<&str> = v.split('.').take(2).collect();
            format!("Alpine:v{}", mm.join("."))
        }
        _ => return None,
    })
}

/// Advisories indexed by `(platform, name)`.
pub struct AdvisoryIndex {
    advisories: Vec<Advisory>,
    by_name: HashMap<String, Vec<(usize, usize)>>,
}

impl AdvisoryIndex {
    /// Indexes advisories.
    pub fn new(advisories: Vec<Advisory>) -> Self {
        let mut by_name: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (i, a) in advisories.iter().enumerate() {
            for (j, af) in a.affected.iter().enumerate() {
                by_name.entry(af.name.clone()).or_default().push((i, j));
            }
        }
        AdvisoryIndex {
            advisories,
            by_name,
        }
    }

    /// Number of advisories.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// No advisories.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// Has at least one entry for `platform` (or `platform:*`).
    pub fn covers(&self, platform: &str) -> bool {
        let pre = format!("{platform}:");
        self.advisories
            .iter()
            .flat_map(|a| a.affected.iter())
            .any(|af| af.platform == platform || af.platform.starts_with(&pre))
    }

    fn lookup<'a>(
        &'a self,
        platform: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Advisory, usize)> + 'a {
        let pre = format!("{platform}:");
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&(i, j)| (&self.advisories[i], j))
            .filter(move |(a, j)| {
                let p = &a.affected[*j].platform;
                p == platform || p.starts_with(&pre)
            })
    }
}

/// `major.minor` of a version (`5.15.43-20.123.amzn2` → `5.15`).
fn line(v: &str) -> String {
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    v.split(['.', '-']).take(2).collect::<Vec<_>>().join(".")
}

/// Packages built from the kernel source (they follow the kernel line).
fn kernel_line_package(name: &str) -> bool {
    name.starts_with("kernel") && !name.starts_with("kernel-livepatch")
        || matches!(
            name,
            "perf"
                | "perf-debuginfo"
                | "python-perf"
                | "python3-perf"
                | "python-perf-debuginfo"
                | "python3-perf-debuginfo"
                | "bpftool"
                | "bpftool-debuginfo"
        )
}

/// Matches one host inventory. `index` holds the advisories to use.
pub fn match_host(inv: &HostInventory, index: &AdvisoryIndex) -> HostReport {
    let started = Instant::now();
    let mut not_evaluated = inv.inventory.problems.clone();
    let os_platform = inv.os.as_ref().and_then(platforms_for);
    let os_covered = os_platform.as_deref().is_some_and(|p| index.covers(p));
    let os_pkgs = inv
        .inventory
        .packages
        .iter()
        .filter(|p| matches!(p.kind, PackageKind::Rpm | PackageKind::Deb))
        .count();
    if os_pkgs > 0 && !os_covered {
        not_evaluated.push(Problem::new(
            inv.host.clone(),
            format!(
                "OS {} not covered by the advisory database: {os_pkgs} OS packages not evaluated",
                inv.os.as_ref().map_or("unknown".into(), |o| o.label())
            ),
        ));
    }
    let mut lang_covered = [true; 2];
    for (i, (kind, eco)) in [
        (PackageKind::Maven, "Maven"),
        (PackageKind::Gem, "RubyGems"),
    ]
    .into_iter()
    .enumerate()
    {
        let n = inv
            .inventory
            .packages
            .iter()
            .filter(|p| p.kind == kind)
            .count();
        if n > 0 && !index.covers(eco) {
            lang_covered[i] = false;
            not_evaluated.push(Problem::new(
                inv.host.clone(),
                format!(
                    "no OSV {eco} advisories in the database: {n} {eco} packages not evaluated \
                     (load the osv.dev {eco} export with `saker vulns db update --from`)"
                ),
            ));
        }
    }
    let kernel = inv.kernel.release();
    let mut findings = Vec::new();
    let mut skipped_kernels = Vec::new();
    for p in &inv.inventory.packages {
        let (platform, name, version) = match p.kind {
            PackageKind::Rpm | PackageKind::Deb => {
                if !os_covered {
                    continue;
                }
                let plat = os_platform.clone().unwrap_or_default();
                if plat.starts_with("amzn:") {
                    (plat, p.name.clone(), p.version.clone())
                } else {
                    (
                        plat,
                        p.source_name.clone().unwrap_or_else(|| p.name.clone()),
                        p.source_version
                            .clone()
                            .unwrap_or_else(|| p.version.clone()),
                    )
                }
            }
            PackageKind::Maven if lang_covered[0] => {
                ("Maven".to_string(), p.name.clone(), p.version.clone())
            }
            PackageKind::Gem if lang_covered[1] => {
                ("RubyGems".to_string(), p.name.clone(), p.version.clone())
            }
            PackageKind::Maven | PackageKind::Gem => continue,
        };
        if p.kind == PackageKind::Rpm && is_install_only_kernel(&p.name) {
            if let Some(k) = kernel {
                if kernel_release_of(p) != k {
                    skipped_kernels.push(p.nevra());
                    continue;
                }
            }
        }
        findings.extend(match_package(
            p,
            &platform,
            &name,
            &version,
            index,
            inv.os.as_ref(),
        ));
    }
    if !skipped_kernels.is_empty() {
        not_evaluated.push(Problem::new(
            inv.host.clone(),
            format!(
                "kernel packages not judged because kernel {} is the one in use ({}): {}",
                kernel.unwrap_or("?"),
                match &inv.kernel {
                    crate::inventory::root::KernelChoice::Running(_) => "running",
                    crate::inventory::root::KernelChoice::Given(_) => "given",
                    _ => "newest installed; offline scan",
                },
                skipped_kernels.join(", ")
            ),
        ));
    }
    sort_findings(&mut findings);
    let summary = summarize(inv.inventory.packages.len(), &findings);
    HostReport {
        host: inv.host.clone(),
        os: inv.os.clone(),
        kernel: inv.kernel.clone(),
        findings,
        not_evaluated,
        summary,
        scan_ms: started.elapsed().as_millis() as u64,
    }
}

fn match_package(
    p: &Package,
    platform: &str,
    name: &str,
    version: &str,
    index: &AdvisoryIndex,
    os: Option<&OsInfo>,
) -> Vec<Finding> {
    // advisory id → (advisory, max fixed)
    let mut hits: Vec<(&Advisory, Option<String>)> = Vec::new();
    for (adv, j) in index.lookup(platform, name) {
        let af = &adv.affected[j];
        if kernel_line_package(&p.name) && p.kind == PackageKind::Rpm {
            if let Some(f) = af.ranges.first().and_then(|r| r.fixed.as_deref()) {
                if line(f) != line(version) {
                    continue;
                }
            }
        }
        if let Some(topic) = af.stream.as_deref() {
            let own_repo = matches!(topic, "kernel-livepatch" | "nvidia");
            if !own_repo {
                if let Some(f) = af.ranges.first().and_then(|r| r.fixed.as_deref()) {
                    if line(f) != line(version) {
                        continue;
                    }
                }
            }
        }
        let Some(fixed) = affected_by(af, version) else {
            continue;
        };
        match hits
            .iter_mut()
            .find(|(a, _)| a.id == adv.id && a.source == adv.source)
        {
            Some((_, cur)) => {
                if let (Some(c), Some(f)) = (cur.as_ref(), fixed.as_ref()) {
                    if af.scheme.compare(f, c) == std::cmp::Ordering::Greater {
                        *cur = Some(f.clone());
                    }
                }
            }
            None => hits.push((adv, fixed)),
        }
    }
    hits.into_iter()
        .map(|(a, fixed)| Finding {
            package: p.name.clone(),
            kind: p.kind,
            installed: p.version.clone(),
            arch: p.arch.clone(),
            fixed,
            advisory: a.id.clone(),
            cves: a.cves.clone(),
            severity: a.severity,
            link: a.link.clone(),
            title: a.title.clone(),
            location: p.location.clone(),
            cvss: a.cvss.clone(),
            fix_release: fix_release(os, platform, &a.issued),
        })
        .collect()
}

/// Most severe first, then package, then advisory.
pub fn sort_findings(f: &mut [Finding]) {
    f.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.advisory.cmp(&b.advisory))
    });
}

/// Summary counts of findings.
pub fn summarize(packages: usize, f: &[Finding]) -> Summary {
    let mut s = Summary {
        packages,
        ..Summary::default()
    };
    let mut vuln = std::collections::HashSet::new();
    for x in f {
        vuln.insert((&x.package, &x.installed, &x.location));
        match x.severity {
            Severity::Critical => s.critical += 1,
            Severity::High => s.high += 1,
            Severity::Medium => s.medium += 1,
            Severity::Low => s.low += 1,
            Severity::Unknown => s.unknown += 1,
        }
        if x.fixable() {
            s.fixable += 1;
        }
        if x.fix_release.as_ref().is_some_and(|r| !r.in_host_release) {
            s.fix_in_newer_release += 1;
        }
    }
    s.vulnerable_packages = vuln.len();
    s
}

/// Keeps findings whose severity is in `severities` (all when empty) and,
/// with `fixable`, only those with a published fix; recomputes the summary.
pub fn filter(report: &mut HostReport, severities: &[Severity], fixable: bool) {
    report.findings.retain(|f| {
        (severities.is_empty() || severities.contains(&f.severity)) && (!fixable || f.fixable())
    });
    report.summary = summarize(report.summary.packages, &report.findings);
}
