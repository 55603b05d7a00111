"""Joint and marginal tables of product mixtures (:mod:`theory.joint_table`) against brute-force
enumeration of every behaviour vector, in both numeric paths (scaled probabilities and log space),
and against pgmpy's joint query where pgmpy is installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.special import logsumexp

import theory.joint_table as jt
from theory.concept_mixture import ConceptMixture
from theory.enumeration import all_behaviours


def _brute(log_w, L, items=None):
    """``log sum_j w_j prod_{i in A} p_j(b_i)`` for every ``b_A``, one vector at a time."""
    A = np.arange(L.shape[1]) if items is None else np.asarray(items)
    out = []
    for b in all_behaviours(len(A), L.shape[2]) if len(A) else [np.zeros(0, dtype=int)]:
        per = [log_w[j] + sum(L[j, A[t], b[t]] for t in range(len(A))) for j in range(L.shape[0])]
        out.append(logsumexp(per))
    return np.array(out)


def _instance(seed, K, n, k, spread=3.0):
    rng = np.random.default_rng(seed)
    log_w = np.log(rng.dirichlet(np.ones(K)))
    if K > 1 and rng.random() < 0.3:
        log_w[0] = -np.inf                                    # a concept of weight 0
    L = rng.normal(0, spread, (K, n, k))                       # any factors, not only normalised ones
    return log_w, L


@pytest.mark.parametrize("safe", [-np.inf, np.inf], ids=["probability-space", "log-space"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), K=st.integers(1, 5), n=st.integers(1, 7), k=st.integers(2, 4))
def test_joint_table_matches_enumeration(monkeypatch, safe, seed, K, n, k):
    log_w, L = _instance(seed, K, n, k)
    monkeypatch.setattr(jt, "SAFE_LOG", safe)            # force one path (+inf: always fall back)
    np.testing.assert_allclose(jt.product_mixture_log_table(log_w, L), _brute(log_w, L), rtol=0, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), K=st.integers(1, 4), n=st.integers(1, 6), k=st.integers(2, 3))
def test_marginal_tables_and_item_marginals(seed, K, n, k):
    log_w, L = _instance(seed, K, n, k)
    rng = np.random.default_rng(seed + 1)
    items = rng.permutation(n)[: int(rng.integers(0, n + 1))]          # any order, any size
    got = jt.product_mixture_log_marginal_table(log_w, L, items)
    np.testing.assert_allclose(got, _brute(log_w, L, items) if items.size else [0.0], rtol=0, atol=1e-10)
    items1 = jt.product_mixture_item_marginals(log_w, L)
    for i in range(n):
        np.testing.assert_allclose(items1[i], _brute(log_w, L, [i]), rtol=0, atol=1e-10)


def test_underflow_falls_back_to_log_space():
    """eps = 1e-30 at n = 12: the scaled products would reach exp(-800); the table stays exact."""
    rng = np.random.default_rng(0)
    m = ConceptMixture(F=rng.integers(0, 3, (3, 12)), eps=np.array([1e-30, 1e-25, 0.3]), w=np.ones(3) / 3, k=3)
    sub = ConceptMixture(F=m.F[:, :6], eps=m.eps, w=m.w, k=3)
    brute = sub.log_joint(all_behaviours(6, 3))
    np.testing.assert_allclose(sub.log_joint_all(), brute, rtol=1e-13, atol=1e-9)
    full = m.log_joint_all()
    codes = rng.choice(3**12, 500, replace=False)
    from theory.enumeration import decode

    np.testing.assert_allclose(full[codes], m.log_joint(decode(codes, 12, 3).astype(np.int64)), rtol=1e-13, atol=1e-9)
    assert np.all(np.isfinite(full)) and logsumexp(full) == pytest.approx(0.0, abs=1e-9)


def test_bad_factors_are_refused():
    with pytest.raises(ValueError, match="log_w"):
        jt.product_mixture_log_table(np.array([-np.inf, -np.inf]), np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="log_lik"):
        jt.product_mixture_log_table(np.zeros(2), np.zeros((3, 3, 2)))


@pytest.mark.parametrize("seed,n,K,k", [(0, 7, 3, 3), (1, 5, 4, 4), (2, 9, 2, 3)])
def test_joint_table_matches_pgmpy_joint_query(seed, n, K, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        inference = pytest.importorskip("pgmpy.inference")
    from coherence.benchmarks.loo_pgmpy import item, mixture_network

    rng = np.random.default_rng(seed)
    m = ConceptMixture(F=rng.integers(0, k, (K, n)), eps=rng.uniform(0.05, 0.6, K), w=rng.dirichlet(np.ones(K)), k=k)
    ve = inference.VariableElimination(mixture_network(m))
    for order in ("greedy", "MinFill"):
        f = ve.query([item(i) for i in range(n)], joint=True, elimination_order=order, show_progress=False)
        f = f.copy()
        f.marginalize([], inplace=True)
        vals = np.transpose(f.values, [f.variables.index(item(i)) for i in range(n)]).reshape(-1)
        np.testing.assert_allclose(m.log_joint_all(), np.log(vals), rtol=0, atol=1e-10)
