"""The failure regimes R1-R13 of docs/theory.md (claim C5), each in one module.

A regime's module is its one home (tests/test_regime_homes.py): its parameters (``params(quick)``,
with units), its instance builder (``instance(params, x, seed)`` ->
:class:`~simulations.experiments.instance.Instance`), its closed-form predictions (switch points,
predicted curves, ``boundaries(params)``), its figure (``EXPERIMENT``: finding and verdict rule
included; a phase diagram it owns is ``PHASE``, with ``phase_params`` and ``phase_cell``) and its
check's measurement (``CHECK_CONDITIONS`` and ``check_result(quick)`` ->
:class:`~simulations.regimes.decision_rule.CheckResult`; ``check_params(quick)`` and, where the check
builds other instances, ``check_instances`` / ``check_simulators``, when it measures other
settings than the figure). Three readers use them and nothing else defines them:

* its C5 check (`coherence check --only C5.RN`), which adds the claim's statement
  (:mod:`proofs_check.c5_regimes`);
* the figures (`coherence figures`, :func:`simulations.experiments.REGISTRY`);
* ``coherence explore`` (the figure at user-chosen parameters).

Adding a regime is one module, one line in :data:`REGIMES` and its check (docs/development.md).
The verdict words are the checks' (:mod:`proofs_check.verdicts`); the decision rule comparing a
measured boundary with the predicted one is :mod:`simulations.regimes.decision_rule`; the figure
machinery the modules build on is in :mod:`simulations.experiments` (``regime``, ``phase``,
``base``, ``instance``).
"""
from __future__ import annotations

from . import (r01_denoising, r02_symmetry, r03_salient, r04_modes, r05_compressibility, r06_degenerate,
               r07_misspecification, r08_crossover, r09_pseudo_likelihood, r10_non_exchangeable, r11_ill_posed,
               r12_leaky_constraints, r13_many_labels)

#: regime tag -> its module, in figure order (the one registry line of a regime)
REGIMES = {
    "R1": r01_denoising, "R2": r02_symmetry, "R3": r03_salient, "R4": r04_modes, "R5": r05_compressibility,
    "R6": r06_degenerate, "R7": r07_misspecification, "R8": r08_crossover, "R9": r09_pseudo_likelihood,
    "R10": r10_non_exchangeable, "R11": r11_ill_posed, "R12": r12_leaky_constraints, "R13": r13_many_labels,
}
