"""The trained transformer: one-pass sequential conditionals vs prompt-by-prompt, and a learning test
against the exact Bayesian codelength (the gap must shrink far below the zero-shot gap)."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from simulations.lm.backends.loader import cpu_threads  # noqa: E402
from simulations.transformer_training import TrainConfig, TrainedSequencePrior, build_network, make_prior, train  # noqa: E402

cpu_threads()  # one thread when the shared cores are busy (OpenMP threads stall each other)


def test_sequential_pass_equals_conditional_chain():
    net = build_network(5, 2, 2, 32, seed=0)
    m = TrainedSequencePrior(net, 5, 2)
    rng = np.random.default_rng(0)
    B = rng.integers(0, 2, (3, 5))
    s = rng.permutation(5)
    one = m.log_sequential(B, s)
    chain = np.stack([np.take_along_axis(m.log_conditional(B, s[t], s[:t]), B[:, s[t], None], -1)[:, 0]
                      for t in range(5)], axis=-1)
    assert np.max(np.abs(one - chain)) < 1e-5
    rows = m.coherence_in_orders(B, np.stack([s, s[::-1], s]))
    assert np.allclose(rows, [one[0].sum(), m.log_joint(B[1], s[::-1]), one[2].sum()], atol=1e-5)


def test_training_approaches_exact_codelength():
    cfg = TrainConfig(n=6, steps=400, batch=64, test=400, layers=2, hidden=32, lr=5e-3, seed=1)
    res = train(cfg, progress=False)
    prior = make_prior(cfg)
    assert res["n"] == prior.n
    # exact code is the entropy rate; a context-blind code pays the zero-shot gap
    assert res["zero_shot_gap_bits_per_behaviour"] > 0.05
    assert res["gap_bits_per_behaviour"] < 0.5 * res["zero_shot_gap_bits_per_behaviour"]
    assert res["gap_bits_per_behaviour"] > -4 * res["gap_stderr"] - 1e-3
