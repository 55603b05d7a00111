"""R10 non-exchangeable, order-sensitive in-context conditionals (recency, primacy and majority
bias, :class:`theory.InContextSimulator`): the conditionals come from no joint distribution, so
the Gibbs chain's stationary law differs from ``Q_1`` (total variation > 0, exact transition
matrix), coherence depends on the order of the prompt, and synchronous bootstrap can cycle.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`):
the figure sweeps the bias strength of one simulator design across seeds (:func:`params`,
:func:`instance`); the check (``C5.R10.non-exchangeable``) measures random biased simulators
(:func:`random_simulator`) and hunts for a bootstrap cycle (:func:`check_params`,
:func:`check_simulators`). Both call the chain's target missed when the total variation exceeds
:data:`TV_FLOOR`.
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from theory import InContextSimulator
from theory.codelength import order_averaged_coherence
from theory.enumeration import all_behaviours
from theory.statistics import rng_for

from .instance import Instance

#: total variation between the Gibbs chain's stationary law and ``Q_1`` above which the chain no
#: longer targets ``Q_1`` (the check's tolerance and the figure's verdict)
TV_FLOOR = 1e-3
#: the recency (``gamma``), primacy (``kappa``) and majority (``lam``) biases and demonstration
#: strength (``beta``) of :func:`random_simulator`
RANDOM_BIASES = {"beta": 1.5, "gamma": 0.7, "kappa": 0.6, "lam": 0.8}


def random_simulator(seed: int, n: int, k: int = 2) -> InContextSimulator:
    """A non-exchangeable in-context learner with recency, primacy and majority bias
    (:data:`RANDOM_BIASES`), random logits and similarities from ``default_rng(seed)``. The C1
    and identity checks draw the same family (:mod:`proofs_check.families`)."""
    return InContextSimulator.random(np.random.default_rng(seed), n, k, **RANDOM_BIASES)


def check_params(quick: bool) -> dict:
    """The check's settings: ``n`` items, one :func:`random_simulator` per seed of ``seeds``, tempered
    Gibbs at ``tau``; the cycle hunt over simulators of ``hunt_items`` items (``hunt_examples``
    hypothesis examples), sequential bootstrap for at most ``max_sweeps`` sweeps from every start."""
    return {"n": 5, "seeds": list(range(2 if quick else 5)), "tau": 1.0, "hunt_items": (2, 4),
            "hunt_examples": 400 if quick else 1000, "max_sweeps": 30}


def check_simulators(p: dict) -> list:
    """The check's simulators (``p`` from :func:`check_params`)."""
    return [random_simulator(seed, p["n"]) for seed in p["seeds"]]


def params(quick: bool) -> dict:
    return {"n": 6, "signal": 1.0, "xs": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0],
            "seeds": list(range(4 if quick else 12))}


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
                    measures={"tv_gibbs_vs_q1": tv, "order_spread_nats": spread,
                              "sync_bootstrap_cycle_rate": float(cycles)})
