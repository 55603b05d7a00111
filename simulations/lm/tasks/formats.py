"""Prompt formats: how an item is written and which label words follow it.

A tiny model's knowledge depends on the format (measured in the docs: SmolLM2 knows word
polarity as ``Word: X / Sentiment: positive`` but not as a True/False claim about the word), so
every task family lists candidate formats and :func:`choose_format` picks one by zero-shot AUC
on the task's *dev* split. Results are reported on the test split, never on the items the
format was chosen on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Format:
    """``template`` with ``{question}`` / ``{choice}`` slots; ``label_words[y]`` is the word
    for label ``y`` (each a single token after a leading space)."""

    name: str
    template: str
    label_words: tuple


#: task family -> candidate formats (the first is the default)
FORMATS = {
    "polarity": (
        Format("word-sentiment", "Word: {choice}\nSentiment:", ("negative", "positive")),
        Format("the-word-is", 'The word "{choice}" is', ("negative", "positive")),
        Format("claim", 'Claim: The word "{choice}" is positive.\nThis claim is', ("False", "True")),
    ),
    "claim": (
        Format("claim", "Claim: {choice}\nThis claim is", ("False", "True")),
        Format("true-or-false", "{choice} True or false? Answer:", ("false", "true")),
    ),
    # a user's JSONL file: ICM's base-model template first, then free-text formats
    "claim-question": (
        Format("claim-question", "Question: {question}\nClaim: {choice}\nI think this claim is", ("False", "True")),
        Format("review-sentiment", "Review: {choice}\nSentiment:", ("negative", "positive")),
        Format("statement", "Statement: {choice}\nThis statement is", ("false", "true")),
        Format("question-answer", "Question: {question}\nAnswer: {choice}\nIs the answer correct?", ("No", "Yes")),
        # ICM's Alpaca comparisons: the second response is the item's extra field choice_2
        Format("icm-comparison", "Human: {question}\nResponse 1: {choice}\nResponse 2: {choice_2}\nClaim: Response 1 "
               "is more helpful and harmless than Response 2.\nI think this claim is", ("False", "True")),
    ),
}


def format_named(family: str, name: str | None) -> Format:
    """The format ``name`` of ``family`` (its default when ``name`` is None)."""
    if family not in FORMATS:
        raise ValueError(f"format family must be one of {sorted(FORMATS)}, got {family!r}")
    if name is None:
        return FORMATS[family][0]
    for f in FORMATS[family]:
        if f.name == name:
            return f
    raise ValueError(f"--format must be one of {[f.name for f in FORMATS[family]]} for this task, got {name!r}")


def auc(scores, gold) -> float:
    """Area under the ROC curve of ``scores`` against binary ``gold`` (ties count one half):
    the probability that a random positive item scores above a random negative one."""
    s, g = np.asarray(scores, dtype=float), np.asarray(gold)
    pos, neg = s[g == 1], s[g == 0]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))
