"""dm-vs-scipy: Dirichlet-multinomial coherence of many behaviour vectors, ours vs scipy.

scipy's ``dirichlet_multinomial.logpmf(x, alpha, m)`` is the probability of the *count vector*
``x``; the probability of one particular sequence with those counts (what ``Coh(b)`` is) is that
minus the log multinomial coefficient ``ln m! - sum_y ln x_y!``, summed over clusters.
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammaln

NAME = "dm-vs-scipy"
WHAT = ("log P(b) for 10^4 behaviour vectors under a Dirichlet-multinomial prior (n=30, k=3, "
        "3 clusters): vectorised closed form vs scipy dirichlet_multinomial.logpmf per vector")


def scipy_log_marginal(model, b, items=None) -> float:
    """``log P(b_A)`` (``A = items``, default all) of one sequence from scipy's count-vector pmf,
    cluster by cluster (nats); clusters with no item in ``A`` contribute 0."""
    from scipy.stats import dirichlet_multinomial

    A = np.arange(model.n) if items is None else np.asarray(items, dtype=np.int64)
    total = 0.0
    for c in range(model.C):
        x = np.bincount(b[A][model.clusters[A] == c], minlength=model.k)
        m = int(x.sum())
        if m == 0:
            continue
        total += float(dirichlet_multinomial.logpmf(x, model.alpha[c], m)) - (gammaln(m + 1) - gammaln(x + 1).sum())
    return total


def scipy_log_marginal_vectorised(model, B) -> np.ndarray:
    """The same for a batch ``B`` (rows), one scipy call per cluster."""
    from scipy.stats import dirichlet_multinomial

    total = np.zeros(B.shape[0])
    for c in range(model.C):
        sub = B[:, model.clusters == c]
        x = np.stack([(sub == y).sum(axis=1) for y in range(model.k)], axis=1)
        m = sub.shape[1]
        total += dirichlet_multinomial.logpmf(x, model.alpha[c], m) - (gammaln(m + 1) - gammaln(x + 1).sum(axis=1))
    return total


def run(quick: bool) -> dict:
    import time
    from importlib.metadata import version

    from coherence.bench import best_of
    from theory.dirichlet_multinomial import DirichletMultinomial

    n, k, C = 30, 3, 3
    rng = np.random.default_rng(0)
    clusters = np.concatenate([np.arange(C), rng.integers(0, C, n - C)])   # every cluster non-empty
    model = DirichletMultinomial(clusters, rng.uniform(0.3, 3.0, (C, k)), k=k)
    size = 2_000 if quick else 10_000
    B = model.sample(rng, size)
    repeat = 2 if quick else 3
    ours = best_of(lambda: model.log_joint(B), repeat=repeat)
    t0 = time.perf_counter()
    loop = np.array([scipy_log_marginal(model, b) for b in B])
    peer = time.perf_counter() - t0
    vectorised = best_of(lambda: scipy_log_marginal_vectorised(model, B), repeat=repeat)
    mine = model.log_joint(B)
    diff = float(np.max(np.abs(mine - loop)))
    diff_vec = float(np.max(np.abs(mine - scipy_log_marginal_vectorised(model, B))))
    if max(diff, diff_vec) > 1e-9:
        raise AssertionError(f"dm-vs-scipy: log marginals disagree by {max(diff, diff_vec):.3g} nats")
    return {"ours": ours, "baseline": peer,
            "baseline_is": f"scipy {version('scipy')} dirichlet_multinomial.logpmf, one call per vector and cluster",
            "params": {"n": n, "k": k, "clusters": C, "vectors": size, "max_abs_diff_nats": diff,
                       "scipy_vectorised_s": vectorised, "ratio_vs_scipy_vectorised": vectorised / ours,
                       "max_abs_diff_vectorised_nats": diff_vec}}
