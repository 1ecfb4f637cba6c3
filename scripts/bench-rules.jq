# jq equivalent of six of the rules scripts/bench.sh loads (built-in EC2
# rules + Falco's aws_cloudtrail_rules.yaml), for the jq comparison row.
# Input: a stream of {"Records":[...]} documents (zcat of S3 objects).
# Output: one line per alert, the rule name.
def world: . == "0.0.0.0/0" or . == "::/0";
def sensitive: [20, 21, 22, 23, 135, 137, 139, 445, 1433, 1521, 2375, 2376, 2379,
                3306, 3389, 5432, 5900, 5985, 5986, 6379, 9200, 9300, 11211, 27017];
.Records[]
| (.eventName // "") as $en | (.eventSource // "") as $es | (.errorCode == null) as $ok
| [ # saker: EC2 Sensitive Port Opened To The World
    ($en == "AuthorizeSecurityGroupIngress" and $es == "ec2.amazonaws.com" and $ok
      and ([.requestParameters | (.ipPermissions.items[]?, select(.cidrIp or .cidrIpv6)
                                   | .ipRanges //= {items: [{cidrIp}]} | .ipv6Ranges //= {items: [{cidrIpv6}]})
            | select([.ipRanges.items[]?.cidrIp, .ipv6Ranges.items[]?.cidrIpv6] | any(world))
            | select(.ipProtocol == "-1"
                     or ((.ipProtocol | IN("tcp", "udp", "6", "17"))
                         and (.fromPort as $f | .toPort as $t | sensitive | any(. >= $f and . <= $t))))]
           | length > 0)),
    # saker: EBS Snapshot Made Public
    ($en == "ModifySnapshotAttribute" and $es == "ec2.amazonaws.com" and $ok
      and ([.requestParameters.createVolumePermission.add.items[]?.group] | index("all") != null)),
    # saker: EC2 Windows Password Data Requested
    ($en == "GetPasswordData" and $es == "ec2.amazonaws.com"),
    # saker: EC2 Instance Launched In Non-Approved Region, with the built-in
    # ec2_approved_regions list (Falco's file does not change it).
    ($en == "RunInstances" and $es == "ec2.amazonaws.com" and $ok
      and ((.awsRegion // "")
           | IN("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")
           | not)),
    # Falco: Console Login Without MFA
    ($en == "ConsoleLogin" and .errorCode == null and .userIdentity.type != "AssumedRole"
      and .responseElements.ConsoleLogin == "Success" and .additionalEventData.MFAUsed == "No"),
    # Falco: CloudTrail Logging Disabled
    ($en == "StopLogging" and $es == "cloudtrail.amazonaws.com" and $ok)
  ]
| to_entries[] | select(.value) | .key
| ["EC2 Sensitive Port Opened To The World", "EBS Snapshot Made Public",
   "EC2 Windows Password Data Requested", "EC2 Instance Launched In Non-Approved Region",
   "Console Login Without MFA", "CloudTrail Logging Disabled"][.]
