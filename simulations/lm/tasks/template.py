"""A prompt template checked against the items it will render, before any model loads.

A template is a Python format string with named fields: ``{choice}``, ``{question}`` and any
field every item of the task has (a user file's extra fields, :mod:`simulations.lm.tasks.jsonl`).
:func:`check_template` refuses, naming ``--template``: a string that does not parse, a
positional field (``{0}``, ``{}``), an attribute or index (``{choice.x}``), and a field some
item lacks (naming the field and the first such item). It returns the warnings worth a line:
a literal backslash-n (typed in double quotes on a shell, ``\\n`` stays two characters and
every prompt carries it).
"""
from __future__ import annotations

import string


def template_fields(template: str, *, argument: str = "--template") -> list:
    """The field names ``template`` uses, in order; ``ValueError`` naming ``argument`` when it
    does not parse or uses a positional, attribute or index field."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{argument} is not a valid template ({exc}); write literal braces as {{{{ and }}}}, "
                         f"got {template!r}") from None
    names = []
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise ValueError(f"{argument} fields must be named, like {{choice}} or {{question}}; got "
                             f"{{{name}}} in {template!r}")
        if any(c in name for c in ".["):
            raise ValueError(f"{argument} fields must be plain names, like {{choice}}; got {{{name}}} in {template!r}")
        names.append(name)
    return names


def check_template(template: str, items, *, argument: str = "--template") -> list:
    """Check ``template`` against ``items`` (each with ``fields``, empty for built-in tasks whose
    items have ``question`` and ``choice``); returns warning lines (possibly none)."""
    names = template_fields(template, argument=argument)
    for name in dict.fromkeys(names):
        for i, it in enumerate(items, 1):
            have = it.fields or ("question", "choice")
            if name not in have:
                raise ValueError(f"{argument} uses the field {{{name}}}, which item {i} of the task lacks "
                                 f"(its fields: {', '.join(have)})")
    warnings = []
    if "\\n" in template:
        warnings.append(f"{argument} holds a literal backslash-n (two characters), not a line break: every prompt "
                        "carries it; in a shell write $'...\\n...' or a real newline")
    return warnings
