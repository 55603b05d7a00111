"""The regime modules reproduce the committed figure data: for several regimes, the exact and
zero-shot accuracies recomputed from the regime's own quick parameters and instance builder
equal, after the figure pipeline's rounding, the numbers in ``figures/data/<id>.json``. A
refactor that changes a parameter, an instance or a decoder changes these bytes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulations.accuracy import compare_methods
from simulations.experiments.base import rounded
from simulations.regimes import REGIMES
from theory.statistics import mean_ci

DATA = Path(__file__).resolve().parent.parent / "figures" / "data"
FIGURES = {"R1": "R1-denoising", "R3": "R3-salient-wrong-concept", "R4": "R4-competing-modes",
           "R5": "R5-compressibility-bias", "R12": "R12-leaky-constraints"}
DECODERS = ("exact", "zero-shot")


@pytest.mark.parametrize("tag", sorted(FIGURES))
def test_exact_and_zero_shot_accuracies_match_the_committed_data(tag):
    committed = json.loads((DATA / f"{FIGURES[tag]}.json").read_text())
    p = committed["params"]
    regime = REGIMES[tag]
    assert {k: v for k, v in rounded(dict(regime.params(True), quick=True, seed=0)).items()} == p
    ours = {m: [] for m in DECODERS}
    for x in p["xs"]:
        per_seed = []
        for s in p["seeds"]:
            inst = regime.instance(p, x, s)
            per_seed.append(compare_methods(inst.prior, inst.truth, labels=inst.labels, eta=inst.eta, items=inst.items,
                                            methods=DECODERS, enumerated=inst.enumerated, constraints=inst.constraints,
                                            constraint_mask=inst.constraint_mask))
        for m in DECODERS:
            ours[m].append(mean_ci([r[m] for r in per_seed], bounds=(0.0, 1.0)))
    for m in DECODERS:
        assert rounded(ours[m]) == committed["data"]["accuracy"][m], m
