"""What a served model's reply must look like before anything reads it, and the API key's removal.

An OpenAI-compatible server's reply is JSON written by another program; a reply of the wrong
shape or with impossible numbers must stop a run with one line naming the server, never turn
into a traceback or, worse, silently into numbers (a NaN log-probability renormalised into 0
for every label, a positive one renormalised away). The rules, checked on every fresh reply and
on every reply read back from the response cache (docs/reliability.md, "Served models"):

* the body is a JSON object; ``choices`` a non-empty list whose first entry is an object;
* ``usage.prompt_tokens`` and ``usage.completion_tokens``, when present, are integers >= 0;
* a request that asked for ``logprobs`` gets ``choices[0].logprobs.top_logprobs``: a non-empty
  list whose entries are objects ``{token: log-probability}`` or ``null`` (the first prompt
  position of an echo reply has none), the last (the generated token) a non-empty object;
* every log-probability is a JSON number (not a string, not a boolean), finite, and at most
  :data:`LOGPROB_TOL` (a log-probability is <= 0; the tolerance admits a printed ``1e-7`` from
  rounding, never a real positive value);
* the probabilities of one top-``K`` object, being those of distinct tokens, sum to at most
  ``1 + MASS_TOL`` (:data:`MASS_TOL` admits rounding of the printed values);
* ``tokens`` and ``text_offset``, when present, are lists of strings and of integers >= 0.

:func:`scrub` replaces the API key everywhere in a decoded reply, so a server that echoes the
request's ``Authorization`` header cannot put the key into a message or the response cache.
"""
from __future__ import annotations

import math

#: largest log-probability accepted: rounding of a printed 0 (vLLM and llama.cpp print <= 0)
LOGPROB_TOL = 1e-6
#: largest excess over 1 of a top-K object's probability mass accepted (printed values are rounded)
MASS_TOL = 1e-3
#: what the API key is replaced with
REDACTED = "***"


def redact(text: str, key: str | None) -> str:
    """``text`` with every occurrence of ``key`` replaced by ``***`` (unchanged without a key)."""
    return text.replace(key, REDACTED) if key else text


def scrub(doc, key: str | None):
    """``doc`` (decoded JSON) with ``key`` replaced by ``***`` in every string, object keys
    included; containers are edited in place. Iterative, so no nesting depth that ``json.loads``
    accepts can exhaust the stack."""
    if not key:
        return doc
    root = [doc]
    stack = [(root, 0)]
    while stack:
        box, i = stack.pop()
        v = box[i]
        if isinstance(v, str):
            if key in v:
                box[i] = v.replace(key, REDACTED)
        elif isinstance(v, list):
            stack.extend((v, j) for j in range(len(v)))
        elif isinstance(v, dict):
            if any(key in k for k in v):
                v = {k.replace(key, REDACTED): x for k, x in v.items()}
                box[i] = v
            stack.extend((v, k) for k in v)
    return root[0]


def _kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "list", str: "string", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _count_problem(name: str, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"{name} is {_show(value)}, not an integer >= 0"
    return None


def logprob_problem(where: str, value):
    """Why ``value`` is not a usable log-probability (``None`` when it is)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{where} is the {_kind(value)} {_show(value)}, not a number"
    try:
        v = float(value)
    except OverflowError:  # an integer too large for a float
        return f"{where} is {_show(value)}, not a finite number"
    if not math.isfinite(v):
        return f"{where} is {v}, not a finite number"
    if v > LOGPROB_TOL:
        return f"{where} is {v:g} > 0, and a log-probability is <= 0"
    return None


def top_problem(where: str, top):
    """Why ``top`` is not a top-K object ``{token: log-probability}`` (``None`` when it is)."""
    if not isinstance(top, dict):
        return f"{where} is a JSON {_kind(top)}, not an object {{token: log-probability}}"
    mass = 0.0
    for tok, v in top.items():
        problem = logprob_problem(f"{where}[{_show(tok)}]", v)
        if problem:
            return problem
        mass += math.exp(min(float(v), 0.0))
    if mass > 1.0 + MASS_TOL:
        return (f"{where} gives its {len(top)} distinct tokens probabilities summing to {mass:.6g} > 1 "
                f"(tolerance {MASS_TOL:g})")
    return None


def completion_problem(doc, payload: dict | None = None):
    """Why ``doc`` is not a usable reply of ``POST /v1/completions`` to ``payload`` (module
    docstring), or ``None`` when it is."""
    if not isinstance(doc, dict):
        return f"the reply is a JSON {_kind(doc)}, not an object"
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices:
        return f"the reply's choices is {_show(choices)}, not a non-empty list"
    if not isinstance(choices[0], dict):
        return f"choices[0] is a JSON {_kind(choices[0])}, not an object"
    usage = doc.get("usage")
    if usage is not None and not isinstance(usage, dict):
        return f"usage is a JSON {_kind(usage)}, not an object"
    for name in ("prompt_tokens", "completion_tokens"):
        problem = _count_problem(f"usage.{name}", (usage or {}).get(name))
        if problem:
            return problem
    wants = bool((payload or {}).get("logprobs"))
    lp = choices[0].get("logprobs")
    if lp is None or (isinstance(lp, dict) and lp.get("top_logprobs") is None):
        if not wants:
            return None
        return ("the reply has no choices[0].logprobs.top_logprobs: the server must support the completions "
                "parameter `logprobs`")
    if not isinstance(lp, dict):
        return f"choices[0].logprobs is a JSON {_kind(lp)}, not an object"
    tops = lp["top_logprobs"]
    if not isinstance(tops, list) or not tops:
        return f"choices[0].logprobs.top_logprobs is {_show(tops)}, not a non-empty list"
    for p, top in enumerate(tops):
        if top is None and p < len(tops) - 1:
            continue  # an echoed prompt's first position has no distribution
        problem = top_problem(f"choices[0].logprobs.top_logprobs[{p}]", top)
        if problem:
            return problem
    if wants and not tops[-1]:
        return "the generated token's top_logprobs object is empty"
    tokens, offsets = lp.get("tokens"), lp.get("text_offset")
    if tokens is not None and (not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens)):
        return "choices[0].logprobs.tokens is not a list of strings"
    if offsets is not None and (not isinstance(offsets, list)
                                or any(_count_problem("", o) for o in offsets)):
        return "choices[0].logprobs.text_offset is not a list of integers >= 0"
    return None


def models_problem(doc):
    """Why ``doc`` is not a usable reply of ``GET /v1/models`` (an object whose ``data`` lists
    objects with a string ``id``), or ``None`` when it is."""
    if not isinstance(doc, dict):
        return f"the reply is a JSON {_kind(doc)}, not an object"
    data = doc.get("data")
    if not isinstance(data, list):
        return f"the reply's data is {_show(data)}, not a list of models"
    for j, m in enumerate(data):
        if not isinstance(m, dict) or not isinstance(m.get("id"), str):
            return f"data[{j}] is {_show(m)}, not an object with a string id"
    return None
