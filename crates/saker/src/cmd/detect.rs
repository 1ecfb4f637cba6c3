//! `saker detect [INPUT...]`: Falco-format rules over CloudTrail records.

use super::{hostname, parse_priority};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use saker_alerts::StreamFormat;
use saker_cloudtrail::s3key::FileFilter;
use saker_detect::{
    load_cloudtrail_ruleset, parse_time_arg, run_tapped, DetectOptions, Progress, RecordTap,
    RuleSources, RunError, TimeWindow,
};
use saker_ingest::expand_inputs;
use saker_rules::output::{JsonOptions, OutputOptions};
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_rules::Priority;

/// Output format of alerts on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    /// Falco's text line: `<time>: <Priority> <output>`.
    Text,
    /// Falco's JSON alert, one per line.
    Json,
}

/// `--rule-matching` (Falco's `rule_matching`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Matching {
    /// Every matching rule raises an alert (saker's default).
    All,
    /// Only the first matching rule, in file order (Falco's default).
    First,
}

/// Arguments of `saker detect`.
#[derive(Args, Debug)]
pub struct DetectArgs {
    /// CloudTrail files or directories (searched recursively), or `-` for
    /// stdin. Gzip is detected by content. Accepted layouts: S3 delivery
    /// files ({"Records":[…]}), JSON arrays, single records, JSON lines,
    /// CloudWatch Logs subscription and EventBridge envelopes.
    ///
    /// `s3://BUCKET[/PREFIX]` reads CloudTrail objects from S3 (standard
    /// and organization trail layouts; see docs/aws.md).
    #[arg(value_name = "INPUT", required_unless_present = "sqs")]
    pub inputs: Vec<String>,

    #[command(flatten)]
    pub live: super::detect_live::LiveArgs,

    #[command(flatten)]
    pub sinks: super::sinks::SinkArgs,

    #[command(flatten)]
    pub posture: super::detect_posture::PostureArgs,

    /// Add a Falco rules file or directory (repeatable; loaded after the
    /// built-in rules, so it may override their lists and macros).
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,

    /// Do not load saker's built-in EC2 rules.
    #[arg(long)]
    pub no_default_rules: bool,

    /// Alert format on stdout.
    #[arg(long, value_enum, default_value_t = AlertFormat::Text)]
    pub output: AlertFormat,

    /// Run only rules at least this severe (emergency, alert, critical,
    /// error, warning, notice, info, debug).
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority, default_value = "debug")]
    pub min_priority: Priority,

    /// `all`: every matching rule alerts; `first`: only the first (Falco's default).
    #[arg(long, value_enum, default_value_t = Matching::All)]
    pub rule_matching: Matching,

    /// Only events at or after this time: RFC 3339, a date, or a duration
    /// ago (30m, 6h, 7d). Files in the S3 layout are skipped by name.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only events at or before this time (same forms as --since; a date
    /// alone means the end of that day, so `--since D --until D` is day D).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only these AWS accounts (repeatable or comma-separated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub account: Vec<String>,

    /// Only these regions (repeatable or comma-separated).
    #[arg(long, value_name = "REGION", value_delimiter = ',')]
    pub region: Vec<String>,

    /// Exit with status 1 when an alert at or above this priority fired.
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub fail_on: Option<Priority>,

    /// Disable rules whose name matches this pattern (`*`, `?`; repeatable).
    #[arg(long = "disable-rule", short = 'D', value_name = "PATTERN")]
    pub disable_rules: Vec<String>,

    /// Disable rules with this tag (repeatable).
    #[arg(long = "disable-tag", short = 'T', value_name = "TAG")]
    pub disable_tags: Vec<String>,

    /// Run only rules with one of these tags (repeatable).
    #[arg(long = "enable-tag", short = 't', value_name = "TAG")]
    pub enable_tags: Vec<String>,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Largest decoded (decompressed) size of one input file or S3 object,
    /// e.g. `512M`, `2G` (K/M/G/T are powers of 1024; plain number: bytes).
    /// Inflation stops there; the rest of the input is skipped and counted
    /// as `decoded size over LIMIT`. Default 1G (a gzip bomb guard; real
    /// CloudTrail delivery files decode to a few hundred MB at most).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1G")]
    pub max_decoded_size: u64,

    /// Largest single record evaluated, e.g. `16M` (same units as
    /// `--max-decoded-size`); larger records are skipped and counted with
    /// their file and record index. Default 16M (real records are KBs).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16M")]
    pub max_record_size: u64,

    /// Evaluate CloudTrail Insights records too (skipped and counted by default).
    #[arg(long)]
    pub include_insights: bool,

    /// Do not print the closing summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Parse a byte size: a whole number with an optional binary suffix
/// `K`, `M`, `G`, `T` (also `KB`/`KiB`, …; powers of 1024), e.g. `512M`,
/// `2G`, `1048576`. Zero and overflow are errors.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size '{s}' (expected e.g. 512M, 2G)"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("invalid size unit in '{s}' (use K, M, G or T)")),
    };
    let v = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size '{s}' is too large"))?;
    if v == 0 {
        return Err(format!("size '{s}' must be greater than 0"));
    }
    Ok(v)
}

/// Run `saker detect`.
pub fn run_detect(args: DetectArgs) -> ExitCode {
    let now = chrono::Utc::now();
    let mut window = TimeWindow::default();
    for (arg, slot, end_of_day) in [
        (&args.since, &mut window.since_ns, false),
        (&args.until, &mut window.until_ns, true),
    ] {
        if let Some(v) = arg {
            let bare_date = chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").is_ok();
            match parse_time_arg(v, now) {
                Ok(ns) if end_of_day && bare_date => {
                    *slot = Some(ns.saturating_add(86_400_000_000_000 - 1))
                }
                Ok(ns) => *slot = Some(ns),
                Err(e) => {
                    eprintln!("saker detect: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    if let (Some(s), Some(u)) = (window.since_ns, window.until_ns) {
        if s > u {
            eprintln!("saker detect: --since is after --until");
            return ExitCode::from(2);
        }
    }

    let ropts = RulesetOptions {
        rule_matching: match args.rule_matching {
            Matching::All => RuleMatching::All,
            Matching::First => RuleMatching::First,
        },
        min_priority: args.min_priority,
        enabled_tags: args.enable_tags.iter().cloned().collect(),
        disabled_rules: args.disable_rules.clone(),
        disabled_tags: args.disable_tags.iter().cloned().collect(),
        ..RulesetOptions::default()
    };
    let sources = RuleSources {
        builtin: !args.no_default_rules,
        paths: args.rules.clone(),
    };
    let loaded = match load_cloudtrail_ruleset(&sources, &ropts) {
        Ok(l) => l,
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("saker detect: the rules cannot be used (see `saker rules validate`)");
            return ExitCode::from(2);
        }
    };
    let enabled = loaded.ruleset.rules().iter().filter(|r| r.enabled).count();
    if enabled == 0 {
        if args.fail_on.is_some() {
            // A CI gate that can never fire would pass silently.
            eprintln!("saker detect: no CloudTrail rule is enabled, so --fail-on could never fire");
            return ExitCode::from(2);
        }
        eprintln!("saker detect: warning: no CloudTrail rule is enabled");
    }

    let (since_s, until_s) = window.seconds();
    let opts = DetectOptions {
        threads: args.threads,
        file_filter: FileFilter {
            since_s,
            until_s,
            accounts: args.account.clone(),
            regions: args.region.clone(),
            keep_digests: false,
        },
        window,
        accounts: args.account.clone(),
        regions: args.region.clone(),
        decode: saker_cloudtrail::DecodeOptions {
            evaluate_insights: args.include_insights,
            max_decompressed_bytes: args.max_decoded_size,
            max_record_bytes: usize::try_from(args.max_record_size).unwrap_or(usize::MAX),
        },
        output: OutputOptions {
            hostname: hostname(),
            time_format_iso_8601: false,
        },
    };

    let format = match args.output {
        AlertFormat::Text => StreamFormat::Text,
        AlertFormat::Json => StreamFormat::Json(JsonOptions::default()),
    };
    if args.live.sqs.is_some() || args.inputs.iter().any(|i| i.starts_with("s3://")) {
        let (summary, posture) =
            match super::detect_live::run_live(&args, &loaded.ruleset, opts, format) {
                Ok(s) => s,
                Err(code) => return code,
            };
        if let (Some(p), false) = (&posture, args.quiet) {
            super::detect_posture::print_summary(p);
        }
        return finish(&args, &loaded, enabled, &summary);
    }

    let (units, input_errors) = expand_inputs(&args.inputs);
    for e in &input_errors {
        eprintln!("saker detect: {e}");
    }
    if units.is_empty() {
        eprintln!("saker detect: nothing to read");
        return ExitCode::from(2);
    }

    let mut sink = match super::sinks::build(&args.sinks, format) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("saker detect: {e}");
            return ExitCode::from(2);
        }
    };

    // --posture on files: the tracker persists only with --state.
    let store = match &args.live.state {
        Some(spec) if args.posture.posture => match saker_store::open_store(spec) {
            Ok(s) => Some(std::sync::Arc::new(std::sync::Mutex::new(s))),
            Err(e) => {
                eprintln!("saker detect: {e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let posture = match super::detect_posture::start_for(&args, store) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut tap = posture.clone().map(super::detect_posture::Tap);

    let bar = progress_bar(units.len() as u64, args.quiet);
    let mut on_progress = |p: &Progress| {
        if let Some(bar) = &bar {
            bar.set_position(p.units_done);
            bar.set_message(format!("{} records, {} alerts", p.records, p.alerts));
        }
    };
    let result = run_tapped(
        &units,
        &loaded.ruleset,
        &opts,
        &mut sink,
        tap.as_mut().map(|t| t as &mut dyn RecordTap),
        &mut on_progress,
    )
    .and_then(|s| match tap.as_mut() {
        Some(t) => t.tick(&mut sink, true).map(|()| s).map_err(RunError::Sink),
        None => Ok(s),
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut summary = match result {
        Ok(s) => s,
        Err(RunError::Sink(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("saker detect: {e}");
            return ExitCode::from(2);
        }
    };
    // A last flush: webhook sinks resend what an earlier run spooled.
    if let Err(e) = saker_alerts::AlertSink::flush(&mut sink) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("saker detect: {e}");
            return ExitCode::from(2);
        }
    }
    drop(sink);

    // Named inputs that do not exist count as unreadable, and make the run
    // exit 2 (bad usage) once the rest was processed, so that a mistyped path
    // does not pass a CI check.
    summary.units += input_errors.len() as u64;
    summary
        .unit_errors
        .extend(input_errors.iter().map(|e| e.to_string()));
    if let (Some(p), false) = (&posture, args.quiet) {
        super::detect_posture::print_summary(p);
    }
    let code = finish(&args, &loaded, enabled, &summary);
    if input_errors.is_empty() {
        code
    } else {
        ExitCode::from(2)
    }
}

/// Print the closing summary and choose the exit status.
fn finish(
    args: &DetectArgs,
    loaded: &saker_detect::LoadedRuleset,
    enabled: usize,
    summary: &saker_detect::Summary,
) -> ExitCode {
    if !args.quiet {
        let mut err = io::stderr().lock();
        let _ = writeln!(
            err,
            "rules: {} CloudTrail rule(s) enabled of {} loaded{}",
            enabled,
            loaded.ruleset.rules().len(),
            match loaded.warnings.len() {
                0 => String::new(),
                n => format!(", {n} warning(s) (see `saker rules validate`)"),
            }
        );
        let _ = writeln!(err, "{summary}");
        if summary.units_read == 0 && summary.units_filtered > 0 {
            let _ = writeln!(
                err,
                "saker detect: warning: every input was skipped by its name (the account, region and time in S3 key names); check --account, --region, --since and --until"
            );
        }
    }
    match (args.fail_on, summary.most_severe) {
        (Some(threshold), Some(worst)) if worst.at_least(threshold) => {
            if !args.quiet {
                eprintln!(
                    "saker detect: exit 1: --fail-on {}: an alert at {} fired",
                    threshold.as_str(),
                    worst.as_str()
                );
            }
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// A progress bar on stderr, only when stderr is a terminal and the alerts
/// go elsewhere (when they stream to the same terminal they are the
/// progress, and a bar would be drawn through them).
fn progress_bar(total: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || !io::stderr().is_terminal() || io::stdout().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} inputs  {msg}  [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
