#!/usr/bin/env bash
# Regenerates the plots the README shows, from the shipped scenarios:
#   results/gallery/regenerate.sh
# Each is a file of plots/ from a run (or comparison) of the scenario named beside it, drawn
# with the font embedded in kubesim, so the images come out the same on any machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
kubesim=target/release/kubesim
gallery=results/gallery
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# scenario, plot, name in the gallery
while read -r scenario plot name; do
  out="$work/$(basename "$scenario" .yaml)"
  [ -d "$out" ] || "$kubesim" run "$scenario" --out "$out" --quiet >/dev/null
  cp "$out/plots/$plot.png" "$gallery/$name.png"
done <<'LIST'
scenarios/learn/01-scheduling-insufficient-cpu.yaml pods-on-nodes scheduling-gantt
scenarios/learn/06-priority-and-preemption.yaml pods-on-nodes preemption-gantt
scenarios/quickstart.yaml failed-scheduling failed-scheduling-reasons
scenarios/bench-batch-1k.yaml cpu-allocation-heatmap heatmap-1000-nodes
scenarios/bench-batch-1k.yaml cpu cpu-1000-nodes
LIST

"$kubesim" compare scenarios/compare-small.yaml --scheduler default-scheduler \
  --scheduler bin-packing --seeds 10 --out "$work/compare" --quiet >/dev/null 2>&1
cp "$work/compare/plots/pending-time-cdf.png" "$gallery/compare-pending-time.png"
cp "$work/compare/plots/compare-scheduling_latency_p99_s.png" "$gallery/compare-latency-p99.png"
echo "regenerated $(ls "$gallery"/*.png | wc -l) images in $gallery"
