"""Where a language model runs: local weights (transformers) or an OpenAI-compatible server.

Two entry points, used by ``coherence lm`` and by scripts alike:

* :func:`open_model` ``(spec, **options)`` -- ``spec`` is a local model (``smollm2``,
  ``tiny-random``, a model folder or ``.gguf`` file: :func:`simulations.lm.backends.loader.load`) or a
  server ``openai:URL[#MODEL]`` (``openai:http://127.0.0.1:8000#meta-llama/Llama-3.1-70B``):
  a :class:`~simulations.lm.backends.served_model.ServedModel` with a response cache;
* :func:`make_prior` ``(model, queries, fmt, *, loo="exact")`` -- the matching
  :class:`theory.prior.Prior` (:class:`~simulations.lm.backends.prior.LMPrior` or
  :class:`~simulations.lm.backends.served.ServedPrior`); every search runs on either unchanged;
* :func:`accounting` ``(prior)`` -- the cost record of a run for either backend;
* :class:`ModelConfig` and :func:`open_configured` -- the same settings as one frozen value
  (``coherence lm``'s model options).
"""
from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path

from simulations.io import cache_root, check_writable

from simulations.lm.backends.prior import LMPrior, PromptFormat

#: the scheme of served-model specs
SERVED_SCHEME = "openai:"


def is_served(spec: str) -> bool:
    """Whether ``spec`` names a model on a server (``openai:URL[#MODEL]``)."""
    return isinstance(spec, str) and spec.startswith(SERVED_SCHEME)


def parse_served(spec: str) -> tuple:
    """``openai:URL[#MODEL]`` -> ``(normalised base URL, MODEL or None)``; ValueError otherwise."""
    from simulations.lm.backends.http_client import normalise_base_url

    if not is_served(spec):
        raise ValueError(f"--model: a served model is written openai:URL[#MODEL], got {spec!r}")
    rest = spec[len(SERVED_SCHEME):]
    url, _, model = rest.partition("#")
    try:
        base = normalise_base_url(url)
    except ValueError as exc:
        raise ValueError(f"--model: openai:URL[#MODEL]: {exc}") from None
    return base, (model or None)


def response_folder(cache_dir=None, response_cache=None) -> Path:
    """Where served responses are kept: ``response_cache`` when given, else ``responses/`` under
    the cache root :func:`simulations.io.cache_root` ``(cache_dir)``."""
    if response_cache is not None:
        return Path(response_cache).expanduser()
    return cache_root(cache_dir) / "responses"


def open_served(spec: str, *, cache_dir=None, response_cache=None, use_cache: bool = True, top_logprobs: int = 20,
                max_workers: int = 8, timeout: float = 120.0, retries: int = 4, backoff: float = 0.5,
                echo: str = "auto", liveness=None):
    """A :class:`~simulations.lm.backends.served_model.ServedModel` for ``openai:URL[#MODEL]``.

    Without ``#MODEL`` the server is asked (``GET /v1/models``) and must list exactly one model.
    Responses are kept in :func:`response_folder` ``(cache_dir, response_cache)`` (``cache_dir``
    is the cache root, as ``--cache-dir`` of every command; ``response_cache`` a folder of their
    own); ``use_cache=False`` keeps them in memory only. ``top_logprobs`` is K of the top-K
    next-token log-probabilities (vLLM's server caps it at its ``--max-logprobs``, 20 by
    default). ``liveness`` is a launcher's report of whether the server process is gone
    (:meth:`LlamaServer.death <simulations.lm.backends.llama_server.LlamaServer.death>`): a dead server
    is then named in one line.

    Every option is range-checked, naming its command-line flag, before any request is sent."""
    from simulations.lm.backends.http_client import CompletionsClient, check_option
    from simulations.lm.backends.response_cache import ResponseCache
    from simulations.lm.backends.served_model import ECHO_MODES, ServedModel

    t0 = time.perf_counter()
    base, model = parse_served(spec)
    for name, value, flag in (("timeout", timeout, "--timeout"), ("retries", retries, "--retries"),
                              ("max_workers", max_workers, "--max-workers"), ("backoff", backoff, "backoff")):
        check_option(name, value, flag)
    if isinstance(top_logprobs, bool) or not isinstance(top_logprobs, int) or not 1 <= top_logprobs <= 100:
        raise ValueError(f"top_logprobs must be an integer in [1, 100], got {top_logprobs!r}")
    if echo not in ECHO_MODES:
        raise ValueError(f"echo must be one of {ECHO_MODES}, got {echo!r}")
    client = CompletionsClient(base, max_workers=max_workers, timeout=timeout, retries=retries, backoff=backoff,
                               liveness=liveness)
    folder = None
    if use_cache:
        # the cache folder is probed before the first request, as every argument is, naming the
        # flag that chose it
        folder = check_writable(response_folder(cache_dir, response_cache),
                                argument="--cache-dir" if response_cache is None else "--response-cache")
    cache = ResponseCache(folder)
    if model is None:
        ids = client.models()
        if len(ids) != 1:
            raise ValueError(f"--model: the server at {base} lists {len(ids)} models {ids}; name one as "
                             f"openai:{base}#MODEL")
        model = ids[0]
    return ServedModel(client=client, model=model, cache=cache, name=f"{SERVED_SCHEME}{base}#{model}",
                       top_logprobs=top_logprobs, echo=echo, load_seconds=time.perf_counter() - t0,
                       source=base, info={"server": base, "served_model": model})


def open_model(spec: str = "smollm2", *, device: str = "auto", dtype: str = "float32", seed: int = 0,
               threads: int | None = None, cache_dir=None, **served_options):
    """A local :class:`~simulations.lm.backends.loader.LoadedModel` or, for ``openai:URL[#MODEL]``, a
    :class:`~simulations.lm.backends.served_model.ServedModel` (``served_options``: see :func:`open_served`).

    ``cache_dir`` is the cache root (:func:`simulations.io.cache_root`; ``None``: the default)
    of either kind: a served model keeps its responses under it, a local ``.gguf`` its float
    conversion. A served option whose value is ``None`` means its default (so a CLI passes its
    flags as they are); a served option set for a local model is rejected, so it is never
    silently ignored. ``device``, ``dtype``, ``seed`` and ``threads`` concern local weights only."""
    served_options = {k: v for k, v in served_options.items() if v is not None}
    if is_served(spec):
        return open_served(spec, cache_dir=cache_dir, **served_options)
    if served_options:
        raise ValueError(f"options {sorted(served_options)} apply to served models (openai:URL) only, "
                         f"not to --model {spec!r}")
    from simulations.lm.backends.loader import load

    return load(spec, device=device, dtype=dtype, seed=seed, threads=threads, cache_dir=cache_dir)


@dataclass(frozen=True)
class ModelConfig:
    """A model to open and where (``coherence lm``'s model options), for :func:`open_configured`.

    ``model`` is :func:`open_model`'s spec; ``device``, ``dtype`` (``auto``: chosen per machine and
    model, :mod:`simulations.lm.backends.dtype_choice`) and ``threads`` (``None``: the idle cores)
    concern local weights; ``cache_dir`` is the cache root of either kind. The served-model
    options (:data:`SERVED_OPTIONS`) are ``None`` unless set, meaning :func:`open_served`'s
    default (:func:`served_default`); one set for a local model is refused."""

    model: str = "smollm2"
    device: str = "auto"
    dtype: str = "auto"
    threads: int | None = None
    cache_dir: str | None = None
    response_cache: str | None = None
    use_cache: bool | None = None
    top_logprobs: int | None = None
    max_workers: int | None = None
    timeout: float | None = None
    retries: int | None = None
    echo: str | None = None

    def served_options(self) -> dict:
        """The served-model options as keywords of :func:`open_model` (unset ones ``None``)."""
        return {k: getattr(self, k) for k in SERVED_OPTIONS}


#: the fields of :class:`ModelConfig` that apply to served models only (keywords of :func:`open_served`)
SERVED_OPTIONS = ("response_cache", "use_cache", "top_logprobs", "max_workers", "timeout", "retries", "echo")


def served_default(name: str):
    """The default of :func:`open_served`'s option ``name`` (what an unset served option means)."""
    return inspect.signature(open_served).parameters[name].default


def open_configured(config: ModelConfig):
    """:func:`open_model` with the settings of ``config``."""
    return open_model(config.model, device=config.device, dtype=config.dtype, threads=config.threads,
                      cache_dir=config.cache_dir, **config.served_options())


def make_prior(model, queries, fmt: PromptFormat = PromptFormat(), *, loo: str = "exact", **options):
    """The :class:`theory.prior.Prior` of ``model`` (from :func:`open_model`) over ``queries``:
    :class:`LMPrior` for local weights, :class:`~simulations.lm.backends.served.ServedPrior` for a server.
    ``options`` go to the prior's constructor (``batch_tokens`` local; ``eps``, ``echo_tol``
    served)."""
    from simulations.lm.backends.served import ServedPrior
    from simulations.lm.backends.served_model import ServedModel

    if isinstance(model, ServedModel):
        return ServedPrior(model, queries, fmt, loo=loo, **options)
    return LMPrior(model, queries, fmt, loo=loo, **options)


def accounting(prior) -> dict:
    """The cost of what ``prior`` has computed so far, for records.

    Local: ``forward_tokens`` (positions the transformer processed), ``forward_calls``,
    ``memo_hits``. Served: ``forward_tokens`` = prompt tokens sent, ``forward_calls`` =
    requests sent, plus ``cache_hits``, ``memo_hits``, ``echo_requests`` and the label
    fallback counts (:meth:`ServedPrior.accounting`)."""
    out = {"backend": "local", "forward_tokens": int(prior.forward_tokens), "forward_calls": int(prior.forward_calls),
           "memo_hits": int(getattr(prior, "memo_hits", 0))}
    if hasattr(prior, "served"):
        out["backend"] = "served"
        out.update(prior.accounting())
    return out
