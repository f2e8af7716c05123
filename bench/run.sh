#!/usr/bin/env bash
# The benchmark report in one command: generates the canonical workload, runs the suite and
# writes bench/results/report.md and report.json.
#
#   bash bench/run.sh                 # 2M events per run (about 11 minutes on 2 cores)
#   EVENTS=10M bash bench/run.sh      # the figures in README.md
#
# Suite: core engine events/s per job (`weir run`, 1 and 2 threads; bench/core.sh), end-to-end
# events/s with 1 and 2 workers plus query latency under load, checkpoint stall and duration and
# peak RSS per process (bench/cluster.sh), failover p50/p99 under kill -9 and pauses with every
# rollup checked against the reference (bench/chaos.sh), and the machine's facts.
set -euo pipefail
cd "$(dirname "$0")/.."
export EVENTS=${EVENTS:-2M}
mkdir -p bench/results
swift build -c release >/dev/null
bash bench/core.sh
WORKERS=1 bash bench/cluster.sh
WORKERS=2 bash bench/cluster.sh
set +e
bash bench/chaos.sh
CHAOS=$?
set -e
python3 - "$EVENTS" "$CHAOS" <<'PY'
import json, math, subprocess, datetime, platform, sys
events, chaos_status = sys.argv[1], int(sys.argv[2])
load = lambda p: json.load(open(p))
core = load('bench/results/core.json')
one, two = load('bench/results/cluster-1workers.json'), load('bench/results/cluster.json')
chaos = load('bench/results/chaos.json')
def pct(v, q):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, math.ceil(len(v) * q) - 1))] if v else None
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
mem = next((int(l.split()[1]) // 1024 // 1024 for l in open('/proc/meminfo') if l.startswith('MemTotal')), 0)
swift = subprocess.run(['swift', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
machine = {"cores": int(subprocess.check_output(['nproc']).decode()), "cpu": cpu, "memory_gib": mem, "kernel": platform.release(),
           "swift": swift, "commit": commit, "date": f"{datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}"}
report = {"events_per_run": events, "machine": machine, "core": core, "cluster_1_worker": one, "cluster_2_workers": two,
          "chaos": {"passed": chaos["passed"], "kills": chaos["kills"], "pauses": chaos["pauses"],
                    "failover_ms": {"p50": pct(chaos["failovers_ms"], .5), "p99": pct(chaos["failovers_ms"], .99), "count": len(chaos["failovers_ms"])},
                    "silent_failover_ms": {"p50": pct(chaos["silent_failovers_ms"], .5), "p99": pct(chaos["silent_failovers_ms"], .99), "count": len(chaos["silent_failovers_ms"])},
                    "failover_new_owner_lost_ms": {"p50": pct(chaos.get("failovers_new_owner_lost_ms", []), .5), "p99": pct(chaos.get("failovers_new_owner_lost_ms", []), .99), "count": len(chaos.get("failovers_new_owner_lost_ms", []))},
                    "handoff_ms": {"p50": pct(chaos["handoffs_ms"], .5), "p99": pct(chaos["handoffs_ms"], .99)},
                    "jobs": chaos["jobs"]}}
json.dump(report, open('bench/results/report.json', 'w'), indent=1)
f = lambda x, d=0: '—' if x is None else f"{x:,.{d}f}"
out = [f"# Weir benchmark report ({events} canonical events per run)", "",
       f"Machine: {machine['cores']} cores, {cpu}, {mem} GiB, Linux {machine['kernel']}; {swift}; commit {commit}; {machine['date']}.",
       "Rerun: `EVENTS=" + events + " bash bench/run.sh` (raw results in bench/results/*.json).", "",
       "## Core engine (`weir run`, one process)", "", "| job | threads | events/s | peak RSS (MiB) |", "|---|---|---|---|"]
out += [f"| {c['job']} | {c['threads']} | {f(c['events_per_second'])} | {c['peak_rss_mib']} |" for c in core]
out += ["", "## Cluster (coordinator + workers on loopback, clicks-per-page, checkpoints every 1 s)", "",
        "| figure | 1 worker | 2 workers |", "|---|---|---|",
        f"| end-to-end events/s (first sent → all processed, queryable) | {f(one['end_to_end_events_per_second'])} | {f(two['end_to_end_events_per_second'])} |",
        f"| durable ingest (replay acknowledged) events/s | {f(one['replay_events_per_second'])} | {f(two['replay_events_per_second'])} |",
        f"| query latency under load p50 / p99 (ms) | {f(one['query_latency_ms']['p50'], 1)} / {f(one['query_latency_ms']['p99'], 1)} | {f(two['query_latency_ms']['p50'], 1)} / {f(two['query_latency_ms']['p99'], 1)} |",
        f"| checkpoint stall p50 / p99 (ms) | {f(one['checkpoint_stall_ms']['p50'], 2)} / {f(one['checkpoint_stall_ms']['p99'], 2)} | {f(two['checkpoint_stall_ms']['p50'], 2)} / {f(two['checkpoint_stall_ms']['p99'], 2)} |",
        f"| checkpoint duration p50 / p99 (ms) | {f(one['checkpoint_duration_ms']['p50'], 1)} / {f(one['checkpoint_duration_ms']['p99'], 1)} | {f(two['checkpoint_duration_ms']['p50'], 1)} / {f(two['checkpoint_duration_ms']['p99'], 1)} |",
        f"| peak RSS coordinator / workers (MiB) | {one['peak_rss_mib']['coordinator']} / {' / '.join(map(str, one['peak_rss_mib']['workers']))} | {two['peak_rss_mib']['coordinator']} / {' / '.join(map(str, two['peak_rss_mib']['workers']))} |",
        "", "## Failover under chaos (3 workers, kill -9 every ~2 s, pauses past the 2 s lease; every rollup diffed against the reference)", "",
        "| figure | value |", "|---|---|",
        f"| result | {'PASS' if chaos['passed'] else 'FAIL'} ({sum(j['rows_compared'] for j in chaos['jobs']):,} rows compared, {sum(j['events_lost'] for j in chaos['jobs'])} lost, {sum(j['events_duplicated'] for j in chaos['jobs'])} duplicated) |",
        f"| kills / pauses | {chaos['kills']} / {chaos['pauses']} |",
        f"| failover after kill -9, p50 / p99 (ms, {report['chaos']['failover_ms']['count']}) | {f(report['chaos']['failover_ms']['p50'])} / {f(report['chaos']['failover_ms']['p99'])} |",
        f"| failover after a pause (from last heard of; includes the 2 s TTL), p50 / p99 (ms, {report['chaos']['silent_failover_ms']['count']}) | {f(report['chaos']['silent_failover_ms']['p50'])} / {f(report['chaos']['silent_failover_ms']['p99'])} |",
        f"| planned handoff p50 / p99 (ms) | {f(report['chaos']['handoff_ms']['p50'])} / {f(report['chaos']['handoff_ms']['p99'])} |"]
open('bench/results/report.md', 'w').write("\n".join(out) + "\n")
print("\n".join(out))
print("\nwrote bench/results/report.md and bench/results/report.json")
PY
exit "$CHAOS"
