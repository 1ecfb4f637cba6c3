#!/usr/bin/env python3
"""Independent oracle: which alert Falco would raise for each CloudTrail record
when it runs only `aws_cloudtrail_rules.yaml` with `rule_matching: first`.

This does NOT use saker. The 22 rules are hand-translated into Python
predicates following the semantics written down in
`../shared/reference/falco.md` (Falco 0.44.1, cloudtrail plugin 0.17.1,
json plugin 0.7.4):

* §1   `rule_matching: first`: rules are tried in file order, the first
       enabled rule that matches wins (so `Console Root Login Without MFA`
       and `Run Instances in Non-approved Region` are shadowed); disabled
       rules (`All Cloudtrail Events`, `List Buckets`) never run.
* §4   a comparison on an absent field is false whatever the operator
       (`!=` and `in` included); `exists` is true for a present "".
* §6.2 ⟨d⟩ fields: absent if the key path is missing, "" for any non-string
       JSON value; `ct.user` per `userIdentity.type`; plugin strings are C
       strings (truncated at NUL).
* §6.4 `json.value[ptr]`: strings unescaped, anything else compact JSON
       (`false`, `null`, ...), missing path → absent.
* §7.2/§7.3 which records Falco emits at all: only `*.json` / `*.json.gz`
       files; each file is split by brace depth 2 (string/escape aware), an
       incomplete trailing record is dropped; a record that does not parse,
       has no RFC 3339 string `eventTime` or no string `eventType`, or is an
       Insights record (`AwsCloudTrailInsight`) is skipped.
* §5   the rendered message: the YAML-folded, trimmed output format with
       every `%field` replaced by its value or `<NA>`.

Scope: only inputs where Falco's behaviour is unambiguous, i.e. S3-delivery
files `{"Records":[...]}` (invictus + the Records-shaped fixtures). Bare
arrays, single objects, JSON lines, CloudWatch/EventBridge envelopes and
non-`.json` files are excluded on purpose: Falco either does not read them
or splits them in ways that are not a meaningful comparison.

Usage (from the repository root, with ../shared/data next to it):

    python3 tests/oracles/falco_cloudtrail_expected.py \
        > crates/saker-detect/tests/data/falco_cloudtrail_expected.json
"""

import gzip
import json
import os
import re
import sys

import yaml  # only to read names/priorities/outputs (folded) from the rules file

DATA = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
RULES_FILE = os.path.join(DATA, "falco", "aws_cloudtrail_rules.yaml")

# Inputs covered (relative to ../shared/data): directories are walked like the
# plugin does (recursively, lexical order, *.json / *.json.gz only).
INPUTS = [
    "cloudtrail/invictus",
    "cloudtrail/fixtures/otel_contrib_cloudtraillog_testdata/testdata/cloudtrail_log.json",
    "cloudtrail/fixtures/cloudgrep_tests/tests/data/cloudtrail.json",
    "cloudtrail/fixtures/cloudgrep_tests/tests/data/cloudtrail_singleline.json",
    # truncated file: Falco drops the incomplete record → no event at all
    "cloudtrail/fixtures/cloudgrep_tests/tests/data/bad_cloudtrail.json",
    "cloudtrail/fixtures/trailscraper_tests/tests/cloudtrail/data",
    "cloudtrail/fixtures/trailscraper_tests/tests/smoke/events-for-smoke-test.json",
    "falco/falco_legacy_tests/alice_start_instances.json",
    "falco/falco_legacy_tests/alice_start_instances_bigevent.json",
]

# --------------------------------------------------------------------------
# Files and records (§7.2, §7.3)
# --------------------------------------------------------------------------


def plugin_files(rel):
    path = os.path.join(DATA, rel)
    if os.path.isfile(path):
        return [rel]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".json") or name.endswith(".json.gz"):
                out.append(os.path.relpath(os.path.join(root, name), DATA))
    return sorted(out)  # filepath.Walk: lexical order of full paths


def read_file(rel):
    raw = open(os.path.join(DATA, rel), "rb").read()
    if rel.endswith(".json.gz"):
        try:
            raw = gzip.decompress(raw)
        except Exception:
            return b""  # gunzip failure: the whole file is skipped
    return raw


def split_records(buf):
    """Every {...} object at brace depth 2, ignoring braces inside strings."""
    depth = 0
    start = 0
    in_str = False
    esc = False
    out = []
    for pos, ch in enumerate(buf):
        if in_str:
            if esc:
                esc = False
            elif ch == 0x5C:  # backslash
                esc = True
            elif ch == 0x22:
                in_str = False
            continue
        if ch == 0x22:
            in_str = True
        elif ch == 0x7B:  # {
            if depth == 1:
                start = pos
            depth += 1
        elif ch == 0x7D:  # }
            depth -= 1
            if depth == 1:
                out.append(buf[start : pos + 1])
    return out  # an unterminated trailing record never reaches depth 1 again


def first_key_wins(pairs):
    d = {}
    for k, v in pairs:
        if k not in d:
            d[k] = v
    return d


RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$"
)


def event_time_ns(s):
    """Go time.Parse(time.RFC3339, s) in ns, or None."""
    import calendar

    m = RFC3339.match(s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and se < 60):
        return None
    frac = m.group(7) or ""
    ns = int((frac[1:] + "000000000")[:9]) if frac else 0
    secs = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))
    if m.group(8) != "Z":
        off = int(m.group(9)) * 3600 + int(m.group(10)) * 60
        secs -= off if m.group(8)[0] == "+" else -off
    return secs * 1_000_000_000 + ns


def emitted_records(rel):
    """(record dict, eventTime ns) for every record Falco turns into an event."""
    for chunk in split_records(read_file(rel)):
        try:
            rec = json.loads(chunk.decode("utf-8", "surrogatepass"), object_pairs_hook=first_key_wins)
        except Exception:
            continue
        if not isinstance(rec, dict):
            continue
        t = rec.get("eventTime")
        if not isinstance(t, str) or event_time_ns(t) is None:
            continue
        et = rec.get("eventType")
        if not isinstance(et, str) or et == "AwsCloudTrailInsight":
            continue
        yield rec, event_time_ns(t)


# --------------------------------------------------------------------------
# Field extraction (§6.2, §6.4). ABSENT is distinct from "".
# --------------------------------------------------------------------------

ABSENT = None


def cstr(s):
    return s.split("\x00", 1)[0]


def get(rec, *path):
    """fastjson Get: object keys, decimal array indexes; None if missing."""
    v = rec
    for p in path:
        if isinstance(v, dict):
            if p not in v:
                return ABSENT
            v = v[p]
        elif isinstance(v, list):
            try:
                i = int(p)
            except ValueError:
                return ABSENT
            if not 0 <= i < len(v):
                return ABSENT
            v = v[i]
        else:
            return ABSENT
    return _Found(v)


class _Found:
    def __init__(self, v):
        self.v = v


def d(rec, *path):
    """⟨d⟩: absent if missing, the string (C string) or "" for non-strings."""
    f = get(rec, *path)
    if f is ABSENT:
        return ABSENT
    return cstr(f.v) if isinstance(f.v, str) else ""


def json_value(rec, ptr):
    """json.value[ptr]: strings unescaped, others compact JSON text."""
    ptr = ptr[1:] if ptr.startswith("/") else ptr
    toks = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")]
    f = get(rec, *toks)
    if f is ABSENT:
        return ABSENT
    v = f.v
    if isinstance(v, str):
        return cstr(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    # numbers/objects/arrays: compact JSON (never equal to any constant the
    # rules compare with, so the exact number text does not matter here)
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def ct_user(rec):
    t = get(rec, "userIdentity", "type")
    if t is ABSENT or not isinstance(t.v, str):
        return ABSENT
    t = cstr(t.v)
    if t in ("Root", "IAMUser"):
        return d(rec, "userIdentity", "userName")
    if t == "AWSService":
        return d(rec, "userIdentity", "invokedBy")
    if t == "AssumedRole":
        v = d(rec, "userIdentity", "sessionContext", "sessionIssuer", "userName")
        return "AssumedRole" if v is ABSENT else v
    if t in ("AWSAccount", "FederatedUser"):
        return t
    return ABSENT


FIELDS = {
    "ct.name": lambda r: d(r, "eventName"),
    "ct.error": lambda r: d(r, "errorCode"),
    "ct.src": lambda r: d(r, "eventSource"),
    "ct.region": lambda r: d(r, "awsRegion"),
    "ct.srcip": lambda r: d(r, "sourceIPAddress"),
    "ct.user": ct_user,
    "ct.user.identitytype": lambda r: d(r, "userIdentity", "type"),
    "ct.user.principalid": lambda r: d(r, "userIdentity", "principalId"),
    "ct.user.arn": lambda r: d(r, "userIdentity", "arn"),
    "ct.request.username": lambda r: d(r, "requestParameters", "userName"),
    "ct.request.serialnumber": lambda r: d(r, "requestParameters", "serialNumber"),
    "ct.request.groupname": lambda r: d(r, "requestParameters", "groupName"),
    "ct.request.cluster": lambda r: d(r, "requestParameters", "cluster"),
    "ct.request.servicename": lambda r: d(r, "requestParameters", "serviceName"),
    "ct.request.taskdefinition": lambda r: d(r, "requestParameters", "taskDefinition"),
    "ct.request.functionname": lambda r: d(r, "requestParameters", "functionName"),
    "ct.request.availabilityzone": lambda r: d(r, "requestParameters", "availabilityZone"),
    "ct.request.host": lambda r: d(r, "requestParameters", "Host"),
    "ct.request.policy": lambda r: d(r, "requestParameters", "policy"),
    "ct.request.name": lambda r: d(r, "requestParameters", "name"),
    "ct.response.subnetid": lambda r: d(r, "responseElements", "subnetId"),
    "ct.response.reservationid": lambda r: d(r, "responseElements", "reservationId"),
    "s3.bucket": lambda r: d(r, "requestParameters", "bucketName"),
}


# --------------------------------------------------------------------------
# Condition helpers: every comparison on an absent field is false (§4).
# --------------------------------------------------------------------------


def eq(v, const):
    return v is not ABSENT and v == const


def ne(v, const):
    return v is not ABSENT and v != const


def exists(v):
    return v is not ABSENT


def in_(v, consts):
    return v is not ABSENT and v in consts


def f(rec, name):
    return FIELDS[name](rec)


def jv(rec, ptr):
    return json_value(rec, ptr)


def ok(rec, name):
    """ct.name="<name>" and not ct.error exists"""
    return eq(f(rec, "ct.name"), name) and not exists(f(rec, "ct.error"))


APPROVED_REGIONS = ["us-east-0"]

# (rule name, enabled, predicate) in file order.
RULES = [
    ("All Cloudtrail Events", False, lambda r: True),  # evt.num > 0
    (
        "Console Login Through Assume Role",
        True,
        lambda r: ok(r, "ConsoleLogin")
        and eq(f(r, "ct.user.identitytype"), "AssumedRole")
        and eq(jv(r, "/responseElements/ConsoleLogin"), "Success"),
    ),
    (
        "Console Login Without MFA",
        True,
        lambda r: ok(r, "ConsoleLogin")
        and ne(f(r, "ct.user.identitytype"), "AssumedRole")
        and eq(jv(r, "/responseElements/ConsoleLogin"), "Success")
        and eq(jv(r, "/additionalEventData/MFAUsed"), "No"),
    ),
    (
        "Console Root Login Without MFA",
        True,
        lambda r: ok(r, "ConsoleLogin")
        and eq(jv(r, "/additionalEventData/MFAUsed"), "No")
        and ne(f(r, "ct.user.identitytype"), "AssumedRole")
        and eq(jv(r, "/responseElements/ConsoleLogin"), "Success")
        and eq(f(r, "ct.user.identitytype"), "Root"),
    ),
    (
        "Deactivate MFA for Root User",
        True,
        lambda r: ok(r, "DeactivateMFADevice")
        and eq(f(r, "ct.user.identitytype"), "Root")
        and eq(f(r, "ct.request.username"), "AWS ROOT USER"),
    ),
    ("Create AWS user", True, lambda r: ok(r, "CreateUser")),
    ("Create Group", True, lambda r: ok(r, "CreateGroup")),
    ("Delete Group", True, lambda r: ok(r, "DeleteGroup")),
    (
        "ECS Service Created",
        True,
        lambda r: eq(f(r, "ct.src"), "ecs.amazonaws.com") and ok(r, "CreateService"),
    ),
    (
        "ECS Task Run or Started",
        True,
        lambda r: eq(f(r, "ct.src"), "ecs.amazonaws.com")
        and (eq(f(r, "ct.name"), "RunTask") or eq(f(r, "ct.name"), "StartTask"))
        and not exists(f(r, "ct.error")),
    ),
    ("Create Lambda Function", True, lambda r: ok(r, "CreateFunction20150331")),
    ("Update Lambda Function Code", True, lambda r: ok(r, "UpdateFunctionCode20150331v2")),
    (
        "Update Lambda Function Configuration",
        True,
        lambda r: ok(r, "UpdateFunctionConfiguration20150331v2"),
    ),
    ("Run Instances", True, lambda r: ok(r, "RunInstances")),
    (
        "Run Instances in Non-approved Region",
        True,
        lambda r: ok(r, "RunInstances") and not in_(f(r, "ct.region"), APPROVED_REGIONS),
    ),
    ("Delete Bucket Encryption", True, lambda r: ok(r, "DeleteBucketEncryption")),
    (
        "Delete Bucket Public Access Block",
        True,
        lambda r: ok(r, "PutBucketPublicAccessBlock")
        and eq(jv(r, "/requestParameters/publicAccessBlock"), "")
        and any(
            eq(jv(r, "/requestParameters/PublicAccessBlockConfiguration/" + k), "false")
            for k in ("RestrictPublicBuckets", "BlockPublicPolicy", "BlockPublicAcls", "IgnorePublicAcls")
        ),
    ),
    ("List Buckets", False, lambda r: ok(r, "ListBuckets")),
    ("Put Bucket ACL", True, lambda r: ok(r, "PutBucketAcl")),
    ("Put Bucket Policy", True, lambda r: ok(r, "PutBucketPolicy")),
    ("CloudTrail Trail Created", True, lambda r: ok(r, "CreateTrail")),
    ("CloudTrail Logging Disabled", True, lambda r: ok(r, "StopLogging")),
]

# --------------------------------------------------------------------------
# Outputs (§5.1): folded by YAML, trimmed; %field → value or <NA>.
# --------------------------------------------------------------------------

TOKEN = re.compile(r"%(json\.value\[[^\]]*\]|[a-z0-9_]+(?:\.[a-z0-9_]+)+)")


def render(fmt, rec):
    def sub(m):
        tok = m.group(1)
        if tok.startswith("json.value["):
            v = jv(rec, tok[len("json.value[") : -1])
        else:
            # longest known field that prefixes the token (`%ct.srcip,`)
            name = max((k for k in FIELDS if tok == k or tok.startswith(k + ".")), key=len, default=None)
            if name is None:
                raise SystemExit(f"oracle does not know field {tok}")
            v = FIELDS[name](rec)
            if name != tok:
                return ("<NA>" if v is ABSENT else v) + tok[len(name) :]
        return "<NA>" if v is ABSENT else v

    return TOKEN.sub(sub, fmt)


PRIORITY = {
    "EMERGENCY": "Emergency",
    "ALERT": "Alert",
    "CRITICAL": "Critical",
    "ERROR": "Error",
    "WARNING": "Warning",
    "NOTICE": "Notice",
    "INFO": "Informational",
    "INFORMATIONAL": "Informational",
    "DEBUG": "Debug",
}


def load_rule_meta():
    items = yaml.safe_load(open(RULES_FILE))
    meta = [i for i in items if "rule" in i]
    names = [(m["rule"], m.get("enabled", True)) for m in meta]
    mine = [(n, e) for n, e, _ in RULES]
    if names != mine:
        raise SystemExit(f"rules file changed: {names} != {mine}")
    return {m["rule"]: (PRIORITY[m["priority"].upper()], m["output"].strip()) for m in meta}


def main():
    meta = load_rule_meta()
    inputs = []
    alerts = []
    for rel in INPUTS:
        for frel in plugin_files(rel):
            n = 0
            for rec, t_ns in emitted_records(frel):
                n += 1
                for name, enabled, pred in RULES:
                    if enabled and pred(rec):
                        prio, fmt = meta[name]
                        alerts.append(
                            {
                                "file": frel,
                                "eventID": rec.get("eventID"),
                                "rule": name,
                                "priority": prio,
                                "time_ns": t_ns,
                                "message": render(fmt, rec),
                            }
                        )
                        break  # rule_matching: first
            inputs.append({"file": frel, "events": n})
    doc = {
        "about": "Derived by tests/oracles/falco_cloudtrail_expected.py from "
        "../shared/data/falco/aws_cloudtrail_rules.yaml with rule_matching: first; "
        "events = records Falco's cloudtrail plugin would emit for the file.",
        "inputs": inputs,
        "alerts": alerts,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
