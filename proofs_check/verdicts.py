"""The one verdict vocabulary of the toolkit, owned by the checks.

A claim is judged by four words, used alike by the checks (``coherence check``), the figures
(``coherence figures``, ``coherence explore``) and the real-model predictions P1-P8:

* ``holds``: the statement is true on every instance examined, within tolerance (a figure: its
  sweep agrees with the prediction);
* ``fails``: a counterexample was found (a figure: its sweep contradicts the prediction);
* ``holds-under-conditions``: true inside stated conditions, with a counterexample outside;
* ``not judged``: the data cannot decide (a real-model prediction on undecided cases, or without
  a committed table file).

This module imports nothing, so every layer may read the words from here: a figure states the
verdict of its claim's check on its own sweep, in the same words.
"""

VERDICTS = ("holds", "fails", "holds-under-conditions", "not judged")


def verdict_of(ok: bool) -> str:
    """``holds`` when ``ok``, else ``fails``."""
    return "holds" if ok else "fails"


def under_conditions(holds_inside: bool, counterexample_outside) -> str:
    """Verdict for a claim true inside its conditions: ``holds-under-conditions`` when a
    counterexample outside was found, ``holds`` when none was, ``fails`` when it fails inside."""
    if not holds_inside:
        return "fails"
    return "holds" if counterexample_outside is None else "holds-under-conditions"


def combine(verdicts) -> str:
    """One verdict from several (one per model, or per claim of a figure): ``fails`` if any fails,
    ``holds`` if all hold, ``holds-under-conditions`` if all hold, some under conditions;
    otherwise (none given, or some not judged) ``not judged``."""
    vs = set(verdicts.values() if isinstance(verdicts, dict) else verdicts)
    if "fails" in vs:
        return "fails"
    if vs and vs <= {"holds", "holds-under-conditions"}:
        return "holds" if vs == {"holds"} else "holds-under-conditions"
    return "not judged"
