"""What a model knows about a task before any search: zero-shot scores, and the format choice.

``zero_shot(prior, gold)`` reads the zero-shot label log-probs ``log P_M(y | x_i)`` (one batch of
``n`` short prompts) and reports the log-odds ``log P(1|x) - log P(0|x)`` per item (nats), their
AUC against gold, and the accuracy of the argmax. :func:`choose_format` measures this AUC for
every candidate format of the task's family on the *dev* split and returns the best, so the
format is never chosen on the items results are reported for.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.backends.where import make_prior
from simulations.lm.tasks.formats import FORMATS, auc
from simulations.lm.backends.prior import PromptFormat
from simulations.lm.tasks.prompt_length import check_context
from simulations.lm.tasks.template import check_template

#: items of the dev split on which a format is chosen
N_DEV = 64


def prior_for(lm, task, *, loo: str = "exact"):
    """The prior over ``task``'s queries with the task's label words: an
    :class:`~simulations.lm.backends.prior.LMPrior` for local weights, a served prior for ``openai:URL``."""
    prior = make_prior(lm, task.queries(), PromptFormat(label_words=task.label_words), loo=loo)
    if hasattr(prior, "query_tokens"):  # local weights: the context is known, refuse before any forward pass
        check_context(prior, task.name)
    return prior


def zero_shot(prior, gold) -> dict:
    """``{log_odds (n,), auc, accuracy, labels}`` of the zero-shot conditionals (nats)."""
    lp = prior.log_zero_shot()
    gold = np.asarray(gold)
    odds = lp[:, 1] - lp[:, 0]
    labels = lp.argmax(-1)
    known = gold >= 0
    return {"log_odds": odds, "labels": labels,
            "auc": auc(odds[known], gold[known]) if known.any() else float("nan"),
            "accuracy": float(np.mean(labels[known] == gold[known])) if known.any() else float("nan")}


def choose_format(lm, task_name: str, *, n_dev: int = N_DEV, seed: int = 0) -> dict:
    """Zero-shot AUC of every candidate format on the dev split (``n_dev`` items): ``{"chosen":
    name, "auc": {name: auc}}``. Tasks without a dev split use seed ``seed + 1000`` as dev."""
    from simulations.lm.tasks.registry import make_task

    base = make_task(task_name, n_dev, seed, split="dev")
    if base.params.get("split") is None:  # no lexicon split: a disjoint seed stands in for dev
        base = make_task(task_name, n_dev, seed + 1000)
    res = {}
    for f in FORMATS[base.family]:
        t = base.with_format(f)
        res[f.name] = zero_shot(prior_for(lm, t), t.gold)["auc"]
    chosen = max(res, key=lambda k: (np.nan_to_num(res[k], nan=-1.0), k))
    return {"chosen": chosen, "auc": res, "n_dev": base.n}


def choose_format_cv(lm, task, *, seed: int = 0) -> dict:
    """``--format auto`` for a labelled user file, which has no dev split: the items are split
    into two folds by consistency group (whole groups, seeded), every format of the file's family
    is scored by zero-shot AUC on fold ``A``, and the best is reported with its AUC on fold ``B``,
    which played no part in the choice. Returns ``{chosen, auc, auc_held_out, folds, rule}``."""
    gold = task.gold
    if np.any(gold < 0):
        raise ValueError("--format auto compares formats by zero-shot AUC against the labels, and the file has "
                         "unlabelled items; name a format (--format NAME, see `coherence lm formats`)")
    groups = np.unique(task.groups)
    rng = np.random.default_rng([seed, 11])
    fold_a = np.isin(task.groups, rng.permutation(groups)[: max(1, groups.size // 2)])
    odds = {}
    for f in FORMATS[task.family]:
        try:  # a format using a field the file's items lack cannot render them: not a candidate
            check_template(f.template, task.items, argument=f"the format {f.name!r}")
        except ValueError:
            continue
        t = task.with_format(f)
        odds[f.name] = zero_shot(prior_for(lm, t), gold)["log_odds"]
    res = {k: auc(v[fold_a], gold[fold_a]) for k, v in odds.items()}
    chosen = max(res, key=lambda k: (np.nan_to_num(res[k], nan=-1.0), k))
    return {"chosen": chosen, "auc": res, "auc_held_out": auc(odds[chosen][~fold_a], gold[~fold_a]),
            "folds": [int(fold_a.sum()), int((~fold_a).sum())],
            "rule": "chosen by zero-shot AUC on fold A (whole consistency groups), AUC reported on fold B"}
