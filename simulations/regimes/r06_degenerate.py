"""R6 degenerate constant labelings: under an entropy-minimising Beta-Bernoulli prior the most
coherent labelings are the two constants, so unlabelled accuracy is exactly 1/2 whatever the
class balance, and with two labels of the majority class it equals the class balance of the
unlabelled items: never better than the constant baseline.

R6 is also ICM's failure mode without logical consistency: beside the truth, a concept "all True"
that is sharp enough (or heavy enough) becomes the most coherent labeling, and the highest
pseudo-likelihood one, so accuracy falls to the class balance; the task's contradiction
constraints exclude the constant and recover the truth. With the constant (``w_c``, ``eps_c``)
beside the truth (``w_t``, ``eps_t``) the most coherent labeling without constraints is the
constant once ``log w_c + n log(1 - eps_c) > log w_t + n log(1 - eps_t)`` (as in R5); the
pseudo-likelihood ignores the weights and prefers the constant once ``eps_c < eps_t``. The
constant violates every pair, so the constraints exclude it.

The regime's one home (:mod:`simulations.regimes`): the figure ``R6-degenerate-constant`` and the
check ``C5.R6.degenerate-constant`` take the Beta-Bernoulli instances (:func:`params`,
:func:`instance`); the check ``C5.R6.no-consistency-constant-wins`` takes the constant-takeover
instances on ICM's arithmetic task (:func:`check_params`, :func:`check_instances`,
:func:`takeover_check_result`). Noises are flip probabilities per item, weights probabilities.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated
from simulations.arithmetic_task import arithmetic_task
from simulations.experiments.base import fmt
from simulations.experiments.regime import regime_experiment, series
from theory import ConceptMixture, DirichletMultinomial, all_behaviours, pseudo_likelihood
from theory.decoders import joint_accuracy, tie_set
from theory.softmax import log_coherence_table
from theory.statistics import first_crossing, rng_for

from simulations.experiments.instance import Instance
from proofs_check.verdicts import under_conditions, verdict_of
from .decision_rule import CheckResult


METHODS = ("exact", "zero-shot", "golden", "bootstrap", "gibbs", "annealed-gibbs", "icm", "icm-paper")


def params(quick: bool) -> dict:
    """``n`` items, the Beta(``alpha``, ``alpha``)-Bernoulli prior, ``m`` majority labels (items);
    the sweep ``xs`` is the class balance (fraction of the majority class in the truth)."""
    return {"n": 12, "alpha": 1.0, "m": 2, "xs": [0.5, 0.58, 0.67, 0.75, 0.83, 0.92],
            "seeds": list(range(4 if quick else 12))}


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 6)
    n = p["n"]
    ones = int(round(x * n))
    truth = np.array([1] * ones + [0] * (n - ones))
    rng.shuffle(truth)
    prior = DirichletMultinomial.beta_bernoulli(n, p["alpha"], p["alpha"])
    E = Enumerated(prior)
    majority = int(2 * truth.sum() >= n)
    S = rng.choice(np.flatnonzero(truth == majority), p["m"], replace=False)
    U = np.setdiff1d(np.arange(n), S)
    unl = E.accuracy(truth, np.arange(n))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=U, enumerated=E,
                    measures={"exact_without_labels": unl,
                              "majority_rate_unlabelled": float(np.mean(truth[U] == truth[S[0]]))},
                    methods=METHODS)


def curves(p):
    return [{"x": p["xs"], "y": [(round(x * p["n"]) - p["m"]) / (p["n"] - p["m"]) for x in p["xs"]],
             "label": "predicted with 2 majority labels: class balance of the rest"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted without labels: 1/2 (two tied constants)"}]


# -- the figure ------------------------------------------------------------------------------------

def finding(d) -> str:
    ex = series(d, "exact")
    bal = np.array([r["mean"] for r in d["measures"]["majority_rate_unlabelled"]])
    unl = np.array([r["mean"] for r in d["measures"]["exact_without_labels"]])
    return (f"The argmax is a constant labelling: without labels exact coherence scores {fmt(np.nanmean(unl))} "
            "at every class balance, and with 2 majority labels it scores exactly the class balance "
            f"(largest deviation {np.nanmax(np.abs(ex - bal)):.1e}).")


def verdict(d) -> str:
    ex = series(d, "exact")
    bal = np.array([r["mean"] for r in d["measures"]["majority_rate_unlabelled"]])
    unl = np.array([r["mean"] for r in d["measures"]["exact_without_labels"]])
    return verdict_of(np.nanmax(np.abs(ex - bal)) < 1e-5 and np.nanmax(np.abs(unl - 0.5)) < 1e-5)


EXPERIMENT = regime_experiment(
    id="R6-degenerate-constant", claims=["C5.R6"], module=__name__, params=params,
    boundaries=lambda p: [],
    curves=curves, finding=finding, verdict=verdict,
    measure_lines={"exact_without_labels": "exact coherence, no labels"},
    title="R6: an entropy-minimising (Beta-Bernoulli) prior prefers the constant labelings (n = 12, 2 majority labels)",
    prediction="unlabelled accuracy 1/2; with majority labels exactly the class balance (never above the constant "
               "baseline)",
    xlabel="class balance: fraction of the majority class in the truth")


# -- the check C5.R6.degenerate-constant -----------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r06_degenerate at imbalance 0.75 (n = 12, Beta(1,1)-Bernoulli prior, truth "
                    "with 9 ones), its first instance; closed forms: argmax set "
                    "{0...0, 1...1}, accuracy (p + (1-p))/2 = 0.5; with 2 labels of the majority class, accuracy on "
                    "the unlabelled items = their fraction of ones")


def check_result(quick: bool) -> CheckResult:
    """The first instance at class balance 0.75: the argmax set is the two constants, accuracy
    without labels 1/2, with the 2 majority labels the unlabelled items' fraction of ones."""
    p = params(quick)
    inst = instance(p, 0.75, p["seeds"][0])
    n, truth, U = p["n"], inst.truth, inst.items
    E = inst.enumerated
    top = set(tie_set(E.table).tolist())
    consts = {0, 2**n - 1}
    acc0 = E.accuracy(truth, None)
    acc_lab = E.accuracy(truth, U, inst.labels)
    closed = float(truth[U].mean())
    ok = top == consts and abs(acc0 - 0.5) <= 1e-12 and abs(acc_lab - closed) <= 1e-12
    return CheckResult(verdict_of(ok), {"argmax_is_the_two_constants": top == consts, "unlabelled_accuracy": acc0,
                                           "accuracy_on_unlabelled_with_2_majority_labels": acc_lab,
                                           "closed_form_class_balance": closed})


# -- without logical consistency the constant takes over (C5.R6.no-consistency-constant-wins) ------

def check_params(quick: bool) -> dict:
    """The constant-takeover check's settings: ICM's arithmetic task with ``problems`` x
    ``candidates`` items (truth drawn with ``task_seed``); the truth has noise ``eps_t``, the
    constant all-True concept noise ``eps_c`` and weight ``w_c``. The weight sweep runs over
    ``w_c_grid`` at ``eps_c``, the noise sweep over ``eps_c_grid`` at ``w_c``; measured switches
    must lie within ``tolerance`` of the closed forms. The ICM searches (``search_methods``, one per
    seed of ``seeds``) run at each weight of ``search_w_c`` and must end at the truth, with the
    constraints, in a share ``search_truth_share`` of the runs. Outside the conditions: a
    ``light`` and a ``noisy`` constant, each ``(w_c, eps_c)``."""
    return {"task_seed": 6, "problems": 4, "candidates": 3, "eps_t": 0.1, "eps_c": 0.01, "w_c": 0.3,
            "w_c_grid": np.round(np.arange(0.01, 0.6, 0.01 if quick else 0.0025), 5).tolist(),
            "eps_c_grid": np.round(np.arange(0.0025, 0.2, 0.005 if quick else 0.0025), 5).tolist(),
            "tolerance": 0.01, "search_w_c": [0.1, 0.5], "search_methods": ("icm", "icm-paper"),
            "seeds": list(range(4 if quick else 10)), "search_truth_share": 0.8,
            "light": (0.1, 0.01), "noisy": (0.5, 0.15)}


def truth_and_constant(truth, eps_t: float, eps_c: float, w_c: float) -> ConceptMixture:
    """Two concepts: the truth (noise ``eps_t``, weight ``1 - w_c``) and the constant all-True map
    (``eps_c``, ``w_c``)."""
    return ConceptMixture(F=np.stack([truth, np.ones_like(truth)]), eps=[eps_t, eps_c], w=[1 - w_c, w_c],
                          names=("truth", "constant-true"))


def check_instances(p: dict) -> dict:
    """The check's instances (``p`` from :func:`check_params`), all on one arithmetic task with its
    constraints: ``weight_sweep`` (one per ``w_c_grid`` entry), ``noise_sweep`` (one per
    ``eps_c_grid`` entry), ``searches`` (one per ``search_w_c``), and the ``light`` and ``noisy``
    instances; each records its ``w_c`` and ``eps_c`` in ``measures``."""
    truth, _, cons = arithmetic_task(p["task_seed"], p["problems"], p["candidates"])

    def at(w_c, eps_c) -> Instance:
        return Instance(truth_and_constant(truth, p["eps_t"], eps_c, w_c), truth, items=np.arange(truth.size),
                        constraints=cons, measures={"w_c": w_c, "eps_c": eps_c})

    return {"weight_sweep": [at(w, p["eps_c"]) for w in p["w_c_grid"]],
            "noise_sweep": [at(p["w_c"], e) for e in p["eps_c_grid"]],
            "searches": [at(w, p["eps_c"]) for w in p["search_w_c"]],
            "light": at(*p["light"]), "noisy": at(*p["noisy"])}


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


def constant_takeover_sweeps(p: dict, instances: dict, cons_override=False) -> dict:
    """The weight and noise sweeps of the takeover check (``p``, ``instances``: :func:`check_params`
    and :func:`check_instances`; ``cons_override``: constraints to use instead of the task's, e.g.
    ``None``)."""
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
                         "measured_coh_switch_w_c": first_crossing(wgrid, [r["Coh"]["constant_wins_unconstrained"]
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
                        "measured_coh_switch_eps_c": first_crossing(egrid, [not r["Coh"]["constant_wins_unconstrained"]
                                                                            for r in erows]),
                        "predicted_pl_switch_eps_c": eps_t,
                        "measured_pl_switch_eps_c": first_crossing(egrid, [not r["PL"]["constant_wins_unconstrained"]
                                                                           for r in erows])},
        "accuracy_of_constant_equals_class_balance": acc_is_balance,
        "constraints_recover_truth_everywhere": all(r[s]["truth_wins_constrained"]
                                                    for r in every for s in ("Coh", "PL")),
        "cons": cons, "truth_arr": truth,
    }


def _takeover_conditions() -> str:
    """The takeover check's conditions, from the full settings of :func:`check_params`."""
    p = check_params(False)
    n, eps_t = p["problems"] * p["candidates"], p["eps_t"]
    return (f"arithmetic verification, {p['problems']} problems x {p['candidates']} candidates "
            f"(n = {n}, one True each: balance 1/{p['candidates']}); prior = truth (eps_t {eps_t:g}, weight 1 - w_c) "
            "+ constant all-True (eps_c, weight w_c). Coherence picks the constant iff "
            "log w_c + n log(1-eps_c) > log w_t + n log(1-eps_t) (switch "
            f"w_c = {constant_switch_weight(n, eps_t, p['eps_c']):.3f} at eps_c = {p['eps_c']:g}; eps_c = "
            f"{constant_switch_noise(n, 1 - p['w_c'], p['w_c'], eps_t):.3f} at w_c = {p['w_c']:g}), "
            "PL (ICM's score) iff eps_c < eps_t whatever the weights; measured switches within tolerance. "
            "Outside (counterexample): a light "
            "or noisy constant does not take over. ICM searches (released and paper variants, from random seeds) "
            "reported with and without the constraints; with them they must end at the truth in >= "
            f"{p['search_truth_share']:.0%} of runs")


TAKEOVER_CONDITIONS = _takeover_conditions()


def takeover_check_result(quick: bool) -> CheckResult:
    """Inside the conditions: both sweeps' switches within ``tolerance`` of the closed forms, the
    constant's accuracy the class balance, the constraints recovering the truth, and the ICM searches
    ending at the truth with them; outside: the ``light`` and ``noisy`` constants (counterexample)."""
    from simulations.search import run_search

    p = check_params(quick)
    instances = check_instances(p)
    sw = constant_takeover_sweeps(p, instances)
    cons, truth = sw.pop("cons"), sw.pop("truth_arr")
    ws, ns = sw["weight_sweep"], sw["noise_sweep"]
    tol = p["tolerance"]
    switches_ok = (ws["measured_coh_switch_w_c"] is not None
                   and abs(ws["measured_coh_switch_w_c"] - ws["predicted_coh_switch_w_c"]) <= tol
                   and ns["measured_coh_switch_eps_c"] is not None
                   and abs(ns["measured_coh_switch_eps_c"] - ns["predicted_coh_switch_eps_c"]) <= tol
                   and ns["measured_pl_switch_eps_c"] is not None
                   and abs(ns["measured_pl_switch_eps_c"] - ns["predicted_pl_switch_eps_c"]) <= tol)
    searches = {}
    for inst in instances["searches"]:
        for m in p["search_methods"]:
            for label, cs in (("without", None), ("with", cons)):
                ends = [run_search(m, inst.prior, constraints=cs, seed=s).behaviours for s in p["seeds"]]
                searches[f"w_c={inst.measures['w_c']} {m} {label} constraints"] = {
                    "runs": len(ends), "constant": sum(bool((e == 1).all()) for e in ends),
                    "truth": sum(bool((e == truth).all()) for e in ends)}
    with_c = [v for k, v in searches.items() if k.endswith("with constraints")]
    search_ok = sum(v["truth"] for v in with_c) >= p["search_truth_share"] * sum(v["runs"] for v in with_c)
    inside = (switches_ok and ws["coh_constant_beyond_switch"] and ws["pl_constant_at_every_weight"]
              and sw["accuracy_of_constant_equals_class_balance"] and sw["constraints_recover_truth_everywhere"]
              and search_ok)
    light, noisy = instances["light"], instances["noisy"]
    below, above = takeover(light.prior, truth, cons), takeover(noisy.prior, truth, cons)
    cex = None
    if not below["Coh"]["constant_wins_unconstrained"] or not above["PL"]["constant_wins_unconstrained"]:
        cex = {f"light_constant_w_c_{light.measures['w_c']}_eps_c_{light.measures['eps_c']}": {
                   "coh_picks_constant": below["Coh"]["constant_wins_unconstrained"],
                   "coh_accuracy": below["Coh"]["accuracy_unconstrained"],
                   "pl_picks_constant": below["PL"]["constant_wins_unconstrained"]},
               f"noisy_constant_w_c_{noisy.measures['w_c']}_eps_c_{noisy.measures['eps_c']}": {
                   "coh_picks_constant": above["Coh"]["constant_wins_unconstrained"],
                   "pl_picks_constant": above["PL"]["constant_wins_unconstrained"],
                   "pl_accuracy": above["PL"]["accuracy_unconstrained"]}}
    return CheckResult(under_conditions(inside, cex), {**sw, "icm_searches": searches}, counterexample=cex)
