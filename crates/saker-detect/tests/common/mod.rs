//! Helpers shared by the pipeline tests.
#![allow(dead_code)]

use std::io;
use std::path::PathBuf;

use saker_alerts::AlertSink;
use saker_detect::{load_cloudtrail_ruleset, run, DetectOptions, RuleSources, Summary};
use saker_ingest::expand_inputs;
use saker_rules::output::Alert;
use saker_rules::ruleset::RulesetOptions;

/// A path under `../shared/data`.
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// A sink that keeps what it is given.
#[derive(Default)]
pub struct Collect {
    pub alerts: Vec<(Alert, String)>,
}

impl AlertSink for Collect {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()> {
        self.alerts.push((alert.clone(), raw.to_string()));
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Run detection over `inputs` with the given rules.
pub fn detect(
    inputs: &[PathBuf],
    sources: RuleSources,
    ropts: RulesetOptions,
    opts: DetectOptions,
) -> (Summary, Vec<(Alert, String)>) {
    let loaded = load_cloudtrail_ruleset(&sources, &ropts).unwrap_or_else(|d| {
        panic!(
            "rules do not load:\n{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let (units, errors) = expand_inputs(&names);
    assert!(errors.is_empty(), "{errors:?}");
    let mut sink = Collect::default();
    let summary = run(&units, &loaded.ruleset, &opts, &mut sink, &mut |_| {}).expect("run");
    (summary, sink.alerts)
}

/// The `eventID` of a raw record.
pub fn event_id(raw: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(raw).expect("raw record is JSON");
    v["eventID"].as_str().unwrap_or_default().to_string()
}
