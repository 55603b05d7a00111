"""Every check of ``coherence check``: the check modules, imported explicitly, and the list of
the checks they define. A check module missing here is an import error, never a shorter list.
"""
from __future__ import annotations

from . import (c1_special_cases, c2_description_length, c3_optimality, c4_persona_collapse, identities,
               p_real_models)
from .c5_regimes import prior_shape, setting
from .registry import Check, collect

#: the check modules, in the order their checks are listed within a claim
MODULES = (identities, c1_special_cases, c2_description_length, c3_optimality, c4_persona_collapse, prior_shape,
           setting, p_real_models)


def all_checks() -> list[Check]:
    """Every check, in claim order (:data:`proofs_check.registry.CLAIMS`), then module and definition order."""
    return collect(MODULES)
