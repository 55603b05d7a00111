"""Word-polarity tasks from the VADER sentiment lexicon (the PyPI package ``vaderSentiment``, MIT).

``vader_lexicon.txt`` holds 7,520 tokens, each with the mean of 10 human valence ratings on
``-4..+4``, their standard deviation and the ratings themselves (Hutto & Gilbert, ICWSM 2014).
An item is one alphabetic word; its gold label is the sign of the mean rating (1 positive,
0 negative; words rated exactly 0 are left out).

Knobs:

* salience ``|mean valence|`` in a bin (:data:`SALIENCE_BINS`): strongly valenced words are the
  ones a small model knows;
* ``max_std``: drop words the raters disagreed on;
* a fixed split: ``dev`` (about 30% of the words, chosen by a hash of the word, so it never
  depends on a seed) is where prompt formats are chosen; ``test`` is where results are reported.

Variants (``variant``):

* ``polarity``: gold = sign of the valence, balanced (``n/2`` of each sign);
* ``nonsalient``: the same kind of words with labels drawn at random (balanced): no concept to
  find, chance expected;
* ``salient-wrong``: each word is shown with an emoticon that contradicts its gold label with
  probability ``p`` (``:)`` after a negative word, ``:(`` after a positive one) and agrees
  otherwise: a salient surface concept that disagrees with gold on a fraction ``p`` (regime R3).

Contrast pairs (:func:`contrast_pairs`, the ``polarity-pairs`` task): a word and its negated form
by a prefix (``trust`` / ``distrust``, ``fair`` / ``unfair``), kept only where the raters gave the
two opposite signs. The constraint "exactly one word of each pair is positive" excludes the
constant labellings, and on its own (under a uniform prior) it is right on half the items.
"""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: salience bins on |mean valence| (inclusive bounds)
SALIENCE_BINS = {"high": (2.0, 4.0), "mid": (1.2, 2.0), "low": (0.5, 1.2)}
VARIANTS = ("polarity", "nonsalient", "salient-wrong")
#: negating prefixes tried for contrast pairs (longest first, so "dis" is not read as "di" + ...)
PREFIXES = ("dis", "mis", "non", "un", "in", "im", "il", "ir")


@dataclass(frozen=True)
class Entry:
    """One lexicon row: the word, its mean valence and rating standard deviation."""

    word: str
    valence: float
    std: float


def lexicon_path() -> Path:
    """``vader_lexicon.txt`` inside the installed ``vaderSentiment`` package."""
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or spec.origin is None:
        raise ValueError("VADER tasks need the PyPI package vaderSentiment: pip install --no-deps vaderSentiment")
    p = Path(spec.origin).parent / "vader_lexicon.txt"
    if not p.is_file():
        raise ValueError(f"vaderSentiment is installed but {p} is missing")
    return p


def load_lexicon(path=None) -> list:
    """Alphabetic entries (lower-case words of 3+ letters, nonzero mean) of the lexicon, in file
    order; a word listed twice keeps its last row, as VADER's own analyser does."""
    text = Path(path or lexicon_path()).read_text(encoding="utf-8", errors="replace")
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        w = parts[0]
        if not (w.isalpha() and w.islower() and len(w) >= 3 and w.isascii()):
            continue
        v, s = float(parts[1]), float(parts[2])
        out.pop(w, None)
        if v != 0.0:
            out[w] = Entry(w, v, s)
    return list(out.values())


def split_of(word: str) -> str:
    """``dev`` for about 30% of the words (by a hash of the word), else ``test``."""
    h = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big")
    return "dev" if h % 10 < 3 else "test"


def select(entries, *, salience: str = "high", max_std: float = 1.0, split: str = "test") -> list:
    """Entries in the salience bin, with rating std <= ``max_std``, in the split."""
    if salience not in SALIENCE_BINS:
        raise ValueError(f"salience must be one of {sorted(SALIENCE_BINS)}, got {salience!r}")
    if split not in ("dev", "test"):
        raise ValueError(f"split must be 'dev' or 'test', got {split!r}")
    lo, hi = SALIENCE_BINS[salience]
    return [e for e in entries if lo <= abs(e.valence) <= hi and e.std <= max_std and split_of(e.word) == split]


def sample_words(n: int, seed: int, *, salience: str = "high", max_std: float = 1.0, split: str = "test",
                 entries=None) -> list:
    """``n`` entries, ``n // 2`` negative and ``n - n // 2`` positive, in random order.

    Raises ``ValueError`` naming ``n`` when the bin holds too few words of either sign."""
    pool = select(load_lexicon() if entries is None else entries, salience=salience, max_std=max_std, split=split)
    neg = sorted((e for e in pool if e.valence < 0), key=lambda e: e.word)
    pos = sorted((e for e in pool if e.valence > 0), key=lambda e: e.word)
    n_neg, n_pos = n // 2, n - n // 2
    if len(neg) < n_neg or len(pos) < n_pos:
        raise ValueError(f"n = {n} needs {n_neg} negative and {n_pos} positive words, but salience {salience!r}, "
                         f"max_std {max_std}, split {split!r} holds {len(neg)} and {len(pos)}")
    rng = np.random.default_rng(seed)
    picked = [neg[i] for i in rng.choice(len(neg), n_neg, replace=False)]
    picked += [pos[i] for i in rng.choice(len(pos), n_pos, replace=False)]
    return [picked[i] for i in rng.permutation(n)]


def polarity_items(n: int, seed: int, *, variant: str = "polarity", salience: str = "high",
                   max_std: float = 1.0, split: str = "test", p: float = 0.8):
    """``(words shown, gold labels (n,), salience |valence| (n,))`` for one variant.

    ``words shown`` are what fills the template's ``{word}`` slot (with the emoticon in the
    salient-wrong variant)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    entries = sample_words(n, seed, salience=salience, max_std=max_std, split=split)
    words = [e.word for e in entries]
    gold = np.array([int(e.valence > 0) for e in entries], dtype=np.int64)
    sal = np.array([abs(e.valence) for e in entries])
    rng = np.random.default_rng([seed, 7])
    if variant == "nonsalient":
        gold = rng.permutation(np.arange(n) % 2).astype(np.int64)
    elif variant == "salient-wrong":
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        wrong = rng.random(n) < p
        shown_positive = np.where(wrong, 1 - gold, gold)  # the emoticon's own label
        words = [f"{w} {':)' if s else ':('}" for w, s in zip(words, shown_positive)]
    return words, gold, sal


def contrast_pairs(entries, *, max_std: float = 1.0, split: str = "test", min_abs: float = 0.5) -> list:
    """Disjoint ``(base, negated)`` entry pairs where ``negated`` is ``prefix + base`` for a prefix
    in :data:`PREFIXES` and the two mean valences have opposite signs.

    Both words need ``|valence| >= min_abs`` and std ``<= max_std``; the pair's split is its base
    word's. A word already used keeps its first pair (pairs taken in sorted order of the negated
    word), so every word is in at most one pair."""
    if split not in ("dev", "test"):
        raise ValueError(f"split must be 'dev' or 'test', got {split!r}")
    by_word = {e.word: e for e in entries}
    used, out = set(), []
    for w in sorted(by_word):
        e = by_word[w]
        for pre in PREFIXES:
            b = by_word.get(w[len(pre):]) if w.startswith(pre) else None
            if b is None or b.word in used or w in used:
                continue
            ok = (b.valence > 0) != (e.valence > 0) and min(abs(b.valence), abs(e.valence)) >= min_abs
            if ok and max(b.std, e.std) <= max_std and split_of(b.word) == split:
                out.append((b, e))
                used.update((b.word, w))
    return out


def pair_items(n: int, seed: int, *, max_std: float = 1.0, split: str = "test"):
    """``(words (n,), gold (n,), salience (n,), pair id (n,))`` for ``n / 2`` random contrast
    pairs (:func:`contrast_pairs`), the ``n`` words in random order.

    Raises ``ValueError`` naming ``n`` when it is odd or the split holds fewer than ``n / 2`` pairs."""
    pairs = contrast_pairs(load_lexicon(), max_std=max_std, split=split)
    if n % 2 or n // 2 > len(pairs):
        raise ValueError(f"n must be even and at most {2 * len(pairs)} (the contrast pairs with max_std "
                         f"{max_std} in split {split!r}), got {n}")
    rng = np.random.default_rng([seed, 11])
    chosen = [pairs[i] for i in rng.choice(len(pairs), n // 2, replace=False)]
    flat = [(e, q) for q, pair in enumerate(chosen) for e in pair]
    flat = [flat[i] for i in rng.permutation(n)]
    words = [e.word for e, _ in flat]
    gold = np.array([int(e.valence > 0) for e, _ in flat], dtype=np.int64)
    sal = np.array([abs(e.valence) for e, _ in flat])
    return words, gold, sal, np.array([q for _, q in flat], dtype=np.int64)


def random_pair_items(n: int, seed: int, *, max_std: float = 1.0, split: str = "test", min_abs: float = 0.5):
    """The control of :func:`pair_items` with no surface rule: ``n / 2`` pairs of one positive and
    one negative word paired at random, as ``(words, gold, salience, pair id)``.

    The words have ``|valence| >= min_abs`` and std ``<= max_std``, lie in ``split``, begin with
    none of the :data:`PREFIXES` and are the stem of no prefixed lexicon word, so no pair shares a
    stem and no prefix marks the negative word (in every contrast pair it does). Raises
    ``ValueError`` naming ``n`` when it is odd or the split holds too few words of either sign."""
    entries = load_lexicon()
    words = {e.word for e in entries}
    stems = {w[len(pre):] for w in words for pre in PREFIXES if w.startswith(pre)}
    pool = [e for e in entries if abs(e.valence) >= min_abs and e.std <= max_std and split_of(e.word) == split
            and not e.word.startswith(PREFIXES) and e.word not in stems]
    pos = sorted((e for e in pool if e.valence > 0), key=lambda e: e.word)
    neg = sorted((e for e in pool if e.valence < 0), key=lambda e: e.word)
    if n % 2 or n // 2 > min(len(pos), len(neg)):
        raise ValueError(f"n must be even and at most {2 * min(len(pos), len(neg))} (random pairs with max_std "
                         f"{max_std} in split {split!r}), got {n}")
    rng = np.random.default_rng([seed, 13])
    p = [pos[i] for i in rng.choice(len(pos), n // 2, replace=False)]
    q = [neg[i] for i in rng.choice(len(neg), n // 2, replace=False)]
    flat = [(e, k) for k, pair in enumerate(zip(p, q)) for e in pair]
    flat = [flat[i] for i in rng.permutation(n)]
    return ([e.word for e, _ in flat], np.array([int(e.valence > 0) for e, _ in flat], dtype=np.int64),
            np.array([abs(e.valence) for e, _ in flat]), np.array([k for _, k in flat], dtype=np.int64))
