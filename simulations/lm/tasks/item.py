"""One labelled claim of a task: what the prompt shows and how it relates to other claims."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """``question`` / ``choice`` fill the task's template; ``label`` is gold (1 True, 0 False,
    -1 unknown); items sharing ``consistency_id`` are linked by ``kind``:

    * ``"answer"``: claims of different answers (``key``) to one question cannot both be True,
      claims of the same answer must agree;
    * ``"comparison"``: "x > y" and "y > x" (``key`` the ordered pair) are True for exactly one;
    * ``"contrast"``: a word and its negation (``key`` the word): exactly one is positive;
    * ``"none"``: no logic between items.

    ``extra`` holds a user file's other fields as ``(name, text)`` pairs, usable in a template as
    ``{name}``; ``fields`` names the template fields the item has (empty for the built-in tasks,
    which all have ``question`` and ``choice``); ``source_id`` is a user file's own
    ``consistency_id`` as canonical JSON (evaluation subsets name groups by it)."""

    question: str
    choice: str
    label: int
    consistency_id: int
    kind: str = "answer"
    key: str = ""
    extra: tuple = ()
    fields: tuple = ()
    source_id: str = ""

    def template_fields(self) -> dict:
        """The values a template may use: ``question``, ``choice`` and the extra fields."""
        return {"question": self.question, "choice": self.choice, **dict(self.extra)}
