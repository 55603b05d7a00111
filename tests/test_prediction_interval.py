"""theory.statistics.prediction_interval: the Student-t interval for one new normal draw,
against Monte Carlo coverage, its closed form at k = 3, and its invariances."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.statistics import prediction_interval


@pytest.mark.parametrize("k,level", [(3, 0.99), (3, 0.9), (8, 0.95)])
def test_coverage_by_monte_carlo(k, level):
    """A new draw falls inside the interval built from k earlier draws with probability level."""
    rng = np.random.default_rng(k)
    trials = 20000
    x = rng.normal(3.0, 2.0, size=(trials, k + 1))
    inside = 0
    for row in x:
        lo, hi = prediction_interval(row[:k], level)
        inside += lo <= row[k] <= hi
    se = math.sqrt(level * (1 - level) / trials)
    assert abs(inside / trials - level) < 4 * se


def test_k3_99_percent_factor():
    """For k = 3 the half-width is t_{0.995, 2} sqrt(4/3) = 9.9248 * 1.1547 = 11.46 sample SDs
    (the figure docs/lm.md quotes as 11.5)."""
    lo, hi = prediction_interval([-1.0, 0.0, 1.0], 0.99)  # mean 0, s = 1
    assert hi == pytest.approx(11.4601, abs=1e-3) and lo == pytest.approx(-hi)


@settings(max_examples=50, deadline=None)
@given(v=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=10), a=st.floats(-100, 100), b=st.floats(0.01, 100))
def test_affine_equivariance(v, a, b):
    lo, hi = prediction_interval(v)
    lo2, hi2 = prediction_interval([a + b * x for x in v])
    scale = max(1.0, abs(a) + b * max(abs(x) for x in v))
    assert lo2 == pytest.approx(a + b * lo, abs=1e-6 * scale) and hi2 == pytest.approx(a + b * hi, abs=1e-6 * scale)
    assert lo <= float(np.mean(v)) <= hi


@pytest.mark.parametrize("bad", [[1.0], [], [1.0, float("nan")]])
def test_rejects_too_few_or_nonfinite(bad):
    with pytest.raises(ValueError, match="at least 2 finite"):
        prediction_interval(bad)
    with pytest.raises(ValueError, match="level"):
        prediction_interval([1.0, 2.0], 1.0)
