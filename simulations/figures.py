"""``coherence figures [--quick] [--only ID ...] [--out DIR]``: regenerate every figure.

For each experiment of :mod:`simulations.experiments` (in registry order) this runs its sweep
(parallel, cached, resumable: :mod:`simulations.sweep`), writes the data file
``DIR/data/ID.json`` (sorted keys, floats rounded to 6 significant digits, no timestamps: the
same seed and parameters give the same bytes), the figure as ``DIR/ID.png`` and ``DIR/ID.pdf``,
and ``DIR/manifest.json`` as in docs/cli.md, rewritten (atomically) after every figure, so an
interrupted run leaves a manifest of the figures it finished. Entries of an existing manifest
that are not regenerated (other ids, or figures left out by ``--only``) are kept; a manifest
that fails its schema (:func:`read_manifest`) is started afresh, with one warning line on stderr.

Every argument is checked before any work starts (``--out``, its ``data/`` subfolder and
``--readme`` writable, the cache folder writable, ``--seed`` and ``--jobs`` in range, the
``[dask]`` extra present for ``--backend dask``): a bad one is a one-line error and exit status 2.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

from .io import atomic_write_bytes, atomic_write_text, check_writable
from .stored import list_of, obj, read_or_warn, string
from .sweep import BACKENDS, add_cache_arguments, cache_dir, code_fingerprint, require_dask, sweep

#: seeds accepted by ``--seed`` (numpy seed sequences need non-negative integers)
MAX_SEED = 2**31 - 1


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", help="small grids and few seeds (minutes on 2 cores)")
    p.add_argument("--only", nargs="+", metavar="ID", default=None,
                   help="figure ids (or unique prefixes such as R5) to regenerate; see --list")
    p.add_argument("--out", default="figures", help="output folder (default: figures)")
    p.add_argument("--list", action="store_true", help="list the figure ids and exit")
    p.add_argument("--jobs", type=int, default=2, help="parallel workers (-1 = all cores; default 2)")
    p.add_argument("--backend", choices=BACKENDS, default="loky", help="joblib backend (default loky)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask scheduler address for --backend dask (default: a local cluster)")
    add_cache_arguments(p)
    p.add_argument("--seed", type=int, default=0, help=f"base seed of every experiment, 0..{MAX_SEED} (default 0)")
    p.add_argument("--readme", default=None, metavar="FILE",
                   help="also write a markdown section showing every figure of the manifest with its finding")


def check_jobs(jobs: int) -> None:
    if jobs == 0 or jobs < -1:
        raise ValueError(f"--jobs must be -1 (all cores) or a positive integer, got {jobs}")


def check_cache_dir(args):
    """The sweep cache folder named by ``--cache-dir`` (or the default), checked writable;
    None with ``--no-cache``."""
    if args.no_cache:
        return None
    folder = cache_dir(args.cache_dir)
    check_writable(folder, argument="--cache-dir")
    return folder


def validate(args):
    """Check every argument before any work; returns the sweep cache folder (or None)."""
    check_jobs(args.jobs)
    if not 0 <= args.seed <= MAX_SEED:
        raise ValueError(f"--seed must be an integer in [0, {MAX_SEED}], got {args.seed}")
    if args.backend == "dask":
        require_dask()
    # the data files go to a subfolder: a read-only (or file) DIR/data must fail here, not after
    # the figure has been computed
    for folder in (Path(args.out), Path(args.out) / "data"):
        check_writable(folder, argument="--out")
    if args.readme:
        readme = Path(args.readme)
        if readme.is_dir():
            raise ValueError(f"--readme: {args.readme!r} is a folder, expected a markdown file")
        check_writable(readme.parent, argument="--readme")
    return check_cache_dir(args)


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


VERDICT_WORDS = {"confirms": "confirms", "refutes": "**refutes**",
                 "confirms-under-conditions": "confirms under conditions"}


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


def run(args) -> int:
    from .experiments import REGISTRY, select

    if args.list:
        for exp in REGISTRY():
            print(f"{exp.id:34s} {', '.join(exp.claims):18s} {exp.title}")
        return 0
    exps = select(args.only)
    cache = validate(args)
    out = Path(args.out)
    version = code_version()
    manifest_path = out / "manifest.json"
    # keep entries written by other producers (and, with --only, the figures not regenerated now)
    entries = {e["id"]: e for e in read_manifest(manifest_path)}
    order = {e.id: j for j, e in enumerate(REGISTRY())}
    failed = []
    t_all = time.perf_counter()
    for exp in exps:
        t0 = time.perf_counter()
        print(f"[figures] {exp.id} ...", file=sys.stderr, flush=True)
        try:
            entry = produce(exp, out, args.quick, args.seed, args.jobs, args.backend, args.scheduler,
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
    if args.readme:
        write_readme(Path(args.readme), figs, out)
    print(f"{len(exps) - len(failed)} figure(s) written to {out}/ in {time.perf_counter() - t_all:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    for e in figs:
        if e["id"] in {x.id for x in exps}:
            print(f"  {e['id']:34s} [{e['verdict']}] {e['finding']}")
    return 1 if failed else 0
