"""Control for the combination: is the gain from reading the word sequence, or from averaging in
any second model? A bag of words over the same window the reader reads (each word once as
"in the window" and once more when it lies between the two mentions), logistic regression on
the train split, combined with the shipped model by the same geometric mean.

    OMP_NUM_THREADS=1 nice -n 10 python3 bow.py PREP.npz OUT.npz
"""
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression


def main(prep, out):
    d = np.load(prep)
    ids, piece = d["ids"], d["piece"]
    V = int(ids.max()) + 1
    n, L = ids.shape
    rows = np.repeat(np.arange(n), L)
    cols = np.where(piece == 1, ids + V, ids).ravel()
    keep = ids.ravel() > 0
    X = sp.csr_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(n, 2 * V))
    X.data[:] = 1.0
    X.sum_duplicates()
    X.data[:] = 1.0
    dev, unc, y = d["dev"], d["unc"], d["gold"]
    tr = ~dev & ~unc
    lr = LogisticRegression(C=0.3, max_iter=300).fit(X[tr], y[tr])
    np.savez(out, dev_probs=lr.predict_proba(X[dev]).astype(np.float32))


if __name__ == "__main__":
    main(*sys.argv[1:])
