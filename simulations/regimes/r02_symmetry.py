"""R2 label-flip symmetry: a prior with ``Coh(pi) = Coh(1 - pi)`` (truth and negation, and a
second map and its negation, with equal weights and noise) makes the truth and its negation
exactly tied, so unlabelled accuracy is 1/2 on average; one label breaks the tie.

With noisy labels the tie is broken by the labels' majority: under the flip-symmetric prior the
MAP picks the truth's side iff most of the ``m`` labels agree with it, so its accuracy on
unlabelled items is ``P(Bin(m, 1-eta) > m/2) + P(= m/2)/2`` (:func:`majority`); plain supervised
fitting (the labels, zero-shot = 1/2 elsewhere) catches up only where labels are many and clean
(R13). The phase diagram ``phase-R2-R13-labels-vs-noise`` maps both over labels ``m`` and label
noise ``eta`` (expectations over the label noise exact: a sum over the number ``j`` of flipped
labels, ``j ~ Binomial(m, eta)``).

The regime's one home (:mod:`simulations.regimes`): parameters, instances, closed forms, the
figures ``R2-symmetry`` and ``phase-R2-R13-labels-vs-noise`` and the measurement of the check
``C5.R2.symmetric-ties``.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from simulations.accuracy import Enumerated
from simulations.experiments.base import fmt
from simulations.experiments.phase import grid, phase_experiment
from simulations.experiments.regime import regime_experiment, series
from theory import ConceptMixture, all_behaviours
from theory.decoders import joint_accuracy
from theory.statistics import rng_for

from simulations.experiments.instance import Instance, map_with_agreement
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult


def params(quick: bool) -> dict:
    """``n`` items; the truth/negation pair has noise ``eps_t`` and weight ``w_t`` each, the second
    pair ``eps_o``, ``w_o`` (flip probabilities, probabilities); the sweep ``xs`` is the number of
    gold labels (items)."""
    return {"n": 10, "eps_t": 0.1, "eps_o": 0.05, "w_t": 0.35, "w_o": 0.15, "xs": [0, 1, 2, 3, 4, 6],
            "seeds": list(range(6 if quick else 20))}


def instance(p: dict, x, seed: int) -> Instance:
    """The flip-symmetric prior with ``x`` gold labels on random items; measures the tie gap (nats)."""
    rng = rng_for(seed, 2)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    other = map_with_agreement(rng, truth, 0.6)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth, other, 1 - other]),
                           eps=[p["eps_t"], p["eps_t"], p["eps_o"], p["eps_o"]],
                           w=[p["w_t"], p["w_t"], p["w_o"], p["w_o"]])
    S = rng.choice(n, int(x), replace=False)
    gap = abs(float(prior.log_joint(truth)) - float(prior.log_joint(1 - truth)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, measures={"tie_gap_nats": gap})


def curves(p):
    return [{"x": p["xs"], "y": [0.5 if m == 0 else 1.0 for m in p["xs"]],
             "label": "predicted: 1/2 (exact tie) without labels, 1 with any label"}]


def majority(m: int, eta: float) -> float:
    """``P(Bin(m, 1-eta) > m/2) + P(Bin = m/2) / 2`` (1/2 when m = 0): the MAP's accuracy on
    unlabelled items under a flip-symmetric prior with ``m`` labels flipped at rate ``eta``."""
    if m == 0:
        return 0.5
    k = np.arange(m + 1)
    pm = stats.binom.pmf(k, m, 1 - eta)
    return float(pm[2 * k > m].sum() + 0.5 * pm[2 * k == m].sum())


# -- the figure R2-symmetry ------------------------------------------------------------------------

def finding(d) -> str:
    ex = series(d, "exact")
    gap = float(np.nanmax([r["mean"] for r in d["measures"]["tie_gap_nats"]]))
    return (f"Truth and negation are tied (largest |Coh(truth) - Coh(negation)| = {gap:.1e} nats), so exact coherence "
            f"scores {fmt(ex[0])} without labels and at least {fmt(np.nanmin(ex[1:]))} with one or more labels.")


def verdict(d) -> str:
    ex = series(d, "exact")
    ok = abs(ex[0] - 0.5) < 1e-9 and np.all(ex[1:] > 0.99)
    return verdict_of(ok)


EXPERIMENT = regime_experiment(
    id="R2-symmetry", claims=["C5.R2"], module=__name__, params=params,
    boundaries=lambda p: [], curves=curves,
    title="R2: flip symmetry -- truth and negation tie without labels; one label breaks the tie (n = 10)",
    prediction="unlabelled accuracy exactly 1/2 under a flip-symmetric prior; a few labels break the tie",
    finding=finding, verdict=verdict, xlabel="number of gold labels m (items)")


# -- the phase diagram phase-R2-R13-labels-vs-noise ------------------------------------------------

def phase_params(quick: bool) -> dict:
    """The phase diagram's prior: truth and negation with equal weight and the truth pair's noise
    ``eps`` (= ``eps_t`` of :func:`params`, flip probability) over ``n`` = 12 items; ``xs`` is the
    number of labels (items), ``ys`` the label noise ``eta`` (flip probability)."""
    return {"n": 12, "eps": params(quick)["eps_t"],
            "xs": [0, 1, 2, 3, 4, 5, 6, 8, 10, 12] if quick else list(range(0, 13)),
            "ys": np.round(np.arange(0.0, 0.451, 0.05 if quick else 0.025), 4).tolist(), "seeds": [0]}


def phase_cell(p, x, y, seed):
    """Expected (over the label noise, exactly) unlabelled accuracy of the MAP, its gain over
    supervised fitting on all items, and :func:`majority`, at ``m = x`` labels and noise ``eta = y``."""
    rng = rng_for(seed, 52)
    n, m, eta = p["n"], int(x), float(y)
    truth = rng.integers(0, 2, n)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[p["eps"]] * 2, w=[0.5, 0.5])
    E = Enumerated(prior)
    S = rng.choice(n, m, replace=False)
    U = np.setdiff1d(np.arange(n), S)
    acc_u = acc_all = sup_all = 0.0
    for j in range(m + 1):
        pj = stats.binom.pmf(j, m, eta) if m else 1.0
        if pj == 0:
            continue
        flipped = set(rng.choice(m, j, replace=False).tolist()) if j else set()
        labels = {int(i): int(1 - truth[i] if r in flipped else truth[i]) for r, i in enumerate(S)}
        decode_eta = eta if eta > 0 else 0.0
        acc_u += pj * (E.accuracy(truth, U, labels, decode_eta) if U.size else 0.0)
        acc_all += pj * E.accuracy(truth, np.arange(n), labels, decode_eta)
        sup_all += pj * ((m - j) + 0.5 * (n - m)) / n
    return {"unlabelled_accuracy": acc_u if U.size else float("nan"), "gain_over_supervised": acc_all - sup_all,
            "predicted_unlabelled": majority(m, eta)}


def phase_boundary(p):
    """The closed-form 0.9 contour of :func:`majority`: for each ``eta`` the smallest ``m`` reaching 0.9."""
    etas = np.linspace(p["ys"][0], p["ys"][-1], 200)
    xs, ys = [], []
    for e in etas:
        for m in range(1, p["xs"][-1] + 1):
            if majority(m, e) >= 0.9:
                xs.append(m)
                ys.append(float(e))
                break
    return [{"x": xs, "y": ys, "label": "closed form: P(majority of labels right) = 0.9", "panels": [0]}]


def phase_finding(d, p):
    A, P = grid(d, "unlabelled_accuracy"), grid(d, "predicted_unlabelled")
    G = grid(d, "gain_over_supervised")
    ok = ~np.isnan(A)
    return ("The exact MAP's unlabelled accuracy equals the majority-vote closed form to within "
            f"{np.nanmax(np.abs(A - P)[ok]):.3f} "
            "over the grid (0.5 with no labels, the tie of R2); its gain over supervised fitting is "
            f"{fmt(np.nanmax(G))} at best "
            f"and {fmt(G[0, -1])} with all {d['x'][-1]} labels clean (R13).")


def phase_verdict(d, p):
    A, P = grid(d, "unlabelled_accuracy"), grid(d, "predicted_unlabelled")
    G = grid(d, "gain_over_supervised")
    ok = np.nanmax(np.abs(A - P)[~np.isnan(A)]) < 0.05 and abs(G[0, -1]) < 1e-6
    return verdict_of(ok)


_PHASE = phase_params(True)
PHASE = phase_experiment(
    id="phase-R2-R13-labels-vs-noise", claims=["C5.R2", "C5.R13", "C2"], module=__name__, cell="phase_cell",
    params=phase_params, boundary=phase_boundary, finding=phase_finding, verdict=phase_verdict,
    panels=[{"value": "unlabelled_accuracy",
             "label": "exact MAP accuracy on unlabelled items (expected over label noise)",
             "level": 0.9, "vmin": 0.4, "vmax": 1.0, "title": "R2: labels break the flip symmetry"},
            {"value": "gain_over_supervised", "label": "accuracy gain over supervised fitting (all items)",
             "level": 0.1, "vmin": -0.5, "vmax": 0.5, "cmap": "PuOr",
             "title": "R13: the regulariser's value shrinks with many clean labels"}],
    title=f"Phase diagram R2/R13: number of labels against label noise (flip-symmetric prior, n = {_PHASE['n']}, "
          f"eps {_PHASE['eps']:g})",
    prediction="unlabelled accuracy = P(majority of the m labels is right); the gain over supervised fitting "
               "vanishes as m -> n",
    xlabel="number of labels m (items)", ylabel="label noise eta (flip probability)")


# -- the check C5.R2.symmetric-ties ----------------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r02_symmetry without labels (n = 10, concepts truth/negation with equal "
                    "weight and noise plus a symmetric pair of random maps), its first instance; "
                    "closed form: Coh(pi) = Coh(1 - pi), so the tie is exact")


def check_result(quick: bool) -> CheckResult:
    """On the first instance without labels: the tie gap is 0 (nats) and unlabelled accuracy 1/2;
    one label on an item where the truth and the second map differ, or a constraint on the count
    of ones (not flip-symmetric), lifts accuracy above 0.9."""
    prm = params(quick)
    inst = instance(prm, 0, prm["seeds"][0])
    n, p, truth = prm["n"], inst.prior, inst.truth
    other = p.F[2]
    E = Enumerated(p)
    tie_gap = float(abs(p.log_joint(truth) - p.log_joint(1 - truth)))
    acc0 = E.accuracy(truth, None)
    i = int(np.flatnonzero(truth != other)[0])
    acc1 = E.accuracy(truth, None, {i: int(truth[i])})
    B = all_behaviours(n, 2)
    cons = (B.sum(1) >= truth.sum()) if truth.sum() > n / 2 else (B.sum(1) <= truth.sum())
    acc_c = joint_accuracy(B, np.where(cons, E.table, -np.inf), truth)   # a constraint on the count of 1s
    ok = tie_gap <= 1e-12 and abs(acc0 - 0.5) <= 1e-12 and acc1 > 0.9 and acc_c > 0.9
    return CheckResult(verdict_of(ok),
                       {"|Coh(truth) - Coh(negation)|": tie_gap, "unlabelled_accuracy": acc0,
                        "accuracy_with_1_label": acc1, "accuracy_with_count_constraint": acc_c})
