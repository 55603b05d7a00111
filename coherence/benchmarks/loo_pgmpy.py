"""loo-vs-pgmpy: all leave-one-out conditionals of a concept mixture, closed form vs pgmpy.

The concept mixture is the Bayesian network ``c -> b_0, ..., b_{n-1}`` with ``P(c = j) = w_j``
and ``P(b_i = y | c = j) = 1 - eps_j`` if ``y = f_j(x_i)``, else ``eps_j / (k - 1)``. Noisy
labels ``o_i`` (``P(o_i = y | b_i) = 1 - eta`` if ``y = b_i``, else ``eta / (k - 1)``) are
optional children of the labelled ``b_i``. pgmpy's variable elimination answers every query on
that network by summing out factors, without knowing the closed forms in
:mod:`theory.concept_mixture`.
"""
from __future__ import annotations

import numpy as np

NAME = "loo-vs-pgmpy"
EXTRA = "peers"
REQUIRES = ("pgmpy",)
WHAT = ("all n leave-one-out conditionals of one behaviour vector (n=12, K=4 concept mixture): "
        "closed form O(nKk) vs one pgmpy variable-elimination query per item, best of 6 elimination orders")

#: pgmpy's elimination-order choices (the ``query`` default is ``"greedy"``, opt_einsum's greedy
#: contraction) plus the explicit optimum for this network: eliminate the concept ``c`` alone
ELIMINATION_ORDERS = ("greedy", "MinFill", "MinNeighbors", "MinWeight", "WeightedMinFill", "explicit ['c']")


def elimination_order(name: str, eliminated=("c",)):
    """The ``elimination_order`` argument for one of :data:`ELIMINATION_ORDERS`."""
    return list(eliminated) if name.startswith("explicit") else name


def item(i: int) -> str:
    return f"b{i}"


def observation(i: int) -> str:
    return f"o{i}"


def _noisy_copy(k: int, source, eps) -> np.ndarray:
    """CPD table ``(k, len(source))``: column ``j`` puts ``1 - eps_j`` on ``source_j``, the rest evenly."""
    source = np.asarray(source)
    eps = np.broadcast_to(np.asarray(eps, dtype=float), source.shape)
    table = np.tile(eps / (k - 1), (k, 1))
    table[source, np.arange(source.size)] = 1.0 - eps
    return table


def mixture_network(model, observed=(), eta: float = 0.0):
    """The concept mixture ``model`` as a pgmpy ``DiscreteBayesianNetwork``.

    ``observed``: items that get a noisy-label child ``o_i`` with symmetric noise ``eta`` in (0, 1).
    """
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    K, k = model.K, model.k
    edges = [("c", item(i)) for i in range(model.n)] + [(item(i), observation(i)) for i in observed]
    net = DiscreteBayesianNetwork(edges)
    cpds = [TabularCPD("c", K, model.w.reshape(K, 1))]
    cpds += [TabularCPD(item(i), k, _noisy_copy(k, model.F[:, i], model.eps), evidence=["c"], evidence_card=[K])
             for i in range(model.n)]
    cpds += [TabularCPD(observation(i), k, _noisy_copy(k, np.arange(k), eta), evidence=[item(i)], evidence_card=[k])
             for i in observed]
    net.add_cpds(*cpds)
    net.check_model()
    return net


def pgmpy_loo(inference, b, elimination_order="greedy") -> np.ndarray:
    """``P(b_i = y | b_{-i})`` for every ``i``, one variable-elimination query each: ``(n, k)``."""
    n = len(b)
    out = []
    for i in range(n):
        evidence = {item(j): int(b[j]) for j in range(n) if j != i}
        f = inference.query([item(i)], evidence=evidence, elimination_order=elimination_order,
                            show_progress=False)
        out.append(f.values)
    return np.array(out)


def run(quick: bool) -> dict:
    from importlib.metadata import version

    from pgmpy.inference import VariableElimination

    from coherence.benchmarks.timing import best_of, peer_row, sweep_configs
    from theory.concept_mixture import ConceptMixture

    n, K = 12, 4
    rng = np.random.default_rng(0)
    model = ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.05, 0.45, K), w=rng.dirichlet(np.ones(K)))
    b = model.sample(rng, 1)[0]
    inference = VariableElimination(mixture_network(model))
    repeat = 2 if quick else 5
    ours = best_of(lambda: model.log_loo(b[None]), repeat=repeat)
    configs = {o: (lambda o=o: pgmpy_loo(inference, b, elimination_order(o))) for o in ELIMINATION_ORDERS}
    best, times = sweep_configs(configs, repeat)
    mine = np.exp(model.log_loo(b[None])[0])
    diff = max(float(np.max(np.abs(mine - pgmpy_loo(inference, b, elimination_order(o))))) for o in ELIMINATION_ORDERS)
    if diff > 1e-10:
        raise AssertionError(f"loo-vs-pgmpy: conditionals disagree by {diff:.3g}")
    return peer_row(ours, f"pgmpy {version('pgmpy')}", best, times, {"max_abs_diff_prob": diff},
                    "pgmpy VariableElimination, one query per item, elimination_order", n=n, K=K, k=2, queries=n,
                    agreement_over="every elimination order")
