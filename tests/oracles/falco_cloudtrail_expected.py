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

Second part (`all_events_samples`): with the disabled first rule
`All Cloudtrail Events` re-enabled in place, every event raises it; its
output is computed (evt.num per file, evt.plugininfo = plugin String() with
§6.3 ct.info, evt.time.iso8601, ct.id, ct.error) for up to two records per
ct.info/plugininfo code path. The plugin's String() prints getUser's
placeholder ("<NA>", "<unknown user type>") glued to the region when
ct.user is absent (plugin code; §6.3 only describes the present case);
saker deliberately prints nothing there, so those samples also carry
`saker_message` (docs/falco-compat.md).

Scope: file-level results only for inputs where Falco's behaviour is
unambiguous, i.e. S3-delivery files `{"Records":[...]}` (invictus + the
Records-shaped fixtures). Bare arrays, single objects, JSON lines,
CloudWatch/EventBridge envelopes and non-`.json` files are excluded on
purpose: Falco either does not read them or splits them in ways that are not
a meaningful comparison.

Third part (`record_level`): the Panther rule-test events (JSON lines) and
the TrailDiscover examples (bare arrays, `.cloudtrail` names) are judged
record by record, as if each were delivered inside a Records file (the test
builds that file); same §7.3 record filter, same rules.

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
    if not (1 <= mo <= 12 and h < 24 and mi < 60 and se < 60):
        return None
    if not 1 <= d <= calendar.monthrange(y, mo)[1]:
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
    "s3.key": lambda r: d(r, "requestParameters", "key"),
    "ct.id": lambda r: d(r, "eventID"),
    "ct.readonly": lambda r: ct_readonly(r),
}


def ct_readonly(rec):
    """JSON true → "true", any other value → "false", missing → absent."""
    f = get(rec, "readOnly")
    if f is ABSENT:
        return ABSENT
    return "true" if f.v is True else "false"


def go_string(rec, key):
    """fastjson GetStringBytes: the string, or None if missing/not a string."""
    v = rec.get(key)
    return cstr(v) if isinstance(v, str) else None


def s3_bytes(rec):
    """s3.bytes: In + Out, present iff either key exists (uint64, floats
    truncated, anything else 0)."""

    def u64(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return 0
        return int(v) if v >= 0 else 0

    vals = [get(rec, "additionalEventData", k) for k in ("bytesTransferredIn", "bytesTransferredOut")]
    if all(v is ABSENT for v in vals):
        return ABSENT
    return sum(u64(v.v) for v in vals if v is not ABSENT)


def s3_uri(rec):
    b = get(rec, "requestParameters", "bucketName")
    k = get(rec, "requestParameters", "key")
    if b is ABSENT or k is ABSENT or not isinstance(b.v, str) or not isinstance(k.v, str):
        return ABSENT
    return "s3://" + cstr(b.v) + "/" + cstr(k.v)


def ct_info(rec):
    """§6.3 getEvtInfo."""
    user = ct_user(rec)
    if user is ABSENT:
        return "<invalid cloudtrail event: userIdentity field missing>"
    ip = f(rec, "ct.srcip")
    if ip is ABSENT:
        return "<invalid cloudtrail event: eventSource field missing>"
    err = "!" if exists(f(rec, "ct.error")) else ""
    rw = "\u2192" if f(rec, "ct.readonly") == "false" else "\u2190"
    name = f(rec, "ct.name")
    if name is ABSENT:
        return "<invalid cloudtrail event: eventName field missing>"
    info = f"{user} {err}{rw} {name}" if user == ip else f"{user} via {ip} {err}{rw} {name}"
    if name == "PutBucketPublicAccessBlock":
        cfg = get(rec, "requestParameters", "PublicAccessBlockConfiguration")
        if cfg is not ABSENT and isinstance(cfg.v, dict):
            # plugin bug: the flags are read at the top level → always false
            info += " BlockPublicAcls=false BlockPublicPolicy=false IgnorePublicAcls=false RestrictPublicBuckets=false "
        return info
    n = s3_bytes(rec)
    if n is not ABSENT:
        info += f" Size={n}"
    for label, v in (
        ("URI", s3_uri(rec)),
        ("Bucket", f(rec, "s3.bucket")),
        ("Key", f(rec, "s3.key")),
        ("Host", f(rec, "ct.request.host")),
    ):
        if v is not ABSENT:
            return info + f" {label}={v}"
    return info


def user_for_plugininfo(rec):
    """The `user` variable of the plugin's String(): getUser's second value,
    which is NOT only the present ct.user: for an unknown identity type it
    is "<unknown user type>", for Root/IAMUser/AWSService without the name
    key "<NA>", for a missing type ""."""
    t = get(rec, "userIdentity", "type")
    if t is ABSENT or not isinstance(t.v, str):
        return False, ""
    u = ct_user(rec)
    if u is not ABSENT:
        return True, u
    if cstr(t.v) in ("Root", "IAMUser", "AWSService"):
        return False, "<NA>"
    return False, "<unknown user type>"


def plugin_info(rec, leak_user_placeholder):
    """§6.3 evt.plugininfo (plugin String()). With leak_user_placeholder the
    not-present branch of String() is followed literally (the placeholder
    is printed right after the region); without it, only a present,
    non-empty ct.user is printed (reference text)."""
    src = go_string(rec, "eventSource")
    region = go_string(rec, "awsRegion")
    name = go_string(rec, "eventName")
    if src is None or region is None or name is None:
        raise SystemExit(f"String() error case not modelled: {rec.get('eventID')}")
    suffix = ".amazonaws.com"
    if len(src) > len(suffix) and src.endswith(suffix):
        src = src[: -len(suffix)]
    present, user = user_for_plugininfo(rec)
    if present and user != "":
        user = " " + user
    elif not leak_user_placeholder:
        user = ""
    return f"{region}{user} {src} {name} {ct_info(rec)}"


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


def iso8601(t_ns):
    import datetime

    secs, ns = divmod(t_ns, 1_000_000_000)
    t = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}+0000"


def all_events_message(rec, num, t_ns, leak):
    """`All Cloudtrail Events` output, evt.num counted per file."""
    return (
        f"Some Cloudtrail Event (evtnum={num} info={plugin_info(rec, leak)} "
        f"ts={iso8601(t_ns)} id={render('%ct.id', rec)} error={render('%ct.error', rec)})"
    )


def signature(rec):
    """What makes ct.info / evt.plugininfo take a different path."""
    t = get(rec, "userIdentity", "type")
    return (
        t.v if t is not ABSENT and isinstance(t.v, str) else None,
        ct_user(rec) is ABSENT,
        ct_user(rec) == f(rec, "ct.srcip"),
        exists(f(rec, "ct.error")),
        f(rec, "ct.readonly"),
        s3_bytes(rec) is ABSENT,
        tuple(v is ABSENT for v in (s3_uri(rec), f(rec, "s3.bucket"), f(rec, "s3.key"), f(rec, "ct.request.host"))),
        f(rec, "ct.name") == "PutBucketPublicAccessBlock",
    )


SAMPLES_PER_SIGNATURE = 2

# --------------------------------------------------------------------------
# Record-level parity on records Falco would not read as files (JSON lines
# test events, bare JSON arrays): each record is judged as if it were
# delivered inside a {"Records":[...]} file.
# --------------------------------------------------------------------------

PANTHER = "rule-tests/panther_tests.jsonl"
TRAILDISCOVER = "cloudtrail/traildiscover/docs/logExamples"


def record_level_candidates():
    """(locator, record) for every candidate record, in a fixed order:
    every `event` of the Panther tests (line order), then every element of
    the TrailDiscover examples (file name order)."""
    with open(os.path.join(DATA, PANTHER), encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            ev = json.loads(line, object_pairs_hook=first_key_wins).get("event")
            if isinstance(ev, dict):
                yield f"{PANTHER}:{n}", ev
    folder = os.path.join(DATA, TRAILDISCOVER)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".cloudtrail"):
            continue
        d = json.load(open(os.path.join(folder, name), encoding="utf-8"), object_pairs_hook=first_key_wins)
        for i, ev in enumerate(d if isinstance(d, list) else [d]):
            if isinstance(ev, dict):
                yield f"{TRAILDISCOVER}/{name}#{i}", ev


def falco_emits(rec):
    t = rec.get("eventTime")
    if not isinstance(t, str) or event_time_ns(t) is None:
        return False
    et = rec.get("eventType")
    return isinstance(et, str) and et != "AwsCloudTrailInsight"


def record_level(meta):
    out = {"candidates": 0, "falco_events": 0, "alerts": []}
    for loc, rec in record_level_candidates():
        out["candidates"] += 1
        if not falco_emits(rec):
            continue
        out["falco_events"] += 1
        for name, enabled, pred in RULES:
            if enabled and pred(rec):
                prio, fmt = meta[name]
                out["alerts"].append(
                    {
                        "record": loc,
                        "eventID": rec.get("eventID"),
                        "rule": name,
                        "priority": prio,
                        "message": render(fmt, rec),
                    }
                )
                break
    return out


def main():
    meta = load_rule_meta()
    inputs = []
    alerts = []
    samples = []
    seen = {}
    for rel in INPUTS:
        for frel in plugin_files(rel):
            n = 0
            for rec, t_ns in emitted_records(frel):
                n += 1
                sig = signature(rec)
                identifiable = isinstance(rec.get("eventID"), str)
                if identifiable and seen.get(sig, 0) < SAMPLES_PER_SIGNATURE:
                    seen[sig] = seen.get(sig, 0) + 1
                    falco = all_events_message(rec, n, t_ns, leak=True)
                    sample = {"file": frel, "eventID": rec.get("eventID"), "message": falco}
                    saker = all_events_message(rec, n, t_ns, leak=False)
                    if saker != falco:
                        # Deliberate difference (docs/falco-compat.md): the
                        # plugin's String() prints getUser's placeholder
                        # ("<NA>", "<unknown user type>") glued to the region
                        # when ct.user is absent; saker prints nothing there.
                        sample["saker_message"] = saker
                    samples.append(sample)
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
        "all_events_samples_about": "With the disabled rule `All Cloudtrail Events` "
        "re-enabled in place (override enabled: replace), it is first and fires for every "
        "event; its output (evt.num per file, evt.plugininfo with ct.info, "
        "evt.time.iso8601, ct.id, ct.error) for up to "
        f"{SAMPLES_PER_SIGNATURE} records per ct.info/plugininfo code path. "
        "saker_message, when given, is what saker prints instead (deliberate difference).",
        "all_events_samples": samples,
        "record_level_about": "Record-level parity (Falco would not read these files: "
        "JSON lines, bare arrays, .cloudtrail names): every Panther test event and every "
        "TrailDiscover example record, judged as if delivered in a Records file. "
        "candidates = records considered, falco_events = those with an RFC 3339 string "
        "eventTime and a string eventType other than AwsCloudTrailInsight.",
        "record_level": record_level(meta),
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
