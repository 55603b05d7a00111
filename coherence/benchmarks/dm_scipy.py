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
        "3 clusters): count lookup tables vs scipy dirichlet_multinomial.logpmf at its fastest (vectorised)")
EXTRA = None          # scipy is a base dependency
REQUIRES = ("scipy",)


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
    from importlib.metadata import version

    from coherence.benchmarks.timing import peer_row, sweep_configs
    from theory.dirichlet_multinomial import DirichletMultinomial

    n, k, C = 30, 3, 3
    rng = np.random.default_rng(0)
    clusters = np.concatenate([np.arange(C), rng.integers(0, C, n - C)])   # every cluster non-empty
    model = DirichletMultinomial(clusters, rng.uniform(0.3, 3.0, (C, k)), k=k)
    size = 2_000 if quick else 10_000
    B = model.sample(rng, size)
    repeat = 3 if quick else 5
    t_ours = sweep_configs({"ours": lambda: model.log_joint(B)}, repeat)[1]["ours"]
    configs = {"vectorised": lambda: scipy_log_marginal_vectorised(model, B),
               "per-vector": lambda: [scipy_log_marginal(model, b) for b in B]}
    best, times = sweep_configs(configs, {"vectorised": repeat, "per-vector": 1})
    mine = model.log_joint(B)
    diff_loop = float(np.max(np.abs(mine - np.array([scipy_log_marginal(model, b) for b in B]))))
    diff_vec = float(np.max(np.abs(mine - scipy_log_marginal_vectorised(model, B))))
    if max(diff_loop, diff_vec) > 1e-9:
        raise AssertionError(f"dm-vs-scipy: log marginals disagree by {max(diff_loop, diff_vec):.3g} nats")
    return peer_row(t_ours, f"scipy {version('scipy')}", best, times, {"max_abs_diff_nats": max(diff_loop, diff_vec)},
                    "scipy dirichlet_multinomial.logpmf", n=n, k=k, clusters=C, vectors=size,
                    config_is={"vectorised": "one logpmf call per cluster over all vectors at once",
                               "per-vector": "one logpmf call per vector and cluster"},
                    ours_is="one bincount of (row, cluster, behaviour) codes, then a lookup table of "
                            "lnGamma(alpha + m) - lnGamma(alpha) for m = 0..n")
