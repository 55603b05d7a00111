"""Exact searches against independent enumeration: ties, joint MAP vs marginal decoder (C3), SRM at
lambda* = MAP (C2), Occam bound."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.special import logsumexp

from priors import concept_mixture, simulator, table
from simulations.search import run_search
from theory.concept_mixture import ConceptMixture
from theory.enumeration import all_behaviours
from theory.srm import map_lambda


def test_symmetric_prior_reports_both_tied_maxima():
    truth = np.array([1, 0, 1, 1, 0, 0])
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[0.1, 0.1], w=[0.5, 0.5])
    res = run_search("exact-argmax", prior)
    ties = {tuple(t) for t in res.extras["ties"]}
    assert ties == {tuple(truth), tuple(1 - truth)}
    one = run_search("exact-argmax", prior, labels={0: 1})
    assert [tuple(t) for t in one.extras["ties"]] == [tuple(truth)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 7), eta=st.sampled_from([0.0, 0.1, 0.3]),
       family=st.sampled_from(["mixture", "table", "simulator"]))
def test_map_and_marginal_decoder_against_brute_force(seed, n, eta, family):
    prior = {"mixture": concept_mixture, "table": table, "simulator": simulator}[family](seed, n)
    rng = np.random.default_rng(seed)
    labels = {int(i): int(rng.integers(0, 2)) for i in rng.choice(n, size=min(2, n - 1), replace=False)}
    B = all_behaviours(n, 2).astype(np.int64)
    logq = np.array([prior.log_joint(b) for b in B])            # per-vector, no table path
    lik = np.zeros(len(B))
    for i, y in labels.items():
        lik += np.where(B[:, i] == y, np.log1p(-eta) if eta else 0.0, np.log(eta) if eta else -np.inf)
    post = logq + lik
    res = run_search("joint-map", prior, labels=labels, eta=eta)
    assert math.isclose(post[int("".join(map(str, res.behaviours)), 2)], post.max(), rel_tol=1e-12, abs_tol=1e-12)
    pn = np.exp(post - logsumexp(post))
    marg = np.stack([[pn[B[:, i] == y].sum() for y in range(2)] for i in range(n)])
    md = run_search("marginal-decoder", prior, labels=labels, eta=eta)
    assert np.allclose(md.extras["marginals"], marg, atol=1e-12)
    # expected per-item accuracy: the marginal decoder is never worse than joint MAP
    def acc(b):
        return marg[np.arange(n), b].mean()
    assert acc(md.behaviours) >= acc(res.behaviours) - 1e-12


def test_marginal_decoder_beats_joint_map_on_a_constructed_prior():
    """Three maps: A = 000000 (weight .4), B1 = 111000 and B2 = 111111 split .3 / .3: A is the
    joint MAP, but items 0-2 are 1 with probability .6."""
    F = np.array([[0] * 6, [1, 1, 1, 0, 0, 0], [1] * 6])
    prior = ConceptMixture(F=F, eps=[1e-4] * 3, w=[0.4, 0.3, 0.3])
    jm = run_search("joint-map", prior).behaviours
    md = run_search("marginal-decoder", prior)
    assert np.array_equal(jm, F[0]) and np.array_equal(md.behaviours, [1, 1, 1, 0, 0, 0])
    marg = md.extras["marginals"]
    assert marg[np.arange(6), md.behaviours].mean() > marg[np.arange(6), jm].mean() + 0.05


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(3, 7), eta=st.sampled_from([0.05, 0.2, 0.35]))
def test_srm_at_lambda_star_is_the_noisy_label_map(seed, n, eta):
    prior = concept_mixture(seed, n)
    rng = np.random.default_rng(seed)
    labels = {int(i): int(rng.integers(0, 2)) for i in rng.choice(n, size=n - 1, replace=False)}
    srm = run_search("srm", prior, labels=labels, eta=eta)
    assert math.isclose(srm.params["lam"], map_lambda(eta))
    jm = run_search("joint-map", prior, labels=labels, eta=eta)
    assert {tuple(t) for t in srm.extras["ties"]} == {tuple(t) for t in jm.extras["ties"]}


def test_occam_srm_minimises_the_bound_by_brute_force():
    prior = concept_mixture(5, 6)
    labels = {0: 1, 2: 0, 4: 1}
    res = run_search("occam-srm", prior, labels=labels, delta=0.1)
    B = all_behaviours(6, 2).astype(np.int64)
    logq = prior.log_joint(B)
    risk = np.array([np.mean([b[i] != y for i, y in labels.items()]) for b in B])
    bound = risk + np.sqrt((-logq + np.log(10)) / 6)
    assert math.isclose(res.extras["bound"], bound.min(), rel_tol=1e-12)
    assert math.isclose(bound[int("".join(map(str, res.behaviours)), 2)], bound.min(), rel_tol=1e-12)


def test_constraints_restrict_the_exact_argmax():
    from simulations.search.constraints import from_relations

    prior = concept_mixture(8, 6)
    cons = from_relations(6, [(0, 1, "exclusive"), (2, 3, "equivalence")])
    res = run_search("exact-argmax", prior, constraints=cons)
    B = all_behaviours(6, 2)
    ok = (B[:, 0] != B[:, 1]) & (B[:, 2] == B[:, 3])
    tab = prior.log_joint_all()
    assert math.isclose(res.coherence, tab[ok].max(), rel_tol=1e-12)
