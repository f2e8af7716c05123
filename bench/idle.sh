#!/usr/bin/env bash
# CPU of an idle cluster (release build): `weir up --workers 2`, the job clicks-per-page, no
# events; after SETTLE seconds, the CPU each process uses over SECONDS seconds (from
# /proc/PID/stat: user + system ticks), as % of one core.
#
#   bash bench/idle.sh                        # SETTLE=5 SECONDS=20
#   WEIR_BIN=/tmp/weir-before bash bench/idle.sh
#
# Writes bench/results/idle.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SETTLE=${SETTLE:-5}
SECONDS_MEASURED=${SECONDS:-20}
if [ -n "${WEIR_BIN:-}" ]; then
  WEIR=$WEIR_BIN
else
  swift build -c release >/dev/null
  WEIR=.build/release/weir
fi
DIR=$(mktemp -d /tmp/weir-idle.XXXXXX)
HTTP=127.0.0.1:$((20000 + RANDOM % 10000))
LISTEN=127.0.0.1:$((30000 + RANDOM % 10000))
"$WEIR" up --workers 2 --data-dir "$DIR/data" --http "$HTTP" --listen "$LISTEN" > "$DIR/up.log" 2>&1 &
UP=$!
cleanup() { kill -INT $UP 2>/dev/null || true; wait $UP 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 300); do grep -q "Weir is up" "$DIR/up.log" 2>/dev/null && break; sleep 0.1; done
"$WEIR" submit jobs/clicks-per-page.yaml --http "$HTTP" >/dev/null
sleep "$SETTLE"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
mapfile -t CHILDREN < <(pgrep -P $UP)
declare -A BEFORE
for pid in "${CHILDREN[@]}"; do BEFORE[$pid]=$(ticks "$pid"); done
sleep "$SECONDS_MEASURED"
HZ=$(getconf CLK_TCK)
{
  echo "# Idle cluster CPU ($(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores)"
  echo
  echo "\`bash bench/idle.sh\`: \`weir up --workers 2\`, job clicks-per-page, no events; ${SECONDS_MEASURED} s measured after ${SETTLE} s."
  echo
  echo "| process | CPU, % of one core |"
  echo "|---|---|"
  for pid in "${CHILDREN[@]}"; do
    name=$(tr '\0' ' ' < "/proc/$pid/cmdline" | awk '{ print $2 ($2 == "worker" ? " " $8 : "") }')
    used=$(( $(ticks "$pid") - BEFORE[$pid] ))
    echo "| $name | $(awk -v t="$used" -v hz="$HZ" -v s="$SECONDS_MEASURED" 'BEGIN { printf "%.2f", 100 * t / hz / s }') |"
  done
} | tee bench/results/idle.md
