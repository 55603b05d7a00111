"""Every figure, in figure order, and the machinery they share.

A figure lives with what it tests: each failure regime's module (:mod:`simulations.regimes`)
exposes its sweep as ``EXPERIMENT`` and, where it owns one, its phase diagram as ``PHASE``; each
claim's module (:mod:`simulations.claims`, C2-C4 and the paper's persona-collapse experiment)
exposes ``EXPERIMENT``. This package is the machinery they share (``base``, ``regime``, ``phase``,
``style``; :class:`simulations.experiments.base.Experiment`). :func:`REGISTRY` lists every
figure: the regimes in :data:`simulations.regimes.REGIMES` order, the claims in
:data:`simulations.claims.CLAIMS` order, then the phase diagrams.
"""
from __future__ import annotations


def REGISTRY() -> list:
    """Every experiment, in figure order."""
    # imported here, not above: the regime and claim modules build their figures with this package's machinery
    from simulations.claims import CLAIMS
    from simulations.regimes import REGIMES, r02_symmetry, r05_compressibility, r07_misspecification, r08_crossover

    # the phase diagrams, in figure order, each owned by the regime whose boundary it maps
    phases = [r08_crossover.PHASE, r05_compressibility.PHASE, r02_symmetry.PHASE, r07_misspecification.PHASE]
    return [mod.EXPERIMENT for mod in REGIMES.values()] + [mod.EXPERIMENT for mod in CLAIMS.values()] + phases


def select(ids=None) -> list:
    """Experiments named by ``ids`` (exact ids or unique prefixes, case-insensitive)."""
    exps = REGISTRY()
    if ids is None:
        return exps
    if not ids or any(not q.strip() for q in ids):
        # '' is a prefix of every id: an empty selection is refused, never read as "all"
        raise ValueError(f"--only needs figure ids or prefixes, got an empty one; ids: {', '.join(e.id for e in exps)}")
    chosen = []
    for q in ids:
        exact = [e for e in exps if e.id.lower() == q.lower()]
        tag = [e for e in exps if e.id.split("-")[0].lower() == q.lower()]
        hits = exact or tag or [e for e in exps if e.id.lower().startswith(q.lower())]
        if len(hits) != 1:
            names = ", ".join(e.id for e in exps)
            what = "matches no figure" if not hits else f"is ambiguous ({', '.join(e.id for e in hits)})"
            raise ValueError(f"--only {q!r} {what}; ids: {names}")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen
