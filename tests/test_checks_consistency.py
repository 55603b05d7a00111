"""The consistency checks (C1.icm-consistency-restricts-support, C5.R6.no-consistency-constant-wins)
against brute force written here: hand-rolled mixture probabilities and violation counts over
itertools.product, independent of theory.ConceptMixture and simulations.search.constraints."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from proofs_check import consistency as K
from simulations.arithmetic_task import arithmetic_task
from simulations.regimes import r06_degenerate as R6
from proofs_check.catalogue import all_checks
from proofs_check.registry import run_check


def _mixture_logp(b, F, eps, w) -> float:
    """log sum_k w_k prod_i (1-eps_k if b_i = f_k(x_i) else eps_k), by loops."""
    total = 0.0
    for f, e, wk in zip(F, eps, w):
        p = wk
        for bi, fi in zip(b, f):
            p *= (1 - e) if bi == fi else e
        total += p
    return math.log(total)


def _violations(b, group) -> int:
    """Pairs of candidates of one problem that are both True."""
    return sum(1 for i, j in itertools.combinations(range(len(b)), 2)
               if group[i] == group[j] and b[i] == 1 and b[j] == 1)


def _instance(seed, problems=2, candidates=3):
    truth, group, cons = arithmetic_task(seed, problems, candidates)
    prior = K.random_constant_prior(seed, truth)
    vecs = list(itertools.product((0, 1), repeat=truth.size))    # code order: item 0 most significant
    logp = np.array([_mixture_logp(b, prior.F, prior.eps, prior.w) for b in vecs])
    viol = np.array([_violations(b, group) for b in vecs])
    return truth, group, cons, prior, vecs, logp, viol


def _brute_argmax(vals) -> set:
    m = max(vals)
    return {c for c, v in enumerate(vals) if v >= m - 1e-9}


def test_task_constraints_count_the_same_violations_as_the_hand_count():
    _, group, cons, prior, vecs, logp, viol = _instance(3, 3, 3)
    assert np.array_equal(cons.violations(np.array(vecs)), viol)
    # the exact coherence table the checks use equals the hand-rolled mixture
    from theory.softmax import log_coherence_table
    assert np.allclose(log_coherence_table(prior), logp, atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 5_000), shape=st.sampled_from([(2, 3), (3, 2), (2, 4)]))
def test_alpha_star_is_where_the_brute_force_argmax_leaves_the_consistent_set(seed, shape):
    _, _, _, _, vecs, logp, viol = _instance(seed, *shape)
    th = K.restriction_threshold(logp, viol)
    cons_best = _brute_argmax([v if i == 0 else -math.inf for v, i in zip(logp, viol)])
    a = th["alpha_star"]
    if math.isinf(a):   # then the unconstrained argmax must already be consistent
        assert all(viol[c] == 0 for c in _brute_argmax(list(logp)))
        return
    below = _brute_argmax([0.999 * a * v - i for v, i in zip(logp, viol)])
    above = _brute_argmax([1.001 * a * v - i for v, i in zip(logp, viol)])
    assert below == cons_best
    assert above != cons_best and any(viol[c] > 0 for c in above)
    assert th["alpha_one_violation_exceeds_range"] <= th["alpha_one_violation_exceeds_gain"] <= a


def test_a_perturbed_penalty_breaks_the_argmax_verdict():
    # an instance whose unconstrained argmax is inconsistent, so alpha* is finite
    _, _, _, _, _, logp, viol = _instance(0, 2, 3)
    assert math.isfinite(K.restriction_threshold(logp, viol)["alpha_star"])
    ok = K.argmax_restriction(logp, viol)
    assert ok["agrees_below_alpha_star"] and ok["differs_above_alpha_star"]
    half = K.argmax_restriction(logp, viol, penalty=0.5)    # U = alpha S - I/2: threshold halves
    double = K.argmax_restriction(logp, viol, penalty=2.0)  # threshold doubles
    assert not half["agrees_below_alpha_star"]
    assert not double["differs_above_alpha_star"]


def test_softmax_tv_matches_brute_force_and_perturbation_fails():
    _, _, _, _, _, logp, viol = _instance(1, 2, 3)
    C = viol == 0
    for a, beta in ((1.0, 0.0), (1.0, 3.0), (2.0, 5.0), (0.5, 16.0)):
        r = K.softmax_restriction(logp, viol, a, beta)
        q = np.array([math.exp(a * v - beta * i) for v, i in zip(logp, viol)])
        q /= q.sum()
        pc = np.where(C, np.exp(logp), 0.0)
        pc /= pc.sum()
        pa = np.where(C, np.exp(a * logp), 0.0)
        pa /= pa.sum()
        assert abs(r["tv_to_prior_on_C"] - 0.5 * np.abs(q - pc).sum()) < 1e-12
        assert abs(r["tv_to_tempered_prior_on_C"] - 0.5 * np.abs(q - pa).sum()) < 1e-12
        assert abs(r["tv_closed_form"] - r["tv_to_tempered_prior_on_C"]) < 1e-12
        assert r["tv_to_tempered_prior_on_C"] <= r["tv_bound"] + 1e-15
    assert K.softmax_restriction(logp, viol, 1.0, 20.0)["tv_to_prior_on_C"] < 1e-7
    assert K.softmax_restriction(logp, viol, 2.0, 20.0)["tv_to_prior_on_C"] > 1e-2   # alpha != T: another limit
    bad = K.softmax_restriction(logp, viol, 1.0, 4.0, penalty=0.5)
    assert abs(bad["tv_closed_form"] - bad["tv_to_tempered_prior_on_C"]) > 1e-3


def test_support_restriction_verdict_flips_with_a_wrong_penalty():
    truth, _, cons, prior, *_ = _instance(0, 2, 3)
    assert K.support_restriction(prior, cons)["hard_ok"]
    r = K.support_restriction(prior, cons, penalty=0.5)
    assert not (r["hard_ok"] and r["soft_ok"])


def test_constant_switch_weight_matches_brute_force_scan():
    n, eps_t, eps_c = 6, 0.1, 0.02
    truth = np.array([0, 1, 0, 0, 0, 1])
    const = (1,) * n
    vecs = list(itertools.product((0, 1), repeat=n))
    grid = np.round(np.arange(0.01, 0.8, 0.002), 4)
    first = None
    for w in grid:
        lp = [_mixture_logp(b, [truth, np.ones(n)], [eps_t, eps_c], [1 - w, w]) for b in vecs]
        if vecs[int(np.argmax(lp))] == const:
            first = float(w)
            break
    pred = R6.constant_switch_weight(n, eps_t, eps_c)
    assert first is not None and 0 <= first - pred <= 0.002 + 1e-9
    # the noise form is the same boundary solved for eps_c
    assert abs(R6.constant_switch_noise(n, 1 - pred, pred, eps_t) - eps_c) < 1e-12


def test_takeover_accuracy_and_removing_constraints_changes_the_verdict():
    truth, _, cons = arithmetic_task(6, 4, 3)
    p = R6.truth_and_constant(truth, 0.1, 0.01, 0.5)
    r = R6.takeover(p, truth, cons)
    assert r["Coh"]["constant_wins_unconstrained"] and r["PL"]["constant_wins_unconstrained"]
    assert r["Coh"]["accuracy_unconstrained"] == pytest.approx(truth.mean(), abs=1e-12)
    assert r["Coh"]["truth_wins_constrained"] and r["Coh"]["accuracy_constrained"] == 1.0
    settings_, instances = R6.check_params(True), R6.check_instances(R6.check_params(True))
    off = R6.constant_takeover_sweeps(settings_, instances, cons_override=None)
    assert not off["constraints_recover_truth_everywhere"]
    on = R6.constant_takeover_sweeps(settings_, instances)
    assert on["constraints_recover_truth_everywhere"]
    # switch points computed here, not by the module
    w_pred = 1 / (1 + math.exp(12 * math.log(0.99 / 0.9)))   # w/(1-w) = (0.9/0.99)^12
    assert on["weight_sweep"]["predicted_coh_switch_w_c"] == pytest.approx(w_pred, rel=1e-12)
    assert abs(on["weight_sweep"]["measured_coh_switch_w_c"] - w_pred) <= 0.01
    e_pred = 1 - math.exp((math.log(0.7 / 0.3) + 12 * math.log(0.9)) / 12)
    assert abs(on["noise_sweep"]["measured_coh_switch_eps_c"] - e_pred) <= 0.01
    assert abs(on["noise_sweep"]["measured_pl_switch_eps_c"] - 0.1) <= 0.01


def test_registered_and_verdicts_as_expected_in_quick_mode():
    checks = {c.id: c for c in all_checks()}
    for cid in ("C1.icm-consistency-restricts-support", "C5.R6.no-consistency-constant-wins"):
        rec = run_check(checks[cid], True)
        assert rec["verdict"] == rec["expected"] == "holds-under-conditions", rec["measured"]
        assert rec["counterexample"] is not None
    assert "C5.R6.degenerate-constant" in checks   # the older R6 check is a different claim
