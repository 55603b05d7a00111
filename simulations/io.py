"""Files the toolkit writes: atomic writes with the user's umask, and strict JSON.

Every writer in the toolkit goes through :func:`atomic_write_bytes` (or its text/JSON forms):
the bytes go to a temporary file in the destination folder, are flushed to disk, get the mode a
plain ``open(path, "w")`` would give (``0o666`` minus the umask; :func:`tempfile.mkstemp`
alone would leave ``0o600``), and replace the destination with :func:`os.replace`. A reader
therefore sees either the old file or the new one, never a half-written one.

JSON is strict: :func:`json_safe` turns NaN and infinities into ``null`` and numpy scalars and
arrays into Python numbers and lists, so strict parsers accept every file and stdout document.

Everything the toolkit caches lives under one folder, :func:`cache_root` (``--cache-dir`` on every
command, else ``$COHERENCE_CACHE_DIR``, else the platform's user cache folder): sweep points in
``sweeps/``, check records in ``checks/``, ``lm table`` files in ``lm-tables/``, served responses
in ``responses/``, GGUF conversions in ``gguf/`` and ``<gguf name>-<key>/``.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np


#: environment variable naming the cache root (``--cache-dir`` overrides it)
CACHE_ENV = "COHERENCE_CACHE_DIR"
#: the help of ``--cache-dir``, the same on every command
CACHE_DIR_HELP = (f"cache root (default ${CACHE_ENV}, else $XDG_CACHE_HOME/coherence or ~/.cache/coherence); "
                  "every cache of the command lies under it")


def cache_root(path=None) -> Path:
    """The toolkit's cache root: ``path`` (a command's ``--cache-dir``), else
    ``$COHERENCE_CACHE_DIR``, else ``$XDG_CACHE_HOME/coherence``, else ``~/.cache/coherence``;
    independent of the current folder. The one definition every command and cache uses."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coherence"


#: where converted model weights go, when set (default: ``<cache root>/models``)
MODEL_CACHE_ENV = "COHERENCE_MODEL_CACHE"


def model_cache(path=None) -> Path:
    """Where converted model weights are kept (gigabytes, slow to make, never a result):
    ``$COHERENCE_MODEL_CACHE`` when set, else ``<cache root>/models`` (:func:`cache_root` of
    ``path``). A separate variable lets a test suite give every test a fresh cache root for
    results while converting each model once."""
    if os.environ.get(MODEL_CACHE_ENV):
        return Path(os.environ[MODEL_CACHE_ENV]).expanduser()
    return cache_root(path) / "models"


def _umask() -> int:
    # os.umask can only be read by setting it; restore it at once
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, :func:`os.replace`),
    creating the parent folder, with permissions ``0o666 & ~umask``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text: str) -> None:
    """UTF-8 text form of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def json_safe(obj):
    """``obj`` with NaN/inf floats as ``None``, numpy scalars as Python numbers, arrays and
    tuples as lists, and dict keys as strings: what :func:`json.dumps` with ``allow_nan=False``
    accepts."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    return obj


def dumps(obj, *, indent=None, sort_keys: bool = False) -> str:
    """Strict JSON text of :func:`json_safe` ``(obj)`` (never ``NaN``)."""
    return json.dumps(json_safe(obj), indent=indent, sort_keys=sort_keys, allow_nan=False)


def atomic_write_json(path, obj, *, indent=1, sort_keys: bool = False) -> None:
    """Write ``obj`` as strict JSON (plus a final newline) atomically."""
    atomic_write_text(path, dumps(obj, indent=indent, sort_keys=sort_keys) + "\n")


def check_writable(path, *, argument: str = "--out") -> Path:
    """Fail early (``ValueError`` naming ``argument``) when ``path`` cannot be written: its
    nearest existing ancestor must be a writable folder, and ``path`` itself not a folder when
    a file is meant. Returns the path. Called before long work so results are never lost."""
    p = Path(path)
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    ok = probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
    if ok:
        # os.access answers yes to root everywhere (even /proc, read-only mounts): really try
        try:
            tempfile.TemporaryFile(dir=probe).close()
        except OSError:
            ok = False
    if not ok:
        raise ValueError(f"{argument}: cannot write under {str(p)!r} ({str(probe)!r} is not a writable folder)")
    return p


@contextmanager
def file_lock(path):
    """Hold an exclusive advisory lock (``fcntl.flock``) on the hidden file ``.NAME.lock`` beside
    ``path`` while the block runs, so that processes updating one file take turns. The lock file
    is left in place (removing it would let a waiting process lock a file nobody else sees).
    Where ``fcntl`` does not exist (Windows) the block runs unlocked."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(path.parent / f".{path.name}.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
