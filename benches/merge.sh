#!/usr/bin/env bash
# The merge benchmark of the nights-and-shards issue: the corpus split into 30 parts, each part
# scored on its own (30 report folders), then `merge` of the 30 folders against `score -j 2` of
# the same articles (the 30 parts in one run). Prints both wall times, their ratio and the
# merge's peak RSS (one run each, /usr/bin/time -v), and checks that the merged folder holds the
# same bytes as the one run (every file but manifest.json).
#
#   benches/merge.sh [CORPUS.jsonl.gz]      (default ../shared/corpus/news.jsonl.gz)
#
# WORK (default /tmp/newsstance-merge-bench-PID) holds the parts and reports; removed first, kept after.
# The corpus text stays outside the project. Skips (exit 0) when the corpus is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/news.jsonl.gz}
work=${WORK:-/tmp/newsstance-merge-bench-$$}
parts=${PARTS:-30}
if [ ! -f "$corpus" ]; then
    echo "skipped: no corpus at $corpus"
    exit 0
fi
cargo build --release --quiet
bin=$PWD/target/release/newsstance
rm -rf "$work"
mkdir -p "$work/parts" "$work/reports"
zcat -f "$corpus" > "$work/all.jsonl"
split -n "l/$parts" -d -a 2 --additional-suffix=.jsonl "$work/all.jsonl" "$work/parts/part-"
rm "$work/all.jsonl"

# exit 0, or 3 when some records failed: reports published either way.
ok() { [ "$1" -eq 0 ] || [ "$1" -eq 3 ]; }

echo "== scoring $parts parts, each on its own (-j 2)"
start=$(date +%s.%N)
for p in "$work"/parts/part-*.jsonl; do
    name=$(basename "$p" .jsonl)
    status=0
    "$bin" score "$p" -o "$work/reports/$name" -j 2 -q --progress never || status=$?
    ok "$status" || { echo "scoring $p failed: exit $status" >&2; exit 1; }
done
echo "   $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s for the $parts runs; reports: $(du -sb "$work/reports" | cut -f1) bytes"

echo "== score -j 2 of the same articles (the $parts parts in one run)"
status=0
/usr/bin/time -v "$bin" score "$work/parts" -o "$work/one-run" -j 2 -q --progress never 2> "$work/score.time" || status=$?
ok "$status" || { cat "$work/score.time" >&2; exit 1; }

echo "== merge of the $parts folders"
status=0
/usr/bin/time -v "$bin" merge "$work"/reports/part-* -o "$work/merged" -q 2> "$work/merge.time" || status=$?
ok "$status" || { cat "$work/merge.time" >&2; exit 1; }

wall() { # seconds from /usr/bin/time -v's "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:29.41"
    grep 'Elapsed (wall clock)' "$1" | awk '{print $NF}' | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}
rss() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }
score_s=$(wall "$work/score.time")
merge_s=$(wall "$work/merge.time")

same=yes
for f in "$work/one-run"/*; do
    n=$(basename "$f")
    [ "$n" = manifest.json ] && continue
    cmp -s "$f" "$work/merged/$n" || { echo "DIFFERENT: $n" >&2; same=no; }
done

echo
echo "score -j 2, $parts parts in one run: ${score_s} s wall, peak RSS $(rss "$work/score.time") KB"
echo "merge of the $parts folders:        ${merge_s} s wall, peak RSS $(rss "$work/merge.time") KB"
echo "ratio (score / merge):              $(awk -v a="$score_s" -v b="$merge_s" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.01) }')x"
echo "merged folder = one run, byte for byte (manifest aside): $same"
[ "$same" = yes ]
