"""Confirming a polish move on fresh orders (the winner's curse of the certified search's polish).

* a climb takes a move only when ``confirm`` accepts it, calls ``confirm`` only for moves that
  improve the objective, and counts the refused ones in its certificate;
* :func:`~simulations.lm.searches.certified.confirmation` is the paired rule it states, recomputed
  here from the prior on the orders of the stream it names;
* on an objective that is flat but for order noise, a polish on 8 orders climbs the noise and a
  confirmed one does not (seeded, so the counts are fixed);
* the table key holds ``confirm_orders`` and ``--carry-from`` moves a file of the earlier rule to it;
* ``--confirm-orders 1`` is refused by name before any model loads.
"""
import json

import numpy as np
import pytest

from simulations.lm.searches.certified import CONFIRM_T, confirmation
from simulations.lm.searches.chunked import confirmation_orders, polish_orders
from simulations.lm.searches.local_climb import climb


def test_a_refused_move_is_not_taken_and_is_counted():
    target = np.array([1, 0, 1, 1])

    def f(b):
        return -float(np.sum((np.asarray(b) - target) ** 2))

    start = np.array([1, 0, 1, 0])
    calls = []

    def refuse(candidate, current, step):
        calls.append((np.asarray(candidate).tolist(), np.asarray(current).tolist(), step))
        return False

    out = climb(f, start, "none", odds=np.zeros(4), max_checks=4, confirm=refuse)
    assert out["steps"] == 0 and out["labels"].tolist() == start.tolist()
    # only the one improving move (flip item 3) is put to confirm; the other three lower f
    assert calls == [([1, 0, 1, 1], [1, 0, 1, 0], 0)]
    assert out["certificate"] == {"checked": 4, "total": 4, "improving": 0, "unconfirmed": 1}
    taken = climb(f, start, "none", odds=np.zeros(4), max_checks=4, confirm=lambda c, b, s: True)
    assert taken["labels"].tolist() == target.tolist() and taken["steps"] == 1
    assert taken["certificate"]["unconfirmed"] == 0
    assert "unconfirmed" not in climb(f, start, "none", odds=np.zeros(4), max_checks=4)["certificate"]


class NoisyFlat:
    """A prior whose every labelling has the same coherence but for noise of sd 1 nat per (labelling,
    order), fixed by the labelling's and the order's bytes: what a search's orders add to a flat landscape."""

    n = 8

    def coherence_over_orders(self, b, orders):
        b = np.asarray(b, dtype=np.int64)
        out = []
        for o in np.atleast_2d(orders):
            key = [int(x) for x in b] + [int(x) for x in o]
            out.append(np.random.default_rng(key).normal())
        return np.array(out)


def test_confirmation_is_the_paired_rule_on_fresh_orders():
    prior = NoisyFlat()
    a, b = np.array([1, 0, 1, 0, 1, 0, 1, 0]), np.array([0, 1, 1, 0, 1, 0, 1, 0])
    confirm = confirmation(prior, 6, seed=3)
    for step in range(6):
        F = confirmation_orders(8, 6, 3, step)
        assert F.shape == (6, 8) and all(sorted(o) == list(range(8)) for o in F.tolist())
        d = prior.coherence_over_orders(a, F) - prior.coherence_over_orders(b, F)
        assert confirm(a, b, step) == bool(d.mean() > CONFIRM_T * d.std(ddof=1) / np.sqrt(6))
    # fresh orders at every step, and none of them the polish orders
    assert confirmation_orders(8, 6, 3, 0).tolist() != confirmation_orders(8, 6, 3, 1).tolist()
    assert not set(map(tuple, confirmation_orders(8, 6, 3, 0).tolist())) & set(map(tuple, polish_orders(8, 6, 3)))
    assert confirm(a, a, 0) is False  # no gain is never confirmed
    assert confirmation(prior, 0, 3) is None
    for bad in (1, -1, 2.5, True):
        with pytest.raises(ValueError, match="confirm orders must be 0"):
            confirmation(prior, bad, 3)


def test_a_confirmed_polish_does_not_climb_the_noise_of_its_orders():
    """On a flat landscape every move a polish takes is noise. Over 20 seeds, the polish on 8
    orders takes a move from most starts (55 moves in all); confirmed on 8 fresh orders it takes a
    quarter as many (14): the one-standard-error rule lets about one noise move in six through."""
    prior = NoisyFlat()
    plain, confirmed = 0, 0
    for seed in range(20):
        P = polish_orders(8, 8, seed)

        def f(b):
            return float(prior.coherence_over_orders(b, P).mean())

        start = np.random.default_rng(seed).integers(0, 2, 8)
        plain += climb(f, start, "none", odds=np.zeros(8), max_checks=8)["steps"]
        confirmed += climb(f, start, "none", odds=np.zeros(8), max_checks=8,
                           confirm=confirmation(prior, 8, seed))["steps"]
    assert plain >= 40 and confirmed <= plain // 3, (plain, confirmed)


def test_the_table_keys_its_confirmation_and_carries_a_file_of_the_earlier_rule():
    from simulations.lm.results import table as T
    from simulations.lm.results import table_carry as C

    cfg = T.TableConfig(model="tiny-random", n=8)
    assert cfg.confirm_orders == 8 and T.TableConfig(model="tiny-random", n=8, confirm_orders=0).key() != cfg.key()
    with pytest.raises(ValueError, match="confirm orders must be 0"):
        T.TableConfig(confirm_orders=1)
    from dataclasses import asdict

    legacy = {"config": {k: v for k, v in asdict(cfg).items() if k != "confirm_orders"}, "formats": {},
              "landscapes": {"polarity-high|0": {"orders": [[0]], "gold_climb": {}}},
              "runs": {"polarity-high|coherence|0": {"method": "coherence"},
                       "polarity-high|zero-shot|0": {"method": "zero-shot"}}}
    new = C.carry_over(legacy, cfg)  # ranked in context, taken unconfirmed: only the confirmation differs
    assert set(new["runs"]) == {"polarity-high|zero-shot|0"}
    assert "gold_climb" not in new["landscapes"]["polarity-high|0"]
    with pytest.raises(ValueError, match="already takes its moves as this run would"):
        C.carry_over({**legacy, "config": asdict(cfg)}, cfg)
    with pytest.raises(ValueError, match="only move_rank, confirm_orders, fresh_orders may differ"):
        C.carry_over(legacy, T.TableConfig(model="tiny-random", n=8, chunk=2))
    assert json.dumps(new["carried_from"]["config"], sort_keys=True) == json.dumps(legacy["config"], sort_keys=True)


@pytest.mark.parametrize("flag, value, words", [
    ("--confirm-orders", "1", "--confirm-orders must be 0 (no confirmation) or an integer >= 2, got 1"),
    ("--fresh-orders", "3", "--fresh-orders must be 0 (no fresh check) or a power of two >= 4, got 3")])
def test_move_settings_out_of_range_are_refused_by_name_before_the_model_loads(monkeypatch, capsys, tmp_path, flag,
                                                                               value, words):
    from coherence.cli import main

    monkeypatch.setattr("simulations.lm.backends.loader.load", lambda *a, **k: pytest.fail("the model loaded"))
    for argv in (["lm", "table", "--model", "tiny-random", "--tasks", "polarity-high", "--out", str(tmp_path)],
                 ["lm", "run", "--model", "tiny-random", "--task", "polarity-high", "--method", "coherence"],
                 ["lm", "diagnose", "--model", "tiny-random", "--task", "polarity-high"]):
        assert main(argv + [flag, value]) == 2
        err = capsys.readouterr().err
        assert words in err
        assert "Traceback" not in err


def _confirmed_rerun(lm_folder):
    """Gemma's rerun with confirmed moves and no fresh check: committed, or superseded by the file
    that extends it with the fresh check."""
    from simulations.lm.results.rerun_report import committed_tables

    name = "gemma3-270m-n64-67de312543.json"
    (path,) = [f for f in [*committed_tables(lm_folder), lm_folder / "superseded" / name]
               if f.name == name and f.exists()]
    return path


def test_the_confirmed_gemma_cell_says_what_docs_say():
    """docs/lm.md and certified.py: Gemma's polarity-high seed-0 cell, ranked in context, gained
    2.46 nats on its polish orders unconfirmed and ended 3.10 [1.07, 5.13] nats below gold held
    out; with each move confirmed it ends one swap from gold, tied with gold held out."""
    from pathlib import Path

    from simulations.lm.results.table_file import read_table_file

    root = Path(__file__).resolve().parents[1]
    old = read_table_file(root / "figures/data/lm/superseded/gemma3-270m-n64-0aa1c9a1d8.json")
    new = read_table_file(_confirmed_rerun(root / "figures/data/lm"))
    assert "confirm_orders" not in old["config"] and new["config"]["confirm_orders"] == 8
    was, r = old["runs"]["polarity-high|coherence|0"], new["runs"]["polarity-high|coherence|0"]
    start = max(s["polish_end"] for s in was["starts"] if s["polish_end"] is not None)
    assert round(was["search_coherence"] - start, 2) == 2.46 and was["polish_steps"] == 2 and was["search_failure"]
    gold = np.array(new["landscapes"]["polarity-high|0"]["gold"])
    assert int(np.sum(np.array(r["labels"]) != gold)) == 2  # one swap from gold
    assert not r["search_failure"] and r["polish_steps"] == 1 and r["certificate"]["unconfirmed"] == 3
    lo, hi = r["vs_gold"]["ci"]
    assert lo < 0 < hi
    claim = (f"takes {r['polish_steps']} polish move, refuses {r['certificate']['unconfirmed']} moves of its last pass "
             f"that improved on the polish orders alone, and ends one swap from gold at accuracy {r['accuracy']:.3f}, "
             f"{r['vs_gold']['diff']:.2f} [{lo:.2f}, {hi:.2f}] nats from gold on the held-out orders: tied with gold, "
             f"no longer a search failure ({r['seconds']:.0f} s, {r['forward_tokens']:,} forward tokens)")
    text = " ".join((root / "docs" / "lm.md").read_text().split())
    assert claim in text
    doc = " ".join((root / "simulations/lm/searches/certified.py").read_text().split())
    assert f"gold, {r['vs_gold']['diff']:.2f} [{lo:.2f}, {hi:.2f}] nats from it held out" in doc
    assert "took 2 moves that gained 2.46 nats on its 8 polish orders" in doc


def test_a_step_scores_its_current_labelling_once_for_all_its_candidates():
    calls = []

    class Counting(NoisyFlat):
        def coherence_over_orders(self, b, orders):
            calls.append(np.asarray(b).tolist())
            return super().coherence_over_orders(b, orders)

    confirm = confirmation(Counting(), 4, seed=0)
    current = np.zeros(8, dtype=np.int64)
    a, b = current.copy(), current.copy()
    a[0], b[1] = 1, 1
    first = [confirm(a, current, 0), confirm(b, current, 0)]
    assert calls == [current.tolist(), a.tolist(), b.tolist()]
    # the same answers as a fresh rule, which scores the current labelling again
    assert first == [confirmation(NoisyFlat(), 4, seed=0)(a, current, 0),
                     confirmation(NoisyFlat(), 4, seed=0)(b, current, 0)]
    confirm(a, current, 1)  # a new step: new orders, so the current labelling is scored again
    assert calls[3:] == [current.tolist(), a.tolist()]


def test_the_rerun_report_names_how_each_file_took_its_moves(tmp_path):
    """A file written before ``confirm_orders`` (and ``move_rank``) existed is reported with the values it
    ran with: moves ranked by the zero-shot log-odds, confirmed on 0 fresh orders."""
    import shutil
    from pathlib import Path

    from simulations.lm.results.rerun_report import rerun_block

    root = Path(__file__).resolve().parents[1] / "figures/data/lm"
    folder = tmp_path / "in-progress"
    folder.mkdir()
    rerun = _confirmed_rerun(root)
    for src in (root / "superseded/gemma3-270m-n64-fbbf9bf83a.json", rerun):
        shutil.copy(src, folder)
    text = rerun_block(folder)
    assert ("`in-progress/gemma3-270m-n64-fbbf9bf83a.json` (gemma3-270m, n = 64, 8 polish orders, moves ranked "
            "zero-shot and confirmed on 0 fresh orders, no fresh check)") in text
    assert ("`in-progress/gemma3-270m-n64-67de312543.json` (gemma3-270m, n = 64, 8 polish orders, moves ranked "
            "in-context and confirmed on 8 fresh orders, no fresh check)") in text
