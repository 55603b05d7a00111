"""Exact searches by enumeration of ``Y^n`` (``k^n <= 2^24``): the oracles the other searches are
measured against (docs/theory.md C1-C3).

* ``exact-argmax``: ``argmax_b Coh(b)`` (optionally among vectors agreeing with the labels and
  satisfying the constraints); every tied maximum is listed in ``extras["ties"]``;
* ``joint-map``: ``argmax_b [Coh(b)/tau + sum_{i in S} log P(y_i | b_i)]`` with symmetric label
  noise ``eta`` (``eta = 0``: labels clamp their items);
* ``marginal-decoder``: ``argmax_y P(b_i = y | labels)`` item by item -- the Bayes decision for
  expected per-item accuracy, which joint MAP is not (C3 caveat);
* ``srm``: ``argmin_b J_lambda(b) = sum_{i in S} loss(b_i, y_i) + lambda DL_{Q_tau}(b)`` (C2);
* ``occam-srm``: ``argmin_b R_S(b) + sqrt((-ln Q_tau(b) + ln(1/delta)) / (2m))`` (C3 Occam bound).

Coherence is the fixed identity order by default; ``order="average"`` uses ``E_s Coh_s``.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V
from theory.decoders import TIE_ATOL, item_ties, tie_set, tied_items
from theory.enumeration import all_behaviours, encode
from theory.softmax import log_coherence_table

from .result import SearchResult, _closed_form_joint, resolve


def _enumerate(model, order, labels, constraints, clamp: bool):
    """Coherence table, the behaviour array and the mask of admissible vectors."""
    V.enumerable(model.n, model.k)
    table = log_coherence_table(model, order=order)
    B = all_behaviours(model.n, model.k)
    mask = np.ones(B.shape[0], dtype=bool)
    if clamp and labels:
        idx = np.array(list(labels), dtype=np.int64)
        mask &= np.all(B[:, idx] == np.array(list(labels.values())), axis=1)
    if constraints is not None:
        mask &= constraints.violations(B) == 0
    if not mask.any():
        raise ValueError("no behaviour vector satisfies the labels and constraints")
    cost = 0 if (_closed_form_joint(model) and order is None) else B.shape[0] * model.n
    return table, B, mask, cost


def _pick(objective, B, mask, maximise: bool = True):
    """Best admissible vector and all ties (:func:`theory.decoders.tie_set`)."""
    obj = np.where(mask, objective if maximise else -objective, -np.inf)
    ties = tie_set(obj)
    return B[ties[0]].astype(np.int64), [B[t].astype(np.int64) for t in ties], ties


def _result(name, b, table, codes, score, ev, seed, params, extras) -> SearchResult:
    code = int(codes[0])
    return SearchResult(behaviours=b, coherence_trace=np.array([table[code]]),
                        score_trace=np.array([score]), accepted=0, evaluations=ev, method=name,
                        seed=seed, params=params, extras={"ties": extras.pop("ties"),
                                                          "enumerated": int(table.size), **extras})


def exact_argmax(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """``argmax Coh(b)`` over ``Y^n`` (params: ``order`` None|"average", ``clamp`` labels True)."""
    p = resolve("exact-argmax", params, {"order": None, "clamp": True})
    table, B, mask, cost = _enumerate(model, p["order"], labels, constraints, p["clamp"])
    b, ties, codes = _pick(table, B, mask)
    return _result("exact-argmax", b, table, codes, float(table[codes[0]]), cost, seed, p,
                   {"ties": ties, "score": "Coh (nats)"})


def _label_loglik(B, labels, eta: float, k: int) -> np.ndarray:
    if not labels:
        return np.zeros(B.shape[0])
    idx = np.array(list(labels), dtype=np.int64)
    hits = (B[:, idx] == np.array(list(labels.values()))).sum(axis=1)
    m = idx.size
    return hits * np.log1p(-eta) + (m - hits) * np.log(eta / (k - 1))


def _posterior(model, labels, constraints, p):
    eta = float(p["eta"])
    table, B, mask, cost = _enumerate(model, p["order"], labels, constraints, clamp=eta == 0.0)
    tau = float(V.positive("tau", p["tau"]))
    if eta != 0.0:
        V.open_unit("eta", eta)
    logpost = table / tau + (_label_loglik(B, labels, eta, model.k) if eta > 0 else 0.0)
    return table, B, mask, cost, logpost


def joint_map(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """``argmax_b Coh(b)/tau + log P(labels | b)`` (params ``eta`` label noise, 0 = clamp; ``tau``)."""
    p = resolve("joint-map", params, {"eta": 0.0, "tau": 1.0, "order": None})
    table, B, mask, cost, logpost = _posterior(model, labels, constraints, p)
    b, ties, codes = _pick(logpost, B, mask)
    return _result("joint-map", b, table, codes, float(logpost[codes[0]]), cost, seed, p,
                   {"ties": ties, "score": "unnormalised log posterior (nats)"})


def marginal_decoder(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """``b_i = argmax_y P(b_i = y | labels)`` under ``Q_tau`` times the label likelihood.

    ``extras["marginals"]``: the ``(n, k)`` posterior marginals; ``extras["expected_accuracy"]``:
    ``mean_i max_y P(b_i = y | labels)``. Exact ties (within ``tie_atol``, default 1e-9, on the
    marginal probabilities) go to the smaller behaviour in ``behaviours``; ``extras["item_ties"]``
    ``(n, k)`` marks every tied maximiser and ``extras["tied_items"]`` lists the tied items, so
    :meth:`SearchResult.accuracy` is the expected accuracy under a uniform tie-break."""
    p = resolve("marginal-decoder", params, {"eta": 0.0, "tau": 1.0, "order": None, "tie_atol": TIE_ATOL})
    atol = V.non_negative("tie_atol", p["tie_atol"])
    table, B, mask, cost, logpost = _posterior(model, labels, constraints, p)
    lp = np.where(mask, logpost, -np.inf)
    post = np.exp(lp - lp.max())
    post /= post.sum()
    marg = np.stack([np.bincount(B[:, i], weights=post, minlength=model.k) for i in range(model.n)])
    b = marg.argmax(axis=1).astype(np.int64)
    ties = item_ties(marg, atol)
    code = int(encode(b, model.k))
    return SearchResult(behaviours=b, coherence_trace=np.array([table[code]]),
                        score_trace=np.array([float(marg.max(axis=1).mean())]), accepted=0,
                        evaluations=cost, method="marginal-decoder", seed=seed, params=p,
                        extras={"item_ties": ties, "tied_items": tied_items(ties), "marginals": marg,
                                "expected_accuracy": float(marg.max(axis=1).mean()),
                                "enumerated": int(table.size), "score": "expected per-item accuracy"})


def srm(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """``argmin J_lambda`` (params ``lam`` (default the MAP value ``1/log((1-eta)/eta)`` when
    ``eta`` is given, else 1), ``loss`` "01"|"log", ``eta``, ``tau``)."""
    from theory.srm import label_loss, map_lambda

    p = resolve("srm", params, {"lam": None, "loss": "01", "eta": None, "tau": 1.0, "order": None})
    if not labels:
        raise ValueError("srm needs labels: a non-empty dict {item: behaviour}")
    lam = p["lam"]
    if lam is None:
        lam = map_lambda(p["eta"], model.k) if p["eta"] is not None else 1.0
    lam = float(lam)
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    tau = float(V.positive("tau", p["tau"]))
    table, B, mask, cost = _enumerate(model, p["order"], labels, constraints, clamp=False)
    idx = np.array(list(labels), dtype=np.int64)
    ys = np.array(list(labels.values()), dtype=np.int64)
    J = label_loss(B, idx, ys, p["loss"], p["eta"], model.k) - lam * table / tau
    b, ties, codes = _pick(J, B, mask, maximise=False)
    p["lam"] = lam
    return _result("srm", b, table, codes, float(J[codes[0]]), cost, seed, p,
                   {"ties": ties, "score": "J_lambda (DL part in nats, up to lambda log Z_tau)"})


def occam_srm(model, *, labels=None, constraints=None, seed=0, **params) -> SearchResult:
    """``argmin_b R_S(b) + sqrt((-ln Q_tau(b) + ln(1/delta)) / (2m))`` with ``R_S`` the 0-1 error
    rate on the ``m`` labelled items (params ``delta``, ``tau``). ``extras["bound"]``: the minimum."""
    from scipy.special import logsumexp

    p = resolve("occam-srm", params, {"delta": 0.05, "tau": 1.0, "order": None})
    if not labels:
        raise ValueError("occam-srm needs labels: a non-empty dict {item: behaviour}")
    delta = float(V.open_unit("delta", p["delta"]))
    tau = float(V.positive("tau", p["tau"]))
    table, B, mask, cost = _enumerate(model, p["order"], labels, constraints, clamp=False)
    logq = table / tau - logsumexp(table / tau)
    idx = np.array(list(labels), dtype=np.int64)
    m = idx.size
    risk = (B[:, idx] != np.array(list(labels.values()))).sum(axis=1) / m
    with np.errstate(invalid="ignore"):
        bound = risk + np.sqrt((-logq + np.log(1 / delta)) / (2 * m))
    bound = np.where(np.isfinite(bound), bound, np.inf)
    b, ties, codes = _pick(bound, B, mask, maximise=False)
    return _result("occam-srm", b, table, codes, float(bound[codes[0]]), cost, seed, p,
                   {"ties": ties, "bound": float(bound[codes[0]]), "empirical_risk": float(risk[codes[0]]),
                    "score": "Occam bound on the transductive error rate"})
