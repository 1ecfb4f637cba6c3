//! Continuous mode: CloudTrail events drive re-checks of exactly the
//! resources they changed (`../shared/reference/posture.md` §4.2–4.3).
//!
//! The pure stages, each testable alone:
//!
//! ```text
//! CloudTrail record ──route──► Change ──Debouncer──► Due ──(re-describe + checks)──► Finding
//!   (serde_json::Value)        account, region,      per (account, region,          │
//!                              targets (resource      resource): union of checks,    ▼
//!                              + checks), ChangeEvent latest/first ChangeEvent   Observation ──ExposureTracker──► open exposures,
//!                                                                                                              closed windows
//! ```
//!
//! * [`route`](mod@route): the §4.2 table — which resource to re-describe and which
//!   checks to re-run for a record; failed, read-only and unrelated
//!   records route to nothing.
//! * [`debounce`]: coalesces bursts per resource (default 2 s quiet, 10 s
//!   cap), on a clock the caller supplies.
//! * [`exposure`]: exposure windows per finding from re-check results,
//!   serializable for the state store.
//!
//! The re-describe itself (one resource by id) lives in the collector.
//! [`watch`] joins the stages into the engine of `saker detect --posture`:
//! [`describe`] turns a routed resource into API lookups and patches the
//! inventory, [`implied`] records the FAILs a request itself proves (fast
//! reverts), [`aws`] is the live [`describe::Describer`], and [`alert`]
//! renders a [`PostureChange`] as a Falco-shaped alert for the sinks.

pub mod alert;
pub mod aws;
pub mod check_id;
pub mod debounce;
pub mod describe;
pub mod exposure;
pub mod implied;
pub mod resource;
pub mod route;
mod serde_time;
mod shape;
pub mod watch;

pub use check_id::CheckId;
pub use debounce::{DebounceConfig, Debouncer, Due, ResourceKey};
pub use exposure::{
    Closure, Exposure, ExposureTracker, Observation, Outcome, StateError, Verdict, Window,
};
pub use resource::{
    AddressRef, GroupRef, LaunchTemplateRef, NetworkInterfaceRef, Resource, Setting,
};
pub use route::{is_routed, route, routed_events, try_route, Change, Target, Unrouted};
pub use watch::{PostureChange, PostureWatch, Transition, WatchConfig, WatchStats};
