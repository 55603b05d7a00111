"""Structural risk minimisation with a description-length regularizer (claim C2).

    J_lambda(pi) = sum_{i in S} loss(pi(x_i), y_i) + lambda * DL_Q(pi),   DL_Q = -log Q_tau(pi)
                 = label fit - (lambda / tau) Coh(pi) + lambda log Z_tau.

With 0-1 loss and symmetric label noise ``eta`` over ``|Y| = k`` values the posterior under ``Q`` is
``log Q(pi) - mismatches * log((k - 1)(1 - eta) / eta) + const``, so ``argmin J_lambda`` is the
MAP exactly when ``lambda = 1 / log((k - 1)(1 - eta) / eta)`` (binary: ``1 / log((1-eta)/eta)``).
"""
from __future__ import annotations

import numpy as np

from . import validation as V


def map_lambda(eta, k: int = 2) -> float:
    """The regularisation weight that makes 0-1 SRM the MAP under symmetric noise ``eta``."""
    eta = float(V.open_unit("eta", eta))
    if eta >= (k - 1) / k:
        raise ValueError(f"eta must be < (k-1)/k = {(k - 1) / k:.3g} for labels to carry information, got {eta}")
    return 1.0 / np.log((k - 1) * (1 - eta) / eta)


def label_loss(B, labeled, labels, loss: str = "01", eta: float | None = None, k: int = 2) -> np.ndarray:
    """``sum_{i in S} loss(b_i, y_i)``: 0-1 mismatches, or with ``loss="log"`` the negative
    log-likelihood of the labels under symmetric noise ``eta`` (nats). Shape ``(...)``."""
    B = np.asarray(B)
    labeled = np.asarray(labeled, dtype=np.int64).reshape(-1)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if labeled.shape != labels.shape:
        raise ValueError(f"labeled and labels must have the same length, got {labeled.size} and {labels.size}")
    mism = (B[..., labeled] != labels).sum(axis=-1)
    if loss == "01":
        return mism.astype(float)
    if loss == "log":
        if eta is None:
            raise ValueError("loss='log' needs the label noise eta in (0, 1)")
        eta = float(V.open_unit("eta", eta))
        m = labeled.size
        return -((m - mism) * np.log1p(-eta) + mism * np.log(eta / (k - 1)))
    raise ValueError(f"loss must be '01' or 'log', got {loss!r}")


def srm_objective(prior, B, labeled, labels, lam: float, loss: str = "01", eta: float | None = None,
                  tau: float = 1.0, log_z: float = 0.0, order=None) -> np.ndarray:
    """``J_lambda(b) = label_loss + lambda * (-(Coh(b) / tau) + log_z)`` (nats for the DL term).

    ``log_z`` is ``log Z_tau`` (:func:`theory.softmax.log_partition`); it shifts ``J`` by a
    constant and leaves the argmin unchanged, so it defaults to 0.
    """
    lam = float(V.as_float_array("lam", lam))
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    tau = float(V.positive("tau", tau))
    fit = label_loss(B, labeled, labels, loss, eta, V.prior("prior", prior, ("log_joint",)).k)
    return fit + lam * (-(prior.log_joint(B, order) / tau) + log_z)
