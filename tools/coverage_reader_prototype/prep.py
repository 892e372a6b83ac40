"""Turns the exported mentions (examples/export_mentions.rs) into padded token arrays for the
reader.

    OMP_NUM_THREADS=1 nice -n 10 python3 prep.py MENTIONS.jsonl W2V.kv OUT.npz

Per mention, the sentence is tokenised as the word vectors were trained (tools/reader_prototype)
and each token gets: its word id (word2vec vocabulary; 1 = unknown, 0 = padding), its distance
in tokens to the target mention (0 inside it, clipped to +-MAXD), a tag (0 other word, 1 the
target, 2 another actor's mention — the model's `others`, which the shipped features read too),
and its piece for piecewise max pooling (0 left of the target, 1 the target, 2 right of it).
Sentences longer than MAXLEN tokens (segmentation failures on lists and tables) are cut to a
window that keeps the target.
"""
import os
import sys

import numpy as np
from gensim.models import KeyedVectors

from common import LABELS, half_of, load, set_of, tokens

MAXLEN = 80
MAXD = 30
SETS = ("real_train", "real_dev", "newsmtsc_train", "devtest_rw", "devtest_mt")


def char_of_byte(text):
    """Byte offset -> char offset of `text` (offsets of the export are UTF-8 bytes)."""
    out = {}
    b = 0
    for i, ch in enumerate(text):
        out[b] = i
        b += len(ch.encode("utf-8"))
    out[b] = len(text)
    return out

def build(r, vocab):
    s = r["sentence"]
    c = char_of_byte(s)
    cs = lambda x: c.get(x, min(len(s), x))
    t0, t1 = cs(r["target"][0]), cs(r["target"][1])
    others = [(cs(a), cs(b)) for a, b in r["others"]]
    toks = tokens(s)
    ids, tag = [], []
    tpos = []
    for k, (w, a, b) in enumerate(toks):
        ids.append(vocab.get(w, 1))
        if a < t1 and t0 < b:
            tag.append(1)
            tpos.append(k)
        elif any(a < ob and oa < b for oa, ob in others):
            tag.append(2)
        else:
            tag.append(0)
    n = len(ids)
    if n == 0:
        return [1], [MAXD], [1], [1]
    if not tpos:  # a span between tokens: the nearest token stands for it
        k = min(range(n), key=lambda k: abs(toks[k][1] - t0))
        tpos = [k]
        tag[k] = 1
    lo_t, hi_t = tpos[0], tpos[-1]
    idx = np.arange(n)
    dt = np.where(idx < lo_t, idx - lo_t, np.where(idx > hi_t, idx - hi_t, 0))
    piece = np.where(idx < lo_t, 0, np.where(idx > hi_t, 2, 1))
    lo = 0
    if n > MAXLEN:
        lo = max(0, min(lo_t - MAXLEN // 2, n - MAXLEN))
    sl = slice(lo, lo + MAXLEN)
    return np.array(ids)[sl], np.clip(dt, -MAXD, MAXD)[sl] + MAXD, np.array(tag)[sl], piece[sl]


def main(mentions, w2v, out):
    kv = KeyedVectors.load(w2v)
    vocab = {w: i + 2 for i, w in enumerate(kv.index_to_key)}
    rows = load(mentions)
    N = len(rows)
    arr = {k: np.zeros((N, MAXLEN), np.int32) for k in ("ids", "dt", "tag", "piece")}
    arr["piece"][:] = 3  # padding: no piece
    length = np.zeros(N, np.int32)
    for i, r in enumerate(rows):
        ids, dt, tag, piece = build(r, vocab)
        n = len(ids)
        length[i] = n
        arr["ids"][i, :n] = ids
        arr["dt"][i, :n] = dt
        arr["tag"][i, :n] = tag
        arr["piece"][i, :n] = piece
    gold = np.array([LABELS.index(r["gold"]) for r in rows], np.int32)
    sets = np.array([SETS.index(set_of(r)) for r in rows], np.int32)
    half = np.array([half_of(r["doc_id"]) if set_of(r) == "real_dev" else -1 for r in rows], np.int32)
    # Resampling unit of the bootstrap (evaluate.py): the article for real mentions, the
    # sentence for NewsMTSC (its mentions of one sentence are not independent).
    unit = {}
    group = np.array([unit.setdefault((set_of(r), r["doc_id"] or r["sentence"]), len(unit)) for r in rows], np.int32)
    probs = np.array([r["probs"] for r in rows], np.float32)
    oof = np.array([r.get("oof", r["probs"]) for r in rows], np.float32)
    emb = np.zeros((len(vocab) + 2, kv.vector_size), np.float32)
    emb[2:] = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True).clip(1e-6)
    np.savez_compressed(out + ".tmp.npz", length=length, gold=gold, sets=sets, half=half, group=group, probs=probs, oof=oof, emb=emb, **arr)
    os.replace(out + ".tmp.npz", out)  # atomic: a reader already running keeps its file
    known = arr["ids"][arr["ids"] > 0]
    print(f"{N} mentions; length mean {length.mean():.1f}, max {length.max()}, cut {np.mean(length == MAXLEN):.3f}, unknown {np.mean(known == 1):.3f}")
    for k, name in enumerate(SETS):
        print(f"  {name}: {np.sum(sets == k)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
