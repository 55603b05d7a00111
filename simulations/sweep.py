"""Parameter sweeps: run one function over many parameter points, in parallel, cached, resumable.

A *point* is a JSON-serialisable dict of parameters; the function maps a point to a
JSON-serialisable dict of results and must be a picklable top-level function (it runs in
joblib workers). Each result is cached in its own file named by the SHA-256 of

    {"fn": "module:qualname", "salt": salt, "point": point}      (keys sorted, JSON)

(the figures and explore commands put :func:`code_fingerprint` into the salt, so results of
other code are never reused), so a repeated sweep reads the cache instead of recomputing, and a sweep interrupted by
Ctrl-C or ``kill`` resumes where it stopped: every finished point was already written. Files are
written atomically (:func:`simulations.io.atomic_write_text`), so a kill mid-write never leaves
a truncated cache entry. Each entry carries the SHA-256 of its content and is checked on read
(:mod:`simulations.stored`): an entry that is damaged, edited, of another point, or of the wrong
shape is recomputed, with one warning line on stderr. Cached floats round-trip exactly through
JSON (Python writes the shortest repr), so cached and fresh results are identical.

The cache lives in the user cache folder, not the current one (:func:`simulations.io.cache_root`,
the one cache root of every command: ``--cache-dir``, else ``$COHERENCE_CACHE_DIR``, else
``$XDG_CACHE_HOME/coherence``, else ``~/.cache/coherence``); sweeps use its ``sweeps/`` subfolder
(``coherence check`` its ``checks/``).

Process workers die with the process that started them: each worker runs a watchdog thread that
exits the worker as soon as its parent is gone (SIGKILL of ``coherence figures`` leaves no
orphaned worker computing for minutes).

Backends: ``"loky"`` (joblib processes, the default), ``"sequential"`` (in-process, for
debugging), and ``"dask"`` (joblib's dask backend; ``scheduler`` is the address of a running
``distributed`` scheduler, e.g. ``tcp://10.0.0.1:8786``; without one a local cluster is started).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Callable, Iterable

# cache_root and CACHE_ENV are defined in .io (one definition for every command) and re-exported here
from .io import CACHE_DIR_HELP, CACHE_ENV, cache_root  # noqa: F401
from .stored import anything, dict_of, obj, one_of, read_cache_entry, same_json, string, write_cache_entry

BACKENDS = ("loky", "sequential", "dask")


def cache_dir(path=None) -> Path:
    """The sweep cache folder: ``cache_root(path) / "sweeps"``."""
    return cache_root(path) / "sweeps"


def fn_name(fn: Callable) -> str:
    """``module:qualname`` of a top-level function (the cache key's function part)."""
    return f"{fn.__module__}:{fn.__qualname__}"


def canonical_json(obj) -> str:
    """Deterministic JSON: sorted keys, no whitespace variation, NaN rejected."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def code_fingerprint(packages=("theory", "simulations")) -> str:
    """SHA-256 (first 16 hex digits) of every ``.py`` file of the named packages (by default
    :mod:`theory` and :mod:`simulations`; ``coherence check`` adds :mod:`proofs_check`).

    Part of each experiment's cache salt, so a cached point computed by other code is never read
    back: editing any model, search or experiment invalidates the cache (resuming an interrupted
    run of the same code still reuses everything it finished).
    """
    import importlib

    h = hashlib.sha256()
    for name in packages:
        root = Path(importlib.import_module(name).__file__).resolve().parent
        for f in sorted(root.rglob("*.py")):
            h.update(str(f.relative_to(root.parent)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def point_key(fn: Callable, point: dict, salt: str = "") -> str:
    """SHA-256 hex digest naming the cache file of ``fn(point)``."""
    payload = canonical_json({"fn": fn_name(fn), "salt": str(salt), "point": point})
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_schema(fn: Callable, point: dict, salt: str = ""):
    """Validator of the cache entry of ``fn(point)``: ``{fn, salt, point, result, sha256}``, with
    ``fn``, ``salt`` and ``point`` those of this lookup and ``result`` an object."""
    return obj({"fn": one_of(fn_name(fn)), "salt": one_of(str(salt)), "point": same_json(point, "this point"),
                "result": dict_of(anything), "sha256": string})


def _load(path: Path, fn: Callable, point: dict, salt: str):
    # None (missing, or invalid with one warning line on stderr): the caller recomputes the point
    entry = read_cache_entry(path, entry_schema(fn, point, salt), kind="sweep cache entry")
    return None if entry is None else entry["result"]


_WATCHDOG = {}


def _watch_parent(main_pid: int, interval: float = 0.5) -> None:
    """In a worker process: exit at once when the process that started the sweep is gone
    (its parent pid changes, or ``main_pid`` no longer exists)."""
    ppid = os.getppid()

    def loop():
        import time

        while True:
            time.sleep(interval)
            gone = os.getppid() != ppid
            if not gone and ppid != main_pid:
                try:
                    os.kill(main_pid, 0)
                except ProcessLookupError:
                    gone = True
                except PermissionError:
                    pass
            if gone:
                os._exit(1)

    threading.Thread(target=loop, name="coherence-parent-watchdog", daemon=True).start()


def _call(fn, point, main_pid=None):
    if main_pid is not None and os.getpid() != main_pid and not _WATCHDOG.get(os.getpid()):
        _WATCHDOG[os.getpid()] = True
        _watch_parent(main_pid)
    return fn(dict(point))


def require_dask() -> None:
    """``ValueError`` naming the ``[dask]`` extra when ``dask.distributed`` is not installed."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ValueError("--backend dask needs the [dask] extra: pip install -e '.[dask]' "
                         "(or pip install 'coherence-toolkit[dask]')") from exc


def _check_backend(backend: str, n_jobs) -> int:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    n = 1 if n_jobs is None else int(n_jobs)
    if n == 0 or n < -1:
        raise ValueError(f"n_jobs must be -1 (all cores) or a positive integer, got {n_jobs}")
    return n


def sweep(fn: Callable[[dict], dict], points: Iterable[dict], *, salt: str = "", cache=None,
          use_cache: bool = True, n_jobs: int = 2, backend: str = "loky", scheduler: str | None = None,
          progress: bool = True, desc: str | None = None) -> list[dict]:
    """``[fn(p) for p in points]``, in order, computing only the points not already cached.

    ``salt`` enters every cache key (bump it when ``fn``'s meaning changes); ``cache`` is the
    folder (default :func:`cache_dir`, ``sweeps/`` under the user cache root); ``use_cache=False`` recomputes
    everything and writes nothing. Results are written one file per point as soon as each finishes, so an
    interrupted sweep loses at most the points in flight. A progress bar goes to standard error.
    """
    n_jobs = _check_backend(backend, n_jobs)
    points = [dict(p) for p in points]
    folder = cache_dir() if cache is None else Path(cache)
    keys = [point_key(fn, p, salt) for p in points]
    results: list = [None] * len(points)
    todo = []
    for j, (p, key) in enumerate(zip(points, keys)):
        r = _load(folder / f"{key}.json", fn, p, salt) if use_cache else None
        if r is None:
            todo.append(j)
        else:
            results[j] = r
    from tqdm import tqdm

    bar = tqdm(total=len(points), initial=len(points) - len(todo), desc=desc or fn.__name__,
               file=sys.stderr, disable=not progress, leave=False, dynamic_ncols=True)

    def store(j, r):
        # round-trip through JSON so a fresh result equals what a cached run returns
        entry = json.loads(canonical_json({"fn": fn_name(fn), "point": points[j], "result": r, "salt": str(salt)}))
        if use_cache:
            entry = write_cache_entry(folder / f"{keys[j]}.json", entry)
        results[j] = entry["result"]
        bar.update(1)

    try:
        if todo:
            if backend == "sequential" or (n_jobs == 1 and backend == "loky"):
                for j in todo:
                    store(j, _call(fn, points[j]))
            elif backend == "loky":
                _run_joblib(fn, points, todo, store, n_jobs, "loky")
            else:
                _run_dask(fn, points, todo, store, n_jobs, scheduler)
    finally:
        bar.close()
    return results


def _run_joblib(fn, points, todo, store, n_jobs, backend, **backend_kw):
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend=backend, n_jobs=n_jobs, **backend_kw):
        gen = Parallel(return_as="generator")(delayed(_call)(fn, points[j], os.getpid()) for j in todo)
        for j, r in zip(todo, gen):
            store(j, r)


def _run_dask(fn, points, todo, store, n_jobs, scheduler):
    require_dask()
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, n_jobs if n_jobs > 0 else os.cpu_count() or 1),
                               threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        from joblib import Parallel, delayed, parallel_config

        # batches, so that an interrupted cluster run keeps every finished batch in the cache
        step = 64
        with parallel_config(backend="dask", wait_for_workers_timeout=60):
            for start in range(0, len(todo), step):
                batch = todo[start:start + step]
                out = Parallel()(delayed(_call)(fn, points[j], None) for j in batch)
                for j, r in zip(batch, out):
                    store(j, r)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
