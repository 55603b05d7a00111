"""Exact information quantities between enumerable priors (nats).

``E_{pi ~ P*}[-ln Q(pi)] = H(P*) + KL(P* || Q)``: the expected description length of the truth
under a regularizer ``Q`` exceeds the entropy of the task distribution by exactly the KL gap.
"""
from __future__ import annotations

import numpy as np

from .softmax import log_coherence_table


def _table(p) -> np.ndarray:
    if isinstance(p, np.ndarray):
        return p.astype(float)
    return log_coherence_table(p)


def entropy(p) -> float:
    """``H(P) = -sum_b P(b) ln P(b)`` (nats); ``p`` a prior or a log-table over ``Y^n``."""
    lp = _table(p)
    mass = np.exp(lp)
    return float(-np.sum(np.where(mass > 0, mass * lp, 0.0)))


def cross_entropy(p, q) -> float:
    """``E_{b ~ P}[-ln Q(b)]`` (nats): ``inf`` when ``Q`` misses mass of ``P``."""
    lp, lq = _table(p), _table(q)
    if lp.shape != lq.shape:
        raise ValueError(f"p and q must be over the same space, got {lp.shape} and {lq.shape}")
    mass = np.exp(lp)
    support = mass > 0
    if np.any(np.isneginf(lq[support])):
        return float("inf")
    return float(-np.sum(mass[support] * lq[support]))


def kl_divergence(p, q) -> float:
    """``KL(P || Q) = sum_b P(b) (ln P(b) - ln Q(b))`` (nats), exact by enumeration."""
    return cross_entropy(p, q) - entropy(p)
