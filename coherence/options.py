"""Options several subcommands share; their defaults come from the configuration they fill."""
from __future__ import annotations

from simulations.io import CACHE_DIR_HELP


def add_cache_arguments(p, config) -> None:
    """``--cache-dir DIR`` (the cache root, :func:`simulations.io.cache_root`) and ``--no-cache``
    for a subcommand that caches its results; ``config`` is the configuration class whose
    ``cache_dir`` and ``use_cache`` they set (and whose defaults they show)."""
    p.add_argument("--cache-dir", default=config.cache_dir, metavar="DIR", help=CACHE_DIR_HELP)
    p.add_argument("--no-cache", dest="use_cache", action="store_false", default=config.use_cache,
                   help="recompute everything; read and write no cache")


def tuple_or_none(values):
    """A list option as a tuple (configurations are frozen); None stays None."""
    return None if values is None else tuple(values)
