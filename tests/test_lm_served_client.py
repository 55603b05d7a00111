"""The completions client's retry, backoff, auth, timeout and concurrency logic, and the
response cache, against a local stdlib stub server (unit tests; the feature itself is tested
against a real llama.cpp server in test_lm_served_llama.py)."""
import json
import os

import pytest

from served_stub import StubServer, StubState
from simulations.lm.backends.http_client import (AuthError, CompletionsClient, RequestTimeout, ServerError,
                                                normalise_base_url)
from simulations.lm.backends.response_cache import ResponseCache, response_key

BODY = {"prompt": "Word: happy\nSentiment:", "max_tokens": 1, "logprobs": 5}


def _client(url, **kw):
    sleeps = []
    kw.setdefault("backoff", 0.25)
    c = CompletionsClient(url, sleep=sleeps.append, **kw)
    return c, sleeps


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retries_with_exponential_backoff_then_succeeds(status):
    state = StubState(statuses=[status, status])
    with StubServer(state) as url:
        c, sleeps = _client(url, retries=3)
        out = c.completion(BODY)
    assert out["choices"][0]["logprobs"]["top_logprobs"][0]
    assert sleeps == [0.25, 0.5]  # backoff * 2**attempt
    assert c.stats.requests == 3 and c.stats.retries == 2
    assert c.stats.prompt_tokens == out["usage"]["prompt_tokens"]


def test_retry_after_is_honoured_up_to_the_cap():
    state = StubState(statuses=[429, 429], retry_after=7)
    with StubServer(state) as url:
        c, sleeps = _client(url, retries=2, backoff_max=5.0)
        c.completion(BODY)
    assert sleeps == [5.0, 5.0]


def test_gives_up_after_retries_with_status_in_the_message():
    state = StubState(statuses=[503] * 10)
    with StubServer(state) as url:
        c, sleeps = _client(url, retries=2)
        with pytest.raises(ServerError, match=r"HTTP 503.*after 3 attempts") as ei:
            c.completion(BODY)
    assert ei.value.status == 503 and len(sleeps) == 2


def test_client_error_is_not_retried():
    state = StubState(statuses=[400])
    with StubServer(state) as url:
        c, sleeps = _client(url, retries=3)
        with pytest.raises(ServerError, match=r"HTTP 400\): stub status 400"):
            c.completion(BODY)
    assert c.stats.requests == 1 and sleeps == []


def test_auth_key_from_env_is_sent_and_never_in_errors(monkeypatch):
    secret = "sk-test-0123456789-secret"
    state = StubState(api_key=secret)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("COHERENCE_API_KEY", secret)
    with StubServer(state) as url:
        c, _ = _client(url, retries=3)
        assert c.completion(BODY)["choices"]
        assert state.auth_headers[-1] == f"Bearer {secret}"
        monkeypatch.setenv("COHERENCE_API_KEY", "wrong-key-987")
        with pytest.raises(AuthError) as ei:
            c.completion(BODY)
        msg = str(ei.value)
        assert "HTTP 401" in msg and "COHERENCE_API_KEY" in msg and "was refused" in msg
        assert "wrong-key-987" not in msg and secret not in msg
        monkeypatch.delenv("COHERENCE_API_KEY")
        n = c.stats.requests
        with pytest.raises(AuthError, match="is missing"):
            c.completion(BODY)
        assert c.stats.requests == n + 1  # 401 is never retried


def test_openai_api_key_is_the_second_choice(monkeypatch):
    state = StubState(api_key="k2")
    monkeypatch.delenv("COHERENCE_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "k2")
    with StubServer(state) as url:
        c, _ = _client(url)
        c.completion(BODY)
    assert state.auth_headers == ["Bearer k2"]


def test_slow_response_raises_timeout():
    state = StubState(delay=1.5)
    with StubServer(state) as url:
        c, sleeps = _client(url, retries=1, timeout=0.3)
        with pytest.raises(RequestTimeout, match=r"timeout of 0.3 s.*after 2 attempts"):
            c.completion(BODY)
    assert len(sleeps) == 1


def test_unreachable_server_is_a_clear_error():
    with StubServer(StubState()) as url:
        pass  # closed: nothing listens on the port any more
    c, sleeps = _client(url, retries=2)
    with pytest.raises(ServerError, match=r"(unreachable|connection failed).*after 3 attempts"):
        c.completion(BODY)


def test_pool_is_bounded_and_results_keep_input_order():
    state = StubState(delay=0.05)
    prompts = [f"Q{j:02d}: x" for j in range(12)][::-1]
    with StubServer(state) as url:
        c, _ = _client(url, max_workers=3)
        got = []
        out = c.complete([{"prompt": p, "logprobs": 1} for p in prompts], on_result=lambda j, r: got.append(j))
    assert 1 <= state.max_inflight <= 3
    assert sorted(got) == list(range(12))
    assert [o["choices"][0]["logprobs"]["text_offset"][0] for o in out] == [len(p) for p in prompts]


def test_batch_is_sent_in_prompt_sorted_order():
    state = StubState()
    prompts = ["b: 2", "a: 1\nb: 2", "a: 1", "c", "a: 1\nb: 3"]
    with StubServer(state) as url:
        c, _ = _client(url, max_workers=1)
        c.complete([{"prompt": p} for p in prompts])
    assert state.prompts == sorted(prompts)


def test_partial_results_reach_the_callback_before_the_error():
    state = StubState()
    with StubServer(state) as url:
        c, _ = _client(url, max_workers=1, retries=0)
        got = {}
        payloads = [{"prompt": "a"}, {"prompt": "b"}, {"prompt": "c"}]
        orig = state.answer

        def answer(body):  # "a" (sent first: sorted order) succeeds, the others fail
            if body["prompt"] != "a":
                return 500, {"error": {"message": "boom"}}
            return orig(body)

        state.answer = answer
        with pytest.raises(ServerError, match="HTTP 500"):
            c.complete(payloads, on_result=lambda j, r: got.setdefault(j, r))
    assert list(got) == [0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="server URL"):
        CompletionsClient("localhost:8000")
    with pytest.raises(ValueError, match="max_workers"):
        CompletionsClient("http://x:1", max_workers=0)
    with pytest.raises(ValueError, match="timeout"):
        CompletionsClient("http://x:1", timeout=0)
    assert normalise_base_url("http://h:1/v1/") == "http://h:1"


def test_response_cache_roundtrip_and_key(tmp_path):
    c = ResponseCache(tmp_path / "c")
    k = response_key("http://h:1", "m", BODY)
    assert c.get(k) is None
    c.put(k, {"x": 1})
    fresh = ResponseCache(tmp_path / "c")
    assert fresh.get(k) == {"x": 1} and fresh.hits == 1 and len(fresh) == 1
    path = next((tmp_path / "c").glob("??/*.json"))
    assert json.loads(path.read_text())["key"] == k
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o666 & ~_umask())
    variants = [("http://h:2", "m", BODY), ("http://h:1", "n", BODY), ("http://h:1", "m", {**BODY, "logprobs": 6}),
                ("http://h:1", "m", {**BODY, "prompt": BODY["prompt"] + " "})]
    keys = {response_key(*v) for v in variants} | {k}
    assert len(keys) == 5
    assert response_key("http://h:1", "m", dict(reversed(list(BODY.items())))) == k


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m
