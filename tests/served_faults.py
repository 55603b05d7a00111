"""A faulty OpenAI-compatible server, in a process of its own, for the tests of served-model
failures (tests/test_lm_served_faults.py).

Run as ``python tests/served_faults.py [LIFETIME_S]``: it binds a free port on 127.0.0.1, prints
that port as its first line on stdout, and serves until it is stopped (by its pid) or
``LIFETIME_S`` seconds (default 120) have passed, so a test that dies cannot leave it behind.

The first path segment names the fault, so one process serves every case: the client of
``openai:http://127.0.0.1:PORT/nan#m`` sends ``POST /nan/v1/completions``. Replies that are not
faulty come from the toy model of tests/served_stub.py. Every error text the faults send echoes
the request's ``Authorization`` header, as careless servers do, so the tests see whether the key
is redacted. ``GET /stats`` returns ``{"count": {fault: requests}, "auth": {fault: last
Authorization header}}``.
"""
from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served_stub import StubState  # noqa: E402

#: fault -> what it does (the tests use this list to check they cover every fault)
FAULTS = {
    "ok": "answer correctly",
    "http500": "HTTP 500, echoing the Authorization header",
    "http400": "HTTP 400, echoing the Authorization header",
    "auth": "HTTP 401 on every path, echoing the Authorization header",
    "notjson": "HTTP 200 with an HTML body echoing the Authorization header",
    "nologprobs": "a reply without logprobs",
    "slow": "answer after 10 s (the client times out)",
    "hangup": "close the connection without a reply",
    "listbody": "a body that is a JSON list",
    "listtop": "a top_logprobs entry that is a list of {token, logprob}",
    "listmodels": "GET /v1/models answers a JSON list",
    "nan": "a NaN log-probability",
    "positive": "a log-probability of +0.5",
    "mass": "a top-K distribution whose probabilities sum to more than 1.8",
    "string": "a log-probability given as a string",
    "usage": 'usage.prompt_tokens = "many"',
    "keyinreply": "a correct reply with the Authorization header as one more top-K token",
}


def faulty(fault: str, reply: dict, auth: str) -> dict:
    """``reply`` (a correct completions reply) with ``fault``'s damage done to it."""
    choice = reply["choices"][0]
    top = choice["logprobs"]["top_logprobs"][-1]
    first = next(iter(top))
    if fault == "nologprobs":
        choice.pop("logprobs")
    elif fault == "listtop":
        choice["logprobs"]["top_logprobs"][-1] = [{"token": t, "logprob": v} for t, v in top.items()]
    elif fault == "nan":
        top[first] = math.nan
    elif fault == "positive":
        top[first] = 0.5
    elif fault == "mass":
        for t in list(top)[:3]:
            top[t] = -0.5  # three tokens at 0.61 each
    elif fault == "string":
        top[first] = str(top[first])
    elif fault == "usage":
        reply["usage"]["prompt_tokens"] = "many"
    elif fault == "keyinreply":
        top[f"{auth} "] = -30.0
    return reply


def handler(counts: dict, auths: dict, lock: threading.Lock):
    state = StubState()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, data: bytes, ctype: str = "application/json"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, doc) -> None:
            self._send(status, json.dumps(doc).encode())  # NaN is written as NaN, as Python servers do

        def _route(self):
            """``(fault, rest of the path)``, counted."""
            _, fault, rest = (self.path + "/").split("/", 2)
            auth = self.headers.get("Authorization") or ""
            with lock:
                counts[fault] = counts.get(fault, 0) + 1
                auths[fault] = auth
            return fault, "/" + rest.rstrip("/"), auth

        def _common(self, fault: str, auth: str) -> bool:
            """Answer the faults that do not depend on the endpoint; True when answered."""
            echo = f"request headers: Authorization: {auth}"
            if fault == "auth":
                self._json(401, {"error": {"message": f"invalid key; {echo}"}})
            elif fault == "http500":
                self._json(500, {"error": {"message": f"internal error; {echo}"}})
            elif fault == "http400":
                self._json(400, {"error": {"message": f"bad request; {echo}"}})
            elif fault == "notjson":
                self._send(200, f"<html><body>proxy page; {echo}</body></html>".encode(), "text/html")
            elif fault == "hangup":
                self.close_connection = True  # nothing written: the client sees the connection close
            elif fault == "slow":
                time.sleep(10)
                self.close_connection = True
            else:
                return False
            return True

        def do_GET(self):
            if self.path == "/stats":
                with lock:
                    return self._json(200, {"count": dict(counts), "auth": dict(auths)})
            fault, rest, auth = self._route()
            try:
                if self._common(fault, auth):
                    return
                if fault == "listmodels":
                    return self._json(200, [{"id": "m"}])
                self._json(200, {"object": "list", "data": [{"id": "toy", "object": "model"}]})
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            fault, rest, auth = self._route()
            try:
                if self._common(fault, auth):
                    return
                status, reply = state.answer(body)
                if fault == "listbody":
                    return self._json(200, [reply])
                self._json(status, faulty(fault, reply, auth) if status == 200 else reply)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def main(argv) -> None:
    lifetime = float(argv[1]) if len(argv) > 1 else 120.0
    counts, auths, lock = {}, {}, threading.Lock()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(counts, auths, lock))
    httpd.daemon_threads = True
    # a bounded lifetime: a test that dies before stopping this process does not leave it running
    threading.Timer(lifetime, lambda: os._exit(0)).start()
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
