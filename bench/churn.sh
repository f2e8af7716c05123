#!/usr/bin/env bash
# Membership benchmark (release build, reliability matrix R12): three `weir verify` runs over the
# same recording into a local cluster (coordinator + 3 workers), each diffed against the reference:
#   1. churn   — a new worker joins, then a running one leaves (SIGTERM, clean handoff), every ~5 s;
#   2. standby — a random worker killed (-9) every ~2 s, checkpoints kept on 2 workers (owner + standby);
#   3. cold    — the same kills with 1 copy: no standby, a new owner waits for the killed worker's
#                state (or replays the log).
#
#   bash bench/churn.sh                 # 1M events at 20k/s per run
#   EVENTS=300k bash bench/churn.sh
#
# Reports pass/fail and handoff / failover times (p50/p99, release or loss of the owner → new
# owner reading its log, and for failovers also → new owner past where the old one had read:
# restore plus the work redone) per run. Writes bench/results/churn.md and churn-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1M}
RATE=${RATE:-20k/s}
SEED=${SEED:-1}
DATA=bench/data/clicks-${EVENTS,,}-seed13.zst
mkdir -p bench/data bench/results
swift build -c release >/dev/null
WEIR=$PWD/.build/release/weir
[ -f "$DATA" ] || $WEIR gen --events "$EVENTS" --seed 13 --out "$DATA"
STATUS=0
run() {
  local name=$1; shift
  echo "== $name: $*"
  $WEIR verify "$DATA" --seed "$SEED" --rate "$RATE" --lease-ttl 2s --report "bench/results/churn-$name.json" "$@" \
    | tee "bench/results/churn-$name.txt" || STATUS=1
}
run churn --chaos churn=5s
run standby --chaos kill=2s --replication 2
run cold --chaos kill=2s --replication 1
python3 - "$EVENTS" "$RATE" "$SEED" <<'PY' | tee bench/results/churn.md
import json, math, sys, subprocess, datetime
events, rate, seed = sys.argv[1:]
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
def pct(v, q):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, math.ceil(len(v) * q) - 1))] if v else float('nan')  # nearest rank
def times(v): return f"{len(v)}, {pct(v, .5)} / {pct(v, .99)}" if v else "none"
print(f"# Membership changes and cold restores — 4 sample jobs, {events} events at {rate}, seed {seed}, lease TTL 2 s\n")
print(f"Machine: {subprocess.check_output(['nproc']).decode().strip()} cores, {cpu}; {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}\n")
print("| run | result | rows compared | lost / duplicated | kills / joins / leaves | handoffs: count, p50 / p99 ms | failovers after kill -9 (to first read): count, p50 / p99 ms | the same until caught up: count, p50 / p99 ms | lease lapses: count, p50 / p99 ms |")
print("|---|---|---|---|---|---|---|---|---|")
for name, what in [('churn', 'join/leave every ~5 s'), ('standby', 'kill -9 every ~2 s, with standby'), ('cold', 'kill -9 every ~2 s, no standby')]:
    r = json.load(open(f'bench/results/churn-{name}.json'))
    rows = sum(j['rows_compared'] for j in r['jobs'])
    lost = sum(j['events_lost'] for j in r['jobs']); dup = sum(j['events_duplicated'] for j in r['jobs'])
    print(f"| {what} | {'PASS' if r['passed'] else 'FAIL'} | {rows} | {lost} / {dup} | {r['kills']} / {r.get('joins', 0)} / {r.get('leaves', 0)} "
          f"| {times(r['handoffs_ms'])} | {times(r['failovers_ms'])} | {times(r.get('failover_catch_ups_ms', []))} | {times(r['silent_failovers_ms'])} |")
PY
exit "$STATUS"
