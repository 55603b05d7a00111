"""The fresh check: a polished end judged again on orders it was not chosen on.

* the sequential screen refuses a losing move on its first look and passes a clear gain, with the
  paired mean and standard error recomputed here;
* on a prior whose polish orders flatter the polished end (the failure seen on Gemma), the
  polish climb stays there and the fresh check moves to the better neighbour; on a flat prior
  with order noise it rarely moves;
* extending a table computed without the check gives what the full searches with the check
  give, cell by cell, on a tiny model (labels, certificates, Coh);
* a decided comparison whose labelling changed is found stale and grown again;
* the setting is checked by name (the CLI's refusal is tested with ``--confirm-orders``'s).
"""
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from simulations.lm.results.decisive_orders import stale
from simulations.lm.searches.chunked import SCREEN_STREAM, confirmation_orders, polish_orders
from simulations.lm.searches.certified import run_fresh_check
from simulations.lm.searches.fresh_check import FIRST_LOOK, SCREEN_T, check_fresh_orders, fresh_climb, screen
from simulations.lm.searches.local_climb import climb


class Tabled:
    """Per-order Coh = ``value(b)`` + noise of sd ``sd`` fixed by the labelling's and the order's
    bytes, plus ``bonus`` nats for labelling ``flattered`` on the rows of ``flattering`` orders."""

    def __init__(self, n, value, sd=0.3, flattered=None, flattering=(), bonus=0.0):
        self.n, self.value, self.sd, self.bonus = n, value, sd, bonus
        self.flattered = None if flattered is None else np.asarray(flattered).tolist()
        self.flattering = {tuple(int(x) for x in o) for o in flattering}
        self.calls = 0

    def coherence_over_orders(self, b, orders):
        b = np.asarray(b, dtype=np.int64)
        out = []
        for o in np.atleast_2d(orders):
            self.calls += 1
            key = [int(x) for x in b] + [int(x) for x in o]
            v = self.value(b) + self.sd * np.random.default_rng(key).normal()
            if b.tolist() == self.flattered and tuple(int(x) for x in o) in self.flattering:
                v += self.bonus
            out.append(v)
        return np.array(out)


TARGET = np.array([1, 0, 1, 1, 0, 1])


def distance_value(b):
    return -float(np.sum(np.asarray(b) != TARGET))


def test_the_screen_refuses_a_loss_at_once_and_passes_a_clear_gain():
    prior = Tabled(6, distance_value)
    S = confirmation_orders(6, 16, 0, 0, SCREEN_STREAM)
    current = {"labels": TARGET ^ np.array([0, 0, 0, 0, 0, 1]), "per_order": np.zeros(0)}
    worse = TARGET ^ np.array([1, 0, 0, 0, 0, 1])
    out = screen(prior.coherence_over_orders, worse, current, S)
    assert not out["passed"] and out["orders"] == FIRST_LOOK and out["gain"] < 0
    assert len(current["per_order"]) == FIRST_LOOK  # the current labelling was scored on the first look only
    out = screen(prior.coherence_over_orders, TARGET, current, S)
    d = prior.coherence_over_orders(TARGET, S[:out["orders"]]) - prior.coherence_over_orders(
        current["labels"], S[:out["orders"]])
    assert out["passed"] and out["gain"] == pytest.approx(d.mean())
    assert out["se"] == pytest.approx(d.std(ddof=1) / np.sqrt(d.size))
    assert out["gain"] > SCREEN_T * out["se"] and out["gain"] == pytest.approx(1.0, abs=0.5)


def test_the_fresh_check_leaves_the_end_the_polish_orders_flatter():
    n, seed = 6, 0
    P = polish_orders(n, 8, seed)
    end = TARGET ^ np.array([0, 0, 1, 0, 0, 0])  # one flip from the best labelling
    prior = Tabled(n, distance_value, flattered=end, flattering=P, bonus=3.0)

    def on_polish(b):
        return float(prior.coherence_over_orders(b, P).mean())

    stuck = climb(on_polish, end, "none", odds=np.zeros(n), max_checks=n)
    assert stuck["steps"] == 0  # the polish orders hold it: the step to TARGET reads -2 nats there
    out = run_fresh_check(prior, end, "none", np.zeros(n), seed=seed, max_checks=n)
    assert out["labels"].tolist() == TARGET.tolist() and out["steps"] == 1
    assert out["certificate"] == {"checked": n, "total": n, "improving": 0, "screened": 0, "orders": 16}


def test_without_its_confirmation_the_screen_alone_moves_more_often_on_a_flat_prior():
    alone = confirmed = 0
    for seed in range(40):
        start = np.random.default_rng(seed).integers(0, 2, 6)
        alone += fresh_climb(Tabled(6, lambda b: 0.0, sd=1.0), start, "none", np.zeros(6), seed=seed,
                             max_checks=6)["steps"]
        confirmed += run_fresh_check(Tabled(6, lambda b: 0.0, sd=1.0), start, "none", np.zeros(6), seed=seed,
                                     max_checks=6)["steps"]
    assert alone > confirmed, (alone, confirmed)


def test_the_fresh_check_rarely_moves_on_a_flat_prior():
    moved = 0
    for seed in range(40):
        prior = Tabled(6, lambda b: 0.0, sd=1.0)
        start = np.random.default_rng(seed).integers(0, 2, 6)
        moved += run_fresh_check(prior, start, "none", np.zeros(6), seed=seed, max_checks=6)["steps"] > 0
    # each of 6 null moves must pass a screen at 2 standard errors and a confirmation at 1
    assert moved <= 8, moved


def test_fresh_orders_are_checked_by_name():
    assert check_fresh_orders(0) == 0 and check_fresh_orders(4) == 4 and check_fresh_orders(16) == 16
    for bad in (1, 2, 3, 12, -2, True, 4.0):
        with pytest.raises(ValueError, match="fresh orders must be 0 \\(no fresh check\\) or a power of two >= 4"):
            check_fresh_orders(bad)


def test_a_changed_labelling_makes_its_grown_comparison_stale():
    entry = {"per_order": {"gold": [1.0, 2.0, 3.0, 4.0], "cell": [0.5, 0.5, 0.7, 0.1]}}
    assert stale(entry, {"gold": [1.0, 2.0], "cell": [0.5, 0.5]}) == []
    assert stale(entry, {"gold": [1.0, 2.0], "cell": [0.5, 0.6]}) == ["cell"]
    assert stale(entry, {"gold": [1.0, 2.0, 3.0, 4.0, 5.0], "cell": [0.5]}) == ["gold"]
    # float rounding of a reused prefix is not a change
    assert stale(entry, {"gold": [1.0001, 2.0], "cell": [0.5, 0.4999]}) == []


torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

# a polish on one order, its moves unconfirmed: an end the fresh check moves (polarity-low, seed 2)
SMALL = dict(model="tiny-random", n=12, chunk=4, sweeps=2, shots=2, random_labellings=2, coh_orders=3,
             debate_check_items=0, polish_orders=1, confirm_orders=0, checks=4)
METHODS = ["chunked-bootstrap", "chunked-icm", "coherence", "coherence-free"]
TASKS = ["polarity-low", "polarity-pairs"]


@pytest.fixture(scope="module")
def lm():
    from simulations.lm.backends.loader import load

    return load("tiny-random", device="cpu", threads=1)


def _without_cost(fresh):
    return {k: v for k, v in fresh.items() if k not in ("forward_tokens", "seconds")}


def test_extending_a_table_gives_what_the_searches_with_the_check_give(lm, tmp_path):
    from simulations.lm.results import table as T

    old_cfg = T.TableConfig(dtype=lm.dtype, fresh_orders=0, **SMALL)
    new_cfg = T.TableConfig(dtype=lm.dtype, fresh_orders=8, **SMALL)
    assert old_cfg.key() != new_cfg.key()
    old = T.run_table(lm, old_cfg, TASKS, METHODS, [0, 2], tmp_path / "old", quiet=True)
    ext = T.run_table(lm, new_cfg, TASKS, METHODS, [0, 2], tmp_path / "ext", quiet=True,
                      carry_from=T.table_path(tmp_path / "old", old_cfg))
    full = T.run_table(lm, new_cfg, TASKS, METHODS, [0, 2], tmp_path / "full", quiet=True)
    assert ext["carried_from"] == {"config": asdict(old_cfg), "extended": ["fresh_orders"]}
    moved = 0
    for key, rec in full["runs"].items():
        got = ext["runs"][key]
        if rec["method"] not in T.CERTIFIED:
            assert got == old["runs"][key]  # carried as it was
            continue
        assert got["labels"] == rec["labels"] and got["accuracy"] == rec["accuracy"]
        assert _without_cost(got["fresh"]) == _without_cost(rec["fresh"])
        assert got["certificate"] == rec["certificate"] and got["search_failure"] == rec["search_failure"]
        assert got["coherence"] == pytest.approx(rec["coherence"], abs=1e-6)
        assert got["search_coherence"] == pytest.approx(rec["search_coherence"], abs=1e-6)
        moved += got["labels"] != old["runs"][key]["labels"]
    for key, land in full["landscapes"].items():
        a, b = ext["landscapes"][key]["gold_climb"], land["gold_climb"]
        assert a["labels"] == b["labels"] and a["local_maximum"] == b["local_maximum"]
        assert _without_cost(a["fresh"]) == _without_cost(b["fresh"])
        assert a["gain"] == pytest.approx(b["gain"], abs=1e-6)
    assert moved >= 1  # the check moved some end, so the comparison above is not of unchanged files
    # a file written before the setting existed ran without the check, and is computed again so
    from simulations.lm.results.recheck import recheck

    legacy = json.loads(T.table_path(tmp_path / "old", old_cfg).read_text())
    del legacy["config"]["fresh_orders"]
    (key,) = [k for k, r in full["runs"].items() if r["labels"] != old["runs"][k]["labels"]]
    t, m, s = key.split("|")
    assert recheck(lm, legacy, t, m, int(s))["labels_equal"] is True
    # nothing is left to extend: a rerun computes nothing
    again = T.run_table(lm, new_cfg, TASKS, METHODS, [0, 2], tmp_path / "ext", quiet=True)
    assert json.dumps(again["runs"], sort_keys=True) == json.dumps(ext["runs"], sort_keys=True)


#: the table whose certified end on polarity-random-pairs, seed 1, was a search failure before the
#: fresh check (committed, or superseded by its extension)
BEFORE = "gemma3-270m-n64-67de312543.json"


def _before():
    from pathlib import Path

    from simulations.lm.results.table_file import read_table_file

    lm_dir = Path(__file__).resolve().parents[1] / "figures" / "data" / "lm"
    (path,) = [p for p in (lm_dir / BEFORE, lm_dir / "superseded" / BEFORE) if p.exists()]
    return read_table_file(path)


def test_docs_state_the_search_failure_the_fresh_check_answers():
    """docs/lm.md: the certified end's accuracy, its grown comparison with gold, and its polish
    certificate, read from the table it was computed in."""
    d = _before()
    r = d["runs"]["polarity-random-pairs|coherence|1"]
    c = d["decisive"]["polarity-random-pairs|1"]["comparisons"]["polarity-random-pairs|coherence|1~gold"]
    lo, hi = c["ci"]
    assert c["verdict"] == "below" and c["orders"] == 24
    cert = r["certificate"]
    assert cert["improving"] == 0
    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "lm.md").read_text().split())
    assert (f"the certified ascent ended three pairs from gold (accuracy {r['accuracy']:.3f}), tied with gold on the "
            f"landscape's {len(r['coherence_per_order'])} orders and {-c['diff']:.2f} [{-hi:.2f}, {-lo:.2f}] nats "
            f"below it on {c['orders']}. Its polish had checked the {cert['checked']} best-ranked of its "
            f"{cert['total']} moves and found none that improved on its {d['config']['polish_orders']} polish "
            "orders.") in text
    assert r["vs_gold"]["ci"][1] > 0  # tied on the landscape's orders
    assert np.sum(np.asarray(r["labels"]) != np.asarray(d["landscapes"]["polarity-random-pairs|1"]["gold"])) == 6


@pytest.mark.slow
def test_the_gemma_end_the_polish_orders_flatter_says_what_docs_say():
    """fresh_check.py and docs/lm.md, on Gemma itself: at the certified end of polarity-random-pairs
    (seed 1, accuracy 0.906) the move towards gold ranks first in context, reads -0.30 +- 1.03
    nats on the 8 polish orders, -0.58 +- 0.74 on the first 2 screen orders and +1.26 +- 0.53 on
    the first 8 (seed 1's stream, step 0)."""
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.backends.loader import load
    from simulations.lm.searches.certified import move_odds
    from simulations.lm.searches.local_climb import moves, rank
    from simulations.lm.tasks.formats import format_named
    from simulations.lm.tasks.registry import make_task

    d = _before()
    r = d["runs"]["polarity-random-pairs|coherence|1"]
    assert round(r["accuracy"], 3) == 0.906 and r["certificate"]["improving"] == 0
    task = make_task("polarity-random-pairs", 64, 1)
    task = task.with_format(format_named(task.family, d["formats"]["polarity-random-pairs"]["chosen"]))
    assert task.fingerprint() == d["landscapes"]["polarity-random-pairs|1"]["task_sha256"]
    end = np.asarray(r["labels"])
    cand = moves(end, "groups", task.relation_groups("groups"))
    nearer = [i for i, c in enumerate(cand) if np.sum(c != task.gold) < np.sum(end != task.gold)]
    gemma = load("gemma3-270m", device="cpu", threads=1, dtype="float32")
    prior = prior_for(gemma, task)
    first = int(rank(cand, end, move_odds(prior, "in-context", None, 8, 1)(end))[0])
    assert first in nearer and len(nearer) == 3  # three pairs from gold; the first-ranked move mends one
    for orders, k, want in ((polish_orders(64, 8, 1), 8, (-0.30, 1.03)),
                            (confirmation_orders(64, 8, 1, 0, SCREEN_STREAM), 2, (-0.58, 0.74)),
                            (confirmation_orders(64, 8, 1, 0, SCREEN_STREAM), 8, (1.26, 0.53))):
        diff = prior.coherence_over_orders(cand[first], orders[:k]) - prior.coherence_over_orders(end, orders[:k])
        assert (round(diff.mean(), 2), round(diff.std(ddof=1) / np.sqrt(k), 2)) == want


def _extended(prefix: str, before: str):
    """The committed table whose name starts with ``prefix``, extended by the fresh check from
    ``before`` (kept in ``superseded/``), and what the check did there: ``(path, content, moved,
    tokens)`` with the ends it moved (certified constrained, free, climbs from gold) and its
    forward tokens per end; every one of the 63 ends ran it to a certified stop."""
    from simulations.lm.results.table_file import read_table_file

    lm_dir = Path(__file__).resolve().parents[1] / "figures" / "data" / "lm"
    (path,) = [p for p in lm_dir.glob(f"{prefix}-n64-*.json")]
    d = read_table_file(path)
    assert d["carried_from"]["extended"] == ["fresh_orders"] and d["extends"] == [before]
    assert (lm_dir / "superseded" / before).exists()
    cells = [r for r in d["runs"].values() if r["method"] in ("coherence", "coherence-free")]
    climbs = [land["gold_climb"] for land in d["landscapes"].values()]
    assert len(cells) == 42 and len(climbs) == 21
    assert all(c["fresh"]["orders"] == 16 and c["fresh"]["certificate"]["improving"] == 0 for c in cells + climbs)
    moved = {m: sum(r["fresh"]["steps"] > 0 for r in cells if r["method"] == m)
             for m in ("coherence", "coherence-free")}
    moved["climb"] = sum(c["fresh"]["steps"] > 0 for c in climbs)
    return path, d, moved, [c["fresh"]["forward_tokens"] for c in cells + climbs]


def _lm_doc() -> str:
    """docs/lm.md with its line breaks and runs of spaces folded to single spaces."""
    return " ".join((Path(__file__).resolve().parents[1] / "docs" / "lm.md").read_text().split())


def test_docs_state_what_the_fresh_check_did_to_gemmas_table():
    """docs/lm.md: the ends the check moved in the extended Gemma table, its cost, and the end that
    had been a search failure, read from the committed files (P3's grown comparison for it)."""
    from simulations.lm.results.predictions import p3
    from simulations.lm.results.table_file import read_table_file

    path, d, moved, tokens = _extended("gemma3-270m", BEFORE)
    lm_dir = path.parent
    r = d["runs"]["polarity-random-pairs|coherence|1"]
    c = d["decisive"]["polarity-random-pairs|1"]["comparisons"]["polarity-random-pairs|coherence|1~gold"]
    assert c["verdict"] == "tied" and not r["search_failure"]
    lo, hi = c["ci"]
    res, text = p3(d), _lm_doc()
    assert (f"Extended so, Gemma's table (`{path.name}`, which `extends` the rerun) changed {moved['coherence']} of "
            f"its 21 constrained certified ends, {moved['coherence-free']} of its 21 free ones and {moved['climb']} "
            f"of its 21 climbs from gold. The check cost {min(tokens):,}-{max(tokens):,} forward tokens per end, "
            f"{sum(tokens):,} in all.") in text
    assert (f"The end on `polarity-random-pairs` (seed 1) took the move that mends one pair and ends two pairs from "
            f"gold (accuracy {r['accuracy']:.3f}), {c['diff']:.2f} [{lo:.2f}, {hi:.2f}] nats from gold on "
            f"{c['orders']} grown orders: tied, no longer a search failure.") in text
    was = read_table_file(path.parent / "superseded" / BEFORE)
    r0, w0 = d["runs"]["polarity-random-pairs|coherence|0"], was["runs"]["polarity-random-pairs|coherence|0"]
    assert r0["fresh"]["steps"] == 1
    assert (f"on seed 0 the same task's end went from accuracy {w0['accuracy']:.3f} to {r0['accuracy']:.3f}.") in text
    ns = [d["landscapes"][f"polarity-nonsalient|{s}"]["gold_climb"] for s in (0, 2)]
    assert all(c["fresh"]["steps"] > 0 and c["gain"] > 0 for c in ns)
    assert (f"on the nonsalient control (seeds 0 and 2) they reach accuracies {ns[0]['accuracy']:.2f} and "
            f"{ns[1]['accuracy']:.2f}.") in text
    grown = [row for row in res["rows"] if row["method"] == "coherence" and row["grown"]]
    above = sum(row["vs_gold"]["verdict"] == "above" for row in grown)
    assert sum(row["vs_gold"]["verdict"] == "below" for row in grown) == 0
    assert f"The certified ascent's grown ends lie above gold in {above} of {len(grown)} cases, never below." in text
    assert res["search_failures"] == 0
    assert [p3(read_table_file(f))["search_failures"] for f in sorted(lm_dir.glob("*-n64-*.json"))] == [0, 0]
    assert (f"P3 still fails on Gemma (agreement {res['agreement']}, climb agreement {res['climb_agreement']}), "
            f"with {res['search_failures']} search failures") in text


def test_docs_state_what_the_fresh_check_did_to_smollm2s_table():
    """docs/lm.md: the ends the check moved in the extended SmolLM2 table, its cost, P3 and the
    certified ascent's grown ends against gold, read from the committed file."""
    from simulations.lm.results.predictions import p3

    path, d, moved, tokens = _extended("smollm2", "smollm2-n64-2ed297a649.json")
    res, text = p3(d), _lm_doc()
    verdicts = [row["vs_gold"]["verdict"] for row in res["rows"] if row["method"] == "coherence" and row["grown"]]
    assert (f"Extended the same way, SmolLM2's table (`{path.name}`, which `extends` its rerun) changed "
            f"{moved['coherence']} of its 21 constrained certified ends, {moved['coherence-free']} of its 21 free ones "
            f"and {moved['climb']} of its 21 climbs from gold, for {min(tokens):,}-{max(tokens):,} forward tokens per "
            f"end, {sum(tokens):,} in all.") in text
    assert (f"P3 {res['verdict']} on SmolLM2 (agreement {res['agreement']}, climb agreement {res['climb_agreement']}), "
            f"with {res['search_failures']} search failures; its certified ascent's grown ends lie above gold in "
            f"{verdicts.count('above')} of {len(verdicts)} cases and below in {verdicts.count('below')}.") in text


def test_docs_state_the_certified_end_the_fresh_check_moved_on_smollm2():
    """docs/lm.md: the one constrained certified end the check moved on SmolLM2, its accuracy
    before (the superseded file) and after, and its grown comparison with gold."""
    from simulations.lm.results.predictions import p3
    from simulations.lm.results.table_file import read_table_file

    path, d, moved, _ = _extended("smollm2", "smollm2-n64-2ed297a649.json")
    old = read_table_file(path.parent / "superseded" / "smollm2-n64-2ed297a649.json")
    (key,) = [k for k, r in d["runs"].items() if r["method"] == "coherence" and r["fresh"]["steps"] > 0]
    task, _, seed = key.split("|")
    (row,) = [r for r in p3(d)["rows"] if r["method"] == "coherence" and r["task"] == task and r["seed"] == int(seed)]
    g = row["vs_gold"]
    climb = d["landscapes"][f"{task}|{seed}"]["gold_climb"]
    assert g["orders"] == 24 and g["verdict"] == "above" and climb["steps"] == 0 and climb["fresh"]["steps"] == 0
    assert (f"The end it moved, `{task}` seed {seed}, went from accuracy {old['runs'][key]['accuracy']:.3f} to "
            f"{d['runs'][key]['accuracy']:.3f}, and 24 grown orders put it {g['diff']:+.2f} [{g['ci'][0]:+.2f}, "
            f"{g['ci'][1]:+.2f}] nats above gold, while the climb from gold took no step") in _lm_doc()
