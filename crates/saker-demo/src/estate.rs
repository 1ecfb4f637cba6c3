//! The fictional account's resources: instances, network, images and the
//! people and pipelines that use it. Everything is derived from the seed.

use crate::record::Actor;
use crate::rng::Rng;

/// One EC2 instance running all day.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub region: &'static str,
    pub az: String,
    pub private_ip: String,
    pub name: &'static str,
}

/// Resources and principals of the account.
#[derive(Debug, Clone)]
pub struct Estate {
    pub instances: Vec<Instance>,
    /// The company's golden images (what `approved_images` should list).
    pub approved_images: Vec<String>,
    pub web_sg: String,
    pub vpc: String,
    pub subnet: String,
    pub db_volume: String,
    pub kms_key: String,
    /// Console administrators (federated role sessions), with office IPs.
    pub admins: Vec<(Actor, &'static str)>,
    /// IAM user whose access keys a nightly backup script uses, then an attacker.
    pub backup_user: Actor,
    pub instance_role: &'static str,
    pub instance_role_id: String,
    pub ci_role_id: String,
    pub config_role_id: String,
    pub autoscaling_role_id: String,
    /// The backup job's usual egress address (a NAT gateway).
    pub nat_ip: &'static str,
}

/// Regions the account normally uses.
pub const HOME_REGIONS: &[&str] = &["us-east-1", "ap-northeast-1"];

pub fn res_id(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}-{}", rng.hex(17))
}

impl Estate {
    pub fn new(rng: &mut Rng, day_start: i64) -> Estate {
        let inst =
            |rng: &mut Rng, region: &'static str, az: &str, net: &str, name: &'static str| {
                Instance {
                    id: res_id(rng, "i"),
                    region,
                    az: format!("{region}{az}"),
                    private_ip: format!("10.{net}.{}.{}", rng.range(1, 3), rng.range(10, 250)),
                    name,
                }
            };
        let instances = vec![
            inst(rng, "us-east-1", "a", "20", "web-1"),
            inst(rng, "us-east-1", "b", "20", "web-2"),
            inst(rng, "us-east-1", "a", "20", "batch-1"),
            inst(rng, "ap-northeast-1", "a", "40", "app-1"),
            inst(rng, "ap-northeast-1", "c", "40", "app-2"),
        ];
        let created = crate::time::Utc::from_unix(day_start).event_time();
        let admin = |rng: &mut Rng, session: &str| Actor::Role {
            role: "ExampleCorp-Administrators".into(),
            role_id: "AROA".to_string() + "EXAMPLEADMINS0000001",
            session: session.into(),
            access_key: format!("ASIA{}", rng.upper_b32(16)),
            mfa: true,
            created: created.clone(),
            invoked_by: None,
        };
        let admins = vec![
            (admin(rng, "hana.sato@example.com"), "203.0.113.10"),
            (admin(rng, "ken.ito@example.com"), "203.0.113.11"),
        ];
        Estate {
            instances,
            approved_images: vec![res_id(rng, "ami"), res_id(rng, "ami")],
            web_sg: res_id(rng, "sg"),
            vpc: res_id(rng, "vpc"),
            subnet: res_id(rng, "subnet"),
            db_volume: res_id(rng, "vol"),
            kms_key: rng.uuid(),
            admins,
            backup_user: Actor::iam_user(rng, "svc-backup"),
            instance_role: "ExampleCorpAppInstanceRole",
            instance_role_id: format!("AROA{}", rng.upper_b32(17)),
            ci_role_id: format!("AROA{}", rng.upper_b32(17)),
            config_role_id: format!("AROA{}", rng.upper_b32(17)),
            autoscaling_role_id: format!("AROA{}", rng.upper_b32(17)),
            nat_ip: "192.0.2.44",
        }
    }

    /// The instance-profile session of `inst` (as the SSM agent and the
    /// application use it).
    pub fn instance_actor(&self, rng: &mut Rng, inst: &Instance, created: &str) -> Actor {
        Actor::Role {
            role: self.instance_role.into(),
            role_id: self.instance_role_id.clone(),
            session: inst.id.clone(),
            access_key: format!("ASIA{}", rng.upper_b32(16)),
            mfa: false,
            created: created.into(),
            invoked_by: None,
        }
    }
}
