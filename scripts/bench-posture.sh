#!/usr/bin/env bash
# Posture collection benchmark (docs/BENCHMARKS.md, "Posture"): API requests
# made by `saker posture collect`, per API and in total, and wall time, on
# moto estates of growing size and region count.
#
#   scripts/bench-posture.sh       # build, start moto, build estates, collect, print Markdown
#
# Environment:
#   POSTURE_REGIONS   the three regions (default us-east-1,eu-west-1,ap-northeast-1)
#   POSTURE_SMALL     filler per region of the small estates (default 20)
#   POSTURE_LARGE     filler per region of the large estate (default 340: over
#                     5,000 resources in three regions)
#   BENCH_RUNS        timed collections per estate (default 3; best wall time kept)
#   CARGO_TARGET_DIR  as usual (default /root/.cache/saker/target)
#   BENCH_NO_BUILD=1  use the release saker already built
#   BENCH_NO_PROXY=1  skip the counting-proxy cross-check (one collection
#                     less per estate)
#
# Starts its own moto (../shared/tools/moto_plus.py, MOTO_EC2_LOAD_DEFAULT_AMIS=false,
# free port) and stops it on exit. Each estate is built by
# crates/saker-posture/tests/estate/build_estate.py --scale N in an account of
# its own (moto maps an assumed role to its account): N security groups, N
# volumes, N snapshots and N instances (with their root volumes) per region,
# plus the check twins. Resources are counted in the collected inventory.
#
# Wall time is that of `saker posture collect` against moto directly (the
# figure saker prints). The per-API request counts are the collector's own,
# saved in the inventory (`api_calls`); they must add up to the total it
# prints (`N API request(s)`) and stay the same from run to run. Unless
# BENCH_NO_PROXY=1, one more collection goes through a counting proxy
# (Action and service of every HTTP request, as they reach moto) and its
# per-API counts must equal the collector's: the collector counts what
# really went over the wire. On moto
# DescribeSnapshotAttribute is one request per snapshot the account owns:
# moto ignores RestorableBy=all, so every snapshot is a public candidate
# (docs/posture.md, "moto differences"); on AWS only public snapshots are.
# The table shows it apart from the other APIs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/saker/target}
POSTURE_REGIONS=${POSTURE_REGIONS:-us-east-1,eu-west-1,ap-northeast-1}
POSTURE_SMALL=${POSTURE_SMALL:-20}
POSTURE_LARGE=${POSTURE_LARGE:-340}
BENCH_RUNS=${BENCH_RUNS:-3}
SAKER=$CARGO_TARGET_DIR/release/saker
ESTATE=$ROOT/crates/saker-posture/tests/estate/build_estate.py
MOTO_PLUS=$ROOT/../shared/tools/moto_plus.py
WORK=$(mktemp -d)
moto_pid=
proxy_pid=
cleanup() {
    for p in "$proxy_pid" "$moto_pid"; do
        if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v python3 >/dev/null || { echo "missing python3" >&2; exit 1; }
python3 -c 'import moto.server, boto3' 2>/dev/null \
    || { echo "needs moto 5.2.1 and boto3: pip install 'moto[server]==5.2.1' boto3" >&2; exit 1; }

# api_counts INVENTORY: "service:Action requests" per line, from the
# inventory's api_calls.
api_counts() {
    python3 - "$1" <<'EOF'
import json, sys
calls = json.load(open(sys.argv[1])).get("api_calls")
if calls is None:
    sys.exit(f"{sys.argv[1]}: no api_calls (saker too old?)")
for api, c in sorted(calls.items()):
    print(api, c["requests"])
EOF
}

if [ "${BENCH_NO_BUILD:-}" != 1 ]; then
    (cd "$ROOT" && cargo build --release -p saker >&2)
fi
[ -x "$SAKER" ] || { echo "no release binary at $SAKER" >&2; exit 1; }

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent/saker-bench/config \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent/saker-bench/credentials
unset AWS_PROFILE AWS_ENDPOINT_URL

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 600); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2; exit 1
}

MOTO_PORT=$(free_port)
MOTO_EC2_LOAD_DEFAULT_AMIS=false python3 "$MOTO_PLUS" "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
moto_pid=$!
wait_port "$MOTO_PORT"
MOTO=http://127.0.0.1:$MOTO_PORT

# Counting proxy: forwards every request to moto and appends
# "service action" (from the SigV4 credential scope and the Query body) to
# $WORK/requests.log.
if [ "${BENCH_NO_PROXY:-}" != 1 ]; then
cat >"$WORK/count_proxy.py" <<'EOF'
import http.client, sys, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, upstream, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def _go(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
        scope = self.headers.get("Authorization", "").split("Credential=")[-1].split("/")
        service = scope[3] if len(scope) > 3 else "?"
        with lock, open(log, "a") as f:
            f.write(f"{service} {action}\n")
        up = http.client.HTTPConnection("127.0.0.1", upstream, timeout=300)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        up.request(self.command, self.path, body=body, headers=headers)
        r = up.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "content-length", "transfer-encoding", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        up.close()
    do_POST = do_GET = _go
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
PROXY_PORT=$(free_port)
python3 "$WORK/count_proxy.py" "$PROXY_PORT" "$MOTO_PORT" "$WORK/requests.log" &
proxy_pid=$!
wait_port "$PROXY_PORT"
PROXY=http://127.0.0.1:$PROXY_PORT
fi

# run LABEL ACCOUNT REGIONS(comma) SCALE
run() {
    local label=$1 account=$2 regions=$3 scale=$4
    local role=arn:aws:iam::$account:role/saker-bench
    local region_args=()
    IFS=, read -ra rs <<<"$regions"
    for r in "${rs[@]}"; do region_args+=(--region "$r"); done
    echo "[$label] building the estate: ${#rs[@]} region(s), --scale $scale" >&2
    local t0 t1
    t0=$(date +%s.%N)
    python3 "$ESTATE" --endpoint "$MOTO" --regions "$regions" --scale "$scale" \
        --role-arn "$role" --out "$WORK/$label.manifest.json"
    t1=$(date +%s.%N)
    echo "[$label] estate built in $(echo "$t1 - $t0" | bc) s" >&2

    local best= total=
    for i in $(seq "$BENCH_RUNS"); do
        "$SAKER" posture collect --endpoint-url "$MOTO" --role-arn "$role" "${region_args[@]}" \
            --out "$WORK/$label.inventory.json" 2>"$WORK/$label.collect.err"
        # "collected 1 account(s), 3 region(s) in 1.2s: 98 API request(s)"
        local line secs n
        line=$(grep '^collected ' "$WORK/$label.collect.err")
        secs=$(sed -E 's/.* in ([0-9.]+)s:.*/\1/' <<<"$line")
        n=$(sed -E 's/.*: ([0-9]+) API request.*/\1/' <<<"$line")
        if grep -q '^partial inventory' "$WORK/$label.collect.err"; then
            cat "$WORK/$label.collect.err" >&2; echo "[$label] collection was partial" >&2; exit 1
        fi
        api_counts "$WORK/$label.inventory.json" >"$WORK/$label.apis.$i"
        if [ "$(awk '{s+=$2} END {print s}' "$WORK/$label.apis.$i")" != "$n" ]; then
            echo "[$label] the saved per-API counts do not add up to the $n printed" >&2; exit 1
        fi
        if [ -n "$total" ] && ! cmp -s "$WORK/$label.apis" "$WORK/$label.apis.$i"; then
            echo "[$label] per-API request counts changed between runs:" >&2
            diff "$WORK/$label.apis" "$WORK/$label.apis.$i" >&2; exit 1
        fi
        mv "$WORK/$label.apis.$i" "$WORK/$label.apis"
        total=$n
        if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc)" = 1 ]; then best=$secs; fi
        echo "[$label] run $i: $line" >&2
    done

    if [ "${BENCH_NO_PROXY:-}" != 1 ]; then
        : >"$WORK/requests.log"
        "$SAKER" posture collect --endpoint-url "$PROXY" --role-arn "$role" "${region_args[@]}" \
            --out "$WORK/$label.proxied.json" 2>"$WORK/$label.proxied.err"
        sort "$WORK/requests.log" | uniq -c | awk '{print $2":"$3" "$1}' | LC_ALL=C sort >"$WORK/$label.wire"
        api_counts "$WORK/$label.proxied.json" | LC_ALL=C sort >"$WORK/$label.proxied.apis"
        if ! cmp -s "$WORK/$label.wire" "$WORK/$label.proxied.apis"; then
            echo "[$label] the proxy (<) and the collector (>) count requests differently:" >&2
            diff "$WORK/$label.wire" "$WORK/$label.proxied.apis" >&2; exit 1
        fi
        echo "[$label] the counting proxy agrees with the collector's per-API counts" >&2
    fi
    local resources
    resources=$(python3 - "$WORK/$label.inventory.json" <<'EOF'
import json, sys
inv = json.load(open(sys.argv[1]))
skip = {"instance_images"}  # images that instances run: a lookup, not the account's resources
print(sum(len(v) for a in inv["accounts"] for r in a["regions"]
          for k, v in r.items() if isinstance(v, list) and k not in skip))
EOF
)
    local snapattr
    snapattr=$(awk '$1=="ec2:DescribeSnapshotAttribute" {print $2}' "$WORK/$label.apis")
    echo "$label ${#rs[@]} $scale $resources $total ${snapattr:-0} $best" >>"$WORK/summary"
}

IFS=, read -ra THREE <<<"$POSTURE_REGIONS"
[ "${#THREE[@]}" = 3 ] || { echo "POSTURE_REGIONS must name three regions" >&2; exit 1; }
run small-1r 100000000001 "${THREE[0]}" "$POSTURE_SMALL"
run small-3r 100000000003 "$POSTURE_REGIONS" "$POSTURE_SMALL"
run large-3r 100000000033 "$POSTURE_REGIONS" "$POSTURE_LARGE"

echo
echo "saker $("$SAKER" --version 2>/dev/null | awk '{print $2}'), $(nproc) cores, moto $(python3 -c 'import moto; print(moto.__version__)'), BENCH_RUNS=$BENCH_RUNS"
echo
echo "| estate | regions | filler per region | resources collected | API requests | of which DescribeSnapshotAttribute | all other APIs | wall time (best) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
while read -r label nr scale res total snapattr secs; do
    echo "| $label | $nr | $scale | $res | $total | $snapattr | $((total - snapattr)) | ${secs} s |"
done <"$WORK/summary"
echo
echo "Requests per API (the collector's own counts, saved in the inventory):"
echo
labels=$(awk '{print $1}' "$WORK/summary")
printf '| API |'; for l in $labels; do printf ' %s |' "$l"; done; echo
printf '|---|'; for _ in $labels; do printf -- '---:|'; done; echo
cat "$WORK"/*.apis | awk '{print $1}' | sort -u | while read -r api; do
    printf '| %s |' "$api"
    for l in $labels; do
        printf ' %s |' "$(awk -v a="$api" '$1==a {print $2}' "$WORK/$l.apis" | grep . || echo 0)"
    done
    echo
done
