#!/usr/bin/env python3
"""Build a saker posture test estate in an AWS emulator (moto + moto_plus.py).

Every posture check gets a violating resource and a compliant twin, in each
region of --regions, plus --scale N filler resources per region (N security
groups with one rule, N volumes, N snapshots, N instances with their root
volumes) for the collection benchmark. --twins adds the twins the collection
tests do not need (RDP over IPv4, SSH over IPv6, a rule through a narrow
prefix list, an instance whose profile has no role, an instance of the
account's public image); --bare-regions R,... runs one instance in each R and
nothing else (a region outside the approved list that holds a resource). The account-level settings differ by
region: the first region has EBS default encryption on, serial console access
on, snapshot block public access on and an IMDS default of `required`; the
others keep the defaults (off / unblocked / none).

Writes a manifest (JSON) of what it made: named ids for field checks and, per
resource kind, the full set of ids that exist in the regions it touched,
including the companions AWS creates implicitly (default VPC and its
security group, NACL, subnets and main route table; instance root volumes;
image snapshots). The manifest is built from the ids the create calls
returned and from describes of those parents, filtered by their ids.

    python3 build_estate.py --endpoint http://127.0.0.1:5000 \
        --regions us-east-1,eu-west-1 --scale 0 \
        [--twins] [--bare-regions ap-south-1] \
        [--role-arn arn:aws:iam::111122223333:role/estate] [--out manifest.json]

Credentials are dummies (moto does not check them); with --role-arn the
estate is built in the role's account (moto maps assumed-role keys to the
role's account, which keeps concurrent tests apart).
"""
import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

MISSING_AMI = "ami-0000000000deadbee"  # never registered: DescribeImages says NotFound
SHARED_WITH = "111122223333"


def session(endpoint, role_arn):
    base = dict(endpoint_url=endpoint, aws_access_key_id="testing",
                aws_secret_access_key="testing", region_name="us-east-1")
    if not role_arn:
        return base
    c = boto3.client("sts", **base).assume_role(
        RoleArn=role_arn, RoleSessionName="saker-estate")["Credentials"]
    return dict(base, aws_access_key_id=c["AccessKeyId"],
                aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])


def client(kw, service, region=None):
    args = dict(kw)
    if region:
        args["region_name"] = region
    return boto3.client(service, **args)


def build_iam(kw):
    iam = client(kw, "iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName="saker-estate-role", AssumeRolePolicyDocument=trust)
    with_role = iam.create_instance_profile(
        InstanceProfileName="saker-estate-profile")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="saker-estate-profile",
                                     RoleName="saker-estate-role")
    empty = iam.create_instance_profile(
        InstanceProfileName="saker-estate-empty-profile")["InstanceProfile"]
    return {"with_role": {"arn": with_role["Arn"], "name": "saker-estate-profile",
                          "roles": ["saker-estate-role"]},
            "empty": {"arn": empty["Arn"], "name": "saker-estate-empty-profile",
                      "roles": []}}


def sg(ec2, vpc, name, rules):
    gid = ec2.create_security_group(GroupName=name, Description=name,
                                    VpcId=vpc)["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=rules)
    return gid


def world(port_from, port_to, proto="tcp"):
    return {"IpProtocol": proto, "FromPort": port_from, "ToPort": port_to,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def build_region(kw, region, first, scale, account, profiles, twins=False):
    ec2 = client(kw, "ec2", region)
    m = {"named": {}, "settings": {}}
    n = m["named"]

    default_vpc = [v["VpcId"] for v in ec2.describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]]

    # --- VPCs: one with a REJECT flow log, one without any.
    vpc_a = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vpc_b = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    n["vpc_flow_logged"], n["vpc_no_flow_logs"] = vpc_a, vpc_b
    subnet_a = ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    # /18: room for the filler instances at benchmark scale.
    subnet_b = ec2.create_subnet(VpcId=vpc_b, CidrBlock="10.1.0.0/18")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet_a, MapPublicIpOnLaunch={"Value": True})
    # A second subnet of vpc_a, for the closed network ACL (C2 judges only
    # NACLs associated with a subnet).
    subnet_a2 = ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    n["subnet_nacl_closed"] = subnet_a2
    n["subnet_public"], n["subnet_private"] = subnet_a, subnet_b
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_a)
    rt = ec2.create_route_table(VpcId=vpc_a)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet_a)
    n["route_table_public"], n["internet_gateway"] = rt, igw
    bucket = f"saker-estate-{account}-{region}"
    s3 = client(kw, "s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": region})
    fl = ec2.create_flow_logs(ResourceIds=[vpc_a], ResourceType="VPC",
                              TrafficType="REJECT", LogDestinationType="s3",
                              LogDestination=f"arn:aws:s3:::{bucket}")
    n["flow_log"] = fl["FlowLogIds"][0]

    # --- Managed prefix lists: one referenced by a rule, one not.
    pl_world = ec2.create_managed_prefix_list(
        PrefixListName="saker-world", AddressFamily="IPv4", MaxEntries=5,
        Entries=[{"Cidr": "0.0.0.0/0", "Description": "everyone"}])["PrefixList"]["PrefixListId"]
    pl_unused = ec2.create_managed_prefix_list(
        PrefixListName="saker-unused", AddressFamily="IPv4", MaxEntries=5,
        Entries=[{"Cidr": "10.0.0.0/8"}])["PrefixList"]["PrefixListId"]
    n["prefix_list_world"], n["prefix_list_unused"] = pl_world, pl_unused

    # --- Security groups (C1, C3).
    n["sg_ssh_world"] = sg(ec2, vpc_a, "ssh-world", [world(22, 22)])
    n["sg_rdp_world_v6"] = sg(ec2, vpc_a, "rdp-world-v6", [{
        "IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389,
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    n["sg_all_protocols"] = sg(ec2, vpc_a, "all-protocols", [{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    n["sg_range_covers_22"] = sg(ec2, vpc_a, "range-0-1024", [world(0, 1024)])
    n["sg_prefix_list"] = sg(ec2, vpc_a, "prefix-list-22", [{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "PrefixListIds": [{"PrefixListId": pl_world}]}])
    n["sg_ssh_internal"] = sg(ec2, vpc_a, "ssh-internal", [{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    n["sg_referenced"] = sg(ec2, vpc_a, "ssh-from-group", [{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "UserIdGroupPairs": [{"GroupId": n["sg_ssh_internal"]}]}])
    n["sg_icmp_world"] = sg(ec2, vpc_a, "icmp-world", [world(-1, -1, "icmp")])
    n["sg_https_world"] = sg(ec2, vpc_a, "https-world", [world(443, 443)])
    defaults = {g["VpcId"]: g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]}
    n["sg_default_with_rules"] = defaults[vpc_a]
    ec2.authorize_security_group_ingress(GroupId=defaults[vpc_a], IpPermissions=[{
        "IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": defaults[vpc_a]}]}])
    n["sg_default_closed"] = defaults[vpc_b]
    # The default VPC's default group keeps the allow-all egress rule (C3 fails it).
    n["sg_default_default_vpc"] = defaults[default_vpc[0]]
    for g in ec2.describe_security_groups(GroupIds=[defaults[vpc_b]])["SecurityGroups"]:
        if g["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=defaults[vpc_b],
                                             IpPermissions=g["IpPermissionsEgress"])
        if g["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=defaults[vpc_b],
                                              IpPermissions=g["IpPermissions"])

    # --- Network ACLs (C2): first match allows 22 from anywhere vs. a deny first.
    nacl_open = ec2.create_network_acl(VpcId=vpc_a)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=nacl_open, RuleNumber=100, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 22, "To": 22})
    ec2.create_network_acl_entry(NetworkAclId=nacl_open, RuleNumber=110, Protocol="6",
                                 RuleAction="allow", Egress=False, Ipv6CidrBlock="::/0",
                                 PortRange={"From": 3389, "To": 3389})
    nacl_closed = ec2.create_network_acl(VpcId=vpc_a)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=nacl_closed, RuleNumber=90, Protocol="6",
                                 RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 22, "To": 22})
    # ... and the other admin port and UDP (CIS counts both) before the allow-all.
    for number, proto, port in ((91, "17", 22), (95, "6", 3389), (96, "17", 3389)):
        ec2.create_network_acl_entry(NetworkAclId=nacl_closed, RuleNumber=number,
                                     Protocol=proto, RuleAction="deny", Egress=False,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": port, "To": port})
    ec2.create_network_acl_entry(NetworkAclId=nacl_closed, RuleNumber=100, Protocol="-1",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
    n["nacl_open_admin"], n["nacl_deny_first"] = nacl_open, nacl_closed
    # Move vpc_a's subnets from its default NACL to these two: the open one
    # guards the public subnet, the closed one the second subnet, and the
    # default NACL is left guarding nothing.
    default_acls = {a["VpcId"]: a["NetworkAclId"] for a in ec2.describe_network_acls(
        Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"]}
    for acl, subnet in ((nacl_open, subnet_a), (nacl_closed, subnet_a2)):
        assoc = [x["NetworkAclAssociationId"] for a in ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
            for x in a["Associations"] if x["SubnetId"] == subnet]
        ec2.replace_network_acl_association(AssociationId=assoc[0], NetworkAclId=acl)
    n["nacl_default_unassociated"] = default_acls[vpc_a]
    n["nacl_default_vpc_b"] = default_acls[vpc_b]
    n["nacl_default_default_vpc"] = default_acls[default_vpc[0]]
    n["vpc_default"] = default_vpc[0]

    # --- Instances (C7, C8, C13, C14, C16).
    def run(**extra):
        args = dict(ImageId=MISSING_AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                    SubnetId=subnet_b, SecurityGroupIds=[n["sg_ssh_internal"]])
        args.update(extra)
        if "SubnetId" in extra and extra["SubnetId"] == subnet_a:
            args["SecurityGroupIds"] = [n["sg_ssh_world"]]
        return ec2.run_instances(**args)["Instances"][0]["InstanceId"]

    n["instance_imdsv1"] = run(SubnetId=subnet_a, MetadataOptions={"HttpTokens": "optional"})
    n["instance_imdsv2_profile"] = run(
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        IamInstanceProfile={"Arn": profiles["with_role"]["arn"]})
    n["instance_stopped"] = run(MetadataOptions={"HttpTokens": "required"})
    ec2.stop_instances(InstanceIds=[n["instance_stopped"]])

    # --- Images (C6, C16): a public one and a private one, and an instance of each.
    n["image_public"] = ec2.create_image(InstanceId=n["instance_imdsv1"],
                                         Name="saker-public")["ImageId"]
    ec2.modify_image_attribute(ImageId=n["image_public"], Attribute="launchPermission",
                               OperationType="add", UserGroups=["all"])
    n["image_private"] = ec2.create_image(InstanceId=n["instance_imdsv2_profile"],
                                          Name="saker-private")["ImageId"]
    n["instance_own_image"] = run(ImageId=n["image_private"],
                                  MetadataOptions={"HttpTokens": "required"})
    n["missing_image"] = MISSING_AMI

    if twins:
        # C1: the other port/family pairs, and a rule through a narrow list.
        n["sg_rdp_world"] = sg(ec2, vpc_a, "rdp-world", [world(3389, 3389)])
        n["sg_ssh_world_v6"] = sg(ec2, vpc_a, "ssh-world-v6", [{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        pl_narrow = ec2.create_managed_prefix_list(
            PrefixListName="saker-narrow", AddressFamily="IPv4", MaxEntries=5,
            Entries=[{"Cidr": "192.0.2.0/24", "Description": "office"}])["PrefixList"]["PrefixListId"]
        n["prefix_list_narrow"] = pl_narrow
        n["sg_prefix_list_narrow"] = sg(ec2, vpc_a, "prefix-list-narrow-22", [{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "PrefixListIds": [{"PrefixListId": pl_narrow}]}])
        # C13: a profile without a role. C16: the account's own public image.
        n["instance_empty_profile"] = run(
            MetadataOptions={"HttpTokens": "required"},
            IamInstanceProfile={"Arn": profiles["empty"]["arn"]})
        n["instance_public_image"] = run(ImageId=n["image_public"],
                                         MetadataOptions={"HttpTokens": "required"})

    # --- Volumes and snapshots (C5, C11).
    az = f"{region}a"
    n["volume_encrypted"] = ec2.create_volume(AvailabilityZone=az, Size=1,
                                              Encrypted=True)["VolumeId"]
    n["volume_unencrypted"] = ec2.create_volume(AvailabilityZone=az, Size=1,
                                                Encrypted=False)["VolumeId"]
    n["snapshot_public"] = ec2.create_snapshot(VolumeId=n["volume_unencrypted"])["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=n["snapshot_public"],
                                  Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    n["snapshot_private"] = ec2.create_snapshot(VolumeId=n["volume_encrypted"])["SnapshotId"]
    n["snapshot_shared"] = ec2.create_snapshot(VolumeId=n["volume_encrypted"])["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=n["snapshot_shared"],
                                  Attribute="createVolumePermission",
                                  OperationType="add", UserIds=[SHARED_WITH])
    n["snapshot_shared_with"] = SHARED_WITH

    # --- Elastic IPs (C10).
    n["address_unused"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    n["address_used"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=n["address_used"],
                          InstanceId=n["instance_imdsv2_profile"])

    # --- Account-level settings of the region (C4, C5, C8, C9).
    if first:
        ec2.enable_ebs_encryption_by_default()
        ec2.enable_serial_console_access()
        ec2.enable_snapshot_block_public_access(State="block-all-sharing")
        ec2.modify_instance_metadata_defaults(HttpTokens="required")
    m["settings"] = {
        "ebs_encryption_by_default": first,
        "serial_console_access_enabled": first,
        "snapshot_block_public_access": "block-all-sharing" if first else "unblocked",
        "imds_default_http_tokens": "required" if first else None,
    }

    # --- Filler for the benchmark.
    filler = {"security_groups": [], "volumes": [], "snapshots": [], "instances": []}
    for i in range(scale):
        filler["security_groups"].append(sg(ec2, vpc_b, f"filler-{i}", [world(443, 443)]))
        filler["volumes"].append(ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"])
        filler["snapshots"].append(ec2.create_snapshot(VolumeId=filler["volumes"][-1])["SnapshotId"])
    # Five instances per reservation, so that DescribeInstances pages
    # (moto pages by reservation) grow with the scale as on AWS.
    for start in range(0, scale, 5):
        count = min(5, scale - start)
        filler["instances"] += [i["InstanceId"] for i in ec2.run_instances(
            ImageId=MISSING_AMI, MinCount=count, MaxCount=count, SubnetId=subnet_b,
            SecurityGroupIds=[n["sg_ssh_internal"]])["Instances"]]
    m["filler_counts"] = {k: len(v) for k, v in filler.items()}

    # --- Everything that exists because of this script, with implicit companions.
    vpcs = default_vpc + [vpc_a, vpc_b]
    vf = [{"Name": "vpc-id", "Values": vpcs}]
    instances = [n["instance_imdsv1"], n["instance_imdsv2_profile"], n["instance_stopped"],
                 n["instance_own_image"]] + filler["instances"]
    if twins:
        instances += [n["instance_empty_profile"], n["instance_public_image"]]
    root_volumes = []
    for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=instances):
        for r in page["Reservations"]:
            for inst in r["Instances"]:
                root_volumes += [b["Ebs"]["VolumeId"] for b in inst.get("BlockDeviceMappings", [])]
    image_snapshots = []
    for img in ec2.describe_images(ImageIds=[n["image_public"], n["image_private"]])["Images"]:
        image_snapshots += [b["Ebs"]["SnapshotId"] for b in img.get("BlockDeviceMappings", [])
                            if "Ebs" in b and b["Ebs"].get("SnapshotId")]
    m["all"] = {
        "vpcs": vpcs,
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=vf)["Subnets"]],
        "security_groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=vf)["SecurityGroups"]],
        "network_acls": [a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=vf)["NetworkAcls"]],
        "route_tables": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=vf)["RouteTables"]],
        "instances": instances,
        "volumes": [n["volume_encrypted"], n["volume_unencrypted"]] + filler["volumes"] + root_volumes,
        "snapshots": [n["snapshot_public"], n["snapshot_private"], n["snapshot_shared"]]
                     + filler["snapshots"] + image_snapshots,
        "images": [n["image_public"], n["image_private"]],
        "addresses": [n["address_unused"], n["address_used"]],
        "flow_logs": [n["flow_log"]],
        "referenced_prefix_lists": [pl_world] + ([n["prefix_list_narrow"]] if twins else []),
    }
    return m


def build_bare_region(kw, region):
    """One instance in the default VPC and nothing else (C15)."""
    ec2 = client(kw, "ec2", region)
    iid = ec2.run_instances(ImageId=MISSING_AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                            MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    return {"named": {"instance_only": iid}, "all": {"instances": [iid]}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--regions", default="us-east-1,eu-west-1",
                    help="comma-separated; the first gets the 'on' account settings")
    ap.add_argument("--scale", type=int, default=0,
                    help="filler resources of each kind per region (SGs, volumes, snapshots, instances)")
    ap.add_argument("--twins", action="store_true",
                    help="add the twins only the check tests need (see above)")
    ap.add_argument("--bare-regions", default="",
                    help="comma-separated regions that get one instance and nothing else")
    ap.add_argument("--role-arn", help="build in this role's account (sts:AssumeRole)")
    ap.add_argument("--out", help="manifest path (default stdout)")
    a = ap.parse_args()
    regions = [r for r in a.regions.split(",") if r]
    kw = session(a.endpoint, a.role_arn)
    account = client(kw, "sts").get_caller_identity()["Account"]
    profiles = build_iam(kw)
    bare = [r for r in a.bare_regions.split(",") if r]
    with ThreadPoolExecutor(max_workers=len(regions) + len(bare)) as pool:
        futures = {r: pool.submit(build_region, kw, r, i == 0, a.scale, account, profiles,
                                  a.twins)
                   for i, r in enumerate(regions)}
        futures.update({r: pool.submit(build_bare_region, kw, r) for r in bare})
        manifest = {"account": account, "instance_profiles": profiles,
                    "regions": {r: f.result() for r, f in futures.items()}}
    text = json.dumps(manifest, indent=1, sort_keys=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
