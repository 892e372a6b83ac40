"""The reader: a piecewise CNN (PCNN, Zeng et al. 2015) over the sentence naming both countries,
with word2vec vectors trained on the shared corpus (frozen), learned embeddings of each token's
distance to the source and to the target mention, and a tag marking source / target country
mentions; max pooling in three pieces cut at the two mentions. Trained on the train split's
candidates (their labels as `train stance` reads them; uncertain pairs left out).

    XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' OMP_NUM_THREADS=1 \
      nice -n 10 taskset -c 1 python3 reader.py PREP.npz OUT.npz [--combined] [--epochs 4] [--seed 1]

With --combined the output layer also reads the shipped model's log-probabilities (out of fold
on train, from export_candidates --folds 5; the shipped weights' on dev): the reader then only has
to learn what the pair model misses. Writes the dev candidates' probabilities (in file order)
to OUT.npz and prints dev recall at precision 0.70 after each epoch (monitoring only: the
number of epochs is fixed in advance, not chosen on it).
"""
import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

F = 150  # filters
DPOS = 10
BUCKETS = (24, 40, 64, 96)


def init(key, emb_dim, nd, combined, arch="cnn"):
    ks = jax.random.split(key, 8)
    din = emb_dim + 2 * DPOS + DPOS
    p = {
        "pos_s": 0.1 * jax.random.normal(ks[0], (nd, DPOS)),
        "pos_t": 0.1 * jax.random.normal(ks[1], (nd, DPOS)),
        "tag": 0.1 * jax.random.normal(ks[2], (4, DPOS)),
        "conv": jax.random.normal(ks[3], (3, din, F)) * np.sqrt(1.0 / (3 * din)),
        "conv_b": jnp.zeros(F),
        "out": jax.random.normal(ks[4], (3 * F, 3)) * np.sqrt(1.0 / (3 * F)),
        "out_b": jnp.zeros(3),
    }
    if arch == "lstm":
        # Two directions of H units each; the pooled vector is then 3 * 2H = 3 * F wide.
        for name, k in (("fw", ks[5]), ("bw", ks[6])):
            p[name] = jax.random.normal(k, (din + H, 4 * H)) * np.sqrt(1.0 / (din + H))
            p[name + "_b"] = jnp.zeros(4 * H).at[H : 2 * H].set(1.0)
        p["out"] = jax.random.normal(ks[4], (3 * 2 * H, 3)) * np.sqrt(1.0 / (6 * H))
        del p["conv"], p["conv_b"]
    if combined:
        p["ship"] = jnp.eye(3)
    return p


H = 64  # LSTM units per direction


def lstm(w, b, x, mask):
    """One direction over [B, L, D] (time along axis 1); padded steps keep the state."""

    def step(carry, inp):
        h, c = carry
        xt, mt = inp
        g = jnp.concatenate([xt, h], -1) @ w + b
        i, f, o, u = jnp.split(g, 4, -1)
        c2 = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(u)
        h2 = jax.nn.sigmoid(o) * jnp.tanh(c2)
        mt = mt[:, None]
        h2 = jnp.where(mt, h2, h)
        c2 = jnp.where(mt, c2, c)
        return (h2, c2), h2

    B = x.shape[0]
    z = jnp.zeros((B, H))
    _, hs = jax.lax.scan(step, (z, z), (jnp.swapaxes(x, 0, 1), jnp.swapaxes(mask, 0, 1)))
    return jnp.swapaxes(hs, 0, 1)


def forward(p, emb, ids, ds, dt, tag, piece, ship, key, train):
    if "emb" in p:
        emb = emb + p["emb"]
    x = jnp.concatenate([emb[ids], p["pos_s"][ds], p["pos_t"][dt], p["tag"][tag]], axis=-1)
    x = x * (ids > 0)[..., None]
    if "fw" in p:
        mask = ids > 0
        hf = lstm(p["fw"], p["fw_b"], x, mask)
        hb = lstm(p["bw"], p["bw_b"], x[:, ::-1], mask[:, ::-1])[:, ::-1]
        h = jnp.concatenate([hf, hb], -1)
    else:
        xp = jnp.pad(x, ((0, 0), (1, 1), (0, 0)))
        L = ids.shape[1]
        h = sum(xp[:, k : k + L] @ p["conv"][k] for k in range(3)) + p["conv_b"]
        h = jnp.tanh(h)
    pooled = []
    for q in range(3):
        m = (piece == q)[..., None]
        v = jnp.max(jnp.where(m, h, -1e9), axis=1)
        pooled.append(jnp.where(v < -1e8, 0.0, v))
    z = jnp.concatenate(pooled, axis=-1)
    if train:
        keep = jax.random.bernoulli(key, 0.5, z.shape)
        z = jnp.where(keep, z / 0.5, 0.0)
    logits = z @ p["out"] + p["out_b"]
    if "ship" in p:
        logits = logits + jnp.log(jnp.clip(ship, 1e-6, 1.0)) @ p["ship"]
    return logits


def loss_fn(p, emb, batch, key):
    ids, ds, dt, tag, piece, ship, y = batch
    logits = forward(p, emb, ids, ds, dt, tag, piece, ship, key, True)
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(y.shape[0]), y])


@jax.jit
def adam_step(p, m, v, t, emb, batch, key, lr):
    loss, g = jax.value_and_grad(loss_fn)(p, emb, batch, key)
    b1, b2 = 0.9, 0.999
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
    mh = jax.tree_util.tree_map(lambda m: m / (1 - b1**t), m)
    vh = jax.tree_util.tree_map(lambda v: v / (1 - b2**t), v)
    p = jax.tree_util.tree_map(lambda p, a, b: p - lr * a / (jnp.sqrt(b) + 1e-8), p, mh, vh)
    return p, m, v, loss


@jax.jit
def predict(p, emb, ids, ds, dt, tag, piece, ship):
    return jax.nn.softmax(forward(p, emb, ids, ds, dt, tag, piece, ship, None, False))


def bucket_of(n):
    for b in BUCKETS:
        if n <= b:
            return b
    return BUCKETS[-1]


def batches(d, idx, bs, rng, ship):
    """Batches of candidates of similar length, cut to their bucket's length."""
    by = {}
    for i in idx:
        by.setdefault(bucket_of(d["length"][i]), []).append(i)
    out = []
    for b, ii in sorted(by.items()):
        ii = np.array(ii)
        if rng is not None:
            rng.shuffle(ii)
        for s in range(0, len(ii), bs):
            out.append((b, ii[s : s + bs]))
    if rng is not None:
        order = rng.permutation(len(out))
        out = [out[k] for k in order]
    return out


def arrays(d, b, ii, ship):
    return tuple(jnp.asarray(d[k][ii, :b]) for k in ("ids", "ds", "dt", "tag", "piece")) + (jnp.asarray(ship[ii]),)


def run_predict(p, emb, d, idx, ship):
    out = np.zeros((len(d["length"]), 3), np.float32)
    for b, ii in batches(d, idx, 512, None, ship):
        out[ii] = np.asarray(predict(p, emb, *arrays(d, b, ii, ship)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prep")
    ap.add_argument("out")
    ap.add_argument("--combined", action="store_true")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--arch", choices=["cnn", "lstm"], default="cnn")
    ap.add_argument("--tune-emb", action="store_true", help="learn a correction to the word vectors")
    ap.add_argument("--cands", default="/tmp/reader14/cands.jsonl")
    a = ap.parse_args()
    d = dict(np.load(a.prep))
    emb = jnp.asarray(d["emb"])
    dev = d["dev"]
    train_idx = np.where(~dev & ~d["unc"])[0]
    dev_idx = np.where(dev)[0]
    # The shipped model's probabilities: out of fold on train, the shipped weights' on dev.
    ship = np.where(dev[:, None], d["probs"], d["oof"]).astype(np.float32)
    rng = np.random.default_rng(a.seed)
    key = jax.random.PRNGKey(a.seed)
    key, k0 = jax.random.split(key)
    p = init(k0, emb.shape[1], int(d["ds"].max()) + 1, a.combined, a.arch)
    if a.tune_emb:
        p["emb"] = jnp.zeros_like(emb)
    m = jax.tree_util.tree_map(jnp.zeros_like, p)
    v = jax.tree_util.tree_map(jnp.zeros_like, p)
    t = 0
    from common import dev_gold, load_candidates, PairSet

    rows = [r for r in load_candidates(a.cands) if r["split"] == "dev"]
    gold = dev_gold()
    docs = {r["doc_id"] for r in rows}
    y = d["gold"]
    for ep in range(a.epochs):
        t0 = time.process_time()
        tot, n = 0.0, 0
        for b, ii in batches(d, train_idx, 64, rng, ship):
            t += 1
            key, k = jax.random.split(key)
            batch = arrays(d, b, ii, ship) + (jnp.asarray(y[ii]),)
            p, m, v, loss = adam_step(p, m, v, t, emb, batch, k, a.lr)
            tot += float(loss) * len(ii)
            n += len(ii)
        pr = run_predict(p, emb, d, dev_idx, ship)[dev_idx]
        ps = PairSet(rows, pr.tolist(), gold, docs)
        from common import choose

        th = choose(ps, 0.70)
        print(
            f"epoch {ep + 1}: train loss {tot / n:.4f}, dev (thresholds chosen on all dev) at P>=0.70: "
            f"{ps.prf(*th)[:3]}, best F1 {ps.prf(*choose(ps))[:3]}; {time.process_time() - t0:.0f} s CPU",
            flush=True,
        )
    np.savez(a.out, dev_probs=pr)


if __name__ == "__main__":
    main()
