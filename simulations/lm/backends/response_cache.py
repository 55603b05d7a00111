"""On-disk cache of server responses, so a rerun costs no requests and an interrupted run resumes.

The key of a response is the SHA-256 of the canonical JSON of ``(server, model, payload)``,
where ``payload`` is the whole request body (prompt text, ``max_tokens``, ``logprobs``,
``echo``, temperature ...): any change of server, model, prompt or parameter is a different
key. Each response is one file ``ROOT/<key[:2]>/<key>.json``, written atomically
(:func:`simulations.stored.write_cache_entry`) the moment it arrives, so a run killed at any point
leaves only complete entries and a rerun reads them back. Entries are also kept in memory.

An entry on disk is ``{"key", "response", "sha256"}``, the last the SHA-256 of the rest
(:mod:`simulations.stored`); one that is unreadable, edited, of another key or of the wrong shape
is fetched again, with one warning line on stderr.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from simulations.io import check_writable
from simulations.stored import obj, one_of, read_cache_entry, string, write_cache_entry


def response_key(server: str, model: str | None, payload: dict) -> str:
    """Hex SHA-256 of the canonical JSON of ``{"server", "model", "payload"}``."""
    doc = json.dumps({"server": server, "model": model, "payload": payload}, sort_keys=True,
                     separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()


def entry_schema(key: str):
    """Validator of the stored entry of ``key``: ``{key, response, sha256}``, ``key`` this one and
    ``response`` an object (a server's JSON answer)."""
    return obj({"key": one_of(key), "response": obj(), "sha256": string})


class ResponseCache:
    """Responses under ``root`` (created on first write); ``root=None`` keeps them in memory only.

    Counters: ``hits`` (answered from memory or disk), ``misses``, ``writes``.
    """

    def __init__(self, root=None):
        self.root = None if root is None else check_writable(Path(root), argument="cache")
        self._mem: dict = {}
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._warned = False  # a bad entry was reported: the others are fetched again silently

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str):
        """The stored response for ``key``, or ``None``."""
        if key in self._mem:
            self.hits += 1
            return self._mem[key]
        if self.root is not None:
            # one warning line per cache, not one per entry: a cache written before checksums
            # holds thousands of entries that are all fetched again once
            kind = "server response cache entry" + ("" if self._warned else
                                                     " (further bad entries of this cache are fetched again silently)")
            path = self._path(key)
            entry = read_cache_entry(path, entry_schema(key), kind=kind, warn=not self._warned)
            if entry is None and path.exists():
                self._warned = True
            if entry is not None:
                self._mem[key] = entry["response"]
                self.hits += 1
                return entry["response"]
        self.misses += 1
        return None

    def put(self, key: str, response: dict) -> None:
        """Store ``response`` under ``key`` (memory, and disk when ``root`` is set)."""
        self._mem[key] = response
        if self.root is not None:
            write_cache_entry(self._path(key), {"key": key, "response": response})
        self.writes += 1

    def __len__(self) -> int:
        if self.root is None or not self.root.exists():
            return len(self._mem)
        return sum(1 for _ in self.root.glob("??/*.json"))

    def stats(self) -> dict:
        return {"cache_hits": self.hits, "cache_misses": self.misses, "cache_writes": self.writes,
                "cache_dir": None if self.root is None else str(self.root)}
