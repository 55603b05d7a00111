"""Statistics over seeds and trials, defined once for every check, figure and table.

* :func:`mean_ci` -- mean with a Student-t confidence interval across seeds;
* :func:`prediction_interval` -- Student-t interval for one new draw from the sampled population;
* :func:`wilson` -- Wilson score interval for a binomial proportion;
* :func:`first_crossing` -- the first grid value where a flag turns on;
* :func:`rng_for` -- an independent generator per (seed, tags) by ``SeedSequence`` spawning.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st


def mean_ci(values, level: float = 0.95, bounds=None) -> dict:
    """Mean and Student-t interval across seeds: ``{mean, lo, hi, n}``.

    NaN and ``None`` entries are dropped. With no value every field is ``None`` (``n = 0``);
    with one value the interval is the point itself. ``bounds = (low, high)`` clips the
    interval to the quantity's range (accuracies in ``[0, 1]``)."""
    v = np.asarray([x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))],
                   dtype=float)
    v = v[np.isfinite(v)] if v.size else v
    if v.size == 0:
        return {"mean": None, "lo": None, "hi": None, "n": 0}
    m = float(v.mean())
    if v.size < 2:
        return {"mean": m, "lo": m, "hi": m, "n": int(v.size)}
    half = float(_st.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return {"mean": m, "lo": lo, "hi": hi, "n": int(v.size)}


def prediction_interval(values, level: float = 0.99) -> tuple:
    """``(lo, hi)``: the Student-t prediction interval for one new draw from the normal population
    ``values`` (k >= 2 of them) were drawn from, ``mean +- t_{(1+level)/2, k-1} s sqrt(1 + 1/k)``
    with ``s`` the sample standard deviation. Unlike ``mean +- 3 s`` it keeps its level when
    ``k`` is small (for ``k = 3`` the 99% factor is 11.5 s, not 3 s)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        raise ValueError(f"prediction_interval needs at least 2 finite values, got {v.size}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    k = v.size
    half = float(_st.t.ppf(0.5 + level / 2, k - 1) * v.std(ddof=1) * math.sqrt(1 + 1 / k))
    return float(v.mean()) - half, float(v.mean()) + half


def auc_interval(auc: float, n_pos: int, n_neg: int, level: float = 0.95) -> tuple:
    """Normal-approximation interval of an AUC from ``n_pos`` positives and ``n_neg`` negatives
    (Hanley and McNeil 1982): ``se^2 = (A(1-A) + (n_pos-1)(Q1-A^2) + (n_neg-1)(Q2-A^2)) /
    (n_pos n_neg)`` with ``Q1 = A/(2-A)``, ``Q2 = 2A^2/(1+A)``; clipped to ``[0, 1]``. The
    standard error is floored at that of ``A = 1 - 1/(2 n_pos n_neg)`` so that a perfect AUC
    keeps an interval of non-zero width."""
    if n_pos < 1 or n_neg < 1:
        return (float("nan"), float("nan"))
    a = float(auc)
    floor_a = 1 - 1 / (2 * n_pos * n_neg)

    def se(x):
        q1, q2 = x / (2 - x), 2 * x * x / (1 + x)
        return math.sqrt(max(0.0, x * (1 - x) + (n_pos - 1) * (q1 - x * x) + (n_neg - 1) * (q2 - x * x))
                         / (n_pos * n_neg))

    s = max(se(a), se(floor_a))
    z = float(_st.norm.ppf(0.5 + level / 2))
    return (max(0.0, a - z * s), min(1.0, a + z * s))


def welch_interval(a, b, level: float = 0.95) -> dict:
    """``mean(a) - mean(b)`` (in the samples' unit) with its Welch t-interval at ``level``
    (unequal variances): ``{diff, lo, hi}``. Two samples without spread give the point; fewer than
    2 values on a side give ``None`` bounds."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return {"diff": diff, "lo": None, "hi": None}
    if a.var() == 0 and b.var() == 0:
        return {"diff": diff, "lo": diff, "hi": diff}
    ci = _st.ttest_ind(a, b, equal_var=False).confidence_interval(level)
    return {"diff": diff, "lo": float(ci.low), "hi": float(ci.high)}


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple:
    """Wilson score interval ``(lo, hi)`` for ``successes / trials`` (95% by default).

    Zero trials carry no information: the interval is the whole range ``(0, 1)``."""
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"wilson needs 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    d = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / d
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / d
    return (max(0.0, centre - half), min(1.0, centre + half))


def first_crossing(xs, flags):
    """The first ``x`` in ``xs`` (as a float) whose flag is true (``None`` if none is)."""
    for x, f in zip(xs, flags):
        if f:
            return float(x)
    return None


def rng_for(seed: int, *tags: int) -> np.random.Generator:
    """An independent generator per ``(seed, tags)`` (``SeedSequence`` spawning, no global state)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *[int(t) for t in tags]]))
