//! Test field tables for loader tests: they accept every field name except
//! those starting with `bad.` or `nonexistent.`, and declare the Falco
//! plugins saker's real tables reproduce (cloudtrail 0.17.1 and json 0.7.4
//! for `aws_cloudtrail`, container 0.7.1 for `syscall`). The loader only
//! asks tables which sources exist, whether an exception field exists and
//! which plugins are loaded; type checking is `Ruleset::compile`'s job,
//! tested with the real tables in the `saker` crate.

use std::sync::Arc;

use saker_rules::fields::{FieldArg, FieldDef, FieldFlags, FieldTable, FieldType, ResolvedField};

pub struct AnyFieldTable {
    source: String,
}

impl FieldTable for AnyFieldTable {
    fn source(&self) -> &str {
        &self.source
    }

    fn fields(&self) -> &[FieldDef] {
        &[]
    }

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField, String> {
        if name.starts_with("bad.") || name.starts_with("nonexistent.") {
            return Err(format!("filter_check called with nonexistent field {name}"));
        }
        Ok(ResolvedField {
            id: 0,
            arg: arg.map_or(FieldArg::None, |a| FieldArg::Key(a.to_string())),
            ty: FieldType::String,
            is_list: false,
            flags: FieldFlags::default(),
            display: name.to_string(),
        })
    }

    fn plugins(&self) -> &[(&'static str, &'static str)] {
        match self.source.as_str() {
            "aws_cloudtrail" => &[("cloudtrail", "0.17.1"), ("json", "0.7.4")],
            "syscall" => &[("container", "0.7.1")],
            _ => &[],
        }
    }
}

/// One permissive table per source name.
pub fn tables(sources: &[String]) -> Vec<Arc<dyn FieldTable>> {
    sources
        .iter()
        .map(|s| Arc::new(AnyFieldTable { source: s.clone() }) as Arc<dyn FieldTable>)
        .collect()
}
