"""Turns the exported candidates into padded token arrays for the reader.

    OMP_NUM_THREADS=1 nice -n 10 python3 prep.py CANDS.jsonl W2V.kv OUT.npz

Per candidate, the text read is the sentence naming both countries (the candidate's evidence
sentence when it names both, else the first such sentence), with the closest source and target
mentions the pair features read; when no sentence names both (a fifth of the candidates), the
target's sentence (the evidence) and the sentence of the nearest source mention, joined in text
order. Each token gets: its word id (word2vec vocabulary; 1 = unknown, 0 = padding), its
distance to the source and to the target mention (clipped to +-MAXD), a tag (0 other, 1 source
country, 2 target country, 3 a sentence break), and its piece for piecewise max pooling (before
and at the first mention, up to the second, after it).
"""
import sys

import numpy as np
from gensim.models import KeyedVectors

from common import load_candidates, tokens

MAXLEN = 96
MAXD = 40


def build(r, vocab):
    text = r["text"].encode("utf-8")
    sents = r["sentences"]
    smen = r["source_mentions"]
    tmen = r["target_mentions"]
    if r["links"]:
        link = next((l for l in r["links"] if l["sentence"] == r["evidence"]), r["links"][0])
        parts = [link["sentence"]]
        s_main, t_main = link["source"], link["target"]
    else:
        ts = [m for m in tmen if m[0] == r["evidence"]] or tmen
        t = ts[0]
        s = min(smen, key=lambda m: (abs(m[0] - t[0]), abs(m[1] - t[1]))) if smen else None
        parts = sorted({t[0]} | ({s[0]} if s else set()))
        t_main = [t[1], t[2]]
        s_main = [s[1], s[2]] if s else None
    ids, tag, spans = [], [], []
    s_tok = t_tok = None
    for k, si in enumerate(parts):
        a, b = sents[si]
        if k > 0:
            ids.append(vocab.get("</s>", 1))
            tag.append(3)
            spans.append((-1, -1))
        sent = text[a:b].decode("utf-8", "replace")
        # char offset -> byte offset in the paragraph
        boff = [a]
        for ch in sent:
            boff.append(boff[-1] + len(ch.encode("utf-8")))
        for w, cs, ce in tokens(sent):
            bs, be = boff[cs], boff[ce]
            tg = 0
            if any(m[1] < be and bs < m[2] for m in smen):
                tg = 1
            if any(m[1] < be and bs < m[2] for m in tmen):
                tg = 2
            if s_main and s_main[0] < be and bs < s_main[1] and s_tok is None:
                s_tok = len(ids)
            if t_main[0] < be and bs < t_main[1] and t_tok is None:
                t_tok = len(ids)
            ids.append(vocab.get(w, 1))
            tag.append(tg)
            spans.append((bs, be))
    n = len(ids)
    if s_tok is None:
        s_tok = 0 if not s_main else n - 1
    if t_tok is None:
        t_tok = n - 1
    s_end, t_end = s_tok, t_tok
    while s_end + 1 < n and s_main and spans[s_end + 1][0] >= 0 and spans[s_end + 1][0] < s_main[1]:
        s_end += 1
    while t_end + 1 < n and spans[t_end + 1][0] >= 0 and spans[t_end + 1][0] < t_main[1]:
        t_end += 1
    idx = np.arange(n)
    ds = np.where(idx < s_tok, idx - s_tok, np.where(idx > s_end, idx - s_end, 0))
    dt = np.where(idx < t_tok, idx - t_tok, np.where(idx > t_end, idx - t_end, 0))
    first_end = s_end if s_tok <= t_tok else t_end
    second_end = t_end if s_tok <= t_tok else s_end
    piece = (idx > first_end).astype(int) + (idx > second_end).astype(int)
    lo = 0
    if n > MAXLEN:
        lo = max(0, min(min(s_tok, t_tok) - 16, n - MAXLEN))
    sl = slice(lo, lo + MAXLEN)
    return np.array(ids)[sl], np.clip(ds, -MAXD, MAXD)[sl] + MAXD, np.clip(dt, -MAXD, MAXD)[sl] + MAXD, np.array(tag)[sl], piece[sl]


def main(cands, w2v, out):
    kv = KeyedVectors.load(w2v)
    vocab = {w: i + 2 for i, w in enumerate(kv.index_to_key)}
    rows = load_candidates(cands)
    N = len(rows)
    arr = {k: np.zeros((N, MAXLEN), np.int32) for k in ("ids", "ds", "dt", "tag", "piece")}
    arr["piece"][:] = 3  # padding: no piece
    length = np.zeros(N, np.int32)
    for i, r in enumerate(rows):
        ids, ds, dt, tag, piece = build(r, vocab)
        n = len(ids)
        length[i] = n
        arr["ids"][i, :n] = ids
        arr["ds"][i, :n] = ds
        arr["dt"][i, :n] = dt
        arr["tag"][i, :n] = tag
        arr["piece"][i, :n] = piece
    gold = np.array([{"none": 0, "hostile": 1, "friendly": 2}[r["gold"]] for r in rows], np.int32)
    unc = np.array([r["uncertain"] for r in rows], bool)
    split = np.array([r["split"] == "dev" for r in rows], bool)
    probs = np.array([r["probs"] for r in rows], np.float32)
    oof = np.array([r.get("oof", r["probs"]) for r in rows], np.float32)
    emb = np.zeros((len(vocab) + 2, kv.vector_size), np.float32)
    emb[2:] = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True).clip(1e-6)
    np.savez_compressed(out, length=length, gold=gold, unc=unc, dev=split, probs=probs, oof=oof, emb=emb, **arr)
    print(f"{N} candidates; length mean {length.mean():.1f}, max {length.max()}, unknown {np.mean(arr['ids'][arr['ids'] > 0] == 1):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
