#!/usr/bin/env bash
# A/B comparison of two builds on this noisy machine: runs bench/cluster.sh with each build in
# turn, ROUNDS times (A, B, A, B, …), so both see the same drift in the machine's speed, and
# prints every run and the means. A build is a `weir` executable or a git revision, which is
# built (release) in a temporary worktree.
#
#   bash bench/compare.sh 55e0dd6 HEAD                      # 3 rounds, 10M events, checkpoints 1s
#   ROUNDS=5 EVENTS=2M bash bench/compare.sh /tmp/weir-old .build/release/weir
#   CHECKPOINTS=off bash bench/compare.sh HEAD~1 HEAD       # any bench/cluster.sh setting passes through
#
# Writes bench/results/compare.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: bash bench/compare.sh BUILD_A BUILD_B  (a weir executable or a git revision)" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
TMP=$(mktemp -d /tmp/weir-compare.XXXXXX)
# The worktrees live under $TMP: removing it and pruning forgets them.
cleanup() { rm -rf "$TMP"; git worktree prune; }
trap cleanup EXIT

# A path to an executable as given; a revision built in its own worktree.
binary() {
  if [ -x "$1" ] && [ -f "$1" ]; then realpath "$1"; return; fi
  local rev; rev=$(git rev-parse --verify --quiet "$1^{commit}") || { echo "not an executable nor a git revision: $1" >&2; exit 2; }
  local tree="$TMP/tree-${rev:0:12}"
  git worktree add --detach "$tree" "$rev" >/dev/null 2>&1
  echo "building $1 (${rev:0:12}) in $tree …" >&2
  (cd "$tree" && swift build -c release >/dev/null)
  echo "$tree/.build/release/weir"
}
A=$(binary "$1"); B=$(binary "$2")
SUFFIX=$([ "${CHECKPOINTS:-1s}" = off ] && echo "-checkpoints-off" || true)$([ "${WORKERS:-2}" = 2 ] || echo "-${WORKERS}workers")$([ "${RATE:-max}" = max ] || echo "-rate-${RATE%/s}")
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    bin=$([ $side = A ] && echo "$A" || echo "$B")
    echo "round $round, $side …" >&2
    WEIR_BIN="$bin" bash bench/cluster.sh >/dev/null
    cp "bench/results/cluster$SUFFIX.json" "$TMP/$round-$side.json"
  done
done
python3 - "$TMP" "$ROUNDS" "$1" "$2" <<'PY' | tee bench/results/compare.md
import json, sys, statistics
tmp, rounds, name_a, name_b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = {side: [json.load(open(f"{tmp}/{r}-{side}.json")) for r in range(1, rounds + 1)] for side in "AB"}
first = runs["A"][0]
print(f"# A/B: {name_a} (A) against {name_b} (B), bench/cluster.sh, {rounds} rounds alternating\n")
print(f"{int(first['events']):,} events, {first['workers']} workers, checkpoints {first['checkpoints']}, rate {first['rate']}\n")
def fmt(x): return f"{x:,.0f}"
rows = [
    ("end-to-end events/s", lambda d: d["end_to_end_events_per_second"], fmt),
    ("replay (durable ingest) events/s", lambda d: d["replay_events_per_second"], fmt),
    ("query p50 during the replay (ms)", lambda d: d["query_latency_ms"]["p50"], lambda x: f"{x:.1f}"),
    ("query p99 during the replay (ms)", lambda d: d["query_latency_ms"]["p99"], lambda x: f"{x:.1f}"),
    ("query p50 on the idle cluster (ms)", lambda d: d["idle_query_latency_ms"]["p50"], lambda x: f"{x:.1f}"),
    ("CPU seconds, coordinator", lambda d: d["cpu_seconds"]["coordinator"], lambda x: f"{x:.1f}"),
    ("CPU seconds, workers (sum)", lambda d: sum(d["cpu_seconds"]["workers"]), lambda x: f"{x:.1f}"),
    ("peak RSS, workers (max, MiB)", lambda d: max(d["peak_rss_mib"]["workers"]), lambda x: f"{x:.0f}"),
]
print("| figure | A, each round | B, each round | mean A | mean B | B / A |")
print("|---|---|---|---|---|---|")
for label, get, f in rows:
    try:
        a = [get(d) for d in runs["A"]]; b = [get(d) for d in runs["B"]]
    except (KeyError, TypeError):
        continue
    ma, mb = statistics.mean(a), statistics.mean(b)
    print(f"| {label} | {' / '.join(f(x) for x in a)} | {' / '.join(f(x) for x in b)} | {f(ma)} | {f(mb)} | {mb / ma:.3f} |")
PY
