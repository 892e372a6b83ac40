"""Figures of (a) the shipped target model, (b) a reader alone, (c) the two combined, on real dev
(all of it and each half by article) and on NewsMTSC devtest_rw / devtest_mt.

    OMP_NUM_THREADS=1 nice -n 10 python3 evaluate.py PREP.npz READER.npz [READER2.npz ...] > results.txt

A "+" between files averages their probabilities (seeds): cnn_s1.npz+cnn_s2.npz. Combinations
of a reader trained without the shipped model's probabilities:
  - the geometric mean of the two models' probabilities (nothing fitted);
  - a fitted mix on one half only: the reader's weight w in the weighted geometric mean
    (0, 0.1, ..., 1) chosen for macro-F1 on one half of real dev's articles and measured on the
    other half (both ways) and on the devtests;
  - the geometric mean run only where the shipped model is unsure (its top probability below
    t), the gating that keeps the reader's cost down: the share of real dev mentions it runs on
    (a random sample of the corpus's mentions, so the share the corpus would see) and the
    figures.
A reader trained with --combined already reads the shipped model; it is reported alone and gated
(the shipped label where the shipped model is sure).
"""
import sys

import numpy as np

from common import EVAL_SETS, figures, geo_mean, line

SETS = ("real_train", "real_dev", "newsmtsc_train", "devtest_rw", "devtest_mt")
GATES = (0.5, 0.55, 0.6, 0.7, 0.8, 0.9)
BOOT = 2000


def _macro(conf):
    """Macro-F1 (percent) of confusion counts [..., 3 gold, 3 predicted]."""
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    p = tp / np.maximum(conf.sum(-2), 1)
    r = tp / np.maximum(conf.sum(-1), 1)
    f = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
    return 100 * f.mean(-1)


def paired_boot(d, sel, base, probs):
    """Macro-F1 difference of `probs` over `base` on the mentions `sel`, with a 95 % interval
    from a paired bootstrap over resampling units (articles of real mentions, sentences of
    NewsMTSC; seeded): the noise the dev figures carry."""
    y, grp = d["gold"][sel], d["group"][sel]
    _, g = np.unique(grp, return_inverse=True)
    G = g.max() + 1
    out = []
    for pr in (base, probs):
        c = np.zeros((G, 3, 3))
        np.add.at(c, (g, y, pr[sel].argmax(1)), 1)
        out.append(c.reshape(G, 9))
    rng = np.random.default_rng(0)
    mult = rng.multinomial(G, np.full(G, 1.0 / G), size=BOOT).astype(np.float64)
    diff = _macro((mult @ out[1]).reshape(-1, 3, 3)) - _macro((mult @ out[0]).reshape(-1, 3, 3))
    point = _macro(out[1].sum(0).reshape(3, 3)) - _macro(out[0].sum(0).reshape(3, 3))
    lo, hi = np.percentile(diff, [2.5, 97.5])
    return f"{point:+5.1f} [{lo:+.1f}, {hi:+.1f}]"


def show(name, d, probs, base=None):
    """Prints one model's rows (with `base`, the difference from it and its bootstrap interval);
    returns {set or half: figures}."""
    y, sets, half = d["gold"], d["sets"], d["half"]
    out = {}
    print(f"== {name}")
    for s in EVAL_SETS:
        sel = sets == SETS.index(s)
        out[s] = figures(y[sel], probs[sel].argmax(1))
        diff = f"  vs shipped {paired_boot(d, sel, base, probs)}" if base is not None else ""
        print(f"  {s:11} {line(out[s])}{diff}")
        if s == "real_dev":
            for h in (0, 1):
                sh = sel & (half == h)
                out[f"half{h}"] = figures(y[sh], probs[sh].argmax(1))
                print(f"    half {h} ({sh.sum()}) {line(out[f'half{h}'])}")
    return out


def fitted_mix(d, ship, pr, name):
    """The reader's weight in the geometric mean chosen on one half of real dev, measured on the
    other half and on the devtests."""
    y, sets, half = d["gold"], d["sets"], d["half"]
    dev = sets == SETS.index("real_dev")
    print(f"== fitted mix (weight chosen on one half of real dev): shipped + {name}")
    grid = [round(0.1 * k, 1) for k in range(11)]
    other = []
    for a, b in ((0, 1), (1, 0)):
        A, B = dev & (half == a), dev & (half == b)
        score = [figures(y[A], geo_mean(ship[A], pr[A], w).argmax(1))["macro_f1"] for w in grid]
        w = grid[int(np.argmax(score))]
        g = geo_mean(ship, pr, w)
        fb = figures(y[B], g[B].argmax(1))
        other.append(fb["macro_f1"])
        print(f"  chosen on half {a}: w={w} (half {a} {max(score):.1f}) -> half {b} {line(fb)}")
        for s in ("devtest_rw", "devtest_mt"):
            sel = sets == SETS.index(s)
            print(f"    {s:11} {line(figures(y[sel], g[sel].argmax(1)))}")
    print(f"  mean of the two other halves: {np.mean(other):.1f}")


def gated(d, ship, comb, name):
    """`comb` where the shipped model's top probability is below t, else the shipped model."""
    y, sets = d["gold"], d["sets"]
    dev = sets == SETS.index("real_dev")
    top = ship.max(1)
    print(f"== gated: {name} only where the shipped model's top probability < t")
    for t in GATES:
        run = top < t
        g = np.where(run[:, None], comb, ship)
        parts = []
        for s in EVAL_SETS:
            sel = sets == SETS.index(s)
            parts.append(f"{s} {figures(y[sel], g[sel].argmax(1))['macro_f1']:.1f}")
        hs = [figures(y[dev & (d['half'] == h)], g[dev & (d['half'] == h)].argmax(1))["macro_f1"] for h in (0, 1)]
        print(f"  t={t}: runs on {run[dev].mean():.0%} of real dev mentions ({run[sets == SETS.index('devtest_rw')].mean():.0%} rw, {run[sets == SETS.index('devtest_mt')].mean():.0%} mt); {', '.join(parts)}; halves {hs[0]:.1f} / {hs[1]:.1f}")


def main(prep, *reader_files):
    d = dict(np.load(prep))
    ship = d["probs"].astype(np.float64)
    y, sets = d["gold"], d["sets"]
    print("gold shares (negative / neutral / positive): " + "; ".join(
        f"{s} " + " ".join(f"{x:.3f}" for x in figures(y[sets == SETS.index(s)], y[sets == SETS.index(s)])["gold_shares"])
        for s in EVAL_SETS))
    show("(a) shipped target model", d, ship)
    for f in reader_files:
        pr = np.mean([np.load(x)["probs"] for x in f.split("+")], axis=0).astype(np.float64)
        name = "+".join(x.split("/")[-1] for x in f.split("+"))
        show(f"(b) {name}", d, pr, ship)
        if "combined" in name:
            gated(d, ship, pr, name)
            continue
        g = geo_mean(ship, pr)
        show(f"(c) geometric mean of shipped and {name} (nothing fitted)", d, g, ship)
        fitted_mix(d, ship, pr, name)
        gated(d, ship, g, f"geometric mean with {name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
