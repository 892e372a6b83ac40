#!/usr/bin/env bash
# End-to-end benchmark of `newsstance score` on a real news corpus, with Python vaderSentiment
# side by side. Usage (from anywhere; nice it on a shared machine):
#
#   nice benches/corpus.sh [CORPUS.jsonl.gz]      # default: ../shared/corpus/news.jsonl.gz
#
# Prints "skipped: no corpus at …" and exits 0 when the corpus is absent (it may not be copied
# into the repository). Everything it writes goes to a temp dir (removed at exit) except the
# Python venv (target/bench-venv, reused) and the result table (target/bench-corpus.txt).
#
# It measures, in one run:
#   1. `score -j 2` and `score -j 1` on the whole corpus (decompressed first, so gzip is not
#      timed): wall time, peak RSS, MB/s of input text, documents/s, paragraphs/s, -j2/-j1 speed-up;
#   2. `score -j 2` on the corpus concatenated COPIES times (ids rewritten "c<k>~<id>" so they
#      stay unique): peak RSS and its ratio to the single-corpus run;
#   3. Python vaderSentiment 3.3.2 per sentence on the first SLICE_MB MB of text, against
#      `score` on the same slice;
#   4. where the workers' time goes, per stage (manifest `stage_seconds` of the corpus run, with
#      `stage_counts`: stance candidates scored and sentences parsed),
#      and the share of actor matching.
#
# Units: MB = 10^6 bytes. "Input text" = the bytes of the articles' `text` fields, as counted by
# newsstance in reports/manifest.json (`records.text_bytes`); titles and JSON syntax are not
# counted. Wall time is measured around the process (start-up, lexicon loading, reading, every
# stage, writing and fsync of the reports included); Python's time is its scoring loop only.
#
# Environment knobs: JOBS (default 2: the parallel run), COPIES (10), SLICE_MB (5), RUNS (1; best
# wall of N runs per measurement, max RSS), SKIP_X10=1, SKIP_PYTHON=1, CARGO_TARGET_DIR.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=${1:-$ROOT/../shared/corpus/news.jsonl.gz}
JOBS=${JOBS:-2}
COPIES=${COPIES:-10}
SLICE_MB=${SLICE_MB:-5}
RUNS=${RUNS:-1}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

if [[ ! -f $CORPUS ]]; then
    echo "skipped: no corpus at $CORPUS (give its path as the first argument)"
    exit 0
fi
CORPUS=$(cd "$(dirname "$CORPUS")" && pwd)/$(basename "$CORPUS")

log() { printf '[corpus.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# /usr/bin/time -v gives the peak RSS ("Maximum resident set size").
if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        log "installing GNU time (apt-get install -y time)"
        apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
    fi
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time (GNU time) is needed for peak RSS; install the 'time' package" >&2
    exit 1
fi

log "building the release binary"
(cd "$ROOT" && cargo build --release --quiet --bin newsstance)
BIN=$TARGET/release/newsstance

TMP=$(mktemp -d "${TMPDIR:-/tmp}/newsstance-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
RESULTS=$TMP/results.txt
: >"$RESULTS"
put() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }

put corpus "$CORPUS"
put commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
put cpu "$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
put load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

log "decompressing $CORPUS into $TMP"
gzip -dc "$CORPUS" >"$TMP/news.jsonl"

# score LABEL JOBS INPUT: runs `score` RUNS times, records the best wall time, the largest peak
# RSS and the manifest's counts under LABEL.
score() {
    local label=$1 jobs=$2 input=$3 best="" rss=0 cpus="" i
    for ((i = 1; i <= RUNS; i++)); do
        local out=$TMP/out-$label t0 t1 rc=0
        rm -rf "$out"
        t0=$(date +%s.%N)
        # Run from the temp dir: no ./lexicons there, so the embedded lexicons are used.
        (cd "$TMP" && /usr/bin/time -v -o "$TMP/$label.time" "$BIN" score "$input" -o "$out" -j "$jobs" \
            --progress never --quiet) || rc=$?
        t1=$(date +%s.%N)
        if [[ $rc != 0 && $rc != 3 ]]; then
            echo "error: score $label exited with $rc" >&2
            cat "$TMP/$label.time" >&2
            exit 1
        fi
        local wall r
        wall=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
        r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/$label.time")
        log "score $label (-j $jobs) run $i: ${wall}s wall, peak RSS ${r} kB, exit $rc"
        if [[ -z $best ]] || python3 -c "import sys; sys.exit(not $wall < $best)"; then best=$wall; fi
        if ((r > rss)); then rss=$r; fi
        python3 - "$out/manifest.json" "$label" >>"$RESULTS" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
r, label = m["records"], sys.argv[2]
for k in ("scored", "failed", "paragraphs", "text_bytes"):
    print(f"{label}.{k}\t{r[k]}")
print(f"{label}.elapsed_internal\t{m['elapsed_seconds']}")
print(f"{label}.stages\t" + " ".join(f"{k}={v}" for k, v in m["stage_seconds"].items()))
print(f"{label}.counts\t" + " ".join(f"{k}={v}" for k, v in m.get("stage_counts", {}).items()))
# Row files only: summary.html has bytes and a digest but no rows.
print(f"{label}.rows\t" + ", ".join(f"{o['file']} {o['rows']}" for o in m["outputs"] if "rows" in o))
EOF
        local cpu
        cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$TMP/$label.time" | paste -sd+ | python3 -c 'print(f"{eval(input()):.2f}")')
        if [[ -z $cpus ]] || python3 -c "import sys; sys.exit(not $cpu < $cpus)"; then cpus=$cpu; fi
        rm -rf "$out"
    done
    put "$label.wall" "$best"
    put "$label.rss_kb" "$rss"
    put "$label.cpu_s" "$cpus"
    put "$label.jobs" "$jobs"
}

log "score on the full corpus, -j $JOBS then -j 1"
score full_j$JOBS "$JOBS" "$TMP/news.jsonl"
score full_j1 1 "$TMP/news.jsonl"

if [[ ${SKIP_X10:-0} != 1 ]]; then
    log "building the corpus x$COPIES (ids rewritten per copy)"
    python3 - "$TMP/news.jsonl" "$COPIES" >"$TMP/news_x.jsonl" <<'EOF'
import json, sys
path, copies = sys.argv[1], int(sys.argv[2])
out = sys.stdout
prefix = '{"id": "'
for k in range(copies):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(prefix):  # fast path: the id is the first key
                out.write(f'{prefix}c{k}~{line[len(prefix):]}')
            elif line.strip():
                obj = json.loads(line)
                obj["id"] = f"c{k}~{obj['id']}"
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
EOF
    put x_bytes "$(stat -c %s "$TMP/news_x.jsonl")"
    log "score on the corpus x$COPIES ($(du -h "$TMP/news_x.jsonl" | cut -f1)), -j $JOBS"
    score x"$COPIES"_j$JOBS "$JOBS" "$TMP/news_x.jsonl"
    rm -f "$TMP/news_x.jsonl"
fi

if [[ ${SKIP_PYTHON:-0} != 1 ]]; then
    VENV=$TARGET/bench-venv
    if ! "$VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("vaderSentiment") == "3.3.2"' 2>/dev/null; then
        log "installing vaderSentiment 3.3.2 into $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check vaderSentiment==3.3.2
    fi
    log "cutting a ${SLICE_MB} MB slice (first articles, by text bytes)"
    python3 - "$TMP/news.jsonl" "$SLICE_MB" >"$TMP/slice.jsonl" <<'EOF'
import sys
import json
path, limit = sys.argv[1], float(sys.argv[2]) * 1e6
total = 0
with open(path, encoding="utf-8") as f:
    for line in f:
        if total >= limit:
            break
        total += len(json.loads(line)["text"].encode("utf-8"))
        sys.stdout.write(line)
EOF
    log "Python vaderSentiment per sentence on the slice"
    "$VENV/bin/python" - "$TMP/slice.jsonl" >>"$RESULTS" <<'EOF'
# Sentence split: paragraphs on newlines, then a regex after . ! ? (optionally followed by a
# closing quote or bracket) and whitespace. newsstance has no sentence-dump command, so this is
# not its own segmenter; it yields a similar number of sentences.
import json, re, sys, time
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
split = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)\]])\s+")
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
sentences = [s for t in texts for p in t.split("\n") if p.strip() for s in split.split(p.strip()) if s]
nbytes = sum(len(t.encode("utf-8")) for t in texts)
analyzer = SentimentIntensityAnalyzer()
t0, c0 = time.perf_counter(), time.process_time()
acc = 0.0
for s in sentences:
    acc += analyzer.polarity_scores(s)["compound"]
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(f"py.text_bytes\t{nbytes}\npy.documents\t{len(texts)}\npy.sentences\t{len(sentences)}")
print(f"py.seconds\t{seconds:.3f}\npy.cpu_s\t{cpu:.3f}")
EOF
    log "score on the same slice, -j $JOBS then -j 1"
    score slice_j$JOBS "$JOBS" "$TMP/slice.jsonl"
    score slice_j1 1 "$TMP/slice.jsonl"
fi

put load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$TARGET"
python3 - "$RESULTS" "$JOBS" "$COPIES" "$RUNS" <<'EOF' | tee "$TARGET/bench-corpus.txt"
import sys, datetime
r = {}
for line in open(sys.argv[1], encoding="utf-8"):
    k, _, v = line.rstrip("\n").partition("\t")
    r[k] = v
jobs, copies, runs = sys.argv[2], sys.argv[3], sys.argv[4]
f = lambda k: float(r[k])
print(f"newsstance corpus benchmark, {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, commit {r['commit']}")
print(f"corpus {r['corpus']}; cpu {r['cpu']}")
print(f"load average at start {r['load_start']}, at end {r['load_end']}; best of {runs} run(s) per row")
print("MB = 10^6 bytes of article text (manifest records.text_bytes); wall time of the whole process;")
print("CPU s = user + system time of the process; cores used = CPU s / wall s (below -j on a loaded machine)\n")
rows = []
def run(label, what):
    if f"{label}.wall" not in r:
        return
    wall, mb = f(f"{label}.wall"), f(f"{label}.text_bytes") / 1e6
    rows.append((what, r[f"{label}.jobs"], f"{mb:.1f}", f"{wall:.2f}", f"{mb / wall:.2f}",
                 f"{f(f'{label}.scored') / wall:,.0f}", f"{f(f'{label}.paragraphs') / wall:,.0f}",
                 f"{f(f'{label}.rss_kb') / 1024:.0f}", f"{f(f'{label}.cpu_s'):.2f}",
                 f"{mb / f(f'{label}.cpu_s'):.2f}", f"{f(f'{label}.cpu_s') / wall:.2f}"))
run(f"full_j{jobs}", "score, corpus")
run("full_j1", "score, corpus")
run(f"x{copies}_j{jobs}", f"score, corpus x{copies}")
run(f"slice_j{jobs}", "score, slice")
run("slice_j1", "score, slice")
head = ("run", "-j", "MB", "wall s", "MB/s", "docs/s", "paras/s", "peak RSS MiB", "CPU s", "MB/CPU-s", "cores used")
widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
for row in [head] + rows:
    print("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
print()
if "py.seconds" in r:
    mb = f("py.text_bytes") / 1e6
    py, pyc = mb / f("py.seconds"), mb / f("py.cpu_s")
    print(f"Python vaderSentiment 3.3.2 per sentence: {mb:.2f} MB, {r['py.documents']} articles, "
          f"{r['py.sentences']} regex-split sentences; scoring loop {f('py.seconds'):.2f} s wall = {py:.2f} MB/s, "
          f"{f('py.cpu_s'):.2f} CPU s = {pyc:.2f} MB/CPU-s")
    for j in (jobs, "1"):
        k = f"slice_j{j}"
        if f"{k}.wall" in r:
            ns, nsc = f(f"{k}.text_bytes") / 1e6 / f(f"{k}.wall"), f(f"{k}.text_bytes") / 1e6 / f(f"{k}.cpu_s")
            print(f"  newsstance score -j {j}, same slice, whole process, all stages: {ns:.2f} MB/s = {ns / py:.1f}x wall; "
                  f"{nsc:.2f} MB/CPU-s = {nsc / pyc:.1f}x per CPU-second")
if f"full_j{jobs}.wall" in r and "full_j1.wall" in r:
    print(f"speed-up -j {jobs} / -j 1 on the corpus: {f('full_j1.wall') / f(f'full_j{jobs}.wall'):.2f}x wall "
          f"(CPU time -j {jobs} / -j 1: {f(f'full_j{jobs}.cpu_s') / f('full_j1.cpu_s'):.2f})")
if f"x{copies}_j{jobs}.rss_kb" in r:
    print(f"peak RSS corpus x{copies} / corpus (-j {jobs}): "
          f"{f(f'x{copies}_j{jobs}.rss_kb') / f(f'full_j{jobs}.rss_kb'):.3f}")
if f"full_j{jobs}.stages" in r:
    # Per-stage time of the workers (manifest stage_seconds; the last -j run on the corpus).
    stages = [(k, float(v)) for k, v in (kv.split("=") for kv in r[f"full_j{jobs}.stages"].split())]
    total = sum(v for _, v in stages)
    print(f"worker time per stage, corpus -j {jobs} (manifest stage_seconds, {total:.2f} s in all): "
          + ", ".join(f"{k} {v:.2f} s ({100 * v / total:.1f}%)" for k, v in stages))
    actors, wall = dict(stages)["actors"], f(f"full_j{jobs}.elapsed_internal")
    # Spread over the workers, matching lengthens the run by about its CPU time / -j.
    print(f"actor matching (stage 'actors'): {100 * actors / total:.1f}% of the workers' time in the stages; "
          f"{actors:.2f} s / {jobs} threads = {100 * actors / int(jobs) / wall:.1f}% of that run's {wall:.2f} s wall time")
if r.get(f"full_j{jobs}.counts"):
    # What the model and syntax times pay for (manifest stage_counts, the same on every run).
    print(f"what the costly stages did, corpus -j {jobs} (manifest stage_counts): "
          + ", ".join(kv.replace("=", " ") for kv in r[f"full_j{jobs}.counts"].split()))
print(f"reports of the corpus run: {r[f'full_j{jobs}.rows']}; failed records {r[f'full_j{jobs}.failed']}")
EOF
