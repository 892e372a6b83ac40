#!/usr/bin/env python3
"""Turns the labellers' place judgements into the project's place label file (keys, no text).

    python3 labels/tools/merge_places.py WORKDIR labels/places

WORKDIR holds `pjobs/NAME.keys.jsonl` (cut from `newsstance sample mentions`: doc_id, paragraph,
sentence, mention byte offsets in the sentence, sentence hash, split, actor, country) and
`pjobs/NAME_A/labels.jsonl`, with `pjobs/NAME_B/labels.jsonl` when the batch was labelled twice,
independently (dev and test always are; train may be labelled once). Each label line is
`{"id": ..., "actor": "right" | "other_entity" | "wrong_country"}`, in the keys' order.

Rows already in OUT/places.csv are kept; a new batch's rows are added. Writes OUT/places.csv:
`doc_id, paragraph, sentence, start, end, hash, split, actor, country, actor_a, actor_b,
actor_status` (the agreed judgement; `uncertain` where the two differ; the single one where there
is one). Prints the counts and the agreement over the mentions labelled twice in this run.
"""
import csv, glob, json, os, sys

work, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
HEADER = ["doc_id", "paragraph", "sentence", "start", "end", "hash", "split", "actor", "country",
          "actor_a", "actor_b", "actor_status"]
ACTOR = {"right", "other_entity", "wrong_country"}
path = os.path.join(out, "places.csv")
rows = {}
key = lambda r: (r[0], int(r[1]), int(r[2]), int(r[3]))
if os.path.exists(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        if next(r) != HEADER:
            raise SystemExit(f"{path}: unexpected header")
        for row in r:
            rows[key(row)] = row
kept = len(rows)


def read_labels(p):
    labels = [json.loads(l) for l in open(p) if l.strip()]
    for v in labels:
        if v.get("actor") not in ACTOR:
            raise SystemExit(f"{p} {v.get('id')}: bad label {v}")
    return labels


single = double = same = 0
for keys_path in sorted(glob.glob(os.path.join(work, "pjobs", "*.keys.jsonl"))):
    name = os.path.basename(keys_path).split(".")[0]
    keys = [json.loads(l) for l in open(keys_path)]
    a_path, b_path = (os.path.join(work, "pjobs", f"{name}_{x}", "labels.jsonl") for x in "AB")
    if not os.path.exists(a_path):
        a_path, b_path = b_path, a_path
    if not os.path.exists(a_path):
        print(f"{name}: not labelled, skipped")
        continue
    a = read_labels(a_path)
    b = read_labels(b_path) if os.path.exists(b_path) else None
    done = min(len(a), len(b)) if b is not None else len(a)
    for labels in (a, b) if b is not None else (a,):
        if [x["id"] for x in labels[:done]] != [k["id"] for k in keys[:done]]:
            raise SystemExit(f"{name}: ids or order differ")
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
        if key(row) in rows:
            raise SystemExit(f"{name} {k['id']}: mention already labelled")
        rows[key(row)] = row

ordered = sorted(rows.values(), key=lambda r: (r[6], r[0], int(r[1]), int(r[2]), int(r[3])))
tmp = path + ".tmp"
with open(tmp, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(ordered)
os.replace(tmp, path)
print(f"kept {kept}; added {single} labelled once and {double} labelled twice")
if double:
    print(f"agreement over the new doubly labelled: {same / double:.3f}")
