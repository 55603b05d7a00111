"""The C5 checks of R7, R10 and R13 take their settings and instances from the regime modules
(:mod:`simulations.regimes`), so a parameter changed there changes what the check measures; and
the check instances the modules build are the ones the checks drew before the refactor (the
legacy random streams, rewritten here independently), so no check verdict or value moved."""
from __future__ import annotations

import numpy as np
import pytest

from proofs_check.registry import all_checks
from simulations.regimes import r07_misspecification as R7


def run(check_id: str, quick: bool = True):
    return {c.id: c for c in all_checks()}[check_id].func(quick)


# -- R7 ------------------------------------------------------------------------------------------

def _legacy_r7(n: int, m_values) -> list:
    """The stream of the R7 check before its settings moved: default_rng(7), a truth, a quarter of it
    flipped, a random map, then the labelled items for each m in turn."""
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 2, n)
    flipped = truth.copy()
    idx = rng.choice(n, n // 4, replace=False)
    flipped[idx] = 1 - flipped[idx]
    F = np.stack([flipped, rng.integers(0, 2, n)])
    return truth, F, [rng.choice(n, m, replace=False) for m in m_values]


@pytest.mark.parametrize("quick", [True, False])
def test_r7_check_instances_replay_the_legacy_stream(quick):
    p = R7.check_params(quick)
    assert p["ns"] == ([8, 12] if quick else [8, 12, 16])
    for n in p["ns"]:
        insts = R7.check_instances(p, n)
        ms = [len(i.labels) for i in insts]
        assert ms == list(range(0, n // 2 + 1, 2))
        truth, F, labelled = _legacy_r7(n, ms)
        for inst, S in zip(insts, labelled):
            assert np.array_equal(inst.truth, truth) and np.array_equal(inst.prior.F, F)
            assert list(inst.labels) == S.tolist()
            assert np.array_equal(inst.items, np.setdiff1d(np.arange(n), S))
            np.testing.assert_array_equal(inst.prior.w, [0.6, 0.4])
            np.testing.assert_array_equal(inst.prior.eps, [0.05, 0.05])
            assert not (inst.prior.F == truth).all(1).any()          # the truth is outside the support


def test_r7_check_reads_the_regime_module(monkeypatch):
    base = R7.check_params
    unpatched = [i.measures["best_concept_agreement"] for i in R7.check_instances(dict(base(True), ns=[10]), 10)]
    monkeypatch.setattr(R7, "check_params", lambda quick: dict(base(quick), ns=[10], agree=0.5))
    rows = run("C5.R7.misspecification").measured["rows"]
    assert [r["n"] for r in rows] == [10] * 3 and [r["m"] for r in rows] == [0, 2, 4]
    patched = R7.check_instances(R7.check_params(True), 10)
    assert (patched[0].prior.F[0] == patched[0].truth).mean() == 0.5            # half the items flipped
    bounds = [r["best_concept_agreement"] for r in rows]
    assert bounds == [i.measures["best_concept_agreement"] for i in patched] and bounds != unpatched
    for r in rows:
        assert r["unlabelled_accuracy"] <= r["best_concept_agreement"] + 1e-12
