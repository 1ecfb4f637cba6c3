//! `ct.user` and `ct.originaluser` (cloudtrail plugin 0.17.1 `getUser`).

use crate::rawjson;
use crate::record::{CloudTrailEvent, Key};
use std::borrow::Cow;

/// `ct.user`, by `userIdentity.type` (a string, else absent):
///
/// | type | value |
/// |---|---|
/// | `Root`, `IAMUser` | ⟨d⟩ `userIdentity.userName` (absent if missing) |
/// | `AWSService` | ⟨d⟩ `userIdentity.invokedBy` |
/// | `AssumedRole` | ⟨d⟩ `userIdentity.sessionContext.sessionIssuer.userName`, else `AssumedRole` |
/// | `AWSAccount` | `AWSAccount` |
/// | `FederatedUser` | `FederatedUser` |
/// | anything else | absent |
pub fn user<'a>(ev: &CloudTrailEvent<'a>) -> Option<Cow<'a, str>> {
    let ty = ev.string(Key::UserIdentity, &["type"])?;
    match &*ty {
        "Root" | "IAMUser" => ev.direct(Key::UserIdentity, &["userName"]),
        "AWSService" => ev.direct(Key::UserIdentity, &["invokedBy"]),
        "AssumedRole" => Some(
            ev.direct(
                Key::UserIdentity,
                &["sessionContext", "sessionIssuer", "userName"],
            )
            .unwrap_or(Cow::Borrowed("AssumedRole")),
        ),
        "AWSAccount" => Some(Cow::Borrowed("AWSAccount")),
        "FederatedUser" => Some(Cow::Borrowed("FederatedUser")),
        _ => None,
    }
}

/// `ct.originaluser`: for `AssumedRole`, the session name (3rd part of a
/// 3-part `arn` split on `/`, else 2nd part of a 2-part `principalId` split
/// on `:`, else absent); for every other type ⟨d⟩ `userIdentity.userName`.
pub fn original_user<'a>(ev: &CloudTrailEvent<'a>) -> Option<Cow<'a, str>> {
    let ty = ev.string(Key::UserIdentity, &["type"]);
    if ty.as_deref() != Some("AssumedRole") {
        return ev.direct(Key::UserIdentity, &["userName"]);
    }
    let text = |k: &str| -> Cow<'a, str> {
        ev.at(Key::UserIdentity, &[k])
            .and_then(rawjson::as_str)
            .unwrap_or(Cow::Borrowed(""))
    };
    let arn = text("arn");
    let parts: Vec<&str> = arn.split('/').collect();
    if parts.len() == 3 {
        return Some(Cow::Owned(parts[2].to_string()));
    }
    let pid = text("principalId");
    let parts: Vec<&str> = pid.split(':').collect();
    if parts.len() == 2 {
        return Some(Cow::Owned(parts[1].to_string()));
    }
    None
}
