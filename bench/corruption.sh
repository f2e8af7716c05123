#!/usr/bin/env bash
# Reliability matrix R7, bench size: 1,000 random corruptions (bit flips, spliced random bytes,
# swapped ranges) of a shipped checkpoint, on top of the 106 fixed ones the test always runs;
# every one must be refused before it is stored or used.
#
#   bash bench/corruption.sh            # 1,000
#   N=10000 bash bench/corruption.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
mkdir -p bench/results
WEIR_CORRUPTIONS=$N swift test --filter corruptShippedCheckpointsAreRefused 2>&1 | tee bench/results/corruption.txt | grep -E "passed|failed|recorded an issue" | head -20
grep -q "passed after" bench/results/corruption.txt && echo "R7: $N random + 106 fixed corruptions, all refused" | tee -a bench/results/corruption.txt
