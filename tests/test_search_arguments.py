"""Out-of-range search parameters raise ``ValueError`` naming the argument and its accepted range
(instead of running with a silently truncated or meaningless value)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulations.search import run_search
from theory import ConceptMixture

NAN = float("nan")


@pytest.fixture(scope="module")
def prior():
    truth = np.random.default_rng(0).integers(0, 2, 6)
    return ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[0.1, 0.2], w=[0.6, 0.4])


CASES = [
    ("gibbs", {"tau": NAN}, "tau", r"\[0, inf\)"),
    ("gibbs", {"tau": -1.0}, "tau", r"\[0, inf\)"),
    ("gibbs-rho", {"tau": NAN}, "tau", r"\[0, inf\)"),
    ("debate", {"tau": NAN}, "tau", r"\[0, inf\)"),
    ("self-consistency", {"tau": NAN}, "tau", r"\[0, inf\)"),
    ("annealed-gibbs", {"tau_min": NAN}, "tau_min", r"\[0, inf\)"),
    ("icm", {"alpha": -5}, "alpha", r"\(0, inf\)"),
    ("icm-paper", {"alpha": NAN}, "alpha", "finite"),
    ("icm", {"T0": 0}, "T0", r"\(0, inf\)"),
    ("icm", {"decay": -1}, "decay", r"\[0, inf\)"),
    ("gibbs", {"constraint_weight": -1}, "constraint_weight", r"\[0, inf\)"),
    ("bootstrap", {"constraint_weight": -1}, "constraint_weight", r"\[0, inf\)"),
    ("bootstrap-sync", {"constraint_weight": NAN}, "constraint_weight", r"\[0, inf\)"),
    ("gibbs", {"trace_every": -1}, "trace_every", r"\[0, inf\]"),
    ("bootstrap", {"trace_every": -1}, "trace_every", r"\[0, inf\]"),
    ("icm", {"trace_every": -1}, "trace_every", r"\[0, inf\]"),
    ("power-sampling", {"trace_every": -1}, "trace_every", r"\[0, inf\]"),
]


@pytest.mark.parametrize("method, params, name, accepted", CASES, ids=[f"{m}-{list(p)[0]}" for m, p, *_ in CASES])
def test_out_of_range_parameter_is_named(prior, method, params, name, accepted):
    with pytest.raises(ValueError, match=name) as err:
        run_search(method, prior, **params)
    import re

    assert re.search(accepted, str(err.value)), str(err.value)


@pytest.mark.parametrize("labels", [{0: 0.9}, {0: True}, {0.5: 1}, {0: NAN}, {0: "1"}])
def test_labels_must_be_integers(prior, labels):
    with pytest.raises(ValueError, match="labels"):
        run_search("gibbs", prior, labels=labels)


def test_integral_float_labels_are_accepted(prior):
    res = run_search("exact-argmax", prior, labels={0: 1.0, np.int64(1): np.int64(0)})
    assert res.behaviours[0] == 1 and res.behaviours[1] == 0


def test_valid_boundary_values_still_run(prior):
    # tau = 0 (argmax), constraint_weight = 0 and trace_every = 0 are inside the accepted ranges
    assert run_search("gibbs", prior, tau=0.0, sweeps=2, trace_every=0, constraint_weight=0).behaviours.shape == (6,)
    assert math.isfinite(run_search("icm", prior, alpha=0.5, steps=5).coherence)
