"""Metropolis-Hastings power sampling (Karan and Du 2025 style): sample ``pi(x) oc p(x)^alpha``
over short sequences with proposals drawn from ``p`` itself (C1).

Here ``p`` is any prior read as an autoregressive model in the identity order,
``p(x) = prod_t P_M(x_t | x_{<t}) = exp Coh_id(x)``, so ``p^alpha / Z`` is the softmax over coherence
``Q_tau`` with ``tau = 1 / alpha``. One step picks a position ``t`` uniformly, resamples the suffix
``x_{t:}`` from ``p(. | x_{<t})`` and accepts with probability ``min(1, (p(x') / p(x))^(alpha - 1))``
(the proposal ratio cancels one power of ``p``). :class:`AutoregressiveToy` is a small
non-exchangeable ``p`` with an exact enumeration of ``p^alpha / Z``; :func:`mh_kernel` is the exact
transition matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from theory import validation as V
from theory.prior import Prior

from .progress import Ticker
from .result import Evaluator, SearchResult, resolve
from .sampling import draw


@dataclass(eq=False)
class AutoregressiveToy(Prior):
    """``P(x_i = y | demos) = softmax_y(a_iy + sum_{j in demos} W_{i, j, x_j, y})``: a toy
    autoregressive model over ``n`` positions and ``k`` tokens (order-sensitive through the
    demo set; in the identity order it is an ordinary left-to-right model)."""

    a: np.ndarray
    W: np.ndarray

    exchangeable = False

    def __post_init__(self):
        self.a = V.as_float_array("a", self.a, ndim=2)
        self.n, self.k = self.a.shape
        self.W = V.as_float_array("W", self.W, ndim=4)
        if self.W.shape != (self.n, self.n, self.k, self.k):
            raise ValueError(f"W must have shape ({self.n}, {self.n}, {self.k}, {self.k}), got {self.W.shape}")

    @classmethod
    def random(cls, rng: np.random.Generator, n: int, k: int = 2, scale: float = 1.0) -> "AutoregressiveToy":
        V.positive_int("n", n, 1)
        return cls(rng.normal(0, scale, (n, k)), rng.normal(0, scale, (n, n, k, k)))

    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        z = np.broadcast_to(self.a[i], B.shape[:-1] + (self.k,)).copy()
        for j in d:
            z += self.W[i, j][B[..., j]]
        return z - logsumexp(z, axis=-1, keepdims=True)


def log_power_target(model, alpha: float) -> np.ndarray:
    """``log p(x)^alpha / Z`` for every ``x`` in code order (nats), by enumeration."""
    from theory.softmax import log_coherence_table

    t = alpha * log_coherence_table(model)
    return t - logsumexp(t)


def mh_kernel(model, alpha: float) -> np.ndarray:
    """Exact MH transition matrix over ``Y^n`` (code order) of :func:`power_sampling`'s step."""
    from theory.enumeration import all_behaviours, encode

    n, k = model.n, model.k
    B = all_behaviours(n, k).astype(np.int64)
    seq = model.log_sequential(B)                                    # (k^n, n)
    logp = seq.sum(axis=1)
    S = B.shape[0]
    T = np.zeros((S, S))
    codes = encode(B, k)
    for t in range(n):
        # x' shares x's prefix < t; q(x' | x) = p(x'_{t:} | x_{<t}) = exp(sum_{u>=t} seq[x', u])
        block = k ** (n - t)
        suffix = seq[:, t:].sum(axis=1)
        for x in range(S):
            start = (codes[x] // block) * block
            cand = np.arange(start, start + block)
            q = np.exp(suffix[cand])
            acc = np.minimum(1.0, np.exp((alpha - 1.0) * (logp[cand] - logp[x])))
            T[x, cand] += q * acc / n
            T[x, x] += (q * (1 - acc)).sum() / n
    return T


def power_sampling(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """MH on ``p^alpha`` (params ``alpha`` 4, ``steps`` 100, ``chains`` 1 (parallel; final states in
    ``extras["samples"]``), ``trace_every`` steps (0 = start and end))."""
    if labels or constraints is not None:
        raise ValueError("power-sampling samples whole sequences: it takes no labels or constraints")
    p = resolve("power-sampling", params, {"alpha": 4.0, "steps": 100, "chains": 1, "trace_every": 1})
    alpha = float(V.positive("alpha", p["alpha"]))
    steps = V.positive_int("steps", p["steps"], 0)
    C = V.positive_int("chains", p["chains"], 1)
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    n = model.n
    B = np.zeros((C, n), dtype=np.int64)
    lp = np.zeros((C, n))                                            # per-position log p of the current x
    _resample(model, ev, B, lp, np.zeros(C, dtype=np.int64), rng)
    every = V.positive_int("trace_every", p["trace_every"], 0)
    coh, score, at, accepted = [float(lp[0].sum())], [alpha * float(lp[0].sum())], [0], 0
    ticker = Ticker(progress, steps)                        # one unit per MH step (all chains)
    for s in range(1, steps + 1):
        t = rng.integers(0, n, size=C)
        Bn, lpn = B.copy(), lp.copy()
        _resample(model, ev, Bn, lpn, t, rng)
        log_ratio = (alpha - 1.0) * (lpn.sum(axis=1) - lp.sum(axis=1))
        acc = np.log(rng.random(C)) < np.minimum(0.0, log_ratio)
        B[acc], lp[acc] = Bn[acc], lpn[acc]
        accepted += int(acc.sum())
        if (every and s % every == 0) or s == steps:
            coh.append(float(lp[0].sum()))
            score.append(alpha * coh[-1])
            at.append(s)
        ticker.advance()
    ticker.finish()
    extras = {"samples": B.copy(), "acceptance_rate": accepted / max(1, steps * C), "trace_steps": np.array(at),
              "trace_evaluations": 0, "score": "alpha * log p(x) of chain 0 (nats; = Coh / tau)"}
    return SearchResult(behaviours=B[0].copy(), coherence_trace=np.array(coh), score_trace=np.array(score),
                        accepted=accepted, evaluations=ev.count, method="power-sampling", seed=seed, params=p,
                        extras=extras)


def _resample(model, ev, B, lp, start, rng) -> None:
    """Resample ``x_{start[c]:}`` of each chain from ``p`` in place, updating ``lp``."""
    for pos in range(model.n):
        rows = np.flatnonzero(start <= pos)
        if rows.size == 0:
            continue
        lc = ev.conditional(B[rows], pos, np.arange(pos))
        y = draw(np.exp(lc), rng)
        B[rows, pos] = y
        lp[rows, pos] = lc[np.arange(rows.size), y]
