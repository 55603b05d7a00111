"""Coherence through training: the prequential code of a labelling when the model learns by fine-tuning.

In-context coherence scores each item's label given the earlier items *in the prompt*. Here the
earlier items are learned into the weights instead. For a labelling ``b`` of ``n`` items and an
order ``s`` cut into blocks ``B_0, B_1, ...`` of ``block`` consecutive positions,

    Coh_train_s(b) = sum_k sum_{i in B_k} log P_{theta_k}(b_i | x_i)                     (nats)

where ``theta_0`` is the untouched model and ``theta_k`` (``k >= 1``) the model with a fresh LoRA
adapter (:mod:`peft`, seeded) fine-tuned on the items of ``B_0 .. B_{k-1}`` with labels ``b``.
``P_theta(y | x_i)`` is the prior's zero-shot conditional: the prompt ``header + q_i`` (the
tokens :class:`~simulations.lm.backends.prior.LMPrior` uses, one tokenisation per item) and the softmax of
the output head restricted to the ``k`` label words, read where the query ends. The training loss
is the same quantity: ``-mean_i log P_theta(b_i | x_i)`` over the training items, so only the label
word is learned. With learning rate 0 every ``theta_k`` is the untouched model and ``Coh_train``
is the sum of zero-shot log-probs (tested).

Each fine-tune injects the adapter into ``lm.model`` in place and unloads it afterwards (base
weights, ``requires_grad`` flags and train/eval mode restored), and draws its randomness inside
:func:`torch.random.fork_rng`, so the global torch random state and the model are unchanged by a
call and a fixed ``seed`` gives the same numbers bit for bit on one machine.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from theory import validation as V

from simulations.lm.searches.coherence_estimate import summary

#: name of the adapter injected (and removed) for every fine-tune
ADAPTER = "coherence_train"
#: rows per scoring pass (forward only, no gradients)
SCORE_ROWS = 64


@dataclass(frozen=True)
class TrainConfig:
    """LoRA fine-tuning of the label words: ``lr`` (AdamW, no weight decay), ``epochs`` over the
    training items, ``batch`` items per optimizer step, LoRA ``rank``, ``alpha`` and ``dropout``,
    ``target_modules`` (``None``: peft's default for the architecture, ``q_proj``/``v_proj`` for
    Llama; the output head is never adapted), ``block`` items per prequential block, ``seed`` of
    the adapter's initialisation and of the minibatch order."""

    lr: float = 2e-3
    epochs: int = 2
    batch: int = 16
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.0
    block: int = 16
    seed: int = 0
    target_modules: tuple | None = None

    def __post_init__(self):
        for name in ("epochs", "batch", "rank", "block"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an integer in [1, inf), got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be an integer in [0, inf), got {self.seed!r}")
        if not (_real(self.lr) and math.isfinite(self.lr) and self.lr >= 0):
            raise ValueError(f"lr must be a finite number in [0, inf), got {self.lr!r}")
        if not (_real(self.alpha) and math.isfinite(self.alpha) and self.alpha > 0):
            raise ValueError(f"alpha must be a finite number in (0, inf), got {self.alpha!r}")
        if not (_real(self.dropout) and 0 <= self.dropout < 1):
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}")
        if self.target_modules is not None:
            t = self.target_modules
            if isinstance(t, str) or not t or not all(isinstance(m, str) and m for m in t):
                raise ValueError(f"target_modules must be None or a non-empty tuple of module names, got {t!r}")
            if "lm_head" in t:
                raise ValueError("target_modules must not include 'lm_head': label rows come from the base head")


def _real(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))


@dataclass(frozen=True)
class Prompts:
    """What the fine-tune and the scoring read: ``ids[i]`` the token ids of item ``i``'s zero-shot
    prompt ``header + q_i`` (1-D int64) and ``labels`` the ``k`` label-word token ids."""

    ids: tuple
    labels: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def k(self) -> int:
        return int(self.labels.size)


def local_prior(lm, task_or_prior):
    """The :class:`~simulations.lm.backends.prior.LMPrior` of ``task_or_prior`` on ``lm``: a task is turned
    into one with :func:`simulations.lm.backends.knowledge.prior_for`; a prior must be a local one on ``lm``."""
    if hasattr(task_or_prior, "queries") and hasattr(task_or_prior, "label_words"):
        from simulations.lm.backends.knowledge import prior_for

        return prior_for(lm, task_or_prior)
    if not (hasattr(task_or_prior, "query_tokens") and hasattr(task_or_prior, "fmt")):
        raise ValueError("task_or_prior must be a Task or an LMPrior over local weights (training needs the model)")
    if getattr(task_or_prior, "lm", None) is not lm:
        raise ValueError("task_or_prior is a prior over another model than lm")
    return task_or_prior


def prompts_of(prior) -> Prompts:
    """The zero-shot prompts of a local prior, tokenised once (the prior's own query tokens)."""
    enc, fmt = prior.lm.tokenizer.encode, prior.fmt
    header = np.asarray(enc(fmt.header) if fmt.header else [], dtype=np.int64)
    labels = np.asarray([enc(fmt.label_prefix + w)[0] for w in fmt.label_words], dtype=np.int64)
    return Prompts(tuple(np.concatenate([header, q]) for q in prior.query_tokens()), labels)


class _Head:
    """The decoder of ``lm.model`` and the label rows of its output head: hidden state where a
    prompt ends times the ``k`` label rows, log-softmax over them (as the prior's scorer)."""

    def __init__(self, model, labels):
        import torch

        self.model = model
        self.device = next(model.parameters()).device
        head = model.get_output_embeddings()
        idx = torch.as_tensor(labels, device=head.weight.device)
        self.W = head.weight.index_select(0, idx).detach().float()
        bias = getattr(head, "bias", None)
        self.bias = None if bias is None else bias.index_select(0, idx).detach().float()

    def log_probs(self, prompts: Prompts, items):
        """``(m, k)`` torch float64 label log-probs of ``items`` (one right-padded batch) and the
        number of input positions run (padding included)."""
        import torch

        seqs = [prompts.ids[int(i)] for i in items]
        lens = np.array([s.size for s in seqs])
        ids = np.zeros((len(seqs), int(lens.max())), dtype=np.int64)
        mask = np.zeros_like(ids)
        for a, s in enumerate(seqs):
            ids[a, :s.size], mask[a, :s.size] = s, 1
        h = self.model.get_decoder()(input_ids=torch.as_tensor(ids, device=self.device),
                                     attention_mask=torch.as_tensor(mask, device=self.device),
                                     use_cache=False).last_hidden_state
        z = h[torch.arange(len(seqs), device=self.device), torch.as_tensor(lens - 1, device=self.device)].float()
        z = z @ self.W.T
        if self.bias is not None:
            z = z + self.bias
        return torch.log_softmax(z.double(), dim=-1), int(ids.size)

    def score(self, prompts: Prompts, items) -> tuple:
        """``(m, k)`` numpy label log-probs of ``items`` (nats, no gradients) and tokens run;
        rows are batched by length (``SCORE_ROWS`` per pass) to keep the padding small."""
        import torch

        items = np.asarray(items, dtype=np.int64)
        out, tokens = np.empty((items.size, prompts.k)), 0
        by_len = np.argsort([prompts.ids[int(i)].size for i in items], kind="stable")
        with torch.no_grad():
            for a in range(0, items.size, SCORE_ROWS):
                rows = by_len[a:a + SCORE_ROWS]
                lp, t = self.log_probs(prompts, items[rows])
                out[rows], tokens = lp.cpu().numpy(), tokens + t
        return out, tokens


@contextmanager
def _adapter(model, config: TrainConfig):
    """``model`` with a fresh seeded LoRA adapter injected in place; on exit the adapter is
    unloaded and the base parameters' ``requires_grad`` and the train/eval mode are restored."""
    from peft import LoraConfig, LoraModel

    grads = {name: p.requires_grad for name, p in model.named_parameters()}
    mode = model.training
    cfg = LoraConfig(r=int(config.rank), lora_alpha=float(config.alpha), lora_dropout=float(config.dropout),
                     target_modules=None if config.target_modules is None else list(config.target_modules),
                     bias="none")
    tuner = LoraModel(model, cfg, ADAPTER)
    try:
        yield tuner
    finally:
        tuner.unload()
        for name, p in model.named_parameters():
            p.requires_grad_(grads[name])
        model.train(mode)


@contextmanager
def _private_rng(device, seed: int):
    """Seed torch inside :func:`torch.random.fork_rng`: the global generators (CPU, and the
    model's CUDA device) are restored on exit."""
    import torch

    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


def fine_tuned_log_probs(lm, task_or_prior, train_items, labels, config: TrainConfig, score_items) -> dict:
    """Fine-tune a fresh LoRA on ``train_items`` labelled by ``labels`` (a length-``n`` labelling)
    and score ``score_items`` zero-shot with it; no training items: the untouched model scores.

    Returns ``{log_probs (m, k) nats, steps, train_tokens, score_tokens, tokens, losses}`` with
    ``losses[e]`` the mean training loss ``-log P_theta(b_i | x_i)`` (nats per item) during epoch
    ``e`` (before each step's update). The model is unchanged afterwards."""
    prior = local_prior(lm, task_or_prior)
    prompts = prompts_of(prior)
    b = check_labels(labels, prompts)
    train = V.index_array("train_items", train_items, prompts.n)
    score = V.index_array("score_items", score_items, prompts.n)
    return _fine_tuned(lm, prompts, train, b, config, score)


def _fine_tuned(lm, prompts: Prompts, train, b, config: TrainConfig, score) -> dict:
    import torch

    model = lm.model
    head = _Head(model, prompts.labels)
    if train.size == 0:
        lp, tokens = head.score(prompts, score)
        return {"log_probs": lp, "steps": 0, "train_tokens": 0, "score_tokens": tokens, "tokens": tokens,
                "losses": []}
    steps, train_tokens, losses = 0, 0, []
    rng = np.random.default_rng([int(config.seed), 23])
    target = torch.as_tensor(b, device=head.device)
    with _private_rng(head.device, config.seed), _adapter(model, config):
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=float(config.lr), weight_decay=0.0)
        model.train(True)
        for _ in range(config.epochs):
            perm, total = train[rng.permutation(train.size)], 0.0
            for a in range(0, perm.size, config.batch):
                items = perm[a:a + config.batch]
                lp, t = head.log_probs(prompts, items)
                loss = -lp[torch.arange(items.size, device=lp.device), target[items]].mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                steps, train_tokens, total = steps + 1, train_tokens + t, total + float(loss.detach()) * items.size
            losses.append(total / train.size)
        model.train(False)
        lp, score_tokens = head.score(prompts, score)
    return {"log_probs": lp, "steps": steps, "train_tokens": train_tokens, "score_tokens": score_tokens,
            "tokens": train_tokens + score_tokens, "losses": losses}


def check_labels(labels, prompts: Prompts) -> np.ndarray:
    """``labels`` as int64 when it is a length-``n`` labelling with values in ``[0, k - 1]``."""
    arr = np.asarray(labels)
    if arr.shape != (prompts.n,) or arr.dtype.kind not in "biu" or arr.min() < 0 or arr.max() >= prompts.k:
        raise ValueError(f"labels must be a length-{prompts.n} integer labelling with values in [0, {prompts.k - 1}]")
    return arr.astype(np.int64)


def coherence_through_training(lm, task_or_prior, b, order, config: TrainConfig = TrainConfig()) -> dict:
    """``Coh_train_s(b)`` for one order ``s`` (module docstring): the items of ``order`` in blocks
    of ``config.block``; block 0 scored by the untouched model, block ``k`` by a fresh LoRA
    fine-tuned on blocks ``< k`` labelled by ``b``.

    Returns ``{coherence, per_block, item_log_probs, blocks, losses, steps, train_tokens,
    score_tokens, tokens}``: ``coherence`` (nats) is the sum of ``per_block`` (nats per block),
    ``item_log_probs[t]`` is ``log P(b_{s(t)} | x_{s(t)})`` of position ``t``, ``losses[k]`` the
    per-epoch training losses of block ``k``'s fine-tune, tokens the input positions run."""
    prior = local_prior(lm, task_or_prior)
    prompts = prompts_of(prior)
    b = check_labels(b, prompts)
    s = V.order("order", order, prompts.n)
    blocks = [s[a:a + config.block] for a in range(0, prompts.n, config.block)]
    item_lp = np.empty(prompts.n)
    per_block, losses = [], []
    steps = train_tokens = score_tokens = 0
    for k, items in enumerate(blocks):
        res = _fine_tuned(lm, prompts, s[:k * config.block], b, config, items)
        lp = res["log_probs"][np.arange(items.size), b[items]]
        item_lp[k * config.block:k * config.block + items.size] = lp
        per_block.append(float(lp.sum()))
        losses.append(res["losses"])
        steps += res["steps"]
        train_tokens += res["train_tokens"]
        score_tokens += res["score_tokens"]
    return {"coherence": float(np.sum(per_block)), "per_block": per_block, "item_log_probs": item_lp,
            "blocks": [blk.tolist() for blk in blocks], "losses": losses, "steps": steps,
            "train_tokens": train_tokens, "score_tokens": score_tokens, "tokens": train_tokens + score_tokens}


def coherence_through_training_over_orders(lm, task_or_prior, b, orders,
                                           config: TrainConfig = TrainConfig()) -> dict:
    """:func:`~simulations.lm.searches.coherence_estimate.summary` (``{mean, se, orders, per_order}``,
    nats) of ``Coh_train_s(b)`` over the rows of ``orders`` -- the statistic every in-context Coh
    is reported with -- plus ``per_block`` (one list per order), ``steps`` and ``tokens`` summed."""
    prior = local_prior(lm, task_or_prior)
    rows = np.asarray(orders).reshape(-1, prior.n)
    runs = [coherence_through_training(lm, prior, b, s, config) for s in rows]
    return {**summary([r["coherence"] for r in runs]), "per_block": [r["per_block"] for r in runs],
            "steps": sum(r["steps"] for r in runs), "tokens": sum(r["tokens"] for r in runs)}
