//! Package inventories: what is installed under a root filesystem.
//!
//! Every reader returns the packages it could read plus [`Problem`]s for
//! what it could not (with the file and, where known, the offset or line),
//! so a scan never turns unreadable input into a silent "nothing found".

pub mod dpkg;
pub mod gem;
pub mod jar;
pub mod os;
pub mod pkglist;
pub mod root;
pub mod rpm_header;
pub mod rpmdb;

use serde::Serialize;

/// The package manager or ecosystem a package was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// rpm (rpmdb).
    Rpm,
    /// Debian package (dpkg status).
    Deb,
    /// Java archive (Maven coordinates `groupId:artifactId`).
    Maven,
    /// Ruby gem.
    Gem,
}

impl PackageKind {
    /// The version ordering of this kind.
    pub fn scheme(self) -> crate::version::Scheme {
        use crate::version::Scheme;
        match self {
            PackageKind::Rpm => Scheme::Rpm,
            PackageKind::Deb => Scheme::Dpkg,
            PackageKind::Maven => Scheme::Maven,
            PackageKind::Gem => Scheme::Gem,
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Kind (package manager or language ecosystem).
    pub kind: PackageKind,
    /// Binary package name; for Maven `groupId:artifactId`.
    pub name: String,
    /// Full comparable version: rpm `[E:]V-R`, dpkg version, jar/gem version.
    pub version: String,
    /// rpm epoch as stored (`None` when the header has no EPOCH tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// Architecture (`x86_64`, `noarch`, `amd64`…), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package name (rpm `SOURCERPM` name, dpkg `Source:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version (dpkg `Source: x (v)`, rpm from `SOURCERPM`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Vendor (rpm VENDOR), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// rpm MODULARITYLABEL, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    /// Where it was found (database file, jar path, gemspec path).
    pub location: String,
    /// Files the package owns (rpm only; used to drop language copies of
    /// rpm-owned files). Not serialised.
    #[serde(skip)]
    pub files: Vec<String>,
}

impl Package {
    /// A package with only the required fields set.
    pub fn new(kind: PackageKind, name: &str, version: &str, location: &str) -> Self {
        Package {
            kind,
            name: name.to_string(),
            version: version.to_string(),
            epoch: None,
            arch: None,
            source_name: None,
            source_version: None,
            vendor: None,
            modularity_label: None,
            location: location.to_string(),
            files: Vec::new(),
        }
    }

    /// `name-version.arch` (rpm NEVRA style) for display.
    pub fn nevra(&self) -> String {
        match &self.arch {
            Some(a) => format!("{}-{}.{}", self.name, self.version, a),
            None => format!("{}-{}", self.name, self.version),
        }
    }
}

/// Something that could not be read or evaluated, with its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// File (and offset, page or line) the problem is about.
    pub location: String,
    /// What went wrong, and what was skipped because of it.
    pub message: String,
}

impl Problem {
    /// Builds a problem.
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Packages read from one source, and the problems met reading it.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Inventory {
    /// Packages found.
    pub packages: Vec<Package>,
    /// Problems met (each names its location).
    pub problems: Vec<Problem>,
}

impl Inventory {
    /// Appends another inventory.
    pub fn extend(&mut self, other: Inventory) {
        self.packages.extend(other.packages);
        self.problems.extend(other.problems);
    }
}
