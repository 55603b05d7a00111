"""``P*``, the fixed task distribution of claim C3 (docs/theory.md): four random concepts over
``n`` binary items with noise 0.05, 0.1, 0.2, 0.3 and weights 0.4, 0.3, 0.2, 0.1.

Defined once here, below the checks, because two readers draw tasks ``pi* ~ P*`` from it: the C3
checks (:mod:`proofs_check.c3_optimality`) and the check of regime R13
(:mod:`simulations.regimes.r13_many_labels`).
"""
from __future__ import annotations

import numpy as np

from theory import ConceptMixture


def task_prior(n: int) -> ConceptMixture:
    """``P*``: four concepts (random maps from ``default_rng(0)``) with noise 0.05..0.3 and weights 0.4..0.1."""
    rng = np.random.default_rng(0)
    return ConceptMixture(F=rng.integers(0, 2, (4, n)), eps=[0.05, 0.1, 0.2, 0.3], w=[0.4, 0.3, 0.2, 0.1],
                          names=("c0", "c1", "c2", "c3"))
