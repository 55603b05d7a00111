"""coder-vs-constriction: arithmetic-code one behaviour vector, our fast coder vs constriction.

Both coders see the same sequential conditionals ``P(b_{s(t)} = y | earlier pairs in order s)``,
computed once beforehand, so only the coding itself is timed. Ours is
:func:`theory.arithmetic_coder.encode_rows` with ``exact=False``: constriction's ``RangeEncoder``
(Rust core, 64-bit state, 32-bit words, 24-bit probabilities) behind our interface, so its time
is constriction's plus our checks, and its length a whole number of 32-bit words. The peer is
swept over its two stream coders (``RangeEncoder``, ``AnsCoder``) and timed at the faster. The
exact big-integer coder (the oracle for the ``-Coh/ln 2 + 2`` bound, quadratic in ``n``) is
timed too and reported in ``params``.
"""
from __future__ import annotations

import math

import numpy as np


NAME = "coder-vs-constriction"
EXTRA = "peers"
REQUIRES = ("constriction",)
WHAT = ("arithmetic code of one behaviour vector (n=2000, K=4 concept mixture, conditionals "
        "precomputed): our fast coder (encode_rows exact=False, constriction inside) vs constriction at its "
        "fastest of RangeEncoder and AnsCoder; the exact big-integer oracle in params")


def sequential_conditionals(prior, b, order) -> np.ndarray:
    """Rows ``P(b_{s(t)} = . | (s(u), b_{s(u)})_{u<t})`` for ``t = 0..n-1``: ``(n, k)`` probabilities."""
    b = np.asarray(b, dtype=np.int64)
    order = np.asarray(order, dtype=np.int64)
    return np.stack([np.exp(prior.log_conditional(b[None], int(order[t]), order[:t])[0])
                     for t in range(prior.n)])


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


def constriction_ans_encode(rows: np.ndarray, symbols) -> np.ndarray:
    """constriction's ANS code (a stack: encoded in reverse so decoding runs forward)."""
    import constriction

    enc = constriction.stream.stack.AnsCoder()
    enc.encode_reverse(np.asarray(symbols, dtype=np.int32), constriction.stream.model.Categorical(perfect=False),
                       np.ascontiguousarray(rows, dtype=np.float64))
    return enc.get_compressed()


def run(quick: bool) -> dict:
    from importlib.metadata import version

    from coherence.benchmarks.timing import best_of, peer_row, sweep_configs
    from theory import arithmetic_coder as ac
    from theory.concept_mixture import ConceptMixture

    n, K = 2000, 4
    rng = np.random.default_rng(0)
    model = ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.05, 0.45, K), w=np.full(K, 1 / K))
    b = model.sample(rng, 1)[0]
    order = rng.permutation(n)
    rows = sequential_conditionals(model, b, order)
    symbols = b[order]
    repeat = 5 if quick else 20
    ours = best_of(lambda: ac.encode_rows(rows, symbols, exact=False), repeat=repeat)
    configs = {"RangeEncoder": lambda: constriction_encode(rows, symbols),
               "AnsCoder": lambda: constriction_ans_encode(rows, symbols)}
    best, times = sweep_configs(configs, repeat)
    t_exact = best_of(lambda: ac.encode_rows(rows, symbols, exact=True), repeat=2 if quick else 3)
    fast = ac.encode_rows(rows, symbols, exact=False)
    exact = ac.encode_rows(rows, symbols, exact=True)
    ideal = float(-model.log_joint(b[None])[0] / math.log(2))
    peer_bits = {"RangeEncoder": int(constriction_encode(rows, symbols).size * 32),
                 "AnsCoder": int(constriction_ans_encode(rows, symbols).size * 32)}
    round_trip = bool(np.array_equal(ac.decode_rows(rows, fast, exact=False), symbols)
                      and np.array_equal(ac.decode_rows(rows, exact, exact=True), symbols)
                      and np.array_equal(constriction_decode(rows, constriction_encode(rows, symbols)), symbols))
    row = peer_row(ours, f"constriction {version('constriction')}", best, times,
                   {"fast_minus_peer_bits": int(fast.size) - peer_bits[best], "round_trip": round_trip},
                   "constriction", n=n, K=K, ideal_bits=ideal, fast_bits=int(fast.size), exact_bits=int(exact.size),
                   peer_bits=peer_bits, fast_overhead_bits=int(fast.size) - ideal,
                   fast_overhead_fraction=(int(fast.size) - ideal) / ideal, exact_overhead_bits=int(exact.size) - ideal,
                   exact_seconds=t_exact, exact_ratio=times[best] / t_exact,
                   ours_is="theory.arithmetic_coder.encode_rows(exact=False): constriction's RangeEncoder behind our "
                           "interface (row and symbol checks, words to bits)",
                   exact_is="encode_rows(exact=True): the big-integer oracle, at most ideal + 2 bits")
    row["why"] = ("the fast coder is constriction's range coder plus our input checks and the conversion of "
                  "words to bits, so it cannot beat constriction; a ratio below 1 is that overhead (the exact "
                  "oracle's ratio is params.exact_ratio)")
    return row
