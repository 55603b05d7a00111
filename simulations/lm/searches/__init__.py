"""Stage 3 of ``coherence lm``, the searches: labellings that maximise coherence under a backend prior,
and what they are compared with. :mod:`.chunked` and :mod:`.certified` (the searches at scale),
:mod:`.local_climb`, :mod:`.methods` (baselines and the search registry), :mod:`.coherence_estimate`
(Coh on held-out orders), :mod:`.debate` and :mod:`.debate_exact`, :mod:`.prequential_training` and
:mod:`.training_bootstrap`.
"""
