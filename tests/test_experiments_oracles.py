"""Experiment building blocks against independent oracles: brute-force loops over Y^n, scipy,
closed forms, and the search package's own exact MAP."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from theory import ConceptMixture
from simulations.experiments import select
from simulations.experiments.base import rounded
from simulations.accuracy import Enumerated, golden_accuracy, supervised_accuracy, zero_shot_accuracy
from theory.statistics import mean_ci

SETTINGS = settings(max_examples=25, deadline=None)


def random_mixture(seed, n, K=3):
    rng = np.random.default_rng(seed)
    return ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.05, 0.4, K), w=rng.dirichlet(np.ones(K))), rng


@SETTINGS
@given(seed=st.integers(0, 10**6), n=st.integers(3, 6), m=st.integers(0, 3), eta=st.sampled_from([0.0, 0.1, 0.3]))
def test_exact_decoder_matches_brute_force_loop(seed, n, m, eta):
    prior, rng = random_mixture(seed, n)
    truth = rng.integers(0, 2, n)
    S = rng.choice(n, m, replace=False)
    labels = {int(i): int(rng.integers(0, 2)) for i in S}
    items = np.array([i for i in range(n) if i not in labels])
    if items.size == 0:
        return
    best, tops = -math.inf, []
    for b in itertools.product((0, 1), repeat=n):          # oracle: one vector at a time
        s = float(prior.log_joint(np.array(b)))
        for i, y in labels.items():
            if eta == 0:
                s += 0.0 if b[i] == y else -math.inf
            else:
                s += math.log(1 - eta) if b[i] == y else math.log(eta)
        tol = 1e-9 * max(1.0, abs(best)) if math.isfinite(best) else 0.0
        if s > best + tol:
            best, tops = s, [b]
        elif math.isfinite(s) and abs(s - best) <= tol:
            tops.append(b)
    want = np.mean([[b[i] == truth[i] for i in items] for b in tops])
    assert Enumerated(prior).accuracy(truth, items, labels, eta) == pytest.approx(want, abs=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10**6), n=st.integers(2, 7))
def test_zero_shot_golden_supervised_match_the_conditionals(seed, n):
    prior, rng = random_mixture(seed, n)
    truth = rng.integers(0, 2, n)
    items = np.arange(n)
    zs = [prior.log_conditional(np.zeros((1, n), dtype=int), i, [])[0] for i in range(n)]
    want = np.mean([0.5 if abs(z[0] - z[1]) < 1e-12 else float(np.argmax(z) == truth[i]) for i, z in enumerate(zs)])
    assert zero_shot_accuracy(prior, truth, items) == pytest.approx(want)
    gold = [prior.log_conditional(truth[None], i, [j for j in range(n) if j != i])[0] for i in range(n)]
    want_g = np.mean([0.5 if abs(g[0] - g[1]) < 1e-12 else float(np.argmax(g) == truth[i]) for i, g in enumerate(gold)])
    assert golden_accuracy(prior, truth, items) == pytest.approx(want_g)
    labels = {0: 1 - int(truth[0])}                            # one wrong label: supervised copies it
    sup = supervised_accuracy(prior, truth, items, labels)
    assert sup == pytest.approx((want * n - (0.5 if abs(zs[0][0] - zs[0][1]) < 1e-12
                                             else float(np.argmax(zs[0]) == truth[0]))) / n)


def test_mean_ci_is_the_student_t_interval():
    v = [0.2, 0.5, 0.9, 0.4, 0.7]
    lo, hi = stats.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=stats.sem(v))
    r = mean_ci(v)
    assert (r["mean"], r["lo"], r["hi"]) == pytest.approx((np.mean(v), lo, hi))
    assert mean_ci([0.9, 1.0, 1.0], bounds=(0, 1))["hi"] == 1.0
    assert mean_ci([])["mean"] is None


def test_rounded_is_deterministic_and_json_safe():
    obj = {"b": [1 / 3, float("nan"), np.float64(2.0) / 3], "a": np.array([0.1 + 0.2])}
    assert rounded(obj) == {"b": [0.333333, None, 0.666667], "a": [0.3]}


@SETTINGS
@given(n=st.integers(6, 11), w_t=st.floats(0.55, 0.9), eps_w=st.floats(0.01, 0.1), seed=st.integers(0, 1000))
def test_r5_closed_form_switch_brackets_the_enumerated_switch(n, w_t, eps_w, seed):
    """log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w): the truth is the argmax just below, not just above."""
    from simulations.experiments.instance import map_with_agreement
    from simulations.regimes.r05_compressibility import switches

    p = {"n": n, "w_t": w_t, "w_w": 1 - w_t, "eps_w": eps_w}
    s, _ = switches(p)
    if not 0.03 < s < 0.45:
        return
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    wrong = map_with_agreement(rng, truth, 0.5)
    for et, is_truth in ((s - 0.02, True), (s + 0.02, False)):
        prior = ConceptMixture(F=np.stack([truth, wrong]), eps=[et, eps_w], w=[w_t, 1 - w_t])
        E = Enumerated(prior)
        assert (E.accuracy(truth, np.arange(n)) == 1.0) == is_truth


def test_r8_crossover_matches_enumeration():
    from simulations.regimes.r08_crossover import instance, n_star, params

    p = params(True)
    for seed in (0, 1):
        flags = [Enumerated(instance(p, n, seed).prior).accuracy(instance(p, n, seed).truth, np.arange(n)) < 1
                 for n in p["xs"]]
        first = p["xs"][flags.index(True)]
        assert abs(first - math.ceil(n_star(p))) <= 1


def test_r12_closed_form_matches_enumeration_of_consistent_labelings():
    from simulations.regimes.r12_leaky_constraints import closed_form

    for g in (2, 3, 4, 5):
        # one group: the consistent labelings are all-zero and the g one-hot vectors; truth = e_0
        labs = [np.zeros(g, int)] + [np.eye(g, dtype=int)[j] for j in range(g)]
        truth = np.eye(g, dtype=int)[0]
        assert closed_form(g) == pytest.approx(np.mean([(b == truth).mean() for b in labs]))


def test_majority_closed_form_matches_flip_enumeration():
    from simulations.regimes.r02_symmetry import majority

    for m in range(0, 6):
        for eta in (0.0, 0.1, 0.3):
            tot = 0.0
            for flips in itertools.product((0, 1), repeat=m):
                pr = np.prod([eta if f else 1 - eta for f in flips])
                wrong = sum(flips)
                tot += pr * (1.0 if 2 * wrong < m else 0.5 if 2 * wrong == m else 0.0)
            assert majority(m, eta) == pytest.approx(tot if m else 0.5)


def test_c2_srm_at_lambda_star_is_the_search_packages_joint_map():
    """Peer implementation: simulations.search 'joint-map' (posterior mode with label noise eta)."""
    from simulations.search import run_search
    from theory import map_lambda

    rng = np.random.default_rng(5)
    for _ in range(5):
        prior, _ = random_mixture(int(rng.integers(10**6)), 8)
        labels = {int(i): int(rng.integers(0, 2)) for i in rng.choice(8, 4, replace=False)}
        E = Enumerated(prior)
        idx = np.fromiter(labels, dtype=int)
        mism = (E.B[:, idx] != np.fromiter(labels.values(), dtype=int)).sum(1)
        J = mism - map_lambda(0.2) * E.table
        ours = {tuple(b) for b in E.B[np.flatnonzero(J <= J.min() + 1e-9)]}
        res = run_search("joint-map", prior, labels=labels, eta=0.2)
        assert {tuple(np.asarray(b).tolist()) for b in res.extras["ties"]} == ours


def test_select_by_tag_and_errors():
    assert select(["R1"])[0].id == "R1-denoising"
    assert select(["r13"])[0].id == "R13-many-labels"
    with pytest.raises(ValueError, match="matches no figure"):
        select(["R42"])
    with pytest.raises(ValueError, match="ambiguous"):
        select(["phase-R"])


def test_evaluate_point_is_deterministic():
    exp = select(["R3"])[0]
    p = dict(exp.params(True), xs=[0.2], seeds=[3])
    pt = exp.points(p)[0]
    assert exp.evaluate(pt) == exp.evaluate(pt)


def _fake_regime_data(xs, exact, zero_shot, boundaries):
    def ci(v):
        return {"mean": v, "lo": v, "hi": v, "n": 1}
    return {"x": xs, "accuracy": {"exact": [ci(v) for v in exact], "zero-shot": [ci(v) for v in zero_shot]},
            "measures": {}, "boundaries": boundaries, "predicted_curves": []}


def test_verdicts_can_refute():
    """A verdict is a test on the data: a switch in the wrong place, or no window, fails."""
    from simulations.regimes.r05_compressibility import EXPERIMENT as R5, boundaries, params

    p = params(True)
    b = boundaries(p)
    xs = p["xs"]
    c, z = b[0]["x"], b[1]["x"]
    good = _fake_regime_data(xs, [1.0 if x < c else 0.5 for x in xs], [1.0 if x < z else 0.5 for x in xs], b)
    assert R5.verdict(good) == "holds"
    shifted = _fake_regime_data(xs, [1.0 if x < c + 0.1 else 0.5 for x in xs], [1.0 if x < z else 0.5 for x in xs], b)
    assert R5.verdict(shifted) == "fails"
    no_window = _fake_regime_data(xs, [1.0 if x < c else 0.5 for x in xs], [1.0 if x < c else 0.5 for x in xs], b)
    assert R5.verdict(no_window) == "fails"


def test_explore_set_parsing():
    from simulations.explore import apply_sets

    p = {"n": 12, "eps": 0.1, "xs": [0.1, 0.2], "seeds": [0, 1]}
    q = apply_sets(p, ["n=10", "eps=0.2", "x=0.3,0.4", "seeds=3"])
    assert q == {"n": 10, "eps": 0.2, "xs": [0.3, 0.4], "seeds": [0, 1, 2]}
    with pytest.raises(ValueError, match="unknown parameter"):
        apply_sets(p, ["nope=1"])
    with pytest.raises(ValueError, match="NAME=VALUE"):
        apply_sets(p, ["n"])
