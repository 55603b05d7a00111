"""A small transformer trained here on sequences from a synthetic prior: the bridge to real LMs.

Training data: ``b ~ P`` (a :class:`theory.concept_mixture.ConceptMixture` or a Beta-Bernoulli
:class:`theory.dirichlet_multinomial.DirichletMultinomial`), a uniformly random order ``s``,
and the token sequence

    [BOS, x_{s(1)}, y_{b_{s(1)}}, x_{s(2)}, y_{b_{s(2)}}, ..., x_{s(n)}, y_{b_{s(n)}}]

(item tokens ``0..n-1``, label tokens ``n..n+k-1``). The loss is the cross-entropy of each label
token, normalised over the ``k`` label tokens, i.e. the prequential codelength
``-Coh_s(b) = -sum_t log Q(b_{s(t)} | x_{s(t)}; earlier pairs)``. Its minimiser over all
sequential predictors is the prior's own chain of conditionals, whose codelength is the exact
``-log P(b)`` for every order, so

    gap (bits per behaviour) = E_{b ~ P, s} [ -Coh^Q_s(b) + log P(b) ] / (n ln 2)  >= 0

is the per-step KL from the exact Bayesian predictor to the trained one -- reported together
with the zero-shot code (independent marginals) that a model ignoring its context would get.
:class:`TrainedSequencePrior` exposes the trained network as a :class:`theory.prior.Prior`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from theory.prior import Prior
from theory import validation as V


#: the synthetic priors a network can be trained on
PRIORS = ("concepts", "beta-bernoulli")


@dataclass(frozen=True)
class TrainConfig:
    """``prior`` (:data:`PRIORS`) over ``n`` items (``eps``: the concepts' noise); ``steps`` of
    AdamW on ``batch`` fresh samples at peak learning rate ``lr``; a network of ``layers`` layers
    of width ``hidden``; ``test`` held-out vectors for the evaluation; ``seed`` of everything.
    Sizes are range-checked on construction (a ``ValueError`` naming the field)."""

    prior: str = "concepts"
    n: int = 8
    eps: float = 0.1
    steps: int = 1500
    batch: int = 128
    lr: float = 3e-3
    layers: int = 3
    hidden: int = 64
    test: int = 2000
    seed: int = 0

    def __post_init__(self):
        V.positive_int("n", self.n, 2, 64)
        V.positive_int("steps", self.steps)
        V.positive_int("batch", self.batch)
        object.__setattr__(self, "lr", float(V.positive("lr", self.lr)))
        V.positive_int("layers", self.layers, 1, 24)
        V.positive_int("hidden", self.hidden, 8, 4096)
        V.positive_int("test", self.test, 2)


def make_prior(cfg: TrainConfig):
    """The synthetic prior the network learns (fixed by ``cfg.seed``)."""
    rng = np.random.default_rng(cfg.seed)
    if cfg.prior == "beta-bernoulli":
        from theory.dirichlet_multinomial import DirichletMultinomial

        return DirichletMultinomial.beta_bernoulli(cfg.n)
    if cfg.prior == "concepts":
        from theory.concept_mixture import persona_mixture, standard_concepts

        truth = rng.integers(0, 2, cfg.n)
        c = standard_concepts(truth, rng, n_random=1)
        eps = float(V.open_unit("eps", cfg.eps))
        spec = {"truth": (c["truth"], eps, 0.4), "negation": (c["negation"], eps, 0.2),
                "flipped": (c["flipped"], eps, 0.2), "random0": (c["random0"], 2 * eps, 0.2)}
        return persona_mixture(truth, spec)
    raise ValueError(f"prior must be 'concepts' or 'beta-bernoulli', got {cfg.prior!r}")


def build_network(n: int, k: int, layers: int, hidden: int, seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=n + k + 1, hidden_size=hidden, intermediate_size=4 * hidden,
                      num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
                      max_position_embeddings=2 * n + 2, tie_word_embeddings=False)
    torch.manual_seed(seed)
    return LlamaForCausalLM(cfg)


def sequences(B: np.ndarray, orders: np.ndarray, n: int) -> np.ndarray:
    """Token sequences ``(m, 2n+1)`` for behaviours ``B (m, n)`` in orders ``(m, n)``."""
    m = B.shape[0]
    out = np.empty((m, 2 * n + 1), dtype=np.int64)
    out[:, 0] = 0  # placeholder, set to BOS below
    out[:, 1::2] = orders
    out[:, 2::2] = n + np.take_along_axis(B, orders, axis=1)
    return out


class TrainedSequencePrior(Prior):
    """The trained network as a (non-exchangeable) prior over ``n`` items."""

    exchangeable = False

    def __init__(self, net, n: int, k: int):
        self.net, self.n, self.k = net.eval(), n, k

    def _logits(self, tokens: np.ndarray):
        import torch

        with torch.no_grad():
            z = self.net(input_ids=torch.as_tensor(tokens)).logits[..., self.n:self.n + self.k]
        return torch.log_softmax(z.double(), dim=-1).numpy()

    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        flat = B.reshape(-1, self.n)
        m = flat.shape[0]
        tok = np.empty((m, 2 * d.size + 2), dtype=np.int64)
        tok[:, 0] = self.n + self.k
        tok[:, 1:-1:2] = d
        tok[:, 2:-1:2] = self.n + flat[:, d]
        tok[:, -1] = i
        return self._logits(tok)[:, -1].reshape(B.shape[:-1] + (self.k,))

    def sequential_conditionals(self, B, order=None) -> np.ndarray:
        """All ``n`` steps of order ``s`` in one forward pass: ``(..., n, k)`` nats."""
        B = self._check(B)
        s = np.arange(self.n) if order is None else V.order("order", order, self.n)
        flat = B.reshape(-1, self.n)
        tok = sequences(flat, np.broadcast_to(s, flat.shape), self.n)
        tok[:, 0] = self.n + self.k
        lp = self._logits(tok)[:, 1::2]
        return lp.reshape(B.shape[:-1] + (self.n, self.k))

    def log_sequential(self, B, order=None) -> np.ndarray:
        B = self._check(B)
        s = np.arange(self.n) if order is None else V.order("order", order, self.n)
        lc = self.sequential_conditionals(B, s)
        return np.take_along_axis(lc, B[..., s, None], axis=-1)[..., 0]

    def coherence_in_orders(self, B, orders) -> np.ndarray:
        """``Coh_{s_j}(b_j)`` for rows ``B (m, n)`` each in its own order ``orders (m, n)``: one
        batched forward pass; ``(m,)`` nats."""
        B = self._check(B)
        orders = np.asarray(orders, dtype=np.int64)
        for s in orders:
            V.order("orders", s, self.n)
        tok = sequences(B, orders, self.n)
        tok[:, 0] = self.n + self.k
        lp = self._logits(tok)[:, 1::2]
        y = np.take_along_axis(B, orders, axis=1)
        return np.take_along_axis(lp, y[..., None], axis=-1)[..., 0].sum(axis=-1)


def train(cfg: TrainConfig, progress: bool = True) -> dict:
    """Train on fresh samples each step; evaluate the coherence gap on held-out samples."""
    import torch

    prior = make_prior(cfg)
    n, k = prior.n, prior.k
    bos = n + k
    rng = np.random.default_rng(cfg.seed + 1)
    torch.manual_seed(cfg.seed)
    net = build_network(n, k, cfg.layers, cfg.hidden, cfg.seed)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    t0 = time.perf_counter()
    losses = []
    iterator = range(cfg.steps)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, file=sys.stderr, desc="train", mininterval=2)
    net.train()
    for _ in iterator:
        B = prior.sample(rng, cfg.batch)
        orders = np.argsort(rng.random((cfg.batch, n)), axis=1)
        tok = sequences(B, orders, n)
        tok[:, 0] = bos
        x = torch.as_tensor(tok)
        z = net(input_ids=x).logits[:, 1::2, n:n + k]
        target = x[:, 2::2] - n
        loss = torch.nn.functional.cross_entropy(z.reshape(-1, k), target.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    train_seconds = time.perf_counter() - t0
    return {"config": asdict(cfg), "train_seconds": train_seconds, "final_loss_nats": float(np.mean(losses[-50:])),
            **evaluate(TrainedSequencePrior(net, n, k), prior, cfg.test, cfg.seed + 2)}


def evaluate(model: TrainedSequencePrior, prior, m: int, seed: int) -> dict:
    """Codelengths in bits per behaviour on ``m`` held-out ``b ~ P`` in random orders."""
    rng = np.random.default_rng(seed)
    n = prior.n
    B = prior.sample(rng, m)
    orders = np.argsort(rng.random((m, n)), axis=1)
    coh = model.coherence_in_orders(B, orders)
    exact = prior.log_joint(B)
    zs = prior.log_zero_shot()
    indep = zs[np.arange(n), B].sum(axis=-1)
    per = 1.0 / (n * np.log(2))
    gap = (exact - coh) * per
    # order sensitivity of the trained model: spread of Coh_s over orders for a few vectors
    few = np.repeat(B[:20], 8, axis=0)
    cs = model.coherence_in_orders(few, np.argsort(rng.random(few.shape), axis=1)).reshape(-1, 8)
    spread = cs.std(axis=1)
    return {"n": n, "k": prior.k, "test_vectors": m,
            "exact_bits_per_behaviour": float(-exact.mean() * per),
            "trained_bits_per_behaviour": float(-coh.mean() * per),
            "zero_shot_bits_per_behaviour": float(-indep.mean() * per),
            "gap_bits_per_behaviour": float(gap.mean()),
            "gap_stderr": float(gap.std(ddof=1) / np.sqrt(m)),
            "zero_shot_gap_bits_per_behaviour": float((exact - indep).mean() * per),
            "order_spread_nats": float(np.mean(spread))}


def summary(res: dict) -> str:
    """The result of :func:`train` in a few lines: the codelengths in bits per behaviour and the gaps."""
    cfg = res["config"]
    return "\n".join([
        f"prior {cfg['prior']}, n = {res['n']}, {cfg['steps']} steps in {res['train_seconds']:.0f} s",
        f"  exact codelength   {res['exact_bits_per_behaviour']:.4f} bits/behaviour",
        f"  trained network    {res['trained_bits_per_behaviour']:.4f} bits/behaviour "
        f"(gap {res['gap_bits_per_behaviour']:.4f} +- {res['gap_stderr']:.4f})",
        f"  zero-shot marginals {res['zero_shot_bits_per_behaviour']:.4f} bits/behaviour "
        f"(gap {res['zero_shot_gap_bits_per_behaviour']:.4f})",
        f"  order spread of the trained Coh_s: {res['order_spread_nats']:.3f} nats"])
