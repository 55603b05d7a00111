"""Internal Coherence Maximization (Wen et al. 2025), in its two published forms (docs/theory.md sec. 6).

Both anneal ``U(D) = alpha * P(D) - I(D)`` over a growing labelled pool ``D``; ``I`` counts the
violated constraint pairs inside the pool and the leave-one-out conditionals are taken *within*
the pool (:mod:`simulations.search.pool`).

* ``icm`` (released code): ``P = mean_{i in D} s_i (log P(1 | D \\ i) - log P(0 | D \\ i))`` with
  ``s_i = +1`` if ``b_i = 1`` else ``-1`` (nats per item, binary); start from ``n_seed = 8`` random
  items with balanced labels; pick an item with weight ``group_weight = 100`` when it shares a
  consistency group with a pool item (else 1); ``T = max(T_min, T0 / (1 + decay log(1 + f)))``
  with ``f`` the number of accepted flips.
* ``icm-paper``: ``P = sum_{i in D} log P(b_i | D \\ i)`` (pseudo-likelihood of the pool, nats);
  ``n_seed`` random (unbalanced) labels; uniform picking; ``T`` indexed by the iteration ``t``.

Each step proposes the picked item's leave-one-out argmax given the pool, repairs the pool's
inconsistencies (up to ``fix_rounds = 10`` rounds: take a violated pair, try each of its consistent
label options and keep the one with the best ``U``), and accepts with probability
``min(1, exp(dU / T))``. Items outside the final pool get their argmax given the pool.
"""
from __future__ import annotations

import math

import numpy as np

from theory import validation as V

from .pool import pool_scorer
from .progress import Ticker
from .result import Evaluator, SearchResult, clamp, free_items, resolve, trace_interval

DEFAULTS = {"steps": None, "alpha": 50.0, "T0": 10.0, "T_min": 0.01, "decay": 2.0, "n_seed": 8,
             "group_weight": 100.0, "fix_rounds": 10, "incremental": True, "trace_every": None}


class ICMSearch:
    """The state and one step of ICM; ``variant`` is ``"released"`` or ``"paper"``."""

    def __init__(self, model, variant: str, constraints, labels: dict, rng, p: dict, ev: Evaluator):
        if variant not in ("released", "paper"):
            raise ValueError(f"variant must be 'released' or 'paper', got {variant!r}")
        if variant == "released" and model.k != 2:
            raise ValueError(f"icm (released-code score) needs binary behaviours (k = 2), got k = {model.k}; "
                             "use icm-paper")
        self.model, self.variant, self.cons, self.rng, self.p, self.ev = model, variant, constraints, rng, p, ev
        self.alpha = float(V.positive("alpha", p["alpha"]))
        V.positive("T0", p["T0"])
        V.non_negative("T_min", p["T_min"])
        V.non_negative("decay", p["decay"])
        V.positive("group_weight", p["group_weight"])
        V.positive_int("fix_rounds", p["fix_rounds"], 0)
        self.scorer = pool_scorer(model, ev, bool(p["incremental"]))
        n = model.n
        self.labels = labels
        self.free = free_items(n, labels)
        self.b = clamp(rng.integers(0, model.k, size=n), labels)
        self.pool = np.zeros(n, dtype=bool)
        if labels:
            self.pool[list(labels)] = True
        n_seed = min(V.positive_int("n_seed", p["n_seed"], 0), self.free.size)
        seed_items = rng.choice(self.free, size=n_seed, replace=False)
        if variant == "released":
            ys = np.arange(n_seed) % 2                      # balanced True/False seed labels
            self.b[seed_items] = rng.permutation(ys)
        else:
            self.b[seed_items] = rng.integers(0, model.k, size=n_seed)
        self.pool[seed_items] = True
        self.stats = self.scorer.stats(self.b, self.pool)
        self.flips = 0
        self.iteration = 0
        self.U = self.score(self.b, self.pool, self.stats)
        self.b, self.pool, self.stats, self.U = self.fix(self.b, self.pool, self.stats, self.U)

    # -- objective ----------------------------------------------------------------------
    def inconsistencies(self, b, pool) -> int:
        if self.cons is None or not len(self.cons):
            return 0
        inside = pool[self.cons.pairs[:, 0]] & pool[self.cons.pairs[:, 1]]
        return int((self.cons.pair_violated(b) & inside).sum())

    def predictability(self, b, pool, stats) -> float:
        if not pool.any():
            return 0.0
        loo = self.scorer.loo(b, pool, stats)
        idx = np.flatnonzero(pool)
        if self.variant == "released":
            sign = np.where(b[idx] == 1, 1.0, -1.0)
            return float((sign * (loo[:, 1] - loo[:, 0])).mean())
        return float(loo[np.arange(idx.size), b[idx]].sum())

    def score(self, b, pool, stats) -> float:
        """``U = alpha * P - I`` of the pool."""
        return self.alpha * self.predictability(b, pool, stats) - self.inconsistencies(b, pool)

    def temperature(self) -> float:
        t = self.flips if self.variant == "released" else self.iteration
        return max(float(self.p["T_min"]), float(self.p["T0"]) / (1.0 + float(self.p["decay"]) * math.log1p(t)))

    # -- moves --------------------------------------------------------------------------
    def _apply(self, b, pool, stats, changes):
        """New ``(b, pool, stats)`` after ``changes = [(i, y)]`` (adding ``i`` to the pool)."""
        ch = [(i, y, bool(pool[i])) for i, y in changes]
        stats = self.scorer.update(stats, b, ch)
        b, pool = b.copy(), pool.copy()
        for i, y, _ in ch:
            b[i] = y
            pool[i] = True
        return b, pool, stats

    def fix(self, b, pool, stats, U):
        """Up to ``fix_rounds`` rounds: pick a violated pair inside the pool, try each consistent
        option (clamped items stay), keep the best ``U``."""
        if self.cons is None or not len(self.cons):
            return b, pool, stats, U
        for _ in range(int(self.p["fix_rounds"])):
            inside = pool[self.cons.pairs[:, 0]] & pool[self.cons.pairs[:, 1]]
            bad = np.flatnonzero(self.cons.pair_violated(b) & inside)
            if bad.size == 0:
                break
            q = int(self.rng.choice(bad))
            i, j = (int(x) for x in self.cons.pairs[q])
            best = None
            for yi, yj in self.cons.options(q):
                if (i in self.labels and yi != self.labels[i]) or (j in self.labels and yj != self.labels[j]):
                    continue
                cand = self._apply(b, pool, stats, [(i, yi), (j, yj)])
                u = self.score(*cand)
                if best is None or u > best[3]:
                    best = (*cand, u)
            if best is None:
                break
            b, pool, stats, U = best
        return b, pool, stats, U

    def pick(self) -> int:
        if self.variant == "released" and self.cons is not None:
            g = self.cons.group[self.free]
            held = np.unique(self.cons.group[self.pool & (self.cons.group >= 0)])
            w = np.where((g >= 0) & np.isin(g, held), float(self.p["group_weight"]), 1.0)
            return int(self.rng.choice(self.free, p=w / w.sum()))
        return int(self.free[self.rng.integers(0, self.free.size)])

    def step(self) -> bool:
        """One ICM iteration; returns whether a change was accepted."""
        T = self.temperature()
        self.iteration += 1
        if self.free.size == 0:
            return False
        i = self.pick()
        y = int(np.argmax(self.scorer.conditional(self.b, i, self.pool, self.stats)))
        if self.pool[i] and self.b[i] == y:
            return False
        cand = self._apply(self.b, self.pool, self.stats, [(i, y)])
        b, pool, stats, U = self.fix(*cand, self.score(*cand))
        dU = U - self.U
        if dU >= 0 or self.rng.random() < math.exp(dU / T):
            self.b, self.pool, self.stats, self.U = b, pool, stats, U
            self.flips += 1
            return True
        return False

    def completed(self) -> np.ndarray:
        """The pool labels, with every item outside the pool set to its argmax given the pool."""
        b = self.b.copy()
        out = np.flatnonzero(~self.pool)
        if out.size:
            b[out] = self.scorer.predict(self.b, self.pool, out, self.stats).argmax(axis=1)
        return b


def _run(name, variant, model, labels, constraints, seed, params, progress) -> SearchResult:
    p = resolve(name, params, dict(DEFAULTS))
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    steps = V.positive_int("steps", 10 * model.n if p["steps"] is None else p["steps"], 0)
    p["steps"] = steps
    s = ICMSearch(model, variant, constraints, labels, rng, p, ev)
    every = trace_interval(model, p["trace_every"], max(1, model.n // 4))
    coh, score, at, accepted = [], [], [], 0

    def record(t):
        before = ev.count
        b = s.completed()
        ev.trace_count += ev.count - before
        ev.count = before
        coh.append(float(ev.joint(b[None])[0]))
        score.append(s.U)
        at.append(t)

    record(0)
    ticker = Ticker(progress, steps)                        # one unit per step
    for t in range(1, steps + 1):
        accepted += s.step()
        if every and t % every == 0:
            record(t)
        ticker.advance()
    ticker.finish()
    if at[-1] != steps:
        record(steps)
    b = s.completed()
    extras = {"pool": s.pool.copy(), "pool_size": int(s.pool.sum()), "final_U": s.U, "final_T": s.temperature(),
              "violations": s.inconsistencies(b, np.ones(model.n, dtype=bool)), "trace_steps": np.array(at),
              "trace_evaluations": ev.trace_count, "variant": variant,
              "score": "U = alpha * P - I of the pool (" + ("mean signed LOO log-odds" if variant == "released"
                                                           else "sum of LOO log-probs") + ")"}
    return SearchResult(behaviours=b.astype(np.int64), coherence_trace=np.array(coh), score_trace=np.array(score),
                        accepted=accepted, evaluations=ev.count, method=name, seed=seed, params=p, extras=extras)


def icm(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """ICM as in the released code (params: ``steps`` (default ``10 n``), ``alpha`` 50, ``T0`` 10,
    ``T_min`` 0.01, ``decay`` 2, ``n_seed`` 8, ``group_weight`` 100, ``fix_rounds`` 10,
    ``incremental`` (mixture fast path), ``trace_every``)."""
    return _run("icm", "released", model, labels, constraints, seed, params, progress)


def icm_paper(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """ICM as in the paper: ``alpha * sum_i log P(b_i | D \\ i) - I``, schedule by iteration."""
    return _run("icm-paper", "paper", model, labels, constraints, seed, params, progress)
