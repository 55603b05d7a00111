"""Rows that extend the whole trunk run side by side in one pass, and equal explicit prompts.

A chunk's queries after its context all extend the same trunk. :class:`PrefixScorer` runs their
remainders concatenated in one sequence after the trunk, each masked to see the trunk and its own
tokens, instead of a batch holding one copy of the trunk's keys and values per row. These tests
check, on a tiny random Llama-style model, that

* every read equals one uncached pass of its row's prompt (the oracle), at reads inside and after
  the trunk, for remainders of different lengths;
* the rows take one forward pass (two or more only when ``batch_tokens`` bounds the pass), and the
  padded batch path (``side_by_side=False``) gives the same numbers.

The sliding-window model (Gemma 3) is checked in ``tests/test_lm_sliding_window.py``, whose
chunk tests go through this path.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulations.lm.backends.loader import load
from simulations.lm.backends.prefix_scorer import PrefixScorer

TOL = 1e-5  # nats


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", seed=5, threads=1)


def _rows(lm, seed: int):
    enc = lm.tokenizer.encode
    trunk = np.asarray(enc("a context of some demonstrations, long enough to matter"), dtype=np.int64)
    rng = np.random.default_rng(seed)
    rows = []
    for m in (1, 3, 7, 12, 5):
        tok = np.concatenate([trunk, rng.integers(3, 200, m)])
        # the last position, one inside the remainder, and one inside the trunk
        reads = sorted({tok.size - 1, trunk.size + m // 2, trunk.size - 2})
        rows.append((tok, reads))
    return trunk, rows


def _explicit(scorer, tok, reads):
    return np.stack([scorer.explicit_label_logp(tok[:r + 1]) for r in reads])


@pytest.mark.parametrize("seed", [0, 1])
def test_rows_over_the_whole_trunk_equal_explicit_prompts_in_one_pass(lm, seed):
    enc = lm.tokenizer.encode
    scorer = PrefixScorer(lm, [enc(" no")[0], enc(" yes")[0]])
    assert scorer.side_by_side
    trunk, rows = _rows(lm, seed)
    scorer.score_rows(trunk, [(trunk, [trunk.size - 1])])
    calls = scorer.forward_calls
    got = scorer.score_rows(trunk, rows)
    assert scorer.forward_calls - calls == 1
    # no padding: the pass holds exactly the remainders
    for (tok, reads), lp in zip(rows, got):
        assert lp.shape == (len(reads), 2)
        assert np.max(np.abs(lp - _explicit(scorer, tok, reads))) < TOL


def test_a_bounded_pass_splits_and_the_padded_batch_agrees(lm):
    enc = lm.tokenizer.encode
    labels = [enc(" no")[0], enc(" yes")[0]]
    trunk, rows = _rows(lm, 2)
    side = PrefixScorer(lm, labels)
    wide = side.score_rows(trunk, rows)
    # room for the trunk and about one remainder per pass
    tight = PrefixScorer(lm, labels, batch_tokens=trunk.size + 12)
    tight.score_rows(trunk, [(trunk, [trunk.size - 1])])
    calls = tight.forward_calls
    split = tight.score_rows(trunk, rows)
    assert tight.forward_calls - calls >= 3
    padded = PrefixScorer(lm, labels, side_by_side=False)
    assert not padded.side_by_side
    batch = padded.score_rows(trunk, rows)
    for a, b, c in zip(wide, split, batch):
        assert np.max(np.abs(a - b)) < TOL
        assert np.max(np.abs(a - c)) < TOL
