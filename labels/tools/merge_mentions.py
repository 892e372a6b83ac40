#!/usr/bin/env python3
"""Turns the labellers' files into the project's mention label file (keys and labels, no text).

    python3 labels/tools/merge_mentions.py WORKDIR labels/mentions

WORKDIR holds `mjobs/NAME.keys.jsonl` (written when the batches were cut from
`newsstance sample mentions`: doc_id, paragraph, sentence, mention byte offsets in the sentence,
sentence hash, split, actor) and `mjobs/NAME_A/labels.jsonl`, with `mjobs/NAME_B/labels.jsonl`
when the batch was labelled twice, independently (dev and test always are; train may be labelled
once). Labels must follow the keys' order; a batch labelled only in part (the labellers' time ran
out) contributes the prefix every one of its labellers finished.

Rows already in OUT/mentions.csv are kept (earlier rounds' work folders need not exist any more);
a new batch's rows are added. Writes OUT/mentions.csv: both labels of each mention and the agreed
label (`uncertain` where the two differ; the single label where there is one), for sentiment and
for whether the mention is the actor. Prints the counts and, over the mentions labelled twice in
this run, the agreement.
"""
import csv, glob, json, os, sys

work, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
HEADER = ["doc_id", "paragraph", "sentence", "start", "end", "hash", "split", "actor", "country",
          "sentiment_a", "sentiment_b", "sentiment", "actor_a", "actor_b", "actor_status"]
SENT = {"negative", "neutral", "positive"}
ACTOR = {"right", "other_entity", "wrong_country"}


def key(r):
    return (r[0], int(r[1]), int(r[2]), int(r[3]))


path = os.path.join(out, "mentions.csv")
rows = {}
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
        if v.get("sentiment") not in SENT or v.get("actor") not in ACTOR:
            raise SystemExit(f"{p} {v.get('id')}: bad label {v}")
    return labels


n_single = n_double = same_s = same_a = partial = 0
for keys_path in sorted(glob.glob(os.path.join(work, "mjobs", "*.keys.jsonl"))):
    name = os.path.basename(keys_path).split(".")[0]
    keys = [json.loads(l) for l in open(keys_path)]
    a_path = os.path.join(work, "mjobs", f"{name}_A", "labels.jsonl")
    b_path = os.path.join(work, "mjobs", f"{name}_B", "labels.jsonl")
    if not os.path.exists(a_path):
        print(f"{name}: not labelled, skipped")
        continue
    a = read_labels(a_path)
    b = read_labels(b_path) if os.path.exists(b_path) else None
    done = min(len(a), len(b)) if b is not None else len(a)
    if len(a) > len(keys) or (b is not None and len(b) > len(keys)):
        raise SystemExit(f"{name}: more labels than mentions")
    for labels in (a, b) if b is not None else (a,):
        if [x["id"] for x in labels[:done]] != [k["id"] for k in keys[:done]]:
            raise SystemExit(f"{name}: ids or order differ")
    if done < len(keys):
        partial += 1
        print(f"{name}: {done} of {len(keys)} labelled")
    for i in range(done):
        k, x = keys[i], a[i]
        if b is None:
            if k["split"] != "train":
                raise SystemExit(f"{name}: {k['split']} mentions must be labelled twice")
            y = {"sentiment": "", "actor": ""}
            agreed_s, agreed_a = x["sentiment"], x["actor"]
            n_single += 1
        else:
            y = b[i]
            agreed_s = x["sentiment"] if x["sentiment"] == y["sentiment"] else "uncertain"
            agreed_a = x["actor"] if x["actor"] == y["actor"] else "uncertain"
            n_double += 1
            same_s += x["sentiment"] == y["sentiment"]
            same_a += x["actor"] == y["actor"]
        row = [k["doc_id"], k["paragraph"], k["sentence"], k["start"], k["end"], k["hash"], k["split"],
               k["actor"], k["country"], x["sentiment"], y["sentiment"], agreed_s, x["actor"], y["actor"], agreed_a]
        row = [str(v) for v in row]
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
print(f"kept {kept}; added {n_single} labelled once and {n_double} labelled twice ({partial} batches in part)")
if n_double:
    print(f"agreement over the new doubly labelled: sentiment {same_s / n_double:.3f}, actor {same_a / n_double:.3f}")
