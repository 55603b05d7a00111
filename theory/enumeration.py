"""Enumeration of the policy space ``Y^n`` (all d-policies) for small ``n``.

Behaviour vectors are indexed by their base-``k`` code ``c = sum_i b_i k^(n-1-i)`` (item 0 is the
most significant digit), so ``all_behaviours(n, k)[c]`` decodes ``c``. For binary behaviours the
code is a bit mask, which lets priors with Hamming-distance structure use popcounts instead of
materialising the ``(2^n, n)`` array (see :meth:`theory.concept_mixture.ConceptMixture.log_joint_all`).
"""
from __future__ import annotations

import numpy as np

from . import validation as V


def all_behaviours(n: int, k: int = 2) -> np.ndarray:
    """Every behaviour vector in ``Y^n``, shape ``(k^n, n)``, dtype int8, in code order."""
    V.positive_int("n", n, 1)
    V.positive_int("k", k, 2, 127)
    V.enumerable(n, k)
    codes = np.arange(k**n, dtype=np.int64)
    return decode(codes, n, k)


def decode(codes, n: int, k: int = 2) -> np.ndarray:
    """Base-``k`` codes -> behaviour vectors ``(..., n)`` (int8)."""
    codes = np.asarray(codes, dtype=np.int64)
    powers = k ** np.arange(n - 1, -1, -1, dtype=np.int64)
    return ((codes[..., None] // powers) % k).astype(np.int8)


def encode(B, k: int = 2) -> np.ndarray:
    """Behaviour vectors ``(..., n)`` -> base-``k`` codes ``(...)`` (int64)."""
    B = np.asarray(B, dtype=np.int64)
    n = B.shape[-1]
    powers = k ** np.arange(n - 1, -1, -1, dtype=np.int64)
    return B @ powers


def popcount(x) -> np.ndarray:
    """Number of set bits of each non-negative int64 (vectorised)."""
    x = np.asarray(x)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    x = x.astype(np.uint64)
    # SWAR fallback for numpy < 2.0
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


