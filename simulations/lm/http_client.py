"""An OpenAI-compatible ``/v1/completions`` client on the standard library only.

What an inference server (vLLM, llama.cpp's server) wants from a client:

* **bounded concurrency** -- at most ``max_workers`` requests in flight (a thread pool);
* **prefix-sorted order** -- :meth:`CompletionsClient.complete` submits a batch sorted by prompt
  text, so prompts that share a prefix arrive together and the server's prefix cache (vLLM's
  automatic prefix caching, llama.cpp's reuse of the previous prompt's key/values) computes
  each shared prefix once;
* **retries with exponential backoff** on HTTP 429 and 5xx, on refused/reset connections and on
  timeouts: wait ``backoff * 2**attempt`` seconds (capped at ``backoff_max``; a ``Retry-After``
  header, when sent, is honoured up to the same cap), at most ``retries`` times;
* **timeouts** -- every request has a socket timeout of ``timeout`` seconds;
* **authentication** -- the key is read from the first set variable of ``api_key_env``
  (default ``COHERENCE_API_KEY``, then ``OPENAI_API_KEY``) and sent as a bearer token. It is
  never logged and never part of an error message; HTTP 401/403 raise :class:`AuthError` at
  once (no retry) naming the variables to set;
* **a dead server is named** -- ``liveness``, when given (a launcher's
  :meth:`~simulations.lm.llama_server.LlamaServer.death`), is asked after every request that got
  no HTTP answer; when it reports the process gone, :class:`ServerDied` is raised at once with
  its one line (the exit signal and a hint) instead of retrying a port nobody listens on.

Failures raise :class:`ServerError` (or its subclasses) with one line naming the server, the
status and the number of attempts; responses received before a failure are still delivered to
the ``on_result`` callback, so a cache in front of the client keeps them.
"""
from __future__ import annotations

import concurrent.futures as cf
import http.client
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

#: environment variables searched, in order, for the API key
API_KEY_ENVS = ("COHERENCE_API_KEY", "OPENAI_API_KEY")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class ServerError(RuntimeError):
    """The server failed a request (after retries where retrying made sense); ``status`` is the
    last HTTP status, or ``None`` when no HTTP answer came."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class AuthError(ServerError):
    """HTTP 401/403: the key is missing or refused."""


class RequestTimeout(ServerError):
    """No complete response within the timeout, on every attempt."""


class ServerDied(ServerError):
    """The server's process is known to be gone (its launcher said so): no retry can help."""


@dataclass
class ClientStats:
    """Requests sent (attempts included), retries, and the prompt tokens the server reported."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"requests": self.requests, "retries": self.retries, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "request_seconds": round(self.seconds, 3)}


def normalise_base_url(url: str) -> str:
    """``http://host:port[/prefix]`` without a trailing slash or ``/v1``; ValueError otherwise."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"server URL must look like http://HOST:PORT (https allowed), got {url!r}")
    path = parsed.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[:-3]
    return f"{parsed.scheme}://{parsed.netloc}{path}"


class CompletionsClient:
    """Client of one OpenAI-compatible server at ``base_url`` (see the module docstring)."""

    def __init__(self, base_url: str, *, max_workers: int = 8, timeout: float = 120.0, retries: int = 4,
                 backoff: float = 0.5, backoff_max: float = 30.0, api_key_env=API_KEY_ENVS, sleep=time.sleep,
                 liveness=None):
        self.base_url = normalise_base_url(base_url)
        for name, value, lo in (("max_workers", max_workers, 1), ("retries", retries, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
        for name, value, strict in (("timeout", timeout, True), ("backoff", backoff, False),
                                    ("backoff_max", backoff_max, False)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (value > 0 if strict else value >= 0)
            if not ok:
                raise ValueError(f"{name} must be a {'positive' if strict else 'non-negative'} number of seconds, "
                                 f"got {value!r}")
        self.max_workers = max_workers
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.backoff_max = float(backoff_max)
        self.api_key_env = tuple([api_key_env] if isinstance(api_key_env, str) else api_key_env)
        if liveness is not None and not callable(liveness):
            raise ValueError(f"liveness must be a callable returning None or a reason, got {liveness!r}")
        self.liveness = liveness
        self._sleep = sleep
        self.stats = ClientStats()
        self._lock = threading.Lock()

    # -- one request -----------------------------------------------------------------------
    def _key(self):
        for name in self.api_key_env:
            value = os.environ.get(name)
            if value:
                return value
        return None

    def _open(self, method: str, path: str, body: bytes | None):
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return resp.read()

    def _delay(self, attempt: int, retry_after=None) -> float:
        d = min(self.backoff * 2 ** attempt, self.backoff_max)
        if retry_after is not None:
            try:
                d = min(max(d, float(retry_after)), self.backoff_max)
            except ValueError:
                pass
        return d

    def request(self, method: str, path: str, payload: dict | None = None) -> dict:
        """One JSON request with retries; returns the decoded JSON body."""
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        where = f"{self.base_url}{path}"
        last = ""
        status = None
        for attempt in range(self.retries + 1):
            with self._lock:
                self.stats.requests += 1
                if attempt:
                    self.stats.retries += 1
            t0 = time.perf_counter()
            retry_after = None
            try:
                raw = self._open(method, path, body)
                with self._lock:
                    self.stats.seconds += time.perf_counter() - t0
                try:
                    return json.loads(raw)
                except ValueError:
                    raise ServerError(f"{where} answered with a body that is not JSON: {raw[:200]!r}") from None
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                if exc.code in (401, 403):
                    vars_ = " or ".join(self.api_key_env)
                    state = "was refused" if self._key() else "is missing"
                    raise AuthError(f"{where} refused the request (HTTP {exc.code}): the API key {state}; "
                                    f"set {vars_} to a valid key", exc.code) from None
                if exc.code not in RETRY_STATUS:
                    raise ServerError(f"{where} rejected the request (HTTP {exc.code}): {detail}", exc.code) from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                last = f"HTTP {exc.code}: {detail}"
                kind = ServerError
                status = exc.code
            except (TimeoutError, socket.timeout):
                last = f"no response within the timeout of {self.timeout:g} s"
                kind, status = RequestTimeout, None
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                    last = f"no response within the timeout of {self.timeout:g} s"
                    kind, status = RequestTimeout, None
                else:
                    last = f"unreachable ({exc.reason})"
                    kind, status = ServerError, None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})"
                kind, status = ServerError, None
            # no HTTP answer: ask the launcher (if any) whether the process is still there
            dead = self.liveness() if self.liveness is not None and status is None else None
            if dead:
                raise ServerDied(f"{where}: {dead}", None)
            if attempt < self.retries:
                self._sleep(self._delay(attempt, retry_after))
        raise kind(f"{where}: {last} (after {self.retries + 1} attempts)", status)

    # -- the API ---------------------------------------------------------------------------
    def models(self) -> list:
        """Model ids the server lists at ``GET /v1/models``."""
        data = self.request("GET", "/v1/models")
        return [m.get("id") for m in data.get("data", [])]

    def completion(self, payload: dict) -> dict:
        """``POST /v1/completions`` with ``payload``; usage is added to :attr:`stats`."""
        out = self.request("POST", "/v1/completions", payload)
        usage = out.get("usage") or {}
        with self._lock:
            self.stats.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.stats.completion_tokens += int(usage.get("completion_tokens") or 0)
        return out

    def complete(self, payloads: list, on_result=None) -> list:
        """All ``payloads`` through :meth:`completion`, at most ``max_workers`` at a time, submitted
        in prompt-sorted order; returns the responses in the order of ``payloads``.

        ``on_result(index, response)`` is called in this thread as each response arrives. On the
        first failure the requests not yet started are cancelled, those in flight are awaited
        (their responses still reach ``on_result``) and the first error is raised.
        """
        order = sorted(range(len(payloads)), key=lambda j: _sort_key(payloads[j]))
        out = [None] * len(payloads)
        if not payloads:
            return out
        error = None
        with cf.ThreadPoolExecutor(max_workers=min(self.max_workers, len(payloads))) as pool:
            futs = {pool.submit(self.completion, payloads[j]): j for j in order}
            for fut in cf.as_completed(futs):
                j = futs[fut]
                try:
                    out[j] = fut.result()
                except cf.CancelledError:
                    continue
                except ServerError as exc:
                    if error is None:
                        error = exc
                        for other in futs:
                            other.cancel()
                    continue
                if on_result is not None:
                    on_result(j, out[j])
        if error is not None:
            raise error
        return out


def _sort_key(payload: dict):
    p = payload.get("prompt", "")
    return p if isinstance(p, str) else json.dumps(p)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's error message, shortened (never request headers)."""
    try:
        raw = exc.read()
    except Exception:  # noqa: BLE001 - a broken error body must not hide the status
        raw = b""
    try:
        data = json.loads(raw)
        msg = data.get("error", data)
        if isinstance(msg, dict):
            msg = msg.get("message", msg)
        text = str(msg)
    except ValueError:
        text = raw.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:300] or exc.reason or "no detail"
