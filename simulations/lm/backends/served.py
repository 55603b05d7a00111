"""A model behind an OpenAI-compatible completions server (vLLM, llama.cpp) as a pretrained prior.

The prompts are the text form of :class:`simulations.lm.backends.prior.LMPrior`'s: for items with query
texts ``q_1..q_n``, label words ``w_0..w_{k-1}``, ``prefix = fmt.label_prefix`` and
``sep = fmt.separator``, the prompt for item ``i`` after ordered demonstrations ``D`` labelled by
``b`` is the string

    header + (q_{d_1} + prefix + w_{b_{d_1}} + sep) + ... + (q_{d_m} + prefix + w_{b_{d_m}} + sep) + q_i

(LMPrior tokenises each segment on its own; the server tokenises the whole string, so the two
can split a segment boundary differently -- part of the measured agreement, docs/serving.md).

**Conditionals.** One request per prompt with ``max_tokens = 1`` and ``logprobs = K`` (top-``K``
log-probabilities of the next token, K = 20 as in ICM's released code). With ``l_y`` the
returned log-probability of the token ``prefix + w_y``,

    P(b_i = y | x_i; D) = p_y / sum_z p_z,   p_y = exp(l_y), or eps when w_y is not in the top K,

in nats. ``eps = 1e-5`` is the floor of ICM's released code (which adds eps to every label's
mass; here it replaces only a missing one, so returned values are used unchanged). Every
floored look-up is counted (``fallbacks``) and reported in a warning with the count. A label
word that is not one token for the server's tokenizer never appears in a top-``K`` list, so it
always falls back: the warning says so.

**Prequential coherence in one request.** With ``echo = True`` a completions server returns
the top-``K`` log-probabilities at every prompt position; the full sequence
``header + d_{s(1)} + ... + d_{s(n)}`` then gives every step's conditional where each label
token starts. This is used only after it is *verified*: the first time, the conditionals read
from an echo response are compared with separate per-step requests (both cached), over the
steps where no label was floored. vLLM aligns prompt log-probabilities with the token they
score (offset 0); llama-cpp-python 0.3 reports, for prompts without a BOS token, the
distribution of the *next* position at each token (offset -1, detected and used as such). If
neither gives a mean absolute difference within ``echo_tol`` nats (default 0.1; misaligned
positions differ by nats), or the server rejects ``echo``, or a label word is tokenised
differently in context, that order is scored with one request per step instead. Echo and
per-step answers need not be equal: llama.cpp's numbers for a prompt depend on the batches in
which its cached prefix was computed (measured in docs/serving.md).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import logsumexp

from theory import validation as V

from simulations.lm.backends.http_client import ServerError
from simulations.lm.backends.prior import LOO_MODES, LabelWordPrior, PromptFormat
from simulations.lm.backends.served_model import ServedModel

#: ICM's floor on a label's probability when the server's top-K list does not contain it
ICM_EPS = 1e-5


def top_logprobs_at(resp: dict, position: int = 0):
    """``(top-K dict, tokens, text offsets)`` of choice 0 of a completions response; the dict is
    that of ``position`` in the returned logprobs arrays."""
    try:
        lp = resp["choices"][0]["logprobs"]
        tops = lp["top_logprobs"]
        top = tops[position]
    except (KeyError, IndexError, TypeError):
        top = None
    # replies are checked when they arrive (reply_checks); this guards a caller that skipped that
    if not isinstance(top, dict):
        raise ServerError("the server's response has no top logprobs object at choices[0].logprobs.top_logprobs"
                          f"[{position}]; it must support the completions parameter `logprobs`")
    return top, lp.get("tokens"), lp.get("text_offset")


def label_log_probs(top, tokens: list, eps: float = ICM_EPS) -> tuple:
    """Label conditionals ``(k,)`` nats renormalised over ``tokens`` from one top-K dict, and
    which label tokens were missing from it (floored at ``eps``), a bool array ``(k,)``."""
    top = top or {}
    logp = np.empty(len(tokens))
    floored = np.zeros(len(tokens), dtype=bool)
    for y, t in enumerate(tokens):
        v = top.get(t)
        if v is None or not math.isfinite(float(v)):
            logp[y] = math.log(eps)
            floored[y] = True
        else:
            logp[y] = float(v)
    return logp - logsumexp(logp), floored


class ServedPrior(LabelWordPrior):
    """``theory.prior.Prior`` over a :class:`ServedModel` and ``n`` query texts (module docstring).

    Accounting: ``forward_tokens`` = prompt tokens of the requests sent (as the server reports
    them in ``usage``), ``forward_calls`` = requests sent, ``cache_hits`` = prompts answered by
    the response cache, ``memo_hits`` = prompts answered by this object's memory,
    ``fallbacks`` = label look-ups floored at ``eps``.
    """


    def __init__(self, served: ServedModel, queries, fmt: PromptFormat = PromptFormat(), loo: str = "exact",
                 eps: float = ICM_EPS, echo_tol: float = 0.1):
        if loo != "exact":
            raise ValueError(f"loo must be 'exact' for a served model (one prompt per item; 'block' needs "
                             f"attention masks a server does not expose), got {loo!r}; accepted: {LOO_MODES[:1]}")
        queries = [str(q) for q in queries]
        if not queries or any(not q for q in queries):
            raise ValueError("queries must be a non-empty list of non-empty strings")
        if not 0 < eps < 1:
            raise ValueError(f"eps must be in (0, 1), got {eps!r}")
        self.served = served
        self.fmt = fmt
        self.loo = loo
        self.eps = float(eps)
        self.echo_tol = float(echo_tol)
        self.n = len(queries)
        self.k = len(fmt.label_words)
        if self.k < 2:
            raise ValueError(f"label_words must hold at least 2 words, got {fmt.label_words}")
        self._q = queries
        self._lab = [fmt.label_prefix + w for w in fmt.label_words]
        if len(set(self._lab)) != self.k:
            raise ValueError(f"label_words must be distinct, got {fmt.label_words}")
        self.forward_tokens = 0
        self.forward_calls = 0
        self.cache_hits = 0
        self.memo_hits = 0
        self.fallbacks = 0
        self.lookups = 0
        self.echo_requests = 0
        self._memo: dict = {}
        self._floored: dict = {}
        self._warned = 0

    # -- prompts -------------------------------------------------------------------------
    def _demo(self, j: int, y: int) -> str:
        return self._q[j] + self._lab[y] + self.fmt.separator

    def prompt_text(self, b, i: int, demos) -> str:
        """The prompt for item ``i`` after ``demos`` labelled by ``b`` (LMPrior's segments joined)."""
        return self.fmt.header + "".join(self._demo(int(j), int(b[j])) for j in demos) + self._q[int(i)]

    # -- requests ------------------------------------------------------------------------
    def _fetch(self, payloads: list) -> list:
        resp, sent = self.served.fetch(payloads)
        self.forward_calls += int(sent.sum())
        self.cache_hits += int((~sent).sum())
        self.forward_tokens += sum(int(((r.get("usage") or {}).get("prompt_tokens")) or 0)
                                   for r, s in zip(resp, sent) if s)
        return resp

    def _count(self, missing: int, lookups: int) -> None:
        self.fallbacks += missing
        self.lookups += lookups

    def _warn(self) -> None:
        if self.fallbacks > self._warned:
            self._warned = self.fallbacks
            warnings.warn(f"{self.fallbacks} of {self.lookups} label-word look-ups were not in the server's top-"
                          f"{self.served.top_logprobs} logprobs and were floored at eps = {self.eps:g} (ICM's floor); "
                          "a label word that is not a single token for the server always is", stacklevel=3)

    def _next_token(self, texts: list) -> np.ndarray:
        """Label conditionals ``(m, k)`` after each prompt text (memoised, cached, concurrent)."""
        todo = sorted({t for t in texts if t not in self._memo})
        self.memo_hits += len(texts) - sum(1 for t in texts if t in todo)
        if todo:
            resp = self._fetch([self.served.payload(t) for t in todo])
            for t, r in zip(todo, resp):
                top, _, _ = top_logprobs_at(r, 0)
                lp, floored = label_log_probs(top, self._lab, self.eps)
                self._count(int(floored.sum()), self.k)
                self._memo[t] = lp
                self._floored[t] = floored
        self._warn()
        return np.stack([self._memo[t] for t in texts])

    # -- the Prior interface -------------------------------------------------------------
    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        full, inv = self.distinct_demo_labellings(B, d)
        lp = self._next_token([self.prompt_text(u, i, d) for u in full])
        return lp[inv].reshape(B.shape[:-1] + (self.k,))

    def log_loo(self, B) -> np.ndarray:
        """``log P(b_i = y | x_i; all j != i in index order)``: ``(..., n, k)``; all prompts of all
        distinct vectors go out as one prefix-sorted concurrent batch."""
        B = self._check(B)
        flat = B.reshape(-1, self.n)
        uniq, inv = np.unique(flat, axis=0, return_inverse=True)
        idx = np.arange(self.n)
        texts = [self.prompt_text(u, i, idx[idx != i]) for u in uniq for i in range(self.n)]
        lp = self._next_token(texts).reshape(len(uniq), self.n, self.k)
        return lp[np.asarray(inv).reshape(-1)].reshape(B.shape[:-1] + (self.n, self.k))

    def log_zero_shot(self) -> np.ndarray:
        return self._next_token([self.fmt.header + q for q in self._q])

    def chunk_conditionals(self, b, order, start: int, chunk: int) -> np.ndarray:
        """As :meth:`LMPrior.chunk_conditionals`: ``(m, k)`` for the items at positions ``start ..
        start + chunk - 1`` of ``order``, each given the demos of every item outside the chunk, in
        ``order``; the chunk's prompts share that context and go out as one concurrent batch."""
        s = np.asarray(order)
        inside = s[start:start + chunk]
        ctx = np.concatenate([s[:start], s[start + chunk:]])
        return self._next_token([self.prompt_text(b, int(i), ctx) for i in inside])

    def sequential_conditionals(self, B, order=None) -> np.ndarray:
        """``out[..., t, y] = log P(b_{s(t)} = y | x_{s(t)}; earlier steps)``: ``(..., n, k)``.

        One echo request per distinct vector when the server's prompt logprobs are verified
        (module docstring), else one request per step."""
        B = self._check(B)
        s = np.arange(self.n) if order is None else V.order("order", order, self.n)
        flat = B.reshape(-1, self.n)
        uniq, inv = np.unique(flat, axis=0, return_inverse=True)
        lp = np.stack(self._sequential_rows(uniq, s))
        return lp[np.asarray(inv).reshape(-1)].reshape(B.shape[:-1] + (self.n, self.k))

    def coherence_over_orders(self, b, orders) -> np.ndarray:
        """``Coh_s(b)`` for each order ``s`` in ``orders (m, n)``: ``(m,)`` nats."""
        b = self._check(np.asarray(b)).reshape(self.n)
        orders = [V.order("orders", s, self.n) for s in np.asarray(orders).reshape(-1, self.n)]
        return np.array([self.log_sequential(b, s).sum() for s in orders])

    def stepwise_conditionals(self, b, order) -> np.ndarray:
        """The per-step reference: one request per step, ``(n, k)`` nats."""
        idx = np.asarray(order)
        return self._next_token([self.prompt_text(b, idx[t], idx[:t]) for t in range(self.n)])

    # -- prequential scoring in one request -------------------------------------------------
    def _sequence(self, b, s) -> tuple:
        """Full text ``header + d_{s(1)} + ... + d_{s(n)}`` and each label token's start offset."""
        parts, starts, t = [self.fmt.header], [], len(self.fmt.header)
        for j in s:
            starts.append(t + len(self._q[int(j)]))
            d = self._demo(int(j), int(b[j]))
            parts.append(d)
            t += len(d)
        return "".join(parts), starts

    def _read_echo(self, resp: dict, b, s, starts, offset: int):
        """Label conditionals ``(n, k)`` from an echo response, or ``None`` when a label token
        cannot be located (tokenised differently in context)."""
        try:
            lp = resp["choices"][0]["logprobs"]
            tops, tokens, offs = lp["top_logprobs"], lp["tokens"], lp.get("text_offset")
        except (KeyError, IndexError, TypeError):
            return None
        if offs is None or len(offs) != len(tokens):
            offs = list(np.cumsum([0] + [len(x) for x in tokens[:-1]]))
        at = {int(o): p for p, o in enumerate(offs)}
        out = np.empty((self.n, self.k))
        floored = np.zeros((self.n, self.k), dtype=bool)
        for t, (j, c) in enumerate(zip(s, starts)):
            p = at.get(int(c))
            if p is None or tokens[p] != self._lab[int(b[j])] or not 0 <= p + offset < len(tops) \
                    or tops[p + offset] is None:
                return None
            out[t], floored[t] = label_log_probs(tops[p + offset], self._lab, self.eps)
        return out, floored

    def _sequential_rows(self, uniq, s) -> list:
        out = [None] * len(uniq)
        if self.served.echo == "auto" and self.served.echo_offset is not False:
            seqs = [self._sequence(u, s) for u in uniq]
            try:
                resp = self._fetch([self.served.payload(text, echo=True) for text, _ in seqs])
            except ServerError as exc:
                if exc.status not in (400, 422):
                    raise
                self.served.echo_offset = False  # echo rejected: per-step requests from now on
                resp = [None] * len(uniq)
            for r, (u, (text, starts)) in enumerate(zip(uniq, seqs)):
                if resp[r] is None:
                    continue
                if self.served.echo_offset is None:
                    self.served.echo_offset = self._calibrate(resp[r], u, s, starts)
                    if self.served.echo_offset is False:
                        break
                    if self.served.echo_offset is None:
                        continue  # not verifiable on this vector: its steps are requested one by one
                got = self._read_echo(resp[r], u, s, starts, self.served.echo_offset)
                if got is not None:
                    out[r] = got[0]
                    self._count(int(got[1].sum()), self.n * self.k)
                    self.echo_requests += 1
        rest = [r for r in range(len(uniq)) if out[r] is None]
        if rest:
            texts = [self.prompt_text(uniq[r], s[t], s[:t]) for r in rest for t in range(self.n)]
            lp = self._next_token(texts).reshape(len(rest), self.n, self.k)
            for a, r in enumerate(rest):
                out[r] = lp[a]
        self._warn()
        return out

    def _calibrate(self, resp, b, s, starts):
        """Which offset (0 or -1) makes echo logprobs match per-step requests: mean absolute
        difference within ``echo_tol`` nats over the steps where no label was floored in either.
        ``False`` when none does, ``None`` when no step is comparable (a later vector decides)."""
        idx = np.asarray(s)
        texts = [self.prompt_text(b, idx[t], idx[:t]) for t in range(self.n)]
        ref = self._next_token(texts)
        ref_floored = np.stack([self._floored[t] for t in texts])
        comparable = False
        for offset in (0, -1):
            got = self._read_echo(resp, b, s, starts, offset)
            if got is None:
                continue
            ok = ~(got[1].any(axis=1) | ref_floored.any(axis=1))
            if not ok.any():
                continue
            comparable = True
            d = np.abs(got[0][ok] - ref[ok])
            if d.mean() <= self.echo_tol:
                self.served.info["echo_offset"] = offset
                self.served.info["echo_vs_stepwise_max_abs_nats"] = float(d.max())
                self.served.info["echo_vs_stepwise_mean_abs_nats"] = float(d.mean())
                return offset
        if not comparable:
            return None
        self.served.info["echo_offset"] = None
        warnings.warn("the server's echo logprobs do not match per-step requests; scoring orders with one "
                      "request per step", stacklevel=4)
        return False

    # -- accounting ----------------------------------------------------------------------
    def accounting(self) -> dict:
        """This prior's requests, prompt tokens sent, cache and memo hits, and fallbacks."""
        return {"requests": self.forward_calls, "prompt_tokens_sent": self.forward_tokens,
                "cache_hits": self.cache_hits, "memo_hits": self.memo_hits, "echo_requests": self.echo_requests,
                "label_fallbacks": self.fallbacks, "label_lookups": self.lookups,
                "top_logprobs": self.served.top_logprobs}

    def clear_cache(self) -> None:
        """Forget the memoised conditionals (the on-disk response cache stays)."""
        self._memo.clear()
