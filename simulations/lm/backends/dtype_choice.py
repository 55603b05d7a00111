"""``--dtype auto``: the floating-point type a local model runs in, chosen once per machine and model.

The rule (docs/lm.md#precision):

* on CUDA: ``float32``, the rule before ``auto`` existed (nothing is measured there);
* on a CPU: ``bfloat16`` when the CPU advertises bf16 matrix or vector units -- ``amx_bf16`` or
  ``avx512_bf16`` among the ``flags`` of ``/proc/cpuinfo`` (``bf16`` among the ``Features`` of an
  Arm CPU) -- **and** a micro-benchmark on the loaded model finds bfloat16 at least
  :attr:`AutoRule.min_speedup` times faster than float32 (the same short prompt through the
  transformer body, best of :attr:`AutoRule.repeat` after one warm-up pass, each dtype);
  otherwise ``float32``. Where the flags cannot be read (no ``/proc/cpuinfo``: macOS, Windows)
  they count as unknown, and unknown is not advertised.

A CPU without the units has no instruction that multiplies bfloat16, so torch widens bfloat16
operands to float32 in software and bfloat16 runs slower there (measured: ``coherence bench
--only lm-forward``); with them it can run faster, and the micro-benchmark is what confirms it on
this machine, with this torch build and thread count.

The decision is a cache entry (:mod:`simulations.stored`: atomic, checksummed, schema-checked on
read) at ``<cache root>/dtype/<model>-<machine>.json``, where ``<machine>`` hashes the CPU model
name, its flags and the torch version (a new torch brings new bf16 kernels), so the benchmark
runs once per machine and model. Every decision is stated in one line on stderr.
"""
from __future__ import annotations

import copy
import hashlib
import platform
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: the dtypes ``auto`` chooses between
AUTO_DTYPES = ("float32", "bfloat16")
#: CPU flags that advertise bf16 arithmetic units (x86 ``flags``, Arm ``Features``)
BF16_FLAGS = ("amx_bf16", "avx512_bf16", "bf16")
#: the text of the micro-benchmark's prompt (cut to ``AutoRule.prompt_tokens`` tokens)
PROMPT_TEXT = ("Review: the service was slow, but the food made up for it.\nSentiment: positive\n\n"
               "Review: I would not go back; the room was cold and the staff indifferent.\nSentiment: negative\n\n"
               "Question: what is the capital of Australia?\nAnswer: Canberra\n\n"
               "Question: is 17 a prime number?\nAnswer: True\n\n")


@dataclass(frozen=True)
class AutoRule:
    """Settings of the micro-benchmark behind ``auto``.

    ``min_speedup``: bfloat16 is chosen only when ``float32 seconds / bfloat16 seconds`` reaches
    it (a margin, so that timing noise on a shared machine does not trade precision for nothing);
    ``repeat``: timed passes per dtype (the best counts); ``prompt_tokens``: prompt length."""

    min_speedup: float = 1.1
    repeat: int = 3
    prompt_tokens: int = 128


@dataclass(frozen=True)
class CpuInfo:
    """What the CPU says of itself: its model name and flags (``None``: unknown on this platform)."""

    model_name: str
    flags: frozenset | None


@dataclass(frozen=True)
class DtypeChoice:
    """The dtype ``auto`` chose, why, and whether the decision was read from the cache.

    ``seconds``: the micro-benchmark's best times per dtype, ``None`` when none ran."""

    dtype: str
    reason: str
    cached: bool = False
    seconds: dict | None = None
    path: str | None = None

    def record(self) -> dict:
        """The part written into records (``dtype_choice``): the same bytes on every run that
        reads the decision back."""
        return {"requested": "auto", "reason": self.reason}

    def line(self) -> str:
        """The one line stated on stderr."""
        where = (f"cached in {self.path}" if self.cached else f"decided now, cached in {self.path}") \
            if self.path else "not cached"
        return f"[lm] --dtype auto: {self.dtype} ({self.reason}; {where})"


def cpu_info(path="/proc/cpuinfo") -> CpuInfo:
    """The CPU model name and flags read from ``path`` (Linux). Flags are the union of the
    ``flags`` (x86) and ``Features`` (Arm) lines; without a readable file they are ``None``."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return CpuInfo(platform.processor() or platform.machine() or "unknown", None)
    name, flags = None, set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        if key == "model name" and name is None:
            name = value.strip()
        elif key in ("flags", "features"):
            flags.update(value.split())
    if not flags:
        return CpuInfo(name or platform.processor() or "unknown", None)
    return CpuInfo(name or platform.processor() or platform.machine() or "unknown", frozenset(flags))


def bf16_units(cpu: CpuInfo) -> tuple | None:
    """The flags of :data:`BF16_FLAGS` that ``cpu`` advertises; ``None`` when its flags are unknown."""
    if cpu.flags is None:
        return None
    return tuple(f for f in BF16_FLAGS if f in cpu.flags)


def machine_key(cpu: CpuInfo) -> str:
    """16 hex digits naming the machine for the cache: CPU model name, sorted flags, torch version."""
    import torch

    flags = "unknown" if cpu.flags is None else " ".join(sorted(cpu.flags))
    return hashlib.sha256(f"{cpu.model_name}|{flags}|torch {torch.__version__}".encode()).hexdigest()[:16]


def model_key(name_or_path: str, named: bool) -> str:
    """A file-name-safe name of the model: a ``named`` model (``smollm2``, ...) as itself, a path
    as its last part and a hash of its resolved form (two folders with one name are two models)."""
    if named:
        return name_or_path
    p = Path(name_or_path).expanduser()
    digest = hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', p.name)[:40]}-{digest}"


def decision_path(name_or_path: str, named: bool, cpu: CpuInfo, cache_dir=None) -> Path:
    """Where the decision for this model on this machine is kept: ``dtype/`` under the cache root."""
    from simulations.io import cache_root

    return cache_root(cache_dir) / "dtype" / f"{model_key(name_or_path, named)}-{machine_key(cpu)}.json"


def prompt_ids(tokenizer, tokens: int) -> list:
    """The first ``tokens`` token ids of :data:`PROMPT_TEXT` repeated (the same prompt for both dtypes)."""
    ids = tokenizer.encode(PROMPT_TEXT)
    return (ids * (tokens // max(1, len(ids)) + 1))[:tokens]


def forward_seconds(model, ids, repeat: int) -> float:
    """Best wall time of ``repeat`` passes of ``ids`` through the model's transformer body (the
    part scoring runs: :mod:`simulations.lm.backends.prefix_scorer` reads label rows, not the full head),
    after one untimed warm-up pass (it allocates and picks kernels)."""
    import torch

    body = model.get_decoder() if hasattr(model, "get_decoder") else model
    t = torch.as_tensor([ids], device=next(model.parameters()).device)
    best = float("inf")
    with torch.inference_mode():
        body(input_ids=t, use_cache=False)
        for _ in range(repeat):
            t0 = time.perf_counter()
            body(input_ids=t, use_cache=False)
            best = min(best, time.perf_counter() - t0)
    return best


def micro_benchmark(model, tokenizer, rule: AutoRule) -> dict:
    """``{dtype: best seconds}`` of the same short prompt through ``model`` (float32) and through a
    bfloat16 copy of it; the copy is dropped afterwards."""
    import torch

    ids = prompt_ids(tokenizer, rule.prompt_tokens)
    out = {"float32": forward_seconds(model, ids, rule.repeat)}
    half = copy.deepcopy(model).to(torch.bfloat16)
    out["bfloat16"] = forward_seconds(half, ids, rule.repeat)
    del half
    return out


def _entry_check(key: str, machine: dict):
    from simulations.stored import dict_of, non_negative, nullable, obj, one_of, same_json, string

    return obj({"model": same_json(key, "this model"), "machine": same_json(machine, "this machine"),
                "dtype": one_of(*AUTO_DTYPES), "reason": string}, {"seconds": nullable(dict_of(non_negative))})


def decide(model, tokenizer, *, cpu: CpuInfo, rule: AutoRule = AutoRule(), benchmark=None) -> DtypeChoice:
    """The CPU rule of the module docstring, computed now (no cache): flags first, then
    ``benchmark(model, tokenizer, rule) -> {dtype: seconds}`` (default :func:`micro_benchmark`)
    only where the flags advertise bf16 units."""
    units = bf16_units(cpu)
    if units is None:
        return DtypeChoice("float32", "CPU flags unknown on this platform (no /proc/cpuinfo): no bf16 units assumed")
    if not units:
        return DtypeChoice("float32", f"{cpu.model_name} advertises no bf16 units "
                                      f"(none of {', '.join(BF16_FLAGS)} among its CPU flags)")
    seconds = (benchmark or micro_benchmark)(model, tokenizer, rule)
    speedup = seconds["float32"] / seconds["bfloat16"]
    measured = (f"bfloat16 ran at {speedup:.2f}x float32's speed on a {rule.prompt_tokens}-token prompt, best of "
                f"{rule.repeat}")
    if speedup >= rule.min_speedup:
        return DtypeChoice("bfloat16", f"{cpu.model_name} advertises {', '.join(units)} and {measured}",
                           seconds=seconds)
    return DtypeChoice("float32", f"{cpu.model_name} advertises {', '.join(units)} but {measured} "
                                  f"(below the {rule.min_speedup:g}x required)", seconds=seconds)


def choose_dtype(model, tokenizer, name_or_path: str, *, named: bool = True, device: str = "cpu", cache_dir=None,
                 cpu: CpuInfo | None = None, rule: AutoRule = AutoRule(), benchmark=None, use_cache: bool = True,
                 quiet: bool = False) -> DtypeChoice:
    """The dtype ``--dtype auto`` runs ``model`` (loaded in float32 on the CPU) in on ``device``.

    On CUDA ``float32``. On a CPU the decision cached for this machine (``cpu``, default
    :func:`cpu_info`) and model (``name_or_path``; ``named``: a name of the loader, not a path)
    when there is a valid one, else :func:`decide` now and cache it under the cache root of
    ``cache_dir`` (``use_cache=False``: neither read nor write). States the decision in one line
    on stderr unless ``quiet``."""
    if device != "cpu":
        choice = DtypeChoice("float32", f"on {device} auto keeps float32 (it measures only on CPUs)")
    else:
        cpu = cpu_info() if cpu is None else cpu
        choice = None
        key = model_key(name_or_path, named)
        path = decision_path(name_or_path, named, cpu, cache_dir) if use_cache else None
        if path is not None:
            from simulations.stored import read_cache_entry, write_cache_entry

            machine = {"cpu": cpu.model_name, "machine_key": machine_key(cpu)}
            entry = read_cache_entry(path, _entry_check(key, machine), kind="dtype decision")
            if entry is not None:
                choice = DtypeChoice(entry["dtype"], entry["reason"], cached=True, seconds=entry.get("seconds"),
                                     path=str(path))
        if choice is None:
            choice = decide(model, tokenizer, cpu=cpu, rule=rule, benchmark=benchmark)
            if path is not None:
                try:
                    write_cache_entry(path, {"model": key, "machine": machine,
                                             "dtype": choice.dtype, "reason": choice.reason,
                                             "seconds": choice.seconds}, indent=1)
                except OSError:  # an unwritable cache costs a benchmark next time, never the run
                    path = None
                choice = DtypeChoice(choice.dtype, choice.reason, seconds=choice.seconds,
                                     path=None if path is None or path.is_dir() else str(path))
    if not quiet:
        print(choice.line(), file=sys.stderr, flush=True)
    return choice
