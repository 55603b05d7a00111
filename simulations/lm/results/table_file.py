"""The schema of a table file (:mod:`simulations.lm.results.table`), checked whenever one is read.

A table file is results, not a cache: hours of model time, often committed (figures/data/lm).
So a file that fails its schema is never recomputed or overwritten: reading it raises
``ValueError`` naming the file and its first bad field, which the CLI reports as one line with
exit status 2 (docs/reliability.md).

Two depths of check:

* :func:`read_table_file` -- what ``lm predictions`` and ``lm figures`` read: the config
  (``model``, ``n``), the chosen format per task, every landscape (the Coh per order of gold, its
  negation and the constants, the evaluation orders, gold labels, zero-shot AUC) and every run
  record (:data:`simulations.lm.results.run_record.RUN`, the schema ``lm run`` prints too), each
  run's key ``task|method|seed`` and its landscape ``task|seed`` present; P8's debate checks
  (``debate_checks``, per ``task|seed``) and P3's grown comparisons (``decisive``, per
  ``task|seed``) where the file has them. Files written before the current settings existed (no
  ``coh_orders``, no ``gold_climb``) pass: only what the readers use is required.
* ``records=False`` (``lm table`` resuming a file) -- the same, but run records only need to be
  objects: resuming reads a run's ``labels`` at most, and other runs of the same table (another
  process) may add records of their own.
"""
from __future__ import annotations

from simulations.lm.results.run_record import check_run_record, per_order
from simulations.stored import (BadStoredFile, anything, dict_of, field_path, integer, list_of, non_negative,
                                nullable, number, obj, one_of, read_user_file, string)

CONFIG = obj({"model": string, "n": integer}, {"coh_orders": integer, "formats": dict_of(string)})
FORMAT = obj({"chosen": string}, {"auc": anything})
LABELLING = obj({"mean": number, "per_order": per_order})
LANDSCAPE = obj(
    {"labellings": obj({name: LABELLING for name in ("gold", "negation", "all-0", "all-1")}),
     "orders": list_of(list_of(integer), min_len=1), "gold": list_of(integer), "zero_shot_auc": nullable(number)},
    {"random_mean": nullable(number), "salience": nullable(list_of(number)), "task_sha256": string,
     "gold_climb": obj({"accuracy": number, "coh": obj({"per_order": per_order})})})

#: P8's exact check of one (task, seed) (:func:`simulations.lm.results.table.run_debate_check`)
DEBATE_CHECK = obj({"records": list_of(obj(
    {"item": integer, "schedule": string, "kl_coherence": number, "kl_best_joint": number,
     "incompatibility_rms": number, "mode_agrees": anything, "p_value": number}))},
    {"forward_tokens": non_negative, "seconds": non_negative})


#: P3's comparisons of one (task, seed) grown to a target standard error
#: (:func:`simulations.lm.results.decisive_orders.decide_table`)
COMPARISON = obj({"diff": number, "se": number, "ci": list_of(number, min_len=2), "orders": integer,
                  "verdict": one_of("above", "below", "tied")})
DECISIVE = obj({"target_se": number, "per_order": dict_of(per_order), "comparisons": dict_of(COMPARISON)})


def check_table(data, *, records: bool = True) -> None:
    """:class:`~simulations.stored.BadStoredFile` (the first bad field) unless ``data`` is a table
    file's content: see the module docstring for what each depth requires."""
    obj({"config": CONFIG, "formats": dict_of(FORMAT), "landscapes": dict_of(LANDSCAPE),
         "runs": dict_of(obj())},
        {"model_info": obj(), "debate_checks": dict_of(DEBATE_CHECK), "decisive": dict_of(DECISIVE)})(data, "")
    if not records:
        return
    for key, r in data["runs"].items():
        where = field_path("runs", key)
        check_run_record(r, where)
        if key != f"{r['task']}|{r['method']}|{r['seed']}":
            raise BadStoredFile(where, f"the key is not the record's task|method|seed "
                                       f"({r['task']}|{r['method']}|{r['seed']})")
        if f"{r['task']}|{r['seed']}" not in data["landscapes"]:
            raise BadStoredFile(where, f"no landscape {r['task']}|{r['seed']} for this run")


def read_table_file(path, *, records: bool = True) -> dict:
    """The content of the table file at ``path``, checked by :func:`check_table`; a missing,
    unreadable or malformed file is a ``ValueError`` ``"table file PATH: FIELD: REASON"``."""
    return read_user_file(path, lambda data, where: check_table(data, records=records), what="table file")
