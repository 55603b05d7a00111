"""C5 regimes where the shape of the prior decides (R1-R6): a noisy truth among weak concepts,
symmetric ties, a salient or several competing wrong concepts, compressibility bias, degenerate
(entropy-minimising) priors and ICM's constant take-over. Each regime check states its claim and
reads everything else -- settings, instances, measurement, conditions -- from its regime module
(:mod:`simulations.regimes`)."""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated, zero_shot_accuracy
from simulations.regimes import r01_denoising as R1
from simulations.regimes import r02_symmetry as R2
from simulations.regimes import r03_salient as R3
from simulations.regimes import r04_modes as R4
from simulations.regimes import r05_compressibility as R5
from simulations.regimes import r06_degenerate as R6
from theory import ConceptMixture
from theory.decoders import tie_set
from theory.enumeration import encode
from theory.softmax import log_coherence_table

from ..families import concept_mixture_strategy, describe
from ..hunt import hunt
from ..registry import Outcome, check, regime_outcome
from ..verdicts import under_conditions


@check("C5.success-iff-truth-most-coherent", "Coherence optimisation is at least as accurate as zero-shot when the "
       "truth is the most coherent map, and can lose otherwise", expected="holds-under-conditions", tolerance=0.0,
       conditions="inside: random concept mixtures whose first concept (the truth) is the exact argmax; outside: "
                  "hypothesis-shrunk mixture where joint coherence is less accurate than zero-shot")
def success_iff(quick):
    rng = np.random.default_rng(11)
    inside, count = True, 0
    for rep in range(40 if quick else 200):
        n = 8
        K = int(rng.integers(2, 5))
        p = ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.02, 0.4, K), w=rng.dirichlet(np.ones(K)))
        t = log_coherence_table(p)
        if set(tie_set(t).tolist()) == {int(encode(p.F[0], 2))}:
            count += 1
            inside &= Enumerated(p, t).accuracy(p.F[0], None) >= zero_shot_accuracy(p, p.F[0], None)
    cex = hunt(concept_mixture_strategy(2, 5, 3),
               lambda p: Enumerated(p).accuracy(p.F[0], None) < zero_shot_accuracy(p, p.F[0], None) - 1e-9,
               max_examples=100 if quick else 400)
    cex_out = None if cex is None else {"prior": describe(cex), "truth": cex.F[0].tolist(),
                                        "coherence_accuracy": Enumerated(cex).accuracy(cex.F[0], None),
                                        "zero_shot_accuracy": zero_shot_accuracy(cex, cex.F[0], None)}
    return Outcome(under_conditions(inside, cex), {"instances_with_truth_as_argmax": count, "never_worse": inside},
                   counterexample=cex_out)


@check("C5.R1.denoising", "R1: the model knows the truth but its zero-shot answers are noisy through many weak "
       "unrelated concepts; coherence beats zero-shot once log w_t + n log(1-eps_t) exceeds every other concept's "
       "score", tolerance=0.04,
       conditions=R1.CHECK_CONDITIONS)
def r1(quick):
    return regime_outcome(R1.check_result(quick))


@check("C5.R2.symmetric-ties", "R2: with truth and negation equally coherent, unlabelled accuracy is exactly 0.5 "
       "on average (a tie); one label or a non-symmetric constraint breaks it", tolerance=1e-12,
       conditions=R2.CHECK_CONDITIONS)
def r2(quick):
    return regime_outcome(R2.check_result(quick))


@check("C5.R3.salient-wrong-concept", "R3: a salient wrong concept (correlated errors, sycophancy) more coherent "
       "than the truth takes over; coherence then reproduces its errors. Switch at w_f/(1-w_f) = "
       "exp(n log((1-eps_t)/(1-eps_f)))", tolerance=0.04,
       conditions=R3.CHECK_CONDITIONS)
def r3(quick):
    return regime_outcome(R3.check_result(quick))


@check("C5.R4.competing-wrong-modes", "R4: the truth is the per-item consensus of several sharp wrong modes but not "
       "the mode; joint coherence (accuracy 2/3) loses to per-item zero-shot (accuracy 1) while w_t is below "
       "w_t/(1-w_t) = exp(n log(0.98/0.9))/3", tolerance=0.04,
       conditions=R4.CHECK_CONDITIONS)
def r4(quick):
    return regime_outcome(R4.check_result(quick))


@check("C5.R5.compressibility-bias", "R5: a sharp wrong concept beats a noisy right one once log w_t + n log(1-eps_t) "
       "< log w_w + n log(1-eps_w); in the window between that switch and the zero-shot switch w_t(1-2eps_t) = "
       "w_w(1-2eps_w) coherence is worse than zero-shot", tolerance=0.02,
       conditions=R5.CHECK_CONDITIONS)
def r5(quick):
    return regime_outcome(R5.check_result(quick))


@check("C5.R6.degenerate-constant", "R6: under an entropy-minimising (Beta-Bernoulli) prior the most coherent "
       "labelings are the constants: unlabelled accuracy is exactly 1/2 (two tied constants) and with majority "
       "labels it equals the class balance, never better than the constant baseline", tolerance=1e-12,
       conditions=R6.CHECK_CONDITIONS)
def r6(quick):
    return regime_outcome(R6.check_result(quick))


@check("C5.R6.no-consistency-constant-wins", "R6 (ICM's failure mode): without logical consistency the constant "
       "labeling takes over -- the most coherent (and the highest-PL) labeling is 'all True', accuracy = the class "
       "balance -- and contradiction constraints (at most one True per problem) exclude it and recover the truth",
       expected="holds-under-conditions", tolerance=R6.check_params(False)["tolerance"],
       conditions=R6.TAKEOVER_CONDITIONS)
def constant_takeover_check(quick):
    return regime_outcome(R6.takeover_check_result(quick))
