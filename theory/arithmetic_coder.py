"""Arithmetic coding of behaviour vectors with a pretrained model's sequential conditionals.

Behaviour ``b_{s(t)}`` is coded with the model's conditional given the earlier pairs in order
``s``. Two coders share one interface (``exact=True`` / ``exact=False``):

* **exact** (the oracle): probabilities quantised to integer frequencies with total
  ``2^PRECISION`` (every symbol keeps at least one count); the interval is kept exactly with
  Python integers, so there is no renormalisation loss and

      len(code) <= -Coh_s(b) / ln 2 + 2 + n * O(2^-PRECISION)    bits.

  Exact but slow: the integers grow to ``48 n`` bits, so the cost is quadratic in ``n``.
* **fast**: `constriction <https://pypi.org/project/constriction/>`_'s range coder (Rust core,
  64-bit state, 32-bit words, probabilities quantised to 24 bits; the ``[peers]`` extra). Its
  code is a whole number of 32-bit words; the excess over ``-Coh_s(b)/ln 2`` is measured by the
  ``coder-vs-constriction`` benchmark and tested (within 2% at ``n = 2000``).

Codes are uint8 arrays of bits (a fast code is its words, most significant bit first).
Decoding replays the same conditionals on the decoded prefix, so it is exact for any prior whose
``log_conditional`` reads only the demonstrations it is given (the interface contract).
:func:`encode_rows` / :func:`decode_rows` code with conditionals computed beforehand.
"""
from __future__ import annotations

import numpy as np

from . import validation as V

PRECISION = 48


def _frequencies(prob: np.ndarray) -> list:
    """Integer frequencies ``f_y >= 1`` summing to ``2^PRECISION``, ``f_y ≈ p_y 2^PRECISION``
    (``p`` = ``prob`` renormalised)."""
    total = 1 << PRECISION
    k = prob.size
    p = prob / prob.sum()
    f = [int(np.floor(py * (total - k))) + 1 for py in p]
    f[int(np.argmax(p))] += total - sum(f)
    return f


def _steps(prior, order):
    V.prior("prior", prior)
    return np.arange(prior.n) if order is None else V.order("order", order, prior.n)


def _conditional(prior, prefix_vec, s, t):
    """The conditional probabilities of step ``t`` given the prefix: ``(k,)``."""
    logp = np.asarray(prior.log_conditional(prefix_vec[None], int(s[t]), s[:t]))[0]
    return np.exp(logp - logp.max())


def _categorical():
    try:
        import constriction
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        raise ModuleNotFoundError("exact=False needs constriction: pip install 'coherence-toolkit[peers]'") from exc
    return constriction, constriction.stream.model.Categorical(perfect=False)


def _bits(c: int, length: int) -> np.ndarray:
    return np.array([(c >> (length - 1 - j)) & 1 for j in range(length)], dtype=np.uint8)


# -- exact coder: interval kept in Python integers ----------------------------------------------
def _exact_encode(P, symbols) -> np.ndarray:
    T = 1 << PRECISION
    low, width, denom_bits = 0, 1, 0
    for prob, y in zip(P, symbols):
        f = _frequencies(prob)
        low = low * T + sum(f[:y]) * width
        width = f[y] * width
        denom_bits += PRECISION
    # shortest dyadic interval [c/2^l, (c+1)/2^l) inside [low, low + width) / 2^denom_bits
    length = max(0, denom_bits - width.bit_length())
    while True:
        shift = denom_bits - length
        c = -((-low) >> shift) if shift >= 0 else low << -shift  # ceil(low / 2^shift)
        if ((c + 1) << shift if shift >= 0 else (c + 1) >> -shift) <= low + width:
            break
        length += 1
    return _bits(c, length)


class _ExactDecoder:
    def __init__(self, bits):
        self.length = bits.size
        self.c = 0
        for v in bits:
            self.c = (self.c << 1) | int(v)
        self.low, self.width, self.denom_bits = 0, 1, 0

    def step(self, prob) -> int:
        f = _frequencies(prob)
        self.denom_bits += PRECISION
        # code point c / 2^length; find y with low' <= point < low' + width'
        lhs = self.c << max(0, self.denom_bits - self.length)
        rhs_shift = max(0, self.length - self.denom_bits)
        base = self.low * (1 << PRECISION)
        cum = 0
        for y, fy in enumerate(f):
            if (base + cum * self.width) << rhs_shift <= lhs < (base + (cum + fy) * self.width) << rhs_shift:
                break
            cum += fy
        else:  # pragma: no cover - impossible for a valid code
            raise ValueError("bits are not a valid code for this prior and order")
        self.low, self.width = base + cum * self.width, fy * self.width
        return y


# -- fast coder: constriction's range coder ----------------------------------------------------
def _fast_encode(P, symbols) -> np.ndarray:
    constriction, cat = _categorical()
    enc = constriction.stream.queue.RangeEncoder()
    try:
        enc.encode(symbols.astype(np.int32), cat, np.ascontiguousarray(P))
    except (ValueError, KeyError) as exc:   # constriction checks rows (nan, inf, no mass) and symbols
        raise ValueError(f"{ROWS_MESSAGE}; symbols must lie in [0, {P.shape[1] - 1}] ({exc})") from None
    return np.unpackbits(enc.get_compressed().astype(">u4").view(np.uint8))


class _FastDecoder:
    def __init__(self, bits):
        if bits.size % 32:
            raise ValueError(f"bits: a fast code is a whole number of 32-bit words, got {bits.size} bits")
        constriction, self.cat = _categorical()
        words = np.packbits(bits.astype(np.uint8)).view(">u4").astype(np.uint32)
        self.dec = constriction.stream.queue.RangeDecoder(words)

    def step(self, prob) -> int:
        return int(self.dec.decode(self.cat, np.asarray(prob, dtype=np.float64)[None])[0])


# -- interface ---------------------------------------------------------------------------------
ROWS_MESSAGE = "probs must be an (n, k) array of finite non-negative rows, each with positive mass"


def _rows(probs, full_check: bool = True) -> np.ndarray:
    """``probs`` as float64; ``full_check=False`` checks only the shape and the sign (what
    constriction does not), leaving nan, inf and massless rows to constriction's own check."""
    P = np.asarray(probs, dtype=np.float64)
    if P.ndim != 2 or P.size == 0 or not P.min() >= 0:         # nan fails the comparison too
        raise ValueError(ROWS_MESSAGE)
    # row sums by a matrix-vector product (a reduction over a short last axis is much slower)
    if full_check and not (P.max() < np.inf and (P @ np.ones(P.shape[1])).min() > 0):
        raise ValueError(ROWS_MESSAGE)
    return P


def encode_rows(probs, symbols, exact: bool = True) -> np.ndarray:
    """Code ``symbols[t]`` with the probabilities ``probs[t]`` (``(n, k)`` rows, each renormalised;
    a zero keeps a minimal codable mass); returns the code as a uint8 array of bits."""
    P = _rows(probs, full_check=exact)
    y = np.asarray(symbols).reshape(-1)
    if y.size != P.shape[0] or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"symbols must be {P.shape[0]} integers (one per row of probs)")
    if exact:
        if y.min() < 0 or y.max() >= P.shape[1]:
            raise ValueError(f"symbols must lie in [0, {P.shape[1] - 1}]")
        return _exact_encode(P, y.astype(np.int64).tolist())
    return _fast_encode(P, y)


def decode_rows(probs, bits, exact: bool = True) -> np.ndarray:
    """Invert :func:`encode_rows` when the rows are known beforehand: the ``(n,)`` symbols."""
    P = _rows(probs)
    dec = _decoder(bits, exact)
    return np.array([dec.step(row) for row in P], dtype=np.int64)


def _decoder(bits, exact: bool):
    bits = np.asarray(bits, dtype=np.int64).reshape(-1)
    if bits.size and (bits.min() < 0 or bits.max() > 1):
        raise ValueError("bits must be 0/1")
    return _ExactDecoder(bits) if exact else _FastDecoder(bits)


def encode(prior, b, order=None, exact: bool = True) -> np.ndarray:
    """Arithmetic code of the behaviour vector ``b`` (shape ``(n,)``) as a uint8 array of bits;
    ``exact=False`` uses constriction's range coder (fast; needs the ``[peers]`` extra)."""
    s = _steps(prior, order)
    b = V.behaviours(np.asarray(b).reshape(-1), prior.n, prior.k, name="b")
    prefix = np.zeros(prior.n, dtype=np.int64)
    rows = np.empty((prior.n, prior.k))
    for t in range(prior.n):
        rows[t] = _conditional(prior, prefix, s, t)
        prefix[s[t]] = b[s[t]]
    return encode_rows(rows, b[s], exact=exact)


def decode(prior, bits, order=None, exact: bool = True) -> np.ndarray:
    """Invert :func:`encode` (same ``exact``): the behaviour vector ``(n,)`` whose code is ``bits``."""
    dec = _decoder(bits, exact)
    s = _steps(prior, order)
    out = np.zeros(prior.n, dtype=np.int64)
    for t in range(prior.n):
        out[s[t]] = dec.step(_conditional(prior, out, s, t))
    return out


def code_length_bits(prior, b, order=None, exact: bool = True) -> int:
    """Length in bits of :func:`encode`'s code for ``b``."""
    return int(encode(prior, b, order, exact=exact).size)
