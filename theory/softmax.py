"""The softmax over coherence ``Q_tau(b) = exp(Coh(b) / tau) / Z_tau`` on an enumerable ``Y^n``.

For a fixed order with normalised conditionals the chain rule gives ``Z_1 = 1``; for the order
average ``E_s Coh_s`` Jensen gives ``Z_1 <= 1``, the gap measuring non-exchangeability.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from . import validation as V
from .enumeration import all_behaviours


def log_coherence_table(prior, order=None, n_orders: int | None = None, rng=None) -> np.ndarray:
    """``Coh(b)`` in nats for every ``b`` in code order: shape ``(k^n,)``.

    ``order``: None (identity), a permutation, or ``"average"`` for ``E_s Coh_s`` (exact over all
    orders for ``n! <= 5040``, else Monte Carlo over ``n_orders`` random orders).
    """
    V.enumerable(prior.n, prior.k)
    if isinstance(order, str):
        if order != "average":
            raise ValueError(f"order must be None, a permutation or 'average', got {order!r}")
        from .codelength import order_averaged_coherence

        return order_averaged_coherence(prior, all_behaviours(prior.n, prior.k), n_orders, rng).mean
    if order is None and hasattr(prior, "log_joint_all"):
        return prior.log_joint_all()
    return prior.log_joint(all_behaviours(prior.n, prior.k), order)


def _tau(tau) -> float:
    return float(V.positive("tau", tau))


def log_partition(prior=None, tau: float = 1.0, order=None, table=None) -> float:
    """``log Z_tau = log sum_b exp(Coh(b) / tau)`` (nats); pass ``table`` to reuse a coherence table."""
    t = log_coherence_table(prior, order) if table is None else np.asarray(table, dtype=float)
    return float(logsumexp(t / _tau(tau)))


def log_softmax_coherence(prior=None, tau: float = 1.0, order=None, table=None) -> np.ndarray:
    """``log Q_tau(b)`` for every ``b`` in code order (nats), shape ``(k^n,)``."""
    t = log_coherence_table(prior, order) if table is None else np.asarray(table, dtype=float)
    scaled = t / _tau(tau)
    return scaled - logsumexp(scaled)
