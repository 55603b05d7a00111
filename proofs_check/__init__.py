"""One check per claim (C1-C5), exact identity (I) and real-model prediction (P1-P8) of
docs/theory.md, run by ``coherence check``.

Modules are named after what they check: :mod:`proofs_check.c1_special_cases`,
:mod:`~proofs_check.c2_description_length`, :mod:`~proofs_check.c3_optimality`,
:mod:`~proofs_check.c4_persona_collapse`, :mod:`~proofs_check.c5_regimes`,
:mod:`~proofs_check.identities`, :mod:`~proofs_check.p_real_models`; :mod:`~proofs_check.symbolic`
holds the sympy derivations and :mod:`~proofs_check.consistency` the oracles for ICM's
logical-consistency term (C1, C5 R6). :mod:`~proofs_check.catalogue` lists every check,
:mod:`~proofs_check.registry` defines what a check is and :mod:`~proofs_check.verdicts` the verdict words.
"""
