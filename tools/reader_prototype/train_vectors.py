"""Word vectors for the reader: word2vec (skip-gram, 100 dimensions) on every paragraph of the
shared corpus outside reserved_ids.txt. One worker and a fixed seed, so reruns give the same
vectors (gensim is deterministic with workers=1 and PYTHONHASHSEED fixed).

    PYTHONHASHSEED=0 OMP_NUM_THREADS=1 nice -n 10 python3 train_vectors.py OUT.kv
"""
import sys

from gensim.models import Word2Vec

from common import corpus_sentences

CORPUS = "../../../shared/corpus/news.jsonl.gz"
RESERVED = "../../../shared/corpus/reserved_ids.txt"


def main(out, corpus=CORPUS, reserved=RESERVED):
    with open(reserved) as f:
        res = {line.strip() for line in f if line.strip()}
    sents = list(corpus_sentences(corpus, res))
    print(f"{len(sents)} paragraphs, {sum(map(len, sents))} tokens", file=sys.stderr)
    m = Word2Vec(sents, vector_size=100, window=5, min_count=3, sg=1, negative=10, epochs=5, workers=1, seed=1)
    m.wv.save(out)
    print(f"{len(m.wv)} words", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
