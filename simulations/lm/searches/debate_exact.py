"""The exact check of debate on a real model (prediction P8): stationary law against coherence.

With ``K`` agents and two labels an item's joint answers ``b`` take ``S = 2^K`` states (codes:
agent 0 is the most significant bit; ``K <= 10``). Everything below derives from one array per
item, the **conditional table** ``ell[a, t, y]`` (nats): agent ``a``'s log-probability of label
``y`` after the shown tuple of answers ``u`` with flat index ``t = 2^m - 1 + code(u)``
(``m = |u|`` in ``0..K-1``), read from the debate prompts of :mod:`simulations.lm.searches.debate` (one
prompt per tuple and agent; agents share one row without demonstrations).

* **One round** (``tau``-tempered conditionals ``p_a(y | b_-a) = softmax(ell[a, b_-a] / tau)``,
  ``b_-a`` the others' answers in agent order): ``sequential`` is the systematic Gibbs sweep
  ``T = T_0 T_1 ... T_{K-1}``, ``T_a`` resampling agent ``a``; ``simultaneous`` is
  ``T[b, b'] = prod_a p_a(b'_a | b_-a)``. ``pi`` solves ``pi T = pi``.
* **Coherence of a joint answer** (docs/theory.md section 2, with the agents as the contexts):
  the order-averaged prequential log-likelihood ``Coh(b) = E_s sum_t log P(b_s(t) | x; answers
  of s(1..t-1) in speaking order)`` over uniformly random speaking orders ``s``, exact from the
  table: the agents before ``a`` form a uniformly random ordered subset of the others, so an
  ordered tuple with ``j`` ones has probability ``[c_1]_j [c_0]_(m-j) / [K-1]_m`` (falling
  factorials of the others' counts). The reduction (C1, Debate) predicts
  ``pi = Q_tau = softmax(Coh / tau)`` when the conditionals come from one joint law.
* **Incompatibility** (regime R10): the least-squares joint ``E`` whose conditional log-odds
  ``E(b with b_a = 1) - E(b with b_a = 0)`` are nearest to the agents' own over all
  ``K 2^(K-1)`` (agent, others) pairs; the rms and max residual (nats) are 0 exactly when the
  conditionals are compatible, and ``softmax(E / tau)`` is the best joint's law.
* **Long debates**: ``debates`` independent runs of the debate sampler itself for ``rounds``
  rounds without consensus stopping. Their final states follow ``pi_0 T^rounds`` exactly
  (``pi_0`` the tempered zero-shot product), so the total variation between the empirical law
  and that law, against its multinomial null (``p_value``), checks the sampler; the TV of
  ``pi_0 T^rounds`` from ``pi`` is the part of the gap left by finite rounds.

:func:`p8_verdict` judges P8 from the records.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from theory.enumeration import all_behaviours, encode, popcount
from theory.markov import stationary, tempered
from theory.statistics import mean_ci, rng_for

from simulations.lm.searches.debate import SCHEDULES, AgentConditionals, play_rounds, zero_shot_answers

MAX_AGENTS = 10
#: P8's tolerance on the mean KL(pi || Q_tau) over items (nats)
P8_TOL = 0.05


def tuple_index(m: int, code) -> np.ndarray:
    """Flat table index of the shown tuples of length ``m`` with the given codes."""
    return 2 ** m - 1 + np.asarray(code, dtype=np.int64)


def all_tuples(m: int) -> np.ndarray:
    """Every binary tuple of length ``m`` in code order: ``(2^m, m)``."""
    return all_behaviours(m, 2).astype(np.int64) if m else np.zeros((1, 0), dtype=np.int64)


def conditional_table(cond: AgentConditionals, i: int) -> np.ndarray:
    """``ell (K, 2^K - 1, 2)`` nats for item ``i`` from the model's debate prompts."""
    K = cond.K
    rows = [np.concatenate([cond.log_probs(i, a, all_tuples(m)) for m in range(K)])
            for a in (range(K) if cond.shots else [0])]
    return np.broadcast_to(np.stack(rows), (K, 2 ** K - 1, 2)).copy()


def table_of_prior(prior) -> np.ndarray:
    """The table of a ``theory.prior.Prior`` over ``K`` agent slots (binary): the tuple ``u`` of
    length ``m`` is shown as the answers of the first ``m`` agents other than ``a``. It is the
    debate's table for priors whose conditionals depend on the shown answers only (exchangeable
    priors, like :func:`simulations.search.debate.debate_prior`)."""
    K = prior.n
    out = np.empty((K, 2 ** K - 1, 2))
    for a in range(K):
        for m in range(K):
            d = np.array([o for o in range(K) if o != a][:m], dtype=np.int64)
            B = np.zeros((2 ** m, K), dtype=np.int64)
            B[:, d] = all_tuples(m)
            out[a, tuple_index(m, np.arange(2 ** m))] = prior.log_conditional(B, a, d)
    return out


def _agents(table) -> int:
    K = int(round(math.log2(table.shape[1] + 1)))
    if table.shape != (K, 2 ** K - 1, 2) or not 2 <= K <= MAX_AGENTS:
        raise ValueError(f"table must be (K, 2^K - 1, 2) with K in [2, {MAX_AGENTS}], got {table.shape}")
    return K


def loo(table) -> np.ndarray:
    """``(S, K, 2)`` nats: agent ``a``'s conditional in state ``b`` (others shown in agent order)."""
    K = _agents(table)
    B = all_behaviours(K, 2).astype(np.int64)
    return np.stack([table[a, tuple_index(K - 1, encode(np.delete(B, a, axis=1)))] for a in range(K)], axis=1)


def round_matrix(table, tau: float, schedule: str = "sequential") -> np.ndarray:
    """The exact transition matrix of one debate round over the ``S`` joint answers."""
    K = _agents(table)
    if not tau > 0:
        raise ValueError(f"the exact round needs tau > 0 (every state reachable), got {tau}")
    S = 2 ** K
    if schedule == "sequential":
        T = np.eye(S)
        for a in range(K):
            # T <- T T_a: sum the columns over agent a's digit, then spread them by p_a(y | b_-a),
            # which depends on the other digits only
            p = tempered(table[a, tuple_index(K - 1, np.arange(S // 2))], tau).reshape(2 ** a, 2 ** (K - 1 - a), 2)
            M = T.reshape(S, 2 ** a, 2, 2 ** (K - 1 - a)).sum(axis=2)
            T = (M[:, :, None, :] * p.transpose(0, 2, 1)[None]).reshape(S, S)
        return T
    if schedule == "simultaneous":
        P = tempered(loo(table), tau)                                      # (S, K, 2)
        B = all_behaviours(K, 2).astype(np.int64)
        T = np.ones((S, S))
        for a in range(K):
            T *= P[:, a, :][:, B[:, a]]
        return T
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")


def order_averaged_coherence(table) -> np.ndarray:
    """``Coh(b) = E_s Coh_s(b)`` over uniformly random speaking orders, ``(S,)`` nats (exact)."""
    K = _agents(table)
    B = all_behaviours(K, 2).astype(np.int64)
    ones_others = popcount(np.arange(2 ** K))[:, None] - B                 # (S, K): c_1 of b_-a
    # W[m, j, c1]: probability that the m agents before a, in speaking order, show one given
    # tuple with j ones when the K - 1 others hold c1 ones (math.perm is 0 when j > c1)
    W = np.array([[[math.perm(c1, j) * math.perm(K - 1 - c1, m - j) / math.perm(K - 1, m) if j <= m else 0.0
                    for c1 in range(K)] for j in range(K)] for m in range(K)])
    coh = np.zeros(2 ** K)
    for a in range(K):
        G = np.zeros((K, K, 2))                                            # G[m, j, y]: sum over tuples
        for m in range(K):
            pc = popcount(np.arange(2 ** m))
            for j in range(m + 1):
                G[m, j] = table[a, tuple_index(m, np.flatnonzero(pc == j))].sum(axis=0)
        coh += (W[:, :, ones_others[:, a]] * G[:, :, B[:, a]]).sum(axis=(0, 1))
    return coh / K


def coherence_along(table, order) -> np.ndarray:
    """``Coh_s(b)`` along one speaking order ``s`` (a permutation of the agents): ``(S,)`` nats."""
    K = _agents(table)
    B = all_behaviours(K, 2).astype(np.int64)
    out = np.zeros(2 ** K)
    for t, a in enumerate(order):
        code = encode(B[:, list(order[:t])]) if t else np.zeros(2 ** K, dtype=np.int64)
        out += table[a, tuple_index(t, code), B[:, a]]
    return out


def pseudo_likelihood(table) -> np.ndarray:
    """``PL(b) = sum_a log p_a(b_a | b_-a)`` (nats, untempered): ``(S,)``."""
    K = _agents(table)
    B = all_behaviours(K, 2).astype(np.int64)
    return np.take_along_axis(loo(table), B[:, :, None], axis=2)[..., 0].sum(axis=1)


def best_joint(table) -> dict:
    """The least-squares joint ``E (S,)`` (nats, mean 0) of the agents' conditional log-odds and
    the residuals: ``{energy, rms, max}``; ``rms = max = 0`` iff the conditionals are compatible."""
    K = _agents(table)
    S = 2 ** K
    r = loo(table)[:, :, 1] - loo(table)[:, :, 0]                          # (S, K), same for both ends
    B = all_behaviours(K, 2).astype(np.int64)
    bits = 2 ** (K - 1 - np.arange(K))
    lo, hi, rr = [], [], []
    for a in range(K):
        z = np.flatnonzero(B[:, a] == 0)
        lo.append(z)
        hi.append(z + bits[a])
        rr.append(r[z, a])
    lo, hi, rr = map(np.concatenate, (lo, hi, rr))
    # normal equations of min sum (E[hi] - E[lo] - r)^2: the hypercube's Laplacian, made
    # invertible by the mean-zero condition (the all-ones direction is not identified)
    lap = K * np.eye(S)
    lap[lo, hi] -= 1.0
    lap[hi, lo] -= 1.0
    rhs = np.zeros(S)
    np.add.at(rhs, hi, rr)
    np.add.at(rhs, lo, -rr)
    E = np.linalg.solve(lap + 1.0 / S, rhs)
    res = E[hi] - E[lo] - rr
    return {"energy": E, "rms": float(np.sqrt(np.mean(res ** 2))), "max": float(np.max(np.abs(res)))}


def log_softmax(x, tau: float) -> np.ndarray:
    """``log softmax(x / tau)`` (nats)."""
    z = np.asarray(x, dtype=float) / tau
    return z - logsumexp(z)


def kl(p, log_q) -> float:
    """``KL(p || q)`` in nats for a probability vector ``p`` and log-probabilities ``log_q``."""
    p = np.asarray(p, dtype=float)
    s = p > 0
    return float(np.sum(p[s] * (np.log(p[s]) - np.asarray(log_q)[s])))


def tv(p, q) -> float:
    """Total-variation distance ``sum |p - q| / 2``."""
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


def _probability(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 0.0, None)  # a linear solve leaves rounding-size negatives
    return p / p.sum()


def exact_laws(table, tau: float = 1.0, schedule: str = "sequential") -> dict:
    """Every exact quantity of one item from its table: ``T``, ``stationary``, ``coherence``
    (``Coh``, nats), ``log_q`` (``log softmax(Coh / tau)``), the pseudo-likelihood's and best
    joint's log-laws, the incompatibility, the KLs from ``pi`` (nats) and ``pi_0``."""
    K = _agents(table)
    T = round_matrix(table, tau, schedule)
    pi = _probability(stationary(T))
    coh = order_averaged_coherence(table)
    bj = best_joint(table)
    log_q = log_softmax(coh, tau)
    log_pl = log_softmax(pseudo_likelihood(table), tau)
    log_best = log_softmax(bj["energy"], tau)
    z = tempered(table[:, 0], tau)                                         # (K, 2) round-0 laws
    B = all_behaviours(K, 2).astype(np.int64)
    pi0 = np.prod(z[np.arange(K), B], axis=1)
    return {"T": T, "stationary": pi, "pi0": pi0, "coherence": coh, "log_q": log_q, "log_pl": log_pl,
            "log_best": log_best, "kl_coherence": kl(pi, log_q), "kl_pseudo_likelihood": kl(pi, log_pl),
            "kl_best_joint": kl(pi, log_best), "incompatibility_rms": bj["rms"], "incompatibility_max": bj["max"]}


@dataclass(frozen=True)
class CheckConfig:
    """``agents``, ``tau`` (> 0), ``shots`` and ``schedule`` as in :class:`~simulations.lm.searches.
    debate.DebateConfig`; ``debates`` long debates of ``rounds`` rounds each per item;
    ``null_reps`` draws of the multinomial null of their TV (at least ``2 items / alpha``, so a
    Bonferroni threshold at level ``alpha`` is resolvable)."""

    agents: int = 3
    tau: float = 1.0
    shots: int = 0
    schedule: str = "sequential"
    debates: int = 4000
    rounds: int = 50
    null_reps: int = 2000
    alpha: float = 0.01

    def __post_init__(self):
        if not 2 <= self.agents <= MAX_AGENTS:
            raise ValueError(f"agents must be in [2, {MAX_AGENTS}] for the exact check, got {self.agents}")
        if not self.tau > 0:
            raise ValueError(f"tau must be > 0 for the exact check, got {self.tau}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        for name in ("debates", "rounds", "null_reps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def check_item(cond: AgentConditionals, i: int, cfg: CheckConfig, seed: int = 0, null_reps: int | None = None) -> dict:
    """The P8 record of item ``i`` (module docstring); probabilities over states in code order."""
    tok0 = cond.prior.forward_tokens
    table = conditional_table(cond, i)
    ex = exact_laws(table, cfg.tau, cfg.schedule)
    K, D = cond.K, cfg.debates
    rng = rng_for(seed, 3, i)
    items = np.full(D, i)
    start = zero_shot_answers(cond, items, rng.random((D, K)), cfg.tau)
    final, _ = play_rounds(cond, items, start, rng.random((D, cfg.rounds, K)), cfg.tau, cfg.schedule,
                           stop_at_consensus=False)
    emp = np.bincount(encode(final), minlength=2 ** K) / D
    law = _probability(ex["pi0"] @ np.linalg.matrix_power(ex["T"], cfg.rounds))
    reps = null_reps or cfg.null_reps
    null = 0.5 * np.abs(rng_for(seed, 4, i).multinomial(D, law, size=reps) / D - law).sum(axis=1)
    obs = tv(emp, law)
    pi, coh = ex["stationary"], ex["coherence"]
    consensus = np.array([0, 2 ** K - 1])
    return {"item": int(i), "agents": K, "tau": cfg.tau, "shots": cfg.shots, "schedule": cfg.schedule,
            "stationary": pi.tolist(), "coherence": coh.tolist(),
            **{k: ex[k] for k in ("kl_coherence", "kl_best_joint", "kl_pseudo_likelihood", "incompatibility_rms",
                                  "incompatibility_max")},
            "mode": int(np.argmax(pi)), "most_coherent": int(np.argmax(coh)),
            "mode_agrees": bool(np.argmax(pi) == np.argmax(coh)),
            "consensus_mass": float(pi[consensus].sum()),
            "most_coherent_is_consensus": bool(np.argmax(coh) in consensus),
            "debates": D, "rounds": cfg.rounds, "tv_empirical_vs_stationary": tv(emp, pi),
            "tv_law_vs_stationary": tv(law, pi), "tv_empirical_vs_law": obs,
            "tv_null_mean": float(null.mean()), "tv_null_q95": float(np.quantile(null, 0.95)),
            "p_value": float((1 + np.sum(null >= obs)) / (reps + 1)), "null_reps": reps,
            "forward_tokens": int(cond.prior.forward_tokens - tok0)}


def debate_check(model, task, cfg: CheckConfig = CheckConfig(), *, seed: int = 0, items=None) -> dict:
    """P8's records for ``items`` (default all) of ``task`` on ``model``, and the verdict."""
    t0 = time.perf_counter()
    items = np.arange(task.n) if items is None else np.asarray(items, dtype=np.int64)
    cond = AgentConditionals(model, task.queries(), task.label_words, cfg.agents, cfg.shots, seed)
    reps = max(cfg.null_reps, math.ceil(2 * len(items) / cfg.alpha))
    records = [check_item(cond, int(i), cfg, seed, reps) for i in items]
    return {"model": getattr(model, "name", None), "task": task.name, "seed": seed, "config": cfg.__dict__,
            "records": records, "forward_tokens": int(cond.prior.forward_tokens), "prompts": cond.prompts,
            "seconds": time.perf_counter() - t0, "p8": p8_verdict(records, alpha=cfg.alpha)}


def p8_verdict(records, *, tol: float = P8_TOL, level: float = 0.95, alpha: float = 0.01) -> dict:
    """P8, "debate samples the most coherent consensus", from :func:`check_item` records.

    Judged on the ``sequential`` records (the schedule the reduction is about): the mean over
    items of ``KL(pi || softmax(Coh / tau))`` with its ``level`` Student-t interval. ``holds``
    when the interval lies at or below ``tol`` nats, ``fails`` when it lies above, ``not judged``
    when it holds ``tol``, with fewer than 2 such records, or when some item's long debates
    depart from their exact law (``p_value < alpha / items``: the sampler, not the theory, is at
    fault). Reported beside: the incompatibility (rms residual, nats), the KL to the best joint's
    law, how often ``pi``'s mode is the most coherent joint answer, and the other schedules."""
    seq = [r for r in records if r["schedule"] == "sequential"]
    inf = float("inf")
    out = {"id": "P8", "items": len(seq), "tol": tol,
           "kl_coherence": mean_ci([r["kl_coherence"] for r in seq], level, bounds=(0.0, inf)),
           "kl_best_joint": mean_ci([r["kl_best_joint"] for r in seq], level, bounds=(0.0, inf)),
           "incompatibility_rms": mean_ci([r["incompatibility_rms"] for r in seq], level, bounds=(0.0, inf)),
           "mode_agrees": f"{sum(r['mode_agrees'] for r in seq)}/{len(seq)}",
           "sampler_min_p": min((r["p_value"] for r in seq), default=None),
           "other_schedules": {s: mean_ci([r["kl_coherence"] for r in records if r["schedule"] == s], level)
                               for s in sorted({r["schedule"] for r in records} - {"sequential"})},
           "fails_when": "the agents' conditionals are incompatible (R10: no joint law has them as its conditionals), "
                         "or the prequential ones (fewer answers shown) are not that joint's marginals"}
    kl_ = out["kl_coherence"]
    if len(seq) < 2:
        return {**out, "verdict": "not judged", "reason": "fewer than 2 items with the sequential schedule"}
    if out["sampler_min_p"] < alpha / len(seq):
        return {**out, "verdict": "not judged",
                "reason": f"an item's long debates depart from their exact law (p < {alpha:g} / {len(seq)})"}
    if kl_["hi"] <= tol:
        return {**out, "verdict": "holds"}
    if kl_["lo"] > tol:
        return {**out, "verdict": "fails"}
    return {**out, "verdict": "not judged", "reason": f"the interval of the mean KL holds the tolerance {tol:g} nats"}
