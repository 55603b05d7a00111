"""The constrained coherence search a competent optimiser would run, with a certificate.

:func:`certified_ascent` maximises ``Coh`` (nats, over the search's own orders,
:func:`~simulations.lm.chunked.coherence_orders`) within a constraint, reading no gold:

1. **several gold-free starts** -- the zero-shot labelling projected onto the constraint, the
   end of the chunked bootstrap, and ``random_starts`` random allowed labellings (plus any
   labellings the caller gives);
2. from each, the chunked coherence ascent (:func:`~simulations.lm.chunked.run_chunked`), whose
   proposals are each chunk's constrained argmax given the others;
3. the best end by ``Coh`` is polished by :func:`~simulations.lm.local_climb.climb`: single
   moves that keep the constraint, ranked by the per-item zero-shot log-odds, until none of the
   ``max_checks`` best-ranked ones improves. That end's certificate says how many moves were
   checked of how many there are.

So the end is never below any labelling the search evaluated or was given: every start's
ascent only climbs, the best is kept, and the polish only climbs.
"""
from __future__ import annotations

import numpy as np

from .chunked import ChunkConfig, coherence_orders, initial_labels, project, run_chunked, violations
from .local_climb import climb


def certified_ascent(prior, *, constraint: str = "none", groups=None, seed: int = 0,
                     config: ChunkConfig = ChunkConfig(), random_starts: int = 1, max_checks: int = 32,
                     given=None, quiet: bool = True) -> dict:
    """The best constrained labelling found from several starts, polished and certified.

    Returns ``{labels, coherence, starts: [{start, coherence_start, coherence_end}], certificate,
    polish_steps, orders}``; coherences in nats over the search's orders. ``given`` is a dict of
    extra named starts (each allowed by the constraint)."""
    S = coherence_orders(prior.n, config.orders, seed)

    def objective(b):
        return float(prior.coherence_over_orders(np.asarray(b, dtype=np.int64), S).mean())

    lp = prior.log_zero_shot()
    odds = lp[:, 1] - lp[:, 0]
    starts = {"zero-shot": project(odds, constraint, groups)}
    boot = run_chunked("bootstrap", prior, constraint=constraint, groups=groups, seed=seed, config=config)
    starts["bootstrap"] = boot["labels"]
    rng = np.random.default_rng([seed, 31])
    for r in range(random_starts):
        starts[f"random-{r}"] = initial_labels(prior.n, constraint, groups, rng)
    for name, b in (given or {}).items():
        b = np.asarray(b, dtype=np.int64)
        if violations(b, constraint, groups):
            raise ValueError(f"given start {name!r} is not allowed by constraint {constraint!r}")
        starts[name] = b
    runs = []
    best = None
    for name, b in starts.items():
        res = run_chunked("coherence", prior, constraint=constraint, groups=groups, seed=seed, config=config,
                          init=b, quiet=quiet)
        runs.append({"start": name, "coherence_start": objective(b), "coherence_end": res["coherence"]})
        if best is None or res["coherence"] > best[1]:
            best = (res["labels"], res["coherence"])
    polished = climb(objective, best[0], constraint, groups, odds, max_checks=max_checks)
    return {"labels": polished["labels"], "coherence": polished["value"], "starts": runs,
            "certificate": polished["certificate"], "polish_steps": polished["steps"], "orders": S.tolist()}
