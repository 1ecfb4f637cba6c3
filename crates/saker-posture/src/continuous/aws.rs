//! The live [`Describer`]: re-reads one resource through
//! [`crate::collect::redescribe`] (the full scan's calls and parsers) and
//! runs full scans through [`crate::collect::collect`].
//!
//! Credentials per account: the role the inventory recorded for that
//! account (`--role-arn` / accounts at collection), otherwise the current
//! credentials — used only if they belong to that account
//! (`sts:GetCallerIdentity`); an event of any other account is reported as
//! not re-describable. It owns a small Tokio runtime and blocks on it, so
//! call it from synchronous code (not from inside another runtime).

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::collect::{
    self, account_client, describe::caller_identity, redescribe, CollectOptions,
    DEFAULT_HOME_REGION,
};
use crate::ec2api::{ApiStats, Client, ClientConfig, Limiter};
use crate::inventory::Inventory;

use super::describe::{Described, Describer, Lookup};

/// Live re-describes and scans (see the module doc).
pub struct AwsDescriber {
    rt: tokio::runtime::Runtime,
    opts: CollectOptions,
    config: SdkConfig,
    home_region: String,
    client_config: ClientConfig,
    limiter: Arc<Limiter>,
    stats: ApiStats,
    /// Role per account, learnt from inventories.
    roles: HashMap<String, Option<String>>,
    clients: HashMap<String, Client>,
    /// The current credentials' client and account, once asked.
    current: Option<(Client, String)>,
}

impl AwsDescriber {
    /// A describer using `opts` (regions, roles, endpoint, profile) for
    /// scans and for the credentials of re-describes.
    ///
    /// # Errors
    /// The runtime cannot start.
    pub fn new(opts: CollectOptions) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let config = rt.block_on(async {
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
        });
        let home_region = opts
            .home_region
            .clone()
            .or_else(|| config.region().map(|r| r.to_string()))
            .unwrap_or_else(|| DEFAULT_HOME_REGION.to_string());
        let config = if config.region().is_none() {
            config
                .into_builder()
                .region(Region::new(home_region.clone()))
                .build()
        } else {
            config
        };
        let client_config = ClientConfig {
            endpoint_url: opts
                .endpoint_url
                .clone()
                .or_else(|| config.endpoint_url().map(str::to_string)),
            retry: opts.retry,
            timeout: None,
        };
        let mut opts = opts;
        opts.sdk_config = Some(config.clone());
        Ok(AwsDescriber {
            rt,
            opts,
            config,
            home_region,
            client_config,
            limiter: Arc::new(Limiter::new()),
            stats: ApiStats::new(),
            roles: HashMap::new(),
            clients: HashMap::new(),
            current: None,
        })
    }

    /// Remember which role serves which account of `inventory`.
    pub fn learn_roles(&mut self, inventory: &Inventory) {
        for a in &inventory.accounts {
            if !a.account_id.is_empty() {
                self.roles.insert(a.account_id.clone(), a.role_arn.clone());
            }
        }
    }

    /// API requests made so far by re-describes, by API.
    pub fn requests(&self) -> u64 {
        self.stats.snapshot().values().map(|c| c.requests).sum()
    }

    fn client_for(&mut self, account_id: &str) -> Result<Client, String> {
        if let Some(c) = self.clients.get(account_id) {
            return Ok(c.clone());
        }
        let role = self.roles.get(account_id).cloned().flatten();
        let client = match role {
            Some(role) => {
                let client = self
                    .rt
                    .block_on(account_client(
                        &self.config,
                        Some(&role),
                        self.opts.external_id.as_deref(),
                        self.client_config.clone(),
                        self.limiter.clone(),
                        self.stats.clone(),
                    ))
                    .map_err(|e| format!("role {role}: {e}"))?;
                client.set_account(account_id);
                client
            }
            None => {
                if self.current.is_none() {
                    let client = self
                        .rt
                        .block_on(account_client(
                            &self.config,
                            None,
                            None,
                            self.client_config.clone(),
                            self.limiter.clone(),
                            self.stats.clone(),
                        ))
                        .map_err(|e| e.to_string())?;
                    let (id, _) = self
                        .rt
                        .block_on(caller_identity(&client, &self.home_region))
                        .map_err(|e| format!("sts:GetCallerIdentity: {e}"))?;
                    client.set_account(&id);
                    self.current = Some((client, id));
                }
                let (client, id) = self.current.as_ref().expect("set above");
                if id != account_id {
                    return Err(format!(
                        "no role for account {account_id} (the current credentials are account {id}); pass --posture-role-arn"
                    ));
                }
                client.clone()
            }
        };
        self.clients.insert(account_id.to_string(), client.clone());
        Ok(client)
    }
}

impl Describer for AwsDescriber {
    fn describe(
        &mut self,
        account_id: &str,
        region: &str,
        lookup: &Lookup,
    ) -> Result<Described, String> {
        let client = self.client_for(account_id)?;
        let c = &client;
        let described = self.rt.block_on(async move {
            Ok::<_, crate::ec2api::ApiError>(match lookup {
                Lookup::SecurityGroup(id) => Described::SecurityGroup {
                    id: id.clone(),
                    found: redescribe::security_group(c, region, id).await?,
                },
                Lookup::Instance(id) => {
                    let found = redescribe::instance(c, region, id).await?;
                    let image_ids: Vec<String> =
                        found.iter().filter_map(|i| i.image_id.clone()).collect();
                    let images = if image_ids.is_empty() {
                        Vec::new()
                    } else {
                        redescribe::images_by_id(c, region, &image_ids).await?
                    };
                    Described::Instance {
                        id: id.clone(),
                        found,
                        images,
                    }
                }
                Lookup::NetworkAcl(id) => Described::NetworkAcl {
                    id: id.clone(),
                    found: redescribe::network_acl(c, region, id).await?,
                },
                Lookup::Volume(id) => Described::Volume {
                    id: id.clone(),
                    found: redescribe::volume(c, region, id).await?,
                },
                Lookup::Snapshot(id) => Described::Snapshot {
                    id: id.clone(),
                    found: redescribe::snapshot(c, region, id).await?,
                },
                Lookup::Image(id) => Described::Image {
                    id: id.clone(),
                    found: redescribe::image(c, region, id).await?,
                },
                Lookup::Address(id) => Described::Address {
                    id: id.clone(),
                    found: redescribe::address(c, region, id).await?,
                },
                Lookup::Vpc(id) => {
                    let found = redescribe::vpc(c, region, id).await?;
                    let flow_logs = if found.is_some() {
                        redescribe::vpc_flow_logs(c, region, id).await?
                    } else {
                        Vec::new()
                    };
                    Described::Vpc {
                        id: id.clone(),
                        found,
                        flow_logs,
                    }
                }
                Lookup::Subnet(id) => Described::Subnet {
                    id: id.clone(),
                    found: redescribe::subnet(c, region, id).await?,
                },
                Lookup::RegionSettings => {
                    Described::RegionSettings(redescribe::region_settings(c, region).await)
                }
            })
        });
        described.map_err(|e| e.to_string())
    }

    fn scan(&mut self) -> Result<Inventory, String> {
        let run = self
            .rt
            .block_on(collect::collect(&self.opts))
            .map_err(|e| e.to_string())?;
        self.learn_roles(&run.inventory);
        Ok(run.inventory)
    }
}
