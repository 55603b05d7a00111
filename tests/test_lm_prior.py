"""LMPrior on a tiny random Llama: every fast path against explicit full-prompt forward passes.

The explicit path (:meth:`LMPrior.explicit_log_conditional`) runs the whole prompt through the
full model with its full output head and no cache; the fast paths share key/value caches, batch
padded suffixes and use only the label rows of the head. They must agree to float32 rounding.
"""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from scipy.special import logsumexp  # noqa: E402

from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.backends.prior import LMPrior, PromptFormat, block_loo_agreement  # noqa: E402

TOL = 2e-5  # nats; float32 forward passes of different shapes


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", seed=3)


def _queries(rng, n):
    return [f"Claim: {a}+{b}={a + b + int(rng.integers(-1, 2))}\nThis claim is"
            for a, b in rng.integers(1, 50, (n, 2))]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loo_exact_matches_explicit_prompts(lm, seed):
    rng = np.random.default_rng(seed)
    n = 5 + seed
    prior = LMPrior(lm, _queries(rng, n), batch_tokens=int(rng.integers(200, 4000)))
    b = rng.integers(0, 2, n)
    fast = prior.log_loo(b)
    ref = prior.explicit_log_loo(b)
    assert np.max(np.abs(fast - ref)) < TOL
    assert np.allclose(logsumexp(fast, axis=-1), 0.0, atol=1e-9)


def test_loo_exact_costs_fewer_tokens_than_explicit(lm):
    rng = np.random.default_rng(5)
    n = 8
    prior = LMPrior(lm, _queries(rng, n))
    b = rng.integers(0, 2, n)
    prior.log_loo(b)
    fast_tokens = prior.forward_tokens
    idx = np.arange(n)
    explicit_tokens = sum(prior.prompt_tokens(b, i, idx[idx != i]).size for i in range(n))
    assert fast_tokens < 0.75 * explicit_tokens


@pytest.mark.parametrize("seed", [0, 1])
def test_sequential_one_pass_matches_prompt_chain(lm, seed):
    rng = np.random.default_rng(10 + seed)
    n = 6
    prior = LMPrior(lm, _queries(rng, n))
    b = rng.integers(0, 2, n)
    s = rng.permutation(n)
    fresh = prior.forward_tokens
    seq = prior.log_sequential(b, s)
    # one forward pass over the full demonstration sequence, nothing else
    assert prior.forward_calls == 1 and prior.forward_tokens - fresh == prior._trunk(b, s)[0].size
    ref = np.array([prior.explicit_log_conditional(b, s[t], s[:t])[b[s[t]]] for t in range(n)])
    assert np.max(np.abs(seq - ref)) < TOL


def test_chain_rule_sums_to_one_over_all_vectors(lm):
    """sum_b exp Coh_s(b) = 1 for a fixed order (normalised conditionals): an enumeration oracle."""
    rng = np.random.default_rng(4)
    n = 4
    prior = LMPrior(lm, _queries(rng, n))
    B = np.array(list(itertools.product(range(2), repeat=n)))
    for s in (np.arange(n), rng.permutation(n)):
        total = np.exp(prior.log_joint(B, s)).sum()
        assert abs(total - 1.0) < 1e-5


def test_real_model_is_order_sensitive(lm):
    rng = np.random.default_rng(7)
    n = 5
    prior = LMPrior(lm, _queries(rng, n))
    b = rng.integers(0, 2, n)
    cohs = [float(prior.log_joint(b, rng.permutation(n))) for _ in range(4)]
    assert np.ptp(cohs) > 1e-3


def test_conditional_vectorised_over_leading_axes(lm):
    rng = np.random.default_rng(8)
    n = 6
    prior = LMPrior(lm, _queries(rng, n), batch_tokens=300)
    B = rng.integers(0, 2, (2, 3, n))
    demos = np.array([4, 0, 2])
    lc = prior.log_conditional(B, 1, demos)
    assert lc.shape == (2, 3, 2)
    for u in range(2):
        for v in range(3):
            assert np.max(np.abs(lc[u, v] - prior.explicit_log_conditional(B[u, v], 1, demos))) < TOL
    L = prior.log_loo(B)
    assert L.shape == (2, 3, n, 2)
    assert np.max(np.abs(L[1, 2] - prior.explicit_log_loo(B[1, 2]))) < TOL


def test_zero_shot_matches_explicit(lm):
    rng = np.random.default_rng(9)
    prior = LMPrior(lm, _queries(rng, 5))
    zs = prior.log_zero_shot()
    b0 = np.zeros(5, dtype=int)
    ref = np.stack([prior.explicit_log_conditional(b0, i, []) for i in range(5)])
    assert np.max(np.abs(zs - ref)) < TOL


def test_block_loo_exact_for_last_item_and_reported_elsewhere(lm):
    rng = np.random.default_rng(11)
    n = 6
    prior = LMPrior(lm, _queries(rng, n))
    b = rng.integers(0, 2, n)
    block = prior.log_loo(b, mode="block")
    ref = prior.explicit_log_loo(b)
    assert np.max(np.abs(block[-1] - ref[-1])) < TOL
    assert np.allclose(logsumexp(block, axis=-1), 0.0, atol=1e-9)
    agree = block_loo_agreement(prior, b)
    assert set(agree) == {"max_abs_nats", "mean_abs_nats", "argmax_agreement"}
    assert agree["max_abs_nats"] == pytest.approx(np.max(np.abs(block - ref)), abs=TOL)


def test_block_loo_is_one_pass_over_trunk_plus_queries(lm):
    rng = np.random.default_rng(12)
    n = 7
    prior = LMPrior(lm, _queries(rng, n), loo="block")
    b = rng.integers(0, 2, n)
    prior.log_loo(b)
    trunk = prior._trunk(b, np.arange(n))[0].size
    assert prior.forward_calls == 2  # trunk, then all queries under the block mask
    assert prior.forward_tokens == trunk + sum(q.size for q in prior._q)


def test_bad_arguments_raise_value_error(lm):
    with pytest.raises(ValueError, match="loo"):
        LMPrior(lm, ["a"], loo="fast")
    with pytest.raises(ValueError, match="label_words"):
        LMPrior(lm, ["a", "b"], PromptFormat(label_words=("True", "Falsehood")))
    with pytest.raises(ValueError, match="queries"):
        LMPrior(lm, [])
    prior = LMPrior(lm, ["a", "b", "c"])
    with pytest.raises(ValueError, match="demos"):
        prior.log_conditional(np.zeros(3, dtype=int), 1, [1, 2])
    with pytest.raises(ValueError, match="B"):
        prior.log_loo(np.full(3, 2))
    with pytest.raises(ValueError, match="device"):
        load("tiny-random", device="tpu")
    with pytest.raises(ValueError, match="model"):
        load("/no/such/model/dir", device="cpu")


PROVENANCE = {"package", "file", "sha256"}


def _local_model_dir(path, words) -> None:
    """Write a local model directory at ``path``: the tiny random model and a whitespace word-level
    tokenizer over ``words`` (the first is the unknown token)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from simulations.lm.backends.loader import tiny_random_model

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=words[0]))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token=words[0]).save_pretrained(str(path))
    tiny_random_model()[0].save_pretrained(str(path))


def test_models_without_a_gguf_file_record_no_provenance(lm, tmp_path):
    """tiny-random (no file) and a local model directory (no single .gguf to hash) load as before:
    no package, file or SHA-256 in ``info``; the directory is named by its path."""
    assert not PROVENANCE & set(lm.info) and lm.source == "random config"
    _local_model_dir(tmp_path, ["[UNK]", "a", "b", "True", "False"])
    local = load(str(tmp_path), device="cpu", threads=1)
    assert not PROVENANCE & set(local.info) and local.source == str(tmp_path)
    assert local.tokenizer.encode("a True b") == [1, 3, 2]


def test_local_models_load_without_hub_kernels(tmp_path, monkeypatch):
    """Loading never asks transformers for hub kernels: transformers 5 turns them on by default,
    and on a CUDA device it then needs the ``kernels`` package and a download (an offline GPU
    machine failed there). The flag transformers receives is recorded; it must be False."""
    from transformers import PreTrainedModel

    _local_model_dir(tmp_path, ["[UNK]", "a", "True", "False"])
    seen = []
    original = PreTrainedModel.set_use_kernels

    def spy(self, use_kernels, *args, **kwargs):
        seen.append(bool(use_kernels))
        return original(self, use_kernels, *args, **kwargs)

    monkeypatch.setattr(PreTrainedModel, "set_use_kernels", spy)
    load(str(tmp_path), device="cpu", threads=1)
    assert seen == [False]


@pytest.mark.gpu
def test_cuda_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    rng = np.random.default_rng(0)
    q = _queries(rng, 6)
    b = rng.integers(0, 2, 6)
    cpu = LMPrior(load("tiny-random", device="cpu"), q).log_loo(b)
    gpu = LMPrior(load("tiny-random", device="cuda"), q).log_loo(b)
    assert np.max(np.abs(cpu - gpu)) < 1e-3


def test_order_average_batched_matches_theory_and_explicit(lm):
    """All 4! orders: the batched path equals theory.codelength's exact order average, and one
    order equals the chain of explicit prompts."""
    import itertools as it

    from theory.codelength import order_averaged_coherence

    rng = np.random.default_rng(13)
    n = 4
    prior = LMPrior(lm, _queries(rng, n), batch_tokens=500)
    b = rng.integers(0, 2, n)
    orders = np.array(list(it.permutations(range(n))))
    batched = prior.coherence_over_orders(b, orders)
    avg = order_averaged_coherence(prior, b)
    assert avg.exact and abs(batched.mean() - float(avg.mean)) < TOL
    s = orders[17]
    chain = sum(prior.explicit_log_conditional(b, s[t], s[:t])[b[s[t]]] for t in range(n))
    assert abs(batched[17] - chain) < TOL
    assert np.ptp(batched) > 1e-4  # order matters for a real (random) transformer
