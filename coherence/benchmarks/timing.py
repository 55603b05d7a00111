"""Timing helpers of the benchmarks: best-of wall times, a peer swept over its configurations,
and a peer row. They live below the runner (:mod:`coherence.benchmarks.runner`), which imports the
benchmarks, so no benchmark imports the runner back."""
from __future__ import annotations

import time


def best_of(fn, repeat: int = 3) -> float:
    """Minimum wall time of ``repeat`` calls (seconds): the least noisy estimate on a shared box."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def sweep_configs(configs: dict, repeat) -> tuple:
    """Time every ``name -> zero-argument callable`` with :func:`best_of` (``repeat``: an int, or
    a dict ``name -> int``); returns ``(best_name, {name: seconds})``: a peer is compared at its
    fastest configuration."""
    reps = repeat if isinstance(repeat, dict) else dict.fromkeys(configs, repeat)
    times = {name: best_of(fn, repeat=reps[name]) for name, fn in configs.items()}
    return min(times, key=times.get), times


def peer_row(ours: float, peer: str, best: str, times: dict, agreement: dict, baseline_is: str, **params) -> dict:
    """A peer benchmark's result: timed against the fastest configuration ``best`` of ``times``
    (``config -> seconds``), all of them kept in ``params["configs"]`` with their ratios."""
    return {"ours": ours, "baseline": times[best], "baseline_is": f"{baseline_is}: {best}", "peer": peer,
            "config": best, "peer_best_config": best, "agreement": agreement,
            "params": {**params, "configs": times, "ratios": {c: t / ours for c, t in times.items()}}}
