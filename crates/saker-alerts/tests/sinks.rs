//! File, webhook and Slack sinks against a real file system and a real
//! HTTP server on loopback: retries on 500, an endpoint down then up (spool
//! drained by the next run), every alert delivered once and in order.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use saker_alerts::{
    AlertSink, HttpBody, HttpSink, JsonLinesFileSink, MultiSink, RetryPolicy, StreamFormat,
    StreamSink,
};
use saker_rules::output::{Alert, JsonOptions};
use saker_rules::Priority;

const INVICTUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json"
);

fn real_records(n: usize) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(INVICTUS).unwrap()).unwrap();
    v["Records"].as_array().unwrap()[..n]
        .iter()
        .map(|r| r.to_string())
        .collect()
}

fn alert(i: usize) -> Alert {
    Alert {
        rule: format!("Rule {i}"),
        priority: Priority::Error,
        source: "aws_cloudtrail".into(),
        tags: vec!["aws".into()],
        time_ns: 1_688_989_500_000_000_000,
        hostname: "h".into(),
        output: format!("11:45:00.000000000: Error alert <{i}>"),
        message: format!("alert <{i}>"),
        output_fields: vec![("ct.user".into(), Some(serde_json::json!("alice")))],
    }
}

fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        first_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        timeout: Duration::from_secs(5),
    }
}

/// A loopback HTTP server recording request bodies; answers the statuses
/// of `script` in turn, then 200.
struct Server {
    port: u16,
    bodies: Arc<Mutex<Vec<String>>>,
}

fn serve(listener: TcpListener, script: Vec<u16>) -> Server {
    let port = listener.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let recorded = bodies.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            let status = script.next().unwrap_or(200);
            if let Some(body) = handle(conn, status) {
                if status == 200 {
                    recorded.lock().unwrap().push(body);
                }
            }
        }
    });
    Server { port, bodies }
}

fn handle(mut conn: TcpStream, status: u16) -> Option<String> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    let _ = write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    String::from_utf8(body).ok()
}

#[test]
fn webhook_gets_falco_json_and_retries_after_500() {
    let server = serve(TcpListener::bind("127.0.0.1:0").unwrap(), vec![500, 503]);
    let spool = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/", server.port);
    let mut sink = HttpSink::new(&url, HttpBody::FalcoJson, fast_retry(4), spool.path()).unwrap();
    let raw = real_records(3);
    for (i, r) in raw.iter().enumerate() {
        sink.deliver(&alert(i), r).unwrap();
    }
    sink.flush().unwrap();
    let bodies = server.bodies.lock().unwrap().clone();
    let want: Vec<String> = (0..3)
        .map(|i| alert(i).to_json(&JsonOptions::default()))
        .collect();
    assert_eq!(bodies, want, "each alert once, in order");
    let v: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(v["rule"], "Rule 0");
    assert_eq!(v["output_fields"]["ct.user"], "alice");
    assert_eq!(sink.counts(), (3, 0));
    assert!(!sink.spool().path().exists());
}

#[test]
fn endpoint_down_then_up_loses_nothing() {
    // Reserve a port, then free it: connections are refused (down).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let spool = tempfile::tempdir().unwrap();
    let raw = real_records(4);
    {
        let mut sink =
            HttpSink::new(&url, HttpBody::FalcoJson, fast_retry(2), spool.path()).unwrap();
        sink.deliver(&alert(0), &raw[0]).unwrap();
        sink.deliver(&alert(1), &raw[1]).unwrap();
        sink.flush().expect("spooled alerts count as delivered");
        sink.deliver(&alert(2), &raw[2]).unwrap();
        sink.flush().unwrap();
        assert_eq!(sink.counts(), (0, 3));
        assert_eq!(sink.spool().load().unwrap().len(), 3);
    }
    // The endpoint comes back; the next run drains the spool first.
    let server = serve(TcpListener::bind(("127.0.0.1", port)).unwrap(), vec![]);
    let mut sink = HttpSink::new(&url, HttpBody::FalcoJson, fast_retry(2), spool.path()).unwrap();
    sink.deliver(&alert(3), &raw[3]).unwrap();
    sink.flush().unwrap();
    let bodies = server.bodies.lock().unwrap().clone();
    let want: Vec<String> = (0..4)
        .map(|i| alert(i).to_json(&JsonOptions::default()))
        .collect();
    assert_eq!(bodies, want);
    assert!(sink.spool().load().unwrap().is_empty());
    assert!(
        !sink.spool().path().to_string_lossy().contains("hook"),
        "no URL path in file names"
    );
}

#[test]
fn slack_messages_say_who_what_when_where() {
    let server = serve(TcpListener::bind("127.0.0.1:0").unwrap(), vec![]);
    let spool = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/services/T0/B0/secret", server.port);
    let mut sink = HttpSink::new(&url, HttpBody::Slack, fast_retry(1), spool.path()).unwrap();
    let raw = &real_records(1)[0];
    sink.deliver(&alert(7), raw).unwrap();
    sink.flush().unwrap();
    let body = server.bodies.lock().unwrap()[0].clone();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = v["text"].as_str().unwrap();
    let rec: serde_json::Value = serde_json::from_str(raw).unwrap();
    assert!(text.starts_with("*Error* Rule 7"), "{text}");
    for key in ["eventName", "eventTime", "recipientAccountId", "awsRegion"] {
        assert!(text.contains(rec[key].as_str().unwrap()), "{key}: {text}");
    }
    if let Some(arn) = rec["userIdentity"]["arn"].as_str() {
        assert!(text.contains(arn), "{text}");
    }
    assert!(text.contains("alert &lt;7&gt;"), "mrkdwn escaped: {text}");
    assert!(!sink.name().contains("secret"));
}

#[test]
fn json_lines_file_appends_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.jsonl");
    let raw = real_records(2);
    for (i, r) in raw.iter().enumerate() {
        let mut sink = JsonLinesFileSink::open(&path, JsonOptions::default()).unwrap();
        sink.deliver(&alert(i), r).unwrap();
        sink.flush().unwrap();
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["rule"], "Rule 1");
    let err = JsonLinesFileSink::open(dir.path().join("no/dir/a.jsonl"), JsonOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no/dir"), "{err}");
}

/// A sink that refuses everything.
struct Broken;
impl AlertSink for Broken {
    fn deliver(&mut self, _: &Alert, _: &str) -> std::io::Result<()> {
        Err(std::io::Error::other("broken"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("broken"))
    }
}

#[test]
fn multi_sink_gives_every_sink_the_alert_and_reports_failures() {
    let mut out = Vec::new();
    {
        let mut multi = MultiSink::new();
        multi.push(Box::new(Broken));
        multi.push(Box::new(StreamSink::new(&mut out, StreamFormat::Text)));
        assert!(multi.deliver(&alert(1), "{}").is_err());
        assert!(multi.flush().is_err());
    }
    assert!(String::from_utf8(out).unwrap().contains("alert <1>"));
}
