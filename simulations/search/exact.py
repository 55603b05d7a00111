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

Memory: ``Y^n`` is streamed in blocks of ``block`` rows (default 2^18,
:func:`theory.softmax.coherence_blocks`), keeping only the running tie set (and, for the marginal
decoder, running sums), so memory does not grow with ``k^n``; the enumeration limit is a count
(``k^n <= 2^24``, a bound on time), not on memory. Any block size gives the same result.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V
from theory.decoders import TIE_ATOL, StreamingTieSet, item_ties, tied_items
from theory.enumeration import encode
from theory.softmax import BLOCK, coherence_blocks, coherence_of_codes

from .progress import Ticker
from .result import SearchResult, closed_form_joint, resolve


def _admissible(B, labels, constraints, clamp: bool) -> np.ndarray:
    """Rows of ``B`` agreeing with the labels (when ``clamp``) and satisfying the constraints."""
    mask = np.ones(B.shape[0], dtype=bool)
    if clamp and labels:
        idx = np.array(list(labels), dtype=np.int64)
        mask &= np.all(B[:, idx] == np.array(list(labels.values())), axis=1)
    if constraints is not None:
        mask &= constraints.violations(B) == 0
    return mask


def _blocks(model, p, labels, constraints, clamp: bool, ticker=None):
    """``(start, B, table, mask)`` per block of ``Y^n`` (:func:`theory.softmax.coherence_blocks`);
    ``ticker`` advances by one after each block."""
    for start, B, table in coherence_blocks(model, p["order"], p["block"]):
        yield start, B, table, _admissible(B, labels, constraints, clamp)
        if ticker is not None:
            ticker.advance()


def _ticker(model, p, progress, passes: int = 1) -> Ticker:
    """A :class:`Ticker` over ``passes`` passes of the enumeration blocks of ``Y^n``."""
    V.enumerable(model.n, model.k)
    N, block = model.k**model.n, V.positive_int("block", p["block"], 1)
    return Ticker(progress, passes * -(-N // block))


def _cost(model, order) -> int:
    return 0 if (closed_form_joint(model) and order is None) else model.k**model.n * model.n


def _search(model, p, labels, constraints, clamp: bool, objective, maximise: bool = True, blocks=None,
            ticker=None) -> dict:
    """Stream the blocks (default :func:`_blocks`) and keep every admissible maximiser of
    ``objective(B, table)`` (minimiser when not ``maximise``): payloads ``B``, ``table`` and
    ``objective`` of the ties, in code order."""
    best = StreamingTieSet()
    for start, B, table, mask in blocks or _blocks(model, p, labels, constraints, clamp, ticker):
        obj = objective(B, table)
        best.update(start, np.where(mask, obj if maximise else -obj, -np.inf), table=table, objective=obj, B=B)
    if ticker is not None:
        ticker.finish()
    if best.empty:
        raise ValueError("no behaviour vector satisfies the labels and constraints")
    return best.result()[2]


def _result(name, model, found, p, seed, extras) -> SearchResult:
    ties = [b.astype(np.int64) for b in found["B"]]
    return SearchResult(behaviours=ties[0], coherence_trace=np.array([float(found["table"][0])]),
                        score_trace=np.array([float(found["objective"][0])]), accepted=0,
                        evaluations=_cost(model, p["order"]), method=name, seed=seed, params=p,
                        extras={"ties": ties, "enumerated": int(model.k**model.n), **extras})


def exact_argmax(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """``argmax Coh(b)`` over ``Y^n`` (params: ``order`` None|"average", ``clamp`` labels True,
    ``block`` rows per enumeration block)."""
    p = resolve("exact-argmax", params, {"order": None, "clamp": True, "block": BLOCK})
    found = _search(model, p, labels, constraints, p["clamp"], lambda B, t: t, ticker=_ticker(model, p, progress))
    return _result("exact-argmax", model, found, p, seed, {"score": "Coh (nats)"})


def _label_loglik(B, labels, eta: float, k: int) -> np.ndarray:
    if not labels:
        return np.zeros(B.shape[0])
    idx = np.array(list(labels), dtype=np.int64)
    hits = (B[:, idx] == np.array(list(labels.values()))).sum(axis=1)
    m = idx.size
    return hits * np.log1p(-eta) + (m - hits) * np.log(eta / (k - 1))


def _log_posterior(model, labels, p):
    """``(clamp, f)`` with ``f(B, table) = Coh(b) / tau + log P(labels | b)`` (symmetric label noise
    ``eta``; ``eta = 0`` clamps the labelled items instead)."""
    eta = float(p["eta"])
    tau = float(V.positive("tau", p["tau"]))
    if eta != 0.0:
        V.open_unit("eta", eta)

    def f(B, table):
        return table / tau + (_label_loglik(B, labels, eta, model.k) if eta > 0 else 0.0)

    return eta == 0.0, f


def joint_map(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """``argmax_b Coh(b)/tau + log P(labels | b)`` (params ``eta`` label noise, 0 = clamp; ``tau``)."""
    p = resolve("joint-map", params, {"eta": 0.0, "tau": 1.0, "order": None, "block": BLOCK})
    clamp, f = _log_posterior(model, labels, p)
    found = _search(model, p, labels, constraints, clamp, f, ticker=_ticker(model, p, progress))
    return _result("joint-map", model, found, p, seed, {"score": "unnormalised log posterior (nats)"})


def marginal_decoder(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """``b_i = argmax_y P(b_i = y | labels)`` under ``Q_tau`` times the label likelihood.

    ``extras["marginals"]``: the ``(n, k)`` posterior marginals; ``extras["expected_accuracy"]``:
    ``mean_i max_y P(b_i = y | labels)``. Exact ties (within ``tie_atol``, default 1e-9, on the
    marginal probabilities) go to the smaller behaviour in ``behaviours``; ``extras["item_ties"]``
    ``(n, k)`` marks every tied maximiser and ``extras["tied_items"]`` lists the tied items, so
    :meth:`SearchResult.accuracy` is the expected accuracy under a uniform tie-break. Marginals
    are accumulated block by block against a running maximum (a streamed log-sum-exp)."""
    p = resolve("marginal-decoder", params, {"eta": 0.0, "tau": 1.0, "order": None, "tie_atol": TIE_ATOL,
                                             "block": BLOCK})
    atol = V.non_negative("tie_atol", p["tie_atol"])
    clamp, f = _log_posterior(model, labels, p)
    top, marg = -np.inf, np.zeros((model.n, model.k))
    ticker = _ticker(model, p, progress)
    for _, B, table, mask in _blocks(model, p, labels, constraints, clamp, ticker):
        lp = np.where(mask, f(B, table), -np.inf)
        m = float(lp.max())
        if m == -np.inf:
            continue
        if m > top:
            marg *= np.exp(top - m)
            top = m
        w = np.exp(lp - top)
        marg += np.stack([np.bincount(B[:, i], weights=w, minlength=model.k) for i in range(model.n)])
    if top == -np.inf:
        raise ValueError("no behaviour vector satisfies the labels and constraints")
    ticker.finish()
    marg /= marg[0].sum()
    b = marg.argmax(axis=1).astype(np.int64)
    ties = item_ties(marg, atol)
    return SearchResult(behaviours=b, coherence_trace=coherence_of_codes(model, encode(b, model.k)[None], p["order"]),
                        score_trace=np.array([float(marg.max(axis=1).mean())]), accepted=0,
                        evaluations=_cost(model, p["order"]), method="marginal-decoder", seed=seed, params=p,
                        extras={"item_ties": ties, "tied_items": tied_items(ties), "marginals": marg,
                                "expected_accuracy": float(marg.max(axis=1).mean()),
                                "enumerated": int(model.k**model.n), "score": "expected per-item accuracy",
                                # Coh(b) of the decoded vector is computed apart from the streamed table
                                "trace_evaluations": model.n if _cost(model, p["order"]) else 0})


def srm(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """``argmin J_lambda`` (params ``lam`` (default the MAP value ``1/log((1-eta)/eta)`` when
    ``eta`` is given, else 1), ``loss`` "01"|"log", ``eta``, ``tau``)."""
    from theory.srm import label_loss, map_lambda

    p = resolve("srm", params, {"lam": None, "loss": "01", "eta": None, "tau": 1.0, "order": None, "block": BLOCK})
    if not labels:
        raise ValueError("srm needs labels: a non-empty dict {item: behaviour}")
    lam = p["lam"]
    if lam is None:
        lam = map_lambda(p["eta"], model.k) if p["eta"] is not None else 1.0
    lam = V.non_negative("lam", lam)
    tau = float(V.positive("tau", p["tau"]))
    idx = np.array(list(labels), dtype=np.int64)
    ys = np.array(list(labels.values()), dtype=np.int64)

    def J(B, table):
        return label_loss(B, idx, ys, p["loss"], p["eta"], model.k) - lam * table / tau

    found = _search(model, p, labels, constraints, False, J, maximise=False, ticker=_ticker(model, p, progress))
    p["lam"] = lam
    return _result("srm", model, found, p, seed, {"score": "J_lambda (DL part in nats, up to lambda log Z_tau)"})


def _log_partition(blocks, tau: float) -> float:
    """``log sum_b exp(Coh(b) / tau)`` over all of ``Y^n`` (nats), streamed."""
    from scipy.special import logsumexp

    parts = [logsumexp(table / tau) for _, _, table, _ in blocks]
    return float(parts[0] if len(parts) == 1 else logsumexp(parts))


def occam_srm(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """``argmin_b R_S(b) + sqrt((-ln Q_tau(b) + ln(1/delta)) / (2m))`` with ``R_S`` the 0-1 error
    rate on the ``m`` labelled items (params ``delta``, ``tau``). ``extras["bound"]``: the minimum.
    Two passes over ``Y^n``: ``log Z_tau`` first, then the bound (one table when it fits in one block;
    otherwise it is recomputed, and counted twice in ``evaluations``)."""
    p = resolve("occam-srm", params, {"delta": 0.05, "tau": 1.0, "order": None, "block": BLOCK})
    if not labels:
        raise ValueError("occam-srm needs labels: a non-empty dict {item: behaviour}")
    delta = float(V.open_unit("delta", p["delta"]))
    tau = float(V.positive("tau", p["tau"]))
    one_block = model.k**model.n <= V.positive_int("block", p["block"], 1)
    ticker = _ticker(model, p, progress, 1 if one_block else 2)   # the single block is kept for the second pass
    first = _blocks(model, p, labels, constraints, False, ticker)
    first = list(first) if one_block else first
    log_z = _log_partition(first, tau)
    idx = np.array(list(labels), dtype=np.int64)
    ys = np.array(list(labels.values()))
    m = idx.size

    def risk(B):
        return (B[:, idx] != ys).sum(axis=1) / m

    def bound(B, table):
        with np.errstate(invalid="ignore"):
            out = risk(B) + np.sqrt((-(table / tau - log_z) + np.log(1 / delta)) / (2 * m))
        return np.where(np.isfinite(out), out, np.inf)

    found = _search(model, p, labels, constraints, False, bound, maximise=False, blocks=first if one_block else None,
                    ticker=ticker)
    best = float(found["objective"][0])
    res = _result("occam-srm", model, found, p, seed,
                  {"bound": best, "empirical_risk": float(risk(found["B"][:1])[0]),
                   "score": "Occam bound on the transductive error rate"})
    res.evaluations *= 1 if one_block else 2
    return res
