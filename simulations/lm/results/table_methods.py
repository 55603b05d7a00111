"""The methods a table file runs, by kind, and the constraint each runs under.

:data:`TABLE_METHODS` maps a method to ``(kind, rule)``: ``kind`` is ``baseline`` (in-context
scores), ``chunked`` (:mod:`simulations.lm.searches.chunked`), ``certified`` (the certified
ascent, :mod:`simulations.lm.searches.certified`) or ``debate``; ``rule`` is ``task`` (the
task's own constraint), ``none`` or ``None`` (a baseline, scored unconstrained).
"""
from __future__ import annotations

#: method -> (kind, constraint rule); "task" = the task's own constraint
TABLE_METHODS = {
    "zero-shot": ("baseline", None),
    "random-few-shot": ("baseline", None),
    "golden-few-shot": ("baseline", None),
    "chunked-bootstrap": ("chunked", "task"),
    "chunked-icm": ("chunked", "task"),
    "chunked-gibbs": ("chunked", "none"),
    "coherence": ("certified", "task"),
    "coherence-free": ("certified", "none"),
    "debate": ("debate", "task"),
    "self-consistency": ("debate", "task"),
}
#: the methods of the certified ascent (the ones the polish, the climb from gold's move settings
#: and the fresh check concern)
CERTIFIED = tuple(m for m, (kind, _) in TABLE_METHODS.items() if kind == "certified")
