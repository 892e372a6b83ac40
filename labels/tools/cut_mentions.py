#!/usr/bin/env python3
"""Cuts batches of randomly drawn mentions of one split: the next ones in the draw's seeded order.

    newsstance sample mentions ../shared/corpus/news.jsonl.gz \\
        --reserved ../shared/corpus/reserved_ids.txt --count 500000 -o DRAW
    python3 labels/tools/cut_mentions.py DRAW/mentions.jsonl WORKDIR/mjobs SPLIT COUNT PREFIX [FIRST]

Takes the first COUNT mentions of SPLIT (train, dev or test) in the draw's order that are in no
label file yet (`labels/mentions/mentions.csv`, `labels/places/places.csv`), every mention as
the draw gives it (as the random rounds did: counting as coverage or not), and writes them in
batches of 200 named PREFIXNN (NN from FIRST, default 1). Dev and test batches must be labelled
twice, independently. Rerunning it on the same draw and label files rewrites the batches byte for
byte.

`drawn` is `random`, or `residual` when the split already has mentions chosen by the model
(`select_mentions.py`): those rounds took the mentions the model called positive or negative
from the same draw, so the rest is no longer a random sample of the stream (train after the
fourth round: readers found 8 % of the residual mentions negative, 17 % of random ones).
"""
import csv, sys

from merge_common import BATCH, cut_args, next_unlabelled, write_batches

draw, out, split, count, prefix, first = cut_args(sys.argv)

with open("labels/mentions/mentions.csv", newline="") as fh:
    chosen = any(r["split"] == split and r["drawn"] == "model" for r in csv.DictReader(fh))
sel = next_unlabelled(draw, split, count)
print(f"{len(sel)} {split} mentions")
write_batches(sel, out, prefix, first, BATCH, "residual" if chosen else "random")
