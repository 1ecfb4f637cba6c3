//! A small element tree for AWS Query-protocol responses.
//!
//! EC2 (`<DescribeXResponse><xSet><item>…`), IAM and STS
//! (`<XResponse><XResult><Xs><member>…`) answer with plain XML: elements and
//! text, no attributes that matter, no mixed content. Parsing into a tree of
//! [`Node`]s and reading fields by element name keeps the per-resource
//! parsers short and tolerant of elements they do not know. Namespaces are
//! dropped (local names only).

use quick_xml::events::Event;
use quick_xml::Reader;

/// One XML element: its local name, its text (concatenated, unescaped,
/// trimmed) and its child elements in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

/// Parse a whole document into its root element.
///
/// # Errors
/// Malformed XML or no root element, as a message with the byte position.
pub fn parse(doc: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(doc);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {pos}: {e}"))?;
        match event {
            Event::Start(e) => stack.push(Node {
                name: local(e.local_name().as_ref()),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    name: local(e.local_name().as_ref()),
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = root.or(Some(node)),
                }
            }
            Event::End(_) => {
                let mut node = stack
                    .pop()
                    .ok_or_else(|| format!("XML error at byte {pos}: unbalanced end tag"))?;
                node.text = node.text.trim().to_string();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = root.or(Some(node)),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.xml10_content();
                    top.text.push_str(&resolve_entity(&name).ok_or_else(|| {
                        format!("XML error at byte {pos}: unknown entity &{name};")
                    })?);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.xml10_content());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!("XML error: unclosed element <{}>", stack[0].name));
    }
    root.ok_or_else(|| "XML error: no root element".to_string())
}

fn local(name: &str) -> String {
    name.to_string()
}

/// `&lt;` and friends plus numeric references (`&#10;`, `&#x41;`).
fn resolve_entity(name: &str) -> Option<String> {
    let s = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        "apos" => "'",
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            return char::from_u32(code).map(String::from);
        }
    };
    Some(s.to_string())
}

impl Node {
    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Follow a path of child names (`["ListInstanceProfilesResult",
    /// "InstanceProfiles"]`).
    pub fn path(&self, names: &[&str]) -> Option<&Node> {
        names.iter().try_fold(self, |n, name| n.child(name))
    }

    /// The list elements (`<item>` for EC2, `<member>` for IAM/STS) under
    /// the child `name`; empty when the child is absent.
    pub fn items<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Node> + 'a {
        self.child(name)
            .into_iter()
            .flat_map(|c| c.children.iter())
            .filter(|c| c.name == "item" || c.name == "member")
    }

    /// The text of child `name`, `None` when absent or empty (the API sends
    /// empty elements for unset values, e.g. `<instanceId/>` on an
    /// unassociated Elastic IP).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// [`text`](Self::text) as an owned string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.text(name).map(str::to_string)
    }

    /// Child `name` as a boolean (`true`/`false`); `None` when absent.
    ///
    /// # Errors
    /// Present but not a boolean.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, String> {
        match self.text(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(format!("<{name}> is {other:?}, expected true or false")),
        }
    }

    /// Child `name` as an integer; `None` when absent.
    ///
    /// # Errors
    /// Present but not an integer.
    pub fn i32(&self, name: &str) -> Result<Option<i32>, String> {
        self.text(name)
            .map(|t| {
                t.parse::<i32>()
                    .map_err(|_| format!("<{name}> is {t:?}, expected an integer"))
            })
            .transpose()
    }

    /// Child `name`'s text, which must be present.
    ///
    /// # Errors
    /// Absent or empty.
    pub fn required(&self, name: &str) -> Result<String, String> {
        self.string(name)
            .ok_or_else(|| format!("<{}> has no <{name}>", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_items_text_entities_and_empty_elements() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeAddressesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r-1</requestId>
  <addressesSet>
    <item><publicIp>1.2.3.4</publicIp><instanceId/><tagSet><item><key>a&amp;b</key><value>&#x41;&lt;</value></item></tagSet></item>
    <item><publicIp>5.6.7.8</publicIp><instanceId>i-1</instanceId></item>
  </addressesSet>
</DescribeAddressesResponse>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "DescribeAddressesResponse");
        let items: Vec<_> = root.items("addressesSet").collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text("instanceId"), None);
        assert_eq!(items[1].text("instanceId"), Some("i-1"));
        let tag = items[0].items("tagSet").next().unwrap();
        assert_eq!(tag.text("key"), Some("a&b"));
        assert_eq!(tag.text("value"), Some("A<"));
    }

    #[test]
    fn rejects_malformed_documents_with_a_position() {
        let err = parse("<a><b></a>").unwrap_err();
        assert!(err.contains("XML error"), "{err}");
        assert!(parse("").is_err());
        assert!(parse("<!doctype html><html><p>x</html>").is_err());
    }

    #[test]
    fn typed_accessors_reject_bad_values() {
        let root = parse("<x><n>12</n><b>yes</b><m>z</m></x>").unwrap();
        assert_eq!(root.i32("n").unwrap(), Some(12));
        assert!(root.bool("b").is_err());
        assert!(root.i32("m").is_err());
        assert_eq!(root.i32("absent").unwrap(), None);
        assert!(root
            .required("absent")
            .unwrap_err()
            .contains("<x> has no <absent>"));
    }
}
