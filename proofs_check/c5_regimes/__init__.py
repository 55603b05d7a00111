"""Claim C5: self-improvement succeeds when the truth is the most coherent map (or in its basin)
and fails otherwise. One check per regime R1-R13 of docs/theory.md section 3; each regime's
parameters, instances and closed forms come from its module in :mod:`simulations.regimes`, and
measured boundaries are compared with the predicted ones by the rule of
:mod:`simulations.regimes.verdict`.

* :mod:`~proofs_check.c5_regimes.prior_shape` -- the shape of the prior decides (R1-R6): noise,
  symmetry, salient or competing concepts, compressibility, degenerate priors;
* :mod:`~proofs_check.c5_regimes.setting` -- the setting decides (R7-R13): misspecification, n,
  the objective (pseudo-likelihood), order sensitivity, ill-posed items, leaky constraints, labels;
* :mod:`~proofs_check.c5_regimes.measure` -- the exact accuracies both use.
"""
from . import prior_shape, setting  # noqa: F401  (importing registers the checks, in regime order)
