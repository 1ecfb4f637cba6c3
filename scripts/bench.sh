#!/usr/bin/env bash
# Detection throughput benchmark (docs/BENCHMARKS.md, "Detection throughput").
#
#   scripts/bench.sh            # build, make the corpus if missing, time, print a Markdown table
#
# Environment:
#   BENCH_DIR    where the corpus lives (default ~/.cache/saker; outside the repo)
#   BENCH_BYTES  gzip size of the corpus to generate (default 1100M; suffix K/M/G = 10^3/6/9)
#   BENCH_RUNS   repetitions of each timed command (default 5; best and median wall time are reported)
#   JQ_EVERY     jq runs on every JQ_EVERY-th file of the corpus (default 10)
#   CARGO_TARGET_DIR  as usual (default /root/.cache/saker/target)
#   BENCH_NO_BUILD=1  time the binaries already in $CARGO_TARGET_DIR/release (saker,
#                examples/replay, examples/floor) instead of building them
#
# The corpus is real CloudTrail (../shared/data/cloudtrail/invictus) replayed with
# fresh eventIDs and eventTimes by saker-demo's `replay` example, in the S3 layout.
# Every timed command reads the same files, from the page cache (they are read
# once before timing). Peak RSS comes from /usr/bin/time (GNU time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/saker/target}
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/saker}
BENCH_BYTES=${BENCH_BYTES:-1100M}
BENCH_RUNS=${BENCH_RUNS:-5}
JQ_EVERY=${JQ_EVERY:-10}
CORPUS=$BENCH_DIR/bench-corpus
SUBSET=$BENCH_DIR/bench-subset-$JQ_EVERY
FALCO_RULES=$ROOT/../shared/data/falco/aws_cloudtrail_rules.yaml
JQ_FILTER=$ROOT/scripts/bench-rules.jq
BIN=$CARGO_TARGET_DIR/release
TIME=/usr/bin/time
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for tool in "$TIME" jq zcat; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install time jq gzip)" >&2; exit 1; }
done

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "== build" >&2
    (cd "$ROOT" && cargo build --release -q -p saker \
        && cargo build --release -q -p saker-demo --example replay \
        && cargo build --release -q -p saker-cloudtrail --example floor)
fi

if [ ! -d "$CORPUS" ]; then
    echo "== corpus: $BENCH_BYTES gzip into $CORPUS" >&2
    rm -rf "$CORPUS.tmp"
    "$BIN/examples/replay" "$CORPUS.tmp" "$BENCH_BYTES" >&2
    mv "$CORPUS.tmp" "$CORPUS"
fi
if [ ! -d "$SUBSET" ]; then
    # Every JQ_EVERY-th file (path order), hard-linked into one directory.
    mkdir -p "$SUBSET.tmp"
    find "$CORPUS" -name '*.json.gz' | sort | awk -v n="$JQ_EVERY" 'NR % n == 0' \
        | xargs -d '\n' ln -t "$SUBSET.tmp"
    mv "$SUBSET.tmp" "$SUBSET"
fi
# The corpus in two halves (odd and even files), hard-linked: two floor
# processes on them, side by side, show how far this machine scales to two
# cores at all (shared caches, memory bandwidth, a busy host).
for half in a b; do
    if [ ! -d "$BENCH_DIR/bench-half-$half" ]; then
        mkdir -p "$BENCH_DIR/bench-half-$half.tmp"
        find "$CORPUS" -name '*.json.gz' | sort \
            | awk -v h="$half" '(NR % 2 == 0) == (h == "a")' \
            | xargs -d '\n' ln -t "$BENCH_DIR/bench-half-$half.tmp"
        mv "$BENCH_DIR/bench-half-$half.tmp" "$BENCH_DIR/bench-half-$half"
    fi
done

# Wait (up to BENCH_WAIT seconds, default 600) for a quiet machine: no compiler running.
for _ in $(seq $(( ${BENCH_WAIT:-600} / 10 ))); do
    [ "$(pgrep -c -x rustc || true)" = 0 ] && break
    echo "waiting for rustc to finish ..." >&2
    sleep 10
done
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg), rustc processes: $(pgrep -c -x rustc || true)" >&2
echo "== warm page cache" >&2
find "$CORPUS" -name '*.json.gz' -print0 | xargs -0 cat >/dev/null

# measure NAME CMD...: run BENCH_RUNS times under GNU time; record
# "NAME best_wall median_wall max_rss_kb least_cpu_s" in $WORK/results
# (CPU = user + system of every process of the command, least over runs).
measure() {
    local name=$1; shift
    local walls=() rss=0 cpu=
    for _ in $(seq "$BENCH_RUNS"); do
        "$TIME" -f '%e %M %U %S' -o "$WORK/t" bash -c "$*"
        read -r wall kb user sys <"$WORK/t"
        walls+=("$wall")
        [ "$kb" -gt "$rss" ] && rss=$kb
        cpu=$(awk -v u="$user" -v s="$sys" -v c="$cpu" 'BEGIN { t = u + s; if (c != "" && c < t) t = c; printf "%.2f", t }')
    done
    local best median
    best=$(printf '%s\n' "${walls[@]}" | sort -g | head -1)
    median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ w[NR] = $1 } END { print w[int((NR + 1) / 2)] }')
    echo "$name $best $median $rss $cpu" >>"$WORK/results"
    echo "   $name: best ${best}s median ${median}s peak ${rss} KB cpu ${cpu}s (runs: ${walls[*]})" >&2
}

# Sizes and record counts of both file sets, from the parse floor.
stat_of() { "$BIN/examples/floor" serde "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
RAW=$(stat_of "$CORPUS" raw_bytes); RECORDS=$(stat_of "$CORPUS" records)
GZ=$(stat_of "$CORPUS" gz_bytes); FILES=$(stat_of "$CORPUS" files)
SUB_RAW=$(stat_of "$SUBSET" raw_bytes); SUB_RECORDS=$(stat_of "$SUBSET" records)
SUB_FILES=$(stat_of "$SUBSET" files)

DETECT="$BIN/saker detect -q --rules $FALCO_RULES"
echo "== timing ($BENCH_RUNS runs each)" >&2
measure inflate "$BIN/examples/floor inflate $CORPUS >/dev/null"
measure parse_serde "$BIN/examples/floor serde $CORPUS >/dev/null"
measure parse_simd "$BIN/examples/floor simd $CORPUS >/dev/null"
measure parse_serde_2proc "$BIN/examples/floor serde $BENCH_DIR/bench-half-a >/dev/null & $BIN/examples/floor serde $BENCH_DIR/bench-half-b >/dev/null & wait"
measure saker_t1 "$DETECT --threads 1 $CORPUS >/dev/null"
measure saker_t2 "$DETECT --threads 2 $CORPUS >/dev/null"
measure saker_t1_subset "$DETECT --threads 1 $SUBSET >/dev/null"
measure jq_subset "zcat $SUBSET/*.json.gz | jq -r -f $JQ_FILTER >/dev/null"
ALERTS=$($DETECT --threads 2 --output json "$CORPUS" | wc -l)
JQ_ALERTS=$(zcat "$SUBSET"/*.json.gz | jq -r -f "$JQ_FILTER" | sort | uniq -c | awk '{ n = $1; $1 = ""; sub(/^ /, ""); print $0 ": " n }' | paste -sd ';' -)
SAKER_SUB_ALERTS=$($DETECT --threads 1 --output json "$SUBSET" | jq -r .rule | sort | uniq -c \
    | grep -E "Sensitive Port|Snapshot Made Public|Password Data|In Non-Approved Region|Without MFA|Logging Disabled" \
    | awk '{ n = $1; $1 = ""; sub(/^ /, ""); print $0 ": " n }' | paste -sd ';' - || true)

# ---- report
awk -v every="$JQ_EVERY" -v raw="$RAW" -v rec="$RECORDS" -v sraw="$SUB_RAW" -v srec="$SUB_RECORDS" '
function row(label, name, threads, bytes, recs,   w) {
    w = best[name]
    mbs[name] = bytes / 1e6 / w; rps[name] = recs / w
    printf "| %s | %s | %.2f (%.2f) | %.0f | %.0f k | %s | %s | %.0f |\n", label, threads, w, median[name],
        mbs[name], rps[name] / 1000, ratio(name), vsjq(name), rss[name] / 1024
}
function ratio(name) { return (name ~ /^saker/) ? sprintf("%.2f", mbs[name] / floor) : "" }
function vsjq(name) { return (name ~ /^saker/) ? sprintf("%.0f×", rps[name] / jqrps) : "" }
{ best[$1] = $2; median[$1] = $3; rss[$1] = $4; cpu[$1] = $5 }
END {
    floor = raw / 1e6 / best["parse_serde"]
    if (raw / 1e6 / best["parse_simd"] > floor) floor = raw / 1e6 / best["parse_simd"]
    jqrps = srec / best["jq_subset"]
    print "| run | threads | wall s, best (median) | MB/s raw JSON | records/s | ÷ parse floor | × jq | peak RSS MB |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|"
    row("inflate only (`floor inflate`)", "inflate", 1, raw, rec)
    row("inflate + serde_json `IgnoredAny` (`floor serde`)", "parse_serde", 1, raw, rec)
    row("inflate + simd-json tape (`floor simd`)", "parse_simd", 1, raw, rec)
    row("floor, two processes side by side (one per half of the files)", "parse_serde_2proc", "2×1", raw, rec)
    row("`saker detect`, built-in + Falco rules", "saker_t1", 1, raw, rec)
    row("`saker detect`, built-in + Falco rules", "saker_t2", 2, raw, rec)
    row("`saker detect`, subset (every " every "th file)", "saker_t1_subset", 1, sraw, srec)
    row("`zcat \\| jq -f scripts/bench-rules.jq`, subset", "jq_subset", "1+1", sraw, srec)
    printf "\nscaling 1→2 threads: %.2f× (the machine: floor 1→2 processes %.2f×); saker 1 thread ÷ floor: %.2f (median runs: %.2f); × jq (records/s): %.0f×\n",
        best["saker_t1"] / best["saker_t2"], best["parse_serde"] / best["parse_serde_2proc"],
        (raw / 1e6 / best["saker_t1"]) / floor, median["parse_serde"] / median["saker_t1"],
        (rec / best["saker_t1"]) / jqrps
    printf "× jq per CPU-second on the subset (jq'"'"'s zcat | jq pipeline runs on two cores): %.0f× (saker %.2f s, jq %.2f s of CPU); × jq at equal cores (saker 2 threads, full corpus, records/s): %.0f×\n",
        cpu["jq_subset"] / cpu["saker_t1_subset"], cpu["saker_t1_subset"], cpu["jq_subset"], (rec / best["saker_t2"]) / jqrps
}' "$WORK/results"
cat <<EOF

corpus: $FILES files, $GZ bytes gzip, $RAW bytes JSON, $RECORDS records; subset: $SUB_FILES files, $SUB_RAW bytes JSON, $SUB_RECORDS records
alerts (full corpus, all rules): $ALERTS
jq alerts on the subset: $JQ_ALERTS
saker alerts on the subset, same six rules: $SAKER_SUB_ALERTS
machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GiB; $(jq --version); runs: $BENCH_RUNS
EOF
