"""How long a task's prompts are, against the model's context, checked before any forward pass.

The longest prompt a search builds is one item's query after every other item as a labelled
demonstration (one prequential pass over an order): ``header + sum_j (query_j + label + sep)``
tokens. :func:`prompt_lengths` counts it from the prior's own tokenization, and
:func:`check_context` refuses a task whose longest prompt exceeds the model's context (a local
model's ``max_position_embeddings``), naming the longest item and the excess. A served model's
context is the server's: it is not known here, and the server refuses an over-long request.
"""
from __future__ import annotations

import numpy as np


def prompt_lengths(prior) -> dict:
    """``{max_query, mean_query, longest_item, longest_prompt, context}`` in tokens (``context``
    ``None`` when unknown), for a prior with a tokenized query per item."""
    q = np.array([len(x) for x in prior.query_tokens()], dtype=np.int64)
    per_demo = q + 1 + prior.separator_tokens()
    longest = int(np.argmax(q))
    full = int(prior.header_tokens() + per_demo.sum() - per_demo[longest] + q[longest])
    return {"max_query": int(q.max()), "mean_query": float(q.mean()), "longest_item": longest + 1,
            "longest_prompt": full, "context": context_length(prior)}


def context_length(prior):
    """The model's context in tokens (``max_position_embeddings``), or ``None`` when unknown."""
    model = getattr(getattr(prior, "lm", None), "model", None)
    return getattr(getattr(model, "config", None), "max_position_embeddings", None)


def check_context(prior, task_name: str) -> dict:
    """:func:`prompt_lengths`, after refusing (ValueError) a longest prompt beyond the context."""
    s = prompt_lengths(prior)
    if s["context"] is not None and s["longest_prompt"] > s["context"]:
        raise ValueError(
            f"task {task_name}: the longest prompt (item {s['longest_item']}, {s['max_query']} tokens, after the other "
            f"{prior.n - 1} items as demonstrations) is {s['longest_prompt']} tokens, "
            f"{s['longest_prompt'] - s['context']}"
            f" more than the model's context of {s['context']}; use fewer items (-n or --subset)")
    return s
