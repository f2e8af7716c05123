#!/usr/bin/env bash
# Checkpoint cost (release build): `weir verify` replays a recording into a local cluster
# (coordinator + 3 workers, the four sample jobs, checkpoints every 1 s replicated to a standby,
# no faults; every rollup still diffed against the reference), then the workers' checkpoint
# summary lines (one per worker every 10 s) are totalled: checkpoints committed, bytes per
# checkpoint, the processing stall (capture under the partition's lock) and capture → committed
# at the coordinator, as the median over the summary lines of their p50 and p99.
#
#   bash bench/checkpoints.sh
#   WEIR=/other/build/.build/release/weir bash bench/checkpoints.sh   # the same run, another build
#
# Writes bench/results/checkpoints.md.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1M}
RATE=${RATE:-20k/s}
DATA=bench/data/clicks-${EVENTS,,}-seed13.zst
mkdir -p bench/data bench/results
if [ -z "${WEIR:-}" ]; then
  swift build -c release >/dev/null
  WEIR=$PWD/.build/release/weir
fi
[ -f "$DATA" ] || "$WEIR" gen --events "$EVENTS" --seed 13 --out "$DATA"
DIR=$(mktemp -d /tmp/weir-checkpoints-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
"$WEIR" verify "$DATA" --seed 1 --rate "$RATE" --lease-ttl 2s --data-dir "$DIR/cluster" --keep | tee bench/results/checkpoints.txt
python3 - "$DIR/cluster/logs" "$EVENTS" "$RATE" "$WEIR" <<'PY' | tee bench/results/checkpoints.md
import glob, re, statistics, sys, subprocess, datetime
logs, events, rate, weir = sys.argv[1:]
line = re.compile(r'checkpoints: (\d+) committed, (\d+) failed, stall_ms p50=([\d.]+) p99=([\d.]+), '
                  r'duration_ms p50=([\d.]+) p99=([\d.]+), (\d+) bytes')
rows = [tuple(float(x) for x in m.groups()) for f in glob.glob(f'{logs}/w*.log') for m in line.finditer(open(f).read())]
count = sum(r[0] for r in rows); failed = sum(r[1] for r in rows); total = sum(r[6] for r in rows)
med = lambda i: statistics.median(r[i] for r in rows)
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
print(f"# Checkpoint cost — 4 sample jobs, {events} events at {rate}, 3 workers, no faults\n")
print(f"Machine: {subprocess.check_output(['nproc']).decode().strip()} cores, {cpu}; {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}; build {weir}\n")
print("| checkpoints committed / failed | bytes per checkpoint (kB) | stall p50 / p99 (ms) | capture → committed p50 / p99 (ms) |")
print("|---|---|---|---|")
print(f"| {count:.0f} / {failed:.0f} | {total / max(count, 1) / 1e3:.1f} | {med(2):.2f} / {med(3):.2f} | {med(4):.1f} / {med(5):.1f} |")
PY
