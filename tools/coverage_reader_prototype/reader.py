"""The reader: a neural model of the sentence with the target mention marked, trained on
NewsMTSC train and the real train mentions (the shipped target model's training data).

    XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' OMP_NUM_THREADS=1 \
      nice -n 10 taskset -c 1 python3 reader.py PREP.npz OUT.npz [--arch cnn|lstm] [--combined] [--blind] [--real-half] [--epochs 4] [--seed 1]

Each token reads its frozen corpus word2vec vector (the vectors of tools/reader_prototype, not
retrained), a learned embedding of its distance to the target and one of its tag (target /
another actor / other word). `cnn`: one convolution of width 3 (150 filters, tanh) — a PCNN as
the stance reader; `lstm`: a BiLSTM of 64 units a way. Either is max-pooled in three pieces
(left of the target, the target, right of it: the mention's own words, the words before it —
"accused X", "came to X's defense" — and after it — "X slammed" — are read apart), then dropout
0.5 and a linear layer to the three classes.

The real mentions' classes are re-weighted halfway to balance, as the shipped model does
(`real_class_balance` 0.5: each real mention weighs (N / (3 n_class))^0.5 over the real train
counts; NewsMTSC examples weigh 1). With --combined the output layer also reads the shipped
model's log-probabilities (out of fold on train, from export_mentions --folds 5; the shipped
weights' on dev and the devtests), so the reader learns what the linear model misses.

--real-half trains on the real train mentions of half the articles (NewsMTSC whole), a point of
the learning curve: does the reader want more labels where the linear model did not?

--blind is a control: the same CNN with the target unmarked (no distance or tag, one pooling
piece), which can only read the sentence's tone; beside the shipped model it tells whether a
gain is reading toward the mention or mere ensembling of a second model.

The number of epochs is fixed in advance (4); the figures printed after each epoch are for
monitoring, not for choosing. Writes the probabilities of every mention (train ones in-sample,
unused) to OUT.npz.
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from common import EVAL_SETS, figures, line

F = 150  # filters
H = 64  # LSTM units per direction
DPOS = 10
BUCKETS = (24, 40, 56, 80)
SETS = ("real_train", "real_dev", "newsmtsc_train", "devtest_rw", "devtest_mt")


def init(key, emb_dim, nd, combined, arch):
    ks = jax.random.split(key, 8)
    din = emb_dim + 2 * DPOS
    p = {
        "pos_t": 0.1 * jax.random.normal(ks[0], (nd, DPOS)),
        "tag": 0.1 * jax.random.normal(ks[1], (3, DPOS)),
        "out_b": jnp.zeros(3),
    }
    if arch == "lstm":
        for name, k in (("fw", ks[5]), ("bw", ks[6])):
            p[name] = jax.random.normal(k, (din + H, 4 * H)) * np.sqrt(1.0 / (din + H))
            p[name + "_b"] = jnp.zeros(4 * H).at[H : 2 * H].set(1.0)  # forget gate open
        p["out"] = jax.random.normal(ks[4], (3 * 2 * H, 3)) * np.sqrt(1.0 / (6 * H))
    else:
        p["conv"] = jax.random.normal(ks[3], (3, din, F)) * np.sqrt(1.0 / (3 * din))
        p["conv_b"] = jnp.zeros(F)
        p["out"] = jax.random.normal(ks[4], (3 * F, 3)) * np.sqrt(1.0 / (3 * F))
    if combined:
        p["ship"] = jnp.eye(3)
    return p


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
        return (jnp.where(mt, h2, h), jnp.where(mt, c2, c)), h2

    z = jnp.zeros((x.shape[0], H))
    _, hs = jax.lax.scan(step, (z, z), (jnp.swapaxes(x, 0, 1), jnp.swapaxes(mask, 0, 1)))
    return jnp.swapaxes(hs, 0, 1)


def forward(p, emb, ids, dt, tag, piece, ship, key, train):
    if "blind" in p:
        # Control: the target is not marked (no distance, no tag, one piece): a reader of the
        # sentence's tone, to tell reading toward the mention from mere ensembling.
        dt, tag = jnp.zeros_like(dt), jnp.zeros_like(tag)
        piece = jnp.where(piece < 3, 0, 3)
    x = jnp.concatenate([emb[ids], p["pos_t"][dt], p["tag"][tag]], axis=-1)
    x = x * (ids > 0)[..., None]
    if "fw" in p:
        mask = ids > 0
        hf = lstm(p["fw"], p["fw_b"], x, mask)
        # Backward: reverse each row's real tokens (padding is at the end).
        hb = lstm(p["bw"], p["bw_b"], x[:, ::-1], mask[:, ::-1])[:, ::-1]
        h = jnp.concatenate([hf, hb], -1)
    else:
        xp = jnp.pad(x, ((0, 0), (1, 1), (0, 0)))
        L = ids.shape[1]
        h = jnp.tanh(sum(xp[:, k : k + L] @ p["conv"][k] for k in range(3)) + p["conv_b"])
    pooled = []
    for q in range(3):
        m = (piece == q)[..., None]
        v = jnp.max(jnp.where(m, h, -1e9), axis=1)
        pooled.append(jnp.where(v < -1e8, 0.0, v))  # an empty piece (target first or last)
    z = jnp.concatenate(pooled, axis=-1)
    if train:
        keep = jax.random.bernoulli(key, 0.5, z.shape)
        z = jnp.where(keep, z / 0.5, 0.0)
    logits = z @ p["out"] + p["out_b"]
    if "ship" in p:
        logits = logits + jnp.log(jnp.clip(ship, 1e-6, 1.0)) @ p["ship"]
    return logits


def loss_fn(p, emb, batch, key):
    ids, dt, tag, piece, ship, y, w = batch
    logits = forward(p, emb, ids, dt, tag, piece, ship, key, True)
    nll = -jax.nn.log_softmax(logits)[jnp.arange(y.shape[0]), y]
    return jnp.sum(w * nll) / jnp.sum(w)


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
def predict(p, emb, ids, dt, tag, piece, ship):
    return jax.nn.softmax(forward(p, emb, ids, dt, tag, piece, ship, None, False))


def bucket_of(n):
    for b in BUCKETS:
        if n <= b:
            return b
    return BUCKETS[-1]


def batches(d, idx, bs, rng):
    """Batches of mentions of similar length, cut to their bucket's length."""
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
        out = [out[k] for k in rng.permutation(len(out))]
    return out


def arrays(d, b, ii, ship):
    return tuple(jnp.asarray(d[k][ii, :b]) for k in ("ids", "dt", "tag", "piece")) + (jnp.asarray(ship[ii]),)


def run_predict(p, emb, d, idx, ship):
    out = np.zeros((len(d["length"]), 3), np.float32)
    for b, ii in batches(d, idx, 512, None):
        out[ii] = np.asarray(predict(p, emb, *arrays(d, b, ii, ship)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prep")
    ap.add_argument("out")
    ap.add_argument("--arch", choices=["cnn", "lstm"], default="cnn")
    ap.add_argument("--combined", action="store_true")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--real-class-balance", type=float, default=0.5)
    ap.add_argument("--blind", action="store_true", help="control: the target not marked")
    ap.add_argument("--real-half", action="store_true", help="learning curve: the real train mentions of half the articles")
    a = ap.parse_args()
    d = dict(np.load(a.prep))
    emb = jnp.asarray(d["emb"])
    sets = d["sets"]
    y = d["gold"]
    train_idx = np.where((sets == SETS.index("real_train")) | (sets == SETS.index("newsmtsc_train")))[0]
    if a.real_half:
        # Half of the real train articles (their first-appearance index is even), NewsMTSC whole.
        drop = (sets == SETS.index("real_train")) & (d["group"] % 2 == 1)
        train_idx = train_idx[~drop[train_idx]]
    eval_idx = np.where(np.isin(sets, [SETS.index(s) for s in EVAL_SETS]))[0]
    real_tr = np.zeros(len(y), bool)
    real_tr[train_idx] = sets[train_idx] == SETS.index("real_train")
    counts = np.bincount(y[real_tr], minlength=3).astype(np.float64)
    cw = (real_tr.sum() / (3 * counts)) ** a.real_class_balance
    w = np.where(real_tr, cw[y], 1.0).astype(np.float32)
    print(f"{len(train_idx)} training mentions; real class weights {np.round(cw, 3).tolist()}", flush=True)
    # The shipped model's probabilities: out of fold on train, the shipped weights' elsewhere.
    ship = d["oof"].astype(np.float32)
    rng = np.random.default_rng(a.seed)
    key = jax.random.PRNGKey(a.seed)
    key, k0 = jax.random.split(key)
    p = init(k0, emb.shape[1], int(d["dt"].max()) + 1, a.combined, a.arch)
    if a.blind:
        p["blind"] = jnp.zeros(1)  # a flag the gradient leaves at zero
    m = jax.tree_util.tree_map(jnp.zeros_like, p)
    v = jax.tree_util.tree_map(jnp.zeros_like, p)
    t = 0
    for ep in range(a.epochs):
        t0 = time.process_time()
        tot, n = 0.0, 0
        for b, ii in batches(d, train_idx, 64, rng):
            t += 1
            key, k = jax.random.split(key)
            batch = arrays(d, b, ii, ship) + (jnp.asarray(y[ii]), jnp.asarray(w[ii]))
            p, m, v, loss = adam_step(p, m, v, t, emb, batch, k, a.lr)
            tot += float(loss) * len(ii)
            n += len(ii)
        pr = run_predict(p, emb, d, eval_idx, ship)
        print(f"epoch {ep + 1}: train loss {tot / n:.4f}; {time.process_time() - t0:.0f} s CPU", flush=True)
        for s in EVAL_SETS:
            sel = sets == SETS.index(s)
            print(f"  {s:11} {line(figures(y[sel], pr[sel].argmax(1)))}", flush=True)
    np.savez(a.out, probs=pr)


if __name__ == "__main__":
    main()
