//! Example values of every field of a field table, taken from real
//! CloudTrail data: what `saker rules fields --examples PATH` prints and
//! `docs/fields.md` is generated from.

use saker_cloudtrail::{decode, DecodeOptions, Item};
use saker_ingest::SourceUnit;
use saker_rules::fields::{ArgForm, FieldDef, FieldTable, Value};

/// Longest example value kept, in characters (longer ones end with `…`).
pub const MAX_EXAMPLE_CHARS: usize = 120;

/// The argument used to show a field that requires one.
fn example_arg(def: &FieldDef) -> Option<&'static str> {
    match def.arg {
        ArgForm::KeyRequired => Some("/userIdentity/arn"),
        ArgForm::IndexRequired => Some("0"),
        ArgForm::IndexOrKey { required: true } => Some("0"),
        _ => None,
    }
}

/// One field and the first non-empty value found for it, if any.
#[derive(Debug, Clone)]
pub struct FieldExample {
    pub def: FieldDef,
    /// The token the example was extracted with (e.g. `json.value[/userIdentity/arn]`).
    pub token: String,
    /// Falco's text rendering of the first non-empty value found.
    pub example: Option<String>,
}

/// For each field of `table`, the first non-empty value in the CloudTrail
/// records of `units` (read in order; stops early once every field has an
/// example). Units that cannot be read or decoded are passed over.
pub fn field_examples(table: &dyn FieldTable, units: &[SourceUnit]) -> Vec<FieldExample> {
    let defs = table.fields();
    let resolved: Vec<_> = defs
        .iter()
        .map(|d| table.resolve(d.name, example_arg(d)).ok())
        .collect();
    let mut out: Vec<FieldExample> = defs
        .iter()
        .zip(&resolved)
        .map(|(d, r)| FieldExample {
            def: d.clone(),
            token: r
                .as_ref()
                .map_or_else(|| d.name.to_string(), |r| r.display.clone()),
            example: None,
        })
        .collect();
    let mut missing = out.len();
    for unit in units {
        if missing == 0 {
            break;
        }
        let Ok(bytes) = unit.read_all() else { continue };
        let mut num = 0;
        decode(
            &bytes,
            &unit.display_name(),
            &DecodeOptions::default(),
            |item| {
                let Item::Record(mut rec) = item else { return };
                num += 1;
                rec.event.set_num(num);
                for (ex, r) in out.iter_mut().zip(&resolved) {
                    if ex.example.is_some() {
                        continue;
                    }
                    let Some(r) = r else { continue };
                    let Some(v) = saker_rules::fields::Event::extract(&rec.event, r) else {
                        continue;
                    };
                    if is_empty(&v) {
                        continue;
                    }
                    let mut s = String::new();
                    v.render(&mut s);
                    if s.chars().count() > MAX_EXAMPLE_CHARS {
                        s = s.chars().take(MAX_EXAMPLE_CHARS).collect::<String>() + "…";
                    }
                    ex.example = Some(s);
                    missing -= 1;
                }
            },
        );
    }
    out
}

fn is_empty(v: &Value<'_>) -> bool {
    match v {
        Value::Str(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.is_empty(),
        _ => false,
    }
}
