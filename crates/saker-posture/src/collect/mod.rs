//! Collection: the inventory of every account and region
//! (`../shared/reference/posture.md` §4, §5, §6).
//!
//! Per account: `sts:GetCallerIdentity`, `ec2:DescribeRegions(AllRegions)`,
//! `iam:ListInstanceProfiles`. Per region, concurrently (at most
//! [`CollectOptions::max_concurrency`] regions in flight): one paginated
//! call per API, joined in memory ([`region::collect_region`]); never one
//! call per resource where a list call exists. The per-resource calls that
//! remain are `GetManagedPrefixListEntries` per prefix list that a rule
//! references, `DescribeSnapshotAttribute` per *public candidate* snapshot
//! and `DescribeImages` per batch of 200 image ids instances run.
//!
//! A failed call (access denied, region disabled, throttling that outlasts
//! the retries, an unreadable response) leaves its inventory field `None`
//! with the error under the field's API name ([`api`]); the rest goes on.
//! The one fatal case: without `--role-arn`, the current credentials cannot
//! even call `sts:GetCallerIdentity`.
//!
//! ```no_run
//! # async fn f() -> Result<(), saker_posture::collect::CollectSetupError> {
//! use saker_posture::collect::{collect, CollectOptions};
//! let opts = CollectOptions {
//!     regions: Some(vec!["eu-west-1".into()]),
//!     ..CollectOptions::default()
//! };
//! let run = collect(&opts).await?;
//! run.inventory.save(std::path::Path::new("inventory.json")).ok();
//! println!("{} API requests", run.total_requests());
//! # Ok(()) }
//! ```

pub mod api;
pub mod describe;
pub mod parse;
pub mod redescribe;
pub mod region;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::ec2api::{
    partition_of, ApiCounts, ApiError, ApiStats, Client, ClientConfig, CredentialSource, Limiter,
    RetryConfig,
};
use crate::inventory::{AccountInventory, CollectError, Inventory, RegionInventory};
use describe::RegionApi;

pub use region::RegionSettings;

/// Region used for STS and `DescribeRegions` when none is configured.
pub const DEFAULT_HOME_REGION: &str = "us-east-1";

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Regions to collect (`--region`, repeatable). `None`: every region
    /// enabled for the account (`DescribeRegions(AllRegions=true)`, minus
    /// `not-opted-in`). A named region that is not enabled or unknown is
    /// reported (every API not collected), not called.
    pub regions: Option<Vec<String>>,
    /// Roles to assume, one account each (`--role-arn`, repeatable). Empty,
    /// with no [`accounts`](Self::accounts): the current credentials.
    pub role_arns: Vec<String>,
    /// Account ids to collect by assuming [`role_name`](Self::role_name) in
    /// each (`arn:{partition}:iam::{account}:role/{role_name}`).
    pub accounts: Vec<String>,
    /// The role name for [`accounts`](Self::accounts).
    pub role_name: Option<String>,
    /// `sts:AssumeRole` external id, if the roles require one.
    pub external_id: Option<String>,
    /// Named profile of the shared config files (`AWS_PROFILE` otherwise).
    pub profile: Option<String>,
    /// Region for STS and `DescribeRegions`; otherwise the chain's
    /// (`AWS_REGION`, profile), otherwise [`DEFAULT_HOME_REGION`].
    pub home_region: Option<String>,
    /// One endpoint for EC2, IAM and STS (`--endpoint-url`; an emulator
    /// such as moto). Otherwise `AWS_ENDPOINT_URL[_EC2|_IAM|_STS]` or AWS.
    pub endpoint_url: Option<String>,
    /// Regions collected at once, over all accounts (≥ 1; default 8).
    pub max_concurrency: usize,
    pub retry: RetryConfig,
    /// `MaxResults` override for paginated calls (clamped to each API's
    /// range); `None` = each API's maximum. Small pages exist for tests.
    pub page_size: Option<u32>,
    /// A prepared SDK configuration (credentials, region, endpoint) used
    /// instead of loading one from `profile` / the environment.
    pub sdk_config: Option<SdkConfig>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            regions: None,
            role_arns: Vec::new(),
            accounts: Vec::new(),
            role_name: None,
            external_id: None,
            profile: None,
            home_region: None,
            endpoint_url: None,
            max_concurrency: 8,
            retry: RetryConfig::default(),
            page_size: None,
            sdk_config: None,
        }
    }
}

/// Errors that stop a collection before any account is collected.
#[derive(Debug, thiserror::Error)]
pub enum CollectSetupError {
    #[error("invalid option: {0}")]
    BadOption(String),
    #[error(
        "cannot identify the AWS account of the current credentials (sts:GetCallerIdentity): {0}"
    )]
    Identity(ApiError),
    #[error("cannot start the HTTP client: {0}")]
    Http(ApiError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// The result of [`collect`].
#[derive(Debug, Clone)]
pub struct Collection {
    pub inventory: Inventory,
    /// HTTP requests by API (`ec2:DescribeInstances`), retries included;
    /// also saved in [`Inventory::api_calls`].
    pub api_calls: BTreeMap<String, ApiCounts>,
    /// Wall time of the collection.
    pub elapsed: Duration,
}

impl Collection {
    /// All HTTP requests made.
    pub fn total_requests(&self) -> u64 {
        self.api_calls.values().map(|c| c.requests).sum()
    }
}

impl CollectOptions {
    /// The roles to assume (`None` = the current credentials), validated.
    ///
    /// # Errors
    /// A role ARN that is not `arn:…:iam::…:role/…`, an account id that is
    /// not 12 digits, accounts without a role name.
    pub fn targets(&self, partition: &str) -> Result<Vec<Option<String>>, CollectSetupError> {
        let mut out = Vec::new();
        for arn in &self.role_arns {
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            if parts.len() != 6
                || parts[0] != "arn"
                || parts[2] != "iam"
                || !parts[5].starts_with("role/")
            {
                return Err(CollectSetupError::BadOption(format!(
                    "--role-arn {arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
                )));
            }
            out.push(Some(arn.clone()));
        }
        if !self.accounts.is_empty() {
            let Some(name) = self.role_name.as_deref().filter(|n| !n.is_empty()) else {
                return Err(CollectSetupError::BadOption(
                    "a list of accounts needs the name of the role to assume in each".into(),
                ));
            };
            for a in &self.accounts {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(CollectSetupError::BadOption(format!(
                        "account id {a:?} is not 12 digits"
                    )));
                }
                out.push(Some(format!("arn:{partition}:iam::{a}:role/{name}")));
            }
        }
        if let Some(regions) = &self.regions {
            if let Some(bad) = regions.iter().find(|r| {
                r.is_empty()
                    || !r
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            }) {
                return Err(CollectSetupError::BadOption(format!(
                    "{bad:?} is not a region name"
                )));
            }
        }
        if out.is_empty() {
            out.push(None);
        }
        Ok(out)
    }
}

/// Everything one run shares.
struct Run {
    config: SdkConfig,
    home_region: String,
    client_config: ClientConfig,
    limiter: Arc<Limiter>,
    stats: ApiStats,
    semaphore: Arc<Semaphore>,
    regions: Option<Vec<String>>,
    page_size: Option<u32>,
    external_id: Option<String>,
}

/// Load the SDK configuration: the default chain, `profile`, the home
/// region and the endpoint.
async fn load_config(opts: &CollectOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.home_region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = &opts.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    loader.load().await
}

/// Collect the inventory of every target account and region.
///
/// # Errors
/// Invalid options; without roles, current credentials that cannot call
/// `sts:GetCallerIdentity`. Everything else is recorded in the inventory.
pub async fn collect(opts: &CollectOptions) -> Result<Collection, CollectSetupError> {
    let started = Instant::now();
    let collected_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut config = match &opts.sdk_config {
        Some(c) => c.clone(),
        None => load_config(opts).await,
    };
    let home_region = opts
        .home_region
        .clone()
        .or_else(|| config.region().map(|r| r.to_string()))
        .unwrap_or_else(|| DEFAULT_HOME_REGION.to_string());
    if config.region().is_none() {
        config = config
            .into_builder()
            .region(Region::new(home_region.clone()))
            .build();
    }
    let endpoint_url = opts
        .endpoint_url
        .clone()
        .or_else(|| config.endpoint_url().map(str::to_string));
    if let (Some(e), None) = (&endpoint_url, config.endpoint_url()) {
        // sts:AssumeRole goes through the SDK: same endpoint.
        config = config.into_builder().endpoint_url(e).build();
    }
    let targets = opts.targets(partition_of(&home_region))?;
    let run = Arc::new(Run {
        config,
        home_region,
        client_config: ClientConfig {
            endpoint_url,
            retry: opts.retry,
            timeout: None,
        },
        limiter: Arc::new(Limiter::new()),
        stats: ApiStats::new(),
        semaphore: Arc::new(Semaphore::new(opts.max_concurrency.max(1))),
        regions: opts.regions.clone(),
        page_size: opts.page_size,
        external_id: opts.external_id.clone(),
    });

    let mut tasks = JoinSet::new();
    for (i, role) in targets.into_iter().enumerate() {
        let run = run.clone();
        tasks.spawn(async move { (i, collect_account(run, role).await) });
    }
    let mut accounts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = joined.expect("account task panicked");
        accounts.push((i, result?));
    }
    accounts.sort_by_key(|(i, _)| *i);
    let mut inventory = Inventory::new(collected_at);
    inventory.accounts = accounts.into_iter().map(|(_, a)| a).collect();
    let api_calls = run.stats.snapshot();
    inventory.api_calls = Some(api_calls.clone());
    Ok(Collection {
        inventory,
        api_calls,
        elapsed: started.elapsed(),
    })
}

/// [`collect`] on a new multi-threaded Tokio runtime (for callers without
/// one).
///
/// # Errors
/// As [`collect`]; the runtime cannot start.
pub fn collect_blocking(opts: &CollectOptions) -> Result<Collection, CollectSetupError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CollectSetupError::Runtime)?
        .block_on(collect(opts))
}

/// A client for one account: the current credentials or an assumed role.
///
/// # Errors
/// The HTTP client cannot start; no credentials provider (without a role).
pub async fn account_client(
    config: &SdkConfig,
    role_arn: Option<&str>,
    external_id: Option<&str>,
    client_config: ClientConfig,
    limiter: Arc<Limiter>,
    stats: ApiStats,
) -> Result<Client, ApiError> {
    let creds = match role_arn {
        Some(r) => CredentialSource::assume_role(config, r, external_id).await,
        None => CredentialSource::from_config(config)?,
    };
    Client::new(creds, client_config, limiter, stats)
}

/// The account id in a role ARN (`arn:aws:iam::123456789012:role/x`).
fn account_of_arn(arn: &str) -> String {
    arn.split(':').nth(4).unwrap_or_default().to_string()
}

/// A region where nothing could be collected, with `error` under every API.
fn region_not_collected(region: &str, error: &CollectError) -> RegionInventory {
    let mut inv = RegionInventory::new(region);
    for api in api::REGION_APIS {
        inv.errors.insert((*api).to_string(), error.clone());
    }
    inv
}

/// An account whose role cannot be used: every region is reported as not
/// collected, with the cause.
fn unusable_role(mut account: AccountInventory, run: &Run, e: ApiError) -> AccountInventory {
    let role = account.role_arn.clone().unwrap_or_default();
    account.account_id = account_of_arn(&role);
    let error: CollectError = e.into();
    account
        .errors
        .insert(api::GET_CALLER_IDENTITY.into(), error.clone());
    let regions = run
        .regions
        .clone()
        .unwrap_or_else(|| vec![run.home_region.clone()]);
    account.regions = regions
        .iter()
        .map(|r| region_not_collected(r, &error))
        .collect();
    account
}

async fn collect_account(
    run: Arc<Run>,
    role: Option<String>,
) -> Result<AccountInventory, CollectSetupError> {
    let home = run.home_region.as_str();
    let mut account = AccountInventory {
        account_id: String::new(),
        partition: partition_of(home).to_string(),
        role_arn: role.clone(),
        all_regions: None,
        instance_profiles: None,
        regions: Vec::new(),
        errors: BTreeMap::new(),
    };
    let client = match account_client(
        &run.config,
        role.as_deref(),
        run.external_id.as_deref(),
        run.client_config.clone(),
        run.limiter.clone(),
        run.stats.clone(),
    )
    .await
    {
        Ok(c) => c,
        Err(e) if role.is_none() => return Err(CollectSetupError::Http(e)),
        Err(e) => return Ok(unusable_role(account, &run, e)),
    };
    match describe::caller_identity(&client, home).await {
        Ok((id, arn)) => {
            client.set_account(&id);
            account.account_id = id;
            if let Some(p) = arn.split(':').nth(1).filter(|p| !p.is_empty()) {
                account.partition = p.to_string();
            }
        }
        Err(e) if role.is_none() => return Err(CollectSetupError::Identity(e)),
        Err(e) => return Ok(unusable_role(account, &run, e)),
    }

    let home_api = RegionApi {
        client: &client,
        region: home,
        page_size: run.page_size,
    };
    let (all_regions, profiles) = tokio::join!(
        home_api.all_regions(),
        describe::instance_profiles(&client, home, run.page_size)
    );
    account.all_regions = keep_account(&mut account.errors, api::DESCRIBE_REGIONS, all_regions);
    account.instance_profiles =
        keep_account(&mut account.errors, api::LIST_INSTANCE_PROFILES, profiles);

    // Which regions, and which of the named ones cannot be collected.
    let mut wanted: Vec<(String, Option<CollectError>)> = Vec::new();
    match (&run.regions, &account.all_regions) {
        (Some(named), all) => {
            for r in named {
                let status = all
                    .as_ref()
                    .map(|all| all.iter().find(|s| &s.region_name == r));
                let problem = match status {
                    Some(None) => Some(CollectError {
                        code: "UnknownRegion".into(),
                        message: format!(
                            "{r} is not a region of account {} (DescribeRegions)",
                            account.account_id
                        ),
                    }),
                    Some(Some(s)) if !s.enabled() => Some(CollectError {
                        code: "RegionNotEnabled".into(),
                        message: format!(
                            "{r} is not enabled for account {} (OptInStatus {})",
                            account.account_id,
                            s.opt_in_status.as_deref().unwrap_or("?")
                        ),
                    }),
                    _ => None,
                };
                wanted.push((r.clone(), problem));
            }
        }
        (None, Some(all)) => {
            wanted = all
                .iter()
                .filter(|s| s.enabled())
                .map(|s| (s.region_name.clone(), None))
                .collect();
        }
        // DescribeRegions failed: the home region at least; the error says
        // the region list is incomplete.
        (None, None) => wanted.push((home.to_string(), None)),
    }
    wanted.sort_by(|a, b| a.0.cmp(&b.0));
    wanted.dedup_by(|a, b| a.0 == b.0);

    let mut tasks = JoinSet::new();
    for (i, (region, problem)) in wanted.into_iter().enumerate() {
        if let Some(p) = problem {
            account.regions.push(region_not_collected(&region, &p));
            continue;
        }
        let client = client.clone();
        let semaphore = run.semaphore.clone();
        let page_size = run.page_size;
        let account_id = account.account_id.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("semaphore open");
            let api = RegionApi {
                client: &client,
                region: &region,
                page_size,
            };
            (i, region::collect_region(api, &account_id).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (_, inv) = joined.expect("region task panicked");
        account.regions.push(inv);
    }
    account.regions.sort_by(|a, b| a.region.cmp(&b.region));
    Ok(account)
}

fn keep_account<T>(
    errors: &mut BTreeMap<String, CollectError>,
    key: &str,
    r: Result<T, ApiError>,
) -> Option<T> {
    r.map_err(|e| errors.insert(key.to_string(), e.into())).ok()
}
