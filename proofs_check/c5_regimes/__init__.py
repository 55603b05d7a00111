"""Claim C5: self-improvement succeeds when the truth is the most coherent map (or in its basin)
and fails otherwise. One check per regime R1-R13 of docs/theory.md section 3. A regime check is
its claim's statement (id, statement, expected verdict, tolerance) and nothing else: the regime's
settings, instances, closed forms, conditions and measurement (``check_result``) are in its module
in :mod:`simulations.regimes`, which compares measured boundaries with the predicted ones by the
rule of :mod:`simulations.regimes.decision_rule`.

* :mod:`~proofs_check.c5_regimes.prior_shape` -- the shape of the prior decides (R1-R6): noise,
  symmetry, salient or competing concepts, compressibility, degenerate priors; and the general
  claim ``C5.success-iff-truth-most-coherent``;
* :mod:`~proofs_check.c5_regimes.setting` -- the setting decides (R7-R13): misspecification, n,
  the objective (pseudo-likelihood), order sensitivity, ill-posed items, leaky constraints, labels.
"""
