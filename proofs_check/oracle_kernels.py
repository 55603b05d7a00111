"""Exact kernels the C1 checks compare the searches against, written out independently of
:mod:`simulations.search`:

* :func:`mh_power_matrix` -- Metropolis-Hastings power sampling with suffix-resampling proposals;
* :func:`icm_kernel` -- ICM's fixed-temperature step (argmax proposal) or its Metropolis variant;
* :func:`training_bootstrap_oracle` -- training bootstrap with a MAP-concept fitter.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from theory import all_behaviours, pseudo_likelihood
from theory.softmax import log_coherence_table


def mh_power_matrix(prior, alpha: float) -> np.ndarray:
    """Exact kernel of Metropolis-Hastings power sampling on ``p(b) = exp Coh_id(b)``: pick a
    cut ``t`` uniformly, resample the suffix from ``p( . | b_<t)``, accept with
    ``min(1, (p(b')/p(b))^(alpha - 1))`` (the proposal ratio cancels one power of ``p``)."""
    n, k = prior.n, prior.k
    lp = log_coherence_table(prior)
    N = lp.size
    T = np.zeros((N, N))
    for t in range(n):
        blocks = lp.reshape(k**t, k ** (n - t))             # rows: prefixes, columns: suffixes
        prefix = logsumexp(blocks, axis=1)
        for r in range(k**t):
            idx = np.arange(r * k ** (n - t), (r + 1) * k ** (n - t))
            q = np.exp(blocks[r] - prefix[r])                # proposal over suffixes, independent of the current one
            logacc = np.minimum(0.0, (alpha - 1) * (lp[idx][None, :] - lp[idx][:, None]))
            T[np.ix_(idx, idx)] += q[None, :] * np.exp(logacc) / n
    T[np.arange(N), np.arange(N)] += 1.0 - T.sum(axis=1)
    return T


def icm_kernel(prior, alpha: float, T: float, proposal: str = "argmax") -> np.ndarray:
    """Exact fixed-temperature kernel of ICM's step over ``{0,1}^n`` (the whole set labelled, no
    consistency term): pick an item uniformly, propose its leave-one-out argmax (``"argmax"``,
    ICM) or its flip (``"flip"``, symmetric Metropolis), accept with ``min(1, exp(dU/T))``,
    ``U = alpha * PL``."""
    n = prior.n
    B = all_behaviours(n, 2).astype(np.int64)
    U = alpha * pseudo_likelihood(prior, B)
    L = prior.log_loo(B)
    N = B.shape[0]
    codes = np.arange(N)
    K = np.zeros((N, N))
    for i in range(n):
        flip = codes ^ (1 << (n - 1 - i))
        if proposal == "argmax":
            move = L[:, i, :].argmax(-1) != B[:, i]
        else:
            move = np.ones(N, dtype=bool)
        acc = np.where(move, np.exp(np.minimum(0.0, (U[flip] - U) / T)), 0.0)
        K[codes, flip] += acc / n
    K[codes, codes] += 1.0 - K.sum(1)
    return K


def training_bootstrap_oracle(prior, b0, max_rounds: int = 50):
    """Training bootstrap with a MAP-concept fitter, written out: ``k = argmax_j log w_j + log
    P(b | j)`` (fit), ``b = f_k`` (relabel), until the labels repeat. Returns the visited states."""
    b = np.array(b0, dtype=np.int64)
    states = [b.copy()]
    for _ in range(max_rounds):
        b = prior.F[int(np.argmax(prior.log_components(b)))].copy()
        if any(np.array_equal(b, s) for s in states):
            states.append(b)
            break
        states.append(b)
    return states
