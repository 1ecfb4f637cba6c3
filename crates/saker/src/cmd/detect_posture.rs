//! `saker detect --posture`: continuous posture beside the detection rules
//! (the engine is `saker_posture::continuous::watch`; this is wiring).

use std::cell::RefCell;
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use clap::Args;
use saker_alerts::AlertSink;
use saker_detect::RecordTap;
use saker_posture::collect::CollectOptions;
use saker_posture::continuous::aws::AwsDescriber;
use saker_posture::continuous::{
    ExposureTracker, PostureChange, PostureWatch, Transition, WatchConfig,
};
use saker_posture::{Inventory, Params};
use saker_rules::loader::Loader;
use saker_rules::output::escape_for_terminal;
use saker_store::SharedStore;

/// The state-store name of the exposure tracker.
pub const STATE_NAME: &str = "posture.exposures";

/// Options of `--posture`.
#[derive(Args, Debug, Default)]
pub struct PostureArgs {
    /// Also re-check posture: events that change EC2/VPC/EBS resources
    /// re-describe and re-check exactly those resources; posture changes
    /// (new FAIL, resolved with the exposure window) are sent to the same
    /// outputs as alerts (rule `Posture: <check title>`). Starts with a
    /// full collection unless --posture-inventory is given.
    #[arg(long, help_heading = "Continuous posture")]
    pub posture: bool,

    /// Start from this saved inventory (`saker posture collect --out`)
    /// instead of collecting at start.
    #[arg(long, value_name = "FILE", help_heading = "Continuous posture")]
    pub posture_inventory: Option<PathBuf>,

    /// Time between full collections, catching what events miss: 30m, 6h,
    /// 1d, or seconds; 0 = none after the first.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "24h",
        value_parser = parse_interval,
        help_heading = "Continuous posture"
    )]
    pub posture_scan_interval: Duration,

    /// Role to assume into an account for collection and re-describes
    /// (repeatable), as `saker posture collect --role-arn`. Default: the
    /// current credentials' account.
    #[arg(long, value_name = "ARN", help_heading = "Continuous posture")]
    pub posture_role_arn: Vec<String>,

    /// Region to collect (repeatable) [default: every enabled region].
    #[arg(long, value_name = "REGION", help_heading = "Continuous posture")]
    pub posture_region: Vec<String>,
}

/// `30m`, `6h`, `1d`, `90s` or plain seconds.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (30m, 6h, 1d, or seconds)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{text:?}: unit must be s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

/// The running engine, shared between the pipeline (as a [`RecordTap`])
/// and the command (for the closing summary).
pub type Shared = Rc<RefCell<PostureTap>>;

/// The engine as a [`RecordTap`].
pub struct PostureTap {
    watch: PostureWatch<AwsDescriber>,
    hostname: String,
    store: Option<SharedStore>,
    warn_store: bool,
    /// Changes reported so far (for the summary).
    changes: Vec<PostureChange>,
    /// The baseline's changes, delivered with the first tick.
    pending: Vec<PostureChange>,
}

impl PostureTap {
    fn deliver(&mut self, changes: Vec<PostureChange>, sink: &mut dyn AlertSink) -> io::Result<()> {
        for c in changes {
            let (alert, raw) = c.to_alert(&self.hostname);
            sink.deliver(&alert, &raw)?;
            self.changes.push(c);
        }
        Ok(())
    }

    fn save(&mut self) {
        let Some(store) = &self.store else { return };
        let json = self.watch.tracker().to_json();
        let r = store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_state_value(STATE_NAME, &json);
        if let Err(e) = r {
            if self.warn_store {
                eprintln!("saker detect: posture: cannot save the exposure state: {e}");
                self.warn_store = false;
            }
        }
    }
}

/// A [`RecordTap`] over the shared engine.
pub struct Tap(pub Shared);

fn selects(source: &str, name: &str) -> bool {
    PostureWatch::<AwsDescriber>::selects(source, name)
}

impl RecordTap for Tap {
    fn selects(&self) -> fn(&str, &str) -> bool {
        selects
    }

    fn record(&mut self, raw: &str, sink: &mut dyn AlertSink) -> io::Result<()> {
        let mut t = self.0.borrow_mut();
        let changes = t.watch.record_json(raw, chrono::Utc::now());
        t.deliver(changes, sink)
    }

    fn tick(&mut self, sink: &mut dyn AlertSink, end: bool) -> io::Result<()> {
        let mut t = self.0.borrow_mut();
        let mut changes = std::mem::take(&mut t.pending);
        changes.extend(t.watch.tick(chrono::Utc::now()));
        if end {
            changes.extend(t.watch.finish());
        }
        t.deliver(changes, sink)?;
        t.save();
        Ok(())
    }
}

/// Parameters from saker's built-in rules and the `--rules` files (lists
/// `ec2_approved_regions`, `ec2_approved_images`, `posture_admin_ports`,
/// `posture_max_stopped_days`).
fn load_params(paths: &[PathBuf]) -> Result<Params, String> {
    let mut loader = Loader::new(saker_detect::rulesets::builtin_tables());
    for (name, text) in saker_detect::rulesets::BUILTIN_RULE_FILES {
        loader.load_embedded(name, text);
    }
    for p in paths {
        loader.load_path(p);
    }
    let result = loader.finish();
    Params::from_load_result(&result).map_err(|e| e.to_string())
}

/// Start the engine: parameters, tracker (from the store), the first
/// inventory (saved or collected now). The baseline's changes are
/// delivered with the first tick.
///
/// # Errors
/// A message for the user (bad inventory, collection failure, unusable
/// saved state).
#[allow(clippy::too_many_arguments)]
pub fn start(
    args: &PostureArgs,
    rules: &[PathBuf],
    endpoint_url: Option<String>,
    aws_region: Option<String>,
    profile: Option<String>,
    store: Option<SharedStore>,
    hostname: String,
    quiet: bool,
) -> Result<Shared, String> {
    let params = load_params(rules)?;
    let tracker = match &store {
        Some(s) => match s
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .state_value(STATE_NAME)
            .map_err(|e| e.to_string())?
        {
            Some(json) => ExposureTracker::from_json(&json)
                .map_err(|e| format!("saved posture state ({STATE_NAME}): {e}"))?,
            None => ExposureTracker::default(),
        },
        None => ExposureTracker::default(),
    };
    let inventory = match &args.posture_inventory {
        Some(p) => Some(Inventory::load(p).map_err(|e| e.to_string())?),
        None => None,
    };
    let opts = CollectOptions {
        regions: (!args.posture_region.is_empty()).then(|| args.posture_region.clone()),
        role_arns: args.posture_role_arn.clone(),
        profile,
        home_region: aws_region,
        endpoint_url,
        ..CollectOptions::default()
    };
    let mut describer = AwsDescriber::new(opts)?;
    if let Some(inv) = &inventory {
        describer.learn_roles(inv);
    }
    if !quiet {
        eprintln!(
            "posture: {}",
            match &args.posture_inventory {
                Some(p) => format!("starting from {}", p.display()),
                None => "collecting the inventory…".to_string(),
            }
        );
    }
    let config = WatchConfig {
        scan_interval: (!args.posture_scan_interval.is_zero())
            .then_some(args.posture_scan_interval),
        ..WatchConfig::default()
    };
    let (watch, baseline) = PostureWatch::start(
        describer,
        params,
        inventory,
        tracker,
        config,
        chrono::Utc::now(),
    )?;
    let tap = PostureTap {
        watch,
        hostname,
        store,
        warn_store: true,
        changes: Vec::new(),
        pending: baseline,
    };
    Ok(Rc::new(RefCell::new(tap)))
}

/// [`start`] with the `detect` command's arguments; `None` without
/// `--posture`. Prints the error and gives exit status 2 on failure.
///
/// # Errors
/// The exit status of a failure already reported.
pub fn start_for(
    args: &super::detect::DetectArgs,
    store: Option<SharedStore>,
) -> Result<Option<Shared>, std::process::ExitCode> {
    if !args.posture.posture {
        return Ok(None);
    }
    start(
        &args.posture,
        &args.rules,
        args.live.endpoint_url.clone(),
        args.live.aws_region.clone(),
        args.live.profile.clone(),
        store,
        super::hostname(),
        args.quiet,
    )
    .map(Some)
    .map_err(|e| {
        eprintln!("saker detect: posture: {e}");
        std::process::ExitCode::from(2)
    })
}

fn term(s: &str) -> String {
    escape_for_terminal(s).into_owned()
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The closing posture summary (stderr): changes, open exposures, closed
/// windows, and what could not be re-checked.
pub fn print_summary(shared: &Shared) {
    let t = shared.borrow();
    let s = t.watch.stats();
    let failed = t
        .changes
        .iter()
        .filter(|c| c.transition == Transition::Failed)
        .count();
    eprintln!(
        "posture: {} change(s): {} new FAIL, {} resolved; {} routed record(s), {} event-implied FAIL(s), {} re-check(s) ({} resource(s) re-read, {} failed), {} full scan(s)",
        t.changes.len(),
        failed,
        t.changes.len() - failed,
        s.routed,
        s.implied,
        s.rechecks,
        s.lookups,
        s.lookup_errors,
        s.scans
    );
    let (open, closed) = t.watch.exposures();
    let by_events: Vec<_> = open.iter().filter(|e| e.opened_by.is_some()).collect();
    eprintln!(
        "posture: open exposures: {} ({} opened by events, {} seen failing by a scan)",
        open.len(),
        by_events.len(),
        open.len() - by_events.len()
    );
    for e in by_events.iter().take(20) {
        let by = e.opened_by.as_ref().expect("filtered");
        eprintln!(
            "  {} open since {} ({} by {})",
            term(&e.finding_id),
            rfc3339(e.opened_at),
            term(&by.event_name),
            term(&by.actor)
        );
    }
    eprintln!("posture: closed windows: {}", closed.len());
    for w in closed.iter().rev().take(20) {
        eprintln!(
            "  {} {} – {} ({}s), opened by {}, closed by {}",
            term(&w.finding_id),
            rfc3339(w.opened_at),
            rfc3339(w.closed_at),
            w.duration().num_seconds(),
            term(w.opened_by.as_ref().map_or("a scan", |e| e.actor.as_str())),
            term(w.closed_by.as_ref().map_or("a scan", |e| e.actor.as_str())),
        );
    }
    let unresolved: u64 = s.unresolved.values().sum();
    if unresolved > 0 {
        let why: Vec<String> = s
            .unresolved
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        eprintln!(
            "posture: {unresolved} routed resource(s) left to the periodic scan ({})",
            why.join(", ")
        );
    }
    let unusable: u64 = s.unusable.values().sum();
    if unusable > 0 || s.bad_records > 0 {
        eprintln!(
            "posture: {} record(s) in the routing table were unusable, {} not JSON",
            unusable, s.bad_records
        );
    }
    for e in &s.errors {
        eprintln!("posture: warning: {}", term(e));
    }
}
