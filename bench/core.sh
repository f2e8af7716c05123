#!/usr/bin/env bash
# Core engine benchmark: `weir run` over the canonical 10M-event recording (release build).
#
#   bash bench/core.sh            # 10M events (generated once into bench/data/)
#   EVENTS=2M bash bench/core.sh  # a smaller run
#
# Prints events/s and peak RSS per job and thread count, and writes bench/results/core.md.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-10M}
DATA=bench/data/clicks-${EVENTS,,}.zst
mkdir -p bench/data bench/results
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
swift build -c release >/dev/null
WEIR=.build/release/weir
if [ ! -f "$DATA" ]; then
  $WEIR gen --events "$EVENTS" --seed 7 --out "$DATA"
fi
OUT=bench/results/core.md
rm -f bench/results/.core.jsonl
{
  echo "# weir run — core engine ($EVENTS canonical clicks events)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB; $(swift --version 2>&1 | head -1)"
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ); recording: $DATA ($(stat -c %s "$DATA") bytes)"
  echo
  echo "| job | threads | seconds | events/s | peak RSS (MiB) |"
  echo "|---|---|---|---|---|"
} > "$OUT"
for job in clicks-per-page country-activity hot-pages user-sessions; do
  for threads in 1 2; do
    /usr/bin/time -o bench/results/.time -f "%e %M" $WEIR run jobs/$job.yaml --input "$DATA" --threads $threads --output /dev/null 2>/dev/null
    stats=$(tail -1 bench/results/.time)
    secs=${stats% *}; rss_kb=${stats#* }
    events=$($WEIR inspect "$DATA" | awk '/^events:/{print $2}')
    rate=$(awk -v e="$events" -v s="$secs" 'BEGIN{printf "%.0f", e/s}')
    line="| $job | $threads | $secs | $rate | $((rss_kb / 1024)) |"
    echo "$line" | tee -a "$OUT"
    echo "{\"job\": \"$job\", \"threads\": $threads, \"seconds\": $secs, \"events_per_second\": $rate, \"peak_rss_mib\": $((rss_kb / 1024))}" >> bench/results/.core.jsonl
  done
done
python3 -c 'import json; json.dump([json.loads(l) for l in open("bench/results/.core.jsonl")], open("bench/results/core.json", "w"), indent=1)'
rm -f bench/results/.core.jsonl
echo
echo "wrote $OUT and bench/results/core.json"
