#!/usr/bin/env python3
"""Cuts the fourth round's train mention batches: mentions chosen by the model's predicted label.

    newsstance sample mentions ../shared/corpus/news.jsonl.gz \\
        --reserved ../shared/corpus/reserved_ids.txt --count 500000 -o DRAW
    newsstance score ../shared/corpus/news.jsonl.gz -o SCORE        # at the model being improved
    python3 labels/tools/select_mentions.py SCORE DRAW/mentions.jsonl WORKDIR/mjobs [FIRST [P,N,U]]

Random draws give few mentions that are not neutral (5 % positive), and macro-F1 weighs the rare
classes alike; so this round labels train mentions the shipped model (at 0654ebd) calls positive
(4,000) or negative (2,500), or neutral with a confidence under 0.6 (1,500): in the draw's seeded
order, train split only, counting as coverage, not yet in any label file, at most one per
paragraph and three per article. The model's label comes from `SCORE/mentions.csv`, matched to
the draw by article, paragraph, sentence, actor and the mention's place among that actor's
mentions in the sentence (sentences where the two disagree on the count are skipped). The batches
keep the draw's order (so each holds a mix) in files of 200: `eNN.jsonl` for the labellers
(paragraph, sentence, mention, actor; never the model's label) and `eNN.keys.jsonl` for
`merge_mentions.py` (with `"drawn": "model"`, which it writes to the label file). Dev and test stay random draws, so the figures measure the stream.
FIRST (default 1) numbers the first batch, so that a later round's batches do not collide; P,N,U
(default 4000,2500,1500) are the counts of predicted positive, negative and unsure mentions.
"""
import collections, csv, json, sys

from merge_common import labelled_mentions, mention_key as key, write_batches

score_dir, draw, out = sys.argv[1], sys.argv[2], sys.argv[3]
first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
WANT = {"positive": 4000, "negative": 2500, "unsure": 1500}
if len(sys.argv) > 5:
    WANT = dict(zip(("positive", "negative", "unsure"), map(int, sys.argv[5].split(","))))
BATCH = 200


labelled = labelled_mentions()
pred = collections.defaultdict(list)
for r in csv.DictReader(open(f"{score_dir}/mentions.csv")):
    g = (r["doc_id"], int(r["paragraph"]), int(r["sentence"]), r["actor"])
    pred[g].append((r["label"], float(r["confidence"])))
rows = [json.loads(line) for line in open(draw)]
starts = collections.defaultdict(list)
for r in rows:
    if r["coverage"]:
        starts[(r["doc_id"], r["paragraph"], r["sentence"], r["actor"])].append(r["start"])
for v in starts.values():
    v.sort()

got = {k: [] for k in WANT}
per_doc, seen_para, unmatched = collections.Counter(), set(), 0
for i, r in enumerate(rows):
    if r["split"] != "train" or not r["coverage"] or key(r) in labelled:
        continue
    g = (r["doc_id"], r["paragraph"], r["sentence"], r["actor"])
    p = pred.get(g)
    if p is None or len(p) != len(starts[g]):
        unmatched += 1
        continue
    label, conf = p[starts[g].index(r["start"])]
    kind = label if label in ("positive", "negative") else ("unsure" if conf < 0.6 else None)
    if kind is None or len(got[kind]) >= WANT[kind]:
        continue
    para = (r["doc_id"], r["paragraph"])
    if para in seen_para or per_doc[r["doc_id"]] >= 3:
        continue
    seen_para.add(para)
    per_doc[r["doc_id"]] += 1
    got[kind].append((i, r))
print("unmatched", unmatched, {k: len(v) for k, v in got.items()})
sel = [r for _, r in sorted(x for v in got.values() for x in v)]

write_batches(sel, out, "e", first, BATCH, "model")
