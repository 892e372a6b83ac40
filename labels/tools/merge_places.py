#!/usr/bin/env python3
"""Turns the labellers' place judgements into the project's place label file (keys, no text).

    python3 labels/tools/merge_places.py WORKDIR labels/places

WORKDIR holds `pjobs/NAME.keys.jsonl` (cut from `newsstance sample mentions`: doc_id, paragraph,
sentence, mention byte offsets in the sentence, sentence hash, split, actor, country) and one
`pjobs/NAME_<letter>/labels.jsonl` per labeller: two when the batch was labelled twice,
independently (dev and test always are; train may be labelled once, by any labeller). Each label line is
`{"id": ..., "actor": "right" | "other_entity" | "wrong_country"}`, in the keys' order.

Rows already in OUT/places.csv are kept; a new batch's rows are added. Writes OUT/places.csv:
`doc_id, paragraph, sentence, start, end, hash, split, actor, country, actor_a, actor_b,
actor_status` (the agreed judgement; `uncertain` where the two differ; the single one where there
is one). Prints the counts and the agreement over the mentions labelled twice in this run.
"""
import os, sys

from merge_common import add, batches, load_rows, save

work, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
HEADER = ["doc_id", "paragraph", "sentence", "start", "end", "hash", "split", "actor", "country",
          "actor_a", "actor_b", "actor_status"]
ACTOR = {"right", "other_entity", "wrong_country"}

path = os.path.join(out, "places.csv")
rows = load_rows(path, HEADER)
kept = len(rows)
single = double = same = 0
for name, keys, a, b, done in batches(work, "pjobs", lambda v: v.get("actor") in ACTOR):
    for i in range(done):
        k, x = keys[i], a[i]["actor"]
        if b is None:
            if k["split"] != "train":
                raise SystemExit(f"{name}: {k['split']} mentions must be labelled twice")
            y, agreed = "", x
            single += 1
        else:
            y = b[i]["actor"]
            agreed = x if x == y else "uncertain"
            double += 1
            same += x == y
        row = [str(v) for v in (k["doc_id"], k["paragraph"], k["sentence"], k["start"], k["end"], k["hash"],
                                k["split"], k["actor"], k["country"], x, y, agreed)]
        add(rows, name, k, row)
save(path, HEADER, rows)
print(f"kept {kept}; added {single} labelled once and {double} labelled twice")
if double:
    print(f"agreement over the new doubly labelled: {same / double:.3f}")
