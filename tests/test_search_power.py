"""MH power sampling: the exact kernel is stationary at p^alpha / Z and equals a peer kernel; the
sampler's empirical law approaches p^alpha / Z as steps grow."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from priors import concept_mixture, simulator
from proofs_check.oracle_kernels import mh_power_matrix
from simulations.search import run_search
from theory.markov import stationary as stationary_distribution
from simulations.search.power_sampling import AutoregressiveToy, log_power_target, mh_kernel
from theory.enumeration import all_behaviours, encode


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 5), k=st.sampled_from([2, 3]),
       alpha=st.sampled_from([0.5, 1.0, 2.0, 4.0]))
def test_exact_mh_kernel_is_stationary_at_p_alpha(seed, n, k, alpha):
    model = AutoregressiveToy.random(np.random.default_rng(seed), n, k)
    T = mh_kernel(model, alpha)
    assert np.allclose(T.sum(axis=1), 1.0, atol=1e-12)
    q = np.exp(log_power_target(model, alpha))
    assert 0.5 * np.abs(stationary_distribution(T) - q).sum() < 1e-10


def test_kernel_equals_peer_implementation():
    for model in (AutoregressiveToy.random(np.random.default_rng(1), 4, 2), concept_mixture(2, 4), simulator(3, 4)):
        for alpha in (0.5, 3.0):
            assert np.abs(mh_kernel(model, alpha) - mh_power_matrix(model, alpha)).max() < 1e-12


def test_toy_is_an_autoregressive_model():
    model = AutoregressiveToy.random(np.random.default_rng(0), 5, 3)
    lp = model.log_joint(all_behaviours(5, 3))
    assert abs(np.logaddexp.reduce(lp)) < 1e-12            # chain rule: sum_x p(x) = 1
    assert not model.exchangeable


def test_empirical_law_approaches_p_alpha_as_steps_grow(capsys):
    model = AutoregressiveToy.random(np.random.default_rng(0), 5, 2, scale=1.0)
    alpha, C = 4.0, 20000
    q = np.exp(log_power_target(model, alpha))
    T = mh_kernel(model, alpha)
    p0 = np.exp(log_power_target(model, 1.0))
    tvs, exact = {}, {}
    for steps in (0, 2, 8, 32):
        res = run_search("power-sampling", model, seed=steps, alpha=alpha, steps=steps, chains=C, trace_every=0)
        emp = np.bincount(encode(res.extras["samples"], 2), minlength=32) / C
        tvs[steps] = 0.5 * np.abs(emp - q).sum()
        exact[steps] = 0.5 * np.abs(p0 @ np.linalg.matrix_power(T, steps) - q).sum()
        # the sampler follows the exact kernel's law at every step count
        law = p0 @ np.linalg.matrix_power(T, steps)
        assert 0.5 * np.abs(emp - law).sum() < 2.5 * np.sqrt(32 / (2 * np.pi * C))
    print("power sampling TV(empirical, p^alpha/Z) by steps:", {s: round(v, 4) for s, v in tvs.items()},
          "exact:", {s: round(v, 4) for s, v in exact.items()})
    assert tvs[0] > tvs[2] > tvs[8] > tvs[32]
    assert exact[32] < 1e-2 and exact[32] < exact[8] < exact[2] < exact[0]


def test_power_sampling_rejects_labels():
    with pytest.raises(ValueError, match="labels"):
        run_search("power-sampling", concept_mixture(0, 4), labels={0: 1})
