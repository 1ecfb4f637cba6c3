//! `saker detect` on S3 and SQS against a real moto server: the invictus
//! delivery files uploaded in the organization-trail layout give exactly
//! the alerts of the same files read locally; a state store makes re-runs
//! and duplicate notifications read nothing twice; bad messages are
//! reported and left in the queue.

mod moto;

use std::io::Write;
use std::path::{Path, PathBuf};

use moto::{moto, runtime, s3_sdk, sqs_sdk};

const ORG: &str = "o-abc1234567";
const ACCOUNT: &str = "218007301253";

fn invictus_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cloudtrail/invictus/CloudTrail"
    ))
    .to_path_buf()
}

fn invictus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(invictus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 55);
    files
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Sorted JSON alert lines.
fn alerts(stdout: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = text(stdout).lines().map(str::to_string).collect();
    v.sort();
    v
}

fn local_alerts() -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(["detect", "-q", "--output", "json"])
        .arg(invictus_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let a = alerts(&out.stdout);
    assert!(a.len() > 50, "the invictus set raises alerts");
    a
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// The organization-trail key of a delivery file; every second file is
/// gzipped (`.json.gz`), as CloudTrail delivers them.
fn trail_key(file: &Path, i: usize) -> (String, bool) {
    let name = file.file_name().unwrap().to_str().unwrap();
    // ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json
    let stamp = name.split('_').nth(3).unwrap();
    let (y, m, d) = (&stamp[0..4], &stamp[4..6], &stamp[6..8]);
    let gz = i % 2 == 0;
    let name = if gz {
        format!("{name}.gz")
    } else {
        name.to_string()
    };
    (
        format!("AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/us-east-1/{y}/{m}/{d}/{name}"),
        gz,
    )
}

/// Create `bucket` and upload the invictus files in the org layout, plus a
/// digest file and a truncated gzip object. Returns the event-file keys.
async fn upload_trail(s3: &s3_sdk::Client, bucket: &str) -> Vec<String> {
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let mut keys = Vec::new();
    for (i, f) in invictus_files().iter().enumerate() {
        let (key, gz) = trail_key(f, i);
        let raw = std::fs::read(f).unwrap();
        let body = if gz { gzip(&raw) } else { raw };
        put(s3, bucket, &key, body).await;
        keys.push(key);
    }
    // A digest (never listed) and a damaged delivery (reported, no alerts).
    let digest = format!("AWSLogs/{ORG}/{ACCOUNT}/CloudTrail-Digest/us-east-1/2023/07/10/{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20230710T120000Z.json.gz");
    put(s3, bucket, &digest, gzip(b"{\"digestEndTime\":\"x\"}")).await;
    let mut truncated = gzip(&std::fs::read(&invictus_files()[0]).unwrap());
    truncated.truncate(truncated.len() / 2);
    let damaged = format!("AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/us-east-1/2023/07/11/{ACCOUNT}_CloudTrail_us-east-1_20230711T0000Z_damaged0000000.json.gz");
    put(s3, bucket, &damaged, truncated).await;
    keys
}

async fn put(s3: &s3_sdk::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

/// A bucket or queue name unique to this run, so that a long-lived
/// emulator (SAKER_TEST_AWS_ENDPOINT) can serve repeated runs.
fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{base}-{}-{nanos}", std::process::id())
}

fn state_file(dir: &tempfile::TempDir) -> String {
    dir.path().join("state.db").display().to_string()
}

#[test]
fn s3_org_trail_gives_the_alerts_of_the_local_files_once() {
    let Some(moto) = moto() else { return };
    let (s3, _) = moto.clients();
    let bucket = &unique("saker-s3-org");
    runtime().block_on(upload_trail(&s3, bucket));
    let want = local_alerts();
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    let url = format!("s3://{bucket}");

    let out = moto.saker(&["detect", "--output", "json", "--state", &state, &url]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(alerts(&out.stdout), want, "{stderr}");
    assert!(stderr.contains("56 input(s): 56 read"), "{stderr}");
    // The damaged object is a truncated copy of the first file: its first
    // 9 records are evaluated again, and their alerts not repeated.
    assert!(stderr.contains("records: 2909 evaluated"), "{stderr}");
    assert!(
        stderr.contains("damaged0000000"),
        "the truncated object is reported: {stderr}"
    );

    // Same state: nothing is read again, nothing is alerted again.
    let out = moto.saker(&["detect", "--output", "json", "--state", &state, &url]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(stderr.contains("records: 0 evaluated"), "{stderr}");

    // A prefix naming the region directly, and an account filter that
    // rules out every object before download.
    let deep = format!("s3://{bucket}/AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/us-east-1/");
    let out = moto.saker(&["detect", "-q", "--output", "json", &deep]);
    assert_eq!(alerts(&out.stdout), want, "{}", text(&out.stderr));
    let out = moto.saker(&["detect", "--account", "111122223333", &url]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("0 input(s)"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn s3_errors_are_reported() {
    let Some(moto) = moto() else { return };
    let out = moto.saker(&["detect", "s3://saker-no-such-bucket"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("saker-no-such-bucket"), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
    let out = moto.saker(&["detect", "s3://x", "/tmp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be mixed"));
}

/// An S3 event notification for one object, as S3 sends it.
fn s3_notification(bucket: &str, key: &str, etag: &str) -> String {
    serde_json::json!({"Records":[{
        "eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
        "eventTime":"2023-07-10T12:00:00.000Z","eventName":"ObjectCreated:Put",
        "s3":{"s3SchemaVersion":"1.0","bucket":{"name":bucket,"arn":format!("arn:aws:s3:::{bucket}")},
              "object":{"key":key.replace(' ', "+"),"size":1,"eTag":etag.trim_matches('"')}}}]})
    .to_string()
}

async fn etag_of(s3: &s3_sdk::Client, bucket: &str, key: &str) -> String {
    let h = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    h.e_tag().unwrap().to_string()
}

async fn send(sqs: &sqs_sdk::Client, url: &str, body: String) {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .unwrap();
}

async fn queue_depth(sqs: &sqs_sdk::Client, url: &str) -> u64 {
    use sqs_sdk::types::QueueAttributeName as A;
    let r = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let a = r.attributes().unwrap();
    let n = |k: A| a.get(&k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(A::ApproximateNumberOfMessages) + n(A::ApproximateNumberOfMessagesNotVisible)
}

/// Fill a queue with every shape of message for the invictus files:
/// direct S3 notifications, SNS-wrapped ones, EventBridge `Object Created`
/// events, and one file's records (file 7: 26 records, 2 alerts) as EventBridge CloudTrail events; plus a
/// malformed and a foreign message.
async fn fill_queue(
    s3: &s3_sdk::Client,
    sqs: &sqs_sdk::Client,
    bucket: &str,
    queue: &str,
) -> String {
    let keys = upload_trail(s3, bucket).await;
    let url = sqs
        .create_queue()
        .queue_name(queue)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let files = invictus_files();
    for (i, key) in keys.iter().enumerate() {
        let etag = etag_of(s3, bucket, key).await;
        let body = match if i == 7 { 3 } else { i % 3 } {
            0 => s3_notification(bucket, key, &etag),
            1 => serde_json::json!({"Type":"Notification","MessageId":format!("sns-{i}"),
                    "TopicArn":"arn:aws:sns:us-east-1:218007301253:trail",
                    "Message": s3_notification(bucket, key, &etag)}).to_string(),
            2 => serde_json::json!({"version":"0","id":format!("eb-{i}"),"detail-type":"Object Created",
                    "source":"aws.s3","account":ACCOUNT,"region":"us-east-1",
                    "detail":{"bucket":{"name":bucket},"object":{"key":key,"size":1,"etag":etag.trim_matches('"')}}}).to_string(),
            _ => {
                // This file's records arrive one by one through EventBridge.
                let v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&files[i]).unwrap()).unwrap();
                for r in v["Records"].as_array().unwrap() {
                    let ev = serde_json::json!({"version":"0","id":r["eventID"],
                        "detail-type":"AWS API Call via CloudTrail","source":"aws.ec2",
                        "account":ACCOUNT,"time":r["eventTime"],"region":r["awsRegion"],
                        "resources":[],"detail":r});
                    send(sqs, &url, ev.to_string()).await;
                }
                continue;
            }
        };
        send(sqs, &url, body).await;
    }
    send(sqs, &url, "this is not JSON".to_string()).await;
    send(
        sqs,
        &url,
        r#"{"detail-type":"EC2 Instance State-change Notification","detail":{}}"#.to_string(),
    )
    .await;
    url
}

#[test]
fn sqs_notifications_give_the_alerts_of_the_local_files_once() {
    let Some(moto) = moto() else { return };
    let (s3, sqs) = moto.clients();
    let rt = runtime();
    let bucket = &unique("saker-sqs");
    let queue = rt.block_on(fill_queue(&s3, &sqs, bucket, bucket));
    let want = local_alerts();
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    let args = [
        "detect",
        "--output",
        "json",
        "--state",
        &state,
        "--sqs",
        &queue,
        "--until-empty",
        "--sqs-wait",
        "1",
        "--sqs-visibility",
        "30",
    ];
    let out = moto.saker(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(alerts(&out.stdout), want, "{stderr}");
    assert!(stderr.contains("not JSON"), "{stderr}");
    assert!(
        stderr.contains("EC2 Instance State-change Notification"),
        "{stderr}"
    );
    assert!(stderr.contains("redrive"), "{stderr}");
    // Only the two messages that were not understood stay in the queue.
    assert_eq!(rt.block_on(queue_depth(&sqs, &queue)), 2);

    // Duplicate notifications (at-least-once delivery): nothing new, with
    // or without the ETag in the notification.
    rt.block_on(async {
        for (n, key) in invictus_files()
            .iter()
            .enumerate()
            .map(|(i, f)| trail_key(f, i).0)
            .enumerate()
            .filter(|(i, _)| *i != 7) // its records came through EventBridge
            .map(|(_, k)| k)
            .take(8)
            .enumerate()
        {
            let etag = match n % 2 {
                0 => etag_of(&s3, bucket, &key).await,
                _ => String::new(),
            };
            send(&sqs, &queue, s3_notification(bucket, &key, &etag)).await;
        }
    });
    let out = moto.saker(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(stderr.contains("8 input(s) already processed"), "{stderr}");
    assert_eq!(rt.block_on(queue_depth(&sqs, &queue)), 2);
}

/// `n` workers share one queue and one state store (`state`: a SQLite file
/// or a PostgreSQL URL): together they deliver every alert exactly once,
/// and each logs its progress (stderr is not a terminal) in logfmt lines.
fn workers_on_one_queue_deliver_every_alert_once(n: usize, state: &str, name: &str) {
    let Some(moto) = moto() else { return };
    let (s3, sqs) = moto.clients();
    let rt = runtime();
    let bucket = &unique(name);
    let queue = rt.block_on(fill_queue(&s3, &sqs, bucket, bucket));
    let want = local_alerts();
    let args = [
        "detect",
        "--output",
        "json",
        "--state",
        state,
        "--sqs",
        &queue,
        "--until-empty",
        "--sqs-wait",
        "1",
        "--sqs-visibility",
        "60",
        "--threads",
        "1",
    ];
    let outs: Vec<std::process::Output> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n).map(|_| s.spawn(|| moto.saker(&args))).collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut all = Vec::new();
    for out in &outs {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        all.extend(alerts(&out.stdout));
        // Progress goes to stderr as structured lines, never to stdout.
        for line in stderr.lines().filter(|l| l.contains(" msg=batch ")) {
            assert!(line.starts_with("ts=20"), "{line}");
            assert!(
                line.contains(" level=info msg=batch source=sqs units="),
                "{line}"
            );
            assert!(line.contains(" records_per_s="), "{line}");
        }
    }
    all.sort();
    assert_eq!(all, want, "every alert once across {n} workers");
    let logged = outs
        .iter()
        .filter(|o| text(&o.stderr).contains(" msg=batch "))
        .count();
    assert!(logged >= 1, "the workers that took messages log batches");
    assert!(
        outs.iter().any(|o| text(&o.stderr).contains(" lag_s=")),
        "the lag behind the newest eventTime is logged"
    );
    assert_eq!(rt.block_on(queue_depth(&sqs, &queue)), 2);
}

#[test]
fn three_workers_on_one_queue_deliver_every_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    workers_on_one_queue_deliver_every_alert_once(3, &state, "saker-three");
}

/// A PostgreSQL URL whose tables live in a new schema of the test database
/// (`SAKER_TEST_POSTGRES_URL`, started by `.ci/run`), or `None` after saying
/// loudly that the test is skipped.
fn fresh_postgres_state(name: &str) -> Option<String> {
    let base = match std::env::var("SAKER_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            eprintln!(
                "\n*** SKIPPED: no PostgreSQL server. Set SAKER_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:PORT/DB \
                 (`.ci/run` starts one) to run the PostgreSQL state tests. ***\n"
            );
            return None;
        }
    };
    let schema = unique(name).replace('-', "_");
    let out = std::process::Command::new("psql")
        .args([base.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!("CREATE SCHEMA {schema}"))
        .output()
        .expect("psql (Debian's postgresql-client) to create a schema");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

#[test]
fn three_workers_sharing_a_postgres_state_deliver_every_alert_once() {
    let Some(state) = fresh_postgres_state("saker_three") else {
        return;
    };
    workers_on_one_queue_deliver_every_alert_once(3, &state, "saker-pg-three");
}

#[test]
fn follow_picks_up_new_objects_and_stops_cleanly_on_sigterm() {
    use saker_store::StateStore;
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let Some(moto) = moto() else { return };
    let (s3, _) = moto.clients();
    let rt = runtime();
    let bucket = &unique("saker-follow");
    rt.block_on(async { s3.create_bucket().bucket(bucket).send().await.unwrap() });
    let want = local_alerts();
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    let url = format!("s3://{bucket}");

    let start = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_saker"));
        for (k, v) in moto::AWS_ENV {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args(["detect", "--output", "json", "--state", &state, "--follow"])
            .args([
                "--poll-interval",
                "1",
                "--endpoint-url",
                &moto.endpoint,
                &url,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (child, rx)
    };
    let stop = |mut child: std::process::Child| {
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "clean exit on SIGTERM: {stderr}");
        stderr
    };

    // The bucket is empty when following starts; the trail then arrives.
    let (child, rx) = start();
    rt.block_on(async {
        for (i, f) in invictus_files().iter().enumerate() {
            let (key, gz) = trail_key(f, i);
            let raw = std::fs::read(f).unwrap();
            put(&s3, bucket, &key, if gz { gzip(&raw) } else { raw }).await;
        }
    });
    // Stop once every object is recorded as processed: the last alert can
    // arrive before the last objects (which raise none) are read.
    let objects = invictus_files().len() as u64;
    let processed = || {
        saker_store::SqliteStore::open(&state)
            .and_then(|mut s| s.processed_count())
            .unwrap_or(0)
    };
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    while (got.len() < want.len() || processed() < objects) && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            got.push(line);
        }
    }
    let stderr = stop(child);
    got.extend(rx.try_iter());
    got.sort();
    assert_eq!(got, want, "{stderr}");
    assert!(stderr.contains("records: 2900 evaluated"), "{stderr}");

    // Restarted on the same state: nothing is read again.
    let (child, rx) = start();
    std::thread::sleep(Duration::from_secs(3));
    let stderr = stop(child);
    assert_eq!(rx.try_iter().count(), 0, "{stderr}");
    assert!(stderr.contains("records: 0 evaluated"), "{stderr}");
}

/// A loopback webhook receiver recording the bodies it accepted.
fn webhook_receiver(
    listener: std::net::TcpListener,
) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use std::io::{BufRead, Read};
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = bodies.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut reader = std::io::BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            // A request cut short (its sender killed) is not recorded.
            let mut complete = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    complete = true;
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            if complete && len > 0 && reader.read_exact(&mut body).is_ok() {
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                recorded
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
            }
        }
    });
    bodies
}

#[test]
fn webhook_down_during_a_run_then_up_receives_every_alert_once() {
    let Some(moto) = moto() else { return };
    let (s3, _) = moto.clients();
    let bucket = &unique("saker-hook");
    runtime().block_on(upload_trail(&s3, bucket));
    let want = local_alerts();
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    let spool = dir.path().join("spool");
    let file = dir.path().join("alerts.jsonl");
    let url = format!("s3://{bucket}");
    // Reserve a port and free it: the webhook is down for the first run.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = format!("http://127.0.0.1:{port}/falco");
    let args = [
        "detect",
        "--output",
        "json",
        "--state",
        &state,
        "--webhook",
        &hook,
        "--webhook-attempts",
        "1",
        "--spool-dir",
        spool.to_str().unwrap(),
        "--alerts-file",
        file.to_str().unwrap(),
        &url,
    ];
    let out = moto.saker(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        alerts(&out.stdout),
        want,
        "stdout does not wait for the webhook"
    );
    assert!(stderr.contains("kept in"), "{stderr}");
    let mut in_file = alerts(std::fs::read_to_string(&file).unwrap().as_bytes());
    in_file.sort();
    assert_eq!(in_file, want, "the JSON-lines file has every alert");

    // The webhook is back: the next run (nothing new to read) delivers
    // the spooled alerts, each once.
    let received = webhook_receiver(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    let out = moto.saker(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let mut got = received.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, want);
    let mut in_file = alerts(std::fs::read_to_string(&file).unwrap().as_bytes());
    in_file.sort();
    assert_eq!(in_file, want, "nothing repeated in the file");
}

#[test]
fn kill_9_at_random_points_loses_no_alert_in_any_sink() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let Some(moto) = moto() else { return };
    let (s3, _) = moto.clients();
    let bucket = &unique("saker-kill");
    runtime().block_on(upload_trail(&s3, bucket));
    let want = local_alerts();
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    let file = dir.path().join("alerts.jsonl");
    let spool = dir.path().join("spool");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/falco", listener.local_addr().unwrap());
    let received = webhook_receiver(listener);
    let url = format!("s3://{bucket}");
    // Three sinks at once: stdout (Falco JSON), a JSON-lines file, a webhook.
    let args = [
        "detect",
        "-q",
        "--output",
        "json",
        "--state",
        &state,
        "--alerts-file",
        file.to_str().unwrap(),
        "--webhook",
        &hook,
        "--spool-dir",
        spool.to_str().unwrap(),
        "--threads",
        "1",
        "--downloads",
        "1",
        "--endpoint-url",
        &moto.endpoint,
        &url,
    ];
    let spawn = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_saker"));
        for (k, v) in moto::AWS_ENV {
            cmd.env(k, v);
        }
        cmd.args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Kill points: after a random number (1-6) of alerts reached stdout,
    // plus a random 0-40 ms, so kills land before, inside and after the
    // window between the sinks' flush and the store's commit. Every run
    // resumes from the store, so each kill interrupts real work.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut stdout_lines: Vec<String> = Vec::new();
    let mut kills = 0;
    for _ in 0..6 {
        let mut child = spawn();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let kill_after = 1 + next() % 6;
        let mut seen = 0;
        for line in lines.by_ref() {
            stdout_lines.push(line.unwrap());
            seen += 1;
            if seen == kill_after {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(next() % 40));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        // What the process wrote before it died is in the pipe.
        stdout_lines.extend(lines.map_while(Result::ok));
        child.wait().unwrap();
    }
    assert!(kills >= 5, "only {kills} run(s) were killed mid-work");
    // The last run, not killed, finishes the work.
    let out = moto.saker(
        &args[..args.len() - 3]
            .iter()
            .chain([&url.as_str()])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    stdout_lines.extend(alerts(&out.stdout));

    let sinks = [
        ("stdout", stdout_lines),
        (
            "alerts file",
            alerts(std::fs::read_to_string(&file).unwrap().as_bytes()),
        ),
        ("webhook", received.lock().unwrap().clone()),
    ];
    for (sink, mut got) in sinks {
        got.sort();
        let mut unique_got = got.clone();
        unique_got.dedup();
        assert_eq!(
            unique_got, want,
            "{sink}: no alert lost after {kills} kill(s)"
        );
        // Each alert is flushed to every sink, then committed to the store,
        // before the next: a kill repeats at most the one alert in flight
        // (at-least-once, docs/aws.md), nothing else.
        let repeated = got.len() - unique_got.len();
        eprintln!("{sink}: {kills} kill(s), {repeated} repeated alert(s)");
        assert!(
            repeated <= kills,
            "{sink}: {repeated} repeats after {kills} kills"
        );
    }
}

#[test]
fn a_worker_killed_mid_message_is_finished_by_another_after_the_visibility_timeout() {
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let Some(moto) = moto() else { return };
    let (s3, sqs) = moto.clients();
    let rt = runtime();
    let bucket = &unique("saker-takeover");
    let queue = rt.block_on(fill_queue(&s3, &sqs, bucket, bucket));
    // Messages not understood go to a dead-letter queue after two receives.
    let dlq = rt.block_on(async {
        use sqs_sdk::types::QueueAttributeName as A;
        let dlq = sqs
            .create_queue()
            .queue_name(format!("{bucket}-dlq"))
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_string();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&dlq)
            .attribute_names(A::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .unwrap()[&A::QueueArn]
            .clone();
        let policy = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": "2"});
        sqs.set_queue_attributes()
            .queue_url(&queue)
            .attributes(A::RedrivePolicy, policy.to_string())
            .send()
            .await
            .unwrap();
        dlq
    });
    let want = local_alerts();
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&dir);
    let file = dir.path().join("alerts.jsonl");
    let worker = |wait: &str| {
        vec![
            "detect".to_string(),
            "-q".into(),
            "--state".into(),
            state.clone(),
            "--alerts-file".into(),
            file.display().to_string(),
            "--sqs".into(),
            queue.clone(),
            "--until-empty".into(),
            "--sqs-wait".into(),
            wait.into(),
            "--sqs-visibility".into(),
            "4".into(),
            "--threads".into(),
            "1".into(),
        ]
    };
    // Worker A is killed while it holds messages.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_saker"));
    for (k, v) in moto::AWS_ENV {
        cmd.env(k, v);
    }
    let mut a = cmd
        .args(worker("1"))
        .args(["--endpoint-url", &moto.endpoint])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let killed = a.try_wait().unwrap().is_none();
    a.kill().ok();
    a.wait().unwrap();
    // Worker B long-polls longer than the visibility timeout, so the
    // messages A held come back to it.
    let args = worker("10");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = moto.saker(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let mut got = alerts(std::fs::read_to_string(&file).unwrap().as_bytes());
    got.sort();
    let mut unique_got = got.clone();
    unique_got.dedup();
    assert_eq!(unique_got, want, "killed mid-run: {killed}");
    assert!(
        got.len() - unique_got.len() <= 1,
        "at most the alert in flight repeats"
    );
    assert_eq!(rt.block_on(queue_depth(&sqs, &queue)), 0);
    assert_eq!(
        rt.block_on(queue_depth(&sqs, &dlq)),
        2,
        "the bad messages, redriven"
    );
}
