//! Container decoding: from the bytes of one file/object to records.
//!
//! Accepted shapes (detected from content, never from the name):
//!
//! | shape | example source | what is yielded |
//! |---|---|---|
//! | gzip (magic `1f 8b`, one or more members) around any shape below | S3 delivery `.json.gz` | the inner shape |
//! | `{"Records":[…]}` | S3 delivery | each element |
//! | `[ … ]` | exports, TrailDiscover | each element, classified as below |
//! | a single object | one record | the record |
//! | JSON lines / concatenated objects | Firehose, `jq -c` | each value, classified |
//! | CloudWatch Logs subscription `{"messageType":"DATA_MESSAGE","logEvents":[{"message":"<record JSON>"}…]}` | CW Logs → Firehose/Lambda | each message's record (`CONTROL_MESSAGE` envelopes are counted, not records) |
//! | EventBridge `{"detail-type":"… via CloudTrail","detail":{record}}` | EventBridge → SQS/Firehose | `detail` |
//! | digest file (`digestStartTime`, `logFiles`) | `CloudTrail-Digest/` | [`Item::Digest`], not evaluated |
//!
//! **Insights records** (`eventType: AwsCloudTrailInsight`) are yielded as
//! [`Item::Insight`] and not evaluated by default, as Falco's plugin skips
//! them; set [`DecodeOptions::evaluate_insights`] to get them as records.
//!
//! **Bad input never stops decoding.** Every record candidate is either
//! yielded as [`Item::Record`] or reported as [`Item::Skip`] with its
//! location and a [`SkipReason`]: corrupt/truncated gzip (what was inflated
//! is still decoded), truncated JSON (records before the cut are kept),
//! invalid JSON or UTF-8 in one record (the others are kept), missing or
//! invalid `eventTime` (Falco skips those too). Records without
//! `userIdentity`, `eventName`, … are yielded: their fields are absent.
//!
//! Unlike Falco's plugin, a record without `eventType` is evaluated (Falco
//! skips it); see `docs/falco-compat.md`.

use crate::gzip::{self, InflateError};
use crate::rawjson::{self, skip_value, skip_ws, ScanError};
use crate::record::{CloudTrailEvent, Key, RecordError};
use crate::skip::{Location, Skip, SkipReason};

/// Default [`DecodeOptions::max_decompressed_bytes`]: 1 GiB.
///
/// CloudTrail delivers one S3 object per ~5 minutes per region and account;
/// real delivery files decode to a few hundred KB up to a few hundred MB at
/// most (the largest public sets, flaws.cloud, are ~100 k-event chunks well
/// under that). 1 GiB leaves ample headroom for busy accounts while a
/// gzip bomb (deflate expands up to ~1032×: a 4 MB object can decode to
/// 4 GB) can cost at most this much memory per worker.
pub const DEFAULT_MAX_DECODED_BYTES: u64 = 1 << 30;

/// Default [`DecodeOptions::max_record_bytes`]: 16 MiB.
///
/// Real CloudTrail records are a few KB (the largest in the shared real
/// corpus is ~5.4 KB; EventBridge caps a whole event at 256 KB), though
/// services with large `requestParameters`/`responseElements` produce
/// records in the hundreds of KB. 16 MiB is far above any real record and
/// bounds the cost of one record (parse, alert line) under attacker input.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;

/// Decoding limits and choices.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Largest decoded (decompressed) size accepted for one input unit
    /// (file, S3 object, SQS-notified object), in bytes. Inflation stops at
    /// the cap, so memory stays bounded; records wholly inside the first
    /// `max_decompressed_bytes` are still evaluated and the rest of the
    /// unit is reported once as [`SkipReason::TooLarge`]
    /// (`decoded size over LIMIT`). Default [`DEFAULT_MAX_DECODED_BYTES`].
    pub max_decompressed_bytes: u64,
    /// Largest single record evaluated (bytes); larger ones are reported
    /// as [`SkipReason::RecordTooLarge`] with their file and record index,
    /// and not evaluated. Default [`DEFAULT_MAX_RECORD_BYTES`].
    pub max_record_bytes: usize,
    /// Yield Insights records as [`Item::Record`] instead of
    /// [`Item::Insight`]. Default false (Falco skips them).
    pub evaluate_insights: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_decompressed_bytes: DEFAULT_MAX_DECODED_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            evaluate_insights: false,
        }
    }
}

/// `n` bytes for messages: `512 MiB`, `1 GiB`, `1000 bytes`, exact when
/// a whole number of KiB/MiB/GiB.
pub fn format_byte_limit(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// A decoded record with its position in the input.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub event: CloudTrailEvent<'a>,
    /// 0-based index among the file's record candidates.
    pub index: u64,
    /// Byte offset of the record in the decompressed input (for records
    /// inside a CloudWatch Logs envelope: the offset of the log event).
    pub offset: u64,
}

impl Record<'_> {
    /// The record's [`Location`] in file `name`.
    pub fn location(&self, name: &str) -> Location {
        Location {
            file: name.to_string(),
            record: Some(self.index),
            offset: self.offset,
        }
    }
}

/// What [`decode`] hands to its visitor, in input order.
#[derive(Debug)]
pub enum Item<'a> {
    /// A CloudTrail record to evaluate.
    Record(Record<'a>),
    /// Something that could not be evaluated.
    Skip(Skip),
    /// A digest file (or digest object); counted, not evaluated.
    Digest(Location),
    /// An Insights record, not evaluated unless
    /// [`DecodeOptions::evaluate_insights`]; `raw` is its JSON text.
    Insight { location: Location, raw: &'a str },
}

/// Counts for one decoded input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeSummary {
    /// [`Item::Record`]s yielded.
    pub records: u64,
    /// [`Item::Skip`]s yielded.
    pub skipped: u64,
    pub digests: u64,
    pub insights: u64,
    /// CloudWatch Logs `CONTROL_MESSAGE` envelopes (health checks).
    pub control_messages: u64,
    /// Size of the input after decompression.
    pub decoded_bytes: u64,
}

/// Decode one input (a file, an S3 object, stdin) and call `visit` for
/// every [`Item`], in input order.
///
/// `bytes` is the raw content (gzip or not); `name` is only used in
/// [`Location`]s. Items borrow from a buffer that lives for the duration of
/// the call: copy what must outlive the visit (e.g. `event.raw()` for an
/// alert). Never fails: problems are [`Item::Skip`]s.
///
/// `evt.num` is left at 0 and `evt.reltime` relative to the event itself:
/// the caller numbers events ([`CloudTrailEvent::set_num`]).
pub fn decode<F>(bytes: &[u8], name: &str, opts: &DecodeOptions, mut visit: F) -> DecodeSummary
where
    F: FnMut(Item<'_>),
{
    let mut summary = DecodeSummary::default();
    let mut inflated = None;
    let mut tail_skip = None;
    let data: &[u8] = if gzip::is_gzip(bytes) {
        let inflated = inflated.insert(gzip::inflate(bytes, opts.max_decompressed_bytes));
        if let Some(e) = &inflated.error {
            let (reason, detail) = match e {
                InflateError::Corrupt(m) => (
                    SkipReason::Gzip,
                    format!("gzip data corrupt or truncated: {m}"),
                ),
                InflateError::TooLarge(n) => (
                    SkipReason::TooLarge,
                    format!("decoded size over {}", format_byte_limit(*n)),
                ),
            };
            tail_skip = Some(Skip {
                location: Location {
                    file: name.to_string(),
                    record: None,
                    offset: inflated.data.len() as u64,
                },
                reason,
                detail,
            });
        }
        &inflated.data
    } else if bytes.len() as u64 > opts.max_decompressed_bytes {
        tail_skip = Some(Skip {
            location: Location {
                file: name.to_string(),
                record: None,
                offset: opts.max_decompressed_bytes,
            },
            reason: SkipReason::TooLarge,
            detail: format!(
                "decoded size over {}",
                format_byte_limit(opts.max_decompressed_bytes)
            ),
        });
        &bytes[..opts.max_decompressed_bytes as usize]
    } else {
        bytes
    };
    summary.decoded_bytes = data.len() as u64;
    let mut cx = Cx {
        name,
        opts,
        visit: &mut visit,
        summary,
        next_index: 0,
    };
    cx.input(data);
    if let Some(s) = tail_skip {
        cx.emit_skip(s);
    }
    let summary = cx.summary;
    if let Some(inflated) = inflated {
        gzip::recycle(inflated.data);
    }
    summary
}

struct Cx<'n, 'v, F> {
    name: &'n str,
    opts: &'n DecodeOptions,
    visit: &'v mut F,
    summary: DecodeSummary,
    next_index: u64,
}

impl<F: FnMut(Item<'_>)> Cx<'_, '_, F> {
    fn loc(&self, record: Option<u64>, offset: usize) -> Location {
        Location {
            file: self.name.to_string(),
            record,
            offset: offset as u64,
        }
    }

    fn emit_skip(&mut self, s: Skip) {
        self.summary.skipped += 1;
        (self.visit)(Item::Skip(s));
    }

    fn skip(
        &mut self,
        record: Option<u64>,
        offset: usize,
        reason: SkipReason,
        detail: impl Into<String>,
    ) {
        let location = self.loc(record, offset);
        self.emit_skip(Skip {
            location,
            reason,
            detail: detail.into(),
        });
    }

    fn take_index(&mut self) -> u64 {
        let i = self.next_index;
        self.next_index += 1;
        i
    }

    /// Whole input: JSON lines, or a stream of whitespace-separated values.
    fn input(&mut self, data: &[u8]) {
        let mut start = skip_ws(data, 0);
        if data[start..].starts_with(b"\xEF\xBB\xBF") {
            start = skip_ws(data, start + 3);
        }
        if start >= data.len() {
            return;
        }
        if !matches!(data[start], b'{' | b'[') {
            // Not CloudTrail JSON at all (a README, a TSV, a YAML file found
            // in a directory walk): one skip for the whole input, not one per
            // line.
            let preview: String =
                String::from_utf8_lossy(&data[start..data.len().min(start + 40)]).into_owned();
            self.skip(
                None,
                start,
                SkipReason::NotJson,
                format!("not JSON (starts with {preview:?})"),
            );
            return;
        }
        if looks_like_json_lines(data, start) {
            let mut pos = start;
            while pos < data.len() {
                let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |k| pos + k);
                let s = skip_ws(data, pos);
                if s < end {
                    self.value_in(data, s, end, true);
                }
                pos = end + 1;
            }
        } else {
            let mut pos = start;
            while pos < data.len() {
                pos = self.value_in(data, pos, data.len(), false);
                pos = skip_ws(data, pos);
            }
        }
    }

    /// One top-level value starting at `at` within `data[..limit]`; returns
    /// where the next value may start.
    fn value_in(&mut self, data: &[u8], at: usize, limit: usize, line_mode: bool) -> usize {
        let b = &data[..limit];
        if b[at] == b'{' && !line_mode {
            if let Some(next) = self.records_first(data, at, limit) {
                return next;
            }
        }
        match b[at] {
            b'{' | b'[' => match skip_value(b, at) {
                Ok(end) => {
                    if line_mode && skip_ws(b, end) < limit {
                        // Trailing garbage after the value on the same line.
                        let i = self.take_index();
                        self.skip(
                            Some(i),
                            at,
                            SkipReason::InvalidJson,
                            "unexpected text after the JSON value on this line",
                        );
                        return limit;
                    }
                    if b[at] == b'{' {
                        self.object(data, at, end);
                    } else {
                        self.array(data, at, end);
                    }
                    end
                }
                Err(_) => {
                    self.salvage(data, at, limit);
                    limit
                }
            },
            _ => {
                let i = self.take_index();
                let preview: String =
                    String::from_utf8_lossy(&b[at..limit.min(at + 40)]).into_owned();
                self.skip(
                    Some(i),
                    at,
                    SkipReason::NotJson,
                    format!("not a JSON object or array: {preview:?}"),
                );
                // Resynchronise at the next line.
                memchr::memchr(b'\n', &b[at..]).map_or(limit, |k| at + k + 1)
            }
        }
    }

    /// Fast path for the S3 delivery shape `{"Records":[…]…}` with `Records`
    /// as the first member: each record is validated, indexed and delimited
    /// by one serde pass, without pre-scanning the container. Returns the
    /// position after the object, or `None` when the shape does not apply.
    fn records_first(&mut self, data: &[u8], at: usize, limit: usize) -> Option<usize> {
        let b = &data[..limit];
        let i = skip_ws(b, at + 1);
        if !b[i..].starts_with(b"\"Records\"") {
            return None;
        }
        let j = skip_ws(b, i + 9);
        if b.get(j) != Some(&b':') {
            return None;
        }
        let k = skip_ws(b, j + 1);
        if b.get(k) != Some(&b'[') {
            return None;
        }
        let mut pos = skip_ws(b, k + 1);
        // One SIMD UTF-8 check of the whole array spares serde its check of
        // every string (invalid text falls back to checking per record, so
        // that the bad record is the one reported).
        let text = simdutf8::basic::from_utf8(&b[pos..]).ok();
        let text_at = pos;
        if b.get(pos) == Some(&b']') {
            pos += 1;
        } else {
            loop {
                if pos >= limit {
                    let i = self.take_index();
                    self.skip(
                        Some(i),
                        limit,
                        SkipReason::Truncated,
                        "Records array not closed before the end of input",
                    );
                    return Some(limit);
                }
                let index = self.take_index();
                let mut bad = false;
                let (res, end) = match text.and_then(|t| t.get(pos - text_at..)) {
                    Some(t) => CloudTrailEvent::parse_prefix_str(t),
                    None => CloudTrailEvent::parse_prefix(&b[pos..]),
                };
                match (res, end) {
                    (Ok(_), Some(len)) if len > self.opts.max_record_bytes => self.skip(
                        Some(index),
                        pos,
                        SkipReason::RecordTooLarge,
                        format!(
                            "record of {len} bytes over the record size limit {}",
                            format_byte_limit(self.opts.max_record_bytes as u64)
                        ),
                    ),
                    (r, _) => {
                        // A record cut off by the end of input has nothing
                        // after it to resume at.
                        bad = r.as_ref().is_err_and(|e| *e != RecordError::Truncated);
                        self.emit(r, index, pos)
                    }
                }
                // A bad record whose end cannot be trusted: go on at the next
                // record that parses instead of dropping the rest.
                let after = end.map(|e| skip_ws(b, pos + e));
                let separated = after.is_some_and(|a| matches!(b.get(a), Some(b',' | b']')));
                if bad && !separated {
                    match self.resync(text.map(|t| (t, text_at)), b, pos + 1, limit) {
                        Some(next) => {
                            pos = next;
                            continue;
                        }
                        None => return Some(limit),
                    }
                }
                let Some(e) = end else { return Some(limit) };
                pos = skip_ws(b, pos + e);
                match b.get(pos) {
                    Some(b',') => pos = skip_ws(b, pos + 1),
                    Some(b']') => {
                        pos += 1;
                        break;
                    }
                    None => {
                        let i = self.take_index();
                        self.skip(
                            Some(i),
                            limit,
                            SkipReason::Truncated,
                            "Records array not closed before the end of input",
                        );
                        return Some(limit);
                    }
                    Some(_) => {
                        let i = self.take_index();
                        self.skip(
                            Some(i),
                            pos,
                            SkipReason::InvalidJson,
                            "expected ',' or ']' after a record",
                        );
                        match self.resync(text.map(|t| (t, text_at)), b, pos, limit) {
                            Some(next) => pos = next,
                            None => return Some(limit),
                        }
                    }
                }
            }
        }
        // Remaining members of the container object (usually none).
        loop {
            pos = skip_ws(b, pos);
            match b.get(pos) {
                Some(b'}') => return Some(pos + 1),
                Some(b',') => {
                    let kpos = skip_ws(b, pos + 1);
                    let after_key = skip_value(b, kpos).ok().map(|e| skip_ws(b, e));
                    match after_key {
                        Some(c) if b.get(c) == Some(&b':') => {
                            match skip_value(b, skip_ws(b, c + 1)) {
                                Ok(e) => pos = e,
                                Err(err) => {
                                    let i = self.take_index();
                                    self.truncated(i, kpos, err);
                                    return Some(limit);
                                }
                            }
                        }
                        _ => {
                            let i = self.take_index();
                            self.skip(
                                Some(i),
                                pos,
                                SkipReason::Truncated,
                                "container object not closed",
                            );
                            return Some(limit);
                        }
                    }
                }
                _ => {
                    let i = self.take_index();
                    self.skip(
                        Some(i),
                        pos,
                        SkipReason::Truncated,
                        "container object not closed",
                    );
                    return Some(limit);
                }
            }
        }
    }

    /// After a broken record in a `Records` array: the start of the next
    /// element that parses as a record (a `{` after a `,`), searching from
    /// `from`. The bytes passed over are reported as one skip; `None` (and
    /// a skip for the rest of the array) when no record follows.
    /// `text` is the input from byte `.1` on, when known to be UTF-8.
    fn resync(
        &mut self,
        text: Option<(&str, usize)>,
        b: &[u8],
        from: usize,
        limit: usize,
    ) -> Option<usize> {
        const MAX_CANDIDATES: usize = 100_000;
        let mut i = from;
        let mut tried = 0;
        let found = loop {
            let Some(k) = memchr::memchr(b'{', &b[i.min(limit)..limit]) else {
                break None;
            };
            let c = i + k;
            let before = b[..c]
                .iter()
                .rposition(|x| !matches!(x, b' ' | b'\n' | b'\r' | b'\t'));
            if before.is_some_and(|p| b[p] == b',') {
                tried += 1;
                let res = match text.and_then(|(t, at)| t.get(c - at..limit - at)) {
                    Some(t) => CloudTrailEvent::parse_prefix_str(t).0,
                    None => CloudTrailEvent::parse_prefix(&b[c..limit]).0,
                };
                if res.is_ok() {
                    break Some(c);
                }
                if tried >= MAX_CANDIDATES {
                    break None;
                }
            }
            i = c + 1;
        };
        let end = found.unwrap_or(limit);
        let detail = match found {
            Some(n) => format!(
                "{} bytes passed over after a broken record; resumed at the next record (byte {n})",
                n - from
            ),
            None => format!(
                "{} bytes passed over after a broken record: no further record found",
                end.saturating_sub(from)
            ),
        };
        self.skip(None, from, SkipReason::InvalidJson, detail);
        found
    }

    /// A complete top-level array: each element classified.
    fn array(&mut self, data: &[u8], at: usize, end: usize) {
        for (s, e) in ElementsB::new(data, at, end) {
            match e {
                Ok(e) if data[s] == b'{' => self.object(data, s, e),
                Ok(_) => {
                    let i = self.take_index();
                    self.skip(
                        Some(i),
                        s,
                        SkipReason::NotAnObject,
                        "array element is not a JSON object",
                    );
                }
                Err(_) => {
                    let i = self.take_index();
                    self.skip(
                        Some(i),
                        s,
                        SkipReason::InvalidJson,
                        "malformed array element",
                    );
                    return;
                }
            }
        }
    }

    /// A complete object: classify it by its top-level members.
    fn object(&mut self, data: &[u8], at: usize, end: usize) {
        let mut records = None;
        let mut log_events = None;
        let mut message_type = None;
        let mut detail_type = None;
        let mut detail = None;
        let mut digest = false;
        let mut is_record = false;
        for (k, v) in MembersB::new(data, at, end) {
            let Ok((vs, ve)) = v else { break };
            match &data[k.0..k.1] {
                b"Records" if records.is_none() => records = Some((vs, ve)),
                b"logEvents" if log_events.is_none() => log_events = Some((vs, ve)),
                b"messageType" if message_type.is_none() => message_type = Some((vs, ve)),
                b"detail-type" if detail_type.is_none() => detail_type = Some((vs, ve)),
                b"detail" if detail.is_none() => detail = Some((vs, ve)),
                b"digestStartTime" | b"digestEndTime" => digest = true,
                b"eventTime" | b"eventName" | b"eventSource" => is_record = true,
                _ => {}
            }
        }
        if let Some((vs, ve)) = records.filter(|(vs, _)| data[*vs] == b'[') {
            if !is_record {
                for (s, e) in ElementsB::new(data, vs, ve) {
                    match e {
                        Ok(e) => self.record(data, s, e, s),
                        Err(_) => {
                            let i = self.take_index();
                            self.skip(
                                Some(i),
                                s,
                                SkipReason::InvalidJson,
                                "malformed Records element",
                            );
                            return;
                        }
                    }
                }
                return;
            }
        }
        if let (Some((ls, le)), false) = (log_events, is_record) {
            if message_type.is_some_and(|(s, e)| &data[s..e] == b"\"CONTROL_MESSAGE\"") {
                self.summary.control_messages += 1;
                return;
            }
            self.log_events(data, ls, le);
            return;
        }
        if let (Some((ds, de)), Some(_), false) = (detail, detail_type, is_record) {
            let dt = detail_type.map(|(s, e)| &data[s..e]).unwrap_or_default();
            if data[ds] == b'{' && dt.ends_with(b"via CloudTrail\"") {
                self.record(data, ds, de, at);
            } else {
                let i = self.take_index();
                let dt = String::from_utf8_lossy(dt).into_owned();
                self.skip(
                    Some(i),
                    at,
                    SkipReason::NotCloudTrail,
                    format!("EventBridge event with detail-type {dt} is not a CloudTrail record"),
                );
            }
            return;
        }
        if digest && !is_record {
            self.summary.digests += 1;
            let l = self.loc(None, at);
            (self.visit)(Item::Digest(l));
            return;
        }
        self.record(data, at, end, at);
    }

    /// CloudWatch Logs `logEvents[]`: each `message` is a record's JSON text.
    fn log_events(&mut self, data: &[u8], ls: usize, le: usize) {
        for (s, e) in ElementsB::new(data, ls, le) {
            let Ok(e) = e else { break };
            let mut message = None;
            for (k, v) in MembersB::new(data, s, e) {
                if let (b"message", Ok(v)) = (&data[k.0..k.1], v) {
                    message = Some(v);
                    break;
                }
            }
            let i = self.next_index;
            let Some((ms, me)) = message.filter(|(ms, _)| data[*ms] == b'"') else {
                self.take_index();
                self.skip(
                    Some(i),
                    s,
                    SkipReason::NotJson,
                    "CloudWatch Logs event without a string message",
                );
                continue;
            };
            let text = match std::str::from_utf8(&data[ms..me]) {
                Ok(t) => rawjson::as_str(t).unwrap_or_default().into_owned(),
                Err(err) => {
                    self.take_index();
                    self.skip(Some(i), s, SkipReason::InvalidUtf8, err.to_string());
                    continue;
                }
            };
            let tb = text.as_bytes();
            let t0 = skip_ws(tb, 0);
            if tb.get(t0) != Some(&b'{') {
                self.take_index();
                self.skip(
                    Some(i),
                    s,
                    SkipReason::NotJson,
                    "CloudWatch Logs message is not a JSON object",
                );
                continue;
            }
            self.record(tb, t0, tb.len(), s);
        }
    }

    /// One record candidate `data[s..e]`, reported at `offset`.
    fn record(&mut self, data: &[u8], s: usize, e: usize, offset: usize) {
        let index = self.take_index();
        if e - s > self.opts.max_record_bytes {
            self.skip(
                Some(index),
                offset,
                SkipReason::RecordTooLarge,
                format!(
                    "record of {} bytes over the record size limit {}",
                    e - s,
                    format_byte_limit(self.opts.max_record_bytes as u64)
                ),
            );
            return;
        }
        let res = CloudTrailEvent::parse(&data[s..e]);
        self.emit(res, index, offset);
    }

    /// Hand a parsed record (or its error) to the visitor.
    fn emit(&mut self, res: Result<CloudTrailEvent<'_>, RecordError>, index: u64, offset: usize) {
        match res {
            Ok(event) => {
                if !self.opts.evaluate_insights
                    && event
                        .top(Key::EventType)
                        .is_some_and(|t| t == "\"AwsCloudTrailInsight\"")
                {
                    self.summary.insights += 1;
                    let location = self.loc(Some(index), offset);
                    (self.visit)(Item::Insight {
                        location,
                        raw: event.raw(),
                    });
                    return;
                }
                self.summary.records += 1;
                (self.visit)(Item::Record(Record {
                    event,
                    index,
                    offset: offset as u64,
                }));
            }
            Err(err) => {
                let (reason, detail) = match err {
                    RecordError::Truncated => (
                        SkipReason::Truncated,
                        "record cut off at the end of the input".to_string(),
                    ),
                    RecordError::InvalidUtf8(m) => (SkipReason::InvalidUtf8, m),
                    RecordError::InvalidJson(m) => (SkipReason::InvalidJson, m),
                    RecordError::NotAnObject => (
                        SkipReason::NotAnObject,
                        "record is not a JSON object".to_string(),
                    ),
                    RecordError::MissingEventTime => (
                        SkipReason::MissingEventTime,
                        "record has no eventTime".to_string(),
                    ),
                    RecordError::InvalidEventTime(t) => (
                        SkipReason::InvalidEventTime,
                        format!("eventTime is not an RFC 3339 string: {t}"),
                    ),
                };
                self.skip(Some(index), offset, reason, detail);
            }
        }
    }

    /// A top-level value cut off (or broken) before `limit`: keep every
    /// complete record of a `Records` array or top-level array, report the
    /// rest as truncated.
    fn salvage(&mut self, data: &[u8], at: usize, limit: usize) {
        let b = &data[..limit];
        if b[at] == b'[' {
            for (s, e) in ElementsB::new(b, at, limit) {
                match e {
                    Ok(e) if b[s] == b'{' => self.object(b, s, e),
                    Ok(_) => {
                        let i = self.take_index();
                        self.skip(
                            Some(i),
                            s,
                            SkipReason::NotAnObject,
                            "array element is not a JSON object",
                        );
                    }
                    Err(err) => {
                        let i = self.take_index();
                        self.truncated(i, s, err);
                        return;
                    }
                }
            }
            let i = self.take_index();
            self.skip(
                Some(i),
                limit,
                SkipReason::Truncated,
                "array not closed before the end of input",
            );
            return;
        }
        for (k, v) in MembersB::new(b, at, limit) {
            let is_records = &b[k.0..k.1] == b"Records";
            match v {
                Ok((vs, ve)) if is_records && b[vs] == b'[' => {
                    // A complete Records array but a broken end of object.
                    self.object_records(b, vs, ve);
                    return;
                }
                Ok(_) => {}
                Err((vs, _)) if is_records && b.get(vs) == Some(&b'[') => {
                    for (s, e) in ElementsB::new(b, vs, limit) {
                        match e {
                            Ok(e) => self.record(b, s, e, s),
                            Err(err) => {
                                let i = self.take_index();
                                self.truncated(i, s, err);
                                return;
                            }
                        }
                    }
                    let i = self.take_index();
                    self.skip(
                        Some(i),
                        limit,
                        SkipReason::Truncated,
                        "Records array not closed before the end of input",
                    );
                    return;
                }
                Err(_) => break,
            }
        }
        let i = self.take_index();
        let err = skip_value(b, at)
            .err()
            .unwrap_or(ScanError::Truncated(limit));
        self.truncated(i, at, err);
    }

    fn object_records(&mut self, b: &[u8], vs: usize, ve: usize) {
        for (s, e) in ElementsB::new(b, vs, ve) {
            match e {
                Ok(e) => self.record(b, s, e, s),
                Err(_) => return,
            }
        }
    }

    fn truncated(&mut self, index: u64, at: usize, err: ScanError) {
        match err {
            ScanError::Truncated(end) => self.skip(
                Some(index),
                at,
                SkipReason::Truncated,
                format!("JSON value starting here is cut off at byte {end}"),
            ),
            ScanError::Unexpected(p) => self.skip(
                Some(index),
                at,
                SkipReason::InvalidJson,
                format!("unexpected byte at {p}"),
            ),
        }
    }
}

/// JSON lines: the first value is an object that fits on its first line
/// with more content after it, or the first line is broken and the second
/// non-empty line is a complete object on its own.
fn looks_like_json_lines(data: &[u8], start: usize) -> bool {
    if data[start] != b'{' {
        return false;
    }
    // An S3 delivery file (one long line when compact): stream mode.
    let k = skip_ws(data, start + 1);
    if data[k..].starts_with(b"\"Records\"") {
        return false;
    }
    let line_end =
        |from: usize| memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |k| from + k);
    let complete_line = |from: usize| -> bool {
        let end = line_end(from);
        matches!(skip_value(&data[..end], from), Ok(e) if skip_ws(&data[..end], e) == end)
    };
    let first_end = line_end(start);
    if complete_line(start) {
        return skip_ws(data, first_end) < data.len();
    }
    let second = skip_ws(data, first_end);
    second < data.len() && data[second] == b'{' && complete_line(second)
}

/// Tolerant iterator over an array's elements in `data[at..end]` (`at` on
/// `[`): yields `(start, Ok(end))` per complete element, then
/// `(start, Err(_))` once if an element is cut off or malformed.
struct ElementsB<'a> {
    b: &'a [u8],
    i: usize,
    done: bool,
}

impl<'a> ElementsB<'a> {
    fn new(data: &'a [u8], at: usize, end: usize) -> Self {
        ElementsB {
            b: &data[..end],
            i: at + 1,
            done: false,
        }
    }
}

impl Iterator for ElementsB<'_> {
    type Item = (usize, Result<usize, ScanError>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let i = skip_ws(self.b, self.i);
        if i >= self.b.len() || self.b[i] == b']' {
            self.done = true;
            return None;
        }
        match skip_value(self.b, i) {
            Ok(e) => {
                let mut k = skip_ws(self.b, e);
                match self.b.get(k) {
                    Some(b',') => k += 1,
                    Some(b']') | None => {}
                    Some(_) => {
                        self.done = true;
                        return Some((i, Err(ScanError::Unexpected(k))));
                    }
                }
                self.i = k;
                Some((i, Ok(e)))
            }
            Err(err) => {
                self.done = true;
                Some((i, Err(err)))
            }
        }
    }
}

/// Tolerant iterator over an object's members in `data[at..end]` (`at` on
/// `{`): yields `((key start, key end) without quotes, Ok((value start,
/// value end)))`, or `Err((value start, error))` once for a cut-off value.
struct MembersB<'a> {
    b: &'a [u8],
    i: usize,
    done: bool,
}

type MemberItem = ((usize, usize), Result<(usize, usize), (usize, ScanError)>);

impl<'a> MembersB<'a> {
    fn new(data: &'a [u8], at: usize, end: usize) -> Self {
        MembersB {
            b: &data[..end],
            i: at + 1,
            done: false,
        }
    }
}

impl Iterator for MembersB<'_> {
    type Item = MemberItem;
    fn next(&mut self) -> Option<MemberItem> {
        if self.done {
            return None;
        }
        let b = self.b;
        let i = skip_ws(b, self.i);
        if b.get(i) != Some(&b'"') {
            self.done = true;
            return None;
        }
        let Ok(kend) = skip_value(b, i) else {
            self.done = true;
            return None;
        };
        let key = (i + 1, kend - 1);
        let mut j = skip_ws(b, kend);
        if b.get(j) != Some(&b':') {
            self.done = true;
            return Some((key, Err((j, ScanError::Truncated(j)))));
        }
        j = skip_ws(b, j + 1);
        match skip_value(b, j) {
            Ok(e) => {
                let mut k = skip_ws(b, e);
                if b.get(k) == Some(&b',') {
                    k += 1;
                }
                self.i = k;
                Some((key, Ok((j, e))))
            }
            Err(err) => {
                self.done = true;
                Some((key, Err((j, err))))
            }
        }
    }
}
