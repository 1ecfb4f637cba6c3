//! Live test against this machine's kernel audit subsystem: install the
//! audit rules saker generates, delete a shell history file as a logged-in
//! user, and see the built-in rule's alert arrive through the audit netlink
//! multicast group within a second of the deletion.
//!
//! Needs root, `auditctl` (Debian/Ubuntu: `apt-get install auditd`; it is
//! stock on Amazon Linux), `setpriv` (util-linux), a kernel with audit and
//! an unlocked audit configuration. Where any is missing the test prints
//! `SKIPPED` with the reason and passes. The kernel's audit state (enabled
//! flag, backlog settings, the rules added) is restored afterwards, also
//! when the test fails.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_runtime::audit::Arch;
use saker_runtime::audit_rules::{generate, Needs};
use saker_runtime::netlink::{AuditMulticast, MulticastStats};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::rulesets::load_runtime_ruleset;

const RULE: &str = "Shell History Deleted or Renamed";
/// The logged-in user the deletion runs as (uid and login uid).
const USER: u32 = 1001;

fn skip(why: &str) {
    eprintln!("\n*** SKIPPED live audit test: {why} ***\n");
}

fn auditctl(args: &[&str]) -> Result<String, String> {
    let out = Command::new("auditctl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("auditctl: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "auditctl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn status_value(status: &str, key: &str) -> Option<String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ').map(str::to_string))
}

/// The kernel audit state this test changes, put back on drop.
struct Restore {
    enabled: String,
    backlog_limit: String,
    backlog_wait_time: String,
    /// `auditctl` argument lists that delete what the test added.
    deletions: Vec<Vec<String>>,
    tmp: PathBuf,
}

impl Drop for Restore {
    fn drop(&mut self) {
        for d in &self.deletions {
            let args: Vec<&str> = d.iter().map(String::as_str).collect();
            if let Err(e) = auditctl(&args) {
                eprintln!("live audit test: restoring: {e}");
            }
        }
        for (flag, v) in [
            ("-b", &self.backlog_limit),
            ("--backlog_wait_time", &self.backlog_wait_time),
            ("-e", &self.enabled),
        ] {
            if let Err(e) = auditctl(&[flag, v]) {
                eprintln!("live audit test: restoring {flag} {v}: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// The `auditctl` arguments that delete a rule line of the generated file
/// (`-a` → `-d`, `-w` → `-W`); `None` for comments and settings.
fn deletion(line: &str) -> Option<Vec<String>> {
    let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    match words.first().map(String::as_str) {
        Some("-a") => words[0] = "-d".into(),
        Some("-w") => words[0] = "-W".into(),
        _ => return None,
    }
    Some(words)
}

fn tool_exists(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

#[test]
fn shell_history_deletion_alerts_live_through_netlink() {
    if !tool_exists("auditctl") {
        return skip("auditctl is not installed (apt-get install auditd)");
    }
    if !tool_exists("setpriv") {
        return skip("setpriv (util-linux) is not installed");
    }
    let status = match auditctl(&["-s"]) {
        Ok(s) => s,
        Err(e) => {
            return skip(&format!(
                "the kernel audit subsystem is not usable here (not root, no audit in the kernel, or a container): {e}"
            ))
        }
    };
    let (Some(enabled), Some(backlog_limit), Some(backlog_wait_time)) = (
        status_value(&status, "enabled"),
        status_value(&status, "backlog_limit"),
        status_value(&status, "backlog_wait_time"),
    ) else {
        return skip(&format!("unexpected `auditctl -s` output: {status:?}"));
    };
    if enabled == "2" {
        return skip("the audit configuration is locked (enabled 2): rules cannot be added");
    }
    // One live audit test at a time on this machine (other checkouts, CI):
    // the kernel's rule list is shared. The lock goes with the process.
    let lock = std::fs::File::create(std::env::temp_dir().join("saker-live-audit.lock"))
        .expect("lock file");
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).expect("flock");
    let listed = auditctl(&["-l"]).unwrap_or_default();
    if listed.contains("key=saker_") || listed.contains("-k saker_") {
        return skip(
            "saker's audit rules are already loaded on this host (a deployment, or a run killed before it cleaned up: `auditctl -D -k saker_exec` … removes them); not touching them",
        );
    }
    if listed.contains("never,task") || listed.contains("task,never") {
        return skip(
            "a `-a never,task` rule is loaded: no syscall is audited (see `saker runtime check`)",
        );
    }
    let Some(arch) = Arch::host() else {
        return skip("no syscall table for this architecture");
    };

    // The rules saker generates for its built-in host rules.
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(true, &[], vec![], &opts).expect("built-in rules load");
    let rules_text = generate(&Needs::of(&loaded.ruleset), arch);
    let tmp = std::env::temp_dir().join(format!("saker-live-audit-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let rules_file = tmp.join("50-saker.rules");
    std::fs::write(&rules_file, &rules_text).unwrap();
    let restore = Restore {
        enabled,
        backlog_limit,
        backlog_wait_time,
        deletions: rules_text.lines().filter_map(deletion).collect(),
        tmp: tmp.clone(),
    };
    assert!(
        !restore.deletions.is_empty(),
        "the generated rules hold rules"
    );

    auditctl(&["-e", "1"]).expect("enable audit");
    auditctl(&["-R", rules_file.to_str().unwrap()]).expect("the generated rules load");
    let mut src = match AuditMulticast::open(Duration::from_millis(50)) {
        Ok(s) => s,
        Err(e) => return skip(&format!("the audit multicast group cannot be read: {e}")),
    };

    // A logged-in user's home with a shell history, then the deletion:
    // the login uid is set as pam_loginuid does at login.
    let home = tmp.join("home");
    std::fs::create_dir_all(&home).unwrap();
    Command::new("chown")
        .args([format!("{USER}:{USER}"), home.display().to_string()])
        .status()
        .expect("chown");
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let history = home.join(".bash_history");
    let script = format!(
        "echo {USER} > /proc/self/loginuid || exit 3; exec setpriv --reuid={USER} --regid={USER} --clear-groups env HOME={} /bin/sh -c 'echo ls > ~/.bash_history && rm ~/.bash_history'",
        home.display()
    );
    let ruleset = &loaded.ruleset;
    let mut rt = Runtime::new(
        ruleset,
        RuntimeOptions {
            output: OutputOptions {
                hostname: "live-test".into(),
                time_format_iso_8601: false,
            },
            ..RuntimeOptions::default()
        },
    );
    let st = Command::new("/bin/sh")
        .args(["-c", &script])
        .status()
        .expect("run the deletion");
    if st.code() == Some(3) {
        return skip("cannot set a login uid (/proc/self/loginuid is immutable here)");
    }
    assert!(st.success(), "the deletion ran: {st}");
    assert!(!history.exists());
    let deleted_at = Instant::now();

    // Read until the alert for this file arrives, at most one second after
    // the deletion finished.
    let mut found: Option<(Duration, saker_rules::Alert)> = None;
    let mut stats = MulticastStats::default();
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    };
    let want_file = history.display().to_string();
    while found.is_none() && deleted_at.elapsed() < Duration::from_secs(1) {
        let mut on_alert = |a: &saker_rules::Alert, _: &saker_runtime::event::RuntimeEvent| {
            if a.rule == RULE && a.output.contains(&want_file) && found.is_none() {
                found = Some((deleted_at.elapsed(), a.clone()));
            }
        };
        src.pump(&mut rt, &mut on_alert, &mut stats, &now_ms, 100, &mut |w| {
            eprintln!("netlink: {w}")
        })
        .expect("receive from the audit multicast group");
    }
    drop(restore);
    drop(lock);
    let Some((after, alert)) = found else {
        panic!(
            "no '{RULE}' alert for {want_file} within 1 s of the deletion ({} records read, {} overruns; summary:\n{})",
            stats.records,
            stats.overruns,
            rt.summary()
        );
    };
    eprintln!(
        "live audit test: alert {after:?} after the deletion: {}",
        alert.output
    );
    // who and what
    assert!(
        alert.output.contains(&format!("uid={USER}")),
        "{}",
        alert.output
    );
    assert!(alert.output.contains("process=rm"), "{}", alert.output);
    assert!(alert.output.contains("syscall=unlink"), "{}", alert.output);
    assert!(alert.output.contains("host=live-test"), "{}", alert.output);
}
