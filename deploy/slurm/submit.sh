#!/usr/bin/env bash
# Submits a night as N array tasks plus the dependent merge:
#   deploy/slurm/submit.sh 2026-12-05 8 /shared/newsstance
# DATA holds input/NIGHT (the articles); shards/NIGHT/shard-I and reports/NIGHT are written there.
set -euo pipefail
NIGHT=$1 N=$2 DATA=$3
here=$(dirname "$0")
array=$(sbatch --parsable --array="0-$((N - 1))" --export="ALL,NIGHT=$NIGHT,DATA=$DATA" "$here/shards.sbatch")
sbatch --parsable --dependency="afterok:$array" --export="ALL,NIGHT=$NIGHT,DATA=$DATA" "$here/merge.sbatch"
