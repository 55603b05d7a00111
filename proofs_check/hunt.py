"""Counterexample hunting for the checks: a deterministic hypothesis search that returns the
shrunk minimal example satisfying a condition (or None)."""
from __future__ import annotations


def hunt(strategy, condition, max_examples: int = 300):
    """Deterministic hypothesis search: the shrunk minimal example satisfying ``condition``,
    or ``None`` when none was found in ``max_examples`` tries."""
    try:
        from hypothesis import HealthCheck, find, settings
        from hypothesis.errors import NoSuchExample
    except ImportError as exc:  # a test extra; without it the hunting checks report an error
        raise RuntimeError("counterexample hunts need hypothesis: pip install 'coherence-toolkit[test]'") from exc

    cfg = settings(max_examples=max_examples, database=None, derandomize=True, deadline=None,
                   suppress_health_check=list(HealthCheck))
    try:
        return find(strategy, condition, settings=cfg)
    except NoSuchExample:
        return None
