//! Alerts written to a byte stream: Falco's text line or Falco's JSON alert,
//! one per line.

use std::io::{self, Write};

use saker_rules::output::{Alert, JsonOptions};

use crate::AlertSink;

/// How alerts are written to a stream.
#[derive(Debug, Clone, Copy)]
pub enum StreamFormat {
    /// Falco's text line `"<evt.time>: <Priority> <output>"`. Control
    /// characters (hence ANSI escape sequences) in field values are escaped:
    /// CloudTrail fields are attacker-controlled and must not drive the
    /// reader's terminal.
    Text,
    /// Falco's JSON alert (`json_output: true`), one object per line.
    Json(JsonOptions),
}

/// A sink writing one alert per line to `W` (stdout, a file).
pub struct StreamSink<W: Write + Send> {
    out: W,
    format: StreamFormat,
}

impl<W: Write + Send> StreamSink<W> {
    pub fn new(out: W, format: StreamFormat) -> Self {
        StreamSink { out, format }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> AlertSink for StreamSink<W> {
    fn deliver(&mut self, alert: &Alert, _raw: &str) -> io::Result<()> {
        match self.format {
            StreamFormat::Text => writeln!(self.out, "{}", alert.text(true)),
            StreamFormat::Json(opts) => writeln!(self.out, "{}", alert.to_json(&opts)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saker_rules::Priority;

    fn alert(output: &str) -> Alert {
        Alert {
            rule: "R".into(),
            priority: Priority::Warning,
            source: "aws_cloudtrail".into(),
            tags: vec!["aws".into()],
            time_ns: 1_689_803_080_000_000_000,
            hostname: "h".into(),
            output: output.into(),
            message: output.into(),
            output_fields: vec![("ct.user".into(), None)],
        }
    }

    #[test]
    fn text_lines_escape_terminal_control_sequences() {
        let mut sink = StreamSink::new(Vec::new(), StreamFormat::Text);
        sink.deliver(&alert("ua=\u{1b}[31mred\u{7}"), "{}").unwrap();
        let out = String::from_utf8(sink.into_inner()).unwrap();
        assert!(!out.contains('\u{1b}'), "{out:?}");
        assert!(!out.contains('\u{7}'), "{out:?}");
        assert!(out.ends_with('\n'));
        assert!(out.contains("red"));
    }

    #[test]
    fn json_lines_are_falco_alerts() {
        let mut sink = StreamSink::new(Vec::new(), StreamFormat::Json(JsonOptions::default()));
        sink.deliver(&alert("x \u{1b}"), "{}").unwrap();
        let out = String::from_utf8(sink.into_inner()).unwrap();
        let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(v["rule"], "R");
        assert_eq!(v["priority"], "Warning");
        assert_eq!(v["output_fields"]["ct.user"], serde_json::Value::Null);
        assert_eq!(v["time"], "2023-07-19T21:44:40.000000000Z");
        assert_eq!(v["output"], "x \u{1b}");
    }
}
