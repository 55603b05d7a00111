"""The exact oracles behind the checks, against independent computations."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.stats import binomtest

from proofs_check.oracle_kernels import mh_power_matrix
from theory.coordinate_ascent import bootstrap_cycles, bootstrap_sequential, sweep_map
from theory.markov import gibbs_matrix, spectral_gap, stationary
from proofs_check.families import random_joint_priors, random_simulator
from theory.statistics import wilson
from theory import InContextSimulator, all_behaviours


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 5), tau=st.sampled_from([0.3, 1.0, 2.5]))
def test_gibbs_matrix_is_stochastic_and_stationary_solves(seed, n, tau):
    p = random_joint_priors(seed, n)["table"]
    T = gibbs_matrix(p, tau)
    assert np.allclose(T.sum(1), 1.0) and (T >= 0).all()
    pi = stationary(T)
    # independent route: the left eigenvector of eigenvalue 1
    w, V = np.linalg.eig(T.T)
    x = np.real(V[:, np.argmin(np.abs(w - 1))])
    x = x / x.sum()
    assert np.abs(x - pi).max() < 1e-8


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 7))
def test_sparse_and_dense_gap_agree_with_full_spectrum(seed, n):
    p = random_joint_priors(seed, n)["concept_mixture"]
    T = gibbs_matrix(p)
    pi = stationary(T)
    ev = np.sort(np.linalg.eigvals(T).real)
    ref = 1.0 - ev[-2]
    assert abs(spectral_gap(T, pi) - ref) < 1e-8
    assert abs(spectral_gap(gibbs_matrix(p, as_sparse=True), pi) - ref) < 1e-7


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 5))
def test_sweep_map_cycle_oracle_matches_slow_bootstrap(seed, n):
    rng = np.random.default_rng(seed)
    s = InContextSimulator(rng.normal(0, 1, (n, 2)), rng.uniform(-1, 1, (n, n)), beta=float(rng.uniform(0, 4)),
                           gamma=float(rng.uniform(0.2, 1)), kappa=float(rng.uniform(-2, 3)),
                           lam=float(rng.uniform(-2, 3)))
    slow = any(not bootstrap_sequential(s, b0, 60)[3] for b0 in all_behaviours(n, 2))
    assert slow == bootstrap_cycles(s)
    F, _ = sweep_map(s)
    for c, b0 in enumerate(all_behaviours(n, 2)):
        b = np.array(b0, dtype=np.int64)
        for i in range(n):   # one sweep by hand
            L = s.log_conditional(b[None], i, np.delete(np.arange(n), i))[0]
            if L.max() > L[b[i]] + 1e-12:
                b[i] = int(L.argmax())
        assert F[c] == int(b @ (2 ** np.arange(n - 1, -1, -1)))


def test_joint_priors_never_cycle():
    for seed in range(5):
        for p in random_joint_priors(seed, 6).values():
            assert not bootstrap_cycles(p)


def test_mh_power_kernel_stochastic_and_targets_power():
    p = random_simulator(1, 4)
    T = mh_power_matrix(p, 3.0)
    assert np.allclose(T.sum(1), 1.0) and (T >= -1e-15).all()
    lp = p.log_joint(all_behaviours(4, 2))
    target = np.exp(3 * lp - np.logaddexp.reduce(3 * lp))
    assert np.abs(target @ T - target).max() < 1e-12


def test_wilson_matches_scipy():
    for k, n in ((0, 10_000), (3, 50), (40, 100)):
        lo, hi = wilson(k, n)
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert abs(lo - ci.low) < 1e-3 and abs(hi - ci.high) < 1e-3


def test_icm_kernels_are_stochastic_and_metropolis_targets_boltzmann():
    from scipy.special import logsumexp

    from proofs_check.oracle_kernels import icm_kernel
    from theory import pseudo_likelihood

    p = random_joint_priors(2, 4)["table"]
    U = 2.0 * pseudo_likelihood(p, all_behaviours(4, 2))
    boltz = np.exp(U / 0.7 - logsumexp(U / 0.7))
    for prop in ("argmax", "flip"):
        K = icm_kernel(p, 2.0, 0.7, prop)
        assert np.allclose(K.sum(1), 1.0) and (K >= -1e-15).all()
    # detailed balance of the symmetric-proposal kernel, entry by entry
    Km = icm_kernel(p, 2.0, 0.7, "flip")
    F = boltz[:, None] * Km
    assert np.abs(F - F.T).max() < 1e-14
