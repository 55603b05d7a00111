"""A server process that dies is one clear line, never a hang or a mystery (issue: a native
llama.cpp build faults on CPUs that advertise AMX).

The launcher (:class:`LlamaServer`) is driven here with the stdlib stub server in a process of
its own (tests/served_stub.py run as a script), which crashes itself with a chosen signal once
it answered a chosen number of completions: exactly what a faulting build does on its first
completion. The real llama.cpp build is checked in test_lm_served_llama.py.
"""
import signal
import sys
import time
from pathlib import Path

import pytest

from simulations.lm.backends.http_client import CompletionsClient, ServerDied, ServerError
from simulations.lm.backends.llama_server import (FAULT_HINT, PORTABLE_CMAKE_ARGS, LlamaServer, build_features,
                                         describe_exit, non_portable_features)
from simulations.lm.backends.prior import PromptFormat

STUB = Path(__file__).with_name("served_stub.py")
#: seconds: a dead server must be reported well within this (no retry loop, no ready timeout)
PROMPT_S = 20.0


class StubProcess(LlamaServer):
    """The launcher with the stub server as its process: answers ``die_after`` completions, then
    kills itself with ``sig``."""

    def __init__(self, tmp_path, die_after: int, sig: str):
        gguf = tmp_path / "stub.gguf"
        gguf.write_bytes(b"GGUF")
        super().__init__(gguf, alias="toy", ready_timeout=60.0, log_path=tmp_path / "stub.log")
        self.die_after, self.sig = die_after, sig

    def command(self) -> list:
        return [sys.executable, str(STUB), str(self.port), str(self.die_after), self.sig]


def _one_line(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text, text


# -- the words ---------------------------------------------------------------------------------
def test_describe_exit_names_code_signal_and_the_fault_hint():
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "was killed by signal SIGKILL (9)"
    assert describe_exit(-15) == "was killed by signal SIGTERM (15)"
    for sig in (signal.SIGSEGV, signal.SIGILL, signal.SIGBUS):
        text = describe_exit(-sig)
        assert text.startswith(f"was killed by signal {sig.name} ({int(sig)}): ") and text.endswith(FAULT_HINT)
    assert "AMX" in FAULT_HINT and PORTABLE_CMAKE_ARGS in FAULT_HINT and "docs/development.md" in FAULT_HINT


def test_build_features_parses_llama_system_info():
    # the two lines the issue reports: a native build on an AMX host, and the portable build
    native = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | "
              "AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | "
              "REPACK = 1 | ")
    portable = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | LLAMAFILE = 1 | REPACK = 1 | "
    assert non_portable_features(build_features(native)) == ["AMX_INT8", "AVX512", "AVX512_BF16", "AVX512_VBMI",
                                                              "AVX512_VNNI"]
    feats = build_features(portable)
    assert non_portable_features(feats) == [] and {"AVX2", "FMA", "F16C"} <= set(feats)
    assert "AVX512" not in build_features("CPU : AVX2 = 1 | AVX512 = 0 |")  # off is not a feature


# -- the launcher ------------------------------------------------------------------------------
def test_a_server_that_faults_on_its_first_completion_is_refused_in_one_line(tmp_path):
    srv = StubProcess(tmp_path, die_after=0, sig="SIGSEGV")
    t0 = time.monotonic()
    with pytest.raises(ServerDied) as ei:
        srv.start()
    assert time.monotonic() - t0 < PROMPT_S
    msg = str(ei.value)
    _one_line(msg)
    assert f"(pid {srv.proc.pid}, {srv.url}) was killed by signal SIGSEGV (11)" in msg
    assert "AMX" in msg and PORTABLE_CMAKE_ARGS in msg and str(srv.log_path) in msg


def test_a_healthy_server_is_handed_out_after_its_probe(tmp_path):
    with StubProcess(tmp_path, die_after=1000, sig="SIGSEGV") as url:
        assert url.startswith("http://127.0.0.1:")
        # the probe was a real completion: the stub counted it
        assert CompletionsClient(url).completion({"prompt": "x", "max_tokens": 1, "logprobs": 2})["choices"]


@pytest.mark.parametrize("sig, hint", [("SIGSEGV", True), ("SIGKILL", False)])
def test_a_server_that_dies_mid_run_stops_the_search_in_one_line(tmp_path, sig, hint):
    """The probe and 3 completions are answered, then the process dies: the served client names
    the signal (and, for a fault, the hint) at once, without retrying a dead port."""
    from simulations.lm.backends.where import make_prior

    srv = StubProcess(tmp_path, die_after=4, sig=sig)
    try:
        srv.start()
        model = srv.open_model(cache_dir=tmp_path / "cache", retries=4, backoff=5.0, max_workers=1)
        prior = make_prior(model, [f"Word: w{i}\nSentiment:" for i in range(8)],
                           PromptFormat(label_words=("negative", "positive")))
        t0 = time.monotonic()
        with pytest.raises(ServerDied) as ei:
            prior.log_zero_shot()
        assert time.monotonic() - t0 < PROMPT_S  # four retries at 5 s backoff would take 75 s
    finally:
        srv.stop()
    msg = str(ei.value)
    _one_line(msg)
    assert msg.startswith(f"{srv.url}/v1/completions: the llama.cpp server (pid {srv.proc.pid}")
    assert f"was killed by signal {sig}" in msg
    assert ("AMX" in msg) is hint
    assert model.client.stats.retries == 0
    assert len(model.cache) == 3  # every answer received before the crash is kept


def test_client_without_a_launcher_still_fails_in_one_line_after_its_retries():
    from served_stub import StubServer, StubState

    with StubServer(StubState()) as url:
        pass  # the port is closed now
    c = CompletionsClient(url, retries=1, backoff=0.0, liveness=lambda: None)
    with pytest.raises(ServerError) as ei:
        c.completion({"prompt": "x", "max_tokens": 1})
    assert not isinstance(ei.value, ServerDied) and c.stats.requests == 2
    _one_line(str(ei.value))


def test_liveness_must_be_callable():
    with pytest.raises(ValueError, match="liveness must be a callable"):
        CompletionsClient("http://127.0.0.1:1", liveness="yes")


def test_cli_reports_a_server_error_in_one_line_with_exit_2(tmp_path, capsys):
    pytest.importorskip("torch")
    from served_stub import StubServer, StubState

    from coherence.cli import main

    with StubServer(StubState()) as url:
        pass  # nobody listens there any more
    code = main(["lm", "run", "--model", f"openai:{url}#toy", "--retries", "0", "--cache-dir", str(tmp_path),
                 "--task", "polarity-high", "-n", "4"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    _one_line(err)
    assert err.startswith("coherence lm: error: ") and url in err
