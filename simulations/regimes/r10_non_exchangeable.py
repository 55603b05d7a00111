"""R10 non-exchangeable, order-sensitive in-context conditionals (recency, primacy and majority
bias, :class:`theory.InContextSimulator`): the conditionals come from no joint distribution, so
the Gibbs chain's stationary law differs from ``Q_1`` (total variation > 0, exact transition
matrix), coherence depends on the order of the prompt, and synchronous bootstrap can cycle.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from theory import InContextSimulator
from theory.codelength import order_averaged_coherence
from theory.enumeration import all_behaviours
from theory.statistics import rng_for

from .instance import Instance


def params(quick: bool) -> dict:
    return {"n": 6, "signal": 1.0, "xs": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0], "seeds": list(range(4 if quick else 12))}


def simulator(p: dict, x: float, seed: int):
    rng = rng_for(seed, 10)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    z = p["signal"] * (2 * truth - 1) / 2 + rng.normal(0, 1, n)
    logits = np.stack([-z, z], axis=1)
    S = np.where(truth[:, None] == truth[None, :], 0.8, 0.2)
    np.fill_diagonal(S, 1.0)
    sim = InContextSimulator(logits, S, beta=1.0, gamma=max(0.05, 1 - 0.45 * x), kappa=x, lam=x)
    return sim, truth


def instance(p: dict, x: float, seed: int) -> Instance:
    from theory.coordinate_ascent import bootstrap_sync
    from theory.markov import gibbs_matrix, stationary

    sim, truth = simulator(p, x, seed)
    E = Enumerated(sim)                              # fixed identity order
    q1 = np.exp(E.table - E.table.max())
    q1 /= q1.sum()
    pi = stationary(gibbs_matrix(sim, 1.0))
    tv = 0.5 * float(np.abs(pi - q1).sum())
    rng = rng_for(seed, 100)
    spread = float(order_averaged_coherence(sim, truth[None], n_orders=48, rng=rng).spread[0])
    B = all_behaviours(p["n"], 2)
    starts = B[rng.choice(B.shape[0], 16, replace=False)]
    cycles = np.mean([bootstrap_sync(sim, b, max_rounds=30)[1] > 1 for b in starts])
    return Instance(sim, truth, enumerated=E,
                    measures={"tv_gibbs_vs_q1": tv, "order_spread_nats": spread, "sync_bootstrap_cycle_rate": float(cycles)})
