//! `saker runtime`: Falco-format `syscall` rules over Linux audit events.

use super::{hostname, parse_priority};
use std::cell::RefCell;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use saker_alerts::{AlertSink, StreamFormat, StreamSink};
use saker_rules::output::{JsonOptions, OutputOptions};
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_rules::{Alert, Priority};
use saker_runtime::audit::Arch;
use saker_runtime::audit_rules::{generate, Needs};
use saker_runtime::check::{check, gather, Level};
use saker_runtime::event::{parse_passwd, RuntimeEvent};
use saker_runtime::instance::{discover, is_instance_id};
use saker_runtime::pipeline::{RunSummary, Runtime, RuntimeOptions};
use saker_runtime::rulesets::{load_runtime_ruleset, LoadedRuleset};
use saker_runtime::source::{read_lines, FollowEvent, Follower};

/// Output format of alerts on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    /// Falco's text line: `<time>: <Priority> <output>`.
    Text,
    /// Falco's JSON alert, one per line.
    Json,
}

/// Arguments shared by the run and its subcommands (rule selection).
#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// Add a Falco rules file or directory (repeatable; loaded after the
    /// built-in host rules, so it may override their lists and macros).
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,

    /// Do not load saker's built-in host rules.
    #[arg(long)]
    pub no_default_rules: bool,

    /// Run only rules at least this severe (emergency, alert, critical,
    /// error, warning, notice, info, debug).
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority, default_value = "debug")]
    pub min_priority: Priority,

    /// Disable rules whose name matches this pattern (`*`, `?`; repeatable).
    #[arg(long = "disable-rule", short = 'D', value_name = "PATTERN")]
    pub disable_rules: Vec<String>,

    /// Disable rules with this tag (repeatable).
    #[arg(long = "disable-tag", short = 'T', value_name = "TAG")]
    pub disable_tags: Vec<String>,

    /// Run only rules with one of these tags (repeatable).
    #[arg(long = "enable-tag", short = 't', value_name = "TAG")]
    pub enable_tags: Vec<String>,
}

/// Arguments of `saker runtime`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RuntimeArgs {
    #[command(subcommand)]
    pub command: Option<RuntimeCommand>,

    /// Read an audit log file (e.g. /var/log/audit/audit.log).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["stdin", "netlink"])]
    pub audit_log: Option<PathBuf>,

    /// Keep reading the audit log as it grows, across rotation (`tail -F`).
    #[arg(long, short = 'f', requires = "audit_log")]
    pub follow: bool,

    /// With --follow: start at the end of the file (only new events).
    #[arg(long, requires = "follow")]
    pub from_end: bool,

    /// Read audit records on stdin (auditd plugin, `format = string`).
    #[arg(long, conflicts_with = "netlink")]
    pub stdin: bool,

    /// Read the kernel's audit netlink multicast group (root with
    /// CAP_AUDIT_READ; read-only, auditd keeps running).
    #[arg(long)]
    pub netlink: bool,

    /// The EC2 instance id alerts carry (default for live sources and
    /// --local-host: found from the Nitro board asset tag or IMDSv2 on EC2;
    /// none elsewhere and none for a plain --audit-log file).
    #[arg(long, value_name = "ID")]
    pub instance_id: Option<String>,

    /// Treat a plain --audit-log file as written by this host: names of
    /// raw uids from this host's /etc/passwd, this host's name where
    /// records carry no `node=`, its instance id (implied by --follow,
    /// --stdin and --netlink).
    #[arg(long)]
    pub local_host: bool,

    #[command(flatten)]
    pub rule_args: RuleArgs,

    /// Alert format on stdout.
    #[arg(long, value_enum, default_value_t = AlertFormat::Text)]
    pub output: AlertFormat,

    /// `all`: every matching rule alerts (default); `first`: only the first (Falco's default).
    #[arg(long, value_parser = ["all", "first"], default_value = "all")]
    pub rule_matching: String,

    /// Exit with status 1 when an alert at or above this priority fired.
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub fail_on: Option<Priority>,

    /// Seed the process table from /proc (live use on this host).
    #[arg(long)]
    pub seed_proc: bool,

    /// Do not print the closing summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `saker runtime` subcommands.
#[derive(Subcommand, Debug)]
pub enum RuntimeCommand {
    /// Print the audit rules the enabled rules need (install as
    /// /etc/audit/rules.d/50-saker.rules).
    AuditRules {
        /// x86_64 or aarch64 (default: this machine's).
        #[arg(long, value_name = "ARCH")]
        arch: Option<String>,
        #[command(flatten)]
        rule_args: RuleArgs,
    },
    /// Check that this host's audit configuration lets the enabled rules
    /// see what they need (run as root). Exit 1 on a failure.
    Check {
        #[command(flatten)]
        rule_args: RuleArgs,
    },
}

fn load(args: &RuleArgs, matching: RuleMatching) -> Result<LoadedRuleset, ExitCode> {
    let ropts = RulesetOptions {
        rule_matching: matching,
        min_priority: args.min_priority,
        enabled_tags: args.enable_tags.iter().cloned().collect(),
        disabled_rules: args.disable_rules.clone(),
        disabled_tags: args.disable_tags.iter().cloned().collect(),
        ..RulesetOptions::default()
    };
    let extra = super::builtin_tables()
        .into_iter()
        .filter(|t| t.source() != saker_runtime::SYSCALL_SOURCE)
        .collect();
    load_runtime_ruleset(!args.no_default_rules, &args.rules, extra, &ropts).map_err(|diags| {
        for d in &diags {
            eprintln!("{d}");
        }
        eprintln!("saker runtime: the rules cannot be used (see `saker rules validate`)");
        ExitCode::from(2)
    })
}

/// Run `saker runtime`.
pub fn run(args: RuntimeArgs) -> ExitCode {
    match args.command {
        Some(RuntimeCommand::AuditRules { arch, rule_args }) => audit_rules(arch, &rule_args),
        Some(RuntimeCommand::Check { rule_args }) => run_check(&rule_args),
        None => run_events(args),
    }
}

fn audit_rules(arch: Option<String>, rule_args: &RuleArgs) -> ExitCode {
    let arch = match arch.as_deref().map(Arch::parse).unwrap_or_else(Arch::host) {
        Some(a) => a,
        None => {
            eprintln!("saker runtime audit-rules: unknown architecture (x86_64 or aarch64)");
            return ExitCode::from(2);
        }
    };
    let loaded = match load(rule_args, RuleMatching::All) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let needs = Needs::of(&loaded.ruleset);
    print!("{}", generate(&needs, arch));
    eprintln!(
        "saker runtime: warning: a `-a never,task` rule (stock on Amazon Linux) disables all of the above; `saker runtime check` finds it"
    );
    ExitCode::SUCCESS
}

fn run_check(rule_args: &RuleArgs) -> ExitCode {
    let Some(arch) = Arch::host() else {
        eprintln!(
            "saker runtime check: unsupported architecture {}",
            std::env::consts::ARCH
        );
        return ExitCode::from(2);
    };
    let loaded = match load(rule_args, RuleMatching::All) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let needs = Needs::of(&loaded.ruleset);
    let report = check(&gather(), &needs, arch);
    print!("{report}");
    match report.worst() {
        Level::Fail => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Who and where for a run. `local`: the records come from this host (a
/// live source or --local-host): raw uids are named from /etc/passwd, the
/// host is this one (`FALCO_HOSTNAME` or gethostname) and the instance id
/// is discovered. Otherwise (a log read after the fact, maybe copied from
/// another machine): only ENRICHED names (else numeric uids), the records'
/// `node=` (else `<NA>`), and only an explicit instance id.
fn identity(local: bool, explicit_id: Option<&str>) -> RuntimeOptions {
    if !local {
        return RuntimeOptions {
            output: OutputOptions {
                hostname: "<NA>".to_string(),
                time_format_iso_8601: false,
            },
            instance_id: explicit_id.map(str::to_string),
            ..RuntimeOptions::default()
        };
    }
    let users = std::fs::read_to_string("/etc/passwd")
        .map(|t| parse_passwd(&t))
        .unwrap_or_default();
    let (instance_id, imds_error) = discover(explicit_id);
    if let Some(e) = imds_error {
        eprintln!("saker runtime: warning: no instance id from the instance metadata service ({e}); give --instance-id");
    }
    RuntimeOptions {
        output: OutputOptions {
            hostname: hostname(),
            time_format_iso_8601: false,
        },
        users,
        instance_id: instance_id.map(|(id, _)| id),
        ..RuntimeOptions::default()
    }
}

fn run_events(args: RuntimeArgs) -> ExitCode {
    if args.audit_log.is_none() && !args.stdin && !args.netlink {
        eprintln!(
            "saker runtime: give --audit-log PATH, --stdin or --netlink (or a subcommand: audit-rules, check)"
        );
        return ExitCode::from(2);
    }
    if let Some(id) = &args.instance_id {
        if !is_instance_id(id) {
            eprintln!(
                "saker runtime: --instance-id {id:?} is not an instance id (i-0123456789abcdef0)"
            );
            return ExitCode::from(2);
        }
    }
    let matching = if args.rule_matching == "first" {
        RuleMatching::First
    } else {
        RuleMatching::All
    };
    let loaded = match load(&args.rule_args, matching) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let enabled = loaded.ruleset.rules().iter().filter(|r| r.enabled).count();
    if enabled == 0 {
        eprintln!("saker runtime: warning: no syscall rule is enabled");
    }
    let live = args.follow || args.stdin || args.netlink;
    let opts = identity(live || args.local_host, args.instance_id.as_deref());
    let mut rt = Runtime::new(&loaded.ruleset, opts);
    if args.seed_proc {
        let n = rt.table_mut().seed_from_proc();
        if !args.quiet {
            eprintln!("saker runtime: process table seeded with {n} processes from /proc");
        }
    }
    let format = match args.output {
        AlertFormat::Text => StreamFormat::Text,
        AlertFormat::Json => StreamFormat::Json(JsonOptions::default()),
    };
    let mut sink = StreamSink::new(io::BufWriter::new(io::stdout()), format);
    let sink_error: RefCell<Option<io::Error>> = RefCell::new(None);
    let mut on_alert = |a: &Alert, _e: &RuntimeEvent| {
        if sink_error.borrow().is_some() {
            return;
        }
        let r = sink
            .deliver(a, "")
            .and_then(|()| if live { sink.flush() } else { Ok(()) });
        if let Err(e) = r {
            *sink_error.borrow_mut() = Some(e);
        }
    };

    let mut read_error = None;
    if args.netlink {
        if let Err(e) = read_netlink(&mut rt, &mut on_alert, &sink_error, args.quiet) {
            eprintln!("saker runtime: --netlink: {e}");
            return ExitCode::from(2);
        }
    } else if args.stdin {
        let stdin = io::stdin();
        let r = read_lines(BufReader::new(stdin.lock()), &mut |n, l| {
            rt.feed_line(n, l, &mut on_alert)
        });
        if let Err(e) = r {
            read_error = Some(format!("stdin: {e}"));
        }
    } else if let Some(path) = &args.audit_log {
        let mut f = match Follower::open(path, args.from_end) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("saker runtime: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        loop {
            match f.poll(&mut |n, l| rt.feed_line(n, l, &mut on_alert)) {
                Ok((got, ev)) => {
                    match ev {
                        Some(FollowEvent::Rotated { at_line }) if !args.quiet => {
                            eprintln!(
                                "saker runtime: {} rotated after line {at_line}",
                                path.display()
                            )
                        }
                        Some(FollowEvent::Truncated { at_line }) if !args.quiet => {
                            eprintln!(
                                "saker runtime: {} truncated after line {at_line}",
                                path.display()
                            )
                        }
                        _ => {}
                    }
                    if !args.follow {
                        f.finish(&mut |n, l| rt.feed_line(n, l, &mut on_alert));
                        break;
                    }
                    if got == 0 {
                        rt.tick(now_ms(), &mut on_alert);
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                Err(e) => {
                    read_error = Some(format!("{}: {e}", path.display()));
                    break;
                }
            }
            if sink_error.borrow().is_some() {
                break;
            }
        }
    }
    let summary = rt.finish(&mut on_alert);
    let _ = sink.flush();
    if let Some(e) = sink_error.into_inner() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("saker runtime: writing alerts: {e}");
            return ExitCode::from(2);
        }
        return ExitCode::SUCCESS;
    }
    if !args.quiet {
        print_summary(&summary, &loaded, enabled);
    }
    if let Some(e) = read_error {
        eprintln!("saker runtime: {e}");
        return ExitCode::from(2);
    }
    match (args.fail_on, summary.most_severe) {
        (Some(threshold), Some(worst)) if worst.at_least(threshold) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// Read the kernel's audit multicast group until the alert sink fails
/// (or the process is stopped). Returns an error only when the group
/// cannot be joined; receive errors and overruns are reported and counted.
#[cfg(target_os = "linux")]
fn read_netlink(
    rt: &mut Runtime<'_>,
    on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent),
    sink_error: &RefCell<Option<io::Error>>,
    quiet: bool,
) -> Result<(), String> {
    use saker_runtime::netlink::{AuditMulticast, MulticastStats};
    let mut src = AuditMulticast::open(Duration::from_millis(250)).map_err(|e| e.to_string())?;
    if !quiet {
        eprintln!(
            "saker runtime: reading the kernel audit multicast group (netlink); line numbers count records"
        );
    }
    let mut stats = MulticastStats::default();
    let mut warn = |m: String| eprintln!("saker runtime: netlink: {m}");
    while sink_error.borrow().is_none() {
        if let Err(e) = src.pump(rt, on_alert, &mut stats, &now_ms, 250, &mut warn) {
            eprintln!(
                "saker runtime: netlink: receive failed after record {}: {e}",
                stats.records
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn read_netlink(
    _: &mut Runtime<'_>,
    _: &mut dyn FnMut(&Alert, &RuntimeEvent),
    _: &RefCell<Option<io::Error>>,
    _: bool,
) -> Result<(), String> {
    Err("the audit netlink socket exists on Linux only".into())
}

fn print_summary(summary: &RunSummary, loaded: &LoadedRuleset, enabled: usize) {
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "rules: {} syscall rule(s) enabled of {} loaded{}",
        enabled,
        loaded.ruleset.rules().len(),
        match loaded.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning(s) (see `saker rules validate`)"),
        }
    );
    let _ = writeln!(err, "{summary}");
}
