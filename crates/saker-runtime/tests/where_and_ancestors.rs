//! Alerts on the real lab capture (`shared/data/audit/lab/audit-lab.log`):
//! Falco's bare `proc.aname` (any ancestor) against the process tree the
//! capture builds, and the instance id carried by every alert — from the
//! option, and from IMDSv2 served by a real moto server.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_rules::Alert;
use saker_runtime::instance::{from_imds, is_instance_id};
use saker_runtime::pipeline::{Runtime, RuntimeOptions, INSTANCE_ID_FIELD};
use saker_runtime::rulesets::load_runtime_ruleset;

const LAB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/audit/lab/audit-lab.log"
);

/// Run the lab capture through `builtin` rules plus `extra` (rules YAML).
fn run(builtin: bool, extra: Option<&str>, instance_id: Option<&str>) -> Vec<Alert> {
    let mut paths = Vec::new();
    let dir = std::env::temp_dir().join(format!(
        "saker-where-{}-{}",
        std::process::id(),
        extra.map_or(0, str::len)
    ));
    if let Some(text) = extra {
        std::fs::create_dir_all(&dir).unwrap();
        let p: PathBuf = dir.join("test_rules.yaml");
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(builtin, &paths, vec![], &opts).unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let _ = std::fs::remove_dir_all(&dir);
    let mut rt = Runtime::new(
        &loaded.ruleset,
        RuntimeOptions {
            output: OutputOptions {
                hostname: "lab".into(),
                time_format_iso_8601: false,
            },
            instance_id: instance_id.map(str::to_string),
            ..RuntimeOptions::default()
        },
    );
    let mut alerts = Vec::new();
    let mut cb = |a: &Alert, _: &saker_runtime::event::RuntimeEvent| alerts.push(a.clone());
    let text = std::fs::read(LAB).unwrap();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        rt.feed_line(i as u64 + 1, line, &mut cb);
    }
    rt.finish(&mut cb);
    alerts
}

#[test]
fn bare_aname_matches_any_ancestor() {
    // In the capture, lab.sh runs `setpriv … bash -c '…; truncate -s 0 ~/.bash_history; …'`:
    // truncate's parent is bash, its grandparent lab.sh.
    let rules = r#"
- rule: truncate under lab.sh (any ancestor)
  desc: t
  condition: evt.type = ftruncate and proc.name = truncate and proc.aname = lab.sh
  output: "any %proc.cmdline"
  priority: WARNING
- rule: truncate under lab.sh (list)
  desc: t
  condition: evt.type = ftruncate and proc.name = truncate and proc.aname in (cron, lab.sh)
  output: "in %proc.cmdline ancestors=%proc.aname"
  priority: WARNING
- rule: truncate whose parent is lab.sh
  desc: t
  condition: evt.type = ftruncate and proc.name = truncate and proc.pname = lab.sh
  output: "parent %proc.cmdline"
  priority: WARNING
- rule: truncate whose first ancestor is lab.sh
  desc: t
  condition: evt.type = ftruncate and proc.name = truncate and proc.aname[1] = lab.sh
  output: "a1 %proc.cmdline"
  priority: WARNING
- rule: truncate under cron
  desc: t
  condition: evt.type = ftruncate and proc.name = truncate and proc.aname = cron
  output: "cron %proc.cmdline"
  priority: WARNING
"#;
    let alerts = run(false, Some(rules), None);
    let names: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(
        names,
        [
            "truncate under lab.sh (any ancestor)",
            "truncate under lab.sh (list)"
        ],
        "{:#?}",
        alerts.iter().map(|a| &a.output).collect::<Vec<_>>()
    );
    // a bare aname in an output prints every known ancestor, parent first
    assert!(
        alerts[1].output.contains("ancestors=(bash,lab.sh"),
        "{}",
        alerts[1].output
    );
}

#[test]
fn every_alert_carries_the_instance_id() {
    let plain = run(true, None, None);
    let id = "i-0123456789abcdef0";
    let with_id = run(true, None, Some(id));
    assert!(!plain.is_empty());
    assert_eq!(plain.len(), with_id.len());
    for (p, a) in plain.iter().zip(&with_id) {
        assert!(p.output_fields.iter().all(|(k, _)| k != INSTANCE_ID_FIELD));
        assert_eq!(a.output, format!("{} instance_id={id}", p.output));
        assert_eq!(a.message, format!("{} instance_id={id}", p.message));
        let v = a
            .output_fields
            .iter()
            .find(|(k, _)| k == INSTANCE_ID_FIELD)
            .and_then(|(_, v)| v.as_ref());
        assert_eq!(v, Some(&serde_json::Value::String(id.into())));
        // still sorted, keys unique
        assert!(a.output_fields.windows(2).all(|w| w[0].0 < w[1].0));
    }
}

struct Moto(Option<Child>);

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A moto server: `SAKER_TEST_AWS_ENDPOINT` (CI starts one), else one
/// started here from `../shared/tools/moto_plus.py`; `None` when moto is
/// not installed.
fn moto() -> Option<(String, Moto)> {
    if let Ok(e) = std::env::var("SAKER_TEST_AWS_ENDPOINT") {
        if !e.is_empty() {
            return Some((e.trim_end_matches('/').to_string(), Moto(None)));
        }
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/tools/moto_plus.py"
    );
    let importable = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([script, &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let m = Moto(Some(child));
    // readiness wait, not a timing assertion
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((format!("http://127.0.0.1:{port}"), m))
}

#[test]
fn instance_id_from_imdsv2() {
    let Some((endpoint, _moto)) = moto() else {
        eprintln!("\n*** SKIPPED: no AWS emulator (set SAKER_TEST_AWS_ENDPOINT or install moto[server]) ***\n");
        return;
    };
    let id = from_imds(&endpoint, Duration::from_secs(5)).expect("IMDSv2 answers");
    // moto's metadata names its instance `i-fake`
    assert_eq!(id, "i-fake");
    assert!(is_instance_id(&id));
    // nothing listening: the error names the request
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = from_imds(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap_err();
    assert!(
        e.starts_with(&format!("PUT http://127.0.0.1:{port}/latest/api/token")),
        "{e}"
    );
}
