"""R10 non-exchangeable, order-sensitive in-context conditionals (recency, primacy and majority
bias, :class:`theory.InContextSimulator`): the conditionals come from no joint distribution, so
the Gibbs chain's stationary law differs from ``Q_1`` (total variation > 0, exact transition
matrix), coherence depends on the order of the prompt, and synchronous bootstrap can cycle.

The regime's one home (:mod:`simulations.regimes`): the figure ``R10-non-exchangeable`` sweeps
the bias strength of one simulator design across seeds (:func:`params`, :func:`instance`); the
check ``C5.R10.non-exchangeable`` measures random biased simulators (:func:`random_simulator`)
and hunts for a bootstrap cycle (:func:`check_params`, :func:`check_simulators`,
:func:`check_result`, which takes the exact Gibbs-kernel oracle and the counterexample hunt of
:mod:`proofs_check` as arguments). Both call the chain's target missed when the total variation
exceeds :data:`TV_FLOOR`.
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from simulations.experiments.base import fmt
from simulations.experiments.regime import measure, regime_experiment
from theory import InContextSimulator
from theory.codelength import order_averaged_coherence
from theory.coordinate_ascent import bootstrap_sequential
from theory.enumeration import all_behaviours
from theory.statistics import rng_for

from simulations.experiments.instance import Instance
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult

#: total variation between the Gibbs chain's stationary law and ``Q_1`` above which the chain no
#: longer targets ``Q_1`` (the check's tolerance and the figure's verdict)
TV_FLOOR = 1e-3
#: the recency (``gamma``), primacy (``kappa``) and majority (``lam``) biases and demonstration
#: strength (``beta``) of :func:`random_simulator`
RANDOM_BIASES = {"beta": 1.5, "gamma": 0.7, "kappa": 0.6, "lam": 0.8}


def random_simulator(seed: int, n: int, k: int = 2) -> InContextSimulator:
    """A non-exchangeable in-context learner with recency, primacy and majority bias
    (:data:`RANDOM_BIASES`), random logits and similarities from ``default_rng(seed)``. The C1
    and identity checks draw the same family (:mod:`proofs_check.families`)."""
    return InContextSimulator.random(np.random.default_rng(seed), n, k, **RANDOM_BIASES)


def check_params(quick: bool) -> dict:
    """The check's settings: ``n`` items, one :func:`random_simulator` per seed of ``seeds``, tempered
    Gibbs at ``tau``; the cycle hunt over simulators of ``hunt_items`` items (``hunt_examples``
    hypothesis examples), sequential bootstrap for at most ``max_sweeps`` sweeps from every start."""
    return {"n": 5, "seeds": list(range(2 if quick else 5)), "tau": 1.0, "hunt_items": (2, 4),
            "hunt_examples": 400 if quick else 1000, "max_sweeps": 30}


def check_simulators(p: dict) -> list:
    """The check's simulators (``p`` from :func:`check_params`)."""
    return [random_simulator(seed, p["n"]) for seed in p["seeds"]]


def params(quick: bool) -> dict:
    """``n`` items, the truth's ``signal`` in the zero-shot logits (nats); the sweep ``xs`` is the
    bias strength ``x`` (primacy = majority weight = ``x``, recency ``gamma = 1 - 0.45 x``)."""
    return {"n": 6, "signal": 1.0, "xs": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0],
            "seeds": list(range(4 if quick else 12))}


def simulator(p: dict, x: float, seed: int):
    rng = rng_for(seed, 10)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    z = p["signal"] * (2 * truth - 1) / 2 + rng.normal(0, 1, n)
    logits = np.stack([-z, z], axis=1)
    S = np.where(truth[:, None] == truth[None, :], 0.8, 0.2)
    np.fill_diagonal(S, 1.0)
    sim = InContextSimulator(logits, S, beta=1.0, gamma=max(0.05, 1 - 0.45 * x), kappa=x, lam=x)
    return sim, truth


def instance(p: dict, x: float, seed: int) -> Instance:
    from theory.coordinate_ascent import bootstrap_sync
    from theory.markov import gibbs_matrix, stationary

    sim, truth = simulator(p, x, seed)
    E = Enumerated(sim)                              # fixed identity order
    q1 = np.exp(E.table - E.table.max())
    q1 /= q1.sum()
    pi = stationary(gibbs_matrix(sim, 1.0))
    tv = 0.5 * float(np.abs(pi - q1).sum())
    rng = rng_for(seed, 100)
    spread = float(order_averaged_coherence(sim, truth[None], n_orders=48, rng=rng).spread[0])
    B = all_behaviours(p["n"], 2)
    starts = B[rng.choice(B.shape[0], 16, replace=False)]
    cycles = np.mean([bootstrap_sync(sim, b, max_rounds=30)[1] > 1 for b in starts])
    return Instance(sim, truth, enumerated=E,
                    measures={"tv_gibbs_vs_q1": tv, "order_spread_nats": spread,
                              "sync_bootstrap_cycle_rate": float(cycles)})


# -- the figure ------------------------------------------------------------------------------------

def finding(d) -> str:
    tv, cyc, sp = measure(d, "tv_gibbs_vs_q1"), measure(d, "sync_bootstrap_cycle_rate"), measure(d, "order_spread_nats")
    return (f"The Gibbs stationary law misses Q_1 by total variation {fmt(np.nanmin(tv))}-{fmt(np.nanmax(tv))}, "
            f"coherence of the truth varies across prompt orders by up to {fmt(np.nanmax(sp))} nats (std), "
            f"and synchronous bootstrap cycles from up to {fmt(np.nanmax(cyc))} of 16 random starts.")


def verdict(d) -> str:
    tv = measure(d, "tv_gibbs_vs_q1")
    return verdict_of(np.all(tv > TV_FLOOR))


_MEASURES = {"tv_gibbs_vs_q1": ("TV(Gibbs stationary law, Q_1) (exact kernel)", "#CC79A7", "-."),
             "sync_bootstrap_cycle_rate": ("fraction of random starts where sync. bootstrap cycles", "#009E73", ":")}


def _breakage_panel(ax, d) -> None:
    """Second panel: what non-exchangeability breaks, kept apart from the accuracies for legibility."""
    x = np.asarray(d["x"], dtype=float)
    for name, (label, colour, style) in _MEASURES.items():
        mean, lo, hi = (measure(d, name, key) for key in ("mean", "lo", "hi"))
        ax.plot(x, mean, ls=style, marker="o", ms=4, lw=1.8, color=colour, label=label)
        ax.fill_between(x, lo, hi, color=colour, alpha=0.15, lw=0)
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel("bias strength x (primacy = majority weight = x, recency gamma = 1 - 0.45 x)")
    ax.set_ylabel("total variation / fraction of starts")
    ax.set_title("what order sensitivity breaks (bands: 95% CI across seeds)", fontsize=9.5)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)


EXPERIMENT = regime_experiment(
    id="R10-non-exchangeable", claims=["C5.R10", "C1"], module=__name__,
    params=params, boundaries=lambda p: [],
    finding=finding, verdict=verdict,
    extra_panel=_breakage_panel,
    title="R10: order-sensitive in-context conditionals (recency, primacy, majority bias; n = 6)",
    prediction="Gibbs no longer targets Q_tau and bootstrap may cycle once the conditionals are not exchangeable",
    xlabel="bias strength x (primacy = majority weight = x, recency gamma = 1 - 0.45 x)")


# -- the check C5.R10.non-exchangeable -------------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r10_non_exchangeable check_params: random in-context simulators (recency, "
                    f"primacy, majority bias), n = {check_params(False)['n']}; "
                    "a bootstrap cycle is searched with hypothesis "
                    "over small simulators whose similarities may be negative (contrastive demonstrations) and primacy "
                    "may be negative; the shrunk example is in counterexample")


def check_result(quick: bool, gibbs_gap, hunt_cycling) -> CheckResult:
    """The check on :func:`check_simulators`, given two tools of the checks: ``gibbs_gap(sim, tau)``
    -> ``{"tv_fixed_order": .., "tv_order_average": .., ...}`` (total variations between the exact
    Gibbs kernel's stationary law and ``Q_tau``), and ``hunt_cycling(n_items, max_examples)`` ->
    ``(simulator, its JSON description)`` on which sequential bootstrap cycles, or ``(None, None)``.
    Holds when every total variation exceeds :data:`TV_FLOOR` and a cycle is found (its start and
    first states are the counterexample), holds under conditions without a cycle."""
    p = check_params(quick)
    res = [gibbs_gap(sim, p["tau"]) for sim in check_simulators(p)]
    min_tv = min(min(r["tv_fixed_order"], r["tv_order_average"]) for r in res)
    cex, described = hunt_cycling(p["hunt_items"], p["hunt_examples"])
    cex_out = None
    if cex is not None:
        for b0 in all_behaviours(cex.n, 2):
            b, trace, seen, conv = bootstrap_sequential(cex, b0, max_sweeps=p["max_sweeps"])
            if not conv:
                cex_out = {"prior": described, "start": b0.tolist(), "states_per_sweep": seen[:8]}
                break
    ok = min_tv > TV_FLOOR
    outcome = "holds" if ok and cex is not None else ("holds-under-conditions" if ok else "fails")
    return CheckResult(outcome, {"min_tv_stationary_vs_Q1": min_tv, "per_prior": res,
                                 "bootstrap_cycle_found": cex is not None},
                       counterexample=cex_out)
