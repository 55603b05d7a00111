"""The theory's predictions P1-P8 measured in real-model table files (:mod:`simulations.lm.results.table`) and
training table files (:mod:`simulations.lm.results.training_table`, P7).

Each prediction gets a verdict (``holds`` / ``fails`` / ``not judged``), the numbers behind it
and the condition under which the theory says it should fail. Every comparison of two
labellings' Coh is **paired** over the landscape's orders
(:func:`~simulations.lm.searches.coherence_estimate.paired`: the mean difference, its standard error and
its 95% Student-t interval); "above" and "below" mean the interval excludes 0, "tied" that it
does not. In files written since held-out orders (``coh_orders`` in the config) those orders
are evaluation orders no search optimised on; older files used orders that overlap the
searches' own, which the output states (``orders``).

* P1 -- on a task the model knows (zero-shot AUC >= 0.7), gold lies above its negation and
  above every random balanced labelling; on the nonsalient control gold is not special (inside
  the 99% Student-t prediction interval of the random labellings' Coh). Fails when the model
  does not know the task.
* P2 (R6) -- the most coherent unconstrained labelling found is (near-)constant (majority
  >= 90%) and lies above gold; with a constraint that excludes the constants it is not, and the
  constraint's own leak (accuracy under a uniform prior) is reported beside it.
* P3 (C5) -- a constrained search reaches gold-level accuracy (>= 0.95) exactly when gold is not
  below what it found; and, judged by the objective alone, where the search's end and the climb
  from gold (:func:`~simulations.lm.results.landscape.gold_climb`) tie in Coh they agree in accuracy.
* P4 -- the coherence searches' accuracy falls toward chance as salience ``|valence|`` falls:
  per search, the fall of its accuracy from the most to the least salient bin over seeds, with
  its Welch 95% interval (above 0 confirms, below 0 refutes, else undecided).
* P5 (C4) -- Gibbs chains lock in: flips per item in the last sweep are rarer than the
  disagreement between chains, in at least half of the Gibbs runs (the fraction's Wilson 95%
  interval at or above 1/2; below 1/2 fails it; else not judged).
* P6 (R10) -- on tasks the model knows, every order ranks gold above its negation: one held-out
  order that ranks the negation at or above gold refutes a case (an order's Coh is exact), a
  paired interval above 0 with no such order confirms it. The fraction of orders that rank gold
  above (Wilson) and the paired reading alone are reported beside the verdict.
* P7 (training) -- coherence through training orders the landscape's labellings as in-context
  coherence does (:mod:`simulations.lm.results.training_prediction`). Only training table files
  have P7; table files have no P7, training files only P7.
* P8 (debate) -- debate samples the most coherent consensus: the exact stationary law of a
  debate round is the softmax of the joint answers' coherence (mean KL within 0.05 nats), from
  the file's exact checks (:mod:`simulations.lm.searches.debate_exact`).

Every verdict of P1-P3 and P6 carries two intervals: the fraction of its judged cases that agree
(``confirmed_fraction``, P3's ``agreement_fraction``; Wilson 95%) and, for P1, P2 and P6, the
case nearest to refuting it (``closest_case``: the paired interval that reaches lowest).

A run that ends below gold is not judged by P2/P3: for the searches that maximise Coh
(:data:`~simulations.lm.searches.methods.COHERENCE_SEARCHES`) it is a **search failure**, counted in
``search_failures`` (the target is 0); for the others, which optimise something else, it is
counted per method in ``below_gold``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from simulations.io import dumps
from theory.statistics import mean_ci, prediction_interval, welch_interval, wilson
from simulations.lm.searches.coherence_estimate import below_references, lies_below
from simulations.lm.results.cases import closest, compare, fraction, interval_outcome, judge
from simulations.lm.results.training_prediction import p7
from simulations.lm.searches.debate_exact import p8_verdict
from simulations.lm.results.decisive_orders import REFERENCES, comparison_key
from simulations.lm.results.gap import gaps_recovered
from simulations.lm.searches.methods import COHERENCE_SEARCHES
from simulations.lm.tasks.registry import SALIENCE_TASKS

SEARCHES = ("chunked-bootstrap", "chunked-icm", "coherence")
KNOWS = 0.7
GOLD_LEVEL = 0.95
#: level of the prediction interval a control's gold must fall in
CONTROL_LEVEL = 0.99


def table_path_of(out_dir, cfg) -> Path:
    from simulations.lm.results.table import table_path

    return table_path(out_dir, cfg)


def _runs(data, task=None, method=None):
    return [r for r in data["runs"].values() if (task is None or r["task"] == task)
            and (method is None or r["method"] == method)]


def _tasks(data):
    return sorted({r["task"] for r in data["runs"].values()})


def _land(data, run) -> dict:
    return data["landscapes"][f"{run['task']}|{run['seed']}"]


def _below_gold(data, run) -> bool:
    return bool(lies_below(run["coherence_per_order"], {"gold": _land(data, run)["labellings"]["gold"]["per_order"]}))


def search_failed(data, run) -> bool:
    """A run of a Coh-maximising search that ended below gold, or (under a constraint that allows
    every labelling) below a constant labelling:
    :func:`~simulations.lm.searches.coherence_estimate.below_references`, the rule the table's
    records (:func:`simulations.lm.results.held_out.failure`) apply too."""
    if run["method"] not in COHERENCE_SEARCHES:
        return False
    L = _land(data, run)["labellings"]
    constants = {c: L[c]["per_order"] for c in ("all-0", "all-1")}
    return bool(below_references(run["coherence_per_order"], L["gold"]["per_order"], constants, run["constraint"]))


def search_failures(data) -> dict:
    """``{search_failures, below_gold: {method: count}}``: runs of the Coh-maximising searches that
    failed (:func:`search_failed`), and runs of the other searches that ended below gold."""
    fails, below = 0, {}
    for r in data["runs"].values():
        if r["method"] in COHERENCE_SEARCHES:
            fails += search_failed(data, r)
        elif r["method"] not in ("zero-shot", "random-few-shot", "golden-few-shot") and _below_gold(data, r):
            below[r["method"]] = below.get(r["method"], 0) + 1
    return {"search_failures": fails, "below_gold": below}


def orders_kind(data) -> str:
    """``held-out`` (evaluation orders no search optimised on) or ``search-overlapping``."""
    return "held-out" if "coh_orders" in data["config"] else "search-overlapping"


def p1(data) -> dict:
    rows, known, ok_control, margins = [], [], [], {}
    for key, land in sorted(data["landscapes"].items()):
        task = key.split("|")[0]
        L = land["labellings"]
        g = L["gold"]
        rand = {k: v for k, v in L.items() if k.startswith("random-")}
        rmeans = [v["mean"] for v in rand.values()]
        pi = prediction_interval(rmeans, CONTROL_LEVEL) if len(rmeans) > 1 else None
        vs_neg = compare(g["per_order"], L["negation"]["per_order"])
        vs_rand = [compare(g["per_order"], v["per_order"]) for v in rand.values()]
        row = {"task": task, "seed": key.split("|")[1], "zero_shot_auc": land["zero_shot_auc"], "coh_gold": g["mean"],
               "gold_vs_negation": vs_neg, "gold_vs_random_lowest": min(vs_rand, key=lambda c: c["diff"])
               if vs_rand else None, "random_prediction_interval": pi}
        rows.append(row)
        if "nonsalient" in task:
            # gold is one more random balanced labelling here: it must fall where a new draw of
            # the random labellings' Coh would (a Student-t interval: only a few are drawn)
            ok_control.append(pi is not None and pi[0] <= g["mean"] <= pi[1])
        elif land["zero_shot_auc"] is not None and land["zero_shot_auc"] >= KNOWS:
            sides = [vs_neg["verdict"]] + [c["verdict"] for c in vs_rand]
            row["outcome"] = ("refuted" if "below" in sides else "confirmed" if set(sides) == {"above"}
                              else "undecided")
            known.append(row["outcome"])
            margins[f"{key} negation"] = vs_neg
            margins.update({f"{key} {k}": c for k, c in zip(rand, vs_rand)})
    verdict_, undecided = judge(known + ["confirmed" if ok else "refuted" for ok in ok_control] if known else [])
    return {"id": "P1", "verdict": verdict_, "known_cases_ok": f"{known.count('confirmed')}/{len(known)}",
            "undecided": undecided, "control_cases_ok": f"{sum(ok_control)}/{len(ok_control)}",
            "confirmed_fraction": fraction([o == "confirmed" for o in known] + ok_control),
            "closest_case": closest(margins), "rows": rows,
            "fails_when": f"the model does not know the task (zero-shot AUC < {KNOWS})"}


def _majority(labels) -> float:
    m = float(np.mean(labels))
    return max(m, 1 - m)


def p2(data) -> dict:
    """R6 on a real model. With no constraint the most coherent labelling found must be
    (near-)constant (>= 90% one label) and lie above gold, and the constrained search's labelling
    must not be (near-)constant. A free search that ended below the best constant (which the
    landscape evaluates) is a search failure: the most coherent labelling found is then that
    constant."""
    rows, ok, failures, margins = [], [], 0, {}
    for r in _runs(data, method="coherence-free"):
        land = _land(data, r)
        L = land["labellings"]
        const = max((L[c] for c in ("all-0", "all-1")), key=lambda v: v["mean"])
        vs_const = compare(r["coherence_per_order"], const["per_order"])
        stuck = search_failed(data, r)
        failures += stuck
        best_maj, best_po = (1.0, const["per_order"]) if stuck else (_majority(r["labels"]), r["coherence_per_order"])
        vs_gold = compare(best_po, L["gold"]["per_order"])
        margins[f"{r['task']}|{r['seed']}"] = vs_gold
        con = data["runs"].get(f"{r['task']}|coherence|{r['seed']}")
        con_maj = None if con is None else _majority(con["labels"])
        rows.append({"task": r["task"], "seed": r["seed"], "free_majority": _majority(r["labels"]),
                     "free_coherence": r["coherence"], "coh_gold": L["gold"]["mean"], "coh_constants": const["mean"],
                     "free_vs_best_constant": vs_const, "best_vs_gold": vs_gold, "search_failure": bool(stuck),
                     "constrained_majority": con_maj, "constraint": None if con is None else con["constraint"],
                     "constraint_leak_accuracy": None if con is None else con["constraint_leak_accuracy"]})
        ok.append(best_maj >= 0.9 and vs_gold["verdict"] == "above" and (con_maj is None or con_maj < 0.9))
    verdict_ = "not judged" if not ok else ("holds" if all(ok) else "fails")
    return {"id": "P2", "verdict": verdict_, "cases_ok": f"{sum(ok)}/{len(ok)}", "search_failures": failures,
            "confirmed_fraction": fraction(ok), "closest_case": closest(margins), "rows": rows,
            "fails_when": "the task's own logic already makes a non-constant labelling most coherent"}


def _grown(data, run) -> dict:
    """The comparisons of ``run`` with ``gold`` and ``gold_climb`` grown to their target standard
    error (:mod:`simulations.lm.results.decisive_orders`), where the file has them: reference -> comparison."""
    d = data.get("decisive", {}).get(f"{run['task']}|{run['seed']}", {}).get("comparisons", {})
    keys = {ref: comparison_key(f"{run['task']}|{run['method']}|{run['seed']}", ref) for ref in REFERENCES}
    return {ref: d[k] for ref, k in keys.items() if k in d}


def p3(data) -> dict:
    """C5 on a real model. Runs that ended below gold are counted apart (the objective was not
    optimised; a search failure for the coherence search). On the others, success (accuracy >=
    GOLD_LEVEL) must coincide with gold not lying below what the search found; and where the
    landscape holds the climb from gold, a search end tied with the climb's end in Coh must
    agree with it in accuracy (both at gold level or both not). Where the file holds the two
    comparisons grown to a target standard error (``decisive``), they replace the ones over the
    landscape's orders, and ``decided`` counts the rows judged on them."""
    rows, agree, climb_agree, failures = [], [], [], 0
    for r in _runs(data):
        if r["method"] not in SEARCHES or r["constraint"] == "none":
            continue
        land = _land(data, r)
        g = land["labellings"]["gold"]
        grown = _grown(data, r)
        vs_gold = grown.get("gold") or compare(r["coherence_per_order"], g["per_order"])
        below = vs_gold["verdict"] == "below"
        success = r["accuracy"] >= GOLD_LEVEL
        row = {"task": r["task"], "method": r["method"], "seed": r["seed"], "accuracy": r["accuracy"],
               "coh_found": r["coherence"], "coh_gold": g["mean"], "vs_gold": vs_gold,
               "gold_at_least_as_coherent": vs_gold["verdict"] != "above", "success": success, "below_gold": below,
               # grown orders may show a coherence search below gold that the landscape's orders tied
               "search_failure": search_failed(data, r) or (below and r["method"] in COHERENCE_SEARCHES)}
        climb = land.get("gold_climb")
        if climb is not None and not below:
            vs_climb = grown.get("gold_climb") or compare(r["coherence_per_order"], climb["coh"]["per_order"])
            row.update({"vs_gold_climb": vs_climb, "gold_climb_accuracy": climb["accuracy"]})
            if vs_climb["verdict"] == "tied":
                row["agrees_with_gold_climb"] = success == (climb["accuracy"] >= GOLD_LEVEL)
                climb_agree.append(row["agrees_with_gold_climb"])
        row["grown"] = sorted(grown)
        rows.append(row)
        if row["search_failure"]:
            failures += 1
        if not below:
            agree.append(row["gold_at_least_as_coherent"] == success)
    judged = agree + climb_agree
    verdict_ = "not judged" if not judged else ("holds" if all(judged) else "fails")
    return {"id": "P3", "verdict": verdict_, "agreement": f"{sum(agree)}/{len(agree)}",
            "climb_agreement": f"{sum(climb_agree)}/{len(climb_agree)}", "search_failures": failures,
            "agreement_fraction": fraction(agree), "climb_agreement_fraction": fraction(climb_agree),
            "decided": f"{sum(bool(r['grown']) for r in rows)}/{len(rows)}",
            "below_gold": sum(r["below_gold"] for r in rows),
            # ends the objective ranks below the climb from gold: the search, not the objective, fell short
            "below_gold_climb": sum(r.get("vs_gold_climb", {}).get("verdict") == "below" for r in rows), "rows": rows,
            "fails_when": "a labelling far from gold is as coherent as gold (the objective, not the search, decides)"}


def p4(data) -> dict:
    """Per search run in the most and the least salient bin: its accuracy (the fraction of items
    labelled as gold) on the first minus on the last, mean over seeds, with its Welch 95%
    interval; a fall whose interval lies above 0 confirms, a rise whose interval lies below 0
    refutes, the rest (and a search with one seed on a side: no interval) are undecided. Any
    refuted search fails the prediction (no correction for the 3 searches judged at once)."""
    bins = [t for t in SALIENCE_TASKS if t in _tasks(data)]
    rows = []
    for t in bins:
        row = {"task": t}
        for m in ("zero-shot", "golden-few-shot") + SEARCHES:
            ci = mean_ci([r["accuracy"] for r in _runs(data, t, m)], bounds=(0, 1))
            row[m] = ci["mean"]
            row[f"{m} interval"] = [ci["lo"], ci["hi"]]
        rows.append(row)
    if len(rows) < 2:
        return {"id": "P4", "verdict": "not judged", "rows": rows, "fails_when": "fewer than two salience bins"}
    both = [m for m in SEARCHES if rows[0][m] is not None and rows[-1][m] is not None]
    if not both:
        return {"id": "P4", "verdict": "not judged", "rows": rows, "fails_when": "no search ran in both bins"}
    falls, cases = {}, []
    for m in both:
        falls[m] = welch_interval([r["accuracy"] for r in _runs(data, bins[0], m)],
                                        [r["accuracy"] for r in _runs(data, bins[-1], m)])
        falls[m]["outcome"] = interval_outcome(falls[m]["lo"], falls[m]["hi"])
        cases.append(falls[m]["outcome"])
    verdict_, undecided = judge(cases)
    # the runs it reads that stopped short of what their objective prefers (the target is 0)
    failures = sum(search_failed(data, r) for t in (bins[0], bins[-1]) for m in both for r in _runs(data, t, m))
    return {"id": "P4", "verdict": verdict_, "cases_ok": f"{cases.count('confirmed')}/{len(cases)}",
            "undecided": undecided, "bins": f"{bins[0]} - {bins[-1]}", "falls": falls, "search_failures": failures,
            "rows": rows,
            "fails_when": "salience does not govern what the model knows"}


def p5(data) -> dict:
    """Per Gibbs run: whether it locks in (flips per item in its last sweep rarer than the
    disagreement between its chains); the fraction of runs that do, with its Wilson 95% interval.
    It holds when that interval lies at or above 1/2, fails when it lies below 1/2, and is not
    judged when it holds 1/2."""
    rows, ok = [], []
    for r in _runs(data, method="chunked-gibbs"):
        C = np.asarray(r.get("chains_final", []))
        T = np.asarray(r.get("trace", []))
        if C.shape[0] < 2 or T.shape[0] < 2:
            continue
        within = float(np.mean(T[-1] != T[-2]))
        across = float(np.mean([np.mean(C[a] != C[b]) for a in range(len(C)) for b in range(a + 1, len(C))]))
        rows.append({"task": r["task"], "seed": r["seed"], "within_chain_last_sweep": within,
                     "across_chains": across})
        ok.append(within < across)
    if not ok:
        return {"id": "P5", "verdict": "not judged", "cases_ok": "0/0", "rows": rows,
                "fails_when": "the conditionals are weak enough that chains keep mixing"}
    lo, hi = wilson(sum(ok), len(ok))
    verdict_ = "holds" if lo >= 0.5 else "fails" if hi < 0.5 else "not judged"
    return {"id": "P5", "verdict": verdict_, "cases_ok": f"{sum(ok)}/{len(ok)}",
            "locked_fraction": {"mean": float(np.mean(ok)), "lo": lo, "hi": hi}, "rows": rows,
            "fails_when": "the conditionals are weak enough that chains keep mixing"}


def p6(data) -> dict:
    """R10 on a real model: on tasks the model knows (zero-shot AUC >= 0.7), every order ranks gold
    above its negation. An order's Coh is exact (no sampling within it), so one held-out order
    that ranks the negation at or above gold refutes a case; a case whose paired interval of
    ``Coh(gold) - Coh(negation)`` lies above 0 with no such order confirms it; the rest are
    undecided. Beside the verdict: the fraction of judged orders that rank gold above
    (``order_fraction``, Wilson 95%), the paired reading alone (``paired_cases_ok``: cases whose
    interval lies above 0, the mean-over-orders form of the claim), and the case nearest to
    refuting it (``closest_case``)."""
    rows, cases, margins, order_ok = [], [], {}, []
    for key, land in sorted(data["landscapes"].items()):
        L = land["labellings"]
        gap = compare(L["gold"]["per_order"], L["negation"]["per_order"])
        d = np.subtract(L["gold"]["per_order"], L["negation"]["per_order"])
        rows.append({"task": key.split("|")[0], "seed": key.split("|")[1], "gold_vs_negation": gap,
                     "orders_ranking_gold_above": f"{int(np.sum(d > 0))}/{d.size}",
                     "zero_shot_auc": land["zero_shot_auc"]})
        # judged where the model knows the task; elsewhere the gap is small and the order may decide
        if land["zero_shot_auc"] is not None and land["zero_shot_auc"] >= KNOWS:
            rows[-1]["outcome"] = ("refuted" if np.any(d <= 0) else "confirmed" if gap["verdict"] == "above"
                                   else "undecided")
            cases.append(rows[-1]["outcome"])
            margins[key] = gap
            order_ok += (d > 0).tolist()
    verdict_, undecided = judge(cases)
    return {"id": "P6", "verdict": verdict_, "cases_ok": f"{cases.count('confirmed')}/{len(cases)}",
            "undecided": undecided, "confirmed_fraction": fraction([c == "confirmed" for c in cases]),
            "order_fraction": fraction(order_ok),
            "paired_cases_ok": f"{sum(g['verdict'] == 'above' for g in margins.values())}/{len(margins)}",
            "closest_case": closest(margins), "rows": rows,
            "fails_when": "the gold-vs-negation gap is within the order-to-order variation "
                          "(non-exchangeability decides)"}


def p8(data) -> dict:
    """P8 (debate): :func:`~simulations.lm.searches.debate_exact.p8_verdict` on every item of the file's
    exact debate checks (``debate_checks``, one per task and seed), pooled; ``not judged`` with the
    reason when the file has none (a table run without ``debate``)."""
    checks = data.get("debate_checks", {})
    if not checks:
        return {"id": "P8", "verdict": "not judged", "reason": "no exact debate check in the file", "rows": [],
                "fails_when": "the agents' conditionals are incompatible (R10)"}
    records = [r for key in sorted(checks) for r in checks[key]["records"]]
    out = p8_verdict(records)
    rows = [{"task": key.split("|")[0], "seed": key.split("|")[1], **p8_verdict(checks[key]["records"])}
            for key in sorted(checks)]
    return {**out, "rows": [{k: r[k] for k in ("task", "seed", "items", "verdict", "kl_coherence",
                                               "incompatibility_rms", "mode_agrees")} for r in rows]}


PREDICTIONS = (p1, p2, p3, p4, p5, p6, p8)


def evaluate(data) -> list:
    return [f(data) for f in PREDICTIONS]


def report(files, as_json: bool = False) -> int:
    """Print the predictions of each file: P1-P6 and P8 for a table file, P7 for a training table
    file (told apart by its ``kind`` field, :mod:`simulations.lm.results.training_table`)."""
    from simulations.lm.results.training_file import is_training, read_any_table

    out = []
    for f in files:
        p = Path(f)
        if not p.is_file():
            raise ValueError(f"files: no such table file {p}")
        data = read_any_table(p)  # schema checked on read: a bad file exits 2 naming it and the field
        if is_training(data):
            out.append({"file": str(p), "kind": "training", "model": data["config"]["model"],
                        "n": data["config"]["n"], "orders": "held-out", "predictions": [p7(data)]})
            continue
        out.append({"file": str(p), "model": data["config"]["model"], "n": data["config"]["n"],
                    "orders": orders_kind(data), **search_failures(data), "gap_recovered": gaps_recovered(data),
                    "predictions": evaluate(data)})
    if as_json:
        print(dumps(out))
        return 0
    for o in out:
        if o.get("kind") == "training":
            print(f"{o['model']} (n = {o['n']}, {o['file']}): training table; Coh and Coh_train compared paired "
                  "over the same held-out orders")
        else:
            print(f"{o['model']} (n = {o['n']}, {o['file']}): Coh compared paired over {o['orders']} orders; "
                  f"{o['search_failures']} search failure(s); below gold, other searches: {o['below_gold'] or 'none'}")
        for pr in o["predictions"]:
            extra = {k: v for k, v in pr.items() if k not in ("id", "verdict", "rows", "orderings", "fails_when")}
            print(f"  {pr['id']}: {pr['verdict']:10s} {extra}  (fails when {pr['fails_when']})")
    return 0
