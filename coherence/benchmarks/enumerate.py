"""enumerate-2^20: coherence of every binary behaviour vector under a K = 8 concept mixture."""
from __future__ import annotations

import math
import time

import numpy as np

NAME = "enumerate-2^20"
WHAT = ("log P(b) for all 2^20 binary b under a K=8 concept mixture: half tables and one matrix product vs a "
        "per-vector Python loop (and a vectorised numpy reference)")
EXTRA = None
REQUIRES = ()


def _naive(model, codes, n):
    """Per-vector loop: decode each code and multiply per-item probabilities concept by concept."""
    F = model.F.tolist()
    eps = model.eps.tolist()
    w = model.w.tolist()
    out = []
    for c in codes:
        b = [(int(c) >> (n - 1 - i)) & 1 for i in range(n)]
        total = 0.0
        for f, e, wk in zip(F, eps, w):
            p = wk
            for bi, fi in zip(b, f):
                p *= (1 - e) if bi == fi else e
            total += p
        out.append(math.log(total))
    return np.array(out)


def vectorised_reference(model) -> np.ndarray:
    """What a competent numpy user writes: every vector as a row of a ``(2^n, n)`` array, the
    agreements with each concept by two matrix products, then a ``logsumexp`` over concepts."""
    from scipy.special import logsumexp

    from theory.enumeration import all_behaviours

    B = all_behaviours(model.n, 2).astype(np.float32)
    F = model.F.astype(np.float32)
    a = B @ F.T + (1 - B) @ (1 - F).T                        # (2^n, K) agreement counts, exact in float32
    comp = model.log_w + a * model.log_hit + (model.n - a) * model.log_miss
    return logsumexp(comp, axis=1)


def run(quick: bool) -> dict:
    from theory.concept_mixture import ConceptMixture
    from coherence.benchmarks.timing import best_of

    n, K = 20, 8
    rng = np.random.default_rng(0)
    model = ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.05, 0.45, K), w=np.full(K, 1 / K))
    repeat = 2 if quick else 3
    ours = best_of(model.log_joint_all, repeat=repeat)
    full = model.log_joint_all()
    reference = best_of(lambda: vectorised_reference(model), repeat=repeat)
    ref_err = float(np.max(np.abs(vectorised_reference(model) - full)))
    subset = 2**10 if quick else 2**12
    codes = rng.choice(2**n, size=subset, replace=False)
    t0 = time.perf_counter()
    naive = _naive(model, codes, n)
    naive_t = time.perf_counter() - t0
    err = float(np.max(np.abs(naive - full[codes])))
    return {"ours": ours, "baseline": naive_t * (2**n / subset), "baseline_is": "naive per-labeling Python loop",
            "extrapolated": f"naive loop timed on a random subset of {subset} of the {2**n} vectors, "
                            f"scaled x{2**n // subset}",
            "reference": reference,
            "reference_is": "vectorised numpy: (2^n, n) array, agreements by matrix products, logsumexp",
            "params": {"n": n, "K": K, "vectors": 2**n, "max_abs_diff_nats": err,
                       "reference_max_abs_diff_nats": ref_err,
                       "ours_is": "theory.joint_table: per-concept half tables (2^10 each), "
                                  "one matrix product over concepts"}}
