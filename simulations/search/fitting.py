"""Parametric models fitted to labels: the "training" versions of conditioning (bootstrap-train
and the supervised / self-training / entropy-minimisation baselines).

A fitter holds a parametric family ``p_theta(y | x_i)`` over the ``n`` contexts; ``fit`` chooses
``theta`` from (weighted) labels, optionally adding ``lambda * sum_{u} H(p_theta(. | x_u))`` over
unlabelled items (entropy minimisation, Grandvalet and Bengio); ``log_proba`` returns the
``(n, k)`` fitted log-probabilities (nats).

* :class:`MixtureFit`: the family is the mixture's concepts ``{f_k with noise eps_k}``; fitting
  is the MAP concept ``argmax_k log w_k + log P(y_S | k)`` -- training replaces Bayesian averaging
  over concepts by a point estimate;
* :class:`LogisticFit`: multinomial logistic regression on given features with an L2 penalty;
* :class:`InContextFit`: no parameters -- the labels become demonstrations (conditioning).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, logsumexp

from theory.concept_mixture import ConceptMixture


class MixtureFit:
    def __init__(self, model: ConceptMixture):
        self.model = model
        lik = np.where(np.arange(model.k)[None, :, None] == model.F[:, None, :],
                       model.log_hit[:, None, None], model.log_miss[:, None, None])      # (K, k, n)
        self.lik = np.swapaxes(lik, 1, 2)                                                  # (K, n, k)
        ent = -(np.exp(self.lik) * self.lik).sum(axis=-1)                                  # (K, n)
        self.entropy = ent
        self.concept = 0

    def fit(self, idx, y, weights=None, unlabelled=None, entropy_weight: float = 0.0, rng=None):
        idx = np.asarray(idx, dtype=np.int64)
        y = np.asarray(y, dtype=np.int64)
        w = np.ones(idx.size) if weights is None else np.asarray(weights, dtype=float)
        score = self.model.log_w + (self.lik[:, idx, y] * w).sum(axis=1)
        if entropy_weight and unlabelled is not None and len(unlabelled):
            score = score - entropy_weight * self.entropy[:, np.asarray(unlabelled)].sum(axis=1)
        self.concept = int(np.argmax(score))
        return self

    def log_proba(self) -> np.ndarray:
        return self.lik[self.concept]


class LogisticFit:
    def __init__(self, features, k: int = 2, l2: float = 1e-2):
        X = np.asarray(features, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"features must be an (n, d) array, got shape {X.shape}")
        if l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        self.X = np.hstack([X, np.ones((X.shape[0], 1))])
        self.k, self.l2 = k, float(l2)
        self.W = np.zeros((self.X.shape[1], k))

    def _objective(self, wflat, idx, y, w, unl, lam):
        W = wflat.reshape(self.W.shape)
        Z = self.X @ W
        lp = log_softmax(Z, axis=1)
        p = np.exp(lp)
        f = -(w * lp[idx, y]).sum() + self.l2 * (W[:-1] ** 2).sum()
        G = np.zeros_like(Z)
        np.add.at(G, idx, w[:, None] * p[idx])
        np.add.at(G, (idx, y), -w)
        if lam and unl.size:
            H = -(p[unl] * lp[unl]).sum(axis=1)
            f += lam * H.sum()
            G[unl] += lam * (-p[unl] * (lp[unl] + H[:, None]))
        grad = self.X.T @ G
        grad[:-1] += 2 * self.l2 * W[:-1]
        return f, grad.ravel()

    def fit(self, idx, y, weights=None, unlabelled=None, entropy_weight: float = 0.0, rng=None, init=None):
        idx = np.asarray(idx, dtype=np.int64)
        y = np.asarray(y, dtype=np.int64)
        w = np.ones(idx.size) if weights is None else np.asarray(weights, dtype=float)
        unl = np.zeros(0, dtype=np.int64) if unlabelled is None else np.asarray(unlabelled, dtype=np.int64)
        x0 = (self.W if init is None else np.asarray(init, dtype=float)).ravel()
        res = minimize(self._objective, x0, args=(idx, y, w, unl, float(entropy_weight)), jac=True, method="L-BFGS-B")
        self.W = res.x.reshape(self.W.shape)
        return self

    def log_proba(self) -> np.ndarray:
        return log_softmax(self.X @ self.W, axis=1)


class InContextFit:
    """``log P_M(b_i = . | x_i; labelled items minus i)`` (counted by the evaluator)."""

    def __init__(self, model, ev):
        self.model, self.ev = model, ev
        self.b = np.zeros(model.n, dtype=np.int64)
        self.demos = np.zeros(0, dtype=np.int64)

    def fit(self, idx, y, weights=None, unlabelled=None, entropy_weight: float = 0.0, rng=None):
        if entropy_weight:
            raise ValueError("entropy_weight needs a parametric fitter: pass features or use a ConceptMixture")
        self.demos = np.asarray(idx, dtype=np.int64)
        self.b = np.zeros(self.model.n, dtype=np.int64)
        self.b[self.demos] = y
        return self

    def log_proba(self) -> np.ndarray:
        d = self.demos
        return np.stack([self.ev.conditional(self.b[None], i, d[d != i])[0] for i in range(self.model.n)])


def make_fitter(model, ev, features=None, l2: float = 1e-2):
    """``LogisticFit`` when ``features`` are given, else ``MixtureFit`` for a concept mixture, else
    ``InContextFit``."""
    if features is not None:
        X = np.asarray(features, dtype=float)
        if X.shape[0] != model.n:
            raise ValueError(f"features must have one row per item: ({model.n}, d), got {X.shape}")
        return LogisticFit(X, model.k, l2)
    mixture = model.concept_structure()
    if mixture is not None:
        return MixtureFit(mixture)
    return InContextFit(model, ev)


def entropy(logp) -> np.ndarray:
    """Shannon entropy (nats) of each row of log-probabilities."""
    logp = np.asarray(logp, dtype=float)
    logp = logp - logsumexp(logp, axis=-1, keepdims=True)
    return -(np.exp(logp) * logp).sum(axis=-1)
