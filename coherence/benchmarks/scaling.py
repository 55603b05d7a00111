"""``coherence bench --scaling``: how the cost of the main fast paths grows with the problem size.

Four series, each timed (or counted) side by side with its baselines at every size:

* ``enumeration``: ``log P(b)`` for all ``2^n`` binary vectors (K = 8 concept mixture) -- ours
  (:func:`theory.joint_table.product_mixture_log_table`), the vectorised numpy reference and the
  per-vector Python loop (timed in full up to ``2^12`` vectors), against the number of vectors;
* ``gibbs``: seconds per single-site update (256 parallel chains, K = 8) -- ours (incremental
  counts) and the vectorised reference that recounts the agreements every step, against ``n``;
* ``icm``: seconds per ICM step (released-code score, full pool, groups of 4) -- ours
  (incremental pool counts), the vectorised recount and the released-code pattern (one
  ``log_conditional`` per pool item), against ``n``;
* ``lm-tokens``: tokens the language model processes for one ICM step (tiny-random model, from
  the prior's token counters) -- ours (block-mask pass reusing the trunk's cache; item 0 is
  flipped, the worst case, where no trunk prefix can be reused) and the released scheme
  (``n + 1`` explicit prompts), against ``n``. Needs the ``[lm]`` extra; skipped
  with a note otherwise.

The exponent of each curve is the least-squares slope of ``log y`` on ``log x`` over its three
largest sizes (at the smallest ones fixed per-call costs dominate).
Writes ``OUT/bench-scaling.png``/``.pdf`` and ``OUT/data/bench-scaling.json`` (sizes, times,
exponents, seed, parameters, code version, BLAS threads). Times are wall-clock on a shared
machine: the slopes and the gaps between curves mean something, single points less.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ScalingConfig:
    """A scaling run; the defaults of ``coherence bench --scaling``'s own options are defined here, once."""

    #: the quick grids and fewer repeats
    quick: bool = False
    #: folder of the figure (``OUT/bench-scaling.png``/``.pdf``) and its data (``OUT/data/``)
    out: str = "figures"
    #: BLAS/OpenMP threads the caller limited the run to, recorded with the data (None: not limited)
    threads: int | None = None


SEED = 0
GRIDS = {  # quick, full
    "enumeration": ([12, 14, 16, 18, 20], [12, 14, 16, 18, 20, 22]),
    "gibbs": ([1_000, 8_000, 64_000], [1_000, 4_000, 16_000, 64_000, 256_000]),
    "icm": ([32, 64, 128, 256], [32, 64, 128, 256, 512]),
    "lm-tokens": ([8, 16, 32], [8, 16, 32, 64]),
}
NAIVE_MAX_VECTORS = 2**14


FIT_POINTS = 3


def exponent(x, y, last: int = FIT_POINTS) -> float:
    """Least-squares slope of ``log y`` on ``log x`` over the ``last`` largest sizes (fixed costs
    dominate the smallest ones)."""
    x, y = np.log(np.asarray(x, dtype=float)[-last:]), np.log(np.asarray(y, dtype=float)[-last:])
    return float(np.polyfit(x, y, 1)[0])


def _mixture(n, K, rng):
    from theory.concept_mixture import ConceptMixture

    return ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=rng.uniform(0.05, 0.45, K), w=np.full(K, 1 / K))


def enumeration_series(sizes, repeat) -> dict:
    from coherence.benchmarks.timing import best_of

    from .enumerate import _naive, vectorised_reference

    out = {"ours": [], "vectorised reference": [], "per-vector loop": []}
    for n in sizes:
        model = _mixture(n, 8, np.random.default_rng(SEED))
        out["ours"].append(best_of(model.log_joint_all, repeat))
        out["vectorised reference"].append(best_of(lambda: vectorised_reference(model), repeat))
        if 2**n <= NAIVE_MAX_VECTORS:
            t0 = time.perf_counter()
            _naive(model, np.arange(2**n), n)
            out["per-vector loop"].append(time.perf_counter() - t0)
    return {"x": [2**n for n in sizes], "x_label": "vectors (2^n)", "y_label": "seconds for the whole table",
            "n": list(sizes), "curves": out}


def gibbs_series(sizes, repeat) -> dict:
    from coherence.benchmarks.timing import best_of
    from simulations.search.gibbs import MixtureChains

    from .gibbs_updates import vectorised_updates

    chains, steps, ref_steps = 256, 40, 4
    out = {"ours": [], "vectorised reference": []}
    for n in sizes:
        rng = np.random.default_rng(SEED)
        model = _mixture(n, 8, rng)
        B0 = rng.integers(0, 2, (chains, n))
        items = rng.integers(0, n, size=(steps, chains))
        us = rng.random((steps, chains))

        mc = MixtureChains(model, B0)                     # state built once, as in a run (not timed)

        def ours():
            for t in range(steps):
                mc.step(items[t], 1.0, us[t])

        out["ours"].append(best_of(ours, repeat) / (steps * chains))
        out["vectorised reference"].append(
            best_of(lambda: vectorised_updates(model, B0, items[:ref_steps], us[:ref_steps]), 1) / (ref_steps * chains))
    return {"x": list(sizes), "x_label": "n (items)", "y_label": "seconds per update", "curves": out,
            "chains": chains, "steps": steps, "reference_steps": ref_steps}


def icm_series(sizes, repeat) -> dict:
    from simulations.search.constraints import for_task

    from .icm_incremental import _steps

    steps = 4        # the same steps for the three versions: they follow the same trajectory
    out = {"ours": [], "vectorised recount": [], "released-code pattern": []}
    evaluations = []
    for n in sizes:
        model = _mixture(n, 8, np.random.default_rng(SEED))
        cons = for_task(np.arange(n) // 4)
        runs = [_steps(model, cons, True, steps) for _ in range(repeat)]
        out["ours"].append(min(r[0] for r in runs) / steps)
        out["vectorised recount"].append(min(_steps(model, cons, True, steps, recount=True)[0]
                                             for _ in range(repeat)) / steps)
        out["released-code pattern"].append(_steps(model, cons, False, steps)[0] / steps)
        evaluations.append(runs[0][1].ev.count / steps)
    return {"x": list(sizes), "x_label": "n (items, all in the pool)", "y_label": "seconds per ICM step",
            "curves": out, "steps": steps, "conditionals_per_step": evaluations,
            "note": "an ICM step rescores the pool once per candidate it tries (fix rounds), so the work per "
                    "step varies along the trajectory: conditionals_per_step"}


def lm_token_series(sizes) -> dict:
    from simulations.lm.backends.loader import load
    from simulations.lm.backends.prior import LMPrior, PromptFormat
    from simulations.lm.tasks.registry import make_task

    lm = load("tiny-random", device="cpu")
    out = {"ours (block pass, trunk cache)": [], "released scheme (n + 1 prompts)": []}
    for n in sizes:
        task = make_task("arithmetic", n, SEED)
        prior = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words), loo="block")
        b = np.random.default_rng(SEED).integers(0, 2, n)
        j = 0                                # the worst case for ours: no trunk prefix to reuse
        prior.log_loo(b)
        b_new = b.copy()
        b_new[j] = 1 - b_new[j]
        c0 = prior.forward_tokens
        prior.log_loo(b_new)
        out["ours (block pass, trunk cache)"].append(prior.forward_tokens - c0)
        idx = np.arange(n)
        prompts = [(b, j)] + [(b_new, i) for i in range(n)]
        out["released scheme (n + 1 prompts)"].append(
            int(sum(prior.prompt_tokens(bb, i, idx[idx != i]).size for bb, i in prompts)))
    return {"x": list(sizes), "x_label": "n (items)", "y_label": "tokens per ICM step", "curves": out,
            "model": "tiny-random", "task": "arithmetic", "flipped_item": 0}


def plot(data: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(data["series"])
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8))
    for ax, name in zip(np.atleast_1d(axes), names):
        s = data["series"][name]
        for label, ys in s["curves"].items():
            xs = s["x"][: len(ys)]
            ax.loglog(xs, ys, "o-", label=f"{label} (slope {s['exponents'][label]:.2f})")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(name)
        ax.set_xlabel(s["x_label"])
        ax.set_ylabel(s["y_label"])
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"coherence bench --scaling (log-log; {data['blas_threads']} BLAS thread(s), shared machine)")
    fig.tight_layout()
    return fig


def run(config: ScalingConfig) -> int:
    """Time every series, write the figure and its data under ``config.out`` (checked writable
    first), print the exponents and the files written; returns the exit status (0)."""
    from simulations.figures import code_version, save_figure
    from simulations.io import atomic_write_json, check_writable

    out = check_writable(Path(config.out), argument="--out")
    quick = bool(config.quick)
    pick = 0 if quick else 1
    repeat = 2 if quick else 5
    series = {}
    steps = [("enumeration", lambda g: enumeration_series(g, repeat)), ("gibbs", lambda g: gibbs_series(g, repeat)),
             ("icm", lambda g: icm_series(g, repeat))]
    if find_spec("torch") is not None and find_spec("transformers") is not None:
        steps.append(("lm-tokens", lm_token_series))
    else:
        print("[bench] skip scaling series lm-tokens: needs the [lm] extra: pip install 'coherence-toolkit[lm]'",
              file=sys.stderr)
    for name, fn in steps:
        print(f"[bench] scaling {name} ...", file=sys.stderr, flush=True)
        s = fn(GRIDS[name][pick])
        s["exponents"] = {label: exponent(s["x"][: len(ys)], ys) for label, ys in s["curves"].items()}
        series[name] = s
    data = {"id": "bench-scaling", "seed": SEED, "quick": quick, "code_version": code_version(),
            "blas_threads": config.threads,
            "params": {"grids": {k: v[pick] for k, v in GRIDS.items()}, "repeat": repeat,
                       "naive_max_vectors": NAIVE_MAX_VECTORS,
                       "exponent": f"least-squares slope of log y on log x over the {FIT_POINTS} largest sizes"},
            "series": series}
    (out / "data").mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "data" / "bench-scaling.json", data)
    files = save_figure(plot(data), out, "bench-scaling")
    for name, s in series.items():
        print(f"{name:12s} " + "  ".join(f"{k}: slope {v:.2f}" for k, v in s["exponents"].items()))
    print(f"wrote {', '.join(str(out / f) for f in files)} and {out / 'data' / 'bench-scaling.json'}")
    return 0
