"""The scorer's stored trunks: more of them save forward tokens and change no number.

* the certified ascent on a tiny random model ends on the same labelling with the same Coh
  whether the scorer keeps 4 stored trunks (the earlier default) or :data:`STORES`, and the larger
  store computes fewer forward tokens;
* the byte bound: the stores' size equals the key/value size computed from the model's config,
  and a bound smaller than two trunks keeps only the newest;
* bad settings are refused.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulations.lm.backends.knowledge import prior_for
from simulations.lm.backends.loader import load
from simulations.lm.backends.prefix_scorer import STORES, PrefixScorer
from simulations.lm.searches.certified import certified_ascent
from simulations.lm.searches.chunked import ChunkConfig
from simulations.lm.tasks.constraint_choice import resolve
from simulations.lm.tasks.registry import make_task


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", seed=3)


def _ascent(lm, stores: int):
    task = make_task("polarity-high", n=16, seed=0)
    prior = prior_for(lm, task)
    prior.scorer.stores = stores
    cons = resolve(task, "auto")[0]
    res = certified_ascent(prior, constraint=cons, groups=task.relation_groups(cons), seed=0,
                           config=ChunkConfig(chunk=4, sweeps=2, orders=2), polish=4, confirm=4)
    return res, prior.forward_tokens


def test_more_stores_change_no_number_and_cost_fewer_tokens(lm):
    few, few_tokens = _ascent(lm, 4)
    many, many_tokens = _ascent(lm, STORES)
    assert np.array_equal(few["labels"], many["labels"])
    assert many["coherence"] == pytest.approx(few["coherence"], abs=1e-9)
    assert [s["polish_start"] for s in many["starts"]] == pytest.approx([s["polish_start"] for s in few["starts"]],
                                                                         abs=1e-9)
    assert many["certificate"] == few["certificate"]
    # 4 polish orders, 4 confirmation orders and each candidate's version of both do not fit in 4 stores
    assert many_tokens < 0.9 * few_tokens


def _kv_bytes_per_token(lm) -> int:
    cfg = lm.model.config
    head_dim = cfg.hidden_size // cfg.num_attention_heads
    # keys and values, float32
    return cfg.num_hidden_layers * 2 * cfg.num_key_value_heads * head_dim * 4


def test_stored_bytes_follow_the_config_and_the_bound_keeps_the_newest(lm):
    enc = lm.tokenizer.encode
    labels = [enc(" negative")[0], enc(" positive")[0]]
    a = np.asarray(enc("a first sequence of some length"), dtype=np.int64)
    b = np.asarray(enc("the other one, unrelated to it"), dtype=np.int64)
    roomy = PrefixScorer(lm, labels)
    roomy.score_rows(a, [(a, [a.size - 1])])
    roomy.score_rows(b, [(b, [b.size - 1])])
    assert roomy.stored_bytes == (a.size + b.size) * _kv_bytes_per_token(lm)
    # a bound below two trunks: only the newest stays, so going back to ``a`` runs it again in full
    tight = PrefixScorer(lm, labels, store_bytes=(a.size + b.size) * _kv_bytes_per_token(lm) - 1)
    tight.score_rows(a, [(a, [a.size - 1])])
    tight.score_rows(b, [(b, [b.size - 1])])
    assert tight.stored_bytes == b.size * _kv_bytes_per_token(lm)
    before = tight.forward_tokens
    tight.score_rows(a, [(a, [a.size - 1])])
    assert tight.forward_tokens - before == a.size
    before = roomy.forward_tokens
    roomy.score_rows(a, [(a, [a.size - 1])])
    assert roomy.forward_tokens == before


@pytest.mark.parametrize("kw", [{"stores": 0}, {"store_bytes": -1}])
def test_bad_store_settings_are_refused(lm, kw):
    with pytest.raises(ValueError, match="stores must be"):
        PrefixScorer(lm, [1, 2], **kw)
