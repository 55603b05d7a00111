"""Stage 2 of ``coherence lm``, the backend prior: where a language model runs and the
:class:`theory.prior.Prior` its label-token probabilities make of a task. :mod:`.where` (local
weights or a server: ``open_model``, ``make_prior``), local weights through :mod:`.loader`,
:mod:`.prior`, :mod:`.prefix_scorer`, :mod:`.dtype_choice`, :mod:`.knowledge`, :mod:`.fastpath` and
:mod:`.agreement`; an OpenAI-compatible server through :mod:`.served`, :mod:`.served_model`,
:mod:`.http_client`, :mod:`.response_cache`, :mod:`.reply_checks` and :mod:`.llama_server`.
"""
