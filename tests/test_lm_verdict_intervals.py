"""Every rendered real-model verdict carries its interval: the predictions' case fractions
(Wilson) and closest cases (paired t), the landscape tables' and the ``lm table`` summary's Coh
(mean over seeds ± 95% from the held-out orders). Each is recomputed here by hand, from the
committed table files or from hand-made per-order numbers."""
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from simulations.lm.results.cases import closest, compare, fraction
from simulations.lm.results.predictions import evaluate
from simulations.lm.results.report import landscape_table, predictions_table
from simulations.lm.results.table_file import read_table_file
from simulations.lm.results.table_summary import summary_markdown, summary_rows
from simulations.lm.searches.coherence_estimate import seed_mean

ROOT = Path(__file__).resolve().parents[1]
TABLES = sorted((ROOT / "figures" / "data" / "lm").glob("*-n64-*.json"))


def test_fraction_is_the_wilson_interval_by_hand():
    f = fraction([True] * 7 + [False] * 3)
    p, n, z = 0.7, 10, 1.959964
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert f == pytest.approx({"mean": 0.7, "lo": centre - half, "hi": centre + half, "n": 10})
    assert fraction([]) == {"mean": None, "lo": 0.0, "hi": 1.0, "n": 0}


def test_closest_is_the_case_whose_paired_interval_reaches_lowest():
    a = compare([5.0, 6.0, 7.0], [1.0, 1.0, 1.0])      # +5, se 0.577: interval [2.5, 7.5]
    b = compare([3.0, 9.0, 0.0], [1.0, 1.0, 1.0])      # +3, se 2.65: interval reaches below 0
    got = closest({"a": a, "b": b})
    d = np.array([2.0, 8.0, -1.0])
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert got == pytest.approx({"diff": 3.0, "lo": 3.0 - half, "hi": 3.0 + half, "case": "b"})
    assert closest({}) is None


def test_seed_mean_pools_the_order_standard_errors():
    cohs = [{"mean": -10.0, "se": 1.0}, {"mean": -14.0, "se": 2.0}, {"mean": -12.0, "se": 2.0}]
    assert seed_mean(cohs) == pytest.approx({"mean": -12.0, "se": 3.0 / 3})
    assert seed_mean([{"mean": -1.0}, {"mean": -3.0, "se": 1.0}]) == {"mean": -2.0, "se": None}


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.name)
def test_every_verdict_of_p1_to_p6_carries_an_interval(path):
    data = read_table_file(path)
    preds = {q["id"]: q for q in evaluate(data)}
    for pid, field in (("P1", "confirmed_fraction"), ("P2", "confirmed_fraction"), ("P3", "agreement_fraction"),
                       ("P6", "confirmed_fraction")):
        f = preds[pid][field]
        assert f["lo"] <= f["mean"] <= f["hi"] and f["n"] >= 1, pid
    for pid in ("P1", "P2", "P6"):
        c = preds[pid]["closest_case"]
        assert c["lo"] <= c["diff"] <= c["hi"], pid
    # P1's closest case is the lowest-reaching of every known case's comparisons, recomputed
    lows = []
    for key, land in data["landscapes"].items():
        if land["zero_shot_auc"] >= 0.7 and "nonsalient" not in key:
            L = land["labellings"]
            lows += [compare(L["gold"]["per_order"], v["per_order"])["ci"][0] for k, v in L.items()
                     if k == "negation" or k.startswith("random-")]
    assert preds["P1"]["closest_case"]["lo"] == pytest.approx(min(lows))
    # P6: the fraction of judged orders that rank gold above its negation, counted here
    above = total = 0
    for land in data["landscapes"].values():
        if land["zero_shot_auc"] >= 0.7:
            d = np.subtract(land["labellings"]["gold"]["per_order"], land["labellings"]["negation"]["per_order"])
            above, total = above + int(np.sum(d > 0)), total + d.size
    assert preds["P6"]["order_fraction"]["mean"] == pytest.approx(above / total)
    assert preds["P4"]["falls"] and all(v["lo"] <= v["diff"] <= v["hi"] for v in preds["P4"]["falls"].values())
    # every verdict that reads search runs counts their failures: 0 in the committed tables
    assert preds["P2"]["search_failures"] == preds["P3"]["search_failures"] == preds["P4"]["search_failures"] == 0
    assert preds["P5"]["locked_fraction"]["lo"] <= preds["P5"]["locked_fraction"]["mean"]
    # the rendered table shows an interval on every row P1-P6
    rows = [line for line in predictions_table([data]).splitlines() if re.match(r"\| P[1-6] \|", line)]
    assert len(rows) == 6 and all(re.search(r"\[[-+0-9.e]+, [-+0-9.e]+\]", r) for r in rows)


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.name)
def test_landscape_table_shows_each_coh_with_its_interval(path):
    data = read_table_file(path)
    lines = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in landscape_table(data).splitlines()[2:]}
    for t, cells in lines.items():
        lands = [v for k, v in data["landscapes"].items() if k.split("|")[0] == t]
        gold = [land["labellings"]["gold"] for land in lands]
        m = np.mean([g["mean"] for g in gold])
        half = 1.96 * np.sqrt(np.sum([g["se"] ** 2 for g in gold])) / len(gold)
        assert cells[1] == f"{m:.1f} ± {half:.1f}", t
        runs = [r for r in data["runs"].values() if r["task"] == t and r["method"] == "coherence"]
        m = np.mean([r["coh"]["mean"] for r in runs])
        half = 1.96 * np.sqrt(np.sum([r["coh"]["se"] ** 2 for r in runs])) / len(runs)
        assert cells[6] == f"{m:.1f} ± {half:.1f}", t


def test_lm_table_summary_shows_coh_with_its_interval():
    data = read_table_file(TABLES[0])
    rows = {(r["task"], r["method"]): r for r in summary_rows(data)}
    text = summary_markdown(data)
    for (t, m), row in rows.items():
        rs = [r for r in data["runs"].values() if r["task"] == t and r["method"] == m]
        mean = np.mean([r["coh"]["mean"] for r in rs])
        se = np.sqrt(np.sum([r["coh"]["se"] ** 2 for r in rs])) / len(rs)
        assert row["coherence"] == pytest.approx({"mean": mean, "se": se})
        assert f"| {mean:.1f} ± {1.96 * se:.1f} |" in text


def test_docs_state_where_p6s_two_readings_part_on_gemma():
    """The sentence of docs/lm.md on Gemma's P6, recomputed from its committed table."""
    path = next(p for p in TABLES if p.name.startswith("gemma3-270m"))
    p6 = next(q for q in evaluate(read_table_file(path)) if q["id"] == "P6")
    f = p6["order_fraction"]
    against = f["n"] - round(f["mean"] * f["n"])
    ok, cases = map(int, p6["paired_cases_ok"].split("/"))
    tied = sum(r.get("outcome") is not None and r["gold_vs_negation"]["verdict"] == "tied" for r in p6["rows"])
    below = sum(r.get("outcome") is not None and r["gold_vs_negation"]["verdict"] == "below" for r in p6["rows"])
    text = " ".join((ROOT / "docs" / "lm.md").read_text().split())
    assert p6["verdict"] == "fails" and below == 0 and ok + tied == cases
    assert (f"On Gemma the two readings part: {against} orders of {f['n']} rank the negation above gold, which "
            f"fails the every-order form, while no case's paired interval lies below 0 ({ok} of {cases} above, "
            f"{tied} tied).") in text


def test_docs_say_which_testbed_outputs_predate_the_current_searches():
    """docs/lm.md: SmolLM2's n = 32 testbed diagnosis is today's (settings, code version, the
    certified free ascent with the constants among its starts, the fresh check), at the tokens and
    seconds quoted, with the regimes of the output it replaces; the n = 64 ones predate them."""
    import json

    folder = ROOT / "figures" / "data" / "lm" / "testbeds"
    files = sorted(folder.glob("diagnose-*.json"))
    assert len(files) == 3
    text = " ".join((ROOT / "docs" / "lm.md").read_text().split())
    for f in files:
        d = json.loads(f.read_text())
        if d["n"] == 32:
            old = json.loads((folder / "superseded" / f.name).read_text())
            assert d["settings"]["fresh_orders"] > 0 and d["code_version"] and d["search_failures"] == 0
            assert {"all-0", "all-1"} <= {st["start"] for st in d["found_free"]["starts"]}
            assert d["found_constrained"]["fresh"]["orders"] > 0
            assert {k: v["regime"] for k, v in d["regimes"].items()} == {k: v["regime"] for k, v in
                                                                         old["regimes"].items()}
            assert "sweeps_run" in old["found_free"] and old["found_free"]["ones"] == d["n"]  # stopped on all-1
            assert (f"SmolLM2's n = 32 output was computed again on 2026-12-05 with today's searches, on both cores "
                    f"(it records its `settings` and `code_version`): {d['forward_tokens']:,} forward tokens in "
                    f"{d['seconds']:.0f} s.") in text
            climb = d["gold_climb"]
            assert (f"there the climb from gold takes all {climb['steps']} of its moves, gains {climb['gain']:.2f} "
                    f"nats and ends at accuracy {climb['accuracy']:.2f}.") in text
        else:
            assert "settings" not in d and "code_version" not in d, f.name
            assert "sweeps_run" in d["found_free"] and "starts" not in d["found_free"], f.name
            assert "fresh" not in d["found_constrained"], f.name
    assert ("The two n = 64 outputs were computed by earlier code (2026-11): they record no `settings` or "
            "`code_version`, their free ascent was one chunked ascent from a random start") in text


def test_testbed_search_failures_by_todays_rule_are_stated():
    """The testbed table's failure column and the docs' sentence, recomputed from the stored
    per-order Coh with the paired rule by hand (constants count under none and free-groups)."""
    import json

    from simulations.lm.results.report import diagnosis_failures

    folder = ROOT / "figures" / "data" / "lm" / "testbeds"
    seen = {}
    for f in sorted(folder.glob("diagnose-*.json")):
        d = json.loads(f.read_text())
        land = d["landscape"]
        by_hand = []
        for key in ("found_free", "found_constrained"):
            po = d[key]["coherence"]["per_order"]
            refs = ["gold"] + (["all-0", "all-1"] if d[key]["constraint"] in ("none", "free-groups") else [])
            below = [r for r in refs if compare(po, land[r]["per_order"])["ci"][1] < 0]
            if below:
                by_hand.append((key, below))
        assert diagnosis_failures(d) == by_hand, f.name
        seen[f.name] = by_hand
    gemma = json.loads((folder / "diagnose-truthfulqa-gemma3-270m-n64.json").read_text())
    assert seen == {"diagnose-truthfulqa-gemma3-270m-n64.json": [("found_free", ["all-0", "all-1"]),
                                                                 ("found_constrained", ["all-0", "all-1"])],
                    "diagnose-truthfulqa-smollm2-n32.json": [], "diagnose-truthfulqa-smollm2-n64.json": []}
    c = compare(gemma["found_constrained"]["coherence"]["per_order"], gemma["landscape"]["all-0"]["per_order"])
    text = " ".join((ROOT / "docs" / "lm.md").read_text().split())
    assert (f"both its ends, the free ascent and the search under `free-groups`, stopped below both constants "
            f"({-c['diff']:.2f} [{-c['ci'][1]:.2f}, {-c['ci'][0]:.2f}] nats under `all-0`)") in text
    assert gemma["found_constrained"]["constraint"] == "free-groups"
    # the output SmolLM2's n = 32 one replaces had stopped its free ascent below all-0
    old = json.loads((folder / "superseded" / "diagnose-truthfulqa-smollm2-n32.json").read_text())
    assert diagnosis_failures(old) == [("found_free", ["all-0"])]


def test_p4_counts_a_search_failure_among_the_runs_it_compares():
    """A coherence run of the most salient bin pushed 50 nats under gold on every order is a
    search failure, and P4 counts it; a baseline pushed there is not."""
    import copy

    data = copy.deepcopy(read_table_file(TABLES[0]))
    p4 = next(q for q in evaluate(data) if q["id"] == "P4")
    bin0 = p4["bins"].split(" - ")[0]
    for method, expected in (("zero-shot", 0), ("coherence", 1)):
        d = copy.deepcopy(data)
        r = d["runs"][f"{bin0}|{method}|0"]
        gold = d["landscapes"][f"{bin0}|0"]["labellings"]["gold"]["per_order"]
        r["coherence_per_order"] = [g - 50.0 - 0.1 * k for k, g in enumerate(gold)]
        assert next(q for q in evaluate(d) if q["id"] == "P4")["search_failures"] == expected, method


def test_every_markdown_table_row_of_the_docs_has_its_headers_cells():
    """No rendered value breaks a docs table: every row has as many cells (unescaped pipes) as the
    header above it (a case named ``task|seed`` is escaped)."""
    for doc in ("docs/lm.md", "README.md"):
        header = None
        for line in (ROOT / doc).read_text().splitlines():
            if not line.startswith("|"):
                header = None
                continue
            cells = len(re.findall(r"(?<!\\)\|", line))
            if header is None:
                header = cells
            assert cells == header, f"{doc}: {line[:120]}"
