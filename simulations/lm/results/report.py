"""Markdown for docs/lm.md and the README, generated from the committed table files.

Every number in the real-model documentation comes from ``figures/data/lm/*.json`` through these
functions (run by ``docs/generate.py``; ``tests/test_docs_generated.py`` fails when a committed
block is stale).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from theory.statistics import mean_ci

from simulations.lm.results.predictions import evaluate
from simulations.lm.results.table_file import read_table_file

KEY_METHODS = ("zero-shot", "golden-few-shot", "chunked-bootstrap", "chunked-icm", "coherence", "coherence-free")


def load_tables(folder) -> list:
    """Table files of the n = 64 CPU runs, in model order (smollm2 first)."""
    files = sorted(Path(folder).glob("*-n64-*.json"), key=lambda p: (not p.name.startswith("smollm2"), p.name))
    return [read_table_file(p) | {"_file": p.name} for p in files]


def _acc(runs, field="accuracy"):
    return mean_ci([r[field] for r in runs], bounds=(0, 1))


def _cell(ci) -> str:
    if ci["mean"] is None:
        return "--"
    if ci["n"] < 2:
        return f"{ci['mean']:.2f} (1 seed)"
    return f"{ci['mean']:.2f} [{ci['lo']:.2f}, {ci['hi']:.2f}] ({ci['n']})"


#: the accuracy table's columns after the AUC: (header, method, record field). Every table method
#: has a column (a test checks this), so no committed cell is left out of the docs.
ACCURACY_COLUMNS = (
    ("zero-shot", "zero-shot", "accuracy"),
    ("zero-shot constrained", "zero-shot", "accuracy_under_task_constraint"),
    ("random 8-shot constrained", "random-few-shot", "accuracy_under_task_constraint"),
    ("golden 8-shot argmax", "golden-few-shot", "accuracy"),
    ("golden 8-shot constrained", "golden-few-shot", "accuracy_under_task_constraint"),
    ("bootstrap", "chunked-bootstrap", "accuracy"),
    ("ICM score", "chunked-icm", "accuracy"),
    ("coherence", "coherence", "accuracy"),
    ("coherence, no constraint", "coherence-free", "accuracy"),
    ("Gibbs, no constraint (chain 1)", "chunked-gibbs", "accuracy"),
    ("debate (majority)", "debate", "accuracy"),
    ("self-consistency (majority)", "self-consistency", "accuracy"),
)


def accuracy_table(data) -> str:
    """Task x method: accuracy mean [95% t-interval] (seeds), one column per
    :data:`ACCURACY_COLUMNS` entry; the in-context baselines are shown as argmax and under the
    task's constraint; tokens per coherence run in the last column."""
    tasks = sorted({r["task"] for r in data["runs"].values()})
    head = ["task", "zero-shot AUC"] + [c[0] for c in ACCURACY_COLUMNS] + ["tokens (coherence)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in tasks:
        def runs(m):
            return [r for r in data["runs"].values() if r["task"] == t and r["method"] == m]
        lands = [v for k, v in data["landscapes"].items() if k.split("|")[0] == t]
        auc = np.mean([land["zero_shot_auc"] for land in lands]) if lands else float("nan")
        coh = runs("coherence")
        cells = [t, f"{auc:.2f}"] + [_cell(_acc(runs(m), field)) if runs(m) else "--"
                                     for _, m, field in ACCURACY_COLUMNS]
        cells.append(f"{np.mean([r['forward_tokens'] for r in coh]):.0f}" if coh else "--")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _coh_cell(row: dict, name: str) -> str:
    """``mean ± half-width`` (nats): a seed-mean Coh of :func:`~simulations.lm.results.figures.landscape_data`
    with its 95% interval from the order-to-order spread (the mean alone where a file has no
    standard error); ``--`` when absent."""
    if name not in row:
        return "--"
    se = row.get(name + " se")
    return f"{row[name]:.1f}" + ("" if se is None else f" ± {1.96 * se:.1f}")


#: the landscape table's Coh columns: (header, landscape_data name)
LANDSCAPE_COLUMNS = (("Coh gold", "gold"), ("Coh negation", "negation"), ("all-0", "all-0"), ("all-1", "all-1"),
                     ("climb from gold", "gold climb"), ("found (constrained)", "found (constrained)"),
                     ("found (free)", "found (free)"))


def landscape_table(data) -> str:
    """Task: each labelling's Coh (nats, order-averaged on held-out orders, mean over seeds, ± its
    95% interval from the order-to-order spread: :func:`~simulations.lm.results.figures.landscape_data`)
    for gold, its negation, the constants, the climb from gold's end and the coherence ascent's
    ends; the random balanced labellings' mean, with its interval too."""
    from simulations.lm.results.figures import landscape_data

    rows = landscape_data([data])[data["config"]["model"]]
    head = ["task", *(h for h, _ in LANDSCAPE_COLUMNS), "random balanced", "seeds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t, row in rows.items():
        lines.append("| " + " | ".join([t, *(_coh_cell(row, n) for _, n in LANDSCAPE_COLUMNS),
                                         _coh_cell(row, "random"), str(row["seeds"])]) + " |")
    return "\n".join(lines)


def formats_table(tables) -> str:
    lines = ["| model | task | format AUC on the dev split (64 items) | chosen |", "|---|---|---|---|"]
    for d in tables:
        for t, f in sorted(d["formats"].items()):
            aucs = ", ".join(f"`{k}` {v:.2f}" for k, v in (f.get("auc") or {}).items())
            lines.append(f"| {d['config']['model']} | {t} | {aucs} | `{f['chosen']}` |")
    return "\n".join(lines)


def _value(v) -> str:
    """A number to 3 significant digits, an interval ``{mean, lo, hi}`` as ``mean [lo, hi]``, a
    difference ``{diff, lo, hi}`` as ``+diff [lo, hi]`` (and ``(case)`` where it names one), and a
    dict of those as ``key value; ...``."""
    if isinstance(v, dict) and {"mean", "lo", "hi"} <= set(v):
        return "--" if v["mean"] is None else f"{v['mean']:.3g} [{v['lo']:.3g}, {v['hi']:.3g}]"
    if isinstance(v, dict) and {"diff", "lo", "hi"} <= set(v):
        return (f"{v['diff']:+.3g}" + ("" if v["lo"] is None else f" [{v['lo']:+.3g}, {v['hi']:+.3g}]")
                # a case is named by its task|seed key: the pipe is escaped inside a markdown table
                + (f" ({v['case']})".replace("|", "\\|") if "case" in v else ""))
    if isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()):
        return "; ".join(f"{k} {_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def file_sections(folder, pattern: str, empty: str, section) -> str:
    """The markdown of ``section(path)`` (a list of lines) for every file of ``folder`` matching
    ``pattern``, in name order, joined; ``empty`` when there is none."""
    files = sorted(Path(folder).glob(pattern))
    if not files:
        return empty
    return "\n".join(line for f in files for line in section(f)).rstrip()


def verdict_cell(q) -> str:
    """A prediction's verdict with the numbers behind it: ``verdict (key value, ...)``; empty
    objects are left out."""
    extra = ", ".join(f"{k} {_value(v)}" for k, v in q.items()
                      if k not in ("id", "verdict", "rows", "fails_when") and v != {} and v is not None)
    return f"{q['verdict']}" + (f" ({extra})" if extra else "")


def predictions_table(tables) -> str:
    if not tables:
        return "(no table files)"
    lines = ["| prediction | " + " | ".join(d["config"]["model"] for d in tables) + " | fails when |",
             "|---|" + "---|" * len(tables) + "---|"]
    evals = [evaluate(d) for d in tables]
    for j, p in enumerate(evals[0]):
        cells = []
        for ev in evals:
            cells.append(verdict_cell(ev[j]))
        lines.append(f"| {p['id']} | " + " | ".join(cells) + f" | {p['fails_when']} |")
    return "\n".join(lines)


#: the gap table's columns: (header, method), every table method but the two that define the gap
GAP_COLUMNS = (("random 8-shot", "random-few-shot"), ("bootstrap", "chunked-bootstrap"),
               ("ICM score", "chunked-icm"), ("coherence", "coherence"),
               ("coherence, no constraint", "coherence-free"), ("Gibbs, no constraint", "chunked-gibbs"),
               ("debate", "debate"), ("self-consistency", "self-consistency"))


def gap_table(tables) -> str:
    """Model x task: the seed-mean accuracies of zero-shot and golden 8-shot under the task's
    constraint, and the fraction of that gap each method recovers (``--``: the gap is under
    :data:`~simulations.lm.results.gap.MIN_GAP`, nothing to recover)."""
    from simulations.lm.results.gap import gap_ends, gaps_recovered

    if not tables:
        return "(no table files)"
    lines = ["| model | task | zero-shot | golden 8-shot | " + " | ".join(h for h, _ in GAP_COLUMNS) + " |",
             "|---|---|---|---|" + "---|" * len(GAP_COLUMNS)]
    for d in tables:
        gaps = gaps_recovered(d)
        for task, g in gaps.items():
            ends = gap_ends(d, task)
            cells = ["--" if g.get(m) is None else f"{g[m]:.2f}" for _, m in GAP_COLUMNS]
            lines.append(f"| {d['config']['model']} | {task} | {ends[0]:.2f} | {ends[1]:.2f} | "
                         + " | ".join(cells) + " |")
    return "\n".join(lines)


def _orders_phrase(cfg) -> str:
    """How many orders a file's Coh is taken over, and whether they are held out."""
    if "coh_orders" in cfg:
        return f"{cfg['coh_orders']} held-out orders"
    return f"{cfg['orders']} orders (overlapping the searches')"


def model_blocks(tables) -> str:
    if not tables:
        return "(no table files)"
    out = []
    for d in tables:
        c = d["config"]
        out += [f"### {c['model']}", "",
                f"n = {c['n']} items per run, chunk {c['chunk']}, {c['sweeps']} sweeps (ICM {c['icm_sweeps']}, "
                f"Gibbs {c['gibbs_sweeps']} with {c['chains']} chains), "
                f"{_orders_phrase(c)} for Coh, "
                f"{c['shots']}-shot baselines; file `figures/data/lm/{d['_file']}`. Accuracy: mean "
                "[95% t-interval over seeds] (seeds).", "", accuracy_table(d), "",
                "Coherence landscape (nats, order-averaged on held-out orders, mean over seeds ± its 95% interval "
                "from the order-to-order spread):", "", landscape_table(d), ""]
    return "\n".join(out).rstrip()


def fastpath_table(folder) -> str:
    lines = ["| model | chunk | forward tokens per pass | max / mean abs vs chunk 1 (nats) | argmax agreement |",
             "|---|---|---|---|---|"]
    notes = []
    for p in sorted(Path(folder).glob("fastpath-*.json")):
        d = json.loads(p.read_text())
        notes.append(f"{d['model']}: chunk 1 equals explicit prompts within "
                     f"{d['chunk1_vs_explicit_max_abs_nats']:.1e} nats ({d['explicit_items']} items, n = {d['n']}).")
        for r in d["rows"]:
            diff = "exact" if r["chunk"] == 1 else (f"{r['max_abs_nats_vs_chunk1']:.3f} / "
                                                   f"{r['mean_abs_nats_vs_chunk1']:.3f}")
            agree = "1" if r["chunk"] == 1 else f"{r['argmax_agreement_vs_chunk1']:.3f}"
            lines.append(f"| {d['model']} | {r['chunk']} | {r['forward_tokens']} | {diff} | {agree} |")
    return "\n".join(lines + [""] + notes).rstrip()


def cost_table(folder) -> str:
    """Per model and n: the slowest run of each method over every table file (forward tokens,
    seconds, tokens/s on the machine that ran it), the budget check of docs/lm.md."""
    rows = {}
    for p in sorted(Path(folder).glob("*-n*-*.json")):
        d = json.loads(p.read_text())
        if "config" not in d:
            continue
        for r in d["runs"].values():
            key = (d["config"]["model"], d["config"]["n"], r["method"])
            if key not in rows or r["seconds"] > rows[key]["seconds"]:
                rows[key] = r
    lines = ["| model | n | method | slowest run: task, seed | forward tokens | seconds | tokens/s |",
             "|---|---|---|---|---|---|---|"]
    for (model, n, method), r in sorted(rows.items(), key=lambda kv: (kv[0][0] != "smollm2",) + kv[0]):
        if method in KEY_METHODS or method == "chunked-gibbs":
            lines.append(f"| {model} | {n} | {method} | {r['task']}, {r['seed']} | {r['forward_tokens']} | "
                         f"{r['seconds']:.0f} | {r['tokens_per_s']:.0f} |")
    return "\n".join(lines)


def readme_summary(tables) -> str:
    """A few lines for the README: per model, the rows of two salience bins and the contrast pairs."""
    lines = ["| model | task | zero-shot | zero-shot (constrained) | golden 8-shot (constrained) | bootstrap "
             "(constrained) | coherence search (constrained) | coherence, no constraint | predictions holding |",
             "|---|---|---|---|---|---|---|---|---|"]
    for d in tables:
        ev = evaluate(d)
        held = ", ".join(p["id"] for p in ev if p["verdict"] == "holds")
        for t in ("polarity-high", "polarity-low", "polarity-pairs"):
            def runs(m):
                return [r for r in d["runs"].values() if r["task"] == t and r["method"] == m]
            if not runs("coherence"):
                continue
            g, z = runs("golden-few-shot"), runs("zero-shot")
            lines.append(f"| {d['config']['model']} | {t} | {_cell(_acc(z))} | "
                         f"{_cell(_acc(z, 'accuracy_under_task_constraint')) if z else '--'} | "
                         f"{_cell(_acc(g, 'accuracy_under_task_constraint')) if g else '--'} | "
                         f"{_cell(_acc(runs('chunked-bootstrap')))} | {_cell(_acc(runs('coherence')))} | "
                         f"{_cell(_acc(runs('coherence-free')))} | {held} |")
    return "\n".join(lines)


def _auc(z) -> str:
    """A diagnose output's zero-shot AUC with its interval."""
    return f"{z['auc']:.2f} [{z['auc_interval'][0]:.2f}, {z['auc_interval'][1]:.2f}]"


def _paired(c) -> str:
    """A paired difference (nats) with its interval."""
    return f"{c['diff']:+.2f} [{c['ci'][0]:+.2f}, {c['ci'][1]:+.2f}]"


def diagnosis_failures(d) -> list:
    """The ends of a diagnose output (``found_free``, ``found_constrained``) that are search
    failures by today's rule (:func:`~simulations.lm.results.verdict.end_below`), recomputed from
    the stored per-order Coh, so outputs written before the rule (or under an older one) are
    judged alike: ``[(key, below)]``."""
    from simulations.lm.results.verdict import end_below

    ends = ((key, d[key]) for key in ("found_free", "found_constrained") if d.get(key))
    return [(key, below) for key, r in ends if (below := end_below(d["landscape"], r))]


def _failures_cell(d) -> str:
    """``k of m``: a diagnose output's ends that are search failures (:func:`diagnosis_failures`)."""
    ends = sum(1 for key in ("found_free", "found_constrained") if d.get(key))
    return f"{len(diagnosis_failures(d))} of {ends}"


def _regimes(d) -> str:
    return f"{d['regimes']['unconstrained']['regime']} | {d['regimes']['constrained']['regime']}"


def diagnose_table(folder) -> str:
    """The committed ``coherence lm diagnose --json`` outputs (``diagnose-*.json``): what the model
    knows, where the certified search ended against gold, its search failures
    (:func:`diagnosis_failures`), and both regimes."""
    lines = ["| model | task (n) | constraint | zero-shot AUC | Coh(gold) +- se | search's end: accuracy, minus gold "
             "[95% interval] | certificate | search failures | unconstrained regime | constrained regime | tokens |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in sorted(Path(folder).glob("diagnose-*.json")):
        d = json.loads(p.read_text())
        z, gold = d["zero_shot"], d["landscape"]["gold"]
        end = d["found_constrained"] or d["found_free"]
        cmp = d["comparisons"][f"found ({d['constraint']})"]
        cert = end.get("certificate")
        cert_text = f"{cert['improving']} of {cert['checked']} / {cert['total']} moves improve" if cert else "--"
        lines.append(f"| {d['model']} | {d['task'].rpartition('/')[2]} ({d['n']}) | {d['constraint']} | {_auc(z)} | "
                     f"{gold['mean']:.2f} +- {gold['se']:.2f} | {end['accuracy']:.2f}, {_paired(cmp)} | {cert_text} | "
                     f"{_failures_cell(d)} | {_regimes(d)} | {d['forward_tokens']} |")
    return "\n".join(lines)


def testbed_table(folder) -> str:
    """The committed diagnoses of the field's testbeds (``diagnose-*.json`` in ``folder``), each
    with its provenance: what the model knows, gold against random labellings (paired), where the
    certified search ended, the search failures by today's rule (:func:`diagnosis_failures`), both
    regimes, and the source file."""
    files = sorted(Path(folder).glob("diagnose-*.json"))
    if not files:
        return "(no testbed diagnoses committed)"
    lines = ["| model | testbed | items (groups) | relation (leak) | zero-shot AUC | best random minus gold, nats "
             "[95%] | search's end: accuracy | search failures (today's rule) | unconstrained regime "
             "| constrained regime | source |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in files:
        d = json.loads(p.read_text())
        z, prov = d["zero_shot"], d["provenance"]
        rand = max((v for k, v in d["comparisons"].items() if k.startswith("random-")), key=lambda c: c["diff"])
        end = d["found_constrained"] or d["found_free"]
        lines.append(f"| {d['model']} | {d['preset']} | {d['n']} ({len(d['subset']['consistency_ids'])}) | "
                     f"{d['constraint']} ({d['constraint_leak_accuracy']:.2f}) | {_auc(z)} | {_paired(rand)} | "
                     f"{end['accuracy']:.2f} | {_failures_cell(d)} | {_regimes(d)} | `{prov['repository']}` @ "
                     f"{prov['commit'][:7]}, "
                     f"`{prov['path']}` |")
    return "\n".join(lines)
