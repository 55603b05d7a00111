"""ServedPrior's bookkeeping against the stdlib stub server's closed-form toy model (unit tests:
renormalisation, the eps floor, echo calibration, caching, accounting). Expected values are
computed here from the toy model's formula and prompts written out by hand."""
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from served_stub import StubServer, StubState, toy_next_logprobs
from simulations.lm.backends.where import accounting, make_prior, open_model, parse_served
from simulations.lm.backends.prior import PromptFormat
from simulations.lm.backends.served import ICM_EPS, ServedPrior

FMT = PromptFormat(header="Classify.\n\n", label_words=("negative", "positive"))
WORDS = ["happy", "sad", "joy", "grim", "calm"]
Q = [f"Word: {w}\nSentiment:" for w in WORDS]
LABELS = (" negative", " positive")


def _expected(prefix, filler_logit=-3.0):
    d = toy_next_logprobs(prefix, LABELS, filler_logit)
    z = np.array([d[LABELS[0]], d[LABELS[1]]])
    return z - logsumexp(z)


def _text(b, i, demos):
    out = "Classify.\n\n"
    for j in demos:
        out += f"Word: {WORDS[j]}\nSentiment: {('negative', 'positive')[b[j]]}\n\n"
    return out + f"Word: {WORDS[i]}\nSentiment:"


def _open(url, tmp_path, **kw):
    return open_model(f"openai:{url}", cache_dir=tmp_path / "cache", backoff=0.01, **kw)


def test_spec_parsing():
    assert parse_served("openai:http://h:8000/v1#org/Model-70B") == ("http://h:8000", "org/Model-70B")
    assert parse_served("openai:https://h") == ("https://h", None)
    for bad in ("openai:h:8000", "openai:", "openai:ftp://h"):
        with pytest.raises(ValueError, match="--model"):
            parse_served(bad)
    with pytest.raises(ValueError, match="served models"):
        open_model("tiny-random", top_logprobs=5)


def test_conditionals_loo_zero_shot_match_the_toy_model(tmp_path):
    state = StubState()
    rng = np.random.default_rng(0)
    with StubServer(state) as url:
        model = _open(url, tmp_path)
        assert model.model == "toy"  # asked GET /v1/models
        prior = make_prior(model, Q, FMT)
        assert isinstance(prior, ServedPrior)
        B = rng.integers(0, 2, (3, 5))
        loo = prior.log_loo(B)
        for r in range(3):
            for i in range(5):
                demos = [j for j in range(5) if j != i]
                assert prior.prompt_text(B[r], i, demos) == _text(B[r], i, demos)
                np.testing.assert_allclose(loo[r, i], _expected(_text(B[r], i, demos)), atol=1e-12)
        zs = prior.log_zero_shot()
        np.testing.assert_allclose(zs, [_expected(_text(B[0], i, [])) for i in range(5)], atol=1e-12)
        lc = prior.log_conditional(B, 2, [4, 0])
        np.testing.assert_allclose(lc[1], _expected(_text(B[1], 2, [4, 0])), atol=1e-12)
        acc = accounting(prior)
    assert acc["backend"] == "served" and acc["label_fallbacks"] == 0
    # every distinct prompt went out once; tokens are the stub's usage counts
    distinct = len(set(state.prompts))
    assert len(state.prompts) == distinct == prior.forward_calls
    assert prior.forward_tokens > 0


def test_label_outside_top_k_is_floored_with_a_counted_warning(tmp_path):
    # fillers outrank the labels: with K = 2 neither label is returned, with K = 9 only
    # the more likely one (positive, per the toy's logits) is
    state = StubState(filler_logit=5.0)
    with StubServer(state) as url:
        prior = make_prior(_open(url, tmp_path, top_logprobs=2), Q, FMT)
        with pytest.warns(UserWarning, match=r"10 of 10 label-word look-ups .* top-2 .* eps = 1e-05"):
            zs = prior.log_zero_shot()
        np.testing.assert_allclose(zs, np.log(0.5), atol=1e-12)  # both floored: uniform
        prior9 = make_prior(_open(url, tmp_path, top_logprobs=9), Q, FMT)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            zs9 = prior9.log_zero_shot()
    for i in range(5):
        d = toy_next_logprobs(_text(None, i, []), LABELS, 5.0)
        top = dict(sorted(d.items(), key=lambda kv: -kv[1])[:9])
        p = np.array([np.exp(top[t]) if t in top else ICM_EPS for t in LABELS])
        np.testing.assert_allclose(zs9[i], np.log(p / p.sum()), atol=1e-12)
    assert prior9.fallbacks == sum(t not in dict(sorted(toy_next_logprobs(_text(None, i, []), LABELS, 5.0).items(),
                                                        key=lambda kv: -kv[1])[:9]) for i in range(5) for t in LABELS)
    assert (prior9.fallbacks > 0) == any("look-ups" in str(x.message) for x in w)


@pytest.mark.parametrize("echo, offset", [("aligned", 0), ("shifted", -1), ("garbage", False), ("reject", False)])
def test_sequential_in_one_request_is_verified_against_steps(tmp_path, echo, offset):
    state = StubState(echo=echo)
    rng = np.random.default_rng(1)
    with StubServer(state) as url:
        model = _open(url, tmp_path)
        prior = make_prior(model, Q, FMT)
        B = rng.integers(0, 2, (4, 5))
        s = rng.permutation(5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seq = prior.sequential_conditionals(B, s)
        for r in range(4):
            for t in range(5):
                np.testing.assert_allclose(seq[r, t], _expected(_text(B[r], s[t], s[:t])), atol=1e-9)
        lj = prior.log_joint(B[0], s)
    assert model.echo_offset is offset
    np.testing.assert_allclose(lj, sum(_expected(_text(B[0], s[t], s[:t]))[B[0, s[t]]] for t in range(5)))
    if offset is not False:
        # calibration: one echo + the per-step requests of the first vector; then one echo per vector
        assert prior.echo_requests == len(np.unique(B, axis=0)) + 1  # distinct vectors, then log_joint's


def test_rerun_from_the_cache_sends_nothing(tmp_path):
    state = StubState()
    rng = np.random.default_rng(2)
    B = rng.integers(0, 2, (2, 5))
    with StubServer(state) as url:
        p1 = make_prior(_open(url, tmp_path), Q, FMT)
        a = p1.log_loo(B), p1.sequential_conditionals(B, [4, 3, 2, 1, 0])
        sent = len(state.prompts)
        p2 = make_prior(_open(url, tmp_path), Q, FMT)
        b = p2.log_loo(B), p2.sequential_conditionals(B, [4, 3, 2, 1, 0])
    assert len(state.prompts) == sent and p2.forward_calls == 0 and p2.forward_tokens == 0
    assert p2.cache_hits == p1.forward_calls
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_rejects_block_loo(tmp_path):
    with StubServer(StubState()) as url:
        with pytest.raises(ValueError, match="loo must be 'exact'"):
            make_prior(_open(url, tmp_path), Q, FMT, loo="block")


@pytest.mark.parametrize("method", ["bootstrap", "icm", "gibbs", "zero-shot", "debate"])
def test_searches_run_unchanged_and_equal_a_local_replay(tmp_path, method):
    """Every search runs on a ServedPrior; a rerun from the response cache with the server gone
    reproduces it exactly."""
    from simulations.search import run_search

    with StubServer(StubState()) as url:
        prior = make_prior(_open(url, tmp_path), Q, FMT)
        res = run_search(method, prior, seed=3)
    assert res.behaviours.shape[-1] == 5 and prior.forward_calls > 0
    replay = make_prior(open_model(f"openai:{url}#toy", cache_dir=tmp_path / "cache", retries=0), Q, FMT)
    res2 = run_search(method, replay, seed=3)
    np.testing.assert_array_equal(res.behaviours, res2.behaviours)
    assert replay.forward_calls == 0


def test_open_model_none_options_mean_defaults(tmp_path):
    with StubServer(StubState()) as url:
        m = open_model(f"openai:{url}#toy", cache_dir=tmp_path, top_logprobs=None, timeout=None)
    assert m.top_logprobs == 20 and m.client.timeout == 120.0 and m.name == f"openai:{url}#toy"
    with pytest.raises(ValueError, match="top_logprobs must be an integer in"):
        open_model(f"openai:{url}#toy", top_logprobs=0)


def test_cli_arguments_reach_open_model(tmp_path):
    import argparse
    from dataclasses import replace

    from coherence.lm_options import add_model_arguments, model_config
    from simulations.lm.backends.where import open_configured

    ap = argparse.ArgumentParser()
    add_model_arguments(ap)
    with StubServer(StubState()) as url:
        args = ap.parse_args(["--model", f"openai:{url}", "--cache-dir", str(tmp_path), "--top-logprobs", "7",
                              "--max-workers", "2", "--timeout", "9", "--echo", "off"])
        m = open_configured(model_config(args))
        assert (m.top_logprobs, m.client.max_workers, m.client.timeout, m.echo) == (7, 2, 9.0, "off")
        assert m.cache.root == tmp_path / "responses"        # --cache-dir is the cache root
        args = ap.parse_args(["--model", f"openai:{url}", "--response-cache", str(tmp_path / "r"),
                              "--top-logprobs", "7"])
        assert open_configured(model_config(args)).cache.root == tmp_path / "r"
        local = model_config(ap.parse_args(["--model", "tiny-random"]))
        assert all(v is None for v in local.served_options().values())
        with pytest.raises(ValueError, match="served models"):
            open_configured(replace(model_config(args), model="tiny-random"))
