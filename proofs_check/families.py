"""Random priors for the numeric checks, and hypothesis strategies for counterexample hunts.

The strategies draw small, readable parameters (a few items, a few concepts, noise rates from a
coarse grid, integer weights) so that a shrunk counterexample is something a reader can check by
hand; :func:`describe` turns a prior into the JSON ``counterexample`` field.
"""
from __future__ import annotations

import numpy as np

# the random non-exchangeable in-context learner is defined with the regime it exhibits (R10) and
# drawn from here by the C1 and identity checks
from simulations.regimes.r10_non_exchangeable import random_simulator  # noqa: F401
from theory import ConceptMixture, DirichletMultinomial, InContextSimulator, TablePrior

EPS_GRID = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4)


def random_joint_priors(seed: int, n: int, k: int = 2) -> dict:
    """One prior of each exchangeable family (concept mixture, Dirichlet-multinomial, table)."""
    rng = np.random.default_rng(seed)
    K = 3
    cm = ConceptMixture(F=rng.integers(0, k, (K, n)), eps=rng.uniform(0.02, 0.6, K) * (k - 1) / k,
                        w=rng.dirichlet(np.ones(K)), k=k)
    clusters = rng.integers(0, 2, n)
    dm = DirichletMultinomial(clusters, rng.uniform(0.2, 3.0, (clusters.max() + 1, k)), k=k)
    tab = TablePrior.random(rng, n, k, concentration=0.7)
    return {"concept_mixture": cm, "dirichlet_multinomial": dm, "table": tab}




def describe(prior) -> dict:
    """A JSON-able description of a prior (its defining parameters)."""
    if isinstance(prior, ConceptMixture):
        return {"family": "ConceptMixture", "F": prior.F.tolist(), "eps": prior.eps.tolist(),
                "w": prior.w.round(6).tolist(), "names": list(prior.names)}
    if isinstance(prior, InContextSimulator):
        return {"family": "InContextSimulator", "zero_shot_logits": prior.zero_shot_logits.round(4).tolist(),
                "similarity": prior.similarity.round(4).tolist(), "beta": prior.beta, "gamma": prior.gamma,
                "kappa": prior.kappa, "lam": prior.lam}
    if isinstance(prior, DirichletMultinomial):
        return {"family": "DirichletMultinomial", "clusters": prior.clusters.tolist(), "alpha": prior.alpha.tolist()}
    return {"family": type(prior).__name__, "n": prior.n, "k": prior.k}


# -- hypothesis strategies (imported lazily: hypothesis is a test extra) ------------------------

def concept_mixture_strategy(n_min: int = 2, n_max: int = 5, K_max: int = 3):
    """Binary concept mixtures with ``n`` items, ``K`` concepts, grid noise and integer weights."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        n = draw(st.integers(n_min, n_max))
        K = draw(st.integers(1, K_max))
        F = [draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)) for _ in range(K)]
        eps = [draw(st.sampled_from(EPS_GRID)) for _ in range(K)]
        w = np.array([draw(st.integers(1, 9)) for _ in range(K)], dtype=float)
        return ConceptMixture(F=np.array(F), eps=eps, w=w / w.sum())

    return build()


def simulator_strategy(n_min: int = 2, n_max: int = 4):
    """Small in-context simulators: integer logits, similarities in {-1, 0, 1} (a negative similarity is a
    contrastive demonstration effect), grid bias parameters (primacy may be negative)."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        n = draw(st.integers(n_min, n_max))
        logits = [[0.0, float(draw(st.integers(-2, 2)))] for _ in range(n)]
        S = np.array([[float(draw(st.integers(-1, 1))) for _ in range(n)] for _ in range(n)])
        S = np.triu(S, 1)
        S = S + S.T + np.eye(n)
        return InContextSimulator(np.array(logits), S, beta=float(draw(st.sampled_from((0.5, 1.0, 2.0, 3.0)))),
                                  gamma=float(draw(st.sampled_from((0.5, 1.0)))),
                                  kappa=float(draw(st.sampled_from((0.0, 1.0, 2.0, -1.0)))),
                                  lam=float(draw(st.sampled_from((0.0, 1.0, 2.0)))))

    return build()
