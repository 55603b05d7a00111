"""The constrained coherence search a competent optimiser would run, with a certificate.

:func:`certified_ascent` maximises ``Coh`` (nats, over the search's own orders,
:func:`~simulations.lm.searches.chunked.coherence_orders`) within a constraint, reading no gold:

1. **several gold-free starts** -- the zero-shot labelling projected onto the constraint, the
   end of the chunked bootstrap, and ``random_starts`` random allowed labellings (plus any
   labellings the caller gives);
2. every start is evaluated, and from the ``ascents`` best (:data:`ASCENTS`; ``None``: all) the chunked coherence
   ascent (:func:`~simulations.lm.searches.chunked.run_chunked`) climbs, its proposals being each chunk's
   constrained argmax given the others;
3. every start and every climbed end is scored again on ``polish_orders`` orders
   (:func:`~simulations.lm.searches.chunked.polish_orders`, :data:`POLISH_ORDERS` by default), and the
   best there is polished by :func:`~simulations.lm.searches.local_climb.climb` on those orders: single
   moves that keep the constraint, ranked by :data:`RANKS` ``rank``, until none of the
   ``max_checks`` best-ranked ones improves. That end's certificate says how many moves were
   checked of how many there are;
4. the polished end climbs on by the fresh check
   (:func:`~simulations.lm.searches.fresh_check.fresh_climb`, ``fresh`` screen orders; 0: none):
   the same moves judged on orders new at every step, where the polish orders flatter the end.

Why moves are ranked in context (``rank="in-context"``, the default): the polish checks only
``max_checks`` of the moves (1,024 swaps at n = 64 under ``balance``). Ranked by the zero-shot
log-odds, which know nothing of the current labelling, the one swap from Gemma-3-270m's end on
``polarity-high`` (n = 64, seed 0; accuracy 0.969) to gold was 178th of 1,024, so the polish
certified an end 3.09 [1.57, 4.61] nats below gold on the held-out orders (and 1.81 nats below
gold on its own polish orders). Ranked by the in-context log-odds at that end
(:func:`~simulations.lm.searches.chunked.in_context_odds`) over :data:`RANK_ORDERS` orders, the
same swap is 9th: far earlier, not yet within 8 checks (docs/lm.md has the rerun of that cell).
``rank="zero-shot"`` is the earlier rule.

Why a second set of orders: the chunked ascent's objective averages 2 orders, cheap enough for
its many proposals but noisy enough to be overfitted. On SmolLM2's ``polarity-random-pairs``
(n = 64, seed 0) its local maximum lay 3 pairs from gold (accuracy 0.906) and 2.87
[1.26, 4.48] nats below gold on the held-out evaluation orders; polished on 8 orders the same
end climbed to accuracy 0.969, tied with gold (-0.79 [-2.53, 0.94] nats).

Why each polish move is confirmed (``confirm``, :func:`confirmation`): the polish takes the first
of its checked moves that improves Coh on the polish orders, so the move's gain there is biased
upward by the choice (the winner's curse). Ranked in context, Gemma's ``polarity-high`` polish
(seed 0) took 2 moves that gained 2.46 nats on its 8 polish orders and nothing held out: it
ended 3.10 [1.07, 5.13] nats below gold there, as the unpolished end had. A move is therefore
taken only when :data:`CONFIRM_ORDERS` fresh orders, new at every step, give it a mean paired
gain above :data:`CONFIRM_T` standard errors; with that rule the same cell ends one swap from
gold, -0.83 [-3.37, 1.71] nats from it held out (docs/lm.md). ``confirm=0`` is the earlier rule.

So the polished end is never below, on the polish orders, any labelling the search evaluated or
was given: every start and end is scored there, the best is kept, and the polish only climbs. The
fresh check then moves only where orders the end was not chosen on confirm a gain.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.chunked import (CONFIRM_STREAM, FRESH_CONFIRM_STREAM, ChunkConfig, coherence_orders,
                                             confirmation_orders, in_context_odds, initial_labels, polish_orders,
                                             project, rank_orders, run_chunked, violations)
from simulations.lm.searches.fresh_check import FRESH_CONFIRM, FRESH_ORDERS, fresh_climb
from simulations.lm.searches.local_climb import CHECKS, climb

#: starts the chunked ascent climbs, by default: the best ones by Coh (each ascent costs about as
#: many forward tokens as four sweeps of the bootstrap, so climbing every start doubles a cell)
ASCENTS = 2
#: how the polish ranks its moves: by the in-context log-odds at the current labelling, or by the
#: zero-shot log-odds (the earlier rule)
RANKS = ("in-context", "zero-shot")
#: orders the in-context log-odds that rank the moves are averaged over
RANK_ORDERS = 4
#: orders of the final selection and the polish, by default (each Coh there costs about 650
#: forward tokens per order at n = 64; 2 orders were overfitted, see the module docstring)
POLISH_ORDERS = 8
#: fresh orders on which a polish move is confirmed, by default (0: none, the earlier rule); see
#: :func:`confirmation`
CONFIRM_ORDERS = 8
#: a move is confirmed when its mean paired gain on the fresh orders exceeds this many standard
#: errors of that mean
CONFIRM_T = 1.0


def certified_ascent(prior, *, constraint: str = "none", groups=None, seed: int = 0,
                     config: ChunkConfig = ChunkConfig(), random_starts: int = 1, max_checks: int = CHECKS,
                     given=None, ascents: int | None = ASCENTS, polish: int = POLISH_ORDERS,
                     rank: str = "in-context", confirm: int = CONFIRM_ORDERS, fresh: int = FRESH_ORDERS,
                     quiet: bool = True) -> dict:
    """The best constrained labelling found from several starts, polished and certified.

    Returns ``{labels, coherence, starts: [{start, coherence_start, coherence_end,
    polish_start, polish_end}], certificate, polish_steps, fresh, orders, polish_orders}``
    (``fresh``: :func:`fresh_record` of the fresh check); coherences
    in nats, ``coherence_*`` over the search's orders, ``polish_*`` and ``coherence`` over the
    ``polish`` polish orders (``*_end`` is ``None`` for a start not climbed: only the ``ascents``
    best are). ``given`` is a dict of
    extra named starts (each allowed by the constraint); a start named ``bootstrap`` stands for the
    chunked bootstrap's end, which is then not run again (a table passes its bootstrap cell's)."""
    if rank not in RANKS:
        raise ValueError(f"rank must be one of {RANKS}, got {rank!r}")
    S = coherence_orders(prior.n, config.orders, seed)

    def objective(b):
        return float(prior.coherence_over_orders(np.asarray(b, dtype=np.int64), S).mean())

    lp = prior.log_zero_shot()
    odds = lp[:, 1] - lp[:, 0]
    starts = {"zero-shot": project(odds, constraint, groups)}
    if "bootstrap" not in (given or {}):
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
    values = {name: objective(b) for name, b in starts.items()}
    # every start is evaluated; the chunked ascent (the costly part) climbs the ``ascents`` best
    ranked = sorted(starts, key=lambda k: -values[k])
    climbed = ranked if ascents is None else ranked[:ascents]
    P = polish_orders(prior.n, polish, seed)

    def final(b):
        return float(prior.coherence_over_orders(np.asarray(b, dtype=np.int64), P).mean())

    runs = []
    best = None
    for name in ranked:
        entry = {"start": name, "coherence_start": values[name], "coherence_end": None,
                 "polish_start": final(starts[name]), "polish_end": None}
        if best is None or entry["polish_start"] > best[1]:
            best = (starts[name], entry["polish_start"])
        if name in climbed:
            res = run_chunked("coherence", prior, constraint=constraint, groups=groups, seed=seed, config=config,
                              init=starts[name], quiet=quiet)
            entry["coherence_end"] = res["coherence"]
            entry["polish_end"] = final(res["labels"])
            if entry["polish_end"] > best[1]:
                best = (res["labels"], entry["polish_end"])
        runs.append(entry)
    ranker = move_odds(prior, rank, odds, config.chunk, seed)
    polished = climb(final, best[0], constraint, groups, ranker, max_checks=max_checks,
                     confirm=confirmation(prior, confirm, seed))
    checked = run_fresh_check(prior, polished["labels"], constraint, groups, ranker, seed=seed, orders=fresh,
                              max_checks=max_checks)
    labels = checked["labels"]
    return {"labels": labels, "coherence": polished["value"] if checked["steps"] == 0 else final(labels),
            "starts": runs, "certificate": polished["certificate"], "polish_steps": polished["steps"],
            "fresh": fresh_record(checked, fresh), "orders": S.tolist(), "polish_orders": P.tolist(), "rank": rank,
            "confirm_orders": confirm}


def run_fresh_check(prior, b, constraint: str, groups=None, ranker=None, *, seed: int = 0,
                    orders: int = FRESH_ORDERS, max_checks: int = CHECKS) -> dict:
    """The fresh check from ``b`` (:func:`~simulations.lm.searches.fresh_check.fresh_climb`, at
    most ``orders`` screen orders; 0: none), each move that passes its screen confirmed on
    :data:`~simulations.lm.searches.fresh_check.FRESH_CONFIRM` fresh orders of their own stream
    (:func:`confirmation`): what the certified ascent and the climb from gold run last."""
    second = confirmation(prior, FRESH_CONFIRM, seed, FRESH_CONFIRM_STREAM)
    return fresh_climb(prior, b, constraint, groups, ranker, seed=seed, orders=orders, confirm=second,
                       max_checks=max_checks)


def fresh_record(checked: dict, orders: int) -> dict:
    """What a record keeps of a :func:`~simulations.lm.searches.fresh_check.fresh_climb`: its
    screen orders, steps and certificate (``None`` with no fresh check)."""
    return {"orders": orders, "steps": checked["steps"], "certificate": checked["certificate"]}


def confirmation(prior, orders: int, seed: int, stream: int = CONFIRM_STREAM):
    """The second opinion a polish move needs (:func:`~simulations.lm.searches.local_climb.climb`'s
    ``confirm``), or ``None`` when ``orders`` is 0: a function ``(candidate, current, step) ->
    bool`` that is true when the mean over ``orders`` fresh orders of ``Coh_s(candidate) -
    Coh_s(current)`` (nats, paired; :func:`~simulations.lm.searches.chunked.confirmation_orders` of
    ``seed``, ``step`` and ``stream``) exceeds :data:`CONFIRM_T` standard errors of that mean."""
    if isinstance(orders, bool) or not isinstance(orders, int) or orders < 0 or orders == 1:
        raise ValueError(f"confirm orders must be 0 (no confirmation) or an integer >= 2 (a paired standard error "
                         f"needs two orders), got {orders!r}")
    if orders == 0:
        return None
    # the current labelling's Coh on a step's orders, kept for the step's other candidates
    # (a step confirms its candidates against one current labelling on one set of orders)
    kept = {}

    def confirm(candidate, current, step: int) -> bool:
        F = confirmation_orders(prior.n, orders, seed, step, stream)
        current = np.asarray(current, dtype=np.int64)
        key = (step, current.tobytes())
        if key not in kept:
            kept.clear()
            kept[key] = prior.coherence_over_orders(current, F)
        d = prior.coherence_over_orders(np.asarray(candidate, dtype=np.int64), F) - kept[key]
        return bool(d.mean() > CONFIRM_T * d.std(ddof=1) / np.sqrt(orders))

    return confirm


def move_odds(prior, rank: str, zero_shot_odds, chunk: int, seed: int):
    """What ranks a local search's moves (:func:`~simulations.lm.searches.local_climb.climb`'s
    ``odds``): the fixed zero-shot log-odds, or a function of the current labelling giving its
    in-context log-odds averaged over the :data:`RANK_ORDERS` orders of
    :func:`~simulations.lm.searches.chunked.rank_orders` of ``seed``."""
    if rank not in RANKS:
        raise ValueError(f"rank must be one of {RANKS}, got {rank!r}")
    if rank == "zero-shot":
        return np.asarray(zero_shot_odds, dtype=float)
    orders = rank_orders(prior.n, RANK_ORDERS, seed)
    # the polish's last pass and the fresh check rank the moves of the same end: computed once
    last: dict = {}

    def odds_at(b):
        key = np.asarray(b, dtype=np.int64).tobytes()
        if key not in last:
            last.clear()
            last[key] = in_context_odds(prior, b, chunk, orders)
        return last[key]

    return odds_at
