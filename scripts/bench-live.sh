#!/usr/bin/env bash
# Live ingestion benchmark (docs/BENCHMARKS.md, "Live ingestion"):
# objects/s and records/s from a moto S3/SQS on loopback with one and three
# workers, and the state store's cost per object (SQLite, PostgreSQL).
#
#   scripts/bench-live.sh        # build, make the corpus, run, print Markdown tables
#
# Environment:
#   BENCH_DIR        corpus cache (default ~/.cache/saker; outside the repo)
#   LIVE_BYTES       gzip size of the corpus (default 30M; K/M/G = 10^3/6/9)
#   BENCH_RUNS       repetitions of each end-to-end run (default 2; best is kept)
#   CARGO_TARGET_DIR as usual (default /root/.cache/saker/target)
#   BENCH_NO_BUILD=1 use the release binaries already built
#   BENCH_PARTS      "e2e store" (default): end-to-end runs, store cost per object
#
# Starts its own moto (../shared/tools/moto_plus.py, free port) and a
# throwaway PostgreSQL with fsync on (.ci/postgres.sh; root, Debian's
# postgresql), and stops both on exit. The corpus is real CloudTrail replayed
# with fresh eventIDs and eventTimes (saker-demo's `replay` example) in the
# S3 layout; objects are uploaded once, and each run gets a new bucket
# listing state (a new --state) or a newly filled queue.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/saker/target}
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/saker}
LIVE_BYTES=${LIVE_BYTES:-30M}
BENCH_RUNS=${BENCH_RUNS:-2}
CORPUS=$BENCH_DIR/bench-live-corpus-$LIVE_BYTES
BIN=$CARGO_TARGET_DIR/release
WORK=$(mktemp -d)
moto_pid=
cleanup() {
    if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
    pg_test_stop 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in bc zcat psql python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install bc gzip postgresql-client python3)" >&2; exit 1; }
done

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "== build" >&2
    (cd "$ROOT" && cargo build --release -q -p saker \
        && cargo build --release -q -p saker-demo --example replay \
        && cargo build --release -q -p saker-store --example store_bench)
fi

if [ ! -d "$CORPUS" ]; then
    echo "== corpus: $LIVE_BYTES gzip into $CORPUS" >&2
    rm -rf "$CORPUS.tmp"
    "$BIN/examples/replay" "$CORPUS.tmp" "$LIVE_BYTES" >&2
    mv "$CORPUS.tmp" "$CORPUS"
fi
objects=$(find "$CORPUS" -name '*.json.gz' | wc -l)

echo "== services" >&2
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 "$ROOT/../shared/tools/moto_plus.py" "$moto_port" >"$WORK/moto.log" 2>&1 &
moto_pid=$!
ENDPOINT=http://127.0.0.1:$moto_port
for _ in $(seq 1 300); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $moto_port), 1)" 2>/dev/null && break
    sleep 0.2
done
# shellcheck source=../.ci/postgres.sh
. "$ROOT/.ci/postgres.sh"
PG_TEST_FSYNC=on pg_test_start
PG=$SAKER_TEST_POSTGRES_URL

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
unset AWS_PROFILE AWS_ENDPOINT_URL

# aws.py upload BUCKET | fill QUEUE_NAME BUCKET  (prints the queue URL)
cat >"$WORK/aws.py" <<'EOF'
import json, os, sys, boto3
ep, corpus, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=ep, region_name="us-east-1")
s3, sqs = boto3.client("s3", **kw), boto3.client("sqs", **kw)
keys = sorted(os.path.relpath(os.path.join(d, f), corpus)
              for d, _, fs in os.walk(corpus) for f in fs if f.endswith(".json.gz"))
if cmd == "upload":
    bucket = sys.argv[4]
    s3.create_bucket(Bucket=bucket)
    for k in keys:
        s3.upload_file(os.path.join(corpus, k), bucket, k)
elif cmd == "fill":
    name, bucket = sys.argv[4], sys.argv[5]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    etags = {o["Key"]: o["ETag"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
             for o in p.get("Contents", [])}
    batch = []
    for i, k in enumerate(keys):
        body = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                             "awsRegion": "us-east-1", "eventTime": "2026-01-01T00:00:00.000Z",
                             "s3": {"bucket": {"name": bucket},
                                    "object": {"key": k, "size": 1, "eTag": etags[k].strip('"')}}}]}
        batch.append({"Id": str(i), "MessageBody": json.dumps(body)})
        if len(batch) == 10:
            sqs.send_message_batch(QueueUrl=url, Entries=batch); batch = []
    if batch:
        sqs.send_message_batch(QueueUrl=url, Entries=batch)
    print(url)
EOF
aws() { python3 "$WORK/aws.py" "$ENDPOINT" "$CORPUS" "$@"; }

echo "== upload $objects objects" >&2
aws upload bench
n=0
# A --state with nothing in it, in $STATE: sqlite|postgres|memory.
fresh_state() {
    n=$((n + 1))
    case $1 in
        sqlite) STATE=$WORK/state-$n.db ;;
        memory) STATE=:memory: ;;
        postgres)
            psql "$PG" -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA bench_$n" >/dev/null
            STATE="$PG?options=-c%20search_path%3Dbench_$n" ;;
    esac
}
now() { date +%s.%N; }

# One run with a fresh state (and a freshly filled queue): MODE (s3|sqs)
# WORKERS STORE; wall seconds in $T. Every object is read exactly once.
run_once() {
    local mode=$1 workers=$2 queue t0 i
    fresh_state "$3"
    local common=(detect -q --output json --threads 1 --state "$STATE" --endpoint-url "$ENDPOINT")
    if [ "$mode" = sqs ]; then
        queue=$(aws fill "bench-q-$n" bench)
        t0=$(now)
        local pids=()
        for i in $(seq 1 "$workers"); do
            timeout 900 "$BIN/saker" "${common[@]}" --sqs "$queue" --until-empty --sqs-wait 1 \
                >/dev/null 2>"$WORK/err-$i" &
            pids+=("$!")
        done
        wait "${pids[@]}"  # not moto, also a child of this shell
    else
        t0=$(now)
        timeout 900 "$BIN/saker" "${common[@]}" s3://bench >/dev/null 2>"$WORK/err-1"
    fi
    T=$(echo "$(now) - $t0" | bc -l)
    if ! kill -0 "$moto_pid" 2>/dev/null; then
        echo "moto stopped during a $mode run; its log:" >&2
        tail -n 20 "$WORK/moto.log" >&2
        exit 1
    fi
}

# Best wall seconds over BENCH_RUNS, in $BEST.
best() {
    local r
    BEST=
    for r in $(seq 1 "$BENCH_RUNS"); do
        run_once "$@"
        if [ -z "$BEST" ] || [ "$(echo "$T < $BEST" | bc -l)" = 1 ]; then BEST=$T; fi
    done
}

# Records in the corpus (each object is read once, so each run evaluates all).
records=$(find "$CORPUS" -name '*.json.gz' -print0 | xargs -0 zcat | grep -o '"eventID"' | wc -l)

if [[ " ${BENCH_PARTS:-e2e store} " == *" e2e "* ]]; then
echo "== end to end ($objects objects, $records records, best of $BENCH_RUNS)" >&2
echo
echo "| source | workers | --state | wall s | objects/s | records/s |"
echo "|---|---:|---|---:|---:|---:|"
for spec in "s3 1 memory" "s3 1 sqlite" "s3 1 postgres" "sqs 1 sqlite" "sqs 3 sqlite" "sqs 1 postgres" "sqs 3 postgres"; do
    # shellcheck disable=SC2086
    set -- $spec
    best "$@"
    printf '| %s | %s | %s | %.2f | %.0f | %.0f |\n' "$1" "$2" "$3" "$BEST" \
        "$(echo "$objects / $BEST" | bc -l)" "$(echo "$records / $BEST" | bc -l)"
done

fi

if [[ " ${BENCH_PARTS:-e2e store} " == *" store "* ]]; then
echo
echo "== state store per object (store_bench: 2000 objects, 2 alerts each)" >&2
echo "| --state | µs per object | is_processed | 2 alerts (check + commit each) | mark_processed | bytes stored per object |"
echo "|---|---:|---:|---:|---:|---:|"
for store in sqlite postgres; do
    fresh_state $store
    line=$("$BIN/examples/store_bench" "$STATE" 2000 2)
    v() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    if [ "$store" = sqlite ]; then
        sqlite_bytes=$(stat -c %s "$STATE")
        bytes=$((sqlite_bytes / 2000))
    else
        bytes=$(psql "$PG" -At -c "SELECT (sum(pg_total_relation_size(c.oid)) / 2000)::bigint FROM pg_class c
            JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'bench_$n' AND c.relkind = 'r'")
    fi
    echo "| $store | $(v per_object_us) | $(v is_processed_us) | $(v alerts_us) | $(v mark_processed_us) | $bytes |"
done
fi
