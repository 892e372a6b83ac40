#!/usr/bin/env python3
"""Turns the labellers' files into the project's mention label file (keys and labels, no text).

    python3 labels/tools/merge_mentions.py WORKDIR labels/mentions

WORKDIR holds `mjobs/NAME.keys.jsonl` (written when the batches were cut from
`newsstance sample mentions`: doc_id, paragraph, sentence, mention byte offsets in the sentence,
sentence hash, split, actor) and `mjobs/NAME_A/labels.jsonl`, `mjobs/NAME_B/labels.jsonl` (two
independent labellers). Writes OUT/mentions.csv: both labels of each, and the agreed label
(`uncertain` where they differ), for sentiment and for whether the mention is the actor.
"""
import csv, glob, json, os, sys

work, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rows, n, same_s, same_a = [], 0, 0, 0
SENT = {"negative", "neutral", "positive"}
ACTOR = {"right", "other_entity", "wrong_country"}
for keys_path in sorted(glob.glob(os.path.join(work, "mjobs", "m*.keys.jsonl"))):
    name = os.path.basename(keys_path).split(".")[0]
    keys = [json.loads(l) for l in open(keys_path)]
    a = [json.loads(l) for l in open(os.path.join(work, "mjobs", f"{name}_A", "labels.jsonl"))]
    b = [json.loads(l) for l in open(os.path.join(work, "mjobs", f"{name}_B", "labels.jsonl"))]
    if not ([k["id"] for k in keys] == [x["id"] for x in a] == [x["id"] for x in b]):
        raise SystemExit(f"{name}: ids or order differ")
    for k, x, y in zip(keys, a, b):
        for v in (x, y):
            if v["sentiment"] not in SENT or v["actor"] not in ACTOR:
                raise SystemExit(f"{name} {v['id']}: bad label {v}")
        n += 1
        same_s += x["sentiment"] == y["sentiment"]
        same_a += x["actor"] == y["actor"]
        rows.append([k["doc_id"], k["paragraph"], k["sentence"], k["start"], k["end"], k["hash"], k["split"],
                     k["actor"], k["country"], x["sentiment"], y["sentiment"],
                     x["sentiment"] if x["sentiment"] == y["sentiment"] else "uncertain",
                     x["actor"], y["actor"], x["actor"] if x["actor"] == y["actor"] else "uncertain"])
rows.sort(key=lambda r: (r[6], r[0], r[1], r[2], r[3]))
with open(os.path.join(out, "mentions.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["doc_id", "paragraph", "sentence", "start", "end", "hash", "split", "actor", "country",
                "sentiment_a", "sentiment_b", "sentiment", "actor_a", "actor_b", "actor_status"])
    w.writerows(rows)
print(f"mentions {n}; sentiment agreement {same_s / n:.3f}; actor agreement {same_a / n:.3f}")
