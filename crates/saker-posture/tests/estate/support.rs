//! Test support for the collection tests: a moto server (found or
//! started), the boto3 estate builder, SDK configuration with dummy
//! credentials, and a fault-injecting proxy that answers chosen requests
//! with AWS errors moto cannot produce (access denied, throttling, a
//! `DescribeImages` batch failing on a missing id as on AWS).
//!
//! Included by `tests/collect_moto.rs` with `#[path]`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[path = "http.rs"]
mod http;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use serde_json::Value;

// ---------------------------------------------------------------- moto

pub struct Moto {
    pub endpoint: String,
    _child: Option<ChildGuard>,
}

/// A moto server this test process started. Dropping it kills the server;
/// but the one in [`moto`]'s static is never dropped, so the server also
/// watches its stdin, a pipe whose only writer is `lifeline`: when the test
/// process ends, however it ends (normal exit, panic, SIGKILL), the kernel
/// closes the pipe, the server reads EOF and exits. No orphan is left.
pub struct ChildGuard {
    child: Child,
    /// Never written; held open for the life of the test process.
    lifeline: Option<ChildStdin>,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `moto_plus.py PORT` (argv[1], argv[2]) in this interpreter, with a
/// daemon thread that ends the whole process (server threads included) at
/// EOF on stdin, i.e. when the parent that holds the pipe is gone.
const EXIT_WITH_PARENT: &str = "\
import os, runpy, sys, threading
def _watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
";

/// One server per test binary, started lazily. The static is never
/// dropped: the server exits with the test process through its stdin
/// lifeline ([`ChildGuard`]).
pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Option<Moto>> = OnceLock::new();
    MOTO.get_or_init(start_moto).as_ref()
}

pub fn start_moto() -> Option<Moto> {
    if let Ok(e) = std::env::var("SAKER_TEST_AWS_ENDPOINT") {
        if !e.is_empty() {
            return Some(Moto {
                endpoint: e,
                _child: None,
            });
        }
    }
    let script = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/tools/moto_plus.py"
    ));
    let importable = Command::new("python3")
        .args(["-c", "import moto.server, boto3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable || !script.exists() {
        eprintln!(
            "\n*** SKIPPED: no AWS emulator. Set SAKER_TEST_AWS_ENDPOINT or \
             `pip install 'moto[server]==5.2.1' boto3` (and keep ../shared/tools/moto_plus.py). ***\n"
        );
        return None;
    }
    let port = free_port();
    let mut child = Command::new("python3")
        .args(["-c", EXIT_WITH_PARENT])
        .arg(script)
        .arg(port.to_string())
        .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let guard = ChildGuard {
        lifeline: child.stdin.take(),
        child,
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
    Some(Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Some(guard),
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A fresh 12-digit account id for one test.
pub fn new_account() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let n = N.fetch_add(1, Ordering::SeqCst);
    let v = (u64::from(std::process::id()) * 1_000_003 + nanos / 1000 * 7 + n * 104_729)
        % 900_000_000_000;
    format!("{}", 100_000_000_000 + v)
}

pub fn role_of(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/saker-estate")
}

/// Build an estate with the boto3 script; its manifest.
pub fn build_estate(endpoint: &str, account: &str, regions: &[&str], scale: usize) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("manifest.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/estate/build_estate.py");
    let status = Command::new("python3")
        .arg(script)
        .args(["--endpoint", endpoint])
        .args(["--regions", &regions.join(",")])
        .args(["--scale", &scale.to_string()])
        .args(["--role-arn", &role_of(account)])
        .arg("--out")
        .arg(&out)
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/saker-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/saker-test/credentials",
        )
        .status()
        .expect("run build_estate.py");
    assert!(status.success(), "build_estate.py failed");
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(m["account"], account);
    m
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// SDK configuration with dummy credentials (no files, no environment).
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

// ---------------------------------------------------------- fault proxy

/// What the proxy does with a request.
#[derive(Clone)]
pub enum Fault {
    /// Answer with this status and body.
    Answer(u16, &'static str),
    /// Answer with this status and body the first `n` times, then forward.
    First(usize, u16, &'static str),
}

/// A rule of the proxy: requests signed for `region` (`*` = any) calling
/// `action`, whose body contains `needle`, get `fault`.
pub type Rule = (&'static str, &'static str, &'static str, Fault);

/// A TCP proxy in front of moto that answers chosen (region, action)
/// requests with canned AWS errors and forwards the rest unchanged.
pub struct FaultProxy {
    pub endpoint: String,
    pub seen: Arc<Mutex<Vec<(String, String)>>>,
}

pub const UNAUTHORIZED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
    <Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message>\
    </Error></Errors><RequestID>fault</RequestID></Response>";
pub const THROTTLED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
    <Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>\
    </Error></Errors><RequestID>fault</RequestID></Response>";
pub const IAM_DENIED: &str =
    "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
    <Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: \
    iam:ListInstanceProfiles</Message></Error><RequestId>fault</RequestId></ErrorResponse>";
pub const STS_DENIED: &str =
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
    <Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: \
    sts:AssumeRole</Message></Error><RequestId>fault</RequestId></ErrorResponse>";
pub const AMI_NOT_FOUND: &str = "<Response><Errors><Error><Code>InvalidAMIID.NotFound</Code>\
    <Message>The image id '[ami-0000000000deadbee]' does not exist</Message></Error></Errors></Response>";
pub const NOT_XML: &str = "<DescribeFlowLogsResponse><flowLogSet><item>";

impl FaultProxy {
    pub fn start(upstream: &str, faults: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let faults = Arc::new(Mutex::new(faults));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (upstream, faults, seen) = (upstream.clone(), faults.clone(), seen2.clone());
                std::thread::spawn(move || handle(conn, &upstream, &faults, &seen));
            }
        });
        FaultProxy { endpoint, seen }
    }
}

fn handle(
    mut conn: TcpStream,
    upstream: &str,
    faults: &Mutex<Vec<Rule>>,
    seen: &Mutex<Vec<(String, String)>>,
) {
    let Some(request) = http::read_request(&mut conn) else {
        return;
    };
    let body = String::from_utf8_lossy(request.body()).into_owned();
    let action = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("")
        .to_string();
    let region = request.region();
    seen.lock().unwrap().push((region.clone(), action.clone()));
    let answer = {
        let mut f = faults.lock().unwrap();
        f.iter_mut()
            .find(|(r, a, needle, _)| {
                (*r == "*" || *r == region) && *a == action && body.contains(needle)
            })
            .and_then(|(_, _, _, fault)| match fault {
                Fault::Answer(s, b) => Some((*s, *b)),
                Fault::First(n, s, b) if *n > 0 => {
                    *n -= 1;
                    Some((*s, *b))
                }
                Fault::First(..) => None,
            })
    };
    let response = match answer {
        Some((status, body)) => format!(
            "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
        None => {
            let mut up = TcpStream::connect(upstream).expect("moto");
            up.write_all(&request.bytes).unwrap();
            let mut out = Vec::new();
            up.read_to_end(&mut out).unwrap();
            out
        }
    };
    let _ = conn.write_all(&response);
    let _ = conn.shutdown(Shutdown::Both);
}
