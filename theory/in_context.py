"""A non-exchangeable in-context learner: recency and position bias, as in real language models.

The conditional of item ``i`` given an ordered demonstration list ``d_0, ..., d_{m-1}`` is a
softmax over ``Y`` of the logits

    z_y = a_iy                                               (zero-shot belief)
        + beta * sum_r gamma^(m-1-r) * S_{i d_r} * 1(b_{d_r} = y)   (similarity-weighted copying, recency decay)
        + kappa * 1(b_{d_0} = y)                              (primacy: the first demonstration)
        + lam * (#{r : b_{d_r} = y} / m)                      (majority-label bias)

Each conditional is normalised but they do not come from one joint distribution: the Gibbs
sampler's stationary law differs from ``Q_tau`` and ``Coh_s`` depends on the order ``s``. With
``gamma = 1``, ``kappa = lam = 0`` and a symmetric ``S`` the model is still not exchangeable in
general (a logistic "copy" model), which is the point of the simulator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from . import validation as V
from .prior import Prior


@dataclass(eq=False)
class InContextSimulator(Prior):
    """``zero_shot_logits``: (n, k); ``similarity``: (n, n); ``beta``, ``gamma`` in (0, 1],
    ``kappa`` (primacy), ``lam`` (majority) as in the module docstring."""

    zero_shot_logits: np.ndarray
    similarity: np.ndarray
    beta: float = 1.0
    gamma: float = 0.8
    kappa: float = 0.5
    lam: float = 0.5

    exchangeable = False

    def __post_init__(self):
        a = V.as_float_array("zero_shot_logits", self.zero_shot_logits, ndim=2)
        self.n, self.k = a.shape
        if self.k < 2:
            raise ValueError(f"zero_shot_logits must have k >= 2 columns, got {self.k}")
        S = V.as_float_array("similarity", self.similarity, ndim=2)
        if S.shape != (self.n, self.n):
            raise ValueError(f"similarity must have shape ({self.n}, {self.n}), got {S.shape}")
        self.zero_shot_logits, self.similarity = a, S
        self.beta = float(V.as_float_array("beta", self.beta))
        g = float(V.as_float_array("gamma", self.gamma))
        if not 0 < g <= 1:
            raise ValueError(f"gamma must lie in (0, 1], got {g}")
        self.gamma = g
        self.kappa = float(V.as_float_array("kappa", self.kappa))
        self.lam = float(V.as_float_array("lam", self.lam))

    @classmethod
    def random(cls, rng: np.random.Generator, n: int, k: int = 2, **kw) -> "InContextSimulator":
        """Random zero-shot logits (N(0,1)) and a random symmetric similarity in [0, 1]."""
        V.positive_int("n", n, 1)
        x = rng.standard_normal((n, 2))
        S = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1))
        return cls(rng.standard_normal((n, k)), S, **kw)

    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        z = np.broadcast_to(self.zero_shot_logits[i], B.shape[:-1] + (self.k,)).copy()
        m = d.size
        if m:
            onehot = (B[..., d, None] == np.arange(self.k)).astype(float)       # (..., m, k)
            weights = self.beta * self.gamma ** np.arange(m - 1, -1, -1) * self.similarity[i, d]
            z += np.einsum("m,...mk->...k", weights, onehot)
            z += self.kappa * onehot[..., 0, :]
            z += self.lam * onehot.mean(axis=-2)
        return z - logsumexp(z, axis=-1, keepdims=True)
