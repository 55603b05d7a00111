"""Files the toolkit reads back: every one has a schema, checked on read (docs/reliability.md).

Two kinds of stored file, two rules:

* **Cache entries** (sweep points, check records, server responses) are only ever written by
  :func:`write_cache_entry`, which adds a ``sha256`` field: the SHA-256 of the canonical JSON of
  the rest of the entry. :func:`read_cache_entry` returns an entry only when it is a readable JSON
  object whose checksum matches and which passes its schema; anything else (unreadable, not JSON,
  the wrong shape, a folder where the file should be, an edited or pre-checksum entry) is one
  warning line on stderr and ``None``, so the caller recomputes it.
* **Files a user names** (the table files of ``lm predictions`` / ``lm figures``) are read with
  :func:`read_user_file`: a file that fails is a ``ValueError`` naming the file and the first bad
  field, which the CLI turns into exit 2 with one line on stderr.

Schemas are plain validators: a validator is a function ``check(value, where)`` that returns
nothing or raises :class:`BadStoredFile` with ``where``, the path of the field (``runs["a|b|0"]
.accuracy``, ``labels[3]``). The combinators below (:func:`obj`, :func:`list_of`, ...) build them.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

from .io import atomic_write_text, dumps


class BadStoredFile(ValueError):
    """A stored document that is unreadable or fails its schema: ``field`` is the path of the
    first bad field (``""`` for the whole document), ``reason`` what is wrong with it."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}" if field else reason)


# -- validators ---------------------------------------------------------------------------------

def _got(value) -> str:
    """A short description of a JSON value for an error message (one line, bounded length)."""
    kind = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    text = repr(value)
    return f"{kind} ({text if len(text) <= 40 else text[:37] + '...'})"


def field_path(where: str, key) -> str:
    """The path of the field ``key`` of the object at ``where``: ``where.key``, or ``where["key"]``
    for a key that is not a plain name."""
    # identifier-like keys read as attributes, the others (task|method|seed keys) as subscripts
    k = str(key)
    return (f"{where}.{k}" if where else k) if k.replace("_", "a").isalnum() else f"{where}[{json.dumps(k)}]"


def anything(value, where: str) -> None:
    """Any JSON value."""


def string(value, where: str) -> None:
    """A JSON string."""
    if not isinstance(value, str):
        raise BadStoredFile(where, f"expected a string, got {_got(value)}")


def integer(value, where: str) -> None:
    """A JSON integer (``true``/``false`` are not integers)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadStoredFile(where, f"expected an integer, got {_got(value)}")


def number(value, where: str) -> None:
    """A finite JSON number (``NaN``/``Infinity`` are never written: :func:`simulations.io.json_safe`)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise BadStoredFile(where, f"expected a finite number, got {_got(value)}")


def non_negative(value, where: str) -> None:
    """A finite number >= 0."""
    number(value, where)
    if value < 0:
        raise BadStoredFile(where, f"expected a number >= 0, got {_got(value)}")


def boolean(value, where: str) -> None:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise BadStoredFile(where, f"expected true or false, got {_got(value)}")


def nullable(check):
    """``null`` or a value passing ``check``."""
    def nullable_check(value, where):
        if value is not None:
            check(value, where)
    return nullable_check


def one_of(*allowed):
    """One of the JSON values ``allowed``."""
    def one_of_check(value, where):
        if not any(type(value) is type(a) and value == a for a in allowed):
            choices = ", ".join(json.dumps(a) for a in allowed)
            raise BadStoredFile(where, f"expected {'one of ' if len(allowed) > 1 else ''}{choices}, got {_got(value)}")
    return one_of_check


def same_json(expected, what: str = "this lookup"):
    """A value whose canonical JSON equals that of ``expected`` (an entry stored for ``what``)."""
    want = canonical(expected)

    def same_check(value, where):
        if canonical(value) != want:
            raise BadStoredFile(where, f"differs from {what}")
    return same_check


def list_of(check, *, min_len: int = 0):
    """A JSON list (at least ``min_len`` long) whose items pass ``check``."""
    def list_check(value, where):
        if not isinstance(value, list):
            raise BadStoredFile(where, f"expected a list, got {_got(value)}")
        if len(value) < min_len:
            raise BadStoredFile(where, f"expected at least {min_len} item(s), got {len(value)}")
        for j, v in enumerate(value):
            check(v, f"{where}[{j}]")
    return list_check


def dict_of(check):
    """A JSON object whose values pass ``check`` (any keys)."""
    def dict_check(value, where):
        if not isinstance(value, dict):
            raise BadStoredFile(where, f"expected an object, got {_got(value)}")
        for k, v in value.items():
            check(v, field_path(where, k))
    return dict_check


def obj(required: dict | None = None, optional: dict | None = None):
    """A JSON object holding every key of ``required`` and possibly those of ``optional``, each
    value passing the key's validator; other keys are allowed (files gain fields over time)."""
    required, optional = dict(required or {}), dict(optional or {})

    def obj_check(value, where):
        if not isinstance(value, dict):
            raise BadStoredFile(where, f"expected an object, got {_got(value)}")
        for k, check in required.items():
            if k not in value:
                raise BadStoredFile(field_path(where, k), "missing")
            check(value[k], field_path(where, k))
        for k, check in optional.items():
            if k in value:
                check(value[k], field_path(where, k))
    return obj_check


# -- reading --------------------------------------------------------------------------------------

def _no_constant(name):
    raise ValueError(f"{name} is not strict JSON")


def load_json(path):
    """The parsed strict JSON of the file at ``path``. ``FileNotFoundError`` when there is none;
    :class:`BadStoredFile` (field ``""``) when it is a folder, unreadable, not UTF-8 or not strict
    JSON (``NaN``/``Infinity`` included)."""
    p = Path(path)
    if p.is_dir():
        raise BadStoredFile("", "is a folder, not a file")
    if p.exists() and not p.is_file():      # a FIFO or device would block or never end
        raise BadStoredFile("", "is not a regular file")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise BadStoredFile("", f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise BadStoredFile("", f"is not UTF-8 text ({exc.reason})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadStoredFile("", f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:
        raise BadStoredFile("", f"is not valid JSON ({exc})") from None
    except RecursionError:
        raise BadStoredFile("", "is nested too deeply to read") from None


def read_user_file(path, check, what: str = "file"):
    """The document in the file at ``path``, named by the user, checked by ``check``. A missing,
    unreadable or malformed file is a ``ValueError`` ``"{what} {path}: {field}: {reason}"`` (the
    first bad field), which the CLI reports as one line with exit status 2."""
    p = Path(path)
    try:
        doc = load_json(p)
        check(doc, "")
    except FileNotFoundError:
        raise ValueError(f"{what} {p}: no such file") from None
    except BadStoredFile as exc:
        raise ValueError(f"{what} {p}: {exc}") from None
    return doc


# -- cache entries: checksummed ------------------------------------------------------------------

def canonical(obj) -> str:
    """Canonical JSON of ``obj`` (strict, keys sorted, no spaces, ASCII): the text its checksum
    hashes. ASCII, because a string holding a lone surrogate (valid JSON) has no UTF-8 form."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def checksum(entry: dict) -> str:
    """Hex SHA-256 of the canonical JSON of ``entry`` without its ``sha256`` field."""
    body = {k: v for k, v in entry.items() if k != "sha256"}
    return hashlib.sha256(canonical(body).encode("ascii")).hexdigest()


def seal(entry: dict) -> dict:
    """``entry`` as written to disk (the JSON round trip, so the checksum is of what is read
    back) with its ``sha256`` field added."""
    body = json.loads(dumps({k: v for k, v in entry.items() if k != "sha256"}))
    return {**body, "sha256": checksum(body)}


def verify(entry) -> None:
    """:class:`BadStoredFile` unless ``entry`` is an object whose ``sha256`` matches its content."""
    if not isinstance(entry, dict):
        raise BadStoredFile("", f"expected an object, got {_got(entry)}")
    if "sha256" not in entry:
        raise BadStoredFile("sha256", "missing (an entry written without a checksum)")
    if entry["sha256"] != checksum(entry):
        raise BadStoredFile("sha256", "does not match the content (the entry was edited or damaged)")


def read_or_warn(path, check, kind: str, action: str = "recomputing it", warn: bool = True):
    """The document in the file at ``path`` checked by ``check``, or ``None``: silently when there
    is no file, else (unreadable, not JSON, failing ``check``) with one warning line on stderr
    naming ``kind``, the file, the first bad field and ``action`` (what the caller does instead;
    no line with ``warn`` false: a caller that reads many entries says it once)."""
    p = Path(path)
    try:
        doc = load_json(p)
        check(doc, "")
    except FileNotFoundError:
        return None
    except BadStoredFile as exc:
        if warn:
            print(f"coherence: warning: {kind} {p}: {exc}; {action}", file=sys.stderr, flush=True)
        return None
    return doc


def read_cache_entry(path, check, kind: str = "cache entry", warn: bool = True):
    """The cache entry at ``path`` without its ``sha256`` field, or ``None`` for the caller to
    recompute (:func:`read_or_warn`: a warning line unless the file is just missing). Valid means
    its checksum matches (:func:`verify`) and it passes ``check``."""
    def sealed(entry, where):
        verify(entry)
        check(entry, where)

    p = Path(path)
    # a folder in the entry's place is not removed (it is not ours), so the result goes uncached
    action = "recomputing it" + (" (not cached while the folder is there)" if p.is_dir() else "")
    entry = read_or_warn(p, sealed, kind, action, warn)
    return None if entry is None else {k: v for k, v in entry.items() if k != "sha256"}


def write_cache_entry(path, entry: dict, *, indent=None) -> dict:
    """Write :func:`seal` ``(entry)`` to ``path`` atomically and return it without ``sha256``
    (what :func:`read_cache_entry` will read back). A folder standing where the file should go
    is left alone and nothing is written: it is someone's folder, and the warning of
    :func:`read_cache_entry` already named it."""
    sealed = seal(entry)
    p = Path(path)
    if not p.is_dir():
        atomic_write_text(p, (canonical(sealed) if indent is None else dumps(sealed, indent=indent)) + "\n")
    return {k: v for k, v in sealed.items() if k != "sha256"}
