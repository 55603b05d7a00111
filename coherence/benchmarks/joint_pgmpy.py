"""joint-vs-pgmpy: the full joint table over ``Y^n`` for k = 3 behaviours, ours vs pgmpy.

The concept mixture (``K = 4``, ``n = 10``, ``k = 3``: ``3^10 = 59049`` entries) is the network
of :func:`coherence.benchmarks.loo_pgmpy.mixture_network`. pgmpy answers the joint query
``P(b_0, ..., b_{n-1})`` by multiplying the CPD factors and summing out the concept; ours
(:func:`theory.joint_table.product_mixture_log_table`) forms the per-concept products over two
halves of the items and contracts the concepts in one matrix product. pgmpy returns
probabilities and ours log-probabilities (the logarithm is timed on our side only).
"""
from __future__ import annotations

import numpy as np

from .loo_pgmpy import ELIMINATION_ORDERS, elimination_order, item, mixture_network

NAME = "joint-vs-pgmpy"
EXTRA = "peers"
REQUIRES = ("pgmpy",)
WHAT = ("full joint table log P(b) over 3^10 behaviour vectors (k=3, K=4 concept mixture): per-concept "
        "half tables and one matrix product vs pgmpy's joint query, best of 6 elimination orders")


def pgmpy_joint(inference, n: int, order="greedy") -> np.ndarray:
    """``P(b)`` for every ``b`` in code order (item 0 most significant): ``(k^n,)``."""
    f = inference.query([item(i) for i in range(n)], joint=True, elimination_order=order, show_progress=False)
    return np.transpose(f.values, [f.variables.index(item(i)) for i in range(n)]).reshape(-1)


def run(quick: bool) -> dict:
    from importlib.metadata import version

    from pgmpy.inference import VariableElimination

    from coherence.benchmarks.timing import best_of, peer_row, sweep_configs
    from theory.concept_mixture import ConceptMixture

    n, K, k = 10, 4, 3
    rng = np.random.default_rng(0)
    model = ConceptMixture(F=rng.integers(0, k, (K, n)), eps=rng.uniform(0.05, 0.45, K),
                           w=rng.dirichlet(np.ones(K)), k=k)
    inference = VariableElimination(mixture_network(model))
    repeat = 3 if quick else 7
    ours = best_of(model.log_joint_all, repeat=repeat)
    configs = {o: (lambda o=o: pgmpy_joint(inference, n, elimination_order(o))) for o in ELIMINATION_ORDERS}
    best, times = sweep_configs(configs, repeat)
    mine = model.log_joint_all()
    diff = max(float(np.max(np.abs(mine - np.log(pgmpy_joint(inference, n, elimination_order(o))))))
               for o in ELIMINATION_ORDERS)
    if diff > 1e-10:
        raise AssertionError(f"joint-vs-pgmpy: log joint tables disagree by {diff:.3g} nats")
    return peer_row(ours, f"pgmpy {version('pgmpy')}", best, times, {"max_abs_diff_log_prob": diff},
                    "pgmpy VariableElimination joint query, elimination_order", n=n, K=K, k=k, entries=k**n,
                    timed="pgmpy: the query (probabilities); ours: the table and its logarithm",
                    agreement_over="every elimination order")
