"""Real causal language models as pretrained priors (the optional ``[lm]`` extra), in four stages
along the data's path (docs/development.md, "simulations/lm stages"):

* :mod:`simulations.lm.tasks` -- items with gold labels, consistency groups and prompt formats
  (:func:`simulations.lm.tasks.registry.make_task`);
* :mod:`simulations.lm.backends` -- where a model runs (local weights or an OpenAI-compatible
  server, :mod:`simulations.lm.backends.where`) and the :class:`theory.prior.Prior` it makes of a
  task (:class:`~simulations.lm.backends.prior.LMPrior`,
  :class:`~simulations.lm.backends.served.ServedPrior`);
* :mod:`simulations.lm.searches` -- the coherence searches at scale and their baselines;
* :mod:`simulations.lm.results` -- tables, landscapes, verdicts, predictions, reports, figures.

The command line ``coherence lm`` is :mod:`coherence.lm` (nothing here imports it).

The small transformer trained on a synthetic prior (``coherence lm train``) is
:mod:`simulations.transformer_training`. ``torch`` and ``transformers`` are imported lazily,
inside the functions that need them, so that importing this package costs nothing when the
extra is absent.
"""
