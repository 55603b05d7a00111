"""A user's task file, as the field publishes it: a JSON array of objects, or one object per line.

The format is detected from the content: a file whose first non-blank character is ``[`` is
one JSON array (ICM's testbeds are published so); anything else is JSONL, split on ``\\n``
only, so a raw U+2028 or NEL inside a string stays inside it. A record's position is named
``line L`` in JSONL and ``item I`` (from 1) in an array.

Fields: ``choice`` (a string, required); ``question`` (a string, optional: ``""`` when absent);
``label`` (optional: true/false, 0/1, "True"/"False", in any case; absent or null = unknown);
``consistency_id`` (optional: an integer or a string; equal ids form one consistency group;
string ids are numbered in order of first appearance, so groups are the same in every process:
Python's ``hash`` of a string is salted per process). Every other field whose value is a string,
a number or a boolean is kept as text (``extra``) and usable in a template as ``{name}``;
nested values are kept out of templates.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simulations.lm.tasks.item import Item

#: the fields with a meaning of their own; every other scalar field is an extra template field
CORE_FIELDS = ("question", "choice", "label", "consistency_id")


def parse_label(v, where: str) -> int:
    """Gold label of one record: 1, 0, or -1 (unknown)."""
    if v is None:
        return -1
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, np.integer)) and v in (0, 1):
        return int(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "0", "1"):
        return int(v.strip().lower() in ("true", "1"))
    raise ValueError(f"{where}: label must be true/false/0/1, got {v!r}")


def _records(p: Path, text: str) -> list:
    """``[(where, object)]`` of a JSON array or a JSONL text."""
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"task file {p} is a JSON array but not valid JSON (line {exc.lineno}: {exc.msg})") \
                from None
        if not isinstance(data, list):
            raise ValueError(f"task file {p}: expected a JSON array of objects")
        return [(f"task file {p}, item {i}", d) for i, d in enumerate(data, 1)]
    out = []
    # split on "\n" only: str.splitlines() would also split at U+2028, NEL and other separators that
    # JSON allows raw inside a string
    for ln, raw in enumerate(text.split("\n"), 1):
        raw = raw.rstrip("\r")
        if not raw.strip():
            continue
        try:
            out.append((f"task file {p}, line {ln}", json.loads(raw)))
        except json.JSONDecodeError as exc:
            raise ValueError(f"task file {p}, line {ln}: not valid JSON ({exc.msg}); a task file is JSONL (one "
                             "object per line) or one JSON array of objects") from None
    return out


def _text(d: dict, name: str, where: str, required: bool) -> str:
    if name not in d:
        if required:
            raise ValueError(f"{where}: needs the field {name!r} (a string)")
        return ""
    v = d[name]
    if not isinstance(v, str):
        raise ValueError(f"{where}: field {name!r} must be a string, got {type(v).__name__} {json.dumps(v)[:40]}")
    return v


def _extra(d: dict) -> tuple:
    """The record's other scalar fields as ``(name, text)`` pairs, sorted by name."""
    out = []
    for k, v in d.items():
        if k in CORE_FIELDS or isinstance(v, (dict, list)) or v is None:
            continue
        out.append((str(k), v if isinstance(v, str) else json.dumps(v)))
    return tuple(sorted(out))


def load_jsonl(path, n: int | None = None) -> list:
    """Items of a task file (JSON array or JSONL); with ``n``, the file must hold at least ``n``
    items and the first ``n`` are kept (a shorter file is an error, never a silently smaller
    task)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"task jsonl:PATH: no such file {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[:exc.start].count(b"\n") + 1
        raise ValueError(f"task file {p}, line {line}: not UTF-8 text ({exc.reason})") from None
    items, ids = [], {}
    for where, d in _records(p, text):
        if not isinstance(d, dict):
            raise ValueError(f"{where}: each record must be a JSON object, got {type(d).__name__}")
        choice = _text(d, "choice", where, required=True)
        question = _text(d, "question", where, required=False)
        raw_id = d.get("consistency_id")
        if raw_id is not None and (isinstance(raw_id, (bool, float, dict, list))):
            raise ValueError(f"{where}: consistency_id must be an integer or a string, got {raw_id!r}")
        key = ("auto", len(items)) if raw_id is None else ("id", json.dumps(raw_id, sort_keys=True))
        cid = ids.setdefault(key, len(ids))
        fields = ("choice",) + (("question",) if "question" in d else ())
        items.append(Item(question, choice, parse_label(d.get("label"), where), cid, "answer", choice,
                          extra=_extra(d), fields=tuple(sorted(fields + tuple(k for k, _ in _extra(d)))),
                          source_id=json.dumps(raw_id) if raw_id is not None else ""))
    if not items:
        raise ValueError(f"task file {p} holds no items")
    if n is not None:
        if len(items) < n:
            raise ValueError(f"-n = {n} but task file {p} holds only {len(items)} items; use -n {len(items)} or less")
        items = items[:n]
    return items
