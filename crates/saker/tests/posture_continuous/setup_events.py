# Test fixture of crates/saker/tests/posture_continuous.rs: in moto, a VPC and two
# security groups, an EventBridge rule (aws.ec2 / "AWS API Call via CloudTrail")
# with an SQS target, then: authorize 0.0.0.0/0:22 on sg1 + its CloudTrail-shaped
# event, revoke + event, authorize on sg2 (left open) + event, an unrelated
# CreateTags event. Prints the queue URL, group ids and event times as JSON.
import boto3, json, sys, datetime
ep = sys.argv[1]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2 = boto3.client("ec2", **kw); sqs = boto3.client("sqs", **kw); ev = boto3.client("events", **kw)
vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
sg1 = ec2.create_security_group(GroupName="pc-reverted", Description="x", VpcId=vpc)["GroupId"]
sg2 = ec2.create_security_group(GroupName="pc-left-open", Description="x", VpcId=vpc)["GroupId"]
q = sqs.create_queue(QueueName="posture-continuous-" + sg1)["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
rule = "posture-" + sg1
ev.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}))
ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
def ts(sec): return (now - datetime.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")
perm = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
ct_perm = {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}
def put(name, group, t, eid, params, actor="arn:aws:iam::123456789012:user/alice"):
    detail = {"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "arn": actor, "accountId": "123456789012"},
        "eventTime": t, "eventSource": "ec2.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2", "requestParameters": dict(params, groupId=group),
        "responseElements": {"requestId": eid, "_return": True}, "requestID": eid, "eventID": eid,
        "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": "123456789012"}
    r = ev.put_events(Entries=[{"Source": "aws.ec2", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}])
    assert r["FailedEntryCount"] == 0, r
ec2.authorize_security_group_ingress(GroupId=sg1, IpPermissions=perm)
put("AuthorizeSecurityGroupIngress", sg1, ts(120), "ev-auth-" + sg1, {"ipPermissions": ct_perm})
ec2.revoke_security_group_ingress(GroupId=sg1, IpPermissions=perm)
put("RevokeSecurityGroupIngress", sg1, ts(60), "ev-revoke-" + sg1, {"ipPermissions": ct_perm})
ec2.authorize_security_group_ingress(GroupId=sg2, IpPermissions=perm)
put("AuthorizeSecurityGroupIngress", sg2, ts(30), "ev-auth-" + sg2, {"ipPermissions": ct_perm}, actor="arn:aws:iam::123456789012:user/bob")
put("CreateTags", sg1, ts(20), "ev-tags-" + sg1, {"resourcesSet": {"items": [{"resourceId": sg1}]}})
print(json.dumps({"queue": q, "sg1": sg1, "sg2": sg2, "t_auth": ts(120), "t_revoke": ts(60), "t_auth2": ts(30)}))
