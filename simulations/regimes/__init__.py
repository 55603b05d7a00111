"""The failure regimes R1-R13 of docs/theory.md (claim C5), each defined once.

One module per regime holds its parameters (``params(quick)``), its instance builder
(``instance(params, x, seed)`` -> :class:`~simulations.regimes.instance.Instance`) and its
closed-form predictions (switch points, predicted curves, ``boundaries(params)``). Where a
check measures other instances or settings than the figure (R6's constant take-over, R7, R9, R10,
R13), the module also holds the check's settings (``check_params(quick)``) and, where it builds
instances, its builder (``check_instances`` / ``check_simulators``). Three
readers use them and nothing else defines them:

* its C5 check (`coherence check --only C5.RN`: exact decoders on the regime's instances);
* the figure in ``simulations/experiments/rNN_*.py`` (every method, across seeds);
* ``coherence explore`` (the figure at user-chosen parameters).

The verdict vocabulary and the decision rule comparing a measured boundary with the predicted
one are in :mod:`simulations.regimes.verdict`.
"""
from __future__ import annotations

from . import (r01_denoising, r02_symmetry, r03_salient, r04_modes, r05_compressibility, r06_degenerate,
               r07_misspecification, r08_crossover, r09_pseudo_likelihood, r10_non_exchangeable, r11_ill_posed,
               r12_leaky_constraints, r13_many_labels)

#: regime tag -> its module
REGIMES = {
    "R1": r01_denoising, "R2": r02_symmetry, "R3": r03_salient, "R4": r04_modes, "R5": r05_compressibility,
    "R6": r06_degenerate, "R7": r07_misspecification, "R8": r08_crossover, "R9": r09_pseudo_likelihood,
    "R10": r10_non_exchangeable, "R11": r11_ill_posed, "R12": r12_leaky_constraints, "R13": r13_many_labels,
}
