"""Regenerating the figures (``coherence figures``, ``coherence all``): :func:`produce_all` runs
what a :class:`FiguresConfig` asks for; the command line is :mod:`coherence.figures`.

For each experiment of :mod:`simulations.experiments` (in registry order) this runs its sweep
(parallel, cached, resumable: :mod:`simulations.sweep`), writes the data file
``DIR/data/ID.json`` (sorted keys, floats rounded to 6 significant digits, no timestamps: the
same seed and parameters give the same bytes), the figure as ``DIR/ID.png`` and ``DIR/ID.pdf``,
and ``DIR/manifest.json`` as in docs/cli.md, rewritten (atomically) after every figure, so an
interrupted run leaves a manifest of the figures it finished. Entries of an existing manifest
that are not regenerated (other ids, or figures left out by ``--only``) are kept; a manifest
that fails its schema (:func:`read_manifest`) is started afresh, with one warning line on stderr.

Every setting is checked before any work starts (:func:`validate`: ``--out``, its ``data/`` subfolder and
``--readme`` writable, the cache folder writable, ``--seed`` and ``--jobs`` in range, the
``[dask]`` extra present for ``--backend dask``): a bad one is a one-line error and exit status 2.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .io import atomic_write_bytes, atomic_write_text, check_writable
from .stored import list_of, obj, read_or_warn, string
from .sweep import cache_dir, code_fingerprint, require_dask, sweep

#: seeds accepted by ``--seed`` (numpy seed sequences need non-negative integers)
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class FiguresConfig:
    """A run of the figures; every default of ``coherence figures`` is defined here, once."""

    #: small grids and few seeds
    quick: bool = False
    #: figure ids or unique prefixes (``R5``); None: every figure
    only: tuple[str, ...] | None = None
    #: output folder of the figures, their data files and the manifest
    out: str = "figures"
    #: parallel workers (-1 = all cores)
    jobs: int = 2
    #: joblib backend (:data:`simulations.sweep.BACKENDS`)
    backend: str = "loky"
    #: dask scheduler address for the dask backend (None: a local cluster)
    scheduler: str | None = None
    #: the cache root (:func:`simulations.io.cache_root`); None: the default root
    cache_dir: str | None = None
    #: reuse and store finished sweep points
    use_cache: bool = True
    #: base seed of every experiment, 0..MAX_SEED
    seed: int = 0
    #: also write a markdown section showing every figure of the manifest (None: none)
    readme: str | None = None


@dataclass(frozen=True)
class FiguresRun:
    """What :func:`produce_all` did: the figures asked for, the manifest entries, those that failed."""

    out: Path
    ids: tuple
    figs: list
    failed: list
    seconds: float

    @property
    def status(self) -> int:
        """Exit status: 1 when a figure failed."""
        return 1 if self.failed else 0

    def summary(self) -> str:
        """The lines ``coherence figures`` prints: a count, then each figure's verdict and finding."""
        lines = [f"{len(self.ids) - len(self.failed)} figure(s) written to {self.out}/ in {self.seconds:.0f} s"
                 + (f"; failed: {', '.join(self.failed)}" if self.failed else "")]
        lines += [f"  {e['id']:34s} [{e['verdict']}] {e['finding']}" for e in self.figs if e["id"] in self.ids]
        return "\n".join(lines)


def check_jobs(jobs: int) -> None:
    if jobs == 0 or jobs < -1:
        raise ValueError(f"--jobs must be -1 (all cores) or a positive integer, got {jobs}")


def check_cache_dir(cache_root=None, use_cache: bool = True):
    """The sweep cache folder under ``cache_root`` (None: the default root), checked writable;
    None when the cache is not used."""
    if not use_cache:
        return None
    folder = cache_dir(cache_root)
    check_writable(folder, argument="--cache-dir")
    return folder


def validate(config: FiguresConfig):
    """Check every setting before any work; returns the sweep cache folder (or None)."""
    check_jobs(config.jobs)
    if not 0 <= config.seed <= MAX_SEED:
        raise ValueError(f"--seed must be an integer in [0, {MAX_SEED}], got {config.seed}")
    if config.backend == "dask":
        require_dask()
    # the data files go to a subfolder: a read-only (or file) DIR/data must fail here, not after
    # the figure has been computed
    for folder in (Path(config.out), Path(config.out) / "data"):
        check_writable(folder, argument="--out")
    if config.readme:
        readme = Path(config.readme)
        if readme.is_dir():
            raise ValueError(f"--readme: {config.readme!r} is a folder, expected a markdown file")
        check_writable(readme.parent, argument="--readme")
    return check_cache_dir(config.cache_dir, config.use_cache)


def code_version() -> str:
    """``theory.version.__version__`` plus ``git describe --always --dirty`` when available."""
    from theory.version import __version__

    try:
        desc = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                              timeout=10, cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        desc = ""
    return f"{__version__}+{desc}" if desc else __version__


def data_bytes(data: dict) -> bytes:
    """The deterministic serialisation of a figure's data."""
    from .experiments.base import rounded

    return (json.dumps(rounded(data), sort_keys=True, indent=1, allow_nan=False) + "\n").encode()


def save_figure(fig, out: Path, fid: str) -> list:
    """PNG and PDF with no timestamps in their metadata; returns the file names."""
    import matplotlib.pyplot as plt

    files = []
    for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=130, metadata=meta)
        atomic_write_bytes(out / f"{fid}.{ext}", buf.getvalue())
        files.append(f"{fid}.{ext}")
    plt.close(fig)
    return files


def produce(exp, out: Path, quick: bool, seed: int = 0, jobs: int = 2, backend: str = "loky",
            scheduler=None, use_cache: bool = True, cache=None) -> dict:
    """Run one experiment end to end; returns its manifest entry."""
    import matplotlib

    matplotlib.use("Agg")
    params = exp.params(quick)
    params = dict(params, quick=bool(quick), seed=int(seed))
    if "seeds" in params:
        params["seeds"] = [int(seed) + s for s in params["seeds"]]
    from .experiments.base import rounded

    params = rounded(params)
    results = sweep(exp.evaluate, exp.points(params), salt=f"{exp.id}:{exp.version}:{code_fingerprint()}", cache=cache,
                    use_cache=use_cache, n_jobs=jobs, backend=backend, scheduler=scheduler, desc=exp.id)
    data = rounded(exp.summarize(params, results))
    data = json.loads(data_bytes(data))       # what the finding reads is exactly what is written
    finding, verdict = exp.judge(data, params)
    record = {"id": exp.id, "claims": exp.claims, "title": exp.title, "prediction": exp.prediction,
              "finding": finding, "verdict": verdict, "params": params, "seed": int(seed), "data": data}
    atomic_write_bytes(out / "data" / f"{exp.id}.json", data_bytes(record))
    files = save_figure(exp.plot(data), out, exp.id)
    return {"id": exp.id, "files": files, "claims": exp.claims, "title": exp.title, "finding": finding,
            "prediction": exp.prediction, "verdict": verdict, "seed": int(seed), "params": params,
            "data": f"data/{exp.id}.json"}


#: how each verdict reads in the README's gallery (a failure stands out)
VERDICT_WORDS = {"holds": "holds", "fails": "**fails**", "holds-under-conditions": "holds under conditions",
                 "not judged": "not judged"}


def readme_section(figs: list, out: Path) -> str:
    """Markdown: one block per figure (image link, finding, the prediction it tests and the verdict),
    all read from the manifest entries, so the text follows the data."""
    lines = []
    for e in figs:
        png = next(f for f in e["files"] if f.endswith(".png"))
        lines += [f"### {e['id']} ({', '.join(e['claims'])})", "",
                  f"![{e['title']}]({Path(out).as_posix()}/{png})", "",
                  f"*Finding:* {e['finding']}", "",
                  f"*Prediction tested:* {e['prediction']}. "
                  f"*Verdict:* {VERDICT_WORDS.get(e['verdict'], e['verdict'])}.", ""]
    return "\n".join(lines).rstrip()


README_MARKER = "<!-- everything below is generated by: coherence figures --readme FILE -->"


def write_readme(path: Path, figs: list, out: Path) -> None:
    """Replace the part of ``path`` below :data:`README_MARKER` (hand-written text above it stays)."""
    head = ""
    if path.exists():
        text = path.read_text()
        head = text.split(README_MARKER)[0] if README_MARKER in text else text + "\n"
    atomic_write_text(path, head + README_MARKER + "\n\n" + readme_section(figs, out) + "\n")


#: a manifest as read back: the entries must at least name their figure (docs/cli.md has the rest)
MANIFEST = obj({"figures": list_of(obj({"id": string}))})


def read_manifest(path: Path) -> list:
    """The entries of the manifest at ``path``: ``[]`` when there is none, and ``[]`` with one
    warning line on stderr when it is unreadable or not ``{"figures": [{"id": ...}, ...]}`` (the
    manifest is rebuilt from the figures produced; the entries of the others are lost, as the
    warning says)."""
    doc = read_or_warn(path, MANIFEST, "figure manifest",
                       "starting a new one (entries of figures not produced now are dropped)")
    return [] if doc is None else doc["figures"]


def write_manifest(path: Path, entries: dict, order: dict) -> list:
    """Write ``{"figures": [...]}`` (registry order, atomically); returns the sorted entries."""
    figs = sorted(entries.values(), key=lambda e: order.get(e["id"], len(order)))
    atomic_write_text(path, json.dumps({"figures": figs}, indent=1, sort_keys=True) + "\n")
    return figs


def figure_list() -> str:
    """One line per figure: id, claims and title (``coherence figures --list``)."""
    from .experiments import REGISTRY

    return "\n".join(f"{exp.id:34s} {', '.join(exp.claims):18s} {exp.title}" for exp in REGISTRY())


def produce_all(config: FiguresConfig) -> FiguresRun:
    """Check ``config`` (:func:`validate`), then produce each figure it selects, rewriting the
    manifest after every one (and the readme section at the end, when asked). A figure that
    raises is reported on stderr and in :attr:`FiguresRun.failed`; the others go on."""
    from .experiments import REGISTRY, select

    exps = select(None if config.only is None else list(config.only))
    cache = validate(config)
    out = Path(config.out)
    version = code_version()
    manifest_path = out / "manifest.json"
    # keep entries written by other producers (and, with only, the figures not regenerated now)
    entries = {e["id"]: e for e in read_manifest(manifest_path)}
    order = {e.id: j for j, e in enumerate(REGISTRY())}
    failed = []
    t_all = time.perf_counter()
    for exp in exps:
        t0 = time.perf_counter()
        print(f"[figures] {exp.id} ...", file=sys.stderr, flush=True)
        try:
            entry = produce(exp, out, config.quick, config.seed, config.jobs, config.backend, config.scheduler,
                            cache is not None, cache)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one broken figure must not lose the others
            failed.append(exp.id)
            print(f"[figures] {exp.id} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            continue
        entry["code_version"] = version
        entries[exp.id] = entry
        figs = write_manifest(manifest_path, entries, order)     # after every figure: nothing lost on a kill
        print(f"[figures] {exp.id}: {entry['finding']} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    figs = write_manifest(manifest_path, entries, order)
    if config.readme:
        write_readme(Path(config.readme), figs, out)
    return FiguresRun(out=out, ids=tuple(e.id for e in exps), figs=figs, failed=failed,
                      seconds=time.perf_counter() - t_all)
