//! yum/dnf `updateinfo.xml` (Amazon Linux ALAS), streamed with quick-xml:
//! `<update>` → id, title, issued/updated `@date`, severity, references
//! (`type="cve"`), `pkglist/collection[@short]/package[@name @epoch
//! @version @release @arch]`. Record layout: vulns-and-runtime.md A1.1.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{alas_link, Advisory, Affected, Range, Severity};
use crate::inventory::Problem;
use crate::version::Scheme;

/// Platform and stream of an ALAS collection `short` name:
/// `amazon-linux-ami` → (`amzn:1`, core), `amazon-linux-2` → (`amzn:2`, core),
/// `amazon-linux-2---kernel-5.15` → (`amzn:2`, `kernel-5.15`),
/// `amazon-linux-2023---kernel-livepatch` → (`amzn:2023`, `kernel-livepatch`).
pub fn platform_of_collection(short: &str) -> Option<(String, Option<String>)> {
    let (base, topic) = match short.split_once("---") {
        Some((b, t)) => (b, Some(t.to_string())),
        None => (short, None),
    };
    let ver = match base {
        "amazon-linux-ami" | "amazon-linux" => "1",
        b => b.strip_prefix("amazon-linux-")?,
    };
    Some((format!("amzn:{ver}"), topic))
}

/// Platform from an advisory id when the collection is not recognised.
pub fn platform_of_id(id: &str) -> Option<&'static str> {
    if id.starts_with("ALAS2023") {
        Some("amzn:2023")
    } else if id.starts_with("ALAS2022") {
        Some("amzn:2022")
    } else if id.starts_with("ALAS2") {
        Some("amzn:2")
    } else if id.starts_with("ALAS-") {
        Some("amzn:1")
    } else {
        None
    }
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Counts from one updateinfo file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// `<update>` records loaded.
    pub advisories: usize,
    /// `<package>` entries loaded.
    pub packages: usize,
}

/// Parses an updateinfo document. `source` tags every advisory
/// (`alas:2/core`); `display` names the file in problems. Only
/// `type="security"` updates are kept. A package without `epoch` is loaded
/// with no epoch (compared ignoring epoch) and reported.
pub fn parse_updateinfo<R: BufRead>(
    input: R,
    source: &str,
    display: &str,
) -> (Vec<Advisory>, Vec<Problem>) {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut cur: Option<(Advisory, bool)> = None;
    let mut field: Option<&'static str> = None;
    let mut text = String::new();
    let mut stream: (Option<String>, Option<String>) = (None, None);
    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::new(
                    format!("{display} byte {pos}"),
                    format!(
                        "malformed XML: {e}; {} advisories before it loaded, the rest not",
                        out.len()
                    ),
                ));
                break;
            }
        };
        match ev {
            Event::Eof => {
                if cur.is_some() {
                    problems.push(Problem::new(
                        display,
                        "document ends inside an <update>; that update dropped",
                    ));
                }
                break;
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = qn(e.name());
                let attr = |k: &[u8]| -> Option<String> {
                    e.attributes()
                        .flatten()
                        .find(|a| qn(a.key) == k)
                        .and_then(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        })
                };
                match name {
                    b"update" => {
                        let security = attr(b"type").is_none_or(|t| t == "security");
                        cur = Some((
                            Advisory {
                                id: String::new(),
                                source: source.to_string(),
                                severity: Severity::Unknown,
                                title: String::new(),
                                issued: String::new(),
                                updated: String::new(),
                                cves: Vec::new(),
                                link: String::new(),
                                affected: Vec::new(),
                                cvss: None,
                            },
                            security,
                        ));
                    }
                    b"id" if !empty => field = Some("id"),
                    b"title" if !empty => field = Some("title"),
                    b"severity" if !empty => field = Some("severity"),
                    b"issued" => {
                        if let Some((a, _)) = cur.as_mut() {
                            a.issued = attr(b"date").unwrap_or_default();
                        }
                    }
                    b"updated" => {
                        if let Some((a, _)) = cur.as_mut() {
                            a.updated = attr(b"date").unwrap_or_default();
                        }
                    }
                    b"reference" => {
                        if let Some((a, _)) = cur.as_mut() {
                            if attr(b"type").as_deref() == Some("cve") {
                                if let Some(id) = attr(b"id") {
                                    if !a.cves.contains(&id) {
                                        a.cves.push(id);
                                    }
                                }
                            }
                        }
                    }
                    b"collection" => {
                        let short = attr(b"short").unwrap_or_default();
                        stream = match platform_of_collection(&short) {
                            Some((p, t)) => (Some(p), t),
                            None => (None, None),
                        };
                    }
                    b"package" => {
                        let Some((a, _)) = cur.as_mut() else { continue };
                        let (Some(name), Some(version)) = (attr(b"name"), attr(b"version")) else {
                            problems.push(Problem::new(
                                format!("{display} {} byte {pos}", a.id),
                                "package without name or version; entry skipped",
                            ));
                            continue;
                        };
                        let release = attr(b"release").unwrap_or_default();
                        let epoch = attr(b"epoch");
                        let fixed = match epoch.as_deref() {
                            Some(e) if e.parse::<u64>().is_ok() => {
                                format!("{e}:{version}-{release}")
                            }
                            other => {
                                problems.push(Problem::new(
                                    format!("{display} {} package {name}", a.id),
                                    match other {
                                        None => "package missing epoch; compared ignoring epoch"
                                            .to_string(),
                                        Some(e) => {
                                            format!("bad epoch {e:?}; compared ignoring epoch")
                                        }
                                    },
                                ));
                                format!("{version}-{release}")
                            }
                        };
                        let platform = stream
                            .0
                            .clone()
                            .or_else(|| platform_of_id(&a.id).map(String::from))
                            .unwrap_or_else(|| "amzn:unknown".into());
                        a.affected.push(Affected {
                            platform,
                            name,
                            arch: attr(b"arch"),
                            stream: stream.1.clone(),
                            scheme: Scheme::Rpm,
                            ranges: vec![Range {
                                introduced: None,
                                fixed: Some(fixed),
                                last_affected: None,
                            }],
                            versions: Vec::new(),
                        });
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) if field.is_some() => text.push_str(&t.xml10_content()),
            Event::CData(ref t) if field.is_some() => text.push_str(&t.xml10_content()),
            Event::GeneralRef(ref r) if field.is_some() => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(c) = entity(&r.xml10_content()) {
                    text.push(c);
                }
            }
            Event::End(ref e) => match qn(e.name()) {
                b"update" => {
                    if let Some((mut a, security)) = cur.take() {
                        if a.id.is_empty() {
                            problems.push(Problem::new(
                                format!("{display} byte {pos}"),
                                "update without <id>; skipped",
                            ));
                        } else if security {
                            a.link = alas_link(&a.id);
                            out.push(a);
                        }
                    }
                }
                b"collection" => stream = (None, None),
                b"id" | b"title" | b"severity" => {
                    if let (Some(f), Some((a, _))) = (field.take(), cur.as_mut()) {
                        let v = text.trim().to_string();
                        match f {
                            "id" => a.id = v,
                            "title" => a.title = v,
                            _ => a.severity = Severity::from_word(&v),
                        }
                    }
                    text.clear();
                }
                _ => {}
            },
            _ => {}
        }
        buf.clear();
    }
    (out, problems)
}

/// Package-entry and advisory counts of parsed advisories.
pub fn counts(advs: &[Advisory]) -> Counts {
    Counts {
        advisories: advs.len(),
        packages: advs.iter().map(|a| a.affected.len()).sum(),
    }
}

fn qn(q: quick_xml::name::QName<'_>) -> &[u8] {
    q.into_inner().as_bytes()
}
