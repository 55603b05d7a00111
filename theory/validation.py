"""Argument checks shared by every prior and functional.

Each check raises ``ValueError`` naming the argument and the accepted range, so that a user
sees what to change instead of a traceback from deep inside numpy.
"""
from __future__ import annotations

import operator

import numpy as np

#: Largest number of behaviour vectors that enumeration will materialise (2**24, ~16.7M).
MAX_ENUMERATION = 2**24


def as_float_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        # e.g. a word, None or a ragged list: numpy's message would not name the argument
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r:.60}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no nan or inf)")
    return arr


def probability_vector(name: str, value, atol: float = 1e-9) -> np.ndarray:
    """A 1-D vector of non-negative weights summing to one (within ``atol``)."""
    w = as_float_array(name, value, ndim=1)
    if w.size == 0:
        raise ValueError(f"{name} must be non-empty")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative, got min {w.min():.3g}; accepted range [0, 1]")
    if abs(w.sum() - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (within {atol}), got sum {w.sum():.12g}")
    return w / w.sum()


def open_unit(name: str, value) -> np.ndarray:
    """Values strictly inside (0, 1)."""
    x = as_float_array(name, value)
    if np.any(x <= 0) or np.any(x >= 1):
        raise ValueError(f"{name} must lie in the open interval (0, 1), got {np.ravel(x)[:8]}")
    return x


def positive(name: str, value) -> np.ndarray:
    x = as_float_array(name, value)
    if np.any(x <= 0):
        raise ValueError(f"{name} must be > 0 (accepted range (0, inf)), got min {np.min(x):.3g}")
    return x


def broadcast(name: str, value, shape: tuple, what: str) -> np.ndarray:
    """``value`` as a float array of ``shape``: a scalar is repeated, an array must broadcast to
    ``shape`` (``what`` says what one entry is, for the message). A copy, never a read-only view."""
    arr = as_float_array(name, value)
    try:
        return np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise ValueError(f"{name} must be a scalar or have shape {tuple(shape)} ({what}), "
                         f"got shape {arr.shape}") from None


def seed(name: str, value) -> int:
    """A seed for ``numpy.random.default_rng``: an integer ``>= 0`` (a bool or a float is refused,
    so ``seed=1.5`` is not silently truncated)."""
    msg = f"{name} must be an integer >= 0 (accepted range [0, inf)), got {value!r}"
    if isinstance(value, (bool, np.bool_, float, str, bytes)):
        raise ValueError(msg)
    try:
        v = operator.index(value)
    except TypeError:
        raise ValueError(msg) from None
    if v < 0:
        raise ValueError(msg)
    return v


def prior(name: str, value, methods: tuple = ("log_conditional",)):
    """A pretrained prior in the sense of :class:`theory.prior.Prior`: integer ``n >= 1``, integer
    ``k >= 2`` and callable ``methods``. Checked by its attributes (not its class), so a prior that
    only follows the protocol is accepted; anything else gets one message instead of an
    ``AttributeError`` from the first attribute a function happens to read."""
    n, k = getattr(value, "n", None), getattr(value, "k", None)

    def is_int(x, lo):
        return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and x >= lo

    if not (is_int(n, 1) and is_int(k, 2) and all(callable(getattr(value, m, None)) for m in methods)):
        raise ValueError(f"{name} must be a pretrained prior (a theory.prior.Prior: integer n >= 1, integer k >= 2 "
                         f"and method{'s' if len(methods) > 1 else ''} {', '.join(methods)}), "
                         f"got {type(value).__name__}")
    return value


def non_negative(name: str, value) -> float:
    """A finite scalar ``>= 0`` (``nan`` is rejected: ``nan < 0`` is False, so a bare comparison
    would let it through)."""
    x = np.asarray(value, dtype=float) if not isinstance(value, (str, bytes)) else None
    if x is None or x.ndim != 0 or not np.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (accepted range [0, inf)), got {value!r}")
    return float(x)


def positive_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    hi = "inf" if maximum is None else str(maximum)
    if v < minimum or (maximum is not None and v > maximum):
        raise ValueError(f"{name} must be an integer in [{minimum}, {hi}], got {v}")
    return v


def behaviours(B, n: int, k: int, name: str = "B") -> np.ndarray:
    """An integer array of shape (..., n) with entries in {0, ..., k-1}."""
    arr = np.asarray(B)
    if arr.ndim == 0 or arr.shape[-1] != n:
        raise ValueError(f"{name} must have shape (..., n) with n = {n}, got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        # strings, bytes, objects: the integer test below would fail inside numpy (ufunc 'remainder')
        try:
            arr = arr.astype(float) if arr.dtype.kind == "O" else None
        except (TypeError, ValueError):
            arr = None
        if arr is None:
            raise ValueError(f"{name} must hold integer behaviour indices in [0, {k - 1}], "
                             f"got entries of type {np.asarray(B).dtype}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f"{name} must hold integer behaviour indices in [0, {k - 1}]")
        arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= k):
        raise ValueError(f"{name} entries must lie in [0, {k - 1}] (|Y| = {k}), got range [{arr.min()}, {arr.max()}]")
    return arr


def index_array(name: str, idx, n: int, allow_empty: bool = True) -> np.ndarray:
    """A 1-D array of distinct item indices in [0, n)."""
    arr = np.asarray(idx, dtype=np.int64).reshape(-1)
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must be non-empty")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{name} entries must be item indices in [0, {n - 1}], got range [{arr.min()}, {arr.max()}]")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} must not repeat an index")
    return arr


def order(name: str, s, n: int) -> np.ndarray:
    """A permutation of range(n)."""
    arr = np.asarray(s, dtype=np.int64).reshape(-1)
    if arr.size != n or not np.array_equal(np.sort(arr), np.arange(n)):
        raise ValueError(f"{name} must be a permutation of range({n})")
    return arr


def enumerable(n: int, k: int, limit: int = MAX_ENUMERATION) -> None:
    if float(k) ** n > limit:
        raise ValueError(
            f"n = {n} with |Y| = {k} gives {k}^{n} behaviour vectors, above the enumeration limit "
            f"{limit}; accepted: k**n <= {limit} (e.g. n <= {int(np.floor(np.log(limit) / np.log(k)))})"
        )
