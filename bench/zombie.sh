#!/usr/bin/env bash
# Reliability matrix R3, looped: `weir verify` replays a recording while a worker is paused
# (SIGSTOP) past its lease about once a second — at least 50 times — and resumed, so each paused
# owner comes back as a zombie after its standby took over and committed. Every checkpoint write
# of a zombie must be refused (the report counts them; an accepted one would be a fenced write
# the coordinator let through) and every rollup must equal the reference.
#
#   bash bench/zombie.sh                   # 3M events at 20k/s: ~150 s of pauses (one worker at a time, ~2.7 s each)
#   EVENTS=5M RATE=30k/s bash bench/zombie.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-3M}
RATE=${RATE:-20k/s}
DATA=bench/data/clicks-${EVENTS,,}-seed13.zst
mkdir -p bench/data bench/results
swift build -c release >/dev/null
WEIR=$PWD/.build/release/weir
[ -f "$DATA" ] || $WEIR gen --events "$EVENTS" --seed 13 --out "$DATA"
$WEIR verify "$DATA" --job jobs/clicks-per-page.yaml --job jobs/country-activity.yaml \
  --chaos pause=1200ms,pause-for=1500ms --lease-ttl 1s --rate "$RATE" --seed 5 \
  --report bench/results/zombie.json | tee bench/results/zombie.txt
python3 - <<'PY'
import json
r = json.load(open('bench/results/zombie.json'))
print(f"R3 loop: {r['pauses']} pauses past the lease, stale checkpoint writes refused {r['stale_writes_refused']} (accepted: 0 — the coordinator fences them), result {'PASS' if r['passed'] else 'FAIL'}")
assert r['pauses'] >= 50, f"only {r['pauses']} pauses: replay longer (EVENTS) or slower (RATE)"
PY
