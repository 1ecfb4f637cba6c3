//! A loopback HTTP/1.1 server for the download tests: serves a fixed map
//! of paths to bodies (the real fixtures, read in place, plus generated
//! mirror lists), answers 404 elsewhere and records every path asked for.
//! Bound to 127.0.0.1 on a free port; stops when dropped.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    hits: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server; `routes` gets the base URL and returns path → body.
    pub fn start(routes: impl FnOnce(&str) -> HashMap<String, Vec<u8>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes = routes(&base);
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    serve(c, &routes, &h);
                }
            }
        });
        Server {
            base,
            hits,
            stop,
            handle: Some(handle),
        }
    }

    /// Paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(mut c: TcpStream, routes: &HashMap<String, Vec<u8>>, hits: &Mutex<Vec<String>>) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&req);
    let Some(path) = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .map(String::from)
    else {
        return;
    };
    hits.lock().unwrap().push(path.clone());
    let (status, body): (&str, &[u8]) = match routes.get(&path) {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b"not found"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = c.write_all(head.as_bytes());
    let _ = c.write_all(body);
    let _ = c.flush();
}
