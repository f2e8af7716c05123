#!/usr/bin/env bash
# Coordinator heap benchmark (release build, R10's memory question): a coordinator run under
# heaptrack, 3 workers keeping every window (--retention 1h), the four sample jobs, and a paced
# replay of a recording; no chaos. Samples the coordinator's resident memory (RSS, and its
# anonymous part) every 10 s and reports heaptrack's peak heap, what was still allocated at
# exit, and the biggest peak consumers — so a growing RSS can be told apart into "the heap
# grows" (a leak, or state that grows by design) and "the allocator keeps freed memory".
#
#   bash bench/coordinator-heap.sh                         # 1M events at 3,500/s ≈ 5 minutes
#   EVENTS=2M RATE=5k/s bash bench/coordinator-heap.sh
#
# Needs heaptrack (apt-get install -y heaptrack). Writes bench/results/coordinator-heap.md.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1M}
RATE=${RATE:-3500/s}
command -v heaptrack >/dev/null || { echo "bench/coordinator-heap.sh needs heaptrack: apt-get install -y heaptrack" >&2; exit 2; }
DATA=bench/data/clicks-${EVENTS,,}-seed12.zst
mkdir -p bench/data bench/results
swift build -c release >/dev/null
WEIR=$PWD/.build/release/weir
[ -f "$DATA" ] || $WEIR gen --events "$EVENTS" --seed 12 --out "$DATA"
RUN=$(mktemp -d /tmp/weir-bench-heap.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT

heaptrack -o "$RUN/heap" $WEIR coordinator --data-dir "$RUN/coordinator" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --stream clicks:user --lease-ttl 2s --ready-file "$RUN/ready" > "$RUN/coordinator.log" 2>&1 &
TRACER=$!
for _ in $(seq 1 600); do [ -s "$RUN/ready" ] && break; sleep 0.1; done
WIRE=$(grep wire "$RUN/ready" | cut -d= -f2); HTTP=127.0.0.1:$(grep http "$RUN/ready" | cut -d= -f2)
COORD=$(pgrep -f "weir coordinator --data-dir $RUN/coordinator" | grep -v "^$TRACER$" | tail -1)
PIDS+=($COORD)
for i in 1 2 3; do
  $WEIR worker --coordinator 127.0.0.1:$WIRE --data-dir "$RUN/w$i" --id "w$i" --retention 1h > "$RUN/w$i.log" 2>&1 &
  PIDS+=($!)
done
for job in jobs/*.yaml; do $WEIR submit "$job" --http "$HTTP" >/dev/null; done
sleep 2
( while kill -0 "$COORD" 2>/dev/null; do
    awk -v t="$(date +%s)" '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {print t, r, a}' "/proc/$COORD/status" >> "$RUN/rss.txt" 2>/dev/null || true
    sleep 10
  done ) &
$WEIR replay "$DATA" --stream clicks --coordinator 127.0.0.1:$WIRE --rate "$RATE" > "$RUN/replay.txt" 2>&1
sleep 5
kill -TERM "$COORD"; wait "$TRACER" || true
heaptrack_print -f "$RUN/heap.zst" --print-peaks 1 --print-leaks 0 --print-allocators 0 --print-temporary 0 -n 6 -s 0 \
  > "$RUN/heap.txt" 2>/dev/null || true
python3 - "$RUN" "$EVENTS" "$RATE" <<'PY' | tee bench/results/coordinator-heap.md
import sys, re, subprocess, datetime
run, events, rate = sys.argv[1:]
rows = [tuple(int(x) for x in l.split()) for l in open(f'{run}/rss.txt') if len(l.split()) == 3]
t0 = rows[0][0] if rows else 0
text = open(f'{run}/heap.txt').read()
def grab(label):
    m = re.search(label + r':\s*(.+)', text)
    return m.group(1).strip() if m else '?'
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
print(f"# Coordinator heap — 3 workers (retention 1h), 4 sample jobs, {events} events at {rate}, no chaos\n")
print(f"Machine: {subprocess.check_output(['nproc']).decode().strip()} cores, {cpu}; {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}\n")
print("| figure | value |\n|---|---|")
print(f"| heaptrack peak heap | {grab('peak heap memory consumption')} |")
print(f"| still allocated at exit (connections open) | {grab('total memory leaked')} |")
print(f"| allocation calls | {grab('calls to allocation functions')} |")
if rows:
    print(f"| coordinator RSS first → last (max), MiB (under heaptrack) | {rows[0][1]/1024:.0f} → {rows[-1][1]/1024:.0f} ({max(r[1] for r in rows)/1024:.0f}) |")
    print(f"| of which anonymous, first → last (max), MiB | {rows[0][2]/1024:.0f} → {rows[-1][2]/1024:.0f} ({max(r[2] for r in rows)/1024:.0f}) |")
print("\nBiggest peak consumers (heaptrack, allocation site, no stacks):\n")
lines = text.splitlines()
for i, line in enumerate(lines):
    if re.match(r'^[0-9.]+[KMG]? peak memory consumed', line):
        site = lines[i + 1].strip() if i + 1 < len(lines) else '?'
        print(f'- {line.strip()} {site}')
print("\nRSS samples (s, RSS MiB, anonymous MiB): " + ', '.join(f"{r[0]-t0}: {r[1]/1024:.0f}/{r[2]/1024:.0f}" for r in rows))
PY
