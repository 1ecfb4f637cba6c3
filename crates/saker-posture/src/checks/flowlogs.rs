//! C12 — every VPC has a working flow log.
//!
//! PASS needs at least one flow log whose `ResourceId` is the VPC itself
//! (subnet- and interface-level logs do not cover the VPC), with
//! `FlowLogStatus = ACTIVE` and `TrafficType` `REJECT` or `ALL` (CIS 3.7
//! v5.0, Security Hub EC2.6: rejected traffic must be logged). A log whose
//! `DeliverLogsStatus` is `FAILED` delivers nothing and does not count.

use serde_json::json;

use super::{list_some, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};
use crate::inventory::FlowLog;

/// C12 — `vpc_flow_logs_enabled`.
pub struct VpcFlowLogsEnabled;

static C12: CheckMeta = CheckMeta {
    id: "vpc_flow_logs_enabled",
    short_id: "C12",
    title: "VPC flow logging of rejected traffic is enabled in every VPC",
    severity: Severity::Medium,
    resource_type: "AwsEc2Vpc",
    rationale: "Flow logs are the network record an investigation needs: scans, blocked \
        connection attempts, exfiltration paths. Without a VPC-level log of rejected traffic \
        there is no trace of who knocked.",
    remediation_cli: "aws ec2 create-flow-logs --resource-type VPC --resource-ids <vpc-id> \
        --traffic-type REJECT --log-destination-type s3 --log-destination arn:aws:s3:::<bucket> \
        (or --log-group-name <group> --deliver-logs-permission-arn <role-arn>)",
    remediation_console: "VPC → Your VPCs → <vpc> → Flow logs → Create flow log → Filter: Reject \
        (or All) → destination",
    api_fields: "DescribeVpcs → Vpcs[].{VpcId, IsDefault}; DescribeFlowLogs → FlowLogs[].\
        {FlowLogId, ResourceId, FlowLogStatus, TrafficType, DeliverLogsStatus}",
    needs: &["DescribeVpcs", "DescribeFlowLogs"],
};

/// Why a flow log of the VPC does not count, or `None` when it does.
fn shortfall(fl: &FlowLog) -> Option<String> {
    let status = fl.flow_log_status.as_deref().unwrap_or("unknown");
    let traffic = fl.traffic_type.as_deref().unwrap_or("unknown");
    if !status.eq_ignore_ascii_case("ACTIVE") {
        Some(format!("{} FlowLogStatus={status}", fl.flow_log_id))
    } else if !matches!(traffic, "REJECT" | "ALL") {
        Some(format!("{} TrafficType={traffic}", fl.flow_log_id))
    } else if fl.deliver_logs_status.as_deref() == Some("FAILED") {
        Some(format!("{} DeliverLogsStatus=FAILED", fl.flow_log_id))
    } else {
        None
    }
}

impl Check for VpcFlowLogsEnabled {
    fn meta(&self) -> &'static CheckMeta {
        &C12
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(vpcs) = need(ctx, &C12, out, "DescribeVpcs", &ctx.region.vpcs) else {
            return;
        };
        let Some(logs) = need(ctx, &C12, out, "DescribeFlowLogs", &ctx.region.flow_logs) else {
            return;
        };
        for vpc in vpcs {
            let mine: Vec<&FlowLog> = logs
                .iter()
                .filter(|f| f.resource_id == vpc.vpc_id)
                .collect();
            let good: Vec<&str> = mine
                .iter()
                .filter(|f| shortfall(f).is_none())
                .map(|f| f.flow_log_id.as_str())
                .collect();
            let (status, detail) = if !good.is_empty() {
                (
                    Status::Pass,
                    format!(
                        "active VPC flow log capturing rejected traffic: {}",
                        list_some(&good, 3)
                    ),
                )
            } else if mine.is_empty() {
                (Status::Fail, "no VPC-level flow log".to_string())
            } else {
                let why: Vec<String> = mine.iter().filter_map(|f| shortfall(f)).collect();
                (
                    Status::Fail,
                    format!(
                        "no working VPC flow log of rejected traffic: {}",
                        list_some(&why, 3)
                    ),
                )
            };
            out.push(with_evidence(
                ctx.finding(&C12, &vpc.vpc_id, status, detail),
                [
                    ("IsDefault", json!(vpc.is_default)),
                    ("FlowLogs", json!(mine)),
                ],
            ));
        }
    }
}
