"""Shared helpers of the reader prototype: tokenisation, loading the exported candidates,
pair-level evaluation as `newsstance eval stance` counts it, and the split of dev by article."""
import gzip
import hashlib
import json
import re

TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019\-][A-Za-z0-9\u00C0-\u024F]+)*|[^\sA-Za-z0-9]")


def norm(tok):
    """Lower case, digits folded to 0: the vocabulary the word vectors are trained on."""
    return re.sub(r"[0-9]", "0", tok.lower())


def tokens(text):
    """(normalised token, char start, char end) of every word or punctuation mark."""
    return [(norm(m.group()), m.start(), m.end()) for m in TOKEN.finditer(text)]


def corpus_sentences(path, reserved):
    """Token lists of every paragraph of the corpus outside `reserved` (paragraphs, not
    sentences: word2vec only needs windows)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("id") in reserved:
                continue
            for para in d.get("text", "").split("\n"):
                t = [w for w, _, _ in tokens(para)]
                if len(t) > 2:
                    yield t


def load_candidates(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def half_of(doc_id):
    """Dev is cut in two by article (a stable hash, not Python's salted one)."""
    return int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 2


GOLD_CLASS = {"none": 0, "hostile": 1, "friendly": 2}


def pairs_of(rows, scores):
    """Per (doc, paragraph, source, target): gold class, uncertain, and the best hostile and
    friendly scores over the pair's candidates."""
    out = {}
    for r, s in zip(rows, scores):
        k = (r["doc_id"], r["paragraph"], r["source"], r["target"])
        g = GOLD_CLASS[r["gold"]]
        if k in out:
            o = out[k]
            o[2] = max(o[2], s[1])
            o[3] = max(o[3], s[2])
        else:
            out[k] = [g, r["uncertain"], s[1], s[2]]
    return out


def gold_count(gold_pairs, docs):
    """Gold (certain) pairs of the given articles, candidates or not."""
    return sum(1 for (d, _p, _s, _t), (sign, st) in gold_pairs.items() if d in docs and st == "gold")


def dev_gold(labels="../../labels/stance"):
    """Certain (gold) dev pairs per article, from the label files: recall counts the pairs that
    are no candidate too, as `eval stance` does. Only dev rows are kept."""
    import csv

    dev = set()
    with open(f"{labels}/paragraphs.csv") as f:
        for r in csv.DictReader(f):
            if r["split"] == "dev":
                dev.add((r["doc_id"], int(r["paragraph"])))
    gold = {}
    with open(f"{labels}/pairs.csv") as f:
        for r in csv.DictReader(f):
            k = (r["doc_id"], int(r["paragraph"]))
            if k in dev and r["status"] == "gold":
                gold.setdefault(r["doc_id"], 0)
                gold[r["doc_id"]] += 1
    return gold


class PairSet:
    """The dev pairs of a set of articles as arrays, for evaluating many thresholds at once."""

    def __init__(self, rows, scores, gold_per_doc, docs):
        import numpy as np

        sel = [i for i, r in enumerate(rows) if r["doc_id"] in docs]
        pairs = pairs_of([rows[i] for i in sel], [scores[i] for i in sel])
        v = list(pairs.values())
        self.g = np.array([x[0] for x in v])
        self.unc = np.array([x[1] for x in v], dtype=bool)
        self.ph = np.array([x[2] for x in v], dtype=np.float64)
        self.pf = np.array([x[3] for x in v], dtype=np.float64)
        self.gold = sum(gold_per_doc.get(d, 0) for d in docs)

    def counts(self, th, tf):
        """(predicted, correct) at thresholds arrays th, tf (broadcast)."""
        import numpy as np

        th = np.asarray(th, dtype=np.float64)[..., None]
        tf = np.asarray(tf, dtype=np.float64)[..., None]
        ok = ~self.unc
        h = (self.ph >= self.pf) & (self.ph >= th) & ok
        f = (self.ph < self.pf) & (self.pf >= tf) & ok
        pred = h.sum(-1) + f.sum(-1)
        corr = (h & (self.g == 1)).sum(-1) + (f & (self.g == 2)).sum(-1)
        return pred, corr

    def prf(self, th, tf):
        pred, corr = self.counts(th, tf)
        p = corr / max(pred, 1)
        r = corr / max(self.gold, 1)
        f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
        return float(p), float(r), float(f1), int(pred), int(corr)


GRID = [round(0.02 + 0.01 * i, 2) for i in range(97)]


def choose(ps, min_precision=None):
    """Thresholds (hostile, friendly) on `ps`: with `min_precision`, the best recall at that
    precision (ties: best F1, then higher thresholds); without, the best F1."""
    import numpy as np

    th, tf = np.meshgrid(GRID, GRID, indexing="ij")
    pred, corr = ps.counts(th.ravel(), tf.ravel())
    p = corr / np.maximum(pred, 1)
    r = corr / max(ps.gold, 1)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
    if min_precision is None:
        key = f1
    else:
        key = np.where((p >= min_precision) & (pred > 0), r + 1e-6 * f1, -1.0)
    best = int(np.argmax(key + 1e-9 * (th.ravel() + tf.ravel())))
    return float(th.ravel()[best]), float(tf.ravel()[best])


def print_halves(res, what):
    """Prints the figures of `res[what + "_0->1"]` and `"_1->0"` (thresholds chosen on one half,
    measured on the other) and their mean."""
    for k in ("0->1", "1->0"):
        x = res[f"{what}_{k}"]
        p, r, f, n, c = x["prf"]
        pa, ra, fa, _, _ = x["prf_on_chosen"]
        print(
            f"  {what:6} {k}: t={x['thresholds']}  chosen half P {pa:.3f} R {ra:.3f} F1 {fa:.3f}"
            f"  -> other half P {p:.3f} R {r:.3f} F1 {f:.3f} ({c}/{n})"
        )
    o = [res[f"{what}_{k}"]["prf"] for k in ("0->1", "1->0")]
    print(f"  {what:6} mean of the two other halves: P {(o[0][0] + o[1][0]) / 2:.3f} R {(o[0][1] + o[1][1]) / 2:.3f} F1 {(o[0][2] + o[1][2]) / 2:.3f}")


def report(name, rows, scores, gold_per_doc, out):
    """Recall at precision 0.70 and best F1, thresholds chosen on one half of dev's articles
    and measured on the other, both ways; and on all of dev with thresholds chosen there
    (optimistic, for reference)."""
    docs = sorted({r["doc_id"] for r in rows if r["split"] == "dev"})
    halves = [{d for d in docs if half_of(d) == h} for h in (0, 1)]
    sets = [PairSet(rows, scores, gold_per_doc, h) for h in halves]
    alldev = PairSet(rows, scores, gold_per_doc, set(docs))
    res = {"name": name}
    for what, mp in (("r@p70", 0.70), ("bestf1", None)):
        for a, b in ((0, 1), (1, 0)):
            t = choose(sets[a], mp)
            res[f"{what}_{a}->{b}"] = {"thresholds": t, "prf": sets[b].prf(*t), "prf_on_chosen": sets[a].prf(*t)}
        t = choose(alldev, mp)
        res[f"{what}_alldev"] = {"thresholds": t, "prf": alldev.prf(*t)}
    out.append(res)
    print(f"== {name}")
    for what in ("r@p70", "bestf1"):
        print_halves(res, what)
        x = res[f"{what}_alldev"]
        p, r, f, n, c = x["prf"]
        print(f"  {what:6} all dev (chosen there): t={x['thresholds']} P {p:.3f} R {r:.3f} F1 {f:.3f} ({c}/{n})")
    return res
