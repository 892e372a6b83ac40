#!/usr/bin/env python3
"""Cuts batches of place mentions of one split for the place model's labels: the next ones in the
draw's seeded order.

    newsstance sample mentions ../shared/corpus/news.jsonl.gz \\
        --reserved ../shared/corpus/reserved_ids.txt --count 500000 -o DRAW
    python3 labels/tools/cut_places.py DRAW/mentions.jsonl WORKDIR/pjobs SPLIT COUNT PREFIX [FIRST]

Takes the first COUNT mentions of SPLIT whose actor is a place in `lexicons/actors.csv` (a
capital, seat or city counted as standing for its country) in the draw's order, that are in no
label file yet (`labels/mentions/mentions.csv`, `labels/places/places.csv`), and writes them in
batches of 200 named PREFIXNN (NN from FIRST, default 1) for `merge_places.py`. The earlier
rounds took the place mentions in the same order (session 18: the first 5,357 train place mentions
of the 500,000 draw are all labelled). Dev and test batches must be labelled twice,
independently. Rerunning it on the same draw and label files rewrites the batches byte for byte.
The labellers' brief is `labels/briefs/places.md`.
"""
import csv, sys

from merge_common import BATCH, cut_args, next_unlabelled, write_batches

draw, out, split, count, prefix, first = cut_args(sys.argv)

with open("lexicons/actors.csv", newline="") as fh:
    places = {r["id"] for r in csv.DictReader(fh) if r["kind"] == "place"}
sel = next_unlabelled(draw, split, count, lambda r: r["actor"] in places)
print(f"{len(sel)} {split} place mentions")
write_batches(sel, out, prefix, first, BATCH, "random")
