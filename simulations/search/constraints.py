"""Logical-consistency constraints between pairs of items (ICM's ``I(b)``; docs/theory.md C1, R12).

A constraint forbids some joint values of a pair ``(i, j)``; ``I(b)`` is the number of violated
pairs. Binary relations (``1`` = True):

* ``contradiction``: two different final answers to one problem cannot both be True -- forbids ``(1, 1)``;
* ``asymmetry``: ``A > B`` and ``B > A`` cannot both be True -- forbids ``(1, 1)``;
* ``exclusive``: exactly one of the two is True (``A > B`` vs ``B > A`` for ``A != B``) -- forbids ``(0, 0), (1, 1)``;
* ``implication``: ``i`` True implies ``j`` True -- forbids ``(1, 0)``;
* ``equivalence``: the same claim twice (same final answer) -- forbids ``(0, 1), (1, 0)``.

``group[i]`` is the consistency group of item ``i`` (``-1``: none); ICM weights items in groups
that already hold a labelled item. ``leaks_gold`` records whether the relations were derived from
the gold labels (R12: such constraints inflate accuracy; report with and without).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = {
    "contradiction": [(1, 1)],
    "asymmetry": [(1, 1)],
    "exclusive": [(0, 0), (1, 1)],
    "implication": [(1, 0)],
    "equivalence": [(0, 1), (1, 0)],
}


@dataclass(eq=False)
class Constraints:
    """``pairs``: ``(P, 2)`` item pairs; ``kinds``: ``P`` relation names (:data:`KINDS`);
    ``group``: ``(n,)`` consistency ids (``-1`` none); ``leaks_gold``: derived from gold labels."""

    n: int
    pairs: np.ndarray
    kinds: tuple
    group: np.ndarray | None = None
    leaks_gold: bool = False
    k: int = 2
    forbid: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        self.n = int(self.n)
        P = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        self.kinds = tuple(self.kinds)
        if len(self.kinds) != P.shape[0]:
            raise ValueError(f"kinds must name one relation per pair: {P.shape[0]} pairs, {len(self.kinds)} kinds")
        if P.size and (P.min() < 0 or P.max() >= self.n):
            raise ValueError(f"pairs entries must be item indices in [0, {self.n - 1}]")
        if np.any(P[:, 0] == P[:, 1]):
            raise ValueError("pairs must join two different items")
        bad = sorted(set(self.kinds) - set(KINDS))
        if bad:
            raise ValueError(f"kinds must be among {sorted(KINDS)}, got {bad}")
        if self.k != 2:
            raise ValueError(f"logical constraints are defined for binary behaviours (k = 2), got k = {self.k}")
        self.pairs = P
        self.forbid = np.zeros((P.shape[0], 2, 2), dtype=bool)
        for p, kind in enumerate(self.kinds):
            for a, b in KINDS[kind]:
                self.forbid[p, a, b] = True
        g = np.full(self.n, -1, dtype=np.int64) if self.group is None else np.asarray(self.group, dtype=np.int64)
        if g.shape != (self.n,):
            raise ValueError(f"group must have shape ({self.n},), got {g.shape}")
        self.group = g
        self._incidence()

    def _incidence(self):
        """Per item, padded lists of (pair, other item, side) for O(degree) local counts."""
        deg = np.bincount(self.pairs.reshape(-1), minlength=self.n) if self.pairs.size else np.zeros(self.n, int)
        D = max(1, int(deg.max()) if deg.size else 1)
        self.nb_pair = np.zeros((self.n, D), dtype=np.int64)
        self.nb_other = np.zeros((self.n, D), dtype=np.int64)
        self.nb_side = np.zeros((self.n, D), dtype=np.int64)
        self.nb_mask = np.zeros((self.n, D), dtype=bool)
        fill = np.zeros(self.n, dtype=np.int64)
        for p, (i, j) in enumerate(self.pairs):
            for item, other, side in ((i, j, 0), (j, i, 1)):
                s = fill[item]
                self.nb_pair[item, s], self.nb_other[item, s], self.nb_side[item, s] = p, other, side
                self.nb_mask[item, s] = True
                fill[item] += 1

    # -- counting ----------------------------------------------------------------------
    def pair_violated(self, B) -> np.ndarray:
        """Whether each pair is violated: ``(..., P)`` bool."""
        B = np.asarray(B, dtype=np.int64)
        if not self.pairs.size:
            return np.zeros(B.shape[:-1] + (0,), dtype=bool)
        return self.forbid[np.arange(len(self.kinds)), B[..., self.pairs[:, 0]], B[..., self.pairs[:, 1]]]

    def violations(self, B) -> np.ndarray:
        """``I(b)``: number of violated pairs, shape ``(...)`` (int)."""
        return self.pair_violated(B).sum(axis=-1)

    def violated(self, b) -> np.ndarray:
        """Indices of the pairs violated by one vector ``b``."""
        return np.flatnonzero(self.pair_violated(np.asarray(b)))

    def item_violations(self, B, items) -> np.ndarray:
        """For chain ``c`` and item ``i = items[c]``: violations involving ``i`` if ``b_i = y``,
        for each ``y``: ``(C, k)``. ``B``: ``(C, n)``."""
        B = np.asarray(B)
        items = np.asarray(items, dtype=np.int64)
        if not self.pairs.size:
            return np.zeros((B.shape[0], self.k))
        rows = np.arange(B.shape[0])[:, None]
        P, other, S, M = (a[items] for a in (self.nb_pair, self.nb_other, self.nb_side, self.nb_mask))
        ov = B[rows, other].astype(np.int64)
        out = np.empty((B.shape[0], self.k))
        for y in range(self.k):
            v = np.where(S == 0, self.forbid[P, y, ov], self.forbid[P, ov, y]) & M
            out[:, y] = v.sum(axis=1)
        return out

    def options(self, p: int) -> list:
        """The consistent joint values ``(y_i, y_j)`` of pair ``p``."""
        return [(a, b) for a in range(self.k) for b in range(self.k) if not self.forbid[p, a, b]]

    def touching(self, items) -> np.ndarray:
        """Indices of the pairs that involve any of ``items``."""
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        return np.flatnonzero(np.isin(self.pairs, items).any(axis=1))

    def __len__(self) -> int:
        return self.pairs.shape[0]


def from_relations(n: int, relations, group=None, leaks_gold: bool = False) -> Constraints:
    """From ``[(i, j, kind), ...]``."""
    rel = list(relations)
    return Constraints(n, np.array([(i, j) for i, j, _ in rel], dtype=np.int64).reshape(-1, 2),
                       tuple(kind for _, _, kind in rel), group, leaks_gold)


def from_groups(group, kind: str = "contradiction", leaks_gold: bool = False) -> Constraints:
    """Relation ``kind`` between every pair of items sharing a group id (``-1``: no group)."""
    g = np.asarray(group, dtype=np.int64)
    rel = [(i, j, kind) for i in range(g.size) for j in range(i + 1, g.size) if g[i] >= 0 and g[i] == g[j]]
    return from_relations(g.size, rel, g, leaks_gold)


def gold_partition(gold, group=None) -> Constraints:
    """Constraints that carry the gold partition (R12): within each group (all items when
    ``group`` is None) items with equal gold labels are ``equivalence`` pairs, others
    ``exclusive``; they pin the labelling down to the gold or its negation. ``leaks_gold=True``."""
    gold = np.asarray(gold, dtype=np.int64)
    g = np.zeros(gold.size, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    rel = [(i, j, "equivalence" if gold[i] == gold[j] else "exclusive")
           for i in range(gold.size) for j in range(i + 1, gold.size) if g[i] >= 0 and g[i] == g[j]]
    return from_relations(gold.size, rel, g, leaks_gold=True)


def for_task(group, gold=None, leaks_gold: bool = False, kind: str = "contradiction") -> Constraints:
    """Task constraints with the R12 switch: ``kind`` within groups (structural, e.g. different
    answers to one problem), plus, when ``leaks_gold``, the gold-partition relations."""
    base = from_groups(group, kind)
    if not leaks_gold:
        return base
    if gold is None:
        raise ValueError("leaks_gold=True needs the gold labels")
    return combine(base, gold_partition(gold, group))


def combine(*cs: Constraints) -> Constraints:
    """Union of constraint sets over the same items (group from the first; leaks if any leaks)."""
    n = cs[0].n
    if any(c.n != n for c in cs):
        raise ValueError("constraints to combine must cover the same n items")
    return Constraints(n, np.concatenate([c.pairs for c in cs]), sum((c.kinds for c in cs), ()),
                       cs[0].group, any(c.leaks_gold for c in cs))


def from_items(items) -> Constraints:
    """From task items ``[{"consistency_id", "kind", "key"}]`` (``simulations.lm.tasks.registry``): within a
    consistency id and kind, ``answer`` items with different keys are a ``contradiction`` and with
    equal keys an ``equivalence``; ``comparison`` items with different keys are ``exclusive``."""
    items = list(items)
    rel = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            a, c = items[i], items[j]
            if a["consistency_id"] != c["consistency_id"] or a.get("kind") != c.get("kind"):
                continue
            if a.get("kind") == "answer":
                rel.append((i, j, "contradiction" if a.get("key") != c.get("key") else "equivalence"))
            elif a.get("kind") == "comparison" and a.get("key") != c.get("key"):
                rel.append((i, j, "exclusive"))
    group = [it["consistency_id"] if it.get("kind", "none") != "none" else -1 for it in items]
    return from_relations(len(items), rel, group)
