"""An exact arithmetic coder driven by a pretrained model's sequential conditionals.

Behaviour ``b_{s(t)}`` is coded with the model's conditional given the earlier pairs in order
``s``, quantised to integer frequencies with total ``2^PRECISION`` (every symbol keeps at least
one count, so nothing is uncodable). The interval is kept exactly with Python integers, so there
is no renormalisation loss: the code has at most ``ceil(-log2 W) + 1`` bits, where ``W`` is the
final interval width, hence

    len(code) <= -Coh_s(b) / ln 2 + 2 + n * O(2^-PRECISION)    bits.

Decoding replays the same conditionals on the decoded prefix, so it is exact for any prior whose
``log_conditional`` reads only the demonstrations it is given (the interface contract).
"""
from __future__ import annotations

import numpy as np

from . import validation as V

PRECISION = 48


def _frequencies(logp: np.ndarray) -> list:
    """Integer frequencies ``f_y >= 1`` summing to ``2^PRECISION``, ``f_y ≈ p_y 2^PRECISION``."""
    total = 1 << PRECISION
    k = logp.size
    p = np.exp(logp - np.max(logp))
    p = p / p.sum()
    f = [int(np.floor(py * (total - k))) + 1 for py in p]
    f[int(np.argmax(p))] += total - sum(f)
    return f


def _steps(prior, order):
    s = np.arange(prior.n) if order is None else V.order("order", order, prior.n)
    return s


def _conditional(prior, prefix_vec, s, t):
    return np.asarray(prior.log_conditional(prefix_vec[None], int(s[t]), s[:t]))[0]


def encode(prior, b, order=None) -> np.ndarray:
    """Arithmetic code of the behaviour vector ``b`` (shape ``(n,)``) as a uint8 array of bits."""
    b = V.behaviours(np.asarray(b).reshape(-1), prior.n, prior.k, name="b")
    s = _steps(prior, order)
    T = 1 << PRECISION
    low, width, denom_bits = 0, 1, 0
    prefix = np.zeros(prior.n, dtype=np.int64)
    for t in range(prior.n):
        f = _frequencies(_conditional(prior, prefix, s, t))
        y = int(b[s[t]])
        low = low * T + sum(f[:y]) * width
        width = f[y] * width
        denom_bits += PRECISION
        prefix[s[t]] = y
    # shortest dyadic interval [c/2^l, (c+1)/2^l) inside [low, low + width) / 2^denom_bits
    length = max(0, denom_bits - width.bit_length())
    while True:
        shift = denom_bits - length
        c = -((-low) >> shift) if shift >= 0 else low << -shift  # ceil(low / 2^shift)
        if ((c + 1) << shift if shift >= 0 else (c + 1) >> -shift) <= low + width:
            break
        length += 1
    return np.array([(c >> (length - 1 - j)) & 1 for j in range(length)], dtype=np.uint8)


def decode(prior, bits, order=None) -> np.ndarray:
    """Invert :func:`encode`: the behaviour vector ``(n,)`` whose code is ``bits``."""
    bits = np.asarray(bits, dtype=np.int64).reshape(-1)
    if bits.size and (bits.min() < 0 or bits.max() > 1):
        raise ValueError("bits must be 0/1")
    length = bits.size
    c = 0
    for v in bits:
        c = (c << 1) | int(v)
    s = _steps(prior, order)
    T = 1 << PRECISION
    low, width, denom_bits = 0, 1, 0
    out = np.zeros(prior.n, dtype=np.int64)
    for t in range(prior.n):
        f = _frequencies(_conditional(prior, out, s, t))
        denom_bits += PRECISION
        # code point c / 2^length; find y with low' <= point < low' + width'
        lhs_scale = c << max(0, denom_bits - length)
        rhs_shift = max(0, length - denom_bits)
        base = low * T
        cum = 0
        for y, fy in enumerate(f):
            lo = (base + cum * width) << rhs_shift
            hi = (base + (cum + fy) * width) << rhs_shift
            if lo <= lhs_scale < hi:
                break
            cum += fy
        else:  # pragma: no cover - impossible for a valid code
            raise ValueError("bits are not a valid code for this prior and order")
        low, width = base + cum * width, fy * width
        out[s[t]] = y
    return out


def code_length_bits(prior, b, order=None) -> int:
    """Length in bits of :func:`encode`'s code for ``b``."""
    return int(encode(prior, b, order).size)
