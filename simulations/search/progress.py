"""Progress of one search: the ``progress(done, total)`` callback of :func:`simulations.search.run_search`
and a bar on stderr that such a callback can drive.

A search counts its work in its own units (Gibbs and bootstrap sweeps, synchronous rounds, ICM
and power-sampling steps, enumeration blocks of ``Y^n``, fits of a baseline) and reports
``done`` of ``total`` through :class:`Ticker`: a first call ``(0, total)`` when the search starts,
calls with non-decreasing ``done <= total`` as units finish (at most about ``MAX_CALLS`` of them,
so a callback never costs more than a few hundred Python calls), and a last call
``(total, total)`` when it returns -- also when it stops early (a bootstrap fixed point, a debate
with no fact left), so ``total`` is an upper bound on the work, reached at the end.
The searches call the ticker once per unit, never per item update inside a sweep.
"""
from __future__ import annotations

import sys

#: most callback calls one search makes (besides the first and the last)
MAX_CALLS = 1000


def check_progress(progress):
    """``progress`` if it is None or callable, else ``ValueError`` naming the argument."""
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be None or a callable progress(done, total), got {type(progress).__name__}")
    return progress


class Ticker:
    """Reports ``done`` of ``total`` units to ``progress`` (None: does nothing).

    :meth:`advance` counts finished units; it calls ``progress`` when at least ``total /
    MAX_CALLS`` units passed since the last call. :meth:`finish` makes the final
    ``(total, total)`` call (once). ``done`` never exceeds ``total``.
    """

    def __init__(self, progress, total: int):
        self.progress = check_progress(progress)
        self.total = max(int(total), 0)
        self.done = 0
        self._reported = 0
        self._stride = max(1, -(-self.total // MAX_CALLS))
        self._finished = False
        if self.progress is not None:
            self.progress(0, self.total)

    def advance(self, units: int = 1) -> None:
        if self.progress is None:
            return
        self.done = min(self.done + int(units), self.total)
        if self.done - self._reported >= self._stride and self.done < self.total:
            self._reported = self.done
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is None or self._finished:
            return
        self._finished = True
        self.done = self._reported = self.total
        self.progress(self.total, self.total)


#: the bar's layout: tqdm's default without the remaining time. ``total`` is an upper bound (a
#: bootstrap may stop at its second sweep of 100), so a remaining time would be a guess that a
#: fixed point can make hours too long; elapsed time and rate are known and shown.
BAR_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}{postfix}]"


class StderrBar:
    """A ``progress(done, total)`` callback that draws a tqdm bar on stderr (labelled ``desc``):
    units done of at most ``total``, elapsed time and rate, and no remaining time
    (:data:`BAR_FORMAT`).

    Use it as a context manager, so the bar is closed (and its line cleared) even when the search
    raises::

        with StderrBar("gibbs") as bar:
            res = run_search("gibbs", model, progress=bar)

    The bar is created on the first call, on whatever ``sys.stderr`` is then; nothing is written
    to stdout.
    """

    def __init__(self, desc: str, unit: str = "unit"):
        self.desc, self.unit = desc, unit
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.desc, unit=self.unit, file=sys.stderr, leave=False,
                             bar_format=BAR_FORMAT)
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "StderrBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
