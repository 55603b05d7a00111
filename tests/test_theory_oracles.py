"""Oracle tests: every closed form against an independent computation (quadrature, scipy, brute force)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import integrate, stats
from scipy.special import logsumexp

from theory import (ConceptMixture, DirichletMultinomial, GaussianBehaviour, all_behaviours, cross_entropy,
                    entropy, kl_divergence, label_loss, log_partition, log_softmax_coherence, map_lambda,
                    rbf_kernel, srm_objective)
from theory.arithmetic_coder import code_length_bits, decode, encode
from theory.dirichlet_multinomial import dm_asymptotic_codelength
from theory.enumeration import decode as decode_codes, encode as encode_codes
from theory.misspecification import (add_concept, contaminate, drop_concept, flat_hamming_prior,
                                     misspecification_kl, reweight, temper)
from theory.table import TablePrior

from priors import ALL_FAMILIES, concept_mixture, simulator

SETTINGS = settings(max_examples=25, deadline=None)


def _brute_mixture_logp(prior, b):
    """Per-vector product formula, written independently of the vectorised closed form."""
    total = 0.0
    for f, e, w in zip(prior.F, prior.eps, prior.w):
        p = w
        for bi, fi in zip(b, f):
            p *= (1 - e) if bi == fi else e / (prior.k - 1)
        total += p
    return math.log(total)


@SETTINGS
@given(seed=st.integers(0, 9999), n=st.integers(1, 7), k=st.integers(2, 3))
def test_concept_mixture_closed_form_vs_product_formula(seed, n, k):
    prior = concept_mixture(seed, n, k)
    B = all_behaviours(n, k)
    brute = np.array([_brute_mixture_logp(prior, b) for b in B])
    np.testing.assert_allclose(prior.log_joint(B), brute, atol=1e-10)
    np.testing.assert_allclose(prior.log_joint_all(), brute, atol=1e-10)


def test_concept_mixture_popcount_enumeration_n20():
    prior = concept_mixture(0, 20, 2, K=8)
    fast = prior.log_joint_all()
    rng = np.random.default_rng(1)
    codes = rng.choice(2**20, 300, replace=False)
    brute = np.array([_brute_mixture_logp(prior, b) for b in decode_codes(codes, 20)])
    np.testing.assert_allclose(fast[codes], brute, atol=1e-9)
    assert logsumexp(fast) == pytest.approx(0.0, abs=1e-9)


def test_concept_mixture_large_n_no_overflow():
    """n = 10^6: a single-concept prior gives a + (n-a) closed form; mixtures stay finite."""
    n = 10**6
    rng = np.random.default_rng(0)
    f = rng.integers(0, 2, n)
    b = f.copy()
    flip = rng.random(n) < 0.1
    b[flip] = 1 - b[flip]
    one = ConceptMixture(F=f[None], eps=[0.1], w=[1.0])
    a = n - flip.sum()
    assert one.log_joint(b)[()] == pytest.approx(a * math.log(0.9) + (n - a) * math.log(0.1), rel=1e-12)
    two = ConceptMixture(F=np.stack([f, 1 - f]), eps=[0.1, 0.1], w=[0.5, 0.5])
    val = two.log_joint(b)[()]
    assert np.isfinite(val) and val == pytest.approx(math.log(0.5) + a * math.log(0.9) + (n - a) * math.log(0.1),
                                                     rel=1e-12)
    loo = two.log_loo(b[None])[0]
    assert np.all(np.isfinite(loo)) and np.allclose(logsumexp(loo, axis=-1), 0.0)
    bb = DirichletMultinomial.beta_bernoulli(n, 0.5, 0.5)
    assert np.isfinite(bb.log_joint(b)[()])


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (0.5, 0.5), (2.0, 5.0)])
def test_beta_bernoulli_against_quadrature(a, b):
    """log int theta^s (1-theta)^f Beta(theta; a, b) dtheta (theta = P(b_i = 1))."""
    prior = DirichletMultinomial.beta_bernoulli(7, a, b)
    for bits in all_behaviours(7, 2)[::11]:
        s = int(bits.sum())
        f = 7 - s
        val, _ = integrate.quad(lambda t: t**s * (1 - t) ** f * stats.beta.pdf(t, a, b), 0, 1, epsabs=1e-14)
        assert prior.log_joint(bits)[()] == pytest.approx(math.log(val), abs=1e-8)


def test_dirichlet_multinomial_against_scipy_pmf():
    """Sequence probability times the multinomial coefficient is scipy's dirichlet_multinomial pmf."""
    alpha = np.array([0.7, 1.5, 2.2])
    prior = DirichletMultinomial(np.zeros(6, dtype=int), alpha)
    for b in all_behaviours(6, 3)[::37]:
        counts = np.bincount(b, minlength=3)
        coef = math.lgamma(7) - sum(math.lgamma(c + 1) for c in counts)
        pmf = stats.dirichlet_multinomial.logpmf(counts, alpha, 6)
        assert prior.log_joint(b)[()] + coef == pytest.approx(pmf, abs=1e-10)


def test_dirichlet_multinomial_asymptotic_expansion():
    """-Coh - [n H + (k-1)/2 ln n + const] -> 0 like 1/n (Stirling)."""
    alpha = np.array([0.6, 1.4, 2.0])
    gaps = []
    for n in [100, 1000, 10000, 100000]:
        counts = np.array([0.2, 0.3, 0.5]) * n
        prior = DirichletMultinomial(np.zeros(n, dtype=int), alpha)
        exact = -prior._log_marginal_counts(counts[None, None, :])[0]
        gaps.append(abs(exact - dm_asymptotic_codelength(counts, alpha)))
    assert gaps[-1] < 1e-4 and all(g2 < g1 / 5 for g1, g2 in zip(gaps, gaps[1:]))


def test_gaussian_against_scipy_and_schur_complement():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 4, 6)
    K = rbf_kernel(x, 1.2, 2.0, jitter=0.05)
    mu = rng.normal(size=6)
    g = GaussianBehaviour(mu, K)
    b = g.sample(rng, 4)
    np.testing.assert_allclose(g.log_joint(b), stats.multivariate_normal(mu, K).logpdf(b), atol=1e-10)
    mean, var = g.loo(b)
    for i in range(6):
        o = np.arange(6) != i
        kio = K[i, o]
        cond_mean = mu[i] + kio @ np.linalg.solve(K[np.ix_(o, o)], (b[:, o] - mu[o]).T)
        cond_var = K[i, i] - kio @ np.linalg.solve(K[np.ix_(o, o)], kio)
        np.testing.assert_allclose(mean[:, i], cond_mean, atol=1e-9)
        np.testing.assert_allclose(var[:, i], cond_var, atol=1e-9)


def test_kriging_maximises_coherence_given_labels():
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    K = rbf_kernel(rng.uniform(0, 5, 7), 1.0, 1.0, jitter=0.01)
    g = GaussianBehaviour(np.zeros(7), K)
    S, y = np.array([0, 3, 5]), np.array([1.0, -0.5, 2.0])
    krig = g.kriging(S, y)
    U = np.setdiff1d(np.arange(7), S)

    def neg(u):
        full = krig.copy()
        full[U] = u
        return -g.log_joint(full)[()]

    res = minimize(neg, np.zeros(U.size), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x, krig[U], atol=1e-4)


@SETTINGS
@given(seed=st.integers(0, 9999), n=st.integers(1, 6), family=st.sampled_from(sorted(ALL_FAMILIES)))
def test_arithmetic_coder_roundtrip_and_length(seed, n, family):
    """decode(encode(b)) = b and len <= -Coh_s / ln 2 + 2 bits, for any order and family."""
    k = 3 if seed % 2 else 2
    prior = ALL_FAMILIES[family](seed, n, k)
    rng = np.random.default_rng(seed)
    B = all_behaviours(n, k)
    for b in B[rng.choice(len(B), min(len(B), 6), replace=False)]:
        s = rng.permutation(n)
        bits = encode(prior, b, s)
        np.testing.assert_array_equal(decode(prior, bits, s), b)
        assert bits.size <= -prior.log_joint(b[None], s)[0] / math.log(2) + 2 + 1e-9


def test_arithmetic_coder_is_near_optimal_on_long_sequences():
    """n = 400 draws from a sharp mixture: the code is within 2 bits of -Coh/ln2 and not shorter
    than it minus 1e-6 (no code beats the model's own codelength)."""
    prior = concept_mixture(1, 400, 2, K=4)
    b = prior.sample(np.random.default_rng(2), 1)[0]
    ideal = -prior.log_joint(b)[()] / math.log(2)
    length = code_length_bits(prior, b)
    assert ideal - 1e-6 <= length <= ideal + 2


def test_kl_and_entropy_against_scipy():
    rng = np.random.default_rng(0)
    p, q = TablePrior.random(rng, 5), TablePrior.random(rng, 5)
    pp, qq = np.exp(p.log_table), np.exp(q.log_table)
    assert kl_divergence(p, q) == pytest.approx(stats.entropy(pp, qq), abs=1e-10)
    assert entropy(p) == pytest.approx(stats.entropy(pp), abs=1e-10)
    # E[-ln Q(pi*)] = H(P*) + KL(P* || Q), the expectation computed by Monte Carlo independently
    draws = rng.choice(2**5, size=200_000, p=pp)
    mc = -q.log_table[draws].mean()
    assert mc == pytest.approx(cross_entropy(p, q), abs=4 * q.log_table[draws].std() / math.sqrt(2e5))


@SETTINGS
@given(seed=st.integers(0, 9999), n=st.integers(2, 7), eta=st.floats(0.02, 0.45), m=st.integers(1, 5))
def test_srm_argmin_is_map_at_lambda_star(seed, n, eta, m):
    """With 0-1 loss and lambda = 1/log((1-eta)/eta), argmin J equals the Bayes MAP given noisy labels."""
    prior = concept_mixture(seed, n)
    rng = np.random.default_rng(seed)
    S = rng.choice(n, size=min(m, n), replace=False)
    y = rng.integers(0, 2, S.size)
    B = all_behaviours(n, 2)
    J = srm_objective(prior, B, S, y, map_lambda(eta))
    # Bayes, written directly: log P(b) + sum_i log P(y_i | b_i)
    like = np.where(B[:, S] == y, math.log(1 - eta), math.log(eta)).sum(axis=1)
    post = prior.log_joint(B) + like
    np.testing.assert_allclose(J - J.min(), (post.max() - post) * map_lambda(eta), atol=1e-9)


def test_srm_log_loss_and_partition():
    prior = concept_mixture(4, 5)
    B = all_behaviours(5, 2)
    S, y = np.array([0, 2]), np.array([1, 0])
    eta = 0.2
    ll = label_loss(B, S, y, "log", eta)
    assert ll[0b10000 + 0b00000] == pytest.approx(-2 * math.log(0.8))  # b0 = 1, b2 = 0 matches both
    lz = log_partition(prior, 0.5)
    J = srm_objective(prior, B, S, y, lam=1.0, tau=0.5, log_z=lz)
    np.testing.assert_allclose(J, label_loss(B, S, y) - log_softmax_coherence(prior, 0.5))


def test_softmax_over_coherence_tau_one_is_model_joint():
    prior = simulator(2, 5)
    assert log_partition(prior, 1.0) == pytest.approx(0.0, abs=1e-10)
    # tau -> 0 concentrates on the argmax
    table = prior.log_joint(all_behaviours(5, 2))
    q = np.exp(log_softmax_coherence(prior, 0.01))
    assert q[np.argmax(table)] > 0.99


def test_misspecification_transforms_and_kl():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 8)
    p = ConceptMixture(F=np.stack([truth, 1 - truth, np.zeros(8, int)]), eps=[0.1, 0.1, 0.2], w=[0.6, 0.3, 0.1],
                       names=("truth", "negation", "constant"))
    assert misspecification_kl(p, p) == pytest.approx(0.0, abs=1e-12)
    assert misspecification_kl(p, temper(p, 1.0)) == pytest.approx(0.0, abs=1e-10)
    kls = [misspecification_kl(p, temper(p, beta)) for beta in (1.0, 1.5, 2.5)]
    assert kls[0] < kls[1] < kls[2]
    assert misspecification_kl(p, reweight(p, [0.3, 0.6, 0.1])) > 0
    assert misspecification_kl(p, contaminate(p, 0.3)) > 0
    dropped = drop_concept(p, "constant")
    assert dropped.K == 2 and np.isfinite(misspecification_kl(p, dropped))
    sharp = add_concept(p, 1 - truth, 0.01, 0.2)
    exact = misspecification_kl(p, sharp)
    est, se = misspecification_kl(p, sharp, n_samples=20000, rng=np.random.default_rng(1))
    assert abs(est - exact) < 4 * se + 1e-3
    ham = flat_hamming_prior(truth, rate=1.0)
    d = (all_behaviours(8, 2) != truth).sum(axis=1)
    expected = -1.0 * d - logsumexp(-1.0 * d)
    np.testing.assert_allclose(ham.log_joint_all(), expected, atol=1e-10)


def test_enumeration_codes_roundtrip():
    B = all_behaviours(5, 3)
    np.testing.assert_array_equal(encode_codes(B, 3), np.arange(3**5))
    np.testing.assert_array_equal(decode_codes(np.arange(3**5), 5, 3), B)
