"""ICM's arithmetic-verification task (docs/theory.md C1, ICM bullet; C5 R6): ``problems``
problems with ``candidates`` candidate answers each, exactly one of them correct (True), and a
``contradiction`` constraint between every two candidates of one problem (at most one True per
problem), so ``I(b)`` counts the problems' pairs labelled True together.

Defined once here, below the checks, because two readers build it: the check of regime R6
(:mod:`simulations.regimes.r06_degenerate`) and the C1 consistency check
(:mod:`proofs_check.consistency`).
"""
from __future__ import annotations

import numpy as np

from simulations.search.constraints import Constraints, from_groups


def arithmetic_task(seed: int, problems: int, candidates: int) -> tuple[np.ndarray, np.ndarray, Constraints]:
    """The truth ``(problems * candidates,)`` (one True per problem, its position drawn from
    ``default_rng(seed)``), the problem id of each item, and the ``contradiction`` constraints."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(problems), candidates)
    truth = np.zeros(problems * candidates, dtype=np.int64)
    truth[np.arange(problems) * candidates + rng.integers(0, candidates, problems)] = 1
    return truth, group, from_groups(group, "contradiction")
