"""A cheap deterministic point function for tests of the sweep machinery (picklable: it runs in
joblib workers, so it lives in an importable module, not in a test file's body)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def demo_point(point: dict) -> dict:
    """``point.get("draws", 3)`` standard normals from ``default_rng(point["seed"])``.

    Sleeps ``point.get("sleep", 0)`` seconds; if ``point.get("log")`` names a folder, records the
    call there (one file per call, named with the worker's pid) so callers can count evaluations
    and find the workers; raises ``KeyboardInterrupt`` when ``point.get("interrupt")`` names an
    existing file (a simulated Ctrl-C).
    """
    if point.get("interrupt") and os.path.exists(point["interrupt"]):
        raise KeyboardInterrupt
    if point.get("log"):
        Path(point["log"]).mkdir(parents=True, exist_ok=True)
        (Path(point["log"]) / f"call-{point['seed']}-{os.getpid()}-{time.monotonic_ns()}").touch()
    if point.get("sleep"):
        time.sleep(float(point["sleep"]))
    x = np.random.default_rng(int(point["seed"])).standard_normal(int(point.get("draws", 3)))
    return {"seed": int(point["seed"]), "values": x.tolist(), "sum": float(x.sum())}
