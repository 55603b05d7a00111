"""Claim C2: coherence optimisation with labels is structural risk minimisation with a
description-length regularizer, and the 0-1 SRM minimiser is the MAP exactly at
``lambda = 1 / log((1-eta)/eta)`` (docs/theory.md section 3, C2).
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from theory import TablePrior, all_behaviours
from theory.softmax import log_partition, log_softmax_coherence
from theory.srm import label_loss, map_lambda, srm_objective

from . import symbolic as S
from theory.decoders import tie_set
from .families import describe, random_joint_priors
from .registry import Outcome, check

TOL = 1e-9


@check("C2.srm-equals-coherence", "J_lambda(pi) = label fit + lambda * DL_{Q_tau}(pi) equals label fit - "
       "(lambda/tau) Coh(pi) + lambda log Z_tau", tolerance=TOL,
       conditions="sympy for symbolic fit, lambda, tau, Z; numeric over every pi in {0,1}^8 for joint priors, "
                  "0-1 and log loss, tau in {0.5, 1, 2}")
def srm_equals_coherence(quick):
    res, detail = S.srm_equals_coherence()
    n = 8
    B = all_behaviours(n, 2)
    rng = np.random.default_rng(0)
    worst = 0.0
    for seed in range(2 if quick else 5):
        for name, p in random_joint_priors(seed, n).items():
            S_idx = rng.choice(n, 3, replace=False)
            y = rng.integers(0, 2, 3)
            for tau in (0.5, 1.0, 2.0):
                for loss in ("01", "log"):
                    lam = float(rng.uniform(0.1, 3))
                    logz = log_partition(p, tau)
                    J = srm_objective(p, B, S_idx, y, lam, loss=loss, eta=0.2, tau=tau, log_z=logz)
                    ref = label_loss(B, S_idx, y, loss, 0.2) - lam * log_softmax_coherence(p, tau)
                    worst = max(worst, float(np.abs(J - ref).max()))
    ok = S.is_zero(res) and worst <= TOL
    return Outcome("holds" if ok else "fails", {"symbolic_residual": str(res), "max_abs_error": worst})


def chain_rule_predictor_coherence(log_table: np.ndarray, n: int, k: int, order) -> np.ndarray:
    """Coherence of every ``b`` under the sequential predictor ``Q(b_t | b_<t)`` read off a joint
    table by summing out the later items: ``sum_t log Q(b_{s(t)} | earlier)``, ``(k^n,)`` nats."""
    cube = np.moveaxis(log_table.reshape((k,) * n), list(order), list(range(n)))  # axes in order s
    B = all_behaviours(n, k).astype(np.int64)[:, list(order)]
    total = np.zeros(B.shape[0])
    for t in range(n):
        marg_t = logsumexp(cube, axis=tuple(range(t + 1, n))) if t + 1 < n else cube
        marg_prev = logsumexp(marg_t, axis=t)
        total += (marg_t[tuple(B[:, j] for j in range(t + 1))]
                  - (marg_prev[tuple(B[:, j] for j in range(t))] if t else 0.0))
    return total


@check("C2.every-prior-is-coherence", "Every prior Q over Y^n is the coherence of a sequential predictor (its "
       "chain-rule conditionals), so SRM with DL regularizers and coherence optimisation are the same family",
       tolerance=TOL, conditions="random Dirichlet joints over {0,1}^7 and {0,1,2}^4, random orders")
def every_prior(quick):
    rng = np.random.default_rng(2)
    worst = 0.0
    for rep in range(3 if quick else 10):
        for n, k in ((7, 2), (4, 3)):
            q = TablePrior.random(rng, n, k, concentration=0.5)
            order = rng.permutation(n)
            worst = max(worst, float(np.abs(chain_rule_predictor_coherence(q.log_table, n, k, order)
                                            - q.log_table).max()))
    return Outcome("holds" if worst <= TOL else "fails", {"max_abs_error": worst})


def _argmin_sets(prior, B, S_idx, y, eta, lam, k):
    logq = prior.log_joint(B)
    J = srm_objective(prior, B, S_idx, y, lam)
    mism = label_loss(B, S_idx, y)
    m = len(S_idx)
    log_post = logq + (m - mism) * np.log1p(-eta) + mism * np.log(eta / (k - 1))
    return set(tie_set(-J, 1e-9).tolist()), set(tie_set(log_post, 1e-9).tolist())


@check("C2.lambda-eta-map", "With 0-1 loss and symmetric label noise eta, argmin J_lambda is the MAP under Q "
       "for every prior and labelled set exactly when lambda = 1/log((1-eta)/eta) (1/log((k-1)(1-eta)/eta) for "
       "k answers)", tolerance=TOL,
       conditions="sympy derivation; numeric: at lambda* the argmin and MAP sets coincide on every instance; at "
                  "lambda = 0.5 lambda* and 2 lambda* some instance disagrees (witness in counterexample)")
def lambda_eta_map(quick):
    res, detail = S.lambda_eta_map()
    rng = np.random.default_rng(4)
    reps = 20 if quick else 80
    agree_star, disagree = 0, {0.5: 0, 2.0: 0}
    witness = None
    total = 0
    for rep in range(reps):
        k = 2 if rep % 4 else 3
        n = 8 if k == 2 else 5
        B = all_behaviours(n, k)
        p = random_joint_priors(rep, n, k)["concept_mixture"]
        m = int(rng.integers(2, n))
        S_idx = rng.choice(n, m, replace=False)
        y = rng.integers(0, k, m)
        eta = float(rng.uniform(0.05, 0.45 if k == 2 else 0.6))   # below (k-1)/k: labels informative
        lam = map_lambda(eta, k)
        total += 1
        a, b = _argmin_sets(p, B, S_idx, y, eta, lam, k)
        agree_star += a == b
        for f in disagree:
            a2, _ = _argmin_sets(p, B, S_idx, y, eta, f * lam, k)
            if a2 != b:
                disagree[f] += 1
                if witness is None:
                    witness = {"prior": describe(p), "labeled": S_idx.tolist(), "labels": y.tolist(), "eta": eta,
                               "lambda_star": lam, "lambda": f * lam, "argmin_J": sorted(a2)[:4], "map": sorted(b)[:4]}
    ok = S.is_zero(res) and agree_star == total and all(v > 0 for v in disagree.values())
    return Outcome("holds" if ok else "fails",
                   {"symbolic": detail["lambda"], "instances": total, "agree_at_lambda_star": agree_star,
                    "disagree_at_0.5_lambda_star": disagree[0.5], "disagree_at_2_lambda_star": disagree[2.0]},
                   counterexample=witness)
