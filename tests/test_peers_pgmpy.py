"""Peer check of the concept-mixture closed forms and the exact searches against pgmpy.

The mixture is built as a Bayesian network (latent concept ``c`` -> behaviours ``b_i``, and for
noisy labels ``b_i -> o_i``; see :func:`coherence.benchmarks.loo_pgmpy.mixture_network`), and
pgmpy's variable elimination recomputes, by summing out factors:

* the leave-one-out conditionals ``P(b_i | b_{-i})`` (``log_loo``);
* the marginals ``P(b_A)`` (``log_marginal``) and the full joint (``log_joint_all``);
* the posterior marginals ``P(b_i | labels)`` (``marginal-decoder``), clamped or noisy labels;
* the MAP ``argmax_b P(b | labels)`` (``joint-map``, ``exact-argmax``): ties are possible, so the
  two assignments are compared by their log-probabilities under pgmpy's own joint.

Every pgmpy answer is requested under several elimination orders (heuristics, opt_einsum's
greedy contraction, and random explicit orders); they must all agree, and agree with ours.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    pgmpy_inference = pytest.importorskip("pgmpy.inference")

from coherence.benchmarks.loo_pgmpy import item, mixture_network, observation, pgmpy_loo  # noqa: E402
from simulations.search import run_search  # noqa: E402
from theory.enumeration import all_behaviours  # noqa: E402

from priors import concept_mixture  # noqa: E402

HEURISTICS = ["MinFill", "MinNeighbors", "WeightedMinFill", "MinWeight", "greedy"]
SEEDS = range(4)


def _instance(seed):
    rng = np.random.default_rng(seed)
    n, k, K = int(rng.integers(5, 9)), int(rng.integers(2, 4)), int(rng.integers(2, 5))
    return concept_mixture(seed, n, k, K=K), rng


def _orders(inference, to_eliminate, rng, n_random=2):
    """Heuristic names plus random explicit orders over the variables pgmpy will eliminate."""
    out = list(HEURISTICS)
    for _ in range(n_random):
        out.append([to_eliminate[j] for j in rng.permutation(len(to_eliminate))])
    return out


def _ordered_values(factor, names):
    """Factor table with its axes in the order of ``names``."""
    return np.transpose(factor.values, [factor.variables.index(v) for v in names])


def _labels(model, rng, m):
    idx = rng.choice(model.n, size=m, replace=False)
    return {int(i): int(rng.integers(0, model.k)) for i in idx}


def _query(inference, names, evidence, order):
    return inference.query(names, evidence=evidence, elimination_order=order, joint=True, show_progress=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_leave_one_out_conditionals(seed):
    model, rng = _instance(seed)
    b = model.sample(rng, 1)[0]
    inference = pgmpy_inference.VariableElimination(mixture_network(model))
    ours = np.exp(model.log_loo(b[None])[0])
    for order in _orders(inference, ["c"], rng, n_random=1):
        np.testing.assert_allclose(pgmpy_loo(inference, b, order), ours, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_marginals_and_joint(seed):
    model, rng = _instance(seed)
    inference = pgmpy_inference.VariableElimination(mixture_network(model))
    for size in (1, 2, 3):
        A = np.sort(rng.choice(model.n, size=size, replace=False))
        names = [item(i) for i in A]
        rest = ["c"] + [item(j) for j in range(model.n) if j not in A]
        sub = all_behaviours(size, model.k)                       # every assignment of b_A, code order
        B = np.zeros((sub.shape[0], model.n), dtype=np.int64)
        B[:, A] = sub
        ours = model.log_marginal(B, A)
        for order in _orders(inference, rest, rng):
            peer = _ordered_values(_query(inference, names, None, order), names).reshape(-1)
            np.testing.assert_allclose(np.log(peer), ours, rtol=0, atol=1e-10)
    names = [item(i) for i in range(model.n)]
    peer = _ordered_values(_query(inference, names, None, "MinFill"), names).reshape(-1)
    np.testing.assert_allclose(np.log(peer), model.log_joint_all(), rtol=0, atol=1e-10)


def _labelled_instance(seed, eta, m):
    """Instance with ``m`` random labels: clamped labels are evidence on ``b_i``, noisy labels
    (``eta > 0``) are evidence on their children ``o_i``."""
    model, rng = _instance(seed)
    labels = _labels(model, rng, m)
    if eta == 0.0:
        net, evidence = mixture_network(model), {item(i): y for i, y in labels.items()}
    else:
        net = mixture_network(model, observed=sorted(labels), eta=eta)
        evidence = {observation(i): y for i, y in labels.items()}
    return model, rng, labels, evidence, pgmpy_inference.VariableElimination(net)


@pytest.mark.parametrize("eta", [0.0, 0.2])
@pytest.mark.parametrize("seed", SEEDS)
def test_posterior_marginals_match_the_marginal_decoder(seed, eta):
    model, rng, labels, evidence, inference = _labelled_instance(seed, eta, m=3)
    res = run_search("marginal-decoder", model, labels=labels, eta=eta)
    marg = res.extras["marginals"]
    peer = np.eye(model.k)[[labels.get(i, 0) for i in range(model.n)]]   # clamped items: one-hot
    for i in range(model.n):
        if item(i) in evidence:
            continue
        rest = ["c"] + [item(j) for j in range(model.n) if j != i and item(j) not in evidence]
        answers = [_query(inference, [item(i)], evidence, order).values
                   for order in _orders(inference, rest, rng, n_random=1)]
        np.testing.assert_allclose(answers, np.broadcast_to(answers[0], np.shape(answers)), rtol=0, atol=1e-12)
        peer[i] = answers[0]
    np.testing.assert_allclose(marg, peer, rtol=0, atol=1e-10)
    # the decoder's choice is the argmax of pgmpy's marginal wherever that argmax is not a near-tie
    top2 = np.sort(peer, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-9
    assert np.array_equal(res.behaviours[clear], peer.argmax(axis=1)[clear])


def _log_posterior_table(inference, model, evidence):
    """``log P(b | evidence)`` over every assignment of the unobserved items, from pgmpy."""
    free = [i for i in range(model.n) if item(i) not in evidence]
    names = [item(i) for i in free]
    return free, np.log(_ordered_values(_query(inference, names, evidence, "MinFill"), names))


@pytest.mark.parametrize("eta", [0.0, 0.1])
@pytest.mark.parametrize("seed", SEEDS)
def test_map_matches_pgmpy(seed, eta):
    model, _, labels, evidence, inference = _labelled_instance(seed, eta, m=2)
    free, table = _log_posterior_table(inference, model, evidence)
    names = [item(i) for i in free]
    best = table.max()
    maps = []
    for order in HEURISTICS[:4]:
        m = inference.map_query(names, evidence=evidence, elimination_order=order, show_progress=False)
        maps.append(float(table[tuple(m[v] for v in names)]))
    np.testing.assert_allclose(maps, best, rtol=0, atol=1e-10)   # every order finds a maximiser
    res = run_search("joint-map", model, labels=labels, eta=eta)
    b = res.behaviours
    for i, y in labels.items():
        if eta == 0.0:
            assert b[i] == y
    assert table[tuple(b[free])] == pytest.approx(best, abs=1e-10)
    for tie in res.extras["ties"]:
        assert table[tuple(tie[free])] == pytest.approx(best, abs=1e-10)
    # the number of maximisers agrees too (ties listed by ours vs counted in pgmpy's table)
    assert len(res.extras["ties"]) == int(np.sum(table >= best - 1e-9 * max(1.0, abs(best))))


@pytest.mark.parametrize("seed", SEEDS)
def test_most_coherent_vector_is_the_prior_mode(seed):
    """``exact-argmax`` with no labels is the MAP of the prior itself."""
    model, _ = _instance(seed)
    inference = pgmpy_inference.VariableElimination(mixture_network(model))
    free, table = _log_posterior_table(inference, model, {})
    res = run_search("exact-argmax", model)
    assert table[tuple(res.behaviours)] == pytest.approx(table.max(), abs=1e-10)
    assert res.coherence_trace[-1] == pytest.approx(table.max(), abs=1e-10)
    names = [item(i) for i in free]
    m = inference.map_query(names, show_progress=False)
    assert table[tuple(m[v] for v in names)] == pytest.approx(table.max(), abs=1e-10)


def test_network_is_the_mixture():
    """Guard on the peer's input: the network's full joint over (c, b) factorises as the mixture."""
    model, _ = _instance(11)
    inference = pgmpy_inference.VariableElimination(mixture_network(model))
    names = ["c"] + [item(i) for i in range(model.n)]
    joint = _ordered_values(_query(inference, names, None, "MinFill"), names)
    for j, code in itertools.product(range(model.K), [0, 1, model.k ** model.n - 1]):
        b = all_behaviours(model.n, model.k)[code]
        expected = model.log_w[j] + np.where(b == model.F[j], model.log_hit[j], model.log_miss[j]).sum()
        assert np.log(joint[(j,) + tuple(b)]) == pytest.approx(expected, abs=1e-10)
