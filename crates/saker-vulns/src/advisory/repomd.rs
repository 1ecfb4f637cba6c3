//! `repodata/repomd.xml`: finds the `<data type="updateinfo">` location
//! (`repodata/<hash>-updateinfo.xml.gz`), as trivy's vuln-list-update and
//! vuls-data-update do.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The `location/@href` of the `updateinfo` data entry, if present.
pub fn updateinfo_location(xml: &str) -> Result<Option<String>, String> {
    let mut reader = Reader::from_str(xml);
    let mut in_updateinfo = false;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(None),
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match qn(e.name()) {
                b"data" => {
                    in_updateinfo = e
                        .attributes()
                        .flatten()
                        .any(|a| qn(a.key) == b"type" && &*a.value == "updateinfo");
                }
                b"location" if in_updateinfo => {
                    return Ok(e
                        .attributes()
                        .flatten()
                        .find(|a| qn(a.key) == b"href")
                        .and_then(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        }));
                }
                _ => {}
            },
            Ok(Event::End(e)) if qn(e.name()) == b"data" => in_updateinfo = false,
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "malformed repomd.xml at byte {}: {e}",
                    reader.buffer_position()
                ))
            }
        }
    }
}

fn qn(q: quick_xml::name::QName<'_>) -> &[u8] {
    q.into_inner().as_bytes()
}
