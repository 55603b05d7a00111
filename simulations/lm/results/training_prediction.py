"""P7 on a training table file (:mod:`simulations.lm.results.training_table`): coherence through
fine-tuning orders the landscape's labellings as in-context coherence does.

For gold against each other labelling of a record, the paired in-context difference
``Coh(gold) - Coh(b)`` and the paired training difference ``Coh_train(gold) - Coh_train(b)``
(nats, over the same orders; :mod:`simulations.lm.searches.prequential_training`) must have the
same sign. A pair whose two intervals exclude 0 with opposite signs refutes it, with the same sign
confirms it, any other is undecided; Kendall's tau between the two orderings of the labellings
(by mean) and the discordant pairs are reported beside it.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.results.cases import compare, judge


def _kendall(x, y) -> dict:
    """Kendall's tau-b between two scorings of the same labellings, with the discordant pairs
    (opposite signs of the two differences) among ``pairs`` pairs; ``tau`` is ``None`` when one
    scoring ties every pair."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    i, j = np.triu_indices(x.size, 1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    conc, disc = int(np.sum(sx * sy > 0)), int(np.sum(sx * sy < 0))
    den = np.sqrt(float(np.sum(sx != 0)) * float(np.sum(sy != 0)))
    return {"tau": (conc - disc) / den if den > 0 else None, "discordant": disc, "pairs": int(i.size)}


def _distinct(labellings: dict) -> dict:
    """The labellings with distinct labels (the first name of each; gold first)."""
    out, seen = {}, set()
    for name, v in sorted(labellings.items(), key=lambda kv: kv[0] != "gold"):
        if tuple(v["labels"]) not in seen:
            seen.add(tuple(v["labels"]))
            out[name] = v
    return out


def p7(train_data) -> dict:
    """P7 (module docstring) over a training table file's records: one case per (task, seed,
    labelling other than gold), judged by :func:`~simulations.lm.results.cases.judge`; per (task,
    seed) Kendall's tau between the in-context and the training orderings of its distinct
    labellings (by mean) and the discordant pairs. ``kendall_tau`` is the mean of the records'
    taus."""
    rows, cases, orderings = [], [], []
    for key in sorted(train_data.get("records", {})):
        r = train_data["records"][key]
        L = _distinct(r["labellings"])
        g = L["gold"]
        for name, v in L.items():
            if name == "gold":
                continue
            ic = compare(g["in_context"]["per_order"], v["in_context"]["per_order"])
            tr = compare(g["train"]["per_order"], v["train"]["per_order"])
            sides = {ic["verdict"], tr["verdict"]}
            outcome = ("undecided" if "tied" in sides else "confirmed" if len(sides) == 1 else "refuted")
            rows.append({"task": r["task"], "seed": r["seed"], "labelling": name, "in_context": ic, "train": tr,
                         "outcome": outcome})
            cases.append(outcome)
        k = _kendall([v["in_context"]["mean"] for v in L.values()], [v["train"]["mean"] for v in L.values()])
        orderings.append({"task": r["task"], "seed": r["seed"], "labellings": list(L), "kendall_tau": k["tau"],
                          "discordant_pairs": k["discordant"], "pairs": k["pairs"]})
    verdict_, undecided = judge(cases)
    taus = [o["kendall_tau"] for o in orderings if o["kendall_tau"] is not None]
    out = {"id": "P7", "verdict": verdict_, "cases_ok": f"{cases.count('confirmed')}/{len(cases)}",
           "undecided": undecided, "kendall_tau": float(np.mean(taus)) if taus else None,
           "discordant_pairs": sum(o["discordant_pairs"] for o in orderings),
           "pairs": sum(o["pairs"] for o in orderings), "rows": rows, "orderings": orderings,
           "fails_when": "fine-tuning learns some labellings that demonstrations in context do not teach, or the "
                         "reverse (the weights and the context are different learners)"}
    if not cases:
        out["reason"] = "no training record with a labelling other than gold"
    return out
