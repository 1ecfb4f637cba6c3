//! Downloading advisory sources (`saker vulns db update --from URL`).
//!
//! What a URL may name, and what is followed (vulns-and-runtime.md A1.1):
//!
//! * a yum/dnf `mirror.list` (`…/al2023/core/mirrors/latest/x86_64/mirror.list`):
//!   the first mirror that answers is used as the repository root;
//! * a repository root (ending in `/`) or its `repodata/repomd.xml`: the
//!   `<data type="updateinfo">` location is followed to
//!   `updateinfo.xml[.gz]`;
//! * the AL2 `extras-catalog.json`: every topic's repository
//!   (`<dir>/extras/<topic>/latest/x86_64/mirror.list`, the layout
//!   vuls-data-update follows) is fetched as above;
//! * an `updateinfo.xml[.gz]` itself;
//! * an osv.dev export (`…/<ecosystem>/all.zip`) or an OSV `.json` record.
//!
//! Bodies are read into memory with a size cap ([`Fetcher::max_bytes`]);
//! gzip is recognised by its magic bytes. Plain `http://` and `https://`
//! (rustls with the system's roots via reqwest) are supported; proxies come
//! from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.

use std::io::Read;
use std::time::Duration;

use super::{db, Advisory};
use crate::inventory::Problem;

/// Largest body read from one URL (1 GiB), and largest gunzipped updateinfo.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// An HTTP(S) client for advisory sources.
pub struct Fetcher {
    client: reqwest::blocking::Client,
    /// Bodies larger than this many bytes are refused.
    pub max_bytes: u64,
    /// Architecture of the AL2 extras repositories (`x86_64`); advisories
    /// are the same for every architecture, since pkglists list them all.
    pub extras_arch: String,
}

/// Is `s` an `http://` or `https://` URL?
pub fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// `href` resolved against `base` (a directory URL or a file URL): absolute
/// URLs are kept, `/path` is taken from the origin, others are relative to
/// `base`'s directory.
pub fn join(base: &str, href: &str) -> String {
    if is_url(href) {
        return href.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    if let Some(abs) = href.strip_prefix('/') {
        let origin_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        return format!("{}/{abs}", &base[..origin_end]);
    }
    let dir_end = base[scheme_end..]
        .rfind('/')
        .map_or(base.len(), |i| scheme_end + i + 1);
    let dir = &base[..dir_end];
    if dir.ends_with('/') {
        format!("{dir}{href}")
    } else {
        format!("{dir}/{href}")
    }
}

/// The path of a URL without query or fragment.
fn url_path(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// The last path segment of a URL.
fn file_name(url: &str) -> &str {
    url_path(url).rsplit('/').next().unwrap_or("")
}

fn gunzip(bytes: &[u8], max: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("bad gzip data: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!("more than {max} bytes once decompressed; refused"));
    }
    Ok(out)
}

fn is_gzip(b: &[u8]) -> bool {
    b.starts_with(&[0x1f, 0x8b])
}

impl Fetcher {
    /// A client with a 30 s connect timeout and `timeout` per request.
    ///
    /// # Errors
    /// The TLS backend cannot be initialised.
    pub fn new(timeout: Duration) -> Result<Fetcher, String> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(timeout)
            .user_agent(concat!("saker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Fetcher {
            client,
            max_bytes: DEFAULT_MAX_BYTES,
            extras_arch: "x86_64".into(),
        })
    }

    /// GETs `url`: the body of a 2xx answer.
    ///
    /// # Errors
    /// Connection or TLS failure, a non-2xx status, a body over
    /// [`Fetcher::max_bytes`].
    pub fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let resp = self
            .client
            .get(url)
            .send()
            .map_err(|e| format!("GET failed: {}", error_chain(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        if resp.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(format!("body over {} bytes; refused", self.max_bytes));
        }
        let mut body = Vec::new();
        resp.take(self.max_bytes + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("reading body: {e}"))?;
        if body.len() as u64 > self.max_bytes {
            return Err(format!("body over {} bytes; refused", self.max_bytes));
        }
        Ok(body)
    }

    /// Loads every advisory reachable from `url` (see the module docs).
    /// Problems name the URL they are about; what could be loaded is kept.
    pub fn load_url(&self, url: &str) -> (Vec<Advisory>, Vec<Problem>) {
        let mut advs = Vec::new();
        let mut problems = Vec::new();
        self.load_into(url, &mut advs, &mut problems);
        (advs, problems)
    }

    fn load_into(&self, url: &str, advs: &mut Vec<Advisory>, problems: &mut Vec<Problem>) {
        let path = url_path(url);
        let name = file_name(url).to_ascii_lowercase();
        if name == "mirror.list" || name == "mirrorlist" {
            self.load_mirror_list(url, advs, problems);
        } else if let Some(root) = path.strip_suffix("repodata/repomd.xml") {
            self.load_repo(root, Some(url), advs, problems);
        } else if path.ends_with('/') {
            self.load_repo(path, None, advs, problems);
        } else if name.starts_with("extras-catalog") && name.ends_with(".json") {
            self.load_extras_catalog(url, advs, problems);
        } else {
            match self.get(url) {
                Ok(body) => self.load_body(url, &name, body, advs, problems),
                Err(e) => problems.push(Problem::new(url, e)),
            }
        }
    }

    /// A `mirror.list`: one repository URL a line; the first that serves a
    /// `repodata/repomd.xml` is used.
    fn load_mirror_list(&self, url: &str, advs: &mut Vec<Advisory>, problems: &mut Vec<Problem>) {
        let body = match self.get(url) {
            Ok(b) => b,
            Err(e) => return problems.push(Problem::new(url, e)),
        };
        let text = String::from_utf8_lossy(&body);
        let mirrors: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let m = join(url, l);
                if m.ends_with('/') {
                    m
                } else {
                    format!("{m}/")
                }
            })
            .collect();
        if mirrors.is_empty() {
            return problems.push(Problem::new(url, "mirror list names no mirror"));
        }
        let mut failures = Vec::new();
        for m in &mirrors {
            let repomd = format!("{m}repodata/repomd.xml");
            match self.get(&repomd) {
                Ok(body) => return self.follow_repomd(m, &repomd, &body, advs, problems),
                Err(e) => failures.push(format!("{repomd}: {e}")),
            }
        }
        problems.push(Problem::new(
            url,
            format!("no mirror answered: {}", failures.join("; ")),
        ));
    }

    fn load_repo(
        &self,
        root: &str,
        repomd_url: Option<&str>,
        advs: &mut Vec<Advisory>,
        problems: &mut Vec<Problem>,
    ) {
        let repomd = repomd_url.map_or_else(|| format!("{root}repodata/repomd.xml"), String::from);
        match self.get(&repomd) {
            Ok(body) => self.follow_repomd(root, &repomd, &body, advs, problems),
            Err(e) => problems.push(Problem::new(repomd, e)),
        }
    }

    /// `repomd.xml` → its updateinfo location → the parsed advisories.
    fn follow_repomd(
        &self,
        root: &str,
        repomd_url: &str,
        body: &[u8],
        advs: &mut Vec<Advisory>,
        problems: &mut Vec<Problem>,
    ) {
        let text = String::from_utf8_lossy(body);
        let href = match super::repomd::updateinfo_location(&text) {
            Ok(Some(h)) => h,
            Ok(None) => {
                return problems.push(Problem::new(
                    repomd_url,
                    "no updateinfo entry: this repository publishes no advisories",
                ))
            }
            Err(e) => return problems.push(Problem::new(repomd_url, e)),
        };
        let target = join(root, &href);
        let lower = href.to_ascii_lowercase();
        if lower.ends_with(".xz") || lower.ends_with(".zst") || lower.ends_with(".bz2") {
            return problems.push(Problem::new(
                target,
                "updateinfo compression not supported (only .gz and plain XML)",
            ));
        }
        match self.get(&target) {
            Ok(b) => self.load_updateinfo_body(&target, b, advs, problems),
            Err(e) => problems.push(Problem::new(target, e)),
        }
    }

    fn load_updateinfo_body(
        &self,
        url: &str,
        body: Vec<u8>,
        advs: &mut Vec<Advisory>,
        problems: &mut Vec<Problem>,
    ) {
        if is_gzip(&body) {
            // Stream the gzip straight into the parser, with the same cap
            // on the decompressed size.
            let dec = flate2::read::MultiGzDecoder::new(&body[..]).take(self.max_bytes);
            db::load_updateinfo(std::io::BufReader::new(dec), false, url, advs, problems);
        } else {
            db::load_updateinfo(&body[..], false, url, advs, problems);
        }
    }

    /// The AL2 extras catalogue: fetch every topic's repository.
    fn load_extras_catalog(
        &self,
        url: &str,
        advs: &mut Vec<Advisory>,
        problems: &mut Vec<Problem>,
    ) {
        let body = match self.get(url) {
            Ok(b) => b,
            Err(e) => return problems.push(Problem::new(url, e)),
        };
        let topics = match extras_topics(&body) {
            Ok(t) => t,
            Err(e) => return problems.push(Problem::new(url, e)),
        };
        for t in topics {
            let list = join(
                url,
                &format!("extras/{t}/latest/{}/mirror.list", self.extras_arch),
            );
            let before = problems.len();
            let mut found = Vec::new();
            self.load_mirror_list(&list, &mut found, problems);
            // Many topics publish no advisories: not a problem.
            if problems.len() == before + 1
                && problems[before].message.starts_with("no updateinfo entry")
            {
                problems.pop();
            }
            advs.extend(found);
        }
    }

    fn load_body(
        &self,
        url: &str,
        name: &str,
        body: Vec<u8>,
        advs: &mut Vec<Advisory>,
        problems: &mut Vec<Problem>,
    ) {
        if body.starts_with(b"PK\x03\x04") || name.ends_with(".zip") {
            // osv.dev exports live at <bucket>/<ecosystem>/all.zip.
            let segs: Vec<&str> = url_path(url).rsplit('/').collect();
            let source = (name == "all.zip" && segs.len() > 1)
                .then(|| format!("osv:{}", percent_decode(segs[1])));
            return db::load_osv_zip(body, url, source.as_deref(), advs, problems);
        }
        if name.contains("updateinfo") || looks_like_updateinfo(&body, self.max_bytes) {
            return self.load_updateinfo_body(url, body, advs, problems);
        }
        let body = if is_gzip(&body) {
            match gunzip(&body, self.max_bytes) {
                Ok(b) => b,
                Err(e) => return problems.push(Problem::new(url, e)),
            }
        } else {
            body
        };
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if matches!(first, Some(b'{') | Some(b'[')) {
            match String::from_utf8(body) {
                Ok(t) => db::load_osv_text(&t, url, advs, problems),
                Err(e) => problems.push(Problem::new(url, format!("not UTF-8 JSON: {e}"))),
            }
            return;
        }
        problems.push(Problem::new(
            url,
            "not an advisory source (mirror.list, repomd.xml, updateinfo.xml[.gz], extras-catalog.json, OSV .json or .zip)",
        ));
    }
}

/// The topic names of an AL2 `extras-catalog.json` (`topics[].n`).
///
/// # Errors
/// Not JSON, or no `topics` array.
pub fn extras_topics(body: &[u8]) -> Result<Vec<String>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not an extras catalogue: {e}"))?;
    let topics = v
        .get("topics")
        .and_then(|t| t.as_array())
        .ok_or("extras catalogue without a topics array")?;
    Ok(topics
        .iter()
        .filter_map(|t| t.get("n").and_then(|n| n.as_str()))
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
        .map(String::from)
        .collect())
}

fn looks_like_updateinfo(body: &[u8], max: u64) -> bool {
    let head: Vec<u8> = if is_gzip(body) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(body)
            .take(512.min(max))
            .read_to_end(&mut out);
        out
    } else {
        body[..body.len().min(512)].to_vec()
    };
    String::from_utf8_lossy(&head).contains("<updates")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_a_browser() {
        let m = "https://cdn.example/al2023/core/mirrors/latest/x86_64/mirror.list";
        assert_eq!(
            join(m, "https://r.example/core/guids/abc/x86_64/"),
            "https://r.example/core/guids/abc/x86_64/"
        );
        assert_eq!(
            join("http://h:8/repo/", "repodata/x-updateinfo.xml.gz"),
            "http://h:8/repo/repodata/x-updateinfo.xml.gz"
        );
        assert_eq!(
            join(
                "http://h:8/2/extras-catalog.json",
                "extras/kernel-5.15/latest/x86_64/mirror.list"
            ),
            "http://h:8/2/extras/kernel-5.15/latest/x86_64/mirror.list"
        );
        assert_eq!(join("http://h:8/a/b", "/c"), "http://h:8/c");
        assert_eq!(percent_decode("Rocky%20Linux"), "Rocky Linux");
        assert_eq!(file_name("http://h/x/all.zip?x=1"), "all.zip");
    }
}
