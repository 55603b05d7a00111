"""Gibbs searches: exact kernel vs Q_tau (Theorem 4.2), fast path vs the model's own conditionals,
sampler frequencies vs the exact stationary law, and the non-exchangeable counterexample."""
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from priors import concept_mixture, simulator, table
from theory.markov import gibbs_matrix
from simulations.search import run_search
from simulations.search.mixture_chains import MixtureChains
from theory.markov import stationary as stationary_distribution, transition_matrix
from theory.enumeration import all_behaviours, encode
from theory.softmax import log_softmax_coherence


def tv(p, q):
    return 0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 6), k=st.sampled_from([2, 3]),
       tau=st.sampled_from([0.3, 1.0, 2.5]), family=st.sampled_from(["mixture", "table"]),
       scan=st.sampled_from(["random", "systematic"]))
# a nearly decomposable chain (spectral gap 5e-8) on which a linear solve for pi was 1e-9 off
@example(seed=3615, n=5, k=3, tau=0.3, family="mixture", scan="random")
def test_tempered_gibbs_kernel_is_stationary_at_q_tau_for_joint_priors(seed, n, k, tau, family, scan):
    if k == 3 and n > 5:
        n = 5
    prior = concept_mixture(seed, n, k) if family == "mixture" else table(seed, n, k)
    T = transition_matrix(prior, tau, scan)
    assert np.allclose(T.sum(axis=1), 1.0, atol=1e-12)
    q = np.exp(log_softmax_coherence(prior, tau))
    assert tv(stationary_distribution(T), q) < 1e-10
    assert np.abs(q @ T - q).sum() < 1e-10


def test_n10_mixture_and_table_stationary_tv_below_1e_10():
    for prior in (concept_mixture(3, 10), table(4, 10)):
        T = transition_matrix(prior, 0.7)
        q = np.exp(log_softmax_coherence(prior, 0.7))
        assert tv(stationary_distribution(T), q) < 1e-10


def test_kernel_matches_peer_implementation():
    """proofs_check.exact.gibbs_matrix is an independent random-scan kernel (via log_loo)."""
    for prior in (concept_mixture(1, 5), table(2, 5), simulator(3, 4)):
        for tau in (0.5, 1.0):
            assert np.abs(transition_matrix(prior, tau) - gibbs_matrix(prior, tau)).max() < 1e-12


def test_non_exchangeable_simulator_misses_q_tau_and_distance_is_reported(capsys):
    dists = []
    for seed in range(3):
        prior = simulator(seed, 5)
        T = transition_matrix(prior, 1.0)
        for order in (None, "average"):
            q = np.exp(log_softmax_coherence(prior, 1.0, order=order))
            dists.append(tv(stationary_distribution(T), q))
    print(f"non-exchangeable Gibbs: TV(stationary, Q_1) over 3 simulators x (fixed order, order average): "
          f"min {min(dists):.3g}, max {max(dists):.3g}")
    assert min(dists) > 1e-3


def test_rho_context_exclusion_kernel_distance_is_reported():
    """rho = 1 is plain Gibbs; rho < 1 conditions on subsets, so Q_tau is no longer exactly stationary."""
    prior = concept_mixture(5, 5)
    q = np.exp(log_softmax_coherence(prior, 1.0))
    assert np.abs(transition_matrix(prior, 1.0, rho=1.0) - transition_matrix(prior, 1.0)).max() == 0
    d = tv(stationary_distribution(transition_matrix(prior, 1.0, rho=0.5)), q)
    print(f"gibbs-rho (rho=0.5) stationary TV to Q_1: {d:.3g}")
    assert 1e-6 < d < 0.5


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 30), k=st.sampled_from([2, 3]), C=st.integers(1, 5))
def test_fast_conditional_equals_model_leave_one_out(seed, n, k, C):
    rng = np.random.default_rng(seed)
    prior = concept_mixture(seed, n, k, K=4)
    B = rng.integers(0, k, (C, n))
    mc = MixtureChains(prior, B)
    items = rng.integers(0, n, C)
    ref = prior.log_loo(B)[np.arange(C), items]
    assert np.allclose(mc.log_conditional(items), ref, atol=1e-10)
    # after random updates (past several resyncs) the incremental state is still exact
    for t in range(3 * mc.resync + 7):
        mc.step(rng.integers(0, n, C), 1.0, rng.random(C))
    assert np.array_equal(mc.a, prior.agreements(mc.B.astype(np.int64)))
    if k == 2:
        items = rng.integers(0, n, C)
        ref = np.exp(prior.log_loo(mc.B.astype(np.int64))[np.arange(C), items, 1])
        assert np.allclose(mc.prob_one(items), ref, rtol=1e-9, atol=1e-12)


def test_fast_and_generic_paths_agree_at_zero_temperature():
    prior = concept_mixture(7, 12)
    a = run_search("gibbs", prior, seed=3, tau=0.0, scan="systematic", sweeps=5, chains=3)
    b = run_search("gibbs", prior, seed=3, tau=0.0, scan="systematic", sweeps=5, chains=3, fast=False)
    assert a.extras["fast_path"] and not b.extras["fast_path"]
    assert np.array_equal(a.extras["chains_final"], b.extras["chains_final"])
    assert a.evaluations == b.evaluations == 5 * 12 * 3


@pytest.mark.parametrize("fast", [True, False])
def test_sampler_frequencies_approach_q_tau(fast):
    prior = concept_mixture(11, 5)
    tau = 1.5
    chains = 20000 if fast else 4000
    res = run_search("gibbs", prior, seed=0, tau=tau, sweeps=25, chains=chains, fast=fast, trace_every=0)
    emp = np.bincount(encode(res.extras["chains_final"], 2), minlength=32) / chains
    q = np.exp(log_softmax_coherence(prior, tau))
    # TV of an empirical law with 32 cells: about sqrt(32 / (2 pi N)) at most
    assert tv(emp, q) < 2.5 * np.sqrt(32 / (2 * np.pi * chains))


def test_clamped_items_never_move_and_constraints_lower_violations():
    from simulations.search.constraints import from_relations

    prior = concept_mixture(2, 8)
    res = run_search("gibbs", prior, labels={0: 1, 3: 0}, seed=1, sweeps=20, chains=4)
    fin = res.extras["chains_final"]
    assert np.all(fin[:, 0] == 1) and np.all(fin[:, 3] == 0)
    cons = from_relations(8, [(1, 2, "exclusive"), (4, 5, "equivalence"), (6, 7, "implication")])
    hard = run_search("annealed-gibbs", prior, constraints=cons, seed=0, constraint_weight=20.0, sweeps=60, chains=8)
    assert np.all(cons.violations(hard.extras["chains_final"]) == 0)


def test_annealed_gibbs_finds_exact_argmax_in_most_seeds(capsys):
    hits = total = 0
    for inst in range(4):
        prior = concept_mixture(100 + inst, 9, K=4)
        B = all_behaviours(9, 2)
        tab = prior.log_joint_all()
        best = {tuple(b) for b in B[tab >= tab.max() - 1e-9]}
        for s in range(10):
            hits += tuple(run_search("annealed-gibbs", prior, seed=s, sweeps=60).behaviours) in best
            total += 1
    print(f"annealed-gibbs exact-argmax rate: {hits}/{total}")
    assert hits / total >= 0.6


def test_a_reducible_chain_is_refused():
    T = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="not irreducible"):
        stationary_distribution(T)


def test_stationary_law_of_a_birth_death_chain_in_closed_form():
    """Detailed balance gives pi_{i+1} / pi_i = up_i / down_{i+1}: the law, to rounding, even when
    the ratios span 30 orders of magnitude."""
    up = np.array([1e-6, 0.3, 1e-8, 0.5, 0.2])
    down = np.array([0.4, 1e-7, 0.6, 0.1, 0.3])
    N = 6
    T = np.zeros((N, N))
    for i in range(N - 1):
        T[i, i + 1] = up[i]
        T[i + 1, i] = down[i]
    T += np.diag(1.0 - T.sum(axis=1))
    ratio = np.concatenate([[1.0], np.cumprod(up / down)])
    exact = ratio / ratio.sum()
    got = stationary_distribution(T)
    assert np.allclose(got, exact, rtol=1e-12, atol=0)
