#!/usr/bin/env bash
# Soak benchmark (release build, reliability matrix R10): `weir verify` replays a recording into
# a local cluster (coordinator + 3 workers) at a steady rate for ~10 minutes while a random
# worker is killed (-9) and restarted every ~30 s. Every 10 s a sampler records, per process,
# resident memory (RSS) and open files, the size of every LMDB file and of the partition logs,
# and the LMDB reader table of every environment (`mdb_stat -r`: slots, and slots whose process
# is gone — stale slots a killed worker left behind that `mdb_reader_check` must clear).
#
#   bash bench/soak.sh                          # 2M events at 3,500/s ≈ 10 minutes
#   EVENTS=600k RATE=5k/s KILL=20s bash bench/soak.sh     # 2 minutes
#   RETENTION=1h SEGMENT=64m bash bench/soak.sh           # keep every window (see below)
#
# (The reference run that the final diff needs holds every group of the four jobs in memory:
# 6M events take it ~15 minutes and 6 GB here, hence a lower rate rather than more events.)
#
# Reports pass/fail of the final diff against the reference and, over the second half of the
# replay (after warm-up), the slope of each series per minute: flat means the slope is small
# against the level. Writes bench/results/soak.md, soak.json and soak-samples.csv.
#
# Reading it: the recording's events span ~15 minutes of event time. By default the workers keep
# final windows for 2 minutes of event time (RETENTION; `weir verify --retention` then compares
# only the windows surely still kept) and the coordinator's partition logs use 4 MiB segments
# (SEGMENT), truncated behind the committed checkpoints, so state, checkpoint files and logs can
# level off within the run and everything must be flat. RETENTION=1h SEGMENT=64m (the defaults of
# `weir worker` and `weir coordinator`) keeps every window: then the workers' state and
# checkpoint files grow with every event by design and only the coordinator's memory, open files
# and reader slots must be flat.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-2M}
RATE=${RATE:-3500/s}
KILL=${KILL:-30s}
SEED=${SEED:-1}
RETENTION=${RETENTION:-2m}
SEGMENT=${SEGMENT:-4m}
command -v mdb_stat >/dev/null || { echo "bench/soak.sh needs mdb_stat: apt-get install -y lmdb-utils" >&2; exit 2; }
DATA=bench/data/clicks-${EVENTS,,}-seed12.zst
mkdir -p bench/data bench/results
swift build -c release >/dev/null
WEIR=$PWD/.build/release/weir
[ -f "$DATA" ] || $WEIR gen --events "$EVENTS" --seed 12 --out "$DATA"
DIR=$(mktemp -d /tmp/weir-soak-XXXXXX)
SAMPLES=bench/results/soak-samples.csv
python3 - "$DIR" "$SAMPLES" <<'PY' &
# Sampler: every 10 s from the cluster's start until the replay ends (after it, `weir verify`
# queries every rollup at once, which is a different load).
import os, sys, time, subprocess, glob
root, out = sys.argv[1], sys.argv[2]
def procs():
    found = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try: args = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\0')
        except OSError: continue
        args = [a.decode(errors='replace') for a in args]
        if 'replay' in args and any(a.endswith('.zst') for a in args): found['replay'] = int(pid)
        if '--data-dir' not in args: continue
        d = args[args.index('--data-dir') + 1]
        if d.startswith(root + '/'): found[os.path.basename(d)] = int(pid)
    return found
def rss_kib(pid):
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'): return int(line.split()[1])
    return 0
def alive(pid): return os.path.exists(f'/proc/{pid}')
def readers(env):
    try: text = subprocess.run(['mdb_stat', '-r', env], capture_output=True, text=True, timeout=10).stdout
    except Exception: return (0, 0)
    rows = [l.split() for l in text.splitlines() if l.strip() and l.split()[0].isdigit()]
    return (len(rows), sum(1 for r in rows if not alive(int(r[0]))))
def size(paths): return sum(os.path.getsize(p) for p in paths if os.path.exists(p))
started, seen = time.time(), False
with open(out, 'w') as f:
    f.write('t_s,name,rss_kib,open_files,lmdb_bytes,log_bytes,reader_slots,stale_reader_slots\n')
    while True:
        ps = procs()
        if 'replay' in ps: seen = True
        elif seen or ('coordinator' not in ps and time.time() - started > 3600): break
        t = round(time.time() - started)
        for name, pid in sorted(ps.items()):
            if name == 'replay': continue
            try: rss, fds = rss_kib(pid), len(os.listdir(f'/proc/{pid}/fd'))
            except OSError: continue
            env = f'{root}/{name}/meta' if name == 'coordinator' else f'{root}/{name}/state'
            lmdb = size(glob.glob(env + '/*.mdb'))
            logs = size(glob.glob(f'{root}/coordinator/log/**/*', recursive=True)) if name == 'coordinator' else 0
            slots, stale = readers(env)
            f.write(f'{t},{name},{rss},{fds},{lmdb},{logs},{slots},{stale}\n')
        f.flush()
        time.sleep(10)
PY
SAMPLER=$!
set +e
$WEIR verify "$DATA" --chaos kill="$KILL" --seed "$SEED" --rate "$RATE" --lease-ttl 2s --data-dir "$DIR" \
  --retention "$RETENTION" --segment-size "$SEGMENT" \
  --report bench/results/soak.json | tee bench/results/soak.txt
STATUS=${PIPESTATUS[0]}
set -e
wait $SAMPLER || true
python3 - "$EVENTS" "$RATE" "$KILL" "$SAMPLES" "$RETENTION" "$SEGMENT" <<'PY' | tee bench/results/soak.md
import csv, json, sys, subprocess, datetime
events, rate, kill, samples, retention, segment = sys.argv[1:]
r = json.load(open('bench/results/soak.json'))
rows = list(csv.DictReader(open(samples)))
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
start = min(int(x['t_s']) for x in rows) if rows else 0
end = max(int(x['t_s']) for x in rows) if rows else 0
def series(name, field):
    return [(int(x['t_s']), int(x[field])) for x in rows if x['name'] == name]
def slope(points):
    # least-squares slope per minute over the second half of the run (after warm-up)
    pts = [(t, v) for t, v in points if t >= (start + end) / 2]
    if len(pts) < 3: return float('nan')
    mt = sum(t for t, _ in pts) / len(pts); mv = sum(v for _, v in pts) / len(pts)
    den = sum((t - mt) ** 2 for t, _ in pts)
    return 60 * sum((t - mt) * (v - mv) for t, v in pts) / den if den else float('nan')
def total(field, names):
    by_t = {}
    for x in rows:
        if x['name'] in names: by_t[int(x['t_s'])] = by_t.get(int(x['t_s']), 0) + int(x[field])
    return sorted(by_t.items())
workers = sorted({x['name'] for x in rows if x['name'] != 'coordinator'})
print(f"# Soak — coordinator + 3 workers, 4 sample jobs, {events} events at {rate}, kill -9 every ~{kill}, retention {retention}, log segments {segment}\n")
print(f"Machine: {subprocess.check_output(['nproc']).decode().strip()} cores, {cpu}; {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}; the replay's {end - start} s sampled every 10 s\n")
print(f"Result: {'PASS' if r['passed'] else 'FAIL'} ({sum(j['rows_compared'] for j in r['jobs'])} rows compared, "
      f"{sum(j['events_lost'] for j in r['jobs'])} events lost, {sum(j['events_duplicated'] for j in r['jobs'])} duplicated); {r['kills']} kill -9\n")
print("Slopes are least squares over the second half of the run, per minute; first → last sample for scale.\n")
print("| series | first | last | max | slope per minute (2nd half) |\n|---|---|---|---|---|")
def line(label, pts, unit=1, suffix=''):
    if not pts: return
    vals = [v for _, v in pts]
    print(f"| {label} | {vals[0]/unit:,.1f}{suffix} | {vals[-1]/unit:,.1f}{suffix} | {max(vals)/unit:,.1f}{suffix} | {slope(pts)/unit:+,.2f}{suffix} |")
line('coordinator RSS', series('coordinator', 'rss_kib'), 1024, ' MiB')
line('coordinator open files', series('coordinator', 'open_files'))
line('workers RSS (sum)', total('rss_kib', workers), 1024, ' MiB')
line('workers open files (sum)', total('open_files', workers))
line('coordinator LMDB files', series('coordinator', 'lmdb_bytes'), 1 << 20, ' MiB')
line('workers LMDB files (sum)', total('lmdb_bytes', workers), 1 << 20, ' MiB')
line('partition logs on disk', series('coordinator', 'log_bytes'), 1 << 20, ' MiB')
line('LMDB reader slots in use (all environments)', total('reader_slots', workers + ['coordinator']))
line('stale reader slots (process gone)', total('stale_reader_slots', workers + ['coordinator']))
PY
rm -rf "$DIR"
exit "$STATUS"
