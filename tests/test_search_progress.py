"""``run_search(progress=...)``: every method reports ``done`` of ``total`` in its own units, monotone,
never past ``total``, ending at ``(total, total)``; the callback changes no result; a bad callback
is refused; :class:`StderrBar` writes to stderr only, and ``coherence lm run`` shows it there."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from priors import concept_mixture, simulator
from simulations.search import METHODS, run_search
from simulations.search.gibbs import gibbs
from simulations.search.progress import MAX_CALLS, StderrBar, Ticker

N = 7
LABELS = {0: 1, 1: 0}
#: the arguments each method needs beyond the prior (labels unless it takes none)
NEEDS = {"power-sampling": {}, "debate-adversarial": {"world": np.arange(N) % 2},
         "ccs": {"labels": LABELS, "pairs": [(2, 3), (4, 5)]}}


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))


def check_calls(calls, total=None):
    """The documented contract of the calls one search made."""
    assert calls, "progress was never called"
    totals = {t for _, t in calls}
    assert len(totals) == 1, totals
    (T,) = totals
    if total is not None:
        assert T == total
    done = [d for d, _ in calls]
    assert done[0] == 0
    assert all(0 <= d <= T for d in done)
    assert all(a <= b for a, b in zip(done, done[1:])), done
    assert done[-1] == T and done.count(T) == 1 or T == 0
    assert len(calls) <= MAX_CALLS + 2
    return T


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize("family", ["mixture", "simulator"])
def test_every_method_reports_progress_and_the_callback_changes_nothing(name, family):
    prior = concept_mixture(4, N) if family == "mixture" else simulator(5, N)
    kw = NEEDS.get(name, {"labels": LABELS})
    rec = Recorder()
    with_cb = run_search(name, prior, seed=11, progress=rec, **kw)
    check_calls(rec.calls)
    without = run_search(name, prior, seed=11, **kw)
    assert np.array_equal(with_cb.behaviours, without.behaviours)
    assert np.array_equal(with_cb.coherence_trace, without.coherence_trace)
    assert (with_cb.evaluations, with_cb.accepted) == (without.evaluations, without.accepted)


# total = the method's own work units, from the parameters (independent of the code under test)
UNITS = [
    ("gibbs", {"sweeps": 9}, 9),
    ("annealed-gibbs", {"sweeps": 6}, 6),
    ("gibbs-rho", {"sweeps": 4}, 4),
    ("bootstrap", {"sweeps": 17}, 17),
    ("bootstrap-sync", {"rounds": 5}, 5),
    ("icm", {"steps": 23}, 23),
    ("icm-paper", {"steps": 8}, 8),
    ("debate", {"rounds": 4}, 4),
    ("power-sampling", {"steps": 13}, 13),
    ("self-consistency", {}, N - len(LABELS)),          # one unit per sampled (unlabelled) position
    ("self-training", {"rounds": 3}, 4),                 # at most 3 pseudo-labelling fits, then the final fit
    ("ccs", {"restarts": 3}, 3),
    ("exact-argmax", {"block": 10}, math.ceil(2**N / 10)),
    ("joint-map", {"block": 2**N}, 1),
    ("marginal-decoder", {"block": 50}, math.ceil(2**N / 50)),
    ("srm", {"block": 7}, math.ceil(2**N / 7)),
    ("occam-srm", {"block": 10}, 2 * math.ceil(2**N / 10)),   # two passes: log Z, then the bound
    ("occam-srm", {}, 1),                                      # one block, kept for the second pass
    ("zero-shot", {}, 1),
    ("supervised", {}, 1),
]


@pytest.mark.parametrize("name, params, total", UNITS, ids=[f"{m}-{t}" for m, _, t in UNITS])
def test_total_is_the_methods_own_work_units(name, params, total):
    rec = Recorder()
    kw = {**NEEDS.get(name, {"labels": LABELS}), **params}
    res = run_search(name, concept_mixture(2, N), seed=0, progress=rec, **kw)
    check_calls(rec.calls, total)
    if name in ("gibbs", "icm", "power-sampling", "debate", "exact-argmax"):
        # searches that cannot stop early report every unit: 0, 1, ..., total
        assert [d for d, _ in rec.calls] == list(range(total + 1))
    assert np.array_equal(res.behaviours, run_search(name, concept_mixture(2, N), seed=0, **kw).behaviours)


def test_a_fixed_point_jumps_to_total():
    # the bootstrap stops at its first sweep without a change, long before 100 sweeps
    rec = Recorder()
    res = run_search("bootstrap", concept_mixture(2, N), labels=LABELS, progress=rec, sweeps=100)
    assert res.extras["fixed_point"] and res.extras["sweeps_run"] < 100
    assert [d for d, _ in rec.calls] == list(range(res.extras["sweeps_run"] + 1)) + [100]


def test_a_long_search_calls_back_a_bounded_number_of_times():
    rec = Recorder()
    run_search("gibbs", concept_mixture(3, 3), progress=rec, sweeps=5 * MAX_CALLS + 3, trace_every=0)
    check_calls(rec.calls, 5 * MAX_CALLS + 3)
    assert MAX_CALLS // 2 <= len(rec.calls) <= MAX_CALLS + 2


@given(total=st.integers(0, 5000), steps=st.lists(st.integers(0, 50), max_size=300))
@settings(max_examples=150, deadline=None)
def test_ticker_contract(total, steps):
    rec = Recorder()
    t = Ticker(rec, total)
    for s in steps:
        t.advance(s)
    t.finish()
    t.finish()                                   # a second finish calls nothing
    check_calls(rec.calls, total)
    # what was reported before the end is what was advanced (capped at total)
    assert all(d <= min(total, sum(steps)) for d, _ in rec.calls[:-1])


@pytest.mark.parametrize("bad", [5, "bar", [lambda d, t: None], object()])
def test_a_non_callable_progress_is_refused(bad):
    with pytest.raises(ValueError, match="progress"):
        run_search("gibbs", concept_mixture(0, 4), progress=bad)
    with pytest.raises(ValueError, match="progress"):    # the method itself checks too
        gibbs(concept_mixture(0, 4), progress=bad)


def test_stderr_bar_writes_to_stderr_only(capsys):
    with StderrBar("gibbs test bar") as bar:
        res = run_search("gibbs", concept_mixture(1, 5), progress=bar, sweeps=12)
    cap = capsys.readouterr()
    assert cap.out == ""
    assert "gibbs test bar" in cap.err and "/12" in cap.err
    assert res.behaviours.shape == (5,)


def test_stderr_bar_is_closed_when_the_search_raises(capsys):
    bar = StderrBar("failing")
    with pytest.raises(ValueError, match="sweeps"):
        with bar:
            bar(0, 3)
            run_search("gibbs", concept_mixture(1, 5), progress=bar, sweeps=-1)
    assert bar._bar is None
    assert capsys.readouterr().out == ""


def _lm_run(capsys, *extra):
    from coherence.cli import main

    rc = main(["lm", "run", "--model", "tiny-random", "--task", "comparison", "--method", "icm", "-n", "5",
               "--seed", "1", "--steps", "4", "--device", "cpu", "--threads", "1", "--json", "--no-timing", *extra])
    assert rc == 0
    return capsys.readouterr()


def test_lm_run_shows_progress_on_stderr_and_quiet_silences_it(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    shown = _lm_run(capsys)
    quiet = _lm_run(capsys, "--quiet")
    assert "lm icm" in shown.err and "/4" in shown.err
    assert "lm icm" not in quiet.err
    # stdout is the same one JSON document either way
    assert shown.out == quiet.out
    assert json.loads(shown.out)["method"] == "icm"
