"""Claim C4: persona collapse. Under a mixture of personas the Gibbs chain is metastable: its
spectral gap shrinks exponentially with ``n``, so one run locks into one persona and diversity
survives only across runs (docs/theory.md section 3, C4; the paper's preliminary experiments).

Exact: the random-scan Gibbs kernel over all ``2^n`` maps (sparse), its gap ``1 - lambda_2``
by Lanczos on the symmetrised kernel with the top eigenvector deflated, the conductance of the
persona cut, and the probability of having switched persona after ``T`` sweeps. The personas and
their chain are the claim's own (:mod:`simulations.claims.c4_persona_chain`, where its figure lives).
"""
from __future__ import annotations

import math

import numpy as np

from simulations.claims.c4_persona_chain import EPS, persona_chain, two_personas
from theory import ConceptMixture, all_behaviours
from theory.markov import gibbs_matrix, spectral_gap, transition_matrix
from theory.softmax import log_coherence_table

from .registry import Outcome, check


@check("C4.spectral-gap-exponential", "Two-persona mixture: the Gibbs chain's spectral gap shrinks exponentially "
       "in n (metastability), within Cheeger's bounds phi^2/2 <= gap <= 2 phi", tolerance=None,
       conditions="personas = a map and its negation, noise 0.1, equal weights, odd n = 5..13 (quick 5..11); exact "
                  "gap; log-linear fit (R^2 > 0.98) with rate within 20% of the middle-layer mass rate "
                  "r = -ln(2 sqrt(eps(1-eps))) = 0.51; contrast: a single persona has gap exactly 1/n (polynomial)")
def spectral_gap_exponential(quick):
    ns = list(range(5, 12 if quick else 14, 2))
    rows, cheeger = [], True
    for n in ns:
        r = persona_chain(n)
        cheeger &= r["conductance"] ** 2 / 2 <= r["gap"] * (1 + 1e-9) and r["gap"] <= 2 * r["conductance"] * (1 + 1e-9)
        rows.append({"n": n, "gap": r["gap"], "conductance": r["conductance"]})
    gaps = np.array([r["gap"] for r in rows])
    slope, intercept = np.polyfit(ns, np.log(gaps), 1)
    resid = np.log(gaps) - (slope * np.array(ns) + intercept)
    r2 = 1 - resid.var() / np.log(gaps).var()
    layer_rate = -math.log(2 * math.sqrt(EPS * (1 - EPS)))
    single = []
    for n in ns:
        f = two_personas(n).F[0]
        p1 = ConceptMixture(F=f[None], eps=[EPS], w=[1.0])
        single.append(spectral_gap(gibbs_matrix(p1, 1.0, as_sparse=True), np.exp(log_coherence_table(p1))))
    single_slope = float(np.polyfit(ns, np.log(single), 1)[0])
    single_exact = float(np.abs(np.array(single) - 1 / np.array(ns)).max())   # product measure: gap = 1/n
    rate_rel_err = abs(-slope - layer_rate) / layer_rate
    ok = cheeger and r2 > 0.98 and rate_rel_err < 0.2 and single_exact < 1e-9
    return Outcome("holds" if ok else "fails",
                   {"by_n": rows,
                    "fit": {"rate": float(-slope), "prefactor": float(math.exp(intercept)), "r2": float(r2)},
                    "gap_ratio_per_added_item": float(math.exp(slope)),
                    "layer_mass_rate_prediction": layer_rate, "cheeger_bounds_hold": bool(cheeger),
                    "rate_relative_error": rate_rel_err, "single_persona_gaps": single,
                    "single_persona_gap_minus_1_over_n": single_exact, "single_persona_loglinear_slope": single_slope})


@check("C4.single-run-locks", "A single Gibbs run started in one persona stays there (the probability of having "
       "switched after 100 sweeps is small, falls with n and follows the two-state prediction (1 - (1-gap)^steps)/2) "
       "while the stationary law splits the personas 50/50: diversity survives only across runs", tolerance=0.05,
       conditions="noise 0.05; exact distribution of the chain after 100 sweeps from persona A's map; n = 7, 9, 11 "
                  "(quick), up to 13 (full); switched probability at the largest n below the tolerance, two-state "
                  "prediction within 0.02")
def single_run_locks(quick):
    rows = []
    for n in (7, 9, 11) if quick else (7, 9, 11, 13):
        r = persona_chain(n, 0.05)
        T, side_A, p = r["T"], r["side_A"], r["p"]
        x = np.zeros(T.shape[0])
        x[int(np.dot(p.F[0], 2 ** np.arange(n - 1, -1, -1)))] = 1.0
        TT = T.T.tocsr()
        steps = 100 * n
        for _ in range(steps):
            x = TT @ x
        rows.append({"n": n, "p_switched_after_100_sweeps": float(x[~side_A].sum()),
                     "two_state_prediction": 0.5 * (1 - (1 - r["gap"]) ** steps), "gap": r["gap"],
                     "stationary_mass_B": 1 - r["mass_A"]})
    sw = [r["p_switched_after_100_sweeps"] for r in rows]
    pred_err = max(abs(r["p_switched_after_100_sweeps"] - r["two_state_prediction"]) for r in rows)
    ok = (sw[-1] < 0.05 and all(b < a for a, b in zip(sw, sw[1:])) and pred_err < 0.02
          and abs(rows[-1]["stationary_mass_B"] - 0.5) < 1e-9)
    return Outcome("holds" if ok else "fails", {"by_n": rows, "max_error_vs_two_state": pred_err})


def context_exclusion_matrix(prior, rho: float):
    """Sparse random-scan kernel of the training-friendly variant: item ``i`` is resampled from
    ``P(b_i | b_D)`` with ``D`` a uniformly random subset of size ``ceil(rho (n-1))`` of the other
    items (the conditional averaged over all such subsets)."""
    import itertools

    from scipy import sparse

    n, k = prior.n, prior.k
    B = all_behaviours(n, k).astype(np.int64)
    size = int(math.ceil(rho * (n - 1)))
    codes = np.arange(B.shape[0])
    powers = k ** np.arange(n - 1, -1, -1)
    rows, cols, vals = [], [], []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        prob = np.mean([np.exp(prior.log_conditional(B, i, np.array(D)))
                        for D in itertools.combinations(others, size)], axis=0)
        for y in range(k):
            rows.append(codes)
            cols.append(codes + (y - B[:, i]) * powers[i])
            vals.append(prob[:, y] / n)
    N = B.shape[0]
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N))


@check("C4.context-exclusion-metastable", "The training-friendly variant (each conditional sees a random half of the "
       "other items) behaves alike: its spectral gap also shrinks exponentially with n", tolerance=None,
       conditions="two personas (noise 0.1), rho = 0.5, odd n = 5..11 (quick 5..9); gap = 1 - |lambda_2| (the chain is "
                  "not reversible); log-linear fit R^2 > 0.95 and rate > 0.2; the kernel agrees with "
                  "theory.markov.transition_matrix(rho=0.5) at n = 5, 7")
def context_exclusion(quick):
    from scipy.sparse.linalg import eigs

    ns = [5, 7, 9] if quick else [5, 7, 9, 11]
    rows, peer = [], 0.0
    for n in ns:
        p = two_personas(n)
        T = context_exclusion_matrix(p, 0.5)
        if n <= 7:
            peer = max(peer, float(np.abs(T.toarray() - transition_matrix(p, 1.0, rho=0.5)).max()))
        if T.shape[0] <= 512:
            ev = np.sort(np.abs(np.linalg.eigvals(T.toarray())))[::-1]
        else:
            ev = np.sort(np.abs(eigs(T.T.tocsc(), k=3, which="LM", tol=1e-12, return_eigenvectors=False)))[::-1]
        rows.append({"n": n, "gap": float(1 - ev[1])})
    gaps = np.log([r["gap"] for r in rows])
    slope, icpt = np.polyfit(ns, gaps, 1)
    r2 = 1 - (gaps - (slope * np.array(ns) + icpt)).var() / gaps.var()
    ok = r2 > 0.95 and -slope > 0.2 and peer <= 1e-12
    return Outcome("holds" if ok else "fails", {"by_n": rows, "rate": float(-slope), "r2": float(r2),
                                                "max_difference_vs_search_kernel": peer})
