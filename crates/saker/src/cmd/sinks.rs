//! Where `saker detect` sends alerts: stdout always, plus the sinks named by
//! flags.

use std::io;
use std::path::PathBuf;

use clap::Args;
use saker_alerts::{
    HttpBody, HttpSink, JsonLinesFileSink, MultiSink, RetryPolicy, StreamFormat, StreamSink,
};
use saker_rules::output::JsonOptions;

/// Alert destinations besides stdout.
#[derive(Args, Debug, Default, Clone)]
pub struct SinkArgs {
    /// Also append Falco JSON alerts to this file (one per line, synced to
    /// disk after each input).
    #[arg(long, value_name = "PATH", help_heading = "Alert destinations")]
    pub alerts_file: Option<PathBuf>,

    /// Also POST each alert as Falco's JSON alert to this URL (falcosidekick,
    /// any webhook; repeatable).
    #[arg(
        long = "webhook",
        value_name = "URL",
        help_heading = "Alert destinations"
    )]
    pub webhooks: Vec<String>,

    /// Also post each alert to this Slack incoming webhook (repeatable).
    #[arg(
        long = "slack-webhook",
        value_name = "URL",
        help_heading = "Alert destinations"
    )]
    pub slack_webhooks: Vec<String>,

    /// Attempts per webhook request before the alert is spooled.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        help_heading = "Alert destinations"
    )]
    pub webhook_attempts: u32,

    /// Where alerts an endpoint did not accept wait, on disk, to be resent
    /// by this or the next run (default: $XDG_STATE_HOME/saker/spool or
    /// ~/.local/state/saker/spool).
    #[arg(long, value_name = "DIR", help_heading = "Alert destinations")]
    pub spool_dir: Option<PathBuf>,
}

fn default_spool_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("saker/spool");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/state/saker/spool"),
        None => std::env::temp_dir().join("saker-spool"),
    }
}

/// stdout in `format`, then the file, webhooks and Slack webhooks asked for.
///
/// # Errors
/// A message naming the destination that cannot be set up.
pub fn build(args: &SinkArgs, format: StreamFormat) -> Result<MultiSink<'static>, String> {
    let mut multi = MultiSink::new();
    multi.push(Box::new(StreamSink::new(
        io::BufWriter::new(io::stdout()),
        format,
    )));
    if let Some(p) = &args.alerts_file {
        let sink = JsonLinesFileSink::open(p, JsonOptions::default()).map_err(|e| e.to_string())?;
        multi.push(Box::new(sink));
    }
    let spool_dir = args.spool_dir.clone().unwrap_or_else(default_spool_dir);
    let retry = RetryPolicy {
        attempts: args.webhook_attempts.max(1),
        ..RetryPolicy::default()
    };
    for (urls, body) in [
        (&args.webhooks, HttpBody::FalcoJson),
        (&args.slack_webhooks, HttpBody::Slack),
    ] {
        for url in urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "{url}: a webhook URL starts with http:// or https://"
                ));
            }
            let sink =
                HttpSink::new(url, body, retry, &spool_dir).map_err(|e| format!("webhook: {e}"))?;
            multi.push(Box::new(sink));
        }
    }
    Ok(multi)
}
