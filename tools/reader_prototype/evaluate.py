"""Dev figures of (a) the shipped pair model, (b) the reader, (c) the two combined: the reader
trained with the shipped model's probabilities as an input (reader.py --combined), and a
stacker (logistic regression over both models' log-probabilities) fitted on one half of dev's
articles and applied to the other.

    OMP_NUM_THREADS=1 nice -n 10 python3 evaluate.py [--thresholds H,F] CANDS.jsonl READER.npz [COMBINED.npz ...] > results.txt

`--thresholds` are the thresholds (hostile, friendly) of the pair model the candidates were
exported with (`threshold` in its weights file; default 0.57,0.37, session 12's model that
branch reader14 exported), against which the reader's gate share is measured. The figures are
also written as JSON to `results.json` beside CANDS.jsonl.

Thresholds (hostile, friendly) are chosen on one half of dev's articles and the figures are
measured on the other half, both ways (`0->1`, `1->0`); `all dev` chooses and measures on all
of dev (optimistic, for comparison with `eval stance --split dev`).
"""
import json
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from common import PairSet, choose, dev_gold, half_of, load_candidates, print_halves, report


def stacked(rows, feats, gold, out, name):
    """Logistic regression on `feats` fitted on one half of dev, measured on the other; its
    thresholds are chosen on out-of-fold (5 folds by article) predictions of the fitting half."""
    y = np.array([{"none": 0, "hostile": 1, "friendly": 2}[r["gold"]] for r in rows])
    unc = np.array([r["uncertain"] for r in rows])
    docs = np.array([r["doc_id"] for r in rows])
    half = np.array([half_of(d) for d in docs])
    res = {"name": name}
    print(f"== {name}")
    for what, mp in (("r@p70", 0.70), ("bestf1", None)):
        for a, b in ((0, 1), (1, 0)):
            A = np.where((half == a) & ~unc)[0]
            Aall = np.where(half == a)[0]
            B = np.where(half == b)[0]
            oofA = np.zeros((len(rows), 3))
            for tr, te in GroupKFold(5).split(Aall, groups=docs[Aall]):
                tr = Aall[tr][~unc[Aall[tr]]]
                lr = LogisticRegression(C=1.0, max_iter=2000).fit(feats[tr], y[tr])
                oofA[Aall[te]] = lr.predict_proba(feats[Aall[te]])
            lr = LogisticRegression(C=1.0, max_iter=2000).fit(feats[A], y[A])
            pb = np.zeros((len(rows), 3))
            pb[B] = lr.predict_proba(feats[B])
            da = set(docs[Aall])
            db = set(docs[B])
            psa = PairSet([rows[i] for i in Aall], oofA[Aall].tolist(), gold, da)
            psb = PairSet([rows[i] for i in B], pb[B].tolist(), gold, db)
            t = choose(psa, mp)
            res[f"{what}_{a}->{b}"] = {"thresholds": t, "prf": psb.prf(*t), "prf_on_chosen": psa.prf(*t)}
        print_halves(res, what)
    out.append(res)


def _gm(a, b):
    g = np.sqrt(np.clip(a, 1e-6, 1) * np.clip(b, 1e-6, 1))
    return g / g.sum(1, keepdims=True)


def main(cands, *reader_files, thresholds=(0.57, 0.37)):
    rows = [r for r in load_candidates(cands) if r["split"] == "dev"]
    gold = dev_gold()
    out = []
    ship = np.array([r["probs"] for r in rows])
    report("(a) shipped pair model", rows, ship.tolist(), gold, out)
    lp = lambda p: np.log(np.clip(p, 1e-6, 1))
    # The shipped model's probability of a sign as a share of that sign's threshold: where it is
    # below `lo` the shipped model is sure of "none" and the reader is not run.
    share = np.maximum(ship[:, 1] / thresholds[0], ship[:, 2] / thresholds[1])
    for f in reader_files:
        # "a.npz+b.npz": the mean of several runs' probabilities (seeds).
        pr = np.mean([np.load(x)["dev_probs"] for x in f.split("+")], axis=0)
        report(f"{f}", rows, pr.tolist(), gold, out)
        for lo in (0.1, 0.2):
            m = share >= lo
            gated = np.where(m[:, None], pr if "combined" in f else _gm(ship, pr), ship)
            report(f"{f}, combined only where the shipped share >= {lo} ({m.mean():.0%} of dev candidates)", rows, gated.tolist(), gold, out)
        if "combined" not in f:
            stacked(rows, np.hstack([lp(ship), lp(pr)]), gold, out, f"(c) stacker on dev halves: shipped + {f}")
            stacked(rows, lp(ship), gold, out, "(a') stacker on dev halves: shipped alone (the stacker's own effect)")
            mean = np.exp((lp(ship) + lp(pr)) / 2)
            mean /= mean.sum(1, keepdims=True)
            report(f"(c) geometric mean of shipped and {f} (nothing fitted)", rows, mean.tolist(), gold, out)
    with open(os.path.join(os.path.dirname(os.path.abspath(cands)), "results.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    args = sys.argv[1:]
    thresholds = (0.57, 0.37)
    if args and args[0] == "--thresholds":
        thresholds = tuple(float(x) for x in args[1].split(","))
        args = args[2:]
    main(*args, thresholds=thresholds)
