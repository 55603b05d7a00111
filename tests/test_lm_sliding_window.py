"""Regression: cached prefixes on a sliding-window model (Gemma 3) equal explicit prompts.

Gemma 3 mixes sliding-window and full-attention layers. A transformers cache built with the model
config keeps only the last ``sliding_window`` keys of the sliding layers, so a stored prefix cut
at an arbitrary position and reused for a longer prompt was wrong past the window (up to 1.9
nats on Gemma-3-270M). Here a tiny random Gemma 3 text model with ``sliding_window = 8`` runs
prompts of well over 8 tokens; every fast path must equal the uncached explicit prompt.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from simulations.lm.backends.loader import ByteTokenizer, LoadedModel  # noqa: E402
from simulations.lm.backends.prior import LMPrior, PromptFormat  # noqa: E402

TOL = 1e-5  # nats
WINDOW = 8


@pytest.fixture(scope="module")
def gemma():
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from simulations.lm.backends.loader import cpu_threads

    cpu_threads(1)  # one thread: two contending OpenMP threads on a busy machine are far slower
    tok = ByteTokenizer()
    cfg = Gemma3TextConfig(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                           num_attention_heads=2, num_key_value_heads=1, head_dim=16, query_pre_attn_scalar=16,
                           sliding_window=WINDOW, max_position_embeddings=4096, initializer_range=0.2,
                           layer_types=["sliding_attention", "full_attention", "sliding_attention"])
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(cfg).eval()
    return LoadedModel(model=model, tokenizer=tok, name="tiny-gemma3", device="cpu", dtype="float32",
                       load_seconds=0.0, source="random config")


def _prior(lm, n=6, batch_tokens=16384):
    q = [f"w{i}: {'xyz'[: 1 + i % 3]}" for i in range(n)]
    return LMPrior(lm, q, PromptFormat(label_words=("No", "Yes"), separator="\n"), batch_tokens=batch_tokens)


def test_prompts_are_longer_than_the_window(gemma):
    prior = _prior(gemma)
    b = np.zeros(prior.n, dtype=np.int64)
    idx = np.arange(prior.n)
    # every leave-one-out prompt spans several windows
    assert min(prior.prompt_tokens(b, i, idx[idx != i]).size for i in idx) > 4 * WINDOW


def test_far_demonstrations_matter(gemma):
    """The last item's conditional depends on the first demonstration, more than a window back
    (through the full-attention layer): a cache that dropped old keys would change it."""
    prior = _prior(gemma)
    n = prior.n
    b = np.zeros(n, dtype=np.int64)
    c = b.copy()
    c[0] = 1
    demos = np.arange(n - 1)
    assert prior.prompt_tokens(b, n - 1, demos).size - prior._starts(demos)[1] > 2 * WINDOW
    gap = np.abs(prior.explicit_log_conditional(b, n - 1, demos) - prior.explicit_log_conditional(c, n - 1, demos))
    assert gap.max() > 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loo_unbatched_equals_explicit_past_the_window(gemma, seed):
    """``batch_tokens = 64`` runs every leave-one-out row on its own over the stored trunk prefix:
    the regression of the truncated sliding-window cache."""
    rng = np.random.default_rng(seed)
    prior = _prior(gemma, batch_tokens=64)
    for _ in range(2):  # the second vector reuses the first one's stored prefix
        b = rng.integers(0, 2, prior.n)
        assert np.max(np.abs(prior.log_loo(b) - prior.explicit_log_loo(b))) < TOL


BATCHED_ROWS_BUG = ("PrefixScorer.score_rows batches rows whose shared prefix with the trunk ends at different "
                    "positions over one cache of P = the longest prefix, with a padding mask and true position ids; "
                    "transformers builds the sliding-window mask from cache indices, not position ids, so a row with "
                    "a shorter prefix sees the window shifted by P - keep and loses keys inside its true window")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loo_batched_equals_explicit_past_the_window(gemma, seed):
    rng = np.random.default_rng(seed)
    prior = _prior(gemma, batch_tokens=16384)
    for _ in range(2):
        b = rng.integers(0, 2, prior.n)
        assert np.max(np.abs(prior.log_loo(b) - prior.explicit_log_loo(b))) < TOL


def test_log_conditional_of_many_vectors_equals_explicit(gemma):
    prior = _prior(gemma)
    B = np.random.default_rng(0).integers(0, 2, (5, prior.n))
    demos = np.arange(prior.n - 1)
    got = prior.log_conditional(B, prior.n - 1, demos)
    ref = np.stack([prior.explicit_log_conditional(b, prior.n - 1, demos) for b in B])
    assert np.max(np.abs(got - ref)) < TOL


def test_zero_shot_equals_explicit(gemma):
    prior = _prior(gemma)
    ref = np.stack([prior.scorer.explicit_label_logp(prior.prompt_tokens(np.zeros(prior.n, int), i, []))
                    for i in range(prior.n)])
    assert np.max(np.abs(prior.log_zero_shot() - ref)) < TOL


@pytest.mark.parametrize("seed", [0, 1])
def test_sequential_conditionals_equal_explicit_chain(gemma, seed):
    rng = np.random.default_rng(10 + seed)
    prior = _prior(gemma)
    n = prior.n
    for _ in range(2):
        b = rng.integers(0, 2, n)
        s = rng.permutation(n)
        got = prior.sequential_conditionals(b, s)
        ref = np.stack([prior.explicit_log_conditional(b, int(s[t]), s[:t]) for t in range(n)])
        assert np.max(np.abs(got - ref)) < TOL
        orders = np.stack([s, rng.permutation(n)])
        chain = [sum(prior.explicit_log_conditional(b, int(o[t]), o[:t])[b[o[t]]] for t in range(n)) for o in orders]
        assert np.max(np.abs(prior.coherence_over_orders(b, orders) - chain)) < TOL


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunk_conditionals_equal_explicit_past_the_window(gemma, chunk):
    rng = np.random.default_rng(20 + chunk)
    prior = _prior(gemma)
    n = prior.n
    for _ in range(2):
        b = rng.integers(0, 2, n)
        s = rng.permutation(n)
        for start in range(0, n, chunk):
            demos = np.concatenate([s[:start], s[start + chunk:]])
            got = prior.chunk_conditionals(b, s, start, chunk)
            ref = np.stack([prior.explicit_log_conditional(b, int(i), demos) for i in s[start:start + chunk]])
            assert np.max(np.abs(got - ref)) < TOL


@pytest.mark.parametrize("seed", [0, 1])
def test_block_loo_is_exact_for_the_last_item_past_the_window(gemma, seed):
    """The block leave-one-out hides ``d_i`` from ``q_i`` in one pass; for the last item nothing
    follows ``d_n``, so its conditional is the explicit prompt's, on a sliding-window model too:
    the sliding layers must see only keys less than a window behind each query."""
    rng = np.random.default_rng(30 + seed)
    prior = _prior(gemma)
    n = prior.n
    for _ in range(2):
        b = rng.integers(0, 2, n)
        got = prior.log_loo(b, mode="block")[n - 1]
        ref = prior.explicit_log_conditional(b, n - 1, np.arange(n - 1))
        assert np.max(np.abs(got - ref)) < TOL
