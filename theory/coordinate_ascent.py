"""Zero-temperature coordinate dynamics on ``Y^n``: bootstrap as exact updates (the oracles for C1).

* :func:`loo_argmax` -- each item's leave-one-out argmax given the rest (ties keep the value);
* :func:`bootstrap_sequential` -- relabel items one at a time in index order until nothing changes;
* :func:`sweep_map` / :func:`bootstrap_cycles` -- one sequential sweep as a map on codes, and
  whether some start never converges (a cycle of the functional graph);
* :func:`bootstrap_sync` -- relabel every item at once (may oscillate).

Ties are decided within ``1e-12`` nats in favour of the current value, so a fixed point is a
state no single-item move strictly improves.
"""
from __future__ import annotations

import numpy as np

from . import validation as V
from .enumeration import all_behaviours, encode


def loo_argmax(prior, b) -> np.ndarray:
    """Each item's leave-one-out argmax given the rest of ``b`` (ties -> the current value)."""
    L = V.prior("prior", prior, ("log_loo",)).log_loo(np.asarray(b)[None])[0]
    best = L.argmax(axis=-1)
    tied = L[np.arange(prior.n), np.asarray(b)] >= L.max(axis=-1) - 1e-12
    return np.where(tied, b, best)


def bootstrap_sequential(prior, b0, max_sweeps: int = 100):
    """Relabel items one at a time (index order) with their leave-one-out argmax until no item
    changes. Returns ``(b, coherence trace after every update, visited states per sweep, converged)``."""
    b = np.array(b0, dtype=np.int64)
    trace = [float(V.prior("prior", prior, ("log_conditional", "log_joint")).log_joint(b))]
    seen = [int(encode(b, prior.k))]
    for _ in range(max_sweeps):
        changed = False
        for i in range(prior.n):
            L = prior.log_conditional(b[None], i, np.delete(np.arange(prior.n), i))[0]
            y = int(L.argmax())
            if y != b[i] and L[y] > L[b[i]] + 1e-12:
                b[i] = y
                changed = True
            trace.append(float(prior.log_joint(b)))
        seen.append(int(encode(b, prior.k)))
        if not changed:
            return b, np.array(trace), seen, True
    return b, np.array(trace), seen, False


def sweep_map(prior):
    """Sequential bootstrap as a map on codes: ``F[c]`` is the state after one sweep (items in index
    order, each set to its leave-one-out argmax, ties keep the current value) from state ``c``, and
    ``changed[c]`` whether any item changed during that sweep. Leave-one-out conditionals of all
    ``k^n`` states are computed once, so the whole functional graph costs ``n`` table look-ups."""
    n, k = V.prior("prior", prior, ("log_loo",)).n, prior.k
    B = all_behaviours(n, k).astype(np.int64)
    L = prior.log_loo(B)                                           # (N, n, k)
    best = L.argmax(axis=-1)
    keep = np.take_along_axis(L, B[..., None], axis=-1)[..., 0] >= L.max(axis=-1) - 1e-12
    target = np.where(keep, B, best)                               # (N, n) new value of item i at state c
    powers = k ** np.arange(n - 1, -1, -1, dtype=np.int64)
    c = np.arange(B.shape[0])
    changed = np.zeros(B.shape[0], dtype=bool)
    for i in range(n):
        cur = (c // powers[i]) % k
        new = target[c, i]
        changed |= new != cur
        c = c + (new - cur) * powers[i]
    return c, changed


def bootstrap_cycles(prior) -> bool:
    """True when sequential bootstrap fails to converge from some start: the sweep map has a cycle
    of length >= 2, or a fixed point reached through changes within the sweep."""
    F, changed = sweep_map(prior)
    x = np.arange(F.size)
    for _ in range(F.size):                                        # after N steps every orbit is on its cycle
        x = F[x]
    on_cycle = np.unique(x)
    return bool(np.any(F[on_cycle] != on_cycle) or np.any(changed[on_cycle]))


def bootstrap_sync(prior, b0, max_rounds: int = 50):
    """Relabel every item at once with its leave-one-out argmax. Returns ``(states, cycle_length)``
    where ``cycle_length`` is 1 for a fixed point, >1 for an oscillation, 0 if none within the budget."""
    b = np.array(b0, dtype=np.int64)
    states = [tuple(b)]
    for _ in range(max_rounds):
        b = loo_argmax(prior, b)
        t = tuple(int(v) for v in b)
        if t in states:
            return states + [t], len(states) - states.index(t)
        states.append(t)
    return states, 0
