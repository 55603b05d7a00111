"""What every experiment shares: the methods compared on one instance, their accuracies, and
confidence intervals across seeds.

An *instance* is a pretrained prior ``M``, a truth ``pi*`` (a behaviour vector), optional labels
``{item: label}`` (possibly noisy with flip rate ``eta``) and the items on which accuracy is
measured (by default the unlabelled ones). Accuracy is the fraction of those items where a
method's behaviour equals the truth; for the exact decoder every tied maximiser counts equally
(a uniform tie-break, computed exactly rather than sampled).

Methods (same instance, same seed):

* ``exact``: ``argmax_b Coh(b) + log P(labels | b)`` by enumeration of ``Y^n`` (coherence
  optimisation done perfectly; with noiseless labels the labels are clamped);
* ``zero-shot``: per-item argmax of ``P_M(b_i | x_i)`` (ties count 1/2);
* ``golden``: per-item argmax of ``P_M(b_i | x_i; all other items with their gold labels)``
  (in-context learning from golden labels: the supervised ceiling of the ICM paper);
* ``bootstrap``: sequential leave-one-out argmax from the zero-shot answers to a fixed point;
* ``gibbs``: Gibbs sampling at ``tau = 1`` with leave-one-out conditionals (the final state);
* ``icm``: ICM as in the released code (signed leave-one-out log-odds);
* ``icm-paper``: ICM as in the paper (sum of leave-one-out log-probabilities).

The searches run through :func:`simulations.search.run_search`.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from simulations.search import METHODS as SEARCHES, run_search
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
LABELS = {
    "exact": "exact coherence argmax",
    "zero-shot": "zero-shot",
    "golden": "golden labels (in context)",
    "bootstrap": "bootstrap",
    "gibbs": "Gibbs (tau = 1)",
    "annealed-gibbs": "annealed Gibbs",
    "icm": "ICM (released code)",
    "icm-paper": "ICM (paper)",
    "few-shot": "labels in context",
    "supervised": "supervised (labels + zero-shot)",
}

# Okabe-Ito palette (colour-blind safe), one fixed colour per method across all figures
OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
COLOURS = {"exact": "#000000", "zero-shot": "#E69F00", "golden": "#999999", "bootstrap": "#009E73",
           "gibbs": "#0072B2", "annealed-gibbs": "#56B4E9", "icm": "#D55E00", "icm-paper": "#CC79A7", "few-shot": "#F0E442", "supervised": "#8C510A"}
MARKERS = {"exact": "o", "zero-shot": "s", "golden": "D", "bootstrap": "^", "gibbs": "v", "annealed-gibbs": "<", "icm": "P",
           "icm-paper": "X", "few-shot": "*", "supervised": "h"}


# -- exact decoders ----------------------------------------------------------------------------

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


def tie_set(scores: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
    """Indices of every maximiser of ``scores`` (relative tolerance)."""
    best = scores.max()
    return np.flatnonzero(scores >= best - rtol * max(1.0, abs(best)))


def decode_accuracy(B: np.ndarray, scores: np.ndarray, truth, items) -> float:
    """Accuracy on ``items`` of ``argmax scores``, averaged over tied maximisers."""
    top = tie_set(scores)
    return float((B[top][:, items] == np.asarray(truth)[items]).mean())


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
        return decode_accuracy(self.B, self.scores(labels, eta, constraint_mask), truth, items)

    def posterior_marginals(self, labels=None, eta: float = 0.0) -> np.ndarray:
        """``P(b_i = 1 | labels)`` under the prior (binary): shape ``(n,)``."""
        s = self.scores(labels, eta)
        p = np.exp(s - s.max())
        p /= p.sum()
        return p @ self.B


def zero_shot_accuracy(prior, truth, items) -> float:
    zs = prior.log_zero_shot()
    truth = np.asarray(truth)
    tie = np.abs(zs.max(axis=1) - np.sort(zs, axis=1)[:, -2]) < 1e-12
    acc = np.where(tie, 1.0 / prior.k, (zs.argmax(axis=1) == truth).astype(float))
    return float(acc[items].mean())


def golden_accuracy(prior, truth, items) -> float:
    """In-context learning from every other gold label: per-item argmax of the LOO conditional
    at the truth (ties count 1/k)."""
    L = prior.log_loo(np.asarray(truth)[None])[0]
    top = L.max(axis=1)
    n_top = (L >= top[:, None] - 1e-12).sum(axis=1)
    hit = L[np.arange(prior.n), truth] >= top - 1e-12
    acc = np.where(hit, 1.0 / n_top, 0.0)
    return float(acc[items].mean())


def supervised_accuracy(prior, truth, items, labels: dict) -> float:
    """Plain supervised fitting without a regulariser: the observed label on labelled items,
    zero-shot elsewhere (items have no features to generalise from)."""
    zs = prior.log_zero_shot()
    b = zs.argmax(axis=1)
    tie = np.abs(zs[:, 1] - zs[:, 0]) < 1e-12 if prior.k == 2 else np.zeros(prior.n, dtype=bool)
    acc = np.where(tie, 0.5, (b == truth).astype(float))
    for i, y in labels.items():
        acc[i] = float(y == truth[i])
    return float(acc[items].mean())


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
        lc = prior.log_conditional(b, int(i), demos)[0]
        top = np.flatnonzero(lc >= lc.max() - 1e-12)
        acc.append(float(truth[i] in top) / len(top))
    return float(np.mean(acc)) if acc else float("nan")


# -- searches --------------------------------------------------------------------------------

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


# -- statistics over seeds -------------------------------------------------------------------

def mean_ci(values, level: float = 0.95, bounds=None) -> dict:
    """Mean and Student-t confidence interval across seeds: ``{mean, lo, hi, n}``; ``bounds``
    ``(low, high)`` clips the interval to the quantity's range (e.g. accuracies in [0, 1])."""
    v = np.asarray([x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))], dtype=float)
    if v.size == 0:
        return {"mean": None, "lo": None, "hi": None, "n": 0}
    m = float(v.mean())
    if v.size < 2:
        return {"mean": m, "lo": m, "hi": m, "n": int(v.size)}
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return {"mean": m, "lo": lo, "hi": hi, "n": int(v.size)}


def rng_for(seed: int, *tags: int) -> np.random.Generator:
    """An independent generator per (seed, tags) (``SeedSequence`` spawning, no global state)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *[int(t) for t in tags]]))


def map_with_agreement(rng: np.random.Generator, truth, agree: float) -> np.ndarray:
    """A map equal to ``truth`` on a fraction ``agree`` of the items (the rest flipped)."""
    truth = np.asarray(truth, dtype=np.int64)
    other = truth.copy()
    flip = rng.choice(truth.size, int(round((1 - agree) * truth.size)), replace=False)
    other[flip] = 1 - other[flip]
    return other
