#!/usr/bin/env python3
"""Turns the labellers' files into the project's mention label file (keys and labels, no text).

    python3 labels/tools/merge_mentions.py WORKDIR labels/mentions

WORKDIR holds `mjobs/NAME.keys.jsonl` (written when the batches were cut from
`newsstance sample mentions`: doc_id, paragraph, sentence, mention byte offsets in the sentence,
sentence hash, split, actor) and one `mjobs/NAME_<letter>/labels.jsonl` per labeller: two
when the batch was labelled twice, independently (dev and test always are; train may be labelled
once, by any labeller). Labels must follow the keys' order; a batch labelled only in part (the labellers' time ran
out) contributes the prefix every one of its labellers finished.

Rows already in OUT/mentions.csv are kept (earlier rounds' work folders need not exist any more);
a new batch's rows are added. Writes OUT/mentions.csv: both labels of each mention and the agreed
label (`uncertain` where the two differ; the single label where there is one), for sentiment and
for whether the mention is the actor, and how it was drawn (`drawn`: the keys' `drawn`, `model`
for the batches `select_mentions.py` cuts, `residual` for those `cut_mentions.py` cuts from a
split the model-chosen rounds took from, else `random`). Prints the counts and, over the
mentions labelled twice in this run, the agreement.

It also prints, per split, the sentiment shares of this run's random mentions (every labelling)
beside those of the random mentions already in the file: readers can agree with each other and
still read the definition differently from earlier rounds (session 20: 28 % negative against
17-19 % on the same draw), and only the shares of the same random draw show it.
"""
import os, sys

from merge_common import add, batches, load_rows, save

work, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
HEADER = ["doc_id", "paragraph", "sentence", "start", "end", "hash", "split", "actor", "country",
          "sentiment_a", "sentiment_b", "sentiment", "actor_a", "actor_b", "actor_status", "drawn"]
DRAWN = {"random", "model", "residual"}
SENT = {"negative", "neutral", "positive"}
ACTOR = {"right", "other_entity", "wrong_country"}

path = os.path.join(out, "mentions.csv")
rows = load_rows(path, HEADER)
kept = len(rows)
kept_keys = set(rows)
n_single = n_double = same_s = same_a = 0
new_shares = {}
check = lambda v: v.get("sentiment") in SENT and v.get("actor") in ACTOR
for name, keys, a, b, done in batches(work, "mjobs", check):
    for i in range(done):
        k, x = keys[i], a[i]
        drawn = k.get("drawn", "random")
        if drawn not in DRAWN or (drawn != "random" and k["split"] != "train"):
            raise SystemExit(f"{name} {k['id']}: drawn `{drawn}`")
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
        row = [str(v) for v in (k["doc_id"], k["paragraph"], k["sentence"], k["start"], k["end"], k["hash"],
                                k["split"], k["actor"], k["country"], x["sentiment"], y["sentiment"], agreed_s,
                                x["actor"], y["actor"], agreed_a, drawn)]
        add(rows, name, k, row)
        if drawn == "random":
            c = new_shares.setdefault(k["split"], {})
            for v in (x, y):
                if v["sentiment"]:
                    c[v["sentiment"]] = c.get(v["sentiment"], 0) + 1
old_shares = {}
for key_, r in rows.items():
    if r[15] == "random" and key_ in kept_keys:
        c = old_shares.setdefault(r[6], {})
        for v in (r[9], r[10]):
            if v:
                c[v] = c.get(v, 0) + 1
save(path, HEADER, rows)
print(f"kept {kept}; added {n_single} labelled once and {n_double} labelled twice")
if n_double:
    print(f"agreement over the new doubly labelled: sentiment {same_s / n_double:.3f}, actor {same_a / n_double:.3f}")


def shares(c):
    n = sum(c.values()) or 1
    return " / ".join(f"{100 * c.get(k, 0) / n:.1f}" for k in ("negative", "neutral", "positive"))


for split, c in sorted(new_shares.items()):
    ref = old_shares.get(split)
    print(f"{split}: this run's random labels {shares(c)} % negative / neutral / positive"
          + (f"; earlier random labels of the split {shares(ref)}" if ref else ""))
