//! Request parameters of the AWS Query protocol.
//!
//! A request is a form-encoded POST body `Action=…&Version=…&Name=value…`.
//! Lists are flattened with 1-based indexes: EC2 `ImageId.1=…&ImageId.2=…`,
//! filters `Filter.1.Name=owner-id&Filter.1.Value.1=…` (EC2 API reference,
//! "Query requests"; IAM/STS use the same encoding).

/// The parameters of one request, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
    filters: usize,
}

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params::default()
    }

    /// Add `name=value`.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<String>) -> Params {
        self.pairs.push((name.into(), value.into()));
        self
    }

    /// Add a list: `name.1=v1&name.2=v2…` (nothing for an empty list).
    pub fn list<S: AsRef<str>>(mut self, name: &str, values: &[S]) -> Params {
        for (i, v) in values.iter().enumerate() {
            self.pairs
                .push((format!("{name}.{}", i + 1), v.as_ref().to_string()));
        }
        self
    }

    /// Add an EC2 filter: `Filter.N.Name=name&Filter.N.Value.M=…`.
    pub fn filter<S: AsRef<str>>(mut self, name: &str, values: &[S]) -> Params {
        self.filters += 1;
        let n = self.filters;
        self.pairs
            .push((format!("Filter.{n}.Name"), name.to_string()));
        self.list(&format!("Filter.{n}.Value"), values)
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Replace (or add) `name=value`.
    pub fn replace(mut self, name: &str, value: impl Into<String>) -> Params {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((name.to_string(), value)),
        }
        self
    }

    /// The form body for `action` at API `version`.
    pub fn body(&self, action: &str, version: &str) -> String {
        let mut out = format!("Action={}&Version={}", encode(action), encode(version));
        for (k, v) in &self.pairs {
            out.push('&');
            out.push_str(&encode(k));
            out.push('=');
            out.push_str(&encode(v));
        }
        out
    }
}

/// Percent-encode everything but the RFC 3986 unreserved characters, as
/// SigV4 and the Query protocol expect (space is `%20`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_flattens_lists_and_filters() {
        let p = Params::new()
            .filter("owner-id", &["123456789012"])
            .list("RestorableBy", &["all"])
            .filter("tag:Name", &["a b", "c&d"])
            .set("MaxResults", "1000");
        assert_eq!(
            p.body("DescribeSnapshots", "2016-11-15"),
            "Action=DescribeSnapshots&Version=2016-11-15&Filter.1.Name=owner-id&Filter.1.Value.1=123456789012\
             &RestorableBy.1=all&Filter.2.Name=tag%3AName&Filter.2.Value.1=a%20b&Filter.2.Value.2=c%26d\
             &MaxResults=1000"
        );
        assert_eq!(p.get("MaxResults"), Some("1000"));
        let p = p.replace("MaxResults", "5").replace("NextToken", "x/y=");
        assert_eq!(p.get("MaxResults"), Some("5"));
        assert!(p.body("A", "1").ends_with("&NextToken=x%2Fy%3D"));
    }

    #[test]
    fn empty_list_adds_nothing() {
        let none: [&str; 0] = [];
        assert_eq!(
            Params::new().list("ImageId", &none).body("A", "1"),
            "Action=A&Version=1"
        );
    }
}
