//! A moto server (AWS emulator) for the live-source tests.
//!
//! `SAKER_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT` names a running server
//! (`.ci/run` starts one). Otherwise, when `python3` can import moto, a
//! server is started for the test on a free port with
//! `../shared/tools/moto_plus.py` and stopped at the end. Without either,
//! the test is SKIPPED with a message on stderr.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use saker_ingest::aws::{s3_sdk, sqs_sdk};

pub struct Moto {
    pub endpoint: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The server, or `None` (after printing why) when the test must be skipped.
pub fn moto() -> Option<Moto> {
    if let Ok(e) = std::env::var("SAKER_TEST_AWS_ENDPOINT") {
        if !e.is_empty() {
            return Some(Moto {
                endpoint: e,
                child: None,
            });
        }
    }
    let script = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/tools/moto_plus.py"
    ));
    let importable = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable || !script.exists() {
        eprintln!(
            "\n*** SKIPPED: no AWS emulator. Set SAKER_TEST_AWS_ENDPOINT or `pip install 'moto[server]==5.2.1'` \
             (and keep ../shared/tools/moto_plus.py) to run the S3/SQS tests. ***\n"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let moto = Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        child: Some(child),
    };
    // Readiness wait (not a timing assertion): moto imports take a moment.
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// Environment for every process and client talking to moto: fake
/// credentials, a region, no shared config or instance metadata.
pub const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_CONFIG_FILE", "/nonexistent/saker-test/config"),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/saker-test/credentials",
    ),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

impl Moto {
    pub fn clients(&self) -> (s3_sdk::Client, sqs_sdk::Client) {
        let creds = s3_sdk::config::Credentials::new("testing", "testing", None, None, "test");
        let s3 = s3_sdk::Client::from_conf(
            s3_sdk::Config::builder()
                .behavior_version(s3_sdk::config::BehaviorVersion::latest())
                .region(s3_sdk::config::Region::new("us-east-1"))
                .credentials_provider(creds.clone())
                .endpoint_url(&self.endpoint)
                .force_path_style(true)
                .build(),
        );
        let sqs = sqs_sdk::Client::from_conf(
            sqs_sdk::Config::builder()
                .behavior_version(sqs_sdk::config::BehaviorVersion::latest())
                .region(sqs_sdk::config::Region::new("us-east-1"))
                .credentials_provider(creds)
                .endpoint_url(&self.endpoint)
                .build(),
        );
        (s3, sqs)
    }

    /// Run saker with the emulator's environment.
    pub fn saker(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_saker"));
        for (k, v) in AWS_ENV {
            cmd.env(k, v);
        }
        cmd.env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .args(args)
            .args(["--endpoint-url", &self.endpoint])
            .output()
            .expect("run saker")
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
