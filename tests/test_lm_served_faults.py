"""Every way a served model can fail ends `coherence lm run` with exit 2 and one line on stderr
that names the server, what went wrong and what to try -- no traceback -- and the API key shows
up nowhere: not on stdout or stderr, not in any file the run writes (docs/reliability.md,
"Served models").

The server is tests/served_faults.py in a process of its own (a free loopback port, a bounded
lifetime, stopped by its pid); the first segment of the URL's path picks the fault. The CLI runs
as a subprocess, as a user runs it, with the key in ``COHERENCE_API_KEY`` (keys are read from
the environment, never from the command line where ``ps`` shows them) and every cache under a
temporary folder. The checks of a reply's values are unit-tested at the end.
"""
from __future__ import annotations

import json
import math
import os
import select
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from served_faults import FAULTS
from simulations.lm.backends.http_client import CompletionsClient, ServerError, check_option
from simulations.lm.backends.reply_checks import LOGPROB_TOL, MASS_TOL, completion_problem, models_problem, scrub

pytest.importorskip("vaderSentiment")  # the polarity tasks score their words with VADER

ROOT = Path(__file__).resolve().parents[1]
KEY = "SECRETKEY123"
#: seconds the fault server lives at most (the module's tests take well under this)
LIFETIME_S = 300

#: fault -> (extra CLI arguments, words the error line must contain, whether the server echoes the key)
CASES = {
    "http500": (["--retries", "1"], ["HTTP 500", "after 2 attempts", "see its log"], True),
    "http400": ([], ["HTTP 400", "check the model name"], True),
    "auth": ([], ["/v1/completions", "HTTP 401", "COHERENCE_API_KEY"], False),
    "notjson": ([], ["not JSON", "OpenAI-compatible"], True),
    "nologprobs": ([], ["no choices[0].logprobs.top_logprobs", "`logprobs`"], False),
    "slow": (["--timeout", "0.5"], ["no response within the timeout of 0.5 s", "raise --timeout"], False),
    "hangup": ([], ["connection failed", "RemoteDisconnected", "check that the server is running"], False),
    "listbody": ([], ["the reply is a JSON list, not an object"], False),
    "listtop": ([], ["top_logprobs[0] is a JSON list, not an object"], False),
    "nan": ([], ["is nan, not a finite number", "speaks the OpenAI completions API"], False),
    "positive": ([], ["is 0.5 > 0"], False),
    "mass": ([], ["summing to", "> 1"], False),
    "string": ([], ["is the string", "not a number"], False),
    "usage": ([], ["usage.prompt_tokens is 'many', not an integer >= 0"], False),
}


@pytest.fixture(scope="module")
def server():
    """``(port, stats())`` of a fault server process, stopped by its pid at the end."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "served_faults.py"), str(LIFETIME_S)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the fault server did not print its port within 30 s"
        port = int(proc.stdout.readline())

        def stats():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
                return json.loads(r.read())

        yield port, stats
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_cli(tmp_path, model: str, *extra: str, key: str = KEY):
    """``(exit code, stdout, stderr)`` of ``coherence lm run`` on ``model``; every cache is kept
    under ``tmp_path``, which the caller then searches for the key."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "COHERENCE_API_KEY")}
    env.update(COHERENCE_API_KEY=key, COHERENCE_CACHE_DIR=str(tmp_path / "cache"),
               XDG_CACHE_HOME=str(tmp_path / "xdg"), PYTHONPATH=str(ROOT))
    argv = [sys.executable, "-m", "coherence.cli", "lm", "run", "--model", model, "--task", "polarity-high",
            "-n", "4", "--method", "zero-shot", "--retries", "0", "--timeout", "5", "--quiet",
            "--cache-dir", str(tmp_path / "responses"), *extra]  # later flags win: a case may raise --retries
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def assert_key_nowhere(tmp_path, *texts: str) -> None:
    for text in texts:
        assert KEY not in text, text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def assert_one_line(code: int, err: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (code, err)
    assert lines[0].startswith("coherence lm: error: "), err
    return lines[0]


def test_every_fault_of_the_server_is_a_case():
    assert set(CASES) | {"ok", "keyinreply", "listmodels"} == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(CASES))
def test_a_failing_server_is_one_line_naming_it_and_the_key_never_shows(server, tmp_path, fault):
    port, stats = server
    extra, words, echoes = CASES[fault]
    url = f"http://127.0.0.1:{port}/{fault}"
    code, out, err = run_cli(tmp_path, f"openai:{url}#m", *extra)
    line = assert_one_line(code, err)
    assert f"{url}/v1/completions" in line, line
    for w in words:
        assert w in line, (w, line)
    assert_key_nowhere(tmp_path, out, err)
    if echoes:  # the server did send the key back: it was replaced, not merely absent
        assert stats()["auth"][fault] == f"Bearer {KEY}" and "Bearer ***" in line, line


@pytest.mark.parametrize("fault, words", [("auth", ["HTTP 401", "the API key was refused", "COHERENCE_API_KEY"]),
                                          ("listmodels", ["unusable reply", "the reply is a JSON list"]),
                                          ("notjson", ["not JSON", "Bearer ***"])])
def test_the_model_list_fails_in_one_line_too(server, tmp_path, fault, words):
    port, _ = server
    url = f"http://127.0.0.1:{port}/{fault}"
    code, out, err = run_cli(tmp_path, f"openai:{url}")  # no #MODEL: GET /v1/models first
    line = assert_one_line(code, err)
    assert f"{url}/v1/models" in line
    for w in words:
        assert w in line, (w, line)
    assert_key_nowhere(tmp_path, out, err)


def test_a_closed_port_is_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens there
    code, out, err = run_cli(tmp_path, f"openai:http://127.0.0.1:{port}#m")
    line = assert_one_line(code, err)
    assert f"http://127.0.0.1:{port}/v1/completions: unreachable" in line and "after 1 attempts" in line
    assert "check that the server is running" in line
    assert_key_nowhere(tmp_path, out, err)


def test_a_healthy_server_runs_and_a_key_in_its_replies_is_not_cached(server, tmp_path):
    """The control: the same command succeeds on a correct server, so the cases above fail for
    their fault; and a reply that carries the key is cached with the key replaced."""
    port, stats = server
    for fault in ("ok", "keyinreply"):
        code, out, err = run_cli(tmp_path / fault, f"openai:http://127.0.0.1:{port}/{fault}#m")
        assert code == 0, err
        assert "accuracy" in out
        assert stats()["auth"][fault] == f"Bearer {KEY}"
    cached = [p.read_text() for p in (tmp_path / "keyinreply" / "responses").rglob("*.json")]
    assert cached and any("Bearer ***" in text for text in cached)
    assert_key_nowhere(tmp_path, out, err)


# -- arguments: refused before any request ------------------------------------------------------
@pytest.mark.parametrize("extra, words", [
    (["--timeout", "inf"], ["--timeout", "(0, 86400]", "inf"]),
    (["--timeout", "nan"], ["--timeout", "(0, 86400]", "nan"]),
    (["--timeout", "0"], ["--timeout", "(0, 86400]"]),
    (["--timeout", "-1"], ["--timeout", "(0, 86400]"]),
    (["--timeout", "1e300"], ["--timeout", "(0, 86400]"]),
    (["--retries", "-1"], ["--retries", "[0, 100]"]),
    (["--max-workers", "0"], ["--max-workers", "[1, 1024]"]),
])
def test_served_arguments_out_of_range_are_refused_before_any_request(server, tmp_path, capsys, extra, words):
    from coherence.cli import main

    port, stats = server
    fault = "ok"
    before = stats()["count"].get(fault, 0)
    code = main(["lm", "run", "--model", f"openai:http://127.0.0.1:{port}/{fault}#m", "--task", "polarity-high",
                 "-n", "4", "--cache-dir", str(tmp_path), *extra])
    line = assert_one_line(code, capsys.readouterr().err)
    for w in words:
        assert w in line, (w, line)
    assert stats()["count"].get(fault, 0) == before


@pytest.mark.parametrize("port", ["99999", "0", "65536", "x"])
def test_a_port_out_of_range_is_refused(tmp_path, capsys, port):
    from coherence.cli import main

    code = main(["lm", "run", "--model", f"openai:http://127.0.0.1:{port}#m", "-n", "4",
                 "--cache-dir", str(tmp_path)])
    line = assert_one_line(code, capsys.readouterr().err)
    assert "--model" in line and "[1, 65535]" in line, line


def test_check_option_ranges():
    assert check_option("timeout", 86400) == 86400.0 and check_option("backoff", 0) == 0.0
    for name, bad in (("timeout", math.inf), ("timeout", 0), ("timeout", True), ("timeout", "5"),
                      ("backoff", -0.1), ("retries", 101), ("retries", 1.0), ("max_workers", 0)):
        with pytest.raises(ValueError, match=name):
            check_option(name, bad)
    with pytest.raises(ValueError, match=r"--timeout must be a number of seconds in \(0, 86400\], got inf"):
        check_option("timeout", math.inf, "--timeout")
    with pytest.raises(ValueError, match="port"):
        CompletionsClient("http://127.0.0.1:99999")


# -- the rules of a reply -------------------------------------------------------------------
def _reply(top, **usage):
    return {"choices": [{"logprobs": {"tokens": ["x"], "text_offset": [0], "top_logprobs": [top]}}],
            "usage": {"prompt_tokens": 3, **usage}}


ASKED = {"prompt": "p", "logprobs": 5}


def test_reply_values_within_the_tolerances_pass_and_beyond_them_fail():
    ok = [{"a": -0.1, "b": -3.0}, {"a": LOGPROB_TOL / 2, "b": -50.0}, {"a": 0, "b": -1e9},
          {"a": math.log(0.5), "b": math.log(0.5 + MASS_TOL / 2)}]
    for top in ok:
        assert completion_problem(_reply(top), ASKED) is None, top
    bad = {"is nan": {"a": math.nan}, "not a finite number": {"a": -math.inf}, "> 0": {"a": 10 * LOGPROB_TOL},
           "the string": {"a": "-0.5"}, "the boolean": {"a": False}, "the null": {"a": None},
           "summing to": {"a": math.log(0.5), "b": math.log(0.5 + 2 * MASS_TOL)}, "finite": {"a": -10 ** 400}}
    for words, top in bad.items():
        problem = completion_problem(_reply(top), ASKED)
        assert problem and words in problem, (words, problem)


def test_reply_shapes():
    assert "empty" in completion_problem(_reply({}), ASKED)
    assert "JSON list" in completion_problem(_reply([{"token": "a", "logprob": -1}]), ASKED)
    assert "no choices[0].logprobs" in completion_problem({"choices": [{"text": "x"}]}, ASKED)
    assert completion_problem({"choices": [{"text": "x"}]}, {"prompt": "p"}) is None  # logprobs not asked for
    assert "usage.prompt_tokens" in completion_problem(_reply({"a": -1.0}, prompt_tokens=-1), ASKED)
    assert "usage.completion_tokens" in completion_problem(_reply({"a": -1.0}, completion_tokens=1.5), ASKED)
    assert "choices" in completion_problem({"choices": []}, ASKED)
    echo = _reply({"a": -1.0})
    echo["choices"][0]["logprobs"]["top_logprobs"] = [None, {"a": -1.0}]  # an echoed prompt's first position
    assert completion_problem(echo, ASKED) is None
    echo["choices"][0]["logprobs"]["top_logprobs"] = [{"a": -1.0}, None]  # but the generated token needs one
    assert "null" in completion_problem(echo, ASKED)
    assert "text_offset" in completion_problem({**echo, "choices": [{"logprobs": {
        "top_logprobs": [{"a": -1.0}], "text_offset": ["0"]}}]}, ASKED)
    assert models_problem({"data": [{"id": "m"}]}) is None
    assert "JSON list" in models_problem([{"id": "m"}]) and "data[0]" in models_problem({"data": [{"id": 3}]})


def test_scrub_replaces_the_key_in_strings_and_object_keys_at_any_depth():
    deep = [f"x{KEY}y"]
    for _ in range(5000):  # deeper than the recursion limit: scrub walks without recursion
        deep = [deep]
    doc = {"a": [f"Bearer {KEY}", {f"{KEY}!": -1.0, "n": 3}], "b": deep, "c": None}
    out = scrub(doc, KEY)
    assert out["a"] == ["Bearer ***", {"***!": -1.0, "n": 3}] and out["c"] is None
    inner = out["b"]
    while isinstance(inner[0], list):
        inner = inner[0]
    assert inner == ["x***y"]
    assert scrub({"a": KEY}, None) == {"a": KEY}


def test_the_client_raises_server_error_for_every_reply_it_cannot_use(server, monkeypatch):
    """The library, not only the CLI: one exception type, one line, the key replaced."""
    port, _ = server
    monkeypatch.setenv("COHERENCE_API_KEY", KEY)
    for fault in ("listbody", "nan", "notjson", "http400", "usage"):
        c = CompletionsClient(f"http://127.0.0.1:{port}/{fault}", retries=0, timeout=5)
        with pytest.raises(ServerError) as ei:
            c.completion({"prompt": "Word: a\nSentiment:", "max_tokens": 1, "logprobs": 5})
        msg = str(ei.value)
        assert "\n" not in msg and KEY not in msg and f"127.0.0.1:{port}/{fault}/v1/completions" in msg, msg


def test_an_error_body_of_any_shape_is_read_and_the_key_replaced_before_it_is_cut():
    import io
    import urllib.error

    from simulations.lm.backends.http_client import _error_detail

    def detail(body: bytes, reason="Internal Server Error"):
        return _error_detail(urllib.error.HTTPError("http://h:1/v1/completions", 500, reason, {}, io.BytesIO(body)),
                             KEY)

    assert detail(json.dumps([f"Bearer {KEY}"]).encode()) == "['Bearer ***']"  # a JSON list, not an object
    assert detail(json.dumps({"error": {"message": f"key {KEY}"}}).encode()) == "key ***"
    cut = detail(("x" * 295 + KEY).encode())  # the key straddles the 300-character cut
    assert KEY[:5] not in cut and cut.endswith("x***")
    assert detail(b"", reason=f"bad {KEY}") == "bad ***"
