"""Chunked searches (simulations.lm.searches.chunked) against brute force and explicit prompts.

* :func:`project`, :func:`violations`, :func:`constraint_leak` against enumeration of ``{0,1}^n``;
* :meth:`LMPrior.chunk_conditionals` / :meth:`LMPrior.context_conditionals` /
  :meth:`LMPrior.coherence_over_orders` against uncached explicit prompts on ``tiny-random``;
* :func:`run_chunked`: labels in the constraint set, reported coherence recomputed, same seed
  same result, and the coherence ascent never going down (recorded by wrapping the prior).
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.lm.searches.chunked import (CHUNKED, ChunkConfig, coherence_orders, initial_labels, project,
                                             run_chunked, violations)
from simulations.lm.tasks.constraints import constraint_leak

TOL = 1e-5  # nats: float32 forward passes of different shapes


# -- constraint sets by enumeration ------------------------------------------------------------
def _allowed(b, constraint, groups) -> bool:
    b = np.asarray(b)
    if constraint in ("none", "free-groups"):
        return True
    if constraint == "balance":
        return int(b.sum()) == b.size // 2
    if constraint == "at-most-one":
        return all(int(b[np.asarray(groups) == q].sum()) <= 1 for q in set(groups))
    # groups, and mirror-pairs on groups of two (opposite labels: exactly one true)
    return all(int(b[np.asarray(groups) == q].sum()) == 1 for q in set(np.asarray(groups).tolist()))


def _cube(n):
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)


def _member_set(n, constraint, groups):
    return np.array([b for b in _cube(n) if _allowed(b, constraint, groups)])


#: the constraints on plain consistency ids (the other relations: test_lm_relations.py)
CONSTRAINTS = ("none", "balance", "groups", "at-most-one")
odds_values = st.one_of(st.floats(-5, 5, allow_nan=False), st.sampled_from([-1.0, 0.0, 0.5, 1.0]))


@st.composite
def instances(draw):
    n = draw(st.integers(1, 10))
    odds = np.array(draw(st.lists(odds_values, min_size=n, max_size=n)))
    groups = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    constraint = draw(st.sampled_from(CONSTRAINTS))
    return n, odds, groups, constraint


@settings(max_examples=200, deadline=None)
@given(instances())
def test_project_is_the_constrained_maximiser(inst):
    n, odds, groups, constraint = inst
    b = project(odds, constraint, groups)
    assert b.shape == (n,) and set(np.unique(b)) <= {0, 1}
    assert _allowed(b, constraint, groups)
    best = max(float(m @ odds) for m in _member_set(n, constraint, groups))
    assert float(b @ odds) == pytest.approx(best, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(instances())
def test_violations_zero_exactly_on_the_set_and_balance_distance(inst):
    n, _, groups, constraint = inst
    members = _member_set(n, constraint, groups)
    for b in _cube(n):
        v = violations(b, constraint, groups)
        assert (v == 0) == _allowed(b, constraint, groups)
        if constraint == "balance":
            # the number of flips to the nearest balanced labelling
            assert v == int(np.min(np.sum(members != b, axis=1)))
        if constraint == "groups":
            assert v == sum(int(np.asarray(b)[np.asarray(groups) == q].sum()) != 1 for q in set(groups))


@settings(max_examples=150, deadline=None)
@given(instances(), st.data())
def test_constraint_leak_is_mean_accuracy_over_the_set(inst, data):
    n, _, groups, constraint = inst
    gold = np.array(data.draw(st.lists(st.sampled_from([-1, 0, 1, 1, 0]), min_size=n, max_size=n)))
    known = gold >= 0
    leak = constraint_leak(constraint, gold, groups)
    if not known.any():
        assert np.isnan(leak)
        return
    members = _member_set(n, constraint, groups)
    exact = float(np.mean([np.mean(m[known] == gold[known]) for m in members]))
    assert leak == pytest.approx(exact, abs=1e-12)


def test_constraint_leak_values():
    gold = np.array([1, 0, 1, 0, 1, 0])
    assert constraint_leak("none", gold) == 0.5
    assert constraint_leak("balance", gold) == 0.5
    # groups of two with one True each: a uniform pick is right on both items half the time
    assert constraint_leak("groups", gold, [0, 0, 1, 1, 2, 2]) == 0.5
    # groups of four with one True: 1/4 right on the True, 3/4 on each False
    assert constraint_leak("groups", np.array([1, 0, 0, 0]), [0, 0, 0, 0]) == pytest.approx((0.25 + 3 * 0.75) / 4)
    with pytest.raises(ValueError, match="constraint"):
        constraint_leak("parity", gold)


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 2**31))
def test_initial_labels_in_the_set(inst, seed):
    n, _, groups, constraint = inst
    assert _allowed(initial_labels(n, constraint, groups, np.random.default_rng(seed)), constraint, groups)


def test_project_and_violations_reject_unknown_constraint():
    with pytest.raises(ValueError, match="constraint"):
        project([1.0, -1.0], "parity")


def test_coherence_orders_are_seeded_permutations():
    a = coherence_orders(9, 3, 4)
    assert a.shape == (3, 9) and all(sorted(r) == list(range(9)) for r in a)
    assert np.array_equal(a, coherence_orders(9, 3, 4)) and not np.array_equal(a, coherence_orders(9, 3, 5))


# -- the language-model paths against explicit prompts ----------------------------------------
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.backends.prior import LMPrior, PromptFormat  # noqa: E402

WORDS = ("good", "awful", "calm", "hate", "joy", "grim", "nice", "sad")


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", seed=1, threads=1)


def _prior(lm, n=7, batch_tokens=16384):
    q = [f"Word: {WORDS[i % len(WORDS)]}{i}\nSentiment:" for i in range(n)]
    return LMPrior(lm, q, PromptFormat(label_words=("negative", "positive")), batch_tokens=batch_tokens)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_chunk_conditionals_equal_explicit_prompts(lm, chunk):
    """Chunk 7 = n: the context is empty (the tiny tokenizer adds no BOS), every item zero-shot."""
    rng = np.random.default_rng(chunk)
    prior = _prior(lm, batch_tokens=int(rng.integers(300, 3000)))
    n = prior.n
    for _ in range(2):
        b = rng.integers(0, 2, n)
        s = rng.permutation(n)
        ctx = prior.context_conditionals(b, s, chunk)
        for start in range(0, n, chunk):
            inside = s[start:start + chunk]
            demos = np.concatenate([s[:start], s[start + chunk:]])
            got = prior.chunk_conditionals(b, s, start, chunk)
            ref = np.stack([prior.explicit_log_conditional(b, int(i), demos) for i in inside])
            assert got.shape == (inside.size, 2)
            assert np.max(np.abs(got - ref)) < TOL
            assert np.max(np.abs(ctx[inside] - ref)) < TOL
    if chunk == 1:  # chunk 1 in index order is the exact leave-one-out
        b = rng.integers(0, 2, n)
        assert np.max(np.abs(prior.context_conditionals(b, np.arange(n), 1) - prior.explicit_log_loo(b))) < TOL


def test_chunk_conditionals_ignore_the_chunk_labels(lm):
    """The chunk's own labels are hidden from its queries: flipping them changes nothing."""
    prior = _prior(lm)
    rng = np.random.default_rng(3)
    b = rng.integers(0, 2, prior.n)
    s = rng.permutation(prior.n)
    c = b.copy()
    c[s[2:5]] ^= 1
    assert np.array_equal(prior.chunk_conditionals(b, s, 2, 3), prior.chunk_conditionals(c, s, 2, 3))


def test_coherence_over_orders_equals_explicit_chain(lm):
    prior = _prior(lm)
    rng = np.random.default_rng(8)
    n = prior.n
    orders = np.stack([rng.permutation(n) for _ in range(2)])
    for _ in range(2):
        b = rng.integers(0, 2, n)
        got = prior.coherence_over_orders(b, orders)
        ref = [sum(prior.explicit_log_conditional(b, int(s[t]), s[:t])[b[s[t]]] for t in range(n)) for s in orders]
        assert got.shape == (2,)
        assert np.max(np.abs(got - np.array(ref))) < TOL
        # and it is the prior's log-joint along each order (one-pass prequential path)
        assert np.allclose(got, [prior.log_joint(b, s) for s in orders], atol=TOL)


# -- run_chunked ------------------------------------------------------------------------------
GROUPS = np.array([0, 0, 1, 1, 2, 2])
COMBOS = [(m, c) for m in CHUNKED for c in CONSTRAINTS + ("free-groups", "mirror-pairs")
          if not (m == "gibbs" and c not in ("none", "free-groups"))]
CFG = ChunkConfig(chunk=2, sweeps=2, orders=2, chains=2)


@pytest.mark.parametrize("method,constraint", COMBOS)
def test_run_chunked_contract(lm, method, constraint):
    seed = 5
    res = run_chunked(method, _prior(lm, 6), constraint=constraint, groups=GROUPS, seed=seed, config=CFG)
    labels = res["labels"]
    assert labels.shape == (6,) and _allowed(labels, constraint, GROUPS)
    assert np.array_equal(res["orders"], coherence_orders(6, CFG.orders, seed))
    # the reported coherence is Coh of the returned labels over its orders, recomputed from scratch
    fresh = _prior(lm, 6)
    assert res["coherence"] == pytest.approx(fresh.coherence_over_orders(labels, res["orders"]).mean(), abs=TOL)
    ref = np.mean([sum(fresh.explicit_log_conditional(labels, int(s[t]), s[:t])[labels[s[t]]] for t in range(6))
                   for s in res["orders"]])
    assert res["coherence"] == pytest.approx(ref, abs=TOL)
    assert 1 <= res["sweeps_run"] <= CFG.sweeps
    if method == "gibbs":
        assert res["chains_final"].shape == (CFG.chains, 6)
    # same seed, same result (a fresh prior: no cache shared between the runs)
    again = run_chunked(method, _prior(lm, 6), constraint=constraint, groups=GROUPS, seed=seed, config=CFG)
    assert np.array_equal(again["labels"], labels) and again["accepted"] == res["accepted"]
    assert again["coherence"] == pytest.approx(res["coherence"], abs=1e-9)


@pytest.mark.parametrize("constraint", ["none", "balance"])
def test_coherence_ascent_never_decreases(lm, constraint):
    accepted = 0
    for seed in range(3):
        prior = _prior(lm, 6)
        value: dict = {}
        states: list = []
        coh, chunk = prior.coherence_over_orders, prior.chunk_conditionals

        def rec_coh(b, orders, coh=coh, value=value):
            out = coh(b, orders)
            value[tuple(np.asarray(b).tolist())] = float(out.mean())
            return out

        def rec_chunk(b, order, start, c, chunk=chunk, states=states):
            states.append(tuple(np.asarray(b).tolist()))  # the current labelling at every step
            return chunk(b, order, start, c)

        prior.coherence_over_orders, prior.chunk_conditionals = rec_coh, rec_chunk
        res = run_chunked("coherence", prior, constraint=constraint, seed=seed,
                          config=ChunkConfig(chunk=2, sweeps=3, orders=2))
        path = [value[s] for s in states] + [res["coherence"]]
        assert all(b >= a for a, b in zip(path, path[1:]))
        # the labelling returned is the most coherent of every labelling evaluated
        assert res["coherence"] == max(value.values())
        assert res["coherence"] >= path[0]
        accepted += res["accepted"]
    assert accepted > 0  # some proposal was taken, so the check above was not vacuous


def test_chunk_config_validation():
    for kw, name in [({"chunk": 0}, "chunk"), ({"sweeps": True}, "sweeps"), ({"orders": 1.5}, "orders"),
                     ({"chains": -1}, "chains"), ({"tau": 0.0}, "tau"), ({"alpha": float("nan")}, "alpha"),
                     ({"T0": -1.0}, "T0"), ({"T_min": float("inf")}, "T_min"), ({"decay": "2"}, "decay")]:
        with pytest.raises(ValueError, match=name):
            ChunkConfig(**kw)


def test_run_chunked_errors(lm):
    prior = _prior(lm, 6)
    with pytest.raises(ValueError, match="method"):
        run_chunked("anneal", prior)
    with pytest.raises(ValueError, match="constraint"):
        run_chunked("bootstrap", prior, constraint="parity")
    with pytest.raises(ValueError, match="groups"):
        run_chunked("bootstrap", prior, constraint="groups")
    with pytest.raises(ValueError, match="gibbs"):
        run_chunked("gibbs", prior, constraint="balance")
