#!/usr/bin/env bash
# Runs a sharded newsstance run as N local processes, with the commands the Kubernetes and Slurm
# recipes run (one `score --shard I/N` per shard, then one `merge`), and checks that the merged
# folder holds the same bytes as one unsharded run (every file but manifest.json and summary.html).
#
#   deploy/local-shards.sh INPUT N WORKDIR
#
# INPUT: any `score` input (file or folder); WORKDIR is created and left for inspection.
# NEWSSTANCE: the binary (default: target/release/newsstance, else `newsstance` on PATH).
# Exit 0 when identical; 1 on any difference or failed command. CI runs it (tests/merge.rs).
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 INPUT N WORKDIR" >&2
    exit 2
fi
input=$1 n=$2 work=$3
bin=${NEWSSTANCE:-}
if [ -z "$bin" ]; then
    if [ -x target/release/newsstance ]; then bin=target/release/newsstance; else bin=newsstance; fi
fi
rm -rf "$work"
mkdir -p "$work/shards"

# score exits 0, or 3 when some records failed (reports published with error rows).
published() { [ "$1" -eq 0 ] || [ "$1" -eq 3 ]; }

status=0
"$bin" score "$input" -o "$work/unsharded" -q --progress never || status=$?
published "$status" || { echo "unsharded run failed (exit $status)" >&2; exit 1; }

# The shards: what each Kubernetes pod (JOB_COMPLETION_INDEX) or Slurm array task
# (SLURM_ARRAY_TASK_ID) runs, here as N processes at once.
pids=()
for ((i = 0; i < n; i++)); do
    "$bin" score "$input" --shard "$i/$n" -o "$work/shards/shard-$i" -q --progress never -j 1 &
    pids+=("$!")
done
for i in "${!pids[@]}"; do
    status=0
    wait "${pids[$i]}" || status=$?
    published "$status" || { echo "shard $i/$n failed (exit $status)" >&2; exit 1; }
done

# The merge step (the merge Job / the dependent Slurm job).
status=0
"$bin" merge "$work"/shards/shard-* -o "$work/merged" -q || status=$?
published "$status" || { echo "merge failed (exit $status)" >&2; exit 1; }

different=0
for f in "$work/unsharded"/*; do
    name=$(basename "$f")
    # The manifest and the page's "Run" section name the command and its times.
    [ "$name" = manifest.json ] || [ "$name" = summary.html ] && continue
    if ! cmp -s "$f" "$work/merged/$name"; then
        echo "DIFFERENT: $name" >&2
        different=1
    fi
done
for f in "$work/merged"/*; do
    [ -e "$work/unsharded/$(basename "$f")" ] || { echo "EXTRA: $(basename "$f")" >&2; different=1; }
done
if [ "$different" -ne 0 ]; then
    exit 1
fi
echo "identical: $n shards of $input merged = the unsharded run ($(ls "$work/merged" | wc -l) files, manifest aside)"
