"""Contrast pairs from the VADER lexicon (``polarity-pairs``), checked against an independent
reading of the raw file: every pair is a word and its prefix-negated form with opposite rated
signs, pairs are disjoint, and the task's constraint and leak are what the chunked searches use."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.lm.searches.chunked import project, violations
from simulations.lm.tasks.constraints import constraint_leak
from simulations.lm.tasks.registry import make_task
from simulations.lm.tasks.constraint_choice import task_constraint

if importlib.util.find_spec("vaderSentiment") is None:
    pytest.skip("the [data] extra (vaderSentiment) is not installed", allow_module_level=True)

from simulations.lm.tasks import vader  # noqa: E402


@pytest.fixture(scope="module")
def raw():
    """word -> (mean, std) of the last row, for lower-case alphabetic words, read from the file."""
    spec = importlib.util.find_spec("vaderSentiment")
    out = {}
    for line in (Path(spec.origin).parent / "vader_lexicon.txt").read_text("utf-8", "replace").splitlines():
        cols = line.split("\t")
        if len(cols) == 4 and cols[0].isalpha() and cols[0].islower():
            out[cols[0]] = (float(cols[1]), float(cols[2]))
    return out


@pytest.mark.parametrize("split", ["dev", "test"])
def test_pairs_are_prefix_negations_with_opposite_rated_signs(raw, split):
    pairs = vader.contrast_pairs(vader.load_lexicon(), split=split)
    words = [w for b, e in pairs for w in (b.word, e.word)]
    assert len(words) == len(set(words)), "a word in two pairs"
    for b, e in pairs:
        assert any(e.word == p + b.word for p in ("dis", "mis", "non", "un", "in", "im", "il", "ir"))
        (vb, sb), (ve, se) = raw[b.word], raw[e.word]
        assert (vb > 0) != (ve > 0) and min(abs(vb), abs(ve)) >= 0.5 and max(sb, se) <= 1.0
        assert vader.split_of(b.word) == split
    # independent count: every (base, prefixed) candidate in the raw file that passes the filters;
    # in this lexicon no word takes part in two such candidates, so the count equals the pairs'
    cand = {(w[len(p):], w) for w in raw for p in ("dis", "mis", "non", "un", "in", "im", "il", "ir")
            if w.startswith(p) and w[len(p):] in raw and len(w) - len(p) >= 3}
    ok = {(b, w) for b, w in cand if (raw[b][0] > 0) != (raw[w][0] > 0) and raw[b][0] * raw[w][0] != 0
          and min(abs(raw[b][0]), abs(raw[w][0])) >= 0.5 and max(raw[b][1], raw[w][1]) <= 1.0
          and vader.split_of(b) == split}
    assert {(b.word, e.word) for b, e in pairs} <= ok
    assert len(pairs) >= 0.9 * len(ok)
    assert len(pairs) >= 32, "the split must hold n = 64"


@settings(max_examples=15, deadline=None)
@given(half=st.integers(1, 32), seed=st.integers(0, 10_000))
def test_task_has_one_positive_word_per_pair(half, seed):
    t = make_task("polarity-pairs", 2 * half, seed)
    g, gold = t.groups, t.gold
    assert sorted(np.bincount(g)) == [2] * half
    assert all(gold[g == q].sum() == 1 for q in range(half))
    assert task_constraint(t) == "groups"
    assert t.inconsistent_pairs(gold) == [] and t.inconsistent_pairs(1 - gold) == []
    assert len(t.inconsistent_pairs(np.ones(t.n, int))) == half
    assert violations(gold, "groups", g) == 0 and violations(np.zeros(t.n, int), "groups", g) == half
    # the constraint on its own is right on half the items; projecting gold's sign keeps gold
    assert constraint_leak("groups", gold, g) == pytest.approx(0.5)
    assert np.array_equal(project(np.where(gold == 1, 1.0, -1.0), "groups", g), gold)


def test_same_seed_same_items_and_errors_name_n():
    a, b = make_task("polarity-pairs", 16, 3), make_task("polarity-pairs", 16, 3)
    assert [i.choice for i in a.items] == [i.choice for i in b.items]
    assert [i.choice for i in make_task("polarity-pairs", 16, 4).items] != [i.choice for i in a.items]
    for n in (7, 2 * len(vader.contrast_pairs(vader.load_lexicon())) + 2):
        with pytest.raises(ValueError, match="n must be even"):
            make_task("polarity-pairs", n, 0)


def test_docs_state_the_pair_counts():
    """docs/lm.md quotes the number of contrast pairs per split: it must be the lexicon's."""
    import re

    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "lm.md").read_text().split())
    m = re.search(r"disjoint pairs: (\d+) in the test split, (\d+) in dev", text)
    assert m, "docs/lm.md no longer states the pair counts"
    lex = vader.load_lexicon()
    assert (int(m.group(1)), int(m.group(2))) == (len(vader.contrast_pairs(lex, split="test")),
                                                  len(vader.contrast_pairs(lex, split="dev")))


def test_random_pairs_control_has_no_surface_rule():
    """polarity-random-pairs: one positive and one negative word per pair (gold from the lexicon),
    no word begins with a negation prefix or is the stem of a prefixed word, the same constraint
    as polarity-pairs with the same leak, and the same words for the same seed."""
    from simulations.lm.tasks.vader import PREFIXES, load_lexicon

    t = make_task("polarity-random-pairs", 64, 0)
    words = [it.choice for it in t.items]
    valence = {e.word: e.valence for e in load_lexicon()}
    assert t.gold.tolist() == [int(valence[w] > 0) for w in words]
    for q in np.unique(t.groups):
        assert sorted(t.gold[t.groups == q].tolist()) == [0, 1]
    lexicon = set(valence)
    assert not any(w.startswith(PREFIXES) for w in words)
    assert not any(pre + w in lexicon for w in words for pre in PREFIXES)
    assert task_constraint(t) == "groups"
    from simulations.lm.tasks.constraints import constraint_leak

    assert constraint_leak("groups", t.gold, t.groups) == 0.5
    assert [i.choice for i in make_task("polarity-random-pairs", 64, 0).items] == words
    assert [i.choice for i in make_task("polarity-random-pairs", 64, 1).items] != words
    with pytest.raises(ValueError, match="n must be even"):
        make_task("polarity-random-pairs", 63, 0)
