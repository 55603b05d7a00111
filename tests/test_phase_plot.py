"""simulations.phase_plot: the drawn grid equals the per-cell means of the records, the boundary
line is the callable's values, and bad input is a clear ValueError."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from simulations.phase_plot import phase_grid, plot_phase  # noqa: E402


def records_from(values: dict) -> list:
    """One record per (x, y, v) with repeated cells, in a scrambled order."""
    out = [{"a": x, "b": y, "v": v} for (x, y), vs in values.items() for v in vs]
    return [out[j] for j in np.random.default_rng(0).permutation(len(out))]


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
@settings(max_examples=40, deadline=None)
def test_grid_is_the_per_cell_mean(nx, ny, seed):
    rng = np.random.default_rng(seed)
    xs, ys = np.sort(rng.choice(50, nx, replace=False)) / 10, np.sort(rng.choice(50, ny, replace=False)) / 10
    values = {(x, y): list(rng.normal(size=rng.integers(1, 4))) for x in xs for y in ys if rng.random() < 0.8}
    if not values:
        return
    gx, gy, Z = phase_grid(records_from(values), "a", "b", "v")
    assert set(gx) <= set(xs) and set(gy) <= set(ys)
    for j, y in enumerate(gy):
        for i, x in enumerate(gx):
            if (x, y) in values:
                assert Z[j, i] == pytest.approx(np.mean(values[(x, y)]))
            else:
                assert np.isnan(Z[j, i])


def test_plot_draws_the_grid_and_the_boundary():
    values = {(x, y): [float(y > x)] for x in (0.0, 1.0, 2.0) for y in (0.0, 0.5, 1.0, 1.5)}
    fig = plot_phase(records_from(values), x="a", y="b", value="v", boundary=lambda x: 0.5 * x)
    ax = fig.axes[0]
    drawn = np.asarray(ax.collections[0].get_array()).reshape(4, 3)
    expected = np.array([[float(y > x) for x in (0.0, 1.0, 2.0)] for y in (0.0, 0.5, 1.0, 1.5)])
    np.testing.assert_array_equal(drawn, expected)
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), 0.5 * line.get_xdata())
    assert line.get_xdata()[0] == 0.0 and line.get_xdata()[-1] == 2.0
    assert ax.get_xlabel() == "a" and ax.get_ylabel() == "b"


def test_plot_into_given_axes_returns_its_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    recs = [{"a": 1, "b": 2, "v": 3.0}, {"a": 2, "b": 2, "v": None}]
    assert plot_phase(recs, "a", "b", "v", ax=ax) is fig
    _, _, Z = phase_grid(recs, "a", "b", "v")
    assert Z[0, 0] == 3.0 and np.isnan(Z[0, 1])
    plt.close(fig)


@pytest.mark.parametrize("records, message", [
    ([], "at least one"),
    ([{"a": 1, "b": 2}], "no key 'v'"),
    ([{"a": "left", "b": 2, "v": 1.0}], "must be numbers"),
])
def test_bad_records_are_value_errors(records, message):
    with pytest.raises(ValueError, match=message):
        phase_grid(records, "a", "b", "v")


def test_boundary_of_wrong_shape_is_a_value_error():
    recs = [{"a": x, "b": 0.0, "v": 1.0} for x in (0.0, 1.0)]
    with pytest.raises(ValueError, match="boundary"):
        plot_phase(recs, "a", "b", "v", boundary=lambda x: 1.0)
