//! One HTTP/1.1 request read off a test proxy's connection (headers, then
//! `Content-Length` bytes of body), and the region its SigV4 signature names.
//!
//! Shared by the fault proxy of `support.rs` and the denied-region proxy of
//! `crates/saker/tests/posture_moto.rs` (both include it with `#[path]`).

use std::io::Read;
use std::net::TcpStream;

/// A request as received: `bytes[..header_end]` is the head (request line
/// and headers, ending with the blank line), the rest the body.
pub struct Request {
    pub bytes: Vec<u8>,
    pub header_end: usize,
}

impl Request {
    /// The request line and headers, lossily decoded.
    pub fn head(&self) -> String {
        String::from_utf8_lossy(&self.bytes[..self.header_end]).into_owned()
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.header_end..]
    }

    /// The region of `Authorization: AWS4-HMAC-SHA256
    /// Credential=AKID/DATE/REGION/SERVICE/aws4_request`, or "".
    pub fn region(&self) -> String {
        self.head()
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').nth(2))
            .unwrap_or("")
            .to_string()
    }
}

/// Read one request; `None` if the peer closed before a full head arrived.
pub fn read_request(conn: &mut TcpStream) -> Option<Request> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = conn.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..n]);
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let length: usize = String::from_utf8_lossy(&bytes[..header_end])
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while bytes.len() < header_end + length {
        let n = conn.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    Some(Request { bytes, header_end })
}
