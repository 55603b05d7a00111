"""A causal language model as a pretrained prior: conditionals from label-token probabilities.

For items with query texts ``q_1..q_n`` and label words ``w_0..w_{k-1}`` (each one token), the
prompt for item ``i`` with ordered demonstrations ``D = (d_1..d_m)`` and labels ``b`` is the
token concatenation

    header + [q_{d_1}, w_{b_{d_1}}, sep] + ... + [q_{d_m}, w_{b_{d_m}}, sep] + q_i

and

    P_M(b_i = y | x_i; D) = softmax_y( logit_M(w_y | prompt) )     (normalised over Y, nats).

Each segment is tokenised on its own, so a prompt is exactly the concatenation of its segments'
tokens and every path below computes the same conditional up to float rounding:

* the *explicit* path (:meth:`LMPrior.explicit_log_conditional`): one full forward pass of the
  prompt with the model's full output head -- the reference;
* the *fast* paths: a stored key/value cache of the last "trunk" prompt so that any later prompt
  sharing a prefix with it reuses that prefix; batched suffixes over a shared cache with a
  padding mask; label logits from the hidden state times the ``k`` label rows of the output
  embedding (not the whole vocabulary);
* :meth:`log_sequential` of a whole order is ONE forward pass of the full demonstration
  sequence: the conditional of step ``t`` is read where ``q_{s(t)}`` ends (prequential
  coherence, exact);
* :meth:`log_loo` (``loo="exact"``): the prompt for ``i`` shares ``header + d_<i`` with the
  trunk ``header + d_1..d_n``; only ``d_>i + q_i`` is recomputed (about half the tokens of
  independent prompts);
* ``loo="block"``: ALL leave-one-out conditionals in one forward pass -- the trunk followed by
  every ``q_i`` with a block attention mask hiding ``d_i`` from ``q_i``. This is an
  approximation: the trunk's later demonstrations attended to ``d_i`` in lower layers, and the
  positions keep a gap where ``d_i`` was. It is exact for the last item; its distance from the
  explicit prompts is measured (:func:`block_loo_agreement`), never assumed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from theory.prior import Prior
from theory import validation as V

from simulations.lm.backends.prefix_scorer import PrefixScorer

LOO_MODES = ("exact", "block")


@dataclass(frozen=True)
class PromptFormat:
    """How segments are written: ``header``, the ``separator`` after each demonstration, and
    the label words (each must be a single token once ``label_prefix`` is prepended)."""

    header: str = ""
    separator: str = "\n\n"
    label_words: tuple = ("False", "True")
    label_prefix: str = " "


class LabelWordPrior(Prior):
    """What every language-model prior shares: the per-step log-probabilities of an order read
    from its :meth:`sequential_conditionals` (one pass, or one request, per distinct vector)."""

    exchangeable = False

    def log_sequential(self, B, order=None) -> np.ndarray:
        """``log P_M(b_{s(t)} | x_{s(t)}; earlier steps)``: ``(..., n)`` nats."""
        B = self._check(B)
        s = np.arange(self.n) if order is None else V.order("order", order, self.n)
        lc = self.sequential_conditionals(B, s)
        return np.take_along_axis(lc, B[..., s, None], axis=-1)[..., 0]

    def distinct_demo_labellings(self, B, demos):
        """The distinct labellings of ``demos`` among the rows of ``B``: ``(full, inv)`` with
        ``full[u]`` a length-``n`` vector carrying the ``u``-th distinct one (zeros elsewhere) and
        ``inv`` mapping each row of ``B`` to it, so a prompt is built once per distinct context."""
        uniq, inv = np.unique(B.reshape(-1, self.n)[:, demos], axis=0, return_inverse=True)
        full = np.zeros((len(uniq), self.n), dtype=np.int64)
        full[:, demos] = uniq
        return full, np.asarray(inv).reshape(-1)

    def context_conditionals(self, b, order, chunk: int) -> np.ndarray:
        """Conditionals with randomized context exclusion: ``(n, k)`` nats, where

            out[i, y] = log P_M(b_i = y | x_i; demos of every item outside i's chunk, in ``order``)

        and the chunks are ``chunk`` consecutive positions of ``order``. ``chunk = 1`` is the
        exact leave-one-out conditional (demos in ``order``); a larger chunk also hides the
        chunk's other items from each query, which is the approximation that makes one sweep
        cost about ``n^2 / (2 chunk)`` demonstration tokens: the context of a chunk shares the
        prefix before the chunk with the previous context, and the chunk's queries run as one
        batch of rows over that context's cache."""
        b = self._check(np.asarray(b)).reshape(self.n)
        s = V.order("order", order, self.n)
        c = V.positive_int("chunk", chunk, minimum=1, maximum=self.n)
        out = np.empty((self.n, self.k))
        for a in range(0, self.n, c):
            out[s[a:a + c]] = self.chunk_conditionals(b, s, a, c)
        return out


class LMPrior(LabelWordPrior):
    """A causal LM (:class:`simulations.lm.backends.loader.LoadedModel`) over ``n`` query texts.

    ``forward_tokens`` counts every input position the transformer processed (padding
    included: it costs compute); ``forward_calls`` counts forward passes.
    """


    def __init__(self, lm, queries, fmt: PromptFormat = PromptFormat(), loo: str = "exact",
                 batch_tokens: int = 16384):
        if loo not in LOO_MODES:
            raise ValueError(f"loo must be one of {LOO_MODES}, got {loo!r}")
        queries = list(queries)
        if not queries:
            raise ValueError("queries must be a non-empty list of strings")
        self.lm = lm
        self.fmt = fmt
        self.loo = loo
        self.batch_tokens = V.positive_int("batch_tokens", batch_tokens, minimum=64)
        self.n = len(queries)
        self.k = len(fmt.label_words)
        if self.k < 2:
            raise ValueError(f"label_words must hold at least 2 words, got {fmt.label_words}")
        enc = lm.tokenizer.encode
        self._header = np.asarray(enc(fmt.header) if fmt.header else [], dtype=np.int64)
        self._q = [np.asarray(enc(q), dtype=np.int64) for q in queries]
        if any(q.size == 0 for q in self._q):
            raise ValueError("queries must be non-empty strings")
        self._sep = np.asarray(enc(fmt.separator) if fmt.separator else [], dtype=np.int64)
        labs = []
        for w in fmt.label_words:
            ids = enc(fmt.label_prefix + w)
            if len(ids) != 1:
                raise ValueError(f"label_words: {fmt.label_prefix + w!r} is {len(ids)} tokens for this tokenizer; "
                                 "each label word must be exactly one token")
            labs.append(ids[0])
        if len(set(labs)) != len(labs):
            raise ValueError(f"label_words must map to distinct tokens, got {labs}")
        self._lab = np.asarray(labs, dtype=np.int64)
        self.scorer = PrefixScorer(lm, self._lab, batch_tokens=self.batch_tokens)
        # searches re-ask identical prompts (a rejected proposal restores the pool): memoise
        # single conditionals by a digest of their prompt tokens
        self._memo: dict = {}
        self.memo_size = 1_000_000
        self.memo_hits = 0

    @property
    def forward_tokens(self) -> int:
        """Input positions the transformer processed for this prior (padding included)."""
        return self.scorer.forward_tokens

    @property
    def forward_calls(self) -> int:
        """Forward passes run for this prior."""
        return self.scorer.forward_calls

    # -- prompts -------------------------------------------------------------------------
    def query_tokens(self) -> list:
        """Token ids of every item's query (the lengths :mod:`simulations.lm.tasks.prompt_length` reads)."""
        return list(self._q)

    def header_tokens(self) -> int:
        return int(self._header.size)

    def separator_tokens(self) -> int:
        return int(self._sep.size)

    def _demo(self, j: int, y: int) -> np.ndarray:
        return np.concatenate([self._q[j], self._lab[y:y + 1], self._sep])

    def prompt_tokens(self, b, i: int, demos) -> np.ndarray:
        """Token ids of the prompt for item ``i`` after ``demos`` labelled by ``b`` (1-D)."""
        parts = [self._header] + [self._demo(int(j), int(b[j])) for j in demos] + [self._q[int(i)]]
        return np.concatenate(parts)

    def _trunk(self, b, items):
        """``header + demos(items)`` and the index where each item's query ends (read position)."""
        parts, reads, t = [self._header], [], self._header.size
        for j in items:
            d = self._demo(int(j), int(b[j]))
            reads.append(t + self._q[int(j)].size - 1)
            parts.append(d)
            t += d.size
        return np.concatenate(parts), np.asarray(reads, dtype=np.int64)

    def _starts(self, items) -> np.ndarray:
        sizes = np.array([self._q[j].size + 1 + self._sep.size for j in items], dtype=np.int64)
        return self._header.size + np.concatenate([[0], np.cumsum(sizes)])

    # -- the Prior interface -------------------------------------------------------------
    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        full, inv = self.distinct_demo_labellings(B, d)
        seqs = [self.prompt_tokens(u, i, d) for u in full]
        keys = [hashlib.blake2b(s.tobytes(), digest_size=16).digest() for s in seqs]
        miss = [u for u, key in enumerate(keys) if key not in self._memo]
        self.memo_hits += len(seqs) - len(miss)
        if miss:
            res = self.scorer.score_rows(seqs[miss[0]], [(seqs[u], [seqs[u].size - 1]) for u in miss])
            if len(self._memo) + len(miss) > self.memo_size:
                self._memo.clear()
            for u, r in zip(miss, res):
                self._memo[keys[u]] = r[0]
        lp = np.stack([self._memo[key] for key in keys])
        return lp[np.asarray(inv).reshape(-1)].reshape(B.shape[:-1] + (self.k,))

    def sequential_conditionals(self, B, order=None) -> np.ndarray:
        """``out[..., t, y] = log P_M(b_{s(t)} = y | x_{s(t)}; earlier steps)``: ``(..., n, k)``.

        One forward pass per distinct behaviour vector: the prompt holding all ``n``
        demonstrations in order ``s`` gives every step's conditional where its query ends.
        """
        B = self._check(B)
        s = np.arange(self.n) if order is None else V.order("order", order, self.n)
        flat = B.reshape(-1, self.n)
        uniq, inv = np.unique(flat, axis=0, return_inverse=True)
        rows = [self._trunk(u, s) for u in uniq]
        res = self.scorer.score_rows(rows[0][0], rows)
        lp = np.stack(res)
        return lp[np.asarray(inv).reshape(-1)].reshape(B.shape[:-1] + (self.n, self.k))

    def coherence_over_orders(self, b, orders) -> np.ndarray:
        """``Coh_s(b)`` for each order ``s`` in ``orders (m, n)``: ``(m,)`` nats.

        One pass per order; each order's sequence stays in the scorer's stores, so the
        coherence of a labelling that differs from an earlier one only late in an order costs only
        the tokens after the first difference.
        """
        b = self._check(np.asarray(b)).reshape(self.n)
        orders = [V.order("orders", s, self.n) for s in np.asarray(orders).reshape(-1, self.n)]
        out = []
        for s in orders:
            # each order is its own trunk, so the scorer keeps one cached sequence per order and
            # a later labelling re-runs only the part after its first change in that order
            trunk, reads = self._trunk(b, s)
            lp = self.scorer.score_rows(trunk, [(trunk, reads)])[0]
            out.append(lp[np.arange(self.n), b[s]].sum())
        return np.array(out)

    def log_loo(self, B, mode: str | None = None) -> np.ndarray:
        """``log P_M(b_i = y | x_i; all j != i in index order)``: ``(..., n, k)``.

        ``mode`` (default ``self.loo``): ``"exact"`` (shared-prefix cache) or ``"block"`` (one
        pass with a block attention mask; approximate, see the module docstring).
        """
        B = self._check(B)
        mode = self.loo if mode is None else mode
        if mode not in LOO_MODES:
            raise ValueError(f"mode must be one of {LOO_MODES}, got {mode!r}")
        flat = B.reshape(-1, self.n)
        uniq, inv = np.unique(flat, axis=0, return_inverse=True)
        fn = self._loo_exact if mode == "exact" else self._loo_block
        lp = np.stack([fn(u) for u in uniq])
        return lp[np.asarray(inv).reshape(-1)].reshape(B.shape[:-1] + (self.n, self.k))

    def _loo_exact(self, b) -> np.ndarray:
        idx = np.arange(self.n)
        trunk, _ = self._trunk(b, idx)
        rows = []
        for i in range(self.n):
            s = self.prompt_tokens(b, i, idx[idx != i])
            rows.append((s, [s.size - 1]))
        return np.stack([r[0] for r in self.scorer.score_rows(trunk, rows)])

    def _loo_block(self, b) -> np.ndarray:
        idx = np.arange(self.n)
        trunk, _ = self._trunk(b, idx)
        starts = self._starts(idx)
        T = trunk.size
        sizes = np.array([q.size for q in self._q])
        offs = np.concatenate([[0], np.cumsum(sizes)])
        Sq = int(offs[-1])
        ids = np.concatenate(self._q)
        pos = np.empty(Sq, dtype=np.int64)
        allow = np.zeros((Sq, T + Sq), dtype=bool)
        for i in range(self.n):
            a, e = offs[i], offs[i + 1]
            # positions continue as if d_i were cut out and later demos moved up
            pos[a:e] = T - (starts[i + 1] - starts[i]) + np.arange(e - a)
            allow[a:e, :T] = True
            allow[a:e, starts[i]:starts[i + 1]] = False
            allow[a:e, T + a:T + e] = np.tril(np.ones((e - a, e - a), dtype=bool))
        return self.scorer.masked_pass(trunk, ids, pos, allow)[offs[1:] - 1]

    def chunk_conditionals(self, b, order, start: int, chunk: int) -> np.ndarray:
        """One chunk of :meth:`context_conditionals`: ``(m, k)`` nats for the items at positions
        ``start .. start + chunk - 1`` of ``order`` (``m`` of them), each given the demos of every
        item outside that chunk, in ``order``. (Arguments are trusted: searches call it in loops.)"""
        s = np.asarray(order)
        inside = s[start:start + chunk]
        ctx, _ = self._trunk(b, np.concatenate([s[:start], s[start + chunk:]]))
        rows = [(np.concatenate([ctx, self._q[int(i)]]), [ctx.size + self._q[int(i)].size - 1]) for i in inside]
        return np.stack([r[0] for r in self.scorer.score_rows(ctx, rows)])

    def log_zero_shot(self) -> np.ndarray:
        rows = [(np.concatenate([self._header, q]), [self._header.size + q.size - 1]) for q in self._q]
        return np.stack([r[0] for r in self.scorer.score_rows(rows[0][0], rows)])

    # -- reference path ------------------------------------------------------------------
    def explicit_log_conditional(self, b, i: int, demos) -> np.ndarray:
        """The reference: one uncached forward pass of the whole prompt with the full output
        head, log-softmax restricted to the label tokens. ``(k,)`` nats."""
        b = self._check(np.asarray(b))
        d = self._check_demos(i, demos)
        return self.scorer.explicit_label_logp(self.prompt_tokens(b, i, d))

    def explicit_log_loo(self, b) -> np.ndarray:
        """All leave-one-out conditionals from ``n`` explicit prompts: ``(n, k)`` nats."""
        idx = np.arange(self.n)
        return np.stack([self.explicit_log_conditional(b, i, idx[idx != i]) for i in range(self.n)])

    def clear_cache(self) -> None:
        """Forget the stored trunk key/values and the memoised conditionals (frees memory)."""
        self.scorer.clear()
        self._memo.clear()


def block_loo_agreement(prior: LMPrior, b) -> dict:
    """How far the one-pass block-mask LOO is from explicit prompts, for one vector ``b``:
    max and mean absolute difference of the log conditionals (nats) and the fraction of items
    whose argmax label agrees."""
    ex = prior.log_loo(np.asarray(b), mode="exact")
    bl = prior.log_loo(np.asarray(b), mode="block")
    d = np.abs(ex - bl)
    return {"max_abs_nats": float(d.max()), "mean_abs_nats": float(d.mean()),
            "argmax_agreement": float(np.mean(ex.argmax(-1) == bl.argmax(-1)))}
