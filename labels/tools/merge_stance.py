#!/usr/bin/env python3
"""Turns the labellers' files into the project's stance label files (keys and labels, no text).

    python3 labels/tools/merge_stance.py WORKDIR labels/stance

WORKDIR holds `stance/batch_NAME.keys` (id, doc_id, paragraph, hash; written when the batches were
cut from `newsstance sample stance`) and `jobs/NAME_A/labels.jsonl` (and `NAME_B` for dev and test:
two independent labellers). Writes OUT/paragraphs.csv (one row per labelled paragraph) and
OUT/pairs.csv (one row per ordered pair a labeller gave): in dev and test a pair both labellers
give with the same sign is `gold`, any other is `uncertain`; in train every pair is `single`.
Codes outside lexicons/countries.csv are dropped and counted. The labellers' free-text `why` is
not kept (it may quote the article).

Rows already in OUT/paragraphs.csv and OUT/pairs.csv are kept (earlier rounds' work folders need
not exist any more; since session 23) and the work folder's batches are added; a batch paragraph
already in the file is an error. The agreement printed is that of this run's batches.
"""
import csv, glob, json, os, sys

work, out = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
codes = {r["code"] for r in csv.DictReader(open(os.path.join(here, "../../lexicons/countries.csv")))}

def load(path):
    rows = []
    for n, line in enumerate(open(path), 1):
        o = json.loads(line)
        pairs = {}
        for p in o["pairs"]:
            s, t, sign = p["source"].strip().upper(), p["target"].strip().upper(), int(p["sign"])
            if sign not in (-1, 1):
                raise SystemExit(f"{path}:{n}: sign {sign}")
            pairs[(s, t)] = sign
        rows.append((o["id"], pairs))
    return rows

os.makedirs(out, exist_ok=True)
para_rows, pair_rows, dropped = [], [], 0
PARA_HEADER = ["doc_id", "paragraph", "hash", "split", "labellers"]
PAIR_HEADER = ["doc_id", "paragraph", "source", "target", "sign", "status"]
for name, header, rows in [("paragraphs.csv", PARA_HEADER, para_rows), ("pairs.csv", PAIR_HEADER, pair_rows)]:
    path = os.path.join(out, name)
    if os.path.exists(path):
        with open(path, newline="") as f:
            r = csv.reader(f)
            if next(r) != header:
                raise SystemExit(f"{path}: unexpected header")
            rows.extend(r)
kept_paragraphs = {(r[0], r[1]) for r in para_rows}
print(f"kept {len(para_rows)} paragraphs and {len(pair_rows)} pairs already in {out}")
agree = {"gold": 0, "sign": 0, "one_sided": 0, "paragraphs": 0, "identical": 0}
for keys_path in sorted(glob.glob(os.path.join(work, "stance", "batch_*.keys"))):
    name = os.path.basename(keys_path)[len("batch_"):-len(".keys")]
    keys = [l.rstrip("\n").split("\t") for l in open(keys_path)]
    a_path = os.path.join(work, "jobs", f"{name}_A", "labels.jsonl")
    b_path = os.path.join(work, "jobs", f"{name}_B", "labels.jsonl")
    if not os.path.exists(a_path):
        print(f"skip {name}: not labelled", file=sys.stderr)
        continue
    a = load(a_path)
    b = load(b_path) if os.path.exists(b_path) else None
    if len(a) != len(keys) or (b is not None and len(b) != len(keys)):
        print(f"skip {name}: labelling not finished", file=sys.stderr)
        continue
    if [i for i, _ in a] != [k[0] for k in keys] or (b and [i for i, _ in b] != [k[0] for k in keys]):
        raise SystemExit(f"{name}: ids or order differ from the keys")
    split = "".join(c for c in name if c.isalpha())
    for idx, (rid, doc, para, h) in enumerate(keys):
        if (doc, para) in kept_paragraphs:
            raise SystemExit(f"{name} {rid}: {doc} paragraph {para} is already labelled")
        pa = a[idx][1]
        pb = b[idx][1] if b else None
        para_rows.append([doc, para, h, split, 2 if b else 1])
        if pb is None:
            items = [(p, s, "single") for p, s in pa.items()]
        else:
            agree["paragraphs"] += 1
            agree["identical"] += pa == pb
            items = []
            for p in sorted(set(pa) | set(pb)):
                if p in pa and p in pb and pa[p] == pb[p]:
                    items.append((p, pa[p], "gold")); agree["gold"] += 1
                elif p in pa and p in pb:
                    items.append((p, pa[p], "uncertain")); agree["sign"] += 1
                else:
                    items.append((p, pa.get(p, pb.get(p)), "uncertain")); agree["one_sided"] += 1
        for (s, t), sign, status in sorted(items):
            if s not in codes or t not in codes or s == t:
                dropped += 1
                continue
            pair_rows.append([doc, para, s, t, sign, status])

para_rows.sort(key=lambda r: (r[3], r[0], int(r[1])))
pair_rows.sort(key=lambda r: (r[0], int(r[1]), r[2], r[3]))
with open(os.path.join(out, "paragraphs.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(PARA_HEADER)
    w.writerows(para_rows)
with open(os.path.join(out, "pairs.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(PAIR_HEADER)
    w.writerows(pair_rows)
g, s1, o = agree["gold"], agree["sign"], agree["one_sided"]
print(f"paragraphs {len(para_rows)}, pairs {len(pair_rows)}, dropped (unknown code or self) {dropped}")
if agree["paragraphs"]:
    print(f"double-labelled paragraphs {agree['paragraphs']}, identical {agree['identical']}; pairs agreed {g}, "
          f"sign differs {s1}, one-sided {o}; pair F1 between labellers {2*g/(2*g+2*s1+o):.3f}")
