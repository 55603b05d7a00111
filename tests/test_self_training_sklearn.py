"""Self-training decides exactly as scikit-learn's SelfTrainingClassifier(LogisticRegression) under
the same rule (strict ``>`` threshold, refit each round from scratch, a final fit on the final
labelled set) and the same penalised likelihood (``C = 1 / l2``), on every draw."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from coherence.benchmarks.self_training_sklearn import draw, ours, sklearn_self_training  # noqa: E402
from simulations.search import run_search  # noqa: E402
from theory.concept_mixture import ConceptMixture  # noqa: E402


def test_decisions_match_sklearn_on_every_draw():
    draws = [draw(s) for s in range(20)]     # half of the benchmark's 40 (which reports all 40)
    differ = [s for s, (X, truth, labels) in enumerate(draws)
              if not np.array_equal(ours(X, truth, labels), sklearn_self_training(X, labels))]
    assert differ == []


def test_threshold_rule_is_strict_and_bounded():
    X, truth, labels = draw(3)
    model = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[0.2, 0.2], w=[0.5, 0.5])
    everything = run_search("self-training", model, labels=labels, features=X, threshold=0.0, rounds=10)
    assert everything.extras["added_by_round"] == [X.shape[0] - len(labels)]     # all in round one
    nothing = run_search("self-training", model, labels=labels, features=X, threshold=1.0)
    assert nothing.extras["pseudo_labelled"] == 0 and nothing.extras["added_by_round"] == [0]
    with pytest.raises(ValueError, match="threshold"):
        run_search("self-training", model, labels=labels, features=X, threshold=1.5)
