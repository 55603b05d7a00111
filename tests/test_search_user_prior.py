"""A user :class:`theory.prior.Prior` that breaks the interface's promises is rejected on the
first call, with the prior's method named, by every search that goes through the evaluator."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from simulations.search import run_search
from theory.prior import Prior


class Independent(Prior):
    """Independent items with fixed log-probabilities ``logits`` ``(n, k)``; ``offset`` nats are
    added to every conditional (0: a correct prior) and ``drop_last`` returns ``(..., k - 1)``."""

    def __init__(self, logits, offset=0.0, drop_last=False):
        self.logits = np.asarray(logits, dtype=float)
        self.n, self.k = self.logits.shape
        self.offset, self.drop_last = offset, drop_last

    def log_conditional(self, B, i, demos):
        B = np.asarray(B)
        row = self.logits[i] - logsumexp(self.logits[i]) + self.offset
        out = np.broadcast_to(row, B.shape[:-1] + (self.k,))
        return out[..., :-1] if self.drop_last else out


LOGITS = np.log([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5], [0.1, 0.9]])
SEARCHES = ["gibbs", "bootstrap", "bootstrap-sync", "debate", "self-consistency", "zero-shot", "icm-paper"]


@pytest.mark.parametrize("method", SEARCHES)
def test_a_correct_user_prior_runs(method):
    res = run_search(method, Independent(LOGITS), seed=0)
    assert res.behaviours.shape == (5,)


@pytest.mark.parametrize("method", SEARCHES)
def test_unnormalised_conditionals_are_rejected(method):
    with pytest.raises(ValueError, match=r"Independent\.log_\w+ must be normalised"):
        run_search(method, Independent(LOGITS, offset=1.08), seed=0)


@pytest.mark.parametrize("method", SEARCHES)
def test_wrong_shape_is_rejected(method):
    with pytest.raises(ValueError, match=r"Independent\.log_\w+ must return log-probabilities of shape"):
        run_search(method, Independent(LOGITS, drop_last=True), seed=0)


def test_tolerance_admits_rounding_but_not_a_micro_offset():
    run_search("gibbs", Independent(LOGITS, offset=1e-9), seed=0)
    with pytest.raises(ValueError, match="normalised"):
        run_search("gibbs", Independent(LOGITS, offset=1e-5), seed=0)
