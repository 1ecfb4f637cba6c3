//! The `aws_cloudtrail` field table: every field a CloudTrail rule may name.

use saker_rules::fields::{ArgForm, FieldDef, FieldFlags, FieldTable, FieldType};

const PLAIN: FieldFlags = FieldFlags {
    filter_only: false,
    no_rhs: false,
    no_transformer: false,
    deprecated: false,
    never_present: false,
};
const NEVER: FieldFlags = FieldFlags {
    never_present: true,
    ..PLAIN
};

macro_rules! field_table {
    ($($id:ident => $name:literal, $ty:ident, $arg:expr, $list:expr, $flags:expr, $desc:literal;)*) => {
        /// Field identifiers: `ResolvedField::id` is `Fid as u32`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Fid { $($id,)* }

        /// Every `Fid`, in table order.
        pub const ALL_FIDS: &[Fid] = &[$(Fid::$id,)*];

        /// The table rows, indexed by `Fid`.
        pub static FIELDS: &[FieldDef] = &[$(
            FieldDef {
                name: $name,
                ty: FieldType::$ty,
                arg: $arg,
                is_list: $list,
                flags: $flags,
                desc: $desc,
            },
        )*];
    };
}

use ArgForm::{IndexOptional, KeyRequired, None as NoArg};

field_table! {
    // --- generic evt.* fields on plugin sources (libsinsp gen_event) ---
    EvtNum => "evt.num", Uint64, NoArg, false, PLAIN, "1-based event number assigned by the reader.";
    EvtTime => "evt.time", String, NoArg, false, PLAIN, "Event time as HH:MM:SS.nnnnnnnnn in the local time zone.";
    EvtTimeS => "evt.time.s", String, NoArg, false, PLAIN, "Event time as HH:MM:SS in the local time zone.";
    EvtTimeIso8601 => "evt.time.iso8601", String, NoArg, false, PLAIN, "Event time as YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000 (UTC).";
    EvtDatetime => "evt.datetime", String, NoArg, false, PLAIN, "Event date and time as YYYY-MM-DD HH:MM:SS.nnnnnnnnn, local time zone.";
    EvtDatetimeS => "evt.datetime.s", String, NoArg, false, PLAIN, "Event date and time as YYYY-MM-DD HH:MM:SS, local time zone.";
    EvtRawtime => "evt.rawtime", AbsTime, NoArg, false, PLAIN, "Event time in ns since the epoch (eventTime).";
    EvtRawtimeS => "evt.rawtime.s", AbsTime, NoArg, false, PLAIN, "Integer part of the event time in seconds.";
    EvtRawtimeNs => "evt.rawtime.ns", AbsTime, NoArg, false, PLAIN, "Fractional part of the event time in ns.";
    EvtReltime => "evt.reltime", RelTime, NoArg, false, PLAIN, "Time since the first event, in ns.";
    EvtReltimeS => "evt.reltime.s", RelTime, NoArg, false, PLAIN, "Integer part of the time since the first event, in seconds.";
    EvtReltimeNs => "evt.reltime.ns", RelTime, NoArg, false, PLAIN, "Fractional part of the time since the first event, in ns.";
    EvtPluginname => "evt.pluginname", String, NoArg, false, PLAIN, "Name of the plugin that generated the event: cloudtrail.";
    EvtPlugininfo => "evt.plugininfo", String, NoArg, false, PLAIN, "Summary line: region user source name info.";
    EvtSource => "evt.source", String, NoArg, false, PLAIN, "Event source: aws_cloudtrail.";
    EvtIsAsync => "evt.is_async", Bool, NoArg, false, PLAIN, "Always false for CloudTrail events.";
    EvtAsynctype => "evt.asynctype", String, NoArg, false, NEVER, "Never present for CloudTrail events.";
    EvtHostname => "evt.hostname", String, NoArg, false, PLAIN, "Hostname of the machine running saker.";
    // --- cloudtrail plugin 0.17.1 ---
    CtId => "ct.id", String, NoArg, false, PLAIN, "The unique ID of the CloudTrail event (eventID).";
    CtError => "ct.error", String, NoArg, false, PLAIN, "The error code from the event (errorCode). Absent if there was no error.";
    CtErrorMessage => "ct.errormessage", String, NoArg, false, PLAIN, "The description of an error (errorMessage).";
    CtTime => "ct.time", String, NoArg, false, PLAIN, "The timestamp of the event (eventTime), as written.";
    CtSrc => "ct.src", String, NoArg, false, PLAIN, "The source of the event (eventSource), e.g. ec2.amazonaws.com.";
    CtShortSrc => "ct.shortsrc", String, NoArg, false, PLAIN, "eventSource without the .amazonaws.com suffix.";
    CtName => "ct.name", String, NoArg, false, PLAIN, "The name of the event (eventName).";
    CtUser => "ct.user", String, NoArg, false, PLAIN, "The user that generated the event, by identity type (see docs).";
    CtOriginalUser => "ct.originaluser", String, NoArg, false, PLAIN, "The original user (role session name for AssumedRole).";
    CtUserAccountId => "ct.user.accountid", String, NoArg, false, PLAIN, "userIdentity.accountId, else recipientAccountId.";
    CtUserIdentityType => "ct.user.identitytype", String, NoArg, false, PLAIN, "userIdentity.type.";
    CtUserPrincipalId => "ct.user.principalid", String, NoArg, false, PLAIN, "userIdentity.principalId.";
    CtUserArn => "ct.user.arn", String, NoArg, false, PLAIN, "userIdentity.arn.";
    CtRegion => "ct.region", String, NoArg, false, PLAIN, "The region of the event (awsRegion).";
    CtSrcIp => "ct.srcip", String, NoArg, false, PLAIN, "The IP address the request came from (sourceIPAddress), as a string.";
    CtUserAgent => "ct.useragent", String, NoArg, false, PLAIN, "The user agent of the request (userAgent).";
    CtInfo => "ct.info", String, NoArg, false, PLAIN, "Summary of the event (user via ip → name …).";
    CtManagementEvent => "ct.managementevent", String, NoArg, false, PLAIN, "\"true\" if managementEvent is true, else \"false\"; absent if missing.";
    CtReadOnly => "ct.readonly", String, NoArg, false, PLAIN, "\"true\" if readOnly is true, else \"false\"; absent if missing.";
    CtRequestId => "ct.requestid", String, NoArg, false, PLAIN, "requestID.";
    CtEventType => "ct.eventtype", String, NoArg, false, PLAIN, "eventType, e.g. AwsApiCall.";
    CtApiVersion => "ct.apiversion", String, NoArg, false, PLAIN, "apiVersion.";
    CtResources => "ct.resources", String, NoArg, false, PLAIN, "The resources array elements as compact JSON, comma-joined.";
    CtRecipientAccountId => "ct.recipientaccountid", String, NoArg, false, PLAIN, "recipientAccountId.";
    CtServiceEventDetails => "ct.serviceeventdetails", String, NoArg, false, PLAIN, "serviceEventDetails (\"\" when an object, as in Falco).";
    CtSharedEventId => "ct.sharedeventid", String, NoArg, false, PLAIN, "sharedEventID.";
    CtVpcEndpointId => "ct.vpcendpointid", String, NoArg, false, PLAIN, "vpcEndpointId.";
    CtEventCategory => "ct.eventcategory", String, NoArg, false, PLAIN, "eventCategory (Management, Data, Insight).";
    CtAddendumReason => "ct.addendum.reason", String, NoArg, false, PLAIN, "addendum.reason.";
    CtAddendumUpdatedFields => "ct.addendum.updatedfields", String, NoArg, false, PLAIN, "addendum.updatedFields.";
    CtAddendumOriginalRequestId => "ct.addendum.originalrequestid", String, NoArg, false, PLAIN, "addendum.originalRequestID.";
    CtAddendumOriginalEventId => "ct.addendum.originaleventid", String, NoArg, false, PLAIN, "addendum.originalEventID.";
    CtSessionCredentialFromConsole => "ct.sessioncredentialfromconsole", String, NoArg, false, PLAIN, "\"true\" if sessionCredentialFromConsole is true or \"true\", else \"false\"; absent if missing.";
    CtEdgeDeviceDetails => "ct.edgedevicedetails", String, NoArg, false, PLAIN, "edgeDeviceDetails (\"\" when an object, as in Falco).";
    CtTlsVersion => "ct.tlsdetails.tlsversion", String, NoArg, false, PLAIN, "tlsDetails.tlsVersion.";
    CtTlsCipherSuite => "ct.tlsdetails.ciphersuite", String, NoArg, false, PLAIN, "tlsDetails.cipherSuite.";
    CtTlsHostHeader => "ct.tlsdetails.clientprovidedhostheader", String, NoArg, false, PLAIN, "tlsDetails.clientProvidedHostHeader.";
    CtAdditionalEventData => "ct.additionaleventdata", String, NoArg, false, PLAIN, "additionalEventData as compact JSON.";
    CtRequest => "ct.request", String, NoArg, false, PLAIN, "requestParameters as compact JSON (\"null\" for null).";
    CtResponse => "ct.response", String, NoArg, false, PLAIN, "responseElements as compact JSON (\"null\" for null).";
    CtRequestAvailabilityZone => "ct.request.availabilityzone", String, NoArg, false, PLAIN, "requestParameters.availabilityZone.";
    CtRequestCluster => "ct.request.cluster", String, NoArg, false, PLAIN, "requestParameters.cluster.";
    CtRequestFunctionName => "ct.request.functionname", String, NoArg, false, PLAIN, "requestParameters.functionName.";
    CtRequestGroupName => "ct.request.groupname", String, NoArg, false, PLAIN, "requestParameters.groupName.";
    CtRequestHost => "ct.request.host", String, NoArg, false, PLAIN, "requestParameters.Host.";
    CtRequestName => "ct.request.name", String, NoArg, false, PLAIN, "requestParameters.name.";
    CtRequestPolicy => "ct.request.policy", String, NoArg, false, PLAIN, "requestParameters.policy.";
    CtRequestReason => "ct.request.reason", String, NoArg, false, PLAIN, "requestParameters.reason.";
    CtRequestTarget => "ct.request.target", String, NoArg, false, PLAIN, "requestParameters.target.";
    CtRequestDocumentName => "ct.request.documentname", String, NoArg, false, PLAIN, "requestParameters.documentName (never extracted by Falco's plugin: a bug).";
    CtRequestSerialNumber => "ct.request.serialnumber", String, NoArg, false, PLAIN, "requestParameters.serialNumber.";
    CtRequestServiceName => "ct.request.servicename", String, NoArg, false, PLAIN, "requestParameters.serviceName.";
    CtRequestSubnetId => "ct.request.subnetid", String, NoArg, false, PLAIN, "requestParameters.subnetId.";
    CtRequestTaskDefinition => "ct.request.taskdefinition", String, NoArg, false, PLAIN, "requestParameters.taskDefinition.";
    CtRequestUserName => "ct.request.username", String, NoArg, false, PLAIN, "requestParameters.userName.";
    CtResponseSubnetId => "ct.response.subnetid", String, NoArg, false, PLAIN, "responseElements.subnetId.";
    CtResponseReservationId => "ct.response.reservationid", String, NoArg, false, PLAIN, "responseElements.reservationId.";
    S3Bucket => "s3.bucket", String, NoArg, false, PLAIN, "requestParameters.bucketName.";
    S3Key => "s3.key", String, NoArg, false, PLAIN, "requestParameters.key.";
    S3Uri => "s3.uri", String, NoArg, false, PLAIN, "s3://bucket/key when both are strings.";
    S3Bytes => "s3.bytes", Uint64, NoArg, false, PLAIN, "additionalEventData.bytesTransferredIn + bytesTransferredOut.";
    S3BytesIn => "s3.bytes.in", Uint64, NoArg, false, PLAIN, "additionalEventData.bytesTransferredIn.";
    S3BytesOut => "s3.bytes.out", Uint64, NoArg, false, PLAIN, "additionalEventData.bytesTransferredOut.";
    S3CntGet => "s3.cnt.get", Uint64, NoArg, false, PLAIN, "1 for GetObject, else absent.";
    S3CntPut => "s3.cnt.put", Uint64, NoArg, false, PLAIN, "1 for PutObject, else absent.";
    S3CntOther => "s3.cnt.other", Uint64, NoArg, false, PLAIN, "1 for any event other than GetObject/PutObject, else absent.";
    Ec2Name => "ec2.name", String, NoArg, false, PLAIN, "The Name tag of the instance in tagSpecificationSet.";
    Ec2ImageId => "ec2.imageid", String, NoArg, false, PLAIN, "(deprecated) The first AMI id of the request or response (= ec2.imageids[0]).";
    Ec2ImageIds => "ec2.imageids", String, IndexOptional, true, PLAIN, "The AMI ids of the request or response (a list, also with an index).";
    EcrRepository => "ecr.repository", String, NoArg, false, PLAIN, "requestParameters.repositoryName.";
    EcrImageTag => "ecr.imagetag", String, NoArg, false, PLAIN, "requestParameters.imageTag.";
    IamRole => "iam.role", String, NoArg, false, PLAIN, "requestParameters.roleName.";
    IamPolicy => "iam.policy", String, NoArg, false, PLAIN, "requestParameters.policyName.";
    // --- saker additions (EC2) ---
    Ec2SgCidrs => "ec2.sg.cidrs", String, NoArg, true, PLAIN, "saker: every CIDR of a security-group authorize/revoke request (flat and nested shapes).";
    Ec2SgWorldPorts => "ec2.sg.world_ports", Uint64, NoArg, true, PLAIN, "saker: every port a security-group request opens to a /0 CIDR (protocol -1 = 0..65535).";
    Ec2SgWorldPortRanges => "ec2.sg.world_port_ranges", String, NoArg, true, PLAIN, "saker: the ports of ec2.sg.world_ports as merged ranges ('22', '8000-8080', '0-65535'), for outputs.";
    Ec2SgPermissions => "ec2.sg.permissions", String, NoArg, true, PLAIN, "saker: readable 'proto/ports source' entries of a security-group request.";
    Ec2SharedWith => "ec2.shared_with", String, NoArg, true, PLAIN, "saker: account ids (or 'all') added to a snapshot/AMI permission.";
    Ec2UnsharedFrom => "ec2.unshared_from", String, NoArg, true, PLAIN, "saker: account ids (or 'all') removed from a snapshot/AMI permission.";
    // --- json plugin 0.7.4 ---
    JsonValue => "json.value", String, KeyRequired, false, PLAIN, "Value at a JSON pointer: json.value[/a/b].";
    JsonObj => "json.obj", String, NoArg, false, PLAIN, "The whole record, indented (Go json.Indent, 2 spaces).";
    JsonRawtime => "json.rawtime", String, NoArg, false, PLAIN, "The event time in ns, as decimal text.";
    JevtValue => "jevt.value", String, KeyRequired, false, PLAIN, "Alias for json.value.";
    JevtObj => "jevt.obj", String, NoArg, false, PLAIN, "Alias for json.obj.";
    JevtRawtime => "jevt.rawtime", String, NoArg, false, PLAIN, "Alias for json.rawtime.";
}

impl Fid {
    /// The `Fid` of a resolved field id, if valid.
    pub fn from_id(id: u32) -> Option<Fid> {
        ALL_FIDS.get(id as usize).copied()
    }
}

/// The `aws_cloudtrail` field table (cloudtrail plugin 0.17.1 + json plugin
/// 0.7.4 + generic `evt.*` + saker's EC2 additions).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudTrailFields;

impl FieldTable for CloudTrailFields {
    fn source(&self) -> &str {
        "aws_cloudtrail"
    }

    fn fields(&self) -> &[FieldDef] {
        FIELDS
    }

    fn plugins(&self) -> &[(&'static str, &'static str)] {
        &[("cloudtrail", "0.17.1"), ("json", "0.7.4")]
    }

    fn index_field(&self) -> Option<&str> {
        Some("ct.name")
    }
}
