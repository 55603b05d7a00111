"""Misspecified pretrained priors ``P_M`` derived from a true task distribution ``P*``.

Each transform returns a new prior; :func:`misspecification_kl` gives ``KL(P* || P_M)`` in nats,
exactly by enumeration (``|Y|^n <= 2^24``) or by Monte Carlo with a standard error beyond. By
claim C3 the expected description length of the truth is ``H(P*) + KL(P* || P_M)``, so these
transforms move a prior away from the optimal regularizer by a measured amount.
"""
from __future__ import annotations

import numpy as np

from . import validation as V
from .concept_mixture import ConceptMixture
from .divergence import kl_divergence
from .softmax import log_coherence_table
from .table import TablePrior


def _mixture(p) -> ConceptMixture:
    if not isinstance(p, ConceptMixture):
        raise ValueError(f"p must be a ConceptMixture (these transforms edit its concepts), got {type(p).__name__}")
    return p


def reweight(p: ConceptMixture, w) -> ConceptMixture:
    """Same concepts, weights ``w``."""
    p = _mixture(p)
    return ConceptMixture(F=p.F, eps=p.eps, w=w, k=p.k, names=p.names)


def drop_concept(p: ConceptMixture, concept) -> ConceptMixture:
    """Remove one concept (by index or name) and renormalise the weights: its maps leave the
    support's high-mass region, the 'missing concept' misspecification."""
    p = _mixture(p)
    j = p.names.index(concept) if isinstance(concept, str) else int(concept)
    if not 0 <= j < p.K or p.K == 1:
        raise ValueError(f"concept must name one of {p.K} concepts (and K must stay >= 1), got {concept!r}")
    keep = np.arange(p.K) != j
    return ConceptMixture(F=p.F[keep], eps=p.eps[keep], w=p.w[keep] / p.w[keep].sum(), k=p.k,
                          names=tuple(np.array(p.names)[keep]))


def temper(p, beta: float) -> TablePrior:
    """``P^beta / Z`` (``beta > 1`` sharper, ``< 1`` flatter), tabulated by enumeration."""
    beta = float(V.positive("beta", beta))
    table = log_coherence_table(V.prior("p", p, ("log_joint",)))
    return TablePrior(beta * table, p.n, p.k)


def contaminate(p: ConceptMixture, delta: float) -> ConceptMixture:
    """``(1 - delta) P*(b) + delta P*(1 - b)``: mixed with the flipped world (binary)."""
    if _mixture(p).k != 2:
        raise ValueError("contaminate needs binary behaviours (k = 2)")
    delta = float(V.open_unit("delta", delta))
    return ConceptMixture(F=np.vstack([p.F, 1 - p.F]), eps=np.r_[p.eps, p.eps],
                          w=np.r_[(1 - delta) * p.w, delta * p.w], k=2,
                          names=p.names + tuple(f"flipped-{nm}" for nm in p.names))


def add_concept(p: ConceptMixture, f, eps: float, weight: float, name: str = "wrong") -> ConceptMixture:
    """Add a (typically sharper, wrong) concept ``f`` with noise ``eps`` and weight ``weight``;
    the old weights are scaled by ``1 - weight``."""
    p = _mixture(p)
    weight = float(V.open_unit("weight", weight))
    f = V.behaviours(np.asarray(f)[None], p.n, p.k, name="f")
    return ConceptMixture(F=np.vstack([p.F, f]), eps=np.r_[p.eps, eps],
                          w=np.r_[(1 - weight) * p.w, weight], k=p.k, names=p.names + (name,))


def misspecification_kl(p_true, p_model, n_samples: int | None = None, rng=None):
    """``KL(P* || P_M)`` in nats: exact by enumeration when possible, else ``(estimate, stderr)``
    from ``n_samples`` draws of ``P*`` (which must have ``sample``)."""
    V.prior("p_true", p_true, ("log_joint",))
    V.prior("p_model", p_model, ("log_joint",))
    if n_samples is None:
        V.enumerable(p_true.n, p_true.k)
        return kl_divergence(p_true, p_model)
    rng = np.random.default_rng(0) if rng is None else rng
    m = V.positive_int("n_samples", n_samples, 2)
    B = p_true.sample(rng, m)
    d = p_true.log_joint(B) - p_model.log_joint(B)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(m))


def flat_hamming_prior(center, rate: float, k: int = 2) -> ConceptMixture:
    """``Q(b) ∝ exp(-rate * Hamming(b, center))``: a one-concept mixture with
    ``eps = (k-1) e^{-rate} / (1 + (k-1) e^{-rate})``, the 'flat prior around zero-shot' regularizer."""
    rate = float(V.positive("rate", rate))
    eps = (k - 1) * np.exp(-rate) / (1 + (k - 1) * np.exp(-rate))
    return ConceptMixture(F=np.asarray(center)[None], eps=[eps], w=[1.0], k=k, names=("hamming",))
