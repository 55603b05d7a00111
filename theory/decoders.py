"""Decoders and their accuracy with exact ties.

A decoder picks ``argmax`` of a score. When several candidates reach the maximum the choice is
arbitrary, and an accuracy read off one arbitrary pick (the first index, or whichever float
rounding happens to favour) is not a property of the decoder. Every accuracy here is the
*expected* accuracy under a uniform tie-break over the tied maximisers, computed exactly:

* joint decoders (a score per behaviour vector ``b in Y^n``):
  ``acc = (1/|T|) sum_{b in T} (1/|I|) sum_{i in I} 1(b_i = truth_i)``, ``T`` the tied maximisers;
* per-item decoders (a score ``s_i(y)`` per item and behaviour):
  ``acc = (1/|I|) sum_{i in I} 1(truth_i in T_i) / |T_i|``, ``T_i = {y : s_i(y) is maximal}``.

Two scores tie when they differ by at most ``atol * max(1, |best|)`` (a relative tolerance for
scores far from zero, absolute near it). Scores are in whatever unit the caller uses (nats for
log-probabilities, plain numbers for probabilities); the tolerance is applied in that unit.
"""
from __future__ import annotations

import numpy as np

#: default tie tolerance (relative to ``max(1, |best|)``)
TIE_ATOL = 1e-9


def tolerance(best, atol: float = TIE_ATOL):
    """The tie tolerance around the maximum ``best``: ``atol * max(1, |best|)``."""
    return atol * np.maximum(1.0, np.abs(best))


def tie_set(scores, atol: float = TIE_ATOL) -> np.ndarray:
    """Indices of every maximiser of a 1-D ``scores`` (ties within :func:`tolerance`)."""
    scores = np.asarray(scores, dtype=float)
    best = scores.max()
    return np.flatnonzero(scores >= best - tolerance(best, atol))


def item_ties(scores, atol: float = TIE_ATOL) -> np.ndarray:
    """Per-item tie sets of an ``(n, k)`` score table: boolean ``(n, k)``, True where ``y`` is a
    maximiser of row ``i``."""
    scores = np.asarray(scores, dtype=float)
    best = scores.max(axis=-1, keepdims=True)
    return scores >= best - tolerance(best, atol)


def tied_items(ties) -> np.ndarray:
    """Items whose tie set has more than one behaviour (from :func:`item_ties`)."""
    return np.flatnonzero(np.asarray(ties).sum(axis=-1) > 1)


def item_accuracy(ties, truth, items=None) -> float:
    """Expected per-item accuracy of a per-item decoder with tie sets ``ties`` ``(n, k)`` under a
    uniform tie-break: ``mean_{i in items} 1(truth_i in T_i) / |T_i|`` (a fraction)."""
    ties = np.asarray(ties, dtype=bool)
    truth = np.asarray(truth, dtype=np.int64)
    hit = ties[np.arange(ties.shape[0]), truth] / ties.sum(axis=-1)
    idx = slice(None) if items is None else np.asarray(items, dtype=np.int64)
    return float(hit[idx].mean())


def joint_accuracy(B, scores, truth, items=None, atol: float = TIE_ATOL) -> float:
    """Expected accuracy on ``items`` of ``argmax_b scores[b]`` over the rows of ``B`` ``(N, n)``,
    averaged exactly over the tied maximisers (a fraction)."""
    top = tie_set(scores, atol)
    cols = slice(None) if items is None else np.asarray(items, dtype=np.int64)
    return float((np.asarray(B)[top][:, cols] == np.asarray(truth)[cols]).mean())


class StreamingTieSet:
    """The tie set of a score over ``0..N-1`` seen in blocks (constant memory in ``N``).

    :meth:`update` takes the scores of indices ``start .. start + m - 1`` (``-inf`` = inadmissible)
    and optional per-index payloads; :meth:`result` returns the indices of every maximiser with
    their scores and payloads, in index order -- the same set :func:`tie_set` gives on the whole
    array, because a maximiser of the whole array is within the tolerance of every running maximum
    (``x - atol max(1, |x|)`` is non-decreasing in ``x``).
    """

    def __init__(self, atol: float = TIE_ATOL):
        self.atol = atol
        self.best = -np.inf
        self.index = np.zeros(0, dtype=np.int64)
        self.score = np.zeros(0)
        self.payload: dict = {}

    def _threshold(self) -> float:
        return float(self.best - tolerance(self.best, self.atol))

    def update(self, start: int, scores, **payload) -> None:
        scores = np.asarray(scores, dtype=float)
        if scores.size == 0:
            return
        top = float(scores.max())
        if top == -np.inf:
            return
        self.best = max(self.best, top)
        thr = self._threshold()
        keep = np.flatnonzero(scores >= thr)
        old = self.score >= thr
        self.index = np.concatenate([self.index[old], start + keep])
        self.score = np.concatenate([self.score[old], scores[keep]])
        for name, values in payload.items():
            prev = self.payload.get(name, np.zeros((0,) + np.shape(values)[1:], dtype=np.asarray(values).dtype))
            self.payload[name] = np.concatenate([prev[old], np.asarray(values)[keep]])

    @property
    def empty(self) -> bool:
        return self.best == -np.inf

    def result(self):
        """``(indices, scores, payloads)`` of every tied maximiser, ascending indices."""
        return self.index, self.score, self.payload
