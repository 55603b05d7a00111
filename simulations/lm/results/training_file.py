"""The training table file's format: its ``kind``, its record keys and its schema, and reading
it back (:func:`read_training_file`, or either kind of table file: :func:`read_any_table`).

Apart from :mod:`simulations.lm.results.training_table`, which writes these files, so that
:mod:`simulations.lm.results.predictions` reads them without importing what writes them (the
way :mod:`simulations.lm.results.table_file` stands apart from
:mod:`simulations.lm.results.table`).
"""
from __future__ import annotations

from simulations.stored import (BadStoredFile, dict_of, field_path, integer, list_of, non_negative, nullable, number,
                                obj, one_of, read_user_file, string, boolean)

#: the ``kind`` field of a training table file (``lm predictions`` tells the two kinds apart by it)
KIND = "training"
#: the landscape labelling that is the in-context search's end (written by
#: :func:`simulations.lm.results.training_table.complete_record`)
SEARCH_END = "in-context-bootstrap"


def record_key(task: str, seed: int) -> str:
    """The ``records`` key of one (task, seed): ``"task|seed"``."""
    return f"{task}|{seed}"


# -- the file's schema -----------------------------------------------------------------------------

labels = list_of(one_of(0, 1))
per_order = list_of(number, min_len=1)
COH = obj({"mean": number, "se": nullable(number), "orders": integer, "per_order": per_order})
TRAIN_COH = obj({"mean": number, "se": nullable(number), "orders": integer, "per_order": per_order,
                 "steps": non_negative, "tokens": non_negative, "seconds": non_negative},
                {"per_block": list_of(list_of(number))})
LABELLING = obj({"labels": labels, "accuracy": number, "in_context": COH, "train": TRAIN_COH})
ROUND = obj({"round": integer, "labels": labels, "accuracy": nullable(number), "changed": integer,
             "steps": non_negative, "tokens": non_negative},
            {"coh_train": obj({"mean": number, "se": nullable(number), "orders": integer, "per_order": per_order,
                               "steps": non_negative, "tokens": non_negative})})
IN_CONTEXT_SEARCH = obj({"method": string, "labels": labels, "accuracy": number, "sweeps_run": integer,
                         "tokens": non_negative, "seconds": non_negative})
BOOTSTRAP = obj({"constraint": string, "start_labels": labels, "start_accuracy": nullable(number),
                 "rounds": list_of(ROUND), "labels": labels, "accuracy": nullable(number), "fixed_point": boolean,
                 "steps": non_negative, "tokens": non_negative, "seconds": non_negative},
                {"in_context": IN_CONTEXT_SEARCH, "equals_in_context": boolean})
SCORED = obj({"accuracy": number, "auc": nullable(number), "steps": non_negative, "tokens": non_negative,
              "seconds": non_negative})
GENERALISATION = obj({"items": integer, "heldout_sha256": string, "bootstrap": SCORED, "golden": SCORED,
                      "untouched": SCORED, "gap_recovered": nullable(number)})
RECORD = obj({"task": string, "seed": integer, "n": integer, "task_sha256": string, "orders": list_of(list_of(integer)),
              "labellings": obj({"gold": LABELLING}, {}), "bootstrap": BOOTSTRAP,
              "generalisation": nullable(GENERALISATION), "tokens": non_negative, "steps": non_negative,
              "seconds": non_negative})
CONFIG = obj({"model": string, "n": integer, "block": integer, "lr": number, "epochs": integer, "rank": integer,
              "coh_orders": integer, "rounds": integer, "heldout": integer, "dtype": string})


def check_training(data, where: str = "") -> None:
    """:class:`~simulations.stored.BadStoredFile` (the first bad field) unless ``data`` is a
    training table file's content: ``kind``, ``config``, every record's fields above, every
    labelling as a labelling object, each key the record's ``task|seed``."""
    obj({"kind": one_of(KIND), "config": CONFIG, "records": dict_of(RECORD)}, {"model_info": obj()})(data, where)
    for key, r in data["records"].items():
        at = field_path(field_path(where, "records"), key)
        if key != record_key(r["task"], r["seed"]):
            raise BadStoredFile(at, f"the key is not the record's task|seed ({r['task']}|{r['seed']})")
        dict_of(LABELLING)(r["labellings"], field_path(at, "labellings"))


def read_training_file(path) -> dict:
    """The training table file at ``path``, checked by :func:`check_training`; a missing,
    unreadable or malformed file is a ``ValueError`` ``"training table file PATH: FIELD: REASON"``."""
    return read_user_file(path, check_training, what="training table file")


def is_training(data) -> bool:
    """Whether a parsed file is a training table file (its ``kind`` field)."""
    return isinstance(data, dict) and data.get("kind") == KIND


def read_any_table(path) -> dict:
    """A table file of ``coherence lm table`` or a training table file, told apart by ``kind``,
    each checked by its own schema (a ``ValueError`` naming the file and the field otherwise)."""
    from simulations.lm.results.table_file import check_table

    def check(data, where):
        check_training(data, where) if is_training(data) else check_table(data)

    return read_user_file(path, check, what="table file")
