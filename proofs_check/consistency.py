"""Oracles for ICM's logical-consistency term ``- I(b)`` in ``U = alpha * S - I`` (docs/theory.md C1, ICM
bullet; C5 R6; section 6, ICM), used by ``C1.icm-consistency-restricts-support``
(:mod:`proofs_check.c1_special_cases`).

The instances are the arithmetic-verification task (:mod:`simulations.arithmetic_task`):
``problems`` problems with ``candidates`` candidate answers each, exactly one correct (True), and a
``contradiction`` constraint between every two candidates of one problem (at most one True per
problem). ``I(b)`` counts violated pairs (the argument ``viol`` below, one count per labeling code);
``C = {b : I(b) = 0}`` is the consistent set. The R6
check's settings and instances are the regime's (:mod:`simulations.regimes.r06_degenerate`).

* Hard restriction (argmax): for a score table ``S`` over ``{0,1}^n`` the argmax of
  ``alpha * S - I`` equals the argmax of ``S`` on ``C`` exactly when ``alpha < alpha*``, with
  ``alpha* = min { I(b) / (S(b) - S_C) : b not in C, S(b) > S_C }`` and ``S_C = max_C S``
  (``alpha* = inf`` when no inconsistent labeling beats ``S_C``). Two sufficient thresholds below
  it: ``1 / (max S - S_C)`` (one violation costs more than any gain) and ``1 / (max S - min S)``
  (one violation costs more than the score range).
* Soft restriction (softmax): ``q_beta(b) ∝ P(b)^a exp(-beta I(b))`` (``a = alpha / T``, ``beta``
  the penalty weight over ``T``) has total variation ``M / (Z_C + M)`` from ``P^a`` renormalised
  on ``C``, with ``Z_C = sum_C P^a`` and ``M = sum_{b not in C} P^a(b) exp(-beta I(b))``; so
  ``TV <= exp(-beta) (sum_{not C} P^a) / Z_C -> 0``. The limit is the prior renormalised on ``C``
  only when ``a = 1`` (``alpha = T``).
* Constant takeover (R6): the closed forms, sweeps and measurement of
  ``C5.R6.no-consistency-constant-wins`` are the regime's (:mod:`simulations.regimes.r06_degenerate`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from theory import ConceptMixture, all_behaviours, pseudo_likelihood, signed_logodds
from theory.decoders import tie_set
from theory.softmax import log_coherence_table

#: ICM's alpha as the authors ran it (docs/theory.md section 6: alpha 30-50)
ICM_ALPHA = 50.0


# -- instances --------------------------------------------------------------------------------
# the arithmetic task is built below the checks (simulations.arithmetic_task); the R6 instances
# (truth beside the constant) are defined with the regime (simulations.regimes.r06_degenerate)


def random_constant_prior(seed: int, truth: np.ndarray) -> ConceptMixture:
    """The truth, the constant all-True map (sharp), and 0-2 random maps, random noise and weights."""
    rng = np.random.default_rng(1000 + seed)
    n = truth.size
    extra = int(rng.integers(0, 3))
    F = np.vstack([truth, np.ones(n, dtype=np.int64), rng.integers(0, 2, (extra, n))])
    eps = np.r_[rng.uniform(0.05, 0.25), rng.uniform(0.005, 0.1), rng.uniform(0.02, 0.3, extra)]
    names = ("truth", "constant-true") + tuple(f"random{j}" for j in range(extra))
    return ConceptMixture(F=F, eps=eps, w=rng.dirichlet(np.ones(2 + extra)), names=names)


# -- hard restriction: the argmax -------------------------------------------------------------

def restriction_threshold(S, viol) -> dict:
    """``alpha*`` (exact) and the two sufficient thresholds for ``argmax(alpha S - I) = argmax_C S``."""
    S, viol = np.asarray(S, dtype=float), np.asarray(viol)
    C = viol == 0
    s_c = float(S[C].max())
    beats = ~C & (S > s_c)
    exact = float((viol[beats] / (S[beats] - s_c)).min()) if beats.any() else math.inf
    gain = float(S.max() - s_c)
    return {"alpha_star": exact, "alpha_one_violation_exceeds_gain": 1.0 / gain if gain > 0 else math.inf,
            "alpha_one_violation_exceeds_range": 1.0 / float(S.max() - S.min()), "max_consistent_score": s_c,
            "global_argmax_violations": int(viol[int(np.argmax(S))])}


def penalised_argmax(S, viol, alpha: float, penalty: float = 1.0) -> set:
    """The argmax set of ``alpha * S - penalty * I`` (code indices, ties included)."""
    S = np.asarray(S, dtype=float)
    return set(tie_set(alpha * S - penalty * np.asarray(viol), atol=1e-9 * max(1.0, alpha)).tolist())


def restricted_argmax(S, viol) -> set:
    """The argmax set of ``S`` over the consistent labelings."""
    S = np.asarray(S, dtype=float)
    return set(tie_set(np.where(np.asarray(viol) == 0, S, -np.inf)).tolist())


def argmax_restriction(S, viol, penalty: float = 1.0, below=(0.25, 0.5, 0.9, 0.99), above=(1.01, 2.0)) -> dict:
    """Whether ``argmax(alpha S - penalty I) = argmax_C S`` at ``alpha = f alpha*`` (``alpha*`` of a
    unit penalty) for ``f`` in ``below`` (must agree) and in ``above`` (must differ)."""
    th = restriction_threshold(S, viol)
    a, want = th["alpha_star"], restricted_argmax(S, viol)
    if math.isinf(a):   # the global argmax is consistent: every alpha restricts
        agree_below = all(penalised_argmax(S, viol, x, penalty) == want for x in (0.1, 1.0, 10.0, ICM_ALPHA))
        differ_above = True
    else:
        agree_below = all(penalised_argmax(S, viol, f * a, penalty) == want for f in below)
        differ_above = all(penalised_argmax(S, viol, f * a, penalty) != want for f in above)
    sufficient_ok = th["alpha_one_violation_exceeds_range"] <= th["alpha_one_violation_exceeds_gain"] <= a
    icm = penalised_argmax(S, viol, ICM_ALPHA, penalty)
    return {**th, "agrees_below_alpha_star": agree_below, "differs_above_alpha_star": differ_above,
            "sufficient_thresholds_below_alpha_star": bool(sufficient_ok),
            "argmax_consistent_at_icm_alpha": all(int(np.asarray(viol)[c]) == 0 for c in icm),
            "violations_at_icm_alpha": max(int(np.asarray(viol)[c]) for c in icm)}


# -- soft restriction: the softmax ------------------------------------------------------------

def softmax_restriction(log_p, viol, a: float, beta: float, penalty: float = 1.0) -> dict:
    """Total variation of ``q ∝ exp(a log P - beta penalty I)`` from ``P^a`` renormalised on ``C``
    (explicit, and the closed form ``M / (Z_C + M)`` of a unit penalty) and from ``P`` on ``C``."""
    log_p, viol = np.asarray(log_p, dtype=float), np.asarray(viol)
    C = viol == 0
    lq = a * log_p - beta * penalty * viol
    q = np.exp(lq - logsumexp(lq))
    la = np.where(C, a * log_p, -np.inf)
    target = np.exp(la - logsumexp(la))
    lp = np.where(C, log_p, -np.inf)
    prior_c = np.exp(lp - logsumexp(lp))
    log_zc = logsumexp(a * log_p[C])
    log_m = logsumexp(a * log_p[~C] - beta * viol[~C]) if (~C).any() else -np.inf
    closed = float(np.exp(log_m - np.logaddexp(log_zc, log_m)))
    bound = float(np.exp(-beta + logsumexp(a * log_p[~C]) - log_zc)) if (~C).any() else 0.0
    return {"a": a, "beta": beta, "tv_to_tempered_prior_on_C": float(0.5 * np.abs(q - target).sum()),
            "tv_closed_form": closed, "tv_bound": bound, "tv_to_prior_on_C": float(0.5 * np.abs(q - prior_c).sum())}


# -- the ICM searches -------------------------------------------------------------------------

def icm_end_consistency(prior, cons, seeds, methods=("icm", "icm-paper")) -> dict:
    """Run the ICM searches with the constraints; count ends whose labelled pool is consistent and
    whose completed labeling (pool plus argmax-given-pool elsewhere) is consistent."""
    from simulations.search import run_search

    out, witness = {}, None
    for m in methods:
        pool_ok = full_ok = 0
        for s in seeds:
            r = run_search(m, prior, constraints=cons, seed=int(s))
            b, pool = r.behaviours, r.extras["pool"]
            bad = cons.pair_violated(b)
            inside = pool[cons.pairs[:, 0]] & pool[cons.pairs[:, 1]]
            pool_ok += not (bad & inside).any()
            full_ok += not bad.any()
            if bad.any() and witness is None:
                witness = {"method": m, "seed": int(s), "labeling": b.tolist(), "pool": pool.astype(int).tolist(),
                           "violated_pairs": cons.pairs[bad].tolist()}
        out[m] = {"runs": len(seeds), "pool_consistent": pool_ok, "completed_consistent": full_ok}
    return {"by_method": out, "completion_witness": witness}


# -- C1: the consistency term restricts the prior's support -----------------------------------

def support_restriction(prior, cons, penalty: float = 1.0, betas=(0.0, 1.0, 2.0, 4.0, 8.0, 16.0)) -> dict:
    """Everything the check measures on one instance except the searches."""
    B = all_behaviours(prior.n, 2)
    viol = cons.violations(B)
    log_p = log_coherence_table(prior)
    scores = {"Coh": log_p, "PL": pseudo_likelihood(prior, B), "signed_logodds": signed_logodds(prior, B)}
    hard = {k: argmax_restriction(S, viol, penalty) for k, S in scores.items()}
    soft = {a: [softmax_restriction(log_p, viol, a, b, penalty) for b in betas] for a in (0.5, 1.0, 2.0)}
    one = soft[1.0]
    soft_ok = (all(abs(r["tv_to_tempered_prior_on_C"] - r["tv_closed_form"]) <= 1e-12
                   for rs in soft.values() for r in rs)
               and all(y["tv_to_prior_on_C"] <= x["tv_to_prior_on_C"] + 1e-15 for x, y in zip(one, one[1:]))
               and one[-1]["tv_to_prior_on_C"] <= one[-1]["tv_bound"] + 1e-15)
    hard_ok = all(h["agrees_below_alpha_star"] and h["differs_above_alpha_star"]
                  and h["sufficient_thresholds_below_alpha_star"] for h in hard.values())
    return {"n": prior.n, "prior_mass_on_C": float(np.exp(logsumexp(log_p[viol == 0]))),
            "consistent_labelings": int((viol == 0).sum()),
            "hard": hard, "soft": soft, "hard_ok": bool(hard_ok), "soft_ok": bool(soft_ok)}
