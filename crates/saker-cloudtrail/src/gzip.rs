//! gzip detection and inflation.
//!
//! Detection is by the magic bytes `1f 8b`, never by file name. A whole
//! single-member gzip buffer (every CloudTrail S3 object) is inflated with
//! libdeflate, sized from the ISIZE trailer; multi-member streams, lying or
//! oversized ISIZE and corrupt data fall back to `flate2` (zlib-rs backend),
//! which inflates member after member and keeps everything produced before
//! an error.

use std::cell::{Cell, RefCell};
use std::io::Read;

/// `true` if `bytes` start with the gzip magic `1f 8b`.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Result of inflating: the data produced, and the error that stopped
/// inflation early, if any (truncated or corrupt input, size limit).
pub struct Inflated {
    pub data: Vec<u8>,
    pub error: Option<InflateError>,
}

/// Why inflation stopped before the end of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// Corrupt or truncated gzip data; the message comes from the inflater.
    Corrupt(String),
    /// The output would exceed the given limit (bytes).
    TooLarge(u64),
}

/// Inflate a gzip buffer (one or more members), producing at most `limit`
/// bytes.
///
/// Memory is bounded by the cap, not by the data: inflation stops as soon
/// as `limit` bytes are produced (a gzip bomb is never inflated in full)
/// and the output buffer never grows beyond `limit + 1` bytes. Output past
/// the cap is reported as [`InflateError::TooLarge`]`(limit)`.
pub fn inflate(bytes: &[u8], limit: u64) -> Inflated {
    if let Some(data) = inflate_single_member(bytes, limit) {
        return Inflated { data, error: None };
    }
    inflate_stream(bytes, limit)
}

/// The libdeflate fast path: only when ISIZE is plausible and the buffer
/// holds exactly one member.
fn inflate_single_member(bytes: &[u8], limit: u64) -> Option<Vec<u8>> {
    if bytes.len() < 18 {
        return None;
    }
    let t = &bytes[bytes.len() - 4..];
    let isize = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize;
    // ISIZE is the size mod 2^32; deflate cannot expand more than ~1032x.
    if isize as u64 > limit || isize > bytes.len().saturating_mul(1032) {
        return None;
    }
    // libdeflate stops after the first member: if another member header
    // may follow, let the streaming path handle the whole buffer.
    if may_hold_second_member(&bytes[10..]) {
        return None;
    }
    let mut out = SPARE.with(Cell::take);
    // Only growth is zeroed: a recycled buffer keeps its earlier length.
    if out.len() < isize {
        out.resize(isize, 0);
    }
    let ok = DECOMPRESSOR.with_borrow_mut(|d| {
        let d = d.get_or_insert_with(libdeflater::Decompressor::new);
        matches!(d.gzip_decompress(bytes, &mut out[..isize]), Ok(n) if n == isize)
    });
    if ok {
        out.truncate(isize);
        Some(out)
    } else {
        recycle(out);
        None
    }
}

thread_local! {
    /// An inflate buffer handed back by [`recycle`], reused by the next
    /// inflation on this thread (saves a zeroed allocation per file).
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// libdeflate's decompressor state (~10 KB), one per thread.
    static DECOMPRESSOR: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
}

/// Buffers larger than this (bytes) are freed rather than kept for reuse,
/// so that one huge file does not pin its memory for the rest of the run.
const SPARE_MAX_BYTES: usize = 64 << 20;

/// Hand an [`Inflated::data`] buffer back once its contents are no longer
/// needed; the next [`inflate`] on this thread reuses its memory.
pub fn recycle(buf: Vec<u8>) {
    if buf.capacity() <= SPARE_MAX_BYTES {
        SPARE.with(|spare| {
            let old = spare.take();
            spare.set(if buf.capacity() >= old.capacity() {
                buf
            } else {
                old
            });
        });
    }
}

/// A plausible gzip member header (magic, deflate method, no reserved
/// flag bits, known OS byte) somewhere in `rest`. False positives only cost
/// the slower path.
fn may_hold_second_member(rest: &[u8]) -> bool {
    memchr::memmem::find_iter(rest, &[0x1f, 0x8b, 0x08]).any(|i| {
        rest.get(i + 3).is_some_and(|flg| flg & 0xe0 == 0)
            && rest.get(i + 9).is_some_and(|os| *os <= 13 || *os == 255)
    })
}

fn inflate_stream(bytes: &[u8], limit: u64) -> Inflated {
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(limit.saturating_add(1));
    let mut data = Vec::with_capacity(bytes.len().saturating_mul(6).min(limit as usize));
    let mut error = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match dec.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // Grow by doubling, but never past the cap (+1 to detect
                // overflow), so a bomb costs at most `limit + 1` bytes.
                if data.len() + n > data.capacity() {
                    let cap = limit.saturating_add(1).min(usize::MAX as u64) as usize;
                    let want = data.capacity().saturating_mul(2).max(64 * 1024).min(cap);
                    data.reserve_exact(want.max(data.len() + n) - data.len());
                }
                data.extend_from_slice(&buf[..n]);
            }
            Err(e) => {
                error = Some(InflateError::Corrupt(e.to_string()));
                break;
            }
        }
    }
    if data.len() as u64 > limit {
        data.truncate(limit as usize);
        error = Some(InflateError::TooLarge(limit));
    }
    Inflated { data, error }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn single_and_multi_member() {
        let a = gz(b"hello ");
        assert!(is_gzip(&a));
        let r = inflate(&a, 1 << 20);
        assert_eq!(r.data, b"hello ");
        assert!(r.error.is_none());
        let mut both = a.clone();
        both.extend(gz(b"world"));
        let r = inflate(&both, 1 << 20);
        assert_eq!(r.data, b"hello world");
        assert!(r.error.is_none());
    }

    #[test]
    fn truncated_keeps_prefix() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = gz(&data);
        let r = inflate(&z[..z.len() / 2], 1 << 30);
        assert!(matches!(r.error, Some(InflateError::Corrupt(_))));
        assert!(!r.data.is_empty());
        assert_eq!(&data[..r.data.len()], &r.data[..]);
    }

    #[test]
    fn limit_is_enforced() {
        let z = gz(&vec![b'a'; 100_000]);
        let r = inflate(&z, 1000);
        assert_eq!(r.data.len(), 1000);
        assert_eq!(r.error, Some(InflateError::TooLarge(1000)));
    }

    #[test]
    fn bomb_stops_at_the_cap() {
        // 64 MiB of zeros is ~64 KiB compressed; a 1 MiB cap must stop
        // inflation there, with a buffer no larger than the cap + 1.
        let z = gz(&vec![0u8; 64 << 20]);
        assert!(z.len() < 128 << 10);
        let r = inflate(&z, 1 << 20);
        assert_eq!(r.data.len(), 1 << 20);
        assert!(r.data.capacity() <= (1 << 20) + 1);
        assert_eq!(r.error, Some(InflateError::TooLarge(1 << 20)));
    }
}
