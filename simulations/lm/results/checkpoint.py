"""Stage results of a long computation kept in one file, so an interrupted run resumes where it stopped.

A :class:`Checkpoint` holds the finished stages of one run, keyed by name, beside the run's
``identity`` (its model, task fingerprint and settings: whatever changes the numbers). Each stage
is written atomically as soon as it is done, with the forward tokens and seconds spent so far, so
an interruption loses at most the stage in progress and nothing half-written is read back. A file
whose identity differs from the run's is refused, naming the first field that differs: a stage
of one run is never mixed into another.
"""
from __future__ import annotations

import json
from pathlib import Path

from simulations.io import atomic_write_json, json_safe


class Checkpoint:
    """Finished stages of the run ``identity`` (a JSON-able dict) in the file ``path``."""

    def __init__(self, path, identity: dict):
        self.path = Path(path)
        self.identity = json.loads(json.dumps(json_safe(identity)))
        self._data = {"identity": self.identity, "stages": {}, "forward_tokens": 0, "seconds": 0.0}
        data = read_checkpoint(self.path)
        if data is not None:
            had = data.get("identity", {})
            for k in sorted(set(had) | set(self.identity)):
                if had.get(k) != self.identity.get(k):
                    raise ValueError(f"checkpoint {self.path}: its {k} is {had.get(k)!r}, this run's "
                                     f"{self.identity.get(k)!r}; delete the file or name another")
            self._data = data

    @property
    def stages(self) -> tuple:
        """The names of the finished stages, in the order they finished."""
        return tuple(self._data["stages"])

    @property
    def forward_tokens(self) -> int:
        """Forward tokens spent by the runs that wrote the finished stages."""
        return int(self._data["forward_tokens"])

    @property
    def seconds(self) -> float:
        """Seconds spent by the runs that wrote the finished stages."""
        return float(self._data["seconds"])

    def __contains__(self, name: str) -> bool:
        return name in self._data["stages"]

    def __getitem__(self, name: str):
        return self._data["stages"][name]

    def save(self, name: str, value, *, forward_tokens: int, seconds: float) -> None:
        """Record stage ``name`` with its JSON-able ``value`` and the totals spent so far (this
        run's included), atomically."""
        self._data["stages"][name] = json.loads(json.dumps(json_safe(value)))
        self._data["forward_tokens"] = int(forward_tokens)
        self._data["seconds"] = float(seconds)
        atomic_write_json(self.path, self._data)


def read_checkpoint(path) -> dict | None:
    """The content of the checkpoint file at ``path``, or ``None`` when there is none; a file that
    is not a checkpoint is a ``ValueError`` naming it (a CLI calls this before the model loads)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"checkpoint {path}: not a readable checkpoint file ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict) or not isinstance(
            data.get("identity"), dict):
        raise ValueError(f"checkpoint {path}: not a checkpoint file (no identity and stages)")
    return data
