"""coder-vs-constriction: arithmetic-code one behaviour vector, our exact coder vs constriction.

Both coders see the same sequential conditionals ``P(b_{s(t)} = y | earlier pairs in order s)``,
computed once beforehand, so only the coding itself is timed. Ours keeps the interval exactly in
Python integers (:mod:`theory.arithmetic_coder`, at most ``-Coh/ln 2 + 2`` bits plus
``n 2^-48``-order quantisation); constriction's ``RangeEncoder`` (Rust core) keeps 64-bit state,
emits 32-bit words and quantises probabilities to 24 bits, so its length is a whole number of
32-bit words.
"""
from __future__ import annotations

import math

import numpy as np

from theory.prior import Prior

NAME = "coder-vs-constriction"
EXTRA = "peers"
REQUIRES = ("constriction",)
WHAT = ("arithmetic code of one behaviour vector (n=2000, K=4 concept mixture, conditionals "
        "precomputed): exact big-integer coder vs constriction RangeEncoder")


def sequential_conditionals(prior, b, order) -> np.ndarray:
    """Rows ``P(b_{s(t)} = . | (s(u), b_{s(u)})_{u<t})`` for ``t = 0..n-1``: ``(n, k)`` probabilities."""
    b = np.asarray(b, dtype=np.int64)
    order = np.asarray(order, dtype=np.int64)
    return np.stack([np.exp(prior.log_conditional(b[None], int(order[t]), order[:t])[0])
                     for t in range(prior.n)])


class ReplayPrior(Prior):
    """Replays precomputed conditionals: ``log_conditional(., s(t), .)`` returns row ``t``.

    Valid only for coding the one vector the rows were computed for (decoding replays the same
    rows, which is right exactly when the decoded prefix equals that vector's prefix).
    """

    def __init__(self, rows: np.ndarray, order):
        self.n, self.k = rows.shape
        self._log = np.log(rows)
        self._step = np.empty(self.n, dtype=np.int64)
        self._step[np.asarray(order, dtype=np.int64)] = np.arange(self.n)

    def log_conditional(self, B, i, demos) -> np.ndarray:
        return np.broadcast_to(self._log[self._step[i]], np.shape(B)[:-1] + (self.k,))


def constriction_encode(rows: np.ndarray, symbols) -> np.ndarray:
    """constriction's range code (uint32 words) of ``symbols`` with per-step probabilities ``rows``."""
    import constriction

    enc = constriction.stream.queue.RangeEncoder()
    enc.encode(np.asarray(symbols, dtype=np.int32), constriction.stream.model.Categorical(perfect=False),
               np.ascontiguousarray(rows, dtype=np.float64))
    return enc.get_compressed()


def constriction_decode(rows: np.ndarray, words) -> np.ndarray:
    import constriction

    dec = constriction.stream.queue.RangeDecoder(np.asarray(words, dtype=np.uint32))
    return dec.decode(constriction.stream.model.Categorical(perfect=False),
                      np.ascontiguousarray(rows, dtype=np.float64)).astype(np.int64)


def run(quick: bool) -> dict:
    from importlib.metadata import version

    from coherence.bench import best_of
    from theory import arithmetic_coder
    from theory.concept_mixture import ConceptMixture

    n, K = 2000, 4
    rng = np.random.default_rng(0)
    model = ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.05, 0.45, K), w=np.full(K, 1 / K))
    b = model.sample(rng, 1)[0]
    order = rng.permutation(n)
    rows = sequential_conditionals(model, b, order)
    replay = ReplayPrior(rows, order)
    symbols = b[order]
    repeat = 2 if quick else 5
    ours = best_of(lambda: arithmetic_coder.encode(replay, b, order), repeat=repeat)
    peer = best_of(lambda: constriction_encode(rows, symbols), repeat=repeat)
    ours_bits = int(arithmetic_coder.encode(replay, b, order).size)
    words = constriction_encode(rows, symbols)
    ideal = float(-model.log_joint(b[None])[0] / math.log(2))
    round_trip = bool(np.array_equal(constriction_decode(rows, words), symbols)
                      and np.array_equal(arithmetic_coder.decode(replay, arithmetic_coder.encode(replay, b, order), order), b))
    return {"ours": ours, "baseline": peer,
            "baseline_is": f"constriction {version('constriction')} RangeEncoder (queue, 32-bit words)",
            "params": {"n": n, "K": K, "ideal_bits": ideal, "ours_bits": ours_bits,
                       "constriction_bits": int(words.size * 32), "round_trip": round_trip,
                       "note": "ratio < 1: ours is slower (exact Python big integers vs Rust fixed-point)"}}
