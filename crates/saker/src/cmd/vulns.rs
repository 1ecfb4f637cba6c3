//! `saker vulns scan|db`: host vulnerability scanning. Wiring only: the
//! inventory, advisory database, matcher and renderers live in `saker-vulns`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use saker_vulns::advisory::db::{load_path, Db, STALE_AFTER_SECONDS};
use saker_vulns::advisory::fetch::{is_url, Fetcher};
use saker_vulns::advisory::{Advisory, Severity};
use saker_vulns::inventory::os::OsInfo;
use saker_vulns::inventory::pkglist::host_from_list;
use saker_vulns::inventory::root::{scan_root, HostInventory, KernelChoice};
use saker_vulns::matcher::{filter, match_host, platforms_for, AdvisoryIndex, HostReport};
use saker_vulns::report;

#[derive(Subcommand, Debug)]
pub enum VulnsCommand {
    /// Scan root filesystems (`/`, a mounted volume, an unpacked image) or
    /// package lists (`-` for stdin: `rpm -qa --qf …` / `dpkg-query -W …`
    /// output) for vulnerable packages.
    Scan(ScanArgs),
    /// The local advisory database.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Load advisories from URLs, files or directories: Amazon Linux
    /// `mirror.list`, a repository (`…/repodata/repomd.xml`, followed to its
    /// `updateinfo.xml[.gz]`), the AL2 `extras-catalog.json` (every topic),
    /// `updateinfo.xml[.gz]` itself, OSV JSON records and osv.dev `.zip`
    /// exports. Each source found replaces its previous content.
    Update {
        /// URLs, files or directories (repeatable).
        #[arg(long = "from", required = true, value_name = "PATH")]
        from: Vec<String>,
        #[command(flatten)]
        db: DbPath,
    },
    /// Build time and per-source freshness.
    Status {
        #[command(flatten)]
        db: DbPath,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
}

#[derive(Args, Debug)]
pub struct DbPath {
    /// Database file [default: $SAKER_VULNS_DB, else ~/.local/share/saker/vulns.db].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
}

impl DbPath {
    fn path(&self) -> PathBuf {
        if let Some(p) = &self.db {
            return p.clone();
        }
        if let Some(p) = std::env::var_os("SAKER_VULNS_DB") {
            return PathBuf::from(p);
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("saker/vulns.db")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
    Sarif,
    Cyclonedx,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Root directories or package lists (`-` = stdin). Several give the
    /// fleet view. Default: `/`.
    #[arg(value_name = "ROOT|LIST|-")]
    inputs: Vec<String>,
    #[command(flatten)]
    db: DbPath,
    /// Only these severities (comma-separated: critical,high,medium,low,unknown).
    #[arg(long, value_delimiter = ',')]
    severity: Vec<String>,
    /// Only findings with a released fix.
    #[arg(long)]
    fixable: bool,
    /// Output format (`cyclonedx` is the SBOM of the inventory).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Exit 1 when a finding at or above this severity remains after filters.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// OS of package lists without an `# os-release` line (`amzn:2023`,
    /// `amzn:2023.6.20241010` with the AL2023 release, `debian:12`).
    #[arg(long, value_name = "ID:VERSION")]
    os: Option<String>,
    /// Kernel release (`uname -r`) to judge kernel packages against.
    #[arg(long, value_name = "RELEASE")]
    kernel: Option<String>,
}

fn parse_severity(s: &str) -> Option<Severity> {
    let v = Severity::from_word(s);
    (v != Severity::Unknown || s.eq_ignore_ascii_case("unknown")).then_some(v)
}

pub fn run(cmd: VulnsCommand) -> ExitCode {
    match cmd {
        VulnsCommand::Scan(a) => scan(a),
        VulnsCommand::Db(DbCommand::Update { from, db }) => update(&from, &db.path()),
        VulnsCommand::Db(DbCommand::Status { db, output }) => status(&db.path(), output),
    }
}

fn update(from: &[String], path: &Path) -> ExitCode {
    let started = Instant::now();
    let mut fetcher = None;
    // (advisory, index of the --from input it came from)
    let mut all: Vec<(Advisory, usize)> = Vec::new();
    let mut problems = Vec::new();
    let mut failed_inputs = Vec::new();
    for (i, f) in from.iter().enumerate() {
        let (a, p) = if is_url(f) {
            if fetcher.is_none() {
                match Fetcher::new(Duration::from_secs(600)) {
                    Ok(c) => fetcher = Some(c),
                    Err(e) => {
                        eprintln!("saker vulns: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            eprintln!("fetching {}", report::term_safe(f));
            fetcher.as_ref().map(|c| c.load_url(f)).unwrap_or_default()
        } else {
            if !Path::new(f).exists() {
                eprintln!(
                    "saker vulns: {}: no such file or directory",
                    report::term_safe(f)
                );
                return ExitCode::from(2);
            }
            load_path(Path::new(f))
        };
        if a.is_empty() && !p.is_empty() {
            failed_inputs.push(f.clone());
        }
        all.extend(a.into_iter().map(|x| (x, i)));
        problems.extend(p);
    }
    for p in &problems {
        eprintln!("warning: {}", report::term_safe(&p.to_string()));
    }
    let mut db = match Db::open(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("saker vulns: {e}");
            return ExitCode::from(2);
        }
    };
    // One replacement per source, recording the inputs it came from.
    let mut by_source: BTreeMap<String, (Vec<Advisory>, BTreeSet<usize>)> = BTreeMap::new();
    for (a, i) in all {
        let e = by_source.entry(a.source.clone()).or_default();
        e.0.push(a);
        e.1.insert(i);
    }
    let mut updated = 0;
    for (advs, inputs) in by_source.values() {
        let location = inputs
            .iter()
            .map(|&i| from[i].as_str())
            .collect::<Vec<_>>()
            .join(",");
        match db.replace(advs, &location) {
            Ok(sources) => {
                for s in &sources {
                    updated += 1;
                    println!(
                        "{}: {} advisories, {} package entries (newest {})",
                        report::term_safe(&s.name),
                        s.advisories,
                        s.entries,
                        report::term_safe(&s.newest)
                    );
                }
            }
            Err(e) => {
                eprintln!("saker vulns: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "database {}: {updated} sources updated in {} ms, {} problems",
        path.display(),
        started.elapsed().as_millis(),
        problems.len()
    );
    if !failed_inputs.is_empty() {
        eprintln!(
            "saker vulns: nothing loaded from {}; their sources keep their previous content",
            failed_inputs
                .iter()
                .map(|f| report::term_safe(f))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn status(path: &Path, output: Output) -> ExitCode {
    if !path.exists() {
        eprintln!(
            "saker vulns: no database at {} (run `saker vulns db update --from …`)",
            path.display()
        );
        return ExitCode::from(2);
    }
    let st = match Db::open(path).and_then(|d| d.status()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("saker vulns: {e}");
            return ExitCode::from(2);
        }
    };
    if output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&st).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    println!(
        "database {} built {}",
        st.path,
        st.built_at.as_deref().unwrap_or("never")
    );
    println!(
        "{:<36} {:>10} {:>8} {:<22} {:<22} {:>8} LOCATION",
        "SOURCE", "ADVISORIES", "ENTRIES", "NEWEST", "LOADED", "AGE"
    );
    let mut stale = Vec::new();
    for s in &st.sources {
        if s.age_seconds.is_some_and(|a| a > STALE_AFTER_SECONDS) {
            stale.push(s.name.as_str());
        }
        println!(
            "{:<36} {:>10} {:>8} {:<22} {:<22} {:>8} {}",
            report::term_safe(&s.name),
            s.advisories,
            s.entries,
            report::term_safe(&s.newest),
            s.loaded_at,
            s.age_seconds.map_or("?".into(), age),
            report::term_safe(&s.location)
        );
    }
    if st.sources.is_empty() {
        println!("no sources loaded: every OS package would be reported as not evaluated");
    }
    if !stale.is_empty() {
        println!(
            "stale (loaded more than 7 days ago): {}; refresh with `saker vulns db update --from …`",
            stale.join(", ")
        );
    }
    ExitCode::SUCCESS
}

/// `--os ID:VERSION`: `amzn:2023`, `debian:12`; an Amazon Linux 2023
/// release (`amzn:2023.6.20241010`) also gives the release.
fn os_from_flag(s: &str) -> OsInfo {
    let (id, v) = s.split_once(':').unwrap_or((s, ""));
    let mut os = OsInfo {
        id: id.to_string(),
        version_id: v.to_string(),
        ..OsInfo::default()
    };
    if id == "amzn" && v.starts_with("2023.") {
        os.version_id = "2023".into();
        os.release = Some(v.to_string());
    }
    os
}

/// `90061` → `1d 1h`: the two largest units.
fn age(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86400, s % 86400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}

fn read_input(input: &str, os: Option<&OsInfo>) -> Result<HostInventory, String> {
    let p = Path::new(input);
    let (text, name) = if input == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        (s, "-".to_string())
    } else if p.is_dir() {
        let live = std::fs::canonicalize(p)
            .map(|c| c == Path::new("/"))
            .unwrap_or(false);
        return Ok(scan_root(p, live));
    } else {
        (
            std::fs::read_to_string(p).map_err(|e| format!("{input}: {e}"))?,
            input.to_string(),
        )
    };
    let mut h = host_from_list(&text, &name);
    if h.os.is_none() {
        if let Some(o) = os {
            h.os = Some(o.clone());
            h.inventory
                .problems
                .retain(|p| !p.message.contains("OS unknown"));
        }
    }
    Ok(h)
}

fn scan(a: ScanArgs) -> ExitCode {
    let mut sev = Vec::new();
    for s in &a.severity {
        match parse_severity(s) {
            Some(v) => sev.push(v),
            None => {
                eprintln!(
                    "saker vulns: unknown severity {s:?} (critical, high, medium, low, unknown)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let fail_on = match a.fail_on.as_deref().map(|s| (s, parse_severity(s))) {
        None => None,
        Some((_, Some(v))) => Some(v),
        Some((s, None)) => {
            eprintln!(
                "saker vulns: unknown --fail-on severity {s:?} (critical, high, medium, low, unknown)"
            );
            return ExitCode::from(2);
        }
    };
    let os = a.os.as_deref().map(os_from_flag);
    let inputs = if a.inputs.is_empty() {
        vec!["/".to_string()]
    } else {
        a.inputs.clone()
    };
    let db_path = a.db.path();
    let db = if a.output == Output::Cyclonedx {
        None
    } else {
        if !db_path.exists() {
            eprintln!(
                "saker vulns: no advisory database at {} (run `saker vulns db update --from …`)",
                db_path.display()
            );
            return ExitCode::from(2);
        }
        match Db::open(&db_path) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("saker vulns: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let mut reports: Vec<HostReport> = Vec::new();
    let mut indexes: BTreeMap<Vec<String>, AdvisoryIndex> = BTreeMap::new();
    let mut sboms = Vec::new();
    // Inputs that could not be read, or whose package inventory could not be
    // read at all: reported as met, scanned past, and the run exits 2.
    let mut unscanned = 0usize;
    for input in &inputs {
        let started = Instant::now();
        let mut inv = match read_input(input, os.as_ref()) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("saker vulns: {}", report::term_safe(&e));
                unscanned += 1;
                continue;
            }
        };
        if let Some(why) = &inv.no_package_db {
            eprintln!(
                "saker vulns: {}: {}; host not evaluated",
                report::term_safe(&inv.host),
                report::term_safe(why)
            );
            unscanned += 1;
        }
        if let Some(k) = &a.kernel {
            inv.kernel = KernelChoice::Given(k.clone());
        }
        let Some(db) = &db else {
            sboms.push(report::to_cyclonedx(&inv));
            continue;
        };
        let mut platforms: Vec<String> = inv
            .os
            .as_ref()
            .and_then(platforms_for)
            .into_iter()
            .collect();
        platforms.extend(["Maven".to_string(), "RubyGems".to_string()]);
        // Hosts of the same release share one index (fleet scans).
        if !indexes.contains_key(&platforms) {
            match db.advisories_for(&platforms) {
                Ok(v) => {
                    indexes.insert(platforms.clone(), AdvisoryIndex::new(v));
                }
                Err(e) => {
                    eprintln!("saker vulns: {}: {e}", db_path.display());
                    return ExitCode::from(2);
                }
            }
        }
        let mut r = match_host(&inv, &indexes[&platforms]);
        filter(&mut r, &sev, a.fixable);
        r.scan_ms = started.elapsed().as_millis() as u64;
        reports.push(r);
    }
    match a.output {
        Output::Cyclonedx => {
            let doc = if sboms.len() == 1 {
                sboms.remove(0)
            } else {
                serde_json::Value::Array(sboms)
            };
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report::to_json(&reports)).unwrap_or_default()
        ),
        Output::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&report::to_sarif(&reports)).unwrap_or_default()
        ),
        Output::Text => {
            if reports.len() > 1 {
                print!("{}", report::render_fleet(&reports));
                println!();
            }
            for r in &reports {
                print!("{}", report::render_text(r));
            }
        }
    }
    if unscanned > 0 {
        eprintln!(
            "saker vulns: {unscanned} of {} inputs not evaluated (see above)",
            inputs.len()
        );
        return ExitCode::from(2);
    }
    let fired = fail_on.is_some_and(|min| {
        reports
            .iter()
            .flat_map(|r| &r.findings)
            .any(|f| f.severity >= min)
    });
    if fired {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
