"""What the reader would cost per candidate at inference, on one core.

    OMP_NUM_THREADS=1 nice -n 10 taskset -c 1 python3 cost.py PREP.npz

Counts the multiply-adds of the CNN reader per candidate at the dev candidates' mean length,
and times two numpy forms of its convolution, one thread, batched (the best case of the plain
form, as a Rust SIMD matrix product would be):
  - plain: every token's 130-wide input (word vector, two distance embeddings, tag) times the
    3 x 130 x 150 filters;
  - tables: the word vectors are frozen, so each word's product with each of the 3 filter
    taps is a table row (vocabulary x 3 x 150), and the same holds for the distance and tag
    embeddings: a token's convolution is then 12 row additions of 150 floats.
"""
import sys
import time

import numpy as np

F, D, DPOS = 150, 100, 10


def main(prep):
    d = np.load(prep)
    dev = d["dev"]
    L = float(d["length"][dev].mean())
    din = D + 3 * DPOS
    plain = L * 3 * din * F
    table = L * 12 * F
    print(f"mean length {L:.1f} tokens; plain conv {plain / 1e6:.2f} M multiply-adds per candidate; tables {table / 1e3:.0f} k additions")
    rng = np.random.default_rng(0)
    B, Lb = 512, int(round(L))
    x = rng.standard_normal((B * (Lb + 2), din)).astype(np.float32)
    w = rng.standard_normal((din, 3 * F)).astype(np.float32)
    best = 1e9
    for _ in range(5):
        t0 = time.perf_counter()
        y = x @ w
        h = y[:-2, :F] + y[1:-1, F : 2 * F] + y[2:, 2 * F :]
        np.tanh(h, out=h)
        best = min(best, time.perf_counter() - t0)
    print(f"plain, numpy one thread, batched: {best / B * 1e6:.1f} us per candidate ({2 * plain * B / best / 1e9:.1f} GFLOP/s)")
    V = len(d["emb"])
    tw = rng.standard_normal((V, 3, F)).astype(np.float32)
    ids = d["ids"][dev][:B, :Lb]
    best = 1e9
    for _ in range(5):
        t0 = time.perf_counter()
        g = tw[ids]  # [B, L, 3, F]: the word rows; 9 more small-table rows would be added per token
        h = g[:, :-2, 0] + g[:, 1:-1, 1] + g[:, 2:, 2]
        for _k in range(3):  # distance to source, to target, tag: small tables, cache-resident
            h += g[:, 1:-1, 1]
        np.tanh(h, out=h)
        best = min(best, time.perf_counter() - t0)
    print(f"tables ({V} x 3 x {F} floats = {V * 3 * F * 4 / 2**20:.0f} MiB), numpy: {best / B * 1e6:.1f} us per candidate")


if __name__ == "__main__":
    main(*sys.argv[1:])
