"""Random priors of every family for property tests (built from a seed so hypothesis can shrink)."""
from __future__ import annotations

import numpy as np

from theory import (ConceptMixture, DirichletMultinomial, InContextSimulator, ProbitGP, TablePrior,
                    rbf_kernel)


def concept_mixture(seed: int, n: int, k: int = 2, K: int = 3) -> ConceptMixture:
    rng = np.random.default_rng(seed)
    return ConceptMixture(F=rng.integers(0, k, (K, n)), eps=rng.uniform(0.02, 0.6, K),
                          w=rng.dirichlet(np.ones(K)), k=k)


def dirichlet_multinomial(seed: int, n: int, k: int = 2, C: int = 2) -> DirichletMultinomial:
    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, C, n)
    return DirichletMultinomial(clusters, rng.uniform(0.2, 3.0, (clusters.max() + 1, k)), k=k)


def table(seed: int, n: int, k: int = 2) -> TablePrior:
    return TablePrior.random(np.random.default_rng(seed), n, k, concentration=0.7)


def probit(seed: int, n: int) -> ProbitGP:
    rng = np.random.default_rng(seed)
    return ProbitGP(rng.normal(0, 0.5, n), rbf_kernel(rng.uniform(0, 3, n), 1.0, 1.0, jitter=0.1))


def simulator(seed: int, n: int, k: int = 2) -> InContextSimulator:
    return InContextSimulator.random(np.random.default_rng(seed), n, k, beta=1.5, gamma=0.7, kappa=0.6, lam=0.8)


#: exchangeable (joint) families, as factories (seed, n, k) -> prior
JOINT_FAMILIES = {
    "concept_mixture": lambda s, n, k: concept_mixture(s, n, k),
    "dirichlet_multinomial": lambda s, n, k: dirichlet_multinomial(s, n, k),
    "table": lambda s, n, k: table(s, n, k),
}
ALL_FAMILIES = dict(JOINT_FAMILIES, simulator=lambda s, n, k: simulator(s, n, k))
