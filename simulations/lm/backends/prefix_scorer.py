"""Label log-probabilities of a causal LM at chosen positions of token sequences, with prefix reuse.

:class:`PrefixScorer` holds one model and a stored "trunk": the key/value cache of the last
sequence it ran. :meth:`PrefixScorer.score_rows` scores many sequences (rows) at once: the
trunk runs once (reusing its longest common prefix with the stored one), each row reuses the
trunk's key/values for its own common prefix with the trunk, and only the remainders are
computed: rows that extend the whole trunk (a chunk's queries after its context) side by side in
one pass after it, each masked to see the trunk and its own tokens; other rows in batches over a
shared cache with a padding mask. Side by side, the trunk's keys and values are read once instead
of copied for each row of a batch, which for short queries after a long context cost more than
the queries themselves. The label log-probs are
``log_softmax`` over the ``k`` label tokens of the output head (nats, float64): the hidden state
times the ``k`` label rows of the output embedding, not the whole vocabulary.

Every position's logits depend only on the tokens up to it, so each number equals the one an
independent uncached pass of the row would give, up to float rounding (tested against explicit
prompts).
"""
from __future__ import annotations

import numpy as np

#: stored trunks kept at most, by default. The certified ascent's polish interleaves its polish
#: orders, fresh confirmation orders and each candidate's version of both (about 32 sequences, each
#: extending its own earlier version), and a chunked sweep revisits one context per chunk and
#: order: with 4 stores each evicted another's prefix, and a Coh over 8 orders re-ran every order
#: from its start. Measured on the certified ascent (tiny random model, ``polarity-high``, n = 64,
#: seed 0): forward tokens 702,383 with 4 stores, 538,570 with 48, 441,686 with 96, 439,998 with
#: 128 (tests/test_prefix_scorer_stores.py checks the saving and that the numbers do not change).
STORES = 96
#: bytes of stored keys and values kept at most, by default: beyond it the least recently used
#: stores go first (SmolLM2-135M keeps about 46 kB per token in float32, so a 650-token trunk is
#: about 30 MB and 96 of them about 3 GB)
STORE_BYTES = 3 * 2**30


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """Length of the longest common prefix of two 1-D integer arrays."""
    m = min(a.size, b.size)
    if m == 0:
        return 0
    diff = np.flatnonzero(a[:m] != b[:m])
    return int(diff[0]) if diff.size else m


class PrefixScorer:
    """One causal LM (a :class:`~simulations.lm.backends.loader.LoadedModel`) and its label tokens.

    ``forward_tokens`` counts every input position the transformer processed (padding included:
    it costs compute); ``forward_calls`` counts forward passes. ``side_by_side`` (true where the
    model allows it, :meth:`_side_by_side`) says how rows that extend the whole trunk run."""

    def __init__(self, lm, label_ids, batch_tokens: int = 16384, stores: int = STORES,
                 store_bytes: int = STORE_BYTES, side_by_side: bool = True):
        self.lm = lm
        self.batch_tokens = int(batch_tokens)
        self.k = len(label_ids)
        self._lab = np.asarray(label_ids, dtype=np.int64)
        self.forward_tokens = 0
        self.forward_calls = 0
        self.stores = int(stores)
        self.store_bytes = int(store_bytes)
        if self.stores < 1 or self.store_bytes < 0:
            raise ValueError(f"stores must be >= 1 and store_bytes >= 0, got {stores!r} and {store_bytes!r}")
        # most recent first: (tokens, [(k, v)] per layer, label log-probs (T, k), bytes of the k/v)
        self._stores: list = []
        cfg = lm.model.config
        cfg = cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg
        window = getattr(cfg, "sliding_window", None)
        types = set(getattr(cfg, "layer_types", None) or ())
        self.sliding = bool(window) and "sliding_attention" in types
        self._window = int(window) if self.sliding else None
        # rows over the whole trunk run side by side (one pass, :meth:`_side_by_side`) only where
        # the model takes our boolean masks as given: SDPA attention, and either no sliding window
        # or one mask per layer type of the two it knows; else (or asked) as a padded batch
        self.side_by_side = bool(side_by_side) and getattr(cfg, "_attn_implementation", None) == "sdpa" and (
            not window or (self.sliding and types <= {"full_attention", "sliding_attention"}))
        self._init_head()

    def _init_head(self):
        import torch

        model = self.lm.model
        self._device = next(model.parameters()).device
        self._base = model.get_decoder() if hasattr(model, "get_decoder") else model.base_model
        W = model.get_output_embeddings().weight
        idx = torch.as_tensor(self._lab, device=W.device)
        self._W = W.index_select(0, idx).detach().float()
        bias = getattr(model.get_output_embeddings(), "bias", None)
        self._bias = None if bias is None else bias.index_select(0, idx).detach().float()

    def _label_logp(self, h) -> np.ndarray:
        """Hidden states ``(..., d)`` -> log-softmax over the label tokens ``(..., k)`` (float64)."""
        import torch

        z = h.float() @ self._W.T
        if self._bias is not None:
            z = z + self._bias
        return torch.log_softmax(z.double(), dim=-1).cpu().numpy()

    def _forward(self, ids, past=None, position_ids=None, attention_mask=None):
        import torch

        ids_t = torch.as_tensor(ids, device=self._device)
        if ids_t.ndim == 1:
            ids_t = ids_t[None]
        kw = {}
        if position_ids is not None:
            kw["position_ids"] = torch.as_tensor(position_ids, device=self._device).reshape(ids_t.shape)
        if attention_mask is not None:
            # a mapping (one mask per layer type) goes to the model as it is
            kw["attention_mask"] = attention_mask if isinstance(attention_mask, dict) else \
                torch.as_tensor(attention_mask, device=self._device)
        with torch.no_grad():
            out = self._base(input_ids=ids_t, cache=past, use_cache=True, **kw)
        self.forward_tokens += int(ids_t.numel())
        self.forward_calls += 1
        return out.last_hidden_state, out.cache

    def _cache(self, kv, upto: int, rows: int = 1):
        """A fresh transformers cache holding the first ``upto`` positions of ``kv``."""
        from transformers import DynamicCache

        if upto == 0:
            return DynamicCache()
        data = [(k[:, :, :upto].expand(rows, -1, -1, -1), v[:, :, :upto].expand(rows, -1, -1, -1)) for k, v in kv]
        # no config: every layer keeps all its positions. With the config, sliding-window layers
        # (Gemma 3) keep only the last window of keys, and a stored prefix could not be cut at an
        # arbitrary position; the model still applies its sliding-window mask by position.
        return DynamicCache(data)

    def _run_trunk(self, tokens: np.ndarray):
        """Key/values and label log-probs at every position of ``tokens`` (batch 1), reusing the
        longest prefix shared with any of the ``stores`` most recently run trunks.

        Several stores matter because searches interleave sequences that each extend their own
        earlier version (the context of the next chunk, one prequential pass per order): with a
        single store each would evict the other's prefix."""
        if tokens.size == 0:
            # an empty context (the chunk holds every item, and the tokenizer adds no BOS):
            # nothing to run, every row is scored from scratch
            return [], np.zeros((0, self.k))
        best, c = None, 0
        for idx, st in enumerate(self._stores):
            m = min(common_prefix(st[0], tokens), tokens.size)
            if m > c:
                best, c = idx, m
        if best is not None:
            st = self._stores.pop(best)
            self._stores.insert(0, st)
            if c == tokens.size:
                return [(k[:, :, :c], v[:, :, :c]) for k, v in st[1]], st[2][:c]
        past = self._cache(self._stores[0][1], c) if c else self._cache(None, 0)
        pos = np.arange(c, tokens.size)
        h, cache = self._forward(tokens[c:], past=past, position_ids=pos)
        kv = [(layer.keys, layer.values) for layer in cache.layers]
        lp_new = self._label_logp(h[0])
        lp = lp_new if c == 0 else np.concatenate([self._stores[0][2][:c], lp_new])
        size = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in kv)
        self._stores.insert(0, (tokens.copy(), kv, lp, size))
        del self._stores[self.stores:]
        # the newest store always stays: the rows of this call read it
        while len(self._stores) > 1 and self.stored_bytes > self.store_bytes:
            self._stores.pop()
        return kv, lp

    @property
    def stored_bytes(self) -> int:
        """Bytes of the keys and values the stores hold."""
        return sum(st[3] for st in self._stores)

    def score_rows(self, trunk: np.ndarray, rows) -> list:
        """Label log-probs at the read positions of each row: ``rows = [(tokens, reads)]``.

        The trunk runs once (through the stored cache); each row reuses the trunk's key/values
        for its common prefix with it and only its remainder is computed: side by side in one
        pass for rows that extend the whole trunk (:meth:`_side_by_side`), else in batches of rows
        over a shared cache with a padding mask.
        """
        kv, lp_trunk = self._run_trunk(trunk)
        out = [None] * len(rows)
        todo = []
        for r, (tok, reads) in enumerate(rows):
            reads = np.asarray(reads, dtype=np.int64)
            keep = common_prefix(tok, trunk)
            # logits at a position depend only on the tokens up to it: reads before the
            # first difference from the trunk come from the trunk
            if reads.size == 0 or reads.max() < keep:
                out[r] = lp_trunk[reads]
            else:
                todo.append((keep, r, tok, reads))
        if self.side_by_side:
            # rows that extend the whole trunk (a chunk's queries after its context): their
            # remainders run side by side in one pass instead of a batch of R copies of the trunk
            whole = [t for t in todo if t[0] == trunk.size]
            todo = [t for t in todo if t[0] < trunk.size]
            self._side_by_side(kv, lp_trunk, trunk.size, whole, out)
        todo.sort(key=lambda t: -t[0])
        i = 0
        while i < len(todo):
            P = todo[i][0]
            S = todo[i][2].size - todo[i][0]
            total = S
            j = i + 1
            while j < len(todo):
                S_j = todo[j][2].size - todo[j][0]
                S2 = max(S, S_j)
                # sliding-window models build their window mask from cache positions, not from
                # position ids: a row whose shared prefix is shorter than P would see a shifted
                # window, so such models only batch rows that share the same prefix length
                if self.sliding and todo[j][0] != P:
                    break
                # bound the memory and the padding (padded positions cost compute)
                if (j - i + 1) * (P + S2) > self.batch_tokens or (j - i + 1) * S2 > 1.25 * (total + S_j) + 16:
                    break
                S, total = S2, total + S_j
                j += 1
            chunk = todo[i:j]
            R = len(chunk)
            ids = np.zeros((R, S), dtype=np.int64)
            pos = np.zeros((R, S), dtype=np.int64)
            mask = np.zeros((R, P + S), dtype=np.int64)
            for a, (keep, _, tok, _) in enumerate(chunk):
                suf = tok[keep:]
                ids[a, :suf.size] = suf
                pos[a] = keep + np.arange(S)
                mask[a, :keep] = 1
                mask[a, P:P + suf.size] = 1
            h, _ = self._forward(ids, past=self._cache(kv, P, R), position_ids=pos, attention_mask=mask)
            for a, (keep, r, tok, reads) in enumerate(chunk):
                out[r] = self._read(lp_trunk, keep, reads, h[a], 0)
            i = j
        return out

    def _side_by_side(self, kv, lp_trunk, P: int, rows: list, out: list) -> None:
        """Rows ``(keep, r, tokens, reads)`` that all extend the trunk's ``P`` tokens, scored into
        ``out[r]``: their remainders are concatenated into one sequence run after the trunk (as
        many as fit in ``batch_tokens`` per pass), each remainder attending to the trunk and to its
        own earlier tokens only, at the positions it has in its own row. So every number is the
        one an independent pass of the row gives, up to float rounding, while the trunk's keys
        and values are read once, not copied for each row."""
        i = 0
        while i < len(rows):
            # as many remainders as fit in batch_tokens after the trunk (at least one)
            lens = [rows[i][2].size - P]
            for _, _, tok, _ in rows[i + 1:]:
                if P + sum(lens) + tok.size - P > self.batch_tokens:
                    break
                lens.append(tok.size - P)
            part = rows[i:i + len(lens)]
            offs = np.concatenate([[0], np.cumsum(lens)])
            total = int(offs[-1])
            ids = np.concatenate([tok[P:] for _, _, tok, _ in part])
            pos = np.concatenate([P + np.arange(m) for m in lens])
            allow = np.zeros((total, P + total), dtype=bool)
            allow[:, :P] = True
            for a, m in enumerate(lens):
                allow[offs[a]:offs[a + 1], P + offs[a]:P + offs[a + 1]] = np.tril(np.ones((m, m), dtype=bool))
            mask = self._masks(allow, pos, P)
            h, _ = self._forward(ids, past=self._cache(kv, P), position_ids=pos, attention_mask=mask)
            for a, (_, r, _, reads) in enumerate(part):
                out[r] = self._read(lp_trunk, P, reads, h[0], offs[a])
            i += len(lens)

    def _read(self, lp_trunk, keep: int, reads, h, offset: int) -> np.ndarray:
        """Label log-probs ``(len(reads), k)`` of one row: reads before ``keep`` (its common prefix
        with the trunk) from the trunk's, the others from the hidden states ``h`` of its remainder,
        which starts at index ``offset`` of ``h``."""
        lp = np.empty((reads.size, self.k))
        inside = reads < keep
        lp[inside] = lp_trunk[reads[inside]]
        if np.any(~inside):
            lp[~inside] = self._label_logp(h[offset + reads[~inside] - keep])
        return lp

    def _masks(self, allow: np.ndarray, pos: np.ndarray, P: int):
        """The attention mask of a pass of ``S`` tokens at position ids ``pos`` after a ``P``-token
        trunk (``allow``: ``(S, P + S)``, true where a position may attend): one 4-D boolean mask,
        or for a sliding-window model one per layer type, the sliding layers' also cut to keys
        less than the window behind the query by position."""
        import torch

        full = torch.as_tensor(allow, device=self._device)[None, None]
        if not self.sliding:
            return full
        key_pos = np.concatenate([np.arange(P), pos])
        near = allow & (pos[:, None] - key_pos[None, :] < self._window)
        return {"full_attention": full, "sliding_attention": torch.as_tensor(near, device=self._device)[None, None]}

    def masked_pass(self, trunk: np.ndarray, ids: np.ndarray, positions: np.ndarray, allow: np.ndarray) -> np.ndarray:
        """Label log-probs ``(S, k)`` at every position of ``ids`` (length ``S``) run after the
        trunk (``T`` tokens) in ONE pass, where ``allow[s, t]`` (``(S, T + S)`` boolean) says
        whether position ``s`` may attend to trunk position ``t < T`` or to ``ids`` position
        ``t - T``; ``positions`` are the rotary/absolute position ids of ``ids``."""
        kv, _ = self._run_trunk(trunk)
        # a sliding-window model's sliding layers see only keys less than a window behind by position
        mask = self._masks(allow, positions, trunk.size)
        h, _ = self._forward(ids, past=self._cache(kv, trunk.size), position_ids=positions, attention_mask=mask)
        return self._label_logp(h[0])

    def explicit_label_logp(self, ids: np.ndarray) -> np.ndarray:
        """The reference path: one uncached pass of ``ids`` through the full model and output
        head, log-softmax of the last position's logits restricted to the label tokens ``(k,)``."""
        import torch

        t = torch.as_tensor(ids, device=self._device)[None]
        with torch.no_grad():
            logits = self.lm.model(input_ids=t, use_cache=False).logits[0, -1]
        self.forward_tokens += int(t.numel())
        self.forward_calls += 1
        z = logits.double()[torch.as_tensor(self._lab, device=logits.device)]
        return torch.log_softmax(z, dim=-1).cpu().numpy()

    def clear(self) -> None:
        """Forget the stored trunk key/values (frees memory)."""
        self._stores.clear()
