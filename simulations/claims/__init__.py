"""The claims C2-C4 of docs/theory.md, each in one module: the claim's own objects (priors, closed
forms) and its figure (``EXPERIMENT``).

* :mod:`~simulations.claims.c2_lambda_eta` -- C2, description-length regularisation: the
  lambda-eta map, and the random task distribution ``Q`` the C2 and C3 figures draw;
* :mod:`~simulations.claims.c3_kl_optimality` -- C3, the regulariser closest in KL is best: the
  fixed task distribution ``P*`` (also drawn by regime R13) and the contamination sweep;
* :mod:`~simulations.claims.c4_persona_chain` -- C4, persona collapse: the two-persona chain
  (gap, conductance) and the paper's persona-collapse experiment.

The checks of :mod:`proofs_check` (``c2_description_length``, ``c3_optimality``,
``c4_persona_collapse``) read these objects and add the claims' statements. C1 and C5 have no
module here: C1's special cases are exact identities checked in :mod:`proofs_check`, and C5's
regimes each have theirs in :mod:`simulations.regimes`.
"""
from __future__ import annotations

from . import c2_lambda_eta, c3_kl_optimality, c4_persona_chain

#: claim -> its module, in figure order (the one registry line of a claim's figure)
CLAIMS = {"C2": c2_lambda_eta, "C3": c3_kl_optimality, "C4": c4_persona_chain}
