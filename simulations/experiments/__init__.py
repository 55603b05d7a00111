"""One module per figure: the failure regimes R1-R13 (docs/theory.md C5), claims C2-C4, the phase
diagrams and the paper's persona-collapse experiment. Each exposes ``EXPERIMENT``
(:class:`simulations.experiments.base.Experiment`); :func:`REGISTRY` lists them in figure order.
"""
from __future__ import annotations

from . import (c2_lambda_eta, c3_kl_optimality, c4_persona_collapse, phase_kl_labels, phase_labels_noise, phase_r5,
               phase_r8, r01_denoising, r02_symmetry, r03_salient, r04_modes, r05_compressibility, r06_degenerate,
               r07_misspecification, r08_crossover, r09_pseudo_likelihood, r10_non_exchangeable, r11_ill_posed,
               r12_leaky_constraints, r13_many_labels)

#: every figure module, in figure order
MODULES = (
    r01_denoising, r02_symmetry, r03_salient, r04_modes, r05_compressibility, r06_degenerate,
    r07_misspecification, r08_crossover, r09_pseudo_likelihood, r10_non_exchangeable, r11_ill_posed,
    r12_leaky_constraints, r13_many_labels, c2_lambda_eta, c3_kl_optimality, c4_persona_collapse,
    phase_r8, phase_r5, phase_labels_noise, phase_kl_labels,
)


def REGISTRY() -> list:
    """Every experiment, in figure order."""
    return [mod.EXPERIMENT for mod in MODULES]


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
