"""Exact oracles over the enumerated policy space ``Y^n`` used by the checks.

* :func:`gibbs_matrix` -- the random-scan Gibbs transition matrix with leave-one-out
  conditionals tempered by ``1/tau``: ``T[b, b'] = (1/n) softmax_y(log P(b_i = y | b_-i) / tau)``
  for ``b'`` equal to ``b`` except at item ``i``;
* :func:`stationary` -- its stationary distribution (linear solve);
* :func:`spectral_gap` -- ``1 - lambda_2`` of a reversible chain through the symmetrised matrix;
* :func:`tie_set` / :func:`decoder_accuracy` -- argmax sets with ties averaged exactly;
* :func:`bootstrap_sequential` / :func:`bootstrap_sync` -- zero-temperature coordinate updates;
* :func:`hunt` -- a deterministic hypothesis search that returns the shrunk minimal example.

These are oracles: slow, obviously correct, independent of :mod:`simulations`.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import eigsh
from scipy.special import logsumexp

from theory.enumeration import all_behaviours, encode


def gibbs_matrix(prior, tau: float = 1.0, as_sparse: bool = False):
    """Random-scan tempered Gibbs transition matrix over ``Y^n`` in code order: ``(k^n, k^n)``."""
    n, k = prior.n, prior.k
    B = all_behaviours(n, k).astype(np.int64)
    L = prior.log_loo(B) / tau
    Q = np.exp(L - logsumexp(L, axis=-1, keepdims=True))          # (N, n, k)
    N = B.shape[0]
    codes = np.arange(N)
    powers = k ** np.arange(n - 1, -1, -1, dtype=np.int64)
    rows, cols, vals = [], [], []
    for i in range(n):
        for y in range(k):
            rows.append(codes)
            cols.append(codes + (y - B[:, i]) * powers[i])
            vals.append(Q[:, i, y] / n)
    T = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N))
    return T if as_sparse else T.toarray()


def stationary(T) -> np.ndarray:
    """The stationary distribution ``pi T = pi`` of an irreducible chain (dense solve)."""
    T = T.toarray() if sparse.issparse(T) else np.asarray(T)
    N = T.shape[0]
    A = T.T - np.eye(N)
    A[-1, :] = 1.0
    rhs = np.zeros(N)
    rhs[-1] = 1.0
    return np.linalg.solve(A, rhs)


def spectral_gap(T, pi) -> float:
    """``1 - lambda_2`` for a chain reversible w.r.t. ``pi`` (the symmetrised matrix
    ``D^1/2 T D^-1/2`` has real eigenvalues; the top one, 1, is deflated exactly)."""
    s = np.sqrt(pi)
    if sparse.issparse(T):
        S = sparse.diags(s) @ T @ sparse.diags(1.0 / s)
        S = 0.5 * (S + S.T)
        from scipy.sparse.linalg import LinearOperator

        op = LinearOperator(S.shape, matvec=lambda v: S @ v - s * (s @ v), dtype=float)
        lam2 = eigsh(op, k=1, which="LA", tol=1e-12, maxiter=20000)[0][0]
    else:
        S = (s[:, None] * T) / s[None, :]
        S = 0.5 * (S + S.T)
        lam2 = np.linalg.eigvalsh(S - np.outer(s, s))[-1]
    return float(1.0 - lam2)


def tie_set(scores, atol: float = 1e-9) -> np.ndarray:
    """Indices whose score is within ``atol`` of the maximum (all maximisers, ties included)."""
    scores = np.asarray(scores, dtype=float)
    return np.flatnonzero(scores >= scores.max() - atol)


def decoder_accuracy(B, scores, truth, items=None, atol: float = 1e-9) -> float:
    """Per-item accuracy of ``argmax scores`` against ``truth`` (restricted to ``items``),
    averaged exactly over the tied maximisers (a uniform tie-break)."""
    idx = tie_set(scores, atol)
    cols = slice(None) if items is None else np.asarray(items)
    return float((B[idx][:, cols] == np.asarray(truth)[cols]).mean())


def loo_argmax(prior, b) -> np.ndarray:
    """Each item's leave-one-out argmax given the rest of ``b`` (ties -> the current value)."""
    L = prior.log_loo(np.asarray(b)[None])[0]
    best = L.argmax(axis=-1)
    tied = L[np.arange(prior.n), np.asarray(b)] >= L.max(axis=-1) - 1e-12
    return np.where(tied, b, best)


def bootstrap_sequential(prior, b0, max_sweeps: int = 100):
    """Relabel items one at a time (index order) with their leave-one-out argmax until no item
    changes. Returns ``(b, coherence trace after every update, visited states per sweep, converged)``."""
    b = np.array(b0, dtype=np.int64)
    trace = [float(prior.log_joint(b))]
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
    n, k = prior.n, prior.k
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


def hunt(strategy, condition, max_examples: int = 300):
    """Deterministic hypothesis search: the shrunk minimal example satisfying ``condition``,
    or ``None`` when none was found in ``max_examples`` tries."""
    try:
        from hypothesis import HealthCheck, find, settings
        from hypothesis.errors import NoSuchExample
    except ImportError as exc:  # a test extra; without it the hunting checks report an error
        raise RuntimeError("counterexample hunts need hypothesis: pip install 'coherence-toolkit[test]'") from exc

    cfg = settings(max_examples=max_examples, database=None, derandomize=True, deadline=None,
                   suppress_health_check=list(HealthCheck))
    try:
        return find(strategy, condition, settings=cfg)
    except NoSuchExample:
        return None
