"""One model on one OpenAI-compatible completions server, as the served prior sees it.

A :class:`ServedModel` holds the HTTP client (:mod:`simulations.lm.backends.http_client`), the response
cache (:mod:`simulations.lm.backends.response_cache`) and the request parameters, builds the request body
for the top-``K`` next-token log-probabilities of a prompt (``max_tokens = 1``,
``temperature = 0``, ``logprobs = K``, optionally ``echo``) and answers a batch of bodies from the
cache first and the server second, caching each fresh response the moment it arrives. Every
response, fresh or cached, has passed :func:`simulations.lm.backends.reply_checks.completion_problem`.
:func:`simulations.lm.backends.where.open_model` builds one from ``openai:URL[#MODEL]``.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from simulations.lm.backends.http_client import CompletionsClient
from simulations.lm.backends.reply_checks import completion_problem
from simulations.lm.backends.response_cache import ResponseCache, response_key

#: batches of at least this many requests show a progress bar on stderr
PROGRESS_MIN = 32
ECHO_MODES = ("auto", "off")


@dataclass
class ServedModel:
    """One model on one server: the client, its response cache and the request parameters.

    ``name`` is the spec (``openai:URL#MODEL``); ``device`` and ``dtype`` say ``server`` so
    records written for local models read the same. ``echo_offset`` is learnt once per model:
    ``None`` unknown, ``False`` unusable, or the position offset (0 or -1) of prompt logprobs.
    """

    client: CompletionsClient
    model: str | None
    cache: ResponseCache
    name: str
    top_logprobs: int = 20
    echo: str = "auto"
    device: str = "server"
    dtype: str = "server"
    load_seconds: float = 0.0
    source: str = ""
    info: dict = field(default_factory=dict)
    echo_offset: object = None

    def payload(self, prompt: str, *, echo: bool = False) -> dict:
        """The request body for the next-token top-K log-probabilities of ``prompt``."""
        body = {"prompt": prompt, "max_tokens": 1, "temperature": 0.0, "logprobs": int(self.top_logprobs)}
        if echo:
            body["echo"] = True
        if self.model is not None:
            body["model"] = self.model
        return body

    def fetch(self, payloads: list) -> tuple:
        """Responses for ``payloads`` (cache first, then the server; each fresh response is
        cached the moment it arrives). Returns ``(responses, sent)`` where ``sent[j]`` says
        whether ``payloads[j]`` went to the server."""
        keys = [response_key(self.client.base_url, self.model, p) for p in payloads]
        # a cached reply is checked as a fresh one is (a cache written before the checks, or
        # edited, must not feed NaNs in): one that fails is asked again
        out = [self.cache.get(key) for key in keys]
        out = [None if r is not None and completion_problem(r, p) else r for r, p in zip(out, payloads)]
        todo = [j for j, r in enumerate(out) if r is None]
        # identical payloads in one batch are sent once
        first: dict = {}
        for j in todo:
            first.setdefault(keys[j], j)
        uniq = list(first.values())

        bar = None
        if len(uniq) >= PROGRESS_MIN:
            from tqdm import tqdm

            bar = tqdm(total=len(uniq), desc=f"requests to {self.client.base_url}", file=sys.stderr, leave=False)

        def keep(u, resp):
            j = uniq[u]
            self.cache.put(keys[j], resp)
            out[j] = resp
            if bar is not None:
                bar.update(1)

        try:
            if uniq:
                self.client.complete([payloads[j] for j in uniq], on_result=keep)
        finally:
            if bar is not None:
                bar.close()
        for j in todo:
            out[j] = out[first[keys[j]]]
        sent = np.zeros(len(payloads), dtype=bool)
        sent[uniq] = True
        return out, sent

    def accounting(self) -> dict:
        """Requests, retries and prompt tokens sent to the server, and cache hits, so far."""
        return {**self.client.stats.as_dict(), **self.cache.stats()}
