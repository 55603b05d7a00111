"""A tiny OpenAI-compatible completions server on the standard library, for unit tests of the
client's retry/auth/timeout logic and of ServedPrior's bookkeeping (NOT the test of serving:
that runs against a real llama.cpp server, tests/test_lm_served_llama.py).

Its "model" is a closed-form toy: the next-token log-probabilities after a prefix are a fixed
function of the prefix (:func:`toy_next_logprobs`), so tests compute expected conditionals
independently. Tokens are words with their leading space, single whitespace characters, digits
runs and single punctuation marks (:func:`toy_tokens`).
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_RE = re.compile(r" ?[A-Za-z]+| ?\d+|\s|[^\sA-Za-z\d]")
FILLERS = (" the", " a", " it", " is", " was", " of", " and", " to")


def toy_tokens(text: str) -> list:
    """``[(token, offset)]`` covering ``text``."""
    return [(m.group(0), m.start()) for m in TOKEN_RE.finditer(text)]


def toy_next_logprobs(prefix: str, labels=(" negative", " positive"), filler_logit: float = -3.0) -> dict:
    """Normalised next-token log-probabilities after ``prefix`` over labels, fillers and newline."""
    h = zlib.crc32(prefix.encode()) % 7
    npos, nneg = prefix.count(labels[1]), prefix.count(labels[0])
    z = {labels[1]: 0.5 * npos - 0.3 * nneg + 0.1 * h, labels[0]: 0.4 * nneg - 0.2 * npos - 0.05 * h, "\n": -1.0}
    for r, f in enumerate(FILLERS):
        z[f] = filler_logit - 0.1 * r
    m = max(z.values())
    lse = m + math.log(sum(math.exp(v - m) for v in z.values()))
    return {t: v - lse for t, v in z.items()}


def top_k(d: dict, k: int) -> dict:
    return dict(sorted(d.items(), key=lambda kv: -kv[1])[:k])


class StubState:
    """What the stub does and what it saw. ``statuses``: HTTP statuses to answer (in order)
    before answering normally; ``delay``: seconds to sleep per request; ``api_key``: required
    bearer key; ``echo``: "aligned" (offset 0), "shifted" (offset -1, llama-cpp-python style),
    "garbage" (wrong values) or "reject" (HTTP 400); ``die_after``: the process kills itself
    with ``die_signal`` when a completion arrives after that many were answered (a server that
    crashes, as a faulting llama.cpp build does)."""

    def __init__(self, **kw):
        self.statuses = list(kw.get("statuses", []))
        self.retry_after = kw.get("retry_after")
        self.delay = kw.get("delay", 0.0)
        self.api_key = kw.get("api_key")
        self.echo = kw.get("echo", "aligned")
        self.filler_logit = kw.get("filler_logit", -3.0)
        self.labels = kw.get("labels", (" negative", " positive"))
        self.die_after = kw.get("die_after")
        self.die_signal = kw.get("die_signal", signal.SIGSEGV)
        self.answered = 0
        self.prompts: list = []
        self.auth_headers: list = []
        self.inflight = 0
        self.max_inflight = 0
        self.lock = threading.Lock()

    def dist(self, prefix: str) -> dict:
        return toy_next_logprobs(prefix, self.labels, self.filler_logit)

    def answer(self, body: dict) -> tuple:
        prompt = body["prompt"]
        k = int(body.get("logprobs") or 0)
        toks = toy_tokens(prompt)
        if body.get("echo"):
            if self.echo == "reject":
                return 400, {"error": {"message": "echo is not supported"}}
            tokens = [t for t, _ in toks]
            offs = [o for _, o in toks]
            tops = []
            for p, (t, o) in enumerate(toks):
                if self.echo == "aligned":
                    tops.append(None if p == 0 else top_k(self.dist(prompt[:o]), k))
                elif self.echo == "shifted":
                    nxt = toks[p + 1][1] if p + 1 < len(toks) else len(prompt)
                    tops.append(top_k(self.dist(prompt[:nxt]), k))
                else:
                    tops.append({x: -0.693 for x in self.labels})
            if self.echo == "shifted":
                tops[0] = None
            tokens.append("\n")
            offs.append(len(prompt))
            tops.append(top_k(self.dist(prompt), k))
            lp = {"tokens": tokens, "text_offset": offs, "top_logprobs": tops}
            text = prompt + "\n"
        else:
            lp = {"tokens": ["\n"], "text_offset": [len(prompt)], "top_logprobs": [top_k(self.dist(prompt), k)]}
            text = "\n"
        return 200, {"object": "text_completion", "model": body.get("model", "toy"),
                     "choices": [{"text": text, "index": 0, "logprobs": lp, "finish_reason": "length"}],
                     "usage": {"prompt_tokens": len(toks), "completion_tokens": 1, "total_tokens": len(toks) + 1}}


def _handler(state: StubState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, doc: dict, headers=None):
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _gate(self, before_send=lambda: None) -> bool:
            auth = self.headers.get("Authorization")
            state.auth_headers.append(auth)
            if state.api_key is not None and auth != f"Bearer {state.api_key}":
                before_send()
                self._send(401, {"error": {"message": "Invalid API key"}})
                return False
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else None
            if status is not None:
                hdr = {"Retry-After": str(state.retry_after)} if state.retry_after is not None else None
                before_send()
                self._send(status, {"error": {"message": f"stub status {status}"}}, hdr)
                return False
            return True

        def do_GET(self):
            if self._gate():
                self._send(200, {"object": "list", "data": [{"id": "toy", "object": "model"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            with state.lock:
                state.inflight += 1
                state.max_inflight = max(state.max_inflight, state.inflight)
            done = False

            def leave():  # before the answer goes out: the client may send its next request at once
                nonlocal done
                if not done:
                    with state.lock:
                        state.inflight -= 1
                    done = True

            try:
                if state.delay:
                    time.sleep(state.delay)
                if not self._gate(before_send=leave):
                    return
                with state.lock:
                    state.prompts.append(body.get("prompt"))
                    if state.die_after is not None and state.answered >= state.die_after:
                        os.kill(os.getpid(), state.die_signal)
                        time.sleep(30)  # a signal sent with kill() lands asynchronously: never answer
                    state.answered += 1
                status, doc = state.answer(body)
                leave()
                self._send(status, doc)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                leave()

    return Handler


class StubServer:
    """Context manager: ``with StubServer(state) as url: ...`` serves on a free loopback port."""

    def __init__(self, state: StubState, port: int = 0):
        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":  # a stub server in a process of its own: PORT DIE_AFTER SIGNAL_NAME
    import resource
    import sys

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a deliberate crash leaves no core file
    port, die_after, sig = int(sys.argv[1]), int(sys.argv[2]), signal.Signals[sys.argv[3]]
    server = StubServer(StubState(die_after=die_after, die_signal=sig), port=port)
    server.httpd.serve_forever()
