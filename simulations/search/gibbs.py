"""Gibbs sampling over behaviour vectors with the model's leave-one-out conditionals (C1, C4).

One update of item ``i`` draws ``b_i ~ P_tau(y) oc exp((log P_M(b_i = y | x_i; D_i) - w * I_i(y)) / tau)``
where ``D_i`` is every other item (``gibbs``, ``annealed-gibbs``) or a uniformly random fraction
``rho`` of them (``gibbs-rho``: the training-friendly variant with randomized context exclusion),
``I_i(y)`` counts the constraint violations involving ``i`` if ``b_i = y`` and ``w`` is
``constraint_weight``. For compatible conditionals (a joint prior) and ``w = 0`` the stationary
law is ``Q_tau(b) oc exp(Coh(b) / tau)`` (Theorem 4.2); :func:`transition_matrix` builds the
exact kernel for small ``n``. ``tau -> 0`` turns the update into the argmax (bootstrap).

Fast path: for a :class:`~theory.concept_mixture.ConceptMixture` the chain keeps the agreement
counts ``a_k(b)`` of every chain, so one update costs ``O(K)`` (no ``O(n)`` rescan), vectorised
over parallel chains (:class:`MixtureChains`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from theory import validation as V
from theory.concept_mixture import ConceptMixture

from .result import Evaluator, SearchResult, Trace, clamp, free_items, resolve, trace_interval


def tempered(logp: np.ndarray, tau: float) -> np.ndarray:
    """``softmax(logp / tau)`` over the last axis; ``tau = 0`` gives the argmax (first on ties)."""
    if tau == 0:
        out = np.zeros_like(logp)
        np.put_along_axis(out, logp.argmax(axis=-1)[..., None], 1.0, axis=-1)
        return out
    z = logp / tau
    return np.exp(z - logsumexp(z, axis=-1, keepdims=True))


def _sample(prob: np.ndarray, rng) -> np.ndarray:
    """One draw per row of ``prob`` ``(C, k)``."""
    c = np.cumsum(prob, axis=-1)
    u = rng.random(prob.shape[:-1])[..., None] * c[..., -1:]
    return np.minimum((u >= c).sum(axis=-1), prob.shape[-1] - 1)


class MixtureChains:
    """``C`` parallel chains on a concept mixture with incremental agreement counts.

    ``B``: ``(C, n)`` int8 states; ``a``: ``(C, K)`` agreements ``#{i : b_i = f_k(x_i)}``. The
    leave-one-out conditional of item ``i`` is ``P(y) oc sum_k exp(base_k) * e_k^{1(y = f_k(x_i))}``
    with ``base_k = log w_k + n log m_k + a_k^{-i} (log h_k - log m_k)`` and ``e_k = h_k / m_k``
    (``h_k = 1 - eps_k``, ``m_k = eps_k / (k - 1)``): ``O(K)`` per chain and update.

    Binary fast path: the chain also carries ``R_k = exp(log w_k + log P(b | k) - M)`` (one shift
    ``M`` per chain), updated by multiplying with ``e_k^{+-1}`` -- no ``exp`` or ``max`` per
    update. ``R`` is recomputed exactly from the integer counts every ``resync`` updates, before
    the multiplicative drift could under- or overflow (each update moves ``log R_k`` by at most
    ``max_k |log e_k|``).
    """

    def __init__(self, model: ConceptMixture, B: np.ndarray):
        self.model = model
        self.B = np.ascontiguousarray(B, dtype=np.int8)
        self.FT = np.ascontiguousarray(model.F.T.astype(np.int8))               # (n, K)
        self.d = model.log_hit - model.log_miss                                  # (K,)
        self.c = model.log_w + model.n * model.log_miss                          # (K,)
        # float64 holds the integer counts exactly and saves a cast per update; one concept at a
        # time keeps the temporary at (C, n) instead of (C, K, n)
        self.a = np.stack([(self.B == f).sum(axis=1) for f in model.F.astype(np.int8)], axis=1).astype(np.float64)
        self.rows = np.arange(self.B.shape[0])
        self._flat = self.B.reshape(-1)                                         # a view: flat indexing is cheaper
        self._off = self.rows * model.n
        e = np.exp(self.d)
        K = self.d.size
        # per item: [factor if b_i = 1 | factor if b_i = 0 | their difference | 2 f_k(x_i) - 1],
        # fetched with one gather per update
        G = np.empty((model.n, 4 * K))
        G[:, :K] = np.where(self.FT == 1, e, 1.0)
        G[:, K:2 * K] = np.where(self.FT == 0, e, 1.0)
        G[:, 2 * K:3 * K] = G[:, :K] - G[:, K:2 * K]
        G[:, 3 * K:] = 2.0 * self.FT - 1.0
        self.G = G
        self.resync = int(np.clip(300.0 / (2.0 * max(np.abs(self.d).max(), 1e-12)), 1, 256))
        self._since = 0
        self._sync()

    def _sync(self) -> None:
        L = self.c + self.a * self.d
        self.R = np.exp(L - L.max(axis=1, keepdims=True))
        self._since = 0

    def log_conditional(self, items: np.ndarray) -> np.ndarray:
        """``log P(b_i = . | rest)`` for item ``items[c]`` of chain ``c``: ``(C, k)`` nats."""
        f = self.FT[items]                                                       # (C, K)
        own = f == self.B[self.rows, items][:, None]
        base = self.c + (self.a - own) * self.d
        ys = np.arange(self.model.k)
        lj = logsumexp(base[:, :, None] + (f[:, :, None] == ys) * self.d[None, :, None], axis=1)
        return lj - logsumexp(lj, axis=-1, keepdims=True)

    def _split(self, items, old):
        """``R`` without item ``i``'s own factor and the unnormalised ``P(b_i = 1)``, ``P(b_i = 0)``."""
        K = self.d.size
        g = np.take(self.G, items, axis=0)                                       # (C, 4K)
        E1, E0, D, S = g[:, :K], g[:, K:2 * K], g[:, 2 * K:3 * K], g[:, 3 * K:]
        oldf = old[:, None].astype(np.float64)
        Rb = self.R / (E0 + oldf * D)
        return Rb, np.einsum("ck,ck->c", Rb, E1), np.einsum("ck,ck->c", Rb, E0), E0, D, S, oldf

    def prob_one(self, items: np.ndarray) -> np.ndarray:
        """``P(b_i = 1 | rest)`` from the multiplicative state ``R`` (binary; for testing drift)."""
        if self._since >= self.resync:
            self._sync()
        _, s1, s0, *_ = self._split(items, np.take(self._flat, self._off + items))
        return s1 / (s0 + s1)

    def set(self, items: np.ndarray, new: np.ndarray) -> None:
        """Set ``b_{items[c]} = new[c]`` in chain ``c``, updating the agreement counts (O(K))."""
        f = self.FT[items]
        self.a -= f == self.B[self.rows, items][:, None]
        self.B[self.rows, items] = new
        self.a += f == np.asarray(new, dtype=np.int8)[:, None]
        self._since = self.resync                                                # R is stale

    def step(self, items: np.ndarray, tau: float, u: np.ndarray, extra=None) -> int:
        """Update item ``items[c]`` of every chain ``c`` with uniforms ``u``; returns the number
        of chains whose behaviour changed. ``extra``: ``(C, k)`` added log-weights (constraints)."""
        flat_idx = self._off + items
        old = np.take(self._flat, flat_idx)
        if self.model.k == 2 and extra is None:
            if self._since >= self.resync:
                self._sync()
            Rb, s1, s0, E0, D, S, oldf = self._split(items, old)
            if tau == 0:
                new = (s1 > s0).astype(np.int8)
            elif tau == 1:
                new = (u * (s0 + s1) < s1).astype(np.int8)
            else:
                new = (u < 1.0 / (1.0 + (s0 / s1) ** (1.0 / tau))).astype(np.int8)
            newf = new[:, None].astype(np.float64)
            self.R = Rb * (E0 + newf * D)
            self.a += (newf - oldf) * S
            self._since += 1
        else:
            f = self.FT[items]                                                   # (C, K)
            self.a -= f == old[:, None]
            base = self.c + self.a * self.d
            ys = np.arange(self.model.k)
            lj = logsumexp(base[:, :, None] + (f[:, :, None] == ys) * self.d[None, :, None], axis=1)
            lj -= logsumexp(lj, axis=-1, keepdims=True)
            if extra is not None:
                lj = lj + extra
            prob = tempered(lj, tau)
            c = np.cumsum(prob, axis=-1)
            new = np.minimum((u[:, None] * c[:, -1:] >= c).sum(axis=-1), self.model.k - 1).astype(np.int8)
            self.a += f == new[:, None]
            self._since = self.resync
        self._flat[flat_idx] = new
        return int(np.count_nonzero(new != old))


def transition_matrix(model, tau: float = 1.0, scan: str = "random", rho: float = 1.0) -> np.ndarray:
    """Exact Gibbs kernel over ``Y^n`` in code order, ``(k^n, k^n)``, for small ``n``.

    ``scan="random"``: ``T = (1/n) sum_i T_i``; ``"systematic"``: ``T = T_0 T_1 ... T_{n-1}``. ``T_i``
    resamples item ``i`` from its tempered leave-one-out conditional; with ``rho < 1`` the
    conditional is averaged over the uniformly random demo subsets of size ``ceil(rho (n-1))``.
    """
    import itertools

    from theory.enumeration import all_behaviours, encode

    V.enumerable(model.n, model.k)
    n, k = model.n, model.k
    B = all_behaviours(n, k).astype(np.int64)
    codes = np.arange(B.shape[0])
    size = _subset_size(rho, n)
    kernels = []
    for i in range(n):
        others = np.array([j for j in range(n) if j != i], dtype=np.int64)
        subsets = [others] if size == n - 1 else [np.array(s, dtype=np.int64) for s in itertools.combinations(others, size)]
        prob = np.mean([tempered(model.log_conditional(B, i, s), tau) for s in subsets], axis=0)   # (k^n, k)
        Ti = np.zeros((B.shape[0], B.shape[0]))
        for y in range(k):
            By = B.copy()
            By[:, i] = y
            Ti[codes, encode(By, k)] += prob[:, y]
        kernels.append(Ti)
    if scan == "random":
        return sum(kernels) / n
    if scan == "systematic":
        T = np.eye(B.shape[0])
        for Ti in kernels:
            T = T @ Ti
        return T
    raise ValueError(f"scan must be 'random' or 'systematic', got {scan!r}")


def stationary_distribution(T: np.ndarray) -> np.ndarray:
    """The stationary law ``pi T = pi`` of an ergodic kernel (least-squares solve)."""
    m = T.shape[0]
    A = np.vstack([T.T - np.eye(m), np.ones((1, m))])
    rhs = np.zeros(m + 1)
    rhs[-1] = 1.0
    pi, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    pi = np.clip(pi, 0, None)
    return pi / pi.sum()


def _subset_size(rho: float, n: int) -> int:
    rho = float(rho)
    if not 0 < rho <= 1:
        raise ValueError(f"rho must lie in (0, 1], got {rho}")
    return max(0, min(n - 1, math.ceil(rho * (n - 1))))


def schedule(kind: str, tau0: float, tau_min: float, sweeps: int, rate: float | None = None):
    """Temperature by sweep ``t``: ``"constant"`` ``tau0``; ``"log"``
    ``max(tau_min, tau0 / (1 + rate log(1 + t)))``; ``"exp"`` ``max(tau_min, tau0 rate^t)`` with
    ``rate`` chosen (default) so that ``tau_min`` is reached at the last sweep."""
    tau0 = float(V.positive("tau0", tau0))
    tau_min = V.non_negative("tau_min", tau_min)
    if kind == "constant":
        return lambda t: tau0
    if kind == "log":
        r = 1.0 if rate is None else float(rate)
        return lambda t: max(tau_min, tau0 / (1.0 + r * math.log1p(t)))
    if kind == "exp":
        floor = max(tau_min, 1e-3 * tau0)
        r = (floor / tau0) ** (1.0 / max(1, sweeps - 1)) if rate is None else float(rate)
        if not 0 < r <= 1:
            raise ValueError(f"rate must lie in (0, 1] for the exponential schedule, got {r}")
        return lambda t: max(tau_min, tau0 * r**t)
    raise ValueError(f"schedule must be 'constant', 'log' or 'exp', got {kind!r}")


def initial_state(model, init, chains: int, rng, ev: Evaluator | None = None) -> np.ndarray:
    """``"random"`` (uniform), ``"zero-shot"`` (drawn from the zero-shot conditionals) or an array."""
    n, k = model.n, model.k
    if isinstance(init, str):
        if init == "random":
            return rng.integers(0, k, size=(chains, n))
        if init == "zero-shot":
            zs = np.exp(ev.zero_shot() if ev is not None else model.log_zero_shot())
            return _sample(np.broadcast_to(zs, (chains, n, k)).reshape(-1, k), rng).reshape(chains, n)
        raise ValueError(f"init must be 'random', 'zero-shot' or a behaviour array, got {init!r}")
    B = V.behaviours(np.asarray(init), n, k, name="init").astype(np.int64).reshape(-1, n)
    if B.shape[0] not in (1, chains):
        raise ValueError(f"init must be one behaviour vector or one per chain ({chains}), got {B.shape[0]}")
    return np.broadcast_to(B, (chains, n)).copy()


_DEFAULTS = {"sweeps": 50, "tau": 1.0, "scan": "random", "chains": 1, "init": "random", "rho": 1.0,
             "constraint_weight": 1.0, "trace_every": None, "fast": True}


def _run(name, model, labels, constraints, seed, p, tau_of) -> SearchResult:
    rng = np.random.default_rng(seed)
    n, k = model.n, model.k
    sweeps = V.positive_int("sweeps", p["sweeps"], 0)
    C = V.positive_int("chains", p["chains"], 1)
    if p["scan"] not in ("random", "systematic"):
        raise ValueError(f"scan must be 'random' or 'systematic', got {p['scan']!r}")
    size = _subset_size(p["rho"], n)
    w = V.non_negative("constraint_weight", p["constraint_weight"])
    ev = Evaluator(model)
    B = clamp(initial_state(model, p["init"], C, rng, ev), labels)
    free = free_items(n, labels)
    every = trace_interval(model, p["trace_every"])
    trace = Trace(ev, every)
    cons = constraints if (constraints is not None and w != 0) else None

    def score(b):
        return float(ev.joint(b[None])[0]) - (w * float(cons.violations(b)) if cons is not None else 0.0)

    trace.record(0, B[0], score(B[0]), force=True)
    fast = p["fast"] and isinstance(model, ConceptMixture) and size == n - 1
    chains = MixtureChains(model, B) if fast else None
    accepted = 0
    for sweep in range(sweeps):
        tau = tau_of(sweep)
        if free.size == 0:
            break
        if p["scan"] == "systematic":
            items = np.broadcast_to(rng.permutation(free)[:, None], (free.size, C))
        elif fast:
            items = free[rng.integers(0, free.size, size=(free.size, C))]
        else:
            items = np.broadcast_to(free[rng.integers(0, free.size, size=free.size)][:, None], (free.size, C))
        us = rng.random((free.size, C))
        for t in range(free.size):
            it = items[t]
            extra = None
            if cons is not None:
                cur = chains.B if fast else B
                extra = -w * cons.item_violations(cur, it)                        # (C, k)
            if fast:
                accepted += chains.step(np.ascontiguousarray(it), tau, us[t], extra)
                ev.count += C
                continue
            i = int(it[0])
            others = np.delete(np.arange(n), i)
            demos = others if size == n - 1 else np.sort(rng.choice(others, size=size, replace=False))
            lc = ev.conditional(B, i, demos)
            if extra is not None:
                lc = lc + extra
            prob = tempered(lc, tau)
            new = _sample(prob, rng) if tau > 0 else prob.argmax(axis=-1)
            accepted += int((new != B[:, i]).sum())
            B[:, i] = new
        if every and (sweep + 1) % every == 0:
            b0 = chains.B[0].astype(np.int64) if fast else B[0]
            trace.record(sweep + 1, b0, score(b0))
    if fast:
        B = chains.B.astype(np.int64)
    trace.finish(sweeps, B[0], score(B[0]))
    coh, sc, steps = trace.arrays()
    extras = {"trace_steps": steps, "trace_evaluations": ev.trace_count, "fast_path": bool(fast),
              "score": "Coh - constraint_weight * violations (chain 0, nats)",
              "final_tau": tau_of(max(sweeps - 1, 0)), "updates": int(sweeps * free.size * C)}
    if C > 1:
        extras["chains_final"] = B
    if constraints is not None:
        extras["violations"] = int(constraints.violations(B[0]))
    return SearchResult(behaviours=B[0].astype(np.int64), coherence_trace=coh, score_trace=sc, accepted=accepted,
                        evaluations=ev.count, method=name, seed=seed, params=p, extras=extras)


def gibbs(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """Tempered Gibbs at fixed ``tau`` (params: ``sweeps`` (each = #free items updates), ``tau``,
    ``scan`` "random"|"systematic", ``chains`` (parallel; chain 0 is reported, all in
    ``extras["chains_final"]``), ``init``, ``constraint_weight``, ``trace_every`` (sweeps; None =
    every sweep for closed-form priors, else only start and end), ``fast``)."""
    p = resolve("gibbs", params, {**_DEFAULTS})
    if float(p["rho"]) != 1.0:
        raise ValueError("gibbs uses every other item as context; use method 'gibbs-rho' for rho < 1")
    tau = V.non_negative("tau", p["tau"])
    return _run("gibbs", model, labels, constraints, seed, p, lambda t: tau)


def annealed_gibbs(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """Gibbs with ``tau`` following ``schedule`` "log" (``tau0 / (1 + rate log(1 + t))``) or "exp"
    (``tau0 rate^t``), floored at ``tau_min``; the last sweep is run at ``tau = 0`` (greedy) when
    ``finish_greedy`` so the result is a single-flip local maximum."""
    d = {**_DEFAULTS, "sweeps": 100, "schedule": "exp", "tau0": 2.0, "tau_min": 0.01, "rate": None,
         "finish_greedy": True}
    d.pop("tau")
    p = resolve("annealed-gibbs", params, d)
    sweeps = V.positive_int("sweeps", p["sweeps"], 1)
    sched = schedule(p["schedule"], p["tau0"], p["tau_min"], sweeps, p["rate"])
    greedy = bool(p["finish_greedy"])
    tau_of = (lambda t: 0.0 if (greedy and t == sweeps - 1) else sched(t))
    return _run("annealed-gibbs", model, labels, constraints, seed, p, tau_of)


def gibbs_rho(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """Training-friendly Gibbs: each update conditions on a fresh uniformly random subset of
    ``ceil(rho (n - 1))`` other items (index order kept), at temperature ``tau``."""
    p = resolve("gibbs-rho", params, {**_DEFAULTS, "rho": 0.5})
    tau = V.non_negative("tau", p["tau"])
    return _run("gibbs-rho", model, labels, constraints, seed, p, lambda t: tau)
