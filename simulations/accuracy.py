"""Accuracy of every method on one instance: the exact decoders and the searches, compared.

An *instance* is a pretrained prior ``M``, a truth ``pi*`` (a behaviour vector), optional labels
``{item: label}`` (possibly noisy with flip rate ``eta``) and the items on which accuracy is
measured (by default the unlabelled ones). Accuracy is the fraction of those items where a
method's behaviour equals the truth; wherever a method's choice is an exact tie every tied
choice counts equally (a uniform tie-break computed exactly, :mod:`theory.decoders`).

Methods (same instance, same seed):

* ``exact``: ``argmax_b Coh(b) + log P(labels | b)`` by enumeration of ``Y^n`` (coherence
  optimisation done perfectly; with noiseless labels the labels are clamped);
* ``zero-shot``: per-item argmax of ``P_M(b_i | x_i)``;
* ``golden``: per-item argmax of ``P_M(b_i | x_i; all other items with their gold labels)``
  (in-context learning from golden labels: the supervised ceiling of the ICM paper);
* ``supervised``: the observed label on labelled items, zero-shot elsewhere;
* ``few-shot``: per-item argmax of ``P_M(b_i | x_i; labelled demos)``;
* any search of :data:`simulations.search.METHODS` with :data:`SEARCH_PARAMS` (``bootstrap``,
  ``gibbs``, ``annealed-gibbs``, ``icm``, ``icm-paper`` by default): its final behaviour vector.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.search import METHODS as SEARCHES, run_search
from theory.decoders import item_accuracy, item_ties, joint_accuracy
from theory.enumeration import all_behaviours
from theory.softmax import log_coherence_table

METHODS = ("exact", "zero-shot", "golden", "bootstrap", "gibbs", "annealed-gibbs", "icm", "icm-paper")
#: search parameters used in every experiment (kept small: the instances are small)
SEARCH_PARAMS = {
    "gibbs": {"sweeps": 30, "tau": 1.0},
    "annealed-gibbs": {"sweeps": 30},
    "bootstrap": {},
    "icm": {},
    "icm-paper": {},
}


def label_mask(B: np.ndarray, labels: dict) -> np.ndarray:
    """Rows of ``B`` that agree with every label."""
    if not labels:
        return np.ones(B.shape[0], dtype=bool)
    idx = np.fromiter(labels.keys(), dtype=np.int64)
    return np.all(B[:, idx] == np.fromiter(labels.values(), dtype=np.int64), axis=1)


def label_loglik(B: np.ndarray, labels: dict, eta: float, k: int = 2) -> np.ndarray:
    """``log P(labels | b)`` under symmetric flips at rate ``eta`` (``-inf`` off the labels when
    ``eta = 0``): shape ``(len(B),)``, nats."""
    if not labels:
        return np.zeros(B.shape[0])
    if eta <= 0:
        return np.where(label_mask(B, labels), 0.0, -np.inf)
    idx = np.fromiter(labels.keys(), dtype=np.int64)
    y = np.fromiter(labels.values(), dtype=np.int64)
    mism = (B[:, idx] != y).sum(axis=1)
    return (len(idx) - mism) * math.log1p(-eta) + mism * math.log(eta / (k - 1))


class Enumerated:
    """A prior's coherence table over ``Y^n`` and the behaviour array, computed once."""

    def __init__(self, prior, table=None):
        self.prior = prior
        self.B = all_behaviours(prior.n, prior.k)
        self.table = log_coherence_table(prior) if table is None else np.asarray(table, dtype=float)

    def scores(self, labels=None, eta: float = 0.0, constraint_mask=None) -> np.ndarray:
        s = self.table + label_loglik(self.B, labels or {}, eta, self.prior.k)
        if constraint_mask is not None:
            s = np.where(constraint_mask, s, -np.inf)
        return s

    def accuracy(self, truth, items, labels=None, eta: float = 0.0, constraint_mask=None) -> float:
        return joint_accuracy(self.B, self.scores(labels, eta, constraint_mask), truth, items)

    def posterior_marginals(self, labels=None, eta: float = 0.0) -> np.ndarray:
        """``P(b_i = 1 | labels)`` under the prior (binary): shape ``(n,)``."""
        s = self.scores(labels, eta)
        p = np.exp(s - s.max())
        p /= p.sum()
        return p @ self.B


def zero_shot_accuracy(prior, truth, items) -> float:
    """Per-item argmax of the zero-shot conditional, ties averaged."""
    return item_accuracy(item_ties(prior.log_zero_shot()), truth, items)


def golden_accuracy(prior, truth, items) -> float:
    """In-context learning from every other gold label: per-item argmax of the LOO conditional
    at the truth, ties averaged."""
    return item_accuracy(item_ties(prior.log_loo(np.asarray(truth)[None])[0]), truth, items)


def supervised_accuracy(prior, truth, items, labels: dict) -> float:
    """Plain supervised fitting without a regulariser: the observed label on labelled items,
    zero-shot elsewhere (items have no features to generalise from)."""
    ties = item_ties(prior.log_zero_shot())
    for i, y in labels.items():
        ties[i] = False
        ties[i, y] = True
    return item_accuracy(ties, truth, items)


def few_shot_accuracy(prior, truth, items, labels: dict) -> float:
    """Labels given in context: per-item argmax of ``P_M(b_i | x_i; labelled demos)``."""
    demos = np.fromiter(labels.keys(), dtype=np.int64) if labels else np.zeros(0, dtype=np.int64)
    b = np.zeros((1, prior.n), dtype=np.int64)
    if labels:
        b[0, demos] = np.fromiter(labels.values(), dtype=np.int64)
    acc = []
    for i in items:
        if i in labels:
            acc.append(float(labels[i] == truth[i]))
            continue
        ties = item_ties(prior.log_conditional(b, int(i), demos)[0][None])
        acc.append(item_accuracy(ties, [truth[i]]))
    return float(np.mean(acc)) if acc else float("nan")


def search_behaviours(method: str, prior, labels: dict, seed: int, constraints=None, **params) -> np.ndarray:
    """Final behaviour vector of one search (``simulations.search.run_search``)."""
    kw = dict(SEARCH_PARAMS.get(method, {}))
    kw.update(params)
    res = run_search(method, prior, labels=dict(labels) if labels else None, constraints=constraints,
                     seed=int(seed), **kw)
    return np.asarray(res.behaviours)


def compare_methods(prior, truth, *, labels=None, eta: float = 0.0, seed: int = 0, items=None,
                    methods=METHODS, enumerated: Enumerated | None = None, constraints=None,
                    constraint_mask=None) -> dict:
    """Accuracy of every method on one instance: ``{method: accuracy on items}``.

    ``labels`` are the (possibly noisy) observed labels; searches clamp them. ``items`` defaults
    to the unlabelled items. An unknown method name raises ``ValueError``.
    """
    labels = {int(i): int(y) for i, y in (labels or {}).items()}
    truth = np.asarray(truth, dtype=np.int64)
    if items is None:
        items = np.array([i for i in range(prior.n) if i not in labels], dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    out = {}
    for m in methods:
        if m == "exact":
            E = enumerated if enumerated is not None else Enumerated(prior)
            out[m] = E.accuracy(truth, items, labels, eta, constraint_mask)
        elif m == "zero-shot":
            out[m] = zero_shot_accuracy(prior, truth, items)
        elif m == "golden":
            out[m] = golden_accuracy(prior, truth, items)
        elif m == "supervised":
            out[m] = supervised_accuracy(prior, truth, items, labels)
        elif m == "few-shot":
            out[m] = few_shot_accuracy(prior, truth, items, labels)
        elif m in SEARCHES:
            if len(labels) == prior.n:       # nothing left to search: every item is clamped
                b = np.array([labels[i] for i in range(prior.n)], dtype=np.int64)
            else:
                b = search_behaviours(m, prior, labels, seed, constraints=constraints)
            out[m] = float((b[items] == truth[items]).mean())
        else:
            raise ValueError(f"unknown method {m!r}; accepted: exact, zero-shot, golden, supervised, few-shot "
                             f"or a search of simulations.search.METHODS")
    return out
