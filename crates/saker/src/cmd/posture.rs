//! `saker posture collect|check|scan|diff|frameworks`: CSPM for EC2, VPC and
//! EBS. Wiring only: collection, checks, frameworks, the mutelist and the
//! reports live in `saker-posture`.
//!
//! Exit codes: 0 done (whatever was found), 1 an unmuted FAIL at or above
//! `--fail-on` (or, for `diff --fail-on-new`, a new unmuted failure), 2 bad
//! usage or unusable input (inventory, framework, mutelist, rules files,
//! an empty report, a `--region` the account does not have), or
//! `--fail-on` on a run that evaluated nothing (every finding
//! NOT_EVALUATED).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use saker_posture::checks::{all_checks, run_checks, CheckMeta};
use saker_posture::collect::{collect_blocking, CollectOptions};
use saker_posture::ec2api::ApiCounts;
use saker_posture::framework::{self, annotate, evaluate, Framework, FrameworkResult};
use saker_posture::inventory::RegionInventory;
use saker_posture::mutelist::Mutelist;
use saker_posture::report::{csv, diff, html, json, ocsf, table};
use saker_posture::{Finding, Inventory, Params, Severity, Status};
use saker_rules::loader::Loader;
use saker_rules::output::escape_for_terminal as term;

#[derive(Subcommand, Debug)]
pub enum PostureCommand {
    /// Collect the EC2, VPC and EBS inventory of accounts and regions into
    /// a JSON file (read-only API calls).
    Collect(CollectArgs),
    /// Check an inventory file offline: findings, framework tables and
    /// reports.
    Check(CheckArgs),
    /// Collect and check in one go.
    Scan(ScanArgs),
    /// What changed between two `--output json` reports of earlier runs.
    Diff(DiffArgs),
    /// List the built-in frameworks (and, with --checks, the checks).
    Frameworks(FrameworksArgs),
}

/// Where and how to collect.
#[derive(Args, Debug)]
pub struct AwsArgs {
    /// Region to collect (repeatable) [default: every region enabled for
    /// the account].
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Role to assume, one account each (repeatable).
    #[arg(long = "role-arn", value_name = "ARN")]
    role_arns: Vec<String>,
    /// Account id to collect by assuming --role-name in it (repeatable).
    #[arg(long = "account", value_name = "ID", requires = "role_name")]
    accounts: Vec<String>,
    /// Role name assumed in every --account.
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// External id the roles require for sts:AssumeRole.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// Named profile of the AWS shared config files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// One endpoint for EC2, IAM and STS (an emulator such as moto).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Regions collected at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Also list the API requests per API (with retries, throttled
    /// responses and failed calls) on stderr. The counts are saved in the
    /// inventory's `api_calls` either way.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Args, Debug)]
pub struct CollectArgs {
    #[command(flatten)]
    aws: AwsArgs,
    /// Inventory file to write.
    #[arg(long = "out", value_name = "FILE")]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Inventory file written by `saker posture collect`.
    #[arg(value_name = "INVENTORY")]
    inventory: PathBuf,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    report: ReportArgs,
    /// Also save the inventory to FILE (for `check` or a later comparison).
    #[arg(long = "inventory-out", value_name = "FILE")]
    inventory_out: Option<PathBuf>,
}

/// What to check the inventory against and how to report it.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Framework to report on: a built-in id (`saker posture frameworks`)
    /// or a framework YAML file (repeatable) [default: every built-in].
    #[arg(long = "framework", value_name = "ID|FILE")]
    frameworks: Vec<String>,
    /// Mutelist file: findings it matches are reported MUTED, with the
    /// entry's reason.
    #[arg(long, value_name = "FILE")]
    mutelist: Option<PathBuf>,
    /// Rules file or directory whose lists set the check parameters
    /// (ec2_approved_regions, ec2_approved_images, posture_admin_ports,
    /// posture_max_stopped_days); repeatable, loaded after the built-in
    /// rules.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    rules: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Write the report to FILE instead of stdout.
    #[arg(long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Exit 1 when an unmuted FAIL finding has this severity or a higher
    /// one (informational, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Table output: list PASS findings too (they are always counted).
    #[arg(long)]
    show_pass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A table per framework, then the findings that are not PASS.
    Table,
    /// One JSON object per finding per line.
    Json,
    /// OCSF Detection Finding events, one JSON array.
    Ocsf,
    Csv,
    /// One self-contained HTML file.
    Html,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier `--output json` report.
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The later one.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// `text` (a summary) or `json` (one object).
    #[arg(long, value_enum, default_value_t = DiffOutput::Text)]
    output: DiffOutput,
    /// Exit 1 when NEW has an unmuted failure OLD did not have.
    #[arg(long)]
    fail_on_new: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffOutput {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct FrameworksArgs {
    /// List the checks (ids to use in framework and mutelist files) too.
    #[arg(long)]
    checks: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    framework::parse_severity(s).ok_or_else(|| {
        format!("invalid severity '{s}': expected informational, low, medium, high or critical")
    })
}

pub fn run(cmd: PostureCommand) -> ExitCode {
    match cmd {
        PostureCommand::Collect(a) => match collect_inventory(&a.aws) {
            Ok(inv) => save_inventory(&inv, &a.out),
            Err(code) => code,
        },
        PostureCommand::Check(a) => match Inventory::load(&a.inventory) {
            Ok(inv) => check(&inv, &a.inventory.display().to_string(), &a.report),
            Err(_) if is_findings_report(&a.inventory) => fail(&format!(
                "{} is a findings report, not an inventory (use `saker posture diff OLD NEW` to compare reports)",
                a.inventory.display()
            )),
            Err(e) => fail(&e.to_string()),
        },
        PostureCommand::Scan(a) => {
            let inv = match collect_inventory(&a.aws) {
                Ok(inv) => inv,
                Err(code) => return code,
            };
            if let Some(p) = &a.inventory_out {
                let code = save_inventory(&inv, p);
                if code != ExitCode::SUCCESS {
                    return code;
                }
            }
            check(&inv, "scan", &a.report)
        }
        PostureCommand::Diff(a) => run_diff(&a),
        PostureCommand::Frameworks(a) => list_frameworks(&a),
    }
}

/// True when `path` reads back as a findings report (`--output json`) with
/// at least one finding.
fn is_findings_report(path: &Path) -> bool {
    File::open(path)
        .ok()
        .and_then(|f| diff::read_findings(f, "").ok())
        .is_some_and(|r| !r.findings.is_empty())
}

/// `saker posture: MESSAGE` on stderr (escaped), exit 2.
fn fail(message: &str) -> ExitCode {
    eprintln!("saker posture: {}", term(message));
    ExitCode::from(2)
}

fn known_checks() -> Vec<&'static str> {
    all_checks().iter().map(|c| c.meta().id).collect()
}

fn collect_inventory(a: &AwsArgs) -> Result<Inventory, ExitCode> {
    let opts = CollectOptions {
        regions: (!a.regions.is_empty()).then(|| a.regions.clone()),
        role_arns: a.role_arns.clone(),
        accounts: a.accounts.clone(),
        role_name: a.role_name.clone(),
        external_id: a.external_id.clone(),
        profile: a.profile.clone(),
        endpoint_url: a.endpoint_url.clone(),
        max_concurrency: a.concurrency.max(1),
        ..CollectOptions::default()
    };
    let run = collect_blocking(&opts).map_err(|e| fail(&e.to_string()))?;
    let regions: usize = run.inventory.accounts.iter().map(|a| a.regions.len()).sum();
    eprintln!(
        "collected {} account(s), {} region(s) in {:.1}s: {} API request(s)",
        run.inventory.accounts.len(),
        regions,
        run.elapsed.as_secs_f64(),
        run.total_requests()
    );
    if a.verbose {
        eprint!("{}", api_table(&run.api_calls));
    }
    if let Some(message) = unknown_regions(&run.inventory) {
        return Err(fail(&message));
    }
    report_collect_errors(&run.inventory);
    Ok(run.inventory)
}

/// The usage error for `--region` values that cannot be collected: any
/// region no account knows (`UnknownRegion`: not in DescribeRegions), or
/// every requested region when none is enabled in any account
/// (`RegionNotEnabled`). `None` when the regions are usable.
fn unknown_regions(inv: &Inventory) -> Option<String> {
    let code_of = |r: &RegionInventory| {
        r.errors
            .values()
            .next()
            .filter(|e| e.code == "UnknownRegion" || e.code == "RegionNotEnabled")
            .map(|e| e.code.clone())
    };
    // region -> (accounts where unknown, accounts where not enabled, accounts where usable)
    let mut by_region: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for a in &inv.accounts {
        for r in &a.regions {
            let e = by_region.entry(r.region.as_str()).or_default();
            match code_of(r).as_deref() {
                Some("UnknownRegion") => e.0 += 1,
                Some(_) => e.1 += 1,
                None => e.2 += 1,
            }
        }
    }
    let unknown: Vec<&str> = by_region
        .iter()
        .filter(|(_, c)| c.0 > 0 && c.2 == 0 && c.1 == 0)
        .map(|(r, _)| *r)
        .collect();
    if !unknown.is_empty() {
        return Some(format!(
            "--region {}: not a region of the account (DescribeRegions does not list it)",
            unknown.join(", ")
        ));
    }
    let usable = by_region.values().any(|c| c.2 > 0);
    if !by_region.is_empty() && !usable {
        let all: Vec<&str> = by_region.keys().copied().collect();
        return Some(format!(
            "--region {}: not enabled for the account(s) (opt in, or choose an enabled region)",
            all.join(", ")
        ));
    }
    None
}

/// Requests per API as an indented table, APIs in name order:
/// `  ec2:DescribeInstances  3  0  0  0` under
/// `API REQUESTS RETRIES THROTTLED FAILED`.
fn api_table(calls: &BTreeMap<String, ApiCounts>) -> String {
    let mut rows = vec![[
        "API".to_string(),
        "REQUESTS".into(),
        "RETRIES".into(),
        "THROTTLED".into(),
        "FAILED".into(),
    ]];
    for (api, c) in calls {
        rows.push([
            api.clone(),
            c.requests.to_string(),
            c.retries.to_string(),
            c.throttled.to_string(),
            c.failed.to_string(),
        ]);
    }
    columns(&rows)
        .lines()
        .map(|l| format!("  {}\n", term(l)))
        .collect()
}

fn save_inventory(inv: &Inventory, path: &Path) -> ExitCode {
    match inv.save(path) {
        Ok(()) => {
            eprintln!("inventory written to {}", term(&path.display().to_string()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// List the failed API calls of an inventory on stderr (at most 20 lines):
/// the checks that need them report NOT_EVALUATED. Identical errors of one
/// account and region (a region that cannot be reached fails every API
/// the same way) are one line, with the number of APIs.
fn report_collect_errors(inv: &Inventory) {
    // (account, region, error) -> APIs, in first-seen order.
    type Key<'a> = (&'a str, &'a str, String);
    let mut groups: Vec<(Key<'_>, Vec<&str>)> = Vec::new();
    let mut count = 0usize;
    for a in &inv.accounts {
        let scopes = std::iter::once(("-", &a.errors))
            .chain(a.regions.iter().map(|r| (r.region.as_str(), &r.errors)));
        for (region, errs) in scopes {
            for (api, e) in errs {
                count += 1;
                let key = (a.account_id.as_str(), region, e.to_string());
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, apis)) => apis.push(api),
                    None => groups.push((key, vec![api])),
                }
            }
        }
    }
    if groups.is_empty() {
        return;
    }
    eprintln!(
        "partial inventory: {count} API call(s) failed; checks that need them are NOT_EVALUATED:"
    );
    const SHOWN: usize = 20;
    for ((account, region, error), apis) in groups.iter().take(SHOWN) {
        let what = match apis.as_slice() {
            [one] => one.to_string(),
            many => format!("{} APIs", many.len()),
        };
        eprintln!(
            "  {} {} {}: {}",
            term(account),
            term(region),
            term(&what),
            term(error)
        );
    }
    if groups.len() > SHOWN {
        eprintln!("  … and {} more", groups.len() - SHOWN);
    }
}

/// Check `inv` and write the report; `origin` names the inventory.
fn check(inv: &Inventory, origin: &str, args: &ReportArgs) -> ExitCode {
    let known = known_checks();
    let frameworks = match framework::resolve(&args.frameworks, &known) {
        Ok(f) => f,
        Err(e) => return fail(&e.to_string()),
    };
    let mutelist = match &args.mutelist {
        Some(p) => match Mutelist::load_file(p, &known) {
            Ok(m) => Some(m),
            Err(e) => return fail(&e.to_string()),
        },
        None => None,
    };
    let params = match load_params(&args.rules) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };

    let regions: usize = inv.accounts.iter().map(|a| a.regions.len()).sum();
    eprintln!(
        "{}: {} account(s), {} region(s), collected {}",
        term(origin),
        inv.accounts.len(),
        regions,
        term(&inv.collected_at)
    );
    if regions == 0 {
        eprintln!("warning: the inventory holds no region: nothing was checked");
    }
    if origin != "scan" {
        report_collect_errors(inv);
    }

    let checks = all_checks();
    let mut findings = run_checks(&checks, inv, &params, chrono::Utc::now());
    annotate(&mut findings, &frameworks);
    if let Some(m) = &mutelist {
        let stats = m.apply(&mut findings, inv);
        eprintln!(
            "mutelist {}: {} finding(s) muted",
            term(&m.origin),
            stats.muted
        );
        for e in &stats.unused_entries {
            eprintln!("warning: mutelist entry {} muted nothing", term(e));
        }
    }
    let run: HashSet<&str> = checks.iter().map(|c| c.meta().id).collect();
    let results: Vec<FrameworkResult<'_>> = frameworks
        .iter()
        .map(|f| evaluate(f, &findings, &run))
        .collect();

    if let Err(e) = write_report(args, &findings, &results) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
        let target = args
            .out
            .as_ref()
            .map_or("stdout".to_string(), |p| p.display().to_string());
        return fail(&format!("{target}: {e}"));
    }
    if args.output != Output::Table || args.out.is_some() {
        eprintln!("{}", table::summary_line(&findings));
        for r in &results {
            eprintln!(
                "{}: {}",
                term(&r.framework.id),
                table::score_line(&r.score())
            );
        }
    }
    if let Some(out) = &args.out {
        eprintln!("report written to {}", term(&out.display().to_string()));
    }
    let evaluated = findings
        .iter()
        .filter(|f| f.status != Status::NotEvaluated)
        .count();
    if args.fail_on.is_some() && evaluated == 0 {
        eprintln!(
            "saker posture: --fail-on: nothing was evaluated ({} finding(s), all NOT_EVALUATED): the data could not be collected, so the run proves nothing",
            findings.len()
        );
        return ExitCode::from(2);
    }
    match args.fail_on {
        Some(min) if failing_at(&findings, min) > 0 => {
            eprintln!(
                "{} unmuted FAIL finding(s) at or above {}",
                failing_at(&findings, min),
                min.as_str()
            );
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// The check parameters: lists of saker's built-in rules, then of the
/// `--rules` files (later files append to or override lists, as in Falco),
/// loaded with saker's field tables so the rules' plugin requirements hold.
fn load_params(paths: &[PathBuf]) -> Result<Params, String> {
    let mut loader = Loader::new(saker_detect::rulesets::builtin_tables());
    for (name, text) in saker_detect::rulesets::BUILTIN_RULE_FILES {
        loader.load_embedded(name, text);
    }
    for p in paths {
        loader.load_path(p);
    }
    let result = loader.finish();
    let errors: Vec<String> = result.errors().map(|d| d.to_string()).collect();
    if !errors.is_empty() {
        return Err(format!(
            "the rules files are unusable:\n{}",
            errors.join("\n")
        ));
    }
    Params::from_load_result(&result).map_err(|e| e.to_string())
}

fn failing_at(findings: &[Finding], min: Severity) -> usize {
    findings
        .iter()
        .filter(|f| f.muted.is_none() && f.status == Status::Fail && f.severity >= min)
        .count()
}

fn write_report(
    args: &ReportArgs,
    findings: &[Finding],
    results: &[FrameworkResult<'_>],
) -> io::Result<()> {
    let mut out: BufWriter<Box<dyn Write>> = BufWriter::new(match &args.out {
        Some(p) => Box::new(File::create(p)?),
        None => Box::new(io::stdout().lock()),
    });
    let metas: HashMap<&str, &'static CheckMeta> = all_checks()
        .iter()
        .map(|c| (c.meta().id, c.meta()))
        .collect();
    let meta = |id: &str| metas.get(id).copied();
    let now = chrono::Utc::now();
    match args.output {
        Output::Table => {
            for r in results {
                table::write_framework(&mut out, r)?;
                writeln!(out)?;
            }
            table::write_findings(&mut out, findings, args.show_pass)?;
            writeln!(out)?;
            writeln!(out, "{}", table::summary_line(findings))?;
        }
        Output::Json => json::write(&mut out, findings, meta)?,
        Output::Ocsf => ocsf::write(&mut out, findings, meta, now)?,
        Output::Csv => csv::write(&mut out, findings, meta, now)?,
        Output::Html => html::write(&mut out, findings, meta, now)?,
    }
    out.flush()
}

fn run_diff(a: &DiffArgs) -> ExitCode {
    let read = |p: &Path| -> Result<Vec<Finding>, String> {
        let name = p.display().to_string();
        let file = File::open(p).map_err(|e| format!("{name}: {e}"))?;
        let r = diff::read_findings(file, &name).map_err(|e| e.to_string())?;
        for s in &r.skipped {
            eprintln!("warning: skipped {}", term(s));
        }
        Ok(r.findings)
    };
    let (old, new) = match (read(&a.old), read(&a.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => return fail(&e),
    };
    let d = diff::diff(&old, &new);
    let out = io::stdout().lock();
    let written = match a.output {
        DiffOutput::Text => diff::write_summary(out, &d),
        DiffOutput::Json => diff::write_json(out, &d),
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(&format!("stdout: {e}")),
        _ if a.fail_on_new && d.has_new_unmuted_failures() => {
            eprintln!(
                "{} new unmuted failure(s), {} newly failing requirement(s) on still-failing findings",
                d.new_failures.iter().filter(|t| !t.new_muted).count(),
                d.newly_failing_requirement_count()
            );
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

fn list_frameworks(a: &FrameworksArgs) -> ExitCode {
    let known = known_checks();
    let frameworks: Vec<Framework> = match framework::builtin::load_all(&known) {
        Ok(f) => f,
        Err(e) => return fail(&e.to_string()),
    };
    let mut out = io::stdout().lock();
    let mut rows = vec![[
        "ID".to_string(),
        "VERSION".into(),
        "REQUIREMENTS".into(),
        "CHECKED".into(),
        "NAME".into(),
    ]];
    for f in &frameworks {
        let checked = f
            .requirements
            .iter()
            .filter(|r| !r.checks.is_empty())
            .count();
        rows.push([
            f.id.clone(),
            f.version.clone(),
            f.requirements.len().to_string(),
            checked.to_string(),
            f.name.clone(),
        ]);
    }
    let mut text = columns(&rows);
    if a.checks {
        let mut rows = vec![[
            "CHECK".to_string(),
            "REF".into(),
            "SEVERITY".into(),
            "RESOURCE".into(),
            "TITLE".into(),
        ]];
        for c in all_checks() {
            let m = c.meta();
            rows.push([
                m.id.to_string(),
                m.short_id.to_string(),
                m.severity.as_str().to_string(),
                m.resource_type.to_string(),
                m.title.to_string(),
            ]);
        }
        text.push('\n');
        text.push_str(&columns(&rows));
    }
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(&format!("stdout: {e}")),
        _ => ExitCode::SUCCESS,
    }
}

/// Left-aligned columns, two spaces apart; the last one unpadded.
fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            s.push_str(c);
            if i + 1 < N {
                s.extend(std::iter::repeat_n(' ', widths[i] - c.chars().count() + 2));
            }
        }
        s.push('\n');
    }
    s
}
