"""A local llama.cpp completions server (``llama-cpp-python[server]``, the ``[serve]`` extra),
started as a child process on a free loopback port and stopped by its pid.

    with LlamaServer(smollm2_gguf_path()) as url:            # http://127.0.0.1:PORT
        model = backends.open_model(f"openai:{url}#smollm2")

Used by the served-model tests and by anyone who wants the served path on a laptop. The
command is ``python -m llama_cpp.server --model GGUF --host 127.0.0.1 --port PORT --n_ctx N
--n_threads T --model_alias ALIAS`` (``logits_all`` is on by default in that server, which
its ``logprobs`` answers need); the server's output goes to ``log_path``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """``llama_cpp.server`` on ``127.0.0.1:port`` (``port=None``: a free one).

    :meth:`start` waits until ``GET /v1/models`` answers (at most ``ready_timeout`` seconds) and
    raises ``RuntimeError`` with the end of the server's log when it exits or never answers;
    :meth:`stop` terminates it by pid (then kills it); :meth:`kill` sends SIGKILL at once, as a
    crash would. ``extra_args`` go to the server's command line.
    """

    def __init__(self, gguf, port: int | None = None, *, alias: str = "smollm2", n_ctx: int = 2048,
                 threads: int = 1, api_key: str | None = None, extra_args=(), ready_timeout: float = 180.0,
                 log_path=None):
        gguf = Path(gguf)
        if not gguf.is_file():
            raise ValueError(f"gguf must be an existing .gguf file, got {str(gguf)!r}")
        self.gguf = gguf
        self.port = free_port() if port is None else int(port)
        self.alias = alias
        self.n_ctx = int(n_ctx)
        self.threads = int(threads)
        self.api_key = api_key
        self.extra_args = list(extra_args)
        self.ready_timeout = float(ready_timeout)
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1])
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list:
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf), "--host", "127.0.0.1",
               "--port", str(self.port), "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
               "--n_threads_batch", str(self.threads), "--model_alias", self.alias]
        if self.api_key is not None:
            # the server reads its key from the command line; tests use a throwaway key
            cmd += ["--api_key", self.api_key]
        return cmd + self.extra_args

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> str:
        if importlib.util.find_spec("llama_cpp") is None:
            raise RuntimeError("a local llama.cpp server needs the [serve] extra: pip install 'llama-cpp-python[server]'")
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + self.ready_timeout
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                req = urllib.request.Request(self.url + "/v1/models", headers=headers)
                with urllib.request.urlopen(req, timeout=2) as resp:
                    json.loads(resp.read())
                return self.url
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama.cpp server not ready after {self.ready_timeout:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s) and reap it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the server at once (a crash) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
