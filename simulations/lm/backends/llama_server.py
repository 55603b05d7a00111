"""A local llama.cpp completions server (``llama-cpp-python[server]``, the ``[serve]`` extra),
started as a child process on a free loopback port and stopped by its pid.

    with LlamaServer(smollm2_gguf_path()) as url:            # http://127.0.0.1:PORT
        model = backends.open_model(f"openai:{url}#smollm2")

Used by the served-model tests and by anyone who wants the served path on a laptop. The
command is ``python -m llama_cpp.server --model GGUF --host 127.0.0.1 --port PORT --n_ctx N
--n_threads T --model_alias ALIAS`` (``logits_all`` is on by default in that server, which
its ``logprobs`` answers need); the server's output goes to ``log_path``.

A server is handed out only after it answered a real one-token completion: a build that
faults on this CPU (a native build on a host that advertises AMX, docs/development.md) dies on
its first completion, not on ``/v1/models``. A server that dies is reported in one line, with
its exit signal and, for a fault, that hint: by :meth:`LlamaServer.start`, and by the served
client of :meth:`LlamaServer.open_model` (its ``liveness`` is :meth:`LlamaServer.death`).
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

from simulations.lm.backends.http_client import ServerDied

#: the portable build of llama-cpp-python: no native CPU detection, and an instruction set every
#: x86-64 host of the project's kind has (docs/development.md says why)
PORTABLE_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
#: signals by which a process dies of its own fault (an illegal instruction, a protection fault)
FAULT_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE})
#: the hint for a fault: the cause measured on AMX hosts, and the cure
FAULT_HINT = ("a llama.cpp built natively faults like this on a CPU that advertises AMX (amx_tile in "
              f'/proc/cpuinfo); reinstall it portably: CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" pip install '
              "--no-cache-dir --force-reinstall llama-cpp-python (docs/development.md)")


def describe_exit(returncode: int) -> str:
    """How a process ended, in words: ``exited with code 3`` or ``was killed by signal SIGSEGV
    (11)``, followed by :data:`FAULT_HINT` when the signal is a fault."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"was killed by signal {-returncode}"
    text = f"was killed by signal {sig.name} ({sig.value})"
    return f"{text}: {FAULT_HINT}" if sig in FAULT_SIGNALS else text


def build_features(system_info: str) -> dict:
    """``{FEATURE: value}`` from llama.cpp's ``llama_print_system_info()`` text
    (``CPU : SSE3 = 1 | AVX2 = 1 | ...``), features that are off (``= 0``) left out."""
    out = {}
    for part in system_info.replace("\n", "|").split("|"):
        name, eq, value = part.rpartition("=")
        name = name.rpartition(":")[2].strip()
        if eq and name and value.strip() not in ("", "0"):
            out[name] = value.strip()
    return out


def non_portable_features(features) -> list:
    """The features of a llama.cpp build beyond the portable set (AVX-512 and AMX of any kind):
    instructions some x86-64 hosts lack or fault on."""
    return sorted(f for f in features if f.startswith(("AMX", "AVX512")))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """``llama_cpp.server`` on ``127.0.0.1:port`` (``port=None``: a free one).

    :meth:`start` waits until ``GET /v1/models`` answers and a one-token completion comes back
    (at most ``ready_timeout`` seconds together); it raises :class:`ServerDied` in one line
    (:meth:`death`) when the process dies, ``RuntimeError`` with the end of the server's log when
    it never answers. :meth:`stop` terminates it by pid (then kills it); :meth:`kill` sends
    ``sig`` (SIGKILL) at once, as a crash would. ``extra_args`` go to the server's command line.
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
        if importlib.util.find_spec("llama_cpp") is None:
            raise RuntimeError("a local llama.cpp server needs the [serve] extra: "
                               "pip install 'llama-cpp-python[server]'")
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

    def death(self, wait: float = 0.5) -> str | None:
        """``None`` while the process runs (or was never started); once it is gone, one line:
        pid, address, exit code or signal, and the hint for a fault (:func:`describe_exit`).
        Waits up to ``wait`` seconds for a process whose socket just closed to be reaped."""
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(timeout=wait) if wait > 0 else self.proc.poll()
        except subprocess.TimeoutExpired:
            return None
        if code is None:
            return None
        return f"the llama.cpp server (pid {self.proc.pid}, {self.url}) {describe_exit(code)}"

    def _get(self, path: str, payload=None, timeout: float = 2.0):
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=body, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    def start(self) -> str:
        cmd = self.command()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + self.ready_timeout
        # the probe a faulting build fails: one real token with its log-probabilities
        probe = {"prompt": "The", "max_tokens": 1, "temperature": 0.0, "logprobs": 1}
        listed = False
        while time.monotonic() < deadline:
            dead = self.death(wait=0)
            if dead:
                raise ServerDied(f"{dead}; log: {self.log_path}")
            try:
                if not listed:
                    self._get("/v1/models")
                    listed = True
                answer = self._get("/v1/completions", probe, timeout=max(1.0, deadline - time.monotonic()))
                if not answer.get("choices"):
                    raise ValueError("no choices in the probe's answer")
                return self.url
            except (urllib.error.URLError, ConnectionError, OSError, ValueError, AttributeError):
                dead = self.death()
                if dead:
                    raise ServerDied(f"{dead}; log: {self.log_path}") from None
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama.cpp server not ready after {self.ready_timeout:g} s:\n{self.log_tail()}")

    def open_model(self, **options):
        """The served model of this server (:func:`simulations.lm.backends.where.open_model` with
        ``openai:URL#ALIAS``), whose client names this process when it dies."""
        from simulations.lm.backends.where import open_model

        return open_model(f"openai:{self.url}#{self.alias}", liveness=self.death, **options)

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

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (default SIGKILL: a crash) to the server at once and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
