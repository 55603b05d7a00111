"""C5 regimes where the setting decides (R7-R13): a misspecified prior, the number of items, the
objective (pseudo-likelihood), order-sensitive conditionals, ill-posed items, leaky constraints
and many labels. Each regime check states its claim and reads everything else -- settings,
instances, measurement, conditions -- from its regime module (:mod:`simulations.regimes`); R10's
measurement is given the checks' exact Gibbs-kernel oracle (:mod:`proofs_check.c1_special_cases`)
and counterexample hunt (:mod:`proofs_check.hunt`)."""
from __future__ import annotations

from simulations.regimes import r07_misspecification as R7
from simulations.regimes import r08_crossover as R8
from simulations.regimes import r09_pseudo_likelihood as R9
from simulations.regimes import r10_non_exchangeable as R10
from simulations.regimes import r11_ill_posed as R11
from simulations.regimes import r12_leaky_constraints as R12
from simulations.regimes import r13_many_labels as R13
from theory.coordinate_ascent import bootstrap_cycles

from ..c1_special_cases import gibbs_vs_softmax
from ..families import describe, simulator_strategy
from ..hunt import hunt
from ..registry import check, regime_outcome


@check("C5.R7.misspecification", "R7: with the truth outside the prior's support, no amount of unlabelled "
       "coherence helps: accuracy on unlabelled items never exceeds the best concept's agreement with the truth, "
       "at every n and number of labels", tolerance=1e-12, conditions=R7.CHECK_CONDITIONS)
def r7(quick):
    return regime_outcome(R7.check_result(quick))


@check("C5.R8.crossover-n", "R8: prior weight against sharpness: the heavy noisy truth is the most coherent map for "
       "small n, the light sharp wrong concept for large n, with crossover "
       "n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))",
       tolerance=2.0, conditions=R8.CHECK_CONDITIONS)
def r8(quick):
    return regime_outcome(R8.check_result(quick))


@check("C5.R9.pl-prefers-negation", "R9: ICM's pseudo-likelihood (and the released code's signed log-odds) prefer a "
       "low-prior but internally sharp labeling, here the negation of the truth, where joint coherence picks the "
       "truth", tolerance=0.0, conditions=R9.CHECK_CONDITIONS)
def r9(quick):
    return regime_outcome(R9.check_result(quick))


def _hunt_cycling(n_items: tuple, max_examples: int) -> tuple:
    """A small in-context simulator (``n_items`` = (fewest, most) items) on which sequential bootstrap
    cycles, shrunk by hypothesis, with its description; ``(None, None)`` when none is found."""
    cex = hunt(simulator_strategy(*n_items), bootstrap_cycles, max_examples=max_examples)
    return cex, None if cex is None else describe(cex)


@check("C5.R10.non-exchangeable", "R10: with non-exchangeable, order-sensitive in-context conditionals, Gibbs no "
       "longer targets Q_tau (for a fixed order or the order average) and sequential bootstrap may cycle",
       tolerance=R10.TV_FLOOR, conditions=R10.CHECK_CONDITIONS)
def r10(quick):
    return regime_outcome(R10.check_result(quick, lambda sim, tau: gibbs_vs_softmax(sim, tau, with_tv=True),
                                           _hunt_cycling))


@check("C5.R11.ill-posed-items", "R11: on ill-posed items (the truth itself random) coherence forces confident "
       "answers: leave-one-out confidence at the most coherent map is ~1 - eps while the expected accuracy there "
       "is 1/2",
       tolerance=0.05,
       conditions=R11.CHECK_CONDITIONS)
def r11(quick):
    return regime_outcome(R11.check_result(quick))


@check("C5.R12.leaky-constraints", "R12: consistency constraints that leak the gold partition inflate accuracy even "
       "with no knowledge at all: under a uniform prior, 'exactly one True per group' gives 1 - 2(g-1)/g^2 and "
       "'at most one' gives ((g-1) + g + (g-1)(g-2)) / ((g+1) g) instead of 1/2", tolerance=1e-12,
       conditions=R12.CHECK_CONDITIONS)
def r12(quick):
    return regime_outcome(R12.check_result(quick))


@check("C5.R13.many-labels", "R13: with many labels the regularizer's value shrinks: the per-item accuracy gain of "
       "coherence + labels (joint MAP) over plain supervised fitting (labels, zero-shot elsewhere) falls with m and is "
       "exactly 0 at m = n", expected="holds-under-conditions", tolerance=R13.check_params(False)["slack"],
       conditions=R13.CHECK_CONDITIONS)
def r13(quick):
    return regime_outcome(R13.check_result(quick))
