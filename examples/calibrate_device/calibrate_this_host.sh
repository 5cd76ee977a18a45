#!/usr/bin/env bash
# Few-shot calibration of a "new device" (this host, timed for real) from a handful of measured
# NAS-Bench-201 cells: the workflow of a user with a board on the desk, end to end.
#
#   examples/calibrate_device/calibrate_this_host.sh [HWNAS] [N] [WORKDIR]
#
# 1. measures N cells (default 10) on this host with the profiler (`hwnas measure`), into a CSV
#    `arch,latency_ms` -- on a real device you would run them there and write the same CSV;
# 2. `hwnas calibrate` learns the device from them (closest known device of the public tables, tuned);
# 3. `hwnas predict` ranks 200 other cells on it, and one of them is measured to compare;
# 4. `hwnas search` finds the most accurate cell within a latency budget on the calibrated device.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hwnas="${1:-$here/../../build/bin/hwnas}"
n="${2:-10}"
work="${3:-$(mktemp -d)}"
table="$here/../../data/tables/nb201_latency.csv"
mkdir -p "$work"

measure() {  # prints the latency (ms) of one cell, measured on this host
  "$hwnas" measure --space nb201 --arch "$1" --rounds 4 --repeats 2 | sed -E 's/.*: ([0-9.]+) ms.*/\1/'
}

echo "measuring $n NB201 cells on this host..."
echo "arch,latency_ms" > "$work/measured.csv"
# Every 97th cell of the table: a spread of sizes, the same every run.
for arch in $(awk -F, -v n="$n" 'NR > 1 && (NR % 97) == 0 && c < n { print $2; c++ }' "$table"); do
  echo "$arch,$(measure "$arch")" >> "$work/measured.csv"
done

"$hwnas" calibrate --space nb201 --measurements "$work/measured.csv" --out "$work/this_host"

echo "arch" > "$work/candidates.csv"
awk -F, 'NR > 1 && (NR % 71) == 0 && c < 200 { print $2; c++ }' "$table" >> "$work/candidates.csv"
"$hwnas" predict --predictors "$work/this_host" --space nb201 --archs "$work/candidates.csv" --out "$work/predicted.csv"

echo "fastest 5 of 200 candidates predicted on this host:"
# sed reads all of sort's output: `head` would exit early, and under pipefail sort's SIGPIPE fails the script.
sort -t, -k2 -g <(tail -n +2 "$work/predicted.csv") | sed -n 1,5p
check="$(sed -n 2p "$work/predicted.csv")"
arch="${check%%,*}"
echo "check: ${arch} predicted ${check##*,} ms, measured $(measure "$arch") ms"

cat > "$work/search.yaml" <<YAML
# The most accurate NB201 cell (CIFAR-10 table) predicted to run within 15 ms on the calibrated device.
space: nb201
objectives:
  - {name: accuracy, kind: table, direction: maximize, file: tables/nb201_accuracy.csv, column: cifar10_test_acc}
  - {name: latency, kind: predictor, predictors: $work/this_host}
constraints: ["latency <= 15"]
strategy: {name: evolution, options: {population_size: 32, sample_size: 8, batch_size: 8}}
budget: {evaluations: 300}
seed: 1
YAML
"$hwnas" search --quiet "$work/search.yaml" --out "$work/search"
