"""Labelling methods on a real model: in-context baselines here, searches from ``simulations.search``.

Baselines (defined here; each returns labels ``(n,)`` in ``{0..k-1}``):

* ``zero-shot``: ``argmax_y log P_M(y | x_i)`` with no demonstrations;
* ``random-few-shot`` / ``golden-few-shot``: ``argmax_y log P_M(y | x_i; D)`` where ``D`` is a
  fixed random set of ``shots`` items (minus ``i`` itself) in random order, labelled with random
  labels or with the gold labels; ``shots = 0`` means every other item (many-shot, the
  leave-one-out conditional).

``debate`` and ``self-consistency`` are :mod:`simulations.lm.searches.debate` (agents over label words).

Searches (``bootstrap``, ``icm``, ``icm-paper``, ``gibbs``) run unchanged on the
:class:`~simulations.lm.backends.prior.LMPrior` through ``simulations.search.run_search`` (faithful, exact
leave-one-out: for small ``n``). The ``chunked-*`` searches and ``coherence`` are the fast paths
of :mod:`simulations.lm.searches.chunked` (randomized context exclusion) that run at ``n >= 64`` on a CPU.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V

METHODS = {
    "zero-shot": "argmax of the label-token probabilities with no demonstrations",
    "random-few-shot": "argmax given `shots` demonstrations with uniformly random labels",
    "golden-few-shot": "argmax given `shots` demonstrations with gold labels (an upper reference)",
    "bootstrap": "few-shot predictions become the next round's demonstrations (simulations.search)",
    "icm": "Internal Coherence Maximization, released-code variant (signed log-odds score; simulations.search)",
    "icm-paper": "ICM as in the paper: alpha * pseudo-likelihood - inconsistencies (simulations.search)",
    "gibbs": "Gibbs sampling with in-context leave-one-out conditionals (persona experiment; simulations.search)",
    "chunked-bootstrap": "bootstrap over chunks with randomized context exclusion, under the task's constraint "
                         "(scales)",
    "chunked-icm": "ICM's released score with chunked conditionals and chunk-argmax proposals (scales)",
    "chunked-gibbs": "Gibbs over chunks with randomized context exclusion, unconstrained, several chains (scales)",
    "coherence": "ascent on the order-averaged prequential coherence under the task's constraint (scales)",
    "coherence-free": "ascent on the coherence with no constraint (regime R6: expect a constant labelling)",
    "debate": "K agents answer, read the others' answers and answer again until consensus "
              "(simulations.lm.searches.debate)",
    "self-consistency": "majority of K independent zero-shot samples: the debate's round 0 "
                        "(simulations.lm.searches.debate)",
}
CHUNKED_METHODS = ("chunked-bootstrap", "chunked-icm", "chunked-gibbs", "coherence", "coherence-free")
BASELINES = ("zero-shot", "random-few-shot", "golden-few-shot")
#: multi-agent debate over label words and its no-interaction baseline (:mod:`simulations.lm.searches.debate`)
DEBATE_METHODS = ("debate", "self-consistency")
#: the searches that maximise Coh itself: ending below gold's Coh is their *search failure*; the
#: other searches optimise something else, so ending there is a finding about them (``below_gold``)
COHERENCE_SEARCHES = ("coherence", "coherence-free")


def few_shot_log_probs(prior, demo_labels, shots: int, rng) -> np.ndarray:
    """``log P_M(b_i = y | x_i; D_i)`` ``(n, k)`` nats, with ``D_i`` = a fixed random demo set minus ``i``.

    The demo set (and its order) is the same for every item, so the shared prompt prefix is
    computed once and reused through the prior's key/value cache.
    """
    n = prior.n
    shots = V.positive_int("shots", shots, minimum=0, maximum=n)
    demos = rng.permutation(n) if shots in (0, n) else rng.choice(n, size=shots, replace=False)
    return np.stack([prior.log_conditional(demo_labels, i, demos[demos != i]) for i in range(n)])


def baseline_log_probs(method: str, prior, gold, *, shots: int = 8, seed: int = 0) -> np.ndarray:
    """The label log-probs ``(n, k)`` (nats) one of :data:`BASELINES` decides by."""
    rng = np.random.default_rng(seed)
    if method == "zero-shot":
        return prior.log_zero_shot()
    if method == "random-few-shot":
        return few_shot_log_probs(prior, rng.integers(0, prior.k, prior.n), shots, rng)
    if method == "golden-few-shot":
        gold = np.asarray(gold)
        if np.any(gold < 0):
            raise ValueError("method golden-few-shot needs gold labels for every item")
        return few_shot_log_probs(prior, gold, shots, rng)
    raise ValueError(f"method must be one of {BASELINES} here, got {method!r}")

