//! `saker demo`: write a simulated day of CloudTrail, then detect on it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::detect::{run_detect, AlertFormat, DetectArgs, Matching};

/// Arguments of `saker demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the simulated logs (S3 delivery layout). Default: a
    /// `saker-demo` directory in the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Seed of the simulation (the same seed writes the same files).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Alert format on stdout.
    #[arg(long, value_enum, default_value_t = AlertFormat::Text)]
    pub output: AlertFormat,

    /// Only write the logs; do not run detection.
    #[arg(long)]
    pub no_detect: bool,
}

/// Run `saker demo`.
pub fn run_demo(args: DemoArgs) -> ExitCode {
    let out = args
        .out
        .unwrap_or_else(|| std::env::temp_dir().join("saker-demo"));
    let summary = match saker_demo::generate_demo_day(&out, args.seed) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("saker demo: {e}");
            return ExitCode::from(2);
        }
    };
    // The example account's own settings, as a user would write them: the
    // images it builds and the regions it runs in.
    let overrides = out.join("exampleco-rules.yaml");
    let yaml = format!(
        "# ExampleCorp's parameters for saker's built-in EC2 rules.\n\
         - list: ec2_approved_images\n  items: [{}]\n  override:\n    items: replace\n\
         - list: ec2_approved_regions\n  items: [{}]\n  override:\n    items: replace\n",
        summary.approved_images.join(", "),
        summary.home_regions.join(", "),
    );
    if let Err(e) = std::fs::write(&overrides, yaml) {
        eprintln!("saker demo: {}: {e}", overrides.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "saker demo: one simulated day ({}) of CloudTrail for account {} ({}): {} records in {} objects under {}",
        summary.day,
        summary.account_id,
        saker_demo::ACCOUNT_NAME,
        summary.records,
        summary.objects.len(),
        out.join("AWSLogs").display()
    );
    eprintln!(
        "saker demo: hidden in it, an intruder at {} ({} calls); detecting with the built-in rules and {}\n",
        summary.attacker_ip,
        summary.attack.len(),
        overrides.display()
    );
    if args.no_detect {
        return ExitCode::SUCCESS;
    }
    // The objects in delivery-time order across regions (not directory
    // order, region by region), so that the alerts tell the day in order.
    let mut objects = summary.objects.clone();
    objects.sort_by_key(|key| saker_cloudtrail::s3key::TrailKey::parse(key).map(|k| k.stamp_s));
    run_detect(DetectArgs {
        inputs: objects
            .iter()
            .map(|key| out.join(key).display().to_string())
            .collect(),
        live: Default::default(),
        sinks: Default::default(),
        posture: Default::default(),
        rules: vec![overrides],
        no_default_rules: false,
        output: args.output,
        min_priority: saker_rules::Priority::Debug,
        rule_matching: Matching::All,
        since: None,
        until: None,
        account: vec![],
        region: vec![],
        fail_on: None,
        disable_rules: vec![],
        disable_tags: vec![],
        enable_tags: vec![],
        threads: 0,
        include_insights: false,
        max_decoded_size: saker_cloudtrail::DEFAULT_MAX_DECODED_BYTES,
        max_record_size: saker_cloudtrail::DEFAULT_MAX_RECORD_BYTES as u64,
        quiet: false,
    })
}
