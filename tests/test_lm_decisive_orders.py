"""P3's comparisons grown to a target standard error (``coherence lm decide``).

* :func:`grow` against a direct computation: the grown comparison equals the paired comparison
  over the first ``K`` evaluation orders computed from scratch, ``K`` is the first doubling whose
  standard error meets the target (or the maximum), stored orders are reused and never
  recomputed, identical labellings are scored once, and a token budget stops the growth;
* on a tiny random model, ``lm decide`` stores per-order Coh equal to the model's own Coh over
  the grown orders, P3 judges on the grown comparisons, a second run computes nothing, and a
  table run that writes the file afterwards keeps them;
* bad input is refused by its flag, before any model loads.
"""
import json

import numpy as np
import pytest

from simulations.lm.results.decisive_orders import comparison_key, grow, landscape_comparisons
from simulations.lm.searches.coherence_estimate import CohConfig, evaluation_orders, paired

N, SEED = 10, 3


class Synthetic:
    """Coh_s(b) = sum_t w[s(t)] * b[s(t)] + noise(s): a labelling's order-to-order spread comes
    from the noise of each order, shared by all labellings (so paired differences are sharper);
    counts the orders it scores."""

    def __init__(self, spread=3.0):
        self.w = np.linspace(-1, 1, N)
        self.spread = spread
        self.scored = []

    def __call__(self, b, orders):
        self.scored.append((tuple(b), [tuple(o) for o in orders]))
        out = []
        for o in orders:
            rng = np.random.default_rng(list(o))
            # the order's own noise, times a labelling-dependent factor so that differences vary
            out.append(float(self.w @ b + self.spread * rng.normal() * (1 + 0.1 * b.sum())))
        return np.array(out)

    def direct(self, b, k):
        return [float(v) for v in Synthetic(self.spread)(np.asarray(b), evaluation_orders(N, k, SEED))]


def _labellings():
    a = np.array([0, 1] * 5)
    return {"a": a, "b": 1 - a, "c": np.array([1] * 7 + [0] * 3), "a-again": a.copy()}


@pytest.mark.parametrize("target", [0.05, 0.3, 5.0])
def test_grown_comparisons_equal_a_direct_computation_at_the_first_k_meeting_the_target(target):
    coh = Synthetic()
    L = _labellings()
    cfg = CohConfig(orders=3, target_se=target, max_orders=24)
    known = {name: coh.direct(b, 3) for name, b in L.items() if name != "c"}  # c has nothing stored
    pairs = [("a", "b"), ("c", "b"), ("a-again", "a")]
    res = grow(coh, L, known, pairs, n=N, seed=SEED, config=cfg)
    for a, b in pairs:
        got = res["comparisons"][(a, b)]
        # the oracle: the first K in 3, 6, 12, 24 whose paired standard error meets the target
        for k in (3, 6, 12, 24):
            ref = paired(coh.direct(L[a], k), coh.direct(L[b], k))
            if ref["se"] <= target or k == 24:
                break
        assert got["orders"] == k
        assert got["diff"] == pytest.approx(ref["diff"], abs=1e-12) and got["se"] == pytest.approx(ref["se"], abs=1e-12)
        assert got["target_met"] == (ref["se"] <= target)
    assert res["comparisons"][("a-again", "a")]["se"] == 0.0  # identical labellings: no spread
    # stored orders are never scored again, no order is scored twice for one labelling, and the
    # two identical labellings share their scores
    seen = {}
    for b, orders in coh.scored:
        for o in orders:
            assert o not in seen.setdefault(b, set())
            seen[b].add(o)
    first3 = {tuple(o) for o in evaluation_orders(N, 3, SEED)}
    assert not (seen.get(tuple(L["a"]), set()) & first3)
    assert len({b for b, _ in coh.scored} & {tuple(L["a"])}) <= 1
    assert res["per_order"]["a"] == res["per_order"]["a-again"]


def test_a_token_budget_stops_the_growth():
    coh = Synthetic(spread=50.0)
    spent = {"tokens": 0}

    def counting(b, orders):
        spent["tokens"] += 100 * len(orders)
        return coh(b, orders)

    L = _labellings()
    cfg = CohConfig(orders=3, target_se=1e-6, max_orders=24)
    res = grow(counting, L, {}, [("a", "c")], n=N, seed=SEED, config=cfg, tokens=lambda: spent["tokens"],
               token_budget=1000)
    c = res["comparisons"][("a", "c")]
    assert res["budget_spent"] and c["orders"] < 24 and not c["target_met"]
    unbounded = grow(coh, L, {}, [("a", "c")], n=N, seed=SEED, config=cfg)
    assert unbounded["comparisons"][("a", "c")]["orders"] == 24 and not unbounded["budget_spent"]


def test_p3_judges_on_the_grown_comparisons():
    """A search end tied with the climb from gold on the landscape's orders, but below it once the
    orders are grown, leaves the climb agreement and counts as below the climb."""
    from simulations.lm.results.predictions import p3

    gold = [0, 1] * 4
    end = [1, 1, 0, 1, 0, 1, 0, 0]  # accuracy 0.5
    po = [-10.0, -12.0, -11.0]
    const = {"mean": -40.0, "per_order": [-40.0, -41.0, -39.0]}
    land = {"labellings": {"gold": {"mean": -11.0, "per_order": po}, "all-0": const, "all-1": const}, "gold": gold,
            "gold_climb": {"accuracy": 1.0, "labels": gold, "coh": {"per_order": po}}}
    run = {"task": "t", "method": "coherence", "seed": 0, "accuracy": 0.5, "labels": end, "constraint": "balance",
           "coherence": -11.5, "coherence_per_order": [-9.0, -13.5, -12.0]}
    data = {"config": {"model": "m", "n": 8}, "landscapes": {"t|0": land}, "runs": {"t|coherence|0": run}}
    before = p3(data)
    assert before["climb_agreement"] == "0/1" and before["decided"] == "0/1" and before["below_gold_climb"] == 0
    below = {"diff": -2.0, "se": 0.4, "ci": [-2.9, -1.1], "orders": 12, "verdict": "below"}
    tied = {"diff": -0.1, "se": 0.4, "ci": [-1.0, 0.8], "orders": 12, "verdict": "tied"}
    data["decisive"] = {"t|0": {"target_se": 0.5, "per_order": {}, "comparisons": {
        comparison_key("t|coherence|0", "gold"): tied, comparison_key("t|coherence|0", "gold_climb"): below}}}
    after = p3(data)
    assert after["decided"] == "1/1" and after["climb_agreement"] == "0/0" and after["below_gold_climb"] == 1
    assert after["rows"][0]["vs_gold_climb"] == below
    # grown below gold: a search failure the landscape's 3 orders did not show
    data["decisive"]["t|0"]["comparisons"][comparison_key("t|coherence|0", "gold")] = below
    assert p3(data)["search_failures"] == 1 and before["search_failures"] == 0


def test_landscape_comparisons_skip_unconstrained_and_unjudged_methods():
    land = {"gold": [0, 1], "labellings": {"gold": {"per_order": [1.0, 2.0]}},
            "gold_climb": {"labels": [0, 1], "coh": {"per_order": [1.0, 2.0]}}}
    runs = {f"t|{m}|0": {"task": "t", "method": m, "seed": 0, "constraint": c, "labels": [1, 0],
                         "coherence_per_order": [0.0, 0.0]}
            for m, c in (("coherence", "balance"), ("coherence-free", "none"), ("zero-shot", "balance"))}
    what = landscape_comparisons({"landscapes": {"t|0": land}, "runs": runs}, "t|0", ("coherence", "coherence-free"))
    assert what["pairs"] == [("t|coherence|0", "gold"), ("t|coherence|0", "gold_climb")]
    del land["gold_climb"]
    assert landscape_comparisons({"landscapes": {"t|0": land}, "runs": runs}, "t|0", ("coherence",))["pairs"] == []


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from simulations.lm.backends.loader import load
    from simulations.lm.results import table as T

    lm = load("tiny-random", device="cpu", threads=1)
    out = tmp_path_factory.mktemp("decide")
    cfg = T.TableConfig(model="tiny-random", n=8, chunk=4, sweeps=1, shots=2, random_labellings=2, n_dev=8,
                        coh_orders=3, checks=2, polish_orders=2, debate_check_items=0, dtype=lm.dtype,
                        formats={"polarity-high": "word-sentiment"})
    T.run_table(lm, cfg, ["polarity-high"], ["zero-shot", "chunked-bootstrap", "coherence"], [0], out, quiet=True)
    return lm, cfg, T.table_path(out, cfg)


def test_decide_on_a_tiny_model_stores_the_models_own_coh_and_resumes(tiny_table, capsys):
    from coherence.cli import main
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.results import table as T
    from simulations.lm.tasks.formats import format_named
    from simulations.lm.tasks.registry import make_task

    lm, cfg, path = tiny_table
    argv = ["lm", "decide", str(path), "--model", "tiny-random", "--device", "cpu", "--threads", "1",
            "--dtype", lm.dtype, "--target-se", "1e-9", "--max-orders", "12", "--quiet", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["id"] == "P3" and out["decided"] == "2/2"
    data = json.loads(path.read_text())
    entry = data["decisive"]["polarity-high|0"]
    task = make_task("polarity-high", 8, 0)
    prior = prior_for(lm, task.with_format(format_named(task.family, "word-sentiment")))
    S = evaluation_orders(8, 12, 0)
    land = data["landscapes"]["polarity-high|0"]
    names = {"gold": land["gold"], "gold_climb": land["gold_climb"]["labels"],
             "polarity-high|coherence|0": data["runs"]["polarity-high|coherence|0"]["labels"]}
    for name, b in names.items():
        direct = prior.coherence_over_orders(np.asarray(b, dtype=np.int64), S)
        assert np.allclose(entry["per_order"][name], direct, atol=1e-4)
    c = entry["comparisons"][comparison_key("polarity-high|coherence|0", "gold")]
    assert c["orders"] in (3, 12)  # identical labellings stop at once, others grow to the maximum
    # a second run with the same target computes nothing; a table run writing the file keeps it
    assert main(argv) == 0
    capsys.readouterr()
    assert json.loads(path.read_text())["decisive"] == data["decisive"]
    T.run_table(lm, cfg, ["polarity-high"], ["zero-shot", "golden-few-shot"], [0], path.parent, quiet=True)
    assert json.loads(path.read_text())["decisive"] == data["decisive"]
    # a search cell added after the decision is decided by the next run; what was grown is kept
    T.run_table(lm, cfg, ["polarity-high"], ["chunked-icm"], [0], path.parent, quiet=True)
    assert main(argv) == 0
    capsys.readouterr()
    again = json.loads(path.read_text())["decisive"]["polarity-high|0"]
    assert comparison_key("polarity-high|chunked-icm|0", "gold_climb") in again["comparisons"]
    for k, c in entry["comparisons"].items():
        assert again["comparisons"][k] == c
    assert again["per_order"]["gold"] == entry["per_order"]["gold"]


@pytest.mark.parametrize("extra, message", [
    (["--target-se", "0"], "--target-se must be a positive number"),
    (["--target-se", "nan"], "--target-se must be a positive number"),
    (["--max-orders", "2"], "--max-orders must be an integer >= the file's coh_orders (3)"),
    (["--token-budget", "0"], "--token-budget must be an integer >= 1"),
    (["--model", "smollm2"], "--model must be the file's model (tiny-random)"),
])
def test_bad_input_is_refused_by_its_flag_before_the_model_loads(tiny_table, extra, message, capsys, monkeypatch):
    from coherence import lm_options
    from coherence.cli import main

    _, _, path = tiny_table
    monkeypatch.setattr(lm_options, "open_configured", lambda *a, **k: pytest.fail("the model loaded"))
    argv = ["lm", "decide", str(path), "--model", "tiny-random", "--device", "cpu", "--quiet"]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_missing_file_is_refused(tmp_path, capsys):
    from coherence.cli import main

    assert main(["lm", "decide", str(tmp_path / "none.json"), "--model", "tiny-random"]) == 2
    assert "table file" in capsys.readouterr().err


def _table_with_grown(tmp_path):
    """A minimal valid table file: one landscape with its climb from gold, the certified ascent and
    ICM both tied with the climb on 3 orders; grown, the ascent lies below the climb, ICM ties."""
    gold, end = [0, 1] * 4, [1, 1, 0, 1, 0, 1, 0, 0]
    lab = {"mean": -11.0, "per_order": [-10.0, -12.0, -11.0]}
    const = {"mean": -40.0, "per_order": [-40.0, -41.0, -39.0]}
    land = {"labellings": {"gold": lab, "negation": const, "all-0": const, "all-1": const},
            "orders": [list(range(8))] * 3, "gold": gold, "zero_shot_auc": 0.9,
            "gold_climb": {"accuracy": 1.0, "labels": gold, "coh": {"per_order": lab["per_order"]}}}
    runs = {f"t|{m}|0": {"task": "t", "method": m, "seed": 0, "labels": end, "accuracy": 0.5, "coherence": -11.5,
                         "coherence_per_order": [-9.0, -13.5, -12.0], "constraint": "balance",
                         "constraint_leak_accuracy": 0.5, "forward_tokens": 1, "seconds": 1.0}
            for m in ("coherence", "chunked-icm")}
    below = {"diff": -2.0, "se": 0.4, "ci": [-2.9, -1.1], "orders": 12, "verdict": "below", "target_se": 0.5}
    tied = {"diff": -0.1, "se": 0.6, "ci": [-1.4, 1.2], "orders": 24, "verdict": "tied", "target_se": 0.5}
    comps = {comparison_key("t|coherence|0", "gold"): tied, comparison_key("t|coherence|0", "gold_climb"): below,
             comparison_key("t|chunked-icm|0", "gold"): tied, comparison_key("t|chunked-icm|0", "gold_climb"): tied}
    data = {"config": {"model": "m", "n": 8, "coh_orders": 3}, "formats": {"t": {"chosen": "f"}},
            "landscapes": {"t|0": land}, "runs": runs,
            "decisive": {"t|0": {"target_se": 0.5, "per_order": {}, "comparisons": comps, "forward_tokens": 777}}}
    (tmp_path / "m-n8-x.json").write_text(json.dumps(data))
    return data


def test_the_decisive_report_says_where_the_tied_ends_lie_once_grown(tmp_path):
    from simulations.lm.results.rerun_report import decisive_table

    assert decisive_table(tmp_path) == "(no grown comparisons)"
    _table_with_grown(tmp_path)
    text = decisive_table(tmp_path)
    # 2 ends, both tied with the climb on 3 orders; grown: 1 tied, 1 below; orders 12, 24, 24, 24
    assert "| m | t | 2 | 2 | 1 / 1 / 0 / 0 | 24 | 1/4 | 777 |" in text
    assert "P3 on the landscape's orders fails (" in text and "decided 0/2" in text
    assert "decided 2/2" in text and "below_gold_climb 1" in text
    assert "m, the certified ascent's 1 grown ends against gold: 0 above, 1 tied, 0 below." in text


def test_the_docs_state_the_growth_rule_the_code_follows():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    lm_md = " ".join((root / "docs" / "lm.md").read_text().split())
    cli_md = " ".join((root / "docs" / "cli.md").read_text().split())
    c = CohConfig()
    assert (f"doubling them while the paired standard error exceeds {c.target_se} nats, up to {c.max_orders} "
            f"orders") in lm_md
    assert f"on the landscape's {c.orders} evaluation orders" in lm_md
    assert f"`--target-se` nats (default {c.target_se})" in cli_md and f"(default {c.max_orders})" in cli_md


def test_docs_reading_of_smollm2s_grown_comparisons_holds_in_its_file():
    """docs/lm.md: SmolLM2's certified ascent ends below gold nowhere once grown, above it only on
    polarity-low and polarity-high, and every end on capitals-easy stays tied with gold and with
    the climb from gold."""
    from pathlib import Path

    from simulations.lm.results.predictions import p3
    from simulations.lm.results.rerun_report import committed_tables
    from simulations.lm.results.table_file import read_table_file

    root = Path(__file__).resolve().parents[1]
    text = " ".join((root / "docs" / "lm.md").read_text().split())
    assert "SmolLM2's certified ascent ends below gold in none of its cells once grown" in text
    assert "every end of the certified ascent and of ICM stays tied with gold and with the climb's end" in text
    (f,) = [p for p in committed_tables(root / "figures" / "data" / "lm") if p.name.startswith("smollm2-n64-")]
    rows = [r for r in p3(read_table_file(f))["rows"] if r["grown"]]
    ascent = [r for r in rows if r["method"] == "coherence"]
    assert ascent and all(r["vs_gold"]["verdict"] != "below" for r in ascent)
    above = {r["task"] for r in ascent if r["vs_gold"]["verdict"] == "above"}
    assert above and above <= {"polarity-low", "polarity-high", "polarity-salient-wrong", "polarity-nonsalient"}
    # the control: gold agrees with the words' polarity on half the words, and every seed's end lies above it
    control = [r for r in ascent if r["task"] == "polarity-nonsalient"]
    assert len(control) == 3 and all(r["vs_gold"]["verdict"] == "above" for r in control)
    accs = sorted(r["accuracy"] for r in control)
    diffs = sorted(r["vs_gold"]["diff"] for r in control)
    assert (f"it ends above gold at every seed (accuracy {accs[0]:.2f}-{accs[-1]:.2f}, {diffs[0]:+.2f} to "
            f"{diffs[-1]:+.2f} nats)") in text
    (sw,) = [r for r in ascent if r["task"] == "polarity-salient-wrong" and r["seed"] == 0]
    lo, hi = sw["vs_gold"]["ci"]
    assert sw["vs_gold"]["verdict"] == "above" and 0.5 < sw["accuracy"] < 0.95
    assert (f"(seed 0: accuracy {sw['accuracy']:.2f}, {sw['vs_gold']['diff']:+.2f} [{lo:+.2f}, {hi:+.2f}] nats "
            "above gold)") in text
    capitals = [r for r in rows if r["task"] == "capitals-easy" and r["method"] in ("coherence", "chunked-icm")]
    assert capitals and all(r["vs_gold"]["verdict"] == r["vs_gold_climb"]["verdict"] == "tied" for r in capitals)
    boot = [r for r in rows if r["task"] == "capitals-easy" and r["method"] == "chunked-bootstrap"]
    assert [r["vs_gold"]["verdict"] for r in boot].count("below") == 1
    assert "(one bootstrap end lies below gold)" in text


def test_a_table_run_keeps_comparisons_decided_while_it_ran(tiny_table, monkeypatch):
    """Another process (lm decide) rewrites a task and seed's grown comparisons while a table run
    that loaded the older ones is computing a cell: the table's save keeps the newer ones."""
    from simulations.lm.results import table as T

    lm, cfg, path = tiny_table
    real = T.run_cell
    disk = json.loads(path.read_text())  # the table run starts from a file with an older decision
    disk.setdefault("decisive", {})["polarity-high|0"] = {"target_se": 0.5, "per_order": {}, "comparisons": {}}
    path.write_text(json.dumps(disk))

    def meanwhile(*a, **k):
        disk = json.loads(path.read_text())
        disk.setdefault("decisive", {})["polarity-high|0"] = {"target_se": 0.25, "per_order": {}, "comparisons": {}}
        path.write_text(json.dumps(disk))
        return real(*a, **k)

    monkeypatch.setattr(T, "run_cell", meanwhile)
    T.run_table(lm, cfg, ["polarity-high"], ["random-few-shot"], [0], path.parent, quiet=True)
    assert json.loads(path.read_text())["decisive"]["polarity-high|0"]["target_se"] == 0.25
