"""Carrying a table file into one whose polish and climb from gold take their moves otherwise.

A table's certified searches (``coherence``, ``coherence-free``) and its climbs from gold depend on
the :data:`MOVE_SETTINGS`; nothing else in it does. :func:`carry_over` starts the file of new move
settings from an old file: the cells and landscape parts that do not depend on them are kept and
:func:`~simulations.lm.results.table.run_table` computes the rest. A fresh check that is new
(:data:`APPENDED_SETTINGS`) keeps everything: it runs from the stored ends
(:mod:`simulations.lm.results.fresh_extension`).
"""
from __future__ import annotations

from dataclasses import asdict

from simulations.lm.results.table_methods import TABLE_METHODS

#: the methods whose cells do not depend on how the polish and the gold climb take their moves
RANK_FREE = tuple(m for m, (kind, _) in TABLE_METHODS.items() if kind != "certified")
#: the settings only the polish and the gold climb read, with the value a file written before the
#: setting existed ran with (moves ranked by the zero-shot log-odds, taken unconfirmed, no fresh check)
MOVE_SETTINGS = {"move_rank": "zero-shot", "confirm_orders": 0, "fresh_orders": 0}
#: the move settings whose work follows the rest of a certified search or gold climb: a file
#: without it is extended (:mod:`simulations.lm.results.fresh_extension`), not recomputed
APPENDED_SETTINGS = ("fresh_orders",)


def carry_over(old: dict, cfg) -> dict:
    """A table of ``cfg`` (a :class:`~simulations.lm.results.table.TableConfig`) holding what
    ``old`` (a table file's content) computed that ``cfg`` computes alike. ``old``'s settings
    must differ from ``cfg``'s in :data:`MOVE_SETTINGS` only (a file without one ran with the
    value given there); otherwise a ``ValueError`` names the first setting that differs. Kept:
    the formats, the landscapes without their climb from gold, the exact debate checks and the
    cells of :data:`RANK_FREE` methods; :func:`~simulations.lm.results.table.run_table` computes
    the rest (the climbs from gold and the certified searches), with ``cfg``'s move settings.

    When only the :data:`APPENDED_SETTINGS` differ, and ``old`` ran without the fresh check, every
    cell and landscape is kept: :func:`run_table` then runs the fresh check from each certified
    end and climb from gold (:mod:`simulations.lm.results.fresh_extension`), which is what those
    searches would have run next."""
    want = asdict(cfg)
    had = {**MOVE_SETTINGS, **old["config"]}
    for k in sorted(set(want) | set(had)):
        if k not in MOVE_SETTINGS and had.get(k) != want.get(k):
            raise ValueError(f"--carry-from: the file's {k} is {had.get(k)!r}, this run's {want.get(k)!r}: only "
                             f"{', '.join(MOVE_SETTINGS)} may differ")
    if all(had[k] == want[k] for k in MOVE_SETTINGS):
        raise ValueError(f"--carry-from: the file already takes its moves as this run would "
                         f"({', '.join(f'{k} {want[k]!r}' for k in MOVE_SETTINGS)}): resume it instead")
    differ = [k for k in MOVE_SETTINGS if had[k] != want[k]]
    if all(k in APPENDED_SETTINGS for k in differ) and all(had[k] == 0 for k in differ):
        return {"config": want, "formats": dict(old["formats"]), "landscapes": dict(old["landscapes"]),
                "runs": dict(old["runs"]), "debate_checks": dict(old.get("debate_checks", {})),
                **({"decisive": old["decisive"]} if "decisive" in old else {}),
                "carried_from": {"config": old["config"], "extended": differ}}
    return {"config": want, "formats": dict(old["formats"]),
            "landscapes": {k: {f: v for f, v in land.items() if f != "gold_climb"}
                           for k, land in old["landscapes"].items()},
            "runs": {k: r for k, r in old["runs"].items() if r["method"] in RANK_FREE},
            "debate_checks": dict(old.get("debate_checks", {})),
            "carried_from": {"config": old["config"]}}
