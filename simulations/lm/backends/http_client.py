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
  never logged and never part of an error message: every occurrence of it in what the server
  sends back (error text, a body that is not JSON, a reply) is replaced by ``***`` before
  anything prints or caches it; HTTP 401/403 raise :class:`AuthError` at once (no retry)
  naming the variables to set;
* **replies are checked** -- a reply of the wrong shape or with impossible log-probabilities
  (NaN, positive, a string, a top-K mass above 1) raises :class:`ServerError`, never a
  ``KeyError``/``AttributeError`` or silently wrong numbers (:mod:`simulations.lm.backends.reply_checks`);
* **a dead server is named** -- ``liveness``, when given (a launcher's
  :meth:`~simulations.lm.backends.llama_server.LlamaServer.death`), is asked after every request that got
  no HTTP answer; when it reports the process gone, :class:`ServerDied` is raised at once with
  its one line (the exit signal and a hint) instead of retrying a port nobody listens on.

Every failure raises :class:`ServerError` (or a subclass) with one line naming the server, what
went wrong (the status and the number of attempts) and what to try; responses received before a
failure are still delivered to the ``on_result`` callback, so a cache in front of the client
keeps them. The numeric options are range-checked (:data:`OPTION_RANGES`) before any request.
"""
from __future__ import annotations

import concurrent.futures as cf
import http.client
import json
import math
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from simulations.lm.backends.reply_checks import completion_problem, models_problem, redact, scrub

#: environment variables searched, in order, for the API key
API_KEY_ENVS = ("COHERENCE_API_KEY", "OPENAI_API_KEY")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: what to try, by failure (the end of each one-line message)
HINT_TIMEOUT = "raise --timeout, or lower --max-workers if the server is overloaded"
HINT_FAILED = "the server failed: see its log (--retries sets the attempts)"
HINT_UNREACHABLE = "check that the server is running and listens at that address"
HINT_REPLY = "check that the server speaks the OpenAI completions API (vLLM, llama-server; docs/reliability.md)"
#: accepted values of the client's numeric options: name -> (low, high, low excluded, integer).
#: The upper bounds keep every value within what sockets and sleeps accept (an infinite or
#: 1e300-second timeout is an OverflowError inside the socket layer) and are far above use.
OPTION_RANGES = {"timeout": (0.0, 86400.0, True, False), "backoff": (0.0, 3600.0, False, False),
                 "backoff_max": (0.0, 3600.0, False, False), "retries": (0, 100, False, True),
                 "max_workers": (1, 1024, False, True)}


def check_option(name: str, value, flag: str | None = None):
    """``value`` of option ``name`` (:data:`OPTION_RANGES`) as float or int; ValueError naming
    ``flag`` (default ``name``) and the accepted range otherwise (NaN and infinities included)."""
    lo, hi, open_lo, integer = OPTION_RANGES[name]
    flag = flag or name
    if integer:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{flag} must be an integer in [{lo}, {hi}], got {value!r}")
        return value
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and (value > lo if open_lo else value >= lo) and value <= hi
    if not ok:
        raise ValueError(f"{flag} must be a number of seconds in {'(' if open_lo else '['}{lo:g}, {hi:g}], "
                         f"got {value!r}")
    return float(value)


class ServerError(RuntimeError):
    """The server failed a request (after retries where retrying made sense); ``status`` is the
    last HTTP status, or ``None`` when no HTTP answer came. The message is one line (whitespace
    runs, newlines included, become one space: the CLI prints it as its only line)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(" ".join(str(message).split()))
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
    """``http://host:port[/prefix]`` without a trailing slash or ``/v1``; ValueError when the
    scheme is not http(s), the host is missing or the port is not an integer in [1, 65535]."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or not parsed.hostname:
        raise ValueError(f"server URL must look like http://HOST:PORT (https allowed), got {url!r}")
    try:
        port = parsed.port  # ValueError for a port that is not a number or is above 65535
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        # checked here, not by the socket: port 99999 would be an OverflowError on every attempt
        raise ValueError(f"server URL port must be an integer in [1, 65535], got {url!r}")
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
        self.max_workers = check_option("max_workers", max_workers)
        self.timeout = check_option("timeout", timeout)
        self.retries = check_option("retries", retries)
        self.backoff = check_option("backoff", backoff)
        self.backoff_max = check_option("backoff_max", backoff_max)
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

    def redact(self, text: str) -> str:
        """``text`` with the API key (if one is set) replaced by ``***``."""
        return redact(text, self._key())

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

    def request(self, method: str, path: str, payload: dict | None = None):
        """One JSON request with retries; returns the decoded JSON body, the API key replaced by
        ``***`` in every string of it. Every failure raises :class:`ServerError` (or a subclass)
        whose message names ``URL/path`` and has the key replaced as well."""
        try:
            return self._request(method, path, payload)
        except ServerError as exc:
            # the last guard: whatever part of a message the server wrote, the key does not get out
            raise type(exc)(self.redact(str(exc)), exc.status) from None

    def _request(self, method: str, path: str, payload: dict | None):
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        where = f"{self.base_url}{path}"
        key = self._key()
        last = hint = ""
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
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc, key)
                if exc.code in (401, 403):
                    vars_ = " or ".join(self.api_key_env)
                    state = "was refused" if key else "is missing"
                    raise AuthError(f"{where} refused the request (HTTP {exc.code}): the API key {state}; "
                                    f"set {vars_} to a valid key", exc.code) from None
                if exc.code not in RETRY_STATUS:
                    raise ServerError(f"{where} rejected the request (HTTP {exc.code}): {detail}; check the model "
                                      "name after # and the request options (--top-logprobs, --echo off)",
                                      exc.code) from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                last, hint = f"HTTP {exc.code}: {detail}", HINT_FAILED
                kind = ServerError
                status = exc.code
            except (TimeoutError, socket.timeout):
                last, hint = f"no response within the timeout of {self.timeout:g} s", HINT_TIMEOUT
                kind, status = RequestTimeout, None
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                    last, hint = f"no response within the timeout of {self.timeout:g} s", HINT_TIMEOUT
                    kind, status = RequestTimeout, None
                else:
                    last, hint = f"unreachable ({exc.reason})", HINT_UNREACHABLE
                    kind, status = ServerError, None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                # includes a connection closed without a reply (http.client.RemoteDisconnected)
                last, hint = f"connection failed ({type(exc).__name__}: {exc})", HINT_UNREACHABLE
                kind, status = ServerError, None
            except Exception as exc:  # noqa: BLE001
                # urllib raises ValueError subclasses (InvalidURL, UnicodeError) and OverflowError for
                # inputs no check foresaw; retrying would fail alike, and the CLI needs a ServerError
                raise ServerError(f"{where}: the request could not be sent ({type(exc).__name__}: {exc}); "
                                  "check the server URL") from None
            else:
                with self._lock:
                    self.stats.seconds += time.perf_counter() - t0
                return _decode(raw, where, key)
            # no HTTP answer: ask the launcher (if any) whether the process is still there
            dead = self.liveness() if self.liveness is not None and status is None else None
            if dead:
                raise ServerDied(f"{where}: {dead}", None)
            if attempt < self.retries:
                self._sleep(self._delay(attempt, retry_after))
        raise kind(f"{where}: {last} (after {self.retries + 1} attempts); {hint}", status)

    def _refuse(self, path: str, problem: str):
        return ServerError(self.redact(f"{self.base_url}{path}: unusable reply: {problem}; {HINT_REPLY}"))

    # -- the API ---------------------------------------------------------------------------
    def models(self) -> list:
        """Model ids the server lists at ``GET /v1/models`` (the reply's shape checked)."""
        data = self.request("GET", "/v1/models")
        problem = models_problem(data)
        if problem:
            raise self._refuse("/v1/models", problem)
        return [m["id"] for m in data["data"]]

    def completion(self, payload: dict) -> dict:
        """``POST /v1/completions`` with ``payload``, the reply checked
        (:func:`~simulations.lm.backends.reply_checks.completion_problem`); usage is added to :attr:`stats`."""
        out = self.request("POST", "/v1/completions", payload)
        problem = completion_problem(out, payload)
        if problem:
            raise self._refuse("/v1/completions", problem)
        usage = out.get("usage") or {}
        with self._lock:
            self.stats.prompt_tokens += usage.get("prompt_tokens") or 0
            self.stats.completion_tokens += usage.get("completion_tokens") or 0
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


def _decode(raw: bytes, where: str, key):
    """The JSON document ``raw``, ``key`` replaced by ``***`` in it; ServerError when it is not JSON
    (the message quotes its start, the key replaced before it is cut, so no part of it shows)."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        text = redact(raw.decode("utf-8", "replace"), key)
        raise ServerError(f"{where} answered with a body that is not JSON: {text[:200]!r}; is this an "
                          "OpenAI-compatible server (vLLM, llama.cpp's llama-server) and its URL right?") from None
    return scrub(doc, key)


def _error_detail(exc: urllib.error.HTTPError, key=None) -> str:
    """The server's error message, ``key`` replaced by ``***`` before it is shortened (a key cut
    in half would escape the replacement)."""
    try:
        raw = exc.read()
    except Exception:  # noqa: BLE001 - a broken error body must not hide the status
        raw = b""
    try:
        data = json.loads(raw)
        msg = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(msg, dict):
            msg = msg.get("message", msg)
        text = str(msg)
    except (ValueError, RecursionError):
        text = raw.decode("utf-8", "replace")
    text = " ".join(redact(text, key).split())
    return text[:300] or redact(str(exc.reason or ""), key) or "no detail"
