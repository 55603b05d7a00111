"""Consistency relations within groups of items, as the field's testbeds define them.

A grouped constraint allows, in each consistency group, a set of label *patterns* (0/1 vectors
over the group's items); a labelling is allowed when every group's pattern is. The relations:

* ``groups`` (also called ``exactly-one``) -- exactly one item of the group is true;
* ``at-most-one`` -- at most one item is true (candidate answers of which none may be right);
* ``mirror-pairs`` -- a group is two mirrored claims ("response 1 is better than 2" and its
  mirror) taking opposite labels;
* ``same-answer:FIELD`` -- items with the same value of ``FIELD`` (a solution's final answer)
  take the same label, and items with different values are not both true (GSM8K verification);
* ``free-groups`` -- no relation: in ICM's released code the group only orders demonstrations;
  the toolkit's searches draw random orders, so it labels as ``none`` does (recorded by name).

A group's patterns are enumerated, so a group may hold at most :data:`GROUP_LIMIT` items. The
**repair** (:func:`project`) is exact per group: the allowed pattern maximising
``sum_i b_i z_i`` for per-item log-odds ``z``, which is the most likely consistent labelling
when items are independent given ``z``, as ICM's consistency fix intends. The **leak**
(:func:`leak_probs`) is exact: under a uniform prior on the allowed labellings each item is true
with the fraction of its group's patterns that make it true (R12).

The ``groups`` argument of these functions is the task's group encoding
(:meth:`simulations.lm.tasks.registry.Task.relation_groups`): an ``(n,)`` array of consistency ids, or for
``same-answer`` an ``(n, 2)`` array of ``[consistency id, answer id]``.
"""
from __future__ import annotations

import itertools

import numpy as np

#: grouped relations by their base name (``same-answer`` takes ``:FIELD``)
GROUPED_RELATIONS = ("groups", "at-most-one", "mirror-pairs", "same-answer")
#: names a user may type that mean a grouped relation above
ALIASES = {"exactly-one": "groups"}
#: the largest group whose patterns are enumerated
GROUP_LIMIT = 12


def base(name: str) -> str:
    """``same-answer`` for ``same-answer:FIELD``; the name itself otherwise."""
    return name.split(":", 1)[0]


def is_grouped(name: str) -> bool:
    return base(name) in GROUPED_RELATIONS


def field_of(name: str) -> str | None:
    """The field of ``same-answer:FIELD`` (``None`` for the other names)."""
    return name.split(":", 1)[1] if ":" in name else None


def _split(groups):
    G = np.asarray(groups)
    if G.ndim == 2:
        return G[:, 0], G[:, 1]
    return G, np.arange(G.size)


def members(groups) -> list:
    """Index arrays of the groups, in order of their ids."""
    gid, _ = _split(groups)
    return [np.flatnonzero(gid == q) for q in np.unique(gid)]


def patterns(name: str, keys) -> np.ndarray:
    """``(P, s)``: the allowed patterns of one group whose items carry ``keys`` (answer ids)."""
    keys = np.asarray(keys)
    s = keys.size
    if s > GROUP_LIMIT:
        raise ValueError(f"constraint {name}: a consistency group holds {s} items, more than the {GROUP_LIMIT} whose "
                         "labellings are enumerated; split the group or use --constraint none")
    b = base(name)
    eye = np.eye(s, dtype=np.int64)
    if b == "groups":
        return eye
    if b == "at-most-one":
        return np.vstack([np.zeros((1, s), np.int64), eye])
    if b == "mirror-pairs":
        if s != 2:
            raise ValueError(f"constraint mirror-pairs needs groups of exactly two items (a claim and its mirror); "
                             f"a group holds {s}")
        return eye
    if b == "same-answer":
        # none true, or every item of one answer true
        return np.vstack([np.zeros((1, s), np.int64)] + [(keys == k).astype(np.int64)[None] for k in np.unique(keys)])
    raise ValueError(f"{name!r} is not a grouped relation (one of {GROUPED_RELATIONS})")


def _groups_with_patterns(name, groups):
    _, key = _split(groups)
    return [(idx, patterns(name, key[idx])) for idx in members(groups)]


def project(odds, name: str, groups) -> np.ndarray:
    """The allowed labelling maximising ``sum_i b_i odds_i`` (ties: the first pattern, so the
    lowest index for one-true relations and nothing true before a zero gain)."""
    z = np.asarray(odds, dtype=float)
    b = np.zeros(z.size, dtype=np.int64)
    for idx, P in _groups_with_patterns(name, groups):
        b[idx] = P[int(np.argmax(P @ z[idx]))]
    return b


def violations(b, name: str, groups) -> int:
    """Groups whose pattern in ``b`` the relation does not allow."""
    b = np.asarray(b)
    return int(sum(not np.any(np.all(P == b[idx][None, :], axis=1)) for idx, P in _groups_with_patterns(name, groups)))


def leak_probs(name: str, groups) -> np.ndarray:
    """``(n,)``: the probability each item is true under a uniform prior on the allowed labellings."""
    _, key = _split(groups)
    p = np.zeros(key.size)
    for idx, P in _groups_with_patterns(name, groups):
        p[idx] = P.mean(axis=0)
    return p


def moves(b, name: str, groups) -> np.ndarray:
    """``(M, n)``: every allowed labelling that differs from ``b`` in one group's pattern."""
    b = np.asarray(b, dtype=np.int64)
    out = []
    for idx, P in _groups_with_patterns(name, groups):
        for pat in P:
            if not np.array_equal(pat, b[idx]):
                c = b.copy()
                c[idx] = pat
                out.append(c)
    return np.array(out, dtype=np.int64).reshape(-1, b.size)


def allowed_labellings(name: str, groups) -> list:
    """Every allowed labelling (for brute-force checks on small tasks)."""
    n = _split(groups)[1].size
    parts = _groups_with_patterns(name, groups)
    out = []
    for choice in itertools.product(*(range(len(P)) for _, P in parts)):
        b = np.zeros(n, dtype=np.int64)
        for (idx, P), k in zip(parts, choice):
            b[idx] = P[k]
        out.append(b)
    return out
