"""Oracles for ICM's logical-consistency term ``- I(b)`` in ``U = alpha * S - I`` (docs/theory.md C1, ICM
bullet; C5 R6; section 6, ICM), used by ``C1.icm-consistency-restricts-support``
(:mod:`proofs_check.c1_special_cases`) and ``C5.R6.no-consistency-constant-wins``
(:mod:`proofs_check.c5_regimes`).

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
* Constant takeover (R6): with a concept "all True" (``w_c, eps_c``) beside the truth
  (``w_t, eps_t``), the most coherent labeling without constraints is the constant once
  ``log w_c + n log(1 - eps_c) > log w_t + n log(1 - eps_t)`` (as in R5); the pseudo-likelihood
  ignores the weights and prefers the constant once ``eps_c < eps_t``. The constant violates
  every pair, so the constraints exclude it.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from theory import ConceptMixture, all_behaviours, pseudo_likelihood, signed_logodds
from theory.decoders import joint_accuracy, tie_set
from theory.softmax import log_coherence_table

#: ICM's alpha as the authors ran it (docs/theory.md section 6: alpha 30-50)
ICM_ALPHA = 50.0


# -- instances --------------------------------------------------------------------------------
# the arithmetic task is built below the checks (simulations.arithmetic_task); the R6 instances
# (truth beside the constant) are defined with the regime (simulations.regimes.r06_degenerate)


def random_task_prior(seed: int, truth: np.ndarray) -> ConceptMixture:
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


# -- C5 R6: without consistency the constant labeling takes over ------------------------------

def constant_switch_weight(n: int, eps_t: float, eps_c: float) -> float:
    """``w_c`` at which ``log w_c + n log(1-eps_c) = log(1-w_c) + n log(1-eps_t)`` (truth weight 1 - w_c)."""
    r = math.exp(n * (math.log1p(-eps_t) - math.log1p(-eps_c)))
    return r / (1 + r)


def constant_switch_noise(n: int, w_t: float, w_c: float, eps_t: float) -> float:
    """``eps_c`` below which the constant is more coherent: ``log w_c + n log(1-eps_c) > log w_t + n log(1-eps_t)``."""
    return 1.0 - math.exp((math.log(w_t / w_c) + n * math.log1p(-eps_t)) / n)


def takeover(prior, truth, cons) -> dict:
    """Exact argmaxes of Coh and PL with and without the constraints: is the unconstrained one the
    constant, its accuracy, and is the constrained one the truth."""
    B = all_behaviours(prior.n, 2)
    consistent = cons.violations(B) == 0 if cons is not None else np.ones(B.shape[0], dtype=bool)
    const = int(B.shape[0] - 1)
    tcode = int(truth @ (2 ** np.arange(truth.size - 1, -1, -1)))
    out = {}
    for name, S in (("Coh", log_coherence_table(prior)), ("PL", pseudo_likelihood(prior, B))):
        free = set(tie_set(S).tolist())
        held = set(tie_set(np.where(consistent, S, -np.inf)).tolist())
        out[name] = {"constant_wins_unconstrained": free == {const},
                     "accuracy_unconstrained": joint_accuracy(B, S, truth),
                     "truth_wins_constrained": held == {tcode},
                     "accuracy_constrained": joint_accuracy(B, np.where(consistent, S, -np.inf), truth)}
    return out


def _first(xs, flags):
    return next((float(x) for x, f in zip(xs, flags) if f), None)


def constant_takeover_sweeps(p: dict, instances: dict, cons_override=False) -> dict:
    """The weight and noise sweeps of the R6 check (``p``, ``instances``: the check's settings and
    instances, :func:`simulations.regimes.r06_degenerate.check_params` and ``check_instances``;
    ``cons_override``: constraints to use instead of the task's, e.g. ``None``)."""
    truth, cons = instances["weight_sweep"][0].truth, instances["weight_sweep"][0].constraints
    if cons_override is not False:
        cons = cons_override
    n, eps_t, eps_c, w_fixed = truth.size, p["eps_t"], p["eps_c"], p["w_c"]
    wgrid, egrid = p["w_c_grid"], p["eps_c_grid"]
    wrows = [takeover(inst.prior, truth, cons) for inst in instances["weight_sweep"]]
    erows = [takeover(inst.prior, truth, cons) for inst in instances["noise_sweep"]]
    balance = float(truth.mean())
    every = wrows + erows
    acc_is_balance = all(abs(r[s]["accuracy_unconstrained"] - balance) <= 1e-12
                         for r in every for s in ("Coh", "PL") if r[s]["constant_wins_unconstrained"])
    return {
        "n": n, "eps_t": eps_t, "truth": truth.tolist(), "class_balance": balance,
        "weight_sweep": {"eps_c": eps_c, "predicted_coh_switch_w_c": constant_switch_weight(n, eps_t, eps_c),
                         "measured_coh_switch_w_c": _first(wgrid, [r["Coh"]["constant_wins_unconstrained"]
                                                                   for r in wrows]),
                         "coh_constant_beyond_switch": all(r["Coh"]["constant_wins_unconstrained"]
                                                           for w, r in zip(wgrid, wrows)
                                                           if w > constant_switch_weight(n, eps_t, eps_c) + 0.01),
                         "pl_constant_at_every_weight": all(r["PL"]["constant_wins_unconstrained"] for r in wrows),
                         "table_w_c_cohconst_plconst": [[float(w), r["Coh"]["constant_wins_unconstrained"],
                                                         r["PL"]["constant_wins_unconstrained"]]
                                                        for w, r in zip(wgrid, wrows)][:: max(1, len(wgrid) // 10)]},
        "noise_sweep": {"w_c": w_fixed,
                        "predicted_coh_switch_eps_c": constant_switch_noise(n, 1 - w_fixed, w_fixed, eps_t),
                        "measured_coh_switch_eps_c": _first(egrid, [not r["Coh"]["constant_wins_unconstrained"]
                                                                    for r in erows]),
                        "predicted_pl_switch_eps_c": eps_t,
                        "measured_pl_switch_eps_c": _first(egrid, [not r["PL"]["constant_wins_unconstrained"]
                                                                   for r in erows])},
        "accuracy_of_constant_equals_class_balance": acc_is_balance,
        "constraints_recover_truth_everywhere": all(r[s]["truth_wins_constrained"]
                                                    for r in every for s in ("Coh", "PL")),
        "cons": cons, "truth_arr": truth,
    }
