"""The result of one search and the bookkeeping every search shares.

A search's cost on a real language model is its number of *conditional evaluations*: one call
of ``log P_M(b_i = . | x_i; D)`` for one behaviour vector (a call on a batch of ``s`` vectors
counts ``s``; a leave-one-out table ``log_loo`` on one vector counts ``n``). Evaluations spent
only on the optional coherence trace are reported apart, in ``extras["trace_evaluations"]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theory.decoders import item_accuracy


@dataclass
class SearchResult:
    """What a search found and what it cost.

    ``behaviours``: the final behaviour vector ``(n,)`` (int64, values in ``0..k-1``);
    ``coherence_trace``: ``Coh(b)`` in nats at the recorded steps (fixed identity order);
    ``score_trace``: the method's own objective at the recorded steps (see ``extras["score"]``);
    ``accepted``: moves that were accepted (for samplers: moves that changed a behaviour);
    ``evaluations``: model conditional evaluations (calls x batch), trace excluded;
    ``method``, ``seed``, ``params`` (the resolved parameters) and ``extras`` (method-specific).
    """

    behaviours: np.ndarray
    coherence_trace: np.ndarray
    score_trace: np.ndarray
    accepted: int
    evaluations: int
    method: str
    seed: int
    params: dict
    extras: dict = field(default_factory=dict)

    @property
    def coherence(self) -> float:
        """The last recorded coherence (nats), ``nan`` when no trace was kept."""
        return float(self.coherence_trace[-1]) if len(self.coherence_trace) else float("nan")

    def accuracy(self, truth, items=None) -> float:
        """Fraction of ``items`` (default all) where the result equals ``truth``, in expectation
        over a uniform tie-break: per-item decoders average over ``extras["item_ties"]``, joint
        decoders over the tied vectors ``extras["ties"]``; otherwise ``behaviours`` as is."""
        truth = np.asarray(truth, dtype=np.int64)
        if "item_ties" in self.extras:
            return item_accuracy(self.extras["item_ties"], truth, items)
        cols = slice(None) if items is None else np.asarray(items, dtype=np.int64)
        ties = self.extras.get("ties") or [self.behaviours]
        return float(np.mean([np.mean(np.asarray(b)[cols] == truth[cols]) for b in ties]))


def _batch(B) -> int:
    B = np.asarray(B)
    return int(np.prod(B.shape[:-1], dtype=np.int64)) if B.ndim > 1 else 1


class Evaluator:
    """Counts the conditional evaluations a search makes on ``model`` (see module docstring).

    The first result of each of the prior's methods is checked against what
    :class:`theory.prior.Prior` promises -- shape ``(..., k)`` and ``logsumexp`` over the last axis
    0 within ``NORMALISATION_ATOL`` nats -- so that a user prior with a wrong shape or unnormalised
    conditionals fails at once with the method's name instead of deep inside a search (or not at all).
    """

    def __init__(self, model):
        self.model = model
        self.count = 0
        self.trace_count = 0
        self._checked: set = set()

    def _check(self, method: str, out, shape: tuple) -> np.ndarray:
        if method in self._checked:
            return out
        check_conditionals(self.model, method, out, shape)
        self._checked.add(method)
        return out

    def conditional(self, B, i: int, demos) -> np.ndarray:
        self.count += _batch(B)
        out = self.model.log_conditional(B, int(i), np.asarray(demos, dtype=np.int64))
        return self._check("log_conditional", out, np.shape(B)[:-1] + (self.model.k,))

    def loo_item(self, B, i: int) -> np.ndarray:
        """``log P(b_i = . | all other items in index order)``."""
        idx = np.arange(self.model.n)
        return self.conditional(B, i, idx[idx != i])

    def loo(self, B) -> np.ndarray:
        self.count += _batch(B) * self.model.n
        return self._check("log_loo", self.model.log_loo(B), np.shape(B)[:-1] + (self.model.n, self.model.k))

    def zero_shot(self) -> np.ndarray:
        self.count += self.model.n
        return self._check("log_zero_shot", self.model.log_zero_shot(), (self.model.n, self.model.k))

    def joint(self, B) -> np.ndarray:
        """``Coh_id(b)`` for the trace; counted apart (``n`` per vector unless a closed form)."""
        if not closed_form_joint(self.model):
            if "log_conditional" not in self._checked:
                # the first step of the chain rule, checked before log_joint indexes into it
                b0 = np.asarray(B).reshape(-1, self.model.n)[:1]
                self.trace_count += 1
                self._check("log_conditional", self.model.log_conditional(b0, 0, np.zeros(0, dtype=np.int64)),
                            (1, self.model.k))
            self.trace_count += _batch(B) * self.model.n
        return self.model.log_joint(B)


#: how far ``logsumexp`` of a conditional may be from 0 (nats) before the prior is rejected
NORMALISATION_ATOL = 1e-6


def check_conditionals(model, method: str, out, shape: tuple) -> None:
    """Raise ``ValueError`` unless ``out`` (returned by ``model.<method>``) has ``shape`` and is a
    normalised log-distribution over the last axis (within ``NORMALISATION_ATOL`` nats)."""
    from scipy.special import logsumexp

    name = f"{type(model).__name__}.{method}"
    arr = np.asarray(out)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must return log-probabilities of shape {tuple(shape)} (..., k = {model.k}), "
                         f"got shape {arr.shape}")
    if arr.size == 0:
        return
    if np.isnan(arr).any():
        raise ValueError(f"{name} returned nan log-probabilities")
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = logsumexp(arr, axis=-1)
    worst = float(np.max(np.abs(norm)))
    if not worst <= NORMALISATION_ATOL:
        raise ValueError(f"{name} must be normalised over the k = {model.k} behaviours (logsumexp over the last axis "
                         f"= 0 within {NORMALISATION_ATOL} nats), got logsumexp up to {worst:.3g} nats off")


def closed_form_joint(model) -> bool:
    from theory.prior import JointPrior

    return isinstance(model, JointPrior)


class Trace:
    """Records ``(coherence, score)`` every ``every`` steps; ``every = 0`` records nothing but the
    final state (added by :meth:`finish`)."""

    def __init__(self, ev: Evaluator, every: int):
        self.ev, self.every = ev, int(every)
        self.coh: list = []
        self.score: list = []
        self.steps: list = []

    def record(self, step: int, b, score: float = float("nan"), force: bool = False) -> None:
        if force or (self.every > 0 and step % self.every == 0):
            self.coh.append(float(self.ev.joint(np.asarray(b)[None])[0]))
            self.score.append(float(score))
            self.steps.append(int(step))

    def finish(self, step: int, b, score: float = float("nan")) -> None:
        if not self.steps or self.steps[-1] != step:
            self.record(step, b, score, force=True)

    def arrays(self):
        return np.array(self.coh), np.array(self.score), np.array(self.steps, dtype=np.int64)


def default_trace_every(model, unit: int = 1) -> int:
    """Trace every ``unit`` steps when coherence has a closed form, else only start and end (0)."""
    return unit if closed_form_joint(model) else 0


def trace_interval(model, value, unit: int = 1) -> int:
    """``trace_every``: None gives :func:`default_trace_every`, else an integer ``>= 0``."""
    from theory import validation as V

    return default_trace_every(model, unit) if value is None else V.positive_int("trace_every", value, 0)


def clamp(b: np.ndarray, labels: dict | None) -> np.ndarray:
    """Set the labelled items of ``b`` to their labels (in place) and return ``b``."""
    if labels:
        idx = np.fromiter(labels.keys(), dtype=np.int64)
        b[..., idx] = np.fromiter(labels.values(), dtype=np.int64)
    return b


def check_labels(labels, n: int, k: int) -> dict:
    """``labels``: a dict ``{item: behaviour}`` with items in ``[0, n)`` and values in ``[0, k)``."""
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise ValueError(f"labels must be a dict {{item index: behaviour}} or None, got {type(labels).__name__}")
    out = {}
    for i, y in labels.items():
        if not (_is_int(i) and _is_int(y)):
            raise ValueError(f"labels must map integer item indices to integer behaviours, got {i!r}: {y!r}")
        i, y = int(i), int(y)
        if not 0 <= i < n:
            raise ValueError(f"labels keys must be item indices in [0, {n - 1}], got {i}")
        if not 0 <= y < k:
            raise ValueError(f"labels values must be behaviours in [0, {k - 1}], got {y} for item {i}")
        out[i] = y
    return out


def clamp_ties(ties: np.ndarray, labels: dict | None) -> np.ndarray:
    """Per-item tie sets ``(n, k)`` with each labelled item reduced to its label (in place)."""
    for i, y in (labels or {}).items():
        ties[i] = False
        ties[i, y] = True
    return ties


def _is_int(x) -> bool:
    """An integer, or a float / numpy number with an integral value (``1.0``); not a bool."""
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (int, np.integer)):
        return True
    return isinstance(x, (float, np.floating)) and bool(np.isfinite(x)) and float(x).is_integer()


def free_items(n: int, labels: dict) -> np.ndarray:
    """Items not clamped by ``labels``."""
    mask = np.ones(n, dtype=bool)
    if labels:
        mask[list(labels)] = False
    return np.flatnonzero(mask)


def resolve(method: str, params: dict, defaults: dict) -> dict:
    """``defaults`` updated by ``params``; an unknown parameter name raises ``ValueError``."""
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"{method}: unknown parameter(s) {unknown}; accepted: {sorted(defaults)}")
    out = dict(defaults)
    out.update(params)
    return out
