"""Coherence and codelength functionals of a behaviour vector under a pretrained model.

All values are in nats unless a name says bits; :func:`to_bits` divides by ``ln 2``.

* ``Coh_s(b) = sum_t log P_M(b_{s(t)} | x_{s(t)}; earlier pairs)`` -- :func:`coherence`;
* ``E_s Coh_s(b)`` over orders -- :func:`order_averaged_coherence`;
* ``PL(b) = sum_i log P_M(b_i | x_i; D minus i)`` (Besag pseudo-likelihood, ICM paper) --
  :func:`pseudo_likelihood`;
* ``mean_i [log P_M(b_i | .) - log P_M(1 - b_i | .)]`` (ICM released code) -- :func:`signed_logodds`;
* ``-Coh_s`` as a prequential (online) code -- :func:`prequential_codelength`;
* ``min_k [-log w_k - log P(b | k)]`` (two-part code over a mixture's components) --
  :func:`two_part_codelength`;
* the Fong-Holmes leave-``p``-out score -- :func:`leave_p_out_score`.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from . import validation as V

LN2 = math.log(2.0)


def to_bits(nats):
    """Convert nats to bits (divide by ``ln 2``)."""
    return np.asarray(nats, dtype=float) / LN2


def coherence(prior, B, order=None) -> np.ndarray:
    """``Coh_s(b)`` in nats for each behaviour vector in ``B`` (``(..., n)`` -> ``(...)``)."""
    return V.prior("prior", prior, ("log_joint",)).log_joint(B, order)


def description_length(prior, B, order=None, bits: bool = False) -> np.ndarray:
    """``DL_M(b) = -Coh_s(b)``: nats, or bits with ``bits=True``."""
    dl = -coherence(prior, B, order)
    return to_bits(dl) if bits else dl


def prequential_codelength(prior, B, order=None) -> np.ndarray:
    """Length in nats of the online code that predicts each behaviour from the earlier ones
    (in ``order``) with the model's conditional: ``-sum_t log P_M(b_{s(t)} | earlier) = -Coh_s``.

    With a prior whose conditional *fits* a model to the earlier pairs this is the training
    (prequential, Dawid) version of coherence.
    """
    return -V.prior("prior", prior, ("log_sequential",)).log_sequential(B, order).sum(axis=-1)


@dataclass(frozen=True)
class OrderAverage:
    """``E_s Coh_s(b)`` over orders: mean, standard error of the mean (0 when exact), spread
    (standard deviation across orders), min and max over the orders used, all in nats."""

    mean: np.ndarray
    stderr: np.ndarray
    spread: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    exact: bool
    n_orders: int


def order_averaged_coherence(prior, B, n_orders: int | None = None, rng=None,
                             exact_limit: int = 5040) -> OrderAverage:
    """Average of ``Coh_s(b)`` over orders ``s``.

    Exact over all ``n!`` orders when ``n! <= exact_limit`` and ``n_orders`` is None; otherwise a
    Monte Carlo average over ``n_orders`` uniform random orders (default 64) with its standard
    error. For exchangeable priors every order gives the same value (spread 0).
    """
    B = V.behaviours(B, V.prior("prior", prior, ("log_sequential",)).n, prior.k)
    n = prior.n
    if n_orders is None and math.factorial(n) <= exact_limit:
        orders = [np.array(s) for s in itertools.permutations(range(n))]
        exact = True
    else:
        m = V.positive_int("n_orders", 64 if n_orders is None else n_orders, 2)
        rng = np.random.default_rng(0) if rng is None else rng
        orders = [rng.permutation(n) for _ in range(m)]
        exact = False
    vals = np.stack([prior.log_sequential(B, s).sum(axis=-1) for s in orders])
    spread = vals.std(axis=0, ddof=0 if exact else 1)
    stderr = np.zeros_like(spread) if exact else spread / math.sqrt(len(orders))
    return OrderAverage(vals.mean(axis=0), stderr, spread, vals.min(axis=0), vals.max(axis=0),
                        exact, len(orders))


def pseudo_likelihood(prior, B) -> np.ndarray:
    """Besag pseudo-likelihood ``PL(b) = sum_i log P_M(b_i | x_i; all other pairs)`` in nats.

    This is ICM's *mutual predictability* as defined in the paper: a surrogate, not a codelength.
    """
    B = V.behaviours(B, V.prior("prior", prior, ("log_loo",)).n, prior.k)
    loo = prior.log_loo(B)
    return np.take_along_axis(loo, B[..., None].astype(np.int64), axis=-1)[..., 0].sum(axis=-1)


def signed_logodds(prior, B) -> np.ndarray:
    """ICM released-code score: ``mean_i sigma_i (log P(1 | rest) - log P(0 | rest))`` with
    ``sigma_i = +1`` if ``b_i = 1`` else ``-1`` (nats per item). Binary behaviours only."""
    if V.prior("prior", prior, ("log_loo",)).k != 2:
        raise ValueError(f"signed_logodds needs binary behaviours (k = 2), got k = {prior.k}")
    B = V.behaviours(B, prior.n, prior.k)
    loo = prior.log_loo(B)
    sign = np.where(B == 1, 1.0, -1.0)
    return (sign * (loo[..., 1] - loo[..., 0])).mean(axis=-1)


def two_part_codelength(prior, B) -> np.ndarray:
    """Two-part (MDL) code over a mixture's components: ``min_k [-log w_k - log P(b | k)]`` nats.

    First name the component (``-log w_k`` nats), then the data given it. Always
    ``>= -Coh(b)`` (the mixture code), by at most ``log K``. Needs ``prior.log_components``.
    """
    if not hasattr(V.prior("prior", prior), "log_components"):
        raise ValueError("two_part_codelength needs a mixture prior with log_components (e.g. ConceptMixture)")
    return -prior.log_components(B).max(axis=-1)


def leave_p_out_score(prior, B, p: int) -> np.ndarray:
    """Exhaustive leave-``p``-out cross-validation log score (Fong and Holmes, 2020):

        S_p(b) = C(n, p)^{-1} sum_{|T| = p} p^{-1} sum_{j in T} log P(b_j | b_{T^c})     (nats).

    For a prior with compatible conditionals ``sum_{p=1}^n S_p(b) = log P(b)``.
    """
    n = V.prior("prior", prior).n
    p = V.positive_int("p", p, 1, n)
    B = V.behaviours(B, n, prior.k)
    total = np.zeros(B.shape[:-1])
    count = 0
    everything = np.arange(n)
    for T in itertools.combinations(range(n), p):
        train = np.setdiff1d(everything, T)
        for j in T:
            lc = prior.log_conditional(B, j, train)
            total += np.take_along_axis(lc, B[..., j, None].astype(np.int64), axis=-1)[..., 0] / p
        count += 1
    return total / count
