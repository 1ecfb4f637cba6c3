//! `saker detect` on live sources: `s3://BUCKET[/PREFIX]` inputs and
//! `--sqs QUEUE_URL`, with a state store.

use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use saker_alerts::{AlertSink, StreamFormat};
use saker_detect::live::status::now_ns;
use saker_detect::live::{
    Live, LiveError, LiveOptions, LiveProgress, LiveSource, ProgressEvent, StatusTracker,
    StopSignal,
};
use saker_detect::{DetectOptions, Summary};
use saker_ingest::aws::AwsOptions;
use saker_ingest::s3::{FetchOptions, S3Url};
use saker_ingest::sqs::{region_of_queue_url, ReceiveOptions};
use saker_rules::ruleset::Ruleset;
use saker_store::{open_store, SharedStore};

use super::detect::DetectArgs;

/// Options of the live sources (S3 and SQS).
#[derive(Args, Debug, Default)]
pub struct LiveArgs {
    /// Read S3 event notifications (direct or through SNS) or EventBridge
    /// CloudTrail events from this SQS queue; a message is deleted once all
    /// its records were evaluated and their alerts delivered.
    #[arg(long, value_name = "QUEUE_URL", help_heading = "Live sources")]
    pub sqs: Option<String>,

    /// State store remembering processed objects and messages, follow
    /// positions and delivered alerts, so a restart neither re-reads nor
    /// repeats: a SQLite file (created if missing; workers on one machine),
    /// or postgres://USER:PASSWORD@HOST[:PORT]/DB (workers on several
    /// machines; no TLS: sslmode=require is refused). Default: in memory
    /// (this run only).
    #[arg(long, value_name = "PATH|URL", help_heading = "Live sources")]
    pub state: Option<String>,

    /// With s3:// inputs: keep polling for new objects until interrupted.
    #[arg(long, help_heading = "Live sources")]
    pub follow: bool,

    /// Seconds between --follow polls.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        help_heading = "Live sources"
    )]
    pub poll_interval: u64,

    /// With --sqs: stop when a receive returns no message.
    #[arg(long, help_heading = "Live sources")]
    pub until_empty: bool,

    /// With --sqs: long-poll wait of each receive, in seconds (0-20).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 20,
        help_heading = "Live sources"
    )]
    pub sqs_wait: i32,

    /// With --sqs: visibility timeout of received messages, in seconds;
    /// extended every third of it while their work lasts.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 120,
        help_heading = "Live sources"
    )]
    pub sqs_visibility: i32,

    /// S3 downloads in flight at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 8,
        help_heading = "Live sources"
    )]
    pub downloads: usize,

    /// AWS region of the API calls (default: AWS_REGION, the profile's, or
    /// the queue URL's). `--region` filters records by region.
    #[arg(long, value_name = "REGION", help_heading = "AWS access")]
    pub aws_region: Option<String>,

    /// Named profile of the AWS shared config files.
    #[arg(long, value_name = "NAME", help_heading = "AWS access")]
    pub profile: Option<String>,

    /// Endpoint for S3 and SQS (an emulator, a VPC endpoint); AWS_ENDPOINT_URL
    /// is also honoured.
    #[arg(long, value_name = "URL", help_heading = "AWS access")]
    pub endpoint_url: Option<String>,
}

/// Run the live part of `saker detect`; `Err` carries the exit status of a
/// failure already reported.
pub fn run_live(
    args: &DetectArgs,
    ruleset: &Ruleset,
    detect: DetectOptions,
    format: StreamFormat,
) -> Result<(Summary, Option<super::detect_posture::Shared>), ExitCode> {
    let live = &args.live;
    let mut urls = Vec::new();
    for input in &args.inputs {
        match S3Url::parse(input) {
            Some(u) => urls.push(u),
            None => {
                eprintln!(
                    "saker detect: {input}: local inputs cannot be mixed with s3:// inputs or --sqs"
                );
                return Err(ExitCode::from(2));
            }
        }
    }
    if live.sqs.is_some() && !urls.is_empty() {
        eprintln!("saker detect: --sqs and s3:// inputs are separate runs; give one or the other");
        return Err(ExitCode::from(2));
    }
    if live.follow && urls.is_empty() {
        eprintln!("saker detect: --follow applies to s3:// inputs");
        return Err(ExitCode::from(2));
    }

    let store = match open_store(live.state.as_deref().unwrap_or(":memory:")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("saker detect: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let store: SharedStore = Arc::new(Mutex::new(store));
    // The exposure tracker persists only in a store that outlives the run.
    let posture_store = live.state.is_some().then(|| store.clone());
    let posture = super::detect_posture::start_for(args, posture_store)?;

    let region = live.aws_region.clone().or_else(|| {
        // Without any configured region, the queue's own region.
        let configured = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        if configured {
            None
        } else {
            live.sqs.as_deref().and_then(region_of_queue_url)
        }
    });
    let opts = LiveOptions {
        detect,
        aws: AwsOptions {
            region,
            profile: live.profile.clone(),
            endpoint_url: live.endpoint_url.clone(),
        },
        fetch: FetchOptions {
            concurrency: live.downloads.max(1),
        },
        follow: live
            .follow
            .then(|| Duration::from_secs(live.poll_interval.max(1))),
        receive: ReceiveOptions {
            wait_s: live.sqs_wait.clamp(0, 20),
            visibility_s: live.sqs_visibility.max(3),
            ..ReceiveOptions::default()
        },
        until_empty: live.until_empty,
        ..LiveOptions::default()
    };

    let sink: Box<dyn AlertSink> = match super::sinks::build(&args.sinks, format) {
        Ok(s) => Box::new(s),
        Err(e) => {
            eprintln!("saker detect: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let mut run = match Live::new(ruleset, opts, store, sink, StopSignal::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("saker detect: {e}");
            return Err(ExitCode::from(2));
        }
    };
    if let Some(p) = &posture {
        run.set_tap(Box::new(super::detect_posture::Tap(p.clone())));
    }
    run.stop_on_signals();
    let source = if live.sqs.is_some() {
        LiveSource::Sqs
    } else {
        LiveSource::S3
    };
    let status = status_line(args.quiet);
    if !args.quiet {
        let mut tracker = StatusTracker::new(source, Instant::now());
        match &status {
            // A terminal: one line, redrawn about once a second.
            Some(bar) => {
                let bar = bar.clone();
                let warn_bar = bar.clone();
                run.on_warning(move |m: &str| {
                    warn_bar.suspend(|| eprintln!("saker detect: {}", escape_terminal(m)))
                });
                bar.set_message("listing…");
                let mut last_draw: Option<Instant> = None;
                run.on_progress(move |event: ProgressEvent, p: &LiveProgress| {
                    let now = Instant::now();
                    tracker.observe(p, now);
                    if event != ProgressEvent::Unit
                        || last_draw.is_none_or(|t| now.duration_since(t) >= STATUS_REFRESH)
                    {
                        last_draw = Some(now);
                        bar.set_message(tracker.terminal_line(p, now, now_ns()));
                    }
                });
            }
            // Logs: one logfmt line per batch and per poll.
            None => run.on_progress(move |event: ProgressEvent, p: &LiveProgress| {
                let now = Instant::now();
                tracker.observe(p, now);
                if let Some(line) = tracker.log_line(event, p, now, now_ns()) {
                    eprintln!("{line}");
                }
            }),
        }
    }
    let result = match &live.sqs {
        Some(q) => run.run_sqs(q),
        None => run.run_s3(&urls),
    };
    if let Some(bar) = &status {
        bar.finish_and_clear();
    }
    let suppressed = run.duplicates_suppressed();
    let summary = run.summary();
    drop(run);
    match result {
        Ok(()) => {}
        Err(LiveError::Sink(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Err(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("saker detect: {e}");
            return Err(ExitCode::from(2));
        }
    }
    if suppressed > 0 && !args.quiet {
        eprintln!("state: {suppressed} alert(s) already delivered earlier, not repeated");
    }
    Ok((summary, posture))
}

/// How often the terminal status is redrawn while units complete.
const STATUS_REFRESH: Duration = Duration::from_secs(1);

/// Control characters (and so terminal escape sequences) in attacker-
/// controlled text (S3 keys, SQS bodies quoted in warnings) made visible.
fn escape_terminal(m: &str) -> String {
    m.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A one-line status on stderr, only when stderr is a terminal.
fn status_line(quiet: bool) -> Option<ProgressBar> {
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}  [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
