//! C10 — Elastic IP addresses are in use.

use serde_json::json;

use super::{need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};

/// C10 — `ec2_eip_unused`.
pub struct EipUnused;

static C10: CheckMeta = CheckMeta {
    id: "ec2_eip_unused",
    short_id: "C10",
    title: "Elastic IP addresses are associated with a resource",
    severity: Severity::Low,
    resource_type: "AwsEc2Eip",
    rationale: "An unassociated Elastic IP costs money and is a dangling address: DNS records \
        or allow-lists still pointing at it can be taken over once it is released and \
        reallocated by someone else.",
    remediation_cli: "aws ec2 release-address --allocation-id <eipalloc-id> (or aws ec2 \
        associate-address --allocation-id <eipalloc-id> --instance-id <i-id>)",
    remediation_console: "EC2 → Elastic IPs → <address> → Actions → Release Elastic IP \
        addresses (or Associate Elastic IP address)",
    api_fields: "DescribeAddresses → Addresses[].{AllocationId, PublicIp, AssociationId, \
        InstanceId, NetworkInterfaceId, ServiceManaged}",
    needs: &["DescribeAddresses"],
};

/// `Some(non-empty)`: moto returns `""` for "none".
fn present(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

impl Check for EipUnused {
    fn meta(&self) -> &'static CheckMeta {
        &C10
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(addresses) = need(ctx, &C10, out, "DescribeAddresses", &ctx.region.addresses)
        else {
            return;
        };
        // Addresses a service manages (ALB, NLB, NAT…) are not the
        // account's to release: skipped.
        for a in addresses
            .iter()
            .filter(|a| present(a.service_managed.as_deref()).is_none())
        {
            let assoc = present(a.association_id.as_deref());
            let target =
                present(a.instance_id.as_deref()).or(present(a.network_interface_id.as_deref()));
            let (status, detail) = match (assoc, target) {
                (Some(id), t) => (
                    Status::Pass,
                    format!(
                        "associated ({id}) with {}",
                        t.unwrap_or("a network interface")
                    ),
                ),
                (None, Some(t)) => (Status::Pass, format!("associated with {t}")),
                (None, None) => (
                    Status::Fail,
                    format!("Elastic IP {} is not associated with anything", a.public_ip),
                ),
            };
            let id = a.allocation_id.as_deref().unwrap_or(&a.public_ip);
            out.push(with_evidence(
                ctx.finding(&C10, id, status, detail),
                [
                    ("PublicIp", json!(a.public_ip)),
                    ("AssociationId", json!(a.association_id)),
                    ("InstanceId", json!(a.instance_id)),
                    ("NetworkInterfaceId", json!(a.network_interface_id)),
                ],
            ));
        }
    }
}
