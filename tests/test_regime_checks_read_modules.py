"""The C5 checks of R6 (ICM's constant take-over), R7, R9, R10 and R13 take their settings and instances from the
regime modules (:mod:`simulations.regimes`), so a parameter changed there changes what the check measures; and
the check instances the modules build are the ones the checks drew before the refactor (the
legacy random streams, rewritten here independently), so no check verdict or value moved."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from proofs_check.catalogue import all_checks
from simulations.regimes import r06_degenerate as R6
from simulations.regimes import r07_misspecification as R7
from simulations.regimes import r09_pseudo_likelihood as R9
from simulations.regimes import r10_non_exchangeable as R10
from simulations.regimes import r13_many_labels as R13
from theory import ConceptMixture, InContextSimulator


def run(check_id: str, quick: bool = True):
    return {c.id: c for c in all_checks()}[check_id].func(quick)


# -- R6: without consistency the constant takes over ----------------------------------------------

def _legacy_r6_task():
    """The check's task before its settings moved: default_rng(6) places the one True candidate of
    each of 4 problems with 3 candidates; contradictions join the candidates of one problem."""
    rng = np.random.default_rng(6)
    truth = np.zeros(12, dtype=np.int64)
    truth[np.arange(4) * 3 + rng.integers(0, 3, 4)] = 1
    pairs = sorted((i, j) for i, j in itertools.combinations(range(12), 2) if i // 3 == j // 3)
    return truth, pairs


@pytest.mark.parametrize("quick", [True, False])
def test_r6_takeover_instances_replay_the_legacy_check(quick):
    p = R6.check_params(quick)
    truth, pairs = _legacy_r6_task()
    wgrid = np.round(np.arange(0.01, 0.6, 0.01 if quick else 0.0025), 5)
    egrid = np.round(np.arange(0.0025, 0.2, 0.005 if quick else 0.0025), 5)
    assert p["w_c_grid"] == wgrid.tolist() and p["eps_c_grid"] == egrid.tolist()
    assert p["seeds"] == list(range(4 if quick else 10)) and p["search_methods"] == ("icm", "icm-paper")
    insts = R6.check_instances(p)
    legacy = {"weight_sweep": [(w, 0.01) for w in wgrid], "noise_sweep": [(0.3, e) for e in egrid],
              "searches": [(0.1, 0.01), (0.5, 0.01)], "light": [(0.1, 0.01)], "noisy": [(0.5, 0.15)]}
    for key, wanted in legacy.items():
        got = insts[key] if isinstance(insts[key], list) else [insts[key]]
        assert len(got) == len(wanted)
        for inst, (w_c, eps_c) in zip(got, wanted):
            assert np.array_equal(inst.truth, truth)
            assert sorted(map(tuple, inst.constraints.pairs.tolist())) == pairs
            np.testing.assert_array_equal(inst.prior.F, np.stack([truth, np.ones(12, dtype=np.int64)]))
            np.testing.assert_array_equal(inst.prior.eps, [0.1, eps_c])
            np.testing.assert_array_equal(inst.prior.w, [1 - w_c, w_c])


def test_r6_takeover_check_reads_the_regime_module(monkeypatch):
    base = R6.check_params
    monkeypatch.setattr(R6, "check_params", lambda quick: dict(
        base(quick), task_seed=2, problems=3, candidates=2, w_c_grid=[0.05, 0.2, 0.45], eps_c_grid=[0.01, 0.06, 0.15],
        search_w_c=[0.3], search_methods=("icm",), seeds=[0], light=(0.05, 0.01)))
    rec = run("C5.R6.no-consistency-constant-wins")
    out = rec.measured
    assert out["n"] == 6 and len(out["truth"]) == 6 and out["class_balance"] == 0.5
    # the switch of the patched n, computed here: w_c / (1 - w_c) = ((1 - eps_t) / (1 - eps_c))^n
    r = (0.9 / 0.99) ** 6
    assert out["weight_sweep"]["predicted_coh_switch_w_c"] == pytest.approx(r / (1 + r), rel=1e-12)
    assert [row[0] for row in out["weight_sweep"]["table_w_c_cohconst_plconst"]] == [0.05, 0.2, 0.45]
    assert out["weight_sweep"]["measured_coh_switch_w_c"] == 0.45           # the first grid weight past 0.361
    assert list(out["icm_searches"]) == ["w_c=0.3 icm without constraints", "w_c=0.3 icm with constraints"]
    assert all(v["runs"] == 1 for v in out["icm_searches"].values())
    assert rec.counterexample is not None and "light_constant_w_c_0.05_eps_c_0.01" in rec.counterexample


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


# -- R9 ------------------------------------------------------------------------------------------

def test_r9_check_settings_are_the_legacy_ones():
    quick, full = R9.check_params(True), R9.check_params(False)
    assert (quick["search_runs"], full["search_runs"]) == (5, 20)
    assert quick["eps_n"] == full["eps_n"] == 0.01
    assert quick["search_methods"] == full["search_methods"] == ("icm", "icm-paper", "annealed-gibbs")


def test_r9_check_reads_the_regime_module(monkeypatch):
    base = R9.check_params
    monkeypatch.setattr(R9, "check_params", lambda quick: dict(base(quick), search_runs=2, search_methods=("icm",)))
    ends = run("C5.R9.pl-prefers-negation").measured["searches_end_at"]
    assert list(ends) == ["icm"] and ends["icm"]["runs"] == 2
    # a negation noise above eps_t: PL no longer prefers the negation, so the check fails
    monkeypatch.setattr(R9, "check_params", lambda quick: dict(base(quick), search_runs=1, eps_n=0.3))
    rec = run("C5.R9.pl-prefers-negation")
    assert not rec.measured["pl_argmax_is_negation"] and rec.verdict == "fails"


# -- R10 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n", [(0, 5), (4, 5), (3, 6)])
def test_r10_random_simulator_is_the_legacy_family(seed, n):
    """The family the R10, C1 and identity checks draw: the legacy definition of proofs_check.families."""
    legacy = InContextSimulator.random(np.random.default_rng(seed), n, 2, beta=1.5, gamma=0.7, kappa=0.6, lam=0.8)
    ours = R10.random_simulator(seed, n)
    from proofs_check.families import random_simulator

    assert random_simulator is R10.random_simulator
    np.testing.assert_array_equal(ours.zero_shot_logits, legacy.zero_shot_logits)
    np.testing.assert_array_equal(ours.similarity, legacy.similarity)
    assert (ours.beta, ours.gamma, ours.kappa, ours.lam) == (legacy.beta, legacy.gamma, legacy.kappa, legacy.lam)


def test_r10_check_settings_are_the_legacy_ones():
    quick, full = R10.check_params(True), R10.check_params(False)
    assert (quick["n"], quick["seeds"], quick["hunt_examples"]) == (5, [0, 1], 400)
    assert (full["seeds"], full["hunt_examples"], full["tau"], full["max_sweeps"]) == ([0, 1, 2, 3, 4], 1000, 1.0, 30)
    assert [s.n for s in R10.check_simulators(quick)] == [5, 5]


def test_r10_check_reads_the_regime_module(monkeypatch):
    from proofs_check.c1_special_cases import gibbs_vs_softmax

    base = R10.check_params
    monkeypatch.setattr(R10, "check_params", lambda quick: dict(base(quick), n=3, seeds=[7], hunt_examples=20))
    out = run("C5.R10.non-exchangeable").measured
    assert out["per_prior"] == [gibbs_vs_softmax(R10.random_simulator(7, 3), 1.0, with_tv=True)]
    # the floor the check compares with is the module's: above every measured total variation, the check fails
    monkeypatch.setattr(R10, "TV_FLOOR", 1.0)
    assert run("C5.R10.non-exchangeable").verdict == "fails"


# -- R13 -----------------------------------------------------------------------------------------

def test_r13_task_prior_is_the_legacy_c3_prior():
    from proofs_check import c3_optimality
    from simulations.claims.c3_kl_optimality import task_prior

    assert c3_optimality.task_prior is task_prior
    rng = np.random.default_rng(0)                   # the legacy definition in proofs_check.c3_optimality
    legacy = ConceptMixture(F=rng.integers(0, 2, (4, 10)), eps=[0.05, 0.1, 0.2, 0.3], w=[0.4, 0.3, 0.2, 0.1])
    p = task_prior(10)
    for field in ("F", "eps", "w"):
        np.testing.assert_array_equal(getattr(p, field), getattr(legacy, field))


@pytest.mark.parametrize("quick", [True, False])
def test_r13_check_instances_replay_the_legacy_stream(quick):
    """Before the refactor the check drew, from default_rng(13), for m = 0, 2, .., 10 in turn and
    300 (quick) or 1500 draws each: a truth from P*, then m labelled items."""
    from simulations.claims.c3_kl_optimality import task_prior

    p = R13.check_params(quick)
    assert (p["n"], p["ms"], p["draws"]) == (10, [0, 2, 4, 6, 8, 10], 300 if quick else 1500)
    prior, rng = task_prior(10), np.random.default_rng(13)
    by_m = R13.check_instances(p)
    assert list(by_m) == p["ms"]
    for m, instances in by_m.items():
        assert len(instances) == p["draws"]
        for inst in instances:
            truth = prior.sample(rng, 1)[0]
            S = rng.choice(10, m, replace=False)
            assert np.array_equal(inst.truth, truth) and list(inst.labels) == S.tolist()
            assert list(inst.labels.values()) == truth[S].tolist()
        np.testing.assert_array_equal(instances[0].prior.F, prior.F)


def test_r13_check_reads_the_regime_module(monkeypatch):
    base = R13.check_params
    monkeypatch.setattr(R13, "check_params", lambda quick: dict(base(quick), ms=[0, 4, 8, 10], draws=5, seed=1))
    out = run("C5.R13.many-labels").measured
    assert (out["draws_per_m"], [r["m"] for r in out["by_m"]]) == (5, [0, 4, 8, 10])
    assert all(r["gain"]["n"] == 5 for r in out["by_m"])
    assert abs(out["by_m"][-1]["gain"]["mean"]) <= 1e-12            # every item labelled: no gain left
