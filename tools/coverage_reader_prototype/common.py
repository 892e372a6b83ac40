"""Shared helpers of the coverage reader prototype: tokenisation (the vocabulary of the corpus
word vectors of tools/reader_prototype), loading the exported mentions, the dev halves by
article, and the figures `newsstance eval mentions` / `eval newsmtsc` print (macro-F1 over the
three classes, accuracy, per-class F1, predicted shares)."""
import hashlib
import json
import re

import numpy as np

TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019\-][A-Za-z0-9\u00C0-\u024F]+)*|[^\sA-Za-z0-9]")
LABELS = ("negative", "neutral", "positive")
# The sets measured, in the order the tables print them.
EVAL_SETS = ("real_dev", "devtest_rw", "devtest_mt")


def norm(tok):
    """Lower case, digits folded to 0: as train_vectors.py of tools/reader_prototype."""
    return re.sub(r"[0-9]", "0", tok.lower())


def tokens(text):
    """(normalised token, char start, char end) of every word or punctuation mark."""
    return [(norm(m.group()), m.start(), m.end()) for m in TOKEN.finditer(text)]


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def set_of(r):
    """real_train, real_dev, newsmtsc_train, devtest_rw, devtest_mt."""
    return f"real_{r['split']}" if r["set"] == "real" else r["set"]


def half_of(doc_id):
    """Real dev is cut in two by article (a stable hash, not Python's salted one), as
    tools/reader_prototype/common.py cuts the stance dev split."""
    return int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 2


def figures(gold, pred):
    """dict: macro-F1, accuracy, per-class F1 and predicted / gold shares (percent / shares)."""
    gold = np.asarray(gold)
    pred = np.asarray(pred)
    f1 = []
    for k in range(3):
        tp = np.sum((gold == k) & (pred == k))
        p = tp / max(np.sum(pred == k), 1)
        r = tp / max(np.sum(gold == k), 1)
        f1.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    n = max(len(gold), 1)
    return {
        "n": int(len(gold)),
        "macro_f1": 100 * float(np.mean(f1)),
        "accuracy": 100 * float(np.mean(gold == pred)) if len(gold) else 0.0,
        "f1": [100 * float(x) for x in f1],
        "pred_shares": [float(np.sum(pred == k)) / n for k in range(3)],
        "gold_shares": [float(np.sum(gold == k)) / n for k in range(3)],
    }


def line(f):
    """One printed row: macro-F1 / accuracy, per-class F1, predicted shares."""
    return (
        f"{f['macro_f1']:5.1f} / {f['accuracy']:5.1f}  F1 {f['f1'][0]:4.1f} {f['f1'][1]:4.1f} {f['f1'][2]:4.1f}"
        f"  shares {f['pred_shares'][0]:.3f} {f['pred_shares'][1]:.3f} {f['pred_shares'][2]:.3f}"
    )


def geo_mean(a, b, w=0.5):
    """Weighted geometric mean of two probability arrays [N, 3], renormalised."""
    g = np.exp((1 - w) * np.log(np.clip(a, 1e-6, 1)) + w * np.log(np.clip(b, 1e-6, 1)))
    return g / g.sum(1, keepdims=True)
