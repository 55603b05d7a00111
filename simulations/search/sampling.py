"""Sampling helpers shared by the samplers: one categorical draw per row, temperature schedules
and initial states."""
from __future__ import annotations

import math

import numpy as np

from theory import validation as V


def draw(prob: np.ndarray, rng) -> np.ndarray:
    """One categorical draw per row of ``prob`` ``(..., k)`` (rows need not be normalised)."""
    c = np.cumsum(prob, axis=-1)
    u = rng.random(prob.shape[:-1])[..., None] * c[..., -1:]
    return np.minimum((u >= c).sum(axis=-1), prob.shape[-1] - 1)


def schedule(kind: str, tau0: float, tau_min: float, sweeps: int, rate: float | None = None):
    """Temperature by sweep ``t``: ``"constant"`` ``tau0``; ``"log"``
    ``max(tau_min, tau0 / (1 + rate log(1 + t)))``; ``"exp"`` ``max(tau_min, tau0 rate^t)`` with
    ``rate`` chosen (default) so that ``tau_min`` is reached at the last sweep."""
    tau0 = float(V.positive("tau0", tau0))
    tau_min = V.non_negative("tau_min", tau_min)
    if kind == "constant":
        return lambda t: tau0
    if kind == "log":
        r = 1.0 if rate is None else float(rate)
        return lambda t: max(tau_min, tau0 / (1.0 + r * math.log1p(t)))
    if kind == "exp":
        floor = max(tau_min, 1e-3 * tau0)
        r = (floor / tau0) ** (1.0 / max(1, sweeps - 1)) if rate is None else float(rate)
        if not 0 < r <= 1:
            raise ValueError(f"rate must lie in (0, 1] for the exponential schedule, got {r}")
        return lambda t: max(tau_min, tau0 * r**t)
    raise ValueError(f"schedule must be 'constant', 'log' or 'exp', got {kind!r}")


def initial_state(model, init, chains: int, rng, ev=None) -> np.ndarray:
    """``"random"`` (uniform), ``"zero-shot"`` (drawn from the zero-shot conditionals) or an array."""
    n, k = model.n, model.k
    if isinstance(init, str):
        if init == "random":
            return rng.integers(0, k, size=(chains, n))
        if init == "zero-shot":
            zs = np.exp(ev.zero_shot() if ev is not None else model.log_zero_shot())
            return draw(np.broadcast_to(zs, (chains, n, k)).reshape(-1, k), rng).reshape(chains, n)
        raise ValueError(f"init must be 'random', 'zero-shot' or a behaviour array, got {init!r}")
    B = V.behaviours(np.asarray(init), n, k, name="init").astype(np.int64).reshape(-1, n)
    if B.shape[0] not in (1, chains):
        raise ValueError(f"init must be one behaviour vector or one per chain ({chains}), got {B.shape[0]}")
    return np.broadcast_to(B, (chains, n)).copy()
