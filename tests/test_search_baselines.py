"""Baselines against independent computations: zero-shot argmax, self-consistency -> exact
marginals, supervised = MAP concept / in-context, entropy-min picks the sharpest concept, logistic
gradients, CCS recovers a concept only up to its sign."""
import numpy as np
from scipy.optimize import check_grad
from scipy.special import logsumexp

from priors import concept_mixture, simulator
from simulations.search import run_search
from simulations.search.fitting import LogisticFit
from theory.concept_mixture import ConceptMixture
from theory.enumeration import all_behaviours


def test_zero_shot_is_the_argmax_of_the_zero_shot_conditional():
    for prior in (concept_mixture(0, 8), simulator(1, 8)):
        res = run_search("zero-shot", prior, labels={2: 1})
        want = prior.log_zero_shot().argmax(axis=1)
        want[2] = 1
        assert np.array_equal(res.behaviours, want)


def test_self_consistency_frequencies_approach_the_exact_marginals():
    prior = concept_mixture(3, 6)
    res = run_search("self-consistency", prior, samples=20000, seed=0, labels={1: 0})
    B = all_behaviours(6, 2)
    tab = prior.log_joint_all()
    tab = np.where(B[:, 1] == 0, tab, -np.inf)
    p = np.exp(tab - logsumexp(tab))
    marg1 = np.array([p[B[:, i] == 1].sum() for i in range(6)])
    assert np.abs(res.extras["frequencies"][:, 1] - marg1).max() < 0.02


def test_supervised_mixture_fit_is_the_map_concept():
    prior = concept_mixture(5, 10, K=5)
    labels = {0: 1, 3: 0, 4: 1, 7: 1}
    res = run_search("supervised", prior, labels=labels)
    idx, ys = np.array(list(labels)), np.array(list(labels.values()))
    score = prior.log_w + np.where(prior.F[:, idx] == ys, prior.log_hit[:, None], prior.log_miss[:, None]).sum(axis=1)
    k = int(np.argmax(score))
    # a concept with eps > 1/2 predicts the opposite of its map
    want = prior.F[k].copy() if prior.eps[k] < 0.5 else 1 - prior.F[k]
    want[idx] = ys
    assert np.array_equal(res.behaviours, want)


def test_supervised_in_context_uses_the_labels_as_demonstrations():
    prior = simulator(4, 7)
    labels = {0: 1, 5: 0}
    res = run_search("supervised", prior, labels=labels)
    b = np.zeros(7, dtype=int)
    b[0], b[5] = 1, 0
    d = np.array([0, 5])
    for i in range(7):
        if i not in labels:
            assert res.behaviours[i] == np.argmax(prior.log_conditional(b[None], i, d[d != i])[0])


def test_self_training_with_unreachable_threshold_equals_supervised():
    prior = concept_mixture(6, 9)
    labels = {0: 1, 1: 1}
    st = run_search("self-training", prior, labels=labels, threshold=1.0)
    sup = run_search("supervised", prior, labels=labels)
    assert np.array_equal(st.behaviours, sup.behaviours) and st.extras["pseudo_labelled"] == 0


def test_self_training_with_features_adds_confident_items():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    truth = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[0.2, 0.2], w=[0.5, 0.5])
    labels = {int(i): int(truth[i])
              for i in np.flatnonzero(truth)[:3].tolist() + np.flatnonzero(1 - truth)[:3].tolist()}
    res = run_search("self-training", prior, labels=labels, features=X, threshold=0.8)
    assert res.extras["pseudo_labelled"] > 0 and np.mean(res.behaviours == truth) > 0.85


def test_entropy_min_without_labels_picks_the_sharpest_concept():
    """Compressibility bias (R5) in its purest form: with no labels, minimum entropy = minimum eps."""
    F = np.random.default_rng(1).integers(0, 2, (4, 8))
    prior = ConceptMixture(F=F, eps=[0.2, 0.05, 0.3, 0.1], w=[0.7, 0.1, 0.1, 0.1])
    res = run_search("entropy-min", prior, lam=1.0)
    assert res.extras["concept"] == 1 and np.array_equal(res.behaviours, F[1])


def test_logistic_gradient_with_entropy_term_matches_finite_differences():
    rng = np.random.default_rng(2)
    f = LogisticFit(rng.normal(size=(12, 3)), k=3, l2=0.1)
    idx, y, w, unl = np.array([0, 1, 2, 5]), np.array([0, 2, 1, 1]), np.ones(4), np.array([3, 4, 6, 7])
    def fun(x):
        return f._objective(x, idx, y, w, unl, 0.7)[0]

    def grad(x):
        return f._objective(x, idx, y, w, unl, 0.7)[1]
    x0 = rng.normal(size=f.W.size)
    assert check_grad(fun, grad, x0) < 1e-5 * max(1.0, np.linalg.norm(grad(x0)))


def test_ccs_recovers_the_concept_only_up_to_sign():
    rng = np.random.default_rng(3)
    n = 40
    truth = np.empty(n, dtype=int)
    truth[0::2] = rng.integers(0, 2, n // 2)
    truth[1::2] = 1 - truth[0::2]
    X = np.stack([2 * truth - 1 + 0.3 * rng.normal(size=n), rng.normal(size=n)], axis=1)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[0.2, 0.2], w=[0.5, 0.5])
    pairs = np.stack([np.arange(0, n, 2), np.arange(1, n, 2)], axis=1)
    accs = []
    for seed in range(6):
        res = run_search("ccs", prior, features=X, pairs=pairs, seed=seed)
        accs.append(np.mean(res.behaviours == truth))
        assert abs(res.extras["loss"] - res.extras["flipped_loss"]) < 0.05       # flip-symmetric objective
    assert all(a > 0.9 or a < 0.1 for a in accs)
    oriented = run_search("ccs", prior, features=X, pairs=pairs, seed=0, labels={0: int(truth[0]), 2: int(truth[2])})
    assert np.mean(oriented.behaviours == truth) > 0.9
