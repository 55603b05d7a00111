"""A user's task file: one JSON object per line.

Fields: ``question`` and ``choice`` (strings, required), ``label`` (optional: true/false,
0/1, "True"/"False"), ``consistency_id`` (optional: an integer or a string; equal ids form one
consistency group). String ids are numbered in order of first appearance, so groups are the
same in every process (Python's ``hash`` of a string is salted per process).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .item import Item


def parse_label(v, line: int) -> int:
    """Gold label of one line: 1, 0, or -1 (unknown)."""
    if v is None:
        return -1
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, np.integer)) and v in (0, 1):
        return int(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "0", "1"):
        return int(v.strip().lower() in ("true", "1"))
    raise ValueError(f"jsonl line {line}: label must be true/false/0/1, got {v!r}")


def load_jsonl(path, n: int | None = None) -> list:
    """Items of a JSONL file; with ``n``, the file must hold at least ``n`` items and the first
    ``n`` are kept (a shorter file is an error, never a silently smaller task)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"task jsonl:PATH: no such file {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[:exc.start].count(b"\n") + 1
        raise ValueError(f"task file {p}, line {line}: not UTF-8 text ({exc.reason})") from None
    items, ids = [], {}
    for ln, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            d = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"task file {p}, line {ln}: not valid JSON ({exc.msg})") from None
        if not isinstance(d, dict):
            raise ValueError(f"task file {p}, line {ln}: each line must be a JSON object, got {type(d).__name__}")
        if "question" not in d or "choice" not in d:
            raise ValueError(f"task file {p}, line {ln}: needs the fields 'question' and 'choice'")
        raw_id = d.get("consistency_id")
        key = ("auto", len(items)) if raw_id is None else ("id", json.dumps(raw_id, sort_keys=True))
        cid = ids.setdefault(key, len(ids))
        items.append(Item(str(d["question"]), str(d["choice"]), parse_label(d.get("label"), ln), cid,
                          "answer", str(d["choice"])))
    if not items:
        raise ValueError(f"task file {p} holds no items")
    if n is not None:
        if len(items) < n:
            raise ValueError(f"-n = {n} but task file {p} holds only {len(items)} items; use -n {len(items)} or less")
        items = items[:n]
    return items
