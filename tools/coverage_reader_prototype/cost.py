"""What the reader would cost per mention at inference, on one core.

    OMP_NUM_THREADS=1 nice -n 10 taskset -c 1 python3 cost.py PREP.npz [--dump DIR]

With --dump DIR it also writes the real dev and devtest_mt token arrays (int32, concatenated;
lengths in *_len.bin; the vocabulary size in vocab.bin) for cost_bench.rs, the same forward pass
in Rust: numpy's gather of table rows is no guide to what a Rust loop over them costs.

Counts the multiply-adds per mention at the real dev mentions' mean length and times numpy
forms of the first layer (one thread, batched: the best case of the plain form, as a Rust SIMD
matrix product would be):
  - CNN plain: every token's 120-wide input (word vector, distance and tag embeddings) times the
    3 x 120 x 150 filters;
  - CNN tables: the word vectors are frozen, so each word's product with each of the 3 filter
    taps is a table row (vocabulary x 3 x 150), and the same holds for the distance and tag
    embeddings: a token's convolution is 9 row additions of 150 floats (3 taps x word, distance,
    tag), and the word part is shared by every mention of a sentence;
  - BiLSTM: two directions of 64 units, (120 + 64) x 256 multiply-adds per token and direction,
    sequential along the sentence (no table folds the recurrent part).
"""
import sys
import time

import numpy as np

F, D, DPOS, H = 150, 100, 10, 64


def best_of(f, n=5):
    best = 1e9
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def dump(d, out):
    import os

    os.makedirs(out, exist_ok=True)
    np.array([len(d["emb"])], np.int32).tofile(f"{out}/vocab.bin")
    for k, name in ((1, "real_dev"), (4, "devtest_mt")):
        sel = d["sets"] == k
        lens = d["length"][sel].astype(np.int32)
        lens.tofile(f"{out}/{name}_len.bin")
        for a in ("ids", "dt", "tag", "piece"):
            x = d[a][sel]
            np.concatenate([x[i, : lens[i]] for i in range(len(lens))]).astype(np.int32).tofile(f"{out}/{name}_{a}.bin")
    print(f"token arrays for cost_bench.rs in {out}")


def main(prep, *opts):
    d = np.load(prep)
    if len(opts) == 2 and opts[0] == "--dump":
        dump(d, opts[1])
    dev = d["sets"] == 1
    L = float(d["length"][dev].mean())
    din = D + 2 * DPOS
    plain = L * 3 * din * F
    table = L * 9 * F
    lstm = L * 2 * (din + H) * 4 * H
    print(f"mean length {L:.1f} tokens; CNN plain {plain / 1e6:.2f} M multiply-adds per mention, tables {table / 1e3:.0f} k additions; BiLSTM {lstm / 1e6:.2f} M multiply-adds")
    rng = np.random.default_rng(0)
    B, Lb = 512, int(round(L))
    x = rng.standard_normal((B * (Lb + 2), din)).astype(np.float32)
    w = rng.standard_normal((din, 3 * F)).astype(np.float32)

    def conv():
        y = x @ w
        h = y[:-2, :F] + y[1:-1, F : 2 * F] + y[2:, 2 * F :]
        np.tanh(h, out=h)

    t = best_of(conv)
    print(f"CNN plain, numpy one thread, batched: {t / B * 1e6:.1f} us per mention ({2 * plain * B / t / 1e9:.1f} GFLOP/s)")
    V = len(d["emb"])
    tw = rng.standard_normal((V, 3, F)).astype(np.float32)
    ids = d["ids"][dev][:B, :Lb]

    def tables():
        g = tw[ids]  # [B, L, 3, F]: the word rows; the 6 distance and tag rows per token are small tables
        h = g[:, :-2, 0] + g[:, 1:-1, 1] + g[:, 2:, 2]
        for _k in range(6):
            h += g[:, 1:-1, 1]
        np.tanh(h, out=h)

    t = best_of(tables)
    print(f"CNN tables ({V} x 3 x {F} floats = {V * 3 * F * 4 / 2**20:.0f} MiB), numpy: {t / B * 1e6:.1f} us per mention")
    xs = rng.standard_normal((Lb, B, din)).astype(np.float32)
    wl = rng.standard_normal((din + H, 4 * H)).astype(np.float32)

    def bilstm():
        for _dir in range(2):
            h = np.zeros((B, H), np.float32)
            c = np.zeros((B, H), np.float32)
            for s in range(Lb):
                g = np.concatenate([xs[s], h], 1) @ wl
                i, f, o, u = np.split(g, 4, 1)
                sig = lambda z: 1 / (1 + np.exp(-z))
                c = sig(f) * c + sig(i) * np.tanh(u)
                h = sig(o) * np.tanh(c)

    t = best_of(bilstm, 3)
    print(f"BiLSTM, numpy one thread, batched over 512 mentions: {t / B * 1e6:.1f} us per mention")


if __name__ == "__main__":
    main(*sys.argv[1:])
