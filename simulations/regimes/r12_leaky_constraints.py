"""R12 consistency constraints that leak the gold partition: items come in groups with exactly one
gold True each, and the constraint 'at most one True per group' is built from that partition.
Under a uniform prior (no knowledge at all) it lifts accuracy from 1/2 to
``((g-1) + g + (g-1)(g-2)) / ((g+1) g)``; report with and without.

The regime's one home (:mod:`simulations.regimes`): parameters, instances, the closed forms, the
figure ``R12-leaky-constraints`` and the measurement of the check ``C5.R12.leaky-constraints``.
Accuracies are fractions of all items; ``g`` is a group size (items).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from simulations.experiments.base import fmt
from simulations.experiments.regime import measure, regime_experiment, series
from theory import ConceptMixture
from theory.decoders import joint_accuracy
from theory.statistics import rng_for

from simulations.experiments.instance import Instance
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult


METHODS = ("exact", "zero-shot", "gibbs", "annealed-gibbs", "icm", "icm-paper")


def params(quick: bool) -> dict:
    """``groups`` groups of items; the sweep ``xs`` is the group size ``g`` (items)."""
    return {"groups": 3, "xs": [2, 3, 4, 5] if quick else [2, 3, 4, 5, 6], "seeds": list(range(4 if quick else 12))}


def closed_form(g: int) -> float:
    """Accuracy under a uniform prior restricted to "at most one True per group of g" (one gold
    True per group): ``((g-1) + g + (g-1)(g-2)) / ((g+1) g)``."""
    return ((g - 1) + g + (g - 1) * (g - 2)) / ((g + 1) * g)


def closed_form_exactly_one(g: int) -> float:
    """The same under "exactly one True per group": ``1 - 2 (g-1) / g^2``."""
    return 1 - 2 * (g - 1) / g**2


def instance(p: dict, x, seed: int) -> Instance:
    from simulations.search.constraints import from_groups

    rng = rng_for(seed, 12)
    g, G = int(x), p["groups"]
    n = g * G
    truth = np.zeros(n, dtype=np.int64)
    for j in range(G):
        truth[j * g + rng.integers(0, g)] = 1
    group = np.repeat(np.arange(G), g)
    prior = ConceptMixture(F=rng.integers(0, 2, (1, n)), eps=[0.5], w=[1.0])       # uniform over {0,1}^n
    cons = from_groups(group, "contradiction", leaks_gold=True)
    E = Enumerated(prior)
    mask = cons.violations(E.B) == 0
    items = np.arange(n)
    return Instance(prior, truth, items=items, constraints=cons, constraint_mask=mask, enumerated=E, methods=METHODS,
                    measures={"exact_without_constraint": E.accuracy(truth, items)})


def curves(p):
    return [{"x": p["xs"], "y": [closed_form(g) for g in p["xs"]], "label": "predicted with the leaky constraint"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted without: 1/2"}]


# -- the figure ------------------------------------------------------------------------------------

def finding(d) -> str:
    ex, none = series(d, "exact"), measure(d, "exact_without_constraint")
    return ("With no knowledge at all, a constraint built from the gold partition lifts exact accuracy from "
            f"{fmt(np.nanmean(none))} to {fmt(np.nanmin(ex))}-{fmt(np.nanmax(ex))}, "
            f"matching the closed form to {np.nanmax(np.abs(ex - [closed_form(g) for g in d['x']])):.0e}.")


def verdict(d) -> str:
    ex, none = series(d, "exact"), measure(d, "exact_without_constraint")
    ok = np.nanmax(np.abs(ex - [closed_form(g) for g in d["x"]])) < 1e-5 and np.nanmax(np.abs(none - 0.5)) < 1e-5
    return verdict_of(ok)


EXPERIMENT = regime_experiment(
    id="R12-leaky-constraints", claims=["C5.R12"], module=__name__, params=params,
    boundaries=lambda p: [], curves=curves,
    finding=finding, verdict=verdict, measure_lines={"exact_without_constraint": "exact coherence, no constraint"},
    title="R12: 'at most one True per group' built from the gold partition inflates accuracy under a uniform prior "
          "(3 groups)",
    prediction="leaky constraints inflate accuracy with no knowledge: ((g-1)+g+(g-1)(g-2))/((g+1)g) instead of 1/2",
    ylabel="accuracy on all items", xlabel="group size g (items per group, one gold True each)")


# -- the check C5.R12.leaky-constraints ------------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r12_leaky_constraints at g = 4 (n = 12 items in 3 groups, each with exactly "
                    "one gold True; uniform prior), its first instance; exact over all consistent labelings; reported "
                    "with and without the constraint")


def check_result(quick: bool) -> CheckResult:
    """The first instance at ``g = 4``: exact accuracy 1/2 without the constraint, and the closed
    forms under 'exactly one' (:func:`closed_form_exactly_one`) and 'at most one' (:func:`closed_form`)."""
    p, g = params(quick), 4
    inst = instance(p, g, p["seeds"][0])
    truth, B = inst.truth, inst.enumerated.B
    uniform = np.zeros(B.shape[0])
    counts = B.reshape(-1, p["groups"], g).sum(-1)
    none = joint_accuracy(B, uniform, truth)
    exactly = joint_accuracy(B, np.where((counts == 1).all(1), 0.0, -np.inf), truth)
    at_most = joint_accuracy(B, np.where(inst.constraint_mask, 0.0, -np.inf), truth)
    cf_exact, cf_most = closed_form_exactly_one(g), closed_form(g)
    ok = abs(none - 0.5) <= 1e-12 and abs(exactly - cf_exact) <= 1e-12 and abs(at_most - cf_most) <= 1e-12
    return CheckResult(verdict_of(ok), {"without_constraint": none, "exactly_one_true": exactly,
                                           "closed_form_exactly_one": cf_exact, "at_most_one_true": at_most,
                                           "closed_form_at_most_one": cf_most, "inflation_exactly_one": exactly - none})
