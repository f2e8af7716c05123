#!/usr/bin/env bash
# End-to-end cluster benchmark (release build): a coordinator and 2 workers on loopback with the
# durable partition log on, job clicks-per-page, `weir replay --max` of the canonical recording.
#
#   bash bench/cluster.sh             # 10M events (recording generated once into bench/data/)
#   EVENTS=2M bash bench/cluster.sh   # a smaller run
#   CHECKPOINTS=off bash bench/cluster.sh   # without checkpoints (default: every 1s, replicated to the standby)
#   WORKERS=1 bash bench/cluster.sh         # one worker (default 2)
#   RATE=100k/s bash bench/cluster.sh       # paced ingest instead of --max (query latency while
#                                           # windows close at a steady pace)
#   COORDINATOR_ARGS="--final-window-rows 0" bash bench/cluster.sh   # extra coordinator flags
#   WEIR_BIN=/tmp/weir-before bash bench/cluster.sh   # a given binary instead of building this tree
#
# Reports end-to-end events/s (first event sent → every partition consumed and the answer
# queryable), replay (ingest) events/s, peak RSS per process, and the latency of rollup queries
# (`?last=1m&top=10`, every 100 ms) during the replay, and the checkpoints' processing stall and
# duration (from the workers' summary lines), each process's CPU seconds, and the same query's
# latency on the idle cluster afterwards. Writes bench/results/cluster[-checkpoints-off].md.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-10M}
CHECKPOINTS=${CHECKPOINTS:-1s}
NWORKERS=${WORKERS:-2}
RATE=${RATE:-max}
SUFFIX=$([ "$CHECKPOINTS" = off ] && echo "-checkpoints-off" || true)$([ "$NWORKERS" = 2 ] || echo "-${NWORKERS}workers")$([ "$RATE" = max ] || echo "-rate-${RATE%/s}")
DATA=bench/data/clicks-${EVENTS,,}.zst
mkdir -p bench/data bench/results
if [ -n "${WEIR_BIN:-}" ]; then
  WEIR=$WEIR_BIN   # a given binary (bench/compare.sh runs two builds alternately this way)
else
  swift build -c release >/dev/null
  WEIR=$PWD/.build/release/weir
fi
[ -f "$DATA" ] || $WEIR gen --events "$EVENTS" --seed 7 --out "$DATA"
RUN=$(mktemp -d /tmp/weir-bench-cluster.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT

$WEIR coordinator --data-dir "$RUN/coordinator" --listen 127.0.0.1:0 --http 127.0.0.1:0 --stream clicks:user \
  --ready-file "$RUN/ready" ${COORDINATOR_ARGS:-} > "$RUN/coordinator.log" 2>&1 &
COORD=$!; PIDS+=($COORD)
for _ in $(seq 1 300); do [ -s "$RUN/ready" ] && break; sleep 0.1; done
WIRE=$(grep wire "$RUN/ready" | cut -d= -f2); HTTP=127.0.0.1:$(grep http "$RUN/ready" | cut -d= -f2)
WORKERS=()
for i in $(seq 1 "$NWORKERS"); do
  $WEIR worker --coordinator 127.0.0.1:$WIRE --data-dir "$RUN/w$i" --id "w$i" --checkpoint-interval "$CHECKPOINTS" > "$RUN/w$i.log" 2>&1 &
  WORKERS+=($!); PIDS+=($!)
done
$WEIR submit jobs/clicks-per-page.yaml --http "$HTTP" >/dev/null
# Start once every worker holds its share of the partitions: the first worker to register takes
# all free ones, and the others get theirs only after settling (a few seconds), which would
# leave a short run to one worker.
balanced() { curl -s "http://$HTTP/v1/cluster" | python3 -c '
import json, sys, collections
d = json.load(sys.stdin)
held = collections.Counter(p["holder"] for p in d["partitions"] if p["holder"])
n = int(sys.argv[1])
print("yes" if len(held) == n and max(held.values()) - min(held.values()) <= 1 and sum(held.values()) == len(d["partitions"]) else "no")' "$NWORKERS"; }
for _ in $(seq 1 300); do [ "$(balanced)" = yes ] && break; sleep 0.1; done
sleep 1

# One monitor process, started before the replay so that no process starts while it runs (a
# curl per query and a curl + python3 per lag poll took ~5 % of the machine's CPU): it times the
# rollup query every 100 ms during the replay, then polls the partitions' lag every 20 ms until
# every event is consumed, asks for the answer once and writes that time (the end).
touch "$RUN/sampling"
python3 - "$HTTP" "$RUN" <<'PY' &
import json, os, sys, time, urllib.request
http, run = sys.argv[1], sys.argv[2]
query = f"http://{http}/v1/jobs/clicks-per-page/rollups?last=1m&top=10"
open(f"{run}/monitor-ready", "w").close()
with open(f"{run}/latency.txt", "w") as out:
    while os.path.exists(f"{run}/sampling"):
        began = time.monotonic()
        try:
            urllib.request.urlopen(query).read()
            out.write(f"{time.monotonic() - began}\n")
        except OSError:
            pass
        time.sleep(0.1)
lag = lambda: sum(p["lag"] for p in json.load(urllib.request.urlopen(f"http://{http}/v1/cluster"))["partitions"])
while lag() != 0:
    time.sleep(0.02)
urllib.request.urlopen(f"http://{http}/v1/jobs/clicks-per-page/rollups?last=1m").read()
with open(f"{run}/end", "w") as out:
    out.write(f"{time.time():.6f}")
PY
MONITOR=$!
for _ in $(seq 1 100); do [ -f "$RUN/monitor-ready" ] && break; sleep 0.05; done

START=$(date +%s.%N)
REPLAY=$($WEIR replay "$DATA" --stream clicks --coordinator 127.0.0.1:$WIRE $([ "$RATE" = max ] && echo --max || echo --rate "$RATE"))
REPLAYED=$(date +%s.%N)
rm -f "$RUN/sampling"
wait $MONITOR
END=$(cat "$RUN/end")
# CPU seconds (user + system) each process used up to here: which process the cores went to.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' /proc/$1/stat; }
CPU="$(cpu $COORD) $(for w in "${WORKERS[@]}"; do cpu "$w"; echo -n " "; done)"
rss() { awk '/VmHWM/{printf "%d", $2/1024}' /proc/$1/status; }
EXPIRED=$(grep -c "expired without renewal" "$RUN/coordinator.log" || true)
# The same query on the idle cluster (every window of the recording in, nothing changing): what a
# dashboard waits for at rest, 50 in a row.
for _ in $(seq 1 50); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://$HTTP/v1/jobs/clicks-per-page/rollups?last=1m&top=10" >> "$RUN/idle-latency.txt" || true
done
sleep 10  # one more checkpoint summary line per worker
COMMITTED=$(curl -s "http://$HTTP/v1/cluster" | python3 -c 'import json,sys; print(json.load(sys.stdin)["checkpoints"]["committed"])')
grep -h "checkpoints: " "$RUN"/w*.log > "$RUN/checkpoints.txt" || true
WORKER_RSS=$(for w in "${WORKERS[@]}"; do rss "$w"; echo -n " "; done)
python3 - "$EVENTS" "$START" "$REPLAYED" "$END" "$RUN/latency.txt" "$(rss $COORD)" "$WORKER_RSS" "$EXPIRED" "$DATA" "$CHECKPOINTS" "$COMMITTED" "$RUN/checkpoints.txt" "bench/results/cluster$SUFFIX.json" "$RATE" "${COORDINATOR_ARGS:-}" "$CPU" "$RUN/idle-latency.txt" <<'PY' | tee "bench/results/cluster$SUFFIX.md"
import sys, subprocess, platform, datetime, json
import re
events_text, start, replayed, end, lat_file, rc, worker_rss, expired, data, checkpoints, committed, ck_file, json_out, rate, coordinator_args, cpu_seconds, idle_file = sys.argv[1:]
cpu_seconds = [float(x) for x in cpu_seconds.split()]
worker_rss = [int(x) for x in worker_rss.split()]
mult = {'k': 1e3, 'm': 1e6}
events = float(events_text[:-1]) * mult[events_text[-1].lower()] if events_text[-1].lower() in mult else float(events_text)
start, replayed, end = float(start), float(replayed), float(end)
lat = sorted(float(x) * 1000 for x in open(lat_file) if x.strip())
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float('nan')
idle = sorted(float(x) * 1000 for x in open(idle_file) if x.strip())
idle_pct = lambda p: idle[min(len(idle) - 1, int(p * len(idle)))] if idle else float('nan')
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
print(f"# Cluster end to end — coordinator + {len(worker_rss)} worker(s), clicks-per-page, {events_text} canonical events, checkpoints {checkpoints}\n")
print(f"Machine: {subprocess.check_output(['nproc']).decode().strip()} cores, {cpu}; {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}; recording {data}; replay {'--max' if rate == 'max' else '--rate ' + rate}{'; coordinator ' + coordinator_args if coordinator_args else ''}\n")
print("| figure | value |\n|---|---|")
print(f"| end-to-end events/s (first event sent → all partitions consumed, answer queryable) | {events / (end - start):,.0f} |")
print(f"| replay (durable ingest, acknowledged) events/s | {events / (replayed - start):,.0f} |")
print(f"| wall seconds (replay / end to end) | {replayed - start:.1f} / {end - start:.1f} |")
print(f"| rollup query latency during the replay, p50 / p99 / max (ms, {len(lat)} queries) | {pct(0.5):.1f} / {pct(0.99):.1f} / {max(lat) if lat else float('nan'):.1f} |")
print(f"| the same query on the idle cluster afterwards, p50 / p99 (ms, {len(idle)} in a row) | {idle_pct(0.5):.1f} / {idle_pct(0.99):.1f} |")
print(f"| peak RSS coordinator / workers (MiB) | {rc} / {' / '.join(map(str, worker_rss))} |")
print(f"| CPU seconds used by the end of processing, coordinator / workers (from their start) | {' / '.join(f'{c:.1f}' for c in cpu_seconds)} |")
print(f"| leases that expired during the run | {expired} |")
# Worker summary lines: "N committed, F failed, stall_ms p50=a p99=b, duration_ms p50=c p99=d, B bytes" per 10 s.
rows = []
for line in open(ck_file):
    found = {k: (float(a), float(b)) for k, a, b in re.findall(r'(stall_ms|duration_ms) p50=([\d.]+) p99=([\d.]+)', line)}
    if len(found) == 2:
        rows.append(found)
if checkpoints != 'off':
    print(f"| checkpoints committed (every {checkpoints}, replicated to the standby) | {committed} |")
    if rows:
        med = lambda xs: sorted(xs)[len(xs) // 2]
        print(f"| checkpoint processing stall per partition, median p50 / worst p99 over 10 s intervals (ms) | {med([r['stall_ms'][0] for r in rows]):.2f} / {max(r['stall_ms'][1] for r in rows):.2f} |")
        print(f"| checkpoint duration (capture → coordinator commit), median p50 / worst p99 (ms) | {med([r['duration_ms'][0] for r in rows]):.1f} / {max(r['duration_ms'][1] for r in rows):.1f} |")
med = lambda xs: sorted(xs)[len(xs) // 2] if xs else None
json.dump({
    "workers": len(worker_rss), "events": events, "checkpoints": checkpoints, "rate": rate, "coordinator_args": coordinator_args,
    "end_to_end_events_per_second": events / (end - start), "replay_events_per_second": events / (replayed - start),
    "query_latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": max(lat) if lat else None, "queries": len(lat)},
    "idle_query_latency_ms": {"p50": idle_pct(0.5), "p99": idle_pct(0.99), "queries": len(idle)},
    "peak_rss_mib": {"coordinator": int(rc), "workers": worker_rss}, "leases_expired": int(expired),
    "cpu_seconds": {"coordinator": cpu_seconds[0], "workers": cpu_seconds[1:]},
    "checkpoints_committed": int(committed),
    "checkpoint_stall_ms": {"p50": med([r['stall_ms'][0] for r in rows]), "p99": max((r['stall_ms'][1] for r in rows), default=None)},
    "checkpoint_duration_ms": {"p50": med([r['duration_ms'][0] for r in rows]), "p99": max((r['duration_ms'][1] for r in rows), default=None)},
}, open(json_out, "w"), indent=1)
PY
